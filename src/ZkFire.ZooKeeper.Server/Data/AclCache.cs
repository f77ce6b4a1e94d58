using ZkFire.Jute;

namespace ZkFire.ZooKeeper.Server.Data;

/// <summary>
/// One shared instance per distinct ACL list, counted by the znodes using it (ZooKeeper's
/// ReferenceCountedACLCache): a million znodes under world:anyone hold one list, and a list no znode uses any more
/// is forgotten. Keyed by content, so no ids need to be kept consistent with snapshots. Used by the tree's
/// writer thread only.
/// </summary>
internal sealed class AclCache
{
    private readonly Dictionary<IReadOnlyList<Acl>, Entry> _entries = new(ContentComparer.Instance);

    public int Count => _entries.Count;

    /// <summary>The shared list equal to <paramref name="acl"/>, counting one more user of it.</summary>
    public IReadOnlyList<Acl> Acquire(IReadOnlyList<Acl> acl)
    {
        if (!_entries.TryGetValue(acl, out var entry))
        {
            // Our own copy: the caller's list (a txn's array) must not be able to change a stored ACL.
            Acl[] copy = [.. acl];
            entry = new Entry(copy);
            _entries.Add(copy, entry);
        }

        entry.Users++;
        return entry.Acl;
    }

    public void Release(IReadOnlyList<Acl> acl)
    {
        if (_entries.TryGetValue(acl, out var entry) && --entry.Users == 0)
        {
            _entries.Remove(acl);
        }
    }

    private sealed class Entry(IReadOnlyList<Acl> acl)
    {
        public IReadOnlyList<Acl> Acl { get; } = acl;

        public int Users { get; set; }
    }

    private sealed class ContentComparer : IEqualityComparer<IReadOnlyList<Acl>>
    {
        public static ContentComparer Instance { get; } = new();

        public bool Equals(IReadOnlyList<Acl>? x, IReadOnlyList<Acl>? y) =>
            ReferenceEquals(x, y) || (x is not null && y is not null && x.SequenceEqual(y));

        public int GetHashCode(IReadOnlyList<Acl> obj)
        {
            var hash = new HashCode();
            foreach (var acl in obj)
            {
                hash.Add(acl);
            }

            return hash.ToHashCode();
        }
    }
}
