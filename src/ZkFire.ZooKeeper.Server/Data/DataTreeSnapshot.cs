using System.Buffers;
using System.Buffers.Binary;
using ZkFire.Jute;

namespace ZkFire.ZooKeeper.Server.Data;

/// <summary>
/// ZkFire's snapshot format for a <see cref="DataTree"/> (ZooKeeper's own is not needed: snapshots only travel
/// between ZkFire members). Big-endian jute encoding, cut into chunks of about 64 KiB, each
/// <c>int length, bytes</c>, a zero length ending the stream; a record never spans chunks, so the reader parses
/// each chunk from a plain buffer and a truncated stream is detected. The first chunk opens with
/// <c>int magic "ZKDT", int format version, long zxid</c>. Then records: <c>int 1, vector&lt;ACL&gt;</c>
/// defines the next ACL id (0, 1, ...) before its first use; <c>int 2, string path, buffer data (-1 = null), int
/// acl id, int kind, StatPersisted</c> is a znode. Znodes come parent first (a depth-first walk with an explicit
/// stack, so any depth is fine), which lets the reader link children and rebuild the indexes in one pass.
/// </summary>
internal static class DataTreeSnapshot
{
    private const int Magic = 0x5A4B4454;
    private const int FormatVersion = 1;
    private const int ChunkSize = 64 * 1024;
    private const int AclRecord = 1;
    private const int NodeRecord = 2;

    /// <summary>
    /// Walks the live tree. Each znode is copied under its lock with its children at that instant; a child
    /// deleted before the walk reaches it is skipped, one created after its parent was copied is missed. Both are
    /// repaired by replaying the log from the zxid recorded here, read before the walk starts.
    /// </summary>
    public static void Write(DataTree tree, Stream output)
    {
        var buffer = new ArrayBufferWriter<byte>(2 * ChunkSize);
        var aclIds = new Dictionary<IReadOnlyList<Acl>, int>(ReferenceEqualityComparer.Instance);
        var writer = new JuteWriter(buffer);
        writer.WriteInt(Magic);
        writer.WriteInt(FormatVersion);
        writer.WriteLong(tree.LastProcessedZxid);
        writer.Commit();

        var pending = new Stack<string>();
        pending.Push(ZnodePath.Root);
        while (pending.TryPop(out var path))
        {
            if (tree.Get(path) is not { } node)
            {
                continue;
            }

            var image = node.Image();
            if (!aclIds.TryGetValue(image.Acl, out var aclId))
            {
                aclId = aclIds.Count;
                aclIds.Add(image.Acl, aclId);
                writer.WriteInt(AclRecord);
                writer.WriteVector(image.Acl);
            }

            writer.WriteInt(NodeRecord);
            writer.WriteString(path);
            writer.WriteBuffer(image.Data);
            writer.WriteInt(aclId);
            writer.WriteInt((int)image.Kind);
            image.Stat.Write(ref writer);
            writer.Commit();
            if (buffer.WrittenCount >= ChunkSize)
            {
                WriteChunk(output, buffer);
            }

            foreach (var child in image.Children)
            {
                pending.Push(ZnodePath.Join(path, child));
            }
        }

        if (buffer.WrittenCount > 0)
        {
            WriteChunk(output, buffer);
        }

        // The buffer is empty now: this is the zero-length end chunk.
        WriteChunk(output, buffer);
    }

    /// <exception cref="InvalidDataException">Not this format, truncated, or inconsistent.</exception>
    public static void Read(DataTree tree, Stream input)
    {
        var acls = new List<IReadOnlyList<Acl>>();
        var chunk = Array.Empty<byte>();
        var first = true;
        try
        {
            for (var length = ReadLength(input); length > 0; length = ReadLength(input))
            {
                if (chunk.Length < length)
                {
                    chunk = new byte[length];
                }

                input.ReadExactly(chunk, 0, length);
                ReadChunk(tree, chunk.AsSpan(0, length), first, acls);
                first = false;
            }
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("The snapshot is truncated.", e);
        }
        catch (JuteException e)
        {
            throw new InvalidDataException("The snapshot is malformed: " + e.Message, e);
        }

        if (tree.Get(ZnodePath.Root) is null)
        {
            throw new InvalidDataException("The snapshot holds no root znode.");
        }
    }

    private static void ReadChunk(DataTree tree, ReadOnlySpan<byte> chunk, bool first, List<IReadOnlyList<Acl>> acls)
    {
        var reader = new JuteReader(chunk);
        if (first)
        {
            var (magic, version) = (reader.ReadInt(), reader.ReadInt());
            if (magic != Magic || version != FormatVersion)
            {
                throw new InvalidDataException("Not a ZkFire data tree snapshot of format version " + FormatVersion + ".");
            }

            tree.SetLastProcessedZxid(reader.ReadLong());
        }

        while (!reader.IsAtEnd)
        {
            switch (reader.ReadInt())
            {
                case AclRecord:
                    acls.Add(reader.ReadVector<Acl>());
                    break;
                case NodeRecord:
                    var path = reader.ReadString();
                    var data = reader.ReadBuffer();
                    var aclId = reader.ReadInt();
                    var kind = (ZnodeKind)reader.ReadInt();
                    var stat = StatPersisted.Read(ref reader);
                    if ((uint)aclId >= (uint)acls.Count || !Enum.IsDefined(kind))
                    {
                        throw new InvalidDataException($"The snapshot's znode {path} has acl id {aclId} and kind {kind}.");
                    }

                    tree.AddLoaded(path, new DataNode(data, tree.AcquireAcl(acls[aclId]), stat, kind));
                    break;
                case var tag:
                    throw new InvalidDataException($"Unknown snapshot record {tag}.");
            }
        }
    }

    private static void WriteChunk(Stream output, ArrayBufferWriter<byte> buffer)
    {
        Span<byte> length = stackalloc byte[sizeof(int)];
        BinaryPrimitives.WriteInt32BigEndian(length, buffer.WrittenCount);
        output.Write(length);
        output.Write(buffer.WrittenSpan);
        buffer.ResetWrittenCount();
    }

    private static int ReadLength(Stream input)
    {
        Span<byte> length = stackalloc byte[sizeof(int)];
        input.ReadExactly(length);
        var value = BinaryPrimitives.ReadInt32BigEndian(length);
        return value >= 0 ? value : throw new InvalidDataException($"Snapshot chunk length {value}.");
    }
}
