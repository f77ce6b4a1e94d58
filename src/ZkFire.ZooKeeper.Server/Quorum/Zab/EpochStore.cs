using System.Globalization;
using ZkFire.ZooKeeper.Server.Persistence;

namespace ZkFire.ZooKeeper.Server.Quorum.Zab;

/// <summary>
/// ZAB's two durable numbers, in dataDir files named as ZooKeeper names them: <c>acceptedEpoch</c>, the newest epoch
/// this member agreed to (it will never follow an older one), and <c>currentEpoch</c>, the epoch of the leader whose
/// history it last synced with (its votes carry it). Each is written to a temporary file, fsynced and renamed.
/// </summary>
internal sealed class EpochStore
{
    private readonly string directory;

    public EpochStore(string directory)
    {
        this.directory = directory;
        Accepted = Read("acceptedEpoch");
        Current = Read("currentEpoch");
    }

    public long Accepted { get; private set; }

    public long Current { get; private set; }

    public void SetAccepted(long epoch)
    {
        Write("acceptedEpoch", epoch);
        Accepted = epoch;
    }

    public void SetCurrent(long epoch)
    {
        Write("currentEpoch", epoch);
        Current = epoch;
    }

    private long Read(string name)
    {
        var path = Path.Combine(directory, name);
        if (!File.Exists(path))
        {
            return 0;
        }

        var text = File.ReadAllText(path).Trim();
        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var epoch)
            ? epoch
            : throw new InvalidDataException($"{path} holds '{text}', not an epoch; remove it only if this member's dataDir is to be discarded.");
    }

    private void Write(string name, long epoch)
    {
        var path = Path.Combine(directory, name);
        var temporary = path + ".tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            file.Write(System.Text.Encoding.ASCII.GetBytes(epoch.ToString(CultureInfo.InvariantCulture)));
            file.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
        DirectorySync.Flush(directory);
    }
}
