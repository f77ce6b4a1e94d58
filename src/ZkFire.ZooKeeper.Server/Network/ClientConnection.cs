using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using ZkFire.Jute;
using ZkFire.ZooKeeper.Server.Auth;
using ZkFire.ZooKeeper.Server.Processing;

namespace ZkFire.ZooKeeper.Server.Network;

/// <summary>
/// One client connection (ZooKeeper's NIOServerCnxn): a read loop that frames packets and hands them to the request
/// thread, and a send loop that writes what the request thread releases, in order. The first packet is the connect
/// request, unless the first four bytes spell a four-letter word. Bad framing (a negative or oversized length, a
/// header that does not decode) drops the connection without a reply; the session survives, as in ZooKeeper.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "RunAsync owns the connection's lifetime and disposes them when it ends.")]
internal sealed partial class ClientConnection : IClientChannel
{
    /// <summary>Unsent bytes a client may let pile up before it is dropped as not reading.</summary>
    private const long MaxQueuedBytes = 64L * 1024 * 1024;

    private readonly ServerContext context;
    private readonly Socket socket;
    private readonly NetworkStream stream;
    private readonly PipeReader reader;
    private readonly PipeWriter writer;
    private readonly CancellationTokenSource closing = new();

    // A null entry asks the send loop to close the connection once everything before it is written.
    private readonly Channel<byte[]?> outbox = Channel.CreateUnbounded<byte[]?>(new UnboundedChannelOptions { SingleReader = true });
    private long queuedBytes;
    private long queuedFrames;
    private long sessionId;
    private int sessionTimeout;
    private bool connected;
    private long packetsReceived;
    private long packetsSent;

    public ClientConnection(ServerContext context, Socket socket)
    {
        this.context = context;
        this.socket = socket;
        socket.NoDelay = true;
        stream = new NetworkStream(socket, ownsSocket: true);
        reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 16 * 1024, minimumReadSize: 4096, leaveOpen: true));
        writer = PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true));
        RemoteEndPoint = socket.RemoteEndPoint as IPEndPoint ?? new IPEndPoint(IPAddress.None, 0);
        RemoteAddress = RemoteEndPoint.Address.IsIPv4MappedToIPv6 ? RemoteEndPoint.Address.MapToIPv4() : RemoteEndPoint.Address;
        AuthIds = [AuthProviders.IpId(RemoteAddress)];
        Established = DateTimeOffset.UtcNow;
    }

    public IPAddress RemoteAddress { get; }

    public IPEndPoint RemoteEndPoint { get; }

    public long SessionId => Interlocked.Read(ref sessionId);

    public int SessionTimeout => Volatile.Read(ref sessionTimeout);

    public List<Id> AuthIds { get; }

    public DateTimeOffset Established { get; }

    public long PacketsReceived => Interlocked.Read(ref packetsReceived);

    public long PacketsSent => Interlocked.Read(ref packetsSent);

    /// <summary>Reply statistics for cons (written and read on the request thread).</summary>
    public ReplyStats Replies { get; } = new();

    public void AttachSession(long id, int timeout)
    {
        Volatile.Write(ref sessionTimeout, timeout);
        Interlocked.Exchange(ref sessionId, id);
    }

    public void Send(byte[] frame)
    {
        if (Interlocked.Add(ref queuedBytes, frame.Length) > MaxQueuedBytes)
        {
            LogNotReading(context.Logger, RemoteEndPoint, SessionId);
            Abort();
            return;
        }

        Interlocked.Increment(ref queuedFrames);
        outbox.Writer.TryWrite(frame);
    }

    public void Close() => outbox.Writer.TryWrite(null);

    public void RecordReply(int xid, long zxid, OpCode type, long latencyMilliseconds) => Replies.Record(xid, zxid, type, latencyMilliseconds);

    /// <summary>Serves the connection until it closes, then tells the request thread its watches are gone.</summary>
    public async Task RunAsync(CancellationToken serverStopping)
    {
        using var stopping = serverStopping.Register(Abort);
        var sendLoop = SendLoopAsync();
        try
        {
            await ReadLoopAsync(closing.Token);
        }
        catch (JuteException ex)
        {
            // ZooKeeper's "Len error" and undecodable headers: drop the connection, say nothing.
            LogDropped(context.Logger, RemoteEndPoint, SessionId, ex.Message);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            LogDisconnected(context.Logger, RemoteEndPoint, SessionId, ex.Message);
        }
        finally
        {
            if (connected)
            {
                await context.EnqueueQuietlyAsync(new ChannelClosedWork(this), serverStopping);
            }

            outbox.Writer.TryComplete();
            Abort();
            await sendLoop;
            await reader.CompleteAsync();
            await writer.CompleteAsync();
            closing.Dispose();
            await stream.DisposeAsync();
        }
    }

    private void Abort()
    {
        try
        {
            closing.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already finished.
        }
    }

    private async Task ReadLoopAsync(CancellationToken cancellationToken)
    {
        var sawFirstBytes = false;
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            if (!sawFirstBytes)
            {
                if (buffer.Length < FourLetterWords.Length && !result.IsCompleted)
                {
                    reader.AdvanceTo(buffer.Start, buffer.End);
                    continue;
                }

                sawFirstBytes = true;
                if (FourLetterWords.TryRecognise(buffer) is { } word)
                {
                    reader.AdvanceTo(buffer.End);
                    await AnswerFourLetterWordAsync(word, cancellationToken);
                    return;
                }
            }

            var works = new List<Work>();
            try
            {
                while (JuteFrames.TryReadFrame(ref buffer, context.Options.MaxBuffer, out var frame))
                {
                    Interlocked.Increment(ref packetsReceived);
                    context.Stats.Received();
                    if (Parse(frame) is { } work)
                    {
                        works.Add(work);
                    }
                }
            }
            finally
            {
                reader.AdvanceTo(buffer.Start, buffer.End);
            }

            foreach (var work in works)
            {
                await context.Processor.EnqueueAsync(work, cancellationToken);
            }

            if (result.IsCompleted)
            {
                LogDisconnected(context.Logger, RemoteEndPoint, SessionId, "closed by the client");
                return;
            }
        }
    }

    /// <summary>Decodes the connect request or a request header; null for a packet ZooKeeper would drop unanswered.</summary>
    private Work? Parse(in ReadOnlySequence<byte> frame)
    {
        using var contiguous = JuteFrames.AsContiguous(frame);
        var jute = new JuteReader(contiguous.Span);
        if (!connected)
        {
            var request = ConnectRequest.Read(ref jute);
            connected = true;
            return new ConnectWork(this, request);
        }

        var header = RequestHeader.Read(ref jute);
        var id = SessionId;
        // ZooKeeper touches the session on every packet, and drops packets of a session that is gone or closing.
        if (id != 0 && !context.Sessions.Touch(id, SessionTimeout))
        {
            return null;
        }

        return new PacketWork(this, header, contiguous.Span[jute.Position..].ToArray(), context.Time.GetTimestamp());
    }

    private async Task SendLoopAsync()
    {
        var frames = outbox.Reader;
        try
        {
            while (await frames.WaitToReadAsync(closing.Token))
            {
                var close = false;
                while (!close && frames.TryRead(out var frame))
                {
                    if (frame is null)
                    {
                        close = true;
                        break;
                    }

                    Interlocked.Add(ref queuedBytes, -frame.Length);
                    Interlocked.Decrement(ref queuedFrames);
                    Interlocked.Increment(ref packetsSent);
                    context.Stats.Sent();
                    writer.Write(frame);
                }

                await writer.FlushAsync(closing.Token);
                if (close)
                {
                    socket.Shutdown(SocketShutdown.Both);
                    Abort();
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            Abort();
        }
    }

    private async Task AnswerFourLetterWordAsync(string word, CancellationToken cancellationToken)
    {
        LogFourLetterWord(context.Logger, word, RemoteEndPoint);
        string text;
        try
        {
            text = await context.FourLetterWords.AnswerAsync(word, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A report that fails must not take anything else down; the client gets an empty answer.
            LogFourLetterWordFailed(context.Logger, ex, word);
            text = "";
        }

        writer.Write(Encoding.UTF8.GetBytes(text));
        await writer.FlushAsync(cancellationToken);
        socket.Shutdown(SocketShutdown.Both);
    }

    /// <summary>One line of cons/stat, in NIOServerCnxn.dumpConnectionInfo's format.</summary>
    public string Describe(bool brief)
    {
        var text = new StringBuilder().Append(CultureInfo.InvariantCulture, $" /{RemoteEndPoint.Address}:{RemoteEndPoint.Port}[1](queued={Interlocked.Read(ref queuedFrames)},recved={PacketsReceived},sent={PacketsSent}");
        if (!brief && SessionId is var id and not 0)
        {
            text.Append(CultureInfo.InvariantCulture, $",sid=0x{id:x},lop={Replies.LastOp},est={Established.ToUnixTimeMilliseconds()},to={SessionTimeout}");
            if (Replies.LastXid >= 0)
            {
                text.Append(CultureInfo.InvariantCulture, $",lcxid=0x{Replies.LastXid:x}");
            }

            text.Append(CultureInfo.InvariantCulture, $",lzxid=0x{Replies.LastZxid:x},lresp={Replies.LastResponse},llat={Replies.LastLatency},minlat={Replies.MinLatency},avglat={Replies.AverageLatency},maxlat={Replies.MaxLatency}");
        }

        return text.Append(')').ToString();
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Connection from {EndPoint} (session 0x{SessionId:x}) closed: {Reason}")]
    private static partial void LogDisconnected(ILogger logger, IPEndPoint endPoint, long sessionId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropping connection from {EndPoint} (session 0x{SessionId:x}): {Reason}")]
    private static partial void LogDropped(ILogger logger, IPEndPoint endPoint, long sessionId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropping connection from {EndPoint} (session 0x{SessionId:x}): it does not read its replies")]
    private static partial void LogNotReading(ILogger logger, IPEndPoint endPoint, long sessionId);

    [LoggerMessage(Level = LogLevel.Error, Message = "The {Word} command failed")]
    private static partial void LogFourLetterWordFailed(ILogger logger, Exception exception, string word);

    [LoggerMessage(Level = LogLevel.Information, Message = "Processing {Word} command from {EndPoint}")]
    private static partial void LogFourLetterWord(ILogger logger, string word, IPEndPoint endPoint);
}

/// <summary>The last reply and the latency range of a connection (ServerCnxn's per-connection stats).</summary>
internal sealed class ReplyStats
{
    private long count;
    private long totalLatency;

    public int LastXid { get; private set; } = -1;

    public long LastZxid { get; private set; } = -1;

    public string LastOp { get; private set; } = "NA";

    public long LastResponse { get; private set; }

    public long LastLatency { get; private set; }

    public long MinLatency { get; private set; }

    public long MaxLatency { get; private set; }

    public long AverageLatency => count == 0 ? 0 : totalLatency / count;

    public void Record(int xid, long zxid, OpCode type, long latency)
    {
        if (xid >= 0)
        {
            LastXid = xid;
        }

        LastZxid = zxid;
        LastOp = type.ToString().ToUpperInvariant() is { Length: > 4 } name ? name[..4] : type.ToString().ToUpperInvariant();
        LastResponse = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        LastLatency = latency;
        MinLatency = count == 0 ? latency : Math.Min(MinLatency, latency);
        MaxLatency = Math.Max(MaxLatency, latency);
        count++;
        totalLatency += latency;
    }
}
