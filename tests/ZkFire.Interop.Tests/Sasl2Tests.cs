using System.Xml.Linq;
using Xunit.Abstractions;
using static ZkFire.Interop.Tests.RawXmppClient;

namespace ZkFire.Interop.Tests;

/// <summary>
/// XEP-0388 (SASL2) and XEP-0386 (Bind 2) on a real node, offered beside RFC 6120's SASL: authentication without a
/// stream restart, the resource bound in the same exchange, stable resources per client, and the SASL2 failure.
/// </summary>
[Collection(NodeCollection.Name)]
public sealed class Sasl2Tests(NodeFixture fixture, ITestOutputHelper output) : NodeTest(fixture, output)
{
    private const string SaslNs = "urn:ietf:params:xml:ns:xmpp-sasl";

    [Fact]
    public async Task Features_offer_sasl2_with_the_same_mechanisms_and_bind2_inline()
    {
        await using var client = await ConnectAsync(Node.Host, Node.C2sPort, Node.Domain);
        await client.OpenStreamAsync();
        var features = await client.StartTlsAsync();

        var sasl2 = features.Element(XName.Get("authentication", Sasl2Ns));
        Assert.NotNull(sasl2);
        var legacy = features.Element(XName.Get("mechanisms", SaslNs))!.Elements().Select(m => m.Value);
        Assert.Equal(legacy, sasl2.Elements(XName.Get("mechanism", Sasl2Ns)).Select(m => m.Value));
        Assert.NotNull(sasl2.Element(XName.Get("inline", Sasl2Ns))?.Element(XName.Get("bind", Bind2Ns)));
    }

    [Fact]
    public async Task Authenticate_with_bind2_binds_the_tagged_resource_without_a_restart_and_the_session_works()
    {
        var alice = await Fixture.NewUserAsync("s2alice");
        var bob = await Fixture.NewUserAsync("s2bob");
        await using var first = await EncryptedAsync();
        var success = await first.AuthenticateSasl2PlainAsync(alice.Username, alice.Password, bindTag: "ZkTests", Guid.NewGuid().ToString());

        Assert.Equal(XName.Get("success", Sasl2Ns), success.Name);
        Assert.NotNull(success.Element(XName.Get("bound", Bind2Ns)));
        Assert.StartsWith($"{alice.Username}@{Node.Domain}/ZkTests/", first.BoundJid, StringComparison.Ordinal);

        // No stream restart: the authenticated stream's features follow at once, with nothing left to bind.
        var features = await first.ReadElementAsync();
        Assert.Equal(XName.Get("features", StreamsNs), features.Name);
        Assert.Empty(features.Elements());

        await first.SendAsync("<presence/>");
        await first.ReadUntilAsync(e => e.Name.LocalName == "presence" && (string?)e.Attribute("from") == first.BoundJid);
        await using var second = await OpenAsync(Node, Stage.Bound, bob);
        await AssertMessageDeliveredAsync(second, first);
        await AssertMessageDeliveredAsync(first, second);
    }

    [Fact]
    public async Task The_same_user_agent_gets_its_resource_back_and_replaces_its_stale_session()
    {
        var user = await Fixture.NewUserAsync("s2agent");
        var agent = Guid.NewGuid().ToString();
        await using var stale = await EncryptedAsync();
        await stale.AuthenticateSasl2PlainAsync(user.Username, user.Password, bindTag: "Phone", agent);
        await using var fresh = await EncryptedAsync();
        await fresh.AuthenticateSasl2PlainAsync(user.Username, user.Password, bindTag: "Phone", agent);
        await using var other = await EncryptedAsync();
        await other.AuthenticateSasl2PlainAsync(user.Username, user.Password, bindTag: "Phone", Guid.NewGuid().ToString());

        Assert.Equal(stale.BoundJid, fresh.BoundJid);
        Assert.NotEqual(fresh.BoundJid, other.BoundJid);
        Assert.DoesNotContain(agent, fresh.BoundJid, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("conflict", (await stale.ReadStreamErrorAsync()).Condition);
    }

    [Fact]
    public async Task Without_bind2_the_identity_is_bare_and_rfc6120_binding_follows_on_the_same_stream()
    {
        var user = await Fixture.NewUserAsync("s2bare");
        await using var client = await EncryptedAsync();
        var success = await client.AuthenticateSasl2PlainAsync(user.Username, user.Password, bindTag: null);

        Assert.Equal($"{user.Username}@{Node.Domain}", success.Element(XName.Get("authorization-identifier", Sasl2Ns))?.Value);
        var features = await client.ReadElementAsync();
        Assert.NotNull(features.Element(XName.Get("bind", "urn:ietf:params:xml:ns:xmpp-bind")));
        Assert.Null(features.Element(XName.Get("starttls", "urn:ietf:params:xml:ns:xmpp-tls")));
        Assert.Equal($"{user.Username}@{Node.Domain}/desk", await client.BindAsync("desk"));
    }

    [Fact]
    public async Task A_wrong_password_gets_the_sasl2_failure_and_the_stream_may_try_again()
    {
        var user = await Fixture.NewUserAsync("s2wrong");
        await using var client = await EncryptedAsync();
        var failure = await client.AuthenticateSasl2PlainAsync(user.Username, "not the password", bindTag: "ZkTests");

        Assert.Equal(XName.Get("failure", Sasl2Ns), failure.Name);
        Assert.NotNull(failure.Element(XName.Get("not-authorized", SaslNs)));
        var success = await client.AuthenticateSasl2PlainAsync(user.Username, user.Password, bindTag: "ZkTests");
        Assert.Equal(XName.Get("success", Sasl2Ns), success.Name);
    }

    [Fact]
    public async Task A_second_authenticate_after_success_is_a_stream_error()
    {
        var user = await Fixture.NewUserAsync("s2twice");
        await using var client = await EncryptedAsync();
        await client.AuthenticateSasl2PlainAsync(user.Username, user.Password, bindTag: "ZkTests");
        await client.ReadElementAsync();

        await client.SendAsync($"<authenticate xmlns='{Sasl2Ns}' mechanism='PLAIN'><initial-response>AA==</initial-response></authenticate>");
        var outcome = await client.ReadStreamErrorAsync();
        Assert.Equal("unsupported-stanza-type", outcome.Condition);
    }

    private async Task<RawXmppClient> EncryptedAsync()
    {
        var client = await ConnectAsync(Node.Host, Node.C2sPort, Node.Domain);
        try
        {
            await client.OpenStreamAsync();
            await client.StartTlsAsync();
            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }
}
