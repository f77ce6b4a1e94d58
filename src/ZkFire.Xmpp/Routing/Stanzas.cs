using System.Globalization;
using ZkFire.Xmpp.Addressing;
using ZkFire.Xmpp.Xml;

namespace ZkFire.Xmpp.Routing;

/// <summary>Builders and readers for stanzas; one place for the RFC 6120 §8 shapes.</summary>
public static class Stanzas
{
    public const string Message = "message";
    public const string Presence = "presence";
    public const string Iq = "iq";

    private static long nextId;

    public static string? Type(Element stanza) => stanza.GetAttribute("type");

    public static bool IsError(Element stanza) => Type(stanza) == "error";

    public static Element Create(string name, string? type, Jid? from, Jid? to, string? id = null) =>
        new Element(name, Namespaces.Client)
            .SetAttribute("type", type)
            .SetAttribute("id", id)
            .SetAttribute("from", from?.ToString())
            .SetAttribute("to", to?.ToString());

    /// <summary>An id for a stanza the server originates, unique in this process.</summary>
    public static string NewId(string prefix) =>
        prefix + Interlocked.Increment(ref nextId).ToString(CultureInfo.InvariantCulture);

    /// <summary>An IQ result answering <paramref name="request"/>, addressed back to its sender.</summary>
    public static Element Result(Element request, Element? payload = null)
    {
        var result = new Element(Iq, Namespaces.Client)
            .SetAttribute("type", "result")
            .SetAttribute("id", request.GetAttribute("id"))
            .SetAttribute("from", request.GetAttribute("to"))
            .SetAttribute("to", request.GetAttribute("from"));
        if (payload is not null)
        {
            result.Add(payload);
        }

        return result;
    }

    /// <summary>
    /// The error reply to <paramref name="stanza"/> (RFC 6120 §8.3): same name and id, addresses swapped, the
    /// original payload kept so the sender can tell what failed.
    /// </summary>
    public static Element Error(Element stanza, string condition, string? text = null)
    {
        var reply = new Element(stanza.Name, Namespaces.Client)
            .SetAttribute("type", "error")
            .SetAttribute("id", stanza.GetAttribute("id"))
            .SetAttribute("from", stanza.GetAttribute("to"))
            .SetAttribute("to", stanza.GetAttribute("from"));
        foreach (var child in stanza.Elements())
        {
            if (child.Namespace != Namespaces.Client || child.Name != "error")
            {
                reply.Add(child.Clone());
            }
        }

        var error = new Element("error", Namespaces.Client).SetAttribute("type", ErrorType(condition));
        error.Add(new Element(condition, Namespaces.StanzaErrors));
        if (text is not null)
        {
            error.Add(new Element("text", Namespaces.StanzaErrors).AddText(text));
        }

        return reply.Add(error);
    }

    /// <summary>The error type RFC 6120 §8.3.3 recommends for each condition.</summary>
    private static string ErrorType(string condition) => condition switch
    {
        "bad-request" or "jid-malformed" or "not-acceptable" or "policy-violation" or "redirect" or "gone" => "modify",
        "forbidden" or "not-authorized" => "auth",
        "internal-server-error" or "resource-constraint" or "unexpected-request" or "remote-server-timeout" => "wait",
        _ => "cancel",
    };
}
