using System.Globalization;

namespace ZkFire.Cluster.Membership;

/// <summary>
/// The session that owns this node's registration, remembered on disk: two lines, the session id in hex and the
/// granted timeout in milliseconds. Only the id is kept, not the password, so the file cannot be used to take the
/// session over.
/// </summary>
internal static class SessionFile
{
    public static (long SessionId, TimeSpan Timeout)? Read(string? path)
    {
        if (path is null || !File.Exists(path))
        {
            return null;
        }

        var lines = File.ReadAllLines(path);
        return lines.Length >= 2
            && long.TryParse(lines[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var id)
            && int.TryParse(lines[1], NumberStyles.None, CultureInfo.InvariantCulture, out var timeoutMs)
            ? (id, TimeSpan.FromMilliseconds(timeoutMs))
            : null;
    }

    public static void Write(string? path, long sessionId, TimeSpan timeout)
    {
        if (path is null)
        {
            return;
        }

        // Written aside and moved into place, so a crash never leaves half a file.
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, string.Create(CultureInfo.InvariantCulture,
            $"{sessionId:x}\n{(long)timeout.TotalMilliseconds}\n"));
        File.Move(temporary, path, overwrite: true);
    }

    public static void Delete(string? path)
    {
        if (path is not null)
        {
            File.Delete(path);
        }
    }
}
