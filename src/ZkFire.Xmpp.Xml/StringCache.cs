using System.Numerics;
using System.Text;
using System.Text.Unicode;

namespace ZkFire.Xmpp.Xml;

/// <summary>
/// Turns UTF-8 names and short values into strings without decoding or allocating for the ones XMPP repeats all
/// the time: a shared table of well-known names, namespaces and values, then a small per-parser table of names and
/// namespaces this peer has used recently. Lookups compare bytes, so a hit costs a hash of a few bytes and one
/// comparison. Not thread-safe: one instance per parser.
/// </summary>
internal sealed class StringCache
{
    private const int RecentSize = 64;

    private static readonly Entry[] WellKnown = BuildWellKnown();

    // Made at the first name missing from the well-known table: most streams never need it.
    private Entry[]? _recent;

    /// <summary>Returns the string for <paramref name="utf8"/>, refusing invalid UTF-8; <paramref name="remember"/>
    /// keeps it for the next lookup (for names and namespace URIs, whose variety is small).</summary>
    public string Get(ReadOnlySpan<byte> utf8, bool remember)
    {
        if (utf8.IsEmpty)
        {
            return string.Empty;
        }

        uint hash = Hash(utf8);
        uint mask = (uint)WellKnown.Length - 1;
        for (uint i = hash & mask; WellKnown[i].Utf8 is { } key; i = (i + 1) & mask)
        {
            if (utf8.SequenceEqual(key))
            {
                return WellKnown[i].Value;
            }
        }

        if (!remember)
        {
            return Decode(utf8);
        }

        ref var slot = ref (_recent ??= new Entry[RecentSize])[hash & (RecentSize - 1)];
        if (slot.Utf8 is { } recent && utf8.SequenceEqual(recent))
        {
            return slot.Value;
        }

        string value = Decode(utf8);
        slot = new Entry(utf8.ToArray(), value);
        return value;
    }

    private static string Decode(ReadOnlySpan<byte> utf8)
    {
        if (!Utf8.IsValid(utf8))
        {
            ThrowHelper.InvalidUtf8();
        }

        return Encoding.UTF8.GetString(utf8);
    }

    // Samples the length and four bytes: enough to spread a few hundred distinct short strings.
    private static uint Hash(ReadOnlySpan<byte> s)
    {
        uint h = (uint)s.Length * 0x9E3779B1u;
        h = (h ^ s[0]) * 0x85EBCA6Bu;
        h = (h ^ s[^1]) * 0xC2B2AE35u;
        h = (h ^ s[s.Length / 2]) * 0x27D4EB2Fu;
        h = (h ^ s[s.Length / 3]) * 0x165667B1u;
        return h ^ (h >> 15);
    }

    private static Entry[] BuildWellKnown()
    {
        var strings = WellKnownStrings().Distinct(StringComparer.Ordinal).ToArray();
        var table = new Entry[(int)BitOperations.RoundUpToPowerOf2((uint)strings.Length * 4)];
        uint mask = (uint)table.Length - 1;
        foreach (string value in strings)
        {
            byte[] utf8 = Encoding.UTF8.GetBytes(value);
            uint i = Hash(utf8) & mask;
            while (table[i].Utf8 is not null)
            {
                i = (i + 1) & mask;
            }

            table[i] = new Entry(utf8, value);
        }

        return table;
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
        "ver", "csi", "carbons", "authenticate", "initial-response", "user-agent", "software", "device", "tag",
        "additional-data", "authorization-identifier", "bound", "inline", "authentication", "channel-binding",
        // Prefixed names, which clients use for the stream's own elements, and the prefix of xml:lang.
        "stream:stream", "stream:features", "stream:error", "xml",
        // Attribute names.
        "to", "from", "id", "type", "xmlns", "xml:lang", "version", "node", "hash", "name", "subscription", "ask",
        "code", "by", "stamp", "h", "var", "category", "label", "xmlns:stream", "xmlns:db", "xmlns:xml", "previd", "location",
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
        "urn:xmpp:features:rosterver", "urn:xmpp:features:pre-approval", "urn:xmpp:sasl:2", "urn:xmpp:bind:0",
        "urn:xmpp:sasl-cb:0", "http://jabber.org/features/iq-register",
    ];

    private readonly record struct Entry(byte[]? Utf8, string Value);
}
