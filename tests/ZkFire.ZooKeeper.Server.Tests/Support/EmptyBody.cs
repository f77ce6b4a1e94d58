using ZkFire.Jute;

namespace ZkFire.ZooKeeper.Server.Tests.Support;

/// <summary>The body of a request that has none (closeSession, ping, whoAmI).</summary>
internal readonly record struct EmptyBody : IJuteRecord<EmptyBody>
{
    public static EmptyBody Read(ref JuteReader reader) => default;

    public void Write(ref JuteWriter writer)
    {
    }
}
