using Xunit.Abstractions;

namespace ZkFire.ZooKeeper.Interop.Tests;

/// <summary>
/// Runs each kazoo scenario (clients/zk_scenarios.py) against the reference Apache ZooKeeper and against the server
/// under test, and requires the two normalised documents to be equal. The reference must also still show every fact
/// the scenario expects (its "violations" list must be empty), so stale knowledge cannot pass silently.
/// </summary>
[Collection(DifferentialCollection.Name)]
public sealed class DifferentialTests(DifferentialFixture fixture, ITestOutputHelper output)
{
    /// <summary>Every scenario the script defines; <see cref="Every_script_scenario_has_a_test"/> keeps the two in step.</summary>
    public static readonly string[] ScenarioNames =
    [
        "acl_digest", "acl_permissions", "acl_schemes", "auth_unknown_scheme", "children_and_cversion", "connect_handshake",
        "containers_and_ttl", "create_modes", "data_and_versions", "empty_path", "ensemble_basics", "four_letter_words",
        "multi_failure", "multi_success", "oversized_request", "path_validation", "persistent_watches", "reserved_paths",
        "sequential_numbering", "session_ephemerals", "session_takeover", "sync_paths", "watch_delete_events",
        "watch_get_and_exists_once", "watch_missing_node", "watch_own_write_order", "watch_removal",
    ];

    public static TheoryData<string> Scenarios => new(ScenarioNames);

    [SkippableTheory]
    [MemberData(nameof(Scenarios))]
    public async Task Scenario_matches_Apache_ZooKeeper(string scenario)
    {
        fixture.Require();
        var runs = await Task.WhenAll(
            KazooDriver.RunAsync(fixture.Reference, scenario),
            KazooDriver.RunAsync(fixture.UnderTest, scenario));
        var (reference, underTest) = (runs[0], runs[1]);
        foreach (var run in runs)
        {
            output.WriteLine($"===== {run.Server}: {run.Process.Command} => exit {run.Process.ExitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "killed"}\n{run.Process.Stdout}");
            if (run.Process.Stderr.Length > 0)
            {
                output.WriteLine($"----- stderr:\n{run.Process.Stderr}");
            }
        }

        AssertCompleted(reference, fixture.Reference);
        Assert.True(reference.Violations.Count == 0,
            $"Apache ZooKeeper no longer shows facts this scenario expects (fix the scenario or PEERS.md): {DocumentComparison.Render(reference.Violations)}");
        AssertCompleted(underTest, fixture.UnderTest);
        DocumentComparison.AssertSame(reference.Server, reference.Document, underTest.Server, underTest.Document);
    }

    [SkippableFact]
    public async Task Every_script_scenario_has_a_test()
    {
        Prerequisites.Require(await KazooDriver.WhyUnavailableAsync());
        var listed = await KazooDriver.ListScenariosAsync();

        Assert.Equal(listed.Order(StringComparer.Ordinal), ScenarioNames.Order(StringComparer.Ordinal));
    }

    private void AssertCompleted(ScenarioRun run, IZooKeeperServer server)
    {
        if (run.Document is null || run.HarnessError is not null || run.Process.ExitCode != 0)
        {
            output.WriteLine($"===== {server.Name} log:\n{server.Log}");
            Assert.Fail($"The scenario did not complete against {run.Server}: {run.HarnessError ?? "no JSON document"}\n{run.Process}");
        }
    }
}
