using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using ZkFire.Jute;

namespace ZkFire.ZooKeeper.Server.Tests.Support;

/// <summary>A reply or a watch event as the client received it: the header and the undecoded body.</summary>
internal sealed record Packet(ReplyHeader Header, byte[] Body)
{
    public bool IsEvent => Header.Xid == SpecialXid.Notification;

    public T Read<T>() where T : IJuteRecord<T>
    {
        var reader = new JuteReader(Body);
        return T.Read(ref reader);
    }

    public WatcherEvent Event => Read<WatcherEvent>();
}

/// <summary>
/// A bare ZooKeeper client over one TCP connection, built from the jute records: it sends exactly what a test says
/// and hands back every frame in arrival order, so tests can check wire shapes, error codes and the order of watch
/// events and replies. Nothing is retried or reconnected.
/// </summary>
internal sealed class RawClient : IAsyncDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly TcpClient tcp;
    private readonly NetworkStream stream;
    private int nextXid = 1;

    private RawClient(TcpClient tcp)
    {
        this.tcp = tcp;
        stream = tcp.GetStream();
    }

    public long SessionId { get; private set; }

    public byte[] Password { get; private set; } = [];

    public int NegotiatedTimeout { get; private set; }

    /// <summary>Length of the connect response's frame body: 36 without the readOnly byte, 37 with it.</summary>
    public int ConnectResponseLength { get; private set; }

    public static async Task<RawClient> OpenAsync(IPEndPoint server)
    {
        var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(server);
        return new RawClient(tcp);
    }

    /// <summary>Opens a connection and establishes (or resumes) a session; the response must be a valid session.</summary>
    public static async Task<RawClient> ConnectAsync(IPEndPoint server, int timeout = 30_000, long sessionId = 0, byte[]? password = null)
    {
        var client = await OpenAsync(server);
        var response = await client.HandshakeAsync(new ConnectRequest(0, 0, timeout, sessionId, password ?? new byte[16], false));
        Assert.NotEqual(0, response.SessionId);
        return client;
    }

    public async Task<ConnectResponse> HandshakeAsync(ConnectRequest request)
    {
        await SendFrameAsync(Frame((ref JuteWriter w) => request.Write(ref w)));
        var body = await ReadFrameAsync() ?? throw new IOException("The server closed the connection instead of answering the connect request.");
        ConnectResponseLength = body.Length;
        var reader = new JuteReader(body);
        var response = ConnectResponse.Read(ref reader);
        SessionId = response.SessionId;
        Password = response.Passwd;
        NegotiatedTimeout = response.Timeout;
        return response;
    }

    /// <summary>Sends a request and returns the events that preceded its reply, and the reply.</summary>
    public async Task<(List<Packet> Events, Packet Reply)> CallAsync<T>(OpCode type, T body) where T : IJuteRecord<T>
    {
        var xid = nextXid++;
        await SendAsync(new RequestHeader(xid, type), body);
        var events = new List<Packet>();
        while (true)
        {
            var packet = await ReceiveAsync() ?? throw new IOException($"The connection closed before the reply to xid {xid}.");
            if (packet.Header.Xid == xid)
            {
                return (events, packet);
            }

            Assert.True(packet.IsEvent, $"Unexpected packet with xid {packet.Header.Xid} while waiting for {xid}.");
            events.Add(packet);
        }
    }

    /// <summary>Sends a request and returns its reply, failing if an event arrives first.</summary>
    public async Task<Packet> RequestAsync<T>(OpCode type, T body) where T : IJuteRecord<T>
    {
        var (events, reply) = await CallAsync(type, body);
        Assert.Empty(events);
        return reply;
    }

    /// <summary>A request whose reply must succeed; returns its body.</summary>
    public async Task<TResponse> OkAsync<TRequest, TResponse>(OpCode type, TRequest body)
        where TRequest : IJuteRecord<TRequest>
        where TResponse : IJuteRecord<TResponse>
    {
        var reply = await RequestAsync(type, body);
        Assert.Equal(ErrorCode.Ok, reply.Header.Err);
        return reply.Read<TResponse>();
    }

    public async Task<ErrorCode> ErrorOfAsync<T>(OpCode type, T body) where T : IJuteRecord<T> => (await RequestAsync(type, body)).Header.Err;

    public async Task<string> CreateAsync(string path, byte[]? data = null, CreateMode mode = CreateMode.Persistent, IReadOnlyList<Acl>? acl = null) =>
        (await OkAsync<CreateRequest, CreateResponse>(OpCode.Create, new CreateRequest(path, data ?? [], acl ?? WellKnownAcls.OpenAclUnsafe, (int)mode))).Path;

    public Task<ErrorCode> CreateErrorAsync(string path, CreateMode mode = CreateMode.Persistent, IReadOnlyList<Acl>? acl = null) =>
        ErrorOfAsync(OpCode.Create, new CreateRequest(path, [], acl ?? WellKnownAcls.OpenAclUnsafe, (int)mode));

    public async Task<Stat?> ExistsAsync(string path, bool watch = false)
    {
        var reply = await RequestAsync(OpCode.Exists, new ExistsRequest(path, watch));
        return reply.Header.Err == ErrorCode.NoNode ? null : reply.Read<ExistsResponse>().Stat;
    }

    public Task SendAsync<T>(RequestHeader header, T body) where T : IJuteRecord<T> =>
        SendFrameAsync(Frame((ref JuteWriter w) =>
        {
            header.Write(ref w);
            body.Write(ref w);
        }));

    public async Task SendFrameAsync(byte[] frame)
    {
        await stream.WriteAsync(frame);
        await stream.FlushAsync();
    }

    /// <summary>The next frame as a reply or event, or null when the server closed the connection.</summary>
    public async Task<Packet?> ReceiveAsync()
    {
        var body = await ReadFrameAsync();
        if (body is null)
        {
            return null;
        }

        var reader = new JuteReader(body);
        var header = ReplyHeader.Read(ref reader);
        return new Packet(header, body[reader.Position..]);
    }

    /// <summary>Whether the server closes the connection (reading past anything it still sends).</summary>
    public async Task<bool> ClosedByServerAsync()
    {
        try
        {
            while (await ReadFrameAsync() is not null)
            {
            }

            return true;
        }
        catch (IOException)
        {
            return true;
        }
    }

    /// <summary>Reads raw bytes until the server closes the connection (four-letter words).</summary>
    public async Task<string> ReadToEndAsync()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, timeout.Token);
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    public ValueTask DisposeAsync()
    {
        tcp.Dispose();
        return ValueTask.CompletedTask;
    }

    public delegate void FrameWriter(ref JuteWriter writer);

    /// <summary>Encodes a length-prefixed frame.</summary>
    public static byte[] Frame(FrameWriter write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new JuteWriter(buffer);
        var start = JuteFrames.BeginFrame(ref writer);
        write(ref writer);
        JuteFrames.EndFrame(ref writer, start);
        writer.Commit();
        return buffer.WrittenSpan.ToArray();
    }

    private async Task<byte[]?> ReadFrameAsync()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        var prefix = new byte[4];
        try
        {
            if (!await ReadExactlyOrEndAsync(prefix, timeout.Token))
            {
                return null;
            }

            var body = new byte[BinaryPrimitives.ReadInt32BigEndian(prefix)];
            return await ReadExactlyOrEndAsync(body, timeout.Token) ? body : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private async Task<bool> ReadExactlyOrEndAsync(byte[] buffer, CancellationToken cancellationToken)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(read), cancellationToken);
            if (n == 0)
            {
                return false;
            }

            read += n;
        }

        return true;
    }
}
