using System.Globalization;
using System.Text;

namespace ZkFire.Xmpp.Addressing.Unicode;

/// <summary>The Bidi_Class values (UAX #9) that the bidi rules of RFC 5893 and RFC 3454 tell apart.</summary>
internal enum BidiClass
{
    L,
    R,
    AL,
    EN,
    ES,
    ET,
    AN,
    CS,
    NSM,
    BN,

    /// <summary>Other neutral; also stands for B, S, WS and the explicit formatting classes, which no rule accepts.</summary>
    ON,
}

/// <summary>
/// Unicode properties .NET does not expose, derived from what it does: general categories (.NET's own data),
/// normalisation, case mapping and IDNA (ICU), plus short lists of ranges.
/// </summary>
internal static class UnicodeData
{
    // UseStd3AsciiRules stays off so that the probe in IsUnknownToIcu only fails on what UTS #46 disallows outright.
    private static readonly IdnMapping Idna = new();

    // ICU's answer for a code point cannot change while the process runs, and asking costs about a microsecond, so
    // it is kept: two bits a code point, "asked" and "unknown".
    private static readonly int[] IcuAnswers = new int[0x110000 / 16];

    // The @missing defaults of DerivedBidiClass.txt: blocks reserved for right-to-left scripts, so these also hold for
    // code points assigned after this list was written.
    private static readonly BidiRange[] RightToLeftBlocks =
    [
        new(0x0590, 0x05FF, BidiClass.R), new(0x0600, 0x07BF, BidiClass.AL), new(0x07C0, 0x085F, BidiClass.R),
        new(0x0860, 0x08FF, BidiClass.AL), new(0xFB1D, 0xFB4F, BidiClass.R), new(0xFB50, 0xFDCF, BidiClass.AL),
        new(0xFDF0, 0xFDFF, BidiClass.AL), new(0xFE70, 0xFEFF, BidiClass.AL), new(0x10800, 0x10CFF, BidiClass.R),
        new(0x10D00, 0x10D3F, BidiClass.AL), new(0x10D40, 0x10EBF, BidiClass.R), new(0x10EC0, 0x10EFF, BidiClass.AL),
        new(0x10F00, 0x10F2F, BidiClass.R), new(0x10F30, 0x10F6F, BidiClass.AL), new(0x10F70, 0x10FFF, BidiClass.R),
        new(0x1E800, 0x1EC6F, BidiClass.R), new(0x1EC70, 0x1ECBF, BidiClass.AL), new(0x1ECC0, 0x1ECFF, BidiClass.R),
        new(0x1ED00, 0x1ED4F, BidiClass.AL), new(0x1ED50, 0x1EDFF, BidiClass.R), new(0x1EE00, 0x1EEFF, BidiClass.AL),
        new(0x1EF00, 0x1EFFF, BidiClass.R),
    ];

    // Assigned code points (Unicode 15.0) whose Bidi_Class is not the one Bidi derives from block and category.
    // Outside right-to-left blocks only what PRECIS or IDNA can accept is listed: other symbols and punctuation there
    // default to ON even where they are L, which can only make SASLprep's bidi check more lenient.
    private static readonly BidiRange[] BidiExceptions =
    [
        new(0x02B9, 0x02BA, BidiClass.ON), new(0x02C6, 0x02CF, BidiClass.ON), new(0x02EC, 0x02EC, BidiClass.ON),
        new(0x0600, 0x0605, BidiClass.AN), new(0x0606, 0x0607, BidiClass.ON), new(0x0609, 0x060A, BidiClass.ET),
        new(0x060C, 0x060C, BidiClass.CS), new(0x060E, 0x060F, BidiClass.ON), new(0x066A, 0x066A, BidiClass.ET),
        new(0x066B, 0x066C, BidiClass.AN), new(0x06DD, 0x06DD, BidiClass.AN), new(0x06DE, 0x06DE, BidiClass.ON),
        new(0x06E9, 0x06E9, BidiClass.ON), new(0x06F0, 0x06F9, BidiClass.EN), new(0x07F6, 0x07F9, BidiClass.ON),
        new(0x0890, 0x0891, BidiClass.AN), new(0x08E2, 0x08E2, BidiClass.AN), new(0x0CBF, 0x0CBF, BidiClass.L),
        new(0x0CC6, 0x0CC6, BidiClass.L), new(0x0F0B, 0x0F0B, BidiClass.L), new(0x200C, 0x200D, BidiClass.BN),
        new(0x200F, 0x200F, BidiClass.R), new(0x2E2F, 0x2E2F, BidiClass.ON),
        new(0xA67F, 0xA67F, BidiClass.ON), new(0xA717, 0xA71F, BidiClass.ON), new(0xA788, 0xA788, BidiClass.ON),
        new(0xFB29, 0xFB29, BidiClass.ES), new(0xFD3E, 0xFD4F, BidiClass.ON), new(0xFDCF, 0xFDCF, BidiClass.ON),
        new(0xFDFD, 0xFDFF, BidiClass.ON), new(0xFEFF, 0xFEFF, BidiClass.BN), new(0x10140, 0x10174, BidiClass.ON),
        new(0x1091F, 0x1091F, BidiClass.ON), new(0x10B39, 0x10B3F, BidiClass.ON), new(0x10E60, 0x10E7E, BidiClass.AN),
        new(0x11A07, 0x11A08, BidiClass.L), new(0x11C3F, 0x11C3F, BidiClass.L), new(0x1EEF0, 0x1EEF1, BidiClass.ON),
    ];

    /// <summary>
    /// The bidi class, which .NET keeps internal. Exact for the code points PRECIS and IDNA accept, and for whether
    /// any code point is right-to-left (R or AL); see <see cref="BidiExceptions"/> for where it is lenient.
    /// </summary>
    public static BidiClass Bidi(int codePoint)
    {
        if (codePoint < 0x80)
        {
            return codePoint switch
            {
                >= '0' and <= '9' => BidiClass.EN,
                '+' or '-' => BidiClass.ES,
                '#' or '$' or '%' => BidiClass.ET,
                ',' or '.' or '/' or ':' => BidiClass.CS,
                (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') => BidiClass.L,
                _ => BidiClass.ON,
            };
        }

        if (Find(BidiExceptions, codePoint) is { } exception)
        {
            return exception;
        }

        var category = CharUnicodeInfo.GetUnicodeCategory(codePoint);
        if (category is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark)
        {
            return BidiClass.NSM;
        }

        if (Find(RightToLeftBlocks, codePoint) is { } block)
        {
            return block == BidiClass.AL && category == UnicodeCategory.DecimalDigitNumber ? BidiClass.AN : block;
        }

        return category is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter
            or UnicodeCategory.TitlecaseLetter or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter
            or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber
            ? BidiClass.L
            : BidiClass.ON;
    }

    /// <summary>
    /// True when the code point is unassigned for .NET's general categories or for the system ICU. The two are
    /// different Unicode versions (.NET 10 has 16.0, Debian 12's ICU 72 has 15.0), and ICU normalises and case-maps:
    /// a code point only .NET knows would be treated as inert today and differently once ICU catches up, changing
    /// stored JIDs and SCRAM keys. PRECIS and stringprep refuse unassigned code points for exactly that reason.
    /// </summary>
    public static bool IsUnassigned(int codePoint)
    {
        if (codePoint < 0x80)
        {
            return false;
        }

        var category = CharUnicodeInfo.GetUnicodeCategory(codePoint);
        if (category == UnicodeCategory.OtherNotAssigned)
        {
            return true;
        }

        // .NET offers no ICU "is assigned", so ask what does use ICU's data: UTS #46 disallows unassigned code points,
        // and decompositions and case mappings vouch for some assigned ones it disallows too. The rest of those
        // (format and separator characters, default ignorables and a few old symbols) cannot be told apart this way
        // and are taken as assigned: none is new since Unicode 15.0, and PRECIS disallows all but the symbols.
        if (category is UnicodeCategory.Format or UnicodeCategory.SpaceSeparator or UnicodeCategory.LineSeparator
                or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Control or UnicodeCategory.PrivateUse
            || IsDefaultIgnorable(codePoint)
            || codePoint is 0x1806 or (>= 0x2FF0 and <= 0x2FFB) or 0xFFFC or 0xFFFD)
        {
            return false;
        }

        var shift = (codePoint & 15) * 2;
        var answer = Volatile.Read(ref IcuAnswers[codePoint >> 4]) >> shift;
        if ((answer & 1) == 0)
        {
            answer = IsUnknownToIcu(codePoint) ? 3 : 1;
            Interlocked.Or(ref IcuAnswers[codePoint >> 4], answer << shift);
        }

        return (answer & 2) != 0;
    }

    /// <summary>RFC 8264 HasCompat: true when NFKC changes the code point.</summary>
    public static bool HasCompatibilityMapping(int codePoint)
    {
        Span<char> text = stackalloc char[2];
        var length = new Rune(codePoint).EncodeToUtf16(text);
        return !text[..length].IsNormalized(NormalizationForm.FormKC);
    }

    /// <summary>True when Canonical_Combining_Class is Virama (9), the condition RFC 5892 A.1 and A.2 put on a joiner.</summary>
    /// <remarks>
    /// .NET has no combining-class API, but canonical reordering reveals the class: a following mark of lower non-zero
    /// class moves in front of it, so class 9 is exactly "NFD changes it followed by a class-8 mark but not followed by
    /// a class-9 one" (a code point that decomposes fails the second test).
    /// </remarks>
    public static bool IsVirama(int codePoint)
    {
        var mark = new Rune(codePoint).ToString();
        return !string.Equals((mark + "\u3099").Normalize(NormalizationForm.FormD), mark + "\u3099", StringComparison.Ordinal)
            && string.Equals((mark + "\u094D").Normalize(NormalizationForm.FormD), mark + "\u094D", StringComparison.Ordinal);
    }

    /// <summary>
    /// Maps fullwidth and halfwidth characters (U+3000 and U+FF01 to U+FFEE) to their &lt;wide&gt;/&lt;narrow&gt;
    /// decomposition, which NFKC of each yields. Halfwidth Hangul and FULLWIDTH MACRON are left alone: NFKC would
    /// decompose their counterparts further, and as compatibility characters they are refused either way.
    /// </summary>
    public static string MapWidth(string text)
    {
        if (!text.AsSpan().ContainsAnyInRange('\uFF01', '\uFFEE') && !text.Contains('\u3000', StringComparison.Ordinal))
        {
            return text;
        }

        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (c is '\u3000' or (>= '\uFF01' and <= '\uFF9F') or (>= '\uFFE0' and <= '\uFFEE') && c != '\uFFE3')
            {
                builder.Append(c.ToString().Normalize(NormalizationForm.FormKC));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    /// <summary>Default_Ignorable_Code_Point as of Unicode 15.0; .NET exposes no such property.</summary>
    public static bool IsDefaultIgnorable(int codePoint) => codePoint is
        0xAD or 0x34F or 0x61C or (>= 0x115F and <= 0x1160) or (>= 0x17B4 and <= 0x17B5) or (>= 0x180B and <= 0x180F)
        or (>= 0x200B and <= 0x200F) or (>= 0x202A and <= 0x202E) or (>= 0x2060 and <= 0x206F) or 0x3164
        or (>= 0xFE00 and <= 0xFE0F) or 0xFEFF or 0xFFA0 or (>= 0xFFF0 and <= 0xFFF8) or (>= 0x1BCA0 and <= 0x1BCA3)
        or (>= 0x1D173 and <= 0x1D17A) or (>= 0xE0000 and <= 0xE0FFF);

    private static bool IsUnknownToIcu(int codePoint)
    {
        var text = new Rune(codePoint).ToString();
        if (!text.IsNormalized(NormalizationForm.FormKD) || !string.Equals(text.ToLowerInvariant(), text, StringComparison.Ordinal))
        {
            return false;
        }

        try
        {
            // Letters on both sides keep UTS #46's rules on hyphens and leading marks out of the answer.
            Idna.GetAscii($"a{text}a");
            return false;
        }
        catch (ArgumentException)
        {
            return true;
        }
    }

    private static BidiClass? Find(ReadOnlySpan<BidiRange> ranges, int codePoint)
    {
        foreach (var range in ranges)
        {
            if (codePoint >= range.First && codePoint <= range.Last)
            {
                return range.Bidi;
            }
        }

        return null;
    }

    private readonly record struct BidiRange(int First, int Last, BidiClass Bidi);
}
