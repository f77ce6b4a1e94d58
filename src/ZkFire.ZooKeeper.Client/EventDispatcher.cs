using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace ZkFire.ZooKeeper.Client;

/// <summary>Work that must happen in wire order off the socket: a watch event, or completing a request.</summary>
internal abstract class DispatchItem
{
    public abstract void Run();
}

/// <summary>
/// The one ordered queue (Java's EventThread) through which watch events are delivered and request tasks are
/// completed, so a watcher is always invoked before the task of any request whose reply came after its event.
/// Watchers are started one at a time; the dispatcher does not wait for the task a watcher returns, so a watcher
/// may await calls on the same client without deadlocking it.
/// </summary>
internal sealed partial class EventDispatcher
{
    private readonly Channel<DispatchItem> _queue =
        Channel.CreateUnbounded<DispatchItem>(new UnboundedChannelOptions { SingleReader = true });

    private readonly ILogger _logger;
    private readonly Task _loop;

    public EventDispatcher(ILogger logger)
    {
        _logger = logger;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Queues the item; once the dispatcher has stopped, runs it on the caller.</summary>
    public void Post(DispatchItem item)
    {
        if (!_queue.Writer.TryWrite(item))
        {
            item.Run();
        }
    }

    public void Post(WatchedEvent watchedEvent, IReadOnlyCollection<Func<WatchedEvent, Task>> watchers)
    {
        if (watchers.Count > 0)
        {
            Post(new EventItem(this, watchedEvent, watchers));
        }
    }

    /// <summary>Stops taking work and finishes what is queued.</summary>
    public Task CompleteAsync()
    {
        _queue.Writer.TryComplete();
        return _loop;
    }

    private async Task RunAsync()
    {
        await foreach (var item in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                item.Run();
            }
            catch (Exception ex)
            {
                LogWatcherFailed(_logger, ex);
            }
        }
    }

    private void Invoke(Func<WatchedEvent, Task> watcher, WatchedEvent watchedEvent)
    {
        try
        {
            var task = watcher(watchedEvent);
            if (!task.IsCompletedSuccessfully)
            {
                _ = task.ContinueWith(
                    static (t, state) => LogWatcherFailed(((EventDispatcher)state!)._logger, t.Exception!),
                    this,
                    CancellationToken.None,
                    TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
                    TaskScheduler.Default);
            }
        }
        catch (Exception ex)
        {
            LogWatcherFailed(_logger, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "A ZooKeeper watcher failed")]
    private static partial void LogWatcherFailed(ILogger logger, Exception exception);

    private sealed class EventItem(
        EventDispatcher dispatcher,
        WatchedEvent watchedEvent,
        IReadOnlyCollection<Func<WatchedEvent, Task>> watchers) : DispatchItem
    {
        public override void Run()
        {
            foreach (var watcher in watchers)
            {
                dispatcher.Invoke(watcher, watchedEvent);
            }
        }
    }
}
