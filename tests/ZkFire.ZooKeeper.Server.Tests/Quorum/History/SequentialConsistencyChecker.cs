namespace ZkFire.ZooKeeper.Server.Tests.Quorum.History;

/// <summary>
/// Checks what ZooKeeper promises for reads, which a follower may serve stale: every key's writes have one global order
/// (its versions), and each client sees that order without going back, its own writes included.
/// </summary>
/// <remarks>
/// Per key: each read returns a value some write could have produced (acknowledged or unanswered, not failed, and
/// invoked before the read completed) or the initial one; one version never carries two values, nor one value two
/// versions. Per client and key: the versions it observes (its reads and its acknowledged writes' results) never
/// decrease in program order. Unlike <see cref="LinearizabilityChecker"/> this allows a read to miss a write that
/// completed before it started, if the reader has not seen that write yet.
/// </remarks>
internal static class SequentialConsistencyChecker
{
    /// <param name="history">The recorded operations, on any number of keys, in any order.</param>
    /// <param name="initial">Each key's state before the history; a key not listed starts as <see cref="RegisterState.Empty"/>.</param>
    /// <exception cref="ArgumentException">An acknowledged operation lacks its result version.</exception>
    public static CheckResult Check(IReadOnlyList<Operation> history, IReadOnlyDictionary<string, RegisterState>? initial = null)
    {
        var bad = history.FirstOrDefault(op => op.Outcome == Outcome.Ok && op.ResultVersion is null);
        if (bad is not null)
        {
            throw new ArgumentException($"An acknowledged operation needs its result version: {bad}");
        }

        var origin = HistoryText.Origin(history);
        var violations = new List<(long Time, string Text)>();
        foreach (var key in history.GroupBy(op => op.Key, StringComparer.Ordinal))
        {
            var before = RegisterState.Before(key.Key, initial);
            var check = new KeyCheck(key.Key, [.. key], before, origin, violations);
            check.ReadsComeFromWrites();
            check.VersionsAndValuesMatch();
            check.ClientsNeverGoBack();
        }

        if (violations.Count == 0)
        {
            return CheckResult.Ok;
        }

        return CheckResult.Violation(HistoryText.Listing(
            $"{violations.Count} violation(s) of sequential consistency (times relative to +0 = {origin})",
            violations.OrderBy(v => v.Time).Select(v => v.Text)));
    }

    /// <summary>A znode's data as a dictionary key (null data included).</summary>
    private readonly record struct Data(string? Value)
    {
        public override string ToString() => HistoryText.Quote(Value);
    }

    private sealed class KeyCheck
    {
        private readonly string key;
        private readonly List<Operation> ops;
        private readonly RegisterState before;
        private readonly long origin;
        private readonly List<(long, string)> violations;

        /// <summary>Acknowledged reads, and acknowledged writes with the version they created: what clients saw.</summary>
        private readonly List<(Operation Op, Data Value, int Version)> observations;

        public KeyCheck(string key, List<Operation> ops, RegisterState before, long origin, List<(long, string)> violations)
        {
            this.key = key;
            this.ops = ops;
            this.before = before;
            this.origin = origin;
            this.violations = violations;
            observations = [.. ops
                .Where(op => op.Outcome == Outcome.Ok)
                .Select(op => (op, new Data(op.Kind == OperationKind.Read ? op.ResultValue : op.Value), op.ResultVersion!.Value))
                .OrderBy(o => o.op.Completed)];
        }

        public void ReadsComeFromWrites()
        {
            var producers = ops.Where(op => op.Kind != OperationKind.Read && op.Outcome != Outcome.Failed)
                .ToLookup(op => new Data(op.Value));
            var failed = ops.Where(op => op.Kind != OperationKind.Read && op.Outcome == Outcome.Failed)
                .ToLookup(op => new Data(op.Value));
            foreach (var (read, value, _) in observations.Where(o => o.Op.Kind == OperationKind.Read))
            {
                if (producers.Contains(value))
                {
                    var write = producers[value].MinBy(op => op.Invoked)!;
                    if (write.Invoked > read.Completed)
                    {
                        Add(read, $"{Line(read)} returned a value written only later: {Line(write)}");
                    }
                }
                else if (value != new Data(before.Value))
                {
                    Add(read, failed.Contains(value)
                        ? $"{Line(read)} returned the value of a write that failed: {Line(failed[value].First())}"
                        : $"{Line(read)} returned a value nobody wrote on {key}");
                }
            }
        }

        public void VersionsAndValuesMatch()
        {
            var valueOf = new Dictionary<int, (Data Value, Operation? By)> { [before.Version] = (new Data(before.Value), null) };
            var versionOf = new Dictionary<Data, (int Version, Operation? By)> { [new Data(before.Value)] = (before.Version, null) };
            foreach (var (op, value, version) in observations)
            {
                if (!valueOf.TryAdd(version, (value, op)) && valueOf[version].Value != value)
                {
                    var other = valueOf[version];
                    Add(op, $"two values for v{version} on {key}: {other.Value} ({Source(other.By)}) and {value} ({Line(op)})");
                }

                if (!versionOf.TryAdd(value, (version, op)) && versionOf[value].Version != version)
                {
                    var other = versionOf[value];
                    Add(op, $"{value} at two versions on {key}: v{other.Version} ({Source(other.By)}) and v{version} ({Line(op)})");
                }
            }
        }

        public void ClientsNeverGoBack()
        {
            foreach (var client in observations.GroupBy(o => o.Op.Client))
            {
                (Operation Op, int Version)? latest = null;
                foreach (var (op, _, version) in client.OrderBy(o => o.Op.Invoked))
                {
                    if (latest is { } seen && version < seen.Version)
                    {
                        Add(op, $"client {client.Key} went back from v{seen.Version} ({Line(seen.Op)}) to v{version} ({Line(op)})");
                    }
                    else
                    {
                        latest = (op, version);
                    }
                }
            }
        }

        private string Line(Operation op) => HistoryText.Describe(op, origin);

        private string Source(Operation? op) => op is null ? "the initial state" : Line(op);

        private void Add(Operation op, string text) => violations.Add((op.Completed, text));
    }
}
