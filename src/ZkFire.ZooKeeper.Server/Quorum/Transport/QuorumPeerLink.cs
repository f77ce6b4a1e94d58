using ZkFire.Interconnect;
using ZkFire.ZooKeeper.Server.Quorum.Messages;

namespace ZkFire.ZooKeeper.Server.Quorum.Transport;

/// <summary>An authenticated quorum-port link as the ZAB roles see it: the member at the other end by its myid.</summary>
internal sealed class QuorumPeerLink(AuthenticatedLink<QuorumMessage> link, long peerId) : IPeerLink
{
    public long PeerId => peerId;

    /// <summary>What may not arrive on an established quorum link: it closes the link.</summary>
    public static string? Refusal(QuorumMessage message) => message.BodyCase switch
    {
        QuorumMessage.BodyOneofCase.None => "an empty or unknown message on an established quorum link",
        QuorumMessage.BodyOneofCase.Notification => "Notification on an established quorum link",
        _ => null,
    };

    public ValueTask SendAsync(QuorumMessage message, CancellationToken cancellationToken) => link.SendAsync(message, cancellationToken);

    public ValueTask<QuorumMessage> ReceiveAsync(CancellationToken cancellationToken) => link.ReceiveAsync(cancellationToken);

    public ValueTask DisposeAsync() => link.DisposeAsync();
}
