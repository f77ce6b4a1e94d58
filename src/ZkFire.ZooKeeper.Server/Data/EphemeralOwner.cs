namespace ZkFire.ZooKeeper.Server.Data;

/// <summary>
/// The ephemeralOwner values ZooKeeper 3.8 stores for znodes that are not owned by a session (EphemeralType):
/// containers hold <see cref="long.MinValue"/>, TTL znodes hold 0xFF in the top byte and the TTL in the low 40
/// bits. Clients never see these: the stat reports ephemeralOwner 0 for both.
/// </summary>
public static class EphemeralOwner
{
    public const long Container = long.MinValue;

    /// <summary>The longest TTL a znode can have (about 34 years): the 40 value bits of the encoding.</summary>
    public const long MaxTtl = 0x000000ffffffffffL;

    private const long ExtendedMask = unchecked((long)0xff00000000000000UL);

    /// <summary>Whether ZooKeeper accepts <paramref name="ttl"/> (milliseconds) for a TTL create; otherwise BadArguments.</summary>
    public static bool IsValidTtl(long ttl) => ttl is > 0 and <= MaxTtl;

    /// <exception cref="ArgumentOutOfRangeException">The TTL is not in 1..<see cref="MaxTtl"/>.</exception>
    public static long ForTtl(long ttl)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ttl);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(ttl, MaxTtl);
        return ExtendedMask | ttl;
    }

    /// <summary>The TTL (milliseconds) a TTL znode's ephemeralOwner encodes.</summary>
    public static long TtlOf(long ephemeralOwner) => ephemeralOwner & MaxTtl;
}
