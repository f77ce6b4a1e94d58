using System.Globalization;
using ZkFire.Storage;
using ZkFire.Xmpp.Addressing;
using ZkFire.Xmpp.Offline;
using ZkFire.Xmpp.Roster;
using ZkFire.Xmpp.Routing;
using ZkFire.Xmpp.Sessions;
using ZkFire.Xmpp.Xml;

namespace ZkFire.Xmpp.Presence;

/// <summary>
/// Presence broadcast, probes, directed presence (RFC 6121 §4) and the subscription handshake (§3), driven by
/// <see cref="SubscriptionStateMachine"/>.
/// </summary>
internal sealed class PresenceService(StanzaRouter router, IRosterStore rosters, OfflineService offline)
{
    private readonly RosterItemLocks itemLocks = new();

    /// <summary>Presence types handled by the account rather than a resource, even when sent to a full JID.</summary>
    public static bool IsAddressedToAccount(string? type) =>
        type is "subscribe" or "subscribed" or "unsubscribe" or "unsubscribed" or "probe";

    public async ValueTask ProcessFromClientAsync(ClientSession session, Element stanza, Jid? to, CancellationToken cancellationToken)
    {
        var type = Stanzas.Type(stanza);
        if (ParseRequest(type) is { } request)
        {
            if (to is not null)
            {
                await OutboundSubscriptionAsync(session.Bare, to.Bare, stanza, request, cancellationToken);
            }

            return;
        }

        if (to is null)
        {
            switch (type)
            {
                case null:
                    await BroadcastAvailableAsync(session, stanza, cancellationToken);
                    break;
                case "unavailable":
                    await BroadcastUnavailableAsync(session, stanza, cancellationToken);
                    break;
                default:
                    // A probe or error with no target means nothing (RFC 6121 §4.3: probes are the server's).
                    break;
            }

            return;
        }

        if (type is null or "unavailable")
        {
            // Directed presence (RFC 6121 §4.6): remember it so that going offline reaches the target too.
            session.TrackDirectedPresence(to, type is null);
            await router.RouteDirectedPresenceAsync(stanza, session.Jid, to, cancellationToken);
            return;
        }

        await router.RouteAsync(stanza, session.Jid, to, cancellationToken);
    }

    /// <summary>A presence stanza for a local account's bare JID (or a subscription stanza for any of its JIDs).</summary>
    public async ValueTask ProcessInboundAsync(Element stanza, Jid from, Jid user, CancellationToken cancellationToken)
    {
        var type = Stanzas.Type(stanza);
        if (ParseRequest(type) is { } request)
        {
            await InboundSubscriptionAsync(user, from.Bare, request, stanza, cancellationToken);
        }
        else if (type == "probe")
        {
            await AnswerProbeAsync(user, from, cancellationToken);
        }
        else
        {
            await router.DeliverToAvailableAsync(user, stanza, cancellationToken);
        }
    }

    /// <summary>Called when a session ends without having said goodbye: its contacts see it go offline.</summary>
    public ValueTask SessionClosedAsync(ClientSession session, CancellationToken cancellationToken) =>
        session.Available
            ? BroadcastUnavailableAsync(session, Stanzas.Create(Stanzas.Presence, "unavailable", null, null), cancellationToken)
            : ValueTask.CompletedTask;

    /// <summary>
    /// Tells this node's sessions that could see the <paramref name="lost"/> resources that they went offline: every
    /// session one of them had sent directed presence to (RFC 6121 §4.6.3), and for each that was available, the
    /// account's own sessions and its subscribed contacts'; see <see cref="StanzaRouter.RemoteResourcesLostAsync"/>.
    /// </summary>
    public async ValueTask ResourcesLostAsync(IReadOnlyCollection<IResource> lost, CancellationToken cancellationToken)
    {
        var gone = lost.Select(resource => resource.Jid).ToHashSet();
        var told = new HashSet<(ClientSession Session, Jid Lost)>();
        foreach (var session in router.Sessions.All())
        {
            foreach (var sender in session.ForgetDirectedPresenceFrom(gone))
            {
                session.Send(Stanzas.Create(Stanzas.Presence, "unavailable", sender, session.Jid));
                told.Add((session, sender));
            }
        }

        foreach (var resource in lost)
        {
            if (resource.Available)
            {
                await ResourceLostAsync(resource.Jid, told, cancellationToken);
            }
        }
    }

    private async ValueTask ResourceLostAsync(Jid lost, HashSet<(ClientSession Session, Jid Lost)> told, CancellationToken cancellationToken)
    {
        var unavailable = Stanzas.Create(Stanzas.Presence, "unavailable", lost, null);
        DeliverToLocalAvailable(lost.Bare, lost, unavailable, told);
        foreach (var item in await rosters.GetAllAsync(lost.Local!, cancellationToken))
        {
            if (RosterService.StateOf(item).SendsPresenceTo && Jid.TryParse(item.Contact, out var contact))
            {
                DeliverToLocalAvailable(contact.Bare, lost, unavailable, told);
            }
        }
    }

    /// <summary>Delivers <paramref name="lost"/>'s unavailable presence to the account's available sessions here that were not told yet.</summary>
    private void DeliverToLocalAvailable(Jid bare, Jid lost, Element stanza, HashSet<(ClientSession Session, Jid Lost)> told)
    {
        foreach (var session in router.Sessions.Resources(bare))
        {
            if (session.Available && !told.Contains((session, lost)))
            {
                session.Send(WithTo(stanza, bare));
            }
        }
    }

    /// <summary>Routes a subscription stanza the server sends for the user (roster removal, auto-replies).</summary>
    public async ValueTask SendSubscriptionAsync(Jid user, Jid contact, SubscriptionRequest request, CancellationToken cancellationToken)
    {
        var stanza = Stanzas.Create(Stanzas.Presence, TypeName(request), user, contact);
        await router.RouteAsync(stanza, user, contact, cancellationToken);
        if (request == SubscriptionRequest.Unsubscribed)
        {
            // The contact no longer may see the user: it must see the user go offline (RFC 6121 §3.2.2).
            await SendPresenceOfResourcesAsync(user, contact, available: false, cancellationToken);
        }
    }

    private async ValueTask BroadcastAvailableAsync(ClientSession session, Element stanza, CancellationToken cancellationToken)
    {
        var initial = !session.Available;
        session.SetAvailable(stanza, ParsePriority(stanza));
        await router.Remote.ChangedAsync(session, cancellationToken);
        var items = await rosters.GetAllAsync(session.Bare.Local!, cancellationToken);

        foreach (var item in items)
        {
            if (RosterService.StateOf(item).SendsPresenceTo && Jid.TryParse(item.Contact, out var contact))
            {
                await SendToContactAsync(stanza, session.Jid, contact, cancellationToken);
            }
        }

        // RFC 6121 §4.2.2: the user's own available resources, the sender included, see the new presence.
        await router.DeliverToAvailableAsync(session.Bare, WithTo(stanza, session.Bare), cancellationToken);
        if (!initial)
        {
            return;
        }

        foreach (var other in router.Resources(session.Bare))
        {
            if (other != session && other.Presence is { } presence)
            {
                session.Send(WithTo(presence, session.Jid));
            }
        }

        foreach (var item in items)
        {
            if (!Jid.TryParse(item.Contact, out var contact))
            {
                continue;
            }

            if (RosterService.StateOf(item).ReceivesPresenceFrom)
            {
                var probe = Stanzas.Create(Stanzas.Presence, "probe", session.Jid, contact);
                await router.RouteAsync(probe, session.Jid, contact, cancellationToken);
            }

            if (item.PendingIn)
            {
                // RFC 6121 §3.1.3: a request that arrived while the user was offline is delivered now.
                session.Send(Stanzas.Create(Stanzas.Presence, "subscribe", contact, session.Bare));
            }
        }

        if (session.Priority >= 0)
        {
            await offline.DeliverAsync(session, cancellationToken);
        }
    }

    private async ValueTask BroadcastUnavailableAsync(ClientSession session, Element stanza, CancellationToken cancellationToken)
    {
        var wasAvailable = session.Available;
        session.SetUnavailable();
        if (wasAvailable)
        {
            await router.Remote.ChangedAsync(session, cancellationToken);
        }

        stanza.SetAttribute("from", session.Jid.ToString());
        var directed = session.TakeDirectedPresence();
        var reached = new HashSet<Jid>();
        if (wasAvailable)
        {
            foreach (var item in await rosters.GetAllAsync(session.Bare.Local!, cancellationToken))
            {
                if (RosterService.StateOf(item).SendsPresenceTo && Jid.TryParse(item.Contact, out var contact))
                {
                    reached.Add(contact);
                    await SendToContactAsync(stanza, session.Jid, contact, cancellationToken);
                }
            }

            await router.DeliverToAvailableAsync(session.Bare, WithTo(stanza, session.Bare), cancellationToken);
            session.Send(WithTo(stanza, session.Jid));
        }

        foreach (var target in directed)
        {
            if (!reached.Contains(target.Bare))
            {
                await SendToContactAsync(stanza, session.Jid, target, cancellationToken);
            }
        }
    }

    private ValueTask SendToContactAsync(Element stanza, Jid from, Jid contact, CancellationToken cancellationToken) =>
        router.RouteAsync(WithTo(stanza, contact), from, contact, cancellationToken);

    /// <summary>RFC 6121 §4.3.2: a probe is answered with the last presence of each available resource, if subscribed.</summary>
    private async ValueTask AnswerProbeAsync(Jid user, Jid prober, CancellationToken cancellationToken)
    {
        var item = await rosters.GetAsync(user.Local!, prober.Bare.ToString(), cancellationToken);
        if (!RosterService.StateOf(item).SendsPresenceTo)
        {
            return;
        }

        foreach (var resource in router.Resources(user))
        {
            if (resource.Presence is { } presence)
            {
                await router.RouteAsync(WithTo(presence, prober), resource.Jid, prober, cancellationToken);
            }
        }
    }

    /// <summary>Moves the user's roster item for the contact through one step of the subscription state machine and saves it when it changed.</summary>
    private async ValueTask<(SubscriptionState Before, SubscriptionTransition Transition)> TransitionAsync(
        Jid user, Jid contact, Func<SubscriptionState, SubscriptionTransition> step, bool userActed, CancellationToken cancellationToken)
    {
        using (await itemLocks.LockAsync(user, contact, cancellationToken))
        {
            var item = await rosters.GetAsync(user.Local!, contact.ToString(), cancellationToken);
            var before = RosterService.StateOf(item);
            var transition = step(before);
            if (transition.Changed)
            {
                await router.Rosters.SaveStateAsync(user, contact, item, transition.State, userActed, cancellationToken);
            }

            return (before, transition);
        }
    }

    private async ValueTask OutboundSubscriptionAsync(Jid user, Jid contact, Element stanza, SubscriptionRequest request, CancellationToken cancellationToken)
    {
        var (before, transition) = await TransitionAsync(user, contact, state => SubscriptionStateMachine.Outbound(state, request), userActed: true, cancellationToken);

        if (transition.Route)
        {
            // RFC 6121 §3.1.2: subscription stanzas leave the server stamped with the bare JID.
            var routed = stanza.Clone().SetAttribute("from", user.ToString()).SetAttribute("to", contact.ToString());
            await router.RouteAsync(routed, user, contact, cancellationToken);
        }

        await FollowPresenceGrantAsync(user, contact, before, transition.State, cancellationToken);
    }

    private async ValueTask InboundSubscriptionAsync(Jid user, Jid contact, SubscriptionRequest request, Element stanza, CancellationToken cancellationToken)
    {
        var (before, transition) = await TransitionAsync(user, contact, state => SubscriptionStateMachine.Inbound(state, request), userActed: false, cancellationToken);

        if (transition.Route)
        {
            var delivered = stanza.Clone().SetAttribute("from", contact.ToString()).SetAttribute("to", user.ToString());
            await router.DeliverToAvailableAsync(user, delivered, cancellationToken);
        }

        if (transition.AutoReply is { } reply)
        {
            var answer = Stanzas.Create(Stanzas.Presence, TypeName(reply), user, contact);
            await router.RouteAsync(answer, user, contact, cancellationToken);
        }

        await FollowPresenceGrantAsync(user, contact, before, transition.State, cancellationToken);
    }

    private async ValueTask SendPresenceOfResourcesAsync(Jid user, Jid contact, bool available, CancellationToken cancellationToken)
    {
        foreach (var resource in router.Resources(user))
        {
            if (resource.Presence is not { } presence)
            {
                continue;
            }

            var stanza = available
                ? WithTo(presence, contact)
                : Stanzas.Create(Stanzas.Presence, "unavailable", resource.Jid, contact);
            await router.RouteAsync(stanza, resource.Jid, contact, cancellationToken);
        }
    }

    /// <summary>
    /// A contact that just gained a subscription to the user's presence sees the user's resources; one that
    /// lost it sees them go offline (RFC 6121 §3.1.5, §3.2.2, §3.3.3).
    /// </summary>
    private ValueTask FollowPresenceGrantAsync(Jid user, Jid contact, SubscriptionState before, SubscriptionState after, CancellationToken cancellationToken) =>
        before.SendsPresenceTo == after.SendsPresenceTo
            ? ValueTask.CompletedTask
            : SendPresenceOfResourcesAsync(user, contact, after.SendsPresenceTo, cancellationToken);

    private static Element WithTo(Element stanza, Jid to) => stanza.Clone().SetAttribute("to", to.ToString());

    private static int ParsePriority(Element stanza) =>
        int.TryParse(stanza.Child("priority", Namespaces.Client)?.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var priority)
            ? Math.Clamp(priority, -128, 127)
            : 0;

    private static SubscriptionRequest? ParseRequest(string? type) => type switch
    {
        "subscribe" => SubscriptionRequest.Subscribe,
        "subscribed" => SubscriptionRequest.Subscribed,
        "unsubscribe" => SubscriptionRequest.Unsubscribe,
        "unsubscribed" => SubscriptionRequest.Unsubscribed,
        _ => null,
    };

    private static string TypeName(SubscriptionRequest request) => request switch
    {
        SubscriptionRequest.Subscribe => "subscribe",
        SubscriptionRequest.Subscribed => "subscribed",
        SubscriptionRequest.Unsubscribe => "unsubscribe",
        _ => "unsubscribed",
    };
}
