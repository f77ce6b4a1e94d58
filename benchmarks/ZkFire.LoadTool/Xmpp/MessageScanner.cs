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
    /// <summary>
    /// Scans <paramref name="data"/> for the next message of run <paramref name="tag"/>; <paramref name="consumed"/>
    /// is how many bytes are done with (the message and what came before it, or whatever cannot start one).
    /// </summary>
    public static ScannedKind Next(ReadOnlySpan<byte> data, ReadOnlySpan<byte> tag, out int consumed, out long ticks)
    {
        ticks = 0;
        var frame = StanzaScanner.Next(data, "<message"u8, "</message>"u8);
        consumed = frame.Consumed;
        switch (frame.Kind)
        {
            case FrameKind.NeedMore:
                return ScannedKind.NeedMore;
            case FrameKind.StreamEnd:
                return ScannedKind.StreamEnd;
            case FrameKind.Skipped:
                return ScannedKind.Other;
        }

        var head = frame.Head;
        var bounce = head.IndexOf("type='error'"u8) >= 0 || head.IndexOf("type=\"error\""u8) >= 0;
        if (bounce)
        {
            return ScannedKind.Bounce;
        }

        var content = frame.Content;
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
