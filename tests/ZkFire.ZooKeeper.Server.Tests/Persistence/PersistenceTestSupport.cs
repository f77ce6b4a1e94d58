using Microsoft.Extensions.Logging;
using ZkFire.ZooKeeper.Server.Persistence;

namespace ZkFire.ZooKeeper.Server.Tests.Persistence;

internal sealed class TempDirectory : IDisposable
{
    public TempDirectory() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "zkfire-persist-" + Guid.NewGuid().ToString("N"));

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public string[] Names(string prefix) =>
        [.. Directory.GetFiles(Path, prefix + "*").Select(f => System.IO.Path.GetFileName(f)).Order(StringComparer.Ordinal)];

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

internal sealed class ListLogger : ILogger
{
    private readonly List<(LogLevel Level, string Message)> _entries = [];

    public IReadOnlyList<(LogLevel Level, string Message)> Entries
    {
        get
        {
            lock (_entries)
            {
                return [.. _entries];
            }
        }
    }

    public IEnumerable<string> Warnings => Entries.Where(e => e.Level == LogLevel.Warning).Select(e => e.Message);

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_entries)
        {
            _entries.Add((logLevel, formatter(state, exception)));
        }
    }
}

internal static class Txns
{
    /// <summary>A payload that tells which zxid it belongs to, so that a misplaced record shows.</summary>
    public static byte[] Payload(long zxid, int size = 100)
    {
        var payload = new byte[size];
        new Random((int)zxid).NextBytes(payload);
        BitConverter.TryWriteBytes(payload, zxid);
        return payload;
    }

    public static void AssertRecords(IEnumerable<LoggedTxn> records, IEnumerable<long> expected, int size = 100)
    {
        var list = records.ToList();
        Assert.Equal(expected, list.Select(r => r.Zxid));
        foreach (var record in list)
        {
            Assert.Equal(Payload(record.Zxid, size), record.Txn);
        }
    }
}
