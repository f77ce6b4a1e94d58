using System.Text;

namespace ZkFire.Interconnect.Tests;

public sealed class LinkAuthenticatorTests
{
    private static readonly byte[] Secret = Encoding.UTF8.GetBytes("sixteen or more bytes of secret");
    private static readonly byte[] NonceA = [.. Enumerable.Repeat((byte)1, LinkAuthenticator.NonceLength)];
    private static readonly byte[] NonceB = [.. Enumerable.Repeat((byte)2, LinkAuthenticator.NonceLength)];

    private readonly LinkAuthenticator authenticator = new("a", Secret);

    [Fact]
    public void A_proof_verifies_only_for_the_same_role_purpose_ids_and_nonces()
    {
        var proof = authenticator.Prove(LinkRole.Connecting, "notice", "a", "b", NonceA, NonceB);

        Assert.True(authenticator.Verify(LinkRole.Connecting, "notice", "a", "b", NonceA, NonceB, proof));
        Assert.False(authenticator.Verify(LinkRole.Accepting, "notice", "a", "b", NonceA, NonceB, proof));
        Assert.False(authenticator.Verify(LinkRole.Connecting, "quorum", "a", "b", NonceA, NonceB, proof));
        Assert.False(authenticator.Verify(LinkRole.Connecting, "notice", "b", "a", NonceA, NonceB, proof));
        Assert.False(authenticator.Verify(LinkRole.Connecting, "notice", "a", "b", NonceB, NonceA, proof));
        Assert.False(new LinkAuthenticator("a", Encoding.UTF8.GetBytes("another secret of sixteen bytes"))
            .Verify(LinkRole.Connecting, "notice", "a", "b", NonceA, NonceB, proof));
    }

    [Fact]
    public void Ids_that_concatenate_alike_prove_differently()
    {
        var proof = authenticator.Prove(LinkRole.Connecting, "notice", "ab", "c", NonceA, NonceB);

        Assert.False(authenticator.Verify(LinkRole.Connecting, "notice", "a", "bc", NonceA, NonceB, proof));
        Assert.False(authenticator.Verify(LinkRole.Connecting, "noticea", "b", "c", NonceA, NonceB, proof));
    }

    [Fact]
    public void Without_a_secret_there_is_no_nonce_and_no_proof()
    {
        var open = new LinkAuthenticator("a", secret: null);

        Assert.Empty(open.NewNonce());
        Assert.Throws<InvalidOperationException>(() => open.Prove(LinkRole.Connecting, "notice", "a", "b", NonceA, NonceB));
    }

    [Fact]
    public async Task A_secret_file_loses_its_trailing_whitespace_and_must_keep_16_bytes()
    {
        var path = Path.Combine(Path.GetTempPath(), "zkfire-link-secret-" + Guid.NewGuid().ToString("N"));
        try
        {
            await File.WriteAllTextAsync(path, "sixteen or more bytes of secret \r\n");
            Assert.Equal(Secret, await LinkAuthenticator.LoadSecretAsync(path, "secretFile", CancellationToken.None));

            await File.WriteAllTextAsync(path, "too short\n");
            var error = await Assert.ThrowsAsync<IOException>(() => LinkAuthenticator.LoadSecretAsync(path, "secretFile", CancellationToken.None));
            Assert.Contains("secretFile", error.Message, StringComparison.Ordinal);
            Assert.Contains("at least 16 bytes", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
