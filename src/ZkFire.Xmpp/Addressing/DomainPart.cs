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

    // UTS #46 as ICU implements it, nontransitional: close to IDNA2008 but more lenient (symbols are valid, and .NET
    // asks for neither the bidi nor the CONTEXTO rules), so it is a check on top of ours, not instead of them.
    private static readonly IdnMapping Idna = new() { UseStd3AsciiRules = true, AllowUnassigned = false };

    public static bool TryNormalize(string input, out string output)
    {
        output = input;
        if (input.Length == 0)
        {
            return false;
        }

        if (IsCanonicalLdhName(input))
        {
            return true;
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

        output = string.Join('.', decoded.Select(label => UnicodeText.FromCodePoints(label)));
        return Encoding.UTF8.GetByteCount(output) <= Jid.MaxPartBytes;
    }

    /// <summary>
    /// Whether the name is lower-case NR-LDH labels only, none reserved ("??--") and not a dotted quad: such a name is
    /// its own canonical form. Every stanza's addresses are like this, and deciding it takes one pass and no allocation.
    /// </summary>
    private static bool IsCanonicalLdhName(string input)
    {
        if (input.Length > Jid.MaxPartBytes)
        {
            return false;
        }

        var rest = input.AsSpan();
        var labels = 0;
        var allDigits = true;
        while (true)
        {
            var dot = rest.IndexOf('.');
            var label = dot < 0 ? rest : rest[..dot];
            if (!IsLdhLabel(label) || IsReservedLabel(label))
            {
                return false;
            }

            labels++;
            allDigits &= !label.ContainsAnyExceptInRange('0', '9');
            if (dot < 0)
            {
                return !(labels == 4 && allDigits);
            }

            rest = rest[(dot + 1)..];
        }
    }

    // RFC 5895-style mapping: full/halfwidth to narrow, ideographic full stops to '.', lower case, NFC.
    private static bool TryMapUnicode(string input, out string output)
    {
        // Width mapping has already turned U+FF0E into '.' and U+FF61 into U+3002.
        var mapped = Precis.ToLowerCase(UnicodeData.MapWidth(input).Replace('\u3002', '.'));
        return UnicodeText.TryNormalize(mapped, NormalizationForm.FormC, out output);
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
            return UnicodeText.TryDecode(label, out codePoints) && IsULabel(label, codePoints);
        }

        if (!IsLdhLabel(label))
        {
            return false;
        }

        if (IsReservedLabel(label))
        {
            // Reserved "??--" labels: only A-labels ("xn--") are meaningful, and they are held as U-labels.
            return label.StartsWith("xn--", StringComparison.Ordinal) && TryDecodeALabel(label, out codePoints);
        }

        codePoints = [.. label.Select(c => (int)c)];
        return true;
    }

    /// <summary>Letters (lower case), digits and hyphens, 1 to 63 of them, no hyphen at either end (RFC 5890 §2.3.1).</summary>
    private static bool IsLdhLabel(ReadOnlySpan<char> label) =>
        !label.IsEmpty && label.Length <= MaxLabelLength && label[0] != '-' && label[^1] != '-' && !label.ContainsAnyExcept(LdhCharacters);

    /// <summary>Hyphens in the third and fourth places ("??--"): reserved, and meaningful only as an A-label ("xn--").</summary>
    private static bool IsReservedLabel(ReadOnlySpan<char> label) => label.Length >= 4 && label[2] == '-' && label[3] == '-';

    private static bool IsULabel(string label, int[] codePoints)
    {
        if (!Precis.IsValidULabel(codePoints) || IsReservedLabel(label))
        {
            return false;
        }

        try
        {
            // UTS #46 maps what it does not take as it is (Cherokee small letters to capitals, for one): a label that
            // does not come back unchanged is not one IDNA would produce.
            var ascii = Idna.GetAscii(label);
            return ascii.Length <= MaxLabelLength && string.Equals(Idna.GetUnicode(ascii), label, StringComparison.Ordinal);
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
            unicode = Idna.GetUnicode(label);
        }
        catch (ArgumentException)
        {
            return false;
        }

        // The A-label must be the exact encoding of an already-normalised U-label, or two spellings would denote one name.
        return !Ascii.IsValid(unicode)
            && TryMapUnicode(unicode, out var mapped)
            && mapped == unicode
            && UnicodeText.TryDecode(unicode, out codePoints)
            && IsULabel(unicode, codePoints)
            && string.Equals(Idna.GetAscii(unicode), label, StringComparison.Ordinal);
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
