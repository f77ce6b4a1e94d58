namespace ZkFire.Jute;

// module org.apache.zookeeper.proto: session establishment, authentication and watch re-registration.

/// <summary>
/// The first packet of a connection (no RequestHeader). <see cref="ReadOnly"/> is null when the client did not
/// send the trailing byte (clients older than 3.3); the server must then leave it out of its response too.
/// </summary>
public sealed record ConnectRequest(
    int ProtocolVersion,
    long LastZxidSeen,
    int Timeout,
    long SessionId,
    byte[] Passwd,
    bool? ReadOnly) : IJuteRecord<ConnectRequest>
{
    public static ConnectRequest Read(ref JuteReader reader) => new(
        reader.ReadInt(),
        reader.ReadLong(),
        reader.ReadInt(),
        reader.ReadLong(),
        reader.ReadBuffer() ?? [],
        // ZooKeeper reads the flag only if a byte is left, and ignores anything after it.
        reader.IsAtEnd ? null : reader.ReadBool());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteInt(ProtocolVersion);
        writer.WriteLong(LastZxidSeen);
        writer.WriteInt(Timeout);
        writer.WriteLong(SessionId);
        writer.WriteBuffer(Passwd);
        if (ReadOnly is { } readOnly)
        {
            writer.WriteBool(readOnly);
        }
    }
}

/// <summary>
/// The server's answer to <see cref="ConnectRequest"/> (no ReplyHeader): 36 bytes, 37 with the read-only flag,
/// which is written only when <see cref="ReadOnly"/> is set — set it exactly when the request carried one.
/// A session id of 0 with timeout 0 tells the client its session has expired.
/// </summary>
public sealed record ConnectResponse(
    int ProtocolVersion,
    int Timeout,
    long SessionId,
    byte[] Passwd,
    bool? ReadOnly) : IJuteRecord<ConnectResponse>
{
    public static ConnectResponse Read(ref JuteReader reader) => new(
        reader.ReadInt(),
        reader.ReadInt(),
        reader.ReadLong(),
        reader.ReadBuffer() ?? [],
        reader.IsAtEnd ? null : reader.ReadBool());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteInt(ProtocolVersion);
        writer.WriteInt(Timeout);
        writer.WriteLong(SessionId);
        writer.WriteBuffer(Passwd);
        if (ReadOnly is { } readOnly)
        {
            writer.WriteBool(readOnly);
        }
    }
}

/// <summary>Sent with xid <see cref="SpecialXid.Auth"/>; <see cref="Type"/> is always 0 in practice.</summary>
public sealed record AuthPacket(int Type, string Scheme, byte[] Auth) : IJuteRecord<AuthPacket>
{
    public static AuthPacket Read(ref JuteReader reader) =>
        new(reader.ReadInt(), reader.ReadString(), reader.ReadBuffer() ?? []);

    public void Write(ref JuteWriter writer)
    {
        writer.WriteInt(Type);
        writer.WriteString(Scheme);
        writer.WriteBuffer(Auth);
    }
}

/// <summary>Re-registers watches after a reconnect (opcode setWatches, xid <see cref="SpecialXid.SetWatches"/>).</summary>
public sealed record SetWatches(
    long RelativeZxid,
    IReadOnlyList<string> DataWatches,
    IReadOnlyList<string> ExistWatches,
    IReadOnlyList<string> ChildWatches) : IJuteRecord<SetWatches>
{
    public static SetWatches Read(ref JuteReader reader) => new(
        reader.ReadLong(),
        reader.ReadStringVector(),
        reader.ReadStringVector(),
        reader.ReadStringVector());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteLong(RelativeZxid);
        writer.WriteStringVector(DataWatches);
        writer.WriteStringVector(ExistWatches);
        writer.WriteStringVector(ChildWatches);
    }
}

/// <summary><see cref="SetWatches"/> plus persistent watches (opcode setWatches2).</summary>
public sealed record SetWatches2(
    long RelativeZxid,
    IReadOnlyList<string> DataWatches,
    IReadOnlyList<string> ExistWatches,
    IReadOnlyList<string> ChildWatches,
    IReadOnlyList<string> PersistentWatches,
    IReadOnlyList<string> PersistentRecursiveWatches) : IJuteRecord<SetWatches2>
{
    public static SetWatches2 Read(ref JuteReader reader) => new(
        reader.ReadLong(),
        reader.ReadStringVector(),
        reader.ReadStringVector(),
        reader.ReadStringVector(),
        reader.ReadStringVector(),
        reader.ReadStringVector());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteLong(RelativeZxid);
        writer.WriteStringVector(DataWatches);
        writer.WriteStringVector(ExistWatches);
        writer.WriteStringVector(ChildWatches);
        writer.WriteStringVector(PersistentWatches);
        writer.WriteStringVector(PersistentRecursiveWatches);
    }
}

/// <summary>SASL token from client to server (jute GetSASLRequest, opcode sasl).</summary>
public sealed record GetSaslRequest(byte[] Token) : IJuteRecord<GetSaslRequest>
{
    public static GetSaslRequest Read(ref JuteReader reader) => new(reader.ReadBuffer() ?? []);

    public void Write(ref JuteWriter writer) => writer.WriteBuffer(Token);
}

/// <summary>SASL token from server to client (jute SetSASLResponse).</summary>
public sealed record SetSaslResponse(byte[] Token) : IJuteRecord<SetSaslResponse>
{
    public static SetSaslResponse Read(ref JuteReader reader) => new(reader.ReadBuffer() ?? []);

    public void Write(ref JuteWriter writer) => writer.WriteBuffer(Token);
}
