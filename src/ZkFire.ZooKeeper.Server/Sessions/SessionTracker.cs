using System.Buffers.Binary;
using System.Security.Cryptography;

namespace ZkFire.ZooKeeper.Server.Sessions;

/// <summary>
/// Live sessions, their expiry (ZooKeeper's SessionTrackerImpl over an <see cref="ExpiryQueue{T}"/> of tick-sized
/// buckets), their ids and their passwords. Touched from every connection's read loop and read by the request thread,
/// so all state sits behind one lock; nothing slow happens while holding it.
/// </summary>
internal sealed class SessionTracker
{
    private const int PasswordLength = 16;

    private readonly Lock gate = new();
    private readonly Dictionary<long, ServerSession> sessions = [];
    private readonly ExpiryQueue<long> expiry;
    private readonly TimeProvider time;
    private readonly byte[] secret;
    private readonly long origin;
    private Dictionary<long, int>? touched;
    private long nextSessionId;

    /// <param name="tickTime">The expiry granularity in milliseconds.</param>
    /// <param name="serverId">myid; the top byte of every id this tracker creates (1 when standalone, as in ZooKeeper).</param>
    /// <param name="secret">Key of the passwords; every member of an ensemble must share it so a session can move.</param>
    /// <param name="time">Clock for deadlines and for seeding session ids.</param>
    public SessionTracker(int tickTime, long serverId, byte[] secret, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(secret);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(serverId, 254);
        this.secret = secret;
        this.time = time;
        origin = time.GetTimestamp();
        expiry = new ExpiryQueue<long>(tickTime, Now);
        nextSessionId = InitialSessionId(serverId == 0 ? 1 : serverId, time.GetUtcNow().ToUnixTimeMilliseconds());
    }

    public int Count
    {
        get
        {
            lock (gate)
            {
                return sessions.Count;
            }
        }
    }

    /// <summary>Monotonic milliseconds since the tracker started (wall-clock jumps must not expire anyone).</summary>
    private long Now => (long)time.GetElapsedTime(origin).TotalMilliseconds;

    /// <summary>
    /// ZooKeeper's initializeNextSession: the server id in the top byte, milliseconds in the next five, a counter in
    /// the low two; so ids from different members, and from restarts more than a millisecond apart, do not collide.
    /// </summary>
    public static long InitialSessionId(long serverId, long unixMilliseconds)
    {
        var id = (long)((ulong)(unixMilliseconds << 24) >> 8) | (serverId << 56);
        // long.MinValue is the ephemeralOwner that marks container nodes.
        return id == long.MinValue ? id + 1 : id;
    }

    /// <summary>Allocates an id for a new session and starts its expiry clock.</summary>
    public ServerSession CreateSession(int timeout)
    {
        lock (gate)
        {
            var id = nextSessionId++;
            while (sessions.ContainsKey(id) || id == long.MinValue || id == 0)
            {
                id = nextSessionId++;
            }

            return TrackLocked(id, timeout);
        }
    }

    /// <summary>Tracks a session known from the log or a snapshot; it gets a full timeout from now.</summary>
    public ServerSession Track(long id, int timeout)
    {
        lock (gate)
        {
            return sessions.TryGetValue(id, out var existing) ? existing : TrackLocked(id, timeout);
        }
    }

    public ServerSession? Get(long id)
    {
        lock (gate)
        {
            return sessions.GetValueOrDefault(id);
        }
    }

    /// <summary>Pushes the deadline of a live session out by <paramref name="timeout"/>; false if it is gone or closing.</summary>
    public bool Touch(long id, int timeout)
    {
        lock (gate)
        {
            if (!sessions.TryGetValue(id, out var session) || session.IsClosing)
            {
                return false;
            }

            expiry.Update(id, timeout, Now);
            touched?.TryAdd(id, timeout);
            return true;
        }
    }

    /// <summary>
    /// From now on, remembers which sessions were touched so that <see cref="DrainTouched"/> can report them: an
    /// ensemble's follower tells its leader, which alone expires sessions.
    /// </summary>
    public void RecordTouches()
    {
        lock (gate)
        {
            touched ??= [];
        }
    }

    /// <summary>The sessions touched since the last call, with their timeouts.</summary>
    public IReadOnlyList<(long SessionId, int Timeout)> DrainTouched()
    {
        lock (gate)
        {
            if (touched is null || touched.Count == 0)
            {
                return [];
            }

            var drained = touched.Select(t => (t.Key, t.Value)).ToList();
            touched.Clear();
            return drained;
        }
    }

    /// <summary>Marks the session closing: from now on it is expired to every request and every touch.</summary>
    public void SetClosing(long id)
    {
        lock (gate)
        {
            if (sessions.TryGetValue(id, out var session))
            {
                session.IsClosing = true;
            }
        }
    }

    public void Remove(long id)
    {
        lock (gate)
        {
            sessions.Remove(id);
            expiry.Remove(id);
        }
    }

    /// <summary>Every session with its negotiated timeout, as snapshots record them.</summary>
    public IReadOnlyDictionary<long, int> Snapshot()
    {
        lock (gate)
        {
            return sessions.Values.ToDictionary(s => s.Id, s => s.Timeout);
        }
    }

    /// <summary>Deadlines (milliseconds from now) and the sessions due at each, for the dump four-letter word.</summary>
    public IReadOnlyList<(long DueInMilliseconds, IReadOnlyCollection<long> SessionIds)> ExpiryBuckets()
    {
        lock (gate)
        {
            var now = Now;
            return [.. expiry.Buckets().Select(b => (b.Deadline - now, b.Elements))];
        }
    }

    /// <summary>
    /// The password a client must present to resume <paramref name="sessionId"/>: a keyed hash of the id, so the server
    /// stores nothing per session and a restarted server still recognises its sessions.
    /// </summary>
    public byte[] Password(long sessionId)
    {
        Span<byte> id = stackalloc byte[sizeof(long)];
        BinaryPrimitives.WriteInt64BigEndian(id, sessionId);
        return HMACSHA256.HashData(secret, id)[..PasswordLength];
    }

    public bool CheckPassword(long sessionId, ReadOnlySpan<byte> password) =>
        sessionId != 0 && CryptographicOperations.FixedTimeEquals(password, Password(sessionId));

    /// <summary>
    /// Expires sessions whose deadline passes, until cancelled: each is marked closing (so it takes no more requests)
    /// and handed to <paramref name="expire"/>, which queues its closeSession.
    /// </summary>
    public async Task RunExpiryAsync(Func<ServerSession, ValueTask> expire, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(expire);
        while (!cancellationToken.IsCancellationRequested)
        {
            List<ServerSession> expired;
            long wait;
            lock (gate)
            {
                var now = Now;
                wait = expiry.WaitTime(now);
                expired = [];
                if (wait == 0)
                {
                    foreach (var id in expiry.Poll(now))
                    {
                        if (sessions.TryGetValue(id, out var session) && !session.IsClosing)
                        {
                            session.IsClosing = true;
                            expired.Add(session);
                        }
                    }
                }
            }

            foreach (var session in expired)
            {
                await expire(session);
            }

            if (wait > 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(wait), time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private ServerSession TrackLocked(long id, int timeout)
    {
        var session = new ServerSession(id, timeout);
        sessions[id] = session;
        expiry.Update(id, timeout, Now);
        return session;
    }
}
