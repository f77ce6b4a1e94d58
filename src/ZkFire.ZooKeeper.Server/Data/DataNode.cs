using ZkFire.Jute;

namespace ZkFire.ZooKeeper.Server.Data;

/// <summary>One znode. Changed only by <see cref="DataTree.Apply"/>; snapshot writers lock the node to copy it.</summary>
public sealed class DataNode
{
    public DataNode() => throw new NotImplementedException();

    public byte[] Data => throw new NotImplementedException();

    public IReadOnlyList<Acl> Acl => throw new NotImplementedException();

    public StatPersisted Stat => throw new NotImplementedException();

    /// <summary>Names (not paths) of the children.</summary>
    public IReadOnlyCollection<string> Children => throw new NotImplementedException();

    /// <summary>The client-visible stat: the persisted fields plus data length and child count.</summary>
    public Stat ToStat() => throw new NotImplementedException();
}
