using System.Text;
using System.Text.Json;
using HdrHistogram;

namespace ZkFire.LoadTool.Xmpp;

/// <summary>The reports of the session workloads, <c>xmpp-login</c> and <c>xmpp-idle</c>.</summary>
internal static partial class XmppReport
{
    public static string Text(LoginResult r)
    {
        var o = r.Options;
        var load = o.Load;
        var text = new StringBuilder();
        text.AppendLine(C, $"xmpp-login {Endpoints(load)}: {o.Accounts} accounts, concurrency {load.Concurrency}, {o.Rounds} round(s){Sources(load)}");
        text.AppendLine(C, $"  login     {Transport(Encrypted(r))}, SASL {Mechanism(load)}, {Flow(Sasl2(r))}, initial presence until its echo; accounts {Made(load.Access)}");
        text.AppendLine(C, $"  setup     {r.SetupSeconds:0.0} s: first logins (unmeasured) {r.FirstLogins.Succeeded} at {r.FirstLogins.PerSecond:0}/s, errors {ErrorsText(r.FirstLogins.Errors)}");
        for (var i = 0; i < r.Rounds.Count; i++)
        {
            var round = r.Rounds[i];
            text.AppendLine(C, $"  round {i + 1,-3} {round.Succeeded} logins in {round.Seconds:0.00} s = {round.PerSecond:0} logins/s  {Percentiles(round.LatencyMicros)}  errors {ErrorsText(round.Errors)}");
        }

        if (r.Rounds.Count > 0)
        {
            var cost = Sum(r.Rounds);
            text.AppendLine(C, $"  all       median {MedianRate(r):0} logins/s; latency {Percentiles(Merged(r.Rounds))}  errors {ErrorsText(Errors(r.Rounds))}");
            text.AppendLine(C, $"  the tool  {CpuShare(cost):0.00} cores busy during the rounds, {BytesPerMessage(cost):0} B allocated per login");
            ServerCpuText(text, r.ServerCpuSeconds, cost.WallSeconds, r.Rounds.Sum(w => w.Succeeded), "logins");
        }

        return text.ToString();
    }

    public static string Json(LoginResult r)
    {
        var o = r.Options;
        var load = o.Load;
        return Write(json =>
        {
            Label(json, load.Label);
            json.WriteString("target", "xmpp-login");
            SessionFields(json, load, Encrypted(r), Sasl2(r));
            json.WriteNumber("accountCount", o.Accounts);
            json.WriteNumber("rounds", r.Rounds.Count);
            json.WriteNumber("setupSeconds", Math.Round(r.SetupSeconds, 2));
            json.WriteNumber("firstLoginsPerSec", Math.Round(r.FirstLogins.PerSecond, 1));
            json.WriteNumber("firstLoginErrors", r.FirstLogins.ErrorCount);
            json.WriteNumber("loginsPerSec", Math.Round(MedianRate(r), 1));
            json.WriteStartArray("roundLoginsPerSec");
            foreach (var round in r.Rounds)
            {
                json.WriteNumberValue(Math.Round(round.PerSecond, 1));
            }

            json.WriteEndArray();
            var errors = Errors(r.Rounds);
            json.WriteNumber("errors", errors.Values.Sum());
            ErrorKinds(json, errors);
            if (r.Rounds.Count > 0)
            {
                var cost = Sum(r.Rounds);
                json.WriteNumber("toolCores", Math.Round(CpuShare(cost), 2));
                json.WriteNumber("toolBytesPerLogin", Math.Round(BytesPerMessage(cost), 0));
                ServerCpuJson(json, r.ServerCpuSeconds, cost.WallSeconds, r.Rounds.Sum(w => w.Succeeded));
                LatencyMs(json, Merged(r.Rounds));
            }
        });
    }

    public static string Text(IdleResult r)
    {
        var o = r.Options;
        var load = o.Load;
        var text = new StringBuilder();
        var resources = o.Accounts < o.Sessions ? string.Create(C, $" ({(o.Sessions + o.Accounts - 1) / o.Accounts} resources each at most)") : string.Empty;
        text.AppendLine(C, $"xmpp-idle {Endpoints(load)}: {o.Sessions} sessions over {o.Accounts} accounts{resources}, concurrency {load.Concurrency}, held {r.HeldSeconds:0.0} s{Sources(load)}");
        text.AppendLine(C, $"  login     {Transport(r.Logins.Encrypted)}, SASL {Mechanism(load)}, {Flow(r.Logins.Sasl2)}, initial presence until its echo; accounts {Made(load.Access)}{(load.Access.Register ? string.Create(C, $" in {r.SetupSeconds:0.0} s, before the baseline") : string.Empty)}");
        text.AppendLine(C, $"  logins    {r.Logins.Succeeded} online in {r.Logins.Seconds:0.00} s = {r.Logins.PerSecond:0} logins/s  {Percentiles(r.Logins.LatencyMicros)}");
        if (r.Server is { } s)
        {
            text.AppendLine(C, $"  server    pid {s.Pid}: VmRSS {Mb(s.Before.RssKb)} before the first login -> {Mb(s.Last.RssKb)} at the end of the hold (max {Mb(s.MaxRssKb)}); VmHWM {Mb(s.Before.HwmKb)} -> {Mb(s.Last.HwmKb)}");
            text.AppendLine(C, $"            = {PerSession(s.Last.RssKb - s.Before.RssKb, r.OnlineAtEnd):0.00} KB per session (at the end), {PerSession(s.MaxRssKb - s.Before.RssKb, r.OnlineAtEnd):0.00} KB (max), over {r.OnlineAtEnd} sessions online");
        }
        else
        {
            text.AppendLine("  server    memory not measured (no --server-pid)");
        }

        text.AppendLine(C, $"  errors    {r.Logins.ErrorCount + r.Disconnects} (failed logins {ErrorsText(r.Logins.Errors)}; disconnects during the hold {r.Disconnects}); server pings answered {r.PingsAnswered}");
        text.AppendLine(C, $"  the tool  VmRSS {Mb(r.ToolBefore.RssKb)} -> {Mb(r.ToolAfter.RssKb)} after a full GC = {PerSession(r.ToolAfter.RssKb - r.ToolBefore.RssKb, r.OnlineAtEnd):0.00} KB per session (live managed heap {PerSession(r.ToolHeapBytes / 1024, r.OnlineAtEnd):0.00} KB); {CpuShare(r.Logins.Cost):0.00} cores busy during the logins, {BytesPerMessage(r.Logins.Cost):0} B allocated per login");
        return text.ToString();
    }

    public static string Json(IdleResult r)
    {
        var o = r.Options;
        var load = o.Load;
        return Write(json =>
        {
            Label(json, load.Label);
            json.WriteString("target", "xmpp-idle");
            SessionFields(json, load, r.Logins.Encrypted, r.Logins.Sasl2);
            json.WriteNumber("sessions", o.Sessions);
            json.WriteNumber("accountCount", o.Accounts);
            json.WriteNumber("online", r.Logins.Succeeded);
            json.WriteNumber("onlineAtEnd", r.OnlineAtEnd);
            json.WriteNumber("holdSeconds", Math.Round(r.HeldSeconds, 2));
            json.WriteNumber("loginsPerSec", Math.Round(r.Logins.PerSecond, 1));
            json.WriteNumber("errors", r.Logins.ErrorCount + r.Disconnects);
            ErrorKinds(json, r.Logins.Errors);
            json.WriteNumber("disconnects", r.Disconnects);
            json.WriteNumber("pingsAnswered", r.PingsAnswered);
            if (r.Server is { } s)
            {
                json.WriteNumber("serverPid", s.Pid);
                json.WriteNumber("serverRssBeforeKb", s.Before.RssKb);
                json.WriteNumber("serverRssEndKb", s.Last.RssKb);
                json.WriteNumber("serverRssMaxKb", s.MaxRssKb);
                json.WriteNumber("serverHwmBeforeKb", s.Before.HwmKb);
                json.WriteNumber("serverHwmEndKb", s.Last.HwmKb);
                json.WriteNumber("serverKbPerSession", Math.Round(PerSession(s.Last.RssKb - s.Before.RssKb, r.OnlineAtEnd), 2));
                json.WriteNumber("serverKbPerSessionMax", Math.Round(PerSession(s.MaxRssKb - s.Before.RssKb, r.OnlineAtEnd), 2));
            }
            else
            {
                json.WriteNull("serverKbPerSession");
            }

            json.WriteNumber("toolKbPerSession", Math.Round(PerSession(r.ToolAfter.RssKb - r.ToolBefore.RssKb, r.OnlineAtEnd), 2));
            json.WriteNumber("toolHeapKbPerSession", Math.Round(PerSession(r.ToolHeapBytes / 1024, r.OnlineAtEnd), 2));
            json.WriteNumber("toolCores", Math.Round(CpuShare(r.Logins.Cost), 2));
            LatencyMs(json, r.Logins.LatencyMicros);
        });
    }

    private static void SessionFields(Utf8JsonWriter json, SessionLoad load, bool encrypted, bool sasl2)
    {
        json.WriteString("flow", sasl2 ? "sasl2-bind2" : "rfc6120");
        json.WriteStartArray("endpoints");
        foreach (var endpoint in load.Endpoints)
        {
            json.WriteStringValue(Endpoint(endpoint));
        }

        json.WriteEndArray();
        AccessJson(json, load.Access, encrypted);
        json.WriteNumber("concurrency", load.Concurrency);
        json.WriteNumber("sourceAddresses", load.Sources.Count);
    }

    private static void ErrorKinds(Utf8JsonWriter json, IReadOnlyDictionary<string, long> errors)
    {
        json.WriteStartObject("errorKinds");
        foreach (var (kind, count) in errors.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            json.WriteNumber(kind, count);
        }

        json.WriteEndObject();
    }

    private static string ErrorsText(IReadOnlyDictionary<string, long> errors) =>
        errors.Count == 0
            ? "0"
            : string.Create(C, $"{errors.Values.Sum()} ({string.Join(", ", errors.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => string.Create(C, $"{e.Key} {e.Value}")))})");

    private static Dictionary<string, long> Errors(IEnumerable<WaveResult> waves)
    {
        var all = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (kind, count) in waves.SelectMany(w => w.Errors))
        {
            all[kind] = all.GetValueOrDefault(kind) + count;
        }

        return all;
    }

    private static HistogramBase Merged(IReadOnlyList<WaveResult> waves)
    {
        var merged = waves[0].LatencyMicros.Copy();
        foreach (var wave in waves.Skip(1))
        {
            merged.Add(wave.LatencyMicros);
        }

        return merged;
    }

    private static ToolCost Sum(IReadOnlyList<WaveResult> waves) => new(
        waves.Sum(w => w.Cost.CpuSeconds), waves.Sum(w => w.Cost.WallSeconds), waves.Sum(w => w.Cost.AllocatedBytes), waves.Sum(w => w.Cost.Messages));

    private static double MedianRate(LoginResult r) => Median([.. r.Rounds.Select(w => w.PerSecond)]);

    private static bool Encrypted(LoginResult r) => r.FirstLogins.Encrypted || r.Rounds.Any(w => w.Encrypted);

    private static bool Sasl2(LoginResult r) => r.FirstLogins.Sasl2 || r.Rounds.Any(w => w.Sasl2);

    private static string Flow(bool sasl2) =>
        sasl2 ? "SASL2 with Bind 2 (XEP-0388/0386: no stream restart, resource bound in the authentication)" : "RFC 6120 (stream restart, bind)";

    private static string Endpoints(SessionLoad load) => string.Join(",", load.Endpoints.Select(Endpoint));

    private static string Sources(SessionLoad load) =>
        load.Sources.Count == 0 ? string.Empty : string.Create(C, $", from {load.Sources.Count} source address(es)");

    private static string Mechanism(SessionLoad load) =>
        load.Access.Sasl == SaslChoice.ScramSha1 ? "SCRAM-SHA-1 (salted password and keys cached after each account's first login)" : "PLAIN";


    private static double PerSession(long kb, int sessions) => sessions > 0 ? (double)kb / sessions : double.NaN;

    private static string Mb(long kb) => string.Create(C, $"{kb / 1024.0:0.0} MB");
}
