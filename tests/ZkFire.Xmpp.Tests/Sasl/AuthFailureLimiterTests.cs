using System.Net;
using ZkFire.Xmpp.Sasl;

namespace ZkFire.Xmpp.Tests.Sasl;

public sealed class AuthFailureLimiterTests
{
    private static readonly IPAddress Home = IPAddress.Parse("192.0.2.1");

    private readonly ManualTimeProvider _time = new();

    private AuthFailureLimiter Limiter(int perAccount = 3, int perAddress = 10, int maxTrackedKeys = 1000) =>
        new(new AuthFailureLimiterOptions { MaxFailuresPerAccount = perAccount, MaxFailuresPerAddress = perAddress, Window = TimeSpan.FromMinutes(5) }, _time, maxTrackedKeys);

    private static IPAddress Address(int i) => new([198, 51, (byte)(i >> 8), (byte)i]);

    [Fact]
    public void Blocks_an_account_after_its_limit_from_any_address()
    {
        var limiter = Limiter();
        for (var i = 0; i < 3; i++)
        {
            Assert.False(limiter.IsBlocked("alice", Address(i)));
            limiter.RecordFailure("alice", Address(i));
        }

        Assert.True(limiter.IsBlocked("alice", Address(99)));
        Assert.False(limiter.IsBlocked("bob", Address(99)));
        Assert.False(limiter.IsBlocked(null, Address(99)));
    }

    [Fact]
    public void Blocks_an_address_after_its_limit_whatever_the_account()
    {
        var limiter = Limiter();
        for (var i = 0; i < 10; i++)
        {
            limiter.RecordFailure($"user{i}", Home);
        }

        Assert.True(limiter.IsBlocked(null, Home));
        Assert.True(limiter.IsBlocked("fresh", Home));
        Assert.False(limiter.IsBlocked("user1", Address(1)));
    }

    [Fact]
    public void Failures_without_a_username_count_for_the_address_only()
    {
        var limiter = Limiter(perAccount: 1, perAddress: 2);
        limiter.RecordFailure(null, Home);
        Assert.False(limiter.IsBlocked(null, Home));
        limiter.RecordFailure(null, Home);
        Assert.True(limiter.IsBlocked(null, Home));
        Assert.Equal(0, limiter.TrackedAccounts);
    }

    [Fact]
    public void Window_slides()
    {
        var limiter = Limiter();
        limiter.RecordFailure("alice", Address(1));
        _time.Advance(TimeSpan.FromMinutes(2));
        limiter.RecordFailure("alice", Address(2));
        _time.Advance(TimeSpan.FromMinutes(2));
        limiter.RecordFailure("alice", Address(3));
        Assert.True(limiter.IsBlocked("alice", Address(4)));

        // The first failure leaves the window exactly five minutes after it happened.
        _time.Advance(TimeSpan.FromMinutes(1) - TimeSpan.FromTicks(1));
        Assert.True(limiter.IsBlocked("alice", Address(4)));
        _time.Advance(TimeSpan.FromTicks(1));
        Assert.False(limiter.IsBlocked("alice", Address(4)));

        limiter.RecordFailure("alice", Address(4));
        Assert.True(limiter.IsBlocked("alice", Address(4)));
        _time.Advance(TimeSpan.FromMinutes(5));
        Assert.False(limiter.IsBlocked("alice", Address(4)));
    }

    [Fact]
    public void Success_clears_the_account_but_not_the_address()
    {
        var limiter = Limiter(perAccount: 2, perAddress: 2);
        limiter.RecordFailure("alice", Home);
        limiter.RecordFailure("alice", Home);
        Assert.True(limiter.IsBlocked("alice", Address(1)));

        limiter.RecordSuccess("alice");
        Assert.False(limiter.IsBlocked("alice", Address(1)));
        Assert.True(limiter.IsBlocked("alice", Home));
    }

    [Fact]
    public void Ipv6_counts_per_64_and_mapped_ipv4_as_ipv4()
    {
        var limiter = Limiter(perAddress: 2);
        limiter.RecordFailure(null, IPAddress.Parse("2001:db8:1:2::1"));
        limiter.RecordFailure(null, IPAddress.Parse("2001:db8:1:2:ffff::9"));
        Assert.True(limiter.IsBlocked(null, IPAddress.Parse("2001:db8:1:2::1234")));
        Assert.False(limiter.IsBlocked(null, IPAddress.Parse("2001:db8:1:3::1")));

        limiter.RecordFailure(null, IPAddress.Parse("::ffff:192.0.2.1"));
        limiter.RecordFailure(null, Home);
        Assert.True(limiter.IsBlocked(null, Home));
    }

    [Fact]
    public void Tracked_keys_stay_bounded_under_a_username_spray()
    {
        var limiter = Limiter(maxTrackedKeys: 50);
        for (var i = 0; i < 10_000; i++)
        {
            limiter.RecordFailure($"victim{i}", Address(i % 300));
        }

        Assert.Equal(50, limiter.TrackedAccounts);
        Assert.Equal(50, limiter.TrackedAddresses);
        // The most recent keys are the ones kept.
        limiter.RecordFailure("victim9999", Home);
        limiter.RecordFailure("victim9999", Home);
        Assert.True(limiter.IsBlocked("victim9999", Address(1)));
    }

    [Fact]
    public void Expired_keys_are_pruned()
    {
        var limiter = Limiter();
        for (var i = 0; i < 100; i++)
        {
            limiter.RecordFailure($"user{i}", Address(i));
        }

        Assert.Equal(100, limiter.TrackedAccounts);
        _time.Advance(TimeSpan.FromMinutes(5));
        Assert.False(limiter.IsBlocked("someone", Home));
        Assert.Equal(0, limiter.TrackedAccounts);
        Assert.Equal(0, limiter.TrackedAddresses);
    }

    [Fact]
    public void Concurrent_failures_are_all_counted()
    {
        var limiter = Limiter(perAccount: 1000, perAddress: 100_000);
        Parallel.For(0, 999, i => limiter.RecordFailure("alice", Address(i)));
        Assert.False(limiter.IsBlocked("alice", Home));
        limiter.RecordFailure("alice", Home);
        Assert.True(limiter.IsBlocked("alice", Home));
    }

    [Fact]
    public void Rejects_nonsense_options()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new AuthFailureLimiter(new AuthFailureLimiterOptions { MaxFailuresPerAccount = 0 }, _time));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AuthFailureLimiter(new AuthFailureLimiterOptions { Window = TimeSpan.Zero }, _time));
        Assert.False(new AuthFailureLimiter(new AuthFailureLimiterOptions(), TimeProvider.System).IsBlocked("alice", Home));
    }
}
