using ZkFire.Jute;

namespace ZkFire.ZooKeeper.Server.Processing;

/// <summary>The body of a reply that is only a header (delete, sync-less ops, removeWatches, setWatches, ping).</summary>
internal readonly record struct NoBody : IJuteRecord<NoBody>
{
    public static NoBody Read(ref JuteReader reader) => default;

    public void Write(ref JuteWriter writer)
    {
    }
}
