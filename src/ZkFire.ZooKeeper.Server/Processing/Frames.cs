using System.Buffers;
using ZkFire.Jute;

namespace ZkFire.ZooKeeper.Server.Processing;

/// <summary>Encodes outgoing packets as whole frames (length prefix included), ready to be queued on a connection.</summary>
internal static class Frames
{
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? scratch;

    /// <summary>A reply that is only a header: an error, or an op whose reply has no body.</summary>
    public static byte[] Reply(ReplyHeader header) => Build(header, static (ref JuteWriter writer, ReplyHeader h) => h.Write(ref writer));

    public static byte[] Reply<TBody>(ReplyHeader header, TBody body) where TBody : IJuteRecord<TBody> =>
        Build((header, body), static (ref JuteWriter writer, (ReplyHeader Header, TBody Body) reply) =>
        {
            reply.Header.Write(ref writer);
            reply.Body.Write(ref writer);
        });

    /// <summary>A watch event: xid -1, zxid -1 and err 0, as ZooKeeper sends every notification.</summary>
    public static byte[] Notification(EventType type, string path) =>
        Reply(new ReplyHeader(SpecialXid.Notification, -1, ErrorCode.Ok), new WatcherEvent(type, KeeperState.SyncConnected, path));

    /// <summary>A record without a reply header (the connect response).</summary>
    public static byte[] Record<T>(T record) where T : IJuteRecord<T> =>
        Build(record, static (ref JuteWriter writer, T r) => r.Write(ref writer));

    private delegate void Writer<TState>(ref JuteWriter writer, TState state);

    private static byte[] Build<TState>(TState state, Writer<TState> write)
    {
        var buffer = scratch ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        var writer = new JuteWriter(buffer);
        var start = JuteFrames.BeginFrame(ref writer);
        write(ref writer, state);
        JuteFrames.EndFrame(ref writer, start);
        writer.Commit();
        return buffer.WrittenSpan.ToArray();
    }
}
