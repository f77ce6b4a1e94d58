namespace ZkFire.Jute;

// module org.apache.zookeeper.proto: the headers in front of every request, reply and multi op.

/// <summary>Starts every request after the connect; <see cref="Xid"/> is echoed in the reply.</summary>
public readonly record struct RequestHeader(int Xid, OpCode Type) : IJuteRecord<RequestHeader>
{
    public static RequestHeader Read(ref JuteReader reader) => new(reader.ReadInt(), (OpCode)reader.ReadInt());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteInt(Xid);
        writer.WriteInt((int)Type);
    }
}

/// <summary>Starts every reply after the connect response; a body follows only when <see cref="Err"/> is Ok.</summary>
public readonly record struct ReplyHeader(int Xid, long Zxid, ErrorCode Err) : IJuteRecord<ReplyHeader>
{
    public static ReplyHeader Read(ref JuteReader reader) =>
        new(reader.ReadInt(), reader.ReadLong(), (ErrorCode)reader.ReadInt());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteInt(Xid);
        writer.WriteLong(Zxid);
        writer.WriteInt((int)Err);
    }
}

/// <summary>Precedes each op of a multi request or each result of a multi response; <see cref="Done"/> ends the list.</summary>
public readonly record struct MultiHeader(OpCode Type, bool Done, ErrorCode Err) : IJuteRecord<MultiHeader>
{
    /// <summary>The terminator both directions end with: type -1, done, err -1.</summary>
    public static MultiHeader End { get; } = new(OpCode.Error, true, ErrorCode.SystemError);

    public static MultiHeader Read(ref JuteReader reader) =>
        new((OpCode)reader.ReadInt(), reader.ReadBool(), (ErrorCode)reader.ReadInt());

    public void Write(ref JuteWriter writer)
    {
        writer.WriteInt((int)Type);
        writer.WriteBool(Done);
        writer.WriteInt((int)Err);
    }
}
