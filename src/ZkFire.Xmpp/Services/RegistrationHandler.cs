using ZkFire.Xmpp.Accounts;
using ZkFire.Xmpp.Addressing;
using ZkFire.Xmpp.Routing;
using ZkFire.Xmpp.Sessions;
using ZkFire.Xmpp.Xml;

namespace ZkFire.Xmpp.Services;

/// <summary>In-band registration (XEP-0077): new accounts before login when open, password change and removal after.</summary>
internal sealed class RegistrationHandler(StanzaRouter router, AccountManager accounts, XmppServerOptions options)
{
    public async ValueTask<Element> HandleUnauthenticatedAsync(Element iq, CancellationToken cancellationToken)
    {
        var query = iq.Child("query", Namespaces.Register);
        if (!options.RegistrationOpen || query is null)
        {
            return Stanzas.Error(iq, "service-unavailable");
        }

        if (Stanzas.Type(iq) == "get")
        {
            return Stanzas.Result(iq, new Element("query", Namespaces.Register)
                .Add(new Element("instructions", Namespaces.Register).AddText("Choose a username and password."))
                .Add(new Element("username", Namespaces.Register))
                .Add(new Element("password", Namespaces.Register)));
        }

        var username = query.Child("username", Namespaces.Register)?.Text;
        var password = query.Child("password", Namespaces.Register)?.Text;
        if (string.IsNullOrEmpty(username) || string.IsNullOrEmpty(password))
        {
            return Stanzas.Error(iq, "not-acceptable", "A username and a password are required.");
        }

        return await accounts.CreateAsync(username, password, cancellationToken) switch
        {
            AccountResult.Done => Stanzas.Result(iq),
            AccountResult.Exists => Stanzas.Error(iq, "conflict", "The username is taken."),
            _ => Stanzas.Error(iq, "not-acceptable", "The username or password is not acceptable."),
        };
    }

    /// <summary>Returns the reply, or null when the reply was sent already.</summary>
    public async ValueTask<Element?> HandleAuthenticatedAsync(Element iq, Element query, ClientSession session, CancellationToken cancellationToken)
    {
        var user = session.Bare.Local!;
        if (Stanzas.Type(iq) == "get")
        {
            return Stanzas.Result(iq, new Element("query", Namespaces.Register)
                .Add(new Element("registered", Namespaces.Register))
                .Add(new Element("username", Namespaces.Register).AddText(user))
                .Add(new Element("password", Namespaces.Register)));
        }

        if (query.Child("remove", Namespaces.Register) is not null)
        {
            await accounts.DeleteAsync(user, cancellationToken);
            session.Send(Stanzas.Result(iq));

            await router.AccountRemovedAsync(session.Bare, cancellationToken);

            return null;
        }

        var username = query.Child("username", Namespaces.Register)?.Text;
        var password = query.Child("password", Namespaces.Register)?.Text;
        if (string.IsNullOrEmpty(password) || (username is not null && (!Jid.TryNormalizeLocal(username, out var named) || named != user)))
        {
            return Stanzas.Error(iq, "not-acceptable");
        }

        return await accounts.ChangePasswordAsync(user, password, cancellationToken) == AccountResult.Done
            ? Stanzas.Result(iq)
            : Stanzas.Error(iq, "not-acceptable");
    }
}
