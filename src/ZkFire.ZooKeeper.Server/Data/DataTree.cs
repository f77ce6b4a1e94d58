using ZkFire.Jute;
using ZkFire.ZooKeeper.Server.Watches;

namespace ZkFire.ZooKeeper.Server.Data;

/// <summary>
/// The replicated state: every znode, by path. Mutated only through <see cref="Apply"/>, on the server's single
/// request thread, in zxid order; so it needs no locks for writers. Snapshot writers run concurrently and lock
/// each <see cref="DataNode"/> while they copy it (a fuzzy snapshot, made consistent by replaying the log).
/// </summary>
public sealed class DataTree
{
    public DataTree() => throw new NotImplementedException();

    /// <summary>The zxid of the last transaction applied.</summary>
    public long LastProcessedZxid => throw new NotImplementedException();

    /// <summary>Number of znodes including <c>/</c> and <c>/zookeeper</c>.</summary>
    public int NodeCount => throw new NotImplementedException();

    public WatchManager Watches => throw new NotImplementedException();

    public DataNode? Get(string path) => throw new NotImplementedException();

    /// <summary>
    /// Applies one transaction exactly as ZooKeeper's DataTree.processTxn does, appending the watch events it fires
    /// to <paramref name="notifications"/> in the order ZooKeeper delivers them. During log replay
    /// (<paramref name="replaying"/>) a transaction already reflected by a fuzzy snapshot is tolerated.
    /// </summary>
    public TxnResult Apply(TxnHeader header, object? txn, List<WatchNotification> notifications, bool replaying = false) => throw new NotImplementedException();

    /// <summary>Paths of the ephemeral znodes a session owns.</summary>
    public IReadOnlyCollection<string> EphemeralPaths(long sessionId) => throw new NotImplementedException();

    /// <summary>Every session that owns at least one ephemeral znode (restored sessions must come back for them).</summary>
    public IReadOnlyCollection<long> SessionsWithEphemerals => throw new NotImplementedException();

    /// <summary>Container znodes (candidates for the reaper).</summary>
    public IReadOnlyCollection<string> ContainerPaths => throw new NotImplementedException();

    /// <summary>TTL znodes (candidates for the reaper).</summary>
    public IReadOnlyCollection<string> TtlPaths => throw new NotImplementedException();

    /// <summary>Writes the tree (a fuzzy snapshot: it may run while <see cref="Apply"/> does).</summary>
    public void Serialize(Stream output) => throw new NotImplementedException();

    public static DataTree Deserialize(Stream input) => throw new NotImplementedException();
}

/// <summary>
/// What a transaction did: its error (Ok on success), the path it created (sequential suffix included), the
/// stat after it, and for multi the per-op results in order (ZooKeeper's multi result semantics).
/// </summary>
public sealed record TxnResult(ErrorCode Err, string? Path, Stat? Stat, IReadOnlyList<TxnResult>? MultiResults = null, OpCode Type = OpCode.Notification);
