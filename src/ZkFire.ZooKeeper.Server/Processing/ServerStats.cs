namespace ZkFire.ZooKeeper.Server.Processing;

/// <summary>Counters behind the srvr/stat/mntr four-letter words (ZooKeeper's ServerStats and a few ServerMetrics).</summary>
internal sealed class ServerStats
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, Summary> reads = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Summary> writes = new(StringComparer.Ordinal);
    private long packetsReceived;
    private long packetsSent;
    private long latencyCount;
    private long latencyTotal;
    private long latencyMin = long.MaxValue;
    private long latencyMax;

    public long PacketsReceived => Interlocked.Read(ref packetsReceived);

    public long PacketsSent => Interlocked.Read(ref packetsSent);

    public (long Min, double Average, long Max) Latency
    {
        get
        {
            lock (gate)
            {
                return latencyCount == 0 ? (0, 0, 0) : (latencyMin, (double)latencyTotal / latencyCount, latencyMax);
            }
        }
    }

    public void Received() => Interlocked.Increment(ref packetsReceived);

    public void Sent() => Interlocked.Increment(ref packetsSent);

    public void RecordLatency(long milliseconds)
    {
        lock (gate)
        {
            latencyCount++;
            latencyTotal += milliseconds;
            latencyMin = Math.Min(latencyMin, milliseconds);
            latencyMax = Math.Max(latencyMax, milliseconds);
        }
    }

    /// <summary>Bytes read under a top-level znode (zk_*_&lt;namespace&gt;_read_per_namespace).</summary>
    public void RecordRead(string path, long bytes) => Record(reads, path, bytes);

    /// <summary>Bytes written under a top-level znode (zk_*_&lt;namespace&gt;_write_per_namespace): path plus data, as DataTree counts.</summary>
    public void RecordWrite(string path, long bytes) => Record(writes, path, path.Length + bytes);

    public IReadOnlyList<(string Namespace, string Kind, Summary Summary)> PerNamespace()
    {
        lock (gate)
        {
            return [.. reads.Select(r => (r.Key, "read", r.Value)).Concat(writes.Select(w => (w.Key, "write", w.Value)))];
        }
    }

    /// <summary>PathUtils.getTopNamespace: the first component of an absolute path with more than one character.</summary>
    private static string? Namespace(string path)
    {
        if (path.Length < 2 || path[0] != '/')
        {
            return null;
        }

        var end = path.IndexOf('/', 1);
        return end < 0 ? path[1..] : path[1..end];
    }

    private void Record(Dictionary<string, Summary> table, string path, long bytes)
    {
        if (Namespace(path) is not { } name)
        {
            return;
        }

        lock (gate)
        {
            table[name] = table.TryGetValue(name, out var summary) ? summary.Add(bytes) : new Summary(1, bytes, bytes, bytes);
        }
    }

    public readonly record struct Summary(long Count, long Sum, long Min, long Max)
    {
        public Summary Add(long value) => new(Count + 1, Sum + value, Math.Min(Min, value), Math.Max(Max, value));
    }
}
