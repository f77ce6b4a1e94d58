using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Google.Protobuf;
using ZkFire.ZooKeeper.Server.Quorum.Messages;
using ZkFire.ZooKeeper.Server.Quorum.Transport;

namespace ZkFire.ZooKeeper.Server.Tests.Quorum.Transport;

/// <summary>One end of a quorum transport connection driven by hand: frames written and read byte by byte.</summary>
internal sealed class RawQuorumPeer(Socket socket) : IAsyncDisposable
{
    private readonly NetworkStream stream = new(socket, ownsSocket: true);

    public static async Task<RawQuorumPeer> ConnectAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        return new RawQuorumPeer(socket);
    }

    public static byte[] Frame(QuorumMessage message)
    {
        var body = message.ToByteArray();
        var frame = new byte[4 + body.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, body.Length);
        body.CopyTo(frame, 4);
        return frame;
    }

    public Task SendAsync(QuorumMessage message) => SendRawAsync(Frame(message));

    public async Task SendRawAsync(byte[] bytes) => await stream.WriteAsync(bytes);

    /// <summary>The next message, or null when the other side closed the connection.</summary>
    public async Task<QuorumMessage?> ReceiveAsync()
    {
        using var timeout = new CancellationTokenSource(TransportEnsemble.Patience);
        var prefix = new byte[4];
        if (!await ReadFullyAsync(prefix, timeout.Token))
        {
            return null;
        }

        var body = new byte[BinaryPrimitives.ReadInt32BigEndian(prefix)];
        return await ReadFullyAsync(body, timeout.Token) ? QuorumMessage.Parser.ParseFrom(body) : null;
    }

    /// <summary>Whether the other side closes the connection (reads to the end, ignoring anything sent) within the patience.</summary>
    public async Task<bool> IsClosedByPeerAsync()
    {
        using var timeout = new CancellationTokenSource(TransportEnsemble.Patience);
        var buffer = new byte[4096];
        try
        {
            while (await stream.ReadAsync(buffer, timeout.Token) > 0)
            {
            }

            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    /// <summary>Runs the connecting side of the handshake as member <paramref name="myId"/> holding <paramref name="secret"/>.</summary>
    public async Task HandshakeAsync(long myId, long to, LinkPurpose purpose, byte[] secret)
    {
        var authenticator = new QuorumAuthenticator(myId, new HashSet<long> { myId, to }, secret, new HashSet<IPAddress>());
        var nonce = authenticator.NewNonce();
        await SendAsync(new QuorumMessage
        {
            Hello = new Hello { MyId = myId, To = to, Purpose = purpose, Nonce = ByteString.CopyFrom(nonce), UsesSecret = true },
        });
        var challenge = (await ReceiveAsync())?.Challenge ?? throw new IOException("No challenge.");
        var mac = authenticator.Prove(QuorumAuthenticator.Role.Connecting, purpose, myId, to, nonce, challenge.Nonce.Span);
        await SendAsync(new QuorumMessage { Proof = new Proof { Mac = ByteString.CopyFrom(mac) } });
        var proof = (await ReceiveAsync())?.Proof ?? throw new IOException("No proof.");
        if (!authenticator.Verify(QuorumAuthenticator.Role.Accepting, purpose, myId, to, nonce, challenge.Nonce.Span, proof.Mac.Span))
        {
            throw new IOException("The accepting member's proof is wrong.");
        }
    }

    public async ValueTask DisposeAsync() => await stream.DisposeAsync();

    private async Task<bool> ReadFullyAsync(byte[] buffer, CancellationToken cancellationToken)
    {
        try
        {
            await stream.ReadExactlyAsync(buffer, cancellationToken);
            return true;
        }
        catch (Exception ex) when (ex is EndOfStreamException or IOException)
        {
            return false;
        }
    }
}
