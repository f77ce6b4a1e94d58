using System.Globalization;
using System.Text;
using System.Text.Json;
using HdrHistogram;
using ZkFire.LoadTool;
using ZkFire.LoadTool.Xmpp;

// Ctrl+C ends the measurement early but still lets the cleanup run.
using var interrupt = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    interrupt.Cancel();
};

if (args is ["zk-failover", ..])
{
    FailoverOptions failoverOptions;
    try
    {
        failoverOptions = FailoverOptions.Parse(args);
    }
    catch (ArgumentException e)
    {
        await Console.Error.WriteLineAsync($"{e.Message}\n\n{FailoverOptions.Usage}");
        return 2;
    }

    try
    {
        var failover = await new FailoverProbe(failoverOptions).RunAsync(interrupt.Token);
        Console.Write(FailoverProbe.Text(failover));
        Console.WriteLine(FailoverProbe.Json(failover));
        return 0;
    }
    catch (Exception e) when (e is OperationCanceledException or IOException or System.Net.Sockets.SocketException
                                  or ZkFire.ZooKeeper.Client.KeeperException or TimeoutException or InvalidOperationException
                                  or ArgumentException or System.ComponentModel.Win32Exception)
    {
        await Console.Error.WriteLineAsync($"failover run failed: {e.GetType().Name}: {e.Message}");
        return 1;
    }
}

if (args is ["xmpp-messaging", ..])
{
    return await RunXmppAsync(() => MessagingOptions.Parse(args), MessagingOptions.Usage, async options =>
    {
        var result = await new MessagingRunner(options).RunAsync(interrupt.Token);
        Console.Write(XmppReport.Text(result));
        Console.WriteLine(XmppReport.Json(result));
        return result.MeasuredDelivered > 0 ? 0 : 1;
    });
}

if (args is ["xmpp-crash", ..])
{
    return await RunXmppAsync(() => CrashOptions.Parse(args), CrashOptions.Usage, async options =>
    {
        var result = await new CrashProbe(options).RunAsync(interrupt.Token);
        Console.Write(XmppReport.Text(result));
        Console.WriteLine(XmppReport.Json(result));
        return 0;
    });
}

if (args is ["xmpp-login", ..])
{
    // Socket completions run on the event thread instead of hopping to a pool thread: each of a login's reads
    // otherwise wakes a second thread, and that was a quarter of the tool's CPU per login (0.29 -> 0.21 ms with the
    // tool on a core of its own), taken from the server under test. The login's continuations never block, so the
    // event loop is not held up. Read by the socket engine when first used, which is after this.
    Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
    return await RunXmppAsync(() => LoginOptions.Parse(args), LoginOptions.Usage, async options =>
    {
        var result = await new LoginStorm(options).RunAsync(interrupt.Token);
        Console.Write(XmppReport.Text(result));
        Console.WriteLine(XmppReport.Json(result));
        return result.Rounds.Any(r => r.Succeeded > 0) ? 0 : 1;
    });
}

if (args is ["xmpp-idle", ..])
{
    return await RunXmppAsync(() => IdleOptions.Parse(args), IdleOptions.Usage, async options =>
    {
        var result = await new IdleSessions(options).RunAsync(interrupt.Token);
        Console.Write(XmppReport.Text(result));
        Console.WriteLine(XmppReport.Json(result));
        return result.OnlineAtEnd > 0 ? 0 : 1;
    });
}

if (args is ["xmpp-presence", ..])
{
    return await RunXmppAsync(() => PresenceOptions.Parse(args), PresenceOptions.Usage, async options =>
    {
        var result = await new PresenceRunner(options).RunAsync(interrupt.Token);
        Console.Write(XmppReport.Text(result));
        Console.WriteLine(XmppReport.Json(result));
        return result.MeasuredDelivered > 0 ? 0 : 1;
    });
}

LoadOptions options;
try
{
    options = LoadOptions.Parse(args);
}
catch (ArgumentException e)
{
    await Console.Error.WriteLineAsync($"{e.Message}\n\n{LoadOptions.Usage}\n{FailoverOptions.Usage}\n{MessagingOptions.Usage}\n{CrashOptions.Usage}\n{LoginOptions.Usage}\n{IdleOptions.Usage}\n{PresenceOptions.Usage}");
    return 2;
}

LoadResult result;
try
{
    result = await new LoadRunner(options).RunAsync(interrupt.Token);
}
catch (Exception e) when (e is OperationCanceledException or IOException or System.Net.Sockets.SocketException
                              or ZkFire.ZooKeeper.Client.KeeperException or TimeoutException)
{
    await Console.Error.WriteLineAsync($"run failed: {e.GetType().Name}: {e.Message}");
    return 1;
}

Console.Write(Report.Text(result));
Console.WriteLine(Report.Json(result));
return result.Ops > 0 ? 0 : 1;

// The XMPP workloads: usage errors exit 2, failed runs 1.
static async Task<int> RunXmppAsync<TOptions>(Func<TOptions> parse, string usage, Func<TOptions, Task<int>> run)
{
    TOptions parsed;
    try
    {
        parsed = parse();
    }
    catch (ArgumentException e)
    {
        await Console.Error.WriteLineAsync($"{e.Message}\n\n{usage}");
        return 2;
    }

    try
    {
        return await run(parsed);
    }
    catch (Exception e) when (e is OperationCanceledException or IOException or System.Net.Sockets.SocketException or XmppException
                                  or TimeoutException or InvalidOperationException or ArgumentException or System.ComponentModel.Win32Exception
                                  or System.Security.Authentication.AuthenticationException or ZkFire.Xmpp.Xml.XmlStreamException)
    {
        await Console.Error.WriteLineAsync($"xmpp run failed: {e.GetType().Name}: {e.Message}");
        return 1;
    }
}

internal static class Report
{
    private static readonly double[] Percentiles = [50, 90, 99, 99.9];

    public static string Text(LoadResult r)
    {
        var o = r.Options;
        var text = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        var mix = o.Workload == Workload.Mixed ? string.Create(c, $", read ratio {o.ReadRatio:0.###}") : string.Empty;
        text.AppendLine(c, $"zk {o.Workload.ToString().ToLowerInvariant()} on {o.Connect}: {o.Sessions} sessions x {o.Outstanding} outstanding, {o.Payload} B payload, {o.Warmup.TotalSeconds:0.###} s warmup + {o.Duration.TotalSeconds:0.###} s{mix}");
        text.AppendLine(c, $"  ops       {r.Ops} in {r.MeasuredSeconds:0.00} s = {OpsPerSecond(r):0} ops/s (reads {r.Reads}, writes {r.Writes})");
        var percentiles = string.Join("  ", Percentiles.Select(p => string.Create(c, $"p{p:0.#} {Millis(r.LatencyMicros.GetValueAtPercentile(p))}")));
        text.AppendLine(c, $"  latency   {percentiles}  max {Millis(r.LatencyMicros.GetMaxValue())}  mean {r.LatencyMicros.GetMean() / 1000:0.000} ms");
        var kinds = r.Errors > 0 ? " (" + string.Join(", ", r.ErrorKinds.Select(k => string.Create(c, $"{k.Key} {k.Value}"))) + ")" : string.Empty;
        text.AppendLine(c, $"  errors    {r.Errors}{kinds}");
        var left = r.LeftoverNodes > 0 ? string.Create(c, $", ~{r.LeftoverNodes} LEFT BEHIND") : string.Empty;
        text.AppendLine(c, $"  setup {r.SetupSeconds:0.0} s, cleanup {r.CleanupSeconds:0.0} s ({r.CleanedNodes} nodes under {r.Root}{left})");
        return text.ToString();
    }

    public static string Json(LoadResult r)
    {
        var o = r.Options;
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (o.Label is not null)
            {
                json.WriteString("label", o.Label);
            }

            json.WriteString("target", "zk");
            json.WriteString("connect", o.Connect);
            json.WriteString("workload", o.Workload.ToString().ToLowerInvariant());
            json.WriteNumber("sessions", o.Sessions);
            json.WriteString("spread", o.Spread == Spread.All ? "all" : "round-robin");
            json.WriteNumber("outstanding", o.Outstanding);
            json.WriteNumber("payload", o.Payload);
            json.WriteNumber("durationSeconds", o.Duration.TotalSeconds);
            json.WriteNumber("warmupSeconds", o.Warmup.TotalSeconds);
            if (o.Workload == Workload.Mixed)
            {
                json.WriteNumber("readRatio", o.ReadRatio);
            }

            json.WriteNumber("ops", r.Ops);
            json.WriteNumber("reads", r.Reads);
            json.WriteNumber("writes", r.Writes);
            json.WriteNumber("measuredSeconds", Math.Round(r.MeasuredSeconds, 3));
            json.WriteNumber("opsPerSec", Math.Round(OpsPerSecond(r), 1));
            json.WriteNumber("errors", r.Errors);
            json.WriteStartObject("latencyMs");
            json.WriteNumber("p50", ToMs(r.LatencyMicros.GetValueAtPercentile(50)));
            json.WriteNumber("p90", ToMs(r.LatencyMicros.GetValueAtPercentile(90)));
            json.WriteNumber("p99", ToMs(r.LatencyMicros.GetValueAtPercentile(99)));
            json.WriteNumber("p999", ToMs(r.LatencyMicros.GetValueAtPercentile(99.9)));
            json.WriteNumber("max", ToMs(r.LatencyMicros.GetMaxValue()));
            json.WriteNumber("mean", Math.Round(r.LatencyMicros.GetMean() / 1000, 3));
            json.WriteEndObject();
            json.WriteNumber("leftoverNodes", r.LeftoverNodes);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static double OpsPerSecond(LoadResult r) => r.MeasuredSeconds > 0 ? r.Ops / r.MeasuredSeconds : 0;

    private static double ToMs(long micros) => Math.Round(micros / 1000.0, 3);

    private static string Millis(long micros) => string.Create(CultureInfo.InvariantCulture, $"{micros / 1000.0:0.000} ms");
}
