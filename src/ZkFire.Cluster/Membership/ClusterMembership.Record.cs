using Google.Protobuf;
using ZkFire.Cluster.Membership.Messages;
using ZkFire.Jute;
using ZkFire.ZooKeeper.Client;

namespace ZkFire.Cluster.Membership;

/// <summary>The registration's data: what this node writes, the session count it republishes, how records are read.</summary>
public sealed partial class ClusterMembership
{
    private int sessionCount;

    /// <summary>The count the znode holds, as far as this node knows (-1: unknown); touched by the work loop only.</summary>
    private int publishedSessionCount;

    /// <summary>
    /// Records this node's client session count for its registration. The znode is rewritten in the background
    /// (setData, any version), once for several calls in quick succession, and again after a resumption or a rejoin
    /// if a write was lost meanwhile, so the caller never waits on ZooKeeper and never handles its failures. Call it
    /// when the count changed, not on every login: each write is a quorum write and wakes every member's watch.
    /// </summary>
    public void PublishSessionCount(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        Volatile.Write(ref sessionCount, count);
        if (Volatile.Read(ref session) is { } current)
        {
            Post(new SessionCountChanged(current.Generation));
        }
    }

    /// <summary>
    /// The members registered under <paramref name="root"/>, read once without joining: for tools such as
    /// <c>zkfire status</c>. Znodes whose data is not a member record are left out; an absent root means no members.
    /// </summary>
    public static async Task<IReadOnlyList<ClusterMember>> ReadMembersAsync(ZooKeeperClient client, string root, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ZnodePath.ThrowIfInvalid(root);
        var nodesPath = NodesPath(root);
        IReadOnlyList<string> children;
        try
        {
            children = await client.GetChildrenAsync(nodesPath, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (KeeperException e) when (e.Code == ErrorCode.NoNode)
        {
            return [];
        }

        var found = new List<ClusterMember>(children.Count);
        foreach (var nodeId in children.Order(StringComparer.Ordinal))
        {
            try
            {
                var response = await client.GetDataAsync(nodesPath + "/" + nodeId, cancellationToken: cancellationToken).ConfigureAwait(false);
                found.Add(ToMember(nodeId, response));
            }
            catch (KeeperException e) when (e.Code == ErrorCode.NoNode)
            {
                // Left between the listing and the read.
            }
            catch (InvalidProtocolBufferException)
            {
                // Not a ZkFire node's registration.
            }
        }

        return found;
    }

    private static string NodesPath(string root) => root == ZnodePath.Root ? "/nodes" : root + "/nodes";

    /// <exception cref="InvalidProtocolBufferException">The data is not a member record.</exception>
    private static ClusterMember ToMember(string nodeId, GetDataResponse response)
    {
        var record = MemberRecord.Parser.ParseFrom(response.Data ?? []);
        return new ClusterMember(
            nodeId,
            record.NoticeAddress,
            record.Version,
            DateTimeOffset.FromUnixTimeMilliseconds(record.StartTimeUnixMs),
            response.Stat.EphemeralOwner,
            response.Stat.Czxid,
            record.C2SAddress,
            record.ZookeeperClientAddress,
            record.ZookeeperMyId,
            record.SessionCount);
    }

    private byte[] OwnRecord(int count)
    {
        var record = ownRecord.Clone();
        record.SessionCount = count;
        return record.ToByteArray();
    }

    /// <summary>Writes the latest count if the znode does not hold it; a lost connection leaves it for the resumption.</summary>
    private async Task PublishPendingSessionCountAsync(Session current, CancellationToken cancellationToken)
    {
        var count = Volatile.Read(ref sessionCount);
        if (count == publishedSessionCount)
        {
            return;
        }

        await current.Client.SetDataAsync(ownPath, OwnRecord(count), cancellationToken: cancellationToken).ConfigureAwait(false);
        publishedSessionCount = count;
    }
}
