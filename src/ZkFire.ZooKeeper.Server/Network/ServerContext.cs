using Microsoft.Extensions.Logging;
using ZkFire.ZooKeeper.Server.Processing;
using ZkFire.ZooKeeper.Server.Sessions;

namespace ZkFire.ZooKeeper.Server.Network;

/// <summary>
/// What the connections of one serving period share (a standalone member has one period; an ensemble member one per
/// leader it serves under). When the period ends, <see cref="Stopping"/> closes all of them.
/// </summary>
internal sealed class ServerContext(
    ZooKeeperServerOptions options,
    RequestProcessor processor,
    SessionTracker sessions,
    ServerStats stats,
    TimeProvider time,
    FourLetterWords fourLetterWords,
    ILogger logger,
    CancellationToken stopping)
{
    public ZooKeeperServerOptions Options { get; } = options;

    public RequestProcessor Processor { get; } = processor;

    public SessionTracker Sessions { get; } = sessions;

    public ServerStats Stats { get; } = stats;

    public TimeProvider Time { get; } = time;

    public ILogger Logger { get; } = logger;

    public FourLetterWords FourLetterWords { get; } = fourLetterWords;

    public CancellationToken Stopping { get; } = stopping;

    /// <summary>Queues work that must not be lost while the server runs, and is moot once it stops.</summary>
    public async ValueTask EnqueueQuietlyAsync(Work work, CancellationToken serverStopping)
    {
        try
        {
            await Processor.EnqueueAsync(work, serverStopping);
        }
        catch (OperationCanceledException)
        {
            // The server is stopping; nothing is left to tell.
        }
    }
}
