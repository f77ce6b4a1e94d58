using ZkFire.Jute;
using ZkFire.ZooKeeper.Server.Auth;
using ZkFire.ZooKeeper.Server.Data;

namespace ZkFire.ZooKeeper.Server.Processing;

/// <summary>
/// The read handlers, as ZooKeeper's FinalRequestProcessor answers them: reads do not validate paths (an invalid
/// path is simply not found), check READ on the node itself, and register a watch only once the node is known to
/// exist, except exists, whose watch waits for the node's creation.
/// </summary>
internal sealed partial class RequestProcessor
{
    private ExistsResponse Exists(ExistsRequest request, IClientChannel channel)
    {
        if (request.Path.Contains('\0', StringComparison.Ordinal))
        {
            throw new KeeperException(ErrorCode.BadArguments);
        }

        // No ACL check: ZooKeeper 3.8.0 answers exists for anyone (the READ check came in 3.8.4).
        if (request.Watch)
        {
            tree.Watches.AddDataWatch(request.Path, channel);
        }

        var node = tree.Get(request.Path) ?? throw new KeeperException(ErrorCode.NoNode);
        stats.RecordRead(request.Path, 0);
        return new ExistsResponse(node.ToStat());
    }

    private GetDataResponse GetData(GetDataRequest request, IClientChannel channel)
    {
        var node = Readable(request.Path, channel);
        if (request.Watch)
        {
            tree.Watches.AddDataWatch(request.Path, channel);
        }

        // A znode created with null data answers with a null buffer, as ZooKeeper keeps it.
        var data = node.DataIsNull ? null : node.Data;
        stats.RecordRead(request.Path, data?.Length ?? 0);
        return new GetDataResponse(data, node.ToStat());
    }

    private (IReadOnlyList<string> Children, Stat Stat) Children(string path, bool watch, IClientChannel channel)
    {
        var node = Readable(path, channel);
        if (watch)
        {
            tree.Watches.AddChildWatch(path, channel);
        }

        var children = node.Children.ToList();
        stats.RecordRead(path, children.Sum(c => (long)c.Length));
        return (children, node.ToStat());
    }

    private GetAllChildrenNumberResponse AllChildrenNumber(GetAllChildrenNumberRequest request, IClientChannel channel)
    {
        Readable(request.Path, channel);
        return new GetAllChildrenNumberResponse(tree.AllChildrenNumber(request.Path));
    }

    /// <summary>getACL needs READ or ADMIN; without ADMIN the digests are masked (<c>user:x</c>).</summary>
    private GetAclResponse GetAcl(GetAclRequest request, IClientChannel channel)
    {
        var node = tree.Get(request.Path) ?? throw new KeeperException(ErrorCode.NoNode);
        var acl = node.Acl;
        if (!AuthProviders.Allows(acl, Perms.Read | Perms.Admin, channel.AuthIds))
        {
            throw new KeeperException(ErrorCode.NoAuth);
        }

        if (!AuthProviders.Allows(acl, Perms.Admin, channel.AuthIds))
        {
            acl = [.. acl.Select(entry => entry.Id.Scheme == DigestAuthentication.Scheme
                ? entry with { Id = entry.Id with { Identity = MaskDigest(entry.Id.Identity) } }
                : entry)];
        }

        return new GetAclResponse(acl, node.ToStat());
    }

    /// <summary>The caller's own ephemerals whose path starts with the prefix (a string prefix, not a subtree).</summary>
    private GetEphemeralsResponse GetEphemerals(GetEphemeralsRequest request, IClientChannel channel)
    {
        var prefix = request.PrefixPath.Trim();
        var all = tree.EphemeralPaths(channel.SessionId);
        return new GetEphemeralsResponse(prefix.Length == 0 || prefix == ZnodePath.Root
            ? [.. all]
            : [.. all.Where(p => p.StartsWith(request.PrefixPath, StringComparison.Ordinal))]);
    }

    /// <summary>Each read op answered on its own: a failure is that op's error result, not the request's.</summary>
    private MultiResponse MultiRead(MultiRequest request, IClientChannel channel)
    {
        var results = new List<MultiResult>(request.Ops.Count);
        foreach (var op in request.Ops)
        {
            try
            {
                results.Add(op switch
                {
                    MultiOp<GetChildrenRequest> children => MultiResult.GetChildren(Children(children.Request.Path, children.Request.Watch, channel).Children),
                    MultiOp<GetDataRequest> data => DataResult(GetData(data.Request, channel)),
                    _ => throw new JuteException($"Invalid type of read op {(int)op.Type}."),
                });
            }
            catch (KeeperException ex)
            {
                results.Add(MultiResult.Error(ex.Code));
            }
        }

        return new MultiResponse(results);
    }

    private static MultiResult<GetDataResponse> DataResult(GetDataResponse response) => MultiResult.GetData(response.Data, response.Stat);

    /// <summary>
    /// DataTree.setWatches: a watch whose node changed since the client's last zxid fires at once (NodeDeleted,
    /// NodeDataChanged, NodeCreated, NodeChildrenChanged) instead of being set.
    /// </summary>
    private NoBody SetWatches(
        long relativeZxid,
        IReadOnlyList<string> dataWatches,
        IReadOnlyList<string> existWatches,
        IReadOnlyList<string> childWatches,
        IReadOnlyList<string> persistentWatches,
        IReadOnlyList<string> persistentRecursiveWatches,
        IClientChannel channel)
    {
        foreach (var path in dataWatches)
        {
            var node = tree.Get(path);
            if (node is null)
            {
                Send(channel, Frames.Notification(EventType.NodeDeleted, path));
            }
            else if (node.Stat.Mzxid > relativeZxid)
            {
                Send(channel, Frames.Notification(EventType.NodeDataChanged, path));
            }
            else
            {
                tree.Watches.AddDataWatch(path, channel);
            }
        }

        foreach (var path in existWatches)
        {
            if (tree.Get(path) is not null)
            {
                Send(channel, Frames.Notification(EventType.NodeCreated, path));
            }
            else
            {
                tree.Watches.AddDataWatch(path, channel);
            }
        }

        foreach (var path in childWatches)
        {
            var node = tree.Get(path);
            if (node is null)
            {
                Send(channel, Frames.Notification(EventType.NodeDeleted, path));
            }
            else if (node.Stat.Pzxid > relativeZxid)
            {
                Send(channel, Frames.Notification(EventType.NodeChildrenChanged, path));
            }
            else
            {
                tree.Watches.AddChildWatch(path, channel);
            }
        }

        foreach (var path in persistentWatches)
        {
            tree.Watches.AddPersistentWatch(path, channel, AddWatchMode.Persistent);
        }

        foreach (var path in persistentRecursiveWatches)
        {
            tree.Watches.AddPersistentWatch(path, channel, AddWatchMode.PersistentRecursive);
        }

        return default;
    }

    /// <summary>
    /// addWatch on any path, existing or not, without an ACL check (as 3.8.0 does); an unknown mode is a marshalling
    /// error. The reply body is an ErrorResponse with 0, which is what ZooKeeper sends.
    /// </summary>
    private ErrorResponse AddWatch(AddWatchRequest request, IClientChannel channel)
    {
        if (request.Mode is not (AddWatchMode.Persistent or AddWatchMode.PersistentRecursive))
        {
            throw new JuteException($"Unknown watch mode {(int)request.Mode}.");
        }

        tree.Watches.AddPersistentWatch(request.Path, channel, request.Mode);
        return new ErrorResponse(ErrorCode.Ok);
    }

    /// <summary>WatcherType.fromInt: an unknown type is a marshalling error.</summary>
    private static WatcherType CheckedType(WatcherType type) =>
        type is WatcherType.Children or WatcherType.Data or WatcherType.Any ? type : throw new JuteException($"Unknown watcher type {(int)type}.");

    /// <summary>The node, if it exists and the caller may READ it.</summary>
    private DataNode Readable(string path, IClientChannel channel)
    {
        var node = tree.Get(path) ?? throw new KeeperException(ErrorCode.NoNode);
        return AuthProviders.Allows(node.Acl, Perms.Read, channel.AuthIds) ? node : throw new KeeperException(ErrorCode.NoAuth);
    }

    /// <summary>Java's <c>id.replaceAll(":.*", ":x")</c>: everything from the first colon becomes <c>:x</c>.</summary>
    private static string MaskDigest(string id)
    {
        var colon = id.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? id : string.Concat(id.AsSpan(0, colon), ":x");
    }
}
