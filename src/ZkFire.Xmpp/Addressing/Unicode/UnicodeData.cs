namespace ZkFire.Xmpp.Addressing.Unicode;

/// <summary>Bidi_Class values (UAX #9) in the order the table generator numbers them.</summary>
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
    B,
    S,
    WS,
    ON,
    LRE,
    LRO,
    RLE,
    RLO,
    PDF,
    LRI,
    RLI,
    FSI,
    PDI,

    /// <summary>Not a bidi class: the code point is unassigned in the table's Unicode version.</summary>
    Unassigned = 31,
}

/// <summary>Lookups over <see cref="UnicodeTables"/>.</summary>
internal static class UnicodeData
{
    public static int CombiningClass(int codePoint)
    {
        // Everything below U+0300 is a starter; this keeps ASCII and Latin-1 off the binary search.
        if (codePoint < 0x300)
        {
            return 0;
        }

        var starts = UnicodeTables.CombiningClassStarts;
        var index = starts.BinarySearch(codePoint << 8 | 0xFF);
        index = index < 0 ? ~index - 1 : index;
        return index >= 0 && codePoint <= UnicodeTables.CombiningClassEnds[index] ? starts[index] & 0xFF : 0;
    }

    /// <summary>The full canonical (or, with <paramref name="compatibility"/>, compatibility) decomposition, empty when the code point maps to itself.</summary>
    public static ReadOnlySpan<int> Decomposition(int codePoint, bool compatibility)
    {
        if (codePoint < 0xA0)
        {
            return [];
        }

        if (compatibility)
        {
            var compat = Lookup(codePoint, UnicodeTables.CompatibilityKeys, UnicodeTables.CompatibilityOffsets, UnicodeTables.CompatibilityData);
            if (!compat.IsEmpty)
            {
                return compat;
            }
        }

        return Lookup(codePoint, UnicodeTables.CanonicalKeys, UnicodeTables.CanonicalOffsets, UnicodeTables.CanonicalData);
    }

    /// <summary>The primary composite of a canonical pair, or -1.</summary>
    public static int Compose(int first, int second)
    {
        var index = UnicodeTables.CompositionPairs.BinarySearch((long)first << 21 | (uint)second);
        return index >= 0 ? UnicodeTables.CompositionResults[index] : -1;
    }

    /// <summary>The narrow/wide counterpart of a fullwidth or halfwidth character, or the code point itself.</summary>
    public static int WidthMapped(int codePoint)
    {
        if (codePoint < 0x3000)
        {
            return codePoint;
        }

        var index = UnicodeTables.WidthKeys.BinarySearch(codePoint);
        return index >= 0 ? UnicodeTables.WidthValues[index] : codePoint;
    }

    public static BidiClass Bidi(int codePoint)
    {
        var runs = UnicodeTables.BidiRuns;
        var index = runs.BinarySearch(codePoint << 5 | 0x1F);
        index = index < 0 ? ~index - 1 : index;
        return (BidiClass)(runs[index] & 0x1F);
    }

    /// <summary>
    /// True when the code point is unassigned in the table's Unicode version. Such code points are refused by PRECIS
    /// and SASLprep anyway; using the table's version (not the runtime's newer one) keeps every accepted string one we
    /// can normalise.
    /// </summary>
    public static bool IsUnassigned(int codePoint) =>
        codePoint >= 0x80 && Bidi(codePoint) == BidiClass.Unassigned;

    private static ReadOnlySpan<int> Lookup(int codePoint, ReadOnlySpan<int> keys, ReadOnlySpan<int> offsets, ReadOnlySpan<int> data)
    {
        var index = keys.BinarySearch(codePoint);
        return index < 0 ? [] : data[offsets[index]..offsets[index + 1]];
    }
}
