using System.Globalization;
using System.Net.Sockets;
using ZkFire.Cluster.Membership;
using ZkFire.Configuration;
using ZkFire.ZooKeeper.Client;

namespace ZkFire.Host;

/// <summary>
/// <c>zkfire status</c>: reads the registered nodes from ZooKeeper (<see cref="ClusterConfig.CoordinationConnectString"/>,
/// under the cluster root) and asks each ensemble member for its mode with the four-letter word <c>srvr</c>. An
/// embedded ensemble's members are the <c>&lt;server&gt;</c> entries; their client addresses come from this node's
/// own <c>&lt;zoo&gt;</c> and from the other nodes' registrations. An external ensemble's are the connect string's hosts.
/// </summary>
internal sealed class StatusCommand(TimeSpan connectTimeout, TimeSpan probeTimeout)
{
    public StatusCommand()
        : this(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(2))
    {
    }

    /// <summary>Prints the report; 0 when the ensemble serves, 1 otherwise (the reason on <paramref name="error"/>).</summary>
    public async Task<int> RunAsync(ClusterConfig config, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (config.CoordinationConnectString is null)
        {
            await error.WriteLineAsync($"zkfire status: {config.SourcePath} names no ZooKeeper (neither <zoo> nor <zClient>): this node is not clustered.");
            return 1;
        }

        var status = await GatherAsync(config, cancellationToken);
        var report = status.Format();
        await output.WriteAsync(report);
        if (status.IsServing)
        {
            return 0;
        }

        await error.WriteLineAsync($"zkfire status: {status.Verdict}");
        return 1;
    }

    public async Task<ClusterStatus> GatherAsync(ClusterConfig config, CancellationToken cancellationToken)
    {
        var connectString = config.CoordinationConnectString
            ?? throw new ArgumentException("The configuration names no ZooKeeper.", nameof(config));
        var (nodes, nodesError) = await ReadNodesAsync(connectString, config.Cluster.Root, cancellationToken);
        var embedded = config.ZClient is null;
        var members = embedded ? EmbeddedMembers(config, nodes ?? []) : ExternalMembers(connectString);
        var ensemble = await Task.WhenAll(members.Select(m => ProbeAsync(m, cancellationToken)));
        return new ClusterStatus(connectString, config.Cluster.Root, embedded, ensemble, nodes, nodesError);
    }

    private async Task<(IReadOnlyList<ClusterMember>? Nodes, string? Error)> ReadNodesAsync(
        string connectString, string root, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(connectTimeout);
        try
        {
            await using var client = await ZooKeeperClient.ConnectAsync(
                new ZooKeeperClientOptions { ConnectString = connectString, SessionTimeout = connectTimeout }, timeout.Token);
            return (await ClusterMembership.ReadMembersAsync(client, root, timeout.Token), null);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, string.Create(CultureInfo.InvariantCulture, $"no ZooKeeper session within {connectTimeout.TotalSeconds:0.#} s"));
        }
        catch (KeeperException e)
        {
            return (null, e.Message);
        }
    }

    /// <summary>
    /// The <c>&lt;server&gt;</c> entries (or this standalone member): this node's own client address from its
    /// config, the others' from the registrations naming their myid (the newest registration if several do).
    /// </summary>
    private static List<EnsembleMemberStatus> EmbeddedMembers(ClusterConfig config, IReadOnlyList<ClusterMember> nodes)
    {
        var zoo = config.Zoo!;
        var ownNode = config.Cluster.NodeId ?? config.Notice?.ToString();
        var ids = zoo.IsStandalone ? [zoo.MyId ?? 0] : zoo.Servers.Select(s => s.Id).Order().ToList();
        return [.. ids.Select(id =>
        {
            var name = string.Create(CultureInfo.InvariantCulture, $"server.{id}");
            if (id == (zoo.MyId ?? 0))
            {
                return new EnsembleMemberStatus(name, config.CoordinationConnectString, ownNode, EnsembleMemberStatus.AddressUnknown);
            }

            var node = nodes.Where(n => n.ZooKeeperMyId == id && n.ZooKeeperClientAddress.Length > 0).MaxBy(n => n.Incarnation);
            return new EnsembleMemberStatus(name, node?.ZooKeeperClientAddress, node?.NodeId, EnsembleMemberStatus.AddressUnknown);
        })];
    }

    private static List<EnsembleMemberStatus> ExternalMembers(string connectString) =>
        [.. ConnectString.Parse(connectString).Hosts.Select(h =>
        {
            var address = new HostPort(h.Host, h.Port).ToString();
            return new EnsembleMemberStatus(address, address, null, EnsembleMemberStatus.AddressUnknown);
        })];

    private async Task<EnsembleMemberStatus> ProbeAsync(EnsembleMemberStatus member, CancellationToken cancellationToken)
    {
        if (member.ClientAddress is null)
        {
            return member;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(probeTimeout);
        try
        {
            var (host, port) = ConnectString.Parse(member.ClientAddress).Hosts[0];
            var mode = await FourLetterWord.ModeAsync(host, port, timeout.Token);
            return member with { Mode = mode ?? EnsembleMemberStatus.NotServing };
        }
        catch (Exception e) when (e is SocketException or IOException or ArgumentException
            || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return member with { Mode = EnsembleMemberStatus.Unreachable };
        }
    }
}
