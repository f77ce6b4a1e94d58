using Microsoft.Extensions.Logging;
using ZkFire.ZooKeeper.Server.Quorum.Election;
using ZkFire.ZooKeeper.Server.Quorum.Messages;
using ZkFire.ZooKeeper.Server.Quorum.Transport;
using ZkFire.ZooKeeper.Server.Tests.Quorum.Simulation;

namespace ZkFire.ZooKeeper.Server.Tests.Quorum.Election;

/// <summary>Members 1..size running <see cref="FastLeaderElection"/> over a <see cref="SimulatedNetwork"/>.</summary>
internal sealed class ElectionEnsemble(int size, SimulatedNetwork network, ILoggerFactory loggers) : IAsyncDisposable
{
    public static readonly ElectionTimings Timings = new()
    {
        FinalizeWait = TimeSpan.FromMilliseconds(30),
        MaxNotificationInterval = TimeSpan.FromMilliseconds(100),
    };

    private readonly Dictionary<long, ElectionMember> members = [];

    public SimulatedNetwork Network => network;

    public long[] Voters { get; } = [.. Enumerable.Range(1, size).Select(i => (long)i)];

    public ElectionMember this[long id] => members[id];

    public IEnumerable<ElectionMember> Members => members.Values;

    public async Task StartAllAsync()
    {
        foreach (var id in Voters)
        {
            await StartAsync(id);
        }
    }

    /// <summary>Starts member <paramref name="id"/>, or restarts it with a fresh transport and election.</summary>
    public async Task<ElectionMember> StartAsync(long id)
    {
        if (members.Remove(id, out var previous))
        {
            await previous.DisposeAsync();
        }

        var transport = network.Join(id);
        await transport.StartAsync(CancellationToken.None);
        var election = new FastLeaderElection(id, Voters, transport, Timings, TimeProvider.System, loggers.CreateLogger<FastLeaderElection>());
        var member = new ElectionMember(id, election, transport);
        members[id] = member;
        return member;
    }

    /// <summary>The member stops as in a crash: the network loses it and its election stops.</summary>
    public async Task CrashAsync(long id)
    {
        network.Crash(id);
        if (members.Remove(id, out var member))
        {
            await member.DisposeAsync();
        }
    }

    /// <summary>Exactly one member leads and every other member follows it.</summary>
    public bool IsSettled(out long leader)
    {
        var leaders = members.Values.Where(m => m.Election.State == PeerState.Leading).ToList();
        leader = leaders.Count == 1 ? leaders[0].Id : 0;
        var settledLeader = leader;
        return leaders.Count == 1 && members.Values.All(m =>
            m.Id == settledLeader || (m.Election.State == PeerState.Following && m.Election.CurrentVote.Leader == settledLeader));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var member in members.Values)
        {
            await member.DisposeAsync();
        }

        members.Clear();
    }
}

internal sealed class ElectionMember : IAsyncDisposable
{
    private readonly IQuorumTransport transport;
    private readonly CancellationTokenSource stop = new();
    private readonly Task running;

    public ElectionMember(long id, FastLeaderElection election, IQuorumTransport transport)
    {
        Id = id;
        Election = election;
        this.transport = transport;
        running = election.RunAsync(stop.Token);
    }

    public long Id { get; }

    public FastLeaderElection Election { get; }

    public Task<Vote> LookForLeaderAsync(long lastZxid, long currentEpoch) =>
        Election.LookForLeaderAsync(lastZxid, currentEpoch, stop.Token);

    public async ValueTask DisposeAsync()
    {
        if (stop.IsCancellationRequested)
        {
            return;
        }

        await stop.CancelAsync();
        await running;
        await transport.DisposeAsync();
        stop.Dispose();
    }
}
