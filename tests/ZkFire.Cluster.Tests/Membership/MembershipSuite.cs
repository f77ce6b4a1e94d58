using System.Diagnostics;
using ZkFire.Cluster.Membership;
using ZkFire.ZooKeeper.Client;
using ZkFire.ZooKeeper.Client.Tests;

namespace ZkFire.Cluster.Tests.Membership;

/// <summary>
/// Cluster membership against a real server, abstract over the server so the same tests run against ZkFire's and
/// Apache ZooKeeper. Each test works under its own cluster root; session timeouts are short (the servers tick every
/// 500 ms, so 2 s is allowed) to keep expiry tests to seconds.
/// </summary>
public abstract class MembershipSuite(IZooKeeperEndpoint server) : IAsyncLifetime
{
    private static readonly TimeSpan ShortSession = TimeSpan.FromSeconds(2);

    // A bound that stops a hung test, not a speed requirement: generous for a loaded 2-core machine.
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(60));
    private readonly List<IAsyncDisposable> _resources = [];
    private readonly string _root = "/cluster-" + Guid.NewGuid().ToString("N");
    private readonly string _directory = Directory.CreateTempSubdirectory("zkfire-membership-").FullName;

    private CancellationToken Timeout => _timeout.Token;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var resource in Enumerable.Reverse(_resources))
        {
            await resource.DisposeAsync();
        }

        _timeout.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [SkippableFact]
    public async Task Members_see_each_other_join_and_a_graceful_leave_at_once()
    {
        var a = await JoinAsync("a");
        Assert.Equal("a", (await NextAsync<NodeJoined>(a)).Member.NodeId);

        var b = await JoinAsync("b");
        Assert.Equal("b", (await NextAsync<NodeJoined>(a)).Member.NodeId);
        Assert.Equal(["a", "b"], [(await NextAsync<NodeJoined>(b)).Member.NodeId, (await NextAsync<NodeJoined>(b)).Member.NodeId]);
        var c = await JoinAsync("c");
        Assert.Equal("c", (await NextAsync<NodeJoined>(a)).Member.NodeId);
        Assert.Equal("c", (await NextAsync<NodeJoined>(b)).Member.NodeId);

        // Every node sees the same set, with what each registered.
        Assert.Equal(["a", "b", "c"], a.Members.Keys.Order());
        Assert.Equal(a.Members.Values.OrderBy(m => m.NodeId), b.Members.Values.OrderBy(m => m.NodeId));
        var seen = a.Members["b"];
        Assert.Equal(("b", "127.0.0.1:4002", "1.2.3"), (seen.NodeId, seen.NoticeAddress, seen.Version));
        Assert.Equal(("127.0.0.1:5232", "127.0.0.1:3182", 2, 0), (seen.C2sAddress, seen.ZooKeeperClientAddress, seen.ZooKeeperMyId, seen.SessionCount));
        Assert.Equal(StartTime, seen.StartTime);
        Assert.Equal(b.SessionId, seen.SessionId);

        // Disposing closes the session: the others see the node go well before a session timeout.
        var stopwatch = Stopwatch.StartNew();
        await b.DisposeAsync();
        Assert.Equal("b", (await NextAsync<NodeLeft>(a)).Member.NodeId);
        Assert.Equal("b", (await NextAsync<NodeLeft>(c)).Member.NodeId);
        Assert.True(stopwatch.Elapsed < Session, $"Left only after {stopwatch.Elapsed}.");
        Assert.Equal(["a", "c"], a.Members.Keys.Order());
        Assert.Equal(MembershipState.Closed, b.State);
        Assert.Equal(MembershipState.Active, a.State);
    }

    [SkippableFact]
    public async Task A_published_session_count_reaches_every_member_without_a_leave_or_join()
    {
        var a = await JoinAsync("a");
        var b = await JoinAsync("b");
        var registered = (await NextAsync<NodeJoined>(a, e => e.Member.NodeId == "b")).Member;

        b.PublishSessionCount(3);
        b.PublishSessionCount(7);
        await UntilAsync(() => a.Members["b"].SessionCount == 7 && b.Members["b"].SessionCount == 7);

        Assert.Equal(registered with { SessionCount = 7 }, a.Members["b"]);
        Assert.False(a.Events.TryRead(out var unexpected), $"Unexpected event {unexpected}.");

        // A tool reading the registrations once, without joining, sees the same.
        await using var client = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectString = server.ConnectString }, Timeout);
        var read = await ClusterMembership.ReadMembersAsync(client, _root, Timeout);
        Assert.Equal(a.Members.Values.OrderBy(m => m.NodeId), read);
        Assert.Empty(await ClusterMembership.ReadMembersAsync(client, _root + "-none", Timeout));
    }

    [SkippableFact]
    public async Task A_node_cut_off_leaves_after_the_session_timeout_fences_itself_and_rejoins()
    {
        var a = await JoinAsync("a");
        await using var proxy = TcpProxy.Start(server.ConnectString);
        var b = await JoinAsync("b", hosts: proxy.ConnectString, sessionTimeout: ShortSession);
        var first = (await NextAsync<NodeJoined>(a, e => e.Member.NodeId == "b")).Member;

        // As a crash looks to the others: the connection goes silent and the session expires on the server.
        proxy.Refuse(true);
        proxy.Cut();
        var stopwatch = Stopwatch.StartNew();
        await NextAsync<Suspended>(b);
        Assert.Equal("b", (await NextAsync<NodeLeft>(a)).Member.NodeId);
        Assert.True(stopwatch.Elapsed >= ShortSession / 2, $"Left after only {stopwatch.Elapsed}.");

        // The node cannot learn of the expiry, but after a session timeout without a server it stops acting as a
        // member anyway, then rejoins once ZooKeeper is reachable.
        await NextAsync<Fenced>(b);
        Assert.Equal(MembershipState.Fenced, b.State);
        // A count published while fenced is in the new registration.
        b.PublishSessionCount(5);
        proxy.Refuse(false);
        var rejoined = await NextAsync<Rejoined>(b);
        Assert.Equal(b.SessionId, rejoined.SessionId);
        Assert.Equal(MembershipState.Active, b.State);
        var second = (await NextAsync<NodeJoined>(a, e => e.Member.NodeId == "b")).Member;
        Assert.True(second.Incarnation > first.Incarnation);
        Assert.NotEqual(first.SessionId, second.SessionId);
        Assert.Equal(second, b.Members["b"]);
        await UntilAsync(() => a.Members["b"].SessionCount == 5);
    }

    [SkippableFact]
    public async Task A_node_id_held_by_another_live_node_is_refused()
    {
        var a = await JoinAsync("a", sessionFile: Path.Combine(_directory, "a-session"));

        var error = await Assert.ThrowsAsync<NodeIdInUseException>(() => JoinAsync("a", sessionFile: Path.Combine(_directory, "other-session")));

        Assert.Equal(a.SessionId, error.OwnerSessionId);
        Assert.Contains("127.0.0.1:4001", error.Message, StringComparison.Ordinal);
        Assert.Equal(a.SessionId, a.Members["a"].SessionId);
        Assert.Equal(MembershipState.Active, a.State);
    }

    [SkippableFact]
    public async Task A_restart_after_a_crash_waits_for_its_previous_session_then_registers()
    {
        var sessionFile = Path.Combine(_directory, "a-session");
        var observer = await JoinAsync("observer");
        await using var proxy = TcpProxy.Start(server.ConnectString);
        var crashed = await JoinAsync("a", hosts: proxy.ConnectString, sessionTimeout: ShortSession, sessionFile: sessionFile);
        var before = (await NextAsync<NodeJoined>(observer, e => e.Member.NodeId == "a")).Member;
        proxy.Refuse(true);
        proxy.Cut();

        var stopwatch = Stopwatch.StartNew();
        var restarted = await JoinAsync("a", sessionFile: sessionFile);

        Assert.True(stopwatch.Elapsed >= ShortSession / 2, $"Registered after only {stopwatch.Elapsed}: the old registration cannot have expired.");
        Assert.Equal(restarted.SessionId, restarted.Members["a"].SessionId);
        Assert.Equal(before, (await NextAsync<NodeLeft>(observer)).Member);
        Assert.Equal(restarted.SessionId, (await NextAsync<NodeJoined>(observer)).Member.SessionId);
        Assert.NotEqual(crashed.SessionId, restarted.SessionId);
    }

    [SkippableFact]
    public async Task Session_expiry_fences_the_node_and_it_rejoins_with_a_new_session()
    {
        var observer = await JoinAsync("observer");
        await using var proxy = TcpProxy.Start(server.ConnectString);
        var a = await JoinAsync("a", hosts: proxy.ConnectString);
        var first = (await NextAsync<NodeJoined>(observer, e => e.Member.NodeId == "a")).Member;

        // Expire the session for certain: take it over from another client and close it, then let the node
        // reconnect and be told.
        proxy.Refuse(true);
        proxy.Cut();
        await NextAsync<Suspended>(a);
        var client = a.CurrentClient!;
        await using (await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions
        {
            ConnectString = server.ConnectString,
            SessionId = client.SessionId,
            SessionPassword = client.SessionPassword,
            SessionTimeout = Session,
        }, Timeout))
        {
        }

        Assert.Equal("a", (await NextAsync<NodeLeft>(observer)).Member.NodeId);
        proxy.Refuse(false);
        await NextAsync<Fenced>(a);
        var rejoined = await NextAsync<Rejoined>(a);

        Assert.NotEqual(first.SessionId, rejoined.SessionId);
        var second = (await NextAsync<NodeJoined>(observer)).Member;
        Assert.Equal(rejoined.SessionId, second.SessionId);
        Assert.Equal(["a", "observer"], a.Members.Keys.Order());
        Assert.Equal(MembershipState.Active, a.State);
    }

    private static TimeSpan Session => TimeSpan.FromSeconds(6);

    private static DateTimeOffset StartTime { get; } = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private async Task<ClusterMembership> JoinAsync(string nodeId, string? hosts = null, TimeSpan? sessionTimeout = null, string? sessionFile = null)
    {
        Skip.If(server.UnavailableReason is not null, server.UnavailableReason);
        var membership = await ClusterMembership.JoinAsync(new ClusterMembershipOptions
        {
            ConnectString = hosts ?? server.ConnectString,
            Root = _root,
            NodeId = nodeId,
            NoticeAddress = $"127.0.0.1:{4000 + nodeId[0] - 'a' + 1}",
            C2sAddress = $"127.0.0.1:{5222 + (10 * (nodeId[0] - 'a'))}",
            ZooKeeperClientAddress = $"127.0.0.1:{3181 + nodeId[0] - 'a'}",
            ZooKeeperMyId = nodeId[0] - 'a' + 1,
            Version = "1.2.3",
            StartTime = StartTime,
            SessionTimeout = sessionTimeout ?? Session,
            SessionFile = sessionFile,
            MinRejoinBackoff = TimeSpan.FromMilliseconds(50),
            MaxRejoinBackoff = TimeSpan.FromMilliseconds(500),
        }, cancellationToken: Timeout);
        _resources.Add(membership);
        return membership;
    }

    private async Task UntilAsync(Func<bool> condition)
    {
        while (!condition())
        {
            await Task.Delay(20, Timeout);
        }
    }

    /// <summary>The next event of type <typeparamref name="T"/> (matching <paramref name="match"/>); others are skipped.</summary>
    private async Task<T> NextAsync<T>(ClusterMembership membership, Func<T, bool>? match = null)
        where T : MembershipEvent
    {
        while (true)
        {
            if (await membership.Events.ReadAsync(Timeout) is T e && (match is null || match(e)))
            {
                return e;
            }
        }
    }
}
