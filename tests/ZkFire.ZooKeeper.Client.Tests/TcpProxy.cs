using System.Net;
using System.Net.Sockets;

namespace ZkFire.ZooKeeper.Client.Tests;

/// <summary>
/// A loopback TCP relay in front of a server, so a test can cut, refuse or silently stall the client's connection
/// without touching the server.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly DnsEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Relay> _relays = [];
    private readonly Task _accepting;
    private volatile bool _refusing;

    private TcpProxy(DnsEndPoint target)
    {
        _target = target;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>Connect string of the proxy (hosts only).</summary>
    public string ConnectString => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <param name="target">The first <c>host:port</c> of a connect string.</param>
    public static TcpProxy Start(string target)
    {
        var first = target.Split(',')[0];
        var colon = first.LastIndexOf(':');
        return new TcpProxy(new DnsEndPoint(first[..colon].Trim('[', ']'), int.Parse(first[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture)));
    }

    /// <summary>Drops every relayed connection.</summary>
    public void Cut() => ForEachRelay(relay => relay.Dispose(), clear: true);

    /// <summary>While refusing, new connections are accepted and closed at once.</summary>
    public void Refuse(bool refuse) => _refusing = refuse;

    /// <summary>
    /// Stops relaying bytes on the connections open now (in both directions) without closing them, like a dead
    /// network; connections made later relay normally.
    /// </summary>
    public void Freeze() => ForEachRelay(relay => relay.Freeze(), clear: false);

    public void Thaw() => ForEachRelay(relay => relay.Thaw(), clear: false);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        Cut();
        try
        {
            await _accepting;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptSocketAsync(_stop.Token);
            if (_refusing)
            {
                client.Dispose();
                continue;
            }

            var upstream = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            client.NoDelay = true;
            try
            {
                await upstream.ConnectAsync(_target, _stop.Token);
            }
            catch (SocketException)
            {
                client.Dispose();
                upstream.Dispose();
                continue;
            }

            var relay = new Relay(client, upstream);
            lock (_relays)
            {
                _relays.Add(relay);
            }

            relay.Start();
        }
    }

    private void ForEachRelay(Action<Relay> action, bool clear)
    {
        lock (_relays)
        {
            _relays.ForEach(action);
            if (clear)
            {
                _relays.Clear();
            }
        }
    }

    private sealed class Relay(Socket client, Socket upstream) : IDisposable
    {
        private volatile TaskCompletionSource? _frozen;

        public void Start()
        {
            _ = PumpAsync(client, upstream);
            _ = PumpAsync(upstream, client);
        }

        public void Freeze() => _frozen ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Thaw() => Interlocked.Exchange(ref _frozen, null)?.TrySetResult();

        public void Dispose()
        {
            client.Dispose();
            upstream.Dispose();
            Thaw();
        }

        private async Task PumpAsync(Socket from, Socket to)
        {
            var buffer = new byte[16 * 1024];
            try
            {
                int read;
                while ((read = await from.ReceiveAsync(buffer, SocketFlags.None)) > 0)
                {
                    if (_frozen is { } frozen)
                    {
                        await frozen.Task;
                    }

                    await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None);
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
            }
            finally
            {
                Dispose();
            }
        }
    }
}
