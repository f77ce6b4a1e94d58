namespace ZkFire.Jute;

// module org.apache.zookeeper.proto: request bodies, in the order zookeeper.jute declares them. Records without a
// buffer or vector are readonly structs, so decoding one allocates nothing but its strings.

public readonly record struct GetDataRequest(string Path, bool Watch) : IJuteRecord<GetDataRequest>
{
    public static GetDataRequest Read(ref JuteReader reader) => new(reader.ReadString(), reader.ReadBool());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteBool(Watch);
    }
}

/// <summary><see cref="Data"/> may be null (Java clients send -1 for null data); <see cref="Version"/> -1 matches any.</summary>
public sealed record SetDataRequest(string Path, byte[]? Data, int Version) : IJuteRecord<SetDataRequest>
{
    public static SetDataRequest Read(ref JuteReader reader) =>
        new(reader.ReadString(), reader.ReadBuffer(), reader.ReadInt());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteBuffer(Data);
        writer.WriteInt(Version);
    }
}

/// <summary>Dynamic reconfiguration; the Java client leaves the server lists it does not use null.</summary>
public sealed record ReconfigRequest(string? JoiningServers, string? LeavingServers, string? NewMembers, long CurConfigId)
    : IJuteRecord<ReconfigRequest>
{
    public static ReconfigRequest Read(ref JuteReader reader) => new(
        reader.ReadNullableString(),
        reader.ReadNullableString(),
        reader.ReadNullableString(),
        reader.ReadLong());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteString(JoiningServers);
        writer.WriteString(LeavingServers);
        writer.WriteString(NewMembers);
        writer.WriteLong(CurConfigId);
    }
}

/// <summary>
/// Body of create, create2 and createContainer. <see cref="Flags"/> stays a raw int because an invalid flag must
/// reach the server's own check (<see cref="CreateModeExtensions.FromFlag"/>). An empty or null ACL list is
/// refused by the server with InvalidACL either way, so both read as empty.
/// </summary>
public sealed record CreateRequest(string Path, byte[]? Data, IReadOnlyList<Acl> Acl, int Flags) : IJuteRecord<CreateRequest>
{
    public static CreateRequest Read(ref JuteReader reader) =>
        new(reader.ReadString(), reader.ReadBuffer(), reader.ReadVector<Acl>(), reader.ReadInt());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteBuffer(Data);
        writer.WriteVector(Acl);
        writer.WriteInt(Flags);
    }
}

/// <summary>Body of createTTL: <see cref="CreateRequest"/> plus the time to live in milliseconds.</summary>
public sealed record CreateTtlRequest(string Path, byte[]? Data, IReadOnlyList<Acl> Acl, int Flags, long Ttl)
    : IJuteRecord<CreateTtlRequest>
{
    public static CreateTtlRequest Read(ref JuteReader reader) =>
        new(reader.ReadString(), reader.ReadBuffer(), reader.ReadVector<Acl>(), reader.ReadInt(), reader.ReadLong());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteBuffer(Data);
        writer.WriteVector(Acl);
        writer.WriteInt(Flags);
        writer.WriteLong(Ttl);
    }
}

/// <summary>Body of delete and deleteContainer; <see cref="Version"/> -1 matches any.</summary>
public readonly record struct DeleteRequest(string Path, int Version) : IJuteRecord<DeleteRequest>
{
    public static DeleteRequest Read(ref JuteReader reader) => new(reader.ReadString(), reader.ReadInt());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteInt(Version);
    }
}

public readonly record struct GetChildrenRequest(string Path, bool Watch) : IJuteRecord<GetChildrenRequest>
{
    public static GetChildrenRequest Read(ref JuteReader reader) => new(reader.ReadString(), reader.ReadBool());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteBool(Watch);
    }
}

public readonly record struct GetAllChildrenNumberRequest(string Path) : IJuteRecord<GetAllChildrenNumberRequest>
{
    public static GetAllChildrenNumberRequest Read(ref JuteReader reader) => new(reader.ReadString());

    public void Write(ref JuteWriter writer) => writer.WriteString(Path);
}

public readonly record struct GetChildren2Request(string Path, bool Watch) : IJuteRecord<GetChildren2Request>
{
    public static GetChildren2Request Read(ref JuteReader reader) => new(reader.ReadString(), reader.ReadBool());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteBool(Watch);
    }
}

/// <summary>Body of check, which only appears inside a multi.</summary>
public readonly record struct CheckVersionRequest(string Path, int Version) : IJuteRecord<CheckVersionRequest>
{
    public static CheckVersionRequest Read(ref JuteReader reader) => new(reader.ReadString(), reader.ReadInt());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteInt(Version);
    }
}

public readonly record struct SyncRequest(string Path) : IJuteRecord<SyncRequest>
{
    public static SyncRequest Read(ref JuteReader reader) => new(reader.ReadString());

    public void Write(ref JuteWriter writer) => writer.WriteString(Path);
}

public readonly record struct GetAclRequest(string Path) : IJuteRecord<GetAclRequest>
{
    public static GetAclRequest Read(ref JuteReader reader) => new(reader.ReadString());

    public void Write(ref JuteWriter writer) => writer.WriteString(Path);
}

public sealed record SetAclRequest(string Path, IReadOnlyList<Acl> Acl, int Version) : IJuteRecord<SetAclRequest>
{
    public static SetAclRequest Read(ref JuteReader reader) =>
        new(reader.ReadString(), reader.ReadVector<Acl>(), reader.ReadInt());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteVector(Acl);
        writer.WriteInt(Version);
    }
}

/// <summary>Body of addWatch; <see cref="Mode"/> keeps any wire value so the server can refuse unknown ones.</summary>
public readonly record struct AddWatchRequest(string Path, AddWatchMode Mode) : IJuteRecord<AddWatchRequest>
{
    public static AddWatchRequest Read(ref JuteReader reader) => new(reader.ReadString(), (AddWatchMode)reader.ReadInt());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteInt((int)Mode);
    }
}

public readonly record struct ExistsRequest(string Path, bool Watch) : IJuteRecord<ExistsRequest>
{
    public static ExistsRequest Read(ref JuteReader reader) => new(reader.ReadString(), reader.ReadBool());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteBool(Watch);
    }
}

public readonly record struct CheckWatchesRequest(string Path, WatcherType Type) : IJuteRecord<CheckWatchesRequest>
{
    public static CheckWatchesRequest Read(ref JuteReader reader) => new(reader.ReadString(), (WatcherType)reader.ReadInt());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteInt((int)Type);
    }
}

public readonly record struct RemoveWatchesRequest(string Path, WatcherType Type) : IJuteRecord<RemoveWatchesRequest>
{
    public static RemoveWatchesRequest Read(ref JuteReader reader) => new(reader.ReadString(), (WatcherType)reader.ReadInt());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteInt((int)Type);
    }
}

/// <summary>Lists the session's ephemerals under <see cref="PrefixPath"/>.</summary>
public readonly record struct GetEphemeralsRequest(string PrefixPath) : IJuteRecord<GetEphemeralsRequest>
{
    public static GetEphemeralsRequest Read(ref JuteReader reader) => new(reader.ReadString());

    public void Write(ref JuteWriter writer) => writer.WriteString(PrefixPath);
}
