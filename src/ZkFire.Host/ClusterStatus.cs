using System.Globalization;
using System.Text;
using ZkFire.Cluster.Membership;

namespace ZkFire.Host;

/// <summary>
/// What <c>zkfire status</c> found: the ZooKeeper ensemble's members with their mode, and the registered nodes
/// (null when ZooKeeper could not be read, with <see cref="NodesError"/> saying why).
/// </summary>
internal sealed record ClusterStatus(
    string ConnectString,
    string Root,
    bool EmbeddedEnsemble,
    IReadOnlyList<EnsembleMemberStatus> Ensemble,
    IReadOnlyList<ClusterMember>? Nodes,
    string? NodesError)
{
    /// <summary>
    /// Whether the ensemble serves: a member says it leads (or runs standalone) or follows, since a member follows
    /// only while a leader has a quorum; or a session could be opened at all, which only a serving ensemble grants
    /// (the leader may be a member whose address status cannot learn, its node not being registered).
    /// </summary>
    public bool IsServing => Nodes is not null || Ensemble.Any(m => EnsembleMemberStatus.ServingModes.Contains(m.Mode));

    /// <summary>The last line: what is right, or the one-line reason why not.</summary>
    public string Verdict
    {
        get
        {
            if (!IsServing)
            {
                var why = Ensemble.Any(m => m.Mode == EnsembleMemberStatus.NotServing)
                    ? "members answer but none serves (quorum lost?)"
                    : Ensemble.Any(m => m.Mode == EnsembleMemberStatus.Unreachable)
                        ? "no member answers (quorum lost?)"
                        : "no session could be opened (quorum lost?)";
                return $"ZooKeeper unreachable at {ConnectString}: {why}";
            }

            var leader = Ensemble.FirstOrDefault(m => m.Mode is "leader" or "standalone");
            var serving = leader is null ? "the ensemble serves (its leader is not among the members reached)"
                : leader.Mode == "standalone" ? $"{leader.Name} serves standalone"
                : $"{leader.Name} leads";
            var nodes = Nodes is null
                ? $"nodes unknown: {NodesError}"
                : string.Create(CultureInfo.InvariantCulture, $"{Nodes.Count} node(s) registered, {Nodes.Sum(n => n.SessionCount)} client session(s)");
            return $"{serving}; {nodes}";
        }
    }

    /// <summary>The report as printed: two tables and the verdict line.</summary>
    public string Format()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture,
            $"ZooKeeper {ConnectString} ({(EmbeddedEnsemble ? "embedded members" : "external ensemble")}), cluster root {Root}\n\n");
        text.Append(CultureInfo.InvariantCulture, $"Ensemble ({Ensemble.Count} member(s))\n");
        AppendTable(text, ["MEMBER", "CLIENT ADDRESS", "NODE", "MODE"],
            Ensemble.Select(m => new[] { m.Name, m.ClientAddress ?? "?", m.NodeId ?? "-", m.Mode }));
        text.Append('\n');
        if (Nodes is null)
        {
            text.Append(CultureInfo.InvariantCulture, $"Nodes: unknown ({NodesError})\n");
        }
        else
        {
            text.Append(CultureInfo.InvariantCulture, $"Nodes ({Nodes.Count} registered under {Root}/nodes)\n");
            AppendTable(text, ["NODE", "NOTICE", "C2S", "VERSION", "UP SINCE (UTC)", "SESSIONS", "ZK SESSION"],
                Nodes.Select(n => new[]
                {
                    n.NodeId,
                    n.NoticeAddress,
                    n.C2sAddress.Length == 0 ? "-" : n.C2sAddress,
                    n.Version,
                    n.StartTime.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
                    n.SessionCount.ToString(CultureInfo.InvariantCulture),
                    string.Create(CultureInfo.InvariantCulture, $"0x{n.SessionId:x}"),
                }));
        }

        text.Append('\n').Append(IsServing ? "OK: " : "FAIL: ").Append(Verdict).Append('\n');
        return text.ToString();
    }

    private static void AppendTable(StringBuilder text, string[] headers, IEnumerable<string[]> rows)
    {
        var all = rows.Prepend(headers).ToList();
        if (all.Count == 1)
        {
            text.Append("  (none)\n");
            return;
        }

        var widths = headers.Select((_, column) => all.Max(row => row[column].Length)).ToArray();
        foreach (var row in all)
        {
            text.Append("  ").Append(string.Join("  ", row.Select((cell, column) => cell.PadRight(widths[column]))).TrimEnd()).Append('\n');
        }
    }
}

/// <summary>One ZooKeeper member: its name (<c>server.N</c>, or its address), where clients reach it, the node that runs it, and its mode.</summary>
internal sealed record EnsembleMemberStatus(string Name, string? ClientAddress, string? NodeId, string Mode)
{
    /// <summary>The member answers <c>srvr</c> without a mode: it has no quorum, or is still syncing.</summary>
    public const string NotServing = "not serving";

    /// <summary>Nothing answers on its client address.</summary>
    public const string Unreachable = "unreachable";

    /// <summary>An embedded member no registered node names (its node is down, or not a cluster member).</summary>
    public const string AddressUnknown = "unknown (no node reports its address)";

    public static IReadOnlySet<string> ServingModes { get; } = new HashSet<string>(StringComparer.Ordinal) { "leader", "follower", "standalone", "observer" };
}
