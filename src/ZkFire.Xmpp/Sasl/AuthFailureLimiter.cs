using System.Net;

namespace ZkFire.Xmpp.Sasl;

/// <summary>Limits on failed authentications; after the limit an attempt is refused until the window passes.</summary>
public sealed class AuthFailureLimiterOptions
{
    public int MaxFailuresPerAccount { get; init; } = 5;

    public int MaxFailuresPerAddress { get; init; } = 20;

    public TimeSpan Window { get; init; } = TimeSpan.FromMinutes(5);
}

/// <summary>Counts failed SASL attempts per account and per remote address over a sliding window; thread-safe.</summary>
public sealed class AuthFailureLimiter
{
    public AuthFailureLimiter(AuthFailureLimiterOptions options, TimeProvider timeProvider) => throw new NotImplementedException();

    /// <summary>True when either the account (if known) or the address has used up its failures.</summary>
    public bool IsBlocked(string? username, IPAddress address) => throw new NotImplementedException();

    public void RecordFailure(string? username, IPAddress address) => throw new NotImplementedException();

    /// <summary>A success clears the account's count (not the address's).</summary>
    public void RecordSuccess(string username) => throw new NotImplementedException();
}
