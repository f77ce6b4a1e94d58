using ZkFire.Xmpp.Addressing.Unicode;

namespace ZkFire.Xmpp.Tests.Addressing;

public sealed class NormalizerTests
{
    [Theory]
    [InlineData("e\u0301", "\u00E9")]
    [InlineData("\u212B", "\u00C5")]
    [InlineData("A\u030A\u0323", "\u1EA0\u030A")]
    [InlineData("\u1100\u1161\u11A8", "\uAC01")]
    [InlineData("\uAC01", "\uAC01")]
    [InlineData("\u0344", "\u0308\u0301")]
    [InlineData("\u0301e", "\u0301e")]
    [InlineData("\uFB01", "\uFB01")]
    [InlineData("\u1E9B\u0323", "\u1E9B\u0323")]
    public void Nfc(string input, string expected)
    {
        Assert.True(Normalizer.TryNormalize(input, compatibility: false, out var normalized));
        Assert.Equal(expected, normalized);
    }

    [Theory]
    [InlineData("\uFB01", "fi")]
    [InlineData("\u2163", "IV")]
    [InlineData("\uFF21", "A")]
    [InlineData("\u1E9B\u0323", "\u1E69")]
    [InlineData("\u00A0", " ")]
    [InlineData("\u3260", "\u1100")]
    [InlineData("\u326E", "\uAC00")]
    public void Nfkc(string input, string expected)
    {
        Assert.True(Normalizer.TryNormalize(input, compatibility: true, out var normalized));
        Assert.Equal(expected, normalized);
    }

    [Fact]
    public void Rejects_lone_surrogates() =>
        Assert.False(Normalizer.TryNormalize("a\uD800b\u0301", compatibility: false, out _));

    [Fact]
    public void Runtime_normalisation_is_unavailable_under_invariant_globalization()
    {
        // Documents why the project carries its own tables: if this starts failing, string.Normalize works again.
        Assert.Equal("e\u0301", "e\u0301".Normalize(System.Text.NormalizationForm.FormC));
    }
}
