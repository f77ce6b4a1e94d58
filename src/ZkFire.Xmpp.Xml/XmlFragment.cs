using System.Buffers;

namespace ZkFire.Xmpp.Xml;

/// <summary>
/// Reads one serialised stanza outside a stream (a stanza another node forwarded, a stored presence) with the same
/// checks and limits as a client's stream: it is read as the only element of a stream whose default namespace is
/// <paramref name="defaultNamespace"/>.
/// </summary>
public static class XmlFragment
{
    /// <exception cref="XmlStreamException">The bytes are not exactly one well-formed element within the limits.</exception>
    public static Element Parse(ReadOnlySpan<byte> xml, string defaultNamespace, XmlLimits limits)
    {
        var header = System.Text.Encoding.UTF8.GetBytes(
            $"<stream:stream xmlns='{defaultNamespace}' xmlns:stream='http://etherx.jabber.org/streams'>");
        var bytes = new byte[header.Length + xml.Length];
        header.CopyTo(bytes, 0);
        xml.CopyTo(bytes.AsSpan(header.Length));

        var parser = new XmppStreamParser(limits);
        var buffer = new ReadOnlySequence<byte>(bytes);
        if (!parser.TryRead(ref buffer, out var open) || open.Kind != XmppStreamEventKind.StreamOpen)
        {
            throw new XmlStreamException(StreamConditions.BadFormat, "The fragment could not be framed.");
        }

        if (!parser.TryRead(ref buffer, out var stanza) || stanza.Kind != XmppStreamEventKind.Element || !buffer.IsEmpty)
        {
            throw new XmlStreamException(StreamConditions.BadFormat, "Not exactly one complete element.");
        }

        return stanza.Element!;
    }
}
