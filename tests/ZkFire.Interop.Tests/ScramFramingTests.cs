using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using Xunit.Abstractions;
using static ZkFire.Interop.Tests.RawXmppClient;

namespace ZkFire.Interop.Tests;

/// <summary>
/// SCRAM-SHA-1 in both SASL framings on a real node: the node decodes the client's base64 responses and sends the
/// mechanism's messages base64-encoded in its challenges and outcome, "=" standing for an empty challenge
/// (RFC 6120 §6.4.2); a response that is not base64 fails with incorrect-encoding.
/// </summary>
[Collection(NodeCollection.Name)]
public sealed class ScramFramingTests(NodeFixture fixture, ITestOutputHelper output) : NodeTest(fixture, output)
{
    private const string SaslNs = "urn:ietf:params:xml:ns:xmpp-sasl";

    [Fact]
    public async Task Rfc6120_exchange_without_initial_response_starts_empty_and_ends_with_the_server_signature()
    {
        var user = await Fixture.NewUserAsync("scram6120");
        await using var client = await OpenAsync(Node, Stage.Encrypted);
        await client.SendAsync($"<auth xmlns='{SaslNs}' mechanism='SCRAM-SHA-1'/>");
        var empty = await client.ReadElementAsync();
        Assert.Equal(XName.Get("challenge", SaslNs), empty.Name);
        Assert.Equal("=", empty.Value);

        var scram = new ScramSha1Client(user.Username, user.Password);
        await client.SendAsync($"<response xmlns='{SaslNs}'>{scram.ClientFirst}</response>");
        var success = await FinishAsync(client, SaslNs, scram);

        Assert.Equal(XName.Get("success", SaslNs), success.Name);
        Assert.Equal(scram.ExpectedServerFinal, Encoding.UTF8.GetString(Convert.FromBase64String(success.Value)));
    }

    [Fact]
    public async Task Sasl2_exchange_ends_with_the_server_signature_as_additional_data()
    {
        var user = await Fixture.NewUserAsync("scram2");
        await using var client = await OpenAsync(Node, Stage.Encrypted);
        var scram = new ScramSha1Client(user.Username, user.Password);
        await client.SendAsync($"<authenticate xmlns='{Sasl2Ns}' mechanism='SCRAM-SHA-1'><initial-response>{scram.ClientFirst}</initial-response></authenticate>");
        var success = await FinishAsync(client, Sasl2Ns, scram);

        Assert.Equal(XName.Get("success", Sasl2Ns), success.Name);
        var additional = success.Element(XName.Get("additional-data", Sasl2Ns))!.Value;
        Assert.Equal(scram.ExpectedServerFinal, Encoding.UTF8.GetString(Convert.FromBase64String(additional)));
    }

    [Fact]
    public async Task A_response_that_is_not_base64_is_incorrect_encoding()
    {
        var user = await Fixture.NewUserAsync("scrambad");
        await using var client = await OpenAsync(Node, Stage.Encrypted);
        var scram = new ScramSha1Client(user.Username, user.Password);
        await client.SendAsync($"<auth xmlns='{SaslNs}' mechanism='SCRAM-SHA-1'>{scram.ClientFirst}</auth>");
        Assert.Equal(XName.Get("challenge", SaslNs), (await client.ReadElementAsync()).Name);
        await client.SendAsync($"<response xmlns='{SaslNs}'>not*base64</response>");
        var failure = await client.ReadElementAsync();

        Assert.Equal(XName.Get("failure", SaslNs), failure.Name);
        Assert.NotNull(failure.Element(XName.Get("incorrect-encoding", SaslNs)));
    }

    /// <summary>Answers the server-first challenge with the proof and returns the outcome.</summary>
    private static async Task<XElement> FinishAsync(RawXmppClient client, string ns, ScramSha1Client scram)
    {
        var challenge = await client.ReadElementAsync();
        Assert.Equal(XName.Get("challenge", ns), challenge.Name);
        await client.SendAsync($"<response xmlns='{ns}'>{scram.ClientFinal(challenge.Value)}</response>");
        return await client.ReadElementAsync();
    }

    /// <summary>The client side of RFC 5802 for one exchange, with the messages base64-encoded as XMPP carries them.</summary>
    private sealed class ScramSha1Client(string username, string password)
    {
        private const string Nonce = "rOprNGfwEbeRWgbNEkqO";

        private string ClientFirstBare => $"n={username},r={Nonce}";

        public string ClientFirst => Convert.ToBase64String(Encoding.UTF8.GetBytes($"n,,{ClientFirstBare}"));

        public string ExpectedServerFinal { get; private set; } = string.Empty;

        public string ClientFinal(string challenge)
        {
            var serverFirst = Encoding.UTF8.GetString(Convert.FromBase64String(challenge));
            var attributes = serverFirst.Split(',').ToDictionary(a => a[..1], a => a[2..]);
            Assert.StartsWith(Nonce, attributes["r"], StringComparison.Ordinal);
            var withoutProof = $"c=biws,r={attributes["r"]}";
            var hash = HashAlgorithmName.SHA1;
            var salted = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), Convert.FromBase64String(attributes["s"]), int.Parse(attributes["i"], CultureInfo.InvariantCulture), hash, 20);
            var authMessage = Encoding.UTF8.GetBytes($"{ClientFirstBare},{serverFirst},{withoutProof}");
            var clientKey = CryptographicOperations.HmacData(hash, salted, "Client Key"u8);
            var signature = CryptographicOperations.HmacData(hash, CryptographicOperations.HashData(hash, clientKey), authMessage);
            var proof = clientKey.Zip(signature, (k, s) => (byte)(k ^ s)).ToArray();
            var serverSignature = CryptographicOperations.HmacData(hash, CryptographicOperations.HmacData(hash, salted, "Server Key"u8), authMessage);
            ExpectedServerFinal = $"v={Convert.ToBase64String(serverSignature)}";
            return Convert.ToBase64String(Encoding.UTF8.GetBytes($"{withoutProof},p={Convert.ToBase64String(proof)}"));
        }
    }
}
