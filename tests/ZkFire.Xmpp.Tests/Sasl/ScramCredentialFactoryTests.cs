using System.Security.Cryptography;
using ZkFire.Xmpp.Sasl;

namespace ZkFire.Xmpp.Tests.Sasl;

public sealed class ScramCredentialFactoryTests
{
    [Fact]
    public void Derives_the_rfc5802_keys()
    {
        // Keys implied by the RFC 5802 §5 example (user "user", password "pencil").
        var salt = Convert.FromBase64String("QSXCR+Q6sek8bf92");
        var credentials = ScramCredentialFactory.Derive("pencil", HashAlgorithmName.SHA1, salt, 4096);
        var salted = Rfc2898DeriveBytes.Pbkdf2("pencil"u8, salt, 4096, HashAlgorithmName.SHA1, 20);
        Assert.Equal("HZbuOlKbWl+eR8AfIposuKbhX30=", Convert.ToBase64String(salted));
        Assert.Equal(CryptographicOperations.HashData(HashAlgorithmName.SHA1, CryptographicOperations.HmacData(HashAlgorithmName.SHA1, salted, "Client Key"u8)), credentials.StoredKey);
        Assert.Equal(CryptographicOperations.HmacData(HashAlgorithmName.SHA1, salted, "Server Key"u8), credentials.ServerKey);
        Assert.Equal(salt, credentials.Salt);
        Assert.Equal(4096, credentials.Iterations);
    }

    [Fact]
    public void Create_draws_a_fresh_16_byte_salt()
    {
        var a = ScramCredentialFactory.Create("pencil", HashAlgorithmName.SHA256);
        var b = ScramCredentialFactory.Create("pencil", HashAlgorithmName.SHA256);
        Assert.Equal(16, a.Salt.Length);
        Assert.NotEqual(a.Salt, b.Salt);
        Assert.NotEqual(a.StoredKey, b.StoredKey);
        Assert.Equal(32, a.StoredKey.Length);
        Assert.Equal(ScramCredentialFactory.DefaultIterations, a.Iterations);
        Assert.Equal(20, ScramCredentialFactory.Create("pencil", HashAlgorithmName.SHA1, 10).ServerKey.Length);
    }

    [Fact]
    public void Equivalent_passwords_give_equal_keys()
    {
        var salt = new byte[16];
        var plain = ScramCredentialFactory.Derive("IX", HashAlgorithmName.SHA256, salt, 1);
        Assert.Equal(plain.StoredKey, ScramCredentialFactory.Derive("I\u00ADX", HashAlgorithmName.SHA256, salt, 1).StoredKey);
        Assert.Equal(plain.StoredKey, ScramCredentialFactory.Derive("\u2168", HashAlgorithmName.SHA256, salt, 1).StoredKey);
        Assert.NotEqual(plain.StoredKey, ScramCredentialFactory.Derive("ix", HashAlgorithmName.SHA256, salt, 1).StoredKey);
    }

    [Fact]
    public void Refuses_bad_input()
    {
        Assert.Throws<ArgumentException>(() => ScramCredentialFactory.Create("a\u0007", HashAlgorithmName.SHA256));
        Assert.Throws<ArgumentException>(() => ScramCredentialFactory.Create("", HashAlgorithmName.SHA256));
        Assert.Throws<ArgumentException>(() => ScramCredentialFactory.Create("pencil", HashAlgorithmName.MD5));
        Assert.Throws<ArgumentOutOfRangeException>(() => ScramCredentialFactory.Create("pencil", HashAlgorithmName.SHA256, 0));
    }

    // RFC 4013 §3, plus a few more mappings and prohibitions.
    [Theory]
    [InlineData("I\u00ADX", "IX")]
    [InlineData("user", "user")]
    [InlineData("USER", "USER")]
    [InlineData("\u00AA", "a")]
    [InlineData("\u2168", "IX")]
    [InlineData("a\u00A0b", "a b")]
    [InlineData("a\u3000b", "a b")]
    [InlineData("a\u200Bb", "ab")]
    [InlineData("\u0627\u0628", "\u0627\u0628")]
    [InlineData("\u0627 1 \u0628", "\u0627 1 \u0628")]
    [InlineData("caf\u0065\u0301", "caf\u00E9")]
    public void SaslPrep_maps(string input, string expected)
    {
        Assert.True(SaslPrep.TryPrepare(input, out var output));
        Assert.Equal(expected, output);
    }

    [Theory]
    [InlineData("\u0007")]
    [InlineData("\u0627\u0031")]
    [InlineData("a\u0627")]
    [InlineData("\u0627a\u0628")]
    [InlineData("a\u007Fb")]
    [InlineData("a\u0085b")]
    [InlineData("a\uE000b")]
    [InlineData("a\uFFFFb")]
    [InlineData("a\u200Eb")]
    [InlineData("a\u2FF0b")]
    [InlineData("\u0378")]
    [InlineData("")]
    [InlineData("\u00AD")]
    public void SaslPrep_prohibits(string input) => Assert.False(SaslPrep.TryPrepare(input, out _));

    [Fact]
    public void SaslPrep_prohibits_lone_surrogates() => Assert.False(SaslPrep.TryPrepare("a\uD800", out _));
}
