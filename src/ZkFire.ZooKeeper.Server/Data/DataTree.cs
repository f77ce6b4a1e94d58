using System.Collections.Concurrent;
using ZkFire.Jute;
using ZkFire.ZooKeeper.Server.Watches;

namespace ZkFire.ZooKeeper.Server.Data;

/// <summary>
/// The replicated state: every znode, by path. Mutated only through <see cref="Apply"/>, on the server's single
/// request thread, in zxid order; so it needs no locks for writers. Snapshot writers run concurrently and lock
/// each <see cref="DataNode"/> while they copy it (a fuzzy snapshot, made consistent by replaying the log).
/// </summary>
/// <remarks>
/// The path index is a <see cref="ConcurrentDictionary{TKey,TValue}"/> although there is one writer: snapshots,
/// four-letter words, the container reaper and read requests look nodes up from other threads, and a plain
/// Dictionary read during a resize can return garbage or spin forever. ZooKeeper's NodeHashMapImpl makes the same
/// choice. It costs about 30 bytes more per znode than a Dictionary.
/// </remarks>
public sealed class DataTree
{
    /// <summary>ZooKeeper's reserved subtree; created with every tree, stats all zero.</summary>
    public const string ZooKeeperPath = "/zookeeper";

    public const string QuotaPath = "/zookeeper/quota";

    /// <summary>The ensemble configuration: empty when standalone, read-only to clients.</summary>
    public const string ConfigPath = "/zookeeper/config";

    private readonly ConcurrentDictionary<string, DataNode> _nodes = new(StringComparer.Ordinal);
    private readonly AclCache _acls = new();

    // The indexes are read by the reaper and by getEphemerals on other threads; they take this lock and copy.
    private readonly Lock _indexLock = new();
    private readonly Dictionary<long, HashSet<string>> _ephemerals = [];
    private readonly HashSet<string> _containers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _ttls = new(StringComparer.Ordinal);

    private long _lastProcessedZxid;
    private long _approximateDataSize;

    public DataTree()
        : this(withReservedZnodes: true)
    {
    }

    private DataTree(bool withReservedZnodes)
    {
        // Deserialize loads them from the snapshot, with whatever changed in them since.
        if (!withReservedZnodes)
        {
            return;
        }

        // As ZooKeeper's DataTree constructor and addConfigNode build them: /, /zookeeper and /zookeeper/quota
        // open to all, /zookeeper/config readable by all (ZOOKEEPER-2014) with aversion -1 from the setACL that
        // restricts it. Everything else zero, so a fresh root shows cversion -1 (0 creations, 1 child).
        AddInitialNode(ZnodePath.Root, WellKnownAcls.OpenAclUnsafe, 0);
        AddInitialNode(ZooKeeperPath, WellKnownAcls.OpenAclUnsafe, 0);
        AddInitialNode(QuotaPath, WellKnownAcls.OpenAclUnsafe, 0);
        AddInitialNode(ConfigPath, WellKnownAcls.ReadAclUnsafe, -1);
    }

    /// <summary>The zxid of the last transaction applied.</summary>
    public long LastProcessedZxid => Volatile.Read(ref _lastProcessedZxid);

    /// <summary>
    /// Number of znodes including <c>/</c> and <c>/zookeeper</c> (4 when fresh). ZooKeeper's mntr
    /// zk_znode_count is one more: its map also holds the root under the alias "".
    /// </summary>
    public int NodeCount => _nodes.Count;

    /// <summary>mntr's zk_approximate_data_size: path lengths plus data lengths of every znode.</summary>
    public long ApproximateDataSize => Volatile.Read(ref _approximateDataSize);

    public WatchManager Watches { get; } = new();

    public DataNode? Get(string path) => _nodes.GetValueOrDefault(path);

    /// <summary>
    /// Applies one transaction exactly as ZooKeeper's DataTree.processTxn does, appending the watch events it fires
    /// to <paramref name="notifications"/> in the order ZooKeeper delivers them. During log replay
    /// (<paramref name="replaying"/>) a transaction already reflected by a fuzzy snapshot is tolerated.
    /// </summary>
    /// <param name="header">The txn header; its zxid and time stamp the change, its client id owns ephemerals.</param>
    /// <param name="txn">
    /// The txn record <see cref="TxnRecords.Read"/> decodes for <c>header.Type</c>: CreateTxn (create, create2),
    /// CreateTtlTxn, CreateContainerTxn, DeleteTxn (delete, deleteContainer), SetDataTxn (setData, reconfig),
    /// SetAclTxn, CheckVersionTxn, ErrorTxn, CreateSessionTxn, CloseSessionTxn (or null: the session's indexed
    /// ephemerals go), and for multi the jute <see cref="MultiTxn"/> as logged, each sub-txn serialized. Paths are
    /// final: a sequential create's suffix is already in the path.
    /// </param>
    /// <param name="notifications">Receives the watch events, in delivery order.</param>
    /// <param name="replaying">
    /// Log replay over a fuzzy snapshot. Failures are results, not exceptions, in both modes (a create of an
    /// existing znode gives NodeExists, a delete of a missing one NoNode, both changing nothing); when replaying, a
    /// create that finds its znode already there still advances the parent's cversion and pzxid, as ZooKeeper
    /// does for a child the snapshot saw deleted and re-created by another session.
    /// </param>
    /// <returns>The outcome; for multi the per-op results (ZooKeeper's ProcessTxnResult).</returns>
    /// <exception cref="ArgumentException">The txn record does not fit the header's type.</exception>
    /// <exception cref="JuteException">A multi's sub-txn is malformed or of a type a multi cannot hold.</exception>
    public TxnResult Apply(TxnHeader header, object? txn, List<WatchNotification> notifications, bool replaying = false)
    {
        ArgumentNullException.ThrowIfNull(notifications);
        var result = ApplyOne(header.Type, header, txn, notifications, replaying);

        // Only once the whole txn (every op of a multi) is in the tree: a snapshot taken meanwhile is stamped with
        // the previous zxid, so the replay after loading it covers this txn.
        if (header.Zxid > _lastProcessedZxid)
        {
            Volatile.Write(ref _lastProcessedZxid, header.Zxid);
        }

        return result;
    }

    /// <summary>
    /// getAllChildrenNumber: how many znodes lie below <paramref name="path"/> at any depth. Like ZooKeeper this
    /// scans every path (so <c>/</c> counts <c>/zookeeper</c> and its children too).
    /// </summary>
    public int AllChildrenNumber(string path)
    {
        if (path == ZnodePath.Root)
        {
            return NodeCount - 1;
        }

        var prefix = path + "/";
        return _nodes.Keys.Count(key => key.StartsWith(prefix, StringComparison.Ordinal));
    }

    /// <summary>Paths of the ephemeral znodes a session owns.</summary>
    public IReadOnlyCollection<string> EphemeralPaths(long sessionId)
    {
        lock (_indexLock)
        {
            return _ephemerals.TryGetValue(sessionId, out var paths) ? [.. paths] : [];
        }
    }

    /// <summary>Every session that owns at least one ephemeral znode (restored sessions must come back for them).</summary>
    public IReadOnlyCollection<long> SessionsWithEphemerals
    {
        get
        {
            lock (_indexLock)
            {
                return [.. _ephemerals.Keys];
            }
        }
    }

    /// <summary>mntr's zk_ephemerals_count.</summary>
    public int EphemeralCount
    {
        get
        {
            lock (_indexLock)
            {
                return _ephemerals.Values.Sum(paths => paths.Count);
            }
        }
    }

    /// <summary>Container znodes (candidates for the reaper).</summary>
    public IReadOnlyCollection<string> ContainerPaths
    {
        get
        {
            lock (_indexLock)
            {
                return [.. _containers];
            }
        }
    }

    /// <summary>TTL znodes (candidates for the reaper; <see cref="EphemeralOwner.TtlOf"/> gives a znode's TTL).</summary>
    public IReadOnlyCollection<string> TtlPaths
    {
        get
        {
            lock (_indexLock)
            {
                return [.. _ttls];
            }
        }
    }

    internal int AclCacheCount => _acls.Count;

    /// <summary>Writes the tree (a fuzzy snapshot: it may run while <see cref="Apply"/> does).</summary>
    /// <remarks>
    /// Recorded with <see cref="LastProcessedZxid"/> as it was when the walk began; replaying the log after that
    /// zxid (with <c>replaying: true</c>) makes a loaded snapshot exact. See <see cref="DataTreeSnapshot"/>.
    /// </remarks>
    public void Serialize(Stream output) => DataTreeSnapshot.Write(this, output);

    /// <exception cref="InvalidDataException">The stream is not a snapshot of this format, or is truncated.</exception>
    public static DataTree Deserialize(Stream input)
    {
        var tree = new DataTree(withReservedZnodes: false);
        DataTreeSnapshot.Read(tree, input);
        return tree;
    }

    internal IReadOnlyList<Acl> AcquireAcl(IReadOnlyList<Acl> acl) => _acls.Acquire(acl);

    internal void SetLastProcessedZxid(long zxid) => _lastProcessedZxid = zxid;

    /// <summary>Adds a loaded znode below its already loaded parent, as ZooKeeper's DataTree.deserialize does.</summary>
    internal void AddLoaded(string path, DataNode node)
    {
        if (ZnodePath.Parent(path) is { } parentPath)
        {
            var parent = Get(parentPath) ?? throw new InvalidDataException($"The snapshot holds {path} but not its parent.");
            parent.AddChild(ZnodePath.Name(path));
        }

        if (!_nodes.TryAdd(path, node))
        {
            throw new InvalidDataException($"The snapshot holds {path} twice.");
        }

        Index(path, node);
    }

    private void AddInitialNode(string path, IReadOnlyList<Acl> acl, int aversion) =>
        AddLoaded(path, new DataNode([], _acls.Acquire(acl), new StatPersisted { Aversion = aversion }, ZnodeKind.Persistent));

    private TxnResult ApplyOne(OpCode type, TxnHeader header, object? txn, List<WatchNotification> notifications, bool replaying) =>
        (type, txn) switch
        {
            (OpCode.Create or OpCode.Create2, CreateTxn t) => Create(
                type, header, new Creation(t.Path, t.Data, t.Acl, t.ParentCVersion), t.Ephemeral ? ZnodeKind.Ephemeral : ZnodeKind.Persistent,
                t.Ephemeral ? header.ClientId : 0, notifications, replaying),
            (OpCode.CreateContainer, CreateContainerTxn t) => Create(
                type, header, new Creation(t.Path, t.Data, t.Acl, t.ParentCVersion), ZnodeKind.Container,
                EphemeralOwner.Container, notifications, replaying),
            (OpCode.CreateTtl, CreateTtlTxn t) => Create(
                type, header, new Creation(t.Path, t.Data, t.Acl, t.ParentCVersion), ZnodeKind.Ttl,
                EphemeralOwner.ForTtl(t.Ttl), notifications, replaying),
            (OpCode.Delete or OpCode.DeleteContainer, DeleteTxn t) => Delete(type, t.Path, header.Zxid, notifications),
            (OpCode.SetData or OpCode.Reconfig, SetDataTxn t) => SetData(type, t, header, notifications),
            (OpCode.SetAcl, SetAclTxn t) => SetAcl(t),
            (OpCode.CloseSession, CloseSessionTxn or null) => CloseSession(header, (txn as CloseSessionTxn)?.Paths2Delete ?? [], notifications),
            (OpCode.CreateSession, CreateSessionTxn) => new TxnResult(ErrorCode.Ok, null, null, Type: type),
            (OpCode.Check, CheckVersionTxn t) => new TxnResult(ErrorCode.Ok, t.Path, null, Type: type),
            (OpCode.Error, ErrorTxn t) => new TxnResult(t.Err, null, null, Type: type),
            (OpCode.Multi, MultiTxn t) => Multi(header, t, notifications, replaying),
            _ => throw new ArgumentException($"A {txn?.GetType().Name ?? "null"} record cannot be applied as {type}.", nameof(txn)),
        };

    /// <summary>ZooKeeper's DataTree.createNode.</summary>
    private TxnResult Create(
        OpCode type, TxnHeader header, Creation creation, ZnodeKind kind, long ephemeralOwner,
        List<WatchNotification> notifications, bool replaying)
    {
        var path = creation.Path;
        if (ZnodePath.Parent(path) is not { } parentPath || Get(parentPath) is not { } parent)
        {
            return Failure(type, path, ErrorCode.NoNode);
        }

        if (_nodes.ContainsKey(path))
        {
            if (replaying)
            {
                lock (parent)
                {
                    parent.AdvanceCversion(creation.ParentCVersion, header.Zxid);
                }
            }

            return Failure(type, path, ErrorCode.NodeExists);
        }

        var stat = new StatPersisted(header.Zxid, header.Zxid, header.Time, header.Time, 0, 0, 0, ephemeralOwner, header.Zxid);
        var node = new DataNode(creation.Data, _acls.Acquire(creation.Acl), stat, kind);
        lock (parent)
        {
            parent.AdvanceCversion(creation.ParentCVersion, header.Zxid);
            parent.AddChild(ZnodePath.Name(path));
        }

        _nodes[path] = node;
        Index(path, node);

        Watches.Trigger(path, EventType.NodeCreated, notifications);
        Watches.Trigger(parentPath, EventType.NodeChildrenChanged, notifications);
        return new TxnResult(ErrorCode.Ok, path, node.ToStat(), Type: type);
    }

    /// <summary>ZooKeeper's DataTree.deleteNode: NodeDeleted on the znode (data and child watchers, once each), then NodeChildrenChanged on the parent.</summary>
    private TxnResult Delete(OpCode type, string path, long zxid, List<WatchNotification> notifications)
    {
        if (ZnodePath.Parent(path) is not { } parentPath || Get(parentPath) is not { } parent)
        {
            return Failure(type, path, ErrorCode.NoNode);
        }

        // The parent is updated before the child is looked up: a replayed delete of a child a fuzzy snapshot
        // already lacks must still leave the parent's pzxid as the live tree had it.
        lock (parent)
        {
            parent.RemoveChild(ZnodePath.Name(path));
            parent.AdvancePzxid(zxid);
        }

        if (!_nodes.TryRemove(path, out var node))
        {
            return Failure(type, path, ErrorCode.NoNode);
        }

        _acls.Release(node.Acl);
        Unindex(path, node);

        Watches.Trigger(path, EventType.NodeDeleted, notifications);
        Watches.Trigger(parentPath, EventType.NodeChildrenChanged, notifications);
        return new TxnResult(ErrorCode.Ok, path, null, Type: type);
    }

    /// <summary>ZooKeeper's DataTree.setData: the version comes from the txn, so identical data still bumps it.</summary>
    private TxnResult SetData(OpCode type, SetDataTxn txn, TxnHeader header, List<WatchNotification> notifications)
    {
        if (Get(txn.Path) is not { } node)
        {
            return Failure(type, txn.Path, ErrorCode.NoNode);
        }

        int oldLength;
        lock (node)
        {
            oldLength = node.DataLength;
            node.SetData(txn.Data, txn.Version, header.Zxid, header.Time);
        }

        AddDataSize((txn.Data?.Length ?? 0) - oldLength);
        Watches.Trigger(txn.Path, EventType.NodeDataChanged, notifications);
        return new TxnResult(ErrorCode.Ok, txn.Path, node.ToStat(), Type: type);
    }

    /// <summary>ZooKeeper's DataTree.setACL: fires no watch.</summary>
    private TxnResult SetAcl(SetAclTxn txn)
    {
        if (Get(txn.Path) is not { } node)
        {
            return Failure(OpCode.SetAcl, txn.Path, ErrorCode.NoNode);
        }

        var acl = _acls.Acquire(txn.Acl);
        IReadOnlyList<Acl> old;
        lock (node)
        {
            old = node.Acl;
            node.SetAcl(acl, txn.Version);
        }

        _acls.Release(old);
        return new TxnResult(ErrorCode.Ok, txn.Path, node.ToStat(), Type: OpCode.SetAcl);
    }

    /// <summary>
    /// ZooKeeper's killSession: the paths the txn lists go first, in its order, then any ephemeral of the session
    /// the txn missed; a path already gone is skipped.
    /// </summary>
    private TxnResult CloseSession(TxnHeader header, IReadOnlyList<string> listed, List<WatchNotification> notifications)
    {
        HashSet<string>? owned;
        lock (_indexLock)
        {
            _ephemerals.Remove(header.ClientId, out owned);
        }

        foreach (var path in listed)
        {
            owned?.Remove(path);
            Delete(OpCode.Delete, path, header.Zxid, notifications);
        }

        foreach (var path in owned ?? [])
        {
            Delete(OpCode.Delete, path, header.Zxid, notifications);
        }

        return new TxnResult(ErrorCode.Ok, null, null, Type: OpCode.CloseSession);
    }

    /// <summary>
    /// ZooKeeper's processTxn for multi: a multi holding an ErrorTxn failed as a whole, and its other ops are
    /// reported as Ok before the first error and RuntimeInconsistency after it, changing nothing. The multi's
    /// error is the first non-Ok one.
    /// </summary>
    private TxnResult Multi(TxnHeader header, MultiTxn multi, List<WatchNotification> notifications, bool replaying)
    {
        // Decoded up front so that a malformed multi changes nothing.
        var ops = new (OpCode Type, object Txn)[multi.Txns.Count];
        for (var i = 0; i < ops.Length; i++)
        {
            var sub = multi.Txns[i];
            if (!TxnRecords.IsMultiSubTxn(sub.Type))
            {
                throw new JuteException($"Invalid type of op {(int)sub.Type} in a multi txn.");
            }

            ops[i] = (sub.Type, TxnRecords.Read(sub.Type, sub.Data));
        }

        var failed = ops.Any(op => op.Type == OpCode.Error);
        var pastError = false;
        var results = new TxnResult[ops.Length];
        var err = ErrorCode.Ok;
        for (var i = 0; i < ops.Length; i++)
        {
            var (type, txn) = ops[i];
            pastError |= type == OpCode.Error;
            if (failed && type != OpCode.Error)
            {
                (type, txn) = (OpCode.Error, new ErrorTxn(pastError ? ErrorCode.RuntimeInconsistency : ErrorCode.Ok));
            }

            results[i] = ApplyOne(type, header with { Type = type }, txn, notifications, replaying);
            if (err == ErrorCode.Ok)
            {
                err = results[i].Err;
            }
        }

        return new TxnResult(err, null, null, results, OpCode.Multi);
    }

    private static TxnResult Failure(OpCode type, string path, ErrorCode err) => new(err, path, null, Type: type);

    private void Index(string path, DataNode node)
    {
        AddDataSize(path.Length + node.DataLength);
        lock (_indexLock)
        {
            switch (node.Kind)
            {
                case ZnodeKind.Ephemeral:
                    var owner = node.Stat.EphemeralOwner;
                    if (!_ephemerals.TryGetValue(owner, out var paths))
                    {
                        paths = new HashSet<string>(StringComparer.Ordinal);
                        _ephemerals.Add(owner, paths);
                    }

                    paths.Add(path);
                    break;
                case ZnodeKind.Container:
                    _containers.Add(path);
                    break;
                case ZnodeKind.Ttl:
                    _ttls.Add(path);
                    break;
            }
        }
    }

    private void Unindex(string path, DataNode node)
    {
        AddDataSize(-(path.Length + node.DataLength));
        lock (_indexLock)
        {
            switch (node.Kind)
            {
                // A closing session's set is already out of the index (CloseSession), so this finds nothing then.
                case ZnodeKind.Ephemeral when _ephemerals.TryGetValue(node.Stat.EphemeralOwner, out var paths):
                    paths.Remove(path);
                    if (paths.Count == 0)
                    {
                        _ephemerals.Remove(node.Stat.EphemeralOwner);
                    }

                    break;
                case ZnodeKind.Container:
                    _containers.Remove(path);
                    break;
                case ZnodeKind.Ttl:
                    _ttls.Remove(path);
                    break;
            }
        }
    }

    private void AddDataSize(long delta) => Volatile.Write(ref _approximateDataSize, _approximateDataSize + delta);

    private readonly record struct Creation(string Path, byte[]? Data, IReadOnlyList<Acl> Acl, int ParentCVersion);
}

/// <summary>
/// What a transaction did: its error (Ok on success), the path it created (sequential suffix included), the
/// stat after it, and for multi the per-op results in order (ZooKeeper's multi result semantics).
/// </summary>
/// <remarks>
/// <see cref="Stat"/> is set for every successful create kind (also plain create, whose reply does not carry
/// it), setData, reconfig and setACL. <see cref="Type"/> is the op type applied: a failed multi's ops all come
/// back as <see cref="OpCode.Error"/> with Ok, the failure's code, or RuntimeInconsistency.
/// </remarks>
public sealed record TxnResult(ErrorCode Err, string? Path, Stat? Stat, IReadOnlyList<TxnResult>? MultiResults = null, OpCode Type = OpCode.Notification);
