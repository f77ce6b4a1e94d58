using System.Security.Cryptography;
using ZkFire.Storage;
using ZkFire.Xmpp.Addressing;
using ZkFire.Xmpp.Sasl;

namespace ZkFire.Xmpp.Accounts;

public enum AccountResult
{
    Done,
    InvalidUsername,
    InvalidPassword,
    Exists,
    NotFound,
}

/// <summary>Creates, re-keys and deletes accounts; shared by in-band registration and the command line.</summary>
public sealed class AccountManager(IUserStore users, TimeProvider time)
{
    public async Task<AccountResult> CreateAsync(string username, string password, CancellationToken cancellationToken)
    {
        if (!Jid.TryNormalizeLocal(username, out var normalized))
        {
            return AccountResult.InvalidUsername;
        }

        if (!TryDeriveCredentials(password, out var sha1, out var sha256))
        {
            return AccountResult.InvalidPassword;
        }

        var created = await users.CreateAsync(new UserRecord(normalized, sha1, sha256, time.GetUtcNow()), cancellationToken);
        return created ? AccountResult.Done : AccountResult.Exists;
    }

    public async Task<AccountResult> ChangePasswordAsync(string username, string password, CancellationToken cancellationToken)
    {
        if (!Jid.TryNormalizeLocal(username, out var normalized))
        {
            return AccountResult.InvalidUsername;
        }

        if (!TryDeriveCredentials(password, out var sha1, out var sha256))
        {
            return AccountResult.InvalidPassword;
        }

        return await users.UpdateCredentialsAsync(normalized, sha1, sha256, cancellationToken)
            ? AccountResult.Done
            : AccountResult.NotFound;
    }

    public async Task<AccountResult> DeleteAsync(string username, CancellationToken cancellationToken)
    {
        if (!Jid.TryNormalizeLocal(username, out var normalized))
        {
            return AccountResult.InvalidUsername;
        }

        return await users.DeleteAsync(normalized, cancellationToken) ? AccountResult.Done : AccountResult.NotFound;
    }

    private static bool TryDeriveCredentials(string password, out ScramCredentials sha1, out ScramCredentials sha256)
    {
        sha1 = sha256 = null!;
        if (string.IsNullOrEmpty(password))
        {
            return false;
        }

        try
        {
            sha1 = ScramCredentialFactory.Create(password, HashAlgorithmName.SHA1);
            sha256 = ScramCredentialFactory.Create(password, HashAlgorithmName.SHA256);
            return true;
        }
        catch (ArgumentException)
        {
            // SASLprep refuses the password (control or unassigned characters).
            return false;
        }
    }
}
