using ZkFire.Storage;
using ZkFire.Xmpp.Roster;

namespace ZkFire.Xmpp.Tests.Roster;

/// <summary>
/// Spells states the way RFC 6121 Appendix A does ("None + Pending Out/In", "To + Pending In"), so test data reads
/// like the tables, plus "+ Approved" for §3.4 pre-approval.
/// </summary>
internal static class RfcStates
{
    private const string ApprovedSuffix = " + Approved";

    /// <summary>The nine defined states of A.1 and the three in which a pre-approval can be recorded (§3.4).</summary>
    public static readonly string[] All =
    [
        "None", "None + Pending Out", "None + Pending In", "None + Pending Out/In",
        "To", "To + Pending In", "From", "From + Pending Out", "Both",
        "None + Approved", "None + Pending Out + Approved", "To + Approved",
    ];

    public static SubscriptionState Parse(string name)
    {
        var preApproved = name.EndsWith(ApprovedSuffix, StringComparison.Ordinal);
        var core = preApproved ? name[..^ApprovedSuffix.Length] : name;
        var state = core switch
        {
            "None" => new SubscriptionState(Subscription.None, false, false, false),
            "None + Pending Out" => new SubscriptionState(Subscription.None, true, false, false),
            "None + Pending In" => new SubscriptionState(Subscription.None, false, true, false),
            "None + Pending Out/In" => new SubscriptionState(Subscription.None, true, true, false),
            "To" => new SubscriptionState(Subscription.To, false, false, false),
            "To + Pending In" => new SubscriptionState(Subscription.To, false, true, false),
            "From" => new SubscriptionState(Subscription.From, false, false, false),
            "From + Pending Out" => new SubscriptionState(Subscription.From, true, false, false),
            "Both" => new SubscriptionState(Subscription.Both, false, false, false),
            _ => throw new ArgumentException($"Not an RFC 6121 A.1 state: {name}", nameof(name)),
        };
        return state with { PreApproved = preApproved };
    }

    public static string Name(SubscriptionState state)
    {
        var core = (state.Subscription, state.PendingOut, state.PendingIn) switch
        {
            (Subscription.None, false, false) => "None",
            (Subscription.None, true, false) => "None + Pending Out",
            (Subscription.None, false, true) => "None + Pending In",
            (Subscription.None, true, true) => "None + Pending Out/In",
            (Subscription.To, false, false) => "To",
            (Subscription.To, false, true) => "To + Pending In",
            (Subscription.From, false, false) => "From",
            (Subscription.From, true, false) => "From + Pending Out",
            (Subscription.Both, false, false) => "Both",
            _ => $"undefined {state}",
        };
        return state.PreApproved ? core + ApprovedSuffix : core;
    }
}
