using System.Globalization;
using System.Net;

namespace ZkFire.LoadTool.Xmpp;

/// <summary>How the tool reaches and logs in to an XMPP service: shared by every XMPP workload.</summary>
internal sealed record XmppAccess
{
    public string Domain { get; init; } = "localhost";

    public SaslChoice Sasl { get; init; } = SaslChoice.ScramSha1;

    public TlsChoice Tls { get; init; } = TlsChoice.Auto;

    /// <summary>Log in with SASL2 and Bind 2 (XEP-0388/0386) where the server offers them, as modern clients do.</summary>
    public bool Sasl2 { get; init; } = true;

    public string Password { get; init; } = "zkfire-load";

    /// <summary>Register the accounts in-band (XEP-0077) first instead of expecting them to exist.</summary>
    public bool Register { get; init; }

    /// <summary>The server's process, read from /proc (its CPU time, and for xmpp-idle its memory); null: not read.</summary>
    public int? ServerPid { get; init; }

    public const string Usage = """
          --domain D               the service's domain (default localhost)
          --sasl M                 scram-sha-1 (default) | plain (PLAIN is offered only over TLS, so it implies STARTTLS)
          --tls T                  auto: plain TCP when the server lets loopback clients skip STARTTLS, else STARTTLS
                                   (default); starttls: always STARTTLS (certificates are not verified)
          --sasl2 S                auto: SASL2 with Bind 2 (XEP-0388/0386: no stream restart, the resource bound in the
                                   authentication) when the server offers both, else RFC 6120 (default); off: RFC 6120
          --password P             every account's password (default zkfire-load)
          --register               create the accounts by in-band registration (XEP-0077; needs <registration>open);
                                   without it they must exist already (zkfire adduser); existing ones are kept
          --server-pid PID         the server's process (same machine): its CPU time in the measured time, from
                                   /proc/PID/stat, gives the server's work per CPU-second; xmpp-idle reads its
                                   VmRSS and VmHWM (/proc/PID/status) for the memory per session
        """;

    /// <summary>Applies <paramref name="name"/> if it is an access option; false when it is not one.</summary>
    public static bool TryApply(ref XmppAccess access, string name, Func<string> value)
    {
        switch (name)
        {
            case "--domain":
                access = access with { Domain = value() };
                return true;
            case "--sasl":
                access = access with { Sasl = value() switch
                {
                    "scram-sha-1" => SaslChoice.ScramSha1,
                    "plain" => SaslChoice.Plain,
                    var other => throw new ArgumentException($"unknown SASL mechanism {other} (scram-sha-1, plain)"),
                } };
                return true;
            case "--tls":
                access = access with { Tls = value() switch
                {
                    "auto" => TlsChoice.Auto,
                    "starttls" => TlsChoice.StartTls,
                    var other => throw new ArgumentException($"unknown TLS choice {other} (auto, starttls)"),
                } };
                return true;
            case "--sasl2":
                access = access with { Sasl2 = value() switch
                {
                    "auto" => true,
                    "off" => false,
                    var other => throw new ArgumentException($"unknown SASL2 choice {other} (auto, off)"),
                } };
                return true;
            case "--password":
                access = access with { Password = value() };
                return true;
            case "--register":
                access = access with { Register = true };
                return true;
            case "--server-pid":
                access = access with { ServerPid = Positive(name, value()) };
                return true;
            default:
                return false;
        }
    }

    public static string SaslName(SaslChoice sasl) => sasl == SaslChoice.Plain ? "PLAIN" : "SCRAM-SHA-1";

    public static DnsEndPoint Endpoint(string name, string value)
    {
        var colon = value.LastIndexOf(':');
        return colon > 0 && int.TryParse(value.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536
            ? new DnsEndPoint(value[..colon].Trim('[', ']'), port)
            : throw new ArgumentException($"{name} must be host:port, not {value}");
    }

    public static int Positive(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new ArgumentException($"{name} must be a positive integer, not {value}");

    /// <summary>Walks <c>--name value</c> pairs (and the bare <c>--register</c>) after the workload name.</summary>
    public static void ForEachOption(IReadOnlyList<string> args, Action<string, Func<string>> apply)
    {
        for (var i = 1; i < args.Count; i++)
        {
            var name = args[i];
            var consumed = false;
            apply(name, () =>
            {
                if (consumed || i + 1 >= args.Count)
                {
                    throw new ArgumentException($"{name} needs a value");
                }

                consumed = true;
                return args[++i];
            });
        }
    }
}

/// <summary>The command line of <c>zkfire-load xmpp-messaging ...</c>.</summary>
internal sealed record MessagingOptions
{
    public DnsEndPoint SenderEndpoint { get; init; } = new("127.0.0.1", 5222);

    public DnsEndPoint ReceiverEndpoint { get; init; } = new("127.0.0.1", 5222);

    public XmppAccess Access { get; init; } = new();

    public int Pairs { get; init; } = 10;

    public string UserPrefix { get; init; } = "load";

    /// <summary>Total offered messages per second over all pairs; null: as fast as the windows allow.</summary>
    public double? Rate { get; init; }

    /// <summary>Messages sent and neither delivered nor bounced, per pair, at most.</summary>
    public int Window { get; init; } = 32;

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Bound on registration, logins and route probing.</summary>
    public TimeSpan SetupTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long messages still in flight after the run may take to arrive before they count as lost.</summary>
    public TimeSpan Grace { get; init; } = TimeSpan.FromSeconds(5);

    public string? Label { get; init; }

    public string SenderName(int pair) => string.Create(CultureInfo.InvariantCulture, $"{UserPrefix}-s{pair}");

    public string ReceiverName(int pair) => string.Create(CultureInfo.InvariantCulture, $"{UserPrefix}-r{pair}");

    public static string Usage => $"""
        usage: zkfire-load xmpp-messaging [options]
          --sender-endpoint H:P    where the senders connect (default 127.0.0.1:5222)
          --receiver-endpoint H:P  where the receivers connect (default 127.0.0.1:5222); another node of the cluster
                                   for cross-node numbers
          --pairs N                sender/receiver pairs, accounts PREFIX-sI and PREFIX-rI (default 10)
          --user-prefix P          account name prefix (default load)
          --rate N/s               total offered messages per second, spread evenly over the pairs; without it
                                   every pair sends as fast as its window allows
          --window N               messages in flight (sent, not yet delivered or bounced) per pair (default 32)
          --duration T             measured time (default 10s)
          --warmup T               unmeasured time before it (default 2s)
          --setup-timeout T        bound on registration, logins and route probing (default 60s)
          --grace T                how long messages in flight at the end may take to arrive (default 5s)
          --label TEXT             copied into the JSON summary
        {XmppAccess.Usage}
        Each receiver logs in (bind, initial presence), then each sender; a probe message per pair waits until the
        sender's node routes to the receiver's session. Senders then send chat messages to their receiver's full JID
        whose body carries the send time; latency is from send to receipt. Prints a progress line a second (stderr), a
        report and, as the last line, a one-line JSON summary.
        """;

    public static MessagingOptions Parse(IReadOnlyList<string> args)
    {
        var options = new MessagingOptions();
        var access = options.Access;
        XmppAccess.ForEachOption(args, (name, value) =>
        {
            if (XmppAccess.TryApply(ref access, name, value))
            {
                return;
            }

            options = name switch
            {
                "--sender-endpoint" => options with { SenderEndpoint = XmppAccess.Endpoint(name, value()) },
                "--receiver-endpoint" => options with { ReceiverEndpoint = XmppAccess.Endpoint(name, value()) },
                "--pairs" => options with { Pairs = XmppAccess.Positive(name, value()) },
                "--user-prefix" => options with { UserPrefix = value() },
                "--rate" => options with { Rate = ParseRate(name, value()) },
                "--window" => options with { Window = XmppAccess.Positive(name, value()) },
                "--duration" => options with { Duration = LoadOptions.ParseTime(name, value(), allowZero: false) },
                "--warmup" => options with { Warmup = LoadOptions.ParseTime(name, value(), allowZero: true) },
                "--setup-timeout" => options with { SetupTimeout = LoadOptions.ParseTime(name, value(), allowZero: false) },
                "--grace" => options with { Grace = LoadOptions.ParseTime(name, value(), allowZero: false) },
                "--label" => options with { Label = value() },
                _ => throw new ArgumentException($"unknown option {name}"),
            };
        });

        if (options.Duration + options.Warmup > TimeSpan.FromHours(1))
        {
            throw new ArgumentException("--duration plus --warmup must stay under an hour");
        }

        return options with { Access = access };
    }

    internal static double ParseRate(string name, string value)
    {
        var number = value.EndsWith("/s", StringComparison.Ordinal) ? value[..^2] : value;
        return double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var rate) && rate > 0 && rate <= 10_000_000
            ? rate
            : throw new ArgumentException($"{name} must be a rate per second such as 2000/s, not {value}");
    }
}

/// <summary>The command line of <c>zkfire-load xmpp-crash ...</c>.</summary>
internal sealed record CrashOptions
{
    public DnsEndPoint VictimEndpoint { get; init; } = new("127.0.0.1", 5222);

    public DnsEndPoint SurvivorEndpoint { get; init; } = new("127.0.0.1", 5222);

    public XmppAccess Access { get; init; } = new();

    public int? Pid { get; init; }

    public string? PidFile { get; init; }

    public int Repeat { get; init; } = 1;

    public string UserPrefix { get; init; } = "crash";

    /// <summary>The cluster's configured session timeout, only to print next to the measurement.</summary>
    public TimeSpan? SessionTimeout { get; init; }

    /// <summary>Bound on each round: logging in (the victim may still be rejoining) and waiting for the presence.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(90);

    public string? Label { get; init; }

    public string UserA => UserPrefix + "-a";

    public string UserB => UserPrefix + "-b";

    public static string Usage => $"""
        usage: zkfire-load xmpp-crash --victim-endpoint H:P --survivor-endpoint H:P (--pid PID | --pid-file F) [options]
          --victim-endpoint H:P    the node to kill; user A logs in there
          --survivor-endpoint H:P  another node of the cluster; user B logs in there
          --pid PID                the victim node's process id (one round)
          --pid-file F             a file holding it, read again before each round: the caller restarts the victim
                                   between rounds and writes the new pid; logins are retried until it serves again
          --repeat N               rounds (default 1; more need --pid-file)
          --user-prefix P          accounts PREFIX-a and PREFIX-b (default crash)
          --session-timeout T      the cluster's configured session timeout, printed with the result
          --timeout T              bound on each round (default 90s)
          --label TEXT             copied into the JSON summary
        {XmppAccess.Usage}
        A and B become mutual subscribers (roster items, subscribe/subscribed) and send initial presence; once B sees
        A available, the victim gets SIGKILL and the tool measures until B receives unavailable presence from A's
        session. Prints each round and, as the last line, a one-line JSON summary.
        """;

    public static CrashOptions Parse(IReadOnlyList<string> args)
    {
        var options = new CrashOptions();
        var access = options.Access;
        var victim = false;
        var survivor = false;
        XmppAccess.ForEachOption(args, (name, value) =>
        {
            if (XmppAccess.TryApply(ref access, name, value))
            {
                return;
            }

            options = name switch
            {
                "--victim-endpoint" => options with { VictimEndpoint = XmppAccess.Endpoint(name, value()) },
                "--survivor-endpoint" => options with { SurvivorEndpoint = XmppAccess.Endpoint(name, value()) },
                "--pid" => options with { Pid = XmppAccess.Positive(name, value()) },
                "--pid-file" => options with { PidFile = value() },
                "--repeat" => options with { Repeat = XmppAccess.Positive(name, value()) },
                "--user-prefix" => options with { UserPrefix = value() },
                "--session-timeout" => options with { SessionTimeout = LoadOptions.ParseTime(name, value(), allowZero: false) },
                "--timeout" => options with { Timeout = LoadOptions.ParseTime(name, value(), allowZero: false) },
                "--label" => options with { Label = value() },
                _ => throw new ArgumentException($"unknown option {name}"),
            };
            victim |= name == "--victim-endpoint";
            survivor |= name == "--survivor-endpoint";
        });

        if (!victim || !survivor)
        {
            throw new ArgumentException("--victim-endpoint and --survivor-endpoint are required");
        }

        if ((options.Pid is null) == (options.PidFile is null))
        {
            throw new ArgumentException("give exactly one of --pid and --pid-file");
        }

        if (options.Repeat > 1 && options.PidFile is null)
        {
            throw new ArgumentException("--repeat above 1 needs --pid-file: the victim gets a new pid each time it is restarted");
        }

        return options with { Access = access };
    }
}
