using System.Collections.Concurrent;
using ZkFire.Xmpp.Addressing;

namespace ZkFire.Cluster.Routing;

/// <summary>
/// The sessions other nodes own, by bare JID for routing and by node for replacing or purging a node's share.
/// Reads are lock-free over copy-on-write arrays (every routed stanza reads here); writes come from the one loop that
/// applies what peers send, and take a lock only to keep the two indexes in step.
/// </summary>
internal sealed class RoutingTable
{
    private readonly ConcurrentDictionary<Jid, RemoteRoute[]> byBare = new();
    private readonly Dictionary<string, Dictionary<Jid, RemoteRoute>> byNode = new(StringComparer.Ordinal);
    private readonly Lock gate = new();

    public int Count
    {
        get
        {
            lock (gate)
            {
                return byNode.Values.Sum(routes => routes.Count);
            }
        }
    }

    public RemoteRoute[] Resources(Jid bare) => byBare.TryGetValue(bare, out var routes) ? routes : [];

    /// <summary>The route of <paramref name="full"/>; when several nodes claim it (a conflict being resolved), the newest bind.</summary>
    public RemoteRoute? Find(Jid full)
    {
        RemoteRoute? found = null;
        foreach (var route in Resources(full.Bare))
        {
            if (route.Jid == full && (found is null || route.IsNewerThan(found.Stamp, found.NodeId)))
            {
                found = route;
            }
        }

        return found;
    }

    /// <summary>Adds or replaces the node's route for the route's full JID.</summary>
    public void Upsert(RemoteRoute route)
    {
        lock (gate)
        {
            if (!byNode.TryGetValue(route.NodeId, out var routes))
            {
                byNode[route.NodeId] = routes = [];
            }

            routes[route.Jid] = route;
            Replace(route.Jid.Bare, existing => [.. existing.Where(r => !SameSlot(r, route)), route]);
        }
    }

    /// <summary>Removes the node's route for <paramref name="full"/> unless it belongs to a newer bind than <paramref name="stamp"/>.</summary>
    public RemoteRoute? Remove(string nodeId, Jid full, long stamp)
    {
        lock (gate)
        {
            if (!byNode.TryGetValue(nodeId, out var routes) || !routes.TryGetValue(full, out var route) || route.Stamp > stamp)
            {
                return null;
            }

            routes.Remove(full);
            Replace(full.Bare, existing => [.. existing.Where(r => r != route)]);
            return route;
        }
    }

    /// <summary>Makes <paramref name="routes"/> the node's whole share; returns the routes it had that are not in it.</summary>
    public List<RemoteRoute> ReplaceNode(string nodeId, IReadOnlyCollection<RemoteRoute> routes)
    {
        lock (gate)
        {
            var gone = RemoveNodeLocked(nodeId);
            var now = new Dictionary<Jid, RemoteRoute>();
            foreach (var route in routes)
            {
                now[route.Jid] = route;
                Replace(route.Jid.Bare, existing => [.. existing, route]);
            }

            byNode[nodeId] = now;
            gone.RemoveAll(old => now.TryGetValue(old.Jid, out var kept) && kept.Stamp == old.Stamp);
            return gone;
        }
    }

    /// <summary>Forgets every route of the node; returns them.</summary>
    public List<RemoteRoute> RemoveNode(string nodeId)
    {
        lock (gate)
        {
            return RemoveNodeLocked(nodeId);
        }
    }

    private List<RemoteRoute> RemoveNodeLocked(string nodeId)
    {
        if (!byNode.Remove(nodeId, out var routes))
        {
            return [];
        }

        foreach (var group in routes.Values.GroupBy(r => r.Jid.Bare))
        {
            Replace(group.Key, existing => [.. existing.Where(r => r.NodeId != nodeId)]);
        }

        return [.. routes.Values];
    }

    private static bool SameSlot(RemoteRoute a, RemoteRoute b) => a.NodeId == b.NodeId && a.Jid == b.Jid;

    /// <summary>Rewrites one bare JID's array; only called under the lock, so plain reads and writes suffice.</summary>
    private void Replace(Jid bare, Func<RemoteRoute[], RemoteRoute[]> change)
    {
        var next = change(Resources(bare));
        if (next.Length == 0)
        {
            byBare.TryRemove(bare, out _);
        }
        else
        {
            byBare[bare] = next;
        }
    }
}
