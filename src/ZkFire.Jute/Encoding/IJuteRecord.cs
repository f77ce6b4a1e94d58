namespace ZkFire.Jute;

/// <summary>
/// A record of zookeeper.jute. The static <see cref="Read"/> lets generic code (vectors, frames, multi bodies)
/// decode any record without a delegate or boxing.
/// </summary>
public interface IJuteRecord<TSelf> where TSelf : IJuteRecord<TSelf>
{
    static abstract TSelf Read(ref JuteReader reader);

    void Write(ref JuteWriter writer);
}
