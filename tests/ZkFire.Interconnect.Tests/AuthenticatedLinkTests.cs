using System.Buffers.Binary;
using Google.Protobuf;
using Xunit.Abstractions;
using ZkFire.Interconnect.Tests.Messages;

namespace ZkFire.Interconnect.Tests;

/// <summary>Authenticated links over real loopback sockets: order, back-pressure, and what closes a connection.</summary>
public sealed class AuthenticatedLinkTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_link_delivers_many_messages_in_order_both_ways()
    {
        await using var pair = await LinkPair.StartAsync(output, o => o with { MaxMessageSize = 2 * 1024 * 1024 });
        await using var a = await pair.ConnectAsync();
        await using var b = await pair.NextAcceptedAsync();
        Assert.Equal(("b", "a"), (a.PeerId, b.PeerId));
        using var timeout = new CancellationTokenSource(RawLinkPeer.Patience);

        // Small messages, and pieces big enough to fill the send buffers and make the sender wait.
        const int Count = 5000;
        var small = ByteString.CopyFrom(new byte[200]);
        var piece = ByteString.CopyFrom(new byte[1024 * 1024]);
        var sending = Task.Run(async () =>
        {
            for (var i = 1; i <= Count; i++)
            {
                await a.SendAsync(Data(i, i % 1000 == 0 ? piece : small), timeout.Token);
            }
        });
        var answering = Task.Run(async () =>
        {
            for (var i = 1; i <= Count; i++)
            {
                await b.SendAsync(Data(i, ByteString.Empty), timeout.Token);
            }
        });

        for (var i = 1; i <= Count; i++)
        {
            Assert.Equal(i, (await b.ReceiveAsync(timeout.Token)).Data.Seq);
        }

        for (var i = 1; i <= Count; i++)
        {
            Assert.Equal(i, (await a.ReceiveAsync(timeout.Token)).Data.Seq);
        }

        await Task.WhenAll(sending, answering);
    }

    [Fact]
    public async Task A_reader_that_does_not_read_makes_the_sender_wait()
    {
        await using var pair = await LinkPair.StartAsync(output, o => o with
        {
            SendHighWater = 64 * 1024,
            SendLowWater = 32 * 1024,
            ReceiveHighWater = 128 * 1024,
            ReceiveLowWater = 64 * 1024,
        });
        await using var a = await pair.ConnectAsync();
        await using var b = await pair.NextAcceptedAsync();
        using var timeout = new CancellationTokenSource(RawLinkPeer.Patience);

        // 64 MiB against a few hundred KiB of buffers and socket: the sender must stall until the reader reads.
        const int Count = 2048;
        var payload = ByteString.CopyFrom(new byte[32 * 1024]);
        var sent = 0;
        var sending = Task.Run(async () =>
        {
            for (var i = 1; i <= Count; i++)
            {
                await a.SendAsync(Data(i, payload), timeout.Token);
                Volatile.Write(ref sent, i);
            }
        });

        // On a busy machine the sender may still be filling buffers after a fixed pause (seen in CI: 33 then 144), so
        // wait until its progress settles; a sender that never stalls reaches Count and fails below.
        var stalledAt = await SettledAsync(() => Volatile.Read(ref sent), TimeSpan.FromMilliseconds(500), timeout.Token);
        Assert.False(sending.IsCompleted);
        Assert.InRange(stalledAt, 1, Count / 2);

        for (var i = 1; i <= Count; i++)
        {
            Assert.Equal(i, (await b.ReceiveAsync(timeout.Token)).Data.Seq);
        }

        await sending;
    }

    /// <summary>Samples <paramref name="read"/> until two readings <paramref name="interval"/> apart agree.</summary>
    private static async Task<int> SettledAsync(Func<int> read, TimeSpan interval, CancellationToken cancellationToken)
    {
        var last = read();
        while (true)
        {
            await Task.Delay(interval, cancellationToken);
            var now = read();
            if (now == last)
            {
                return now;
            }

            last = now;
        }
    }

    [Fact]
    public async Task A_link_fails_with_IOException_when_the_other_side_goes_away()
    {
        await using var pair = await LinkPair.StartAsync(output);
        await using var a = await pair.ConnectAsync();
        await using var b = await pair.NextAcceptedAsync();
        using var timeout = new CancellationTokenSource(RawLinkPeer.Patience);

        await pair.Accepting.DisposeAsync();

        await Assert.ThrowsAsync<IOException>(async () => await a.ReceiveAsync(timeout.Token));
        await Assert.ThrowsAsync<IOException>(async () => await a.SendAsync(Note("late"), timeout.Token));
        Assert.False(a.TryWrite(Note("late")));
        var error = await Assert.ThrowsAsync<IOException>(() => pair.ConnectAsync());
        Assert.Contains("test port of peer b", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Garbage_on_an_authenticated_connection_closes_only_that_connection()
    {
        await using var pair = await LinkPair.StartAsync(output);
        pair.Admitted.Add("c");
        await using var healthy = await pair.ConnectAsync();
        await using var healthyAccepted = await pair.NextAcceptedAsync();

        // "c"'s credentials on a hand-driven connection: one good message, then bytes that are no message.
        await using var raw = await RawLinkPeer.ConnectAsync(pair.Port);
        await raw.HandshakeAsync("c", "b", LinkPair.Purpose, LinkPair.Secret);
        await using var rawAccepted = await pair.NextAcceptedAsync();
        await raw.SendAsync(Data(5, ByteString.Empty));
        await raw.SendRawAsync([0, 0, 0, 6, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
        await raw.SendAsync(Data(6, ByteString.Empty));

        using var timeout = new CancellationTokenSource(RawLinkPeer.Patience);
        Assert.Equal(5, (await rawAccepted.ReceiveAsync(timeout.Token)).Data.Seq);
        var error = await Assert.ThrowsAsync<IOException>(async () => await rawAccepted.ReceiveAsync(timeout.Token));
        Assert.Contains("is not a test message", error.Message, StringComparison.Ordinal);
        Assert.True(await raw.IsClosedByPeerAsync());
        await AssertWorksAsync(healthy, healthyAccepted);
    }

    [Theory]
    [InlineData("oversized")]
    [InlineData("empty frame")]
    [InlineData("empty message")]
    [InlineData("negative length")]
    public async Task A_bad_frame_closes_only_that_connection(string kind)
    {
        await using var pair = await LinkPair.StartAsync(output);
        pair.Admitted.Add("c");
        await using var healthy = await pair.ConnectAsync();
        await using var healthyAccepted = await pair.NextAcceptedAsync();

        await using var raw = await RawLinkPeer.ConnectAsync(pair.Port);
        await raw.HandshakeAsync("c", "b", LinkPair.Purpose, LinkPair.Secret);
        await using var rawAccepted = await pair.NextAcceptedAsync();
        await raw.SendRawAsync(kind switch
        {
            "oversized" => RawLinkPeer.Frame(Data(1, ByteString.CopyFrom(new byte[64 * 1024]))),
            "empty frame" => [0, 0, 0, 0],

            // A message with only a field this side does not know (a newer peer's).
            "empty message" => RawLinkPeer.Frame(new Data { Seq = 5 }),
            _ => [0xff, 0xff, 0xff, 0xf0, 1, 2, 3],
        });

        using var timeout = new CancellationTokenSource(RawLinkPeer.Patience);
        await Assert.ThrowsAsync<IOException>(async () => await rawAccepted.ReceiveAsync(timeout.Token));
        Assert.True(await raw.IsClosedByPeerAsync());
        await AssertWorksAsync(healthy, healthyAccepted);
    }

    [Fact]
    public async Task Garbage_before_the_handshake_is_refused_and_other_links_go_on()
    {
        await using var pair = await LinkPair.StartAsync(output);
        await using var healthy = await pair.ConnectAsync();
        await using var healthyAccepted = await pair.NextAcceptedAsync();

        await using var raw = await RawLinkPeer.ConnectAsync(pair.Port);
        var noise = new byte[64];
        BinaryPrimitives.WriteInt32BigEndian(noise, 60);
        noise.AsSpan(4).Fill(0xee);
        await raw.SendRawAsync(noise);

        Assert.True(await raw.IsClosedByPeerAsync());
        await AssertWorksAsync(healthy, healthyAccepted);
        Assert.False(pair.Accepted.Reader.TryRead(out _));
    }

    [Fact]
    public async Task An_application_message_before_the_handshake_is_refused()
    {
        await using var pair = await LinkPair.StartAsync(output);

        // Read as a handshake, a Note is a Challenge out of turn.
        await using var raw = await RawLinkPeer.ConnectAsync(pair.Port);
        await raw.SendAsync(Note("let me in"));

        Assert.True(await raw.IsClosedByPeerAsync());
        Assert.False(pair.Accepted.Reader.TryRead(out _));
    }

    [Fact]
    public async Task A_silent_connection_is_closed_after_the_handshake_timeout()
    {
        await using var pair = await LinkPair.StartAsync(output, o => o with { HandshakeTimeout = TimeSpan.FromMilliseconds(300) });

        await using var raw = await RawLinkPeer.ConnectAsync(pair.Port);
        var started = DateTime.UtcNow;
        Assert.True(await raw.IsClosedByPeerAsync());
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task An_empty_message_closes_the_link_after_what_came_before()
    {
        await using var pair = await LinkPair.StartAsync(output);
        await using var a = await pair.ConnectAsync();
        await using var b = await pair.NextAcceptedAsync();
        using var timeout = new CancellationTokenSource(RawLinkPeer.Patience);

        await a.SendAsync(Note("first"), timeout.Token);
        await a.SendAsync(new TestMessage { Data = new Data { Seq = 1 } }, timeout.Token);
        await a.SendAsync(new TestMessage { Note = new Note { Text = "after" }, }, timeout.Token);
        await a.SendAsync(new TestMessage(), timeout.Token);

        Assert.Equal("first", (await b.ReceiveAsync(timeout.Token)).Note.Text);
        Assert.Equal(1, (await b.ReceiveAsync(timeout.Token)).Data.Seq);
        Assert.Equal("after", (await b.ReceiveAsync(timeout.Token)).Note.Text);
        var error = await Assert.ThrowsAsync<IOException>(async () => await b.ReceiveAsync(timeout.Token));
        Assert.Contains("an empty frame", error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<IOException>(async () => await a.ReceiveAsync(timeout.Token));
    }

    [Fact]
    public async Task A_message_over_the_limit_is_not_sent()
    {
        await using var pair = await LinkPair.StartAsync(output);
        await using var a = await pair.ConnectAsync();
        await using var b = await pair.NextAcceptedAsync();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            async () => await a.SendAsync(Data(1, ByteString.CopyFrom(new byte[64 * 1024])), CancellationToken.None));

        Assert.Contains("TestMessage", error.Message, StringComparison.Ordinal);
        await AssertWorksAsync(a, b);
    }

    internal static TestMessage Data(long seq, ByteString payload) => new() { Data = new Data { Seq = seq, Payload = payload } };

    internal static TestMessage Note(string text) => new() { Note = new Note { Text = text } };

    internal static async Task AssertWorksAsync(AuthenticatedLink<TestMessage> connecting, AuthenticatedLink<TestMessage> accepting)
    {
        using var timeout = new CancellationTokenSource(RawLinkPeer.Patience);
        await connecting.SendAsync(Note("ping"), timeout.Token);
        Assert.Equal("ping", (await accepting.ReceiveAsync(timeout.Token)).Note.Text);
        await accepting.SendAsync(Note("pong"), timeout.Token);
        Assert.Equal("pong", (await connecting.ReceiveAsync(timeout.Token)).Note.Text);
    }
}
