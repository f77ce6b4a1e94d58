namespace ZkFire.ZooKeeper.Server.Tests.Quorum.History;

/// <summary>
/// What must hold of the members after a run, once the ensemble has healed and every member has caught up: checks over
/// each member's transaction log (zxid and serialized txn, in log order) and over the state read back from each member.
/// </summary>
internal static class ReplicaInvariants
{
    /// <summary>
    /// Every member's log is a prefix of the longest one (the one reaching the highest zxid): the same zxids with the
    /// same bytes in the same order. A member synchronised from a snapshot may start later (only the overlap is
    /// compared), but no log may skip a zxid inside itself: zxids increase, by one within an epoch.
    /// </summary>
    public static CheckResult LogsArePrefixes(IReadOnlyDictionary<long, IReadOnlyList<(long Zxid, byte[] Txn)>> logs)
    {
        var members = logs.OrderBy(member => member.Key).ToList();
        foreach (var (member, log) in members)
        {
            for (var i = 1; i < log.Count; i++)
            {
                var (previous, zxid) = (log[i - 1].Zxid, log[i].Zxid);
                if (zxid <= previous || (zxid >> 32 == previous >> 32 && zxid != previous + 1))
                {
                    return CheckResult.Violation(
                        $"member {member}'s log has a gap or goes back at index {i}: {HistoryText.Zxid(previous)} is followed by {HistoryText.Zxid(zxid)}");
                }
            }
        }

        var longest = members.Where(m => m.Value.Count > 0)
            .OrderByDescending(m => m.Value[^1].Zxid)
            .ThenByDescending(m => m.Value.Count)
            .FirstOrDefault();
        if (longest.Value is not { } reference)
        {
            return CheckResult.Ok;
        }

        foreach (var (member, log) in members.Where(m => m.Key != longest.Key && m.Value.Count > 0))
        {
            var start = Math.Max(log[0].Zxid, reference[0].Zxid);
            var i = IndexOfFirstFrom(log, start);
            var j = IndexOfFirstFrom(reference, start);
            for (; i < log.Count && j < reference.Count; i++, j++)
            {
                var difference = Compare(log[i], reference[j]);
                if (difference is not null)
                {
                    return CheckResult.Violation(
                        $"member {member}'s log is not a prefix of member {longest.Key}'s (the longest, up to " +
                        $"{HistoryText.Zxid(reference[^1].Zxid)}): at index {i} {difference}");
                }
            }
        }

        return CheckResult.Ok;
    }

    /// <summary>
    /// No zxid carries two different transactions, in one log or across logs: what two leaders committing in one
    /// epoch (the zxid's high 32 bits) would leave behind.
    /// </summary>
    public static CheckResult OneTransactionPerZxid(IReadOnlyDictionary<long, IReadOnlyList<(long Zxid, byte[] Txn)>> logs)
    {
        var first = new Dictionary<long, (long Member, byte[] Txn)>();
        var conflicts = new List<(long Zxid, string Text)>();
        foreach (var (member, log) in logs.OrderBy(member => member.Key))
        {
            foreach (var (zxid, txn) in log)
            {
                if (!first.TryAdd(zxid, (member, txn)) && !first[zxid].Txn.AsSpan().SequenceEqual(txn))
                {
                    var (other, otherTxn) = first[zxid];
                    conflicts.Add((zxid,
                        $"{HistoryText.Zxid(zxid)} carries two transactions, member {other}'s and member {member}'s " +
                        $"({Bytes(otherTxn, txn)}): two proposals were made in epoch {zxid >> 32}"));
                }
            }
        }

        return conflicts.Count == 0
            ? CheckResult.Ok
            : CheckResult.Violation(HistoryText.Listing($"{conflicts.Count} zxid(s) with two transactions", conflicts.OrderBy(c => c.Zxid).Select(c => c.Text)));
    }

    /// <summary>
    /// Every acknowledged write is on every member: each value in <paramref name="acknowledged"/> under a key appears
    /// among the values each member holds under that key in <paramref name="finalStates"/> (a register holds one;
    /// a parent znode, say, holds its children's).
    /// </summary>
    public static CheckResult AcknowledgedWritesPresent(
        IReadOnlyDictionary<string, IReadOnlyCollection<string>> acknowledged,
        IReadOnlyDictionary<long, IReadOnlyDictionary<string, IReadOnlyCollection<string>>> finalStates)
    {
        var missing = new List<string>();
        foreach (var (key, values) in acknowledged.OrderBy(k => k.Key, StringComparer.Ordinal))
        {
            foreach (var (member, state) in finalStates.OrderBy(member => member.Key))
            {
                var held = state.GetValueOrDefault(key) ?? [];
                missing.AddRange(values.Where(value => !held.Contains(value)).Select(value =>
                    $"{HistoryText.Quote(value)} is not under {key} on member {member}, which holds " +
                    (held.Count == 0 ? "nothing there" : string.Join(", ", held.Take(5).Select(HistoryText.Quote)) + (held.Count > 5 ? ", ..." : ""))));
            }
        }

        return missing.Count == 0
            ? CheckResult.Ok
            : CheckResult.Violation(HistoryText.Listing($"{missing.Count} acknowledged write(s) missing", missing));
    }

    /// <summary>
    /// No member's register fell behind what a client was told: for each acknowledged write or read in
    /// <paramref name="history"/>, every member's final state of its key is at a later version, or at that version
    /// with that value.
    /// </summary>
    public static CheckResult RegistersKeepAcknowledgedWrites(
        IReadOnlyList<Operation> history,
        IReadOnlyDictionary<long, IReadOnlyDictionary<string, RegisterState>> finalStates)
    {
        var origin = HistoryText.Origin(history);
        var lost = new List<string>();
        var newest = history.Where(op => op.Outcome == Outcome.Ok && op.ResultVersion is not null)
            .GroupBy(op => op.Key, StringComparer.Ordinal)
            .OrderBy(key => key.Key, StringComparer.Ordinal)
            .Select(key => key.MaxBy(op => op.ResultVersion)!);
        foreach (var op in newest)
        {
            var seen = new RegisterState(op.Kind == OperationKind.Read ? op.ResultValue : op.Value, op.ResultVersion!.Value);
            foreach (var (member, state) in finalStates.OrderBy(member => member.Key))
            {
                if (!state.TryGetValue(op.Key, out var final))
                {
                    lost.Add($"member {member} has no {op.Key}, whose {seen} a client saw: {HistoryText.Describe(op, origin)}");
                }
                else if (final.Version < seen.Version || (final.Version == seen.Version && final.Value != seen.Value))
                {
                    lost.Add($"member {member} ended with {op.Key} at {final}, behind {seen} a client saw: {HistoryText.Describe(op, origin)}");
                }
            }
        }

        return lost.Count == 0 ? CheckResult.Ok : CheckResult.Violation(HistoryText.Listing($"{lost.Count} acknowledged state(s) lost", lost));
    }

    private static int IndexOfFirstFrom(IReadOnlyList<(long Zxid, byte[] Txn)> log, long zxid)
    {
        var i = 0;
        while (i < log.Count && log[i].Zxid < zxid)
        {
            i++;
        }

        return i;
    }

    private static string? Compare((long Zxid, byte[] Txn) entry, (long Zxid, byte[] Txn) expected)
    {
        if (entry.Zxid != expected.Zxid)
        {
            return $"it has {HistoryText.Zxid(entry.Zxid)} where the longest has {HistoryText.Zxid(expected.Zxid)}";
        }

        return entry.Txn.AsSpan().SequenceEqual(expected.Txn)
            ? null
            : $"both have {HistoryText.Zxid(entry.Zxid)} but the transactions differ ({Bytes(entry.Txn, expected.Txn)})";
    }

    private static string Bytes(byte[] a, byte[] b)
    {
        var at = a.AsSpan().CommonPrefixLength(b);
        return $"{a.Length} and {b.Length} bytes, first difference at byte {at}";
    }
}
