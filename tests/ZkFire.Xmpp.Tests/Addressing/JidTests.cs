using ZkFire.Xmpp.Addressing;

namespace ZkFire.Xmpp.Tests.Addressing;

public sealed class JidTests
{
    // RFC 7622 §3.5.1, with the expected canonical form.
    [Theory]
    [InlineData("juliet@example.com", "juliet@example.com")]
    [InlineData("juliet@example.com/foo", "juliet@example.com/foo")]
    [InlineData("juliet@example.com/foo bar", "juliet@example.com/foo bar")]
    [InlineData("juliet@example.com/foo@bar", "juliet@example.com/foo@bar")]
    [InlineData("foo\\20bar@example.com", "foo\\20bar@example.com")]
    [InlineData("fussball@example.com", "fussball@example.com")]
    [InlineData("fu\u00DFball@example.com", "fu\u00DFball@example.com")]
    [InlineData("\u03C0@example.com", "\u03C0@example.com")]
    [InlineData("\u03A3@example.com/foo", "\u03C3@example.com/foo")]
    [InlineData("\u03C3@example.com/foo", "\u03C3@example.com/foo")]
    [InlineData("\u03C2@example.com/foo", "\u03C2@example.com/foo")]
    [InlineData("king@example.com/\u265A", "king@example.com/\u265A")]
    [InlineData("example.com", "example.com")]
    [InlineData("example.com/foobar", "example.com/foobar")]
    [InlineData("a.example.com/b@example.net", "a.example.com/b@example.net")]
    public void Rfc7622_valid_examples(string text, string canonical)
    {
        Assert.True(Jid.TryParse(text, out var jid));
        Assert.Equal(canonical, jid.ToString());
    }

    // RFC 7622 §3.5.2.
    [Theory]
    [InlineData("\"juliet\"@example.com")]
    [InlineData("foo bar@example.com")]
    [InlineData("@example.com/")]
    [InlineData("henry\u2163@example.com")]
    [InlineData("\u265A@example.com")]
    [InlineData("juliet@")]
    [InlineData("/foobar")]
    public void Rfc7622_invalid_examples(string text) => Assert.False(Jid.TryParse(text, out _));

    [Fact]
    public void Resource_may_start_with_a_space()
    {
        // RFC 7622 §3.5 lists "juliet@example.com/ foo" as invalid, but the OpaqueString profile it defers to
        // (RFC 8265 §4.2) has no rule against a leading space; we follow the profile.
        Assert.True(Jid.TryParse("juliet@example.com/ foo", out var jid));
        Assert.Equal(" foo", jid.Resource);
    }

    [Theory]
    [InlineData("")]
    [InlineData("@")]
    [InlineData("/")]
    [InlineData("a@")]
    [InlineData("a@b/")]
    [InlineData("@b")]
    [InlineData("a@b@c")]
    [InlineData("a@.")]
    [InlineData("a@b..c")]
    [InlineData("a@.b")]
    [InlineData("a@b_c.example")]
    [InlineData("a@-b.example")]
    [InlineData("a@b-.example")]
    [InlineData("a@ab--c.example")]
    [InlineData("a:b@example.com")]
    [InlineData("a<b@example.com")]
    [InlineData("a\u0007@example.com")]
    [InlineData("a@example.com/x\u0007")]
    [InlineData("\u0661\u0031@example.com")]
    public void Rejects_malformed(string text) => Assert.False(Jid.TryParse(text, out _));

    [Fact]
    public void Rejects_lone_surrogates()
    {
        // Not as InlineData: attribute blobs store strings as UTF-8, which turns a lone surrogate into U+FFFD.
        Assert.False(Jid.TryParse("a\uD800@example.com", out _));
        Assert.False(Jid.TryParse("a@example.com/\uDC00", out _));
        Assert.False(Jid.TryParse("a@exa\uDC00mple.com", out _));
    }

    [Fact]
    public void Null_is_not_a_jid()
    {
        Assert.False(Jid.TryParse(null, out _));
        Assert.Throws<FormatException>(() => Jid.Parse("@"));
    }

    [Fact]
    public void Splits_on_first_slash_then_first_at()
    {
        var jid = Jid.Parse("a@b/c@d/e");
        Assert.Equal("a", jid.Local);
        Assert.Equal("b", jid.Domain);
        Assert.Equal("c@d/e", jid.Resource);
    }

    [Theory]
    [InlineData("\u00C4LICE", "\u00E4lice")]
    [InlineData("ALICE", "alice")]
    [InlineData("\uFF21\uFF4C\uFF49\uFF43\uFF45", "alice")]
    [InlineData("a\u0308lice", "\u00E4lice")]
    [InlineData("\u0130", "i\u0307")]
    [InlineData("\U00010400", "\U00010428")]
    [InlineData("\u0627\u0644\u0639\u0631\u0628\u064A\u0629", "\u0627\u0644\u0639\u0631\u0628\u064A\u0629")]
    public void Localpart_is_case_mapped_width_mapped_and_nfc(string local, string expected)
    {
        Assert.True(Jid.TryNormalizeLocal(local, out var normalized));
        Assert.Equal(expected, normalized);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a b")]
    [InlineData("a\u00A0b")]
    [InlineData("\u2163")]
    [InlineData("a\u200Bb")]
    [InlineData("\uE000")]
    [InlineData("\u0627a")]
    [InlineData("a\u05D0")]
    [InlineData("\u0378")]
    [InlineData("x\u00B7y")]
    public void Localpart_rejects_outside_identifier_class(string local) =>
        Assert.False(Jid.TryNormalizeLocal(local, out _));

    [Fact]
    public void Localpart_contextual_rules()
    {
        Assert.True(Jid.TryNormalizeLocal("l\u00B7l", out _));
        Assert.True(Jid.TryNormalizeLocal("\u0915\u094D\u200D\u0937", out _));
        Assert.False(Jid.TryNormalizeLocal("a\u200Db", out _));
    }

    [Theory]
    [InlineData("\u00C5ngstr\u00F6m")]
    [InlineData("\u212Bngstrom")]
    [InlineData("\u0130stanbul")]
    [InlineData("\u03A3\u0391\u03A3")]
    [InlineData("\uFF2A\uFF35\uFF2C\uFF29\uFF25\uFF34")]
    [InlineData("\u30AB\u30FB\u30AD")]
    [InlineData("\u1100\u1161")]
    public void Localpart_enforcement_is_idempotent(string local)
    {
        Assert.True(Jid.TryNormalizeLocal(local, out var once));
        Assert.True(Jid.TryNormalizeLocal(once, out var twice));
        Assert.Equal(once, twice);
    }

    [Theory]
    [InlineData("Foo Bar", "Foo Bar")]
    [InlineData("Phone\u00A0One", "Phone One")]
    [InlineData("Cafe\u0301", "Caf\u00E9")]
    [InlineData(" leading", " leading")]
    [InlineData("\u265A", "\u265A")]
    public void Resource_keeps_case_and_maps_spaces(string resource, string expected)
    {
        Assert.True(Jid.TryNormalizeResource(resource, out var normalized));
        Assert.Equal(expected, normalized);
    }

    [Theory]
    [InlineData("")]
    [InlineData("tab\there")]
    [InlineData("\u0085")]
    [InlineData("a\uFDD0")]
    public void Resource_rejects_controls_and_empty(string resource) =>
        Assert.False(Jid.TryNormalizeResource(resource, out _));

    [Theory]
    [InlineData("Example.COM", "example.com")]
    [InlineData("example.com.", "example.com")]
    [InlineData("\uFF45xample\u3002com", "example.com")]
    [InlineData("M\u00DCNCHEN.de", "m\u00FCnchen.de")]
    [InlineData("xn--mnchen-3ya.de", "m\u00FCnchen.de")]
    [InlineData("XN--MNCHEN-3YA.DE", "m\u00FCnchen.de")]
    [InlineData("192.0.2.1", "192.0.2.1")]
    [InlineData("[2001:DB8:0:0::1]", "[2001:db8::1]")]
    [InlineData("[::1]", "[::1]")]
    [InlineData("localhost", "localhost")]
    [InlineData("\u05D0\u05D1.example", "\u05D0\u05D1.example")]
    [InlineData("xn--4dbrk0ce.example", "\u05D9\u05E9\u05E8\u05D0\u05DC.example")]
    public void Domain_is_normalised(string domain, string expected)
    {
        Assert.True(Jid.TryParse(domain, out var jid));
        Assert.Equal(expected, jid.Domain);
    }

    [Theory]
    [InlineData("example.com..")]
    [InlineData("[2001:db8::1")]
    [InlineData("[192.0.2.1]")]
    [InlineData("[fe80::1%eth0]")]
    [InlineData("[]")]
    [InlineData("010.0.0.1")]
    [InlineData("xn--zz.de")]
    [InlineData("xn--nchen-1pa.de")]
    [InlineData("xn--abc-.de")]
    [InlineData("ab--cd.example")]
    [InlineData("-a.example")]
    [InlineData("a-.example")]
    [InlineData("300.0.0.1")]
    [InlineData("\u2603.example")]
    [InlineData("a b.example")]
    [InlineData("\u05D0\u05D1.1example")]
    [InlineData("\u05D0a.example")]
    [InlineData("\u0301a.example")]
    [InlineData("a\u00B7b.example")]
    public void Domain_rejects_invalid(string domain) => Assert.False(Jid.TryParse(domain, out _));

    [Theory]
    [InlineData("localhost")]
    [InlineData("chat.example.org")]
    [InlineData("a-b.1.example")]
    [InlineData("1.2.3")]
    public void A_domain_already_canonical_is_kept_as_it_is(string domain)
    {
        // The common case: the same string, not an equal copy (no allocation per address parsed).
        Assert.True(Jid.TryCreate("user", domain, "phone", out var jid));
        Assert.Same(domain, jid.Domain);
    }

    [Fact]
    public void Domain_label_length_is_limited()
    {
        Assert.True(Jid.TryParse(new string('a', 63) + ".example", out _));
        Assert.False(Jid.TryParse(new string('a', 64) + ".example", out _));
    }

    [Fact]
    public void Parts_are_limited_to_1023_bytes()
    {
        Assert.True(Jid.TryParse(new string('a', 1023) + "@example.com", out _));
        Assert.False(Jid.TryParse(new string('a', 1024) + "@example.com", out _));
        Assert.True(Jid.TryParse("a@example.com/" + new string('r', 1023), out _));
        Assert.False(Jid.TryParse("a@example.com/" + new string('r', 1024), out _));
        // 511 two-byte characters plus one byte is 1023 bytes; one more two-byte character is over.
        Assert.True(Jid.TryNormalizeLocal(new string('\u00E9', 511) + "a", out _));
        Assert.False(Jid.TryNormalizeLocal(new string('\u00E9', 512), out _));

        var label = new string('a', 63);
        var longDomain = string.Join('.', Enumerable.Repeat(label, 16));
        Assert.True(longDomain.Length == 1023 && Jid.TryParse(longDomain, out _));
        Assert.False(Jid.TryParse(longDomain + "a", out _));
    }

    [Fact]
    public void Equality_and_hash_use_the_normalised_form()
    {
        var a = Jid.Parse("Juliet@EXAMPLE.com./Balcony");
        var b = Jid.Parse("juliet@example.com/Balcony");
        Assert.Equal(a, b);
        Assert.True(a == b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, Jid.Parse("juliet@example.com/balcony"));
        Assert.NotEqual(Jid.Parse("a@b"), Jid.Parse("b/a"));
        Assert.True(Jid.Parse("a@b") != Jid.Parse("a@c"));
        Assert.False(a.Equals(null));
        Assert.True((Jid?)null == null);
    }

    [Fact]
    public void Bare_drops_the_resource()
    {
        var full = Jid.Parse("juliet@example.com/balcony");
        Assert.False(full.IsBare);
        Assert.Equal(Jid.Parse("juliet@example.com"), full.Bare);
        Assert.Same(full.Bare, full.Bare);
        Assert.True(full.Bare.IsBare);
        Assert.Same(full.Bare, full.Bare.Bare);
        Assert.True(Jid.Parse("example.com").IsServer);
        Assert.False(Jid.Parse("example.com/x").IsServer);
    }

    [Fact]
    public void TryWithResource_normalises_the_resource()
    {
        var bare = Jid.Parse("juliet@example.com");
        Assert.True(bare.TryWithResource("Caf\u0065\u0301", out var full));
        Assert.Equal("juliet@example.com/Caf\u00E9", full.ToString());
        Assert.False(bare.TryWithResource("", out _));
        Assert.False(bare.TryWithResource("\u0000", out _));
    }

    [Fact]
    public void TryCreate_normalises_each_part()
    {
        Assert.True(Jid.TryCreate("ROMEO", "Example.NET", "Orchard", out var jid));
        Assert.Equal("romeo@example.net/Orchard", jid.ToString());
        Assert.True(Jid.TryCreate(null, "example.net", null, out var server));
        Assert.True(server.IsServer);
        Assert.False(Jid.TryCreate("", "example.net", null, out _));
        Assert.False(Jid.TryCreate("a", "example.net", "", out _));
        Assert.False(Jid.TryCreate("a", "", null, out _));
    }
}
