using System.Collections.Concurrent;

namespace ZkFire.Xmpp.Streams;

/// <summary>The live connections, swept by one timer for timeouts instead of a timer per connection.</summary>
internal sealed class ConnectionTracker : IAsyncDisposable
{
    private static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(1);
    private readonly ConcurrentDictionary<C2sConnection, Task> connections = new();
    private readonly CancellationTokenSource stop = new();
    private readonly Task sweeper;

    public ConnectionTracker() => sweeper = SweepAsync(stop.Token);

    public void Run(C2sConnection connection, CancellationToken stopping)
    {
        // The entry exists before the run starts, so a run that ends at once still finds it to remove.
        connections[connection] = Task.CompletedTask;
        connections.TryUpdate(connection, RunTrackedAsync(connection, stopping), Task.CompletedTask);
    }

    /// <summary>Ends every live stream with <paramref name="condition"/>.</summary>
    public void CloseAll(string condition, string text)
    {
        foreach (var connection in connections.Keys)
        {
            connection.Close(condition, text);
        }
    }

    /// <summary>Waits for every connection to finish (they were told to close by the stopping token).</summary>
    public async Task DrainAsync(TimeSpan timeout) =>
        await Task.WhenAll(connections.Values).WaitAsync(timeout).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        await sweeper.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        stop.Dispose();
    }

    private async Task RunTrackedAsync(C2sConnection connection, CancellationToken stopping)
    {
        // Off the accept loop at once; one state machine per connection instead of a Task.Run and a continuation.
        await Task.Yield();
        try
        {
            await connection.RunAsync(stopping);
        }
        finally
        {
            connections.TryRemove(connection, out _);
        }
    }

    private async Task SweepAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(SweepInterval);
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            var now = Environment.TickCount64;
            foreach (var connection in connections.Keys)
            {
                connection.CheckTimeouts(now);
            }
        }
    }
}
