using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using HdrHistogram;
using ZkFire.Xmpp.Xml;

namespace ZkFire.LoadTool.Xmpp;

/// <summary>What one wave of logins measured.</summary>
/// <param name="Online">The sessions logged in, by session index; null where the login failed.</param>
/// <param name="Seconds">From the first connect to the last presence echo.</param>
/// <param name="LatencyMicros">Per login, from the connect to the echo of its initial presence.</param>
/// <param name="Errors">Failed logins by kind.</param>
/// <param name="Sasl2">The logins used SASL2 and Bind 2 (XEP-0388/0386) rather than RFC 6120's flow.</param>
internal sealed record WaveResult(
    XmppConnection?[] Online,
    int Succeeded,
    double Seconds,
    HistogramBase LatencyMicros,
    IReadOnlyDictionary<string, long> Errors,
    ToolCost Cost,
    bool Encrypted,
    bool Sasl2)
{
    public long ErrorCount => Errors.Values.Sum();

    public double PerSecond => Seconds > 0 ? Succeeded / Seconds : 0;
}

/// <summary>
/// Logs sessions in, at most <see cref="SessionLoad.Concurrency"/> at a time, each to the point where the server's
/// copy of its initial presence is back: the login engine of <c>xmpp-login</c> and <c>xmpp-idle</c>. Workers take
/// the next session index from a shared counter; each reuses one timeout source while its logins succeed, and a
/// session keeps no receive buffer once online.
/// </summary>
internal sealed class LoginWave(SessionLoad load, ScramCache scramCache)
{
    private const long HighestMicros = 600_000_000;

    private readonly IPEndPoint?[] resolved = new IPEndPoint?[load.Endpoints.Count];

    /// <summary>Creates the accounts by in-band registration (XEP-0077), unmeasured, with bounded concurrency.</summary>
    public async Task RegisterAsync(int accounts, CancellationToken ct)
    {
        var started = Stopwatch.StartNew();
        var done = 0;
        using var progress = new Timer(_ => Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  registering: {Volatile.Read(ref done)}/{accounts} after {started.Elapsed.TotalSeconds:0} s")), null, 1000, 1000);
        await Parallel.ForEachAsync(Enumerable.Range(0, accounts), new ParallelOptions { MaxDegreeOfParallelism = load.Concurrency, CancellationToken = ct }, async (account, token) =>
        {
            await using var connection = await XmppConnection.ConnectAsync(Endpoint(account), Source(account), load.Access.Domain, XmppConnection.SessionBuffer, token);
            await connection.RegisterAsync(load.AccountName(account), load.Access.Password, load.Access.Tls, token);
            Interlocked.Increment(ref done);
        });
        await Console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  registered {accounts} accounts in {started.Elapsed.TotalSeconds:0.0} s"));
    }

    /// <summary>
    /// Logs in <paramref name="sessions"/> sessions, session i as account i mod <paramref name="accounts"/> with the
    /// resource <paramref name="resource"/>(i) (null: the server's choice), printing a progress line a second.
    /// </summary>
    public async Task<WaveResult> RunAsync(string phase, int sessions, int accounts, Func<int, string?> resource, CancellationToken ct)
    {
        await ResolveAsync(ct);
        var state = new State(sessions);
        using var meter = new ToolMeter();
        var first = Stopwatch.GetTimestamp();
        var workers = new Task[Math.Min(load.Concurrency, sessions)];
        for (var w = 0; w < workers.Length; w++)
        {
            workers[w] = Task.Run(() => WorkAsync(state, accounts, resource, ct), CancellationToken.None);
        }

        var all = Task.WhenAll(workers);
        await ProgressAsync(phase, state, all);
        await all;
        var last = Math.Max(first, Volatile.Read(ref state.LastEcho));
        var seconds = (double)(last - first) / Stopwatch.Frequency;
        var cost = meter.Stop(state.Succeeded);
        return new WaveResult(state.Online, state.Succeeded, seconds, state.Latency, state.Errors, cost, state.Encrypted, state.Sasl2);
    }

    /// <summary>Ends every session with <c>&lt;/stream:stream&gt;</c>, as many at a time as logins run.</summary>
    public async Task CloseAsync(XmppConnection?[] online)
    {
        var next = -1;
        var closers = new Task[Math.Min(load.Concurrency, Math.Max(1, online.Length))];
        for (var w = 0; w < closers.Length; w++)
        {
            closers[w] = Task.Run(async () =>
            {
                for (var i = Interlocked.Increment(ref next); i < online.Length; i = Interlocked.Increment(ref next))
                {
                    if (online[i] is { } connection)
                    {
                        online[i] = null;
                        await connection.DisposeAsync();
                    }
                }
            });
        }

        await Task.WhenAll(closers);
    }

    private async Task WorkAsync(State state, int accounts, Func<int, string?> resource, CancellationToken ct)
    {
        var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        try
        {
            for (var i = Interlocked.Increment(ref state.Next); i < state.Online.Length && !ct.IsCancellationRequested; i = Interlocked.Increment(ref state.Next))
            {
                if (!timeout.TryReset())
                {
                    timeout.Dispose();
                    timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                }

                timeout.CancelAfter(load.LoginTimeout);
                var account = i % accounts;
                var started = Stopwatch.GetTimestamp();
                XmppConnection? connection = null;
                try
                {
                    connection = await XmppConnection.ConnectAsync(Endpoint(i), Source(i), load.Access.Domain, XmppConnection.SessionBuffer, timeout.Token);
                    await connection.LoginAsync(load.AccountName(account), load.Access, resource(i), scramCache, timeout.Token);
                    await connection.GoOnlineAsync(timeout.Token);
                    var now = Stopwatch.GetTimestamp();
                    connection.ReleaseIdleMemory();
                    state.Latency.RecordValue(Math.Min(HighestMicros, (now - started) * 1_000_000 / Stopwatch.Frequency));
                    state.Online[i] = connection;
                    state.Encrypted |= connection.Encrypted;
                    state.Sasl2 |= connection.UsedSasl2;
                    Interlocked.Increment(ref state.Succeeded);
                    for (var seen = Volatile.Read(ref state.LastEcho); now > seen; seen = Volatile.Read(ref state.LastEcho))
                    {
                        if (Interlocked.CompareExchange(ref state.LastEcho, now, seen) == seen)
                        {
                            break;
                        }
                    }
                }
                catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or XmppException or XmlStreamException
                                              or AuthenticationException or InvalidOperationException or ObjectDisposedException)
                {
                    if (connection is not null)
                    {
                        await connection.DisposeAsync();
                    }

                    if (ct.IsCancellationRequested)
                    {
                        return;
                    }

                    state.Errors.AddOrUpdate(Kind(e), 1, (_, n) => n + 1);
                }
            }
        }
        finally
        {
            timeout.Dispose();
        }
    }

    /// <summary>A failed login's reason, coarse enough to count.</summary>
    private static string Kind(Exception e) => e switch
    {
        OperationCanceledException => "timeout",
        SocketException s => "socket-" + s.SocketErrorCode.ToString(),
        AuthenticationException => "tls",
        XmlStreamException => "bad-xml",
        InvalidOperationException => "bad-scram",
        XmppException x when x.Message.StartsWith("stream error", StringComparison.Ordinal) => "stream-error",
        XmppException x when x.Message.StartsWith("authentication", StringComparison.Ordinal) => "sasl-failure",
        XmppException x when x.Message.StartsWith("the server's SCRAM", StringComparison.Ordinal) => "bad-server-signature",
        XmppException x when x.Message.StartsWith("the server closed", StringComparison.Ordinal) => "closed",
        XmppException x when x.Message.StartsWith("IQ failed", StringComparison.Ordinal) => "iq-error",
        XmppException => "xmpp",
        _ => "io",
    };

    private EndPoint Endpoint(int session) => (EndPoint?)resolved[session % resolved.Length] ?? load.Endpoints[session % resolved.Length];

    private IPAddress? Source(int session) => load.Sources.Count == 0 ? null : load.Sources[session % load.Sources.Count];

    /// <summary>Looks the endpoints up once, so no login pays for name resolution.</summary>
    private async Task ResolveAsync(CancellationToken ct)
    {
        for (var e = 0; e < resolved.Length; e++)
        {
            if (resolved[e] is not null)
            {
                continue;
            }

            var endpoint = load.Endpoints[e];
            var addresses = await Dns.GetHostAddressesAsync(endpoint.Host, ct);
            var family = load.Sources.Count > 0 ? load.Sources[0].AddressFamily : (AddressFamily?)null;
            var address = Array.Find(addresses, a => family is null || a.AddressFamily == family)
                          ?? throw new ArgumentException($"{endpoint.Host} has no address of the sources' family");
            resolved[e] = new IPEndPoint(address, endpoint.Port);
        }
    }

    private static Task ProgressAsync(string phase, State state, Task done)
    {
        var last = 0;
        return ProgressLine.PrintAsync(done, second =>
        {
            var succeeded = Volatile.Read(ref state.Succeeded);
            var errors = state.Errors.Values.Sum();
            var begun = Math.Min(Volatile.Read(ref state.Next) + 1, state.Online.Length);
            var line = string.Create(CultureInfo.InvariantCulture,
                $"  {second,4}s {phase}: online {succeeded,7}/{state.Online.Length}  {succeeded - last,6}/s  in flight {begun - succeeded - errors,5}  errors {errors}");
            last = succeeded;
            return line;
        });
    }

    private sealed class State(int sessions)
    {
        public readonly XmppConnection?[] Online = new XmppConnection?[sessions];
        public readonly ConcurrentDictionary<string, long> Errors = new(StringComparer.Ordinal);
        // One for all workers: a histogram per worker is ~300 KB (large-object heap) each wave, which was most of the
        // tool's allocation per login and the gen-2 collections that came with it.
        public readonly LongConcurrentHistogram Latency = new(1, HighestMicros, 3);
        public int Next = -1;
        public int Succeeded;
        public long LastEcho;
        public volatile bool Encrypted;
        public volatile bool Sasl2;
    }
}
