using System.Buffers;
using System.Text.Unicode;

namespace ZkFire.Xmpp.Xml;

/// <summary>UTF-8 output with XML escaping, straight into the caller's buffer.</summary>
internal static class XmlOutput
{
    // Enough for any scalar (a surrogate pair is 2 chars, 4 bytes) while keeping requests to the writer modest.
    private const int MaxCharsPerChunk = 4096;

    /// <summary>Writes <c> name='value'</c>, with single quotes as XMPP peers customarily use.</summary>
    public static void WriteAttribute(IBufferWriter<byte> writer, string name, string value)
    {
        writer.Write(" "u8);
        WriteChars(writer, name);
        writer.Write("='"u8);
        WriteEscaped(writer, value, XmlChars.AttributeEscapes);
        writer.Write("'"u8);
    }

    public static void WriteEscaped(IBufferWriter<byte> writer, ReadOnlySpan<char> value, SearchValues<char> escapes)
    {
        while (true)
        {
            int i = value.IndexOfAny(escapes);
            if (i < 0)
            {
                WriteChars(writer, value);
                return;
            }

            WriteChars(writer, value[..i]);
            writer.Write(Escape(value[i]));
            value = value[(i + 1)..];
        }
    }

    public static void WriteChars(IBufferWriter<byte> writer, ReadOnlySpan<char> chars)
    {
        while (!chars.IsEmpty)
        {
            var destination = writer.GetSpan(Math.Min(chars.Length, MaxCharsPerChunk) * 3);
            if (Utf8.FromUtf16(chars, destination, out int read, out int written, replaceInvalidSequences: false) == OperationStatus.InvalidData)
            {
                throw new InvalidOperationException("The element contains a lone surrogate, which UTF-8 cannot encode.");
            }

            writer.Advance(written);
            chars = chars[read..];
        }
    }

    // Tab, LF and CR only reach here from attribute values (and CR from text), where literal ones would be
    // normalised away by the reader.
    private static ReadOnlySpan<byte> Escape(char c) => c switch
    {
        '&' => "&amp;"u8,
        '<' => "&lt;"u8,
        '>' => "&gt;"u8,
        '\'' => "&apos;"u8,
        '\t' => "&#9;"u8,
        '\n' => "&#10;"u8,
        '\r' => "&#13;"u8,
        _ => throw new InvalidOperationException($"U+{(int)c:X4} cannot be represented in XML."),
    };
}
