using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using HdrHistogram;
using ZkFire.Jute;
using ZkFire.ZooKeeper.Client;

namespace ZkFire.LoadTool;

/// <summary>What one run measured.</summary>
internal sealed record LoadResult(
    LoadOptions Options,
    string Root,
    long Ops,
    long Reads,
    long Writes,
    long Errors,
    IReadOnlyDictionary<string, long> ErrorKinds,
    double MeasuredSeconds,
    HistogramBase LatencyMicros,
    double SetupSeconds,
    double CleanupSeconds,
    long CleanedNodes,
    long LeftoverNodes);

/// <summary>
/// Drives <c>sessions × outstanding</c> closed-loop workers: each worker issues one request, awaits it, records it
/// and issues the next, so every session keeps <c>outstanding</c> requests pipelined on its connection.
/// </summary>
internal sealed class LoadRunner
{
    /// <summary>Latencies above a minute are clamped; a run with such requests is broken anyway.</summary>
    private const long HighestMicros = 60_000_000;

    private readonly LoadOptions _options;
    private readonly byte[] _payload;
    private readonly string _root;

    public LoadRunner(LoadOptions options)
    {
        _options = options;
        _payload = new byte[options.Payload];
        new Random(42).NextBytes(_payload);
        // Unique per run so runs (and a crashed run's leftovers) never collide.
        _root = string.Create(CultureInfo.InvariantCulture, $"/zkfire-load-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}");
    }

    public async Task<LoadResult> RunAsync(CancellationToken interrupt)
    {
        var clients = new List<ZooKeeperClient>(_options.Sessions);
        try
        {
            using (var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(interrupt))
            {
                connectTimeout.CancelAfter(TimeSpan.FromSeconds(15));
                var connects = Enumerable.Range(0, _options.Sessions).Select(session => ZooKeeperClient.ConnectAsync(
                    new ZooKeeperClientOptions { ConnectString = ConnectStringOf(session), SessionTimeout = _options.SessionTimeout },
                    connectTimeout.Token)).ToList();
                try
                {
                    clients.AddRange(await Task.WhenAll(connects));
                }
                catch
                {
                    // Keep the sessions that did open, so the finally below closes them.
                    clients.AddRange(connects.Where(c => c.IsCompletedSuccessfully).Select(c => c.Result));
                    throw;
                }
            }

            var nodes = Enumerable.Range(0, _options.Nodes)
                .Select(i => string.Create(CultureInfo.InvariantCulture, $"{_root}/n-{i:D6}")).ToArray();
            var created = new ConcurrentBag<string>();
            var setup = Stopwatch.StartNew();
            await clients[0].CreateAsync(_root, null, WellKnownAcls.OpenAclUnsafe, CreateMode.Persistent, cancellationToken: interrupt);
            if (_options.Workload != Workload.Create)
            {
                await ForEachBoundedAsync(clients, nodes, (client, path, ct) =>
                    client.CreateAsync(path, _payload, WellKnownAcls.OpenAclUnsafe, CreateMode.Persistent, cancellationToken: ct), interrupt);
            }

            setup.Stop();

            var measured = await MeasureAsync(clients, nodes, created, interrupt);

            var cleanup = Stopwatch.StartNew();
            var toDelete = _options.Workload == Workload.Create ? created.ToArray() : nodes;
            var (cleaned, leftover) = await CleanupAsync(clients, toDelete);
            cleanup.Stop();

            return measured with
            {
                SetupSeconds = setup.Elapsed.TotalSeconds,
                CleanupSeconds = cleanup.Elapsed.TotalSeconds,
                CleanedNodes = cleaned,
                LeftoverNodes = leftover,
            };
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    private string ConnectStringOf(int session)
    {
        if (_options.Spread == Spread.All)
        {
            return _options.Connect;
        }

        var parsed = ConnectString.Parse(_options.Connect);
        return LoadOptions.Address(parsed.Hosts[session % parsed.Hosts.Count]) + parsed.Chroot;
    }

    private async Task<LoadResult> MeasureAsync(
        List<ZooKeeperClient> clients, string[] nodes, ConcurrentBag<string> created, CancellationToken interrupt)
    {
        var workers = new Worker[_options.Sessions * _options.Outstanding];
        var start = Stopwatch.GetTimestamp();
        var measureFrom = start + (long)(_options.Warmup.TotalSeconds * Stopwatch.Frequency);
        var measureTo = measureFrom + (long)(_options.Duration.TotalSeconds * Stopwatch.Frequency);

        // Requests still pending after the grace period are given up on, so a stalled server cannot hang the tool.
        using var abandon = CancellationTokenSource.CreateLinkedTokenSource(interrupt);
        abandon.CancelAfter(_options.Warmup + _options.Duration + _options.Grace);

        for (var i = 0; i < workers.Length; i++)
        {
            workers[i] = new Worker(this, clients[i % clients.Count], nodes, created, seed: i, measureFrom, measureTo);
        }

        var tasks = workers.Select(w => Task.Run(() => w.RunAsync(interrupt, abandon.Token), CancellationToken.None)).ToArray();
        await Task.WhenAll(tasks);
        var elapsedTo = Math.Min(Stopwatch.GetTimestamp(), measureTo);
        var measuredSeconds = Math.Max(0, (double)(elapsedTo - measureFrom) / Stopwatch.Frequency);

        var latency = new LongHistogram(HighestMicros, 3);
        var errorKinds = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var worker in workers)
        {
            latency.Add(worker.Latency);
            foreach (var (kind, count) in worker.ErrorKinds)
            {
                errorKinds[kind] = errorKinds.GetValueOrDefault(kind) + count;
            }
        }

        return new LoadResult(
            _options, _root,
            Ops: workers.Sum(w => w.Reads + w.Writes),
            Reads: workers.Sum(w => w.Reads),
            Writes: workers.Sum(w => w.Writes),
            Errors: errorKinds.Values.Sum(),
            errorKinds, measuredSeconds, latency,
            SetupSeconds: 0, CleanupSeconds: 0, CleanedNodes: 0, LeftoverNodes: 0);
    }

    /// <summary>Deletes the run's nodes and its root within the phase timeout; whatever is left is reported.</summary>
    private async Task<(long Cleaned, long Leftover)> CleanupAsync(List<ZooKeeperClient> clients, string[] paths)
    {
        // Not tied to Ctrl+C: an interrupted run should still remove what it created, within the bound.
        using var timeout = new CancellationTokenSource(_options.PhaseTimeout);
        long cleaned = 0;
        try
        {
            await ForEachBoundedAsync(clients, paths, async (client, path, ct) =>
            {
                await DeleteIfPresentAsync(client, path, ct);
                Interlocked.Increment(ref cleaned);
            }, timeout.Token);

            // Creates abandoned mid-flight may have succeeded without the tool learning their names.
            var stragglers = await clients[0].GetChildrenAsync(_root, cancellationToken: timeout.Token);
            await ForEachBoundedAsync(clients, stragglers.Select(c => $"{_root}/{c}").ToArray(), async (client, path, ct) =>
            {
                await DeleteIfPresentAsync(client, path, ct);
                Interlocked.Increment(ref cleaned);
            }, timeout.Token);
            await DeleteIfPresentAsync(clients[0], _root, timeout.Token);
            return (cleaned, 0);
        }
        catch (Exception e) when (e is OperationCanceledException or KeeperException)
        {
            await Console.Error.WriteLineAsync($"cleanup of {_root} incomplete: {e.Message}");
            return (cleaned, Math.Max(1, paths.Length - cleaned));
        }
    }

    private static async Task DeleteIfPresentAsync(ZooKeeperClient client, string path, CancellationToken ct)
    {
        try
        {
            await client.DeleteAsync(path, cancellationToken: ct);
        }
        catch (KeeperException e) when (e.Code == ErrorCode.NoNode)
        {
        }
    }

    /// <summary>Runs <paramref name="action"/> over the items with the run's full concurrency, spread over the sessions.</summary>
    private async Task ForEachBoundedAsync(
        List<ZooKeeperClient> clients, string[] items, Func<ZooKeeperClient, string, CancellationToken, Task> action, CancellationToken ct)
    {
        var next = -1;
        var lanes = Enumerable.Range(0, clients.Count * _options.Outstanding).Select(lane => Task.Run(async () =>
        {
            var client = clients[lane % clients.Count];
            for (var i = Interlocked.Increment(ref next); i < items.Length; i = Interlocked.Increment(ref next))
            {
                await action(client, items[i], ct);
            }
        }, ct));
        await Task.WhenAll(lanes);
    }

    private sealed class Worker(
        LoadRunner runner, ZooKeeperClient client, string[] nodes, ConcurrentBag<string> created, int seed, long measureFrom, long measureTo)
    {
        private readonly Random _random = new(seed);

        public LongHistogram Latency { get; } = new(HighestMicros, 3);

        public Dictionary<string, long> ErrorKinds { get; } = new(StringComparer.Ordinal);

        public long Reads { get; private set; }

        public long Writes { get; private set; }

        public async Task RunAsync(CancellationToken interrupt, CancellationToken abandon)
        {
            var options = runner._options;
            var createPrefix = $"{runner._root}/c-";
            while (!interrupt.IsCancellationRequested)
            {
                var begin = Stopwatch.GetTimestamp();
                if (begin >= measureTo)
                {
                    return;
                }

                var isRead = options.Workload switch
                {
                    Workload.Get => true,
                    Workload.Mixed => _random.NextDouble() < options.ReadRatio,
                    _ => false,
                };
                string? error = null;
                try
                {
                    switch (options.Workload)
                    {
                        case Workload.Create:
                            created.Add(await client.CreateAsync(
                                createPrefix, runner._payload, WellKnownAcls.OpenAclUnsafe, CreateMode.PersistentSequential,
                                cancellationToken: abandon));
                            break;
                        case Workload.Set:
                        case Workload.Mixed when !isRead:
                            await client.SetDataAsync(nodes[_random.Next(nodes.Length)], runner._payload, cancellationToken: abandon);
                            break;
                        default:
                            await client.GetDataAsync(nodes[_random.Next(nodes.Length)], cancellationToken: abandon);
                            break;
                    }
                }
                catch (KeeperException e)
                {
                    error = e.Code.ToString();
                }
                catch (OperationCanceledException) when (abandon.IsCancellationRequested)
                {
                    Count("Abandoned");
                    return;
                }
                catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException)
                {
                    error = e.GetType().Name;
                }

                var end = Stopwatch.GetTimestamp();
                if (end < measureFrom || end >= measureTo)
                {
                    // Warmup, or answered after the window: not part of the measurement.
                    if (error is not null)
                    {
                        await Task.Delay(10, CancellationToken.None);
                    }

                    continue;
                }

                if (error is not null)
                {
                    Count(error);
                    // A dead session fails every call at once; pausing keeps the worker from spinning on a core.
                    await Task.Delay(10, CancellationToken.None);
                    continue;
                }

                Latency.RecordValue(Math.Min(HighestMicros, (end - begin) * 1_000_000 / Stopwatch.Frequency));
                if (isRead)
                {
                    Reads++;
                }
                else
                {
                    Writes++;
                }
            }
        }

        private void Count(string kind) => ErrorKinds[kind] = ErrorKinds.GetValueOrDefault(kind) + 1;
    }
}
