using System.Xml.Linq;
using static ZkFire.Interop.Tests.RawXmppClient;

namespace ZkFire.Interop.Tests;

/// <summary>
/// XEP-0199 from the server's side: a silent client is pinged after the idle timeout; one that answers stays, one
/// that does not is dropped with connection-timeout. Needs its own node for the short timeouts.
/// </summary>
public sealed class ServerPingTests
{
    private static readonly XName Iq = XName.Get("iq", "jabber:client");

    [Fact]
    public async Task Silent_clients_are_pinged_and_dropped_only_when_they_do_not_answer()
    {
        await using var node = await ZkFireNode.StartAsync(new NodeOptions { IdleTimeoutSeconds = 1, PingTimeoutSeconds = 2 });
        var answering = TestUser.Unique("answering");
        var dead = TestUser.Unique("dead");
        await node.AddUserAsync(answering.Username, answering.Password);
        await node.AddUserAsync(dead.Username, dead.Password);
        await using var alive = await OpenAsync(node, Stage.Bound, answering);
        await using var silent = await OpenAsync(node, Stage.Bound, dead);

        // Both get pinged; only one answers, twice, so it outlives the ping timeout of the first round.
        for (var round = 0; round < 2; round++)
        {
            var ping = await alive.ReadUntilAsync(IsPing, TimeSpan.FromSeconds(10));
            await alive.SendAsync($"<iq type='result' id='{(string?)ping.Attribute("id")}' to='{(string?)ping.Attribute("from")}'/>");
        }

        await silent.ReadUntilAsync(IsPing, TimeSpan.FromSeconds(10));
        var outcome = await silent.ReadStreamErrorAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("connection-timeout", outcome.Condition);
        Assert.True(outcome.ClosedConnection, $"The connection stayed open. Received: {outcome.Received}");

        var stillThere = await alive.ReadUntilAsync(IsPing, TimeSpan.FromSeconds(10));
        Assert.Equal("get", (string?)stillThere.Attribute("type"));
    }

    private static bool IsPing(XElement element) =>
        element.Name == Iq && (string?)element.Attribute("type") == "get" && element.Element(XName.Get("ping", "urn:xmpp:ping")) is not null;
}
