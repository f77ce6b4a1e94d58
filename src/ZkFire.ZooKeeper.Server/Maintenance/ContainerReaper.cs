using Microsoft.Extensions.Logging;
using ZkFire.ZooKeeper.Server.Data;
using ZkFire.ZooKeeper.Server.Processing;

namespace ZkFire.ZooKeeper.Server.Maintenance;

/// <summary>
/// ZooKeeper's ContainerManager: every znode.container.checkIntervalMs, empty containers that have had a child
/// (cversion above 0, so a container just created is not reaped before its first child arrives) and TTL znodes
/// without children that went unmodified for their TTL are deleted, through the request thread like any write,
/// at most znode.container.maxPerMinute of them a minute.
/// </summary>
internal sealed partial class ContainerReaper(
    RequestProcessor processor,
    DataTree tree,
    ZooKeeperServerOptions options,
    TimeProvider time,
    ILogger logger)
{
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(options.ContainerCheckInterval, time);
        var spacing = TimeSpan.FromMinutes(1) / Math.Max(1, options.ContainerMaxPerMinute);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                var candidates = await processor.InspectAsync(Candidates, cancellationToken);
                foreach (var path in candidates)
                {
                    var started = time.GetTimestamp();
                    await processor.EnqueueAsync(new DeleteContainerWork(path), cancellationToken);
                    var wait = spacing - time.GetElapsedTime(started);
                    if (wait > TimeSpan.Zero)
                    {
                        await Task.Delay(wait, time, cancellationToken);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Runs on the request thread.</summary>
    private List<string> Candidates()
    {
        var candidates = new List<string>();
        foreach (var path in tree.ContainerPaths)
        {
            if (tree.Get(path) is { } node && node.ChildCount == 0 && node.Stat.Cversion > 0)
            {
                candidates.Add(path);
            }
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (var path in tree.TtlPaths)
        {
            if (tree.Get(path) is { } node && node.ChildCount == 0
                && EphemeralOwner.TtlOf(node.Stat.EphemeralOwner) is var ttl and not 0 && now - node.Stat.Mtime > ttl)
            {
                candidates.Add(path);
            }
        }

        if (candidates.Count > 0)
        {
            LogCandidates(logger, candidates.Count);
        }

        return candidates;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Count} containers or TTL znodes to delete")]
    private static partial void LogCandidates(ILogger logger, int count);
}
