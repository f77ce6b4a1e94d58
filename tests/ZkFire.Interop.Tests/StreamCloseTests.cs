using Xunit.Abstractions;
using static ZkFire.Interop.Tests.RawXmppClient;

namespace ZkFire.Interop.Tests;

/// <summary>
/// RFC 6120 §4.4: a client that closes its stream gets the server's closing tag and then the end of the TCP
/// connection (the server sends both together), and its resource goes offline for the user's other resources.
/// </summary>
[Collection(NodeCollection.Name)]
public sealed class StreamCloseTests(NodeFixture fixture, ITestOutputHelper output) : NodeTest(fixture, output)
{
    [Fact]
    public async Task Closing_the_stream_gets_the_closing_tag_then_the_end_of_the_connection()
    {
        var user = await Fixture.NewUserAsync("closer");
        await using var staying = await OpenAsync(Node, Stage.Bound, user, resource: "staying");
        await using var leaving = await OpenAsync(Node, Stage.Bound, user, resource: "leaving");

        await leaving.SendAsync("</stream:stream>");
        var outcome = await leaving.ReadStreamErrorAsync();

        Assert.Equal("(no stream error)", outcome.Condition);
        Assert.True(outcome.ClosedStream, $"No </stream:stream> in answer. Received: {outcome.Received}");
        Assert.True(outcome.ClosedConnection, $"The connection stayed open after the closing tags. Received: {outcome.Received}");
        // Its available presence reached the other resource first; the unavailable one must follow.
        await staying.ReadUntilAsync(e => e.Name.LocalName == "presence"
            && (string?)e.Attribute("from") == leaving.BoundJid
            && (string?)e.Attribute("type") == "unavailable");
    }
}
