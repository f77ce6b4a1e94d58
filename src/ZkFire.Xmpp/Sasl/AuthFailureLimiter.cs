using System.Net;
using System.Net.Sockets;

namespace ZkFire.Xmpp.Sasl;

/// <summary>Limits on failed authentications; after the limit an attempt is refused until the window passes.</summary>
public sealed class AuthFailureLimiterOptions
{
    public int MaxFailuresPerAccount { get; init; } = 5;

    public int MaxFailuresPerAddress { get; init; } = 20;

    public TimeSpan Window { get; init; } = TimeSpan.FromMinutes(5);
}

/// <summary>Counts failed SASL attempts per account and per remote address over a sliding window; thread-safe.</summary>
/// <remarks>
/// IPv6 addresses are counted per /64, the smallest block a single subscriber is usually given, so rotating through
/// one's own prefix does not reset the count. Each table tracks a bounded number of keys; when full, the key with the
/// oldest latest failure is forgotten first.
/// </remarks>
public sealed class AuthFailureLimiter
{
    internal const int DefaultMaxTrackedKeys = 100_000;

    private readonly FailureTable<string> _accounts;
    private readonly FailureTable<IPAddress> _addresses;
    private readonly AuthFailureLimiterOptions _options;
    private readonly TimeProvider _timeProvider;

    public AuthFailureLimiter(AuthFailureLimiterOptions options, TimeProvider timeProvider)
        : this(options, timeProvider, DefaultMaxTrackedKeys)
    {
    }

    internal AuthFailureLimiter(AuthFailureLimiterOptions options, TimeProvider timeProvider, int maxTrackedKeys)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxFailuresPerAccount, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxFailuresPerAddress, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.Window, TimeSpan.Zero, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTrackedKeys, 1);
        _options = options;
        _timeProvider = timeProvider;
        _accounts = new FailureTable<string>(options.MaxFailuresPerAccount, options.Window, maxTrackedKeys, StringComparer.Ordinal);
        _addresses = new FailureTable<IPAddress>(options.MaxFailuresPerAddress, options.Window, maxTrackedKeys, EqualityComparer<IPAddress>.Default);
    }

    internal int TrackedAccounts => _accounts.Count;

    internal int TrackedAddresses => _addresses.Count;

    /// <summary>True when either the account (if known) or the address has used up its failures.</summary>
    public bool IsBlocked(string? username, IPAddress address)
    {
        var now = _timeProvider.GetUtcNow();
        return (username is not null && _accounts.Failures(username, now) >= _options.MaxFailuresPerAccount)
            || _addresses.Failures(AddressKey(address), now) >= _options.MaxFailuresPerAddress;
    }

    public void RecordFailure(string? username, IPAddress address)
    {
        var now = _timeProvider.GetUtcNow();
        if (username is not null)
        {
            _accounts.Add(username, now);
        }

        _addresses.Add(AddressKey(address), now);
    }

    /// <summary>A success clears the account's count (not the address's).</summary>
    public void RecordSuccess(string username)
    {
        ArgumentNullException.ThrowIfNull(username);
        _accounts.Remove(username);
    }

    private static IPAddress AddressKey(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address;
        }

        // The /64 prefix, without scope id.
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes);
    }

    /// <summary>
    /// Recent failure times per key. Keys sit in a list ordered by their latest failure, so expired keys are dropped
    /// from its head in passing and the oldest key is the one to evict when the table is full.
    /// </summary>
    private sealed class FailureTable<TKey>(int limit, TimeSpan window, int maxKeys, IEqualityComparer<TKey> comparer)
        where TKey : notnull
    {
        private readonly Lock _lock = new();
        private readonly Dictionary<TKey, LinkedListNode<Entry>> _entries = new(comparer);
        private readonly LinkedList<Entry> _byLatestFailure = new();

        public int Count
        {
            get
            {
                lock (_lock)
                {
                    return _entries.Count;
                }
            }
        }

        public int Failures(TKey key, DateTimeOffset now)
        {
            lock (_lock)
            {
                PruneExpired(now);
                if (!_entries.TryGetValue(key, out var node))
                {
                    return 0;
                }

                var failures = node.Value.Failures;
                while (failures.Count > 0 && now - failures.Peek() >= window)
                {
                    failures.Dequeue();
                }

                return failures.Count;
            }
        }

        public void Add(TKey key, DateTimeOffset now)
        {
            lock (_lock)
            {
                PruneExpired(now);
                if (_entries.TryGetValue(key, out var node))
                {
                    _byLatestFailure.Remove(node);
                }
                else
                {
                    if (_entries.Count >= maxKeys)
                    {
                        Remove(_byLatestFailure.First!);
                    }

                    node = new LinkedListNode<Entry>(new Entry(key));
                    _entries.Add(key, node);
                }

                var entry = node.Value;
                entry.Latest = now;
                entry.Failures.Enqueue(now);
                // Only whether the limit is reached matters, so older failures beyond it need not be kept.
                if (entry.Failures.Count > limit)
                {
                    entry.Failures.Dequeue();
                }

                _byLatestFailure.AddLast(node);
            }
        }

        public void Remove(TKey key)
        {
            lock (_lock)
            {
                if (_entries.TryGetValue(key, out var node))
                {
                    Remove(node);
                }
            }
        }

        private void PruneExpired(DateTimeOffset now)
        {
            while (_byLatestFailure.First is { } oldest && now - oldest.Value.Latest >= window)
            {
                Remove(oldest);
            }
        }

        private void Remove(LinkedListNode<Entry> node)
        {
            _byLatestFailure.Remove(node);
            _entries.Remove(node.Value.Key);
        }

        private sealed class Entry(TKey key)
        {
            public TKey Key { get; } = key;

            public Queue<DateTimeOffset> Failures { get; } = new();

            public DateTimeOffset Latest { get; set; }
        }
    }
}
