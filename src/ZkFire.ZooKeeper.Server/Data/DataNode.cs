using ZkFire.Jute;

namespace ZkFire.ZooKeeper.Server.Data;

/// <summary>What kind of znode this is; decides its index in the tree and the ephemeralOwner clients see.</summary>
public enum ZnodeKind : byte
{
    Persistent,
    Ephemeral,
    Container,
    Ttl,
}

/// <summary>
/// One znode. Changed only by <see cref="DataTree.Apply"/>, which locks the node around each change; every
/// reader locks it too, so snapshot writers, four-letter words and read requests on other threads see whole
/// states. The node itself is the lock (as ZooKeeper synchronizes on its DataNode): no lock object per znode.
/// </summary>
public sealed class DataNode
{
    // A znode costs about 100 bytes here; the children set is the largest optional part, so leaves (most znodes)
    // never allocate one, as ZooKeeper's DataNode does.
    private HashSet<string>? _children;
    private byte[]? _data;
    private IReadOnlyList<Acl> _acl;
    private StatPersisted _stat;

    public DataNode()
        : this(null, WellKnownAcls.OpenAclUnsafe, default, ZnodeKind.Persistent)
    {
    }

    internal DataNode(byte[]? data, IReadOnlyList<Acl> acl, StatPersisted stat, ZnodeKind kind)
    {
        _data = data;
        _acl = acl;
        _stat = stat;
        Kind = kind;
    }

    /// <summary>
    /// The data, empty when it was created or set as null (see <see cref="DataIsNull"/>). The stored array itself,
    /// shared with the txn that set it and with snapshots: never write to it.
    /// </summary>
    public byte[] Data => _data ?? [];

    /// <summary>
    /// Whether the data is null rather than empty. ZooKeeper keeps the difference: getData returns a null buffer
    /// (length -1) for a znode created with null data, which kazoo shows as None and zkCli as "null".
    /// </summary>
    public bool DataIsNull => _data is null;

    /// <summary>The ACL list; znodes with equal lists share one instance.</summary>
    public IReadOnlyList<Acl> Acl => _acl;

    public ZnodeKind Kind { get; }

    /// <summary>
    /// The stored stat. Its <see cref="StatPersisted.Cversion"/> counts child creations only, as ZooKeeper stores
    /// it: that is the number a sequential suffix uses and a create txn's ParentCVersion increments. Clients see
    /// the derived value of <see cref="ToStat"/>.
    /// </summary>
    public StatPersisted Stat
    {
        get
        {
            lock (this)
            {
                return _stat;
            }
        }
    }

    /// <summary>How many children the node has, without copying them (every create and delete asks).</summary>
    public int ChildCount
    {
        get
        {
            lock (this)
            {
                return _children?.Count ?? 0;
            }
        }
    }

    /// <summary>Names (not paths) of the children: a copy, safe to keep while the tree changes.</summary>
    public IReadOnlyCollection<string> Children
    {
        get
        {
            lock (this)
            {
                return _children is null ? [] : [.. _children];
            }
        }
    }

    /// <summary>
    /// The client-visible stat, as ZooKeeper's DataNode.copyStat makes it: cversion is translated from the count
    /// of creations to the count of changes (each child still present has not been deleted yet, so
    /// <c>2 × creations − children</c>), and containers and TTL znodes report ephemeralOwner 0.
    /// </summary>
    public Stat ToStat()
    {
        lock (this)
        {
            var children = _children?.Count ?? 0;
            return new Stat(
                _stat.Czxid,
                _stat.Mzxid,
                _stat.Ctime,
                _stat.Mtime,
                _stat.Version,
                unchecked(_stat.Cversion * 2 - children),
                _stat.Aversion,
                Kind == ZnodeKind.Ephemeral ? _stat.EphemeralOwner : 0,
                _data?.Length ?? 0,
                children,
                _stat.Pzxid);
        }
    }

    internal int DataLength => _data?.Length ?? 0;

    // The mutators below run on the tree's writer thread with the node locked by the caller, which sometimes
    // groups several of them into one change.

    internal void AddChild(string name) => (_children ??= new HashSet<string>(StringComparer.Ordinal)).Add(name);

    internal void RemoveChild(string name) => _children?.Remove(name);

    /// <summary>
    /// Records a child creation. Only a higher cversion is taken: replaying a create whose child a fuzzy snapshot
    /// already saw deleted again must not move the parent back (ZooKeeper's createNode / setCversionPzxid).
    /// </summary>
    internal void AdvanceCversion(int cversion, long zxid)
    {
        if (cversion > _stat.Cversion)
        {
            _stat = _stat with { Cversion = cversion, Pzxid = zxid };
        }
    }

    /// <summary>Records a child deletion; an older zxid (replay) never overwrites a newer create's pzxid.</summary>
    internal void AdvancePzxid(long zxid)
    {
        if (zxid > _stat.Pzxid)
        {
            _stat = _stat with { Pzxid = zxid };
        }
    }

    internal void SetData(byte[]? data, int version, long zxid, long time)
    {
        _data = data;
        _stat = _stat with { Version = version, Mzxid = zxid, Mtime = time };
    }

    internal void SetAcl(IReadOnlyList<Acl> acl, int aversion)
    {
        _acl = acl;
        _stat = _stat with { Aversion = aversion };
    }

    /// <summary>Everything a snapshot stores, copied in one locked step.</summary>
    internal NodeImage Image()
    {
        lock (this)
        {
            return new NodeImage(_data, _acl, _stat, Kind, _children is null ? [] : [.. _children]);
        }
    }
}

/// <summary>A node's state at one instant, for the snapshot writer.</summary>
internal readonly record struct NodeImage(byte[]? Data, IReadOnlyList<Acl> Acl, StatPersisted Stat, ZnodeKind Kind, string[] Children);
