using ZkFire.Xmpp.Addressing;
using ZkFire.Xmpp.Xml;

namespace ZkFire.Xmpp.Sessions;

/// <summary>
/// A bound resource (RFC 6120 §7) and its presence state (RFC 6121 §4). Presence fields change only on the
/// session's own read loop; other sessions read them, so they are published through volatile fields.
/// </summary>
public sealed class ClientSession : IResource
{
    private readonly IStanzaSink sink;
    private readonly Lock directedLock = new();

    // Made at the first directed presence: most sessions never send one, nor receive one from another node.
    private HashSet<Jid>? directedPresence;
    private HashSet<Jid>? directedPresenceFrom;
    private volatile Element? presence;
    private volatile bool interestedInRoster;

    public ClientSession(Jid jid, IStanzaSink sink)
    {
        Jid = jid;
        this.sink = sink;
    }

    public Jid Jid { get; }

    public Jid Bare => Jid.Bare;

    /// <summary>Orders binds of the same full JID across the cluster: the greatest stamp is the newest bind and wins.</summary>
    public long BindStamp { get; internal set; }

    /// <summary>The last available presence broadcast (from stamped), null while unavailable.</summary>
    public Element? Presence => presence;

    public bool Available => presence is not null;

    /// <summary>Priority of <see cref="Presence"/>; a negative value never gets messages for the bare JID.</summary>
    public int Priority { get; private set; }

    /// <summary>True once the client asked for its roster: only such resources get roster pushes (RFC 6121 §2.1.6).</summary>
    public bool InterestedInRoster => interestedInRoster;

    public void Send(Element stanza) => sink.Send(stanza);

    public ValueTask SendAsync(Element stanza, CancellationToken cancellationToken)
    {
        Send(stanza);
        return ValueTask.CompletedTask;
    }

    public void SendSerialized(string xml) => sink.SendSerialized(xml);

    public void Close(string condition, string? text) => sink.Close(condition, text);

    internal void MarkInterestedInRoster() => interestedInRoster = true;

    internal void SetAvailable(Element stanza, int priority)
    {
        Priority = priority;
        presence = stanza;
    }

    internal void SetUnavailable()
    {
        presence = null;
        Priority = 0;
    }

    /// <summary>Remembers a directed presence so that going offline reaches that entity too (RFC 6121 §4.6.3).</summary>
    internal void TrackDirectedPresence(Jid to, bool available)
    {
        lock (directedLock)
        {
            if (available)
            {
                (directedPresence ??= []).Add(to);
            }
            else
            {
                directedPresence?.Remove(to);
            }
        }
    }

    internal Jid[] TakeDirectedPresence()
    {
        lock (directedLock)
        {
            var targets = directedPresence?.ToArray() ?? [];
            directedPresence = null;
            return targets;
        }
    }

    /// <summary>
    /// Remembers (at most <paramref name="limit"/>) the resources of other nodes that sent this session directed
    /// available presence and have not yet sent unavailable: if their node vanishes, nobody else would tell it.
    /// </summary>
    internal void TrackDirectedPresenceFrom(Jid sender, bool available, int limit)
    {
        lock (directedLock)
        {
            if (!available)
            {
                directedPresenceFrom?.Remove(sender);
            }
            else if ((directedPresenceFrom ??= []).Count < limit)
            {
                directedPresenceFrom.Add(sender);
            }
        }
    }

    /// <summary>Forgets those of <paramref name="gone"/> that sent this session directed presence, and returns them.</summary>
    internal List<Jid> ForgetDirectedPresenceFrom(IReadOnlySet<Jid> gone)
    {
        lock (directedLock)
        {
            var forgotten = directedPresenceFrom?.Where(gone.Contains).ToList() ?? [];
            directedPresenceFrom?.ExceptWith(forgotten);
            return forgotten;
        }
    }
}
