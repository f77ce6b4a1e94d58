using System.Buffers;

namespace ZkFire.Xmpp.Xml;

public enum XmppStreamEventKind
{
    /// <summary>The <c>&lt;stream:stream&gt;</c> open tag; <see cref="XmppStreamEvent.Element"/> holds its attributes.</summary>
    StreamOpen,

    /// <summary>A complete top-level element (stanza or nonza such as <c>&lt;starttls/&gt;</c>).</summary>
    Element,

    /// <summary><c>&lt;/stream:stream&gt;</c>.</summary>
    StreamClose,
}

public readonly record struct XmppStreamEvent(XmppStreamEventKind Kind, Element? Element);

/// <summary>
/// Incremental parser of one XMPP stream (RFC 6120 §4, §11): no DOM of the stream, only of the top-level
/// element being read. Refuses DTDs, entity declarations, comments and processing instructions
/// (<c>restricted-xml</c>) and enforces <see cref="XmlLimits"/> (<c>policy-violation</c>).
/// </summary>
public sealed class XmppStreamParser
{
    public XmppStreamParser(XmlLimits limits) => throw new NotImplementedException();

    /// <summary>The default namespace declared on the stream header (<c>jabber:client</c> for c2s).</summary>
    public string? ContentNamespace => throw new NotImplementedException();

    /// <summary>
    /// Reads the next event, advancing <paramref name="buffer"/> past the bytes it consumed. Returns false when
    /// more bytes are needed; throws <see cref="XmlStreamException"/> when the peer broke the stream.
    /// </summary>
    public bool TryRead(ref ReadOnlySequence<byte> buffer, out XmppStreamEvent evt) => throw new NotImplementedException();

    /// <summary>Forgets the current stream: after STARTTLS or SASL success a new stream header is expected.</summary>
    public void Reset() => throw new NotImplementedException();
}
