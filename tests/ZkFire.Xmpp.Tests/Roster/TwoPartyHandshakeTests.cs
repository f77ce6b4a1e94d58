using ZkFire.Storage;
using ZkFire.Xmpp.Roster;
using static ZkFire.Xmpp.Roster.SubscriptionRequest;

namespace ZkFire.Xmpp.Tests.Roster;

/// <summary>
/// Two users, each with the other on their roster, exchanging subscription stanzas with no loss and nothing in flight:
/// a sender's outbound transition feeds the recipient's inbound one and any auto-reply comes straight back.
/// </summary>
public class TwoPartyHandshakeTests
{
    private sealed record Pair(SubscriptionState A, SubscriptionState B)
    {
        public static Pair Empty => new(SubscriptionState.None, SubscriptionState.None);

        public override string ToString() => $"A:[{RfcStates.Name(A)}] B:[{RfcStates.Name(B)}]";
    }

    private sealed record Delivery(bool Routed, bool Delivered, SubscriptionRequest? AutoReply);

    /// <summary>Sends <paramref name="request"/> from A to B (or B to A), as both servers would process it.</summary>
    private static (Pair Pair, Delivery Delivery) Send(Pair pair, bool fromA, SubscriptionRequest request)
    {
        var (sender, recipient) = fromA ? (pair.A, pair.B) : (pair.B, pair.A);

        var outbound = SubscriptionStateMachine.Outbound(sender, request);
        sender = outbound.State;
        var delivered = false;
        SubscriptionRequest? autoReply = null;
        if (outbound.Route)
        {
            var inbound = SubscriptionStateMachine.Inbound(recipient, request);
            recipient = inbound.State;
            delivered = inbound.Route;
            autoReply = inbound.AutoReply;
            if (autoReply is { } reply)
            {
                // The recipient's server answers on its user's behalf; it has already applied the state change, so
                // only the sender's server processes the reply (§3.1.3, §3.4).
                sender = SubscriptionStateMachine.Inbound(sender, reply).State;
            }
        }

        var next = fromA ? new Pair(sender, recipient) : new Pair(recipient, sender);
        return (next, new Delivery(outbound.Route, delivered, autoReply));
    }

    private static void AssertConsistent(Pair pair)
    {
        // Each side's view of the one subscription in each direction agrees with the other's (RFC 6121 A.1).
        Assert.True(pair.A.ReceivesPresenceFrom == pair.B.SendsPresenceTo, $"A->B presence disagrees: {pair}");
        Assert.True(pair.B.ReceivesPresenceFrom == pair.A.SendsPresenceTo, $"B->A presence disagrees: {pair}");
        Assert.True(pair.A.PendingOut == pair.B.PendingIn, $"A's request disagrees: {pair}");
        Assert.True(pair.B.PendingOut == pair.A.PendingIn, $"B's request disagrees: {pair}");
    }

    private static Pair Step(Pair pair, bool fromA, SubscriptionRequest request, string expectedA, string expectedB)
    {
        var (next, _) = Send(pair, fromA, request);
        Assert.Equal((expectedA, expectedB), (RfcStates.Name(next.A), RfcStates.Name(next.B)));
        AssertConsistent(next);
        return next;
    }

    [Fact]
    public void Mutual_subscription_then_both_unsubscribe()
    {
        const bool a = true, b = false;
        var p = Pair.Empty;

        p = Step(p, a, Subscribe, "None + Pending Out", "None + Pending In");
        p = Step(p, b, Subscribed, "To", "From");
        p = Step(p, b, Subscribe, "To + Pending In", "From + Pending Out");
        p = Step(p, a, Subscribed, "Both", "Both");
        Assert.Equal(Subscription.Both, p.A.Subscription);
        Assert.Equal(Subscription.Both, p.B.Subscription);

        p = Step(p, a, Unsubscribe, "From", "To");
        p = Step(p, b, Unsubscribe, "None", "None");
        Assert.Equal(Pair.Empty, p);
    }

    [Fact]
    public void Revoking_and_denying_subscriptions()
    {
        const bool a = true, b = false;
        var p = Pair.Empty;
        p = Step(p, a, Subscribe, "None + Pending Out", "None + Pending In");
        p = Step(p, b, Subscribed, "To", "From");
        p = Step(p, b, Subscribe, "To + Pending In", "From + Pending Out");

        // A denies B's request, then B revokes A's subscription (§3.2).
        p = Step(p, a, Unsubscribed, "To", "From");
        p = Step(p, b, Unsubscribed, "None", "None");
        Assert.Equal(Pair.Empty, p);

        // A withdraws a request B has not answered yet (§3.3 on a pending subscription).
        p = Step(p, a, Subscribe, "None + Pending Out", "None + Pending In");
        p = Step(p, a, Unsubscribe, "None", "None");
    }

    [Fact]
    public void Crossing_requests_end_in_both()
    {
        const bool a = true, b = false;
        var p = Pair.Empty;

        p = Step(p, a, Subscribe, "None + Pending Out", "None + Pending In");
        p = Step(p, b, Subscribe, "None + Pending Out/In", "None + Pending Out/In");
        p = Step(p, b, Subscribed, "To + Pending In", "From + Pending Out");
        p = Step(p, a, Subscribed, "Both", "Both");
    }

    [Fact]
    public void Pre_approved_request_completes_without_bothering_the_contact()
    {
        const bool a = true, b = false;
        var p = Pair.Empty;

        // B pre-approves A; nothing goes on the wire, so A's roster is untouched.
        p = Step(p, b, Subscribed, "None", "None + Approved");

        var (next, delivery) = Send(p, a, Subscribe);
        Assert.Equal(new Delivery(Routed: true, Delivered: false, AutoReply: Subscribed), delivery);
        Assert.Equal(("To", "From"), (RfcStates.Name(next.A), RfcStates.Name(next.B)));
        AssertConsistent(next);
    }

    [Fact]
    public void Resending_subscribe_after_the_servers_agree_is_answered_automatically()
    {
        const bool a = true, b = false;
        var p = Pair.Empty;
        p = Step(p, a, Subscribe, "None + Pending Out", "None + Pending In");
        p = Step(p, b, Subscribed, "To", "From");

        var (next, delivery) = Send(p, a, Subscribe);

        Assert.Equal(new Delivery(Routed: true, Delivered: false, AutoReply: Subscribed), delivery);
        Assert.Equal(p, next);
    }

    [Fact]
    public void Every_reachable_pair_of_rosters_is_consistent()
    {
        // Breadth-first over every interleaving of every stanza either user can send: the two rosters never
        // disagree, whatever order things happen in.
        var reached = new HashSet<Pair> { Pair.Empty };
        var frontier = new Queue<Pair>(reached);
        while (frontier.TryDequeue(out var pair))
        {
            AssertConsistent(pair);
            foreach (var fromA in new[] { true, false })
            {
                foreach (var request in Enum.GetValues<SubscriptionRequest>())
                {
                    var (next, _) = Send(pair, fromA, request);
                    if (reached.Add(next))
                    {
                        frontier.Enqueue(next);
                    }
                }
            }
        }

        // Sanity check that the search explored the whole space (each side sees all twelve states).
        Assert.Equal(RfcStates.All.Length, reached.Select(p => p.A).Distinct().Count());
    }
}
