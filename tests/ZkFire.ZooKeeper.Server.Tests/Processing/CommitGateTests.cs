using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using ZkFire.Jute;
using ZkFire.ZooKeeper.Server.Persistence;
using ZkFire.ZooKeeper.Server.Processing;

namespace ZkFire.ZooKeeper.Server.Tests.Processing;

public sealed class CommitGateTests : IAsyncLifetime
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
    public void With_nothing_uncommitted_outputs_go_out_at_once()
    {
        var channel = new RecordingChannel(log);
        var gate = new CommitGate(0);

        gate.Send(new Output(channel, [1]));

        Assert.Equal([(1, 0L)], channel.Released);
    }

    [Fact]
    public void Outputs_wait_for_the_commit_of_what_was_appended_before_them_and_keep_their_order()
    {
        var channel = new RecordingChannel(log);
        var gate = new CommitGate(0);

        gate.Appended(1);
        gate.Send(new Output(channel, [1]));
        gate.Appended(2);
        gate.Send(new Output(channel, [2]));
        Assert.Empty(channel.Released);

        gate.CommitThrough(1);
        Assert.Equal([1], channel.Released.Select(r => r.Frame));

        // Produced after everything committed so far, but behind a held output: it must not overtake it.
        gate.Send(new Output(channel, [3]));
        Assert.Equal([1], channel.Released.Select(r => r.Frame));

        gate.CommitThrough(2);
        Assert.Equal([1, 2, 3], channel.Released.Select(r => r.Frame));
    }

    [Fact]
    public async Task WhenCommitted_completes_once_the_commit_reaches_the_zxid()
    {
        var gate = new CommitGate(5);
        Assert.True(gate.WhenCommitted(5).IsCompleted);

        var waiting = gate.WhenCommitted(7);
        gate.CommitThrough(6);
        Assert.False(waiting.IsCompleted);
        gate.CommitThrough(8);
        await waiting.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task The_flusher_reports_what_it_made_durable_so_outputs_see_their_appends_on_disk()
    {
        var channel = new RecordingChannel(log);
        var gate = new CommitGate(0);
        var flusher = new LogFlusher(log, gate.CommitThrough, _ => { }, NullLogger.Instance);
        using var stop = new CancellationTokenSource();

        log.Append(1, [1, 2, 3]);
        flusher.Appended();
        gate.Appended(1);
        gate.Send(new Output(channel, [1]));
        log.Append(2, [4]);
        flusher.Appended();
        gate.Appended(2);
        gate.Send(new Output(channel, [2]));
        Assert.Empty(channel.Released);

        var flushing = flusher.RunAsync(stop.Token);
        await flusher.WhenFlushed(2).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(await Support.Wire.EventuallyAsync(() => Task.FromResult(channel.Released.Count == 2), TimeSpan.FromSeconds(5)));
        await stop.CancelAsync();
        await flushing;

        Assert.Equal([1, 2], channel.Released.Select(r => r.Frame));
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
