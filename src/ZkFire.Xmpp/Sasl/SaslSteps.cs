using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Unicode;
using ZkFire.Xmpp.Addressing;

namespace ZkFire.Xmpp.Sasl;

/// <summary>RFC 6120 §6.5 failure conditions used by the mechanisms.</summary>
internal static class SaslConditions
{
    public const string NotAuthorized = "not-authorized";
    public const string MalformedRequest = "malformed-request";
    public const string InvalidAuthzid = "invalid-authzid";
}

/// <summary>Shorthands and checks shared by the mechanisms.</summary>
internal static class SaslSteps
{
    public static SaslResult Challenge(byte[] data, string? username = null) => new(SaslOutcome.Challenge, data, username, null);

    public static SaslResult Success(byte[]? data, string username) => new(SaslOutcome.Success, data, username, null);

    public static SaslResult Failure(string condition, string? username = null) => new(SaslOutcome.Failure, null, username, condition);

    public static bool TryDecodeUtf8(ReadOnlySpan<byte> bytes, [NotNullWhen(true)] out string? text)
    {
        text = Utf8.IsValid(bytes) ? Encoding.UTF8.GetString(bytes) : null;
        return text is not null;
    }

    /// <summary>
    /// An authorization identity is accepted only when it names the authenticated user: their localpart or a JID with
    /// that localpart. Acting as somebody else is not supported.
    /// </summary>
    public static bool IsOwnAuthzid(string authzid, string username) =>
        (Jid.TryNormalizeLocal(authzid, out var local) && local == username)
        || (Jid.TryParse(authzid, out var jid) && jid.Local == username);
}
