using Microsoft.Extensions.Logging;
using ZkFire.Storage;
using ZkFire.Xmpp.Accounts;
using ZkFire.Xmpp.Addressing;
using ZkFire.Xmpp.Offline;
using ZkFire.Xmpp.Presence;
using ZkFire.Xmpp.Roster;
using ZkFire.Xmpp.Services;
using ZkFire.Xmpp.Sessions;
using ZkFire.Xmpp.Xml;

namespace ZkFire.Xmpp.Routing;

/// <summary>
/// Delivers stanzas by the rules of RFC 6120 §10 and RFC 6121 §8: what happens for the server's own address,
/// for a local account's bare JID, for a full JID that is or is not bound, and for other domains.
/// </summary>
public sealed partial class StanzaRouter
{
    private static readonly AsyncLocal<int> forwardHops = new();
    private static readonly AsyncLocal<bool> routingDirectedPresence = new();

    private readonly XmppServerOptions options;
    private readonly IXmppStore store;
    private readonly ILogger logger;

    public StanzaRouter(
        XmppServerOptions options, SessionRegistry sessions, IRemoteRoutes remote, IXmppStore store, AccountManager accounts, ILogger<StanzaRouter> logger)
    {
        this.options = options;
        this.store = store;
        this.logger = logger;
        Sessions = sessions;
        Remote = remote;
        ServerJid = Jid.Parse(options.Domain);
        Offline = new OfflineService(store.Offline, options, TimeProvider.System);
        Rosters = new RosterService(this, store.Rosters);
        Presence = new PresenceService(this, store.Rosters, Offline);
        ServerIq = new ServerIqHandler(this, accounts, options);
    }

    public Jid ServerJid { get; }

    /// <summary>The sessions bound on this node.</summary>
    public SessionRegistry Sessions { get; }

    /// <summary>The sessions other nodes of the cluster own.</summary>
    public IRemoteRoutes Remote { get; }

    internal PresenceService Presence { get; }

    internal RosterService Rosters { get; }

    internal OfflineService Offline { get; }

    internal ServerIqHandler ServerIq { get; }

    /// <summary>
    /// Handles a stanza a bound client sent: <c>from</c> is already checked and stamped with the session's full JID,
    /// <paramref name="to"/> is the parsed <c>to</c> (null when absent).
    /// </summary>
    public async ValueTask ProcessFromClientAsync(ClientSession session, Element stanza, Jid? to, CancellationToken cancellationToken)
    {
        switch (stanza.Name)
        {
            case Stanzas.Iq when to is null || to == session.Bare:
                await HandleOwnAccountIqAsync(session, stanza, cancellationToken);
                break;
            case Stanzas.Iq when to == ServerJid:
                await ServerIq.HandleAsync(stanza, session, cancellationToken);
                break;
            case Stanzas.Presence:
                await Presence.ProcessFromClientAsync(session, stanza, to, cancellationToken);
                break;
            case Stanzas.Message when to is null:
                stanza.SetAttribute("to", session.Bare.ToString());
                await RouteAsync(stanza, session.Jid, session.Bare, cancellationToken);
                break;
            default:
                await RouteAsync(stanza, session.Jid, to!, cancellationToken);
                break;
        }
    }

    /// <summary>Routes a stanza whose addresses are already stamped, wherever it came from.</summary>
    public async ValueTask RouteAsync(Element stanza, Jid from, Jid to, CancellationToken cancellationToken)
    {
        if (to.Domain != ServerJid.Domain)
        {
            // No server-to-server links: every other domain is unreachable (RFC 6120 §10.4.3).
            await BounceAsync(stanza, from, "remote-server-not-found", cancellationToken: cancellationToken);
            return;
        }

        if (to.Local is null)
        {
            await DeliverToServerAsync(stanza, from, cancellationToken);
            return;
        }

        if (!IsOnline(to.Bare) && await store.Users.GetAsync(to.Local, cancellationToken) is null)
        {
            // RFC 6121 §8.5.1: no such account.
            if (stanza.Name != Stanzas.Presence)
            {
                await BounceAsync(stanza, from, "service-unavailable", cancellationToken: cancellationToken);
            }

            return;
        }

        if (to.IsBare)
        {
            await DeliverToBareAsync(stanza, from, to, cancellationToken);
        }
        else
        {
            await DeliverToFullAsync(stanza, from, to, cancellationToken);
        }
    }

    /// <summary>Sends a stanza error back to <paramref name="from"/>, never answering an error with an error.</summary>
    public async ValueTask BounceAsync(Element stanza, Jid from, string condition, string? text = null, CancellationToken cancellationToken = default)
    {
        if (Stanzas.IsError(stanza) || (stanza.Name == Stanzas.Iq && Stanzas.Type(stanza) == "result"))
        {
            return;
        }

        await DeliverToSessionAsync(from, Stanzas.Error(stanza, condition, text), cancellationToken);
    }

    /// <summary>Hands a stanza to one bound resource, on this node or another; false when it is bound nowhere.</summary>
    public async ValueTask<bool> DeliverToSessionAsync(Jid full, Element stanza, CancellationToken cancellationToken)
    {
        if (Find(full) is not { } resource)
        {
            return false;
        }

        await resource.SendAsync(stanza, cancellationToken);
        return true;
    }

    /// <summary>Delivers to every available resource of a local account, on any node.</summary>
    public async ValueTask DeliverToAvailableAsync(Jid bare, Element stanza, CancellationToken cancellationToken)
    {
        var resources = Resources(bare);
        for (var i = 0; i < resources.Count; i++)
        {
            if (resources[i] is { Available: true } resource)
            {
                await resource.SendAsync(stanza, cancellationToken);
            }
        }
    }

    /// <summary>The bound resources of the account on every node: this node's first.</summary>
    public IReadOnlyList<IResource> Resources(Jid bare)
    {
        var local = Sessions.Resources(bare);
        var remote = Remote.Resources(bare);
        if (remote.Count == 0)
        {
            return local;
        }

        if (local.Length == 0)
        {
            return remote;
        }

        return [.. local, .. remote];
    }

    /// <summary>The resource bound to <paramref name="full"/>: this node's session, else another node's.</summary>
    public IResource? Find(Jid full) => full.IsBare ? null : (IResource?)Sessions.Find(full) ?? Remote.Find(full);

    /// <summary>Whether the account has a resource bound on any node.</summary>
    public bool IsOnline(Jid bare) => Sessions.IsOnline(bare) || Remote.Resources(bare).Count > 0;

    /// <summary>
    /// Binds a new local session. A local session holding the same full JID is replaced (newest wins, RFC 6120
    /// §7.7.2.2): it goes offline before the new one can speak and gets a <c>conflict</c> stream error. A session of
    /// another node holding it is replaced by that node when it learns of this bind.
    /// </summary>
    public async ValueTask BindAsync(ClientSession session, CancellationToken cancellationToken)
    {
        session.BindStamp = Remote.NextBindStamp();
        var replaced = Sessions.Bind(session);
        await Remote.BoundAsync(session, cancellationToken);
        if (replaced is not null)
        {
            await Presence.SessionClosedAsync(replaced, cancellationToken);
            replaced.Close("conflict", "Replaced by a new connection for the same resource.");
        }
    }

    /// <summary>Ends a local session: its contacts see it go offline (if it had not said goodbye) and other nodes forget it.</summary>
    public async ValueTask UnbindAsync(ClientSession session, CancellationToken cancellationToken)
    {
        if (Sessions.Unbind(session))
        {
            Remote.Unbound(session);
        }

        await Presence.SessionClosedAsync(session, cancellationToken);
    }

    /// <summary>
    /// Another node bound the full JID of <paramref name="local"/> later (the cluster compared the binds): the local
    /// session is replaced, as if the new bind had happened here. Its contacts see it go offline only when the new
    /// session is not available already, so that a late "unavailable" never hides the new session.
    /// </summary>
    public async ValueTask ReplacedElsewhereAsync(ClientSession local, bool replacementAvailable, CancellationToken cancellationToken)
    {
        if (!replacementAvailable)
        {
            await Presence.SessionClosedAsync(local, cancellationToken);
        }

        if (Sessions.Unbind(local))
        {
            Remote.Unbound(local);
        }

        local.SetUnavailable();
        local.Close("conflict", "Replaced by a new connection for the same resource on another node.");
    }

    /// <summary>XEP-0077 §3.2: a removed account's streams end, on every node of the cluster.</summary>
    public async ValueTask AccountRemovedAsync(Jid bare, CancellationToken cancellationToken)
    {
        CloseRemovedAccount(bare);
        await Remote.AccountRemovedAsync(bare, cancellationToken);
    }

    /// <summary>Ends the streams of this node's sessions of an account that was removed (here or on another node).</summary>
    public void CloseRemovedAccount(Jid bare)
    {
        foreach (var session in Sessions.Resources(bare))
        {
            session.Close("not-authorized", "The account was removed.");
        }
    }

    /// <summary>
    /// Resources of another node vanished without saying goodbye (their node left the cluster, or resent its sessions
    /// without them): this node's sessions that could see them get their unavailable presence, as if they had logged
    /// out. Every node does this for its own sessions only, so each contact hears it once.
    /// </summary>
    public ValueTask RemoteResourcesLostAsync(IReadOnlyCollection<IResource> lost, CancellationToken cancellationToken) =>
        lost.Count == 0 ? ValueTask.CompletedTask : Presence.ResourcesLostAsync(lost, cancellationToken);

    /// <summary>
    /// Whether the stanza being routed on this flow is directed presence a client sent (RFC 6121 §4.6): the node that
    /// hands it to its session from another node remembers the sender (<see cref="DirectedPresenceFromPeer"/>).
    /// </summary>
    public static bool RoutingDirectedPresence => routingDirectedPresence.Value;

    /// <summary>
    /// A resource of another node sent <paramref name="recipient"/> directed presence (available, or unavailable to end
    /// it): remembered so that the session hears it go offline even if its node vanishes.
    /// </summary>
    public void DirectedPresenceFromPeer(ClientSession recipient, Jid sender, bool available) =>
        recipient.TrackDirectedPresenceFrom(sender, available, options.MaxDirectedPresenceSenders);

    /// <summary>Routes directed presence a client sent, marked as such for the nodes it crosses.</summary>
    internal ValueTask RouteDirectedPresenceAsync(Element stanza, Jid from, Jid to, CancellationToken cancellationToken) =>
        RouteMarkedAsync(routingDirectedPresence, true, stanza, from, to, cancellationToken);

    /// <summary>
    /// How many nodes the stanza being routed on this flow has already crossed: a stanza another node forwarded
    /// here and that must be routed again (its session went) carries its count on, so that nodes whose routing
    /// tables briefly disagree cannot pass it back and forth.
    /// </summary>
    public static int ForwardHops => forwardHops.Value;

    /// <summary>
    /// A stanza another node routed to <paramref name="target"/>, a session of this node, after <paramref name="hops"/>
    /// forwards. If the session has gone in the meantime, the stanza is routed again by its own <c>to</c>.
    /// </summary>
    /// <param name="stanza">Reads the stanza: only needed when it must be routed again.</param>
    /// <param name="deliver">Hands the stanza, as it came, to the session.</param>
    public async ValueTask DeliverFromPeerAsync(Jid target, int hops, Func<Element> stanza, Action<ClientSession> deliver, CancellationToken cancellationToken)
    {
        if (Sessions.Find(target) is { } session)
        {
            deliver(session);
            return;
        }

        await RouteAgainAsync(stanza(), hops, cancellationToken);
    }

    /// <summary>
    /// Routes again, by its own <c>from</c> and <c>to</c>, a stanza that has already been forwarded <paramref name="hops"/>
    /// times (or was about to be) and did not reach the session it was meant for.
    /// </summary>
    public ValueTask RouteAgainAsync(Element stanza, int hops, CancellationToken cancellationToken) =>
        Jid.TryParse(stanza.GetAttribute("from"), out var from) && Jid.TryParse(stanza.GetAttribute("to"), out var to)
            ? RouteMarkedAsync(forwardHops, hops, stanza, from, to, cancellationToken)
            : ValueTask.CompletedTask;

    /// <summary>Routes with one of this flow's markers set, for whatever the routing does on the way (forwards included).</summary>
    private async ValueTask RouteMarkedAsync<T>(AsyncLocal<T> marker, T value, Element stanza, Jid from, Jid to, CancellationToken cancellationToken)
        where T : struct
    {
        var outer = marker.Value;
        marker.Value = value;
        try
        {
            await RouteAsync(stanza, from, to, cancellationToken);
        }
        finally
        {
            marker.Value = outer;
        }
    }

    private async ValueTask DeliverToServerAsync(Element stanza, Jid from, CancellationToken cancellationToken)
    {
        switch (stanza.Name)
        {
            case Stanzas.Iq:
                await ServerIq.HandleAsync(stanza, Sessions.Find(from), cancellationToken);
                break;
            case Stanzas.Message when Stanzas.Type(stanza) is null or "normal" or "chat":
                await BounceAsync(stanza, from, "service-unavailable", cancellationToken: cancellationToken);
                break;
            default:
                // Presence and other messages addressed to the server itself have nobody to reach.
                break;
        }
    }

    private async ValueTask DeliverToBareAsync(Element stanza, Jid from, Jid to, CancellationToken cancellationToken)
    {
        switch (stanza.Name)
        {
            case Stanzas.Message:
                await DeliverMessageToBareAsync(stanza, from, to, cancellationToken);
                break;
            case Stanzas.Presence:
                await Presence.ProcessInboundAsync(stanza, from, to, cancellationToken);
                break;
            default:
                await AnswerAccountIqAsync(stanza, from, to, cancellationToken);
                break;
        }
    }

    private async ValueTask DeliverToFullAsync(Element stanza, Jid from, Jid to, CancellationToken cancellationToken)
    {
        var type = Stanzas.Type(stanza);
        if (stanza.Name == Stanzas.Presence && PresenceService.IsAddressedToAccount(type))
        {
            await Presence.ProcessInboundAsync(stanza, from, to.Bare, cancellationToken);
            return;
        }

        if (await DeliverToSessionAsync(to, stanza, cancellationToken))
        {
            return;
        }

        // RFC 6121 §8.5.3.2: the resource is not bound.
        switch (stanza.Name)
        {
            case Stanzas.Message when type is null or "normal" or "chat":
                await DeliverMessageToBareAsync(stanza, from, to.Bare, cancellationToken);
                break;
            case Stanzas.Message when type == "groupchat":
            case Stanzas.Iq when type is "get" or "set":
                await BounceAsync(stanza, from, "service-unavailable", cancellationToken: cancellationToken);
                break;
            default:
                break;
        }
    }

    /// <summary>
    /// RFC 6121 §8.5.2.1.1: to every available resource of the highest non-negative priority (as Prosody and
    /// ejabberd do with equal priorities), else offline storage for normal and chat messages.
    /// </summary>
    private async ValueTask DeliverMessageToBareAsync(Element stanza, Jid from, Jid to, CancellationToken cancellationToken)
    {
        var type = Stanzas.Type(stanza);
        if (type == "groupchat")
        {
            await BounceAsync(stanza, from, "service-unavailable", cancellationToken: cancellationToken);
            return;
        }

        var resources = Resources(to);
        var best = int.MinValue;
        foreach (var resource in resources)
        {
            if (resource.Available && resource.Priority >= 0 && resource.Priority > best)
            {
                best = resource.Priority;
            }
        }

        if (best >= 0)
        {
            // By index: an enumerator held across the await would live in the state machine, allocated per message.
            for (var i = 0; i < resources.Count; i++)
            {
                if (resources[i] is { Available: true } resource && resource.Priority == best)
                {
                    await resource.SendAsync(stanza, cancellationToken);
                }
            }

            return;
        }

        if (type is "headline" or "error")
        {
            return;
        }

        if (!await Offline.StoreAsync(to, stanza, cancellationToken))
        {
            LogOfflineQuota(logger, to);
            await BounceAsync(stanza, from, "service-unavailable", "The recipient's offline storage is full.", cancellationToken);
        }
    }

    /// <summary>IQs to another user's bare JID are answered by the server on the account's behalf (RFC 6121 §8.5.2.1.3).</summary>
    private async ValueTask AnswerAccountIqAsync(Element iq, Jid from, Jid to, CancellationToken cancellationToken)
    {
        if (Stanzas.Type(iq) is not ("get" or "set"))
        {
            return;
        }

        var payload = iq.Elements().FirstOrDefault();
        var reply = (payload?.Namespace, Stanzas.Type(iq)) switch
        {
            (Namespaces.Ping, "get") => Stanzas.Result(iq),
            (Namespaces.DiscoInfo, "get") => Stanzas.Result(iq, ServerIqHandler.AccountInfo(payload!)),
            _ => Stanzas.Error(iq, "service-unavailable"),
        };
        reply.SetAttribute("from", to.ToString());
        await DeliverToSessionAsync(from, reply, cancellationToken);
    }

    private async ValueTask HandleOwnAccountIqAsync(ClientSession session, Element iq, CancellationToken cancellationToken)
    {
        var payload = iq.Elements().FirstOrDefault();
        if (payload?.Namespace == Namespaces.Roster)
        {
            await Rosters.HandleAsync(session, iq, payload, cancellationToken);
            return;
        }

        if (Stanzas.Type(iq) is "result" or "error")
        {
            // Answers to the server's own roster pushes and pings.
            return;
        }

        if (payload?.Namespace is Namespaces.Register or Namespaces.Version)
        {
            await ServerIq.HandleAsync(iq, session, cancellationToken);
            return;
        }

        await AnswerAccountIqAsync(iq, session.Jid, session.Bare, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Offline storage of {User} is full; message bounced")]
    private static partial void LogOfflineQuota(ILogger logger, Jid user);
}
