using ZkFire.ZooKeeper.Server.Auth;
using ZkFire.ZooKeeper.Server.Quorum;

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
    public void Ensemble_settings_default_like_zookeeper()
    {
        var options = ZooKeeperServerOptions.FromProperties(Minimal());

        Assert.Equal((10, 5, TimeSpan.FromSeconds(5), 4 * 1024 * 1024), (options.InitLimit, options.SyncLimit, options.QuorumConnectTimeout, options.QuorumMaxMessageSize));
        Assert.Null(options.QuorumSecretFile);
        Assert.Empty(options.Servers);
    }

    [Fact]
    public void Ensemble_settings_come_from_their_zoo_cfg_keys()
    {
        var properties = Minimal();
        properties["initLimit"] = "20";
        properties["syncLimit"] = "3";
        properties["quorum.auth.secretFile"] = "/etc/zkfire/quorum.secret";
        properties["quorum.maxMessageSize"] = "8388608";
        properties["cnxTimeout"] = "1500";
        var options = ZooKeeperServerOptions.FromProperties(properties);

        Assert.Equal((20, 3, "/etc/zkfire/quorum.secret", 8388608, TimeSpan.FromMilliseconds(1500)),
            (options.InitLimit, options.SyncLimit, options.QuorumSecretFile, options.QuorumMaxMessageSize, options.QuorumConnectTimeout));
    }

    [Fact]
    public void The_largest_quorum_message_follows_a_large_jute_maxbuffer()
    {
        var properties = Minimal();
        properties["jute.maxbuffer"] = "8388608";

        Assert.Equal(8388608 + 65536, ZooKeeperServerOptions.FromProperties(properties).QuorumMaxMessageSize);

        properties["quorum.maxMessageSize"] = "8388608";
        var error = Assert.Throws<FormatException>(() => ZooKeeperServerOptions.FromProperties(properties));
        Assert.Contains("jute.maxbuffer", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("initLimit", "0")]
    [InlineData("syncLimit", "soon")]
    [InlineData("quorum.maxMessageSize", "1024")]
    [InlineData("cnxTimeout", "-5")]
    public void Malformed_ensemble_values_name_their_key(string key, string value)
    {
        var properties = Minimal();
        properties[key] = value;
        var error = Assert.Throws<FormatException>(() => ZooKeeperServerOptions.FromProperties(properties));
        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_ensemble_must_list_this_member_once()
    {
        var options = ZooKeeperServerOptions.FromProperties(Minimal());
        options.ValidateEnsemble();
        options.ServerId = 3;
        options.Servers = [new QuorumMember(1, "10.0.0.1", 2888, 3888), new QuorumMember(2, "10.0.0.2", 2888, 3888)];
        Assert.Contains("server.3", Assert.Throws<FormatException>(options.ValidateEnsemble).Message, StringComparison.Ordinal);

        options.Servers = [.. options.Servers, new QuorumMember(3, "10.0.0.3", 2888, 3888), new QuorumMember(2, "10.0.0.4", 2888, 3888)];
        Assert.Contains("server.2", Assert.Throws<FormatException>(options.ValidateEnsemble).Message, StringComparison.Ordinal);

        options.Servers = options.Servers.Take(3).ToList();
        options.ValidateEnsemble();
    }

    [Fact]
    public void Digest_matches_zookeeper()
    {
        // Observed on Apache ZooKeeper 3.8 (PEERS.md).
        Assert.Equal("alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=", DigestAuthentication.Digest("alice:secret"));
    }
}
