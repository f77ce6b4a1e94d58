using System.Diagnostics;
using static ZkFire.Interop.Tests.RawXmppClient;

namespace ZkFire.Interop.Tests;

/// <summary>A connection that never opens a stream is closed with connection-timeout (RFC 6120 §4.9.3.4). Needs its own node for the short timeout.</summary>
public sealed class StreamOpenTimeoutTests
{
    private const int StreamOpenTimeoutSeconds = 2;

    [Fact]
    public async Task Silent_connection_gets_connection_timeout_and_logged_in_sessions_stay()
    {
        await using var node = await ZkFireNode.StartAsync(new NodeOptions { StreamOpenTimeoutSeconds = StreamOpenTimeoutSeconds });
        var receiver = TestUser.Unique("receiver");
        var sender = TestUser.Unique("sender");
        await node.AddUserAsync(receiver.Username, receiver.Password);
        await node.AddUserAsync(sender.Username, sender.Password);
        await using var receiving = await OpenAsync(node, Stage.Bound, receiver);
        await using var sending = await OpenAsync(node, Stage.Bound, sender);

        var clock = Stopwatch.StartNew();
        await using var silent = await ConnectAsync(node.Host, node.C2sPort, node.Domain);
        var outcome = await silent.ReadStreamErrorAsync(TimeSpan.FromSeconds(StreamOpenTimeoutSeconds + 10));

        Assert.True(outcome.Condition == "connection-timeout", $"Expected connection-timeout, got {outcome.Condition}. Node log:\n{node.Log}");
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(StreamOpenTimeoutSeconds - 0.5), $"Timed out after only {clock.Elapsed}.");
        Assert.True(outcome.ClosedConnection, $"The connection stayed open. Received: {outcome.Received}");
        // The logged-in sessions were idle for longer than the stream-open timeout; it must not apply to them.
        await AssertMessageDeliveredAsync(sending, receiving);
    }
}
