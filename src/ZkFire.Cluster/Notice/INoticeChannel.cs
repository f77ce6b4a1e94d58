using System.Net;
using System.Threading.Channels;
using ZkFire.Cluster.Notice.Messages;

namespace ZkFire.Cluster.Notice;

/// <summary>
/// The links between the nodes of a cluster: one ordered, authenticated connection per pair of nodes (the node
/// whose id sorts first dials), reconnected with backoff, with a bounded queue per peer. Envelopes to one peer arrive
/// in the order they were queued, across reconnects; nothing arrives from a node that is not a current peer or that
/// failed to authenticate.
/// </summary>
public interface INoticeChannel : IAsyncDisposable
{
    /// <summary>Where this node's notice port listens (bound by <see cref="StartAsync"/>).</summary>
    IPEndPoint LocalEndPoint { get; }

    /// <summary>Envelopes from peers and link changes, in the order they happened (per peer).</summary>
    ChannelReader<NoticeEvent> Events { get; }

    Task StartAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The nodes to link with (the cluster's members other than this one). A node no longer listed has its link
    /// closed and its queue dropped; a listed node whose incarnation changed is a new life: its old link is closed.
    /// </summary>
    void SetPeers(IReadOnlyCollection<NoticePeer> peers);

    /// <summary>
    /// Queues an envelope without waiting; false when the peer is unknown, its queue is full, or the envelope is
    /// larger than the largest notice message (it could never be sent).
    /// </summary>
    bool TrySend(string nodeId, NoticeEnvelope envelope);

    /// <summary>
    /// Queues an envelope, waiting while the peer's queue is full (back-pressure); false when the peer is unknown or
    /// leaves, or the envelope is larger than the largest notice message.
    /// </summary>
    ValueTask<bool> SendAsync(string nodeId, NoticeEnvelope envelope, CancellationToken cancellationToken);
}

/// <summary>A node to link with, as its membership registration describes it.</summary>
public sealed record NoticePeer(string NodeId, string Host, int Port, long Incarnation);

public abstract record NoticeEvent(string NodeId);

/// <summary>A link to the node is up; what is queued from now on flows. The first thing to send is a full sync.</summary>
public sealed record LinkUp(string NodeId) : NoticeEvent(NodeId);

/// <summary>The link to the node dropped; it is being re-established while the node remains a peer.</summary>
public sealed record LinkDown(string NodeId, string Reason) : NoticeEvent(NodeId);

/// <summary>An envelope the node sent (never a ping or pong: those are the channel's own).</summary>
public sealed record NoticeReceived(string NodeId, NoticeEnvelope Envelope) : NoticeEvent(NodeId);
