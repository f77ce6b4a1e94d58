namespace ZkFire.ZooKeeper.Server.Tests.Quorum.History;

/// <summary>What a client asked of one key (a znode whose data is the register's value).</summary>
internal enum OperationKind
{
    /// <summary>getData: observes (value, version).</summary>
    Read,

    /// <summary>setData with version -1: sets the value; the new version is its result.</summary>
    Write,

    /// <summary>setData with an expected version: sets the value only if the version matches.</summary>
    CompareAndSet,
}

/// <summary>How an operation ended, as far as its client could tell.</summary>
internal enum Outcome
{
    /// <summary>Acknowledged: it took effect (for a read: it returned <see cref="Operation.ResultValue"/>).</summary>
    Ok,

    /// <summary>Definitely had no effect (a compare-and-set answered BadVersion).</summary>
    Failed,

    /// <summary>No answer (connection loss, timeout): it may or may not have taken effect, at any time after invocation.</summary>
    Unknown,
}

/// <summary>
/// One recorded operation of a concurrent history. Times are monotonic ticks of one clock shared by all clients
/// (Stopwatch timestamps); an <see cref="Outcome.Unknown"/> operation's <see cref="Completed"/> is ignored (it may
/// take effect at any point after <see cref="Invoked"/>). Values written are unique per history, so a read
/// identifies the write it saw.
/// </summary>
/// <param name="Client">The recording client (its operations are sequential, in program order).</param>
/// <param name="Key">The register (znode path).</param>
/// <param name="Value">For writes and compare-and-sets: the value written.</param>
/// <param name="ExpectedVersion">For compare-and-sets: the version the write required.</param>
/// <param name="ResultValue">For acknowledged reads: the value read.</param>
/// <param name="ResultVersion">For acknowledged operations: the version read, or the version the write created.</param>
internal sealed record Operation(
    int Client,
    OperationKind Kind,
    string Key,
    long Invoked,
    long Completed,
    Outcome Outcome,
    string? Value = null,
    int? ExpectedVersion = null,
    string? ResultValue = null,
    int? ResultVersion = null);
