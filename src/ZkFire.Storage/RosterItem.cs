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
