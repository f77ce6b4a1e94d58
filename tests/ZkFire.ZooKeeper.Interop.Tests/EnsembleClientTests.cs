using System.Security.Cryptography;
using Xunit.Abstractions;

namespace ZkFire.ZooKeeper.Interop.Tests;

/// <summary>
/// Real clients against healthy three-member ensembles: kazoo with the differential scenario harness (the ZkFire
/// ensemble must answer exactly as the Apache ZooKeeper 3.8 ensemble does), and zkCli writing through one member
/// and reading through another.
/// </summary>
[Collection(EnsembleClientsCollection.Name)]
public sealed class EnsembleClientTests(EnsembleFixture fixture, ITestOutputHelper output)
{
    private const string Scenario = "ensemble_basics";

    private static readonly TimeSpan ZkCliTimeout = TimeSpan.FromSeconds(60);

    public enum Connect
    {
        /// <summary>Both sessions on member 1.</summary>
        OneMember,

        /// <summary>Each session picks a member at random from all three.</summary>
        AllMembers,
    }

    [SkippableTheory]
    [InlineData(Connect.OneMember)]
    [InlineData(Connect.AllMembers)]
    public async Task Kazoo_scenario_on_the_ZkFire_ensemble_matches_the_Apache_ZooKeeper_ensemble(Connect connect)
    {
        Prerequisites.Require(await KazooDriver.WhyUnavailableAsync());
        var reference = await fixture.EnsembleAsync(ServerKind.ApacheZooKeeper);
        var expected = await RunScenarioAsync(reference, connect);
        Assert.True(expected.Violations.Count == 0,
            $"The Apache ZooKeeper ensemble no longer shows facts the scenario expects: {DocumentComparison.Render(expected.Violations)}");

        var underTest = await fixture.EnsembleAsync(ServerKind.ZkFire);
        var actual = await RunScenarioAsync(underTest, connect);
        DocumentComparison.AssertSame(expected.Server, expected.Document, actual.Server, actual.Document);
    }

    [SkippableTheory]
    [InlineData(ServerKind.ApacheZooKeeper)]
    [InlineData(ServerKind.ZkFire)]
    public async Task ZkCli_writes_through_the_ensemble_and_reads_through_each_member(ServerKind kind)
    {
        Prerequisites.Require(File.Exists(CommandLineClientTests.ZkCli) ? null : $"{CommandLineClientTests.ZkCli} is not installed.");
        var ensemble = await fixture.EnsembleAsync(kind);
        var root = "/cli-ensemble-" + RandomNumberGenerator.GetHexString(10, lowercase: true);

        var write = await ZkCliAsync(ensemble, ensemble.ConnectStringOfAll,
            $"create {root} v1", $"create -e {root}/eph x", $"set {root} v2", $"get {root}", $"ls {root}", "quit");
        Assert.Contains($"Created {root}\n", write.Stderr, StringComparison.Ordinal);
        Assert.Contains($"Created {root}/eph", write.Stderr, StringComparison.Ordinal);
        Assert.Contains("v2\n[eph]\n", write.Stdout, StringComparison.Ordinal);

        // The ephemeral went with the first session (quit closes it); each member must show that after a sync.
        foreach (var id in ZooKeeperEnsemble.Ids)
        {
            var read = await ZkCliAsync(ensemble, ensemble.ConnectString(id), $"sync {root}", $"get {root}", $"ls {root}", $"delete {root}/eph", "quit");
            Assert.Contains("v2\n[]\n", read.Stdout, StringComparison.Ordinal);
            Assert.Contains($"Node does not exist: {root}/eph", read.Stderr, StringComparison.Ordinal);
        }

        var delete = await ZkCliAsync(ensemble, ensemble.ConnectStringOfAll, $"delete {root}", $"get {root}", "quit");
        Assert.Contains($"Node does not exist: {root}", delete.Stderr, StringComparison.Ordinal);
    }

    private async Task<ScenarioRun> RunScenarioAsync(ZooKeeperEnsemble ensemble, Connect connect)
    {
        var connectString = connect == Connect.OneMember ? ensemble.ConnectString(1) : ensemble.ConnectStringOfAll;
        var run = await KazooDriver.RunAsync(ensemble.Name, connectString, Scenario);
        output.WriteLine($"===== {run.Server} ({connectString}): {run.Process.Command} => exit {run.Process.ExitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "killed"}\n{run.Process.Stdout}{run.Process.Stderr}");
        if (run.Document is null || run.HarnessError is not null || run.Process.ExitCode != 0)
        {
            output.WriteLine(ensemble.Log);
            Assert.Fail($"The scenario did not complete against the {ensemble.Name}: {run.HarnessError ?? "no JSON document"}\n{run.Process}");
        }

        return run;
    }

    private async Task<ProcessResult> ZkCliAsync(ZooKeeperEnsemble ensemble, string connectString, params string[] commands)
    {
        var result = await ChildProcess.RunAsync(
            CommandLineClientTests.ZkCli, ["-server", connectString], ZkCliTimeout, stdin: string.Join('\n', commands) + "\n");
        output.WriteLine(result.ToString());
        if (result.TimedOut)
        {
            output.WriteLine(ensemble.Log);
            Assert.Fail($"{result.Command} did not finish within {ZkCliTimeout.TotalSeconds} s.");
        }

        return result;
    }
}
