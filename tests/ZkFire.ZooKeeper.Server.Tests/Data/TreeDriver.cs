using System.Buffers;
using ZkFire.Jute;
using ZkFire.ZooKeeper.Server.Data;
using ZkFire.ZooKeeper.Server.Watches;

namespace ZkFire.ZooKeeper.Server.Tests.Data;

/// <summary>
/// Plays the request preprocessor: builds valid txns from the tree's current state (parent cversion, versions),
/// stamps them with increasing zxids, applies them and keeps them for replay.
/// </summary>
internal sealed class TreeDriver(DataTree tree)
{
    public const long StartTime = 1_700_000_000_000;

    public TreeDriver()
        : this(new DataTree())
    {
    }

    public DataTree Tree { get; } = tree;

    public List<(TxnHeader Header, object? Txn)> Log { get; } = [];

    public List<WatchNotification> Notifications { get; } = [];

    public long NextZxid { get; set; } = 1;

    public TxnHeader Header(OpCode type, long session = 0) => new(session, 1, NextZxid, StartTime + NextZxid, type);

    public int ParentCVersion(string path) => Tree.Get(ZnodePath.Parent(path)!)!.Stat.Cversion + 1;

    public TxnResult Create(string path, byte[]? data = null, long ephemeralOwner = 0, IReadOnlyList<Acl>? acl = null) =>
        Apply(Header(OpCode.Create2, ephemeralOwner), CreateTxn(path, data, ephemeralOwner != 0, acl));

    public CreateTxn CreateTxn(string path, byte[]? data = null, bool ephemeral = false, IReadOnlyList<Acl>? acl = null) =>
        new(path, data, acl ?? WellKnownAcls.OpenAclUnsafe, ephemeral, ParentCVersion(path));

    public TxnResult CreateContainer(string path) =>
        Apply(Header(OpCode.CreateContainer), new CreateContainerTxn(path, [1], WellKnownAcls.OpenAclUnsafe, ParentCVersion(path)));

    public TxnResult CreateTtl(string path, long ttl) =>
        Apply(Header(OpCode.CreateTtl), new CreateTtlTxn(path, [2], WellKnownAcls.OpenAclUnsafe, ParentCVersion(path), ttl));

    /// <summary>The name a sequential create under <paramref name="parent"/> gets now, as the preprocessor computes it.</summary>
    public string Sequential(string parent, string prefix) =>
        ZnodePath.AppendSequence(ZnodePath.Join(parent, prefix), Tree.Get(parent)!.Stat.Cversion);

    public TxnResult Delete(string path) => Apply(Header(OpCode.Delete), new DeleteTxn(path));

    public SetDataTxn SetDataTxn(string path, byte[]? data) => new(path, data, Tree.Get(path)!.Stat.Version + 1);

    public TxnResult SetData(string path, byte[]? data) => Apply(Header(OpCode.SetData), SetDataTxn(path, data));

    public TxnResult SetAcl(string path, IReadOnlyList<Acl> acl) =>
        Apply(Header(OpCode.SetAcl), new SetAclTxn(path, acl, Tree.Get(path)!.Stat.Aversion + 1));

    public TxnResult CloseSession(long session) =>
        Apply(Header(OpCode.CloseSession, session), new CloseSessionTxn([.. Tree.EphemeralPaths(session).Order(StringComparer.Ordinal)]));

    public TxnResult Multi(params (OpCode Type, object Txn)[] ops) => Apply(Header(OpCode.Multi), MultiTxn(ops));

    public TxnResult Apply(TxnHeader header, object? txn)
    {
        var result = Tree.Apply(header, txn, Notifications);
        Log.Add((header, txn));
        NextZxid = header.Zxid + 1;
        return result;
    }

    public static MultiTxn MultiTxn(params (OpCode Type, object Txn)[] ops) =>
        new([.. ops.Select(op => new Txn(op.Type, Serialize(op.Txn)))]);

    public static byte[] Serialize(object record)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new JuteWriter(buffer);
        switch (record)
        {
            case CreateTxn r: r.Write(ref writer); break;
            case CreateContainerTxn r: r.Write(ref writer); break;
            case CreateTtlTxn r: r.Write(ref writer); break;
            case DeleteTxn r: r.Write(ref writer); break;
            case SetDataTxn r: r.Write(ref writer); break;
            case SetAclTxn r: r.Write(ref writer); break;
            case CheckVersionTxn r: r.Write(ref writer); break;
            case ErrorTxn r: r.Write(ref writer); break;
            default: throw new ArgumentException(record.GetType().Name);
        }

        writer.Commit();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Appends <paramref name="count"/> random valid txns of every kind the tree handles: creates of all modes,
    /// deletes of leaves, setData, setACL, session closes, successful and failed multis.
    /// </summary>
    public void RandomWorkload(int count, int seed)
    {
        var random = new Random(seed);
        IReadOnlyList<Acl>[] acls = [WellKnownAcls.OpenAclUnsafe, WellKnownAcls.ReadAclUnsafe, [new(Perms.All, new Id("digest", "alice:x"))]];
        var sessions = new List<long> { 0x100 };
        var paths = new List<string> { "/" };
        var name = 0;
        for (var i = 0; i < count; i++)
        {
            var path = paths[random.Next(paths.Count)];
            var node = Tree.Get(path);
            if (node is null)
            {
                paths.Remove(path);
                continue;
            }

            var roll = random.Next(100);
            switch (roll)
            {
                case < 40 when node.Kind != ZnodeKind.Ephemeral:
                    var child = roll < 5 ? Sequential(path, "s-") : ZnodePath.Join(path, "n" + name++);
                    var owner = roll % 4 == 0 ? sessions[^1] : 0;
                    if (roll % 7 == 0)
                    {
                        CreateContainer(child);
                    }
                    else
                    {
                        Create(child, roll % 3 == 0 ? null : [(byte)roll], owner, acls[roll % acls.Length]);
                    }

                    paths.Add(child);
                    break;
                case < 55 when path.Length > 1 && !path.StartsWith("/zookeeper", StringComparison.Ordinal) && node.Children.Count == 0:
                    Delete(path);
                    paths.Remove(path);
                    break;
                case < 75:
                    SetData(path, random.Next(3) == 0 ? null : [(byte)i, (byte)(i >> 8)]);
                    break;
                case < 80:
                    SetAcl(path, acls[random.Next(acls.Length)]);
                    break;
                case < 83:
                    CloseSession(sessions[^1]);
                    sessions.Add(sessions[^1] + 1);
                    break;
                case < 90 when node.Kind != ZnodeKind.Ephemeral:
                    var first = ZnodePath.Join(path, "m" + name++);
                    Multi(
                        (OpCode.Create, CreateTxn(first)),
                        (OpCode.SetData, SetDataTxn(path, [9])),
                        (OpCode.Check, new CheckVersionTxn(path, 0)));
                    paths.Add(first);
                    break;
                case < 95:
                    Multi((OpCode.Error, new ErrorTxn(ErrorCode.Ok)), (OpCode.Error, new ErrorTxn(ErrorCode.BadVersion)));
                    break;
                default:
                    Apply(Header(OpCode.CreateSession, sessions[^1]), new CreateSessionTxn(30000));
                    break;
            }
        }
    }
}

internal sealed class RecordingWatcher(long sessionId) : IWatcher
{
    public long SessionId { get; } = sessionId;

    public override string ToString() => $"watcher 0x{SessionId:x}";
}
