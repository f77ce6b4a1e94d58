using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using ZkFire.Jute;
using ZkFire.ZooKeeper.Client;

namespace ZkFire.LoadTool;

/// <summary>The command line of <c>zkfire-load zk-failover ...</c>.</summary>
internal sealed record FailoverOptions
{
    public IReadOnlyList<(string Host, int Port)> Members { get; init; } = [];

    public IReadOnlyList<int> Pids { get; init; } = [];

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    public TimeSpan Interval { get; init; } = TimeSpan.FromMilliseconds(50);

    public string? Label { get; init; }

    public const string Usage = """
        usage: zkfire-load zk-failover --members HOST:PORT,... --pids PID,... [options]
          --members LIST           every member's client address
          --pids LIST              each member's process id, in the order of --members
          --timeout T              give up if no write succeeds within this (default 60s)
          --interval T             how often a new probe starts until one succeeds (default 50ms)
          --label TEXT             copied into the JSON summary
        Finds the leader (srvr), sends it SIGKILL, and measures the time from the kill until a write through a
        surviving member is acknowledged. Each probe is a fresh session on that survivor setting one node, so no
        client reconnect back-off is counted. Prints a report and, as the last line, a one-line JSON summary.
        """;

    public static FailoverOptions Parse(IReadOnlyList<string> args)
    {
        var options = new FailoverOptions();
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
                "--members" => options with { Members = ConnectString.Parse(value).Hosts },
                "--pids" => options with { Pids = [.. value.Split(',').Select(pid => ParsePid(name, pid))] },
                "--timeout" => options with { Timeout = LoadOptions.ParseTime(name, value, allowZero: false) },
                "--interval" => options with { Interval = LoadOptions.ParseTime(name, value, allowZero: false) },
                "--label" => options with { Label = value },
                _ => throw new ArgumentException($"unknown option {name}"),
            };
        }

        if (options.Members.Count < 2 || options.Members.Count != options.Pids.Count)
        {
            throw new ArgumentException("--members and --pids must name the same members, at least two");
        }

        return options;
    }

    private static int ParsePid(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid > 0
            ? pid
            : throw new ArgumentException($"{name} must list positive process ids, not {value}");
}

/// <summary>What one failover measured; members are numbered from 1 in the order of <c>--members</c>.</summary>
internal sealed record FailoverResult(FailoverOptions Options, int KilledMember, int ProbedMember, TimeSpan Failover, int Probes, int? NewLeader);

/// <summary>
/// Kills the leader of a running ensemble and measures how long the ensemble takes to accept a write again through
/// a member that survived. Probes overlap (a new one every interval, each bounded), so a probe stuck on a member
/// that is still electing cannot delay the answer by more than the interval.
/// </summary>
internal sealed class FailoverProbe(FailoverOptions options)
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan SessionTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ModeTimeout = TimeSpan.FromSeconds(2);

    private readonly string _node = string.Create(
        CultureInfo.InvariantCulture, $"/zkfire-failover-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}");

    public async Task<FailoverResult> RunAsync(CancellationToken cancellationToken)
    {
        var modes = await ModesAsync(Enumerable.Range(1, options.Members.Count), cancellationToken);
        var leaders = modes.Where(m => m.Value == "leader").Select(m => m.Key).ToList();
        if (leaders.Count != 1 || modes.Values.Any(m => m is not ("leader" or "follower")))
        {
            throw new InvalidOperationException($"the ensemble is not serving with one leader: {Describe(modes)}");
        }

        var killed = leaders[0];
        var probed = modes.Keys.Where(m => m != killed).Min();
        var survivor = Address(probed);
        await using (var setup = await ConnectAsync(survivor, cancellationToken))
        {
            await setup.CreateAsync(_node, null, WellKnownAcls.OpenAclUnsafe, CreateMode.Persistent, cancellationToken: cancellationToken);
        }

        var clock = Stopwatch.StartNew();
        using (var leader = Process.GetProcessById(options.Pids[killed - 1]))
        {
            leader.Kill();
        }

        var (failover, probes) = await FirstWriteAsync(survivor, clock, cancellationToken);
        var after = await ModesAsync(modes.Keys.Where(m => m != killed), cancellationToken);
        var newLeader = after.Where(m => m.Value == "leader").Select(m => (int?)m.Key).SingleOrDefault();
        await using (var cleanup = await ConnectAsync(survivor, cancellationToken))
        {
            await cleanup.DeleteAsync(_node, cancellationToken: cancellationToken);
        }

        return new FailoverResult(options, killed, probed, failover, probes, newLeader);
    }

    public static string Text(FailoverResult r)
    {
        var leader = r.NewLeader is { } id ? $"member {id}" : "unknown";
        return string.Create(CultureInfo.InvariantCulture,
            $"zk-failover: killed leader member {r.KilledMember} (pid {r.Options.Pids[r.KilledMember - 1]}); first write through member {r.ProbedMember} acknowledged {r.Failover.TotalMilliseconds:0.0} ms after the kill ({r.Probes} probes); new leader {leader}\n");
    }

    public static string Json(FailoverResult r)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (r.Options.Label is not null)
            {
                json.WriteString("label", r.Options.Label);
            }

            json.WriteString("target", "zk-failover");
            json.WriteNumber("killedMember", r.KilledMember);
            json.WriteNumber("killedPid", r.Options.Pids[r.KilledMember - 1]);
            json.WriteNumber("probedMember", r.ProbedMember);
            json.WriteNumber("failoverMs", Math.Round(r.Failover.TotalMilliseconds, 1));
            json.WriteNumber("probes", r.Probes);
            if (r.NewLeader is { } newLeader)
            {
                json.WriteNumber("newLeader", newLeader);
            }
            else
            {
                json.WriteNull("newLeader");
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private async Task<(TimeSpan Failover, int Probes)> FirstWriteAsync(string survivor, Stopwatch clock, CancellationToken cancellationToken)
    {
        var first = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stop.CancelAfter(options.Timeout);
        var probes = new List<Task>();
        try
        {
            while (!first.Task.IsCompleted)
            {
                stop.Token.ThrowIfCancellationRequested();
                probes.Add(ProbeAsync(survivor, clock, first, stop.Token));
                await Task.WhenAny(first.Task, Task.Delay(options.Interval, stop.Token));
            }

            return (await first.Task, probes.Count);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"no write through {survivor} succeeded within {options.Timeout.TotalSeconds:0.#} s of the kill");
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(probes);
        }
    }

    /// <summary>One fresh session writing the probe node; never throws, since only the first success matters.</summary>
    private async Task ProbeAsync(string survivor, Stopwatch clock, TaskCompletionSource<TimeSpan> first, CancellationToken stop)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(stop);
        bounded.CancelAfter(ProbeTimeout);
        try
        {
            await using var client = await ConnectAsync(survivor, bounded.Token);
            await client.SetDataAsync(_node, "failover"u8.ToArray(), cancellationToken: bounded.Token);
            first.TrySetResult(clock.Elapsed);
        }
        catch (Exception e) when (e is KeeperException or OperationCanceledException or IOException or SocketException or TimeoutException)
        {
            // Refused or cut off while the ensemble elects: a later probe will tell.
        }
    }

    private async Task<Dictionary<int, string?>> ModesAsync(IEnumerable<int> members, CancellationToken cancellationToken)
    {
        var modes = await Task.WhenAll(members.Select(async member =>
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(ModeTimeout);
            var (host, port) = options.Members[member - 1];
            try
            {
                return (member, await FourLetterWord.ModeAsync(host, port, timeout.Token));
            }
            catch (Exception e) when (e is SocketException or IOException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                return (member, (string?)null);
            }
        }));
        return modes.ToDictionary(m => m.member, m => m.Item2);
    }

    private string Address(int member) => LoadOptions.Address(options.Members[member - 1]);

    private static Task<ZooKeeperClient> ConnectAsync(string connect, CancellationToken cancellationToken) =>
        ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectString = connect, SessionTimeout = SessionTimeout }, cancellationToken);

    private static string Describe(Dictionary<int, string?> modes) =>
        string.Join(", ", modes.OrderBy(m => m.Key).Select(m => $"member {m.Key}: {m.Value ?? "not serving"}"));
}
