using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using DotNetty.Transport.Bootstrapping;
using DotNetty.Transport.Channels;
using DotNetty.Transport.Channels.Sockets;
using Microsoft.Extensions.Logging;

namespace ZkFire.Interconnect;

/// <summary>
/// One side's authenticated links over TCP with DotNetty: the ports it listens on (one purpose each) and the
/// connections it opens. Every connection starts with the handshake of <see cref="LinkHandshakeHandler"/>; once the
/// peer is proven, the handler the application makes for it takes over. Disposing closes every listener and
/// connection and stops the event loop.
/// </summary>
public sealed class LinkEndpoint : IAsyncDisposable
{
    // DotNetty 0.7's event loop keeps waking itself while it shuts down, so it never sees a quiet period and always
    // runs until the timeout: keep that short. Every channel is closed before the loop is asked to stop.
    private static readonly TimeSpan ShutdownQuietPeriod = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan ShutdownTimeout = TimeSpan.FromMilliseconds(100);

    /// <summary>How long a dispose waits for DotNetty to close a channel or stop its loops.</summary>
    public static readonly TimeSpan CloseBound = TimeSpan.FromSeconds(5);

    private readonly ILogger logger;
    private readonly MultithreadEventLoopGroup group = new(1);
    private readonly ConcurrentDictionary<IChannel, bool> channels = new();
    private int disposed;

    public LinkEndpoint(LinkEndpointOptions options, ILogger logger)
    {
        Options = options;
        Authenticator = new LinkAuthenticator(options.LocalId, options.Secret);
        this.logger = logger;
    }

    public LinkEndpointOptions Options { get; }

    public LinkAuthenticator Authenticator { get; }

    /// <summary>
    /// Listens on <paramref name="address"/>:<paramref name="port"/> (0: any free port) for links of
    /// <paramref name="purpose"/>; a connection the admission lets in and that proves itself is handed to the handler
    /// <paramref name="authenticated"/> makes.
    /// </summary>
    /// <returns>Where it listens.</returns>
    /// <exception cref="IOException">The port cannot be bound.</exception>
    public async Task<IPEndPoint> ListenAsync(
        IPAddress address, int port, string purpose, LinkAdmission admission, Func<AuthenticatedPeer, IChannelHandler> authenticated)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        var bootstrap = new ServerBootstrap()
            .Group(group, group)
            .ChannelFactory(() => new TcpServerSocketChannel(address.AddressFamily))
            .Option(ChannelOption.SoBacklog, 64)
            .ChildOption(ChannelOption.TcpNodelay, true)
            .ChildHandler(new ActionChannelInitializer<IChannel>(channel =>
                Initialize(channel, new LinkHandshakeHandler(Authenticator, Options, purpose, target: null, admission, authenticated, logger))));

        // No SO_REUSEADDR option: .NET already sets it on every TCP socket it binds on Unix, which is what lets a
        // restarted process rebind over TIME_WAIT connections at once; the option would add SO_REUSEPORT, letting a
        // second process with the same configuration bind the same port beside this one.
        IChannel listener;
        try
        {
            listener = await bootstrap.BindAsync(new IPEndPoint(address, port));
        }
        catch (Exception ex)
        {
            throw new IOException(
                $"Cannot listen on the {purpose} port {address}:{port} of {Options.PeerNoun} {Options.LocalId}: {(ex.InnerException ?? ex).Message}", ex);
        }

        Track(listener);
        LinkLog.Listening(logger, purpose, listener.LocalAddress);
        return (IPEndPoint)listener.LocalAddress;
    }

    /// <summary>
    /// Connects to <paramref name="peerId"/>'s port for <paramref name="purpose"/> and runs the handshake; once the
    /// peer is proven, the handler <paramref name="authenticated"/> makes takes over.
    /// </summary>
    /// <exception cref="IOException">The peer cannot be reached or did not prove itself.</exception>
    public async Task<IChannel> ConnectAsync(
        string peerId, string host, int port, string purpose, Func<AuthenticatedPeer, IChannelHandler> authenticated, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        IPAddress[] addresses;
        try
        {
            addresses = await ResolveAsync(host, cancellationToken);
        }
        catch (SocketException ex)
        {
            throw new IOException($"Cannot resolve {host} of {Options.PeerNoun} {peerId}: {ex.Message}", ex);
        }

        // A host name may stand for several addresses (localhost: 127.0.0.1 and ::1) of which the peer listens on one.
        for (var i = 0; ; i++)
        {
            var handshake = new LinkHandshakeHandler(Authenticator, Options, purpose, peerId, admission: null, authenticated, logger);
            IChannel channel;
            try
            {
                channel = await OpenAsync(addresses[i], port, handshake, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException && i + 1 < addresses.Length)
            {
                continue;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // DotNetty's ConnectException says only "LogError connecting to ..."; the socket error is inside.
                throw new IOException(
                    $"Cannot connect to the {purpose} port of {Options.PeerNoun} {peerId} at {host}:{port}: {(ex.InnerException ?? ex).Message}", ex);
            }

            try
            {
                await handshake.Authenticated.WaitAsync(cancellationToken);
                return channel;
            }
            catch
            {
                await channel.CloseAsync().ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                throw;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        // Every wait is bounded: a close or a shutdown that DotNetty never completes (a loop already stopping) must
        // not hang the member's or node's own shutdown.
        foreach (var channel in channels.Keys)
        {
            await channel.CloseAsync().WaitAsync(CloseBound).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        await group.ShutdownGracefullyAsync(ShutdownQuietPeriod, ShutdownTimeout).WaitAsync(CloseBound).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <summary>The addresses of <paramref name="host"/> (an address literal stands for itself), IPv4-mapped ones mapped.</summary>
    /// <exception cref="SocketException">The name does not resolve.</exception>
    public static async Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken) =>
        IPAddress.TryParse(host, out var literal) ? [Normalize(literal)]
        : await Dns.GetHostAddressesAsync(host, cancellationToken) is { Length: > 0 } resolved ? [.. resolved.Select(Normalize)]
        : throw new SocketException((int)SocketError.HostNotFound);

    /// <summary>The address as the admission sees it: an IPv4-mapped IPv6 address as plain IPv4.</summary>
    public static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private async Task<IChannel> OpenAsync(IPAddress address, int port, LinkHandshakeHandler handshake, CancellationToken cancellationToken)
    {
        var bootstrap = new Bootstrap()
            .Group(group)
            .ChannelFactory(() => new TcpSocketChannel(address.AddressFamily))
            .Option(ChannelOption.TcpNodelay, true)
            .Option(ChannelOption.ConnectTimeout, Options.ConnectTimeout)
            .Handler(new ActionChannelInitializer<IChannel>(channel => Initialize(channel, handshake)));
        var connecting = bootstrap.ConnectAsync(new IPEndPoint(address, port));
        try
        {
            return await connecting.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // The attempt goes on without a waiter; whatever it opens is closed.
            _ = connecting.ContinueWith(
                task => task.Result.CloseAsync(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
            throw;
        }
    }

    private void Initialize(IChannel channel, LinkHandshakeHandler handshake)
    {
        if (!Track(channel))
        {
            return;
        }

        // High before low: DotNetty refuses a low-water mark above the current high-water mark.
        channel.Configuration.WriteBufferHighWaterMark = Options.SendHighWater;
        channel.Configuration.WriteBufferLowWaterMark = Options.SendLowWater;
        channel.Pipeline.AddLast("frames", LinkFraming.CreateDecoder(Options.MaxMessageSize));
        channel.Pipeline.AddLast("handshake", handshake);
    }

    /// <summary>Remembers a channel until it closes, so that disposing closes it; false (and closed) once disposed.</summary>
    private bool Track(IChannel channel)
    {
        if (Volatile.Read(ref disposed) != 0)
        {
            channel.CloseAsync();
            return false;
        }

        channels.TryAdd(channel, true);
        channel.CloseCompletion.ContinueWith(
            _ => channels.TryRemove(channel, out var _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return true;
    }
}
