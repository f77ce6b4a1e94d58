using System.Globalization;
using ZkFire.Storage;
using ZkFire.Xmpp.Addressing;
using ZkFire.Xmpp.Sessions;
using ZkFire.Xmpp.Xml;

namespace ZkFire.Xmpp.Offline;

/// <summary>Messages for users with no available resource (XEP-0160), stamped with XEP-0203 delay.</summary>
internal sealed class OfflineService(IOfflineStore store, XmppServerOptions options, TimeProvider time)
{
    /// <summary>Stores the message; false when the user's quota is used up.</summary>
    public Task<bool> StoreAsync(Jid user, Element message, CancellationToken cancellationToken)
    {
        var stamped = message.Clone();
        stamped.Add(new Element("delay", Namespaces.Delay)
            .SetAttribute("from", options.Domain)
            .SetAttribute("stamp", time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)));
        return store.StoreAsync(user.Local!, stamped.ToXml(Namespaces.Client), options.OfflineQuota, cancellationToken);
    }

    /// <summary>Sends the stored messages to a resource that just became available, then forgets them.</summary>
    public async Task DeliverAsync(ClientSession session, CancellationToken cancellationToken)
    {
        var messages = await store.PeekAsync(session.Bare.Local!, cancellationToken);
        if (messages.Count == 0)
        {
            return;
        }

        foreach (var message in messages)
        {
            session.SendSerialized(message.Stanza);
        }

        await store.RemoveAsync(session.Bare.Local!, messages.Select(m => m.Id).ToArray(), cancellationToken);
    }
}
