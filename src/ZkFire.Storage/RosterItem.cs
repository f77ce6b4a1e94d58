namespace ZkFire.Storage;

/// <summary>The <c>subscription</c> attribute of RFC 6121 §2.1.2.5.</summary>
public enum Subscription
{
    None,
    To,
    From,
    Both,
}

/// <summary>
/// One contact on a user's roster. <paramref name="PendingOut"/> is <c>ask='subscribe'</c>; <paramref name="PendingIn"/>
/// means the contact asked to see the user's presence and the user has not answered; <paramref name="PreApproved"/>
/// is RFC 6121 §3.4 pre-approval. <paramref name="Contact"/> is a normalised bare JID. <paramref name="OnRoster"/> is
/// false for a record kept only to remember an unanswered inbound request (state None + Pending In from a contact
/// the user never added): such a record is not shown in roster results or pushes.
/// </summary>
public sealed record RosterItem(
    string Contact,
    string? Name,
    Subscription Subscription,
    bool PendingOut,
    bool PendingIn,
    bool PreApproved,
    IReadOnlyList<string> Groups,
    bool OnRoster = true);

/// <summary>
/// How stores write <see cref="Subscription"/>: the attribute's own text rather than the enum's number, so reordering
/// the enum cannot silently change stored states.
/// </summary>
public static class SubscriptionText
{
    public static string Format(Subscription subscription) => subscription switch
    {
        Subscription.None => "none",
        Subscription.To => "to",
        Subscription.From => "from",
        Subscription.Both => "both",
        _ => throw new ArgumentOutOfRangeException(nameof(subscription), subscription, "Unknown subscription state."),
    };

    /// <exception cref="InvalidDataException">The text is not a subscription state: the stored data is corrupt.</exception>
    public static Subscription Parse(string text) => text switch
    {
        "none" => Subscription.None,
        "to" => Subscription.To,
        "from" => Subscription.From,
        "both" => Subscription.Both,
        _ => throw new InvalidDataException($"Unknown subscription state '{text}' in the roster table."),
    };
}
