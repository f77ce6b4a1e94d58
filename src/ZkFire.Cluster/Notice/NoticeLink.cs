using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using ZkFire.Cluster.Notice.Messages;
using ZkFire.Interconnect;

namespace ZkFire.Cluster.Notice;

/// <summary>
/// Everything this node has with one peer: the bounded queue of envelopes for it, which outlives connections, and
/// the connection itself, dialled (with backoff) when this node's id sorts first and otherwise accepted. While a
/// connection is up, the queue drains into it in order, what arrives becomes events, and an idle link is pinged.
/// An envelope taken from the queue is written once: if the connection drops with it in flight it may be lost,
/// which is why every new link starts with a full sync (<see cref="LinkUp"/>).
/// </summary>
internal sealed partial class NoticeLink : IAsyncDisposable
{
    private const int FlushBatch = 64;

    private readonly NoticeChannelOptions options;
    private readonly LinkEndpoint endpoint;
    private readonly ProtobufFrameCodec<NoticeEnvelope> codec;
    private readonly ChannelWriter<NoticeEvent> events;
    private readonly ILogger logger;
    private readonly Channel<NoticeEnvelope> queue;
    private readonly Channel<AuthenticatedLink<NoticeEnvelope>> accepted = Channel.CreateUnbounded<AuthenticatedLink<NoticeEnvelope>>();
    private readonly CancellationTokenSource life = new();
    private Task running = Task.CompletedTask;
    private AuthenticatedLink<NoticeEnvelope>? current;
    private HashSet<IPAddress> addresses = [];
    private long lastHeard;
    private TaskCompletionSource? awaitingPong;

    public NoticeLink(
        NoticePeer peer,
        NoticeChannelOptions options,
        LinkEndpoint endpoint,
        ProtobufFrameCodec<NoticeEnvelope> codec,
        ChannelWriter<NoticeEvent> events,
        ILogger logger)
    {
        Peer = peer;
        this.options = options;
        this.endpoint = endpoint;
        this.codec = codec;
        this.events = events;
        this.logger = logger;
        Dials = string.CompareOrdinal(options.NodeId, peer.NodeId) < 0;
        queue = Channel.CreateBounded<NoticeEnvelope>(new BoundedChannelOptions(options.QueueLength)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
        if (IPAddress.TryParse(peer.Host, out var literal))
        {
            addresses = [LinkEndpoint.Normalize(literal)];
        }
    }

    public NoticePeer Peer { get; }

    /// <summary>Whether this node opens the connection (its id sorts first); otherwise it waits for the peer's.</summary>
    public bool Dials { get; }

    /// <summary>The addresses of the peer's registered host (resolved in the background when it is a name).</summary>
    public IReadOnlySet<IPAddress> Addresses => Volatile.Read(ref addresses);

    public void Start() => running = Task.Run(() => RunAsync(life.Token));

    public bool TryEnqueue(NoticeEnvelope envelope) => queue.Writer.TryWrite(envelope);

    /// <summary>Queues an envelope, waiting while the queue is full; false once the peer is gone.</summary>
    public async ValueTask<bool> EnqueueAsync(NoticeEnvelope envelope, CancellationToken cancellationToken)
    {
        try
        {
            await queue.Writer.WriteAsync(envelope, cancellationToken);
            return true;
        }
        catch (ChannelClosedException)
        {
            return false;
        }
    }

    /// <summary>A connection the peer opened and proved; it replaces the current one (the peer restarted or redialled).</summary>
    public void Accept(AuthenticatedLink<NoticeEnvelope> link)
    {
        if (!accepted.Writer.TryWrite(link))
        {
            _ = link.DisposeAsync().AsTask();
            return;
        }

        if (Volatile.Read(ref current) is { } previous)
        {
            _ = previous.DisposeAsync().AsTask();
        }
    }

    /// <summary>Closes the link and drops the queue; a sender waiting for room gets false.</summary>
    public async ValueTask DisposeAsync()
    {
        queue.Writer.TryComplete();
        accepted.Writer.TryComplete();
        await life.CancelAsync();
        await running.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        while (accepted.Reader.TryRead(out var unclaimed))
        {
            await unclaimed.DisposeAsync();
        }

        life.Dispose();
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (options.Secret is null && Addresses.Count == 0)
            {
                await ResolveAsync(cancellationToken);
            }

            var failures = 0;
            while (true)
            {
                AuthenticatedLink<NoticeEnvelope> link;
                if (Dials)
                {
                    try
                    {
                        link = await ConnectAsync(cancellationToken);
                    }
                    catch (IOException ex)
                    {
                        // Nodes start one by one, so an unreachable peer is news only when it was reachable before.
                        if (failures == 0)
                        {
                            LogUnreachable(logger, Peer.NodeId, ex.Message);
                        }
                        else
                        {
                            LogStillUnreachable(logger, Peer.NodeId, ex.Message);
                        }

                        await Task.Delay(Backoff(failures++), cancellationToken);
                        continue;
                    }
                }
                else
                {
                    link = await accepted.Reader.ReadAsync(cancellationToken);
                    while (accepted.Reader.TryRead(out var newer))
                    {
                        await link.DisposeAsync();
                        link = newer;
                    }
                }

                failures = 0;
                var reason = await ServeAsync(link, cancellationToken);
                LogDown(logger, Peer.NodeId, reason);
                await events.WriteAsync(new LinkDown(Peer.NodeId, reason), cancellationToken);
                if (Dials)
                {
                    await Task.Delay(Backoff(0), cancellationToken);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (ChannelClosedException)
        {
            // The channel is being disposed: nobody reads events any more.
        }
    }

    private async Task<AuthenticatedLink<NoticeEnvelope>> ConnectAsync(CancellationToken cancellationToken)
    {
        AuthenticatedLink<NoticeEnvelope>? link = null;
        await endpoint.ConnectAsync(
            Peer.NodeId,
            Peer.Host,
            Peer.Port,
            NoticeChannel.Purpose,
            peer => (link = new AuthenticatedLink<NoticeEnvelope>(peer, codec, endpoint.Options, logger, NoticeChannel.Refusal)).Handler,
            cancellationToken);
        return link!;
    }

    /// <summary>Runs one connection until it drops; returns why.</summary>
    private async Task<string> ServeAsync(AuthenticatedLink<NoticeEnvelope> link, CancellationToken cancellationToken)
    {
        Volatile.Write(ref current, link);
        try
        {
            // A newer connection accepted before this one became current would otherwise not replace it.
            if (accepted.Reader.TryPeek(out _))
            {
                return "a newer connection from the node replaced it";
            }

            Volatile.Write(ref lastHeard, Environment.TickCount64);
            LogUp(logger, Peer.NodeId, link.Peer);
            await events.WriteAsync(new LinkUp(Peer.NodeId), cancellationToken);
            using var serving = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            Task<string>[] loops = [ReceiveAsync(link, serving.Token), SendAsync(link, serving.Token), PingAsync(link, serving.Token)];
            var first = await Task.WhenAny(loops);
            await serving.CancelAsync();
            await link.DisposeAsync();
            await ((Task)Task.WhenAll(loops)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            cancellationToken.ThrowIfCancellationRequested();
            return await first;
        }
        finally
        {
            Volatile.Write(ref current, null);
            await link.DisposeAsync();
        }
    }

    private async Task<string> ReceiveAsync(AuthenticatedLink<NoticeEnvelope> link, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var envelope = await link.ReceiveAsync(cancellationToken);
                Volatile.Write(ref lastHeard, Environment.TickCount64);
                switch (envelope.BodyCase)
                {
                    case NoticeEnvelope.BodyOneofCase.Ping:
                        link.TryWrite(new NoticeEnvelope { Pong = new Pong { Id = envelope.Ping.Id } });
                        break;
                    case NoticeEnvelope.BodyOneofCase.Pong:
                        Interlocked.Exchange(ref awaitingPong, null)?.TrySetResult();
                        break;
                    default:
                        await events.WriteAsync(new NoticeReceived(Peer.NodeId, envelope), cancellationToken);
                        break;
                }
            }
        }
        catch (IOException ex)
        {
            return ex.Message;
        }
    }

    private async Task<string> SendAsync(AuthenticatedLink<NoticeEnvelope> link, CancellationToken cancellationToken)
    {
        try
        {
            var reader = queue.Reader;
            while (await reader.WaitToReadAsync(cancellationToken))
            {
                // Whatever is queued goes out in one socket write per batch rather than one per envelope; the batch
                // is bounded so that the outbound buffer's high-water mark still applies.
                var unflushed = 0;
                while (reader.TryPeek(out var envelope))
                {
                    if (!link.TryWrite(envelope, flush: false))
                    {
                        return "the connection closed";
                    }

                    reader.TryRead(out _);
                    if (++unflushed == FlushBatch)
                    {
                        link.Flush();
                        unflushed = 0;
                        await link.WhenWritableAsync(cancellationToken);
                    }
                }

                if (unflushed > 0)
                {
                    link.Flush();
                    await link.WhenWritableAsync(cancellationToken);
                }
            }

            return "the node is no longer a peer";
        }
        catch (IOException ex)
        {
            return ex.Message;
        }
    }

    private async Task<string> PingAsync(AuthenticatedLink<NoticeEnvelope> link, CancellationToken cancellationToken)
    {
        var interval = options.PingInterval;
        for (long id = 1; ; id++)
        {
            await Task.Delay(interval, cancellationToken);
            if (Environment.TickCount64 - Volatile.Read(ref lastHeard) < (long)interval.TotalMilliseconds)
            {
                continue;
            }

            var pong = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref awaitingPong, pong);
            if (!link.TryWrite(new NoticeEnvelope { Ping = new Ping { Id = id } }))
            {
                return "the connection closed";
            }

            try
            {
                await pong.Task.WaitAsync(options.PongTimeout, cancellationToken);
            }
            catch (TimeoutException)
            {
                return $"no pong within {options.PongTimeout.TotalMilliseconds:0} ms of a ping";
            }
        }
    }

    private async Task ResolveAsync(CancellationToken cancellationToken)
    {
        try
        {
            Volatile.Write(ref addresses, [.. await LinkEndpoint.ResolveAsync(Peer.Host, cancellationToken)]);
        }
        catch (SocketException ex)
        {
            LogUnresolved(logger, Peer.NodeId, Peer.Host, ex.Message);
        }
    }

    private TimeSpan Backoff(int failures)
    {
        var min = options.MinReconnectBackoff.TotalMilliseconds;
        var delay = Math.Min(options.MaxReconnectBackoff.TotalMilliseconds, min * Math.Pow(2, Math.Min(failures, 30)));
        return TimeSpan.FromMilliseconds(delay * (0.5 + (Random.Shared.NextDouble() / 2)));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Notice channel: link with node {Node} up ({Peer})")]
    private static partial void LogUp(ILogger logger, string node, string peer);

    [LoggerMessage(Level = LogLevel.Information, Message = "Notice channel: link with node {Node} down: {Reason}")]
    private static partial void LogDown(ILogger logger, string node, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Notice channel: cannot reach node {Node}: {Reason}")]
    private static partial void LogUnreachable(ILogger logger, string node, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Notice channel: node {Node} is still unreachable: {Reason}")]
    private static partial void LogStillUnreachable(ILogger logger, string node, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Notice channel: cannot resolve {Host} of node {Node}, so connections from it are refused: {Reason}")]
    private static partial void LogUnresolved(ILogger logger, string node, string host, string reason);
}
