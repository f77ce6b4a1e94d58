using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using DotNetty.Transport.Channels;
using Microsoft.Extensions.Logging;
using ZkFire.Interconnect;
using ZkFire.ZooKeeper.Server.Quorum.Messages;

namespace ZkFire.ZooKeeper.Server.Quorum.Transport;

/// <summary>
/// The quorum transport over authenticated links (<see cref="LinkEndpoint"/>): this member's election and quorum
/// ports, bound on the host of its own <c>server.N</c> entry, and the connections to the other members' ports. Every
/// connection starts with the link handshake, the member's myid as its id and the port's purpose ("election",
/// "quorum"), and then carries length-prefixed <see cref="QuorumMessage"/>s. Election notifications to this member
/// itself are delivered locally.
/// </summary>
internal sealed partial class DotNettyQuorumTransport : IQuorumTransport
{
    public const string ElectionPurpose = "election";
    public const string QuorumPurpose = "quorum";
    public const string SecretSetting = "quorum.auth.secretFile";

    private readonly long myId;
    private readonly QuorumMember self;
    private readonly IReadOnlyDictionary<long, QuorumMember> members;
    private readonly QuorumTransportOptions options;
    private readonly ProtobufFrameCodec<QuorumMessage> codec;
    private readonly ILogger logger;
    private readonly Channel<ElectionEnvelope> electionInbox;
    private readonly Channel<IPeerLink> acceptedLearners = Channel.CreateUnbounded<IPeerLink>();
    private readonly Dictionary<long, ElectionOutbox> outboxes = [];
    private readonly CancellationTokenSource stopping = new();
    private LinkEndpoint? endpoint;

    // Without a secret, the addresses connections are accepted from; null with one.
    private HashSet<IPAddress>? memberAddresses;
    private int disposed;

    public DotNettyQuorumTransport(long myId, IReadOnlyList<QuorumMember> members, QuorumTransportOptions options, ILoggerFactory loggerFactory)
    {
        this.myId = myId;
        this.members = members.ToDictionary(m => m.Id);
        self = this.members.TryGetValue(myId, out var own)
            ? own
            : throw new ArgumentException($"Member {myId} is not among the configured members ({string.Join(", ", this.members.Keys)}).", nameof(members));
        this.options = options;
        codec = new ProtobufFrameCodec<QuorumMessage>(QuorumMessage.Parser, options.MaxMessageSize);
        logger = loggerFactory.CreateLogger<DotNettyQuorumTransport>();
        electionInbox = Channel.CreateBounded<ElectionEnvelope>(new BoundedChannelOptions(options.ElectionInboxCapacity)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
        });
        foreach (var member in members.Where(m => m.Id != myId))
        {
            outboxes[member.Id] = new ElectionOutbox(member, ConnectElectionAsync, codec, options, logger, stopping.Token);
        }
    }

    public ChannelReader<ElectionEnvelope> ElectionInbox => electionInbox.Reader;

    public ChannelReader<IPeerLink> AcceptedLearners => acceptedLearners.Reader;

    /// <summary>Where the election port listens, once started.</summary>
    public IPEndPoint? ElectionEndPoint { get; private set; }

    /// <summary>Where the quorum port listens, once started.</summary>
    public IPEndPoint? QuorumEndPoint { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        if (endpoint is not null)
        {
            throw new InvalidOperationException("The quorum transport is already started.");
        }

        var secret = options.SecretFile is null ? null : await LinkAuthenticator.LoadSecretAsync(options.SecretFile, SecretSetting, cancellationToken);
        memberAddresses = secret is null ? await ResolveMemberAddressesAsync(cancellationToken) : null;
        if (secret is null)
        {
            LogNotAuthenticated(logger);
        }

        var bindAddress = await ResolveAsync(self, cancellationToken);
        endpoint = new LinkEndpoint(
            new LinkEndpointOptions
            {
                LocalId = Id(myId),
                Secret = secret,
                SecretSetting = SecretSetting,
                PeerNoun = "member",
                MaxMessageSize = options.MaxMessageSize,
                ConnectTimeout = options.HandshakeTimeout,
                HandshakeTimeout = options.HandshakeTimeout,
            },
            logger);
        try
        {
            ElectionEndPoint = await endpoint.ListenAsync(bindAddress, self.ElectionPort, ElectionPurpose, Admit, AcceptElection);
            QuorumEndPoint = await endpoint.ListenAsync(bindAddress, self.QuorumPort, QuorumPurpose, Admit, AcceptLearner);
        }
        catch
        {
            await DisposeAsync();
            throw;
        }

        LogListening(logger, myId, ElectionEndPoint, QuorumEndPoint, secret is not null);
    }

    public void SendElection(long to, Notification notification)
    {
        ArgumentNullException.ThrowIfNull(notification);

        // Copied: the election may reuse its message, and this one is encoded later, on another thread.
        var copy = notification.Clone();
        if (to == myId)
        {
            electionInbox.Writer.TryWrite(new ElectionEnvelope(myId, copy));
            return;
        }

        if (!outboxes.TryGetValue(to, out var outbox))
        {
            throw new ArgumentOutOfRangeException(nameof(to), to, "Not a member of this ensemble.");
        }

        if (Volatile.Read(ref disposed) == 0 && endpoint is not null)
        {
            outbox.Enqueue(copy);
        }
    }

    public async Task<IPeerLink> ConnectAsync(long leader, CancellationToken cancellationToken)
    {
        if (leader == myId || !members.TryGetValue(leader, out var member))
        {
            throw new ArgumentOutOfRangeException(nameof(leader), leader, "Not another member of this ensemble.");
        }

        AuthenticatedLink<QuorumMessage>? link = null;
        await Started.ConnectAsync(
            Id(member.Id),
            member.Host,
            member.QuorumPort,
            QuorumPurpose,
            peer => (link = new AuthenticatedLink<QuorumMessage>(peer, codec, Started.Options, logger, QuorumPeerLink.Refusal)).Handler,
            cancellationToken);
        return new QuorumPeerLink(link!, member.Id);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        await stopping.CancelAsync();
        await Task.WhenAll(outboxes.Values.Select(o => o.Completion)).WaitAsync(LinkEndpoint.CloseBound).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (endpoint is not null)
        {
            await endpoint.DisposeAsync();
        }

        electionInbox.Writer.TryComplete();
        acceptedLearners.Writer.TryComplete();
        while (acceptedLearners.Reader.TryRead(out var unclaimed))
        {
            await unclaimed.DisposeAsync();
        }

        stopping.Dispose();
    }

    private LinkEndpoint Started => endpoint ?? throw new InvalidOperationException("The quorum transport is not started.");

    private static string Id(long member) => member.ToString(CultureInfo.InvariantCulture);

    /// <summary>The member a proven link id names (the handshake admitted only configured members' ids).</summary>
    private static long MemberOf(AuthenticatedPeer peer) => long.Parse(peer.Id, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);

    private string? Admit(string peerId, IPAddress address)
    {
        if (!long.TryParse(peerId, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var id) || Id(id) != peerId
            || id == myId || !members.ContainsKey(id))
        {
            return $"myid {peerId} is not another member of this ensemble (members: {string.Join(", ", members.Keys)})";
        }

        return memberAddresses is not null && !memberAddresses.Contains(address)
            ? $"its address is not one of the configured members' ({SecretSetting} is not set, so members are recognised by address)"
            : null;
    }

    private Task<IChannel> ConnectElectionAsync(QuorumMember member, CancellationToken cancellationToken) =>
        Started.ConnectAsync(Id(member.Id), member.Host, member.ElectionPort, ElectionPurpose, AcceptElection, cancellationToken);

    private ElectionInboundHandler AcceptElection(AuthenticatedPeer peer) =>
        new(codec, MemberOf(peer), peer, electionInbox.Writer, logger);

    private IChannelHandler AcceptLearner(AuthenticatedPeer peer)
    {
        var link = new AuthenticatedLink<QuorumMessage>(peer, codec, Started.Options, logger, QuorumPeerLink.Refusal);
        if (!acceptedLearners.Writer.TryWrite(new QuorumPeerLink(link, MemberOf(peer))))
        {
            peer.Channel.CloseAsync();
        }

        return link.Handler;
    }

    private async Task<HashSet<IPAddress>> ResolveMemberAddressesAsync(CancellationToken cancellationToken)
    {
        var addresses = new HashSet<IPAddress>();
        foreach (var member in members.Values.Where(m => m.Id != myId))
        {
            try
            {
                addresses.UnionWith(await LinkEndpoint.ResolveAsync(member.Host, cancellationToken));
            }
            catch (SocketException ex)
            {
                LogUnresolved(logger, member.Id, member.Host, ex.Message);
            }
        }

        return addresses;
    }

    private static async Task<IPAddress> ResolveAsync(QuorumMember member, CancellationToken cancellationToken)
    {
        try
        {
            return (await LinkEndpoint.ResolveAsync(member.Host, cancellationToken))[0];
        }
        catch (SocketException ex)
        {
            throw new IOException($"Cannot resolve {member.Host} of server.{member.Id}: {ex.Message}", ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Quorum transport: links between members are not authenticated by a secret, only by IP address; set quorum.auth.secretFile (the same file of at least 16 random bytes on every member)")]
    private static partial void LogNotAuthenticated(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Quorum transport of member {MyId}: election port {Election}, quorum port {Quorum}, shared secret {Secret}")]
    private static partial void LogListening(ILogger logger, long myId, IPEndPoint? election, IPEndPoint? quorum, bool secret);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Quorum transport: cannot resolve {Host} of server.{Member}, so connections from it are refused: {Reason}")]
    private static partial void LogUnresolved(ILogger logger, long member, string host, string reason);
}
