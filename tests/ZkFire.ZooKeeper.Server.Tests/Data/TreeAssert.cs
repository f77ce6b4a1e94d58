using ZkFire.Jute;
using ZkFire.ZooKeeper.Server.Data;

namespace ZkFire.ZooKeeper.Server.Tests.Data;

internal static class TreeAssert
{
    /// <summary>Every znode with its data, ACL, stat, kind and children, and every index, are the same.</summary>
    public static void Equal(DataTree expected, DataTree actual)
    {
        Assert.Equal(expected.LastProcessedZxid, actual.LastProcessedZxid);
        Assert.Equal(expected.NodeCount, actual.NodeCount);
        Assert.Equal(expected.ApproximateDataSize, actual.ApproximateDataSize);
        var pending = new Stack<string>([ZnodePath.Root]);
        while (pending.TryPop(out var path))
        {
            var want = expected.Get(path)!;
            var got = actual.Get(path);
            Assert.True(got is not null, $"{path} is missing");
            Assert.Equal((path, want.Stat, want.Kind, want.DataIsNull), (path, got.Stat, got.Kind, got.DataIsNull));
            Assert.Equal(want.Data, got.Data);
            Assert.Equal(want.Acl, got.Acl);
            Assert.Equal(want.Children.Order(StringComparer.Ordinal), got.Children.Order(StringComparer.Ordinal));
            foreach (var child in want.Children)
            {
                pending.Push(ZnodePath.Join(path, child));
            }
        }

        Assert.Equal(expected.SessionsWithEphemerals.Order(), actual.SessionsWithEphemerals.Order());
        foreach (var session in expected.SessionsWithEphemerals)
        {
            Assert.Equal(expected.EphemeralPaths(session).Order(StringComparer.Ordinal), actual.EphemeralPaths(session).Order(StringComparer.Ordinal));
        }

        Assert.Equal(expected.ContainerPaths.Order(StringComparer.Ordinal), actual.ContainerPaths.Order(StringComparer.Ordinal));
        Assert.Equal(expected.TtlPaths.Order(StringComparer.Ordinal), actual.TtlPaths.Order(StringComparer.Ordinal));
    }

    public static DataTree RoundTrip(DataTree tree)
    {
        using var stream = new MemoryStream();
        tree.Serialize(stream);
        stream.Position = 0;
        return DataTree.Deserialize(stream);
    }
}
