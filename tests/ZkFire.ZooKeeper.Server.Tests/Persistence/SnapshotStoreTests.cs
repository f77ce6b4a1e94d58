using ZkFire.ZooKeeper.Server.Persistence;

namespace ZkFire.ZooKeeper.Server.Tests.Persistence;

public sealed class SnapshotStoreTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly ListLogger _logger = new();

    public void Dispose() => _dir.Dispose();

    private SnapshotStore Store() => new(_dir.Path, _logger);

    private static byte[] Content(long zxid, int size = 100_000)
    {
        var content = new byte[size];
        new Random((int)zxid).NextBytes(content);
        return content;
    }

    private static Task WriteAsync(SnapshotStore store, long zxid, int size = 100_000) =>
        store.WriteAsync(zxid, async (stream, ct) =>
        {
            var content = Content(zxid, size);
            if (size == 0)
            {
                return;
            }

            // Mixed write shapes, as a serializer produces them.
            stream.WriteByte(content[0]);
            stream.Write(content, 1, 9);
            await stream.WriteAsync(content.AsMemory(10), ct);
        }, CancellationToken.None);

    private static byte[] ReadAll(SnapshotReader reader)
    {
        using var copy = new MemoryStream();
        reader.Content.CopyTo(copy);
        return copy.ToArray();
    }

    private void Damage(long zxid, Func<byte[], byte[]> change)
    {
        var path = _dir.File(SnapshotStore.FileName(zxid));
        File.WriteAllBytes(path, change(File.ReadAllBytes(path)));
    }

    [Fact]
    public async Task A_written_snapshot_reads_back_exactly()
    {
        var store = Store();
        await WriteAsync(store, 0x2a);
        Assert.Equal(["snapshot.000000000000002a"], _dir.Names("snapshot."));

        using var reader = store.OpenLatestValid();
        Assert.NotNull(reader);
        Assert.Equal(0x2a, reader.Zxid);
        Assert.Equal(Content(0x2a), ReadAll(reader));
    }

    [Fact]
    public async Task The_newest_valid_snapshot_wins_and_an_empty_tree_at_zxid_zero_is_one()
    {
        var store = Store();
        Assert.Null(store.OpenLatestValid());
        await WriteAsync(store, 0, size: 0);
        await WriteAsync(store, 0x100);
        await WriteAsync(store, 0x20);
        using (var reader = store.OpenLatestValid())
        {
            Assert.Equal(0x100, reader!.Zxid);
        }

        Damage(0x100, bytes => bytes[..^1]);
        Damage(0x20, bytes => bytes[..20]);
        using (var reader = store.OpenLatestValid())
        {
            Assert.Equal(0, reader!.Zxid);
            Assert.Empty(ReadAll(reader));
        }
    }

    [Theory]
    [InlineData(0)] // header
    [InlineData(50_000)] // content
    [InlineData(-1)] // trailer checksum
    public async Task A_damaged_newest_snapshot_is_skipped_with_a_warning(int at)
    {
        var store = Store();
        await WriteAsync(store, 5);
        await WriteAsync(store, 9);
        Damage(9, bytes =>
        {
            bytes[at < 0 ? bytes.Length + at : at] ^= 0x10;
            return bytes;
        });

        using var reader = store.OpenLatestValid();
        Assert.Equal(5, reader!.Zxid);
        Assert.Equal(Content(5), ReadAll(reader));
        Assert.Contains(_logger.Warnings, w => w.Contains("snapshot.0000000000000009", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Temporary_files_are_never_taken_for_snapshots()
    {
        var store = Store();
        await WriteAsync(store, 5);
        await File.WriteAllBytesAsync(_dir.File("snapshot.0000000000000009.tmp"), Content(9, 64));
        using var reader = store.OpenLatestValid();
        Assert.Equal(5, reader!.Zxid);
        Assert.Empty(_logger.Warnings);
    }

    [Fact]
    public async Task A_failed_write_leaves_nothing_behind()
    {
        var store = Store();
        await WriteAsync(store, 5);
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.WriteAsync(9, async (stream, ct) =>
        {
            await stream.WriteAsync(Content(9, 1000), ct);
            throw new InvalidOperationException("serializer failed");
        }, CancellationToken.None));

        Assert.Equal(["snapshot.0000000000000005"], _dir.Names("snapshot."));
    }

    [Fact]
    public async Task Purge_keeps_the_newest_valid_snapshots_and_says_which_logs_are_needed()
    {
        var store = Store();
        Assert.Equal(0, store.Purge(3));
        for (var zxid = 1; zxid <= 6; zxid++)
        {
            await WriteAsync(store, zxid * 16, size: 1000);
        }

        await File.WriteAllBytesAsync(_dir.File("snapshot.0000000000000011.tmp"), [1]);
        await File.WriteAllBytesAsync(_dir.File("snapshot.0000000000000070.tmp"), [1]); // perhaps being written
        Damage(6 * 16, bytes => bytes[..^4]);

        Assert.Throws<ArgumentOutOfRangeException>(() => store.Purge(2));
        Assert.Equal(3 * 16, store.Purge(3));
        Assert.Equal(
            ["snapshot.0000000000000030", "snapshot.0000000000000040", "snapshot.0000000000000050", "snapshot.0000000000000060", "snapshot.0000000000000070.tmp"],
            _dir.Names("snapshot."));
    }
}
