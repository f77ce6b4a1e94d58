using ZkFire.Jute;

namespace ZkFire.ZooKeeper.Server.Processing;

/// <summary>Something for the request thread to do, in arrival order.</summary>
internal abstract record Work;

/// <summary>A packet after the connect: its header and its undecoded body (decoded on the request thread).</summary>
internal sealed record PacketWork(IClientChannel Channel, RequestHeader Header, byte[] Body, long ReceivedAt) : Work;

/// <summary>A connection's first packet.</summary>
internal sealed record ConnectWork(IClientChannel Channel, ConnectRequest Request) : Work;

/// <summary>The session tracker found the session's deadline passed.</summary>
internal sealed record ExpireSessionWork(long SessionId) : Work;

/// <summary>The connection is gone: its watches go with it (its session stays until it expires).</summary>
internal sealed record ChannelClosedWork(IClientChannel Channel) : Work;

/// <summary>The container reaper's deleteContainer for an empty container or an expired TTL node.</summary>
internal sealed record DeleteContainerWork(string Path) : Work;

/// <summary>Runs <see cref="Action"/> on the request thread, where the data tree and watches may be read safely.</summary>
internal sealed record InspectWork(Action Action) : Work;
