using System.Diagnostics;
using Xunit.Abstractions;

namespace ZkFire.ZooKeeper.Server.Tests.Quorum.History;

public sealed class LinearizabilityCheckerTests(ITestOutputHelper output)
{
    [Fact]
    public void An_empty_history_is_linearizable() => AssertLinearizable(new HistoryBuilder());

    [Fact]
    public void Sequential_operations_that_follow_the_register_are_linearizable() =>
        AssertLinearizable(new HistoryBuilder()
            .Read(1, 0, 1, "", 0)
            .Write(1, 2, 3, "a", 1)
            .Read(2, 4, 5, "a", 1)
            .Cas(2, 6, 7, "b", expected: 1, version: 2)
            .CasFailed(1, 8, 9, "c", expected: 1)
            .Read(1, 10, 11, "b", 2));

    [Fact]
    public void A_stale_read_after_a_completed_write_is_not_linearizable()
    {
        var result = AssertNotLinearizable(new HistoryBuilder()
            .Write(1, 0, 10, "a", 1)
            .Write(1, 20, 30, "b", 2)
            .Read(2, 40, 50, "a", 1));

        Assert.Contains("client 2 read -> (\"a\", v1) [+40..+50]", result.Explanation, StringComparison.Ordinal);
        Assert.Contains("client 1 write \"b\" -> v2 [+20..+30]", result.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void A_read_concurrent_with_a_write_may_see_either_side() =>
        AssertLinearizable(new HistoryBuilder()
            .Write(1, 0, 10, "a", 1)
            .Write(1, 20, 60, "b", 2)
            .Read(2, 30, 40, "a", 1)
            .Read(3, 30, 40, "b", 2)
            .Read(2, 41, 50, "b", 2));

    [Fact]
    public void Reads_cannot_see_a_concurrent_write_come_and_go()
    {
        AssertNotLinearizable(new HistoryBuilder()
            .Write(1, 0, 10, "a", 1)
            .Write(1, 20, 60, "b", 2)
            .Read(2, 30, 40, "b", 2)
            .Read(2, 41, 50, "a", 1));
    }

    [Fact]
    public void A_lost_acknowledged_write_is_not_linearizable()
    {
        AssertNotLinearizable(new HistoryBuilder()
            .Write(1, 0, 10, "a", 1)
            .Read(2, 20, 30, "", 0));
        AssertNotLinearizable(new HistoryBuilder()
            .Write(1, 0, 10, "a", 1)
            .Write(2, 5, 15, "b", 1));
    }

    [Fact]
    public void A_compare_and_set_cannot_succeed_twice_on_one_version()
    {
        AssertNotLinearizable(new HistoryBuilder()
            .Cas(1, 0, 10, "a", expected: 0, version: 1)
            .Cas(2, 0, 10, "b", expected: 0, version: 1));
        AssertNotLinearizable(new HistoryBuilder()
            .Cas(1, 0, 10, "a", expected: 0, version: 1)
            .Cas(2, 0, 10, "b", expected: 0, version: 2));
    }

    [Fact]
    public void Concurrent_compare_and_sets_on_one_version_let_exactly_one_win() =>
        AssertLinearizable(new HistoryBuilder()
            .Cas(1, 0, 10, "a", expected: 0, version: 1)
            .CasFailed(2, 0, 10, "b", expected: 0)
            .Read(3, 11, 12, "a", 1));

    [Fact]
    public void A_failed_compare_and_set_needs_a_version_that_differed()
    {
        AssertNotLinearizable(new HistoryBuilder()
            .Write(1, 0, 10, "a", 1)
            .CasFailed(2, 20, 30, "b", expected: 1));
        AssertLinearizable(new HistoryBuilder()
            .Write(1, 0, 10, "a", 1)
            .CasFailed(2, 20, 30, "b", expected: 1)
            .Write(1, 25, 35, "c", 2));
    }

    [Fact]
    public void Overlapping_operations_that_fit_only_in_one_order_are_found()
    {
        // The only order: c (v1, read by client 4), then a (v2, whose version client 1 saw), then b (v3).
        AssertLinearizable(new HistoryBuilder()
            .Write(1, 0, 100, "a", 2)
            .Write(2, 10, 90, "b", 3)
            .Write(3, 20, 80, "c", 1)
            .Read(4, 30, 40, "c", 1)
            .Read(4, 95, 96, "b", 3));
    }

    [Fact]
    public void An_unknown_write_may_have_taken_effect_late()
    {
        AssertLinearizable(new HistoryBuilder()
            .WriteUnknown(1, 0, "a")
            .Read(2, 100, 110, "", 0)
            .Read(2, 200, 210, "a", 1));
    }

    [Fact]
    public void An_unknown_write_may_never_have_taken_effect() =>
        AssertLinearizable(new HistoryBuilder()
            .WriteUnknown(1, 0, "a")
            .Write(2, 100, 110, "b", 1)
            .Read(3, 200, 210, "b", 1));

    [Fact]
    public void An_unknown_write_seen_only_through_versions_took_effect() =>
        AssertLinearizable(new HistoryBuilder()
            .WriteUnknown(1, 0, "a")
            .Write(2, 100, 110, "b", 2)
            .CasUnknown(3, 120, "c", expected: 2)
            .Cas(3, 200, 210, "d", expected: 3, version: 4));

    [Fact]
    public void An_unknown_write_cannot_take_effect_before_its_invocation() =>
        AssertNotLinearizable(new HistoryBuilder()
            .Read(2, 0, 10, "a", 1)
            .WriteUnknown(1, 20, "a"));

    [Fact]
    public void An_unknown_write_cannot_take_effect_twice() =>
        AssertNotLinearizable(new HistoryBuilder()
            .WriteUnknown(1, 0, "a")
            .Read(2, 10, 20, "a", 1)
            .Write(3, 30, 40, "b", 2)
            .Read(2, 50, 60, "a", 3));

    [Fact]
    public void An_unknown_compare_and_set_takes_effect_only_on_its_version()
    {
        AssertNotLinearizable(new HistoryBuilder()
            .Write(2, 0, 10, "a", 1)
            .CasUnknown(1, 20, "b", expected: 0)
            .Read(2, 30, 40, "b", 2));
        AssertLinearizable(new HistoryBuilder()
            .CasUnknown(1, 0, "b", expected: 0)
            .Read(2, 30, 40, "b", 1));
    }

    [Fact]
    public void Many_interchangeable_unknown_writes_are_checked_quickly()
    {
        // 15 of the 30 unanswered writes must have happened first: C(30, 15) subsets, one canonical choice.
        var history = new HistoryBuilder();
        for (var i = 0; i < 30; i++)
        {
            history.WriteUnknown(i + 10, i, $"lost-{i}");
        }

        history.Write(1, 100, 110, "seen", 16).Read(2, 120, 130, "seen", 16).Write(2, 140, 150, "last", 30);

        AssertLinearizable(history, new CheckBudget(200_000, TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void Failed_writes_and_unanswered_reads_carry_no_constraint() =>
        AssertLinearizable(new HistoryBuilder()
            .Write(1, 0, 10, "a", 1)
            .Add(new Operation(2, OperationKind.Write, HistoryBuilder.Key, 20, 30, Outcome.Failed, "x"))
            .Add(new Operation(3, OperationKind.Read, HistoryBuilder.Key, 20, 30, Outcome.Unknown))
            .Read(1, 40, 50, "a", 1));

    [Fact]
    public void Keys_are_checked_separately_and_a_violation_names_its_key()
    {
        var history = new HistoryBuilder()
            .Write(1, 0, 10, "a", 1, key: "/x")
            .Write(2, 0, 10, "b", 1, key: "/y")
            .Read(3, 20, 30, "a", 1, key: "/x")
            .Read(3, 40, 50, "", 0, key: "/y");

        var result = AssertNotLinearizable(history);

        Assert.StartsWith("key /y is not linearizable", result.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void Each_key_starts_from_its_given_state()
    {
        var history = new HistoryBuilder().Read(1, 0, 10, "seed", 7, key: "/x").Read(1, 0, 10, "", 0, key: "/y");
        var initial = new Dictionary<string, RegisterState> { ["/x"] = new("seed", 7) };

        Assert.True(LinearizabilityChecker.Check(history.Operations, initial).IsOk);
        Assert.False(LinearizabilityChecker.Check(history.Operations).IsOk);
    }

    [Fact]
    public void A_null_value_is_a_value_of_its_own()
    {
        var initial = new Dictionary<string, RegisterState> { [HistoryBuilder.Key] = new(null, 0) };

        Assert.True(LinearizabilityChecker.Check(new HistoryBuilder().Read(1, 0, 1, null, 0).Operations, initial).IsOk);
        Assert.False(LinearizabilityChecker.Check(new HistoryBuilder().Read(1, 0, 1, "", 0).Operations, initial).IsOk);
        Assert.False(LinearizabilityChecker.Check(new HistoryBuilder().Read(1, 0, 1, null, 0).Operations).IsOk);
    }

    [Fact]
    public void An_exhausted_budget_is_inconclusive()
    {
        var history = SimulatedRegisters.History(seed: 7, clients: 4, operationsPerClient: 50, keys: 1, unknownRate: 0.05);

        var result = LinearizabilityChecker.Check(history, budget: new CheckBudget(100, TimeSpan.FromSeconds(10)));

        Assert.False(result.IsOk);
        Assert.True(result.Inconclusive, result.Explanation);
        Assert.Contains("gave up after 101 search steps", result.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void An_operation_without_its_result_is_rejected()
    {
        var read = new Operation(1, OperationKind.Read, "/k", 0, 1, Outcome.Ok, ResultValue: "a");
        var cas = new Operation(1, OperationKind.CompareAndSet, "/k", 0, 1, Outcome.Failed, "a");

        Assert.Throws<ArgumentException>(() => LinearizabilityChecker.Check([read]));
        Assert.Throws<ArgumentException>(() => LinearizabilityChecker.Check([cas]));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Simulated_register_histories_are_linearizable(int seed)
    {
        var history = SimulatedRegisters.History(seed, clients: 4, operationsPerClient: 150, keys: 3, unknownRate: 0.05);

        AssertLinearizable(history);
    }

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    public void A_simulated_history_with_one_read_made_stale_is_not_linearizable(int seed)
    {
        var history = SimulatedRegisters.History(seed, clients: 3, operationsPerClient: 100, keys: 1, unknownRate: 0.02).ToList();
        // Rewind a read to a version that was overwritten well before it started: no order can explain it.
        var victim = history.Select((op, i) => (op, i))
            .Last(x => x.op.Kind == OperationKind.Read && x.op.Outcome == Outcome.Ok && x.op.ResultVersion > 5);
        var old = history.First(op => op.Kind == OperationKind.Write && op.Outcome == Outcome.Ok
            && history.Any(later => later.Outcome == Outcome.Ok && later.ResultVersion > op.ResultVersion
                && later.Completed < victim.op.Invoked));
        history[victim.i] = victim.op with { ResultValue = old.Value, ResultVersion = old.ResultVersion };

        var result = AssertNotLinearizable(history);

        output.WriteLine(result.Explanation);
    }

    [Fact]
    public void Agrees_with_a_naive_search_on_small_histories()
    {
        var verdicts = new int[2];
        for (var seed = 0; seed < 400; seed++)
        {
            var history = SimulatedRegisters.History(seed, clients: 3, operationsPerClient: 3, keys: 1, unknownRate: 0.25).ToList();
            var random = new Random(seed);
            if (random.Next(2) == 0)
            {
                var i = random.Next(history.Count);
                history[i] = history[i] with
                {
                    ResultVersion = history[i].ResultVersion + random.Next(-1, 2),
                    ResultValue = history[i].ResultValue is null ? null : history[random.Next(history.Count)].Value ?? "",
                };
            }

            var expected = NaiveSearch(history, new HashSet<Operation>(), RegisterState.Empty);
            var result = LinearizabilityChecker.Check(history);
            Assert.True(expected == result.IsOk, $"seed {seed}: naive {expected}, checker {result.Explanation}");
            verdicts[expected ? 1 : 0]++;
        }

        output.WriteLine($"{verdicts[1]} linearizable, {verdicts[0]} not");
    }

    [Fact]
    public void Five_clients_with_two_hundred_operations_each_on_one_key_check_quickly()
    {
        var history = SimulatedRegisters.History(seed: 42, clients: 5, operationsPerClient: 200, keys: 1, unknownRate: 0.03);
        var clock = Stopwatch.StartNew();

        var result = LinearizabilityChecker.Check(history);

        output.WriteLine($"{history.Count} operations ({history.Count(op => op.Outcome == Outcome.Unknown)} unknown) on one key: {clock.ElapsedMilliseconds} ms");
        Assert.True(result.IsOk, result.Explanation);
    }

    /// <summary>Every order of the operations, with no cache, merging or symmetry: the definition, slowly.</summary>
    private static bool NaiveSearch(List<Operation> history, HashSet<Operation> placed, RegisterState state)
    {
        var open = history.Where(op => !placed.Contains(op) && op.Outcome != Outcome.Unknown
            && (op.Outcome == Outcome.Ok || op.Kind == OperationKind.CompareAndSet)).ToList();
        if (open.Count == 0)
        {
            return true;
        }

        foreach (var op in history.Where(op => !placed.Contains(op) && !open.Any(o => o.Completed < op.Invoked)))
        {
            RegisterState? next = (op.Kind, op.Outcome) switch
            {
                (_, Outcome.Failed) when op.Kind != OperationKind.CompareAndSet => null,
                (OperationKind.Read, Outcome.Ok) when state == new RegisterState(op.ResultValue, op.ResultVersion!.Value) => state,
                (OperationKind.Read, _) => null,
                (OperationKind.CompareAndSet, Outcome.Failed) => state.Version != op.ExpectedVersion ? state : null,
                (OperationKind.CompareAndSet, _) when state.Version != op.ExpectedVersion => null,
                (_, Outcome.Unknown) => new RegisterState(op.Value, state.Version + 1),
                _ => op.ResultVersion == state.Version + 1 ? new RegisterState(op.Value, state.Version + 1) : null,
            };
            if (next is { } after)
            {
                placed.Add(op);
                var found = NaiveSearch(history, placed, after);
                placed.Remove(op);
                if (found)
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static void AssertLinearizable(HistoryBuilder history, CheckBudget? budget = null) =>
        AssertLinearizable(history.Operations, budget);

    private static void AssertLinearizable(IReadOnlyList<Operation> history, CheckBudget? budget = null)
    {
        var result = LinearizabilityChecker.Check(history, budget: budget);
        Assert.True(result.IsOk, result.Explanation);
    }

    private CheckResult AssertNotLinearizable(HistoryBuilder history) => AssertNotLinearizable(history.Operations);

    private CheckResult AssertNotLinearizable(IReadOnlyList<Operation> history)
    {
        var result = LinearizabilityChecker.Check(history);
        output.WriteLine(result.Explanation);
        Assert.False(result.IsOk, "expected a violation");
        Assert.False(result.Inconclusive, result.Explanation);
        return result;
    }
}
