using System.Security.Cryptography;

namespace ZkFire.ZooKeeper.Server.Sessions;

/// <summary>
/// The key of session passwords, kept in dataDir: it must outlive restarts, or no session survives one. An ensemble
/// shares its leader's key (sent with every sync), so that a client can resume its session on any member.
/// </summary>
internal sealed class SessionSecret
{
    private const string FileName = "zkfire-session.secret";
    private const int Length = 32;

    private readonly string path;

    private SessionSecret(string path, byte[] value)
    {
        this.path = path;
        Value = value;
    }

    public byte[] Value { get; private set; }

    /// <summary>Reads the key from <paramref name="dataDir"/>, creating one on first start.</summary>
    public static async Task<SessionSecret> LoadAsync(string dataDir, CancellationToken cancellationToken)
    {
        var path = Path.Combine(dataDir, FileName);
        if (File.Exists(path))
        {
            var existing = await File.ReadAllBytesAsync(path, cancellationToken);
            if (existing.Length >= Length)
            {
                return new SessionSecret(path, existing);
            }
        }

        var secret = new SessionSecret(path, RandomNumberGenerator.GetBytes(Length));
        await secret.SaveAsync(cancellationToken);
        return secret;
    }

    /// <summary>Takes the leader's key (durably, before acknowledging the sync it came with).</summary>
    public async Task AdoptAsync(byte[] value, CancellationToken cancellationToken)
    {
        if (value.Length < Length || CryptographicOperations.FixedTimeEquals(value, Value))
        {
            return;
        }

        Value = value;
        await SaveAsync(cancellationToken);
    }

    private async Task SaveAsync(CancellationToken cancellationToken)
    {
        var temporary = path + ".tmp";
        var fileOptions = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        await using (var file = new FileStream(temporary, fileOptions))
        {
            await file.WriteAsync(Value, cancellationToken);
            file.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }
}
