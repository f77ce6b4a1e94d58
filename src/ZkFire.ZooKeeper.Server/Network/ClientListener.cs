using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace ZkFire.ZooKeeper.Server.Network;

/// <summary>
/// The client port: accepts connections (at most maxClientCnxns per client address, as ZooKeeper counts them) and
/// runs each until it closes.
/// </summary>
internal sealed partial class ClientListener(ServerContext context) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<ClientConnection, Task> connections = new();
    private readonly Dictionary<IPAddress, int> perAddress = [];
    private readonly Lock gate = new();
    private Socket? socket;
    private Task? acceptLoop;

    public IReadOnlyCollection<ClientConnection> Connections => [.. connections.Keys];

    public IPEndPoint Bind()
    {
        var options = context.Options;
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
                LogAcceptFailed(context.Logger, ex.SocketErrorCode);
                continue;
            }

            var address = (client.RemoteEndPoint as IPEndPoint)?.Address is { } remote && remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4()
                : (client.RemoteEndPoint as IPEndPoint)?.Address ?? IPAddress.None;
            if (!Admit(address))
            {
                LogTooManyConnections(context.Logger, address, context.Options.MaxClientConnections);
                client.Dispose();
                continue;
            }

            var connection = new ClientConnection(context, client);
            connections[connection] = RunAsync(connection, address, stopping);
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
            lock (gate)
            {
                if (--perAddress[address] == 0)
                {
                    perAddress.Remove(address);
                }
            }
        }
    }

    private bool Admit(IPAddress address)
    {
        lock (gate)
        {
            var count = perAddress.GetValueOrDefault(address);
            var limit = context.Options.MaxClientConnections;
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Too many connections from {Address} - max is {Max}")]
    private static partial void LogTooManyConnections(ILogger logger, IPAddress address, int max);
}
