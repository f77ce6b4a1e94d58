using System.Buffers;
using System.Collections.Concurrent;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using ZkFire.Cluster.Notice;
using ZkFire.Cluster.Notice.Messages;
using ZkFire.Xmpp;
using ZkFire.Xmpp.Addressing;
using ZkFire.Xmpp.Routing;
using ZkFire.Xmpp.Sessions;
using ZkFire.Xmpp.Xml;

namespace ZkFire.Cluster.Routing;

/// <summary>
/// The cluster's routing table on this node (DESIGN.md, "Routing table"): this node is authoritative for its own
/// sessions and tells every peer about each change over the notice channel, in order; it keeps what the peers tell it
/// about theirs. A peer gets a full copy of this node's sessions first on every new link, and again whenever a change
/// could not be queued for it; a node's routes are purged when it leaves the membership.
/// </summary>
/// <remarks>
/// Announcements of local sessions and full copies are taken under one lock and queued without waiting, so a peer
/// never sees a change before the copy it follows, nor a copy older than a change it already has.
/// </remarks>
public sealed partial class ClusterRoutes : IRemoteRoutes
{
    /// <summary>A stanza crosses at most this many links: its first forward, and one more if its session moved meanwhile.</summary>
    public const int MaxHops = 2;

    private const int SyncChunkRoutes = 256;

    // How long a bind or a change to available waits for the peers' acknowledgements: a peer that does not answer
    // in this time (its link is hanging) must not hold logins up for longer.
    private static readonly TimeSpan AckWait = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan ResyncRetry = TimeSpan.FromMilliseconds(200);

    // Set on the flow that applies what peers send: a stanza routed from there never waits for room in a queue, since
    // that would hold up every peer's notices behind one congested link, and two nodes each waiting on the other
    // (each queue drains only as fast as the other node reads its notices) would stall until the wait runs out.
    private static readonly AsyncLocal<bool> applyingNotices = new();

    private readonly string nodeId;
    private readonly INoticeChannel channel;
    private readonly XmlLimits limits;
    private readonly TimeSpan forwardWait;
    private readonly ILogger logger;
    private readonly RoutingTable table = new();
    private readonly BindClock clock;
    private readonly Lock announcing = new();
    private readonly ConcurrentDictionary<string, List<RemoteRoute>> partialSyncs = new(StringComparer.Ordinal);
    private HashSet<string> peers = new(StringComparer.Ordinal);
    private readonly HashSet<string> resyncDue = new(StringComparer.Ordinal);

    // Peers whose link is up (so a delta sent to them will be acknowledged), peers whose full copy has arrived, and the
    // deltas waiting for acknowledgements; all under the announcing lock.
    private readonly HashSet<string> linked = new(StringComparer.Ordinal);
    private readonly HashSet<string> copied = new(StringComparer.Ordinal);
    private readonly List<PendingAck> pendingAcks = [];
    private ulong lastSeq;
    private StanzaRouter? router;

    /// <param name="forwardWait">How long a stanza for another node's session may wait for room in that node's queue.</param>
    public ClusterRoutes(string nodeId, INoticeChannel channel, XmlLimits limits, TimeSpan forwardWait, TimeProvider time, ILogger<ClusterRoutes> logger)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(forwardWait, TimeSpan.Zero);
        this.nodeId = nodeId;
        this.channel = channel;
        this.limits = limits;
        this.forwardWait = forwardWait;
        this.logger = logger;
        clock = new BindClock(time);
    }

    private StanzaRouter Router => router ?? throw new InvalidOperationException("ClusterRoutes.Attach has not been called.");

    /// <summary>The router of this node's XMPP service, which was built over these routes.</summary>
    public void Attach(StanzaRouter xmppRouter) => router = xmppRouter;

    public IReadOnlyList<IResource> Resources(Jid bare) => table.Resources(bare);

    public IResource? Find(Jid full) => table.Find(full);

    public long NextBindStamp() => clock.Next();

    public ValueTask BoundAsync(ClientSession session, CancellationToken cancellationToken) =>
        WhenAcknowledgedAsync(Announce(session, remove: false, awaitAcks: true), cancellationToken);

    public ValueTask ChangedAsync(ClientSession session, CancellationToken cancellationToken) =>
        WhenAcknowledgedAsync(Announce(session, remove: false, awaitAcks: session.Available), cancellationToken);

    public void Unbound(ClientSession session) => Announce(session, remove: true, awaitAcks: false);

    public async ValueTask AccountRemovedAsync(Jid bare, CancellationToken cancellationToken)
    {
        var envelope = new NoticeEnvelope { AccountRemoved = new AccountRemoved { Jid = bare.ToString() } };
        List<string> members;
        lock (announcing)
        {
            members = [.. peers];
        }

        foreach (var peer in members)
        {
            if (!await QueueAsync(peer, envelope, mayWait: true, cancellationToken))
            {
                LogAccountRemovalNotSent(logger, bare, peer);
            }
        }
    }

    /// <summary>Whether a full copy of each of <paramref name="nodes"/>' sessions has arrived since its link came up.</summary>
    public bool HasCopiesFrom(IEnumerable<string> nodes)
    {
        lock (announcing)
        {
            return nodes.All(copied.Contains);
        }
    }

    /// <summary>
    /// Queues a stanza for a session another node owns, waiting (bounded) while that node's queue is full, so that a
    /// sender outpacing the link is slowed down rather than losing stanzas. A stanza that still cannot be queued is
    /// never dropped silently: if the route changed meanwhile (the node left and its routes were purged, or the
    /// session moved) it is routed again, so it meets what any gone recipient's stanza meets (a message goes to
    /// another resource or offline storage); otherwise its sender gets an error (RFC 6120 §8.3, §10.4).
    /// </summary>
    internal async ValueTask ForwardAsync(RemoteRoute route, Element stanza, CancellationToken cancellationToken)
    {
        var hops = StanzaRouter.ForwardHops + 1;
        if (hops > MaxHops)
        {
            // Routing tables that keep disagreeing about where the session is: the stanza has no way through.
            LogTooManyHops(logger, stanza.Name, route.Jid, route.NodeId);
            await BounceUndeliverableAsync(stanza, "remote-server-timeout", "The recipient's session moved between nodes while the stanza was on its way.", cancellationToken);
            return;
        }

        var envelope = new NoticeEnvelope
        {
            Stanza = new RoutedStanza
            {
                Target = route.Jid.ToString(),
                From = stanza.GetAttribute("from") ?? string.Empty,
                Xml = Serialize(stanza),
                Hops = (uint)hops,
                Presence = PresenceKindOf(stanza),
            },
        };
        if (await QueueAsync(route.NodeId, envelope, mayWait: !applyingNotices.Value, cancellationToken))
        {
            return;
        }

        if (table.Find(route.Jid) != route)
        {
            LogForwardRerouted(logger, stanza.Name, route.Jid, route.NodeId);
            await Router.RouteAgainAsync(stanza, hops, cancellationToken);
            return;
        }

        LogForwardRefused(logger, stanza.Name, route.Jid, route.NodeId);
        await BounceUndeliverableAsync(stanza, "resource-constraint", "The link to the recipient's node is congested; try again later.", cancellationToken);
    }

    private static PresenceKind PresenceKindOf(Element stanza) => stanza.Name != Stanzas.Presence
        ? PresenceKind.None
        : Stanzas.Type(stanza) switch
        {
            null when StanzaRouter.RoutingDirectedPresence => PresenceKind.Directed,
            "unavailable" => PresenceKind.Unavailable,
            _ => PresenceKind.None,
        };

    /// <summary>
    /// Queues an envelope for <paramref name="peer"/>: at once when its queue has room (no timer is made for that, the
    /// common case), else, if <paramref name="mayWait"/>, as soon as there is room within the forward wait.
    /// </summary>
    private async ValueTask<bool> QueueAsync(string peer, NoticeEnvelope envelope, bool mayWait, CancellationToken cancellationToken)
    {
        if (channel.TrySend(peer, envelope))
        {
            return true;
        }

        if (!mayWait)
        {
            return false;
        }

        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(forwardWait);
        try
        {
            return await channel.SendAsync(peer, envelope, wait.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>
    /// The error answer to a stanza that could not be handed over: to messages (but headlines, RFC 6121 §8.5.3.2.1)
    /// and requests; presence is never answered with an error here, nor is an error (RFC 6120 §8.3.1).
    /// </summary>
    private async ValueTask BounceUndeliverableAsync(Element stanza, string condition, string text, CancellationToken cancellationToken)
    {
        var type = Stanzas.Type(stanza);
        var answered = stanza.Name switch
        {
            Stanzas.Message => type != "headline",
            Stanzas.Iq => type is "get" or "set",
            _ => type == "probe",
        };
        if (answered && Jid.TryParse(stanza.GetAttribute("from"), out var from))
        {
            await Router.BounceAsync(stanza, from, condition, text, cancellationToken);
        }
    }

    /// <summary>
    /// The cluster's members changed: links follow, and every route of a node that left (or came back as a new life)
    /// is purged, its available resources reported offline to this node's sessions.
    /// </summary>
    public async ValueTask SetPeersAsync(IReadOnlyCollection<NoticePeer> members, IReadOnlySet<string> restarted, CancellationToken cancellationToken)
    {
        var next = new HashSet<string>(members.Select(p => p.NodeId), StringComparer.Ordinal);
        HashSet<string> previous;
        lock (announcing)
        {
            previous = peers;
            peers = next;
            resyncDue.IntersectWith(next);
            foreach (var gone in previous.Where(p => !next.Contains(p) || restarted.Contains(p)))
            {
                ForgetLinkLocked(gone);
            }
        }

        // Routes go before links: a stanza whose wait for a gone node's queue ends with the link then finds the
        // route changed and is routed again, instead of waiting for the same route once more.
        var purged = new List<(string Node, List<RemoteRoute> Lost)>();
        foreach (var gone in previous.Where(p => !next.Contains(p) || restarted.Contains(p)))
        {
            partialSyncs.TryRemove(gone, out _);
            purged.Add((gone, table.RemoveNode(gone)));
        }

        channel.SetPeers(members);
        foreach (var (gone, lost) in purged)
        {
            LogPurged(logger, gone, lost.Count);
            await ReportLostAsync(lost, cancellationToken);
        }
    }

    /// <summary>Applies what the notice channel reports, in order, until it completes.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        applyingNotices.Value = true;
        using var resync = new PeriodicTimer(ResyncRetry);
        var resyncTick = resync.WaitForNextTickAsync(cancellationToken).AsTask();
        var events = channel.Events;
        while (true)
        {
            var next = events.WaitToReadAsync(cancellationToken).AsTask();
            if (await Task.WhenAny(next, resyncTick) == resyncTick)
            {
                if (!await resyncTick)
                {
                    return;
                }

                RetryResyncs();
                resyncTick = resync.WaitForNextTickAsync(cancellationToken).AsTask();
            }

            if (!await next)
            {
                return;
            }

            while (events.TryRead(out var notice))
            {
                try
                {
                    await HandleAsync(notice, cancellationToken);
                }
                catch (Exception ex) when (ex is XmlStreamException or InvalidOperationException or FormatException)
                {
                    LogBadNotice(logger, notice.NodeId, ex.Message);
                }
            }
        }
    }

    private async ValueTask HandleAsync(NoticeEvent notice, CancellationToken cancellationToken)
    {
        lock (announcing)
        {
            // Still queued when its node left (or was purged for a new life): what it said then no longer counts.
            if (!peers.Contains(notice.NodeId))
            {
                return;
            }
        }

        switch (notice)
        {
            case LinkUp up:
                SendFullCopy(up.NodeId);
                break;
            case LinkDown down:
                lock (announcing)
                {
                    ForgetLinkLocked(down.NodeId);
                }

                break;
            case NoticeReceived { Envelope.BodyCase: NoticeEnvelope.BodyOneofCase.DeltaAck } received:
                Acknowledged(received.NodeId, received.Envelope.DeltaAck.Seq);
                break;
            case NoticeReceived { Envelope.BodyCase: NoticeEnvelope.BodyOneofCase.Stanza } received:
                await DeliverAsync(received.Envelope.Stanza, cancellationToken);
                break;
            case NoticeReceived { Envelope.BodyCase: NoticeEnvelope.BodyOneofCase.Delta } received:
                await ApplyDeltaAsync(received.NodeId, received.Envelope.Delta, cancellationToken);
                if (received.Envelope.Delta.Seq != 0)
                {
                    channel.TrySend(received.NodeId, new NoticeEnvelope { DeltaAck = new DeltaAck { Seq = received.Envelope.Delta.Seq } });
                }

                break;
            case NoticeReceived { Envelope.BodyCase: NoticeEnvelope.BodyOneofCase.FullSync } received:
                await ApplyFullSyncAsync(received.NodeId, received.Envelope.FullSync, cancellationToken);
                break;
            case NoticeReceived { Envelope.BodyCase: NoticeEnvelope.BodyOneofCase.AccountRemoved } received:
                var account = Jid.Parse(received.Envelope.AccountRemoved.Jid);
                if (!account.IsBare || account.Local is null)
                {
                    throw new FormatException($"'{account}' is not an account's bare JID.");
                }

                Router.CloseRemovedAccount(account);
                break;
            default:
                break;
        }
    }

    private async ValueTask DeliverAsync(RoutedStanza routed, CancellationToken cancellationToken)
    {
        var target = Jid.Parse(routed.Target);
        var xml = routed.Xml;
        var directedFrom = routed.Presence != PresenceKind.None && Jid.TryParse(routed.From, out var sender) && !sender.IsBare ? sender : null;
        await Router.DeliverFromPeerAsync(
            target,
            (int)routed.Hops,
            () => XmlFragment.Parse(xml.Span, Namespaces.Client, limits),
            session =>
            {
                session.SendSerialized(xml.ToStringUtf8());
                if (directedFrom is not null)
                {
                    Router.DirectedPresenceFromPeer(session, directedFrom, routed.Presence == PresenceKind.Directed);
                }
            },
            cancellationToken);
    }

    private async ValueTask ApplyDeltaAsync(string from, SessionDelta delta, CancellationToken cancellationToken)
    {
        switch (delta.ChangeCase)
        {
            case SessionDelta.ChangeOneofCase.Upsert:
                var route = ToRemote(from, delta.Upsert);
                table.Upsert(route);
                await ResolveConflictAsync(route, cancellationToken);
                break;
            case SessionDelta.ChangeOneofCase.Remove:
                table.Remove(from, Jid.Parse(delta.Remove.Jid), delta.Remove.Stamp);
                break;
            default:
                break;
        }
    }

    private async ValueTask ApplyFullSyncAsync(string from, FullSync sync, CancellationToken cancellationToken)
    {
        if (sync.First)
        {
            partialSyncs[from] = [];
        }

        if (!partialSyncs.TryGetValue(from, out var routes))
        {
            // The start of this copy was never seen (a copy interrupted by a newer one): wait for the next.
            return;
        }

        routes.AddRange(sync.Routes.Select(r => ToRemote(from, r)));
        if (!sync.Last)
        {
            return;
        }

        partialSyncs.TryRemove(from, out _);
        var lost = table.ReplaceNode(from, routes);
        lock (announcing)
        {
            copied.Add(from);
        }

        LogSynced(logger, from, routes.Count);
        await ReportLostAsync(lost, cancellationToken);
        foreach (var route in routes)
        {
            await ResolveConflictAsync(route, cancellationToken);
        }
    }

    /// <summary>Newest bind wins: a local session holding a full JID another node bound later is replaced.</summary>
    private async ValueTask ResolveConflictAsync(RemoteRoute route, CancellationToken cancellationToken)
    {
        if (Router.Sessions.Find(route.Jid) is { } local && route.IsNewerThan(local.BindStamp, nodeId))
        {
            LogReplacedElsewhere(logger, route.Jid, route.NodeId);
            await Router.ReplacedElsewhereAsync(local, route.Available, cancellationToken);
        }
    }

    private ValueTask ReportLostAsync(List<RemoteRoute> lost, CancellationToken cancellationToken) =>
        Router.RemoteResourcesLostAsync(lost, cancellationToken);

    private RemoteRoute ToRemote(string from, Route route)
    {
        clock.Observe(route.Stamp);
        var presence = route.Available ? XmlFragment.Parse(route.Presence.Span, Namespaces.Client, limits) : null;
        return new RemoteRoute(this, from, Jid.Parse(route.Jid), route.Stamp, presence, route.Priority, route.RosterInterest);
    }

    private static Route ToRoute(ClientSession session)
    {
        var route = new Route
        {
            Jid = session.Jid.ToString(),
            Stamp = session.BindStamp,
            Priority = session.Priority,
            RosterInterest = session.InterestedInRoster,
        };
        if (session.Presence is { } presence)
        {
            route.Available = true;
            route.Presence = Serialize(presence);
        }

        return route;
    }

    /// <summary>A stanza as it travels between nodes: UTF-8, in a client stream's default namespace.</summary>
    private static ByteString Serialize(Element stanza)
    {
        var xml = new ArrayBufferWriter<byte>(256);
        stanza.WriteTo(xml, Namespaces.Client);
        return UnsafeByteOperations.UnsafeWrap(xml.WrittenMemory);
    }

    /// <summary>Tells every peer about a change to a local session; with <paramref name="awaitAcks"/>, returns what completes once the linked peers applied it.</summary>
    private Task? Announce(ClientSession session, bool remove, bool awaitAcks)
    {
        lock (announcing)
        {
            // A change that lost the race with the session's end must not resurrect it on the peers.
            if (!remove && Router.Sessions.Find(session.Jid) != session)
            {
                return null;
            }

            var delta = remove
                ? new SessionDelta { Remove = new RouteRemoval { Jid = session.Jid.ToString(), Stamp = session.BindStamp } }
                : new SessionDelta { Upsert = ToRoute(session) };
            var waitFor = awaitAcks ? new HashSet<string>(StringComparer.Ordinal) : null;
            if (waitFor is not null)
            {
                delta.Seq = ++lastSeq;
            }

            var envelope = new NoticeEnvelope { Delta = delta };
            foreach (var peer in peers)
            {
                if (resyncDue.Contains(peer))
                {
                    continue;
                }

                if (!channel.TrySend(peer, envelope))
                {
                    // Its queue is full: later changes would leave a gap, so the peer gets a full copy instead once
                    // there is room.
                    resyncDue.Add(peer);
                    LogResyncDue(logger, peer);
                }
                else if (linked.Contains(peer))
                {
                    waitFor?.Add(peer);
                }
            }

            if (waitFor is not { Count: > 0 })
            {
                return null;
            }

            var pending = new PendingAck(delta.Seq, waitFor);
            pendingAcks.Add(pending);
            return pending.Done.Task;
        }
    }

    private async ValueTask WhenAcknowledgedAsync(Task? acknowledged, CancellationToken cancellationToken)
    {
        if (acknowledged is null)
        {
            return;
        }

        try
        {
            await acknowledged.WaitAsync(AckWait, cancellationToken);
        }
        catch (TimeoutException)
        {
            LogAckTimeout(logger, AckWait);
        }
    }

    private void Acknowledged(string peer, ulong seq)
    {
        lock (announcing)
        {
            pendingAcks.RemoveAll(pending => pending.Seq <= seq && pending.Release(peer));
        }
    }

    /// <summary>A peer whose link is down acknowledges nothing more: nobody waits for it, and its next link starts with copies.</summary>
    private void ForgetLinkLocked(string peer)
    {
        linked.Remove(peer);
        copied.Remove(peer);
        pendingAcks.RemoveAll(pending => pending.Release(peer));
    }

    private void SendFullCopy(string peer)
    {
        lock (announcing)
        {
            if (!peers.Contains(peer))
            {
                return;
            }

            linked.Add(peer);
            resyncDue.Remove(peer);
            if (!TrySendFullCopyLocked(peer))
            {
                resyncDue.Add(peer);
            }
        }
    }

    private void RetryResyncs()
    {
        lock (announcing)
        {
            foreach (var peer in resyncDue.ToList())
            {
                if (TrySendFullCopyLocked(peer))
                {
                    resyncDue.Remove(peer);
                }
            }
        }
    }

    private bool TrySendFullCopyLocked(string peer)
    {
        var chunk = new FullSync { First = true };
        foreach (var session in Router.Sessions.All())
        {
            chunk.Routes.Add(ToRoute(session));
            if (chunk.Routes.Count == SyncChunkRoutes)
            {
                if (!channel.TrySend(peer, new NoticeEnvelope { FullSync = chunk }))
                {
                    return false;
                }

                chunk = new FullSync();
            }
        }

        chunk.Last = true;
        return channel.TrySend(peer, new NoticeEnvelope { FullSync = chunk });
    }

    /// <summary>A delta waiting for the acknowledgements of some peers.</summary>
    private sealed class PendingAck(ulong seq, HashSet<string> peers)
    {
        public ulong Seq { get; } = seq;

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>The peer has it (or will never answer); true once no peer is left to wait for.</summary>
        public bool Release(string peer)
        {
            if (peers.Remove(peer) && peers.Count == 0)
            {
                Done.TrySetResult();
                return true;
            }

            return peers.Count == 0;
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Cluster: a peer did not acknowledge a session change within {Wait}; going on")]
    private static partial void LogAckTimeout(ILogger logger, TimeSpan wait);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cluster: {Node} left or restarted; purged its {Count} routes")]
    private static partial void LogPurged(ILogger logger, string node, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cluster: received {Count} routes from {Node}")]
    private static partial void LogSynced(ILogger logger, string node, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cluster: {Jid} was bound again on {Node}; the session here is replaced")]
    private static partial void LogReplacedElsewhere(ILogger logger, Jid jid, string node);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cluster: the notice queue to {Node} is full; it will get a full copy of this node's sessions")]
    private static partial void LogResyncDue(ILogger logger, string node);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cluster: the notice queue to {Node} stayed full; a {Stanza} stanza for {Jid} was not forwarded (its sender gets an error)")]
    private static partial void LogForwardRefused(ILogger logger, string stanza, Jid jid, string node);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cluster: a {Stanza} stanza for {Jid} could not be queued for {Node}, whose route changed meanwhile; routing it again")]
    private static partial void LogForwardRerouted(ILogger logger, string stanza, Jid jid, string node);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cluster: a {Stanza} stanza for {Jid} on {Node} was not forwarded: it has already crossed the most links allowed (its sender gets an error)")]
    private static partial void LogTooManyHops(ILogger logger, string stanza, Jid jid, string node);

    [LoggerMessage(Level = LogLevel.Error, Message = "Cluster: could not tell {Node} that {Jid} was removed (its notice queue stayed full); the account's sessions there stay up until they log out")]
    private static partial void LogAccountRemovalNotSent(ILogger logger, Jid jid, string node);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cluster: ignored a notice from {Node} that cannot be read: {Reason}")]
    private static partial void LogBadNotice(ILogger logger, string node, string reason);
}
