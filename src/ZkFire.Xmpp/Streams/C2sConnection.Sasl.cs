using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using ZkFire.Xmpp.Addressing;
using ZkFire.Xmpp.Sasl;
using ZkFire.Xmpp.Xml;

namespace ZkFire.Xmpp.Streams;

/// <summary>
/// Authentication, in either of the two SASL profiles a client may pick from the same features: RFC 6120 §6
/// (<c>&lt;auth/&gt;</c>, then a stream restart and resource binding) or XEP-0388's SASL2 (<c>&lt;authenticate/&gt;</c>,
/// no restart, and with XEP-0386 Bind 2 the resource bound in the same exchange). Mechanisms, limits and the
/// authentication-failure limiter are the same for both; only the framing differs.
/// </summary>
internal sealed partial class C2sConnection
{
    private const int MaxSaslFailuresPerStream = 5;

    private ISaslMechanism? sasl;
    private int saslFailures;

    /// <summary>The exchange in progress is SASL2's: its responses, outcome and failures use that profile.</summary>
    private bool sasl2;

    /// <summary>A Bind 2 request carried by the SASL2 <c>&lt;authenticate/&gt;</c>, done once authentication succeeds.</summary>
    private Element? bind2;

    /// <summary>The SASL2 <c>&lt;user-agent id/&gt;</c>: one installation of a client, across its connections.</summary>
    private string? userAgentId;

    private void AppendSaslFeatures(StringBuilder features)
    {
        var mechanisms = SaslMechanisms.Offered(encrypted, channelBindings);
        features.Append("<mechanisms xmlns='").Append(Namespaces.Sasl).Append("'>");
        AppendMechanisms(features, mechanisms);
        features.Append("</mechanisms>");

        features.Append("<authentication xmlns='").Append(Namespaces.Sasl2).Append("'>");
        AppendMechanisms(features, mechanisms);
        features.Append("<inline><bind xmlns='").Append(Namespaces.Bind2).Append("'/></inline></authentication>");

        if (channelBindings.Count > 0)
        {
            // XEP-0440: tell clients which channel-binding types they may use.
            features.Append("<sasl-channel-binding xmlns='").Append(Namespaces.SaslChannelBinding).Append("'>");
            foreach (var binding in channelBindings)
            {
                features.Append("<channel-binding type='").Append(binding.Type).Append("'/>");
            }

            features.Append("</sasl-channel-binding>");
        }

        static void AppendMechanisms(StringBuilder features, IReadOnlyList<string> mechanisms)
        {
            foreach (var mechanism in mechanisms)
            {
                features.Append("<mechanism>").Append(mechanism).Append("</mechanism>");
            }
        }
    }

    private async ValueTask HandleSaslAsync(Element element, CancellationToken cancellationToken)
    {
        var profile2 = element.Namespace == Namespaces.Sasl2;
        if (TlsMandatory)
        {
            await SaslFailureAsync(profile2, "encryption-required", null, cancellationToken);
            return;
        }

        string? payload;
        switch (element.Name)
        {
            case "auth" when !profile2:
            case "authenticate" when profile2:
                if (context.AuthLimiter.IsBlocked(null, RemoteAddress))
                {
                    await SaslFailureAsync(profile2, "temporary-auth-failure", "Too many failed attempts; try later.", cancellationToken);
                    return;
                }

                sasl = SaslMechanisms.Create(element.GetAttribute("mechanism") ?? string.Empty, encrypted, channelBindings, context.Users);
                if (sasl is null)
                {
                    await SaslFailureAsync(profile2, "invalid-mechanism", null, cancellationToken);
                    return;
                }

                sasl2 = profile2;
                bind2 = profile2 ? element.Child("bind", Namespaces.Bind2) : null;
                userAgentId = profile2 ? element.Child("user-agent", Namespaces.Sasl2)?.GetAttribute("id") : null;

                // SASL2 carries the initial response in an element (absent: none); RFC 6120 in the text, "=" for empty.
                payload = profile2 ? element.Child("initial-response", Namespaces.Sasl2)?.Text ?? string.Empty : element.Text;
                break;
            case "response" when sasl is not null && sasl2 == profile2:
                payload = element.Text;
                break;
            case "abort":
                sasl = null;
                await SaslFailureAsync(profile2, "aborted", null, cancellationToken);
                return;
            case var _ when profile2 && sasl is not null:
                // XEP-0388: during authentication nothing but <response/> and <abort/>, or the client is disconnected.
                throw new StreamErrorException("policy-violation", $"<{element.Name}/> during SASL2 authentication.");
            default:
                await SaslFailureAsync(profile2, "malformed-request", null, cancellationToken);
                return;
        }

        // Mechanisms read the response only while their step runs, so the decoded bytes can live in a pooled buffer.
        var buffer = ArrayPool<byte>.Shared.Rent(payload.Length * 3 / 4);
        SaslResult result;
        try
        {
            if (!TryDecodeBase64(payload, buffer, out var length))
            {
                sasl = null;
                await SaslFailureAsync(profile2, "incorrect-encoding", null, cancellationToken);
                return;
            }

            result = await sasl.StepAsync(buffer.AsMemory(0, length), cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        switch (result.Outcome)
        {
            case SaslOutcome.Challenge:
                await WriteSaslDataAsync("challenge", profile2 ? Namespaces.Sasl2 : Namespaces.Sasl, result.Data, cancellationToken);
                return;
            case SaslOutcome.Success when !context.AuthLimiter.IsBlocked(result.Username, RemoteAddress):
                sasl = null;
                username = result.Username!;
                context.AuthLimiter.RecordSuccess(username);
                if (profile2)
                {
                    await SucceedSasl2Async(result.Data, cancellationToken);
                    return;
                }

                await WriteSaslDataAsync("success", Namespaces.Sasl, result.Data, cancellationToken);

                // RFC 6120 §6.4.6: a new stream follows on the same connection.
                parser.Reset();
                headerSent = false;
                return;
            default:
                sasl = null;
                context.AuthLimiter.RecordFailure(result.Username, RemoteAddress);
                var blocked = result.Outcome == SaslOutcome.Success;
                await SaslFailureAsync(profile2, blocked ? "temporary-auth-failure" : result.FailureCondition ?? "not-authorized", null, cancellationToken);
                return;
        }
    }

    /// <summary>
    /// XEP-0388 success: the mechanism's final data, the authorization identifier (the full JID when Bind 2 bound a
    /// resource in the same step, XEP-0386) and, with no stream restart, the features of the authenticated stream.
    /// </summary>
    private async ValueTask SucceedSasl2Async(byte[]? data, CancellationToken cancellationToken)
    {
        var success = new Element("success", Namespaces.Sasl2);
        if (data is not null)
        {
            success.Add(new Element("additional-data", Namespaces.Sasl2).AddText(Convert.ToBase64String(data)));
        }

        if (bind2 is not { } bind)
        {
            success.Add(new Element("authorization-identifier", Namespaces.Sasl2).AddText($"{username}@{context.Router.ServerJid.Domain}"));
            await WriteNowAsync(success.ToXml(Namespaces.Client), Features(), cancellationToken);
            return;
        }

        var full = Bind2Jid(bind);

        // Needed only to make the resource: a bound session keeps neither.
        bind2 = null;
        userAgentId = null;
        success.Add(new Element("authorization-identifier", Namespaces.Sasl2).AddText(full.ToString()));
        success.Add(new Element("bound", Namespaces.Bind2));
        Send(success);
        SendSerialized("<stream:features/>");
        await BindSessionAsync(full, cancellationToken);
    }

    /// <summary>
    /// XEP-0386's resource: the client's tag, "/", and an identifier of the server's. With a user-agent id the
    /// identifier is derived from it, so a client that reconnects gets its resource back and replaces its stale
    /// session instead of leaving a ghost; the id itself never shows in the JID.
    /// </summary>
    private Jid Bind2Jid(Element bind)
    {
        var tag = bind.Child("tag", Namespaces.Bind2)?.Text;
        var id = string.IsNullOrEmpty(userAgentId)
            ? NewResourceId()
            : Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{username}\n{tag}\n{userAgentId}")).AsSpan(0, 6));
        var domain = context.Router.ServerJid.Domain;
        if (!string.IsNullOrEmpty(tag) && Jid.TryCreate(username, domain, $"{tag}/{id}", out var tagged))
        {
            return tagged;
        }

        // A tag that is no valid resource part is left out rather than failing a login that has succeeded.
        return Jid.TryCreate(username, domain, id, out var plain)
            ? plain
            : throw new StreamErrorException("internal-server-error", "No resource could be made for this account.");
    }

    private async ValueTask SaslFailureAsync(bool profile2, string condition, string? text, CancellationToken cancellationToken)
    {
        // Both profiles name the condition in RFC 6120's namespace; SASL2 wraps it in its own <failure/>.
        var ns = profile2 ? Namespaces.Sasl2 : Namespaces.Sasl;
        var failure = new Element("failure", ns).Add(new Element(condition, Namespaces.Sasl));
        if (text is not null)
        {
            failure.Add(new Element("text", ns).AddText(text));
        }

        await WriteNowAsync(failure, cancellationToken);
        if (++saslFailures >= MaxSaslFailuresPerStream)
        {
            throw new StreamErrorException("policy-violation", "Too many failed authentication attempts.");
        }
    }

    private static bool TryDecodeBase64(string text, byte[] destination, out int length)
    {
        // RFC 6120 §6.4.2: "=" is an empty initial response.
        if (text.Length == 0 || text == "=")
        {
            length = 0;
            return true;
        }

        return Convert.TryFromBase64String(text, destination, out length);
    }

    /// <summary>
    /// Writes <c>&lt;name xmlns='ns'&gt;</c> with the mechanism's data in base64 ("=" for empty data, nothing for
    /// none; RFC 6120 §6.4.2), encoded straight into the output rather than through strings.
    /// </summary>
    private async Task WriteSaslDataAsync(string name, string ns, byte[]? data, CancellationToken cancellationToken)
    {
        writer.Write("<"u8);
        Encoding.UTF8.GetBytes(name, writer);
        writer.Write(" xmlns='"u8);
        Encoding.UTF8.GetBytes(ns, writer);
        writer.Write("'>"u8);
        if (data is { Length: 0 })
        {
            writer.Write("="u8);
        }
        else if (data is not null)
        {
            var span = writer.GetSpan(Base64.GetMaxEncodedToUtf8Length(data.Length));
            Base64.EncodeToUtf8(data, span, out _, out var written);
            writer.Advance(written);
        }

        writer.Write("</"u8);
        Encoding.UTF8.GetBytes(name, writer);
        writer.Write(">"u8);
        await writer.FlushAsync(cancellationToken);
    }
}
