using System.Collections.Concurrent;
using System.Text;
using ZkFire.Jute;
using ZkFire.ZooKeeper.Client;

namespace ZkFire.ZooKeeper.Interop.Tests;

/// <summary>
/// Writes whose reply arrived, by path, and the check that a server still has every one of them with its data.
/// Writes in flight at a crash have an unknown outcome (ConnectionLoss) and are never recorded.
/// </summary>
public sealed class AcknowledgedWrites
{
    private readonly ConcurrentDictionary<string, byte[]> _writes = new(StringComparer.Ordinal);

    public int Count => _writes.Count;

    public bool IsEmpty => _writes.IsEmpty;

    public void Add(string path, byte[] data) => _writes[path] = data;

    /// <summary>
    /// Reads back every write acknowledged so far through <paramref name="client"/> (pipelined, in batches): the
    /// paths that are gone, and those that hold other data, sorted.
    /// </summary>
    public async Task<(int Checked, IReadOnlyList<string> Lost, IReadOnlyList<string> Wrong)> FindMissingAsync(
        ZooKeeperClient client, CancellationToken cancellationToken)
    {
        var expected = _writes.ToArray();
        var lost = new List<string>();
        var wrong = new List<string>();
        foreach (var batch in expected.Chunk(500))
        {
            var reads = batch.Select(async entry =>
            {
                try
                {
                    return (entry.Key, entry.Value, Actual: (await client.GetDataAsync(entry.Key, cancellationToken: cancellationToken)).Data, Missing: false);
                }
                catch (KeeperException ex) when (ex.Code == ErrorCode.NoNode)
                {
                    return (entry.Key, entry.Value, Actual: null, Missing: true);
                }
            });
            foreach (var (path, data, actual, missing) in await Task.WhenAll(reads))
            {
                if (missing)
                {
                    lost.Add(path);
                }
                else if (!data.AsSpan().SequenceEqual(actual))
                {
                    wrong.Add($"{path}: '{Encoding.UTF8.GetString(actual ?? [])}' instead of '{Encoding.UTF8.GetString(data)}'");
                }
            }
        }

        lost.Sort(StringComparer.Ordinal);
        wrong.Sort(StringComparer.Ordinal);
        return (expected.Length, lost, wrong);
    }
}
