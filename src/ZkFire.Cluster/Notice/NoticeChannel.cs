using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using DotNetty.Transport.Channels;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using ZkFire.Cluster.Notice.Messages;
using ZkFire.Interconnect;

namespace ZkFire.Cluster.Notice;

/// <summary>
/// The notice channel on authenticated links (<see cref="LinkEndpoint"/>, purpose "notice", the node ids as link
/// ids): one <see cref="NoticeLink"/> per peer. Pings and pongs stay inside; everything else a peer sends becomes a
/// <see cref="NoticeReceived"/>. Peers may be set before <see cref="StartAsync"/> binds the notice port.
/// </summary>
public sealed partial class NoticeChannel : INoticeChannel
{
    public const string Purpose = "notice";

    private const string SecretSetting = "<cluster><secretFile>";

    private readonly NoticeChannelOptions options;
    private readonly ProtobufFrameCodec<NoticeEnvelope> codec;
    private readonly ILogger logger;
    private readonly Channel<NoticeEvent> events;
    private readonly Lock gate = new();
    private readonly Dictionary<string, NoticeLink> links = new(StringComparer.Ordinal);
    private readonly List<Task> retiring = [];
    private readonly LinkEndpoint endpoint;
    private IPEndPoint? localEndPoint;
    private bool started;
    private bool disposed;

    public NoticeChannel(NoticeChannelOptions options, ILoggerFactory loggerFactory)
    {
        ArgumentException.ThrowIfNullOrEmpty(options.NodeId);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.QueueLength);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.PingInterval, TimeSpan.Zero);
        this.options = options;
        codec = new ProtobufFrameCodec<NoticeEnvelope>(NoticeEnvelope.Parser, options.MaxMessageSize);
        logger = loggerFactory.CreateLogger<NoticeChannel>();
        events = Channel.CreateBounded<NoticeEvent>(new BoundedChannelOptions(options.QueueLength)
        {
            FullMode = BoundedChannelFullMode.Wait,
        });
        endpoint = new LinkEndpoint(
            new LinkEndpointOptions
            {
                LocalId = options.NodeId,
                Secret = options.Secret,
                SecretSetting = SecretSetting,
                PeerNoun = "node",
                MaxMessageSize = options.MaxMessageSize,
                ConnectTimeout = options.ConnectTimeout,
                HandshakeTimeout = options.HandshakeTimeout,
            },
            logger);
    }

    public IPEndPoint LocalEndPoint => localEndPoint ?? throw new InvalidOperationException("The notice channel is not started.");

    public ChannelReader<NoticeEvent> Events => events.Reader;

    /// <summary>What may not arrive on a notice link: it closes the link.</summary>
    internal static string? Refusal(NoticeEnvelope envelope) =>
        envelope.BodyCase == NoticeEnvelope.BodyOneofCase.None ? "an empty or unknown envelope" : null;

    /// <exception cref="IOException">The notice port cannot be bound, or its host not resolved.</exception>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            if (started)
            {
                throw new InvalidOperationException("The notice channel is already started.");
            }

            started = true;
        }

        IPAddress address;
        try
        {
            address = (await LinkEndpoint.ResolveAsync(options.ListenHost, cancellationToken))[0];
        }
        catch (SocketException ex)
        {
            throw new IOException($"Cannot resolve the notice host {options.ListenHost}: {ex.Message}", ex);
        }

        localEndPoint = await endpoint.ListenAsync(address, options.ListenPort, Purpose, Admit, Accept);
        if (options.Secret is null)
        {
            LogNotAuthenticated(logger);
        }

        LogListening(logger, options.NodeId, localEndPoint, options.Secret is not null);
    }

    public void SetPeers(IReadOnlyCollection<NoticePeer> peers)
    {
        var wanted = peers.Where(p => p.NodeId != options.NodeId).ToDictionary(p => p.NodeId, StringComparer.Ordinal);
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            foreach (var (id, link) in links.ToList())
            {
                // A changed registration (a new incarnation: the node restarted) is a new peer with a new queue.
                if (!wanted.TryGetValue(id, out var peer) || peer != link.Peer)
                {
                    links.Remove(id);
                    retiring.Add(link.DisposeAsync().AsTask());
                }
            }

            foreach (var peer in wanted.Values.Where(p => !links.ContainsKey(p.NodeId)))
            {
                var link = new NoticeLink(peer, options, endpoint, codec, events.Writer, logger);
                links[peer.NodeId] = link;
                link.Start();
            }

            retiring.RemoveAll(t => t.IsCompleted);
        }
    }

    public bool TrySend(string nodeId, NoticeEnvelope envelope) =>
        Find(nodeId, envelope) is { } link && link.TryEnqueue(envelope);

    public async ValueTask<bool> SendAsync(string nodeId, NoticeEnvelope envelope, CancellationToken cancellationToken) =>
        Find(nodeId, envelope) is { } link && await link.EnqueueAsync(envelope, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        List<NoticeLink> closing;
        List<Task> retired;
        lock (gate)
        {
            if (disposed)
            {
                return;
            }

            disposed = true;
            closing = [.. links.Values];
            retired = [.. retiring];
            links.Clear();
        }

        foreach (var link in closing)
        {
            await link.DisposeAsync();
        }

        await Task.WhenAll(retired).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await endpoint.DisposeAsync();

        events.Writer.TryComplete();
    }

    /// <summary>The peer's link, or null when it is unknown or the envelope could never be sent (too large).</summary>
    private NoticeLink? Find(string nodeId, NoticeEnvelope envelope)
    {
        // Refused here rather than when the link takes it from the queue, where it would end the link every time.
        var size = envelope.CalculateSize();
        if (size > options.MaxMessageSize)
        {
            LogTooLarge(logger, envelope.BodyCase.ToString(), size, nodeId, options.MaxMessageSize);
            return null;
        }

        lock (gate)
        {
            return links.GetValueOrDefault(nodeId);
        }
    }

    private string? Admit(string nodeId, IPAddress address)
    {
        NoticeLink? link;
        lock (gate)
        {
            link = links.GetValueOrDefault(nodeId);
        }

        if (link is null)
        {
            return $"node {nodeId} is not a current member of the cluster";
        }

        if (link.Dials)
        {
            return $"node {nodeId} sorts after this node {options.NodeId}, so this node dials it, not the other way round";
        }

        return options.Secret is null && !link.Addresses.Contains(address)
            ? $"{address} is not an address of node {nodeId}'s registered host {link.Peer.Host} (without a secretFile, nodes are recognised by address)"
            : null;
    }

    private IChannelHandler Accept(AuthenticatedPeer peer)
    {
        var accepted = new AuthenticatedLink<NoticeEnvelope>(peer, codec, endpoint.Options, logger, Refusal);
        NoticeLink? link;
        lock (gate)
        {
            link = links.GetValueOrDefault(peer.Id);
        }

        if (link is null)
        {
            // Removed between its hello and its proof.
            peer.Channel.CloseAsync();
        }
        else
        {
            link.Accept(accepted);
        }

        return accepted.Handler;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Notice channel: links between nodes are not authenticated by a secret, only by the registered hosts' IP addresses; set <cluster><secretFile> (the same file of at least 16 random bytes on every node)")]
    private static partial void LogNotAuthenticated(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Notice channel: a {Body} envelope of {Size} bytes for node {Node} is not sent: it exceeds <cluster><maxNoticeMessageBytes> ({Max})")]
    private static partial void LogTooLarge(ILogger logger, string body, int size, string node, int max);

    [LoggerMessage(Level = LogLevel.Information, Message = "Notice channel of node {Node}: listening on {EndPoint}, shared secret {Secret}")]
    private static partial void LogListening(ILogger logger, string node, IPEndPoint endPoint, bool secret);
}
