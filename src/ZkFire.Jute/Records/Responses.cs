namespace ZkFire.Jute;

// module org.apache.zookeeper.proto: reply bodies, which follow a ReplyHeader whose err is Ok.

public readonly record struct SetDataResponse(Stat Stat) : IJuteRecord<SetDataResponse>
{
    public static SetDataResponse Read(ref JuteReader reader) => new(Stat.Read(ref reader));

    public void Write(ref JuteWriter writer) => Stat.Write(ref writer);
}

public readonly record struct SyncResponse(string Path) : IJuteRecord<SyncResponse>
{
    public static SyncResponse Read(ref JuteReader reader) => new(reader.ReadString());

    public void Write(ref JuteWriter writer) => writer.WriteString(Path);
}

public readonly record struct SetAclResponse(Stat Stat) : IJuteRecord<SetAclResponse>
{
    public static SetAclResponse Read(ref JuteReader reader) => new(Stat.Read(ref reader));

    public void Write(ref JuteWriter writer) => Stat.Write(ref writer);
}

/// <summary>A watch notification, sent with xid <see cref="SpecialXid.Notification"/>.</summary>
public readonly record struct WatcherEvent(EventType Type, KeeperState State, string Path) : IJuteRecord<WatcherEvent>
{
    public static WatcherEvent Read(ref JuteReader reader) =>
        new((EventType)reader.ReadInt(), (KeeperState)reader.ReadInt(), reader.ReadString());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteInt((int)Type);
        writer.WriteInt((int)State);
        writer.WriteString(Path);
    }
}

/// <summary>A failed op inside a multi response.</summary>
public readonly record struct ErrorResponse(ErrorCode Err) : IJuteRecord<ErrorResponse>
{
    public static ErrorResponse Read(ref JuteReader reader) => new((ErrorCode)reader.ReadInt());

    public void Write(ref JuteWriter writer) => writer.WriteInt((int)Err);
}

/// <summary>Reply to create: the actual path, which differs from the request's for sequential nodes.</summary>
public readonly record struct CreateResponse(string Path) : IJuteRecord<CreateResponse>
{
    public static CreateResponse Read(ref JuteReader reader) => new(reader.ReadString());

    public void Write(ref JuteWriter writer) => writer.WriteString(Path);
}

/// <summary>Reply to create2, createContainer and createTTL.</summary>
public readonly record struct Create2Response(string Path, Stat Stat) : IJuteRecord<Create2Response>
{
    public static Create2Response Read(ref JuteReader reader) => new(reader.ReadString(), Stat.Read(ref reader));

    public void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        Stat.Write(ref writer);
    }
}

public readonly record struct ExistsResponse(Stat Stat) : IJuteRecord<ExistsResponse>
{
    public static ExistsResponse Read(ref JuteReader reader) => new(Stat.Read(ref reader));

    public void Write(ref JuteWriter writer) => Stat.Write(ref writer);
}

/// <summary><see cref="Data"/> is null for a node created with null data, as ZooKeeper stores and returns it.</summary>
public sealed record GetDataResponse(byte[]? Data, Stat Stat) : IJuteRecord<GetDataResponse>
{
    public static GetDataResponse Read(ref JuteReader reader) => new(reader.ReadBuffer(), Stat.Read(ref reader));

    public void Write(ref JuteWriter writer)
    {
        writer.WriteBuffer(Data);
        Stat.Write(ref writer);
    }
}

public sealed record GetChildrenResponse(IReadOnlyList<string> Children) : IJuteRecord<GetChildrenResponse>
{
    public static GetChildrenResponse Read(ref JuteReader reader) => new(reader.ReadStringVector());

    public void Write(ref JuteWriter writer) => writer.WriteStringVector(Children);
}

public readonly record struct GetAllChildrenNumberResponse(int TotalNumber) : IJuteRecord<GetAllChildrenNumberResponse>
{
    public static GetAllChildrenNumberResponse Read(ref JuteReader reader) => new(reader.ReadInt());

    public void Write(ref JuteWriter writer) => writer.WriteInt(TotalNumber);
}

public sealed record GetChildren2Response(IReadOnlyList<string> Children, Stat Stat) : IJuteRecord<GetChildren2Response>
{
    public static GetChildren2Response Read(ref JuteReader reader) => new(reader.ReadStringVector(), Stat.Read(ref reader));

    public void Write(ref JuteWriter writer)
    {
        writer.WriteStringVector(Children);
        Stat.Write(ref writer);
    }
}

public sealed record GetAclResponse(IReadOnlyList<Acl> Acl, Stat Stat) : IJuteRecord<GetAclResponse>
{
    public static GetAclResponse Read(ref JuteReader reader) => new(reader.ReadVector<Acl>(), Stat.Read(ref reader));

    public void Write(ref JuteWriter writer)
    {
        writer.WriteVector(Acl);
        Stat.Write(ref writer);
    }
}

public sealed record GetEphemeralsResponse(IReadOnlyList<string> Ephemerals) : IJuteRecord<GetEphemeralsResponse>
{
    public static GetEphemeralsResponse Read(ref JuteReader reader) => new(reader.ReadStringVector());

    public void Write(ref JuteWriter writer) => writer.WriteStringVector(Ephemerals);
}

public sealed record WhoAmIResponse(IReadOnlyList<ClientInfo> ClientInfo) : IJuteRecord<WhoAmIResponse>
{
    public static WhoAmIResponse Read(ref JuteReader reader) => new(reader.ReadVector<ClientInfo>());

    public void Write(ref JuteWriter writer) => writer.WriteVector(ClientInfo);
}
