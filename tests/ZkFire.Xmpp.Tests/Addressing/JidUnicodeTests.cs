using ZkFire.Xmpp.Addressing;

namespace ZkFire.Xmpp.Tests.Addressing;

/// <summary>Normalisation, width and case mapping and Unicode properties as they show through <see cref="Jid"/>.</summary>
public sealed class JidUnicodeTests
{
    // OpaqueString keeps case and compatibility characters, so a resource shows plain NFC.
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
    public void Resource_is_nfc(string resource, string expected)
    {
        Assert.True(Jid.TryNormalizeResource(resource, out var normalized));
        Assert.Equal(expected, normalized);
    }

    // RFC 8264 HasCompat: a code point NFKC changes is not in IdentifierClass, but is in FreeformClass.
    [Theory]
    [InlineData("\uFB01")]
    [InlineData("\u2163")]
    [InlineData("\u1E9B\u0323")]
    [InlineData("\u3260")]
    [InlineData("\u326E")]
    [InlineData("\u00BD")]
    public void Compatibility_characters_are_refused_in_a_localpart_and_kept_in_a_resource(string text)
    {
        Assert.False(Jid.TryNormalizeLocal(text, out _));
        Assert.True(Jid.TryNormalizeResource(text, out var resource));
        Assert.Equal(text.Normalize(System.Text.NormalizationForm.FormC), resource);
    }

    [Theory]
    [InlineData("\uFF21", "a")]
    [InlineData("\uFF76\uFF9E", "\u30AC")]
    [InlineData("\u1E9E", "\u00DF")]
    [InlineData("\u13A0", "\uAB70")]
    public void Localpart_width_and_case_mapping(string local, string expected)
    {
        Assert.True(Jid.TryNormalizeLocal(local, out var normalized));
        Assert.Equal(expected, normalized);
    }

    [Fact]
    public void Halfwidth_hangul_is_not_recomposed_into_syllables()
    {
        // Width mapping gives compatibility jamo (U+3131 U+314F), not the conjoining jamo NFKC would give, which NFC
        // would then compose into U+AC00.
        Assert.False(Jid.TryNormalizeLocal("\uFFA1\uFFC2", out _));
    }

    [Fact]
    public void Text_normalisation_refuses_is_refused()
    {
        Assert.False(Jid.TryNormalizeResource("a\uFFFE", out _));
        Assert.False(Jid.TryNormalizeLocal("\u00E9\uFFFE", out _));
        Assert.False(Jid.TryParse("\u00E9\uFFFE.example", out _));
    }

    [Fact]
    public void Code_points_newer_than_the_normaliser_never_pass_unmapped()
    {
        // U+1C89 (Unicode 16) is a capital whose small letter is U+1C8A. Where ICU predates it, case mapping and
        // normalisation would take it as inert and change their minds after an ICU upgrade, so it must be refused.
        Assert.True(!Jid.TryNormalizeLocal("\u1C89", out var local) || local == "\u1C8A");
        Assert.True(!Jid.TryNormalizeResource("\u1C89", out var resource) || resource == "\u1C89");
        Assert.False(Jid.TryNormalizeResource("\u0378", out _));
    }

    [Fact]
    public void Joiners_need_a_virama_before_them()
    {
        Assert.True(Jid.TryNormalizeLocal("\u0915\u094D\u200C\u0937", out _));
        Assert.True(Jid.TryParse("\u0915\u094D\u200D\u0937.example", out _));
        Assert.False(Jid.TryNormalizeLocal("\u0915\u093C\u200C\u0937", out _));
        Assert.False(Jid.TryNormalizeLocal("\u3099\u200C", out _));
        Assert.False(Jid.TryParse("a\u200Cb.example", out _));
    }

    // RFC 5893 on localparts and domain labels: what a right-to-left string may contain and end with.
    [Theory]
    [InlineData("\u05D0\u0661", true)]
    [InlineData("\u05D0\u06F1", true)]
    [InlineData("\u05D0\u05B0", true)]
    [InlineData("\u05D0\u02B9\u05D1", true)]
    [InlineData("\u05D0\u02B9", false)]
    [InlineData("\u05D0b", false)]
    [InlineData("\u0627\u0661\u06F1", false)]
    [InlineData("\u0661\u05D0", false)]
    public void Bidi_rule(string text, bool valid)
    {
        Assert.Equal(valid, Jid.TryNormalizeLocal(text, out _));
        Assert.Equal(valid, Jid.TryParse(text + ".example", out _));
    }

    [Theory]
    [InlineData("\u13A0.example")]
    [InlineData("\u1F80.example")]
    [InlineData("\u1C80.example")]
    public void Domain_refuses_what_case_folding_would_change(string domain) =>
        // IDNA2008 disallows these as Unstable (RFC 5892 §2.2); UTS #46 maps them, so they do not survive a round trip.
        Assert.False(Jid.TryParse(domain, out _));
}
