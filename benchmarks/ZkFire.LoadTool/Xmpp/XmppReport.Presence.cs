using HdrHistogram;

namespace ZkFire.LoadTool.Xmpp;

/// <summary>The presence workload's report and JSON summary.</summary>
internal static partial class XmppReport
{
    public static string Text(PresenceResult r)
    {
        var o = r.Options;
        var s = r.Setup;
        var text = new System.Text.StringBuilder();
        var offered = Offered(o.Rate, "changes/s");
        text.AppendLine(C, $"xmpp-presence on {Endpoints(o)}: {o.Users} users x {o.Contacts} contacts (ring), window {o.Window}, {offered}, {o.Warmup.TotalSeconds:0.###} s warmup + {o.Duration.TotalSeconds:0.###} s");
        text.AppendLine(C, $"  login     {Transport(r.Encrypted)}, SASL {XmppAccess.SaslName(o.Access.Sasl)}, accounts {Made(o.Access)}");
        var rosters = s.Subscribes + s.Removed == 0 ? "already complete" : string.Create(C, $"{s.Subscribes} subscription requests, {s.Approvals} approvals, {s.Removed} items removed");
        text.AppendLine(C, $"  setup     rosters {rosters} in {s.Seconds:0.0} s ({s.Rounds} roster checks); logins and initial presence until all contacts seen {r.OnlineSeconds:0.0} s");
        text.AppendLine(C, $"  delivered {r.MeasuredDelivered} presence to contacts in {r.MeasuredSeconds:0.00} s = {PerSecond(r.MeasuredDelivered, r):0}/s ({PerSecond(r.MeasuredChanges, r):0} changes/s, each to {o.Contacts} contacts)");
        text.AppendLine(C, $"  latency   {Percentiles(r.LatencyMicros)}");
        text.AppendLine(C, $"  errors    {Errors(r)} (missing {r.Missing} of {r.Changes * o.Contacts} deliveries, contacts unavailable {r.Unavailable}, error stanzas {r.ErrorStanzas}, from non-contacts {r.Strays}, disconnects {r.Disconnects})");
        text.AppendLine(C, $"  the tool  {CpuShare(r.Cost):0.00} cores busy, {BytesPerMessage(r.Cost):0.0} B allocated per presence sent or received");
        ServerCpuText(text, r.ServerCpuSeconds, r.MeasuredSeconds, r.MeasuredDelivered, "presence delivered");
        return text.ToString();
    }

    public static string Json(PresenceResult r)
    {
        var o = r.Options;
        return Write(json =>
        {
            Label(json, o.Label);
            json.WriteString("target", "xmpp-presence");
            json.WriteStartArray("endpoints");
            foreach (var endpoint in o.Endpoints)
            {
                json.WriteStringValue(Endpoint(endpoint));
            }

            json.WriteEndArray();
            AccessJson(json, o.Access, r.Encrypted);
            json.WriteNumber("users", o.Users);
            json.WriteNumber("contacts", o.Contacts);
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
            json.WriteNumber("setupSeconds", Math.Round(r.Setup.Seconds, 2));
            json.WriteNumber("subscriptionRequests", r.Setup.Subscribes);
            json.WriteNumber("onlineSeconds", Math.Round(r.OnlineSeconds, 2));
            json.WriteNumber("measuredSeconds", Math.Round(r.MeasuredSeconds, 3));
            json.WriteNumber("changes", r.MeasuredChanges);
            json.WriteNumber("changesPerSec", Math.Round(PerSecond(r.MeasuredChanges, r), 1));
            json.WriteNumber("delivered", r.MeasuredDelivered);
            json.WriteNumber("deliveredPerSec", Math.Round(PerSecond(r.MeasuredDelivered, r), 1));
            json.WriteNumber("errors", Errors(r));
            json.WriteNumber("missing", r.Missing);
            json.WriteNumber("unavailable", r.Unavailable);
            json.WriteNumber("errorStanzas", r.ErrorStanzas);
            json.WriteNumber("strays", r.Strays);
            json.WriteNumber("disconnects", r.Disconnects);
            json.WriteNumber("toolCores", Math.Round(CpuShare(r.Cost), 2));
            json.WriteNumber("toolBytesPerStanza", Math.Round(BytesPerMessage(r.Cost), 1));
            ServerCpuJson(json, r.ServerCpuSeconds, r.MeasuredSeconds, r.MeasuredDelivered);
            LatencyMs(json, r.LatencyMicros);
        });
    }

    private static string Endpoints(PresenceOptions o) =>
        o.Endpoints.Count == 1 ? Endpoint(o.Endpoints[0]) : $"{string.Join(", ", o.Endpoints.Select(Endpoint))} (users round-robin)";

    private static long Errors(PresenceResult r) => r.Missing + r.Unavailable + r.ErrorStanzas + r.Strays + r.Disconnects;

    private static double PerSecond(long count, PresenceResult r) => r.MeasuredSeconds > 0 ? count / r.MeasuredSeconds : 0;
}
