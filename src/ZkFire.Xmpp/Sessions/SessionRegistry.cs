using System.Collections.Concurrent;
using ZkFire.Xmpp.Addressing;

namespace ZkFire.Xmpp.Sessions;

/// <summary>
/// The bound resources of this node, by bare JID. Lookups are lock-free over copy-on-write arrays because
/// every routed stanza reads here while binds and unbinds are rare.
/// </summary>
public sealed class SessionRegistry
{
    private readonly ConcurrentDictionary<Jid, ClientSession[]> byBare = new();
    private int count;

    /// <summary>How many resources are bound.</summary>
    public int Count => Volatile.Read(ref count);

    /// <summary>Every bound resource (a moving snapshot: binds and unbinds during the enumeration may or may not show).</summary>
    public IEnumerable<ClientSession> All() => byBare.Values.SelectMany(sessions => sessions);

    /// <summary>Adds <paramref name="session"/>; returns the session it replaces when the full JID was taken (newest wins).</summary>
    public ClientSession? Bind(ClientSession session)
    {
        ClientSession? replaced = null;
        byBare.AddOrUpdate(
            session.Bare,
            static (_, s) => [s],
            (_, existing, s) =>
            {
                replaced = Array.Find(existing, e => e.Jid == s.Jid);
                return replaced is null ? [.. existing, s] : [.. existing.Where(e => e != replaced), s];
            },
            session);
        if (replaced is null)
        {
            Interlocked.Increment(ref count);
        }

        return replaced;
    }

    /// <summary>Removes the session if it is still the one bound to its JID.</summary>
    public bool Unbind(ClientSession session)
    {
        while (byBare.TryGetValue(session.Bare, out var existing))
        {
            if (Array.IndexOf(existing, session) < 0)
            {
                return false;
            }

            var removed = existing.Length == 1
                ? byBare.TryRemove(new KeyValuePair<Jid, ClientSession[]>(session.Bare, existing))
                : byBare.TryUpdate(session.Bare, [.. existing.Where(e => e != session)], existing);
            if (removed)
            {
                Interlocked.Decrement(ref count);
                return true;
            }
        }

        return false;
    }

    public ClientSession? Find(Jid full)
    {
        if (byBare.TryGetValue(full.Bare, out var sessions))
        {
            // A loop rather than Array.Find: no closure to allocate on every routed stanza.
            foreach (var session in sessions)
            {
                if (session.Jid == full)
                {
                    return session;
                }
            }
        }

        return null;
    }

    /// <summary>Every bound resource of the account; an empty array when none.</summary>
    public ClientSession[] Resources(Jid bare) => byBare.TryGetValue(bare, out var sessions) ? sessions : [];

    public bool IsOnline(Jid bare) => byBare.ContainsKey(bare);
}
