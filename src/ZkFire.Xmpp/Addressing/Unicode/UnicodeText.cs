using System.Buffers;
using System.Text;

namespace ZkFire.Xmpp.Addressing.Unicode;

/// <summary>Conversions between UTF-16 text and scalar values, and normalisation by the runtime (ICU).</summary>
internal static class UnicodeText
{
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

    /// <summary>
    /// Normalises with string.Normalize; false for text it refuses, which is an unpaired surrogate or U+FFFE, both
    /// disallowed by every profile that calls this.
    /// </summary>
    public static bool TryNormalize(string text, NormalizationForm form, out string normalized)
    {
        try
        {
            normalized = text.Normalize(form);
            return true;
        }
        catch (ArgumentException)
        {
            normalized = text;
            return false;
        }
    }

    /// <inheritdoc cref="TryNormalize(string, NormalizationForm, out string)"/>
    public static bool TryNormalize(ReadOnlySpan<int> codePoints, NormalizationForm form, out int[] normalized)
    {
        normalized = [];
        return TryNormalize(FromCodePoints(codePoints), form, out var text) && TryDecode(text, out normalized);
    }
}
