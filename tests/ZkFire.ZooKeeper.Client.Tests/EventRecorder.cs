using System.Threading.Channels;
using ZkFire.Jute;

namespace ZkFire.ZooKeeper.Client.Tests;

/// <summary>A watcher that records what it is told, for tests to await.</summary>
public sealed class EventRecorder
{
    private readonly Channel<WatchedEvent> _events = Channel.CreateUnbounded<WatchedEvent>();

    public EventRecorder() => Watcher = e =>
    {
        _events.Writer.TryWrite(e);
        return Task.CompletedTask;
    };

    public Func<WatchedEvent, Task> Watcher { get; }

    /// <summary>The next event that <paramref name="match"/> accepts; others are dropped.</summary>
    public async Task<WatchedEvent> NextAsync(Func<WatchedEvent, bool> match, CancellationToken cancellationToken)
    {
        while (true)
        {
            var e = await _events.Reader.ReadAsync(cancellationToken);
            if (match(e))
            {
                return e;
            }
        }
    }

    /// <summary>The next event about a znode (session state events skipped).</summary>
    public Task<WatchedEvent> NextNodeEventAsync(CancellationToken cancellationToken) =>
        NextAsync(e => e.Type != EventType.None, cancellationToken);

    public Task<WatchedEvent> NextStateAsync(KeeperState state, CancellationToken cancellationToken) =>
        NextAsync(e => e.Type == EventType.None && e.State == state, cancellationToken);

    /// <summary>Node events already delivered and not yet read.</summary>
    public List<WatchedEvent> DrainNodeEvents()
    {
        var list = new List<WatchedEvent>();
        while (_events.Reader.TryRead(out var e))
        {
            if (e.Type != EventType.None)
            {
                list.Add(e);
            }
        }

        return list;
    }
}
