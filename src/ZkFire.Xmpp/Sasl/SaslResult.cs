namespace ZkFire.Xmpp.Sasl;

public enum SaslOutcome
{
    /// <summary>Send <c>&lt;challenge/&gt;</c> with <see cref="SaslResult.Data"/> and wait for a response.</summary>
    Challenge,

    /// <summary>Send <c>&lt;success/&gt;</c> with <see cref="SaslResult.Data"/> (additional data, may be null).</summary>
    Success,

    /// <summary>Send <c>&lt;failure&gt;</c> with <see cref="SaslResult.FailureCondition"/> (RFC 6120 §6.5).</summary>
    Failure,
}

/// <summary>
/// One step of a server-side SASL exchange. <see cref="Username"/> is the normalised localpart once known
/// (on success it is the authenticated user; on failure the claimed one, for rate limiting).
/// </summary>
public readonly record struct SaslResult(SaslOutcome Outcome, byte[]? Data, string? Username, string? FailureCondition);

/// <summary>TLS channel-binding data for SCRAM-*-PLUS, e.g. type <c>tls-server-end-point</c> (RFC 5929).</summary>
public sealed record ChannelBinding(string Type, byte[] Data);
