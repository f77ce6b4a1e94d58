using System.Text.Json;
using System.Text.Json.Nodes;

namespace ZkFire.ZooKeeper.Interop.Tests;

/// <summary>One scenario run against one server: the process outcome and the JSON document it printed (if any).</summary>
public sealed record ScenarioRun(string Server, ProcessResult Process, JsonNode? Document)
{
    public string? HarnessError => Document?["harness_error"]?.GetValue<string>();

    public JsonArray Violations => Document?["violations"] as JsonArray ?? [];
}

/// <summary>
/// Runs clients/zk_scenarios.py (kazoo) with Debian's Python: python3-kazoo installs into /usr/bin/python3's
/// dist-packages, and a python3 earlier on PATH (pyenv) would not see it.
/// </summary>
public static class KazooDriver
{
    public const string Python = "/usr/bin/python3";

    private const string Script = "zk_scenarios.py";

    /// <summary>Longer than the script's own 60 s alarm, so its report (not our kill) explains a hang.</summary>
    private static readonly TimeSpan ScenarioTimeout = TimeSpan.FromSeconds(90);

    private static readonly Lazy<Task<string?>> Unavailable = new(FindWhyUnavailableAsync);

    private static readonly Dictionary<string, string> Environment = new()
    {
        // Keep the output folder free of __pycache__, and let prints out even if the script is killed.
        ["PYTHONDONTWRITEBYTECODE"] = "1",
        ["PYTHONUNBUFFERED"] = "1",
    };

    public static string ClientsDirectory => Path.Combine(AppContext.BaseDirectory, "clients");

    public static Task<string?> WhyUnavailableAsync() => Unavailable.Value;

    public static Task<ScenarioRun> RunAsync(IZooKeeperServer server, string scenario) => RunAsync(server.Name, server.ConnectString, scenario);

    /// <summary>Runs a scenario with its sessions on <paramref name="connectString"/> (one server, or an ensemble's members).</summary>
    public static async Task<ScenarioRun> RunAsync(string serverName, string connectString, string scenario)
    {
        var result = await ChildProcess.RunAsync(Python, [Script, connectString, scenario], ScenarioTimeout, ClientsDirectory, Environment);
        JsonNode? document = null;
        try
        {
            document = JsonNode.Parse(result.Stdout);
        }
        catch (JsonException)
        {
            // Reported by the caller together with the process output.
        }

        return new ScenarioRun(serverName, result, document);
    }

    /// <summary>Starts another kazoo script of clients/ (same interpreter and environment), left running.</summary>
    public static ChildProcess Start(string script, params string[] arguments) =>
        ChildProcess.Start(Python, [script, .. arguments], ClientsDirectory, Environment);

    public static async Task<IReadOnlyList<string>> ListScenariosAsync()
    {
        var result = await ChildProcess.RunAsync(Python, [Script, "--list"], ScenarioTimeout, ClientsDirectory, Environment);
        Assert.True(result.ExitCode == 0, result.ToString());
        return JsonSerializer.Deserialize<List<string>>(result.Stdout) ?? [];
    }

    private static async Task<string?> FindWhyUnavailableAsync()
    {
        if (!File.Exists(Python))
        {
            return $"{Python} is not installed.";
        }

        var result = await ChildProcess.RunAsync(Python, ["-c", "import kazoo.client"], TimeSpan.FromSeconds(30));
        return result.ExitCode == 0 ? null : $"The kazoo module is not importable by {Python}: {result.Stderr.Trim()}";
    }
}
