using System.Security.Cryptography;
using ZkFire.Storage;
using ZkFire.Xmpp.Addressing;

namespace ZkFire.Xmpp.Sasl;

/// <summary>
/// Server side of PLAIN (RFC 4616), verified against the stored SCRAM-SHA-256 keys: the password is run through
/// the same derivation and the resulting StoredKey compared.
/// </summary>
internal sealed class PlainMechanism(IUserStore users) : ISaslMechanism
{
    public const string MechanismName = "PLAIN";

    private static readonly HashAlgorithmName Hash = HashAlgorithmName.SHA256;

    private bool _challenged;
    private bool _done;

    public string Name => MechanismName;

    public async ValueTask<SaslResult> StepAsync(ReadOnlyMemory<byte> response, CancellationToken cancellationToken)
    {
        if (_done)
        {
            return SaslSteps.Failure(SaslConditions.MalformedRequest);
        }

        if (response.IsEmpty && !_challenged)
        {
            // No initial response: an empty challenge asks for the credentials.
            _challenged = true;
            return SaslSteps.Challenge([]);
        }

        _done = true;
        if (!SaslSteps.TryDecodeUtf8(response.Span, out var text) || text.Split('\0') is not [var authzid, var authcid, var password]
            || authcid.Length == 0 || password.Length == 0)
        {
            return SaslSteps.Failure(SaslConditions.MalformedRequest);
        }

        if (!Jid.TryNormalizeLocal(authcid, out var username))
        {
            return SaslSteps.Failure(SaslConditions.NotAuthorized);
        }

        if (authzid.Length != 0 && !SaslSteps.IsOwnAuthzid(authzid, username))
        {
            return SaslSteps.Failure(SaslConditions.InvalidAuthzid, username);
        }

        if (!SaslPrep.TryPrepare(password, out var prepared))
        {
            // No stored password can be this one; refusing early reveals nothing about the account.
            return SaslSteps.Failure(SaslConditions.NotAuthorized, username);
        }

        var user = await users.GetAsync(username, cancellationToken).ConfigureAwait(false);
        ScramCredentials stored;
        if (user is not null)
        {
            stored = user.Sha256;
            DecoyCredentials.Observe(stored);
        }
        else
        {
            // Same derivation cost for an unknown user, against keys nothing can match.
            stored = DecoyCredentials.For(username, Hash);
        }

        var derived = ScramCredentialFactory.DerivePrepared(prepared, Hash, stored.Salt, stored.Iterations);
        return CryptographicOperations.FixedTimeEquals(derived.StoredKey, stored.StoredKey) && user is not null
            ? SaslSteps.Success(null, username)
            : SaslSteps.Failure(SaslConditions.NotAuthorized, username);
    }
}
