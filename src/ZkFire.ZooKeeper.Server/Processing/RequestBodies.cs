using ZkFire.Jute;

namespace ZkFire.ZooKeeper.Server.Processing;

/// <summary>
/// A multi read the way ZooKeeper 3.8's server reads it, where that differs from the plain jute record: its create
/// ops are retyped by their flags, as MultiOperationRecord builds them through Op.create.
/// </summary>
internal static class RequestBodies
{
    /// <summary>
    /// MultiOperationRecord.deserialize: a create's type follows its flags, not its opcode (create2 becomes create, the
    /// container flag makes createContainer, a TTL flag createTTL; an unknown flag stays a create that then fails with
    /// BadArguments); a createTTL without a TTL flag becomes a plain create; read ops never set watches. An unknown
    /// op, a create whose flags ask for a TTL without carrying one, or a mix of reads and writes does not decode.
    /// </summary>
    public static MultiRequest Multi(ref JuteReader reader)
    {
        var ops = new List<MultiOp>();
        for (var header = MultiHeader.Read(ref reader); !header.Done; header = MultiHeader.Read(ref reader))
        {
            MultiOp op = header.Type switch
            {
                OpCode.Create or OpCode.Create2 or OpCode.CreateContainer => CreateOp(CreateRequest.Read(ref reader)),
                OpCode.CreateTtl => CreateTtlRequest.Read(ref reader) is var ttl && Mode(ttl.Flags).IsTtl
                    ? MultiOp.CreateTtl(ttl)
                    : CreateOp(new CreateRequest(ttl.Path, ttl.Data, ttl.Acl, ttl.Flags)),
                OpCode.Delete => MultiOp.Delete(DeleteRequest.Read(ref reader)),
                OpCode.SetData => MultiOp.SetData(SetDataRequest.Read(ref reader)),
                OpCode.Check => MultiOp.Check(CheckVersionRequest.Read(ref reader)),
                OpCode.GetChildren => MultiOp.GetChildren(GetChildrenRequest.Read(ref reader) with { Watch = false }),
                OpCode.GetData => MultiOp.GetData(GetDataRequest.Read(ref reader) with { Watch = false }),
                _ => throw new JuteException($"Invalid type of op {(int)header.Type}."),
            };
            if (ops.Count > 0 && ops[0].IsRead != op.IsRead)
            {
                throw new JuteException("Mixing different kind of ops.");
            }

            ops.Add(op);
        }

        return new MultiRequest(ops);
    }

    private static MultiOp<CreateRequest> CreateOp(CreateRequest request)
    {
        var mode = Mode(request.Flags);
        return mode.IsTtl ? throw new JuteException("A TTL create without a TTL.")
            : mode.IsContainer ? MultiOp.CreateContainer(request)
            : MultiOp.Create(request);
    }

    private static CreateMode Mode(int flags) => CreateMode.FromFlag(flags) ?? CreateMode.Persistent;
}
