using ZkFire.Jute;
using ZkFire.ZooKeeper.Server.Data;

namespace ZkFire.ZooKeeper.Server.Processing;

/// <summary>A node as a request being prepared sees it (ZooKeeper's ChangeRecord): a private, mutable copy.</summary>
internal sealed class NodeRecord(StatPersisted stat, IReadOnlyList<Acl> acl, int childCount)
{
    public StatPersisted Stat { get; set; } = stat;

    public IReadOnlyList<Acl> Acl { get; } = acl;

    public int ChildCount { get; set; } = childCount;
}

/// <summary>
/// The data tree overlaid with the changes of the ops prepared so far in this request, so that each op of a multi is
/// validated against the state its predecessors leave (ZooKeeper's outstanding ChangeRecords). A failed multi simply
/// drops the overlay: nothing was applied.
/// </summary>
internal sealed class PendingChanges(DataTree tree)
{
    private readonly Dictionary<string, NodeRecord?> overlay = new(StringComparer.Ordinal);

    /// <exception cref="KeeperException">NoNode.</exception>
    public NodeRecord Get(string path) => Find(path) ?? throw new KeeperException(ErrorCode.NoNode);

    public NodeRecord? Find(string path)
    {
        if (overlay.TryGetValue(path, out var pending))
        {
            return pending;
        }

        if (tree.Get(path) is not { } node)
        {
            return null;
        }

        var record = new NodeRecord(node.Stat, node.Acl, node.ChildCount);
        overlay[path] = record;
        return record;
    }

    public void Created(string path, NodeRecord record) => overlay[path] = record;

    public void Deleted(string path) => overlay[path] = null;

    public void Clear() => overlay.Clear();
}
