using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using Microsoft.Extensions.Logging;
using ZkFire.Xmpp.Addressing;
using ZkFire.Xmpp.Routing;
using ZkFire.Xmpp.Sessions;
using ZkFire.Xmpp.Xml;

namespace ZkFire.Xmpp.Streams;

/// <summary>
/// One client connection (RFC 6120): a read loop that parses and handles the stream, and once a resource is
/// bound, an outbox that other sessions write into and a thread-pool work item drains, so that a slow reader never
/// blocks a sender. An idle connection holds no buffer: reads wait for data before renting one, and the drain
/// runs only while the outbox has something.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "RunAsync owns the connection's lifetime and disposes them when it ends.")]
internal sealed partial class C2sConnection : IStanzaSink, IThreadPoolWorkItem
{
    private const int RetainedOutboxCapacity = 16;

    private readonly C2sContext context;
    private readonly Socket socket;
    private readonly bool directTls;
    private readonly XmppStreamParser parser;
    private readonly CancellationTokenSource closing = new();
    private readonly Queue<object> outbox = new();
    private readonly ILogger logger;
    private Stream stream;
    private PipeReader reader = null!;
    private PipeWriter writer = null!;
    private OutboxState outboxState;
    private TaskCompletionSource? drained;
    private int queued;

    /// <summary>The connection whose read loop is handling an event on this thread, synchronously, right now.</summary>
    [ThreadStatic]
    private static C2sConnection? handlingOnThisThread;
    private long lastReceived = Environment.TickCount64;
    private long pingSent;
    private (string Condition, string? Text)? closeRequest;
    private ClientSession? session;

    public C2sConnection(C2sContext context, Socket socket, bool directTls)
    {
        this.context = context;
        this.socket = socket;
        this.directTls = directTls;
        parser = new XmppStreamParser(context.Options.XmlLimits);
        stream = new NetworkStream(socket, ownsSocket: true);
        logger = context.Logger;
        RemoteAddress = (socket.RemoteEndPoint as IPEndPoint)?.Address.MapToIPv4IfMapped() ?? IPAddress.None;
    }

    public IPAddress RemoteAddress { get; }

    private XmppServerOptions Options => context.Options;

    public async Task RunAsync(CancellationToken serverStopping)
    {
        using var stopping = serverStopping.Register(() => Close("system-shutdown", "The server is shutting down."));
        try
        {
            if (directTls)
            {
                await UpgradeToTlsAsync(closing.Token);
            }
            else
            {
                OpenPipes();
            }

            await ReadLoopAsync(closing.Token);
        }
        catch (XmlStreamException ex)
        {
            await EndWithErrorAsync(ex.Condition, ex.Message);
        }
        catch (StreamErrorException ex)
        {
            await EndWithErrorAsync(ex.Condition, ex.Message);
        }
        catch (OperationCanceledException) when (closeRequest is { } request)
        {
            await EndWithErrorAsync(request.Condition, request.Text);
        }
        catch (Exception ex) when (ex is IOException or SocketException or AuthenticationException or ObjectDisposedException or OperationCanceledException)
        {
            LogDisconnected(logger, RemoteAddress, ex.Message);
        }
        catch (Exception ex)
        {
            // A bug in handling one stream must not take the server down; the peer gets a clean error.
            LogFailed(logger, ex, RemoteAddress);
            await EndWithErrorAsync("internal-server-error", null);
        }
        finally
        {
            await CleanupAsync();
        }
    }

    /// <summary>Called by the server's timer: enforces the stream-open timeout and pings silent clients (XEP-0199).</summary>
    public void CheckTimeouts(long now)
    {
        var silence = TimeSpan.FromMilliseconds(now - Volatile.Read(ref lastReceived));
        var pinged = Volatile.Read(ref pingSent);
        if (session is not { } bound)
        {
            if (silence > Options.StreamOpenTimeout)
            {
                Close("connection-timeout", "Nothing received in time.");
            }
        }
        else if (pinged != 0)
        {
            if (TimeSpan.FromMilliseconds(now - pinged) > Options.PingTimeout)
            {
                Close("connection-timeout", "No answer to ping.");
            }
        }
        else if (silence > Options.IdleTimeout)
        {
            Volatile.Write(ref pingSent, now);
            var ping = Stanzas.Create(Stanzas.Iq, "get", context.Router.ServerJid, bound.Jid, Stanzas.NewId("ping"));
            Send(ping.Add(new Element("ping", Namespaces.Ping)));
        }
    }

    public void Send(Element stanza) => Enqueue(stanza);

    public void SendSerialized(string xml) => Enqueue(xml);

    public void Close(string condition, string? text)
    {
        lock (closing)
        {
            closeRequest ??= (condition, text);
        }

        try
        {
            closing.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already closed.
        }
    }

    private void Enqueue(object item)
    {
        if (Interlocked.Increment(ref queued) > Options.MaxSendQueueLength)
        {
            Close("policy-violation", "Too many unread stanzas.");
            return;
        }

        lock (outbox)
        {
            if (outboxState == OutboxState.Closed)
            {
                return;
            }

            outbox.Enqueue(item);
            if (outboxState != OutboxState.Idle)
            {
                return;
            }

            if (handlingOnThisThread == this)
            {
                // An answer to what the read loop is handling (an IQ result, the echo of a presence): the read loop
                // writes it once the event is handled, with whatever else that event produced, instead of paying a
                // thread-pool hop and a second write for it. An idle outbox that is not empty is such a debt.
                return;
            }

            outboxState = OutboxState.Draining;
        }

        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    /// <summary>Drains what the read loop's own handling queued (see <see cref="Enqueue"/>), on this thread.</summary>
    private void DrainOwed()
    {
        lock (outbox)
        {
            if (outboxState != OutboxState.Idle || outbox.Count == 0)
            {
                return;
            }

            outboxState = OutboxState.Draining;
        }

        _ = DrainAsync();
    }

    /// <summary>Lets the outbox be drained: stanzas routed here before the bind's result was sent wait until now.</summary>
    private void StartSending()
    {
        lock (outbox)
        {
            if (outboxState != OutboxState.Held)
            {
                return;
            }

            if (outbox.Count == 0)
            {
                outboxState = OutboxState.Idle;
                return;
            }

            outboxState = OutboxState.Draining;
        }

        // Called by this connection's own read loop: the bind's answer goes out from here, without a thread-pool hop
        // (a flush that has to wait continues on its own).
        _ = DrainAsync();
    }

    void IThreadPoolWorkItem.Execute() => _ = DrainAsync();

    private void OpenPipes()
    {
        reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 4096, minimumReadSize: 1024, leaveOpen: true, useZeroByteReads: true));
        writer = PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true));
    }

    private async Task ReadLoopAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken);
            Volatile.Write(ref lastReceived, Environment.TickCount64);
            Volatile.Write(ref pingSent, 0);
            var buffer = result.Buffer;
            var outcome = Outcome.Continue;
            try
            {
                while (outcome == Outcome.Continue && parser.TryRead(ref buffer, out var evt))
                {
                    var handling = HandleOnThisThread(evt, cancellationToken);
                    if (!handling.IsCompleted)
                    {
                        // Whatever the event's synchronous part queued for this connection must not wait for the rest.
                        DrainOwed();
                    }

                    outcome = await handling;
                }

                DrainOwed();
            }
            finally
            {
                reader.AdvanceTo(buffer.Start, buffer.End);
            }

            switch (outcome)
            {
                case Outcome.Closed:
                    return;
                case Outcome.StartTls:
                    // Anything the client pipelined after <starttls/> is discarded (RFC 6120 §5.4.3.3).
                    await reader.CompleteAsync();
                    await UpgradeToTlsAsync(cancellationToken);
                    parser.Reset();
                    headerSent = false;
                    continue;
                default:
                    break;
            }

            if (result.IsCompleted)
            {
                LogDisconnected(logger, RemoteAddress, "connection closed without </stream:stream>");
                return;
            }
        }
    }

    /// <summary>Handles one event, marking this thread as this connection's read loop until the handler first yields.</summary>
    private ValueTask<Outcome> HandleOnThisThread(XmppStreamEvent evt, CancellationToken cancellationToken)
    {
        handlingOnThisThread = this;
        try
        {
            return HandleEventAsync(evt, cancellationToken);
        }
        finally
        {
            handlingOnThisThread = null;
        }
    }

    /// <summary>Writes what the outbox holds, flushes, and repeats until it is empty; one drain runs at a time.</summary>
    private async Task DrainAsync()
    {
        try
        {
            while (true)
            {
                lock (outbox)
                {
                    if (!outbox.TryDequeue(out var item))
                    {
                        // A burst may have grown the queue; an idle connection keeps only a small array. Trimming
                        // below that would make every busy drain cycle allocate a new one.
                        if (outbox.Capacity > RetainedOutboxCapacity)
                        {
                            outbox.TrimExcess(RetainedOutboxCapacity);
                        }

                        SetDrained(outboxState == OutboxState.Closed ? OutboxState.Closed : OutboxState.Idle);
                        return;
                    }

                    do
                    {
                        Interlocked.Decrement(ref queued);
                        Write(item);
                    }
                    while (outbox.TryDequeue(out item));
                }

                if ((await writer.FlushAsync()).IsCompleted)
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            Close("connection-timeout", null);
        }

        lock (outbox)
        {
            outbox.Clear();
            SetDrained(OutboxState.Closed);
        }
    }

    private void SetDrained(OutboxState state)
    {
        outboxState = state;
        drained?.TrySetResult();
        drained = null;
    }

    private void Write(object item)
    {
        if (item is Element element)
        {
            element.WriteTo(writer, Namespaces.Client);
        }
        else
        {
            Encoding.UTF8.GetBytes((string)item, writer);
        }
    }

    private async Task WriteNowAsync(string xml, CancellationToken cancellationToken)
    {
        Encoding.UTF8.GetBytes(xml, writer);
        await writer.FlushAsync(cancellationToken);
    }

    /// <summary>Writes the stream's last bytes and ends the sending side, the FIN riding on the same segment.</summary>
    private async Task WriteLastAsync(string xml, CancellationToken cancellationToken)
    {
        TcpSegments.HoldForShutdown(socket);
        await WriteNowAsync(xml, cancellationToken);
        socket.Shutdown(SocketShutdown.Send);
    }

    /// <summary>Writes two pieces in one flush, without joining them into a new string first.</summary>
    private async Task WriteNowAsync(string first, string second, CancellationToken cancellationToken)
    {
        Encoding.UTF8.GetBytes(first, writer);
        Encoding.UTF8.GetBytes(second, writer);
        await writer.FlushAsync(cancellationToken);
    }

    private async Task WriteNowAsync(Element element, CancellationToken cancellationToken)
    {
        element.WriteTo(writer, Namespaces.Client);
        await writer.FlushAsync(cancellationToken);
    }

    /// <summary>Flushes queued stanzas, then sends the stream error and closes the stream (RFC 6120 §4.9.1).</summary>
    private async Task EndWithErrorAsync(string condition, string? text)
    {
        LogStreamError(logger, RemoteAddress, condition, text);
        await StopSendLoopAsync();
        if (writer is null)
        {
            return;
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            var error = new Element("error", Namespaces.Streams).Add(new Element(condition, Namespaces.StreamErrors));
            if (text is not null)
            {
                error.Add(new Element("text", Namespaces.StreamErrors).SetAttribute("xml:lang", "en").AddText(text));
            }

            var xml = new StringBuilder();
            if (!headerSent)
            {
                xml.Append(StreamHeader(null));
            }

            // The prefixed form, as every server writes it: some clients match "stream:error" literally.
            xml.Append("<stream:error>");
            foreach (var child in error.Elements())
            {
                xml.Append(child.ToXml(Namespaces.Streams));
            }

            xml.Append("</stream:error></stream:stream>");
            await WriteLastAsync(xml.ToString(), timeout.Token);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            // The peer is gone; nothing left to tell it.
        }
    }

    /// <summary>Refuses further stanzas and waits (a bounded time) until those already queued are written.</summary>
    private async Task StopSendLoopAsync()
    {
        Task wait;
        bool drainOwed;
        lock (outbox)
        {
            // Queued by the read loop's own handling and not drained yet: written before the stream ends.
            drainOwed = outboxState == OutboxState.Idle && outbox.Count > 0;
            if (!drainOwed && outboxState != OutboxState.Draining)
            {
                outboxState = OutboxState.Closed;
                return;
            }

            outboxState = OutboxState.Closed;
            wait = (drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }

        if (drainOwed)
        {
            _ = DrainAsync();
        }

        await wait.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task CleanupAsync()
    {
        if (session is { } bound)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await context.Router.UnbindAsync(bound, timeout.Token);
            }
            catch (Exception ex)
            {
                LogFailed(logger, ex, RemoteAddress);
            }

            LogUnbound(logger, bound.Jid);
        }

        await StopSendLoopAsync();
        closing.Dispose();
        await stream.DisposeAsync();
    }

    private enum Outcome
    {
        Continue,
        StartTls,
        Closed,
    }

    private enum OutboxState
    {
        /// <summary>Before the bind: stanzas wait in the outbox.</summary>
        Held,
        Idle,
        Draining,
        Closed,
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Address} disconnected: {Reason}")]
    private static partial void LogDisconnected(ILogger logger, IPAddress address, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stream error {Condition} to {Address}: {Text}")]
    private static partial void LogStreamError(ILogger logger, IPAddress address, string condition, string? text);

    [LoggerMessage(Level = LogLevel.Error, Message = "Stream from {Address} failed")]
    private static partial void LogFailed(ILogger logger, Exception exception, IPAddress address);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Jid} went offline")]
    private static partial void LogUnbound(ILogger logger, Jid jid);
}

/// <summary>What every connection shares: settings, router, account store, the auth limiter and whether new streams are served.</summary>
internal sealed record C2sContext(
    XmppServerOptions Options,
    StanzaRouter Router,
    ServiceGate Gate,
    Storage.IUserStore Users,
    Sasl.AuthFailureLimiter AuthLimiter,
    byte[]? ServerEndPointBinding,
    ILogger Logger)
{
    /// <summary>The stream features built so far, by what they depend on (see <see cref="C2sConnection"/>'s Features).</summary>
    public ConcurrentDictionary<StreamFeaturesKey, string> Features { get; } = new();
}

/// <summary>What a stream's features depend on besides the server's settings.</summary>
/// <param name="ChannelBindingTypes">The TLS session's channel-binding types, space-separated.</param>
internal readonly record struct StreamFeaturesKey(StreamStage Stage, bool Encrypted, bool TlsMandatory, string ChannelBindingTypes);

internal enum StreamStage
{
    Unauthenticated,
    Authenticated,
    Bound,
}

internal static class IPAddressExtensions
{
    public static IPAddress MapToIPv4IfMapped(this IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
