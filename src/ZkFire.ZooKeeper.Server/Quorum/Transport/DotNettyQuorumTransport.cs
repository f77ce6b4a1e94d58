using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using DotNetty.Codecs;
using DotNetty.Transport.Bootstrapping;
using DotNetty.Transport.Channels;
using DotNetty.Transport.Channels.Sockets;
using Microsoft.Extensions.Logging;
using ZkFire.ZooKeeper.Server.Quorum.Messages;

namespace ZkFire.ZooKeeper.Server.Quorum.Transport;

/// <summary>
/// The quorum transport over TCP with DotNetty: this member's election and quorum ports, bound on the host of its own
/// <c>server.N</c> entry, and the connections to the other members' ports. Every connection starts with the
/// handshake of <see cref="QuorumHandshakeHandler"/> and carries length-prefixed <see cref="QuorumMessage"/>s
/// (<see cref="QuorumFrameCodec"/>). Election notifications to this member itself are delivered locally.
/// </summary>
internal sealed partial class DotNettyQuorumTransport : IQuorumTransport
{
    // DotNetty 0.7's event loop keeps waking itself while it shuts down, so it never sees a quiet period and always
    // runs until the timeout: keep that short. Every channel is closed before the loop is asked to stop.
    private static readonly TimeSpan ShutdownQuietPeriod = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan ShutdownTimeout = TimeSpan.FromMilliseconds(100);

    private readonly long myId;
    private readonly QuorumMember self;
    private readonly IReadOnlyDictionary<long, QuorumMember> members;
    private readonly QuorumTransportOptions options;
    private readonly ILogger logger;
    private readonly Channel<ElectionEnvelope> electionInbox;
    private readonly Channel<IPeerLink> acceptedLearners = Channel.CreateUnbounded<IPeerLink>();
    private readonly Dictionary<long, ElectionOutbox> outboxes = [];
    private readonly ConcurrentDictionary<IChannel, bool> connections = new();
    private readonly CancellationTokenSource stopping = new();
    private MultithreadEventLoopGroup? group;
    private QuorumAuthenticator? authenticator;
    private IChannel? electionListener;
    private IChannel? quorumListener;
    private int disposed;

    public DotNettyQuorumTransport(long myId, IReadOnlyList<QuorumMember> members, QuorumTransportOptions options, ILoggerFactory loggerFactory)
    {
        this.myId = myId;
        this.members = members.ToDictionary(m => m.Id);
        self = this.members.TryGetValue(myId, out var own)
            ? own
            : throw new ArgumentException($"Member {myId} is not among the configured members ({string.Join(", ", this.members.Keys)}).", nameof(members));
        this.options = options;
        logger = loggerFactory.CreateLogger<DotNettyQuorumTransport>();
        electionInbox = Channel.CreateBounded<ElectionEnvelope>(new BoundedChannelOptions(options.ElectionInboxCapacity)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
        });
        foreach (var member in members.Where(m => m.Id != myId))
        {
            outboxes[member.Id] = new ElectionOutbox(member, ConnectElectionAsync, options, logger, stopping.Token);
        }
    }

    public ChannelReader<ElectionEnvelope> ElectionInbox => electionInbox.Reader;

    public ChannelReader<IPeerLink> AcceptedLearners => acceptedLearners.Reader;

    /// <summary>Where the election port listens, once started.</summary>
    public IPEndPoint? ElectionEndPoint => electionListener?.LocalAddress as IPEndPoint;

    /// <summary>Where the quorum port listens, once started.</summary>
    public IPEndPoint? QuorumEndPoint => quorumListener?.LocalAddress as IPEndPoint;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        if (group is not null)
        {
            throw new InvalidOperationException("The quorum transport is already started.");
        }

        var secret = options.SecretFile is null ? null : await QuorumAuthenticator.LoadSecretAsync(options.SecretFile, cancellationToken);
        var addresses = secret is null ? await ResolveMemberAddressesAsync(cancellationToken) : new HashSet<IPAddress>();
        authenticator = new QuorumAuthenticator(myId, members.Keys.ToHashSet(), secret, addresses);
        if (secret is null)
        {
            LogNotAuthenticated(logger);
        }

        var bindAddress = await ResolveAsync(self, cancellationToken);
        group = new MultithreadEventLoopGroup(1);
        try
        {
            electionListener = await BindAsync(bindAddress, self.ElectionPort, LinkPurpose.Election);
            quorumListener = await BindAsync(bindAddress, self.QuorumPort, LinkPurpose.Quorum);
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

        if (Volatile.Read(ref disposed) == 0 && authenticator is not null)
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

        DotNettyPeerLink? link = null;
        await ConnectAuthenticatedAsync(
            member,
            LinkPurpose.Quorum,
            (channel, peerId, peer) => (link = new DotNettyPeerLink(channel, peerId, peer, options.MaxMessageSize, logger)).Handler,
            cancellationToken);
        return link!;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        await stopping.CancelAsync();
        await Task.WhenAll(outboxes.Values.Select(o => o.Completion)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        foreach (var channel in new[] { electionListener, quorumListener }.Concat(connections.Keys))
        {
            if (channel is not null)
            {
                await channel.CloseAsync().ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }

        electionInbox.Writer.TryComplete();
        acceptedLearners.Writer.TryComplete();
        while (acceptedLearners.Reader.TryRead(out var unclaimed))
        {
            await unclaimed.DisposeAsync();
        }

        if (group is not null)
        {
            await group.ShutdownGracefullyAsync(ShutdownQuietPeriod, ShutdownTimeout).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        stopping.Dispose();
    }

    private Task<IChannel> ConnectElectionAsync(QuorumMember member, CancellationToken cancellationToken) =>
        ConnectAuthenticatedAsync(
            member,
            LinkPurpose.Election,
            (_, peerId, peer) => new ElectionInboundHandler(peerId, peer, electionInbox.Writer, logger),
            cancellationToken);

    /// <summary>Connects to <paramref name="member"/>'s port for <paramref name="purpose"/> and runs the handshake.</summary>
    /// <exception cref="IOException">The member cannot be reached or did not prove itself.</exception>
    private async Task<IChannel> ConnectAuthenticatedAsync(
        QuorumMember member,
        LinkPurpose purpose,
        Func<IChannel, long, string, QuorumFrameHandler> authenticated,
        CancellationToken cancellationToken)
    {
        if (group is null || authenticator is null)
        {
            throw new InvalidOperationException("The quorum transport is not started.");
        }

        IPAddress[] addresses;
        try
        {
            addresses = await ResolveAllAsync(member.Host, cancellationToken);
        }
        catch (SocketException ex)
        {
            throw new IOException($"Cannot resolve {member.Host} of server.{member.Id}: {ex.Message}", ex);
        }

        // A host name may stand for several addresses (localhost: 127.0.0.1 and ::1) of which the member listens on one.
        var port = purpose == LinkPurpose.Election ? member.ElectionPort : member.QuorumPort;
        for (var i = 0; ; i++)
        {
            var handshake = new QuorumHandshakeHandler(authenticator, purpose, member.Id, options.HandshakeTimeout, options.MaxMessageSize, authenticated, logger);
            IChannel channel;
            try
            {
                channel = await OpenAsync(addresses[i], port, handshake, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException && i + 1 < addresses.Length)
            {
                continue;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                throw new IOException($"Cannot connect to the {purpose} port of member {member.Id} at {member.Host}:{port}: {ex.Message}", ex);
            }

            try
            {
                await handshake.Authenticated.WaitAsync(cancellationToken);
                return channel;
            }
            catch
            {
                await channel.CloseAsync().ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                throw;
            }
        }
    }

    private async Task<IChannel> OpenAsync(IPAddress address, int port, QuorumHandshakeHandler handshake, CancellationToken cancellationToken)
    {
        var bootstrap = new Bootstrap()
            .Group(group!)
            .ChannelFactory(() => new TcpSocketChannel(address.AddressFamily))
            .Option(ChannelOption.TcpNodelay, true)
            .Option(ChannelOption.ConnectTimeout, options.HandshakeTimeout)
            .Handler(new ActionChannelInitializer<IChannel>(channel => Initialize(channel, handshake)));
        var connecting = bootstrap.ConnectAsync(new IPEndPoint(address, port));
        try
        {
            return await connecting.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // The attempt goes on without a waiter; whatever it opens is closed.
            _ = connecting.ContinueWith(
                task => task.Result.CloseAsync(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
            throw;
        }
    }

    private async Task<IChannel> BindAsync(IPAddress address, int port, LinkPurpose purpose)
    {
        var bootstrap = new ServerBootstrap()
            .Group(group!, group!)
            .ChannelFactory(() => new TcpServerSocketChannel(address.AddressFamily))
            .Option(ChannelOption.SoBacklog, 64)
            .ChildOption(ChannelOption.TcpNodelay, true)
            .ChildHandler(new ActionChannelInitializer<IChannel>(channel => Initialize(channel, AcceptingHandshake(purpose))));

        // No SO_REUSEADDR option: .NET already sets it on every TCP socket it binds on Unix, which is what lets a
        // restarted member rebind over TIME_WAIT connections at once; the option would add SO_REUSEPORT, letting a
        // second process with the same server.N bind the same port beside this one.
        try
        {
            return await bootstrap.BindAsync(new IPEndPoint(address, port));
        }
        catch (Exception ex)
        {
            throw new IOException($"Cannot listen on the {purpose} port {address}:{port} of server.{myId}: {ex.Message}", ex);
        }
    }

    private QuorumHandshakeHandler AcceptingHandshake(LinkPurpose purpose) => new(
        authenticator!,
        purpose,
        target: null,
        options.HandshakeTimeout,
        options.MaxMessageSize,
        purpose == LinkPurpose.Election
            ? (_, peerId, peer) => new ElectionInboundHandler(peerId, peer, electionInbox.Writer, logger)
            : AcceptLearner,
        logger);

    private QuorumFrameHandler AcceptLearner(IChannel channel, long peerId, string peer)
    {
        var link = new DotNettyPeerLink(channel, peerId, peer, options.MaxMessageSize, logger);
        if (!acceptedLearners.Writer.TryWrite(link))
        {
            channel.CloseAsync();
        }

        return link.Handler;
    }

    private void Initialize(IChannel channel, QuorumHandshakeHandler handshake)
    {
        if (Volatile.Read(ref disposed) != 0)
        {
            channel.CloseAsync();
            return;
        }

        connections.TryAdd(channel, true);
        channel.CloseCompletion.ContinueWith(
            _ => connections.TryRemove(channel, out var _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

        // High before low: DotNetty refuses a low-water mark above the current high-water mark.
        channel.Configuration.WriteBufferHighWaterMark = DotNettyPeerLink.SendHighWater;
        channel.Configuration.WriteBufferLowWaterMark = DotNettyPeerLink.SendLowWater;
        channel.Pipeline.AddLast(
            "frames",
            new LengthFieldBasedFrameDecoder(
                DotNetty.Buffers.ByteOrder.BigEndian,
                options.MaxMessageSize,
                lengthFieldOffset: 0,
                lengthFieldLength: QuorumFrameCodec.LengthPrefixSize,
                lengthAdjustment: 0,
                initialBytesToStrip: QuorumFrameCodec.LengthPrefixSize,
                failFast: true));
        channel.Pipeline.AddLast("handshake", handshake);
    }

    private async Task<HashSet<IPAddress>> ResolveMemberAddressesAsync(CancellationToken cancellationToken)
    {
        var addresses = new HashSet<IPAddress>();
        foreach (var member in members.Values.Where(m => m.Id != myId))
        {
            try
            {
                foreach (var address in await ResolveAllAsync(member.Host, cancellationToken))
                {
                    addresses.Add(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);
                }
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
            return (await ResolveAllAsync(member.Host, cancellationToken))[0];
        }
        catch (SocketException ex)
        {
            throw new IOException($"Cannot resolve {member.Host} of server.{member.Id}: {ex.Message}", ex);
        }
    }

    private static async Task<IPAddress[]> ResolveAllAsync(string host, CancellationToken cancellationToken) =>
        IPAddress.TryParse(host, out var literal) ? [literal]
        : await Dns.GetHostAddressesAsync(host, cancellationToken) is { Length: > 0 } resolved ? resolved
        : throw new SocketException((int)SocketError.HostNotFound);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Quorum transport: links between members are not authenticated by a secret, only by IP address; set quorum.auth.secretFile (the same file of at least 16 random bytes on every member)")]
    private static partial void LogNotAuthenticated(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Quorum transport of member {MyId}: election port {Election}, quorum port {Quorum}, shared secret {Secret}")]
    private static partial void LogListening(ILogger logger, long myId, IPEndPoint? election, IPEndPoint? quorum, bool secret);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Quorum transport: cannot resolve {Host} of server.{Member}, so connections from it are refused: {Reason}")]
    private static partial void LogUnresolved(ILogger logger, long member, string host, string reason);
}
