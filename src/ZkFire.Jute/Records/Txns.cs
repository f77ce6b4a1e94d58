namespace ZkFire.Jute;

// module org.apache.zookeeper.txn: what the transaction log, snapshots' diffs and ZAB proposals carry.

/// <summary>Digest of the data tree after a transaction, appended to log entries when digests are enabled.</summary>
public readonly record struct TxnDigest(int Version, long TreeDigest) : IJuteRecord<TxnDigest>
{
    public static TxnDigest Read(ref JuteReader reader) => new(reader.ReadInt(), reader.ReadLong());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteInt(Version);
        writer.WriteLong(TreeDigest);
    }
}

/// <summary>Who issued a transaction, when, and which type of txn record follows.</summary>
public readonly record struct TxnHeader(long ClientId, int Cxid, long Zxid, long Time, OpCode Type) : IJuteRecord<TxnHeader>
{
    public static TxnHeader Read(ref JuteReader reader) =>
        new(reader.ReadLong(), reader.ReadInt(), reader.ReadLong(), reader.ReadLong(), (OpCode)reader.ReadInt());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteLong(ClientId);
        writer.WriteInt(Cxid);
        writer.WriteLong(Zxid);
        writer.WriteLong(Time);
        writer.WriteInt((int)Type);
    }
}

/// <summary>The create txn of logs written before parentCVersion existed; told apart from <see cref="CreateTxn"/> by length.</summary>
public sealed record CreateTxnV0(string Path, byte[]? Data, IReadOnlyList<Acl> Acl, bool Ephemeral) : IJuteRecord<CreateTxnV0>
{
    public static CreateTxnV0 Read(ref JuteReader reader) =>
        new(reader.ReadString(), reader.ReadBuffer(), reader.ReadVector<Acl>(), reader.ReadBool());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteBuffer(Data);
        writer.WriteVector(Acl);
        writer.WriteBool(Ephemeral);
    }
}

public sealed record CreateTxn(string Path, byte[]? Data, IReadOnlyList<Acl> Acl, bool Ephemeral, int ParentCVersion)
    : IJuteRecord<CreateTxn>
{
    public static CreateTxn Read(ref JuteReader reader) =>
        new(reader.ReadString(), reader.ReadBuffer(), reader.ReadVector<Acl>(), reader.ReadBool(), reader.ReadInt());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteBuffer(Data);
        writer.WriteVector(Acl);
        writer.WriteBool(Ephemeral);
        writer.WriteInt(ParentCVersion);
    }
}

public sealed record CreateTtlTxn(string Path, byte[]? Data, IReadOnlyList<Acl> Acl, int ParentCVersion, long Ttl)
    : IJuteRecord<CreateTtlTxn>
{
    public static CreateTtlTxn Read(ref JuteReader reader) =>
        new(reader.ReadString(), reader.ReadBuffer(), reader.ReadVector<Acl>(), reader.ReadInt(), reader.ReadLong());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteBuffer(Data);
        writer.WriteVector(Acl);
        writer.WriteInt(ParentCVersion);
        writer.WriteLong(Ttl);
    }
}

public sealed record CreateContainerTxn(string Path, byte[]? Data, IReadOnlyList<Acl> Acl, int ParentCVersion)
    : IJuteRecord<CreateContainerTxn>
{
    public static CreateContainerTxn Read(ref JuteReader reader) =>
        new(reader.ReadString(), reader.ReadBuffer(), reader.ReadVector<Acl>(), reader.ReadInt());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteBuffer(Data);
        writer.WriteVector(Acl);
        writer.WriteInt(ParentCVersion);
    }
}

public readonly record struct DeleteTxn(string Path) : IJuteRecord<DeleteTxn>
{
    public static DeleteTxn Read(ref JuteReader reader) => new(reader.ReadString());

    public void Write(ref JuteWriter writer) => writer.WriteString(Path);
}

public sealed record SetDataTxn(string Path, byte[]? Data, int Version) : IJuteRecord<SetDataTxn>
{
    public static SetDataTxn Read(ref JuteReader reader) => new(reader.ReadString(), reader.ReadBuffer(), reader.ReadInt());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteBuffer(Data);
        writer.WriteInt(Version);
    }
}

public readonly record struct CheckVersionTxn(string Path, int Version) : IJuteRecord<CheckVersionTxn>
{
    public static CheckVersionTxn Read(ref JuteReader reader) => new(reader.ReadString(), reader.ReadInt());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteInt(Version);
    }
}

public sealed record SetAclTxn(string Path, IReadOnlyList<Acl> Acl, int Version) : IJuteRecord<SetAclTxn>
{
    public static SetAclTxn Read(ref JuteReader reader) => new(reader.ReadString(), reader.ReadVector<Acl>(), reader.ReadInt());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteVector(Acl);
        writer.WriteInt(Version);
    }
}

public readonly record struct CreateSessionTxn(int Timeout) : IJuteRecord<CreateSessionTxn>
{
    public static CreateSessionTxn Read(ref JuteReader reader) => new(reader.ReadInt());

    public void Write(ref JuteWriter writer) => writer.WriteInt(Timeout);
}

/// <summary>The session's ephemerals, deleted with it.</summary>
public sealed record CloseSessionTxn(IReadOnlyList<string> Paths2Delete) : IJuteRecord<CloseSessionTxn>
{
    public static CloseSessionTxn Read(ref JuteReader reader) => new(reader.ReadStringVector());

    public void Write(ref JuteWriter writer) => writer.WriteStringVector(Paths2Delete);
}

/// <summary>A request that failed still takes a zxid; this records its error.</summary>
public readonly record struct ErrorTxn(ErrorCode Err) : IJuteRecord<ErrorTxn>
{
    public static ErrorTxn Read(ref JuteReader reader) => new((ErrorCode)reader.ReadInt());

    public void Write(ref JuteWriter writer) => writer.WriteInt((int)Err);
}

/// <summary>One txn of a <see cref="MultiTxn"/>: its type and its txn record, already serialized.</summary>
public sealed record Txn(OpCode Type, byte[] Data) : IJuteRecord<Txn>
{
    public static Txn Read(ref JuteReader reader) => new((OpCode)reader.ReadInt(), reader.ReadBuffer() ?? []);

    public void Write(ref JuteWriter writer)
    {
        writer.WriteInt((int)Type);
        writer.WriteBuffer(Data);
    }
}

public sealed record MultiTxn(IReadOnlyList<Txn> Txns) : IJuteRecord<MultiTxn>
{
    public static MultiTxn Read(ref JuteReader reader) => new(reader.ReadVector<Txn>());

    public void Write(ref JuteWriter writer) => writer.WriteVector(Txns);
}
