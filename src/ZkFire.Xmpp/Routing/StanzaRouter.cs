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
    private readonly XmppServerOptions options;
    private readonly IXmppStore store;
    private readonly ILogger logger;

    public StanzaRouter(XmppServerOptions options, SessionRegistry sessions, IXmppStore store, AccountManager accounts, ILogger<StanzaRouter> logger)
    {
        this.options = options;
        this.store = store;
        this.logger = logger;
        Sessions = sessions;
        ServerJid = Jid.Parse(options.Domain);
        Offline = new OfflineService(store.Offline, options, TimeProvider.System);
        Rosters = new RosterService(this, store.Rosters);
        Presence = new PresenceService(this, store.Rosters, Offline);
        ServerIq = new ServerIqHandler(this, accounts, options);
    }

    public Jid ServerJid { get; }

    public SessionRegistry Sessions { get; }

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
            Bounce(stanza, from, "remote-server-not-found");
            return;
        }

        if (to.Local is null)
        {
            await DeliverToServerAsync(stanza, from, cancellationToken);
            return;
        }

        if (!Sessions.IsOnline(to.Bare) && await store.Users.GetAsync(to.Local, cancellationToken) is null)
        {
            // RFC 6121 §8.5.1: no such account.
            if (stanza.Name != Stanzas.Presence)
            {
                Bounce(stanza, from, "service-unavailable");
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
    public void Bounce(Element stanza, Jid from, string condition, string? text = null)
    {
        if (Stanzas.IsError(stanza) || (stanza.Name == Stanzas.Iq && Stanzas.Type(stanza) == "result"))
        {
            return;
        }

        DeliverToSession(from, Stanzas.Error(stanza, condition, text));
    }

    /// <summary>Hands a stanza to one bound resource if it is here; false when it is not.</summary>
    public bool DeliverToSession(Jid full, Element stanza)
    {
        if (full.IsBare || Sessions.Find(full) is not { } session)
        {
            return false;
        }

        session.Send(stanza);
        return true;
    }

    /// <summary>Delivers to every available resource of a local account; returns how many got it.</summary>
    public int DeliverToAvailable(Jid bare, Element stanza)
    {
        var delivered = 0;
        foreach (var session in Sessions.Resources(bare))
        {
            if (session.Available)
            {
                session.Send(stanza);
                delivered++;
            }
        }

        return delivered;
    }

    private async ValueTask DeliverToServerAsync(Element stanza, Jid from, CancellationToken cancellationToken)
    {
        switch (stanza.Name)
        {
            case Stanzas.Iq:
                await ServerIq.HandleAsync(stanza, Sessions.Find(from), cancellationToken);
                break;
            case Stanzas.Message when Stanzas.Type(stanza) is null or "normal" or "chat":
                Bounce(stanza, from, "service-unavailable");
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
                AnswerAccountIq(stanza, from, to);
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

        if (DeliverToSession(to, stanza))
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
                Bounce(stanza, from, "service-unavailable");
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
            Bounce(stanza, from, "service-unavailable");
            return;
        }

        var resources = Sessions.Resources(to);
        var best = int.MinValue;
        foreach (var session in resources)
        {
            if (session.Available && session.Priority >= 0 && session.Priority > best)
            {
                best = session.Priority;
            }
        }

        if (best >= 0)
        {
            foreach (var session in resources)
            {
                if (session.Available && session.Priority == best)
                {
                    session.Send(stanza);
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
            Bounce(stanza, from, "service-unavailable", "The recipient's offline storage is full.");
        }
    }

    /// <summary>IQs to another user's bare JID are answered by the server on the account's behalf (RFC 6121 §8.5.2.1.3).</summary>
    private void AnswerAccountIq(Element iq, Jid from, Jid to)
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
        DeliverToSession(from, reply);
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

        AnswerAccountIq(iq, session.Jid, session.Bare);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Offline storage of {User} is full; message bounced")]
    private static partial void LogOfflineQuota(ILogger logger, Jid user);
}
