using System.Buffers.Text;

namespace ZkFire.LoadTool.Xmpp;

internal enum ScannedKind
{
    /// <summary>No complete stanza in the bytes yet: read more.</summary>
    NeedMore,

    /// <summary>A message of this run whose body carries a send timestamp.</summary>
    Timestamped,

    /// <summary>A message of this run without a timestamp (a route probe).</summary>
    Probe,

    /// <summary>A message bounced with <c>type='error'</c>.</summary>
    Bounce,

    /// <summary>Some other message (an earlier run's, stored offline): ignored.</summary>
    Other,

    /// <summary>A stream error or the end of the stream.</summary>
    StreamEnd,
}

/// <summary>
/// The load tool's hot-path reader: finds the next <c>&lt;message ...&gt;...&lt;/message&gt;</c> in raw received bytes
/// and the timestamp in its body, without parsing XML. It relies on what this tool sends (no nested messages, the
/// body text <c>tag + ticks</c> without markup) and on a server writing <c>&lt;body&gt;</c> without attributes,
/// as servers do for a body that came without them; everything between messages (presence, IQs) is skipped.
/// </summary>
internal static class MessageScanner
{
    private static ReadOnlySpan<byte> Open => "<message"u8;

    private static ReadOnlySpan<byte> Close => "</message>"u8;

    /// <summary>
    /// Scans <paramref name="data"/> for the next message of run <paramref name="tag"/>; <paramref name="consumed"/>
    /// is how many bytes are done with (the message and what came before it, or whatever cannot start one).
    /// </summary>
    public static ScannedKind Next(ReadOnlySpan<byte> data, ReadOnlySpan<byte> tag, out int consumed, out long ticks)
    {
        ticks = 0;
        var at = data.IndexOf(Open);
        var before = at < 0 ? data : data[..at];
        if (before.IndexOf("<stream:error"u8) >= 0 || before.IndexOf("</stream:stream>"u8) >= 0)
        {
            consumed = data.Length;
            return ScannedKind.StreamEnd;
        }

        if (at < 0)
        {
            // Keep a tail that may be the start of "<message" cut by the read.
            consumed = Math.Max(0, data.Length - (Open.Length - 1));
            return ScannedKind.NeedMore;
        }

        var stanza = data[at..];
        var headEnd = stanza.IndexOf((byte)'>');
        if (headEnd < 0 || stanza.Length <= Open.Length)
        {
            consumed = at;
            return ScannedKind.NeedMore;
        }

        var afterName = stanza[Open.Length];
        if (afterName is not ((byte)' ' or (byte)'>' or (byte)'/' or (byte)'\t' or (byte)'\n' or (byte)'\r'))
        {
            // <messageSomething: not ours; skip past its '<'.
            consumed = at + 1;
            return ScannedKind.Other;
        }

        var head = stanza[..headEnd];
        var bounce = head.IndexOf("type='error'"u8) >= 0 || head.IndexOf("type=\"error\""u8) >= 0;
        if (head.Length > 0 && head[^1] == (byte)'/')
        {
            consumed = at + headEnd + 1;
            return bounce ? ScannedKind.Bounce : ScannedKind.Other;
        }

        var close = stanza.IndexOf(Close);
        if (close < 0)
        {
            consumed = at;
            return ScannedKind.NeedMore;
        }

        consumed = at + close + Close.Length;
        if (bounce)
        {
            return ScannedKind.Bounce;
        }

        var content = stanza[(headEnd + 1)..close];
        var body = content.IndexOf("<body>"u8);
        if (body < 0 || !content[(body + 6)..].StartsWith(tag))
        {
            return ScannedKind.Other;
        }

        var text = content[(body + 6 + tag.Length)..];
        return Utf8Parser.TryParse(text, out ticks, out var digits) && digits > 0 && digits < text.Length && text[digits] == (byte)'<'
            ? ScannedKind.Timestamped
            : ScannedKind.Probe;
    }
}
