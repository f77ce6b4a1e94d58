namespace ZkFire.ZooKeeper.Client.Tests;

public sealed class ConnectStringTests
{
    [Fact]
    public void Parses_hosts_ports_ipv6_and_chroot()
    {
        var parsed = ConnectString.Parse("zk1:2182, zk2 ,[::1]:2183,[fe80::1],10.0.0.1:1/app/cluster");

        Assert.Equal([("zk1", 2182), ("zk2", 2181), ("::1", 2183), ("fe80::1", 2181), ("10.0.0.1", 1)], parsed.Hosts);
        Assert.Equal("/app/cluster", parsed.Chroot);
    }

    [Theory]
    [InlineData("127.0.0.1:2181")]
    [InlineData("127.0.0.1:2181/")]
    public void A_missing_or_root_chroot_is_none(string connectString) =>
        Assert.Null(ConnectString.Parse(connectString).Chroot);

    [Theory]
    [InlineData("")]
    [InlineData("/chroot")]
    [InlineData("host:notaport")]
    [InlineData("host:70000")]
    [InlineData("[::1")]
    [InlineData("host:2181/bad/")]
    public void Rejects_malformed_connect_strings(string connectString) =>
        Assert.Throws<ArgumentException>(() => ConnectString.Parse(connectString));

    [Fact]
    public void Host_provider_cycles_and_reports_a_failed_round()
    {
        var hosts = new HostProvider([("a", 1), ("b", 2), ("c", 3)]);

        var round = Enumerable.Range(0, 3).Select(_ => hosts.Next()).ToList();
        var wrapped = hosts.Next();

        Assert.Equal(["a", "b", "c"], round.Select(n => n.Host.Host).Order(StringComparer.Ordinal));
        Assert.All(round, n => Assert.False(n.RoundFailed));
        Assert.True(wrapped.RoundFailed);
        hosts.OnConnected();
        Assert.False(hosts.Next().RoundFailed);
    }
}
