using System.Globalization;
using System.Text;
using Xunit.Abstractions;
using ZkFire.ZooKeeper.Server.Tests.Quorum.History;
using ZkFire.ZooKeeper.Server.Tests.Quorum.Simulation;

namespace ZkFire.ZooKeeper.Server.Tests.Quorum;

/// <summary>
/// Ensembles of 3 and 5 members under seeded faults while clients read, write and compare-and-set: the histories must
/// be linearizable (writes) and sequentially consistent (reads), and the replicas must agree afterwards. A failure
/// names its seed; <c>ZKFIRE_FAULT_SEED=n</c> runs only that seed.
/// </summary>
[Collection(EnsembleCollection.Name)]
public sealed class EnsembleFaultTests(ITestOutputHelper output)
{
    private const string SeedVariable = "ZKFIRE_FAULT_SEED";
    private static readonly int[] Seeds = [101, 202, 303];
    private static readonly TimeSpan FaultTime = TimeSpan.FromSeconds(6);
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(30);

    public static TheoryData<int, int> Runs()
    {
        var seeds = Environment.GetEnvironmentVariable(SeedVariable) is { Length: > 0 } replay
            ? [int.Parse(replay, CultureInfo.InvariantCulture)]
            : Seeds;
        var runs = new TheoryData<int, int>();
        foreach (var size in new[] { 3, 5 })
        {
            foreach (var seed in seeds)
            {
                runs.Add(size, seed);
            }
        }

        return runs;
    }

    [Theory]
    [MemberData(nameof(Runs))]
    public async Task Histories_under_faults_are_consistent_and_the_replicas_agree(int size, int seed)
    {
        var network = new SimulatedNetwork(seed);
        await using var ensemble = await TestEnsemble.StartAsync(size, network, output: output);
        var schedule = new FaultSchedule(ensemble, seed);
        var workload = new RegisterWorkload(seed, ["/r0", "/r1", "/r2"]);
        await ensemble.WaitForLeaderAsync(Settle);
        using (var timeout = new CancellationTokenSource(Settle))
        {
            await workload.CreateKeysAsync(ensemble.ConnectString(), timeout.Token);
        }

        var clients = Enumerable.Range(0, size == 3 ? 3 : 4).Select(i => ensemble.ConnectString(Rotated(ensemble.Ids, i))).ToList();
        var running = workload.RunAsync(clients, FaultTime, CancellationToken.None);
        await schedule.RunAsync(FaultTime, CancellationToken.None);
        var history = await running;
        await schedule.EndAsync();

        string Failure(string what, CheckResult result) =>
            $"{what} with seed {seed} ({SeedVariable}={seed} replays it), {size} members: {result.Explanation}{Environment.NewLine}" +
            $"members: {ensemble.Describe()}{Environment.NewLine}network: {network}{Environment.NewLine}" +
            $"history: {history.Count} operations, {history.Count(op => op.Outcome == Outcome.Ok)} acknowledged, " +
            $"{history.Count(op => op.Outcome == Outcome.Unknown)} unknown{Environment.NewLine}faults:{Environment.NewLine}{schedule.Describe()}";

        try
        {
            await ensemble.WaitAllServingAsync(Settle);
        }
        catch (TimeoutException ex)
        {
            Assert.Fail(Failure("The ensemble did not recover", CheckResult.Violation(ex.Message)));
        }

        var finals = new Dictionary<long, IReadOnlyDictionary<string, RegisterState>>();
        foreach (var id in ensemble.Ids)
        {
            using var timeout = new CancellationTokenSource(Settle);
            finals[id] = await workload.ReadRegistersAsync(ensemble.ConnectString(id), timeout.Token);
        }

        var logs = (await ensemble.StopAllAndReadLogsAsync())
            .ToDictionary(m => m.Key, m => (IReadOnlyList<(long Zxid, byte[] Txn)>)[.. m.Value.Select(t => (t.Zxid, t.Txn))]);
        output.WriteLine(schedule.Describe());
        output.WriteLine($"{history.Count} operations ({history.Count(op => op.Outcome == Outcome.Ok)} acknowledged, " +
                         $"{history.Count(op => op.Outcome == Outcome.Unknown)} unknown); {network}");

        var writes = history.Where(op => op.Kind != OperationKind.Read).ToList();
        Assert.True(history.Any(op => op.Outcome == Outcome.Ok), Failure("Nothing was acknowledged", CheckResult.Violation("no progress")));
        Check("Writes are not linearizable", LinearizabilityChecker.Check(writes));
        Check("Reads are not sequentially consistent", SequentialConsistencyChecker.Check(history));
        Check("The logs disagree", ReplicaInvariants.LogsArePrefixes(logs));
        Check("A zxid carries two transactions", ReplicaInvariants.OneTransactionPerZxid(logs));
        Check("An acknowledged write is missing", ReplicaInvariants.RegistersKeepAcknowledgedWrites(history, finals));
        var first = finals.First();
        foreach (var (id, state) in finals)
        {
            Assert.True(
                state.OrderBy(r => r.Key, StringComparer.Ordinal).SequenceEqual(first.Value.OrderBy(r => r.Key, StringComparer.Ordinal)),
                Failure("The replicas differ", CheckResult.Violation($"member {first.Key} holds {Show(first.Value)}, member {id} holds {Show(state)}")));
        }

        void Check(string what, CheckResult result) => Assert.True(result.IsOk, Failure(what, result));
    }

    /// <summary>Every member, starting at a different one per client (so that clients spread over the members).</summary>
    private static long[] Rotated(IReadOnlyList<long> ids, int start) => [.. ids.Skip(start % ids.Count), .. ids.Take(start % ids.Count)];

    private static string Show(IReadOnlyDictionary<string, RegisterState> registers) =>
        new StringBuilder().AppendJoin(", ", registers.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => $"{r.Key}={r.Value}")).ToString();
}
