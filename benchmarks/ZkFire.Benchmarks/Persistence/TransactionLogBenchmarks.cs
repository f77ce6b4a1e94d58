using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using ZkFire.ZooKeeper.Server.Persistence;

namespace ZkFire.Benchmarks.Persistence;

/// <summary>
/// 1,000 transactions of 100 bytes per operation, made durable three ways: an fsync per transaction (no group
/// commit), a flush requested after every append by concurrent waiters (group commit), and one flush for all.
/// Time per operation / 1,000 is the cost of one durable transaction.
/// </summary>
[MemoryDiagnoser]
public class TransactionLogBenchmarks
{
    private const int Transactions = 1000;
    private readonly byte[] payload = new byte[100];
    private string directory = null!;
    private TransactionLog log = null!;
    private long zxid;

    [GlobalSetup]
    public void Setup()
    {
        directory = Directory.CreateTempSubdirectory("zkfire-bench-log-").FullName;
        log = TransactionLog.Open(directory, forceSync: true, NullLogger.Instance);
        Random.Shared.NextBytes(payload);
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        Console.WriteLine($"// fsyncs in total: {log.FsyncCount}");
        await log.DisposeAsync();
        Directory.Delete(directory, recursive: true);
    }

    [Benchmark]
    public async Task FsyncEachTransaction()
    {
        for (var i = 0; i < Transactions; i++)
        {
            log.Append(++zxid, payload);
            await log.FlushAsync(CancellationToken.None);
        }
    }

    [Benchmark]
    public async Task GroupCommit()
    {
        var waits = new Task[Transactions];
        for (var i = 0; i < Transactions; i++)
        {
            log.Append(++zxid, payload);
            waits[i] = Task.Run(() => log.FlushAsync(CancellationToken.None).AsTask());
        }

        await Task.WhenAll(waits);
    }

    [Benchmark]
    public async Task OneFlush()
    {
        for (var i = 0; i < Transactions; i++)
        {
            log.Append(++zxid, payload);
        }

        await log.FlushAsync(CancellationToken.None);
    }
}
