using System.Reflection;
using ZkFire.Xmpp.Accounts;
using ZkFire.Xmpp.Routing;
using ZkFire.Xmpp.Sessions;
using ZkFire.Xmpp.Xml;

namespace ZkFire.Xmpp.Services;

/// <summary>
/// IQs addressed to the server itself: service discovery (XEP-0030), software version (XEP-0092), ping
/// (XEP-0199) and account management (XEP-0077).
/// </summary>
internal sealed class ServerIqHandler(StanzaRouter router, AccountManager accounts, XmppServerOptions options)
{
    private static readonly string ServerVersion =
        typeof(ServerIqHandler).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0";

    private static readonly string[] ServerFeatures =
    [
        Namespaces.DiscoInfo,
        Namespaces.DiscoItems,
        Namespaces.Ping,
        Namespaces.Version,
        Namespaces.Register,
        Namespaces.Roster,
        Namespaces.OfflineFeature,
    ];

    private readonly RegistrationHandler registration = new(router, accounts, options);

    /// <summary>Handles an IQ to the server; <paramref name="session"/> is the sender when it is bound here.</summary>
    public async ValueTask HandleAsync(Element iq, ClientSession? session, CancellationToken cancellationToken)
    {
        var type = Stanzas.Type(iq);
        if (type is not ("get" or "set"))
        {
            return;
        }

        var payload = iq.Elements().FirstOrDefault();
        Element? reply = (payload?.Namespace, payload?.Name, type) switch
        {
            (Namespaces.Ping, "ping", "get") => Stanzas.Result(iq),
            (Namespaces.Version, "query", "get") => Stanzas.Result(iq, new Element("query", Namespaces.Version)
                .Add(new Element("name", Namespaces.Version).AddText("ZkFire"))
                .Add(new Element("version", Namespaces.Version).AddText(ServerVersion))),
            (Namespaces.DiscoInfo, "query", "get") => Stanzas.Result(iq, ServerInfo(payload!)),
            (Namespaces.DiscoItems, "query", "get") => Stanzas.Result(iq, new Element("query", Namespaces.DiscoItems)
                .SetAttribute("node", payload!.GetAttribute("node"))),
            (Namespaces.Register, "query", _) when session is not null =>
                await registration.HandleAuthenticatedAsync(iq, payload!, session, cancellationToken),
            _ => Stanzas.Error(iq, "service-unavailable"),
        };

        if (session is not null && reply is not null)
        {
            // Replies to a client that addressed the server implicitly still come from the server.
            reply.SetAttribute("from", iq.GetAttribute("to") is null ? null : router.ServerJid.ToString());
            session.Send(reply);
        }
    }

    /// <summary>XEP-0077 before authentication: the connection answers with what this returns.</summary>
    public ValueTask<Element> HandleUnauthenticatedRegistrationAsync(Element iq, CancellationToken cancellationToken) =>
        registration.HandleUnauthenticatedAsync(iq, cancellationToken);

    /// <summary>disco#info of a user's bare JID, answered by the server for the account (XEP-0030 §3.1).</summary>
    public static Element AccountInfo(Element request)
    {
        var query = new Element("query", Namespaces.DiscoInfo).SetAttribute("node", request.GetAttribute("node"));
        query.Add(new Element("identity", Namespaces.DiscoInfo).SetAttribute("category", "account").SetAttribute("type", "registered"));
        query.Add(new Element("feature", Namespaces.DiscoInfo).SetAttribute("var", Namespaces.DiscoInfo));
        return query;
    }

    private static Element ServerInfo(Element request)
    {
        var query = new Element("query", Namespaces.DiscoInfo).SetAttribute("node", request.GetAttribute("node"));
        query.Add(new Element("identity", Namespaces.DiscoInfo)
            .SetAttribute("category", "server")
            .SetAttribute("type", "im")
            .SetAttribute("name", "ZkFire"));
        foreach (var feature in ServerFeatures)
        {
            query.Add(new Element("feature", Namespaces.DiscoInfo).SetAttribute("var", feature));
        }

        return query;
    }
}
