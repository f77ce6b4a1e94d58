using System.Globalization;
using System.Net;

namespace ZkFire.LoadTool.Xmpp;

/// <summary>The command line of <c>zkfire-load xmpp-presence ...</c>.</summary>
internal sealed record PresenceOptions
{
    /// <summary>User i connects to endpoint i mod the count: on a cluster, contacts then span nodes.</summary>
    public IReadOnlyList<DnsEndPoint> Endpoints { get; init; } = [new("127.0.0.1", 5222)];

    public XmppAccess Access { get; init; } = new();

    public int Users { get; init; } = 100;

    public int Contacts { get; init; } = 10;

    public string UserPrefix { get; init; } = "presence";

    /// <summary>Total presence changes per second over all users; null: as fast as the windows allow.</summary>
    public double? Rate { get; init; }

    /// <summary>Broadcasts sent and not yet received by every contact, per user, at most.</summary>
    public int Window { get; init; } = 4;

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Bound on each setup step: registration, subscriptions, the logins with their initial presence.</summary>
    public TimeSpan SetupTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>How long presence still in flight after the run may take to arrive before it counts as missing.</summary>
    public TimeSpan Grace { get; init; } = TimeSpan.FromSeconds(5);

    public string? Label { get; init; }

    public string UserName(int user) => string.Create(CultureInfo.InvariantCulture, $"{UserPrefix}-u{user}");

    public DnsEndPoint EndpointOf(int user) => Endpoints[user % Endpoints.Count];

    public static string Usage => $"""
        usage: zkfire-load xmpp-presence [options]
          --endpoint H:P           where users connect (default 127.0.0.1:5222); repeat it for the nodes of a
                                   cluster: user I connects to endpoint I mod their count
          --users N                accounts PREFIX-uI, I = 0..N-1 (default 100)
          --contacts K             roster contacts per user, mutual (subscription both) (default 10): I's contacts
                                   are I±1 .. I±K/2 mod N and, for an odd K, I+N/2 (then N must be even)
          --user-prefix P          account name prefix: lowercase letters, digits, '.', '_', '-' (default presence)
          --rate N/s               total offered presence changes per second, handed to the users in turn;
                                   without it every user keeps --window changes in flight: the maximum rate
          --window W               broadcasts in flight (sent, not yet received by all K contacts) per user (default 4)
          --duration T             measured time (default 10s)
          --warmup T               unmeasured time before it (default 2s)
          --setup-timeout T        bound on each setup step: registration, subscriptions, logins with initial
                                   presence (default 120s)
          --grace T                how long presence in flight at the end may take to arrive (default 5s)
          --label TEXT             copied into the JSON summary
        {XmppAccess.Usage}
        Setup: each user logs in, makes its roster exactly its K contacts (presence subscribe/subscribed both ways,
        other items removed) and the tool waits until every roster (roster get) shows all of them with subscription
        both; a rerun with the same prefix, users and contacts finds the rosters done. Those sessions end; every user
        logs in again and sends initial presence, and the run starts once each has received available presence from
        all its contacts. Then users change presence (show away/dnd alternately, status carrying the send time);
        deliveries to contacts count (not the server's echo to the sender), with latency from send to receipt.
        Prints a progress line a second (stderr), a report and, as the last line, a one-line JSON summary.
        """;

    public static PresenceOptions Parse(IReadOnlyList<string> args)
    {
        var options = new PresenceOptions();
        var access = options.Access;
        var endpoints = new List<DnsEndPoint>();
        XmppAccess.ForEachOption(args, (name, value) =>
        {
            if (XmppAccess.TryApply(ref access, name, value))
            {
                return;
            }

            if (name == "--endpoint")
            {
                endpoints.Add(XmppAccess.Endpoint(name, value()));
                return;
            }

            options = name switch
            {
                "--users" => options with { Users = XmppAccess.Positive(name, value()) },
                "--contacts" => options with { Contacts = XmppAccess.Positive(name, value()) },
                "--user-prefix" => options with { UserPrefix = Prefix(name, value()) },
                "--rate" => options with { Rate = MessagingOptions.ParseRate(name, value()) },
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

        // Checks the layout now rather than after the setup.
        _ = new ContactRing(options.Users, options.Contacts);
        return options with { Access = access, Endpoints = endpoints.Count > 0 ? endpoints : options.Endpoints };
    }

    /// <summary>
    /// Servers lowercase the local part of a JID (RFC 7622), and presence is recognised by its exact <c>from</c>, so
    /// the prefix must already be in the form the server writes back.
    /// </summary>
    private static string Prefix(string name, string value) =>
        value.Length > 0 && value.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '_' or '-')
            ? value
            : throw new ArgumentException($"{name} must be lowercase letters, digits, '.', '_' or '-', not {value}");
}
