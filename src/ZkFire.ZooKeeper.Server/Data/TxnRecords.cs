using ZkFire.Jute;

namespace ZkFire.ZooKeeper.Server.Data;

/// <summary>
/// Decodes the txn record that follows a TxnHeader of a given type into the object <see cref="DataTree.Apply"/>
/// takes (ZooKeeper's SerializeUtils.deserializeTxn, minus the pre-3.3 CreateTxnV0 form that no ZkFire log holds).
/// </summary>
public static class TxnRecords
{
    /// <exception cref="JuteException">The body is malformed or <paramref name="type"/> is not a txn type.</exception>
    public static object Read(OpCode type, ReadOnlySpan<byte> body)
    {
        var reader = new JuteReader(body);
        return type switch
        {
            OpCode.CreateSession => CreateSessionTxn.Read(ref reader),
            OpCode.CloseSession => CloseSessionTxn.Read(ref reader),
            OpCode.Create or OpCode.Create2 => CreateTxn.Read(ref reader),
            OpCode.CreateTtl => CreateTtlTxn.Read(ref reader),
            OpCode.CreateContainer => CreateContainerTxn.Read(ref reader),
            OpCode.Delete or OpCode.DeleteContainer => DeleteTxn.Read(ref reader),
            OpCode.SetData or OpCode.Reconfig => SetDataTxn.Read(ref reader),
            OpCode.SetAcl => SetAclTxn.Read(ref reader),
            OpCode.Check => CheckVersionTxn.Read(ref reader),
            OpCode.Error => ErrorTxn.Read(ref reader),
            OpCode.Multi => MultiTxn.Read(ref reader),
            _ => throw new JuteException($"Op {(int)type} has no txn record."),
        };
    }

    /// <summary>The sub-txn types a multi may hold (DataTree.processTxn refuses any other).</summary>
    public static bool IsMultiSubTxn(OpCode type) => type is OpCode.Create or OpCode.Create2 or OpCode.CreateTtl
        or OpCode.CreateContainer or OpCode.Delete or OpCode.DeleteContainer or OpCode.SetData or OpCode.Error
        or OpCode.Check;
}
