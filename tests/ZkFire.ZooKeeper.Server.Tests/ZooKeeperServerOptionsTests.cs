using ZkFire.ZooKeeper.Server.Auth;

namespace ZkFire.ZooKeeper.Server.Tests;

public sealed class ZooKeeperServerOptionsTests
{
    private static Dictionary<string, string> Minimal() => new() { ["dataDir"] = "/tmp/zk", ["clientPort"] = "2181" };

    [Fact]
    public void Defaults_follow_zookeeper()
    {
        var options = ZooKeeperServerOptions.FromProperties(Minimal());
        Assert.Equal((2000, 4000, 40000, 60, 0xfffff), (options.TickTime, options.EffectiveMinSessionTimeout, options.EffectiveMaxSessionTimeout, options.MaxClientConnections, options.MaxBuffer));
        Assert.True(options.AllowsFourLetterWord("srvr"));
        Assert.False(options.AllowsFourLetterWord("ruok"));
        Assert.False(options.ExtendedTypesEnabled);
    }

    [Fact]
    public void Session_bounds_follow_tick_time_unless_given()
    {
        var properties = Minimal();
        properties["tickTime"] = "500";
        properties["maxSessionTimeout"] = "60000";
        var options = ZooKeeperServerOptions.FromProperties(properties);
        Assert.Equal((1000, 60000), (options.EffectiveMinSessionTimeout, options.EffectiveMaxSessionTimeout));
    }

    [Fact]
    public void Whitelist_star_allows_every_word()
    {
        var properties = Minimal();
        properties["4lw.commands.whitelist"] = "stat, *";
        Assert.True(ZooKeeperServerOptions.FromProperties(properties).AllowsFourLetterWord("mntr"));
    }

    [Fact]
    public void Srvr_is_allowed_whatever_the_whitelist_says()
    {
        // zkServer.sh status depends on it, so ZooKeeper adds it to any whitelist.
        var properties = Minimal();
        properties["4lw.commands.whitelist"] = "ruok";
        var options = ZooKeeperServerOptions.FromProperties(properties);

        Assert.True(options.AllowsFourLetterWord("srvr"));
        Assert.True(options.AllowsFourLetterWord("ruok"));
        Assert.False(options.AllowsFourLetterWord("mntr"));
    }

    [Fact]
    public void Super_digest_comes_from_its_system_property_name()
    {
        var properties = Minimal();
        properties["zookeeper.DigestAuthenticationProvider.superDigest"] = "super:D/InIHSb7yEEbrWz8b9l71RjZJU=";

        Assert.Equal("super:D/InIHSb7yEEbrWz8b9l71RjZJU=", ZooKeeperServerOptions.FromProperties(properties).SuperDigest);
        Assert.Null(ZooKeeperServerOptions.FromProperties(Minimal()).SuperDigest);
    }

    [Theory]
    [InlineData("clientPort", "70000")]
    [InlineData("tickTime", "fast")]
    [InlineData("jute.maxbuffer", "-1")]
    [InlineData("zookeeper.extendedTypesEnabled", "maybe")]
    public void Malformed_values_name_their_key(string key, string value)
    {
        var properties = Minimal();
        properties[key] = value;
        var error = Assert.Throws<FormatException>(() => ZooKeeperServerOptions.FromProperties(properties));
        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Digest_matches_zookeeper()
    {
        // Observed on Apache ZooKeeper 3.8 (PEERS.md).
        Assert.Equal("alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=", DigestAuthentication.Digest("alice:secret"));
    }
}
