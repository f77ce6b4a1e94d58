using System.Diagnostics;

namespace ZkFire.ZooKeeper.Server.Tests.Quorum.Simulation;

/// <summary>
/// Seeded faults for an ensemble under load: crashes and restarts (the leader more often than its share), partitions
/// that break links or go silent, isolated members, broken links, and spells of dropped and delayed messages.
/// </summary>
/// <remarks>
/// The seed fixes each decision, but some decisions depend on who leads at that moment, which thread timing decides;
/// a replay repeats the schedule's intent, not necessarily its every victim.
/// </remarks>
internal sealed class FaultSchedule(TestEnsemble ensemble, int seed)
{
    /// <summary>Message faults during a noisy spell.</summary>
    public static NetworkFaults Noisy { get; } = new()
    {
        ElectionDrop = 0.2,
        ElectionDelay = 0.3,
        MaxElectionDelay = TimeSpan.FromMilliseconds(60),
        LinkDelay = 0.05,
        MaxLinkDelay = TimeSpan.FromMilliseconds(30),
        LinkBreak = 0.002,
    };

    private readonly Random random = new(seed);
    private readonly List<string> actions = [];
    private readonly Stopwatch clock = new();
    private bool partitioned;

    /// <summary>What was done, and when (ms from the start): for the failure message.</summary>
    public string Describe() => string.Join(Environment.NewLine, actions);

    public async Task RunAsync(TimeSpan duration, CancellationToken cancellationToken)
    {
        clock.Start();
        while (clock.Elapsed < duration && !cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(150 + random.Next(450)), cancellationToken);
            await StepAsync();
        }
    }

    /// <summary>Heals the network, quiets it, and restarts every member that is down.</summary>
    public async Task EndAsync()
    {
        ensemble.Network.Heal();
        ensemble.Network.Faults = NetworkFaults.None;
        foreach (var id in ensemble.Ids.Where(id => !ensemble.IsRunning(id)))
        {
            await ensemble.RestartAsync(id);
        }

        Record("end: healed, quiet, every member running");
    }

    private async Task StepAsync()
    {
        var down = ensemble.Ids.Where(id => !ensemble.IsRunning(id)).ToList();
        switch (random.Next(6))
        {
            case 0 when down.Count < ensemble.Ids.Count - ensemble.Majority:
                var victim = Victim();
                Record($"crash {victim}");
                await ensemble.CrashAsync(victim);
                break;
            case 0 or 1 when down.Count > 0:
                var back = down[random.Next(down.Count)];
                Record($"restart {back}");
                await ensemble.RestartAsync(back);
                break;
            case 2 when partitioned:
                Record("heal");
                ensemble.Network.Heal();
                partitioned = false;
                break;
            case 2:
                var silent = random.Next(2) == 0;
                var minority = Shuffled().Take(1 + random.Next(ensemble.Ids.Count - ensemble.Majority)).ToList();
                var rest = ensemble.Ids.Except(minority).ToList();
                Record($"partition [{string.Join(',', minority)}] from [{string.Join(',', rest)}]{(silent ? " silently" : "")}");
                ensemble.Network.Partition(minority, rest, breakLinks: !silent);
                partitioned = true;
                break;
            case 3 when !partitioned:
                var alone = Victim();
                Record($"isolate {alone} silently");
                ensemble.Network.Isolate(alone, breakLinks: false);
                partitioned = true;
                break;
            case 4:
                var member = Victim();
                Record($"break the links of {member} ({ensemble.Network.BreakLinks(member)})");
                break;
            default:
                var noisy = ensemble.Network.Faults == NetworkFaults.None;
                Record(noisy ? "noisy network" : "quiet network");
                ensemble.Network.Faults = noisy ? Noisy : NetworkFaults.None;
                break;
        }
    }

    /// <summary>The leader half of the time (when there is one), else any running member.</summary>
    private long Victim()
    {
        var leaders = ensemble.Leaders();
        if (leaders.Count > 0 && random.Next(2) == 0)
        {
            return leaders[0];
        }

        var running = ensemble.Running;
        return running[random.Next(running.Count)];
    }

    private IEnumerable<long> Shuffled() => ensemble.Ids.OrderBy(_ => random.Next());

    private void Record(string action) => actions.Add($"{clock.ElapsedMilliseconds,6} ms {action} ({ensemble.Describe()})");
}
