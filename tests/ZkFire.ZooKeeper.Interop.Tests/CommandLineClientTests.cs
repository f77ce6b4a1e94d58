using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace ZkFire.ZooKeeper.Interop.Tests;

/// <summary>
/// The command-line clients shipped with Apache ZooKeeper (Debian: zkCli.sh from <c>zookeeper</c>, cli_mt from
/// <c>zookeeper-bin</c>) against the server under test, checked for the output they print against Apache ZooKeeper.
/// Every run is bounded and killed by pid at its timeout.
/// </summary>
[Collection(CommandLineCollection.Name)]
public sealed partial class CommandLineClientTests(CommandLineFixture fixture, ITestOutputHelper output)
{
    public const string ZkCli = "/usr/share/zookeeper/bin/zkCli.sh";
    public const string CliMt = "/usr/lib/zookeeper/bin/cli_mt";

    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(60);

    private readonly string _root = "/cli-" + RandomNumberGenerator.GetHexString(10, lowercase: true);

    [SkippableFact]
    public async Task ZkCli_one_shot_commands_and_the_session_they_leave_open()
    {
        RequireProgram(ZkCli, ApacheZooKeeperServer.WhyUnavailable());

        var create = await ZkCliAsync(["create", _root, "data"]);
        Assert.Contains($"Created {_root}", create.Output, StringComparison.Ordinal);
        var ephemeral = await ZkCliAsync(["create", "-e", _root + "/eph", "x"]);
        Assert.Contains($"Created {_root}/eph", ephemeral.Output, StringComparison.Ordinal);

        // Quirk: a one-shot zkCli exits without closing its session, so its ephemeral outlives the process.
        var stat = await ZkCliAsync(["stat", _root + "/eph"]);
        Assert.Matches(EphemeralOwnerOfASession(), stat.Stdout);
        var get = await ZkCliAsync(["get", _root]);
        Assert.Contains("data\n", get.Stdout, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task ZkCli_interactive_session_writes_reads_reports_errors_and_quits()
    {
        RequireProgram(ZkCli, ApacheZooKeeperServer.WhyUnavailable());
        string[] commands =
        [
            $"create {_root} v1",
            $"create -s {_root}/seq- \"\"",
            $"set {_root} v2",
            $"get {_root}",
            $"ls {_root}",
            $"stat {_root}",
            $"get {_root}/missing",
            $"create {_root} again",
            $"set -v 7 {_root} x",
            $"delete {_root}/seq-0000000000",
            $"ls {_root}",
            "quit",
        ];

        var run = await ZkCliAsync([], string.Join('\n', commands) + "\n");

        Assert.Contains($"Created {_root}\n", run.Stderr, StringComparison.Ordinal);
        Assert.Contains($"Created {_root}/seq-0000000000", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("v2\n[seq-0000000000]\n", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("cversion = 1\ndataVersion = 1\naclVersion = 0\nephemeralOwner = 0x0\ndataLength = 2\nnumChildren = 1\n[]\n", run.Stdout, StringComparison.Ordinal);
        Assert.Contains($"Node does not exist: {_root}/missing", run.Stderr, StringComparison.Ordinal);
        Assert.Contains($"Node already exists: {_root}", run.Stderr, StringComparison.Ordinal);
        Assert.Contains($"version No is not valid : {_root}", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("WatchedEvent state:Closed", run.Stdout, StringComparison.Ordinal);
    }

    /// <summary>cli_mt prints everything, results included, on stderr.</summary>
    [SkippableFact]
    public async Task C_client_batch_commands()
    {
        RequireProgram(CliMt);

        var create = await CliMtAsync($"create {_root}");
        Assert.Contains($"[{_root}]: rc = 0\n\tname = {_root}\n", create.Stderr, StringComparison.Ordinal);
        var again = await CliMtAsync($"create {_root}");
        Assert.Contains($"[{_root}]: rc = -110", again.Stderr, StringComparison.Ordinal);
        await CliMtAsync($"create {_root}/child");

        // Quirk: cli_mt's create always stores the data "new".
        var get = await CliMtAsync($"get {_root}");
        Assert.Contains($"{_root}: rc = 0\n value_len = 3\nnew\n", get.Stderr, StringComparison.Ordinal);
        var ls = await CliMtAsync($"ls {_root}");
        Assert.Contains($"{_root}: rc = 0\n\tchild\n", ls.Stderr, StringComparison.Ordinal);
        var missing = await CliMtAsync($"get {_root}/missing");
        Assert.Contains($"{_root}/missing: rc = -101", missing.Stderr, StringComparison.Ordinal);
        var notEmpty = await CliMtAsync($"delete {_root}");
        Assert.Contains($"{_root}: rc = -111", notEmpty.Stderr, StringComparison.Ordinal);
        var delete = await CliMtAsync($"delete {_root}/child");
        Assert.Contains($"{_root}/child: rc = 0", delete.Stderr, StringComparison.Ordinal);
    }

    /// <summary>Quirk: <c>cli_mt --cmd "exists …"</c> connects, answers nothing and never exits; it is killed by pid.</summary>
    [SkippableFact]
    public async Task C_client_batch_exists_connects_and_never_exits()
    {
        RequireProgram(CliMt);
        var server = fixture.UnderTest;

        await using var exists = ChildProcess.Start(CliMt, ["-h", server.ConnectString, "-c", $"exists {_root}"]);
        var exited = await exists.WaitForExitAsync(TimeSpan.FromSeconds(3));
        var result = exists.Result(exited);
        output.WriteLine(result.ToString());

        Assert.False(exited, "cli_mt's batch exists exited; Apache ZooKeeper keeps it running.");
        Assert.Contains("Got a new session id: 0x", result.Output, StringComparison.Ordinal);
    }

    private void RequireProgram(string path, string? otherReason = null)
    {
        Prerequisites.Require(Prerequisites.FirstOf(File.Exists(path) ? null : $"{path} is not installed.", otherReason));
        fixture.Require();
    }

    private async Task<ProcessResult> ZkCliAsync(string[] command, string? stdin = null)
    {
        var result = await ChildProcess.RunAsync(ZkCli, ["-server", fixture.UnderTest.ConnectString, .. command], RunTimeout, stdin: stdin);
        return Completed(result);
    }

    private async Task<ProcessResult> CliMtAsync(string command)
    {
        var result = await ChildProcess.RunAsync(CliMt, ["-h", fixture.UnderTest.ConnectString, "-c", command], RunTimeout);
        return Completed(result);
    }

    private ProcessResult Completed(ProcessResult result)
    {
        output.WriteLine(result.ToString());
        Assert.False(result.TimedOut, $"{result.Command} did not finish within {RunTimeout.TotalSeconds} s.");
        return result;
    }

    [GeneratedRegex(@"ephemeralOwner = 0x[0-9a-f]*[1-9a-f][0-9a-f]*\n")]
    private static partial Regex EphemeralOwnerOfASession();
}
