using Xunit.Abstractions;

namespace ZkFire.ZooKeeper.Server.Tests.Quorum.History;

public sealed class SequentialConsistencyCheckerTests(ITestOutputHelper output)
{
    [Fact]
    public void A_stale_read_by_a_client_that_has_not_seen_the_write_is_allowed()
    {
        var history = new HistoryBuilder()
            .Write(1, 0, 10, "a", 1)
            .Write(1, 20, 30, "b", 2)
            .Read(2, 40, 50, "a", 1)
            .Read(2, 60, 70, "b", 2);

        AssertConsistent(history);
        Assert.False(LinearizabilityChecker.Check(history.Operations).IsOk);
    }

    [Fact]
    public void A_client_going_back_in_versions_is_a_violation()
    {
        var result = AssertViolation(new HistoryBuilder()
            .Write(1, 0, 10, "a", 1)
            .Write(1, 20, 30, "b", 2)
            .Read(2, 40, 50, "b", 2)
            .Read(2, 60, 70, "a", 1));

        Assert.Contains("client 2 went back from v2", result.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void A_client_must_read_its_own_writes()
    {
        var result = AssertViolation(new HistoryBuilder()
            .Write(1, 0, 10, "a", 1)
            .Write(2, 20, 30, "b", 2)
            .Read(2, 40, 50, "a", 1));

        Assert.Contains("client 2 went back from v2 (client 2 write \"b\" -> v2", result.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void A_read_of_a_value_nobody_wrote_is_a_violation()
    {
        var result = AssertViolation(new HistoryBuilder().Write(1, 0, 10, "a", 1).Read(2, 20, 30, "z", 1));

        Assert.Contains("returned a value nobody wrote", result.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void A_read_of_a_failed_write_is_a_violation()
    {
        var result = AssertViolation(new HistoryBuilder().CasFailed(1, 0, 10, "a", expected: 5).Read(2, 20, 30, "a", 1));

        Assert.Contains("returned the value of a write that failed", result.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void A_read_of_a_write_not_yet_invoked_is_a_violation()
    {
        var result = AssertViolation(new HistoryBuilder().Read(2, 0, 10, "a", 1).Write(1, 20, 30, "a", 1));

        Assert.Contains("returned a value written only later", result.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_values_for_one_version_are_a_violation()
    {
        var result = AssertViolation(new HistoryBuilder().Write(1, 0, 10, "a", 1).Write(2, 0, 10, "b", 1));

        Assert.Contains("two values for v1 on /k", result.Explanation, StringComparison.Ordinal);
        AssertViolation(new HistoryBuilder().WriteUnknown(1, 0, "a").WriteUnknown(2, 0, "b").Read(3, 10, 20, "a", 1).Read(4, 10, 20, "b", 1));
    }

    [Fact]
    public void One_value_at_two_versions_is_a_violation()
    {
        AssertViolation(new HistoryBuilder().Write(1, 0, 10, "a", 1).Read(2, 20, 30, "a", 2));
        AssertViolation(new HistoryBuilder().Read(2, 20, 30, "", 3));
    }

    [Fact]
    public void Unanswered_writes_may_be_read_and_the_initial_state_too() =>
        AssertConsistent(new HistoryBuilder()
            .Read(1, 0, 10, "", 0)
            .WriteUnknown(2, 5, "a")
            .CasUnknown(3, 6, "b", expected: 1)
            .Read(1, 20, 30, "a", 1)
            .Read(4, 20, 30, "", 0)
            .Read(4, 40, 50, "b", 2));

    [Fact]
    public void Keys_are_independent()
    {
        AssertConsistent(new HistoryBuilder()
            .Write(1, 0, 10, "a", 1, key: "/x")
            .Write(1, 20, 30, "b", 1, key: "/y")
            .Read(2, 40, 50, "b", 1, key: "/y")
            .Read(2, 60, 70, "", 0, key: "/x"));
    }

    [Fact]
    public void Only_the_first_few_violations_are_listed()
    {
        var history = new HistoryBuilder().Write(1, 0, 10, "a", 1);
        for (var i = 0; i < 5; i++)
        {
            history.Read(2, 20 + i * 10, 25 + i * 10, $"ghost-{i}", 1);
        }

        var result = AssertViolation(history);

        Assert.Contains("ghost-0", result.Explanation, StringComparison.Ordinal);
        Assert.DoesNotContain("ghost-4", result.Explanation, StringComparison.Ordinal);
        Assert.Contains("and 7 more", result.Explanation, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Simulated_linearizable_histories_are_sequentially_consistent(int seed) =>
        AssertConsistent(SimulatedRegisters.History(seed, clients: 5, operationsPerClient: 200, keys: 3, unknownRate: 0.05));

    private static void AssertConsistent(HistoryBuilder history) => AssertConsistent(history.Operations);

    private static void AssertConsistent(IReadOnlyList<Operation> history)
    {
        var result = SequentialConsistencyChecker.Check(history);
        Assert.True(result.IsOk, result.Explanation);
    }

    private CheckResult AssertViolation(HistoryBuilder history)
    {
        var result = SequentialConsistencyChecker.Check(history.Operations);
        output.WriteLine(result.Explanation);
        Assert.False(result.IsOk, "expected a violation");
        Assert.False(result.Inconclusive);
        return result;
    }
}
