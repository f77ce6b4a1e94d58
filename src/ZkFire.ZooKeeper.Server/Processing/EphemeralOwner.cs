namespace ZkFire.ZooKeeper.Server.Processing;

/// <summary>
/// ZooKeeper's EphemeralType: what a node's ephemeralOwner says about it. Containers carry long.MinValue; TTL nodes
/// (when extended types are enabled) the top byte 0xff, two reserved zero bytes and the TTL in the low five.
/// </summary>
internal static class EphemeralOwner
{
    public const long Container = long.MinValue;

    /// <summary>The largest TTL a node may have, in milliseconds.</summary>
    public const long MaxTtl = 0x000000ffffffffffL;

    private const long ExtendedMask = unchecked((long)0xff00000000000000UL);
    private const long ReservedMask = 0x00ffff0000000000L;

    public static long ForTtl(long ttl) => ExtendedMask | ttl;

    /// <summary>Whether the owner is a session (a plain ephemeral node), as opposed to none, a container or a TTL.</summary>
    public static bool IsSession(long owner, bool extendedTypesEnabled) =>
        owner != 0 && owner != Container && !IsTtl(owner, extendedTypesEnabled);

    public static bool IsTtl(long owner, bool extendedTypesEnabled) =>
        extendedTypesEnabled && (owner & ExtendedMask) == ExtendedMask && (owner & ReservedMask) == 0;

    public static long Ttl(long owner) => owner & MaxTtl;
}
