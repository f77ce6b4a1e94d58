using System.Net;
using System.Net.Sockets;
using System.Text;
using Google.Protobuf;
using Xunit.Abstractions;
using ZkFire.Interconnect.Messages;

namespace ZkFire.Interconnect.Tests;

/// <summary>The link handshake: who gets a link, and who is refused before anything of theirs is delivered.</summary>
public sealed class LinkHandshakeTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Without_a_secret_an_admitted_peer_gets_a_link()
    {
        await using var pair = await LinkPair.StartAsync(output, o => o with { Secret = null });
        await using var a = await pair.ConnectAsync(useSecret: false);
        await using var b = await pair.NextAcceptedAsync();

        await AuthenticatedLinkTests.AssertWorksAsync(a, b);
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task A_secret_on_one_side_only_is_refused(bool acceptingHasSecret, bool connectingHasSecret)
    {
        await using var pair = await LinkPair.StartAsync(output, o => acceptingHasSecret ? o : o with { Secret = null });

        var error = await Assert.ThrowsAsync<IOException>(() => pair.ConnectAsync(useSecret: connectingHasSecret, secret: LinkPair.Secret));

        Assert.Contains("closed during the handshake", error.Message, StringComparison.Ordinal);
        Assert.False(pair.Accepted.Reader.TryRead(out _));
    }

    [Fact]
    public async Task A_wrong_secret_is_refused_on_both_sides()
    {
        await using var pair = await LinkPair.StartAsync(output);

        await Assert.ThrowsAsync<IOException>(() => pair.ConnectAsync(secret: Encoding.UTF8.GetBytes("not the links' secret, not at all")));

        Assert.False(pair.Accepted.Reader.TryRead(out _));
    }

    [Theory]
    [InlineData("z", LinkPair.Purpose, "b")]
    [InlineData("a", "other", "b")]
    [InlineData("a", LinkPair.Purpose, "c")]
    [InlineData("b", LinkPair.Purpose, "b")]
    [InlineData("", LinkPair.Purpose, "b")]
    public async Task A_hello_that_does_not_fit_is_refused(string from, string purpose, string to)
    {
        await using var pair = await LinkPair.StartAsync(output);
        pair.Admitted.Add("b");

        await using var raw = await RawLinkPeer.ConnectAsync(pair.Port);
        await Assert.ThrowsAsync<IOException>(() => raw.HandshakeAsync(from.Length == 0 ? new string('x', 300) : from, to, purpose, LinkPair.Secret));

        Assert.True(await raw.IsClosedByPeerAsync());
        Assert.False(pair.Accepted.Reader.TryRead(out _));
    }

    [Fact]
    public async Task A_connecting_side_refuses_an_impostor_that_cannot_prove_the_secret()
    {
        await using var pair = await LinkPair.StartAsync(output);
        using var impostor = new TcpListener(IPAddress.Loopback, 0);
        impostor.Start();

        var connecting = pair.ConnectAsync(port: ((IPEndPoint)impostor.LocalEndpoint).Port);
        await using var peer = new RawLinkPeer(await impostor.AcceptSocketAsync());
        var hello = await peer.ImpersonateAsync();
        await peer.SendAsync(AuthenticatedLinkTests.Note("trust me"));

        Assert.Equal(("a", "b", LinkPair.Purpose, true), (hello.From, hello.To, hello.Purpose, hello.UsesSecret));
        var error = await Assert.ThrowsAsync<IOException>(() => connecting);
        Assert.Contains("proof", error.Message, StringComparison.Ordinal);
        Assert.True(await peer.IsClosedByPeerAsync());
    }

    [Fact]
    public async Task A_proof_replayed_on_another_connection_is_refused()
    {
        await using var pair = await LinkPair.StartAsync(output);
        var authenticator = new LinkAuthenticator("a", LinkPair.Secret);

        // A proof for a challenge the eavesdropper saw is worthless against the next connection's fresh challenge.
        await using var first = await RawLinkPeer.ConnectAsync(pair.Port);
        var nonce = authenticator.NewNonce();
        await first.SendAsync(Hello(nonce));
        var seen = (await first.ReceiveHandshakeAsync())!.Challenge.Nonce.Span;
        var proof = authenticator.Prove(LinkRole.Connecting, LinkPair.Purpose, "a", "b", nonce, seen);

        await using var second = await RawLinkPeer.ConnectAsync(pair.Port);
        await second.SendAsync(Hello(nonce));
        Assert.NotNull(await second.ReceiveHandshakeAsync());
        await second.SendAsync(new LinkHandshake { Proof = new Proof { Mac = ByteString.CopyFrom(proof) } });

        Assert.True(await second.IsClosedByPeerAsync());
        Assert.False(pair.Accepted.Reader.TryRead(out _));
    }

    private static LinkHandshake Hello(byte[] nonce) => new()
    {
        Hello = new Hello { From = "a", To = "b", Purpose = LinkPair.Purpose, Nonce = ByteString.CopyFrom(nonce), UsesSecret = true },
    };
}
