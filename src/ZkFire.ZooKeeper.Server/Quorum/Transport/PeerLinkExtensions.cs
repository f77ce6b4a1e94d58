using ZkFire.ZooKeeper.Server.Quorum.Messages;

namespace ZkFire.ZooKeeper.Server.Quorum.Transport;

internal static class PeerLinkExtensions
{
    /// <summary>
    /// The next message, which must come within <paramref name="timeout"/> (initLimit while syncing, syncLimit after):
    /// a silent peer is as good as gone.
    /// </summary>
    /// <exception cref="TimeoutException">Nothing arrived in time.</exception>
    /// <exception cref="IOException">The link closed.</exception>
    public static async Task<QuorumMessage> ReceiveWithinAsync(this IPeerLink link, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            return await link.ReceiveAsync(limit.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"Member {link.PeerId} said nothing for {timeout.TotalMilliseconds:0} ms.");
        }
    }
}
