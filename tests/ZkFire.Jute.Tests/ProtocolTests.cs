namespace ZkFire.Jute.Tests;

public class ProtocolTests
{
    [Theory]
    [InlineData(OpCode.Notification, 0)]
    [InlineData(OpCode.Ping, 11)]
    [InlineData(OpCode.Multi, 14)]
    [InlineData(OpCode.CreateTtl, 21)]
    [InlineData(OpCode.MultiRead, 22)]
    [InlineData(OpCode.Auth, 100)]
    [InlineData(OpCode.SetWatches2, 105)]
    [InlineData(OpCode.WhoAmI, 107)]
    [InlineData(OpCode.CreateSession, -10)]
    [InlineData(OpCode.CloseSession, -11)]
    [InlineData(OpCode.Error, -1)]
    public void Opcodes_match_zoodefs(OpCode code, int value) => Assert.Equal(value, (int)code);

    [Theory]
    [InlineData(ErrorCode.MarshallingError, -5)]
    [InlineData(ErrorCode.BadArguments, -8)]
    [InlineData(ErrorCode.UnknownSession, -12)]
    [InlineData(ErrorCode.ApiError, -100)]
    [InlineData(ErrorCode.NoNode, -101)]
    [InlineData(ErrorCode.NoChildrenForEphemerals, -108)]
    [InlineData(ErrorCode.NodeExists, -110)]
    [InlineData(ErrorCode.AuthFailed, -115)]
    [InlineData(ErrorCode.SessionMoved, -118)]
    [InlineData(ErrorCode.NoWatcher, -121)]
    [InlineData(ErrorCode.RequestTimeout, -122)]
    [InlineData(ErrorCode.SessionClosedRequireSaslAuth, -124)]
    [InlineData(ErrorCode.QuotaExceeded, -125)]
    [InlineData(ErrorCode.ThrottledOp, -127)]
    public void Error_codes_match_keeper_exception(ErrorCode code, int value) => Assert.Equal(value, (int)code);

    [Fact]
    public void Error_codes_are_exactly_keeper_exceptions_set()
    {
        int[] zookeeper = [0, -1, -2, -3, -4, -5, -6, -7, -8, -12, -13, -14, -100, -101, -102, -103, -108, -110, -111,
            -112, -113, -114, -115, -118, -119, -120, -121, -122, -123, -124, -125, -127];

        Assert.Equal(zookeeper.Order(), Enum.GetValues<ErrorCode>().Select(c => (int)c).Order());
    }

    [Theory]
    [InlineData(0, CreateMode.Persistent, false, false, false, false)]
    [InlineData(1, CreateMode.Ephemeral, true, false, false, false)]
    [InlineData(2, CreateMode.PersistentSequential, false, true, false, false)]
    [InlineData(3, CreateMode.EphemeralSequential, true, true, false, false)]
    [InlineData(4, CreateMode.Container, false, false, true, false)]
    [InlineData(5, CreateMode.PersistentWithTtl, false, false, false, true)]
    [InlineData(6, CreateMode.PersistentSequentialWithTtl, false, true, false, true)]
    public void Create_modes(int flag, CreateMode mode, bool ephemeral, bool sequential, bool container, bool ttl)
    {
        Assert.Equal(mode, CreateMode.FromFlag(flag));
        Assert.Equal(ephemeral, mode.IsEphemeral);
        Assert.Equal(sequential, mode.IsSequential);
        Assert.Equal(container, mode.IsContainer);
        Assert.Equal(ttl, mode.IsTtl);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(7)]
    [InlineData(int.MaxValue)]
    public void Unknown_create_flags_have_no_mode(int flag) => Assert.Null(CreateMode.FromFlag(flag));

    [Fact]
    public void Constants_match_zookeeper()
    {
        Assert.Equal(31, (int)Perms.All);
        Assert.Equal([1, 2, 4, 8, 16], new[] { Perms.Read, Perms.Write, Perms.Create, Perms.Delete, Perms.Admin }.Select(p => (int)p));
        Assert.Equal([-1, -2, -4, -8], new[] { SpecialXid.Notification, SpecialXid.Ping, SpecialXid.Auth, SpecialXid.SetWatches });
        Assert.Equal([-1, 1, 2, 3, 4, 5, 6, 7], Enum.GetValues<EventType>().Select(e => (int)e).Order());
        Assert.Equal(-112, (int)KeeperState.Expired);
        Assert.Equal(3, (int)KeeperState.SyncConnected);
        Assert.Equal(3, (int)WatcherType.Any);
        Assert.Equal(1, (int)AddWatchMode.PersistentRecursive);
    }

    [Fact]
    public void Well_known_acls()
    {
        Assert.Equal([new Acl(Perms.All, new Id("world", "anyone"))], WellKnownAcls.OpenAclUnsafe);
        Assert.Equal([new Acl(Perms.All, new Id("auth", ""))], WellKnownAcls.CreatorAllAcl);
        Assert.Equal([new Acl(Perms.Read, new Id("world", "anyone"))], WellKnownAcls.ReadAclUnsafe);
    }
}
