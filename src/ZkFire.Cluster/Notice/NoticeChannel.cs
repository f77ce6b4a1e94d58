using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using DotNetty.Transport.Channels;
using Microsoft.Extensions.Logging;
using ZkFire.Cluster.Notice.Messages;
using ZkFire.Interconnect;

namespace ZkFire.Cluster.Notice;

/// <summary>
/// The notice channel over DotNetty (<see cref="LinkEndpoint"/>): for each peer a bounded queue, drained in order
/// into whichever authenticated link to that peer is up. The node whose id sorts first dials and redials with
/// backoff; the other only accepts, so a pair of nodes has one connection. Links are pinged when idle and closed when
/// a ping goes unanswered.
/// </summary>
public sealed partial class NoticeChannel : INoticeChannel
{
    public const string Purpose = "notice";
    private const string SecretSetting = "<cluster><secretFile>";

    private readonly NoticeChannelOptions options;
    private readonly ILogger logger;
    private readonly LinkEndpoint endpoint;
    private readonly ProtobufFrameCodec<NoticeEnvelope> codec;
    private readonly Channel<NoticeEvent> events = Channel.CreateUnbounded<NoticeEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<string, Peer> peers = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource stopping = new();
    private Task pinging = Task.CompletedTask;
    private IPEndPoint? localEndPoint;
    private int disposed;

    public NoticeChannel(NoticeChannelOptions options, ILoggerFactory loggerFactory)
    {
        this.options = options;
        logger = loggerFactory.CreateLogger<NoticeChannel>();
        codec = new ProtobufFrameCodec<NoticeEnvelope>(NoticeEnvelope.Parser, options.MaxMessageSize);
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

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        IPAddress address;
        try
        {
            address = (await LinkEndpoint.ResolveAsync(options.ListenHost, cancellationToken))[0];
        }
        catch (SocketException ex)
        {
            throw new IOException($"The notice address {options.ListenHost} does not resolve: {ex.Message}", ex);
        }

        localEndPoint = await endpoint.ListenAsync(address, options.ListenPort, Purpose, Admit, Accept);
        if (options.Secret is null)
        {
            LogNotAuthenticated(logger, SecretSetting);
        }

        pinging = Task.Run(() => PingAsync(stopping.Token), CancellationToken.None);
    }

    public void SetPeers(IReadOnlyCollection<NoticePeer> peers)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        var wanted = peers.Where(p => p.NodeId != options.NodeId).ToDictionary(p => p.NodeId, StringComparer.Ordinal);
        foreach (var (id, peer) in this.peers)
        {
            if (!wanted.TryGetValue(id, out var now) || now.Incarnation != peer.Info.Incarnation || now.Host != peer.Info.Host || now.Port != peer.Info.Port)
            {
                if (this.peers.TryRemove(KeyValuePair.Create(id, peer)))
                {
                    _ = peer.StopAsync();
                }
            }
        }

        foreach (var (id, info) in wanted)
        {
            if (!this.peers.ContainsKey(id))
            {
                var peer = new Peer(this, info);
                if (this.peers.TryAdd(id, peer))
                {
                    peer.Start();
                }
            }
        }
    }

    public bool TrySend(string nodeId, NoticeEnvelope envelope) =>
        peers.TryGetValue(nodeId, out var peer) && peer.Queue.Writer.TryWrite(envelope);

    public async ValueTask<bool> SendAsync(string nodeId, NoticeEnvelope envelope, CancellationToken cancellationToken)
    {
        if (!peers.TryGetValue(nodeId, out var peer))
        {
            return false;
        }

        try
        {
            await peer.Queue.Writer.WriteAsync(envelope, cancellationToken);
            return true;
        }
        catch (ChannelClosedException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        await stopping.CancelAsync();
        await Task.WhenAll(peers.Values.Select(p => p.StopAsync()));
        peers.Clear();
        await pinging.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await endpoint.DisposeAsync();
        events.Writer.TryComplete();
        stopping.Dispose();
    }

    /// <summary>The node that sorts first dials; the other waits for it.</summary>
    private bool Dials(string peerId) => string.CompareOrdinal(options.NodeId, peerId) < 0;

    private string? Admit(string peerId, IPAddress address)
    {
        if (!peers.TryGetValue(peerId, out var peer))
        {
            return $"node '{peerId}' is not a member of this cluster (or this node has not seen it join yet)";
        }

        if (Dials(peerId))
        {
            return $"node '{peerId}' should wait for this node ('{options.NodeId}') to connect: the node whose id sorts first dials";
        }

        return options.Secret is null && !peer.Addresses.Contains(address)
            ? $"its address {address} is not the one node '{peerId}' registered ({peer.Info.Host}; {SecretSetting} is not set, so nodes are recognised by address)"
            : null;
    }

    private IChannelHandler Accept(AuthenticatedPeer authenticated)
    {
        var link = new AuthenticatedLink<NoticeEnvelope>(authenticated, codec, endpoint.Options, logger);
        if (peers.TryGetValue(authenticated.Id, out var peer))
        {
            peer.Attach(link);
        }
        else
        {
            _ = link.DisposeAsync().AsTask();
        }

        return link.Handler;
    }

    private async Task PingAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromTicks(Math.Max(options.PingInterval.Ticks / 2, TimeSpan.FromMilliseconds(50).Ticks)));
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            var now = Environment.TickCount64;
            foreach (var peer in peers.Values)
            {
                peer.CheckLiveness(now);
            }
        }
    }

    /// <summary>One peer: its queue, its current link, and (on the dialling side) the loop that keeps a link up.</summary>
    private sealed class Peer
    {
        private readonly NoticeChannel owner;
        private readonly CancellationTokenSource stopping;
        private readonly Lock gate = new();
        private AuthenticatedLink<NoticeEnvelope>? link;

        // The link envelopes go to: set once its LinkUp is out, so nothing is sent before the peer's state is.
        private AuthenticatedLink<NoticeEnvelope>? ready;
        private TaskCompletionSource readyChanged = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private Task receiving = Task.CompletedTask;
        private Task sending = Task.CompletedTask;
        private Task dialling = Task.CompletedTask;
        private long lastHeard;
        private long pingSentAt;

        public Peer(NoticeChannel owner, NoticePeer info)
        {
            this.owner = owner;
            Info = info;
            stopping = CancellationTokenSource.CreateLinkedTokenSource(owner.stopping.Token);
            Queue = Channel.CreateBounded<NoticeEnvelope>(new BoundedChannelOptions(owner.options.QueueLength)
            {
                SingleReader = true,
                FullMode = BoundedChannelFullMode.Wait,
            });
            Addresses = ResolveNow(info.Host);
        }

        public NoticePeer Info { get; }

        public Channel<NoticeEnvelope> Queue { get; }

        /// <summary>Where the peer may connect from when there is no secret: the addresses of its registered host.</summary>
        public HashSet<IPAddress> Addresses { get; }

        public void Start()
        {
            sending = Task.Run(() => SendAsync(stopping.Token), CancellationToken.None);
            if (owner.Dials(Info.NodeId))
            {
                dialling = Task.Run(() => DialAsync(stopping.Token), CancellationToken.None);
            }
        }

        /// <summary>A newly authenticated link replaces the current one (the peer reconnected, or restarted).</summary>
        public void Attach(AuthenticatedLink<NoticeEnvelope> next)
        {
            AuthenticatedLink<NoticeEnvelope>? previous;
            Task previousReceiving;
            lock (gate)
            {
                if (stopping.IsCancellationRequested)
                {
                    _ = next.DisposeAsync().AsTask();
                    return;
                }

                previous = link;
                previousReceiving = receiving;
                link = next;
                Volatile.Write(ref lastHeard, Environment.TickCount64);
                Volatile.Write(ref pingSentAt, 0);

                // What the old link still delivers comes before anything of the new one.
                receiving = Task.Run(async () =>
                {
                    if (previous is not null)
                    {
                        await previous.DisposeAsync();
                        await previousReceiving.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                    }

                    owner.events.Writer.TryWrite(new LinkUp(Info.NodeId));
                    SetReady(next, expected: null);
                    await ReceiveAsync(next);
                });
            }
        }

        public void CheckLiveness(long now)
        {
            var current = Volatile.Read(ref link);
            if (current is null || !current.IsOpen)
            {
                return;
            }

            var silence = now - Volatile.Read(ref lastHeard);
            var pinged = Volatile.Read(ref pingSentAt);
            if (pinged != 0 && now - pinged > owner.options.PongTimeout.TotalMilliseconds && silence > owner.options.PongTimeout.TotalMilliseconds)
            {
                LogPongTimeout(owner.logger, Info.NodeId, owner.options.PongTimeout);
                _ = current.DisposeAsync().AsTask();
            }
            else if (pinged == 0 && silence > owner.options.PingInterval.TotalMilliseconds)
            {
                Volatile.Write(ref pingSentAt, now);
                current.TryWrite(new NoticeEnvelope { Ping = new Ping { Id = now } });
            }
        }

        public async Task StopAsync()
        {
            await stopping.CancelAsync();
            Queue.Writer.TryComplete();
            AuthenticatedLink<NoticeEnvelope>? current;
            lock (gate)
            {
                current = link;
            }

            if (current is not null)
            {
                await current.DisposeAsync();
            }

            await Task.WhenAll(sending, dialling, receiving).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            stopping.Dispose();
        }

        private static HashSet<IPAddress> ResolveNow(string host)
        {
            try
            {
                return IPAddress.TryParse(host, out var literal)
                    ? [LinkEndpoint.Normalize(literal)]
                    : Dns.GetHostAddresses(host).Select(LinkEndpoint.Normalize).ToHashSet();
            }
            catch (SocketException)
            {
                return [];
            }
        }

        private async Task ReceiveAsync(AuthenticatedLink<NoticeEnvelope> current)
        {
            string reason;
            try
            {
                while (true)
                {
                    var envelope = await current.ReceiveAsync(stopping.Token);
                    Volatile.Write(ref lastHeard, Environment.TickCount64);
                    Volatile.Write(ref pingSentAt, 0);
                    switch (envelope.BodyCase)
                    {
                        case NoticeEnvelope.BodyOneofCase.Ping:
                            current.TryWrite(new NoticeEnvelope { Pong = new Pong { Id = envelope.Ping.Id } });
                            break;
                        case NoticeEnvelope.BodyOneofCase.Pong:
                            break;
                        default:
                            owner.events.Writer.TryWrite(new NoticeReceived(Info.NodeId, envelope));
                            break;
                    }
                }
            }
            catch (IOException ex)
            {
                reason = ex.Message;
            }
            catch (OperationCanceledException)
            {
                return;
            }

            lock (gate)
            {
                if (link == current)
                {
                    link = null;
                }
            }

            SetReady(null, expected: current);

            if (!stopping.IsCancellationRequested)
            {
                owner.events.Writer.TryWrite(new LinkDown(Info.NodeId, reason));
            }
        }

        /// <summary>Drains the queue in order into the current link, waiting for one while there is none.</summary>
        private async Task SendAsync(CancellationToken cancellationToken)
        {
            try
            {
                while (await Queue.Reader.WaitToReadAsync(cancellationToken))
                {
                    var current = await CurrentLinkAsync(cancellationToken);
                    if (!Queue.Reader.TryPeek(out var envelope))
                    {
                        continue;
                    }

                    if (!current.TryWrite(envelope))
                    {
                        // Closed under us: the envelope stays first in the queue for the next link.
                        await Task.Yield();
                        continue;
                    }

                    Queue.Reader.TryRead(out _);
                    try
                    {
                        await current.WhenWritableAsync(cancellationToken);
                    }
                    catch (IOException)
                    {
                        // The next round waits for a new link.
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
            catch (InvalidOperationException ex)
            {
                // An envelope over the size limit: a bug of the sender, not of the link.
                LogSendFailed(owner.logger, Info.NodeId, ex.Message);
            }
        }

        /// <summary>Makes <paramref name="next"/> the link to send on (null: none), unless another replaced <paramref name="expected"/> meanwhile.</summary>
        private void SetReady(AuthenticatedLink<NoticeEnvelope>? next, AuthenticatedLink<NoticeEnvelope>? expected)
        {
            TaskCompletionSource changed;
            lock (gate)
            {
                if (expected is not null && ready != expected)
                {
                    return;
                }

                ready = next;
                changed = readyChanged;
                readyChanged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            changed.TrySetResult();
        }

        private async Task<AuthenticatedLink<NoticeEnvelope>> CurrentLinkAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                Task changed;
                lock (gate)
                {
                    if (ready is { IsOpen: true } open)
                    {
                        return open;
                    }

                    changed = readyChanged.Task;
                }

                // A link that closed is reported by its receive loop, which clears it; this waits for that or the next.
                await changed.WaitAsync(TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                cancellationToken.ThrowIfCancellationRequested();
            }
        }

        private async Task DialAsync(CancellationToken cancellationToken)
        {
            var backoff = owner.options.MinReconnectBackoff;
            try
            {
                while (true)
                {
                    Task waitDown;
                    lock (gate)
                    {
                        waitDown = link is null ? Task.CompletedTask : receiving;
                    }

                    await waitDown.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                    cancellationToken.ThrowIfCancellationRequested();
                    try
                    {
                        AuthenticatedLink<NoticeEnvelope>? dialled = null;
                        await owner.endpoint.ConnectAsync(
                            Info.NodeId,
                            Info.Host,
                            Info.Port,
                            Purpose,
                            peer => (dialled = new AuthenticatedLink<NoticeEnvelope>(peer, owner.codec, owner.endpoint.Options, owner.logger)).Handler,
                            cancellationToken);
                        Attach(dialled!);
                        backoff = owner.options.MinReconnectBackoff;
                    }
                    catch (IOException ex)
                    {
                        LogDialFailed(owner.logger, Info.NodeId, ex.Message, backoff);
                        var jitter = Random.Shared.NextDouble() * 0.5 + 0.75;
                        await Task.Delay(backoff * jitter, cancellationToken);
                        backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, owner.options.MaxReconnectBackoff.Ticks));
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
            catch (ObjectDisposedException)
            {
                // The endpoint closed: the channel is being disposed.
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Notice channel: {Setting} is not set, so peers are recognised by their registered address only; this is not authentication")]
    private static partial void LogNotAuthenticated(ILogger logger, string setting);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Notice channel: cannot reach node {Node} ({Reason}); retrying in about {Backoff}")]
    private static partial void LogDialFailed(ILogger logger, string node, string reason, TimeSpan backoff);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Notice channel: node {Node} did not answer a ping within {Timeout}; closing its link")]
    private static partial void LogPongTimeout(ILogger logger, string node, TimeSpan timeout);

    [LoggerMessage(Level = LogLevel.Error, Message = "Notice channel: sending to node {Node} stopped: {Reason}")]
    private static partial void LogSendFailed(ILogger logger, string node, string reason);
}
