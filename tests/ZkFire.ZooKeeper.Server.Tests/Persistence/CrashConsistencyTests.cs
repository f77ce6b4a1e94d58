using Microsoft.Extensions.Logging.Abstractions;
using ZkFire.ZooKeeper.Server.Persistence;

namespace ZkFire.ZooKeeper.Server.Tests.Persistence;

/// <summary>
/// Crashes simulated by rebuilding the directory as a crash during some flush could have left it: every earlier
/// flush whole, the interrupted one cut anywhere, sometimes with zero fill past the cut.
/// </summary>
public sealed class CrashConsistencyTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static int SizeOf(long zxid) => 1 + (int)(zxid * 37 % 300);

    [Fact]
    public async Task Every_crash_point_keeps_each_acknowledged_record_and_yields_a_clean_prefix()
    {
        var random = new Random(61120);
        var states = new List<(Dictionary<string, long> Lengths, long Acknowledged)> { ([], 0) };
        await using (var log = TransactionLog.Open(_dir.Path, forceSync: true, NullLogger.Instance, maxFileSize: 2000))
        {
            long zxid = 0;
            for (var flush = 0; flush < 60; flush++)
            {
                for (var i = random.Next(1, 8); i > 0; i--)
                {
                    zxid++;
                    log.Append(zxid, Txns.Payload(zxid, SizeOf(zxid)));
                }

                if (random.Next(8) == 0)
                {
                    log.RollOver();
                }

                await log.FlushAsync(CancellationToken.None);
                states.Add((_dir.Names("log.").ToDictionary(name => name, name => new FileInfo(_dir.File(name)).Length), zxid));
            }
        }

        var final = _dir.Names("log.").ToDictionary(name => name, name => File.ReadAllBytes(_dir.File(name)));
        Assert.True(final.Count > 5);
        for (var trial = 0; trial < 200; trial++)
        {
            var k = random.Next(states.Count - 1);
            var (before, acknowledged) = states[k];
            var (after, attempted) = states[k + 1];
            // A flush writes its files in order, each fsynced before the next is begun.
            var budget = random.NextInt64(after.Values.Sum() - before.Values.Sum() + 1);
            using var crashed = new TempDirectory();
            string? newest = null;
            foreach (var name in after.Keys.Order(StringComparer.Ordinal))
            {
                var durable = before.GetValueOrDefault(name);
                var extra = Math.Min(after[name] - durable, budget);
                budget -= extra;
                if (durable + extra == 0 && !before.ContainsKey(name) && random.Next(2) == 0)
                {
                    break; // not created yet
                }

                await File.WriteAllBytesAsync(crashed.File(name), final[name][..(int)(durable + extra)]);
                newest = name;
                if (durable + extra < after[name])
                {
                    break; // the crash came during this file's write; later files were not begun
                }
            }

            if (newest is not null && random.Next(4) == 0)
            {
                await using var file = new FileStream(crashed.File(newest), FileMode.Append);
                await file.WriteAsync(new byte[random.Next(1, 1000)]);
            }

            await using var recovered = TransactionLog.Open(crashed.Path, forceSync: false, NullLogger.Instance);
            var records = recovered.ReadAfter(0).ToList();
            Assert.InRange(records.Count, acknowledged, attempted);
            Assert.Equal(records.Count, recovered.LastZxid);
            for (var i = 0; i < records.Count; i++)
            {
                Assert.Equal(i + 1, records[i].Zxid);
                Assert.Equal(Txns.Payload(i + 1, SizeOf(i + 1)), records[i].Txn);
            }
        }
    }
}
