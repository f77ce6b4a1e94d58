namespace ZkFire.ZooKeeper.Server.Quorum.Zab;

/// <summary>A member broke the protocol, or the ensemble cannot go on as it is: this leadership or following ends.</summary>
public sealed class QuorumProtocolException : Exception
{
    public QuorumProtocolException()
    {
    }

    public QuorumProtocolException(string message) : base(message)
    {
    }

    public QuorumProtocolException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
