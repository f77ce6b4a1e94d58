using ZkFire.Jute;

namespace ZkFire.ZooKeeper.Client;

/// <summary>
/// A ZooKeeper error, typed by <see cref="Code"/> as Java's KeeperException subclasses are. ConnectionLoss means
/// the outcome of the request is unknown (it may or may not have been applied); SessionExpired means the session
/// and its ephemerals are gone and this client is closed for good.
/// </summary>
public class KeeperException : Exception
{
    public KeeperException(ErrorCode code, string? path = null, IReadOnlyList<MultiResult>? results = null)
        : base(path is null ? $"KeeperErrorCode = {code}" : $"KeeperErrorCode = {code} for {path}")
    {
        Code = code;
        Path = path;
        Results = results;
    }

    public KeeperException() : this(ErrorCode.SystemError) { }

    public KeeperException(string message) : base(message) => Code = ErrorCode.SystemError;

    public KeeperException(string message, Exception innerException) : base(message, innerException) =>
        Code = ErrorCode.SystemError;

    public ErrorCode Code { get; }

    /// <summary>The client path (chroot stripped) the request named, when it named one.</summary>
    public string? Path { get; }

    /// <summary>For a failed multi: every op's result (Ok before the failing op, its error, then RuntimeInconsistency).</summary>
    public IReadOnlyList<MultiResult>? Results { get; }
}
