using Microsoft.Extensions.Logging;
using ZkFire.ZooKeeper.Server.Quorum.Election;
using ZkFire.ZooKeeper.Server.Quorum.Messages;
using ZkFire.ZooKeeper.Server.Quorum.Transport;
using ZkFire.ZooKeeper.Server.Quorum.Zab;

namespace ZkFire.ZooKeeper.Server.Quorum;

/// <summary>
/// An ensemble member's life (ZooKeeper's QuorumPeer): elect, then lead or follow until that ends, then elect again,
/// for as long as the server runs. Clients are served only while leading or following a leader that has a quorum;
/// in between, the client port refuses them, so they move to another member.
/// </summary>
internal sealed partial class QuorumPeer : IAsyncDisposable
{
    private readonly MemberState member;
    private readonly IQuorumTransport transport;
    private readonly ILogger logger;
    private readonly EpochStore epochs;
    private readonly FastLeaderElection election;
    private Replica? current;
    private CarriedState? carried;

    public QuorumPeer(MemberState member, IQuorumTransport transport, ILogger<QuorumPeer> logger)
    {
        this.member = member;
        this.transport = transport;
        this.logger = logger;
        epochs = new EpochStore(member.DataDir);
        var options = member.Options;
        election = new FastLeaderElection(
            options.ServerId,
            [.. options.Servers.Select(s => s.Id)],
            transport,
            // ZooKeeper's 200 ms finalize wait, shorter with a short tick; re-sends back off to 10 ticks, not a minute.
            new ElectionTimings
            {
                FinalizeWait = TimeSpan.FromMilliseconds(Math.Min(200, options.TickTime)),
                MaxNotificationInterval = TimeSpan.FromMilliseconds(Math.Min(60_000L, 10L * options.TickTime)),
            },
            member.Time,
            member.LoggerFactory.CreateLogger<FastLeaderElection>());
    }

    /// <summary>The serving period clients connect to, or null while there is none.</summary>
    public Replica? Current => Volatile.Read(ref current);

    /// <summary>leader, follower, or looking.</summary>
    public string Mode => election.State switch
    {
        PeerState.Leading when Current is not null => "leader",
        PeerState.Following when Current is not null => "follower",
        _ => "looking",
    };

    public Task StartAsync(CancellationToken cancellationToken) => transport.StartAsync(cancellationToken);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var electing = election.RunAsync(cancellationToken);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var last = Math.Max(member.Log.LastZxid, member.Snapshots.LatestZxid());
                var vote = await election.LookForLeaderAsync(last, epochs.Current, cancellationToken);
                var context = new ZabContext(member, epochs, transport, Open);
                var leader = vote.Leader == member.Options.ServerId
                    ? new Leader(context, carried, member.LoggerFactory.CreateLogger<Leader>())
                    : null;
                var follower = leader is null
                    ? new Follower(context, carried, member.LoggerFactory.CreateLogger<Follower>())
                    : null;
                try
                {
                    await (leader?.LeadAsync(cancellationToken) ?? follower!.FollowAsync(vote.Leader, cancellationToken));
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested
                                           && ex is IOException or TimeoutException or QuorumProtocolException or OperationCanceledException)
                {
                    LogRoleEnded(logger, vote.Leader, ex.Message);
                }
                finally
                {
                    // A role change keeps the replica in memory instead of reloading dataDir (ZooKeeper keeps its
                    // ZKDatabase likewise): the next period only replays what the log gained.
                    carried = leader?.Carried ?? follower!.Carried;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            await electing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    public ValueTask DisposeAsync() => transport.DisposeAsync();

    private void Open(Replica? replica) => Volatile.Write(ref current, replica);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stopped serving under leader {Leader}: {Reason}; electing again")]
    private static partial void LogRoleEnded(ILogger logger, long leader, string reason);
}
