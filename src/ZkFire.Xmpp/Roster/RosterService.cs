using ZkFire.Storage;
using ZkFire.Xmpp.Addressing;
using ZkFire.Xmpp.Routing;
using ZkFire.Xmpp.Sessions;
using ZkFire.Xmpp.Xml;

namespace ZkFire.Xmpp.Roster;

/// <summary>Roster get, set and remove (RFC 6121 §2) and roster pushes to every interested resource.</summary>
internal sealed class RosterService(StanzaRouter router, IRosterStore store)
{
    private const int MaxGroups = 64;
    private const int MaxTextLength = 1024;

    public async ValueTask HandleAsync(ClientSession session, Element iq, Element query, CancellationToken cancellationToken)
    {
        switch (Stanzas.Type(iq))
        {
            case "get":
                if (!session.InterestedInRoster)
                {
                    session.MarkInterestedInRoster();
                    await router.Remote.ChangedAsync(session, cancellationToken);
                }

                var result = new Element("query", Namespaces.Roster);
                foreach (var item in await store.GetAllAsync(session.Bare.Local!, cancellationToken))
                {
                    if (item.OnRoster)
                    {
                        result.Add(ToElement(item));
                    }
                }

                session.Send(Stanzas.Result(iq, result));
                break;
            case "set":
                await SetAsync(session, iq, query, cancellationToken);
                break;
            default:
                break;
        }
    }

    public static SubscriptionState StateOf(RosterItem? item) =>
        item is null ? SubscriptionState.None : new(item.Subscription, item.PendingOut, item.PendingIn, item.PreApproved);

    /// <summary>Stores a changed subscription state; records that end with nothing to remember are dropped.</summary>
    public async ValueTask SaveStateAsync(Jid user, Jid contact, RosterItem? item, SubscriptionState state, bool userActed, CancellationToken cancellationToken)
    {
        var onRoster = userActed || item?.OnRoster == true;
        if (!onRoster && state == SubscriptionState.None)
        {
            if (item is not null)
            {
                await store.RemoveAsync(user.Local!, contact.ToString(), cancellationToken);
            }

            return;
        }

        var updated = (item ?? NewItem(contact)) with
        {
            Subscription = state.Subscription,
            PendingOut = state.PendingOut,
            PendingIn = state.PendingIn,
            PreApproved = state.PreApproved,
            OnRoster = onRoster,
        };
        await store.PutAsync(user.Local!, updated, cancellationToken);
        if (onRoster)
        {
            await PushAsync(user, ToElement(updated), cancellationToken);
        }
    }

    /// <summary>Sends a roster push to each resource of <paramref name="user"/> that has asked for its roster.</summary>
    public async ValueTask PushAsync(Jid user, Element item, CancellationToken cancellationToken)
    {
        foreach (var resource in router.Resources(user))
        {
            if (resource.InterestedInRoster)
            {
                var push = Stanzas.Create(Stanzas.Iq, "set", null, resource.Jid, Stanzas.NewId("push"));
                push.Add(new Element("query", Namespaces.Roster).Add(item.Clone()));
                await resource.SendAsync(push, cancellationToken);
            }
        }
    }

    private async ValueTask SetAsync(ClientSession session, Element iq, Element query, CancellationToken cancellationToken)
    {
        var items = query.Elements("item", Namespaces.Roster).ToList();
        if (items.Count != 1 || !Jid.TryParse(items[0].GetAttribute("jid"), out var contactJid))
        {
            // RFC 6121 §2.3.3: exactly one item with a valid jid.
            session.Send(Stanzas.Error(iq, "bad-request"));
            return;
        }

        var element = items[0];
        var contact = contactJid.Bare;
        var user = session.Bare;
        var existing = await store.GetAsync(user.Local!, contact.ToString(), cancellationToken);
        if (element.GetAttribute("subscription") == "remove")
        {
            await RemoveAsync(session, iq, user, contact, existing, cancellationToken);
            return;
        }

        var groups = element.Elements("group", Namespaces.Roster).Select(g => g.Text).ToList();
        var name = element.GetAttribute("name");
        if (groups.Count > MaxGroups || groups.Any(g => g.Length == 0 || g.Length > MaxTextLength) || name?.Length > MaxTextLength)
        {
            session.Send(Stanzas.Error(iq, "not-acceptable"));
            return;
        }

        if (groups.Distinct(StringComparer.Ordinal).Count() != groups.Count)
        {
            session.Send(Stanzas.Error(iq, "bad-request", "Duplicate group."));
            return;
        }

        // Only name and groups are the client's to set; subscription state is the server's (RFC 6121 §2.1.2.5).
        var updated = (existing ?? NewItem(contact)) with
        {
            Name = string.IsNullOrEmpty(name) ? null : name,
            Groups = groups,
            OnRoster = true,
        };
        await store.PutAsync(user.Local!, updated, cancellationToken);
        await PushAsync(user, ToElement(updated), cancellationToken);
        session.Send(Stanzas.Result(iq));
    }

    /// <summary>RFC 6121 §2.5.2: removal cancels subscriptions both ways before the item goes.</summary>
    private async ValueTask RemoveAsync(ClientSession session, Element iq, Jid user, Jid contact, RosterItem? existing, CancellationToken cancellationToken)
    {
        if (existing is null || !existing.OnRoster)
        {
            session.Send(Stanzas.Error(iq, "item-not-found"));
            return;
        }

        await store.RemoveAsync(user.Local!, contact.ToString(), cancellationToken);
        await PushAsync(
            user,
            new Element("item", Namespaces.Roster).SetAttribute("jid", contact.ToString()).SetAttribute("subscription", "remove"),
            cancellationToken);
        session.Send(Stanzas.Result(iq));

        var state = StateOf(existing);
        if (state.ReceivesPresenceFrom || state.PendingOut)
        {
            await router.Presence.SendSubscriptionAsync(user, contact, SubscriptionRequest.Unsubscribe, cancellationToken);
        }

        if (state.SendsPresenceTo || state.PendingIn)
        {
            await router.Presence.SendSubscriptionAsync(user, contact, SubscriptionRequest.Unsubscribed, cancellationToken);
        }
    }

    private static RosterItem NewItem(Jid contact) => new(contact.ToString(), null, Subscription.None, false, false, false, []);

    public static Element ToElement(RosterItem item)
    {
        var element = new Element("item", Namespaces.Roster)
            .SetAttribute("jid", item.Contact)
            .SetAttribute("name", item.Name)
            .SetAttribute("subscription", item.Subscription switch
            {
                Subscription.To => "to",
                Subscription.From => "from",
                Subscription.Both => "both",
                _ => "none",
            })
            .SetAttribute("ask", item.PendingOut ? "subscribe" : null)
            .SetAttribute("approved", item.PreApproved ? "true" : null);
        foreach (var group in item.Groups)
        {
            element.Add(new Element("group", Namespaces.Roster).AddText(group));
        }

        return element;
    }
}
