using System.Buffers.Text;

namespace ZkFire.LoadTool.Xmpp;

internal enum PresenceKind
{
    /// <summary>No complete presence in the bytes yet: read more.</summary>
    NeedMore,

    /// <summary>Available presence whose status carries this run's tag, a send timestamp and a sequence number.</summary>
    Change,

    /// <summary>Available presence without them (an initial presence).</summary>
    Available,

    Unavailable,

    /// <summary><c>type='error'</c>.</summary>
    Error,

    /// <summary>Any other presence (subscription, probe) or a longer element name: ignored.</summary>
    Other,

    /// <summary>A stream error or the end of the stream.</summary>
    StreamEnd,
}

/// <summary>
/// The presence workload's hot-path reader: finds the next <c>&lt;presence&gt;</c> in raw received bytes (framed by
/// <see cref="StanzaScanner"/>), its <c>from</c> and <c>type</c> and, in a status written as this tool writes it
/// (<c>&lt;status&gt;tag ticks seq&lt;/status&gt;</c>, no attributes, as servers forward it), the send timestamp and
/// sequence number, without parsing XML or allocating; everything else in the stream is skipped.
/// </summary>
internal static class PresenceScanner
{
    public static PresenceKind Next(ReadOnlySpan<byte> data, ReadOnlySpan<byte> tag, out int consumed, out ReadOnlySpan<byte> from, out long ticks, out long seq)
    {
        from = default;
        ticks = 0;
        seq = 0;
        var frame = StanzaScanner.Next(data, "<presence"u8, "</presence>"u8);
        consumed = frame.Consumed;
        switch (frame.Kind)
        {
            case FrameKind.NeedMore:
                return PresenceKind.NeedMore;
            case FrameKind.StreamEnd:
                return PresenceKind.StreamEnd;
            case FrameKind.Skipped:
                return PresenceKind.Other;
        }

        from = Attribute(frame.Head, " from="u8);
        var type = Attribute(frame.Head, " type="u8);
        if (!type.IsEmpty)
        {
            return type.SequenceEqual("unavailable"u8) ? PresenceKind.Unavailable
                : type.SequenceEqual("error"u8) ? PresenceKind.Error
                : PresenceKind.Other;
        }

        var content = frame.Content;
        var status = content.IndexOf("<status>"u8);
        if (status < 0 || !content[(status + 8)..].StartsWith(tag))
        {
            return PresenceKind.Available;
        }

        var text = content[(status + 8 + tag.Length)..];
        if (!Utf8Parser.TryParse(text, out ticks, out var digits) || digits == 0 || digits >= text.Length || text[digits] != (byte)' ')
        {
            return PresenceKind.Available;
        }

        text = text[(digits + 1)..];
        return Utf8Parser.TryParse(text, out seq, out digits) && digits > 0 && digits < text.Length && text[digits] == (byte)'<' && seq >= 0
            ? PresenceKind.Change
            : PresenceKind.Available;
    }

    /// <summary>The value of the attribute <paramref name="nameEquals"/> (<c>" from="</c>) in a start tag; empty when absent.</summary>
    private static ReadOnlySpan<byte> Attribute(ReadOnlySpan<byte> head, ReadOnlySpan<byte> nameEquals)
    {
        var at = head.IndexOf(nameEquals);
        if (at < 0 || at + nameEquals.Length >= head.Length)
        {
            return default;
        }

        var quote = head[at + nameEquals.Length];
        var value = head[(at + nameEquals.Length + 1)..];
        var end = value.IndexOf(quote);
        return quote is (byte)'\'' or (byte)'"' && end >= 0 ? value[..end] : default;
    }
}
