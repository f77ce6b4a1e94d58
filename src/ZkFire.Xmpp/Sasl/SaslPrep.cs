using System.Text;
using ZkFire.Xmpp.Addressing.Unicode;

namespace ZkFire.Xmpp.Sasl;

/// <summary>
/// SASLprep (RFC 4013), the stringprep profile SCRAM (RFC 5802 §2.2) and PLAIN use for passwords.
/// </summary>
/// <remarks>
/// Unicode 3.2 is what stringprep pins; this uses the runtime's NFKC (ICU) and <see cref="UnicodeData"/>'s bidi
/// classes and "unassigned", which only differs for characters assigned since 3.2.
/// </remarks>
internal static class SaslPrep
{
    public static bool TryPrepare(string input, out string output)
    {
        output = input;
        if (Ascii.IsValid(input))
        {
            return input.Length != 0 && !input.AsSpan().ContainsAnyExceptInRange('\x20', '\x7E');
        }

        if (!UnicodeText.TryDecode(input, out var codePoints))
        {
            return false;
        }

        var mapped = new List<int>(codePoints.Length);
        foreach (var codePoint in codePoints)
        {
            if (!IsMappedToNothing(codePoint))
            {
                mapped.Add(IsNonAsciiSpace(codePoint) ? ' ' : codePoint);
            }
        }

        if (!UnicodeText.TryNormalize([.. mapped], NormalizationForm.FormKC, out var normalized))
        {
            return false;
        }

        if (normalized.Length == 0 || normalized.Any(IsProhibited) || !SatisfiesBidi(normalized))
        {
            return false;
        }

        output = UnicodeText.FromCodePoints(normalized);
        return true;
    }

    // RFC 3454 §6: a string with any R/AL character must have no L character and start and end with R/AL.
    private static bool SatisfiesBidi(ReadOnlySpan<int> codePoints)
    {
        var hasRightToLeft = false;
        var hasLeftToRight = false;
        foreach (var codePoint in codePoints)
        {
            var bidi = UnicodeData.Bidi(codePoint);
            hasRightToLeft |= bidi is BidiClass.R or BidiClass.AL;
            hasLeftToRight |= bidi == BidiClass.L;
        }

        return !hasRightToLeft
            || (!hasLeftToRight && IsRightToLeft(codePoints[0]) && IsRightToLeft(codePoints[^1]));
    }

    private static bool IsRightToLeft(int codePoint) => UnicodeData.Bidi(codePoint) is BidiClass.R or BidiClass.AL;

    // RFC 3454 table B.1.
    private static bool IsMappedToNothing(int codePoint) => codePoint is
        0xAD or 0x34F or 0x1806 or (>= 0x180B and <= 0x180D) or (>= 0x200B and <= 0x200D) or 0x2060
        or (>= 0xFE00 and <= 0xFE0F) or 0xFEFF;

    // RFC 3454 table C.1.2.
    private static bool IsNonAsciiSpace(int codePoint) => codePoint is
        0xA0 or 0x1680 or (>= 0x2000 and <= 0x200B) or 0x202F or 0x205F or 0x3000;

    // RFC 4013 §2.3 (tables C.1.2, C.2.1, C.2.2, C.3 to C.9) and §2.5 (unassigned).
    private static bool IsProhibited(int codePoint) => codePoint is
        < 0x20 or (>= 0x7F and <= 0x9F) or 0x6DD or 0x70F or 0x180E or 0x200C or 0x200D or 0x2028 or 0x2029
        or (>= 0x2060 and <= 0x2063) or (>= 0x206A and <= 0x206F) or 0xFEFF or (>= 0xFFF9 and <= 0xFFFD)
        or (>= 0x1D173 and <= 0x1D17A)
        or (>= 0xE000 and <= 0xF8FF) or (>= 0xF0000 and <= 0xFFFFD) or (>= 0x100000 and <= 0x10FFFD)
        or (>= 0xFDD0 and <= 0xFDEF) or (>= 0xD800 and <= 0xDFFF)
        or (>= 0x2FF0 and <= 0x2FFB) or 0x340 or 0x341 or 0x200E or 0x200F or (>= 0x202A and <= 0x202E)
        or 0xE0001 or (>= 0xE0020 and <= 0xE007F)
        || (codePoint & 0xFFFE) == 0xFFFE
        || IsNonAsciiSpace(codePoint)
        || UnicodeData.IsUnassigned(codePoint);
}
