using System.Buffers.Binary;
using ZkFire.ZooKeeper.Server.Data;

namespace ZkFire.ZooKeeper.Server.Maintenance;

/// <summary>
/// What a snapshot holds, as ZooKeeper's FileSnap does: the sessions with their timeouts (so that restored sessions
/// keep their ephemerals until they time out), then the data tree.
/// </summary>
internal static class SnapshotContent
{
    private const int Version = 1;

    public static void Write(Stream output, IReadOnlyDictionary<long, int> sessions, DataTree tree)
    {
        var header = new byte[2 * sizeof(int) + sessions.Count * (sizeof(long) + sizeof(int))];
        BinaryPrimitives.WriteInt32BigEndian(header, Version);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), sessions.Count);
        var offset = 8;
        foreach (var (id, timeout) in sessions)
        {
            BinaryPrimitives.WriteInt64BigEndian(header.AsSpan(offset), id);
            BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(offset + 8), timeout);
            offset += 12;
        }

        output.Write(header);
        tree.Serialize(output);
    }

    /// <exception cref="InvalidDataException">The content is not a snapshot of this format.</exception>
    public static (Dictionary<long, int> Sessions, DataTree Tree) Read(Stream input)
    {
        Span<byte> buffer = stackalloc byte[12];
        input.ReadExactly(buffer[..8]);
        if (BinaryPrimitives.ReadInt32BigEndian(buffer) != Version)
        {
            throw new InvalidDataException($"Snapshot content version {BinaryPrimitives.ReadInt32BigEndian(buffer)} is unknown.");
        }

        var count = BinaryPrimitives.ReadInt32BigEndian(buffer[4..]);
        if (count < 0)
        {
            throw new InvalidDataException($"The snapshot claims {count} sessions.");
        }

        var sessions = new Dictionary<long, int>();
        for (var i = 0; i < count; i++)
        {
            input.ReadExactly(buffer);
            sessions[BinaryPrimitives.ReadInt64BigEndian(buffer)] = BinaryPrimitives.ReadInt32BigEndian(buffer[8..]);
        }

        return (sessions, DataTree.Deserialize(input));
    }
}
