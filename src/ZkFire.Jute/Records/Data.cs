namespace ZkFire.Jute;

// module org.apache.zookeeper.data

/// <summary>An identity an ACL entry grants to: <c>scheme:identity</c>, e.g. <c>world:anyone</c>, <c>ip:10.0.0.1</c>.</summary>
public readonly record struct Id(string Scheme, string Identity) : IJuteRecord<Id>
{
    // ZooKeeper's server accepts a null identity: kazoo writes every empty string as length -1, so its auth:"" ACL
    // arrives with a null id, which means the same as an empty one.
    public static Id Read(ref JuteReader reader) => new(reader.ReadString(), reader.ReadNullableString() ?? "");

    public void Write(ref JuteWriter writer)
    {
        writer.WriteString(Scheme);
        writer.WriteString(Identity);
    }
}

/// <summary>One ACL entry (jute <c>ACL</c>).</summary>
public readonly record struct Acl(Perms Perms, Id Id) : IJuteRecord<Acl>
{
    public static Acl Read(ref JuteReader reader) => new((Perms)reader.ReadInt(), Id.Read(ref reader));

    public void Write(ref JuteWriter writer)
    {
        writer.WriteInt((int)Perms);
        Id.Write(ref writer);
    }
}

/// <summary>A znode's metadata as clients see it.</summary>
public readonly record struct Stat(
    long Czxid,
    long Mzxid,
    long Ctime,
    long Mtime,
    int Version,
    int Cversion,
    int Aversion,
    long EphemeralOwner,
    int DataLength,
    int NumChildren,
    long Pzxid) : IJuteRecord<Stat>
{
    /// <summary>Encoded size: six longs and five ints.</summary>
    public const int Size = 6 * sizeof(long) + 5 * sizeof(int);

    public static Stat Read(ref JuteReader reader) => new(
        reader.ReadLong(),
        reader.ReadLong(),
        reader.ReadLong(),
        reader.ReadLong(),
        reader.ReadInt(),
        reader.ReadInt(),
        reader.ReadInt(),
        reader.ReadLong(),
        reader.ReadInt(),
        reader.ReadInt(),
        reader.ReadLong());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteLong(Czxid);
        writer.WriteLong(Mzxid);
        writer.WriteLong(Ctime);
        writer.WriteLong(Mtime);
        writer.WriteInt(Version);
        writer.WriteInt(Cversion);
        writer.WriteInt(Aversion);
        writer.WriteLong(EphemeralOwner);
        writer.WriteInt(DataLength);
        writer.WriteInt(NumChildren);
        writer.WriteLong(Pzxid);
    }
}

/// <summary>
/// A znode's metadata as the server stores it in snapshots: <see cref="Stat"/> without the two fields derived
/// from the data and the children.
/// </summary>
public readonly record struct StatPersisted(
    long Czxid,
    long Mzxid,
    long Ctime,
    long Mtime,
    int Version,
    int Cversion,
    int Aversion,
    long EphemeralOwner,
    long Pzxid) : IJuteRecord<StatPersisted>
{
    public static StatPersisted Read(ref JuteReader reader) => new(
        reader.ReadLong(),
        reader.ReadLong(),
        reader.ReadLong(),
        reader.ReadLong(),
        reader.ReadInt(),
        reader.ReadInt(),
        reader.ReadInt(),
        reader.ReadLong(),
        reader.ReadLong());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteLong(Czxid);
        writer.WriteLong(Mzxid);
        writer.WriteLong(Ctime);
        writer.WriteLong(Mtime);
        writer.WriteInt(Version);
        writer.WriteInt(Cversion);
        writer.WriteInt(Aversion);
        writer.WriteLong(EphemeralOwner);
        writer.WriteLong(Pzxid);
    }
}

/// <summary>One identity of a session, as whoAmI reports it.</summary>
public readonly record struct ClientInfo(string AuthScheme, string User) : IJuteRecord<ClientInfo>
{
    public static ClientInfo Read(ref JuteReader reader) => new(reader.ReadString(), reader.ReadString());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteString(AuthScheme);
        writer.WriteString(User);
    }
}
