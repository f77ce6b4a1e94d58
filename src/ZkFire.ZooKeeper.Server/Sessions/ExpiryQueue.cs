namespace ZkFire.ZooKeeper.Server.Sessions;

/// <summary>
/// ZooKeeper's ExpiryQueue: deadlines rounded up to the next multiple of an interval (the tick), so that expiry is
/// one bucket per tick rather than one timer per element, and touching an element that stays in its bucket costs
/// nothing. Not thread-safe: the owner locks.
/// </summary>
internal sealed class ExpiryQueue<T> where T : notnull
{
    private readonly long interval;
    private readonly Dictionary<T, long> deadlines = [];
    private readonly Dictionary<long, HashSet<T>> buckets = [];
    private long nextExpiration;

    public ExpiryQueue(long interval, long now)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(interval, 1);
        this.interval = interval;
        nextExpiration = RoundUp(now);
    }

    public int Count => deadlines.Count;

    /// <summary>Moves <paramref name="element"/> to the bucket of <paramref name="now"/> + <paramref name="timeout"/>.</summary>
    public void Update(T element, long timeout, long now)
    {
        var deadline = RoundUp(now + timeout);
        if (deadlines.TryGetValue(element, out var previous))
        {
            if (previous == deadline)
            {
                return;
            }

            RemoveFromBucket(element, previous);
        }

        deadlines[element] = deadline;
        if (!buckets.TryGetValue(deadline, out var bucket))
        {
            buckets[deadline] = bucket = [];
        }

        bucket.Add(element);
    }

    public void Remove(T element)
    {
        if (deadlines.Remove(element, out var deadline))
        {
            RemoveFromBucket(element, deadline);
        }
    }

    /// <summary>Milliseconds until the next bucket is due; 0 when it already is.</summary>
    public long WaitTime(long now) => Math.Max(0, nextExpiration - now);

    /// <summary>The elements of the bucket that is due (empty if none is), which leave the queue.</summary>
    public IReadOnlyCollection<T> Poll(long now)
    {
        if (now < nextExpiration)
        {
            return [];
        }

        var due = nextExpiration;
        nextExpiration += interval;
        if (!buckets.Remove(due, out var bucket))
        {
            return [];
        }

        foreach (var element in bucket)
        {
            deadlines.Remove(element);
        }

        return bucket;
    }

    /// <summary>Deadlines and their elements in time order, for the dump four-letter word.</summary>
    public IReadOnlyList<(long Deadline, IReadOnlyCollection<T> Elements)> Buckets() =>
        [.. buckets.OrderBy(b => b.Key).Select(b => (b.Key, (IReadOnlyCollection<T>)[.. b.Value]))];

    private long RoundUp(long time) => (time / interval + 1) * interval;

    private void RemoveFromBucket(T element, long deadline)
    {
        if (buckets.TryGetValue(deadline, out var bucket) && bucket.Remove(element) && bucket.Count == 0)
        {
            buckets.Remove(deadline);
        }
    }
}
