using ZkFire.ZooKeeper.Server.Quorum.Zab;

namespace ZkFire.ZooKeeper.Server.Tests.Quorum.Zab;

public sealed class EpochStoreTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("zkfire-epochs-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public void Epochs_start_at_zero_and_survive_a_restart_in_ZooKeepers_file_names()
    {
        var store = new EpochStore(directory);
        Assert.Equal((0L, 0L), (store.Accepted, store.Current));

        store.SetAccepted(4);
        store.SetCurrent(3);

        var reopened = new EpochStore(directory);
        Assert.Equal((4L, 3L), (reopened.Accepted, reopened.Current));
        Assert.Equal("4", File.ReadAllText(Path.Combine(directory, "acceptedEpoch")));
        Assert.Equal("3", File.ReadAllText(Path.Combine(directory, "currentEpoch")));
    }

    [Fact]
    public void A_damaged_epoch_file_stops_the_member_with_its_path()
    {
        File.WriteAllText(Path.Combine(directory, "currentEpoch"), "three");

        var error = Assert.Throws<InvalidDataException>(() => new EpochStore(directory));
        Assert.Contains("currentEpoch", error.Message, StringComparison.Ordinal);
    }
}
