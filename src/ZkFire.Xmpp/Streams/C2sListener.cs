using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace ZkFire.Xmpp.Streams;

/// <summary>Accepts client connections on one port: plain c2s (STARTTLS) or direct TLS (XEP-0368).</summary>
internal sealed partial class C2sListener(C2sContext context, ConnectionTracker connections, bool directTls) : IAsyncDisposable
{
    private Socket? socket;
    private Task? acceptLoop;

    public IPEndPoint Bind(string address, int port)
    {
        var any = address is "*" or "";
        var ip = any ? IPAddress.IPv6Any : IPAddress.Parse(address);
        var listener = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (any)
            {
                listener.DualMode = true;
            }

            listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Bind(new IPEndPoint(ip, port));
            listener.Listen(1024);
        }
        catch (SocketException ex)
        {
            listener.Dispose();
            throw new IOException($"Cannot listen on {address}:{port}: {ex.Message}", ex);
        }

        socket = listener;
        return (IPEndPoint)listener.LocalEndPoint!;
    }

    public void Start(CancellationToken stopping) => acceptLoop = AcceptLoopAsync(stopping);

    public async ValueTask DisposeAsync()
    {
        socket?.Dispose();
        if (acceptLoop is not null)
        {
            await acceptLoop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task AcceptLoopAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await socket!.AcceptAsync(stopping);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException
                                       || (ex is SocketException { SocketErrorCode: SocketError.OperationAborted } && stopping.IsCancellationRequested))
            {
                return;
            }
            catch (SocketException ex)
            {
                // Transient accept failures (e.g. the peer reset before accept) must not stop the listener.
                LogAcceptFailed(context.Logger, ex.SocketErrorCode);
                continue;
            }

            client.NoDelay = true;
            TcpSegments.DelayAcks(client);
            connections.Run(new C2sConnection(context, client, directTls), stopping);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Accept failed: {Error}")]
    private static partial void LogAcceptFailed(ILogger logger, SocketError error);
}
