using System.Buffers.Text;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using HdrHistogram;

namespace ZkFire.LoadTool.Xmpp;

/// <summary>What one presence run measured.</summary>
/// <param name="Changes">Presence changes sent, warmup and measured time together.</param>
/// <param name="Delivered">Changes received by contacts, warmup and measured time together.</param>
/// <param name="Missing">Deliveries expected (changes × contacts) that had not arrived when the grace period ended.</param>
/// <param name="Unavailable">Unavailable presence received from a contact's measured session.</param>
/// <param name="ErrorStanzas">Presence of type error received.</param>
/// <param name="Strays">Changes received from a user that is not a contact.</param>
/// <param name="OnlineSeconds">From the first login of the measured sessions until every user saw all its contacts available.</param>
internal sealed record PresenceResult(
    PresenceOptions Options,
    bool Encrypted,
    PresenceSetupReport Setup,
    double OnlineSeconds,
    long Changes,
    long Delivered,
    long MeasuredChanges,
    long MeasuredDelivered,
    double MeasuredSeconds,
    HistogramBase LatencyMicros,
    long Missing,
    long Unavailable,
    long ErrorStanzas,
    long Strays,
    long Disconnects,
    ToolCost Cost,
    double? ServerCpuSeconds);

/// <summary>
/// Users on a <see cref="ContactRing"/> change presence, either at their turn of a fixed total rate or as fast as
/// their window of broadcasts not yet received by every contact allows; each change is a broadcast the server fans
/// out to the user's contacts. Changes are written from pre-serialised parts around the send timestamp and sequence
/// number into one reused buffer per user, and read by <see cref="PresenceScanner"/>; senders are recognised by
/// their exact full JID, so the hot loop allocates nothing of its own.
/// </summary>
internal sealed class PresenceRunner
{
    private const long HighestMicros = 60_000_000;
    private const int MaxBatch = 64;
    private const int MaxNumberDigits = 20;
    private const int LoginConcurrency = 8;
    private static readonly byte[] InitialPresence = "<presence/>"u8.ToArray();
    private static readonly byte[] Suffix = "</status></presence>"u8.ToArray();
    private static readonly string[] ShowValues = ["away", "dnd"];

    private readonly PresenceOptions options;
    private readonly ContactRing ring;

    /// <summary>Marks this run's changes, so presence from any other source is not taken for one.</summary>
    private readonly byte[] tag;

    /// <summary>Show values alternate, so every change is a change: away on even sequence numbers, dnd on odd.</summary>
    private readonly byte[][] prefixes;

    /// <summary><c>PREFIX-u</c>: how a user's JID starts, before its number.</summary>
    private readonly byte[] namePrefix;

    /// <summary>Every user's measured session, by number; null until it has logged in.</summary>
    private readonly User[] users;

    /// <summary>
    /// Latency histograms, user i's receipts in stripe i mod their count, each behind its lock: one per user would
    /// cost 140 KB a user, and all exist before the measurement starts, so none is allocated inside it.
    /// </summary>
    private readonly LatencyStripe[] latency = [.. Enumerable.Range(0, 4 * Environment.ProcessorCount).Select(_ => new LatencyStripe())];

    public PresenceRunner(PresenceOptions options)
    {
        this.options = options;
        ring = new ContactRing(options.Users, options.Contacts);
        var tagText = $"zkl-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}:";
        tag = Encoding.ASCII.GetBytes(tagText);
        prefixes = [.. ShowValues.Select(show => Encoding.ASCII.GetBytes($"<presence><show>{show}</show><status>{tagText}"))];
        namePrefix = Encoding.UTF8.GetBytes(options.UserPrefix + "-u");
        users = new User[ring.Users];
    }

    public async Task<PresenceResult> RunAsync(CancellationToken interrupt)
    {
        var setup = await new PresenceSetup(options, ring).RunAsync(interrupt);
        using var stopReading = CancellationTokenSource.CreateLinkedTokenSource(interrupt);
        var readers = new List<Task>();
        try
        {
            var online = Stopwatch.StartNew();
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(interrupt))
            {
                timeout.CancelAfter(options.SetupTimeout);
                try
                {
                    await LogInAsync(timeout.Token);
                    readers.AddRange(users.Select(u => Task.Run(() => ReadAsync(u, stopReading.Token), CancellationToken.None)));
                    foreach (var user in users)
                    {
                        await user.Connection.SendAsync(InitialPresence, timeout.Token);
                    }

                    await AwaitContactsOnlineAsync(timeout.Token);
                }
                catch (OperationCanceledException) when (!interrupt.IsCancellationRequested)
                {
                    throw new TimeoutException($"{Online()}/{users.Length} users logged in and saw all their contacts available within {options.SetupTimeout.TotalSeconds:0} s (--setup-timeout){MissingContactExample()}");
                }
            }

            online.Stop();
            return await MeasureAsync(setup, online.Elapsed.TotalSeconds, stopReading, readers, interrupt);
        }
        finally
        {
            await stopReading.CancelAsync();
            await Task.WhenAll(readers.Select(r => r.ContinueWith(_ => { }, TaskScheduler.Default)));
            foreach (var user in users)
            {
                if (user is not null)
                {
                    await user.Connection.DisposeAsync();
                }
            }
        }
    }

    private async Task LogInAsync(CancellationToken ct)
    {
        var access = options.Access;
        await Parallel.ForEachAsync(Enumerable.Range(0, ring.Users), new ParallelOptions { MaxDegreeOfParallelism = LoginConcurrency, CancellationToken = ct }, async (i, token) =>
        {
            var connection = await XmppConnection.ConnectAsync(options.EndpointOf(i), access.Domain, token);
            try
            {
                await connection.LoginAsync(options.UserName(i), access, resource: null, token);
            }
            catch
            {
                await connection.DisposeAsync();
                throw;
            }

            users[i] = new User(i, connection, options.Window, ring.Contacts);
        });
    }

    private async Task AwaitContactsOnlineAsync(CancellationToken ct)
    {
        while (Online() < users.Length)
        {
            await Task.Delay(50, ct);
            if (users.FirstOrDefault(u => u.Closed) is { } closed)
            {
                throw new XmppException($"{options.UserName(closed.Index)}'s session ended before the run");
            }
        }

        await Console.Error.WriteLineAsync($"  all {users.Length} users online, each seeing its {ring.Contacts} contacts available");
    }

    private int Online() => users.Count(u => u is not null && Volatile.Read(ref u.ContactsSeen) == ring.Contacts);

    private string MissingContactExample()
    {
        var user = users.FirstOrDefault(u => u is not null && Volatile.Read(ref u.ContactsSeen) < ring.Contacts);
        if (user is null)
        {
            return string.Empty;
        }

        var missing = Enumerable.Range(0, ring.Contacts).First(p => !user.Seen[p]);
        return $"; e.g. {options.UserName(user.Index)} has no available presence from {options.UserName(ring.Contact(user.Index, missing))}";
    }

    private async Task<PresenceResult> MeasureAsync(PresenceSetupReport setup, double onlineSeconds, CancellationTokenSource stopReading, List<Task> readers, CancellationToken interrupt)
    {
        // Broadcasts in flight get the grace period to reach every contact before the rest count as missing.
        var phase = await SendingPhase.RunAsync(
            options.Warmup,
            options.Duration,
            options.Grace,
            options.Access.ServerPid,
            (clock, stop) =>
            {
                foreach (var user in users)
                {
                    user.Clock = clock;
                }

                var senders = users.Select(u => Task.Run(() => SendAsync(u, stop), CancellationToken.None)).ToList();
                if (options.Rate is { } rate)
                {
                    senders.Add(PaceAsync(rate, clock.Start, stop));
                }

                return senders;
            },
            () =>
            {
                foreach (var user in users)
                {
                    user.Signal.Set();
                }
            },
            ProgressAsync,
            () => users.Sum(u => Volatile.Read(ref u.Sent) + Volatile.Read(ref u.Delivered) + Volatile.Read(ref u.Echoes)),
            () => users.Any(u => Volatile.Read(ref u.Completed) < u.Sent),
            interrupt);
        var measuredSeconds = phase.Clock.MeasuredSeconds;
        await stopReading.CancelAsync();
        await Task.WhenAll(readers);

        var merged = new LongHistogram(HighestMicros, 3);
        foreach (var stripe in latency)
        {
            merged.Add(stripe.Histogram);
        }

        var changes = users.Sum(u => u.Sent);
        var delivered = users.Sum(u => u.Delivered);
        return new PresenceResult(
            options,
            users[0].Connection.Encrypted,
            setup,
            onlineSeconds,
            changes,
            delivered,
            MeasuredChanges: users.Sum(u => u.MeasuredSent),
            MeasuredDelivered: users.Sum(u => u.MeasuredDelivered),
            MeasuredSeconds: measuredSeconds,
            merged,
            Missing: Math.Max(0, changes * ring.Contacts - delivered),
            Unavailable: users.Sum(u => u.Unavailable),
            ErrorStanzas: users.Sum(u => u.ErrorStanzas),
            Strays: users.Sum(u => u.Strays),
            Disconnects: users.Sum(u => u.Disconnects),
            phase.Cost,
            phase.ServerCpuSeconds);
    }

    /// <summary>Hands the changes of a fixed total rate to the users in turn, so the offered load is smooth whatever their number.</summary>
    private async Task PaceAsync(double rate, long start, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(1));
        long handed = 0;
        var next = 0;
        try
        {
            do
            {
                var due = (long)((Stopwatch.GetTimestamp() - start) * rate / Stopwatch.Frequency) + 1;
                for (; handed < due; handed++)
                {
                    var user = users[next];
                    Interlocked.Increment(ref user.Due);
                    user.Signal.Set();
                    next = next + 1 == users.Length ? 0 : next + 1;
                }
            }
            while (await timer.WaitForNextTickAsync(stop));
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private async Task SendAsync(User user, CancellationToken stop)
    {
        var clock = user.Clock!;
        var window = options.Window;
        var paced = options.Rate is not null;
        var buffer = new byte[Math.Min(window, MaxBatch) * (prefixes.Max(p => p.Length) + 2 * MaxNumberDigits + 1 + Suffix.Length)];
        try
        {
            while (!stop.IsCancellationRequested && !user.Closed)
            {
                var allowed = window - (user.Sent - Volatile.Read(ref user.Completed));
                if (paced)
                {
                    allowed = Math.Min(allowed, Volatile.Read(ref user.Due) - user.Sent);
                }

                if (allowed <= 0)
                {
                    await user.Signal.WaitAsync();
                    continue;
                }

                var count = (int)Math.Min(allowed, MaxBatch);
                var now = Stopwatch.GetTimestamp();
                var length = 0;
                for (var seq = user.Sent; seq < user.Sent + count; seq++)
                {
                    // The slot's previous broadcast is complete (the window): it counts this one's receipts from now on.
                    Volatile.Write(ref user.Receipts[seq % window], 0);
                    length += Format(buffer.AsSpan(length), prefixes[seq & 1], now, seq);
                }

                await user.Connection.SendAsync(buffer.AsMemory(0, length), stop);
                Volatile.Write(ref user.Sent, user.Sent + count);
                if (clock.Measures(now))
                {
                    user.MeasuredSent += count;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            Interlocked.Increment(ref user.Disconnects);
        }
    }

    /// <summary>Writes one change stamped <paramref name="now"/> and numbered <paramref name="seq"/>; returns its length.</summary>
    private static int Format(Span<byte> buffer, byte[] prefix, long now, long seq)
    {
        prefix.CopyTo(buffer);
        var length = prefix.Length;
        Utf8Formatter.TryFormat(now, buffer[length..], out var digits);
        length += digits;
        buffer[length++] = (byte)' ';
        Utf8Formatter.TryFormat(seq, buffer[length..], out digits);
        length += digits;
        Suffix.CopyTo(buffer[length..]);
        return length + Suffix.Length;
    }

    /// <summary>Reads one user's connection until it closes or the run ends.</summary>
    private async Task ReadAsync(User user, CancellationToken stop)
    {
        if (!await user.Connection.PumpAsync(() => Drain(user), stop))
        {
            Interlocked.Increment(ref user.Disconnects);
            user.Closed = true;
            user.Signal.Set();
        }
    }

    /// <summary>Handles every complete presence received so far; false when the stream has ended.</summary>
    private bool Drain(User receiver)
    {
        var connection = receiver.Connection;
        while (true)
        {
            var kind = PresenceScanner.Next(connection.Unread, tag, out var consumed, out var from, out var sentAt, out var seq);
            if (kind == PresenceKind.NeedMore)
            {
                connection.Consume(consumed);
                return true;
            }

            if (kind == PresenceKind.StreamEnd)
            {
                return false;
            }

            var sender = SenderOf(from);
            var position = sender < 0 || sender == receiver.Index ? -1 : ring.PositionOf(receiver.Index, sender);
            switch (kind)
            {
                case PresenceKind.Change when sender == receiver.Index:
                    Volatile.Write(ref receiver.Echoes, receiver.Echoes + 1);
                    break;
                case PresenceKind.Change when position >= 0:
                    Deliver(receiver, users[sender], sentAt, seq);
                    break;
                case PresenceKind.Change:
                    Volatile.Write(ref receiver.Strays, receiver.Strays + 1);
                    break;
                case PresenceKind.Available when position >= 0 && !receiver.Seen[position]:
                    receiver.Seen[position] = true;
                    Volatile.Write(ref receiver.ContactsSeen, receiver.ContactsSeen + 1);
                    break;
                case PresenceKind.Unavailable when position >= 0:
                    Volatile.Write(ref receiver.Unavailable, receiver.Unavailable + 1);
                    break;
                case PresenceKind.Error:
                    Volatile.Write(ref receiver.ErrorStanzas, receiver.ErrorStanzas + 1);
                    break;
            }

            // The span `from` points into the unread bytes: consumed only once it has been looked at.
            connection.Consume(consumed);
        }
    }

    private void Deliver(User receiver, User sender, long sentAt, long seq)
    {
        var now = Stopwatch.GetTimestamp();
        Volatile.Write(ref receiver.Delivered, receiver.Delivered + 1);
        if (receiver.Clock is { } clock && clock.Measures(now))
        {
            receiver.MeasuredDelivered++;
            var stripe = latency[receiver.Index % latency.Length];
            lock (stripe.Gate)
            {
                stripe.Histogram.RecordValue(Math.Min(HighestMicros, Math.Max(0, (now - sentAt) * 1_000_000 / Stopwatch.Frequency)));
            }
        }

        // A server delivers one sender's stanzas to a contact in order (RFC 6120 §10.1), so broadcasts complete in
        // order and a slot is free again once the window has moved past it.
        if (Interlocked.Increment(ref sender.Receipts[seq % options.Window]) == ring.Contacts)
        {
            Interlocked.Increment(ref sender.Completed);
            sender.Signal.Set();
        }
    }

    /// <summary>The user whose measured session's full JID is <paramref name="from"/>; -1 for anyone else.</summary>
    private int SenderOf(ReadOnlySpan<byte> from)
    {
        if (!from.StartsWith(namePrefix))
        {
            return -1;
        }

        var rest = from[namePrefix.Length..];
        return Utf8Parser.TryParse(rest, out int index, out var digits) && digits > 0 && digits < rest.Length && rest[digits] == (byte)'@'
               && index >= 0 && index < users.Length && users[index] is { } user && from.SequenceEqual(user.Jid)
            ? index
            : -1;
    }

    private Task ProgressAsync(RunClock clock, Task done)
    {
        long lastSent = 0;
        long lastDelivered = 0;
        return ProgressLine.PrintAsync(done, second =>
        {
            long sent = 0, completed = 0, delivered = 0, errors = 0;
            foreach (var user in users)
            {
                sent += Volatile.Read(ref user.Sent);
                completed += Volatile.Read(ref user.Completed);
                delivered += Volatile.Read(ref user.Delivered);
                errors += Volatile.Read(ref user.Unavailable) + Volatile.Read(ref user.ErrorStanzas) + Volatile.Read(ref user.Strays) + Volatile.Read(ref user.Disconnects);
            }

            var line = string.Create(CultureInfo.InvariantCulture,
                $"  {second,3}s {clock.Phase,-7} changes {sent - lastSent,7}/s  delivered {delivered - lastDelivered,8}/s  broadcasts in flight {sent - completed,6}  errors {errors}");
            lastSent = sent;
            lastDelivered = delivered;
            return line;
        });
    }


    private sealed class LatencyStripe
    {
        public Lock Gate { get; } = new();

        public LongHistogram Histogram { get; } = new(HighestMicros, 3);
    }

    /// <summary>
    /// One user's measured session. Its sender task writes <see cref="Sent"/>; readers of its contacts count the
    /// receipts of its broadcasts and <see cref="Completed"/>; its own reader writes the receiving counters.
    /// </summary>
    private sealed class User(int index, XmppConnection connection, int window, int contacts)
    {
        public long Sent;
        public long MeasuredSent;
        public long Completed;

        /// <summary>Changes the pacer has handed to this user (with --rate).</summary>
        public long Due;

        public long Delivered;
        public long MeasuredDelivered;
        public long Echoes;
        public long Unavailable;
        public long ErrorStanzas;
        public long Strays;
        public long Disconnects;
        public int ContactsSeen;
        public volatile bool Closed;

        public int Index { get; } = index;

        public XmppConnection Connection { get; } = connection;

        public byte[] Jid { get; } = Encoding.UTF8.GetBytes(connection.Jid!);

        /// <summary>Per window slot (sequence number mod the window): contacts that have received that broadcast.</summary>
        public int[] Receipts { get; } = new int[window];

        /// <summary>Per contact position: available presence received from it (before the run).</summary>
        public bool[] Seen { get; } = new bool[contacts];

        public RunClock? Clock { get; set; }

        public AsyncSignal Signal { get; } = new();
    }
}
