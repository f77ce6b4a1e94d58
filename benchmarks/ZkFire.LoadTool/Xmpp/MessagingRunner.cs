using System.Buffers.Text;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using HdrHistogram;

namespace ZkFire.LoadTool.Xmpp;

/// <summary>What one messaging run measured.</summary>
internal sealed record MessagingResult(
    MessagingOptions Options,
    bool Encrypted,
    long Sent,
    long Delivered,
    long MeasuredSent,
    long MeasuredDelivered,
    double MeasuredSeconds,
    HistogramBase LatencyMicros,
    long Bounced,
    long Lost,
    long Disconnects,
    double SetupSeconds,
    ToolCost Cost,
    double? ServerCpuSeconds);

/// <summary>
/// Pairs of connections: each sender sends chat messages to its receiver's full JID, either at its share of a fixed
/// offered rate or as fast as its window of undelivered messages allows. Messages are written from a pre-serialised
/// prefix and suffix around the send timestamp into one reused buffer, and read by <see cref="MessageScanner"/>, so
/// the hot loop allocates nothing of its own.
/// </summary>
internal sealed class MessagingRunner(MessagingOptions options)
{
    private const long HighestMicros = 60_000_000;
    private const int MaxBatch = 256;
    private const int MaxTicksDigits = 20;
    private static readonly TimeSpan ProbeInterval = TimeSpan.FromMilliseconds(200);
    private static readonly byte[] Suffix = "</body></message>"u8.ToArray();

    /// <summary>Marks this run's messages, so offline leftovers of earlier runs are ignored.</summary>
    private readonly byte[] tag = Encoding.ASCII.GetBytes($"zkl-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}:");

    public async Task<MessagingResult> RunAsync(CancellationToken interrupt)
    {
        var pairs = new Pair[options.Pairs];
        var setup = Stopwatch.StartNew();
        try
        {
            using (var setupTimeout = CancellationTokenSource.CreateLinkedTokenSource(interrupt))
            {
                setupTimeout.CancelAfter(options.SetupTimeout);
                await SetUpAsync(pairs, setupTimeout.Token);
            }

            setup.Stop();
            return await MeasureAsync(pairs, setup.Elapsed.TotalSeconds, interrupt);
        }
        finally
        {
            // Senders first, so nothing sent now can land in a receiver's offline storage.
            foreach (var pair in pairs)
            {
                if (pair?.Sender is { } sender)
                {
                    await sender.DisposeAsync();
                }
            }

            foreach (var pair in pairs)
            {
                if (pair?.Receiver is { } receiver)
                {
                    await receiver.DisposeAsync();
                }
            }
        }
    }

    private async Task SetUpAsync(Pair[] pairs, CancellationToken ct)
    {
        var access = options.Access;
        if (access.Register)
        {
            var names = Enumerable.Range(0, pairs.Length).SelectMany(i => new[] { options.SenderName(i), options.ReceiverName(i) });
            await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (name, token) =>
            {
                await using var connection = await XmppConnection.ConnectAsync(options.SenderEndpoint, access.Domain, token);
                await connection.RegisterAsync(name, access.Password, access.Tls, token);
            });
        }

        await Parallel.ForEachAsync(Enumerable.Range(0, pairs.Length), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (i, token) =>
        {
            var pair = pairs[i] = new Pair();
            pair.Receiver = await LoginAsync(options.ReceiverEndpoint, options.ReceiverName(i), token);
            pair.Sender = await LoginAsync(options.SenderEndpoint, options.SenderName(i), token);
            pair.Prefix = Encoding.UTF8.GetBytes($"<message to='{XmppConnection.Escape(pair.Receiver.Jid!)}' type='chat'><body>{Encoding.ASCII.GetString(tag)}");
        });
    }

    private async Task<XmppConnection> LoginAsync(System.Net.DnsEndPoint endpoint, string username, CancellationToken ct)
    {
        var connection = await XmppConnection.ConnectAsync(endpoint, options.Access.Domain, ct);
        try
        {
            await connection.LoginAsync(username, options.Access, resource: null, ct);
            await connection.SendAsync("<presence/>", ct);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private async Task<MessagingResult> MeasureAsync(Pair[] pairs, double setupSeconds, CancellationToken interrupt)
    {
        using var stopReading = CancellationTokenSource.CreateLinkedTokenSource(interrupt);
        var readers = pairs.SelectMany(p => new[]
        {
            Task.Run(() => ReadAsync(p, p.Receiver!, receiving: true, stopReading.Token), CancellationToken.None),
            Task.Run(() => ReadAsync(p, p.Sender!, receiving: false, stopReading.Token), CancellationToken.None),
        }).ToArray();

        try
        {
            await ProbeRoutesAsync(pairs, interrupt);

            // Messages in flight get the grace period to arrive (or bounce) before they count as lost.
            var phase = await SendingPhase.RunAsync(
                options.Warmup,
                options.Duration,
                options.Grace,
                options.Access.ServerPid,
                (clock, stop) =>
                {
                    foreach (var pair in pairs)
                    {
                        pair.Clock = clock;
                    }

                    return pairs.Select(p => Task.Run(() => SendAsync(p, pairs.Length, stop), CancellationToken.None));
                },
                () =>
                {
                    foreach (var pair in pairs)
                    {
                        pair.Signal.Set();
                    }
                },
                (clock, senders) => ProgressAsync(pairs, clock, senders),
                () => pairs.Sum(p => Volatile.Read(ref p.Sent) + Volatile.Read(ref p.Delivered)),
                () => pairs.Any(p => Volatile.Read(ref p.Settled) < p.Sent && !p.Closed),
                interrupt);
            var measuredSeconds = phase.Clock.MeasuredSeconds;
            await stopReading.CancelAsync();
            await Task.WhenAll(readers);

            var latency = new LongHistogram(HighestMicros, 3);
            foreach (var pair in pairs)
            {
                latency.Add(pair.Latency);
            }

            return new MessagingResult(
                options,
                pairs[0].Sender!.Encrypted || pairs[0].Receiver!.Encrypted,
                Sent: pairs.Sum(p => p.Sent),
                Delivered: pairs.Sum(p => p.Delivered),
                MeasuredSent: pairs.Sum(p => p.MeasuredSent),
                MeasuredDelivered: pairs.Sum(p => p.MeasuredDelivered),
                MeasuredSeconds: measuredSeconds,
                latency,
                Bounced: pairs.Sum(p => p.Bounced),
                Lost: pairs.Sum(p => Math.Max(0, p.Sent - p.Delivered - p.Bounced)),
                Disconnects: pairs.Sum(p => p.Disconnects),
                setupSeconds,
                phase.Cost,
                phase.ServerCpuSeconds);
        }
        finally
        {
            await stopReading.CancelAsync();
            await Task.WhenAll(readers.Select(r => r.ContinueWith(_ => { }, TaskScheduler.Default)));
        }
    }

    /// <summary>
    /// Routes to a receiver on another node become known there asynchronously: until they do, a message to the full
    /// JID would go to offline storage. Each pair sends probes until one arrives.
    /// </summary>
    private async Task ProbeRoutesAsync(Pair[] pairs, CancellationToken interrupt)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(interrupt);
        timeout.CancelAfter(options.SetupTimeout);
        while (pairs.Any(p => Volatile.Read(ref p.ProbeSeen) == 0))
        {
            foreach (var pair in pairs.Where(p => Volatile.Read(ref p.ProbeSeen) == 0))
            {
                await pair.Sender!.SendAsync(pair.Prefix.Concat(Suffix).ToArray(), timeout.Token);
            }

            await Task.Delay(ProbeInterval, timeout.Token);
        }
    }

    private async Task SendAsync(Pair pair, int pairCount, CancellationToken stop)
    {
        var clock = pair.Clock!;
        var messageBytes = pair.Prefix.Length + MaxTicksDigits + Suffix.Length;
        var window = options.Window;
        var buffer = new byte[Math.Min(window, MaxBatch) * messageBytes];

        // The pair's share of the rate: one message every `interval` ticks from the start.
        var interval = options.Rate is { } rate ? Stopwatch.Frequency * pairCount / rate : 0;
        using var timer = options.Rate is null
            ? null
            : new PeriodicTimer(TimeSpan.FromTicks(Math.Clamp((long)(interval * TimeSpan.TicksPerSecond / Stopwatch.Frequency), TimeSpan.TicksPerMillisecond, 50 * TimeSpan.TicksPerMillisecond)));
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var allowed = window - (pair.Sent - Volatile.Read(ref pair.Settled));
                if (timer is not null)
                {
                    var due = (long)((Stopwatch.GetTimestamp() - clock.Start) / interval) + 1;
                    allowed = Math.Min(allowed, due - pair.Sent);
                }

                if (allowed <= 0)
                {
                    if (timer is not null)
                    {
                        await timer.WaitForNextTickAsync(stop);
                    }
                    else
                    {
                        await pair.Signal.WaitAsync();
                    }

                    continue;
                }

                var count = (int)Math.Min(allowed, MaxBatch);
                var now = Stopwatch.GetTimestamp();
                await pair.Sender!.SendAsync(buffer.AsMemory(0, Format(buffer, pair.Prefix, count, now)), stop);
                Volatile.Write(ref pair.Sent, pair.Sent + count);
                if (clock.Measures(now))
                {
                    pair.MeasuredSent += count;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            Interlocked.Increment(ref pair.Disconnects);
        }
    }

    /// <summary>Writes <paramref name="count"/> messages stamped <paramref name="now"/> into <paramref name="buffer"/>; returns their length.</summary>
    private static int Format(byte[] buffer, byte[] prefix, int count, long now)
    {
        var length = 0;
        for (var i = 0; i < count; i++)
        {
            prefix.CopyTo(buffer.AsSpan(length));
            length += prefix.Length;
            Utf8Formatter.TryFormat(now, buffer.AsSpan(length), out var digits);
            length += digits;
            Suffix.CopyTo(buffer.AsSpan(length));
            length += Suffix.Length;
        }

        return length;
    }

    /// <summary>Reads one connection of a pair until it closes or the run ends.</summary>
    private async Task ReadAsync(Pair pair, XmppConnection connection, bool receiving, CancellationToken stop)
    {
        if (!await connection.PumpAsync(() => Drain(pair, connection, receiving), stop))
        {
            Interlocked.Increment(ref pair.Disconnects);
            pair.Closed = true;
            pair.Signal.Set();
        }
    }

    /// <summary>Handles every complete message received so far; false when the stream has ended.</summary>
    private bool Drain(Pair pair, XmppConnection connection, bool receiving)
    {
        while (true)
        {
            var kind = MessageScanner.Next(connection.Unread, tag, out var consumed, out var sentAt);
            connection.Consume(consumed);
            switch (kind)
            {
                case ScannedKind.NeedMore:
                    return true;
                case ScannedKind.StreamEnd:
                    return false;
                case ScannedKind.Timestamped when receiving:
                    pair.Received(Stopwatch.GetTimestamp(), sentAt);
                    break;
                case ScannedKind.Probe when receiving:
                    Volatile.Write(ref pair.ProbeSeen, 1);
                    break;
                case ScannedKind.Bounce:
                    Interlocked.Increment(ref pair.Bounced);
                    Interlocked.Increment(ref pair.Settled);
                    pair.Signal.Set();
                    break;
            }
        }
    }

    private static Task ProgressAsync(Pair[] pairs, RunClock clock, Task done)
    {
        long lastDelivered = 0;
        long lastSent = 0;
        return ProgressLine.PrintAsync(done, second =>
        {
            long sent = 0, delivered = 0, bounced = 0, disconnects = 0;
            foreach (var pair in pairs)
            {
                sent += Volatile.Read(ref pair.Sent);
                delivered += Volatile.Read(ref pair.Delivered);
                bounced += Volatile.Read(ref pair.Bounced);
                disconnects += Volatile.Read(ref pair.Disconnects);
            }

            var line = string.Create(CultureInfo.InvariantCulture,
                $"  {second,3}s {clock.Phase,-7} sent {sent - lastSent,7}/s  delivered {delivered - lastDelivered,7}/s  in flight {sent - delivered - bounced,6}  bounced {bounced}  disconnects {disconnects}");
            lastDelivered = delivered;
            lastSent = sent;
            return line;
        });
    }


    /// <summary>One sender and its receiver; counters are written by one side and read by the other or the progress line.</summary>
    private sealed class Pair
    {
        public long Sent;
        public long Delivered;
        public long Bounced;

        /// <summary>Delivered or bounced: no longer in the window.</summary>
        public long Settled;

        public long MeasuredSent;
        public long MeasuredDelivered;
        public long Disconnects;
        public int ProbeSeen;
        public volatile bool Closed;

        public XmppConnection? Sender { get; set; }

        public XmppConnection? Receiver { get; set; }

        public byte[] Prefix { get; set; } = [];

        public RunClock? Clock { get; set; }

        public AsyncSignal Signal { get; } = new();

        public LongHistogram Latency { get; } = new(HighestMicros, 3);

        public void Received(long now, long sentAt)
        {
            Volatile.Write(ref Delivered, Delivered + 1);
            Interlocked.Increment(ref Settled);
            Signal.Set();
            if (Clock is { } clock && clock.Measures(now))
            {
                MeasuredDelivered++;
                Latency.RecordValue(Math.Min(HighestMicros, Math.Max(0, (now - sentAt) * 1_000_000 / Stopwatch.Frequency)));
            }
        }
    }
}
