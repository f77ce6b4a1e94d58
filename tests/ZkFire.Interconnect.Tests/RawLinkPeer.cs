using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Google.Protobuf;
using ZkFire.Interconnect;
using ZkFire.Interconnect.Messages;

namespace ZkFire.Interconnect.Tests;

/// <summary>
/// One end of a link connection driven by hand: frames written and read byte by byte, the handshake played step by
/// step. Shared (as a linked file) by the test projects of every application of the link library.
/// </summary>
internal sealed class RawLinkPeer(Socket socket) : IAsyncDisposable
{
    private readonly NetworkStream stream = new(socket, ownsSocket: true);

    /// <summary>How long a read waits before the test gives up on the other side.</summary>
    public static TimeSpan Patience => TimeSpan.FromSeconds(10);

    public static async Task<RawLinkPeer> ConnectAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        return new RawLinkPeer(socket);
    }

    public static byte[] Frame(IMessage message)
    {
        var body = message.ToByteArray();
        var frame = new byte[4 + body.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, body.Length);
        body.CopyTo(frame, 4);
        return frame;
    }

    public Task SendAsync(IMessage message) => SendRawAsync(Frame(message));

    public async Task SendRawAsync(byte[] bytes) => await stream.WriteAsync(bytes);

    /// <summary>The next message, or null when the other side closed the connection.</summary>
    public async Task<T?> ReceiveAsync<T>(MessageParser<T> parser)
        where T : class, IMessage<T>
    {
        using var timeout = new CancellationTokenSource(Patience);
        var prefix = new byte[4];
        if (!await ReadFullyAsync(prefix, timeout.Token))
        {
            return null;
        }

        var body = new byte[BinaryPrimitives.ReadInt32BigEndian(prefix)];
        return await ReadFullyAsync(body, timeout.Token) ? parser.ParseFrom(body) : null;
    }

    public Task<LinkHandshake?> ReceiveHandshakeAsync() => ReceiveAsync(LinkHandshake.Parser);

    /// <summary>Whether the other side closes the connection (reads to the end, ignoring anything sent) within the patience.</summary>
    public async Task<bool> IsClosedByPeerAsync()
    {
        using var timeout = new CancellationTokenSource(Patience);
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

    /// <summary>
    /// Runs the connecting side of the handshake as <paramref name="myId"/> holding <paramref name="secret"/> (null:
    /// none, the challenge is the acceptance).
    /// </summary>
    /// <exception cref="IOException">The other side refused or proved nothing.</exception>
    public async Task HandshakeAsync(string myId, string to, string purpose, byte[]? secret)
    {
        var authenticator = new LinkAuthenticator(myId, secret);
        var nonce = authenticator.NewNonce();
        await SendAsync(new LinkHandshake
        {
            Hello = new Hello { From = myId, To = to, Purpose = purpose, Nonce = ByteString.CopyFrom(nonce), UsesSecret = secret is not null },
        });
        var challenge = (await ReceiveHandshakeAsync())?.Challenge ?? throw new IOException("No challenge.");
        if (secret is null)
        {
            return;
        }

        var mac = authenticator.Prove(LinkRole.Connecting, purpose, myId, to, nonce, challenge.Nonce.Span);
        await SendAsync(new LinkHandshake { Proof = new Proof { Mac = ByteString.CopyFrom(mac) } });
        var proof = (await ReceiveHandshakeAsync())?.Proof ?? throw new IOException("No proof.");
        if (!authenticator.Verify(LinkRole.Accepting, purpose, myId, to, nonce, challenge.Nonce.Span, proof.Mac.Span))
        {
            throw new IOException("The accepting side's proof is wrong.");
        }
    }

    /// <summary>
    /// Plays the accepting side of the handshake without the secret: answers Hello with a challenge, then a proof that
    /// cannot be right (an impostor at a peer's address).
    /// </summary>
    /// <returns>The Hello the connecting side sent.</returns>
    public async Task<Hello> ImpersonateAsync()
    {
        var hello = (await ReceiveHandshakeAsync())?.Hello ?? throw new IOException("No hello.");
        await SendAsync(new LinkHandshake { Challenge = new Challenge { Nonce = ByteString.CopyFrom(new byte[LinkAuthenticator.NonceLength]) } });
        if ((await ReceiveHandshakeAsync())?.StepCase != LinkHandshake.StepOneofCase.Proof)
        {
            throw new IOException("No proof.");
        }

        await SendAsync(new LinkHandshake { Proof = new Proof { Mac = ByteString.CopyFrom(new byte[32]) } });
        return hello;
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
