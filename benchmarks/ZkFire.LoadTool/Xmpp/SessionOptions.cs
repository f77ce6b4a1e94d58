using System.Globalization;
using System.Net;

namespace ZkFire.LoadTool.Xmpp;

/// <summary>What <c>xmpp-login</c> and <c>xmpp-idle</c> share: where sessions connect, from where, and how they log in.</summary>
internal sealed record SessionLoad
{
    public IReadOnlyList<DnsEndPoint> Endpoints { get; init; } = [new("127.0.0.1", 5222)];

    public XmppAccess Access { get; init; } = new();

    /// <summary>Accounts <c>PREFIX-0</c> .. <c>PREFIX-(N-1)</c>; null: as many as the workload has sessions.</summary>
    public int? Accounts { get; init; }

    /// <summary>Logins (and registrations) in flight at most.</summary>
    public int Concurrency { get; init; } = 100;

    public string UserPrefix { get; init; } = "login";

    /// <summary>Local addresses the connections are made from, round-robin; empty: the system's choice.</summary>
    public IReadOnlyList<IPAddress> Sources { get; init; } = [];

    /// <summary>Bound on registration and, for <c>xmpp-login</c>, the unmeasured first login of every account.</summary>
    public TimeSpan SetupTimeout { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>Bound on one login, connect to presence echo; a login taking longer counts as an error.</summary>
    public TimeSpan LoginTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public string? Label { get; init; }

    public string AccountName(int account) => string.Create(CultureInfo.InvariantCulture, $"{UserPrefix}-{account}");

    public const string Usage = """
          --endpoint H:P           where sessions connect (default 127.0.0.1:5222); repeat it for several nodes of a
                                   cluster: session i goes to endpoint i mod E
          --concurrency C          logins (and registrations) in flight at most (default 100)
          --user-prefix P          accounts P-0 .. P-(N-1) (default login for xmpp-login, idle for xmpp-idle)
          --sources A,B,...        local addresses to connect from, round-robin (each has ~28,000 ephemeral ports)
          --source-count K         the same as --sources 127.0.0.1,...,127.0.0.K
          --setup-timeout T        bound on the unmeasured setup: registration, and xmpp-login's first logins (default 300s)
          --login-timeout T        bound on one login, connect to presence echo; slower ones are errors (default 30s)
          --label TEXT             copied into the JSON summary
        """;

    /// <summary>
    /// Fails at once when <paramref name="connections"/> need more ephemeral ports than the sources have: each source
    /// address (or the system's choice, per endpoint) has the range in <c>ip_local_port_range</c>, about 28,000.
    /// </summary>
    public void RequireEphemeralPorts(int connections)
    {
        var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
        var ports = int.Parse(range[1], CultureInfo.InvariantCulture) - int.Parse(range[0], CultureInfo.InvariantCulture) + 1;
        var spread = Sources.Count > 0 ? Sources.Count : Endpoints.Count;
        if (connections > (long)ports * spread)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{connections} connections need more than the {ports} ephemeral ports (/proc/sys/net/ipv4/ip_local_port_range) of {spread} source address(es): add --source-count {(connections + ports - 1) / ports}"));
        }
    }

    /// <summary>Applies <paramref name="name"/> if it is one of these options (or an access option); false when it is not.</summary>
    public static bool TryApply(ref SessionLoad load, ref bool endpointGiven, string name, Func<string> value)
    {
        var access = load.Access;
        if (XmppAccess.TryApply(ref access, name, value))
        {
            load = load with { Access = access };
            return true;
        }

        switch (name)
        {
            case "--endpoint":
                var endpoint = XmppAccess.Endpoint(name, value());
                load = load with { Endpoints = endpointGiven ? [.. load.Endpoints, endpoint] : [endpoint] };
                endpointGiven = true;
                return true;
            case "--accounts":
                load = load with { Accounts = XmppAccess.Positive(name, value()) };
                return true;
            case "--concurrency":
                load = load with { Concurrency = XmppAccess.Positive(name, value()) };
                return true;
            case "--user-prefix":
                load = load with { UserPrefix = value() };
                return true;
            case "--sources":
                load = load with { Sources = ParseSources(name, value()) };
                return true;
            case "--source-count":
                var count = XmppAccess.Positive(name, value());
                load = count <= 254
                    ? load with { Sources = [.. Enumerable.Range(1, count).Select(i => new IPAddress([127, 0, 0, (byte)i]))] }
                    : throw new ArgumentException($"{name} goes up to 254 (127.0.0.1 .. 127.0.0.254)");
                return true;
            case "--setup-timeout":
                load = load with { SetupTimeout = LoadOptions.ParseTime(name, value(), allowZero: false) };
                return true;
            case "--login-timeout":
                load = load with { LoginTimeout = LoadOptions.ParseTime(name, value(), allowZero: false) };
                return true;
            case "--label":
                load = load with { Label = value() };
                return true;
            default:
                return false;
        }
    }

    private static IPAddress[] ParseSources(string name, string value) =>
        [.. value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(a =>
            IPAddress.TryParse(a, out var address) ? address : throw new ArgumentException($"{name}: {a} is not an IP address"))];
}

/// <summary>The command line of <c>zkfire-load xmpp-login ...</c>.</summary>
internal sealed record LoginOptions
{
    public SessionLoad Load { get; init; } = new();

    /// <summary>Measured rounds; every account logs in once per round.</summary>
    public int Rounds { get; init; } = 1;

    public int Accounts => Load.Accounts ?? 1000;

    public static string Usage => $"""
        usage: zkfire-load xmpp-login --endpoint H:P [--endpoint H:P ...] --accounts N --concurrency C [options]
          --accounts N             accounts logging in, each once per round (default 1000)
          --rounds R               measured rounds (default 1)
        {SessionLoad.Usage}
        {XmppAccess.Usage}
        A login storm. After registration (with --register) every account logs in once unmeasured, which lets the tool
        cache its SCRAM salted password and keys as clients may (RFC 5802), and logs out. Then, each round, every account logs
        in with at most C logins in flight: connect, stream, STARTTLS when chosen, SASL, bind, session when the server
        requires it, initial presence; a login is done when the server's copy of that presence comes back. Reports
        logins/s (accounts / first connect to last echo), login latency and errors by kind per round; the sessions are
        closed (</stream:stream>) after each round. A progress line a second (stderr), a report and, as the last
        line, a one-line JSON summary.
        """;

    public static LoginOptions Parse(IReadOnlyList<string> args)
    {
        var options = new LoginOptions();
        var load = options.Load;
        var endpointGiven = false;
        XmppAccess.ForEachOption(args, (name, value) =>
        {
            if (!SessionLoad.TryApply(ref load, ref endpointGiven, name, value))
            {
                options = name switch
                {
                    "--rounds" => options with { Rounds = XmppAccess.Positive(name, value()) },
                    _ => throw new ArgumentException($"unknown option {name}"),
                };
            }
        });

        return options with { Load = load };
    }
}

/// <summary>The command line of <c>zkfire-load xmpp-idle ...</c>.</summary>
internal sealed record IdleOptions
{
    public SessionLoad Load { get; init; } = new() { UserPrefix = "idle" };

    public int Sessions { get; init; } = 1000;

    public TimeSpan Hold { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Sessions are spread over this many accounts, several resources each when fewer than the sessions.</summary>
    public int Accounts => Load.Accounts ?? Sessions;

    public static string Usage => $"""
        usage: zkfire-load xmpp-idle --endpoint H:P --sessions N [--server-pid PID] [options]
          --sessions N             sessions to hold (default 1000)
          --accounts M             accounts they use, session i as account i mod M with resource s<i> (default N)
          --hold T                 how long the sessions are held once all are online (default 10s)
        {SessionLoad.Usage}
        {XmppAccess.Usage}
        Logs in N sessions (bind, initial presence, its echo) with at most C logins in flight and holds them, answering
        the server's pings (XEP-0199); a session the server drops counts as an error. The server's resident memory is
        read after registration and before the first login, then once a second while the sessions are held: memory
        per session = (RSS at the end - RSS before) / sessions online. The tool's own RSS per session is reported too.
        The .NET runtime raises the tool's open-file soft limit to the hard limit at start; the tool refuses to start
        when N connections do not fit under it, naming the limit.
        """;

    public static IdleOptions Parse(IReadOnlyList<string> args)
    {
        var options = new IdleOptions();
        var load = options.Load;
        var endpointGiven = false;
        XmppAccess.ForEachOption(args, (name, value) =>
        {
            if (!SessionLoad.TryApply(ref load, ref endpointGiven, name, value))
            {
                options = name switch
                {
                    "--sessions" => options with { Sessions = XmppAccess.Positive(name, value()) },
                    "--hold" => options with { Hold = LoadOptions.ParseTime(name, value(), allowZero: false) },
                    _ => throw new ArgumentException($"unknown option {name}"),
                };
            }
        });

        options = options with { Load = load };
        if (options.Accounts > options.Sessions)
        {
            throw new ArgumentException("--accounts must not exceed --sessions");
        }

        if (options.Hold > TimeSpan.FromHours(1))
        {
            throw new ArgumentException("--hold must stay under an hour");
        }

        return options;
    }
}
