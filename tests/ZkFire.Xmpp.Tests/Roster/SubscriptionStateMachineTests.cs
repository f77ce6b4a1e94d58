using ZkFire.Storage;
using ZkFire.Xmpp.Roster;
using static ZkFire.Xmpp.Roster.SubscriptionRequest;

namespace ZkFire.Xmpp.Tests.Roster;

public class SubscriptionStateMachineTests
{
    private const string Same = "no state change";

    // RFC 6121 A.2, one row per (existing state, stanza the user sends); "route" is A.2's ROUTE? column.
    // The "+ Approved" rows are §3.4: outbound "subscribed" records the pre-approval, outbound "unsubscribed" withdraws
    // it (A.2 "unsubscribed" footnote), and "subscribe"/"unsubscribe" leave it alone.
    [Theory]
    // subscribe: always routed (§3.1.2)
    [InlineData("None", Subscribe, "None + Pending Out", true)]
    [InlineData("None + Pending Out", Subscribe, Same, true)]
    [InlineData("None + Pending In", Subscribe, "None + Pending Out/In", true)]
    [InlineData("None + Pending Out/In", Subscribe, Same, true)]
    [InlineData("To", Subscribe, Same, true)]
    [InlineData("To + Pending In", Subscribe, Same, true)]
    [InlineData("From", Subscribe, "From + Pending Out", true)]
    [InlineData("From + Pending Out", Subscribe, Same, true)]
    [InlineData("Both", Subscribe, Same, true)]
    [InlineData("None + Approved", Subscribe, "None + Pending Out + Approved", true)]
    [InlineData("None + Pending Out + Approved", Subscribe, Same, true)]
    [InlineData("To + Approved", Subscribe, Same, true)]
    // unsubscribe: always routed (§3.3.2)
    [InlineData("None", Unsubscribe, Same, true)]
    [InlineData("None + Pending Out", Unsubscribe, "None", true)]
    [InlineData("None + Pending In", Unsubscribe, Same, true)]
    [InlineData("None + Pending Out/In", Unsubscribe, "None + Pending In", true)]
    [InlineData("To", Unsubscribe, "None", true)]
    [InlineData("To + Pending In", Unsubscribe, "None + Pending In", true)]
    [InlineData("From", Unsubscribe, Same, true)]
    [InlineData("From + Pending Out", Unsubscribe, "From", true)]
    [InlineData("Both", Unsubscribe, "From", true)]
    [InlineData("None + Approved", Unsubscribe, Same, true)]
    [InlineData("None + Pending Out + Approved", Unsubscribe, "None + Approved", true)]
    [InlineData("To + Approved", Unsubscribe, "None + Approved", true)]
    // subscribed: approval when Pending In (§3.1.5), ignored with From (§3.4), otherwise pre-approval (§3.4)
    [InlineData("None", Subscribed, "None + Approved", false)]
    [InlineData("None + Pending Out", Subscribed, "None + Pending Out + Approved", false)]
    [InlineData("None + Pending In", Subscribed, "From", true)]
    [InlineData("None + Pending Out/In", Subscribed, "From + Pending Out", true)]
    [InlineData("To", Subscribed, "To + Approved", false)]
    [InlineData("To + Pending In", Subscribed, "Both", true)]
    [InlineData("From", Subscribed, Same, false)]
    [InlineData("From + Pending Out", Subscribed, Same, false)]
    [InlineData("Both", Subscribed, Same, false)]
    [InlineData("None + Approved", Subscribed, Same, false)]
    [InlineData("None + Pending Out + Approved", Subscribed, Same, false)]
    [InlineData("To + Approved", Subscribed, Same, false)]
    // unsubscribed: routed only when it removes From or denies Pending In (§3.2.2)
    [InlineData("None", Unsubscribed, Same, false)]
    [InlineData("None + Pending Out", Unsubscribed, Same, false)]
    [InlineData("None + Pending In", Unsubscribed, "None", true)]
    [InlineData("None + Pending Out/In", Unsubscribed, "None + Pending Out", true)]
    [InlineData("To", Unsubscribed, Same, false)]
    [InlineData("To + Pending In", Unsubscribed, "To", true)]
    [InlineData("From", Unsubscribed, "None", true)]
    [InlineData("From + Pending Out", Unsubscribed, "None + Pending Out", true)]
    [InlineData("Both", Unsubscribed, "To", true)]
    [InlineData("None + Approved", Unsubscribed, "None", false)]
    [InlineData("None + Pending Out + Approved", Unsubscribed, "None + Pending Out", false)]
    [InlineData("To + Approved", Unsubscribed, "To", false)]
    public void Outbound_follows_RFC6121_A2(string existing, SubscriptionRequest request, string expected, bool route)
    {
        var before = RfcStates.Parse(existing);
        var after = expected == Same ? before : RfcStates.Parse(expected);

        var t = SubscriptionStateMachine.Outbound(before, request);

        Assert.Equal(RfcStates.Name(after), RfcStates.Name(t.State));
        Assert.Equal(after, t.State);
        Assert.Equal(expected != Same, t.Changed);
        Assert.Equal(route, t.Route);
        // Outbound stanzas come from the user; the server never answers the user on the contact's behalf.
        Assert.Null(t.AutoReply);
    }

    // RFC 6121 A.3, one row per (existing state, stanza the contact sends); "deliver" is A.3's DELIVER? column and
    // "autoReply" is the footnoted auto-reply of A.3 "subscribe" (§3.1.3) and §3.4's pre-approved auto-approval.
    [Theory]
    // subscribe (§3.1.3, §3.4)
    [InlineData("None", Subscribe, "None + Pending In", true, null)]
    [InlineData("None + Pending Out", Subscribe, "None + Pending Out/In", true, null)]
    [InlineData("None + Pending In", Subscribe, Same, false, null)]
    [InlineData("None + Pending Out/In", Subscribe, Same, false, null)]
    [InlineData("To", Subscribe, "To + Pending In", true, null)]
    [InlineData("To + Pending In", Subscribe, Same, false, null)]
    [InlineData("From", Subscribe, Same, false, Subscribed)]
    [InlineData("From + Pending Out", Subscribe, Same, false, Subscribed)]
    [InlineData("Both", Subscribe, Same, false, Subscribed)]
    [InlineData("None + Approved", Subscribe, "From", false, Subscribed)]
    [InlineData("None + Pending Out + Approved", Subscribe, "From + Pending Out", false, Subscribed)]
    [InlineData("To + Approved", Subscribe, "Both", false, Subscribed)]
    // unsubscribe (§3.3.3)
    [InlineData("None", Unsubscribe, Same, false, null)]
    [InlineData("None + Pending Out", Unsubscribe, Same, false, null)]
    [InlineData("None + Pending In", Unsubscribe, "None", true, null)]
    [InlineData("None + Pending Out/In", Unsubscribe, "None + Pending Out", true, null)]
    [InlineData("To", Unsubscribe, Same, false, null)]
    [InlineData("To + Pending In", Unsubscribe, "To", true, null)]
    [InlineData("From", Unsubscribe, "None", true, null)]
    [InlineData("From + Pending Out", Unsubscribe, "None + Pending Out", true, null)]
    [InlineData("Both", Unsubscribe, "To", true, null)]
    [InlineData("None + Approved", Unsubscribe, Same, false, null)]
    [InlineData("None + Pending Out + Approved", Unsubscribe, Same, false, null)]
    [InlineData("To + Approved", Unsubscribe, Same, false, null)]
    // subscribed (§3.1.6)
    [InlineData("None", Subscribed, Same, false, null)]
    [InlineData("None + Pending Out", Subscribed, "To", true, null)]
    [InlineData("None + Pending In", Subscribed, Same, false, null)]
    [InlineData("None + Pending Out/In", Subscribed, "To + Pending In", true, null)]
    [InlineData("To", Subscribed, Same, false, null)]
    [InlineData("To + Pending In", Subscribed, Same, false, null)]
    [InlineData("From", Subscribed, Same, false, null)]
    [InlineData("From + Pending Out", Subscribed, "Both", true, null)]
    [InlineData("Both", Subscribed, Same, false, null)]
    [InlineData("None + Approved", Subscribed, Same, false, null)]
    [InlineData("None + Pending Out + Approved", Subscribed, "To + Approved", true, null)]
    [InlineData("To + Approved", Subscribed, Same, false, null)]
    // unsubscribed (§3.2.3)
    [InlineData("None", Unsubscribed, Same, false, null)]
    [InlineData("None + Pending Out", Unsubscribed, "None", true, null)]
    [InlineData("None + Pending In", Unsubscribed, Same, false, null)]
    [InlineData("None + Pending Out/In", Unsubscribed, "None + Pending In", true, null)]
    [InlineData("To", Unsubscribed, "None", true, null)]
    [InlineData("To + Pending In", Unsubscribed, "None + Pending In", true, null)]
    [InlineData("From", Unsubscribed, Same, false, null)]
    [InlineData("From + Pending Out", Unsubscribed, "From", true, null)]
    [InlineData("Both", Unsubscribed, "From", true, null)]
    [InlineData("None + Approved", Unsubscribed, Same, false, null)]
    [InlineData("None + Pending Out + Approved", Unsubscribed, "None + Approved", true, null)]
    [InlineData("To + Approved", Unsubscribed, "None + Approved", true, null)]
    public void Inbound_follows_RFC6121_A3(string existing, SubscriptionRequest request, string expected, bool deliver, SubscriptionRequest? autoReply)
    {
        var before = RfcStates.Parse(existing);
        var after = expected == Same ? before : RfcStates.Parse(expected);

        var t = SubscriptionStateMachine.Inbound(before, request);

        Assert.Equal(RfcStates.Name(after), RfcStates.Name(t.State));
        Assert.Equal(after, t.State);
        Assert.Equal(expected != Same, t.Changed);
        Assert.Equal(deliver, t.Route);
        Assert.Equal(autoReply, t.AutoReply);
    }

    [Fact]
    public void Tables_cover_every_reachable_state_and_nothing_else()
    {
        // Closure of both machines from "None": every state reachable by any sequence of stanzas either way is one
        // of the twelve the theories enumerate (so the theories are exhaustive), and each of those is reachable.
        var reached = new HashSet<SubscriptionState> { SubscriptionState.None };
        var frontier = new Queue<SubscriptionState>(reached);
        while (frontier.TryDequeue(out var state))
        {
            foreach (var request in Enum.GetValues<SubscriptionRequest>())
            {
                foreach (var next in new[] { SubscriptionStateMachine.Outbound(state, request).State, SubscriptionStateMachine.Inbound(state, request).State })
                {
                    if (reached.Add(next))
                    {
                        frontier.Enqueue(next);
                    }
                }
            }
        }

        Assert.Equal(RfcStates.All.Select(RfcStates.Parse).ToHashSet(), reached);
    }

    [Fact]
    public void Pre_approval_is_recorded_silently_and_consumed_by_the_next_request()
    {
        // §3.4: the user pre-approves a contact not yet on the roster (a new item starts in "None").
        var preApprove = SubscriptionStateMachine.Outbound(SubscriptionState.None, Subscribed);
        Assert.Equal(new SubscriptionTransition(RfcStates.Parse("None + Approved"), Changed: true, Route: false, AutoReply: null), preApprove);

        // The contact's request is answered by the server and never shown to the user.
        var request = SubscriptionStateMachine.Inbound(preApprove.State, Subscribe);
        Assert.Equal(new SubscriptionTransition(RfcStates.Parse("From"), Changed: true, Route: false, AutoReply: Subscribed), request);

        // The pre-approval was single use: after the contact unsubscribes, a new request reaches the user again.
        var unsubscribe = SubscriptionStateMachine.Inbound(request.State, Unsubscribe);
        Assert.Equal(SubscriptionState.None, unsubscribe.State);
        var again = SubscriptionStateMachine.Inbound(unsubscribe.State, Subscribe);
        Assert.Equal(new SubscriptionTransition(RfcStates.Parse("None + Pending In"), Changed: true, Route: true, AutoReply: null), again);
    }

    [Fact]
    public void Pre_approval_can_be_withdrawn_without_telling_the_contact()
    {
        var approved = SubscriptionStateMachine.Outbound(RfcStates.Parse("To"), Subscribed).State;

        var withdraw = SubscriptionStateMachine.Outbound(approved, Unsubscribed);

        Assert.Equal(new SubscriptionTransition(RfcStates.Parse("To"), Changed: true, Route: false, AutoReply: null), withdraw);
        Assert.True(SubscriptionStateMachine.Inbound(withdraw.State, Subscribe).Route);
    }

    [Fact]
    public void Pre_approval_survives_the_users_own_subscription_traffic()
    {
        var approved = RfcStates.Parse("None + Approved");

        var subscribed = SubscriptionStateMachine.Inbound(SubscriptionStateMachine.Outbound(approved, Subscribe).State, Subscribed).State;

        Assert.Equal(RfcStates.Parse("To + Approved"), subscribed);
        Assert.Equal(RfcStates.Parse("Both"), SubscriptionStateMachine.Inbound(subscribed, Subscribe).State);
    }

    [Fact]
    public void A_subscription_request_is_answered_by_the_server_when_the_contact_is_already_subscribed()
    {
        // §3.1.3: the contact's server lost the subscription (or the contact resent); the user is not asked again.
        var t = SubscriptionStateMachine.Inbound(RfcStates.Parse("Both"), Subscribe);

        Assert.Equal(Subscribed, t.AutoReply);
        Assert.False(t.Route);
        Assert.False(t.Changed);
    }

    [Theory]
    [InlineData(Subscription.None, false, false)]
    [InlineData(Subscription.To, false, true)]
    [InlineData(Subscription.From, true, false)]
    [InlineData(Subscription.Both, true, true)]
    public void Presence_flows_follow_the_subscription(Subscription subscription, bool sendsTo, bool receivesFrom)
    {
        var state = new SubscriptionState(subscription, PendingOut: true, PendingIn: true, PreApproved: true);

        Assert.Equal(sendsTo, state.SendsPresenceTo);
        Assert.Equal(receivesFrom, state.ReceivesPresenceFrom);
    }

    [Fact]
    public void Unknown_requests_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SubscriptionStateMachine.Outbound(SubscriptionState.None, (SubscriptionRequest)42));
        Assert.Throws<ArgumentOutOfRangeException>(() => SubscriptionStateMachine.Inbound(SubscriptionState.None, (SubscriptionRequest)42));
    }
}
