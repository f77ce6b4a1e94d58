using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Xunit.Abstractions;
using ZkFire.Jute;
using ZkFire.ZooKeeper.Client;

namespace ZkFire.ZooKeeper.Interop.Tests;

/// <summary>
/// Members of three-member ensembles SIGKILLed under working clients, the same tests for Apache ZooKeeper 3.8 and
/// ZkFire: a kazoo session survives the death of its member; every write acknowledged while the leader is killed
/// again and again is on every member afterwards. Failover times are printed, never asserted (shared machines).
/// </summary>
[Collection(EnsembleFaultsCollection.Name)]
public sealed partial class EnsembleCrashTests(EnsembleFixture fixture, ITestOutputHelper output)
{
    private const int LeaderKills = 3;
    private const int Writers = 4;

    // Far above what a run needs on a 2-core machine, so a hang fails instead of blocking the suite.
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(150);

    private static readonly TimeSpan SessionTimeout = TimeSpan.FromSeconds(20);

    [SkippableTheory]
    [InlineData(ServerKind.ApacheZooKeeper)]
    [InlineData(ServerKind.ZkFire)]
    public async Task Kazoo_keeps_its_session_and_ephemeral_and_carries_on_when_its_member_is_killed(ServerKind kind)
    {
        Prerequisites.Require(await KazooDriver.WhyUnavailableAsync());
        var ensemble = await fixture.EnsembleAsync(kind);

        await using var kazoo = KazooDriver.Start("zk_member_kill.py", ensemble.ConnectStringOfAll);
        var port = await ConnectedPortAsync(kazoo, ensemble);
        var member = ensemble.IdOfPort(port);
        await ensemble.KillAsync(member);
        output.WriteLine($"kazoo was on server.{member} (port {port}); killed it");

        var exited = await kazoo.WaitForExitAsync(Budget);
        var result = kazoo.Result(exited);
        output.WriteLine(result.ToString());
        var document = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() is { } last && last.StartsWith('{')
            ? JsonNode.Parse(last)
            : null;
        if (document?["ok"]?.GetValue<bool>() != true)
        {
            output.WriteLine(ensemble.Log);
            Assert.Fail($"kazoo did not carry on after server.{member} of the {ensemble.Name} was killed: {document?.ToJsonString() ?? "no JSON document"}");
        }

        await ensemble.RestartAsync(member);
    }

    [SkippableTheory]
    [InlineData(ServerKind.ApacheZooKeeper)]
    [InlineData(ServerKind.ZkFire)]
    public async Task Every_acknowledged_write_is_on_every_member_after_the_leader_is_killed_three_times(ServerKind kind)
    {
        Prerequisites.Require(BuiltPrograms.WhyMissing(BuiltPrograms.LoadToolDll, "ZooKeeper load tool"));
        var ensemble = await fixture.EnsembleAsync(kind);
        using var budget = new CancellationTokenSource(Budget);
        var cancellationToken = budget.Token;
        var root = "/ensemble-durable-" + RandomNumberGenerator.GetHexString(10, lowercase: true);
        var acknowledged = new AcknowledgedWrites();
        var failovers = new List<double>();
        try
        {
            await using var client = await ConnectAsync(ensemble.ConnectStringOfAll, cancellationToken);
            await client.CreateAsync(root, null, WellKnownAcls.OpenAclUnsafe, CreateMode.Persistent, cancellationToken: cancellationToken);
            using var stop = new CancellationTokenSource();
            var writers = Enumerable.Range(0, Writers)
                .Select(k => Task.Run(() => WriteAsync(client, root, k, acknowledged, stop.Token), CancellationToken.None))
                .ToList();
            try
            {
                for (var kill = 1; kill <= LeaderKills; kill++)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(300, 701)), cancellationToken);
                    var leader = await ensemble.LeaderAsync(cancellationToken);
                    var marker = string.Create(CultureInfo.InvariantCulture, $"{root}/marker-{kill}");
                    var created = await WatchCreationAsync(client, marker, cancellationToken);
                    var before = acknowledged.Count;
                    var failover = await KillLeaderAsync(ensemble, kind, cancellationToken);
                    Assert.True(failover.KilledMember == leader,
                        $"The failover probe killed server.{failover.KilledMember}, but server.{leader} led.");
                    failovers.Add(failover.Milliseconds);
                    await ensemble.RestartAsync(leader, cancellationToken);

                    // The client lost its connection in the failover; the watch must have been re-armed where it went.
                    await using (var other = await ConnectAsync(ensemble.ConnectString(leader), cancellationToken))
                    {
                        await other.CreateAsync(marker, null, WellKnownAcls.OpenAclUnsafe, CreateMode.Persistent, cancellationToken: cancellationToken);
                    }

                    Assert.True(await created.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken) == EventType.NodeCreated,
                        $"The exists watch on {marker} set before kill {kill} did not report its creation.");
                    output.WriteLine(
                        $"kill {kill}: leader server.{leader} (SIGKILL); a write through server.{failover.ProbedMember} succeeded " +
                        $"{failover.Milliseconds:0} ms later; new leader server.{failover.NewLeader}; " +
                        $"{acknowledged.Count - before} writes acknowledged from the kill until server.{leader} was back in the ensemble");
                }

                // The restarted ensemble must take writes again, not merely have kept the old ones.
                var afterLastRestart = acknowledged.Count;
                await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
                await stop.CancelAsync();
                await Task.WhenAll(writers).WaitAsync(cancellationToken);
                Assert.True(acknowledged.Count > afterLastRestart, $"No write was acknowledged after the last restart of the {ensemble.Name}.");
            }
            finally
            {
                await stop.CancelAsync();
            }

            output.WriteLine($"{ensemble.Name}: {acknowledged.Count} acknowledged writes; failover ms (kill to first write through a survivor): " +
                string.Join(", ", failovers.Select(f => f.ToString("0", CultureInfo.InvariantCulture))));
            foreach (var id in ZooKeeperEnsemble.Ids)
            {
                await VerifyMemberAsync(ensemble, id, root, acknowledged, cancellationToken);
            }
        }
        catch
        {
            output.WriteLine(ensemble.Log);
            throw;
        }
    }

    /// <summary>
    /// Creates <c>root/w&lt;k&gt;-&lt;seq&gt;</c> one after another through the client of all members, recording each
    /// acknowledged one, until stopped. ConnectionLoss (the member went away, or stopped serving while the ensemble
    /// elects) leaves that write's outcome unknown and the writer carries on once the client has reconnected.
    /// </summary>
    private static async Task WriteAsync(ZooKeeperClient client, string root, int writer, AcknowledgedWrites acknowledged, CancellationToken stop)
    {
        for (var sequence = 0; !stop.IsCancellationRequested; sequence++)
        {
            var path = string.Create(CultureInfo.InvariantCulture, $"{root}/w{writer}-{sequence}");
            var data = Encoding.UTF8.GetBytes($"writer {writer} seq {sequence}");
            try
            {
                // Never cancelled: a write whose reply arrives must be recorded, or a lost one could go unnoticed.
                await client.CreateAsync(path, data, WellKnownAcls.OpenAclUnsafe, CreateMode.Persistent, cancellationToken: CancellationToken.None);
            }
            catch (KeeperException ex) when (ex.Code == ErrorCode.ConnectionLoss)
            {
                await Task.Delay(20, CancellationToken.None);
                continue;
            }

            acknowledged.Add(path, data);
        }
    }

    /// <summary>
    /// Leaves an exists watch on <paramref name="path"/> (retrying while the client reconnects); the task completes
    /// with the first event that is not a session state change.
    /// </summary>
    private static async Task<Task<EventType>> WatchCreationAsync(ZooKeeperClient client, string path, CancellationToken cancellationToken)
    {
        var fired = new TaskCompletionSource<EventType>(TaskCreationOptions.RunContinuationsAsynchronously);
        while (true)
        {
            try
            {
                await client.ExistsAsync(path, e =>
                {
                    if (e.Type != EventType.None)
                    {
                        fired.TrySetResult(e.Type);
                    }

                    return Task.CompletedTask;
                }, cancellationToken);
                return fired.Task;
            }
            catch (KeeperException ex) when (ex.Code == ErrorCode.ConnectionLoss)
            {
                await Task.Delay(50, cancellationToken);
            }
        }
    }

    /// <summary>Reads every acknowledged write through this member alone, after a sync so it has caught up.</summary>
    private async Task VerifyMemberAsync(
        ZooKeeperEnsemble ensemble, int id, string root, AcknowledgedWrites acknowledged, CancellationToken cancellationToken)
    {
        await using var client = await ConnectAsync(ensemble.ConnectString(id), cancellationToken);
        await client.SyncAsync(root, cancellationToken);
        var (expected, lost, wrong) = await acknowledged.FindMissingAsync(client, cancellationToken);
        var children = await client.GetChildrenAsync(root, cancellationToken: cancellationToken);
        output.WriteLine($"server.{id}: {children.Count} znodes under {root}, {expected} acknowledged, {lost.Count} lost, {wrong.Count} with other data");
        Assert.True(lost.Count == 0 && wrong.Count == 0,
            $"server.{id} of the {ensemble.Name} misses {lost.Count} of {expected} acknowledged writes (first: {string.Join(' ', lost.Take(20))}) " +
            $"and has other data for {wrong.Count} (first: {string.Join("; ", wrong.Take(5))}).");
    }

    /// <summary>Runs the load tool's failover probe: it kills the leader by pid and times the first write through a survivor.</summary>
    private static async Task<Failover> KillLeaderAsync(ZooKeeperEnsemble ensemble, ServerKind kind, CancellationToken cancellationToken)
    {
        var pids = string.Join(',', ZooKeeperEnsemble.Ids.Select(id => ensemble.ProcessId(id).ToString(CultureInfo.InvariantCulture)));
        var run = await ChildProcess.RunAsync(
            BuiltPrograms.DotnetHost,
            [BuiltPrograms.LoadToolDll, "zk-failover", "--members", ensemble.ConnectStringOfAll, "--pids", pids, "--label", kind.ToString()],
            TimeSpan.FromSeconds(90));
        cancellationToken.ThrowIfCancellationRequested();
        var summary = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault();
        if (run.ExitCode != 0 || summary is null || !summary.StartsWith('{'))
        {
            Assert.Fail($"The failover probe failed against the {ensemble.Name}:\n{run}");
        }

        var json = JsonNode.Parse(summary)!;
        return new Failover(
            json["killedMember"]!.GetValue<int>(), json["probedMember"]!.GetValue<int>(), json["failoverMs"]!.GetValue<double>(),
            json["newLeader"]?.GetValue<int>());
    }

    private static async Task<int> ConnectedPortAsync(ChildProcess kazoo, ZooKeeperEnsemble ensemble)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!timeout.IsCancellationRequested)
        {
            if (ConnectedLine().Match(kazoo.Log) is { Success: true } match)
            {
                return int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            }

            if (kazoo.HasExited)
            {
                break;
            }

            await Task.Delay(50, CancellationToken.None);
        }

        Assert.Fail($"kazoo never reported its member on the {ensemble.Name}:\n{kazoo.Log}\n{ensemble.Log}");
        return 0;
    }

    private static Task<ZooKeeperClient> ConnectAsync(string connectString, CancellationToken cancellationToken) =>
        ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectString = connectString, SessionTimeout = SessionTimeout }, cancellationToken);

    [GeneratedRegex(@"^CONNECTED (\d+)$", RegexOptions.Multiline)]
    private static partial Regex ConnectedLine();

    private sealed record Failover(int KilledMember, int ProbedMember, double Milliseconds, int? NewLeader);
}
