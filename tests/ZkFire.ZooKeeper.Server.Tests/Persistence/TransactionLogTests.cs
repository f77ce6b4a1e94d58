using System.Buffers.Binary;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ZkFire.ZooKeeper.Server.Persistence;
using ZkFire.ZooKeeper.Server.Quorum.Zab;

namespace ZkFire.ZooKeeper.Server.Tests.Persistence;

public sealed class TransactionLogTests : IDisposable
{
    private const int RecordSize = 16 + 100;
    private const int HeaderSize = 20;
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private TransactionLog Open(ILogger? logger = null, long maxFileSize = 64L * 1024 * 1024) =>
        TransactionLog.Open(_dir.Path, forceSync: true, logger ?? NullLogger.Instance, maxFileSize);

    private static async Task AppendAsync(TransactionLog log, long from, long to, bool flushEach = false, int size = 100)
    {
        for (var zxid = from; zxid <= to; zxid++)
        {
            log.Append(zxid, Txns.Payload(zxid, size));
            if (flushEach)
            {
                await log.FlushAsync(CancellationToken.None);
            }
        }

        await log.FlushAsync(CancellationToken.None);
    }

    private static long[] Range(long from, long to) => [.. Enumerable.Range((int)from, (int)(to - from + 1)).Select(i => (long)i)];

    [Fact]
    public async Task Appended_records_survive_reopen_and_replay_after_a_zxid()
    {
        await using (var log = Open())
        {
            Assert.Equal(0, log.LastZxid);
            await AppendAsync(log, 1, 100);
            Assert.Equal((100, 100), (log.LastZxid, log.FlushedZxid));
        }

        await using var reopened = Open();
        Assert.Equal(100, reopened.LastZxid);
        Txns.AssertRecords(reopened.ReadAfter(0), Range(1, 100));
        Txns.AssertRecords(reopened.ReadAfter(57), Range(58, 100));
        Assert.Empty(reopened.ReadAfter(100));
        Assert.Equal(["log.0000000000000001"], _dir.Names("log."));
    }

    [Fact]
    public async Task Zxids_must_increase()
    {
        await using var log = Open();
        log.Append(5, [1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => log.Append(5, [2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => log.Append(4, [2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Open().Append(0, [1]));
    }

    [Fact]
    public async Task Dispose_flushes_what_was_appended()
    {
        await using (var log = Open())
        {
            log.Append(1, Txns.Payload(1));
        }

        await using var reopened = Open();
        Txns.AssertRecords(reopened.ReadAfter(0), [1]);
    }

    [Fact]
    public async Task Replay_sees_only_flushed_records()
    {
        await using var log = Open();
        await AppendAsync(log, 1, 5);
        log.Append(6, Txns.Payload(6));
        Txns.AssertRecords(log.ReadAfter(0), Range(1, 5));
        Assert.Equal((6, 5), (log.LastZxid, log.FlushedZxid));
    }

    [Fact]
    public async Task A_flush_with_nothing_new_does_not_sync()
    {
        await using var log = Open();
        await log.FlushAsync(CancellationToken.None);
        await AppendAsync(log, 1, 3);
        await log.FlushAsync(CancellationToken.None);
        Assert.Equal(1, log.FsyncCount);
    }

    [Fact]
    public async Task Concurrent_flushes_share_one_fsync()
    {
        await using var log = Open();
        for (var zxid = 1; zxid <= 100; zxid++)
        {
            log.Append(zxid, Txns.Payload(zxid));
        }

        await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => Task.Run(() => log.FlushAsync(CancellationToken.None).AsTask())));
        Assert.Equal(1, log.FsyncCount);
        Assert.Equal(100, log.FlushedZxid);
    }

    [Fact]
    public async Task Group_commit_under_load_needs_far_fewer_fsyncs_than_writes()
    {
        const int Writes = 2000;
        var flushes = new List<Task>(Writes);
        await using (var log = Open())
        {
            // Like the request thread: append, then hand the acknowledgement wait to the pool.
            for (var zxid = 1; zxid <= Writes; zxid++)
            {
                log.Append(zxid, Txns.Payload(zxid));
                flushes.Add(Task.Run(() => log.FlushAsync(CancellationToken.None).AsTask()));
            }

            await Task.WhenAll(flushes);
            Assert.Equal(Writes, log.FlushedZxid);
            Assert.InRange(log.FsyncCount, 1, Writes / 4);
        }

        await using var reopened = Open();
        Txns.AssertRecords(reopened.ReadAfter(0), Range(1, Writes));
    }

    [Fact]
    public async Task Roll_over_starts_a_file_named_by_its_first_zxid()
    {
        await using (var log = Open())
        {
            await AppendAsync(log, 1, 10);
            log.RollOver();
            await AppendAsync(log, 11, 20);
        }

        Assert.Equal(["log.0000000000000001", "log.000000000000000b"], _dir.Names("log."));
        await using var reopened = Open();
        Txns.AssertRecords(reopened.ReadAfter(0), Range(1, 20));
        Txns.AssertRecords(reopened.ReadAfter(10), Range(11, 20));
        Txns.AssertRecords(reopened.ReadAfter(9), Range(10, 20));
    }

    [Fact]
    public async Task Reopening_continues_in_a_new_file()
    {
        await using (var log = Open())
        {
            await AppendAsync(log, 1, 3);
        }

        await using (var log = Open())
        {
            await AppendAsync(log, 4, 6);
        }

        Assert.Equal(["log.0000000000000001", "log.0000000000000004"], _dir.Names("log."));
        await using var reopened = Open();
        Txns.AssertRecords(reopened.ReadAfter(2), Range(3, 6));
    }

    [Fact]
    public async Task Size_limit_rolls_over_even_inside_one_batch()
    {
        await using (var log = Open(maxFileSize: 1000))
        {
            await AppendAsync(log, 1, 40, flushEach: true);
            await AppendAsync(log, 41, 100); // one batch crossing several files
        }

        var names = _dir.Names("log.");
        Assert.InRange(names.Length, 10, 13);
        Assert.All(names, name => Assert.InRange(new FileInfo(_dir.File(name)).Length, HeaderSize + RecordSize, 1000 + RecordSize));
        await using var reopened = Open(maxFileSize: 1000);
        Txns.AssertRecords(reopened.ReadAfter(0), Range(1, 100));
        Txns.AssertRecords(reopened.ReadAfter(63), Range(64, 100));
    }

    [Fact]
    public async Task Torn_tail_at_every_length_of_the_last_file_recovers_the_whole_records_before_it()
    {
        string lastName;
        await using (var log = Open())
        {
            await AppendAsync(log, 1, 2);
            log.RollOver();
            await AppendAsync(log, 3, 5, flushEach: true);
            lastName = _dir.Names("log.")[^1];
        }

        var first = await File.ReadAllBytesAsync(_dir.File("log.0000000000000001"));
        var last = await File.ReadAllBytesAsync(_dir.File(lastName));
        Assert.Equal(HeaderSize + (3 * RecordSize), last.Length);
        for (var cut = 0; cut <= last.Length; cut++)
        {
            using var crashed = new TempDirectory();
            await File.WriteAllBytesAsync(crashed.File("log.0000000000000001"), first);
            await File.WriteAllBytesAsync(crashed.File(lastName), last[..cut]);
            var logger = new ListLogger();
            var wholeRecords = Math.Max(0, (cut - HeaderSize) / RecordSize);
            await using (var log = TransactionLog.Open(crashed.Path, forceSync: true, logger))
            {
                Txns.AssertRecords(log.ReadAfter(0), Range(1, 2 + wholeRecords));
                Assert.Equal(2 + wholeRecords, log.LastZxid);
                var atBoundary = cut == HeaderSize || (cut > HeaderSize && (cut - HeaderSize) % RecordSize == 0);
                if (atBoundary)
                {
                    Assert.Empty(logger.Warnings);
                }
                else
                {
                    Assert.Contains(logger.Warnings, w => w.Contains(lastName, StringComparison.Ordinal));
                }

                if (wholeRecords == 0)
                {
                    Assert.False(File.Exists(crashed.File(lastName)));
                }
                else
                {
                    Assert.Equal(HeaderSize + (wholeRecords * RecordSize), new FileInfo(crashed.File(lastName)).Length);
                }

                // The recovered log takes new writes after the truncation point.
                log.Append(10, Txns.Payload(10));
                await log.FlushAsync(CancellationToken.None);
            }

            await using var again = TransactionLog.Open(crashed.Path, forceSync: true, NullLogger.Instance);
            Txns.AssertRecords(again.ReadAfter(0), [.. Range(1, 2 + wholeRecords), 10]);
        }
    }

    [Theory]
    [InlineData(false, 7)]
    [InlineData(false, 4096)]
    [InlineData(true, 3)]
    [InlineData(true, 10_000)]
    public async Task Garbage_or_zeros_after_the_last_record_are_truncated(bool random, int length)
    {
        await using (var log = Open())
        {
            await AppendAsync(log, 1, 5, flushEach: true);
        }

        var path = _dir.File("log.0000000000000001");
        var tail = new byte[length];
        if (random)
        {
            new Random(length).NextBytes(tail);
        }

        await using (var file = new FileStream(path, FileMode.Append))
        {
            await file.WriteAsync(tail);
        }

        var logger = new ListLogger();
        await using (var log = TransactionLog.Open(_dir.Path, forceSync: true, logger))
        {
            Txns.AssertRecords(log.ReadAfter(0), Range(1, 5));
        }

        Assert.Equal(HeaderSize + (5 * RecordSize), new FileInfo(path).Length);
        var warning = Assert.Single(logger.Warnings);
        Assert.Contains($"offset {HeaderSize + (5 * RecordSize)}", warning, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true, 2)] // the length field
    [InlineData(true, 50)] // the payload
    [InlineData(false, 50)] // the payload, with the rest of the same write intact after it
    [InlineData(false, 10)] // the zxid
    public async Task A_flipped_byte_before_the_tail_stops_start_up_naming_file_and_offset(bool flushEach, int byteInRecord)
    {
        await using (var log = Open())
        {
            await AppendAsync(log, 1, 5, flushEach);
        }

        var path = _dir.File("log.0000000000000001");
        var bytes = await File.ReadAllBytesAsync(path);
        var recordTwo = HeaderSize + RecordSize;
        bytes[recordTwo + byteInRecord] ^= 0x40;
        await File.WriteAllBytesAsync(path, bytes);

        var error = Assert.Throws<TransactionLogCorruptException>(() => Open());
        Assert.Equal((path, recordTwo), (error.FilePath, error.Offset));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Equal(bytes.Length, new FileInfo(path).Length); // nothing was truncated
    }

    [Fact]
    public async Task A_zero_sector_inside_the_last_write_is_a_torn_write()
    {
        const int Size = 2000;
        await using (var log = Open())
        {
            await AppendAsync(log, 1, 1, size: Size);
            await AppendAsync(log, 2, 5, size: Size); // one write, whose second page never reached the disk
        }

        var path = _dir.File("log.0000000000000001");
        var bytes = await File.ReadAllBytesAsync(path);
        Array.Clear(bytes, 4 * 512, 512); // inside record 2, which starts at 20 + 2016 = 2036
        await File.WriteAllBytesAsync(path, bytes);

        var logger = new ListLogger();
        await using (var log = TransactionLog.Open(_dir.Path, forceSync: true, logger))
        {
            Txns.AssertRecords(log.ReadAfter(0), [1], Size);
        }

        Assert.Single(logger.Warnings);
    }

    [Fact]
    public async Task Damage_in_an_earlier_file_stops_start_up()
    {
        await using (var log = Open())
        {
            await AppendAsync(log, 1, 3);
            log.RollOver();
            await AppendAsync(log, 4, 6);
        }

        var path = _dir.File("log.0000000000000001");
        var bytes = await File.ReadAllBytesAsync(path);
        bytes[^1] ^= 1; // the last record of that file: a tail, but not the log's tail
        await File.WriteAllBytesAsync(path, bytes);
        Assert.Equal(path, Assert.Throws<TransactionLogCorruptException>(() => Open()).FilePath);

        await File.WriteAllBytesAsync(path, bytes[..^1]);
        Assert.Equal(path, Assert.Throws<TransactionLogCorruptException>(() => Open()).FilePath);
    }

    [Fact]
    public async Task A_foreign_or_mismatched_header_stops_start_up_and_is_kept()
    {
        await using (var log = Open())
        {
            await AppendAsync(log, 1, 3);
        }

        var path = _dir.File("log.0000000000000001");
        var bytes = await File.ReadAllBytesAsync(path);
        File.Move(path, _dir.File("log.0000000000000002"));
        Assert.Contains("file name", Assert.Throws<TransactionLogCorruptException>(() => Open()).Message, StringComparison.Ordinal);

        File.Delete(_dir.File("log.0000000000000002"));
        bytes[0] = (byte)'X';
        await File.WriteAllBytesAsync(path, bytes);
        Assert.Contains("magic", Assert.Throws<TransactionLogCorruptException>(() => Open()).Message, StringComparison.Ordinal);
        Assert.True(File.Exists(path));
    }

    [Fact]
    public async Task Purge_keeps_every_file_needed_after_the_zxid_and_always_the_newest()
    {
        await using var log = Open();
        await AppendAsync(log, 1, 10);
        log.RollOver();
        await AppendAsync(log, 11, 20);
        log.RollOver();
        await AppendAsync(log, 21, 30);
        string[] all = ["log.0000000000000001", "log.000000000000000b", "log.0000000000000015"];

        log.PurgeThrough(9); // zxid 10 is still in the first file
        Assert.Equal(all.Order(StringComparer.Ordinal), _dir.Names("log."));

        log.PurgeThrough(10);
        Assert.Equal(all[1..].Order(StringComparer.Ordinal), _dir.Names("log."));

        log.PurgeThrough(25);
        Assert.Equal([all[2]], _dir.Names("log."));
        Txns.AssertRecords(log.ReadAfter(25), Range(26, 30));

        log.PurgeThrough(1000);
        Assert.Equal([all[2]], _dir.Names("log."));
    }

    [Fact]
    public async Task Truncate_removes_records_above_the_zxid_and_appends_continue()
    {
        await using (var log = Open())
        {
            await AppendAsync(log, 1, 10);
            log.RollOver();
            await AppendAsync(log, 11, 20);
            log.RollOver();
            await AppendAsync(log, 21, 30);

            log.TruncateAfter(15);
            Assert.Equal((15, 15), (log.LastZxid, log.FlushedZxid));
            Txns.AssertRecords(log.ReadAfter(0), Range(1, 15));
            await AppendAsync(log, 16, 17);
        }

        Assert.Equal(["log.0000000000000001", "log.000000000000000b", "log.0000000000000010"], _dir.Names("log."));
        await using var reopened = Open();
        Txns.AssertRecords(reopened.ReadAfter(0), Range(1, 17));
    }

    [Fact]
    public async Task Truncate_refuses_unflushed_appends()
    {
        await using var log = Open();
        log.Append(1, [1]);
        Assert.Throws<InvalidOperationException>(() => log.TruncateAfter(0));
    }

    [Fact]
    public async Task Epoch_index_agrees_with_the_records_across_reopen_truncate_and_purge()
    {
        await using (var log = Open())
        {
            await AppendAsync(log, Z(1, 1), Z(1, 5));
            log.RollOver();
            await AppendAsync(log, Z(1, 6), Z(1, 7)); // epoch 1 goes on in a second file
            await AppendAsync(log, Z(2, 1), Z(2, 3));
            log.RollOver();
            await AppendAsync(log, Z(3, 1), Z(3, 2));
            await AppendAsync(log, Z(5, 1), Z(5, 4));
            AssertIndexMatchesRecords(log, [Z(1, 7), Z(2, 3), Z(3, 2), Z(5, 4)]);
        }

        await using (var log = Open())
        {
            AssertIndexMatchesRecords(log, [Z(1, 7), Z(2, 3), Z(3, 2), Z(5, 4)]);

            log.TruncateAfter(Z(3, 1)); // cuts the third file inside epoch 3, dropping epoch 5
            AssertIndexMatchesRecords(log, [Z(1, 7), Z(2, 3), Z(3, 1)]);
            await AppendAsync(log, Z(4, 1), Z(4, 2));
            AssertIndexMatchesRecords(log, [Z(1, 7), Z(2, 3), Z(3, 1), Z(4, 2)]);
            log.TruncateAfter(Z(2, 9)); // between epochs: files of epochs 3 and 4 go whole
            AssertIndexMatchesRecords(log, [Z(1, 7), Z(2, 3)]);
            await AppendAsync(log, Z(6, 1), Z(6, 2));
        }

        await using (var log = Open())
        {
            AssertIndexMatchesRecords(log, [Z(1, 7), Z(2, 3), Z(6, 2)]);

            log.PurgeThrough(Z(1, 5)); // the first file goes; epoch 1 still ends in the second
            AssertIndexMatchesRecords(log, [Z(1, 7), Z(2, 3), Z(6, 2)]);
            log.PurgeThrough(Z(6, 0));
            AssertIndexMatchesRecords(log, [Z(6, 2)]);
        }
    }

    [Fact]
    public async Task Epoch_index_follows_batches_that_span_files_and_epochs()
    {
        await using (var log = Open(maxFileSize: 1000))
        {
            for (var counter = 1; counter <= 25; counter++)
            {
                log.Append(Z(1, counter), Txns.Payload(Z(1, counter)));
            }

            for (var counter = 1; counter <= 20; counter++)
            {
                log.Append(Z(2, counter), Txns.Payload(Z(2, counter)));
            }

            await log.FlushAsync(CancellationToken.None); // one batch: several files, an epoch change inside one
            AssertIndexMatchesRecords(log, [Z(1, 25), Z(2, 20)]);
            await AppendAsync(log, Z(2, 21), Z(2, 22), flushEach: true);
            await AppendAsync(log, Z(4, 1), Z(4, 1));
            AssertIndexMatchesRecords(log, [Z(1, 25), Z(2, 22), Z(4, 1)]);
        }

        Assert.True(_dir.Names("log.").Length > 3);
        await using var reopened = Open(maxFileSize: 1000);
        AssertIndexMatchesRecords(reopened, [Z(1, 25), Z(2, 22), Z(4, 1)]);
    }

    [Fact]
    public async Task Only_flushed_records_are_indexed()
    {
        await using var log = Open();
        await AppendAsync(log, Z(1, 1), Z(1, 2));
        log.Append(Z(1, 3), Txns.Payload(Z(1, 3)));
        log.Append(Z(2, 1), Txns.Payload(Z(2, 1)));

        Assert.Equal([Z(1, 2)], log.EpochEndZxids());
        Assert.Equal(Z(1, 2), log.LastZxidAtOrBelow(Z(2, 1)));
        await log.FlushAsync(CancellationToken.None);
        AssertIndexMatchesRecords(log, [Z(1, 3), Z(2, 1)]);
    }

    private static long Z(long epoch, long counter) => Zxid.Make(epoch, counter);

    /// <summary>
    /// The index gives <paramref name="expectedEnds"/>, the epoch ends the records show, and the newest zxid at or
    /// below any zxid (logged, between, around and beyond) as the records do.
    /// </summary>
    private static void AssertIndexMatchesRecords(TransactionLog log, long[] expectedEnds)
    {
        var zxids = log.ReadAfter(0).Select(record => record.Zxid).ToList();
        Assert.Equal(zxids.GroupBy(Zxid.Epoch).Select(epoch => epoch.Max()), expectedEnds);
        Assert.Equal(expectedEnds, log.EpochEndZxids());

        var probes = zxids.SelectMany(zxid => new[] { zxid - 1, zxid, zxid + 1, Z(Zxid.Epoch(zxid), 0), Z(Zxid.Epoch(zxid) + 1, 0) })
            .Append(0).Append(long.MaxValue);
        foreach (var probe in probes)
        {
            Assert.Equal(zxids.LastOrDefault(zxid => zxid <= probe), log.LastZxidAtOrBelow(probe));
        }
    }

    [Fact]
    public async Task Record_layout_is_length_checksum_zxid_payload()
    {
        await using (var log = Open())
        {
            log.Append(0x1234, [7, 8, 9]);
            await log.FlushAsync(CancellationToken.None);
        }

        var bytes = await File.ReadAllBytesAsync(_dir.File("log.0000000000001234"));
        Assert.Equal("ZKFL"u8.ToArray(), bytes[..4]);
        Assert.Equal(0x1234, BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(8)));
        var record = bytes.AsSpan(HeaderSize);
        Assert.Equal(3u | 0x8000_0000, BinaryPrimitives.ReadUInt32LittleEndian(record)); // length, and "starts a write"
        Assert.Equal(0x1234, BinaryPrimitives.ReadInt64LittleEndian(record[8..]));
        Assert.Equal([7, 8, 9], record[16..].ToArray());
    }
}
