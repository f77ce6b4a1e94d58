using ZkFire.Jute;

namespace ZkFire.ZooKeeper.Server.Processing;

/// <summary>
/// A request failed with one of ZooKeeper's error codes. Thrown where ZooKeeper throws its KeeperException, so that
/// the checks run in ZooKeeper's order and the first failing one decides the code the client sees.
/// </summary>
public sealed class KeeperException : Exception
{
    public KeeperException(ErrorCode code)
        : base($"ZooKeeper error {code} ({(int)code}).") => Code = code;

    public KeeperException() : this(ErrorCode.SystemError)
    {
    }

    public KeeperException(string message) : base(message) => Code = ErrorCode.SystemError;

    public KeeperException(string message, Exception innerException) : base(message, innerException) => Code = ErrorCode.SystemError;

    public ErrorCode Code { get; }
}
