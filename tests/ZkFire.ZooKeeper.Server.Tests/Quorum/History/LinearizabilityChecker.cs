using System.Diagnostics;

namespace ZkFire.ZooKeeper.Server.Tests.Quorum.History;

/// <summary>How much search a check may spend before it answers <see cref="CheckResult.Inconclusive"/>.</summary>
/// <param name="MaxSteps">Search steps over the whole history (one step tries or undoes one operation).</param>
/// <param name="MaxTime">Wall-clock time over the whole history.</param>
internal sealed record CheckBudget(long MaxSteps, TimeSpan MaxTime)
{
    public static CheckBudget Default { get; } = new(50_000_000, TimeSpan.FromSeconds(30));
}

/// <summary>
/// Checks that a history of reads, writes and compare-and-sets is linearizable for a register with a version
/// (a znode's data and data version): the Wing–Gong search with Lowe's cache of (linearized set, register state),
/// as in Knossos and Porcupine. Linearizability is compositional, so each key is searched on its own.
/// </summary>
/// <remarks>
/// <para>An <see cref="Outcome.Unknown"/> write or compare-and-set may take effect at any point after its invocation,
/// or never: it has no return event, and the search succeeds once every determinate operation is placed. An
/// <see cref="Outcome.Failed"/> compare-and-set must fit at a point where the version differed from the one it
/// expected; other failed operations and unanswered reads say nothing and are left out.</para>
/// <para>Versions make most of the search unnecessary. Before searching, a pair of operations where one needs a
/// version below what another, already returned, saw or made refutes the history outright (and explains it best).
/// During the search the register may never pass the version an unplaced acknowledged operation needs, and an
/// unknown write whose value a read returned must have created the version that read saw (values are unique).</para>
/// <para>Unknown writes no read saw are what makes fault-injected histories expensive: any number of them could have
/// happened anywhere. Values that no read returned are merged into one, since no observation tells them apart
/// (more cache hits); unknown operations that are then alike (same kind and expected version) are interchangeable,
/// so the search only ever places the earliest-invoked pending one of them: any linearization that places a later
/// one can swap it with the earlier, which was pending too.</para>
/// </remarks>
internal static class LinearizabilityChecker
{
    /// <param name="history">The recorded operations, on any number of keys, in any order.</param>
    /// <param name="initial">Each key's state before the history; a key not listed starts as <see cref="RegisterState.Empty"/>.</param>
    /// <param name="budget">Search limits; <see cref="CheckBudget.Default"/> when null.</param>
    /// <exception cref="ArgumentException">An operation lacks a field its kind and outcome require.</exception>
    public static CheckResult Check(
        IReadOnlyList<Operation> history,
        IReadOnlyDictionary<string, RegisterState>? initial = null,
        CheckBudget? budget = null)
    {
        var meter = new BudgetMeter(budget ?? CheckBudget.Default);
        var origin = HistoryText.Origin(history);
        var keys = history.GroupBy(op => op.Key, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal);
        foreach (var key in keys)
        {
            var result = new KeySearch(key.Key, [.. key], RegisterState.Before(key.Key, initial), meter, origin).Run();
            if (!result.IsOk)
            {
                return result;
            }
        }

        return CheckResult.Ok;
    }

    private sealed class BudgetMeter(CheckBudget budget)
    {
        private readonly Stopwatch clock = Stopwatch.StartNew();

        public long Steps { get; private set; }

        public TimeSpan Elapsed => clock.Elapsed;

        /// <summary>Counts one step; false once the budget is spent (the clock is read only now and then).</summary>
        public bool Step() => ++Steps <= budget.MaxSteps && ((Steps & 0xfff) != 0 || clock.Elapsed <= budget.MaxTime);
    }

    private enum StepKind : byte
    {
        Read,
        Write,
        CompareAndSet,
        FailedCompareAndSet,
    }

    /// <summary>An operation as the search sees it: values as small ids; <see cref="Unknown"/> ones need no return.</summary>
    private readonly record struct Step(StepKind Kind, int Value, int Expected, int ResultValue, int ResultVersion, bool Unknown)
    {
        /// <summary>The <see cref="ResultVersion"/> of an unknown write whose value no read returned.</summary>
        public const int AnyVersion = int.MinValue;

        /// <summary>The version the register must be at for this determinate operation to be placed, if one.</summary>
        public int? RequiredVersion => (Kind, Unknown) switch
        {
            (StepKind.Read, _) => ResultVersion,
            (StepKind.Write or StepKind.CompareAndSet, false) => ResultVersion - 1,
            _ => null,
        };

        public bool TryApply(Model state, out Model next)
        {
            next = state;
            switch (Kind)
            {
                case StepKind.Read:
                    return state.Value == ResultValue && state.Version == ResultVersion;
                case StepKind.FailedCompareAndSet:
                    return state.Version != Expected;
                case StepKind.CompareAndSet when state.Version != Expected:
                    return false;
                default:
                    next = new Model(Value, state.Version + 1);
                    return ResultVersion == AnyVersion || next.Version == ResultVersion;
            }
        }
    }

    private readonly record struct Model(int Value, int Version);

    /// <summary>A visited (linearized set, state); the set is copied when the entry is stored.</summary>
    private readonly struct Visited(ulong[] set, ulong setHash, Model state) : IEquatable<Visited>
    {
        private readonly ulong[] set = set;
        private readonly ulong setHash = setHash;
        private readonly Model state = state;

        public Visited Stored() => new([.. set], setHash, state);

        public bool Equals(Visited other) =>
            setHash == other.setHash && state == other.state && set.AsSpan().SequenceEqual(other.set);

        public override bool Equals(object? obj) => obj is Visited other && Equals(other);

        public override int GetHashCode() => HashCode.Combine(setHash, state);
    }

    /// <summary>The furthest the search got, kept for the explanation of a failure.</summary>
    /// <param name="Placed">How many determinate operations <paramref name="Linearized"/> holds.</param>
    /// <param name="Blocked">The first operation whose return the search could not get past.</param>
    private sealed record Frontier(int Placed, int[] Linearized, int Blocked, int[] Pending);

    private sealed class KeySearch
    {
        private const int Unobserved = 0;

        private readonly string key;
        private readonly BudgetMeter meter;
        private readonly Operation[] source;
        private readonly Step[] steps;
        private readonly Model initial;
        private readonly RegisterState before;
        private readonly long origin;

        // Lowe's event list: a call entry per operation and a return entry per determinate one, in time order, as a
        // doubly linked list that placing an operation unlinks both of its entries from.
        private readonly int[] entryOp;
        private readonly bool[] entryIsCall;
        private readonly int[] next;
        private readonly int[] prev;
        private readonly int[] callEntry;
        private readonly int[] returnEntry;
        private readonly int head;

        // Interchangeable unknown operations: each class's members in invocation order, and how many are placed.
        private readonly int[] symmetryClass;
        private readonly int[][] classMembers;
        private readonly int[] classPlaced;

        // Determinate operations by the version they need, and the first of them not yet placed (versions only grow,
        // so a register past that version is a dead end however long the search would take to notice).
        private readonly bool[] placed;
        private readonly int[] byRequiredVersion;
        private readonly int[] requiredVersionRank;
        private int firstUnplacedRequirement;

        private readonly ulong[] setKeys;
        private readonly int determinate;
        private Frontier? frontier;

        public KeySearch(string key, List<Operation> operations, RegisterState before, BudgetMeter meter, long origin)
        {
            this.key = key;
            this.meter = meter;
            this.before = before;
            this.origin = origin;
            source = [.. operations.Where(Matters).OrderBy(op => op.Invoked)];
            foreach (var op in source)
            {
                Validate(op);
            }

            var values = new Dictionary<string, int>(StringComparer.Ordinal);
            int? nullId = null;
            var nextId = Unobserved + 1;
            foreach (var op in source.Where(op => op.Kind == OperationKind.Read))
            {
                if (op.ResultValue is null)
                {
                    nullId ??= nextId++;
                }
                else if (values.TryAdd(op.ResultValue, nextId))
                {
                    nextId++;
                }
            }

            int IdOf(string? value) => value is null ? nullId ?? Unobserved : values.GetValueOrDefault(value, Unobserved);

            // Values are unique, so a read of (value, version) says which version the value's write created.
            var versionRead = new Dictionary<int, int>();
            foreach (var op in source.Where(op => op.Kind == OperationKind.Read))
            {
                versionRead.TryAdd(IdOf(op.ResultValue), op.ResultVersion!.Value);
            }

            initial = new Model(IdOf(before.Value), before.Version);
            steps = [.. source.Select(op => ToStep(op, IdOf, versionRead))];
            determinate = steps.Count(step => !step.Unknown);

            var classes = new Dictionary<(StepKind, int), List<int>>();
            for (var i = 0; i < steps.Length; i++)
            {
                if (steps[i].Unknown && steps[i].Value == Unobserved)
                {
                    var alike = (steps[i].Kind, steps[i].Expected);
                    if (!classes.TryGetValue(alike, out var members))
                    {
                        classes[alike] = members = [];
                    }

                    members.Add(i);
                }
            }

            classMembers = [.. classes.Values.Select(members => members.ToArray())];
            symmetryClass = [.. steps.Select(_ => -1)];
            for (var c = 0; c < classMembers.Length; c++)
            {
                foreach (var member in classMembers[c])
                {
                    symmetryClass[member] = c;
                }
            }

            classPlaced = new int[classMembers.Length];
            placed = new bool[steps.Length];
            byRequiredVersion = [.. Enumerable.Range(0, steps.Length)
                .Where(i => steps[i].RequiredVersion is not null)
                .OrderBy(i => steps[i].RequiredVersion)];
            requiredVersionRank = [.. steps.Select(_ => -1)];
            for (var r = 0; r < byRequiredVersion.Length; r++)
            {
                requiredVersionRank[byRequiredVersion[r]] = r;
            }

            var events = new List<(long Time, bool IsReturn, int Op)>();
            for (var i = 0; i < steps.Length; i++)
            {
                events.Add((source[i].Invoked, false, i));
                if (!steps[i].Unknown)
                {
                    events.Add((source[i].Completed, true, i));
                }
            }

            // At equal times calls go first: the operations count as concurrent, which never invents a violation.
            events.Sort();
            entryOp = new int[events.Count];
            entryIsCall = new bool[events.Count];
            next = new int[events.Count + 2];
            prev = new int[events.Count + 2];
            callEntry = new int[steps.Length];
            returnEntry = new int[steps.Length];
            head = events.Count;
            var tail = events.Count + 1;
            for (var e = 0; e < events.Count; e++)
            {
                var (_, isReturn, op) = events[e];
                entryOp[e] = op;
                entryIsCall[e] = !isReturn;
                (isReturn ? returnEntry : callEntry)[op] = e;
                next[e] = e + 1 == events.Count ? tail : e + 1;
                prev[e] = e == 0 ? head : e - 1;
            }

            next[head] = events.Count == 0 ? tail : 0;
            prev[tail] = events.Count == 0 ? head : events.Count - 1;

            var random = new Random(steps.Length);
            setKeys = [.. steps.Select(_ => (ulong)random.NextInt64() ^ ((ulong)random.Next() << 63))];
        }

        public CheckResult Run()
        {
            var inversion = FindVersionInversion();
            if (inversion is not null)
            {
                return inversion;
            }

            var set = new ulong[(steps.Length + 63) / 64];
            ulong setHash = 0;
            var visited = new HashSet<Visited>();
            var stack = new Stack<(int Entry, Model Before)>();
            var state = initial;
            var remaining = determinate;
            var entry = next[head];
            while (remaining > 0)
            {
                if (!meter.Step())
                {
                    return CheckResult.Undecided(
                        $"key {key}: gave up after {meter.Steps} search steps and {meter.Elapsed.TotalSeconds:F1} s " +
                        $"with {steps.Length} operations ({steps.Length - determinate} of unknown outcome); " +
                        $"the furthest partial linearization placed {frontier?.Placed ?? 0} of the {determinate} determinate ones.");
                }

                // While determinate operations remain, a return entry lies ahead, so the scan never reaches the tail.
                var op = entryOp[entry];
                if (!entryIsCall[entry])
                {
                    // The operation returning here has not been placed and nothing pending before it fits: backtrack.
                    if (stack.Count == 0)
                    {
                        return CheckResult.Violation(Explain());
                    }

                    (entry, state) = stack.Pop();
                    op = entryOp[entry];
                    Flip(set, ref setHash, op);
                    Unlift(op);
                    remaining += steps[op].Unknown ? 0 : 1;
                    entry = next[entry];
                    continue;
                }

                if (IsNextOfItsClass(op) && steps[op].TryApply(state, out var after))
                {
                    Flip(set, ref setHash, op);
                    var probe = new Visited(set, setHash, after);
                    if (!visited.Contains(probe))
                    {
                        visited.Add(probe.Stored());
                        Lift(op);
                        if (after.Version <= LowestRequiredVersion())
                        {
                            stack.Push((entry, state));
                            state = after;
                            remaining -= steps[op].Unknown ? 0 : 1;
                            if (frontier is null || determinate - remaining > frontier.Placed)
                            {
                                frontier = Snapshot(stack, determinate - remaining);
                            }

                            entry = next[head];
                            continue;
                        }

                        Unlift(op);
                    }

                    Flip(set, ref setHash, op);
                }

                entry = next[entry];
            }

            return CheckResult.Ok;
        }

        /// <summary>
        /// An operation that needs the register at a version below what one that returned before its invocation saw or
        /// made. Versions never go back, so this pair alone refutes the history (a stale read, a lost write), and says
        /// so more plainly than the search's frontier would.
        /// </summary>
        private CheckResult? FindVersionInversion()
        {
            var pinned = Enumerable.Range(0, steps.Length).Where(op => steps[op].RequiredVersion is not null).ToList();
            var byReturn = pinned.OrderBy(op => source[op].Completed).ToList();
            var highest = -1;
            var returned = 0;
            foreach (var op in pinned.OrderBy(op => source[op].Invoked))
            {
                for (; returned < byReturn.Count && source[byReturn[returned]].Completed < source[op].Invoked; returned++)
                {
                    if (highest < 0 || steps[byReturn[returned]].ResultVersion > steps[highest].ResultVersion)
                    {
                        highest = byReturn[returned];
                    }
                }

                if (highest >= 0 && steps[highest].ResultVersion > steps[op].RequiredVersion)
                {
                    return CheckResult.Violation(string.Join(Environment.NewLine,
                        $"key {key} is not linearizable (times relative to +0 = {origin}): this operation needs the register at v{steps[op].RequiredVersion}",
                        "    " + HistoryText.Describe(source[op], origin),
                        $"but it was invoked after this one had returned with the register at v{steps[highest].ResultVersion}:",
                        "    " + HistoryText.Describe(source[highest], origin)));
                }
            }

            return null;
        }

        private static bool Matters(Operation op) => op.Outcome switch
        {
            Outcome.Ok => true,
            Outcome.Failed => op.Kind == OperationKind.CompareAndSet,
            _ => op.Kind != OperationKind.Read,
        };

        private static void Validate(Operation op)
        {
            if (op.Kind == OperationKind.CompareAndSet && op.ExpectedVersion is null)
            {
                throw new ArgumentException($"A compare-and-set needs its expected version: {op}");
            }

            if (op.Outcome == Outcome.Ok && op.ResultVersion is null)
            {
                throw new ArgumentException($"An acknowledged operation needs its result version: {op}");
            }

            if (op.Outcome != Outcome.Unknown && op.Completed < op.Invoked)
            {
                throw new ArgumentException($"An operation cannot complete before it is invoked: {op}");
            }
        }

        private static Step ToStep(Operation op, Func<string?, int> idOf, Dictionary<int, int> versionRead)
        {
            var unknown = op.Outcome == Outcome.Unknown;
            var value = op.Kind == OperationKind.Read ? Unobserved : idOf(op.Value);
            var resultVersion = op.ResultVersion
                ?? (value != Unobserved && versionRead.TryGetValue(value, out var read) ? read : Step.AnyVersion);
            return op.Kind switch
            {
                OperationKind.Read => new Step(StepKind.Read, Unobserved, 0, idOf(op.ResultValue), resultVersion, false),
                OperationKind.Write => new Step(StepKind.Write, value, 0, Unobserved, resultVersion, unknown),
                _ when op.Outcome == Outcome.Failed =>
                    new Step(StepKind.FailedCompareAndSet, Unobserved, op.ExpectedVersion!.Value, Unobserved, Step.AnyVersion, false),
                _ => new Step(StepKind.CompareAndSet, value, op.ExpectedVersion!.Value, Unobserved, resultVersion, unknown),
            };
        }

        private bool IsNextOfItsClass(int op)
        {
            var c = symmetryClass[op];
            return c < 0 || classMembers[c][classPlaced[c]] == op;
        }

        private void Flip(ulong[] set, ref ulong setHash, int op)
        {
            set[op >> 6] ^= 1UL << (op & 63);
            setHash ^= setKeys[op];
        }

        private int LowestRequiredVersion()
        {
            while (firstUnplacedRequirement < byRequiredVersion.Length && placed[byRequiredVersion[firstUnplacedRequirement]])
            {
                firstUnplacedRequirement++;
            }

            return firstUnplacedRequirement < byRequiredVersion.Length
                ? steps[byRequiredVersion[firstUnplacedRequirement]].RequiredVersion!.Value
                : int.MaxValue;
        }

        private void Lift(int op)
        {
            placed[op] = true;
            Unlink(callEntry[op]);
            if (!steps[op].Unknown)
            {
                Unlink(returnEntry[op]);
            }

            if (symmetryClass[op] >= 0)
            {
                classPlaced[symmetryClass[op]]++;
            }
        }

        private void Unlift(int op)
        {
            placed[op] = false;
            if (requiredVersionRank[op] >= 0)
            {
                firstUnplacedRequirement = Math.Min(firstUnplacedRequirement, requiredVersionRank[op]);
            }

            if (symmetryClass[op] >= 0)
            {
                classPlaced[symmetryClass[op]]--;
            }

            if (!steps[op].Unknown)
            {
                Relink(returnEntry[op]);
            }

            Relink(callEntry[op]);
        }

        private void Unlink(int e)
        {
            next[prev[e]] = next[e];
            prev[next[e]] = prev[e];
        }

        private void Relink(int e)
        {
            next[prev[e]] = e;
            prev[next[e]] = e;
        }

        private Frontier Snapshot(Stack<(int Entry, Model Before)> stack, int placed)
        {
            var linearized = stack.Select(frame => entryOp[frame.Entry]).Reverse().ToArray();
            var pending = new List<int>();
            var e = next[head];
            while (e < entryOp.Length && entryIsCall[e])
            {
                pending.Add(entryOp[e]);
                e = next[e];
            }

            return new Frontier(placed, linearized, e < entryOp.Length ? entryOp[e] : -1, [.. pending]);
        }

        private string Explain()
        {
            string Line(int op) => "    " + HistoryText.Describe(source[op], origin);
            var reached = frontier ?? Snapshot(new Stack<(int, Model)>(), 0);

            // The search merged the values no read returned, so the register's content is replayed from the ops.
            var state = before;
            foreach (var op in reached.Linearized.Where(op => steps[op].Kind is StepKind.Write or StepKind.CompareAndSet))
            {
                state = new RegisterState(source[op].Value, state.Version + 1);
            }

            var lines = new List<string>
            {
                $"key {key} is not linearizable (start {before}, times relative to +0 = {origin}).",
                $"The furthest partial linearization placed {reached.Placed} of the {determinate} operations with a known outcome"
                    + $" and {reached.Linearized.Length - reached.Placed} of unknown outcome"
                    + (reached.Linearized.Length == 0 ? "," : ", ending with:"),
            };
            lines.AddRange(reached.Linearized.TakeLast(5).Select(Line));
            lines.Add($"leaving the register at {state}. This operation could not take effect before it returned:");
            lines.Add(Line(reached.Blocked));
            var unplaced = Enumerable.Range(0, steps.Length)
                .Where(op => op != reached.Blocked && steps[op].RequiredVersion is not null && !reached.Linearized.Contains(op))
                .ToList();
            var needsEarlier = unplaced.Count == 0 ? -1 : unplaced.MinBy(op => steps[op].RequiredVersion);
            if (needsEarlier >= 0 && steps[reached.Blocked].RequiredVersion > steps[needsEarlier].RequiredVersion)
            {
                lines.Add($"without moving the register past the v{steps[needsEarlier].RequiredVersion} this operation needs:");
                lines.Add(Line(needsEarlier));
            }

            var others = reached.Pending.Where(op => op != reached.Blocked && !steps[op].Unknown).ToList();
            var unknown = reached.Pending.Count(op => steps[op].Unknown);
            if (others.Count + unknown > 0)
            {
                lines.Add("in any order with the operations that were pending then:");
                lines.AddRange(others.Take(10).Select(Line));
                if (others.Count > 10)
                {
                    lines.Add($"    ... and {others.Count - 10} more");
                }

                if (unknown > 0)
                {
                    lines.Add($"    and {unknown} of unknown outcome, which could take effect at any point or never");
                }
            }

            return string.Join(Environment.NewLine, lines);
        }
    }
}
