using ZkFire.ZooKeeper.Server.Quorum.Transport;

namespace ZkFire.ZooKeeper.Server.Quorum.Zab;

/// <summary>
/// What a leadership or a following works with: the member's lasting state, its epochs, the links to the other
/// members, and where it opens (and closes, with null) its serving period to clients.
/// </summary>
internal sealed record ZabContext(MemberState Member, EpochStore Epochs, IQuorumTransport Transport, Action<Replica?> Open);
