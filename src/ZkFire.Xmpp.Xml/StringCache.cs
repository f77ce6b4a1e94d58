using System.Collections.Frozen;

namespace ZkFire.Xmpp.Xml;

/// <summary>
/// Turns decoded names and short values into strings without allocating for the ones XMPP repeats all the time:
/// a shared table of well-known names, namespaces and values, then a small per-parser table of names and
/// namespaces this peer has used recently. Not thread-safe: one instance per parser.
/// </summary>
internal sealed class StringCache
{
    private const int RecentSize = 64;

    private static readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> WellKnown =
        WellKnownStrings().ToFrozenSet(StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();

    private readonly string?[] _recent = new string?[RecentSize];

    /// <summary>Returns the string for <paramref name="chars"/>; <paramref name="remember"/> keeps it for the next lookup
    /// (for names and namespace URIs, whose variety is small).</summary>
    public string Get(ReadOnlySpan<char> chars, bool remember)
    {
        if (chars.IsEmpty)
        {
            return string.Empty;
        }

        if (WellKnown.TryGetValue(chars, out var known))
        {
            return known;
        }

        if (!remember)
        {
            return new string(chars);
        }

        ref var slot = ref _recent[string.GetHashCode(chars) & (RecentSize - 1)];
        if (slot is not null && chars.SequenceEqual(slot))
        {
            return slot;
        }

        return slot = new string(chars);
    }

    private static string[] WellKnownStrings() =>
    [
        // Element names (RFC 6120/6121 and the usual extensions).
        "stream", "features", "error", "message", "presence", "iq", "body", "subject", "thread", "show", "status",
        "priority", "query", "item", "group", "x", "c", "delay", "active", "composing", "paused", "inactive", "gone",
        "request", "received", "markable", "displayed", "acknowledged", "sent", "forwarded", "result", "bind",
        "resource", "jid", "session", "starttls", "proceed", "required", "auth", "success", "failure", "challenge",
        "response", "abort", "mechanisms", "mechanism", "enable", "enabled", "resume", "resumed", "r", "a", "sm",
        "ping", "text", "origin-id", "stanza-id", "store", "no-store", "no-copy", "private", "identity", "feature",
        "nick", "fin", "set", "first", "last", "count", "before", "after", "max", "field", "value", "register",
        "ver", "csi", "carbons",
        // Attribute names.
        "to", "from", "id", "type", "xmlns", "xml:lang", "version", "node", "hash", "name", "subscription", "ask",
        "code", "by", "stamp", "h", "var", "category", "label", "xmlns:stream", "xmlns:db", "previd", "location",
        // Attribute values.
        "chat", "groupchat", "normal", "headline", "get", "available", "unavailable", "subscribe",
        "subscribed", "unsubscribe", "unsubscribed", "probe", "away", "xa", "dnd", "1.0", "en", "none", "both",
        "remove", "cancel", "continue", "modify", "wait", "true", "false", "PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-256",
        "EXTERNAL", "sha-1", "client", "pc", "phone", "form", "submit", "hidden", "text-single", "boolean",
        // Namespaces.
        "jabber:client", "jabber:server", "jabber:server:dialback", XmlNamespaces.Streams, XmlNamespaces.Xml,
        "urn:ietf:params:xml:ns:xmpp-tls", "urn:ietf:params:xml:ns:xmpp-sasl", "urn:ietf:params:xml:ns:xmpp-bind",
        "urn:ietf:params:xml:ns:xmpp-session", "urn:ietf:params:xml:ns:xmpp-stanzas",
        "urn:ietf:params:xml:ns:xmpp-streams", "jabber:iq:roster", "jabber:iq:version", "jabber:iq:private",
        "jabber:iq:register", "jabber:iq:last", "jabber:x:data", "vcard-temp", "vcard-temp:x:update",
        "http://jabber.org/protocol/disco#info", "http://jabber.org/protocol/disco#items",
        "http://jabber.org/protocol/caps", "http://jabber.org/protocol/chatstates", "http://jabber.org/protocol/muc",
        "http://jabber.org/protocol/muc#user", "http://jabber.org/protocol/rsm", "urn:xmpp:ping", "urn:xmpp:sm:3",
        "urn:xmpp:delay", "urn:xmpp:receipts", "urn:xmpp:carbons:2", "urn:xmpp:forward:0", "urn:xmpp:mam:2",
        "urn:xmpp:sid:0", "urn:xmpp:chat-markers:0", "urn:xmpp:hints", "urn:xmpp:csi:0", "urn:xmpp:time",
        "urn:xmpp:features:rosterver", "urn:xmpp:features:pre-approval",
    ];
}
