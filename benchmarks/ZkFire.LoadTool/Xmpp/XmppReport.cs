using System.Globalization;
using System.Text;
using System.Text.Json;
using HdrHistogram;

namespace ZkFire.LoadTool.Xmpp;

/// <summary>The text reports and one-line JSON summaries of the XMPP workloads.</summary>
internal static partial class XmppReport
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public static string Text(MessagingResult r)
    {
        var o = r.Options;
        var text = new StringBuilder();
        var offered = Offered(o.Rate, "msgs/s");
        var where = o.SenderEndpoint.Equals(o.ReceiverEndpoint) ? "same node" : "cross node";
        text.AppendLine(C, $"xmpp-messaging {Endpoint(o.SenderEndpoint)} -> {Endpoint(o.ReceiverEndpoint)} ({where}): {o.Pairs} pairs, window {o.Window}, {offered}, {o.Warmup.TotalSeconds:0.###} s warmup + {o.Duration.TotalSeconds:0.###} s");
        text.AppendLine(C, $"  login     {Transport(r.Encrypted)}, SASL {XmppAccess.SaslName(o.Access.Sasl)}, accounts {Made(o.Access)}; setup {r.SetupSeconds:0.0} s");
        text.AppendLine(C, $"  delivered {r.MeasuredDelivered} in {r.MeasuredSeconds:0.00} s = {Delivered(r):0} msgs/s (sent {Sent(r):0} msgs/s)");
        text.AppendLine(C, $"  latency   {Percentiles(r.LatencyMicros)}");
        text.AppendLine(C, $"  errors    {Errors(r)} (bounced {r.Bounced}, lost {r.Lost} of {r.Sent} sent, disconnects {r.Disconnects})");
        text.AppendLine(C, $"  the tool  {CpuShare(r.Cost):0.00} cores busy, {BytesPerMessage(r.Cost):0.0} B allocated per message sent or received");
        ServerCpuText(text, r.ServerCpuSeconds, r.MeasuredSeconds, r.MeasuredDelivered, "messages delivered");
        return text.ToString();
    }

    public static string Json(MessagingResult r)
    {
        var o = r.Options;
        return Write(json =>
        {
            Label(json, o.Label);
            json.WriteString("target", "xmpp-messaging");
            json.WriteString("senderEndpoint", Endpoint(o.SenderEndpoint));
            json.WriteString("receiverEndpoint", Endpoint(o.ReceiverEndpoint));
            json.WriteBoolean("sameEndpoint", o.SenderEndpoint.Equals(o.ReceiverEndpoint));
            AccessJson(json, o.Access, r.Encrypted);
            json.WriteNumber("pairs", o.Pairs);
            json.WriteNumber("window", o.Window);
            if (o.Rate is { } rate)
            {
                json.WriteNumber("offeredPerSec", rate);
            }
            else
            {
                json.WriteNull("offeredPerSec");
            }

            json.WriteNumber("durationSeconds", o.Duration.TotalSeconds);
            json.WriteNumber("warmupSeconds", o.Warmup.TotalSeconds);
            json.WriteNumber("measuredSeconds", Math.Round(r.MeasuredSeconds, 3));
            json.WriteNumber("delivered", r.MeasuredDelivered);
            json.WriteNumber("deliveredPerSec", Math.Round(Delivered(r), 1));
            json.WriteNumber("sentPerSec", Math.Round(Sent(r), 1));
            json.WriteNumber("errors", Errors(r));
            json.WriteNumber("bounced", r.Bounced);
            json.WriteNumber("lost", r.Lost);
            json.WriteNumber("disconnects", r.Disconnects);
            json.WriteNumber("toolCores", Math.Round(CpuShare(r.Cost), 2));
            json.WriteNumber("toolBytesPerMessage", Math.Round(BytesPerMessage(r.Cost), 1));
            ServerCpuJson(json, r.ServerCpuSeconds, r.MeasuredSeconds, r.MeasuredDelivered);
            LatencyMs(json, r.LatencyMicros);
        });
    }

    public static string Text(CrashResult r)
    {
        var o = r.Options;
        var timeout = o.SessionTimeout is { } t ? string.Create(C, $"{t.TotalSeconds:0.###} s") : "not given";
        var ms = r.Rounds.Select(x => x.Unavailable.TotalMilliseconds).ToList();
        return string.Create(C,
            $"xmpp-crash {Endpoint(o.VictimEndpoint)} (killed) -> contact on {Endpoint(o.SurvivorEndpoint)}: {Transport(r.Encrypted)}, SASL {XmppAccess.SaslName(o.Access.Sasl)}; configured session timeout {timeout}\n" +
            $"  kill -9 to unavailable presence: {string.Join(", ", ms.Select(m => m.ToString("0", C)))} ms (median {Median(ms):0} ms over {ms.Count} rounds)\n");
    }

    public static string Json(CrashResult r) => Write(json =>
    {
        var o = r.Options;
        Label(json, o.Label);
        json.WriteString("target", "xmpp-crash");
        json.WriteString("victimEndpoint", Endpoint(o.VictimEndpoint));
        json.WriteString("survivorEndpoint", Endpoint(o.SurvivorEndpoint));
        json.WriteString("transport", r.Encrypted ? "starttls" : "plain");
        json.WriteString("sasl", XmppAccess.SaslName(o.Access.Sasl));
        if (o.SessionTimeout is { } timeout)
        {
            json.WriteNumber("sessionTimeoutSeconds", timeout.TotalSeconds);
        }
        else
        {
            json.WriteNull("sessionTimeoutSeconds");
        }

        json.WriteStartArray("rounds");
        foreach (var round in r.Rounds)
        {
            json.WriteStartObject();
            json.WriteNumber("pid", round.Pid);
            json.WriteNumber("unavailableMs", Math.Round(round.Unavailable.TotalMilliseconds, 1));
            json.WriteNumber("loginSeconds", Math.Round(round.Rejoin.TotalSeconds, 2));
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteNumber("medianUnavailableMs", Math.Round(Median(r.Rounds.Select(x => x.Unavailable.TotalMilliseconds).ToList()), 1));
    });

    private static string Write(Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            body(json);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void Label(Utf8JsonWriter json, string? label)
    {
        if (label is not null)
        {
            json.WriteString("label", label);
        }
    }

    /// <summary>The server's CPU over the measured time, when its pid was given: cores busy and work per CPU-second.</summary>
    private static void ServerCpuText(StringBuilder text, double? cpuSeconds, double seconds, double work, string unit)
    {
        if (cpuSeconds is { } cpu && seconds > 0)
        {
            text.AppendLine(C, $"  server    {cpu / seconds:0.00} cores busy in the measured time = {(cpu > 0 ? work / cpu : 0):0} {unit} per server CPU-second");
        }
    }

    private static void ServerCpuJson(Utf8JsonWriter json, double? cpuSeconds, double seconds, double work)
    {
        if (cpuSeconds is { } cpu && seconds > 0)
        {
            json.WriteNumber("serverCores", Math.Round(cpu / seconds, 2));
            json.WriteNumber("perServerCpuSecond", Math.Round(cpu > 0 ? work / cpu : 0, 1));
        }
    }

    private static void LatencyMs(Utf8JsonWriter json, HistogramBase latency)
    {
        if (latency.TotalCount == 0)
        {
            json.WriteNull("latencyMs");
            return;
        }

        json.WriteStartObject("latencyMs");
        json.WriteNumber("p50", ToMs(latency.GetValueAtPercentile(50)));
        json.WriteNumber("p99", ToMs(latency.GetValueAtPercentile(99)));
        json.WriteNumber("p999", ToMs(latency.GetValueAtPercentile(99.9)));
        json.WriteNumber("max", ToMs(latency.GetMaxValue()));
        json.WriteNumber("mean", Math.Round(latency.GetMean() / 1000, 3));
        json.WriteEndObject();
    }

    private static string Percentiles(HistogramBase h) =>
        h.TotalCount == 0
            ? "nothing measured"
            : string.Create(C, $"p50 {Ms(h.GetValueAtPercentile(50))}  p99 {Ms(h.GetValueAtPercentile(99))}  p99.9 {Ms(h.GetValueAtPercentile(99.9))}  max {Ms(h.GetMaxValue())}");

    /// <summary>How the sessions logged in, for the JSON summary.</summary>
    private static void AccessJson(Utf8JsonWriter json, XmppAccess access, bool encrypted)
    {
        json.WriteString("transport", encrypted ? "starttls" : "plain");
        json.WriteString("sasl", XmppAccess.SaslName(access.Sasl));
        json.WriteString("accounts", access.Register ? "in-band" : "pre-created");
    }

    private static string Made(XmppAccess access) => access.Register ? "registered in-band (XEP-0077)" : "pre-created";

    private static string Offered(double? rate, string unit) => rate is { } r ? string.Create(C, $"offered {r:0.#} {unit}") : "max rate";

    private static string Transport(bool encrypted) => encrypted ? "STARTTLS" : "plain TCP on loopback (server allows it)";

    private static double CpuShare(ToolCost c) => c.WallSeconds > 0 ? c.CpuSeconds / c.WallSeconds : 0;

    private static double BytesPerMessage(ToolCost c) => c.Messages > 0 ? (double)c.AllocatedBytes / c.Messages : 0;

    private static long Errors(MessagingResult r) => r.Bounced + r.Lost + r.Disconnects;

    private static double Delivered(MessagingResult r) => r.MeasuredSeconds > 0 ? r.MeasuredDelivered / r.MeasuredSeconds : 0;

    private static double Sent(MessagingResult r) => r.MeasuredSeconds > 0 ? r.MeasuredSent / r.MeasuredSeconds : 0;

    private static double Median(List<double> values)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        values.Sort();
        return values.Count % 2 == 1 ? values[values.Count / 2] : (values[values.Count / 2 - 1] + values[values.Count / 2]) / 2;
    }

    private static string Endpoint(System.Net.DnsEndPoint e) => string.Create(C, $"{e.Host}:{e.Port}");

    private static double ToMs(long micros) => Math.Round(micros / 1000.0, 3);

    private static string Ms(long micros) => string.Create(C, $"{micros / 1000.0:0.000} ms");
}
