using ZkFire.Storage;

namespace ZkFire.Xmpp.Roster;

public enum SubscriptionRequest
{
    Subscribe,
    Subscribed,
    Unsubscribe,
    Unsubscribed,
}

/// <summary>The subscription state of one roster item as in RFC 6121 Appendix A (plus §3.4 pre-approval).</summary>
public readonly record struct SubscriptionState(Subscription Subscription, bool PendingOut, bool PendingIn, bool PreApproved)
{
    public static SubscriptionState None => default;

    /// <summary>
    /// The contact is subscribed to the user's presence ("from" or "both"): the user's presence broadcasts go to the
    /// contact (RFC 6121 §4.2.2, §4.4.2).
    /// </summary>
    public bool SendsPresenceTo => Subscription is Subscription.From or Subscription.Both;

    /// <summary>
    /// The user is subscribed to the contact's presence ("to" or "both"): the server probes the contact on the user's
    /// behalf when the user comes online (RFC 6121 §4.2.2, §4.3).
    /// </summary>
    public bool ReceivesPresenceFrom => Subscription is Subscription.To or Subscription.Both;

    internal SubscriptionState WithSubscription(bool to, bool from) => this with
    {
        Subscription = (to, from) switch
        {
            (false, false) => Subscription.None,
            (true, false) => Subscription.To,
            (false, true) => Subscription.From,
            (true, true) => Subscription.Both,
        },
    };
}

/// <summary>
/// What a presence subscription stanza does. <see cref="Changed"/>: the item's state changed (store it and push it).
/// <see cref="Route"/>: for outbound, send the stanza on to the contact; for inbound, deliver it to the user.
/// <see cref="AutoReply"/>: the server answers the sender itself on the user's behalf (e.g. <c>subscribed</c> to a
/// <c>subscribe</c> from a contact who already has, or was pre-approved for, a subscription).
/// </summary>
public readonly record struct SubscriptionTransition(SubscriptionState State, bool Changed, bool Route, SubscriptionRequest? AutoReply);

/// <summary>The tables of RFC 6121 Appendix A, as pure functions.</summary>
/// <remarks>
/// The only reachable states are the nine of A.1 plus "approved" on "None", "None + Pending Out" and "To" (§3.4: the
/// only states in which a <c>subscribed</c> records a pre-approval, and any state gaining From drops it). Removing
/// "from" (outbound <c>unsubscribed</c>, inbound <c>unsubscribe</c>) obliges the presence layer to send the contact
/// unavailable presence (§3.2.2, §3.3.3); that is visible as <see cref="SubscriptionState.SendsPresenceTo"/> going
/// false together with <see cref="SubscriptionTransition.Changed"/>.
/// </remarks>
public static class SubscriptionStateMachine
{
    /// <summary>The user sends <paramref name="request"/> to a contact whose item is in <paramref name="state"/> (A.2 / A.4).</summary>
    public static SubscriptionTransition Outbound(SubscriptionState state, SubscriptionRequest request) => request switch
    {
        // A.2 "subscribe", §3.1.2: always routed, even without a state change, so that a user can resend the request
        // when the two servers disagree about the subscription; "To"/"Both" already have what was asked for.
        SubscriptionRequest.Subscribe =>
            Transition(state, state.ReceivesPresenceFrom ? state : state with { PendingOut = true }, route: true),

        // A.2 "unsubscribe", §3.3.2: always routed for the same resynchronisation reason; drops "to" and any pending request.
        SubscriptionRequest.Unsubscribe =>
            Transition(state, state.WithSubscription(to: false, from: state.SendsPresenceTo) with { PendingOut = false }, route: true),

        SubscriptionRequest.Subscribed => OutboundSubscribed(state),

        // A.2 "unsubscribed", §3.2.2: routed only when it cancels something the contact knows about ("from" or their pending
        // request). In "None", "None + Pending Out" and "To" it is not routed; it only withdraws a pre-approval (§3.4).
        SubscriptionRequest.Unsubscribed => Transition(
            state,
            state.WithSubscription(to: state.ReceivesPresenceFrom, from: false) with { PendingIn = false, PreApproved = false },
            route: state.SendsPresenceTo || state.PendingIn),

        _ => throw new ArgumentOutOfRangeException(nameof(request), request, null),
    };

    /// <summary>A contact's <paramref name="request"/> arrives for the user, whose item for the contact is in <paramref name="state"/> (A.3 / A.5).</summary>
    public static SubscriptionTransition Inbound(SubscriptionState state, SubscriptionRequest request) => request switch
    {
        SubscriptionRequest.Subscribe => InboundSubscribe(state),

        // A.3 "unsubscribe", §3.3.3: meaningful only if the contact has, or has asked for, "from"; otherwise silently ignored.
        SubscriptionRequest.Unsubscribe when state.SendsPresenceTo || state.PendingIn => Transition(
            state,
            state.WithSubscription(to: state.ReceivesPresenceFrom, from: false) with { PendingIn = false },
            route: true),

        // A.3 "subscribed", §3.1.6: an approval the user never asked for (no Pending Out) MUST be ignored, not delivered, so a
        // contact cannot push itself onto the user's roster as "to".
        SubscriptionRequest.Subscribed when state.PendingOut => Transition(
            state,
            state.WithSubscription(to: true, from: state.SendsPresenceTo) with { PendingOut = false },
            route: true),

        // A.3 "unsubscribed", §3.2.3: a denial or revocation matters only if the user has, or has asked for, "to".
        SubscriptionRequest.Unsubscribed when state.ReceivesPresenceFrom || state.PendingOut => Transition(
            state,
            state.WithSubscription(to: false, from: state.SendsPresenceTo) with { PendingOut = false },
            route: true),

        SubscriptionRequest.Unsubscribe or SubscriptionRequest.Subscribed or SubscriptionRequest.Unsubscribed =>
            Transition(state, state, route: false),

        _ => throw new ArgumentOutOfRangeException(nameof(request), request, null),
    };

    // A.2 "subscribed", §3.1.5, §3.4.
    private static SubscriptionTransition OutboundSubscribed(SubscriptionState state)
    {
        // The contact already has "from": MUST silently ignore it (neither route nor change), §3.4.
        if (state.SendsPresenceTo)
        {
            return Transition(state, state, route: false);
        }

        // An answer to the contact's pending request: a normal approval, routed (§3.1.5).
        if (state.PendingIn)
        {
            return Transition(state, state.WithSubscription(to: state.ReceivesPresenceFrom, from: true) with { PendingIn = false }, route: true);
        }

        // Nothing to approve yet: record a pre-approval and MUST NOT route it (§3.4; we support pre-approval).
        return Transition(state, state with { PreApproved = true }, route: false);
    }

    // A.3 "subscribe", §3.1.3, §3.4.
    private static SubscriptionTransition InboundSubscribe(SubscriptionState state)
    {
        // The contact is already subscribed (the servers lost sync or the contact resent): the server MUST answer
        // "subscribed" itself rather than bother the user again (§3.1.3).
        if (state.SendsPresenceTo)
        {
            return Transition(state, state, route: false, SubscriptionRequest.Subscribed);
        }

        // The user approved in advance: grant "from" and answer without delivering (§3.4).
        if (state.PreApproved)
        {
            return Transition(state, state.WithSubscription(to: state.ReceivesPresenceFrom, from: true) with { PreApproved = false }, route: false, SubscriptionRequest.Subscribed);
        }

        // A duplicate of a request still awaiting the user's answer is not delivered again: the stored request is
        // redelivered each time the user becomes available until answered (§3.1.3).
        if (state.PendingIn)
        {
            return Transition(state, state, route: false);
        }

        return Transition(state, state with { PendingIn = true }, route: true);
    }

    private static SubscriptionTransition Transition(SubscriptionState from, SubscriptionState to, bool route, SubscriptionRequest? autoReply = null) =>
        new(to, to != from, route, autoReply);
}
