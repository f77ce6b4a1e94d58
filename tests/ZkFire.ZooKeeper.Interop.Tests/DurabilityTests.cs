using System.Diagnostics;
using System.Globalization;
using System.Text;
using Xunit.Abstractions;
using ZkFire.Jute;
using ZkFire.ZooKeeper.Client;

namespace ZkFire.ZooKeeper.Interop.Tests;

/// <summary>
/// Durability across crashes: the ZkFire member is SIGKILLed while acknowledged writes stream in, many times, and
/// after each restart on the same dataDir every write whose reply arrived must still be there with its data. Writes
/// in flight at the kill have an unknown outcome (ConnectionLoss) and may or may not survive.
/// </summary>
/// <remarks>
/// A SIGKILL leaves the page cache intact, so this proves "acknowledged only after the log write reached the OS and
/// replay recovers it", not power-loss safety (that needs the fsync, which this cannot observe). Set
/// <c>ZKFIRE_DURABILITY_SEED</c> to replay a failing run's kill timings.
/// </remarks>
public sealed class DurabilityTests(ITestOutputHelper output)
{
    private const string Root = "/durable";
    private const int Rounds = 8;
    private const int Writers = 8;

    // Far above what the whole run needs on a 2-core machine, so a hang fails instead of blocking the suite.
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(55);

    [SkippableFact]
    public async Task Every_acknowledged_write_survives_repeated_kill_9_of_the_server()
    {
        Prerequisites.Require(ZkFireZooKeeperServer.WhyUnavailable());
        var seed = int.TryParse(Environment.GetEnvironmentVariable("ZKFIRE_DURABILITY_SEED"), CultureInfo.InvariantCulture, out var fixedSeed)
            ? fixedSeed
            : Environment.TickCount;
        output.WriteLine($"seed {seed} (replay with ZKFIRE_DURABILITY_SEED={seed})");
        var random = new Random(seed);
        using var budget = new CancellationTokenSource(Budget);
        var cancellationToken = budget.Token;

        await using var server = await ZkFireZooKeeperServer.StartAsync("ZkFire (durability)");
        output.WriteLine($"{server}");
        var acknowledged = new AcknowledgedWrites();
        var nextSequence = new int[Writers];
        var recoveries = new List<TimeSpan>();
        try
        {
            await using (var setup = await ConnectAsync(server, cancellationToken))
            {
                await setup.CreateAsync(Root, null, WellKnownAcls.OpenAclUnsafe, CreateMode.Persistent, cancellationToken: cancellationToken);
            }

            for (var round = 1; round <= Rounds; round++)
            {
                var delay = TimeSpan.FromMilliseconds(random.Next(100, 401));
                var before = acknowledged.Count;
                var client = await ConnectAsync(server, cancellationToken);
                int inFlightAtKill;
                try
                {
                    var inFlight = 0;
                    var thisRound = round;
                    using var stop = new CancellationTokenSource();
                    var writers = Enumerable.Range(0, Writers)
                        .Select(k => Task.Run(
                            () => WriteUntilConnectionLossAsync(
                                client, k, thisRound, seed, nextSequence, acknowledged,
                                () => Interlocked.Increment(ref inFlight), () => Interlocked.Decrement(ref inFlight), stop.Token),
                            CancellationToken.None))
                        .ToList();
                    await Task.Delay(delay, cancellationToken);

                    var clock = Stopwatch.StartNew();
                    inFlightAtKill = Volatile.Read(ref inFlight);
                    await server.KillAndRestartAsync();
                    recoveries.Add(clock.Elapsed);

                    // Every writer stops at its first ConnectionLoss, or at the flag should the client already have
                    // reconnected to the new process (such writes count too); any other error is a failure worth seeing.
                    await stop.CancelAsync();
                    await Task.WhenAll(writers).WaitAsync(cancellationToken);
                }
                finally
                {
                    await client.DisposeAsync();
                }

                output.WriteLine(
                    $"kill {round}: after {delay.TotalMilliseconds:0} ms, {acknowledged.Count - before} writes acknowledged this round, " +
                    $"~{inFlightAtKill} in flight; back serving in {recoveries[^1].TotalMilliseconds:0} ms");
                await VerifyAsync(server, acknowledged, round, seed, cancellationToken);
            }

            await using var final = await ConnectAsync(server, cancellationToken);
            var children = await final.GetChildrenAsync(Root, cancellationToken: cancellationToken);
            output.WriteLine(
                $"totals: {acknowledged.Count} acknowledged writes, {Rounds} kills, {children.Count} znodes under {Root} " +
                $"({children.Count - acknowledged.Count} unacknowledged ones survived); recovery ms: " +
                string.Join(", ", recoveries.Select(r => r.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture))));
            Assert.False(acknowledged.IsEmpty, $"No write was acknowledged at all (seed {seed}), so nothing was tested.");
            Assert.True(children.Count >= acknowledged.Count,
                $"{Root} has {children.Count} children but {acknowledged.Count} creates were acknowledged (seed {seed}).");
        }
        catch
        {
            output.WriteLine("--- server log (all runs) ---");
            output.WriteLine(server.Log);
            throw;
        }
    }

    /// <summary>Creates <c>/durable/w&lt;k&gt;-&lt;seq&gt;</c> one after another, recording each acknowledged one.</summary>
    private static async Task WriteUntilConnectionLossAsync(
        ZooKeeperClient client, int writer, int round, int seed, int[] nextSequence, AcknowledgedWrites acknowledged,
        Action sending, Action answered, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            // A sequence number is never reused: a write lost to the kill may still exist after the restart.
            var sequence = nextSequence[writer]++;
            var path = $"{Root}/w{writer}-{sequence}";
            var data = Encoding.UTF8.GetBytes($"writer {writer} seq {sequence} round {round} seed {seed}");
            sending();
            try
            {
                // Never cancelled: a write whose reply arrives must be recorded, or a lost one could go unnoticed.
                await client.CreateAsync(path, data, WellKnownAcls.OpenAclUnsafe, CreateMode.Persistent, cancellationToken: CancellationToken.None);
            }
            catch (KeeperException ex) when (ex.Code == ErrorCode.ConnectionLoss)
            {
                return;
            }
            finally
            {
                answered();
            }

            acknowledged.Add(path, data);
        }
    }

    /// <summary>Reads back every write acknowledged so far (all rounds), pipelined, with a fresh client.</summary>
    private async Task VerifyAsync(
        ZkFireZooKeeperServer server, AcknowledgedWrites acknowledged, int kill, int seed, CancellationToken cancellationToken)
    {
        await using var client = await ConnectAsync(server, cancellationToken);
        var (expected, lost, wrong) = await acknowledged.FindMissingAsync(client, cancellationToken);
        if (lost.Count > 0 || wrong.Count > 0)
        {
            output.WriteLine($"after kill {kill}: {lost.Count} acknowledged writes lost: {string.Join(' ', lost)}");
            output.WriteLine($"after kill {kill}: {wrong.Count} with other data: {string.Join("; ", wrong)}");
            Assert.Fail(
                $"After kill {kill} (seed {seed}) {lost.Count} of {expected} acknowledged writes are missing " +
                $"(first: {string.Join(' ', lost.Take(20))}) and {wrong.Count} have other data.");
        }
    }

    private static Task<ZooKeeperClient> ConnectAsync(IZooKeeperServer server, CancellationToken cancellationToken) =>
        ZooKeeperClient.ConnectAsync(
            new ZooKeeperClientOptions { ConnectString = server.ConnectString, SessionTimeout = TimeSpan.FromSeconds(10) }, cancellationToken);
}
