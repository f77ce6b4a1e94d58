namespace ZkFire.ZooKeeper.Server.Quorum.Zab;

/// <summary>A zxid is the leader's epoch in the high 32 bits and a counter within the epoch in the low 32.</summary>
internal static class Zxid
{
    public static long Epoch(long zxid) => (long)((ulong)zxid >> 32);

    public static long Make(long epoch, long counter) => (epoch << 32) | (counter & 0xffffffffL);
}
