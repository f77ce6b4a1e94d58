using ZkFire.ZooKeeper.Server.Quorum.Election;
using ZkFire.ZooKeeper.Server.Quorum.Messages;

namespace ZkFire.ZooKeeper.Server.Tests.Quorum.Election;

/// <summary>
/// Whole elections between <see cref="LookingRound"/>s, deterministic and without threads: notifications wait in one
/// pool and are delivered in an order a seed chooses; only when none is left do the members' waits elapse.
/// </summary>
public sealed class LookingRoundEnsembleTests
{
    private static readonly ElectionTimings Timings = new()
    {
        FinalizeWait = TimeSpan.FromMilliseconds(20),
        MaxNotificationInterval = TimeSpan.FromMilliseconds(100),
    };

    [Theory]
    [InlineData(3)]
    [InlineData(5)]
    public void Members_with_the_same_history_elect_the_highest_id(int size)
    {
        var ensemble = new Ensemble(Enumerable.Repeat(0x100000003L, size).ToArray(), seed: size);

        ensemble.Run();

        Assert.All(ensemble.Rounds, r => Assert.Equal(new Vote(size, 0x100000003, 1, 1), r.Decision));
    }

    [Fact]
    public void The_member_with_the_most_recent_history_is_elected_whatever_its_id()
    {
        var ensemble = new Ensemble([0x100000007, 0x100000009, 0x100000002, 0x100000009, 0x100000001], seed: 7);

        ensemble.Run();

        Assert.All(ensemble.Rounds, r => Assert.Equal(4, r.Decision?.Leader));
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Any_delivery_order_ends_with_every_member_agreeing(int seed)
    {
        var ensemble = new Ensemble([0x100000004, 0x100000006, 0x100000006, 0x100000005, 0x100000002], seed);

        ensemble.Run();

        Assert.All(ensemble.Rounds, r => Assert.Equal(new Vote(3, 0x100000006, 1, 1), r.Decision));
    }

    [Fact]
    public void A_member_whose_notifications_are_lost_does_not_stop_the_others()
    {
        var ensemble = new Ensemble([5, 5, 5], seed: 3) { Lost = 3 };

        ensemble.Run();

        Assert.Equal(2, ensemble.Rounds[0].Decision?.Leader);
        Assert.Equal(2, ensemble.Rounds[1].Decision?.Leader);
        Assert.Null(ensemble.Rounds[2].Decision);
    }

    [Fact]
    public void Without_a_quorum_nobody_decides()
    {
        var ensemble = new Ensemble([5, 5, 5, 5, 5], seed: 5) { Lost = 5, Down = [4, 3] };

        ensemble.Run();

        Assert.All(ensemble.Rounds, r => Assert.Null(r.Decision));
    }

    public static TheoryData<int> Seeds() => [.. Enumerable.Range(1, 20)];

    private sealed class Ensemble
    {
        private readonly List<(long From, long To, Notification Notification)> pool = [];
        private readonly Random random;

        public Ensemble(long[] lastZxids, int seed)
        {
            random = new Random(seed);
            HashSet<long> voters = [.. Enumerable.Range(1, lastZxids.Length).Select(i => (long)i)];
            Rounds = [.. voters.Select(id => new LookingRound(
                id, voters, logicalClock: 1, lastZxids[id - 1], currentEpoch: 1, Timings, (to, n) => pool.Add((id, to, n))))];
        }

        public LookingRound[] Rounds { get; }

        /// <summary>A member whose notifications never arrive anywhere (it still hears the others).</summary>
        public long Lost { get; init; }

        /// <summary>Members that neither send nor receive.</summary>
        public long[] Down { get; init; } = [];

        public void Run()
        {
            foreach (var round in Live())
            {
                round.Start();
            }

            for (var pass = 0; pass < 20 && Live().Any(r => r.Decision is null); pass++)
            {
                while (pool.Count > 0)
                {
                    var index = random.Next(pool.Count);
                    var (from, to, notification) = pool[index];
                    pool.RemoveAt(index);
                    if (from != Lost && !Down.Contains(to))
                    {
                        Rounds[to - 1].Receive(from, notification);
                    }
                }

                foreach (var round in Live())
                {
                    round.Timeout();
                }
            }
        }

        private IEnumerable<LookingRound> Live() => Rounds.Where((_, i) => !Down.Contains(i + 1));
    }
}
