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
}

/// <summary>
/// What a presence subscription stanza does. <see cref="Changed"/>: the item's state changed (store it and push it).
/// <see cref="Route"/>: for outbound, send the stanza on to the contact; for inbound, deliver it to the user.
/// <see cref="AutoReply"/>: the server answers the sender itself on the user's behalf (e.g. <c>subscribed</c> to a
/// <c>subscribe</c> from a contact who already has, or was pre-approved for, a subscription).
/// </summary>
public readonly record struct SubscriptionTransition(SubscriptionState State, bool Changed, bool Route, SubscriptionRequest? AutoReply);

/// <summary>The tables of RFC 6121 Appendix A, as pure functions.</summary>
public static class SubscriptionStateMachine
{
    /// <summary>The user sends <paramref name="request"/> to a contact whose item is in <paramref name="state"/> (A.2 / A.4).</summary>
    public static SubscriptionTransition Outbound(SubscriptionState state, SubscriptionRequest request) => throw new NotImplementedException();

    /// <summary>A contact's <paramref name="request"/> arrives for the user, whose item for the contact is in <paramref name="state"/> (A.3 / A.5).</summary>
    public static SubscriptionTransition Inbound(SubscriptionState state, SubscriptionRequest request) => throw new NotImplementedException();
}
