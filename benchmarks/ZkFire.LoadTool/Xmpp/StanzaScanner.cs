namespace ZkFire.LoadTool.Xmpp;

internal enum FrameKind
{
    /// <summary>No complete stanza of the name in the bytes yet: read more.</summary>
    NeedMore,

    /// <summary>A complete stanza: <see cref="StanzaFrame.Head"/> and <see cref="StanzaFrame.Content"/> are set.</summary>
    Stanza,

    /// <summary>A longer name that starts with the one looked for (<c>&lt;messageX</c>): skipped.</summary>
    Skipped,

    /// <summary>A stream error or the end of the stream.</summary>
    StreamEnd,
}

/// <summary>Where the next stanza of one name lies in received bytes.</summary>
/// <param name="Consumed">Bytes done with: the stanza and what came before it, or whatever cannot start one.</param>
/// <param name="Head">The start tag from the name's <c>&lt;</c> up to, not including, its <c>&gt;</c> (a trailing <c>/</c> when self-closing).</param>
/// <param name="Content">Between the start tag and the end tag; empty when self-closing.</param>
internal readonly ref struct StanzaFrame(FrameKind kind, int consumed, ReadOnlySpan<byte> head, ReadOnlySpan<byte> content)
{
    public FrameKind Kind { get; } = kind;

    public int Consumed { get; } = consumed;

    public ReadOnlySpan<byte> Head { get; } = head;

    public ReadOnlySpan<byte> Content { get; } = content;
}

/// <summary>
/// Frames top-level stanzas of one name (<c>message</c>, <c>presence</c>) in raw received bytes without parsing
/// XML, for the hot-path readers. It relies on the stanza not nesting an element of its own name and on text and
/// attribute values holding no <c>&lt;</c> or <c>&gt;</c> unescaped, as XML requires of well-formed servers' output;
/// everything between such stanzas (other stanzas, whitespace) is skipped.
/// </summary>
internal static class StanzaScanner
{
    /// <summary>The next stanza opened by <paramref name="open"/> (<c>"&lt;message"u8</c>) and closed by <paramref name="close"/>.</summary>
    public static StanzaFrame Next(ReadOnlySpan<byte> data, ReadOnlySpan<byte> open, ReadOnlySpan<byte> close)
    {
        var at = data.IndexOf(open);
        var before = at < 0 ? data : data[..at];
        if (before.IndexOf("<stream:error"u8) >= 0 || before.IndexOf("</stream:stream>"u8) >= 0)
        {
            return new StanzaFrame(FrameKind.StreamEnd, data.Length, default, default);
        }

        if (at < 0)
        {
            // Keep a tail that may be the start of the name cut by the read.
            return new StanzaFrame(FrameKind.NeedMore, Math.Max(0, data.Length - (open.Length - 1)), default, default);
        }

        var stanza = data[at..];
        var headEnd = stanza.IndexOf((byte)'>');
        if (headEnd < 0 || stanza.Length <= open.Length)
        {
            return new StanzaFrame(FrameKind.NeedMore, at, default, default);
        }

        if (stanza[open.Length] is not ((byte)' ' or (byte)'>' or (byte)'/' or (byte)'\t' or (byte)'\n' or (byte)'\r'))
        {
            // Skip past its '<'.
            return new StanzaFrame(FrameKind.Skipped, at + 1, default, default);
        }

        var head = stanza[..headEnd];
        if (head[^1] == (byte)'/')
        {
            return new StanzaFrame(FrameKind.Stanza, at + headEnd + 1, head, default);
        }

        var end = stanza.IndexOf(close);
        return end < 0
            ? new StanzaFrame(FrameKind.NeedMore, at, default, default)
            : new StanzaFrame(FrameKind.Stanza, at + end + close.Length, head, stanza[(headEnd + 1)..end]);
    }
}
