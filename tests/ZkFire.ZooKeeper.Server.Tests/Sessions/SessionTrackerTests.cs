using ZkFire.ZooKeeper.Server.Sessions;

namespace ZkFire.ZooKeeper.Server.Tests.Sessions;

public sealed class SessionTrackerTests
{
    private static readonly byte[] Secret = new byte[32];

    [Fact]
    public void Session_ids_carry_the_server_id_in_the_top_byte_and_time_below()
    {
        var id = SessionTracker.InitialSessionId(3, 0x12_3456_789A);

        Assert.Equal(0x0312_3456_789A_0000L, id);
        Assert.Equal(1, (int)((ulong)new SessionTracker(2000, 0, Secret, TimeProvider.System).CreateSession(4000).Id >> 56));
    }

    [Fact]
    public void Consecutive_sessions_get_consecutive_ids()
    {
        var tracker = new SessionTracker(2000, 5, Secret, TimeProvider.System);

        var first = tracker.CreateSession(4000).Id;
        var second = tracker.CreateSession(4000).Id;

        Assert.Equal(first + 1, second);
        Assert.Equal(5, (int)((ulong)first >> 56));
    }

    [Fact]
    public void Passwords_depend_on_the_id_and_the_secret_only()
    {
        var tracker = new SessionTracker(2000, 1, Secret, TimeProvider.System);
        var other = new SessionTracker(2000, 1, [.. Enumerable.Repeat((byte)7, 32)], TimeProvider.System);

        Assert.Equal(16, tracker.Password(42).Length);
        Assert.Equal(tracker.Password(42), new SessionTracker(2000, 9, Secret, TimeProvider.System).Password(42));
        Assert.NotEqual(tracker.Password(42), other.Password(42));
        Assert.True(tracker.CheckPassword(42, tracker.Password(42)));
        Assert.False(tracker.CheckPassword(42, new byte[16]));
        Assert.False(tracker.CheckPassword(0, tracker.Password(0)));
    }

    [Fact]
    public void A_closing_session_cannot_be_touched()
    {
        var tracker = new SessionTracker(2000, 1, Secret, TimeProvider.System);
        var session = tracker.CreateSession(4000);

        Assert.True(tracker.Touch(session.Id, 4000));
        tracker.SetClosing(session.Id);
        Assert.False(tracker.Touch(session.Id, 4000));
        tracker.Remove(session.Id);
        Assert.Null(tracker.Get(session.Id));
        Assert.False(tracker.Touch(session.Id, 4000));
    }

    [Fact]
    public async Task Expiry_marks_silent_sessions_closing_and_spares_touched_ones()
    {
        var tracker = new SessionTracker(50, 1, Secret, TimeProvider.System);
        var silent = tracker.CreateSession(300);
        // The busy session's timeout is far above its touch interval, so a stall of the machine cannot expire it.
        var busy = tracker.CreateSession(3000);
        var expired = new List<long>();
        using var stop = new CancellationTokenSource();
        var loop = tracker.RunExpiryAsync(s =>
        {
            lock (expired)
            {
                expired.Add(s.Id);
            }

            return ValueTask.CompletedTask;
        }, stop.Token);

        for (var i = 0; i < 20; i++)
        {
            await Task.Delay(50);
            tracker.Touch(busy.Id, 3000);
        }

        await stop.CancelAsync();
        await loop;
        Assert.Equal([silent.Id], expired);
        Assert.True(silent.IsClosing);
        Assert.False(busy.IsClosing);
    }
}
