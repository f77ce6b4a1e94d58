using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;

namespace ZkFire.Xmpp.Xml;

/// <summary>Character classes of XML 1.0 (fifth edition) and Namespaces in XML 1.0.</summary>
internal static class XmlChars
{
    /// <summary>Bytes that may appear in a name: ASCII name characters plus every non-ASCII byte (checked after decoding).</summary>
    public static readonly SearchValues<byte> NameBytes = SearchValues.Create(NameByteSet());

    public static readonly SearchValues<byte> Whitespace = SearchValues.Create(" \t\r\n"u8);

    /// <summary>Stops while copying character data: references, line ends, ']]>' and characters needing a legality check.
    /// 0xEF leads U+F000..U+FFFF and so the non-characters U+FFFE/U+FFFF.</summary>
    public static readonly SearchValues<byte> TextStops = SearchValues.Create(ControlsExcept("\t\n", "&>\r\u00EF"));

    public static readonly SearchValues<byte> AttributeStops = SearchValues.Create(ControlsExcept("", "&<\u00EF"));

    public static readonly SearchValues<byte> CdataStops = SearchValues.Create(ControlsExcept("\t\n", "\r\u00EF"));

    /// <summary>Characters a writer must escape or refuse in text: markup, CR (would be normalised away) and illegal characters.</summary>
    public static readonly SearchValues<char> TextEscapes = SearchValues.Create(ControlCharsExcept("\t\n", "&<>\r\uFFFE\uFFFF"));

    /// <summary>As <see cref="TextEscapes"/> plus the quote and the whitespace that attribute-value normalisation would turn into spaces.</summary>
    public static readonly SearchValues<char> AttributeEscapes = SearchValues.Create(ControlCharsExcept("", "&<'\uFFFE\uFFFF"));

    public static bool IsNameStartChar(int c) =>
        c < 0x80
            ? (uint)((c | 0x20) - 'a') <= 'z' - 'a' || c is '_' or ':'
            : c is (>= 0xC0 and <= 0xD6) or (>= 0xD8 and <= 0xF6) or (>= 0xF8 and <= 0x2FF) or (>= 0x370 and <= 0x37D)
                or (>= 0x37F and <= 0x1FFF) or (>= 0x200C and <= 0x200D) or (>= 0x2070 and <= 0x218F)
                or (>= 0x2C00 and <= 0x2FEF) or (>= 0x3001 and <= 0xD7FF) or (>= 0xF900 and <= 0xFDCF)
                or (>= 0xFDF0 and <= 0xFFFD) or (>= 0x10000 and <= 0xEFFFF);

    public static bool IsNameChar(int c) =>
        IsNameStartChar(c) || (uint)(c - '0') <= 9 || c is '-' or '.' or 0xB7 or (>= 0x300 and <= 0x36F) or (>= 0x203F and <= 0x2040);

    /// <summary>The <c>Char</c> production: what a character reference may denote.</summary>
    public static bool IsLegalChar(int c) =>
        c is 0x9 or 0xA or 0xD or (>= 0x20 and <= 0xD7FF) or (>= 0xE000 and <= 0xFFFD) or (>= 0x10000 and <= 0x10FFFF);

    /// <summary>Validates a QName (<c>NCName</c> or <c>NCName:NCName</c>).</summary>
    public static void ValidateQName(ReadOnlySpan<char> name)
    {
        if (!IsValidQName(name))
        {
            ThrowHelper.NotWellFormed("Invalid name.");
        }
    }

    /// <summary>As <see cref="ValidateQName"/> for a name whose bytes are all ASCII name characters.</summary>
    public static int ValidateAsciiQName(ReadOnlySpan<byte> name)
    {
        int colon = name.IndexOf((byte)':');
        bool valid = colon < 0
            ? IsNameStartChar(name[0])
            : colon > 0 && colon < name.Length - 1 && name[(colon + 1)..].IndexOf((byte)':') < 0
                && IsNameStartChar(name[0]) && IsNameStartChar(name[colon + 1]);
        if (!valid)
        {
            ThrowHelper.NotWellFormed("Invalid name.");
        }

        return colon;
    }

    public static bool IsValidQName(ReadOnlySpan<char> name)
    {
        int colon = name.IndexOf(':');
        return colon < 0 ? IsNcName(name) : IsNcName(name[..colon]) && IsNcName(name[(colon + 1)..]);
    }

    /// <summary>Throws not-well-formed if the UTF-8 at <paramref name="index"/> (a 0xEF byte) encodes U+FFFE or U+FFFF.
    /// A truncated sequence is left to the UTF-8 decoder to refuse.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CheckNonCharacter(ReadOnlySpan<byte> s, int index)
    {
        if (index + 2 < s.Length && s[index + 1] == 0xBF && s[index + 2] >= 0xBE)
        {
            ThrowHelper.IllegalCharacter();
        }
    }

    private static bool IsNcName(ReadOnlySpan<char> name)
    {
        if (name.IsEmpty)
        {
            return false;
        }

        bool first = true;
        foreach (var rune in name.EnumerateRunes())
        {
            int c = rune.Value;
            if (c == ':' || (first ? !IsNameStartChar(c) : !IsNameChar(c)))
            {
                return false;
            }

            first = false;
        }

        return true;
    }

    private static byte[] NameByteSet()
    {
        var set = new List<byte>();
        for (int b = 0; b < 256; b++)
        {
            if (b >= 0x80 || IsNameChar(b))
            {
                set.Add((byte)b);
            }
        }

        return [.. set];
    }

    private static byte[] ControlsExcept(string allowed, string extra)
    {
        var set = new List<byte>();
        for (int b = 0; b < 0x20; b++)
        {
            if (!allowed.Contains((char)b, StringComparison.Ordinal))
            {
                set.Add((byte)b);
            }
        }

        foreach (char c in extra)
        {
            set.Add((byte)c);
        }

        return [.. set];
    }

    private static string ControlCharsExcept(string allowed, string extra)
    {
        var sb = new StringBuilder(extra);
        for (char c = '\0'; c < ' '; c++)
        {
            if (!allowed.Contains(c, StringComparison.Ordinal))
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }
}
