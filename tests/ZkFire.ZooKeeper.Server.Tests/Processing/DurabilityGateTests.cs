using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using ZkFire.Jute;
using ZkFire.ZooKeeper.Server.Persistence;
using ZkFire.ZooKeeper.Server.Processing;

namespace ZkFire.ZooKeeper.Server.Tests.Processing;

public sealed class DurabilityGateTests : IAsyncLifetime
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), "zkfire-gate-" + Guid.NewGuid().ToString("N"));
    private TransactionLog log = null!;

    public Task InitializeAsync()
    {
        log = TransactionLog.Open(directory, forceSync: true, NullLogger.Instance);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await log.DisposeAsync();
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public void With_nothing_unflushed_outputs_go_out_at_once()
    {
        var channel = new RecordingChannel(log);
        var gate = new DurabilityGate(log, _ => { }, NullLogger.Instance);

        gate.Send(new Output(channel, [1]));

        Assert.Equal([(1, 0L)], channel.Released);
    }

    [Fact]
    public async Task Outputs_after_an_append_wait_for_the_flush_and_keep_their_order()
    {
        var channel = new RecordingChannel(log);
        var gate = new DurabilityGate(log, _ => { }, NullLogger.Instance);
        using var stop = new CancellationTokenSource();

        log.Append(1, [1, 2, 3]);
        gate.Appended();
        gate.Send(new Output(channel, [1]));
        log.Append(2, [4]);
        gate.Appended();
        gate.Send(new Output(channel, [2]));
        Assert.Empty(channel.Released);

        var flusher = gate.RunAsync(stop.Token);
        Assert.True(await Support.Wire.EventuallyAsync(() => Task.FromResult(channel.Released.Count == 2), TimeSpan.FromSeconds(5)));
        gate.Send(new Output(channel, [3]));
        await stop.CancelAsync();
        await flusher;

        // Each output saw its append durable when it went out; the last one, produced once all was flushed, at once.
        Assert.Equal([1, 2, 3], channel.Released.Select(r => r.Frame));
        Assert.True(channel.Released[0].FlushedZxid >= 1);
        Assert.True(channel.Released[1].FlushedZxid >= 2);
    }

    private sealed class RecordingChannel(TransactionLog log) : IClientChannel
    {
        public List<(byte Frame, long FlushedZxid)> Released { get; } = [];

        public long SessionId => 1;

        public IPAddress RemoteAddress => IPAddress.Loopback;

        public int SessionTimeout => 30_000;

        public List<Id> AuthIds { get; } = [];

        public void AttachSession(long sessionId, int timeout)
        {
        }

        public void Send(byte[] frame)
        {
            lock (Released)
            {
                Released.Add((frame[0], log.FlushedZxid));
            }
        }

        public void Close()
        {
        }

        public void RecordReply(int xid, long zxid, OpCode type, long latencyMilliseconds)
        {
        }
    }
}
