using System.Buffers;
using ZkFire.Jute;

namespace ZkFire.ZooKeeper.Server.Data;

/// <summary>
/// Transactions as the log stores them: a TxnHeader followed by the record its type names (ZooKeeper's
/// SerializeUtils/TxnLogEntry layout), so a log entry is self-describing and replay needs nothing else.
/// </summary>
internal static class TxnCodec
{
    /// <summary>Encodes the header and the txn record (null for txns without one).</summary>
    public static byte[] Serialize(TxnHeader header, object? txn)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        var writer = new JuteWriter(buffer);
        header.Write(ref writer);
        if (txn is not null)
        {
            WriteRecord(ref writer, txn);
        }

        writer.Commit();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Encodes one txn record alone, as a multi's sub-txns carry them.</summary>
    public static byte[] SerializeRecord(object txn)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        var writer = new JuteWriter(buffer);
        WriteRecord(ref writer, txn);
        writer.Commit();
        return buffer.WrittenSpan.ToArray();
    }

    /// <exception cref="JuteException">The entry is not a transaction this server knows.</exception>
    public static (TxnHeader Header, object? Txn) Deserialize(ReadOnlySpan<byte> entry)
    {
        var reader = new JuteReader(entry);
        var header = TxnHeader.Read(ref reader);
        var body = entry[reader.Position..];
        // A closeSession logged without its paths (closeSessionTxn disabled, or an older server) has no record.
        var txn = body.IsEmpty && header.Type == OpCode.CloseSession ? null : TxnRecords.Read(header.Type, body);
        return (header, txn);
    }

    private static void WriteRecord(ref JuteWriter writer, object txn)
    {
        switch (txn)
        {
            case CreateTxn create:
                create.Write(ref writer);
                break;
            case CreateContainerTxn container:
                container.Write(ref writer);
                break;
            case CreateTtlTxn ttl:
                ttl.Write(ref writer);
                break;
            case DeleteTxn delete:
                delete.Write(ref writer);
                break;
            case SetDataTxn setData:
                setData.Write(ref writer);
                break;
            case SetAclTxn setAcl:
                setAcl.Write(ref writer);
                break;
            case CheckVersionTxn check:
                check.Write(ref writer);
                break;
            case MultiTxn multi:
                multi.Write(ref writer);
                break;
            case CreateSessionTxn createSession:
                createSession.Write(ref writer);
                break;
            case CloseSessionTxn closeSession:
                closeSession.Write(ref writer);
                break;
            case ErrorTxn error:
                error.Write(ref writer);
                break;
            default:
                throw new ArgumentException($"{txn.GetType().Name} is not a transaction record.", nameof(txn));
        }
    }
}
