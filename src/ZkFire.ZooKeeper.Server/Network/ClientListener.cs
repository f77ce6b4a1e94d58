using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace ZkFire.ZooKeeper.Server.Network;

/// <summary>
/// The client port: accepts connections (at most maxClientCnxns per client address, as ZooKeeper counts them) and
/// runs each, in the serving period current when it arrived, until it closes. While the member serves nobody (an
/// ensemble member without a quorum) connections are refused as ZooKeeper refuses them: four-letter words get the
/// not-serving answer, anything else is closed.
/// </summary>
internal sealed partial class ClientListener(ZooKeeperServerOptions options, Func<ServerContext?> serving, ILogger logger) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<ClientConnection, Task> connections = new();
    private readonly Dictionary<IPAddress, int> perAddress = [];
    private readonly Lock gate = new();
    private Socket? socket;
    private Task? acceptLoop;

    public IReadOnlyCollection<ClientConnection> Connections => [.. connections.Keys];

    public IPEndPoint Bind()
    {
        var any = string.IsNullOrEmpty(options.ClientPortAddress);
        var address = any ? IPAddress.IPv6Any : IPAddress.Parse(options.ClientPortAddress!);
        var listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (any)
            {
                listener.DualMode = true;
            }

            // No ReuseAddress: on Linux .NET maps it to SO_REUSEPORT as well, which would let a second server share
            // the port with a running one. Rebinding over TIME_WAIT connections works without it.
            listener.Bind(new IPEndPoint(address, options.ClientPort));
            listener.Listen(1024);
        }
        catch (SocketException ex)
        {
            listener.Dispose();
            throw new IOException($"Cannot listen on {options.ClientPortAddress ?? "*"}:{options.ClientPort}: {ex.Message}", ex);
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

        await Task.WhenAll(connections.Values).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
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
                                       || (ex is SocketException && stopping.IsCancellationRequested))
            {
                return;
            }
            catch (SocketException ex)
            {
                LogAcceptFailed(logger, ex.SocketErrorCode);
                continue;
            }

            var address = (client.RemoteEndPoint as IPEndPoint)?.Address is { } remote && remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4()
                : (client.RemoteEndPoint as IPEndPoint)?.Address ?? IPAddress.None;
            if (!Admit(address))
            {
                LogTooManyConnections(logger, address, options.MaxClientConnections);
                client.Dispose();
                continue;
            }

            if (serving() is not { } context)
            {
                _ = RefuseAsync(client, address, stopping);
                continue;
            }

            var connection = new ClientConnection(context, client);
            connections[connection] = RunAsync(connection, address, context.Stopping);
        }
    }

    private async Task RunAsync(ClientConnection connection, IPAddress address, CancellationToken stopping)
    {
        await Task.Yield();
        try
        {
            await connection.RunAsync(stopping);
        }
        finally
        {
            connections.TryRemove(connection, out _);
            Release(address);
        }
    }

    /// <summary>A connection while nothing is served: a four-letter word is answered, anything else closed.</summary>
    private async Task RefuseAsync(Socket client, IPAddress address, CancellationToken stopping)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            var first = new byte[FourLetterWords.Length];
            var read = 0;
            while (read < first.Length)
            {
                var n = await client.ReceiveAsync(first.AsMemory(read), SocketFlags.None, timeout.Token);
                if (n == 0)
                {
                    break;
                }

                read += n;
            }

            if (FourLetterWords.TryRecognise(new System.Buffers.ReadOnlySequence<byte>(first, 0, read)) is { } word)
            {
                await client.SendAsync(System.Text.Encoding.UTF8.GetBytes(FourLetterWords.NotServing(word, options)), SocketFlags.None, timeout.Token);
                client.Shutdown(SocketShutdown.Both);
            }
            else
            {
                LogNotServing(logger, address);
            }
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away first; nothing to tell it.
        }
        finally
        {
            client.Dispose();
            Release(address);
        }
    }

    private void Release(IPAddress address)
    {
        lock (gate)
        {
            if (--perAddress[address] == 0)
            {
                perAddress.Remove(address);
            }
        }
    }

    private bool Admit(IPAddress address)
    {
        lock (gate)
        {
            var count = perAddress.GetValueOrDefault(address);
            var limit = options.MaxClientConnections;
            if (limit > 0 && count >= limit)
            {
                return false;
            }

            perAddress[address] = count + 1;
            return true;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Accept failed: {Error}")]
    private static partial void LogAcceptFailed(ILogger logger, SocketError error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Refusing a client connection from {Address}: this member is not serving (no quorum)")]
    private static partial void LogNotServing(ILogger logger, IPAddress address);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Too many connections from {Address} - max is {Max}")]
    private static partial void LogTooManyConnections(ILogger logger, IPAddress address, int max);
}
