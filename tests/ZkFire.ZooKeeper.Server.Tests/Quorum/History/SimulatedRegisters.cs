namespace ZkFire.ZooKeeper.Server.Tests.Quorum.History;

/// <summary>
/// Generates histories that are linearizable by construction: sequential clients whose operations overlap at random,
/// each taking effect on an atomic register at a random point inside its interval (an unknown one at a random point
/// after its invocation, or never).
/// </summary>
internal static class SimulatedRegisters
{
    public static IReadOnlyList<Operation> History(int seed, int clients, int operationsPerClient, int keys, double unknownRate)
    {
        var random = new Random(seed);
        var drafts = new List<Draft>();
        for (var client = 1; client <= clients; client++)
        {
            long cursor = random.Next(10);
            for (var i = 0; i < operationsPerClient; i++)
            {
                var invoked = cursor + random.Next(4);
                var completed = invoked + 1 + random.Next(30);
                var unknown = random.NextDouble() < unknownRate;
                var takesEffect = !unknown || random.Next(2) == 0;
                var effect = unknown ? invoked + random.Next(200) : invoked + random.NextInt64(completed - invoked + 1);
                var kind = (OperationKind)random.Next(3);
                drafts.Add(new Draft(client, kind, $"/k{random.Next(keys)}", invoked, completed, unknown, takesEffect, effect, $"c{client}.{i}"));
                cursor = completed;
            }
        }

        var registers = new Dictionary<string, RegisterState>();
        foreach (var draft in drafts.Where(d => d.TakesEffect).OrderBy(d => d.Effect))
        {
            var state = registers.GetValueOrDefault(draft.Key, RegisterState.Empty);
            if (draft.Kind == OperationKind.CompareAndSet)
            {
                // About half of them expect a version that is already gone.
                draft.Expected = state.Version - random.Next(2) * (1 + random.Next(2));
            }

            if (draft.Kind == OperationKind.Read || state.Version != draft.Expected && draft.Kind == OperationKind.CompareAndSet)
            {
                draft.Result = state;
                draft.Failed = draft.Kind == OperationKind.CompareAndSet;
                continue;
            }

            registers[draft.Key] = draft.Result = new RegisterState(draft.Value, state.Version + 1);
        }

        return [.. drafts.OrderBy(d => d.Invoked).Select(d => d.ToOperation(random))];
    }

    private sealed record Draft(
        int Client, OperationKind Kind, string Key, long Invoked, long Completed, bool Unknown, bool TakesEffect, long Effect, string Value)
    {
        public int? Expected { get; set; }

        public RegisterState Result { get; set; }

        public bool Failed { get; set; }

        public Operation ToOperation(Random random)
        {
            var outcome = Unknown ? Outcome.Unknown : Failed ? Outcome.Failed : Outcome.Ok;
            var write = Kind != OperationKind.Read;
            return new Operation(
                Client,
                Kind,
                Key,
                Invoked,
                Completed,
                outcome,
                write ? Value : null,
                Kind == OperationKind.CompareAndSet ? Expected ?? random.Next(3) : null,
                outcome == Outcome.Ok && !write ? Result.Value : null,
                outcome == Outcome.Ok ? Result.Version : null);
        }
    }
}
