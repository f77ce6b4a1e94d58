using System.Globalization;

namespace ZkFire.LoadTool;

internal enum Workload
{
    Create,
    Set,
    Get,
    Mixed,
}

/// <summary>How the sessions use a connect string naming several servers.</summary>
internal enum Spread
{
    /// <summary>Every session gets the whole list and, like any client, settles on a server at random.</summary>
    All,

    /// <summary>Session i connects to server i mod N only: an even spread over an ensemble's members.</summary>
    RoundRobin,
}

/// <summary>The command line of <c>zkfire-load zk ...</c>.</summary>
internal sealed record LoadOptions
{
    public string Connect { get; init; } = "127.0.0.1:2181";

    public Workload Workload { get; init; } = Workload.Get;

    public int Sessions { get; init; } = 8;

    public int Outstanding { get; init; } = 64;

    public int Payload { get; init; } = 100;

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(2);

    public double ReadRatio { get; init; } = 0.9;

    public int Nodes { get; init; } = 1000;

    public Spread Spread { get; init; } = Spread.All;

    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long setup and cleanup may take each; a stuck server must not hang the run.</summary>
    public TimeSpan PhaseTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Requests still unanswered this long after the end of the run are abandoned and counted as errors.</summary>
    public TimeSpan Grace { get; init; } = TimeSpan.FromSeconds(10);

    public string? Label { get; init; }

    public const string Usage = """
        usage: zkfire-load zk [options]
          --connect HOST:PORT      ZooKeeper server, or a connect string naming several (default 127.0.0.1:2181)
          --spread S               all: every session gets the whole connect string (default);
                                   round-robin: session i connects to its server i mod N only
          --workload W             create | set | get | mixed (default get)
          --sessions N             client sessions (default 8)
          --outstanding N          requests in flight per session (default 64)
          --payload BYTES          data size of created/set nodes (default 100)
          --duration T             measured time, e.g. 10s, 500ms, 1m (default 10s)
          --warmup T               unmeasured time before it (default 2s)
          --read-ratio R           share of reads in mixed (default 0.9)
          --nodes N                pre-created nodes for set/get/mixed (default 1000)
          --session-timeout T      negotiated session timeout asked for (default 30s)
          --phase-timeout T        bound on setup and on cleanup (default 120s)
          --label TEXT             copied into the JSON summary
        Prints a report and, as the last line, a one-line JSON summary.
        """;

    public static LoadOptions Parse(IReadOnlyList<string> args)
    {
        if (args.Count == 0 || args[0] != "zk")
        {
            throw new ArgumentException("the first argument must be the target kind: zk");
        }

        var options = new LoadOptions();
        for (var i = 1; i < args.Count; i++)
        {
            var name = args[i];
            if (i + 1 >= args.Count)
            {
                throw new ArgumentException($"{name} needs a value");
            }

            var value = args[++i];
            options = name switch
            {
                "--connect" => options with { Connect = value },
                "--workload" => options with { Workload = ParseWorkload(value) },
                "--sessions" => options with { Sessions = Positive(name, value) },
                "--outstanding" => options with { Outstanding = Positive(name, value) },
                "--payload" => options with { Payload = NonNegative(name, value) },
                "--duration" => options with { Duration = ParseTime(name, value, allowZero: false) },
                "--warmup" => options with { Warmup = ParseTime(name, value, allowZero: true) },
                "--read-ratio" => options with { ReadRatio = Ratio(name, value) },
                "--nodes" => options with { Nodes = Positive(name, value) },
                "--spread" => options with { Spread = ParseSpread(value) },
                "--session-timeout" => options with { SessionTimeout = ParseTime(name, value, allowZero: false) },
                "--phase-timeout" => options with { PhaseTimeout = ParseTime(name, value, allowZero: false) },
                "--label" => options with { Label = value },
                _ => throw new ArgumentException($"unknown option {name}"),
            };
        }

        // A run must end: an hour is far beyond any sensible benchmark and keeps typos (10h) from hogging the machine.
        if (options.Duration + options.Warmup > TimeSpan.FromHours(1))
        {
            throw new ArgumentException("--duration plus --warmup must stay under an hour");
        }

        return options;
    }

    private static Workload ParseWorkload(string value) => value switch
    {
        "create" => Workload.Create,
        "set" => Workload.Set,
        "get" => Workload.Get,
        "mixed" => Workload.Mixed,
        _ => throw new ArgumentException($"unknown workload {value} (create, set, get, mixed)"),
    };

    /// <summary>One server of a connect string, written back as a connect string.</summary>
    internal static string Address((string Host, int Port) server)
    {
        var host = server.Host.Contains(':', StringComparison.Ordinal) ? $"[{server.Host}]" : server.Host;
        return string.Create(CultureInfo.InvariantCulture, $"{host}:{server.Port}");
    }

    private static Spread ParseSpread(string value) => value switch
    {
        "all" => Spread.All,
        "round-robin" => Spread.RoundRobin,
        _ => throw new ArgumentException($"unknown spread {value} (all, round-robin)"),
    };

    private static int Positive(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new ArgumentException($"{name} must be a positive integer, not {value}");

    private static int NonNegative(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new ArgumentException($"{name} must be a non-negative integer, not {value}");

    private static double Ratio(string name, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var r) && r is >= 0 and <= 1
            ? r
            : throw new ArgumentException($"{name} must be between 0 and 1, not {value}");

    internal static TimeSpan ParseTime(string name, string value, bool allowZero)
    {
        var (number, unit) = value switch
        {
            _ when value.EndsWith("ms", StringComparison.Ordinal) => (value[..^2], 0.001),
            _ when value.EndsWith('s') => (value[..^1], 1.0),
            _ when value.EndsWith('m') => (value[..^1], 60.0),
            _ => (value, 1.0),
        };
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var amount)
            || amount < 0 || (amount == 0 && !allowZero) || double.IsInfinity(amount) || amount * unit > 86_400)
        {
            throw new ArgumentException($"{name} must be a time such as 10s, 500ms or 1m, not {value}");
        }

        return TimeSpan.FromSeconds(amount * unit);
    }
}
