namespace ZkFire.ZooKeeper.Server.Tests.Quorum.History;

/// <summary>
/// The verdict of one check: <see cref="IsOk"/>, a violation (neither flag set), or <see cref="Inconclusive"/> when the
/// check ran out of budget. <see cref="Explanation"/> is meant for a failing test's message.
/// </summary>
internal sealed record CheckResult(bool IsOk, bool Inconclusive, string Explanation)
{
    public static CheckResult Ok { get; } = new(true, false, "ok");

    public static CheckResult Violation(string explanation) => new(false, false, explanation);

    public static CheckResult Undecided(string explanation) => new(false, true, explanation);

    public override string ToString() => Explanation;
}
