using Xunit.Abstractions;

namespace ZkFire.ZooKeeper.Server.Tests.Quorum.History;

public sealed class ReplicaInvariantsTests(ITestOutputHelper output)
{
    private static readonly (long Zxid, byte[] Txn)[] Longest =
        [Txn(1, 1), Txn(1, 2), Txn(1, 3), Txn(2, 1), Txn(2, 2), Txn(3, 1)];

    [Fact]
    public void Identical_logs_and_prefixes_of_the_longest_pass()
    {
        var logs = Logs(Longest, Longest[..4], [], Longest[..1]);

        AssertOk(ReplicaInvariants.LogsArePrefixes(logs));
        AssertOk(ReplicaInvariants.OneTransactionPerZxid(logs));
    }

    [Fact]
    public void A_member_synced_from_a_snapshot_may_start_later() =>
        AssertOk(ReplicaInvariants.LogsArePrefixes(Logs(Longest, Longest[3..], Longest[1..5])));

    [Fact]
    public void The_longest_log_may_itself_start_later() =>
        AssertOk(ReplicaInvariants.LogsArePrefixes(Logs(Longest[2..], Longest[..4])));

    [Fact]
    public void A_member_that_skipped_a_transaction_fails()
    {
        var skipped = Longest.Where((_, i) => i != 2).ToArray();

        var result = AssertViolation(ReplicaInvariants.LogsArePrefixes(Logs(Longest, skipped)));

        Assert.Contains("member 2's log is not a prefix of member 1's", result.Explanation, StringComparison.Ordinal);
        Assert.Contains("it has 0x200000001 (epoch 2, counter 1) where the longest has 0x100000003 (epoch 1, counter 3)", result.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void A_gap_inside_an_epoch_fails_even_in_the_longest_log()
    {
        var gapped = Longest.Where((_, i) => i != 1).ToArray();

        var result = AssertViolation(ReplicaInvariants.LogsArePrefixes(Logs(gapped, gapped)));

        Assert.Contains("member 1's log has a gap or goes back at index 1", result.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void A_log_out_of_order_fails() =>
        AssertViolation(ReplicaInvariants.LogsArePrefixes(Logs([Longest[3], Longest[0]])));

    [Fact]
    public void A_diverging_transaction_fails_both_checks()
    {
        var diverged = Longest[..4].Append(Txn(2, 2, "other")).ToArray();
        var logs = Logs(Longest, diverged);

        var prefix = AssertViolation(ReplicaInvariants.LogsArePrefixes(logs));
        var zxids = AssertViolation(ReplicaInvariants.OneTransactionPerZxid(logs));

        Assert.Contains("both have 0x200000002 (epoch 2, counter 2) but the transactions differ", prefix.Explanation, StringComparison.Ordinal);
        Assert.Contains("two proposals were made in epoch 2", zxids.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_transactions_under_one_zxid_fail_even_where_logs_do_not_overlap()
    {
        // Member 2 logged an old epoch-2 proposal and then only a snapshot-synced tail: no overlap to compare,
        // but zxid 0x200000001 still carries two different transactions.
        var logs = Logs(Longest[3..], [Txn(1, 1), Txn(2, 1, "rogue")]);

        var result = AssertViolation(ReplicaInvariants.OneTransactionPerZxid(logs));

        Assert.Contains("1 zxid(s) with two transactions", result.Explanation, StringComparison.Ordinal);
        Assert.Contains("member 1's", result.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void Acknowledged_writes_must_be_on_every_member()
    {
        var acknowledged = new Dictionary<string, IReadOnlyCollection<string>> { ["/a"] = ["x"], ["/log"] = ["1", "2", "3"] };
        var good = new Dictionary<string, IReadOnlyCollection<string>> { ["/a"] = ["x"], ["/log"] = ["3", "2", "1", "4"] };
        var bad = new Dictionary<string, IReadOnlyCollection<string>> { ["/log"] = ["1", "3"] };

        AssertOk(ReplicaInvariants.AcknowledgedWritesPresent(acknowledged, Members(good, good)));
        var result = AssertViolation(ReplicaInvariants.AcknowledgedWritesPresent(acknowledged, Members(good, bad)));

        Assert.Contains("2 acknowledged write(s) missing", result.Explanation, StringComparison.Ordinal);
        Assert.Contains("\"x\" is not under /a on member 2, which holds nothing there", result.Explanation, StringComparison.Ordinal);
        Assert.Contains("\"2\" is not under /log on member 2, which holds \"1\", \"3\"", result.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void Registers_must_not_fall_behind_what_clients_were_told()
    {
        var history = new HistoryBuilder()
            .Write(1, 0, 10, "a", 1)
            .Read(2, 20, 30, "b", 2)
            .Write(1, 0, 10, "c", 1, key: "/other")
            .Operations;
        var ahead = new Dictionary<string, RegisterState> { [HistoryBuilder.Key] = new("z", 5), ["/other"] = new("c", 1) };
        var behind = new Dictionary<string, RegisterState> { [HistoryBuilder.Key] = new("a", 1), ["/other"] = new("c", 1) };
        var forked = new Dictionary<string, RegisterState> { [HistoryBuilder.Key] = new("b", 2), ["/other"] = new("d", 1) };

        AssertOk(ReplicaInvariants.RegistersKeepAcknowledgedWrites(history, Members(ahead, ahead)));
        var result = AssertViolation(ReplicaInvariants.RegistersKeepAcknowledgedWrites(
            history, Members(ahead, behind, forked, new Dictionary<string, RegisterState>())));

        Assert.Contains("member 2 ended with /k at (\"a\", v1), behind (\"b\", v2) a client saw", result.Explanation, StringComparison.Ordinal);
        Assert.Contains("4 acknowledged state(s) lost", result.Explanation, StringComparison.Ordinal);
    }

    private static (long Zxid, byte[] Txn) Txn(long epoch, long counter, string body = "") =>
        ((epoch << 32) | counter, System.Text.Encoding.UTF8.GetBytes($"txn {epoch}.{counter} {body}"));

    private static Dictionary<long, IReadOnlyList<(long Zxid, byte[] Txn)>> Logs(params (long Zxid, byte[] Txn)[][] logs) =>
        logs.Select((log, i) => (Member: i + 1L, Log: (IReadOnlyList<(long, byte[])>)log)).ToDictionary(m => m.Member, m => m.Log);

    private static Dictionary<long, IReadOnlyDictionary<string, T>> Members<T>(params IReadOnlyDictionary<string, T>[] states) =>
        states.Select((state, i) => (Member: i + 1L, State: state)).ToDictionary(m => m.Member, m => m.State);

    private static void AssertOk(CheckResult result) => Assert.True(result.IsOk, result.Explanation);

    private CheckResult AssertViolation(CheckResult result)
    {
        output.WriteLine(result.Explanation);
        Assert.False(result.IsOk, "expected a violation");
        Assert.False(result.Inconclusive);
        return result;
    }
}
