using System.Diagnostics;
using System.Text;
using ZkFire.Jute;
using ZkFire.ZooKeeper.Client;
using ZkFire.ZooKeeper.Server.Tests.Quorum.History;

namespace ZkFire.ZooKeeper.Server.Tests.Quorum.Simulation;

/// <summary>
/// Concurrent clients reading, writing and compare-and-setting a few registers (znodes holding a string), each
/// recording every operation it invokes, whatever becomes of it, for the history checkers. Every value written is
/// unique in the run, so a read names the write it saw. A client whose session expires starts a new one.
/// </summary>
internal sealed class RegisterWorkload(int seed, IReadOnlyList<string> keys)
{
    /// <summary>How long an operation may take before its client gives up on it (its outcome is then unknown).</summary>
    public TimeSpan OperationTimeout { get; init; } = TimeSpan.FromSeconds(4);

    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromSeconds(4);

    public IReadOnlyList<string> Keys { get; } = keys;

    /// <summary>Creates the registers with empty data (<see cref="RegisterState.Empty"/>), as a history expects them.</summary>
    public async Task CreateKeysAsync(string connectString, CancellationToken cancellationToken)
    {
        await using var zk = await ZooKeeperClient.ConnectAsync(
            new ZooKeeperClientOptions { ConnectString = connectString, SessionTimeout = SessionTimeout }, cancellationToken);
        foreach (var key in Keys)
        {
            await zk.CreateAsync(key, [], WellKnownAcls.OpenAclUnsafe, CreateMode.Persistent, cancellationToken: cancellationToken);
        }
    }

    /// <summary>Each register as the member(s) of <paramref name="connectString"/> hold it, after catching up with the leader.</summary>
    public async Task<IReadOnlyDictionary<string, RegisterState>> ReadRegistersAsync(string connectString, CancellationToken cancellationToken)
    {
        await using var zk = await ZooKeeperClient.ConnectAsync(
            new ZooKeeperClientOptions { ConnectString = connectString, SessionTimeout = SessionTimeout }, cancellationToken);
        var registers = new Dictionary<string, RegisterState>(StringComparer.Ordinal);
        foreach (var key in Keys)
        {
            await zk.SyncAsync(key, cancellationToken);
            var (data, stat) = await zk.GetDataAsync(key, cancellationToken: cancellationToken);
            registers[key] = new RegisterState(Encoding.UTF8.GetString(data ?? []), stat.Version);
        }

        return registers;
    }

    /// <summary>
    /// Runs one client per connect string until <paramref name="duration"/> has passed, then returns every client's
    /// operations (each client's in program order).
    /// </summary>
    public async Task<IReadOnlyList<Operation>> RunAsync(IReadOnlyList<string> connectStrings, TimeSpan duration, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stop.CancelAfter(duration);
        var clients = connectStrings.Select((connectString, client) => Task.Run(() => RunClientAsync(client, connectString, stop.Token), CancellationToken.None));
        var histories = await Task.WhenAll(clients);
        cancellationToken.ThrowIfCancellationRequested();
        return [.. histories.SelectMany(h => h)];
    }

    private async Task<List<Operation>> RunClientAsync(int client, string connectString, CancellationToken stop)
    {
        var random = new Random(unchecked((seed * 7919) + client));
        var history = new List<Operation>();
        var versions = new Dictionary<string, int>(StringComparer.Ordinal);
        ZooKeeperClient? zk = null;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                if (zk is null || zk.State is ClientState.Expired or ClientState.Closed or ClientState.AuthFailed)
                {
                    if (zk is not null)
                    {
                        await zk.DisposeAsync();
                    }

                    zk = await TryConnectAsync(connectString, stop);
                    continue;
                }

                var key = Keys[random.Next(Keys.Count)];
                var roll = random.Next(10);
                var operation = roll < 4 ? await ReadAsync(zk, client, key)
                    : roll < 7 ? await WriteAsync(zk, client, key, $"{client}.{history.Count}", expectedVersion: null)
                    : await WriteAsync(zk, client, key, $"{client}.{history.Count}", versions.GetValueOrDefault(key));
                history.Add(operation);
                if (operation.ResultVersion is { } version)
                {
                    versions[key] = version;
                }

                if (operation.Outcome == Outcome.Unknown)
                {
                    // The member may be gone: give the client a moment to fail over rather than spin.
                    await Task.Delay(TimeSpan.FromMilliseconds(20), CancellationToken.None);
                }
            }
        }
        finally
        {
            if (zk is not null)
            {
                await zk.DisposeAsync();
            }
        }

        return history;
    }

    private async Task<ZooKeeperClient?> TryConnectAsync(string connectString, CancellationToken stop)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
            timeout.CancelAfter(OperationTimeout);
            return await ZooKeeperClient.ConnectAsync(
                new ZooKeeperClientOptions { ConnectString = connectString, SessionTimeout = SessionTimeout }, timeout.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or KeeperException or IOException)
        {
            return null;
        }
    }

    private async Task<Operation> ReadAsync(ZooKeeperClient zk, int client, string key)
    {
        var invoked = Stopwatch.GetTimestamp();
        try
        {
            using var timeout = new CancellationTokenSource(OperationTimeout);
            var (data, stat) = await zk.GetDataAsync(key, cancellationToken: timeout.Token);
            return new Operation(client, OperationKind.Read, key, invoked, Stopwatch.GetTimestamp(), Outcome.Ok,
                ResultValue: Encoding.UTF8.GetString(data ?? []), ResultVersion: stat.Version);
        }
        catch (Exception ex) when (ex is OperationCanceledException or KeeperException)
        {
            return new Operation(client, OperationKind.Read, key, invoked, Stopwatch.GetTimestamp(), Outcome.Unknown);
        }
    }

    /// <summary>A plain write (no expected version) or a compare-and-set.</summary>
    private async Task<Operation> WriteAsync(ZooKeeperClient zk, int client, string key, string value, int? expectedVersion)
    {
        var kind = expectedVersion is null ? OperationKind.Write : OperationKind.CompareAndSet;
        var invoked = Stopwatch.GetTimestamp();
        Operation Ended(Outcome outcome, int? version = null) =>
            new(client, kind, key, invoked, Stopwatch.GetTimestamp(), outcome, value, expectedVersion, ResultVersion: version);
        try
        {
            using var timeout = new CancellationTokenSource(OperationTimeout);
            var stat = await zk.SetDataAsync(key, Encoding.UTF8.GetBytes(value), expectedVersion ?? -1, timeout.Token);
            return Ended(Outcome.Ok, stat.Version);
        }
        catch (KeeperException ex) when (ex.Code == ErrorCode.BadVersion && expectedVersion is not null)
        {
            return Ended(Outcome.Failed);
        }
        catch (Exception ex) when (ex is OperationCanceledException or KeeperException)
        {
            // Connection loss, expiry, a timeout: it may have been applied, now or later.
            return Ended(Outcome.Unknown);
        }
    }
}
