using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;

namespace ZkFire.Xmpp.Addressing.Unicode;

/// <summary>
/// Unicode normalisation forms NFC and NFKC (UAX #15) over <see cref="UnicodeTables"/>. string.Normalize cannot be
/// used: under InvariantGlobalization on Linux it leaves non-ASCII text unchanged (no ICU).
/// </summary>
internal static class Normalizer
{
    private const int SBase = 0xAC00;
    private const int LBase = 0x1100;
    private const int VBase = 0x1161;
    private const int TBase = 0x11A7;
    private const int LCount = 19;
    private const int VCount = 21;
    private const int TCount = 28;
    private const int NCount = VCount * TCount;
    private const int SCount = LCount * NCount;

    /// <summary>Normalises to NFC, or NFKC with <paramref name="compatibility"/>; false when the text is not well-formed UTF-16.</summary>
    public static bool TryNormalize(string text, bool compatibility, out string normalized)
    {
        normalized = text;
        if (Ascii.IsValid(text))
        {
            return true;
        }

        if (!TryDecode(text, out var codePoints))
        {
            return false;
        }

        normalized = FromCodePoints(Normalize(codePoints, compatibility));
        return true;
    }

    /// <summary>Normalises code points (already known to be valid scalar values) to NFC or NFKC.</summary>
    public static int[] Normalize(ReadOnlySpan<int> codePoints, bool compatibility)
    {
        // Nothing below U+0300 composes, reorders or (canonically) decomposes differently, so NFC is the identity there.
        if (!compatibility && !codePoints.ContainsAnyInRange(0x300, int.MaxValue))
        {
            return codePoints.ToArray();
        }

        var buffer = new List<int>(codePoints.Length + 8);
        foreach (var codePoint in codePoints)
        {
            Decompose(codePoint, compatibility, buffer);
        }

        var span = CollectionsMarshal.AsSpan(buffer);
        ReorderCanonically(span);
        var length = Compose(span);
        return span[..length].ToArray();
    }

    /// <summary>RFC 8264 HasCompat: true when NFKC changes the code point.</summary>
    public static bool HasCompatibilityMapping(int codePoint)
    {
        if (UnicodeData.Decomposition(codePoint, compatibility: true).IsEmpty)
        {
            return false;
        }

        return Normalize([codePoint], compatibility: true) is not [var single] || single != codePoint;
    }

    /// <summary>Splits UTF-16 text into scalar values; false on an unpaired surrogate.</summary>
    public static bool TryDecode(ReadOnlySpan<char> text, out int[] codePoints)
    {
        var result = new List<int>(text.Length);
        while (!text.IsEmpty)
        {
            if (Rune.DecodeFromUtf16(text, out var rune, out var consumed) != OperationStatus.Done)
            {
                codePoints = [];
                return false;
            }

            result.Add(rune.Value);
            text = text[consumed..];
        }

        codePoints = [.. result];
        return true;
    }

    public static string FromCodePoints(ReadOnlySpan<int> codePoints)
    {
        var builder = new StringBuilder(codePoints.Length);
        foreach (var codePoint in codePoints)
        {
            builder.Append(new Rune(codePoint));
        }

        return builder.ToString();
    }

    private static void Decompose(int codePoint, bool compatibility, List<int> output)
    {
        var sIndex = codePoint - SBase;
        if ((uint)sIndex < SCount)
        {
            output.Add(LBase + (sIndex / NCount));
            output.Add(VBase + (sIndex % NCount / TCount));
            if (sIndex % TCount != 0)
            {
                output.Add(TBase + (sIndex % TCount));
            }

            return;
        }

        var mapping = UnicodeData.Decomposition(codePoint, compatibility);
        if (mapping.IsEmpty)
        {
            output.Add(codePoint);
        }
        else
        {
            output.AddRange(mapping);
        }
    }

    // Stable insertion sort of each run of non-starters by combining class; runs are short.
    private static void ReorderCanonically(Span<int> codePoints)
    {
        for (var i = 1; i < codePoints.Length; i++)
        {
            var current = codePoints[i];
            var combiningClass = UnicodeData.CombiningClass(current);
            if (combiningClass == 0)
            {
                continue;
            }

            var j = i;
            while (j > 0 && UnicodeData.CombiningClass(codePoints[j - 1]) > combiningClass)
            {
                codePoints[j] = codePoints[j - 1];
                j--;
            }

            codePoints[j] = current;
        }
    }

    /// <summary>Canonical composition in place; returns the new length.</summary>
    private static int Compose(Span<int> codePoints)
    {
        if (codePoints.IsEmpty)
        {
            return 0;
        }

        var starterIndex = 0;
        // A leading non-starter has no starter to combine with: 256 exceeds every class, so nothing composes onto it.
        var lastClass = UnicodeData.CombiningClass(codePoints[0]) == 0 ? 0 : 256;
        var written = 1;
        for (var i = 1; i < codePoints.Length; i++)
        {
            var current = codePoints[i];
            var currentClass = UnicodeData.CombiningClass(current);
            // Not blocked: either adjacent to the starter, or every character in between has a lower class.
            if (lastClass == 0 || lastClass < currentClass)
            {
                var composite = ComposePair(codePoints[starterIndex], current);
                if (composite >= 0)
                {
                    codePoints[starterIndex] = composite;
                    continue;
                }
            }

            if (currentClass == 0)
            {
                starterIndex = written;
            }

            lastClass = currentClass;
            codePoints[written++] = current;
        }

        return written;
    }

    private static int ComposePair(int first, int second)
    {
        var lIndex = first - LBase;
        var vIndex = second - VBase;
        if ((uint)lIndex < LCount && (uint)vIndex < VCount)
        {
            return SBase + (((lIndex * VCount) + vIndex) * TCount);
        }

        var sIndex = first - SBase;
        var tIndex = second - TBase;
        if ((uint)sIndex < SCount && sIndex % TCount == 0 && tIndex > 0 && tIndex < TCount)
        {
            return first + tIndex;
        }

        return UnicodeData.Compose(first, second);
    }
}
