using Google.Protobuf;
using ZkFire.ZooKeeper.Server.Quorum.Messages;
using ZkFire.ZooKeeper.Server.Quorum.Transport;

namespace ZkFire.ZooKeeper.Server.Tests.Quorum.Simulation;

/// <summary>
/// An in-memory network between the members of an in-process ensemble, with seeded faults: election messages are
/// dropped, delayed and reordered; links are FIFO and reliable until they break, and may stall; partitions cut
/// members apart until healed. Every message crosses as bytes (protobuf), so no object is shared between members.
/// </summary>
/// <remarks>
/// Each member draws its faults from its own random source, derived from the seed, its id and how often it has
/// joined, so that a seed replays the same fault decisions for each member's n-th message. Thread timing is not
/// deterministic, so a replay can still interleave differently.
/// </remarks>
internal sealed class SimulatedNetwork
{
    private readonly Lock gate = new();
    private readonly Dictionary<long, SimulatedTransport> members = [];
    private readonly Dictionary<long, int> incarnations = [];
    private readonly HashSet<(long From, long To)> cuts = [];
    private readonly HashSet<long> isolated = [];
    private readonly HashSet<SimulatedConnection> connections = [];
    private TaskCompletionSource healed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private NetworkFaults faults;
    private long electionDelivered;
    private long electionDropped;
    private long electionDelayed;
    private long linksBroken;
    private long connectsRefused;

    public SimulatedNetwork(int seed, NetworkFaults? faults = null, int linkCapacity = 64)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(linkCapacity, 1);
        Seed = seed;
        this.faults = faults ?? NetworkFaults.None;
        LinkCapacity = linkCapacity;
    }

    public int Seed { get; }

    /// <summary>Messages a link buffers (in flight or unread) before its sender waits.</summary>
    public int LinkCapacity { get; }

    /// <summary>The faults applied from now on (a run turns them off to let the ensemble settle).</summary>
    public NetworkFaults Faults
    {
        get => Volatile.Read(ref faults);
        set => Volatile.Write(ref faults, value ?? NetworkFaults.None);
    }

    public long ElectionDelivered => Interlocked.Read(ref electionDelivered);

    public long ElectionDropped => Interlocked.Read(ref electionDropped);

    public long ElectionDelayed => Interlocked.Read(ref electionDelayed);

    public long LinksBroken => Interlocked.Read(ref linksBroken);

    public long ConnectsRefused => Interlocked.Read(ref connectsRefused);

    /// <summary>
    /// The transport of member <paramref name="memberId"/>. A member that restarts joins again; its previous
    /// transport is dead from then on (its links break, nothing reaches it).
    /// </summary>
    public IQuorumTransport Join(long memberId)
    {
        SimulatedTransport? previous;
        SimulatedTransport transport;
        lock (gate)
        {
            var incarnation = incarnations.GetValueOrDefault(memberId) + 1;
            incarnations[memberId] = incarnation;
            members.TryGetValue(memberId, out previous);
            transport = new SimulatedTransport(this, memberId, new SeededRandom(DeriveSeed(Seed, memberId, incarnation)));
            members[memberId] = transport;
        }

        previous?.Kill();
        return transport;
    }

    /// <summary>
    /// The member's transport dies as in a crash: its links break and nothing reaches it or leaves it, but its
    /// inboxes stay open (the member's own loops see silence, not an error) until it is disposed.
    /// </summary>
    public void Crash(long memberId)
    {
        SimulatedTransport? transport;
        lock (gate)
        {
            members.TryGetValue(memberId, out transport);
        }

        transport?.Kill();
    }

    /// <summary>
    /// Cuts every path between the two sides, both ways, until <see cref="Heal"/>. Links across the cut break at once
    /// (as if each end got a reset); with <paramref name="breakLinks"/> false they go silent instead, as in a real
    /// partition: what is sent waits (until the buffer is full) and arrives only after the heal, so members notice
    /// only by their own timeouts.
    /// </summary>
    public void Partition(IEnumerable<long> sideA, IEnumerable<long> sideB, bool breakLinks = true)
    {
        var b = sideB.ToList();
        lock (gate)
        {
            foreach (var a in sideA)
            {
                foreach (var other in b)
                {
                    cuts.Add((a, other));
                    cuts.Add((other, a));
                }
            }
        }

        Changed(breakLinks);
    }

    /// <summary>
    /// Messages from <paramref name="from"/> to <paramref name="to"/> are lost until <see cref="Heal"/>; the other
    /// way still carries election messages. Links between the two break (TCP needs both ways) or, with
    /// <paramref name="breakLinks"/> false, stall one way.
    /// </summary>
    public void Cut(long from, long to, bool breakLinks = true)
    {
        lock (gate)
        {
            cuts.Add((from, to));
        }

        Changed(breakLinks);
    }

    /// <summary>
    /// Cuts the member off from every other, including members that join later, until <see cref="Heal"/>; its links
    /// break or, with <paramref name="breakLinks"/> false, go silent.
    /// </summary>
    public void Isolate(long memberId, bool breakLinks = true)
    {
        lock (gate)
        {
            isolated.Add(memberId);
        }

        Changed(breakLinks);
    }

    /// <summary>Removes every cut and isolation; broken links stay broken (members reconnect), silent ones resume.</summary>
    public void Heal()
    {
        TaskCompletionSource previous;
        lock (gate)
        {
            cuts.Clear();
            isolated.Clear();
            previous = healed;
            healed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        previous.TrySetResult();
    }

    /// <summary>Breaks every link between the two members; returns how many broke.</summary>
    public int BreakLinks(long a, long b) => BreakWhere(c => c.Joins(a, b));

    /// <summary>Breaks every link of the member; returns how many broke.</summary>
    public int BreakLinks(long memberId) => BreakWhere(c => c.Touches(memberId));

    /// <summary>The pairs of members (connector, acceptor) with an open link, one entry per link.</summary>
    public IReadOnlyList<(long Connector, long Acceptor)> OpenLinks()
    {
        lock (gate)
        {
            return [.. connections.Select(c => (c.Connector.MemberId, c.Acceptor.MemberId))];
        }
    }

    public override string ToString() =>
        $"seed {Seed}: election delivered {ElectionDelivered}, dropped {ElectionDropped}, delayed {ElectionDelayed}; " +
        $"links broken {LinksBroken}; connects refused {ConnectsRefused}";

    internal void SendElection(SimulatedTransport from, long to, Notification notification)
    {
        if (!from.IsAlive)
        {
            return;
        }

        // Serialized here, parsed on delivery: the receiver gets its own object, as over a socket.
        var bytes = new QuorumMessage { Notification = notification }.ToByteArray();
        var current = Faults;
        if (from.Random.Chance(current.ElectionDrop))
        {
            Interlocked.Increment(ref electionDropped);
            return;
        }

        if (from.Random.Chance(current.ElectionDelay))
        {
            Interlocked.Increment(ref electionDelayed);
            _ = DeliverLaterAsync(from.MemberId, to, bytes, from.Random.Delay(current.MaxElectionDelay));
            return;
        }

        Deliver(from.MemberId, to, bytes);
    }

    internal IPeerLink Connect(SimulatedTransport from, long to)
    {
        SimulatedConnection connection;
        lock (gate)
        {
            if (!from.IsAlive
                || !members.TryGetValue(to, out var acceptor)
                || !acceptor.IsListening
                || !CanReach(from.MemberId, to)
                || !CanReach(to, from.MemberId))
            {
                Interlocked.Increment(ref connectsRefused);
                throw new IOException($"Member {from.MemberId} cannot reach member {to}'s quorum port.");
            }

            connection = new SimulatedConnection(this, from, acceptor);
            connections.Add(connection);
        }

        if (!connection.Acceptor.Offer(connection.AcceptorEnd))
        {
            // The acceptor died between the check and the offer.
            connection.Break();
            throw new IOException($"Member {to} closed its quorum port.");
        }

        return connection.ConnectorEnd;
    }

    /// <summary>A link breaks by fault, partition or on request (not when an end closes it).</summary>
    internal void Broke(SimulatedConnection connection)
    {
        Interlocked.Increment(ref linksBroken);
        Closed(connection);
    }

    internal void Closed(SimulatedConnection connection)
    {
        lock (gate)
        {
            connections.Remove(connection);
        }
    }

    /// <summary>Waits while the path from one member to another is cut (a silent partition holds link messages).</summary>
    internal async ValueTask WaitReachableAsync(long from, long to, Task broken, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task heal;
            lock (gate)
            {
                if (CanReach(from, to))
                {
                    return;
                }

                heal = healed.Task;
            }

            await Task.WhenAny(heal, broken, Task.Delay(Timeout.Infinite, cancellationToken)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            if (broken.IsCompleted)
            {
                return;
            }
        }
    }

    internal void Died(SimulatedTransport transport) => BreakWhere(c => c.Connector == transport || c.Acceptor == transport);

    private void Deliver(long from, long to, byte[] bytes)
    {
        SimulatedTransport? target;
        lock (gate)
        {
            // Checked on delivery too: a message in flight when a partition starts is lost with it.
            if (!members.TryGetValue(to, out target) || !CanReach(from, to))
            {
                target = null;
            }
        }

        if (target is not null && target.DeliverElection(new ElectionEnvelope(from, QuorumMessage.Parser.ParseFrom(bytes).Notification)))
        {
            Interlocked.Increment(ref electionDelivered);
        }
        else
        {
            Interlocked.Increment(ref electionDropped);
        }
    }

    private async Task DeliverLaterAsync(long from, long to, byte[] bytes, TimeSpan delay)
    {
        await Task.Delay(delay).ConfigureAwait(false);
        Deliver(from, to, bytes);
    }

    private bool CanReach(long from, long to) =>
        from != to && !isolated.Contains(from) && !isolated.Contains(to) && !cuts.Contains((from, to));

    private void Changed(bool breakLinks)
    {
        if (breakLinks)
        {
            BreakWhere(c => !CanReach(c.Connector.MemberId, c.Acceptor.MemberId) || !CanReach(c.Acceptor.MemberId, c.Connector.MemberId));
        }
    }

    private int BreakWhere(Func<SimulatedConnection, bool> predicate)
    {
        List<SimulatedConnection> doomed;
        lock (gate)
        {
            doomed = [.. connections.Where(predicate)];
        }

        foreach (var connection in doomed)
        {
            connection.Break();
        }

        return doomed.Count;
    }

    /// <summary>SplitMix64 over the three numbers: stable across processes, unlike <see cref="HashCode"/>.</summary>
    private static int DeriveSeed(int seed, long memberId, int incarnation)
    {
        var x = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL ^ (ulong)memberId * 0xBF58476D1CE4E5B9UL ^ (ulong)incarnation * 0x94D049BB133111EBUL);
        x = unchecked((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL);
        x = unchecked((x ^ (x >> 27)) * 0x94D049BB133111EBUL);
        return (int)(x ^ (x >> 31));
    }
}
