using System.Globalization;
using System.Text;
using ZkFire.Xmpp.Addressing.Unicode;

namespace ZkFire.Xmpp.Addressing;

/// <summary>
/// The PRECIS framework (RFC 8264) with the UsernameCaseMapped and OpaqueString profiles (RFC 8265).
/// </summary>
/// <remarks>
/// Derived properties are computed per code point from .NET's general categories and ICU's normalisation (see
/// <see cref="UnicodeData"/>), following the algorithm of RFC 8264 §8, not from an IANA DerivedProperties table.
/// Approximations:
/// <list type="bullet">
/// <item>Default_Ignorable_Code_Point is a fixed list of ranges (Unicode 15.0).</item>
/// <item>CONTEXTJ: ZERO WIDTH (NON-)JOINER is accepted only after a virama; the Arabic joining-type alternative of
/// RFC 5892 A.1 is not implemented, so such strings are refused.</item>
/// <item>CONTEXTO rules that ask for a script (Greek, Hebrew, Hiragana/Katakana/Han) test block ranges.</item>
/// <item>Case mapping is Unicode simple lower-casing, plus U+0130's full mapping (i + U+0307), which .NET's
/// invariant casing deliberately leaves out; the final-sigma rule of full lower-casing is not applied.</item>
/// </list>
/// </remarks>
internal static class Precis
{
    private enum Property
    {
        Valid,

        /// <summary>ID_DIS / FREE_PVAL: allowed by FreeformClass only.</summary>
        FreeformOnly,
        ContextJ,
        ContextO,
        Disallowed,
        Unassigned,
    }

    /// <summary>Enforces UsernameCaseMapped: width mapping, lower-casing, NFC, bidi rule, IdentifierClass.</summary>
    public static bool TryEnforceUsernameCaseMapped(string input, out string output)
    {
        output = input;
        if (Ascii.IsValid(input))
        {
            // ASCII is never width-mapped, RTL or contextual; IdentifierClass allows exactly the graphic characters.
            if (input.Length == 0 || input.AsSpan().ContainsAnyExceptInRange('\x21', '\x7E'))
            {
                return false;
            }

            output = input.ToLowerInvariant();
            return true;
        }

        return UnicodeText.TryNormalize(ToLowerCase(UnicodeData.MapWidth(input)), NormalizationForm.FormC, out var normalized)
            && TryFinish(normalized, freeform: false, out output);
    }

    /// <summary>Enforces OpaqueString: non-ASCII spaces become U+0020, NFC, FreeformClass; case is kept.</summary>
    public static bool TryEnforceOpaqueString(string input, out string output)
    {
        output = input;
        if (Ascii.IsValid(input))
        {
            return input.Length != 0 && !input.AsSpan().ContainsAnyExceptInRange('\x20', '\x7E');
        }

        // Every space separator is in the BMP.
        var mapped = string.Create(input.Length, input, static (span, text) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = char.GetUnicodeCategory(text[i]) == UnicodeCategory.SpaceSeparator ? ' ' : text[i];
            }
        });
        return UnicodeText.TryNormalize(mapped, NormalizationForm.FormC, out var normalized)
            && TryFinish(normalized, freeform: true, out output);
    }

    /// <summary>
    /// Approximates IDNA2008 (RFC 5892) validity of a U-label's code points: LDH in ASCII, otherwise letters, marks
    /// and digits without compatibility mappings, plus the contextual rules; no leading combining mark.
    /// </summary>
    public static bool IsValidULabel(ReadOnlySpan<int> codePoints)
    {
        if (codePoints.IsEmpty || Rune.GetUnicodeCategory(new Rune(codePoints[0])) is
                UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark)
        {
            return false;
        }

        for (var i = 0; i < codePoints.Length; i++)
        {
            var codePoint = codePoints[i];
            if (codePoint < 0x80)
            {
                if (codePoint != '-' && !char.IsAsciiLetterLower((char)codePoint) && !char.IsAsciiDigit((char)codePoint))
                {
                    return false;
                }

                continue;
            }

            if (!IsAllowedAt(codePoints, i, freeform: false))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>True when the text holds a right-to-left code point (bidi class R, AL or AN), so the bidi rule applies.</summary>
    public static bool ContainsRightToLeft(ReadOnlySpan<int> codePoints)
    {
        foreach (var codePoint in codePoints)
        {
            if (codePoint >= 0x590 && UnicodeData.Bidi(codePoint) is BidiClass.R or BidiClass.AL or BidiClass.AN)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The six conditions of the Bidi Rule (RFC 5893 §2).</summary>
    public static bool SatisfiesBidiRule(ReadOnlySpan<int> codePoints)
    {
        if (codePoints.IsEmpty)
        {
            return false;
        }

        var first = UnicodeData.Bidi(codePoints[0]);
        if (first is not (BidiClass.L or BidiClass.R or BidiClass.AL))
        {
            return false;
        }

        var rightToLeft = first != BidiClass.L;
        var hasEuropeanNumber = false;
        var hasArabicNumber = false;
        var last = first;
        foreach (var codePoint in codePoints)
        {
            var bidi = UnicodeData.Bidi(codePoint);
            var allowed = bidi is BidiClass.EN or BidiClass.ES or BidiClass.CS or BidiClass.ET or BidiClass.ON or BidiClass.BN or BidiClass.NSM
                || (rightToLeft ? bidi is BidiClass.R or BidiClass.AL or BidiClass.AN : bidi is BidiClass.L);
            if (!allowed)
            {
                return false;
            }

            hasEuropeanNumber |= bidi == BidiClass.EN;
            hasArabicNumber |= bidi == BidiClass.AN;
            if (bidi != BidiClass.NSM)
            {
                last = bidi;
            }
        }

        return rightToLeft
            ? last is BidiClass.R or BidiClass.AL or BidiClass.EN or BidiClass.AN && !(hasEuropeanNumber && hasArabicNumber)
            : last is BidiClass.L or BidiClass.EN;
    }

    /// <summary>Simple lower-casing, plus the full mapping of U+0130, which .NET's invariant casing leaves alone.</summary>
    internal static string ToLowerCase(string text) =>
        text.ToLowerInvariant().Replace("\u0130", "i\u0307", StringComparison.Ordinal);

    private static bool TryFinish(string normalized, bool freeform, out string output)
    {
        output = string.Empty;
        if (!UnicodeText.TryDecode(normalized, out var codePoints)
            || codePoints.Length == 0
            || (!freeform && ContainsRightToLeft(codePoints) && !SatisfiesBidiRule(codePoints)))
        {
            return false;
        }

        for (var i = 0; i < codePoints.Length; i++)
        {
            if (!IsAllowedAt(codePoints, i, freeform))
            {
                return false;
            }
        }

        output = normalized;
        return true;
    }

    private static bool IsAllowedAt(ReadOnlySpan<int> codePoints, int index, bool freeform) => Derive(codePoints[index]) switch
    {
        Property.Valid => true,
        Property.FreeformOnly => freeform,
        Property.ContextJ => index > 0 && UnicodeData.IsVirama(codePoints[index - 1]),
        Property.ContextO => SatisfiesContextO(codePoints, index),
        _ => false,
    };

    // RFC 8264 §8, in its order of precedence.
    private static Property Derive(int codePoint)
    {
        if (codePoint is >= 0x21 and <= 0x7E)
        {
            return Property.Valid;
        }

        switch (codePoint)
        {
            // RFC 5892 §2.6 exceptions.
            case 0xDF or 0x3C2 or 0x6FD or 0x6FE or 0xF0B or 0x3007:
                return Property.Valid;
            case 0xB7 or 0x375 or 0x5F3 or 0x5F4 or 0x30FB or (>= 0x660 and <= 0x669) or (>= 0x6F0 and <= 0x6F9):
                return Property.ContextO;
            case 0x640 or 0x7FA or 0x302E or 0x302F or (>= 0x3031 and <= 0x3035) or 0x303B:
                return Property.Disallowed;
        }

        // Noncharacters are Cn but PRECIS counts them as ignorable (disallowed), not unassigned.
        if (IsNoncharacter(codePoint))
        {
            return Property.Disallowed;
        }

        // Before the unassigned test, which asks UTS #46, and UTS #46 refuses a joiner out of context.
        if (codePoint is 0x200C or 0x200D)
        {
            return Property.ContextJ;
        }

        if (UnicodeData.IsUnassigned(codePoint))
        {
            return Property.Unassigned;
        }

        var category = Rune.GetUnicodeCategory(new Rune(codePoint));
        if (IsOldHangulJamo(codePoint) || UnicodeData.IsDefaultIgnorable(codePoint) || category == UnicodeCategory.Control)
        {
            return Property.Disallowed;
        }

        if (UnicodeData.HasCompatibilityMapping(codePoint))
        {
            return Property.FreeformOnly;
        }

        return category switch
        {
            UnicodeCategory.LowercaseLetter or UnicodeCategory.UppercaseLetter or UnicodeCategory.OtherLetter
                or UnicodeCategory.DecimalDigitNumber or UnicodeCategory.ModifierLetter
                or UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark => Property.Valid,
            UnicodeCategory.TitlecaseLetter or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber
                or UnicodeCategory.EnclosingMark or UnicodeCategory.SpaceSeparator
                or UnicodeCategory.MathSymbol or UnicodeCategory.CurrencySymbol or UnicodeCategory.ModifierSymbol
                or UnicodeCategory.OtherSymbol or UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
                or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation
                or UnicodeCategory.InitialQuotePunctuation or UnicodeCategory.FinalQuotePunctuation
                or UnicodeCategory.OtherPunctuation => Property.FreeformOnly,
            _ => Property.Disallowed,
        };
    }

    // RFC 5892 Appendix A.3 to A.9.
    private static bool SatisfiesContextO(ReadOnlySpan<int> codePoints, int index)
    {
        var before = index > 0 ? codePoints[index - 1] : -1;
        var after = index + 1 < codePoints.Length ? codePoints[index + 1] : -1;
        return codePoints[index] switch
        {
            0xB7 => before == 'l' && after == 'l',
            0x375 => IsGreek(after),
            0x5F3 or 0x5F4 => IsHebrew(before),
            0x30FB => ContainsAny(codePoints, IsHiraganaKatakanaOrHan),
            >= 0x660 and <= 0x669 => !codePoints.ContainsAnyInRange(0x6F0, 0x6F9),
            >= 0x6F0 and <= 0x6F9 => !codePoints.ContainsAnyInRange(0x660, 0x669),
            _ => false,
        };
    }

    private static bool ContainsAny(ReadOnlySpan<int> codePoints, Func<int, bool> predicate)
    {
        foreach (var codePoint in codePoints)
        {
            if (predicate(codePoint))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsGreek(int codePoint) =>
        codePoint is (>= 0x370 and <= 0x3E1) or (>= 0x3F0 and <= 0x3FF) or (>= 0x1F00 and <= 0x1FFF);

    private static bool IsHebrew(int codePoint) => codePoint is (>= 0x591 and <= 0x5F4) or (>= 0xFB1D and <= 0xFB4F);

    // KATAKANA MIDDLE DOT (U+30FB) and the prolonged sound mark are script Common, so they do not count.
    private static bool IsHiraganaKatakanaOrHan(int codePoint) => codePoint is
        (>= 0x3041 and <= 0x309F) or (>= 0x30A0 and <= 0x30FA) or (>= 0x30FD and <= 0x30FF) or (>= 0x31F0 and <= 0x31FF)
        or (>= 0x32D0 and <= 0x32FE) or (>= 0x3300 and <= 0x3357) or (>= 0x1B000 and <= 0x1B16F)
        or (>= 0x2E80 and <= 0x2FD5) or 0x3005 or 0x3007 or (>= 0x3021 and <= 0x3029) or (>= 0x3038 and <= 0x303B)
        or (>= 0x3400 and <= 0x4DBF) or (>= 0x4E00 and <= 0x9FFF) or (>= 0xF900 and <= 0xFAFF) or (>= 0x20000 and <= 0x3134F);

    private static bool IsNoncharacter(int codePoint) => codePoint is >= 0xFDD0 and <= 0xFDEF || (codePoint & 0xFFFE) == 0xFFFE;

    // Hangul_Syllable_Type L, V or T: conjoining jamo, which NFC recombines into syllables where possible.
    private static bool IsOldHangulJamo(int codePoint) =>
        codePoint is (>= 0x1100 and <= 0x11FF) or (>= 0xA960 and <= 0xA97C) or (>= 0xD7B0 and <= 0xD7C6) or (>= 0xD7CB and <= 0xD7FB);
}
