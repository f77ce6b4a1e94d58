using System.Buffers.Binary;
using System.Numerics;

namespace ZkFire.ZooKeeper.Server.Persistence;

/// <summary>
/// CRC-32C (Castagnoli) over <see cref="BitOperations.Crc32C(uint, ulong)"/>, which uses the SSE4.2 / ARMv8 CRC
/// instructions where present, so the log needs no hashing package and checksums cost almost nothing.
/// </summary>
internal static class Crc32C
{
    public const uint Seed = uint.MaxValue;

    public static uint Update(uint state, ReadOnlySpan<byte> data)
    {
        while (data.Length >= sizeof(ulong))
        {
            // Little-endian reads keep the checksum identical on any host byte order.
            state = BitOperations.Crc32C(state, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[sizeof(ulong)..];
        }

        foreach (var b in data)
        {
            state = BitOperations.Crc32C(state, b);
        }

        return state;
    }

    public static uint Finish(uint state) => ~state;

    public static uint Compute(ReadOnlySpan<byte> data) => Finish(Update(Seed, data));
}
