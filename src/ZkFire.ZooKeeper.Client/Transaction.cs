using ZkFire.Jute;

namespace ZkFire.ZooKeeper.Client;

/// <summary>Collects ops for one atomic multi; <see cref="CommitAsync"/> sends them.</summary>
public sealed class Transaction
{
    private readonly ZooKeeperClient _client;
    private readonly List<MultiOp> _ops = [];

    internal Transaction(ZooKeeperClient client) => _client = client;

    public Transaction Create(string path, byte[]? data, IReadOnlyList<Acl> acl, CreateMode mode = CreateMode.Persistent, long ttl = -1)
    {
        _ops.Add(mode switch
        {
            _ when mode.IsTtl => MultiOp.CreateTtl(new CreateTtlRequest(path, data, acl, (int)mode, ttl)),
            CreateMode.Container => MultiOp.CreateContainer(new CreateRequest(path, data, acl, (int)mode)),
            _ => MultiOp.Create(new CreateRequest(path, data, acl, (int)mode)),
        });
        return this;
    }

    public Transaction Delete(string path, int version = -1)
    {
        _ops.Add(MultiOp.Delete(new DeleteRequest(path, version)));
        return this;
    }

    public Transaction SetData(string path, byte[]? data, int version = -1)
    {
        _ops.Add(MultiOp.SetData(new SetDataRequest(path, data, version)));
        return this;
    }

    /// <summary>Fails the transaction unless the node exists with this version.</summary>
    public Transaction Check(string path, int version)
    {
        _ops.Add(MultiOp.Check(new CheckVersionRequest(path, version)));
        return this;
    }

    /// <inheritdoc cref="ZooKeeperClient.MultiAsync"/>
    public Task<IReadOnlyList<MultiResult>> CommitAsync(CancellationToken cancellationToken = default) =>
        _client.MultiAsync(_ops, cancellationToken);
}
