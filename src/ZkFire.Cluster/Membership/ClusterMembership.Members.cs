using Google.Protobuf;
using Microsoft.Extensions.Logging;
using ZkFire.Jute;
using ZkFire.ZooKeeper.Client;

namespace ZkFire.Cluster.Membership;

/// <summary>Following the member set: the children of <c>Root/nodes</c> and the data of each.</summary>
public sealed partial class ClusterMembership
{
    /// <summary>
    /// Brings <see cref="Members"/> in line with <c>Root/nodes</c> and re-arms the children watch. New members are
    /// read (arming their data watch); with <paramref name="rereadAll"/> (a new session, whose watches start empty)
    /// known ones are read again too, so one that left and came back meanwhile shows as a leave and a join.
    /// </summary>
    private async Task ReconcileAsync(Session current, bool rereadAll, CancellationToken cancellationToken)
    {
        var children = await current.Client.GetChildrenAsync(nodesPath, current.ChildrenWatcher, cancellationToken).ConfigureAwait(false);
        var present = children.ToHashSet(StringComparer.Ordinal);
        foreach (var gone in Members.Keys.Where(nodeId => !present.Contains(nodeId)).ToList())
        {
            Leave(gone);
        }

        foreach (var nodeId in children.Order(StringComparer.Ordinal))
        {
            if (rereadAll || !Members.ContainsKey(nodeId))
            {
                await ReadMemberAsync(current, nodeId, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Reads one member's registration (arming its data watch) and records what changed.</summary>
    private async Task ReadMemberAsync(Session current, string nodeId, CancellationToken cancellationToken)
    {
        GetDataResponse response;
        try
        {
            response = await current.Client.GetDataAsync(nodesPath + "/" + nodeId, current.MemberWatcher, cancellationToken).ConfigureAwait(false);
        }
        catch (KeeperException e) when (e.Code == ErrorCode.NoNode)
        {
            Leave(nodeId);
            return;
        }

        var member = Parse(nodeId, response);
        if (member is null)
        {
            return;
        }

        if (Members.TryGetValue(nodeId, out var known))
        {
            if (known.Incarnation == member.Incarnation)
            {
                // Same registration, data rewritten (a new session count): keep the set current without a leave and join.
                Volatile.Write(ref members, members.SetItem(nodeId, member));
                return;
            }

            Leave(nodeId);
        }

        Volatile.Write(ref members, members.SetItem(nodeId, member));
        LogNodeJoined(logger, nodeId, member.NoticeAddress, member.SessionId);
        Raise(new NodeJoined(member));
    }

    private void Leave(string nodeId)
    {
        if (Members.TryGetValue(nodeId, out var member))
        {
            Volatile.Write(ref members, members.Remove(nodeId));
            LogNodeLeft(logger, nodeId, member.SessionId);
            Raise(new NodeLeft(member));
        }
    }

    /// <summary>A member's registration, or null (logged) when its data is not a member record: such a znode is not a ZkFire node.</summary>
    private ClusterMember? Parse(string nodeId, GetDataResponse response)
    {
        try
        {
            return ToMember(nodeId, response);
        }
        catch (InvalidProtocolBufferException e)
        {
            LogUnreadableMember(logger, nodesPath + "/" + nodeId, e.Message);
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Cluster node {NodeId} joined (notice {NoticeAddress}, session 0x{SessionId:x})")]
    private static partial void LogNodeJoined(ILogger logger, string nodeId, string noticeAddress, long sessionId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cluster node {NodeId} left (session 0x{SessionId:x})")]
    private static partial void LogNodeLeft(ILogger logger, string nodeId, long sessionId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ignoring {Path}: its data is not a cluster member record ({Reason})")]
    private static partial void LogUnreadableMember(ILogger logger, string path, string reason);
}
