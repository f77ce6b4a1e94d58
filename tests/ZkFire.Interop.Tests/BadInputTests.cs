using Xunit.Abstractions;
using static ZkFire.Interop.Tests.RawXmppClient;

namespace ZkFire.Interop.Tests;

/// <summary>
/// Hostile or broken input on the c2s port: the offender gets the RFC 6120 stream error, its stream and connection
/// are closed, and sessions that were already logged in keep exchanging messages.
/// </summary>
[Collection(NodeCollection.Name)]
public sealed class BadInputTests(NodeFixture fixture, ITestOutputHelper output) : NodeTest(fixture, output)
{
    private const string BillionLaughs =
        "<!DOCTYPE lolz [<!ENTITY lol 'lol'>" +
        "<!ENTITY lol2 '&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;'>" +
        "<!ENTITY lol3 '&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;'>" +
        "<!ENTITY lol4 '&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;'>]>";

    /// <summary>Case name → how far the offender gets before sending, what it sends, the condition RFC 6120 requires.</summary>
    private static readonly Dictionary<string, (Stage Stage, Func<ZkFireNode, string> Input, string Condition)> Cases = new()
    {
        ["malformed XML"] = (Stage.Bound, _ => "<message><body></message>", "not-well-formed"),
        // §11.1: DTDs, entity declarations, processing instructions and comments are restricted XML.
        ["DOCTYPE before the stream header"] =
            (Stage.Connected, n => XmlDeclaration + BillionLaughs + StreamHeader(n.Domain, withDeclaration: false), "restricted-xml"),
        ["DOCTYPE after the stream header"] = (Stage.Bound, _ => BillionLaughs + "<message><body>&lol4;</body></message>", "restricted-xml"),
        ["processing instruction"] = (Stage.Bound, _ => "<?evil payload?>", "restricted-xml"),
        ["comment"] = (Stage.Bound, _ => "<!-- not allowed in XMPP -->", "restricted-xml"),
        // §4.9.3.12: stanzas before the stream is authenticated.
        ["stanza before TLS and SASL"] = (Stage.StreamOpen, n => $"<message to='nobody@{n.Domain}'><body>early</body></message>", "not-authorized"),
        ["stanza after TLS, before SASL"] = (Stage.Encrypted, n => $"<message to='nobody@{n.Domain}'><body>early</body></message>", "not-authorized"),
        // §4.9.3.10: the stream namespace, or the content namespace declared as the default, is not supported.
        ["unknown stream namespace"] = (Stage.Connected, n => StreamHeader(n.Domain, streamNs: "urn:bogus"), "invalid-namespace"),
        ["unknown content namespace"] = (Stage.Connected, n => StreamHeader(n.Domain, contentNs: "jabber:bogus"), "invalid-namespace"),
        // §4.9.3.22: a first-level child the server does not understand, in a namespace it does not know.
        ["stanza in an unknown namespace"] =
            (Stage.Bound, n => $"<message xmlns='jabber:bogus' to='nobody@{n.Domain}'><body>?</body></message>", "unsupported-stanza-type"),
    };

    public static TheoryData<string> CaseNames => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task Bad_input_gets_the_rfc6120_stream_error_and_other_sessions_are_untouched(string caseName)
    {
        var (stage, input, condition) = Cases[caseName];
        await AssertRejectedAsync(stage, input(Node), condition);
    }

    /// <summary>§4.9.3.19: a stanza over the configured size limit (maxStanzaBytes = 65536 on the test node).</summary>
    [Fact]
    public async Task Oversized_stanza_is_a_policy_violation()
    {
        var body = new string('a', 70_000);
        await AssertRejectedAsync(Stage.Bound, $"<message to='nobody@{Node.Domain}'><body>{body}</body></message>", "policy-violation");
    }

    private async Task AssertRejectedAsync(Stage stage, string input, string expectedCondition)
    {
        var receiver = await Fixture.NewUserAsync("receiver");
        var sender = await Fixture.NewUserAsync("sender");
        await using var receiving = await OpenAsync(Node, Stage.Bound, receiver);
        await using var sending = await OpenAsync(Node, Stage.Bound, sender);

        // The offender uses the sender's account (another resource) where it needs to be logged in.
        await using var offender = await OpenAsync(Node, stage, sender, resource: "offender");
        await offender.SendAsync(input);
        var outcome = await offender.ReadStreamErrorAsync();
        Output.WriteLine($"Offender received:\n{outcome.Received}");

        Assert.Equal(expectedCondition, outcome.Condition);
        Assert.True(outcome.ClosedStream, $"No </stream:stream> after the stream error. Received: {outcome.Received}");
        Assert.True(outcome.ClosedConnection, $"The connection stayed open after the stream error. Received: {outcome.Received}");
        // Sessions logged in before the incident still exchange messages.
        await AssertMessageDeliveredAsync(sending, receiving);
    }
}
