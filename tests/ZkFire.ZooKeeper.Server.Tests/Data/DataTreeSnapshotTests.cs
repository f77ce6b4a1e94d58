using System.Diagnostics;
using ZkFire.Jute;
using ZkFire.ZooKeeper.Server.Data;
using ZkFire.ZooKeeper.Server.Watches;
using Xunit.Abstractions;

namespace ZkFire.ZooKeeper.Server.Tests.Data;

public sealed class DataTreeSnapshotTests(ITestOutputHelper output)
{
    [Fact]
    public void A_fresh_tree_round_trips()
    {
        var tree = new DataTree();

        TreeAssert.Equal(tree, TreeAssert.RoundTrip(tree));
    }

    [Fact]
    public void Every_znode_stat_acl_and_index_round_trips()
    {
        var driver = new TreeDriver();
        driver.RandomWorkload(3000, seed: 1);
        driver.Create("/null");
        driver.Create("/e", [1], ephemeralOwner: 0x77);
        driver.CreateContainer("/c");
        driver.CreateTtl("/t", 1234);
        driver.SetData(DataTree.ConfigPath, [5]);

        var loaded = TreeAssert.RoundTrip(driver.Tree);

        TreeAssert.Equal(driver.Tree, loaded);
        Assert.True(loaded.Get("/null")!.DataIsNull);
        Assert.Equal(driver.Tree.AclCacheCount, loaded.AclCacheCount);
        Assert.Same(loaded.Get("/")!.Acl, loaded.Get("/null")!.Acl);
    }

    [Fact]
    public void A_loaded_tree_goes_on_like_the_original()
    {
        var driver = new TreeDriver();
        driver.RandomWorkload(500, seed: 2);
        var loaded = TreeAssert.RoundTrip(driver.Tree);
        var before = driver.Log.Count;

        driver.RandomWorkload(500, seed: 3);
        foreach (var (header, txn) in driver.Log.Skip(before))
        {
            loaded.Apply(header, txn, []);
        }

        TreeAssert.Equal(driver.Tree, loaded);
    }

    [Fact]
    public void A_deep_chain_needs_no_recursion()
    {
        var driver = new TreeDriver();
        var path = "";
        for (var i = 0; i < 5_000; i++)
        {
            path += "/d";
            driver.Create(path);
        }

        TreeAssert.Equal(driver.Tree, TreeAssert.RoundTrip(driver.Tree));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(17)]
    [InlineData(100)]
    public void A_truncated_or_foreign_stream_is_refused(int keep)
    {
        using var full = new MemoryStream();
        new DataTree().Serialize(full);
        using var cut = new MemoryStream(full.ToArray()[..Math.Min(keep, (int)full.Length - 1)]);

        Assert.Throws<InvalidDataException>(() => DataTree.Deserialize(cut));
        using var foreign = new MemoryStream([0, 0, 0, 16, .. new byte[16], 0, 0, 0, 0]);
        Assert.Throws<InvalidDataException>(() => DataTree.Deserialize(foreign));
    }

    /// <summary>
    /// The worst a fuzzy snapshot can hold: the effects of every txn after its zxid. Replaying those txns over it
    /// must still end in the tree that never snapshotted (ZooKeeper's replay tolerance).
    /// </summary>
    [Theory]
    [InlineData(0)]
    [InlineData(700)]
    [InlineData(1500)]
    [InlineData(2999)]
    public void Replaying_the_log_over_a_snapshot_that_is_ahead_of_its_zxid_converges(int snapshotAfter)
    {
        var driver = new TreeDriver();
        driver.RandomWorkload(3000, seed: 4);
        var replayed = TreeAssert.RoundTrip(driver.Tree);

        foreach (var (header, txn) in driver.Log.Skip(snapshotAfter))
        {
            replayed.Apply(header, txn, [], replaying: true);
        }

        TreeAssert.Equal(driver.Tree, replayed);
    }

    [Fact]
    public void A_snapshot_taken_while_txns_apply_plus_the_later_log_equals_the_live_tree()
    {
        var script = new TreeDriver();
        script.RandomWorkload(40_000, seed: 5);
        var live = new DataTree();
        using var snapshot = new MemoryStream();
        var applied = 0;
        var writer = new Thread(() =>
        {
            foreach (var (header, txn) in script.Log)
            {
                live.Apply(header, txn, []);
                Volatile.Write(ref applied, applied + 1);
            }
        });

        writer.Start();
        SpinWait.SpinUntil(() => Volatile.Read(ref applied) >= script.Log.Count / 4);
        live.Serialize(snapshot);
        var appliedAfterSnapshot = Volatile.Read(ref applied);
        writer.Join();

        snapshot.Position = 0;
        var restored = DataTree.Deserialize(snapshot);
        output.WriteLine($"snapshot at zxid {restored.LastProcessedZxid}, {appliedAfterSnapshot} txns applied when it ended, {restored.NodeCount} znodes");
        foreach (var (header, txn) in script.Log.Where(entry => entry.Header.Zxid > restored.LastProcessedZxid))
        {
            restored.Apply(header, txn, [], replaying: true);
        }

        TreeAssert.Equal(script.Tree, live);
        TreeAssert.Equal(script.Tree, restored);
    }

    [Fact]
    public void Serializing_100k_znodes_takes_moments()
    {
        var driver = new TreeDriver();
        var header = driver.Header(OpCode.Create);
        var notifications = new List<WatchNotification>();
        for (var i = 0; i < 100_000; i++)
        {
            var parent = i < 100 ? "/" : "/p" + (i % 100);
            var path = i < 100 ? "/p" + i : $"{parent}/n{i}";
            var cversion = driver.Tree.Get(parent)!.Stat.Cversion + 1;
            driver.Tree.Apply(header with { Zxid = i + 1 }, new CreateTxn(path, new byte[32], WellKnownAcls.OpenAclUnsafe, false, cversion), notifications);
        }

        var memory = GC.GetTotalMemory(forceFullCollection: true);
        using var stream = new MemoryStream();
        var clock = Stopwatch.StartNew();
        driver.Tree.Serialize(stream);
        var written = clock.Elapsed;
        stream.Position = 0;
        clock.Restart();
        var loaded = DataTree.Deserialize(stream);
        var read = clock.Elapsed;

        output.WriteLine($"100k znodes: serialize {written.TotalMilliseconds:F0} ms, deserialize {read.TotalMilliseconds:F0} ms, {stream.Length / 1024} KiB, heap {memory / 1024 / 1024} MiB");
        Assert.Equal(driver.Tree.NodeCount, loaded.NodeCount);
    }
}
