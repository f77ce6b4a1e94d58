using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using ZkFire.Xmpp.Xml;

namespace ZkFire.LoadTool.Xmpp;

/// <summary>The server's resident memory around the hold; null fields when no server pid was given.</summary>
/// <param name="Before">After registration, before the first login.</param>
/// <param name="Last">At the end of the hold.</param>
/// <param name="MaxRssKb">The highest VmRSS sampled during the hold (once a second).</param>
internal sealed record ServerMemory(int Pid, ProcessMemory Before, ProcessMemory Last, long MaxRssKb);

/// <summary>What <c>xmpp-idle</c> measured.</summary>
/// <param name="ToolAfter">The tool's own resident set at the end of the hold, after a full collection.</param>
/// <param name="ToolHeapBytes">Growth of the tool's live managed heap over the logins and the hold.</param>
/// <param name="OnlineAtEnd">Sessions still up when the hold ended.</param>
/// <param name="Disconnects">Sessions the server dropped during the hold.</param>
internal sealed record IdleResult(
    IdleOptions Options,
    WaveResult Logins,
    ServerMemory? Server,
    ProcessMemory ToolBefore,
    ProcessMemory ToolAfter,
    long ToolHeapBytes,
    int OnlineAtEnd,
    long Disconnects,
    long PingsAnswered,
    double HeldSeconds,
    double SetupSeconds);

/// <summary>
/// Holds N sessions online, idle, and reads the server's resident memory before and during the hold. Each held
/// session waits for data with a zero-byte read, holding no receive buffer or parser (<see cref="XmppConnection.ReleaseIdleMemory"/>),
/// answers the server's pings and counts a dropped stream as a disconnect.
/// </summary>
internal sealed class IdleSessions(IdleOptions options)
{
    public async Task<IdleResult> RunAsync(CancellationToken interrupt)
    {
        var load = options.Load;
        ProcessMemory.RequireOpenFiles(options.Sessions);
        load.RequireEphemeralPorts(options.Sessions);
        var wave = new LoginWave(load, new ScramCache());
        var setup = Stopwatch.StartNew();
        if (load.Access.Register)
        {
            using var setupTimeout = CancellationTokenSource.CreateLinkedTokenSource(interrupt);
            setupTimeout.CancelAfter(load.SetupTimeout);
            try
            {
                await wave.RegisterAsync(options.Accounts, setupTimeout.Token);
            }
            catch (OperationCanceledException) when (!interrupt.IsCancellationRequested)
            {
                throw new TimeoutException($"registration did not finish within {load.SetupTimeout.TotalSeconds:0} s (--setup-timeout)");
            }
        }

        setup.Stop();

        // Registration's garbage (the tool's and the server's) is in neither baseline: the server is read after it, and
        // the tool collects its own first.
        var (toolBefore, heapBefore) = CollectAndMeasureSelf();
        var serverBefore = options.Load.Access.ServerPid is { } pid ? ProcessMemory.Read(pid) : (ProcessMemory?)null;
        var logins = await wave.RunAsync("login", options.Sessions, options.Accounts, i => string.Create(CultureInfo.InvariantCulture, $"s{i}"), interrupt);
        var online = logins.Online;
        var held = new Held();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(interrupt);
        var readers = new List<Task>(logins.Succeeded);
        foreach (var connection in online)
        {
            if (connection is not null)
            {
                readers.Add(Task.Run(() => HoldAsync(connection, held, stop.Token), CancellationToken.None));
            }
        }

        try
        {
            var (last, maxRss, heldSeconds) = await HoldAsync(held, logins.Succeeded, serverBefore, interrupt);
            var (toolAfter, heapAfter) = CollectAndMeasureSelf();
            var onlineAtEnd = logins.Succeeded - (int)Interlocked.Read(ref held.Disconnects);
            var server = options.Load.Access.ServerPid is { } serverPid && serverBefore is { } before && last is { } end
                ? new ServerMemory(serverPid, before, end, maxRss)
                : null;
            return new IdleResult(options, logins, server, toolBefore, toolAfter, heapAfter - heapBefore, onlineAtEnd, Interlocked.Read(ref held.Disconnects),
                Interlocked.Read(ref held.Pings), heldSeconds, setup.Elapsed.TotalSeconds);
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(readers);
            await wave.CloseAsync(online);
        }
    }

    /// <summary>
    /// The tool's resident set and live managed heap after a full collection that also gives free memory back to the
    /// system (aggressive mode): what the sessions hold, not the garbage their logins left.
    /// </summary>
    private static (ProcessMemory Resident, long HeapBytes) CollectAndMeasureSelf()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        var heap = GC.GetTotalMemory(forceFullCollection: true);
        return (ProcessMemory.ReadSelf(), heap);
    }

    /// <summary>Waits out the hold, sampling the server once a second and at the end; returns the last sample and the highest RSS seen.</summary>
    private async Task<(ProcessMemory? Last, long MaxRssKb, double Seconds)> HoldAsync(Held held, int sessions, ProcessMemory? before, CancellationToken interrupt)
    {
        var started = Stopwatch.GetTimestamp();
        ProcessMemory? last = null;
        var maxRss = 0L;
        void Sample()
        {
            if (options.Load.Access.ServerPid is { } pid)
            {
                var sample = ProcessMemory.Read(pid);
                last = sample;
                maxRss = Math.Max(maxRss, sample.RssKb);
            }
        }

        var hold = Task.Delay(options.Hold, interrupt).ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        await ProgressLine.PrintAsync(hold, second =>
        {
            Sample();
            var disconnects = Interlocked.Read(ref held.Disconnects);
            var memory = last is { } m && before is { } b
                ? string.Create(CultureInfo.InvariantCulture, $"  server RSS {m.RssKb / 1024.0,7:0.0} MB ({(m.RssKb - b.RssKb) / (double)Math.Max(1, sessions - disconnects),6:0.00} KB/session)")
                : string.Empty;
            return string.Create(CultureInfo.InvariantCulture,
                $"  {second,4}s hold: online {sessions - disconnects}  disconnects {disconnects}  pings {Interlocked.Read(ref held.Pings)}{memory}");
        });
        Sample();
        return (last, maxRss, Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    /// <summary>Reads one held session until the hold ends: answers pings (XEP-0199), drops everything else.</summary>
    private static async Task HoldAsync(XmppConnection connection, Held held, CancellationToken stop)
    {
        try
        {
            while (true)
            {
                connection.ReleaseIdleMemory();
                var element = await connection.ReadElementAsync(stop);
                if (element.Name == "iq" && element.GetAttribute("type") == "get" && element.Child("ping", "urn:xmpp:ping") is not null)
                {
                    var to = element.GetAttribute("from") is { } from ? $" to='{XmppConnection.Escape(from)}'" : string.Empty;
                    await connection.SendAsync($"<iq type='result' id='{XmppConnection.Escape(element.GetAttribute("id") ?? string.Empty)}'{to}/>", stop);
                    Interlocked.Increment(ref held.Pings);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is XmppException or IOException or SocketException or XmlStreamException or ObjectDisposedException)
        {
            Interlocked.Increment(ref held.Disconnects);
        }
    }

    private sealed class Held
    {
        public long Disconnects;
        public long Pings;
    }
}
