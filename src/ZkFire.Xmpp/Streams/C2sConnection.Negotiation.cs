using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Text;
using ZkFire.Xmpp.Addressing;
using ZkFire.Xmpp.Routing;
using ZkFire.Xmpp.Sasl;
using ZkFire.Xmpp.Sessions;
using ZkFire.Xmpp.Tls;
using ZkFire.Xmpp.Xml;

namespace ZkFire.Xmpp.Streams;

/// <summary>Stream negotiation: header, features, STARTTLS, resource binding (RFC 6120 §4–§7); SASL is in its own part.</summary>
internal sealed partial class C2sConnection
{
    private static readonly SslApplicationProtocol XmppClientAlpn = new("xmpp-client");

    private readonly string streamId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
    private bool headerSent;
    private bool encrypted;
    private string? username;
    private IReadOnlyList<ChannelBinding> channelBindings = [];

    /// <summary>The types of <see cref="channelBindings"/>, space-separated: the part of the features they decide.</summary>
    private string channelBindingTypes = string.Empty;

    /// <summary>STARTTLS must come first unless TLS is optional here (RFC 6120 §5.3.1).</summary>
    private bool TlsMandatory =>
        !encrypted && Options.TlsRequired && !(Options.AllowPlaintextOnLoopback && IPAddress.IsLoopback(RemoteAddress));

    private async ValueTask<Outcome> HandleEventAsync(XmppStreamEvent evt, CancellationToken cancellationToken)
    {
        switch (evt.Kind)
        {
            case XmppStreamEventKind.StreamOpen:
                await OpenStreamAsync(evt.Element!, cancellationToken);
                return Outcome.Continue;
            case XmppStreamEventKind.StreamClose:
                await StopSendLoopAsync();
                await WriteLastAsync("</stream:stream>", cancellationToken);
                return Outcome.Closed;
            default:
                return await HandleElementAsync(evt.Element!, cancellationToken);
        }
    }

    private async ValueTask OpenStreamAsync(Element header, CancellationToken cancellationToken)
    {
        if (parser.ContentNamespace != Namespaces.Client)
        {
            throw new StreamErrorException("invalid-namespace", "The stream's content namespace must be jabber:client.");
        }

        if (context.Gate.Refusal is { } refusal)
        {
            throw new StreamErrorException("system-shutdown", refusal);
        }

        if (header.GetAttribute("to") is { } to && (!Jid.TryParse(to, out var target) || target.Domain != context.Router.ServerJid.Domain))
        {
            throw new StreamErrorException("host-unknown", $"This server does not serve '{to}'.");
        }

        // RFC 6120 §4.7.5: no version means pre-1.0 XMPP, which this server does not speak.
        var version = header.GetAttribute("version");
        if (version is null || !version.StartsWith("1.", StringComparison.Ordinal))
        {
            throw new StreamErrorException("unsupported-version", "XMPP 1.0 is required.");
        }

        var peer = header.GetAttribute("from") is { } from && Jid.TryParse(from, out var fromJid) ? fromJid : null;
        await WriteNowAsync(StreamHeader(peer), Features(), cancellationToken);
    }

    private string StreamHeader(Jid? peer)
    {
        headerSent = true;
        var to = peer is null ? string.Empty : $" to='{Escape(peer.ToString())}'";
        return $"<?xml version='1.0'?><stream:stream xmlns='{Namespaces.Client}' xmlns:stream='{Namespaces.Streams}' " +
               $"id='{streamId}' from='{Escape(context.Router.ServerJid.ToString())}'{to} version='1.0' xml:lang='en'>";
    }

    /// <summary>
    /// The features for this stream's stage and TLS state. They depend on nothing else of the connection, so each
    /// combination is built once per server: a login storm would otherwise build the same kilobyte per stream.
    /// </summary>
    private string Features() =>
        context.Features.GetOrAdd(
            new StreamFeaturesKey(username is null ? StreamStage.Unauthenticated : session is null ? StreamStage.Authenticated : StreamStage.Bound, encrypted, TlsMandatory, channelBindingTypes),
            static (_, connection) => connection.BuildFeatures(),
            this);

    private string BuildFeatures()
    {
        var features = new StringBuilder("<stream:features>");
        // RFC 6120 §5.3.1: TLS comes before authentication, never after it.
        if (!encrypted && username is null && Options.Certificate is not null)
        {
            features.Append("<starttls xmlns='").Append(Namespaces.Tls).Append(TlsMandatory ? "'><required/></starttls>" : "'/>");
        }

        if (username is null)
        {
            if (!TlsMandatory)
            {
                AppendSaslFeatures(features);
                if (Options.RegistrationOpen)
                {
                    features.Append("<register xmlns='").Append(Namespaces.RegisterFeature).Append("'/>");
                }
            }
        }
        else if (session is null)
        {
            features.Append("<bind xmlns='").Append(Namespaces.Bind).Append("'/>");
            features.Append("<session xmlns='").Append(Namespaces.Session).Append("'><optional/></session>");
        }

        return features.Append("</stream:features>").ToString();
    }

    private async ValueTask<Outcome> HandleElementAsync(Element element, CancellationToken cancellationToken)
    {
        if (element.Namespace == Namespaces.Tls && element.Name == "starttls")
        {
            return await StartTlsAsync(cancellationToken);
        }

        if (username is null)
        {
            await HandleUnauthenticatedAsync(element, cancellationToken);
        }
        else if (session is null)
        {
            await HandleUnboundAsync(element, cancellationToken);
        }
        else
        {
            await HandleStanzaAsync(session, element, cancellationToken);
        }

        return Outcome.Continue;
    }

    private async ValueTask<Outcome> StartTlsAsync(CancellationToken cancellationToken)
    {
        if (encrypted || username is not null || Options.Certificate is null)
        {
            // RFC 6120 §5.4.2.2: a <failure/> and the stream closes.
            await WriteLastAsync($"<failure xmlns='{Namespaces.Tls}'/></stream:stream>", cancellationToken);
            return Outcome.Closed;
        }

        await WriteNowAsync($"<proceed xmlns='{Namespaces.Tls}'/>", cancellationToken);
        return Outcome.StartTls;
    }

    private async Task UpgradeToTlsAsync(CancellationToken cancellationToken)
    {
        var certificate = Options.Certificate ?? throw new StreamErrorException("internal-server-error", "No TLS certificate.");
        var tls = new SslStream(stream, leaveInnerStreamOpen: false);
        stream = tls;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Options.StreamOpenTimeout);
        await tls.AuthenticateAsServerAsync(
            new SslServerAuthenticationOptions
            {
                ServerCertificate = certificate,
                ClientCertificateRequired = false,
                ApplicationProtocols = directTls ? [XmppClientAlpn] : null,
            },
            timeout.Token);
        encrypted = true;
        channelBindings = TlsChannelBindings.Of(tls, context.ServerEndPointBinding);
        channelBindingTypes = string.Join(' ', channelBindings.Select(b => b.Type));
        OpenPipes();
    }

    private async ValueTask HandleUnauthenticatedAsync(Element element, CancellationToken cancellationToken)
    {
        if (element.Namespace is Namespaces.Sasl or Namespaces.Sasl2)
        {
            await HandleSaslAsync(element, cancellationToken);
            return;
        }

        if (!TlsMandatory && element.Name == Stanzas.Iq && element.Namespace == Namespaces.Client
            && element.Child("query", Namespaces.Register) is not null && Stanzas.Type(element) is "get" or "set")
        {
            var reply = await context.Router.ServerIq.HandleUnauthenticatedRegistrationAsync(element, cancellationToken);
            reply.SetAttribute("to", null);
            await WriteNowAsync(reply, cancellationToken);
            return;
        }

        // RFC 6120 §4.9.3.12: nothing but negotiation (and XEP-0077 registration) before authentication.
        throw new StreamErrorException("not-authorized", "Authenticate first.");
    }

    private async ValueTask HandleUnboundAsync(Element element, CancellationToken cancellationToken)
    {
        if (element.Name != Stanzas.Iq || element.Namespace != Namespaces.Client || Stanzas.Type(element) != "set")
        {
            // RFC 6120 §7.1: stanzas only after a resource is bound.
            throw new StreamErrorException("not-authorized", "Bind a resource first.");
        }

        if (element.Child("bind", Namespaces.Bind) is { } bind)
        {
            await BindAsync(element, bind, cancellationToken);
        }
        else if (element.Child("session", Namespaces.Session) is not null)
        {
            await WriteNowAsync(Stanzas.Result(element), cancellationToken);
        }
        else
        {
            throw new StreamErrorException("not-authorized", "Bind a resource first.");
        }
    }

    private async ValueTask BindAsync(Element iq, Element bind, CancellationToken cancellationToken)
    {
        var requested = bind.Child("resource", Namespaces.Bind)?.Text;
        var resource = string.IsNullOrEmpty(requested) ? NewResourceId() : requested;
        if (!Jid.TryCreate(username, context.Router.ServerJid.Domain, resource, out var full))
        {
            await WriteNowAsync(Stanzas.Error(iq, "bad-request", "The resource is not valid."), cancellationToken);
            return;
        }

        Send(Stanzas.Result(iq, new Element("bind", Namespaces.Bind).Add(new Element("jid", Namespaces.Bind).AddText(full.ToString()))));
        await BindSessionAsync(full, cancellationToken);
    }

    /// <summary>
    /// Makes <paramref name="full"/> this stream's session. The bind's answer must already be in the outbox: stanzas
    /// routed here once the bind is visible wait behind it.
    /// </summary>
    private async ValueTask BindSessionAsync(Jid full, CancellationToken cancellationToken)
    {
        var bound = new ClientSession(full, this);
        await context.Router.BindAsync(bound, cancellationToken);

        session = bound;
        LogBound(logger, full, RemoteAddress);
        StartSending();
    }

    private static string NewResourceId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));

    private async ValueTask HandleStanzaAsync(ClientSession bound, Element stanza, CancellationToken cancellationToken)
    {
        if (stanza.Namespace != Namespaces.Client || stanza.Name is not (Stanzas.Message or Stanzas.Presence or Stanzas.Iq))
        {
            throw new StreamErrorException("unsupported-stanza-type", $"<{stanza.Name}/> in {stanza.Namespace} is not a stanza here.");
        }

        if (stanza.GetAttribute("from") is { } from && (!Jid.TryParse(from, out var claimed) || (claimed != bound.Jid && claimed != bound.Bare)))
        {
            // RFC 6120 §8.1.2.1: the server stamps from; a client may not claim another address.
            throw new StreamErrorException("invalid-from", "The from address does not match the stream.");
        }

        stanza.SetAttribute("from", bound.Jid.ToString());
        Jid? to = null;
        if (stanza.GetAttribute("to") is { } toText && !Jid.TryParse(toText, out to))
        {
            await context.Router.BounceAsync(stanza, bound.Jid, "jid-malformed", cancellationToken: cancellationToken);
            return;
        }

        if (stanza.Name == Stanzas.Iq && !IsValidIq(stanza))
        {
            await context.Router.BounceAsync(stanza, bound.Jid, "bad-request", cancellationToken: cancellationToken);
            return;
        }

        await context.Router.ProcessFromClientAsync(bound, stanza, to, cancellationToken);
    }

    /// <summary>RFC 6120 §8.2.3: an id, a known type, and exactly one payload for get and set.</summary>
    private static bool IsValidIq(Element iq) => Stanzas.Type(iq) switch
    {
        "get" or "set" => iq.GetAttribute("id") is not null && iq.Elements().Count() == 1,
        "result" or "error" => iq.GetAttribute("id") is not null,
        _ => false,
    };

    private static string Escape(string value) =>
        value.Replace("&", "&amp;", StringComparison.Ordinal).Replace("'", "&apos;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal);

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Debug, Message = "{Jid} bound from {Address}")]
    private static partial void LogBound(Microsoft.Extensions.Logging.ILogger logger, Jid jid, IPAddress address);
}
