using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using ZkFire.Xmpp.Addressing.Unicode;

namespace ZkFire.Xmpp.Addressing;

/// <summary>
/// Prepares and enforces a domainpart (RFC 7622 §3.2): an IP literal or a domain name of NR-LDH labels and U-labels.
/// The canonical form is lower-case NFC with A-labels decoded to U-labels and no trailing dot.
/// </summary>
internal static class DomainPart
{
    private const int MaxLabelLength = 63;

    private static readonly SearchValues<char> LdhCharacters = SearchValues.Create("abcdefghijklmnopqrstuvwxyz0123456789-");

    public static bool TryNormalize(string input, out string output)
    {
        output = input;
        if (input.Length == 0)
        {
            return false;
        }

        if (input[0] == '[')
        {
            return TryNormalizeIPv6(input, out output);
        }

        if (Ascii.IsValid(input))
        {
            output = input.ToLowerInvariant();
        }
        else if (!TryMapUnicode(input, out output))
        {
            return false;
        }

        if (output.EndsWith('.'))
        {
            output = output[..^1];
        }

        if (output.Length == 0)
        {
            return false;
        }

        var labels = output.Split('.');
        if (labels.Length == 4 && labels.All(label => label.Length > 0 && label.All(char.IsAsciiDigit)))
        {
            // A dotted quad must already be canonical: "010.0.0.1" is octal to some resolvers and decimal to others.
            return IPAddress.TryParse(output, out var address) && address.ToString() == output;
        }

        var decoded = new List<int[]>(labels.Length);
        foreach (var label in labels)
        {
            if (!TryCheckLabel(label, out var codePoints))
            {
                return false;
            }

            decoded.Add(codePoints);
        }

        // RFC 5893: once any label is right-to-left, every label of the name must pass the bidi rule.
        if (decoded.Any(label => Precis.ContainsRightToLeft(label)) && !decoded.All(label => Precis.SatisfiesBidiRule(label)))
        {
            return false;
        }

        output = string.Join('.', decoded.Select(label => Normalizer.FromCodePoints(label)));
        return Encoding.UTF8.GetByteCount(output) <= Jid.MaxPartBytes;
    }

    // RFC 5895-style mapping: full/halfwidth to narrow, ideographic full stops to '.', lower case, NFC.
    private static bool TryMapUnicode(string input, out string output)
    {
        output = input;
        if (!Normalizer.TryDecode(input, out var codePoints))
        {
            return false;
        }

        var mapped = new List<int>(codePoints.Length);
        foreach (var codePoint in codePoints)
        {
            var narrow = UnicodeData.WidthMapped(codePoint);
            Precis.AddLowerCase(narrow is 0x3002 or 0xFF0E or 0xFF61 ? '.' : narrow, mapped);
        }

        output = Normalizer.FromCodePoints(Normalizer.Normalize([.. mapped], compatibility: false));
        return true;
    }

    private static bool TryCheckLabel(string label, out int[] codePoints)
    {
        codePoints = [];
        if (label.Length == 0 || label[0] == '-' || label[^1] == '-')
        {
            return false;
        }

        if (!Ascii.IsValid(label))
        {
            return Normalizer.TryDecode(label, out codePoints) && IsULabel(label, codePoints);
        }

        if (label.Length > MaxLabelLength || label.AsSpan().ContainsAnyExcept(LdhCharacters))
        {
            return false;
        }

        if (label.Length >= 4 && label[2] == '-' && label[3] == '-')
        {
            // Reserved "??--" labels: only A-labels ("xn--") are meaningful, and they are held as U-labels.
            return label.StartsWith("xn--", StringComparison.Ordinal) && TryDecodeALabel(label, out codePoints);
        }

        codePoints = [.. label.Select(c => (int)c)];
        return true;
    }

    private static bool IsULabel(string label, int[] codePoints)
    {
        if (!Precis.IsValidULabel(codePoints) || (label.Length >= 4 && label[2] == '-' && label[3] == '-'))
        {
            return false;
        }

        try
        {
            return new IdnMapping().GetAscii(label).Length <= MaxLabelLength;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static bool TryDecodeALabel(string label, out int[] codePoints)
    {
        codePoints = [];
        string unicode;
        try
        {
            unicode = new IdnMapping().GetUnicode(label);
        }
        catch (ArgumentException)
        {
            return false;
        }

        // The A-label must be the exact encoding of an already-normalised U-label, or two spellings would denote one name.
        return !Ascii.IsValid(unicode)
            && TryMapUnicode(unicode, out var mapped)
            && mapped == unicode
            && Normalizer.TryDecode(unicode, out codePoints)
            && IsULabel(unicode, codePoints)
            && string.Equals(new IdnMapping().GetAscii(unicode), label, StringComparison.Ordinal);
    }

    private static bool TryNormalizeIPv6(string input, out string output)
    {
        output = input;
        if (input.Length < 3 || input[^1] != ']')
        {
            return false;
        }

        var literal = input.AsSpan(1, input.Length - 2);
        if (literal.Contains('%') || !IPAddress.TryParse(literal, out var address) || address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return false;
        }

        output = $"[{address}]";
        return true;
    }
}
