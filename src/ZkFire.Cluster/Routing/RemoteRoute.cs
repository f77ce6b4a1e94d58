using ZkFire.Xmpp.Addressing;
using ZkFire.Xmpp.Sessions;
using ZkFire.Xmpp.Xml;

namespace ZkFire.Cluster.Routing;

/// <summary>A session another node owns, as that node last described it; immutable, replaced on every change.</summary>
internal sealed class RemoteRoute(ClusterRoutes owner, string nodeId, Jid jid, long stamp, Element? presence, int priority, bool interestedInRoster)
    : IResource
{
    public string NodeId { get; } = nodeId;

    public Jid Jid { get; } = jid;

    public long Stamp { get; } = stamp;

    public Element? Presence { get; } = presence;

    public bool Available => Presence is not null;

    public int Priority { get; } = priority;

    public bool InterestedInRoster { get; } = interestedInRoster;

    /// <summary>Forwards the stanza to the owning node, which hands it to the session.</summary>
    public ValueTask SendAsync(Element stanza, CancellationToken cancellationToken) => owner.ForwardAsync(this, stanza, cancellationToken);

    public bool IsNewerThan(long otherStamp, string otherNode) => BindClock.Compare(Stamp, NodeId, otherStamp, otherNode) > 0;
}
