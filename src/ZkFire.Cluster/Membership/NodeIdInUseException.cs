namespace ZkFire.Cluster.Membership;

/// <summary>Another live node is registered under this node's id; starting would steal its identity.</summary>
public sealed class NodeIdInUseException : Exception
{
    public NodeIdInUseException()
    {
    }

    public NodeIdInUseException(string message) : base(message)
    {
    }

    public NodeIdInUseException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public NodeIdInUseException(string nodeId, long ownerSessionId, string holder)
        : base($"Node id '{nodeId}' is already registered by another live node ({holder}, ZooKeeper session 0x{ownerSessionId:x}). " +
            "Give each node its own id; if that node is this one's previous life, keep its session file so the restart can wait for it.")
    {
        NodeId = nodeId;
        OwnerSessionId = ownerSessionId;
    }

    public string? NodeId { get; }

    public long OwnerSessionId { get; }
}
