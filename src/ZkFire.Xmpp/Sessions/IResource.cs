using ZkFire.Xmpp.Addressing;
using ZkFire.Xmpp.Xml;

namespace ZkFire.Xmpp.Sessions;

/// <summary>
/// A bound resource as the routing rules see it, wherever it is: a <see cref="ClientSession"/> of this node or a
/// session another node of the cluster owns.
/// </summary>
public interface IResource
{
    Jid Jid { get; }

    /// <summary>The last available presence broadcast (from stamped), null while unavailable.</summary>
    Element? Presence { get; }

    bool Available { get; }

    /// <summary>Priority of <see cref="Presence"/>; a negative value never gets messages for the bare JID.</summary>
    int Priority { get; }

    /// <summary>True once the client asked for its roster: only such resources get roster pushes (RFC 6121 §2.1.6).</summary>
    bool InterestedInRoster { get; }

    /// <summary>
    /// Hands a stanza to the session, queued. A local session takes it at once; a session on another node may make the
    /// caller wait, bounded, while the link to that node is congested (back-pressure on whoever sent the stanza), and
    /// answers the sender itself when the stanza cannot be handed over.
    /// </summary>
    ValueTask SendAsync(Element stanza, CancellationToken cancellationToken);
}
