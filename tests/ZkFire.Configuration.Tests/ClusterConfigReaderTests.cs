using System.Text;

namespace ZkFire.Configuration.Tests;

public sealed class ClusterConfigReaderTests
{
    // Absolute, so relative paths resolve to predictable places on any machine.
    private const string Source = "/cfg/cluster.xml";

    private readonly ListLogger logger = new();

    private ClusterConfig Parse(string xml) => ClusterConfigReader.Parse(xml, Source, logger);

    /// <summary>Asserts the error names the file and line, then each fragment (the element, the bad value, the range).</summary>
    private void AssertError(string xml, int line, params string[] fragments)
    {
        var error = Assert.Throws<ConfigurationException>(() => Parse(xml));
        Assert.StartsWith($"{Source}:{line}:", error.Message);
        foreach (var fragment in fragments)
        {
            Assert.Contains(fragment, error.Message);
        }
    }

    [Fact]
    public void Design_example_parses_verbatim()
    {
        var config = Parse("""
            <?xml version="1.0" encoding="UTF-8"?>
            <jive>
              <!-- address other nodes use to reach this one (inter-node traffic) -->
              <notice>10.10.152.180:3004</notice>
              <!-- embedded ZooKeeper member; drop this block to use another ensemble -->
              <zoo>
                <tickTime>2000</tickTime>
                <initLimit>10</initLimit>
                <syncLimit>5</syncLimit>
                <dataDir>E:/zoo/data</dataDir>
                <clientPort>3181</clientPort>
                <server name="server.1">10.10.152.180:2888:3888</server>
                <server name="server.2">10.10.152.185:2888:3888</server>
                <server name="server.3">10.10.152.189:2888:3888</server>
                <myid>1</myid>
              </zoo>
              <!-- ZooKeeper connect string; drop it to use the embedded member -->
              <zClient>127.0.0.1:3181</zClient>
            </jive>
            """);

        Assert.Equal(new HostPort("10.10.152.180", 3004), config.Notice);
        Assert.Equal("127.0.0.1:3181", config.ZClient);
        var zoo = Assert.IsType<ZooConfig>(config.Zoo);
        Assert.Equal((2000, 10, 5, "E:/zoo/data", 3181, (int?)1), (zoo.TickTime, zoo.InitLimit, zoo.SyncLimit, zoo.DataDir, zoo.ClientPort, zoo.MyId));
        Assert.Equal(
            [
                new ZooServer(1, "10.10.152.180", 2888, 3888, "participant"),
                new ZooServer(2, "10.10.152.185", 2888, 3888, "participant"),
                new ZooServer(3, "10.10.152.189", 2888, 3888, "participant"),
            ],
            zoo.Servers);
        Assert.False(zoo.IsStandalone);
        Assert.Equal(
            new Dictionary<string, string> { ["tickTime"] = "2000", ["initLimit"] = "10", ["syncLimit"] = "5", ["dataDir"] = "E:/zoo/data", ["clientPort"] = "3181" },
            zoo.Properties);
        Assert.Equal("E:/zoo/data", config.Xmpp.DataDir);
        Assert.Equal("E:/zoo/data/xmpp.db", config.Xmpp.Storage.SqlitePath);
        Assert.Equal(Source, config.SourcePath);
        Assert.Empty(logger.Entries);
    }

    [Fact]
    public void Empty_jive_gives_safe_defaults()
    {
        var config = Parse("<jive/>");

        Assert.Null(config.Notice);
        Assert.Null(config.Zoo);
        Assert.Null(config.ZClient);
        var xmpp = config.Xmpp;
        Assert.Equal(("localhost", "*", 5222, 5223, "/cfg/data"), (xmpp.Domain, xmpp.ListenAddress, xmpp.C2sPort, xmpp.DirectTlsPort, xmpp.DataDir));
        Assert.Equal(new TlsConfig(null, null, null, Required: true, AllowPlaintextOnLoopback: false), xmpp.Tls);
        Assert.Equal(new StorageConfig("sqlite", "/cfg/data/xmpp.db", null), xmpp.Storage);
        Assert.Equal(RegistrationPolicy.Closed, xmpp.Registration);
        Assert.Equal(
            new XmppLimitsConfig(262_144, 32, 32, TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(60), 1000, 5, 20, TimeSpan.FromMinutes(5)),
            xmpp.Limits);
        Assert.Empty(logger.Entries);
    }

    [Fact]
    public void Every_xmpp_element_is_read()
    {
        var xmpp = Parse("""
            <jive>
              <xmpp>
                <domain>Chat.Example.COM</domain>
                <listen>::</listen>
                <c2sPort>15222</c2sPort>
                <directTlsPort>0</directTlsPort>
                <dataDir>/var/lib/zkfire</dataDir>
                <tls>
                  <certificate>tls/server.pfx</certificate>
                  <password> secret </password>
                  <required>FALSE</required>
                  <allowPlaintextOnLoopback>True</allowPlaintextOnLoopback>
                </tls>
                <storage provider="PostgreSQL">
                  <connectionString>Host=db;Database=zkfire</connectionString>
                </storage>
                <registration>Open</registration>
                <limits>
                  <maxStanzaBytes>1024</maxStanzaBytes>
                  <maxDepth>2</maxDepth>
                  <maxAttributes>1</maxAttributes>
                  <streamOpenTimeoutSeconds>1</streamOpenTimeoutSeconds>
                  <idleTimeoutSeconds>2</idleTimeoutSeconds>
                  <pingTimeoutSeconds>3</pingTimeoutSeconds>
                  <offlineQuota>0</offlineQuota>
                  <authFailuresPerAccount>4</authFailuresPerAccount>
                  <authFailuresPerAddress>6</authFailuresPerAddress>
                  <authFailureWindowSeconds>7</authFailureWindowSeconds>
                </limits>
              </xmpp>
            </jive>
            """).Xmpp;

        Assert.Equal(("chat.example.com", "::", 15222, 0, "/var/lib/zkfire"), (xmpp.Domain, xmpp.ListenAddress, xmpp.C2sPort, xmpp.DirectTlsPort, xmpp.DataDir));
        Assert.Equal(new TlsConfig("/cfg/tls/server.pfx", null, " secret ", Required: false, AllowPlaintextOnLoopback: true), xmpp.Tls);
        Assert.Equal(new StorageConfig("postgresql", null, "Host=db;Database=zkfire"), xmpp.Storage);
        Assert.Equal(RegistrationPolicy.Open, xmpp.Registration);
        Assert.Equal(
            new XmppLimitsConfig(1024, 2, 1, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(3), 0, 4, 6, TimeSpan.FromSeconds(7)),
            xmpp.Limits);
        Assert.Empty(logger.Entries);
    }

    [Fact]
    public void Standalone_zoo_takes_zookeeper_defaults()
    {
        var zoo = Parse("""
            <jive>
              <zoo>
                <dataDir>zk</dataDir>
                <clientPort>2181</clientPort>
              </zoo>
            </jive>
            """).Zoo!;

        Assert.Equal((2000, 10, 5, "/cfg/zk", 2181, (int?)null), (zoo.TickTime, zoo.InitLimit, zoo.SyncLimit, zoo.DataDir, zoo.ClientPort, zoo.MyId));
        Assert.True(zoo.IsStandalone);
        Assert.Equal("2000", zoo.Properties["tickTime"]);
        Assert.Equal("/cfg/zk", zoo.Properties["dataDir"]);
    }

    [Fact]
    public void Relative_paths_resolve_against_the_config_folder_and_the_xmpp_data_dir()
    {
        var config = Parse("""
            <jive>
              <zoo>
                <dataDir>./zk/../zoo</dataDir>
                <dataLogDir>zoo-log</dataLogDir>
                <clientPort>2181</clientPort>
                <property name="quorum.auth.secretFile">secrets/quorum</property>
              </zoo>
              <xmpp>
                <tls><certificate>cert.pem</certificate><key>/etc/zkfire/key.pem</key></tls>
                <storage><path>db/xmpp.sqlite</path></storage>
              </xmpp>
            </jive>
            """);

        Assert.Equal("/cfg/zoo", config.Zoo!.DataDir);
        Assert.Equal("/cfg/zoo-log", config.Zoo.Properties["dataLogDir"]);
        Assert.Equal("/cfg/secrets/quorum", config.Zoo.Properties["quorum.auth.secretFile"]);
        Assert.Equal("/cfg/zoo", config.Xmpp.DataDir);
        Assert.Equal("/cfg/zoo/db/xmpp.sqlite", config.Xmpp.Storage.SqlitePath);
        Assert.Equal(("/cfg/cert.pem", "/etc/zkfire/key.pem"), (config.Xmpp.Tls.CertificatePath, config.Xmpp.Tls.KeyPath));
    }

    [Fact]
    public void Property_form_carries_keys_that_are_not_xml_names()
    {
        var zoo = Parse("""
            <jive>
              <zoo>
                <dataDir>/zk</dataDir>
                <property name="clientPort">2181</property>
                <property name="4lw.commands.whitelist">srvr, ruok</property>
                <autopurge.snapRetainCount>3</autopurge.snapRetainCount>
                <property name="custom.flag">on</property>
              </zoo>
            </jive>
            """).Zoo!;

        Assert.Equal(2181, zoo.ClientPort);
        Assert.Equal("srvr, ruok", zoo.Properties["4lw.commands.whitelist"]);
        Assert.Equal("3", zoo.Properties["autopurge.snapRetainCount"]);
        Assert.Equal("on", zoo.Properties["custom.flag"]);
        var info = Assert.Single(logger.Entries);
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Information, info.Level);
        Assert.Contains("custom.flag", info.Message);
    }

    [Fact]
    public void Ipv6_addresses_are_written_in_brackets()
    {
        var config = Parse("""
            <jive>
              <notice>[::1]:3004</notice>
              <zoo>
                <dataDir>/zk</dataDir>
                <clientPort>2181</clientPort>
                <server name="server.7">[fd00::7]:2888:3888:observer</server>
                <myid>7</myid>
              </zoo>
              <zClient> [::1]:2181 , zk2.example:2181/zkfire/prod </zClient>
            </jive>
            """);

        Assert.Equal(new HostPort("::1", 3004), config.Notice);
        Assert.Equal("[::1]:3004", config.Notice!.ToString());
        Assert.Equal(new ZooServer(7, "fd00::7", 2888, 3888, "observer"), Assert.Single(config.Zoo!.Servers));
        Assert.Equal("[::1]:2181,zk2.example:2181/zkfire/prod", config.ZClient);
    }

    [Fact]
    public void Unknown_elements_are_warned_with_line_and_path()
    {
        var config = Parse("""
            <jive>
              <colour>blue</colour>
              <zoo>
                <dataDir>/zk</dataDir>
                <clientPort>2181</clientPort>
                <tickTme>2000</tickTme>
              </zoo>
              <xmpp>
                <tls><requried>true</requried></tls>
                <storage><connectionString>Host=db</connectionString></storage>
              </xmpp>
            </jive>
            """);

        Assert.Equal(
            [
                $"{Source}:2:4: <jive/colour> ignored: unknown element",
                $"{Source}:6:6: <jive/zoo/tickTme> ignored: unknown element",
                $"{Source}:9:11: <jive/xmpp/tls/requried> ignored: unknown element",
                $"{Source}:10:15: <jive/xmpp/storage/connectionString> ignored: only used with provider=\"postgresql\"",
            ],
            logger.Warnings);
        Assert.Equal(2000, config.Zoo!.TickTime);
        Assert.False(config.Zoo.Properties.ContainsKey("tickTme"));
    }

    [Fact]
    public void Cluster_settings_default_to_the_embedded_member_and_the_notice_address()
    {
        var config = Parse("""
            <jive>
              <notice>127.0.0.1:3004</notice>
              <zoo><dataDir>d</dataDir><clientPort>3181</clientPort></zoo>
            </jive>
            """);

        Assert.Equal(new ClusterSettings("/zkfire", null, null, TimeSpan.FromSeconds(10), 16 * 1024 * 1024, 65_536, TimeSpan.FromSeconds(5)), config.Cluster);
        Assert.Equal("127.0.0.1:3181", config.CoordinationConnectString);
        Assert.True(config.IsClustered);
    }

    [Fact]
    public void Cluster_settings_are_read_and_zclient_wins_over_the_embedded_member()
    {
        var config = Parse("""
            <jive>
              <notice>10.0.0.5:3004</notice>
              <zoo><dataDir>d</dataDir><clientPort>3181</clientPort><clientPortAddress>10.0.0.5</clientPortAddress></zoo>
              <zClient>10.0.0.1:2181,10.0.0.2:2181/chat</zClient>
              <cluster>
                <root>/zkfire/prod</root>
                <nodeId>chat-1</nodeId>
                <secretFile>secrets/cluster.key</secretFile>
                <sessionTimeoutSeconds>6</sessionTimeoutSeconds>
                <maxNoticeMessageBytes>1048576</maxNoticeMessageBytes>
                <noticeQueueLength>1024</noticeQueueLength>
                <forwardWaitMilliseconds>250</forwardWaitMilliseconds>
              </cluster>
            </jive>
            """);

        Assert.Equal(new ClusterSettings("/zkfire/prod", "chat-1", "/cfg/secrets/cluster.key", TimeSpan.FromSeconds(6), 1_048_576, 1024, TimeSpan.FromMilliseconds(250)), config.Cluster);
        Assert.Equal("10.0.0.1:2181,10.0.0.2:2181/chat", config.CoordinationConnectString);
        Assert.Equal("10.0.0.5:3181", Parse("""<jive><zoo><dataDir>d</dataDir><clientPort>3181</clientPort><clientPortAddress>10.0.0.5</clientPortAddress></zoo></jive>""").CoordinationConnectString);
    }

    [Fact]
    public void Without_notice_or_zookeeper_the_node_is_not_clustered()
    {
        Assert.False(Parse("<jive><notice>127.0.0.1:3004</notice></jive>").IsClustered);
        Assert.False(Parse("<jive><zClient>127.0.0.1:2181</zClient></jive>").IsClustered);
    }

    [Theory]
    [InlineData("<root>zkfire</root>", "absolute znode path")]
    [InlineData("<root>/zkfire/</root>", "absolute znode path")]
    [InlineData("<nodeId>a/b</nodeId>", "one znode name")]
    [InlineData("<sessionTimeoutSeconds>0</sessionTimeoutSeconds>", "1-3600")]
    public void Bad_cluster_setting(string element, string message) => AssertError($"""
        <jive>
          <cluster>{element}</cluster>
        </jive>
        """, 2, message);

    [Fact]
    public void Port_out_of_range() => AssertError("""
        <jive>
          <zoo>
            <dataDir>/zk</dataDir>
            <clientPort>99999</clientPort>
          </zoo>
        </jive>
        """, 4, "<clientPort> must be a port number 1-65535, got '99999'");

    [Theory]
    [InlineData("one", "must be an integer 1-255, got 'one'")]
    [InlineData("0", "must be an integer 1-255, got '0'")]
    [InlineData("256", "must be an integer 1-255, got '256'")]
    [InlineData("4", "is 4, but no <server name=\"server.4\"> is listed (listed: 1, 2)")]
    public void Bad_myid(string myid, string message) => AssertError($"""
        <jive>
          <zoo>
            <dataDir>/zk</dataDir>
            <clientPort>2181</clientPort>
            <server name="server.1">a:2888:3888</server>
            <server name="server.2">b:2888:3888</server>
            <myid>{myid}</myid>
          </zoo>
        </jive>
        """, 7, "<myid> " + message);

    [Fact]
    public void Myid_required_when_servers_are_listed() => AssertError("""
        <jive>
          <zoo>
            <dataDir>/zk</dataDir>
            <clientPort>2181</clientPort>
            <server name="server.1">a:2888:3888</server>
          </zoo>
        </jive>
        """, 2, "<zoo> lists <server> entries, so it requires <myid>");

    [Theory]
    [InlineData("dataDir")]
    [InlineData("clientPort")]
    public void Zoo_requires_data_dir_and_client_port(string missing)
    {
        var children = new[] { "<dataDir>/zk</dataDir>", "<clientPort>2181</clientPort>" }.Where(c => !c.StartsWith($"<{missing}>", StringComparison.Ordinal));
        AssertError($"<jive>\n  <zoo>{string.Concat(children)}</zoo>\n</jive>", 2, $"<zoo> requires <{missing}>");
    }

    [Theory]
    [InlineData("server.1", "a:2888")]
    [InlineData("server.1", "a:2888:3888:leader")]
    [InlineData("server.1", "a:2888:2888")]
    [InlineData("server.1", "a:2888:70000")]
    [InlineData("server.1", "::1:2888:3888")]
    [InlineData("server.1", "bad host:2888:3888")]
    [InlineData("server.1", "a:2888:3888;2181")]
    public void Malformed_server_entry(string name, string value) => AssertError($"""
        <jive>
          <zoo>
            <dataDir>/zk</dataDir>
            <clientPort>2181</clientPort>
            <server name="{name}">{value}</server>
          </zoo>
        </jive>
        """, 5, $"<server name=\"{name}\"> must be host:quorumPort:electionPort[:participant|observer]", $"got '{value}'");

    [Theory]
    [InlineData("srv.1")]
    [InlineData("server.0")]
    [InlineData("server.x")]
    [InlineData("server.256")]
    public void Malformed_server_name(string name) => AssertError($"""
        <jive>
          <zoo>
            <dataDir>/zk</dataDir>
            <clientPort>2181</clientPort>
            <server name="{name}">a:2888:3888</server>
          </zoo>
        </jive>
        """, 5, "needs name=\"server.N\" with N 1-255", $"got '{name}'");

    [Fact]
    public void Duplicate_server() => AssertError("""
        <jive>
          <zoo>
            <dataDir>/zk</dataDir>
            <clientPort>2181</clientPort>
            <server name="server.1">a:2888:3888</server>
            <server name="server.1">b:2888:3888</server>
            <myid>1</myid>
          </zoo>
        </jive>
        """, 6, "<server name=\"server.1\"> repeats server.1 (first at line 5)");

    [Fact]
    public void Key_set_twice_through_element_and_property() => AssertError("""
        <jive>
          <zoo>
            <dataDir>/zk</dataDir>
            <clientPort>2181</clientPort>
            <property name="clientPort">2182</property>
          </zoo>
        </jive>
        """, 5, "<property name=\"clientPort\"> sets clientPort again (first set at line 4)");

    [Fact]
    public void Property_needs_a_name_and_cannot_write_servers()
    {
        AssertError("<jive>\n<zoo>\n<property>x</property></zoo></jive>", 3, "<property> needs a name=\"zoo.cfg key\" attribute");
        AssertError("<jive>\n<zoo>\n<property name=\"server.1\">a:1:2</property></zoo></jive>", 3, "write <server name=\"server.1\">");
    }

    [Fact]
    public void Repeated_element() => AssertError("""
        <jive>
          <xmpp>
            <c2sPort>5222</c2sPort>
            <c2sPort>5322</c2sPort>
          </xmpp>
        </jive>
        """, 4, "<c2sPort> appears twice (first at line 3)");

    [Fact]
    public void Bad_boolean() => AssertError("""
        <jive>
          <xmpp>
            <tls>
              <required>yes</required>
            </tls>
          </xmpp>
        </jive>
        """, 4, "<required> must be true or false, got 'yes'");

    [Fact]
    public void Bad_registration() => AssertError("""
        <jive>
          <xmpp>
            <registration>sometimes</registration>
          </xmpp>
        </jive>
        """, 3, "<registration> must be open or closed, got 'sometimes'");

    [Theory]
    [InlineData("maxStanzaBytes", "100", "1024-16777216")]
    [InlineData("maxDepth", "1", "2-1000")]
    [InlineData("pingTimeoutSeconds", "0", "1-3600")]
    [InlineData("offlineQuota", "-1", "0-1000000")]
    public void Limit_out_of_range_names_the_range(string element, string value, string range) => AssertError($"""
        <jive>
          <xmpp>
            <limits>
              <{element}>{value}</{element}>
            </limits>
          </xmpp>
        </jive>
        """, 4, $"<{element}> must be an integer {range}, got '{value}'");

    [Theory]
    [InlineData("<notice>::1:3004</notice>", "<notice> must be host:port (IPv6 as [::1]:3004)")]
    [InlineData("<notice>host</notice>", "<notice> must be host:port")]
    [InlineData("<zClient>a:2181,b</zClient>", "<zClient> must be host:port[,host:port...][/chroot]")]
    [InlineData("<zClient>a:2181/zk/</zClient>", "<zClient> must be host:port[,host:port...][/chroot]")]
    [InlineData("<xmpp><domain>bad_domain!</domain></xmpp>", "<domain> must be a DNS name or an IP address")]
    [InlineData("<xmpp><domain>10.0.0.300</domain></xmpp>", "<domain> must be a DNS name or an IP address")]
    [InlineData("<xmpp><listen>localhost</listen></xmpp>", "<listen> must be * (all interfaces) or an IP address")]
    [InlineData("<xmpp><c2sPort>5223</c2sPort></xmpp>", "<c2sPort> clashes: <c2sPort> and <directTlsPort> are both 5223")]
    [InlineData("<xmpp><tls><key>k.pem</key></tls></xmpp>", "<key> needs a <certificate>")]
    [InlineData("<xmpp><storage provider=\"mysql\"/></xmpp>", "<storage> provider must be sqlite or postgresql, got 'mysql'")]
    [InlineData("<xmpp><storage provider=\"postgresql\"/></xmpp>", "<storage> with provider=\"postgresql\" requires <connectionString>")]
    [InlineData("<xmpp><domain>  </domain></xmpp>", "<domain> must not be empty")]
    [InlineData("<xmpp><c2sPort><x/></c2sPort></xmpp>", "<c2sPort> must hold text, not elements")]
    public void Invalid_value(string element, string message) => AssertError($"<jive>\n  {element}\n</jive>", 2, message);

    [Fact]
    public void Wrong_root() => AssertError("<openfire/>", 1, "<openfire> is not the root element cluster.xml expects: <jive>");

    [Fact]
    public void Doctype_is_refused_with_its_line() => AssertError("""
        <?xml version="1.0"?>
        <!-- entities are an attack surface, not a feature -->
          <!DOCTYPE jive [<!ENTITY boom "boom">]>
        <jive/>
        """, 3, $"{Source}:3:3: <!DOCTYPE> is not allowed");

    [Fact]
    public void Malformed_xml_reports_its_line() => AssertError("""
        <jive>
          <zoo>
            <dataDir>/zk</dataDir>
        </jive>
        """, 4, "malformed XML: The 'zoo' start tag on line 2 position 4 does not match the end tag of 'jive'.");

    [Fact]
    public void Load_reads_the_file_in_its_declared_encoding_and_anchors_paths_at_its_folder()
    {
        var folder = Directory.CreateTempSubdirectory("zkfire-config-");
        try
        {
            var path = Path.Combine(folder.FullName, "cluster.xml");
            File.WriteAllBytes(path, Encoding.Latin1.GetBytes("""
                <?xml version="1.0" encoding="ISO-8859-1"?>
                <jive><xmpp><tls><certificate>c.pfx</certificate><password>passé</password></tls></xmpp></jive>
                """));

            var config = ClusterConfigReader.Load(path, logger);

            Assert.Equal(path, config.SourcePath);
            Assert.Equal(Path.Combine(folder.FullName, "c.pfx"), config.Xmpp.Tls.CertificatePath);
            Assert.Equal("passé", config.Xmpp.Tls.CertificatePassword);
            Assert.Equal(Path.Combine(folder.FullName, "data"), config.Xmpp.DataDir);

            File.WriteAllText(path, "<jive>\n<zoo>\n</jive>");
            Assert.StartsWith($"{path}:3:3: malformed XML", Assert.Throws<ConfigurationException>(() => ClusterConfigReader.Load(path, logger)).Message);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void Load_names_a_missing_file()
    {
        var error = Assert.Throws<ConfigurationException>(() => ClusterConfigReader.Load("/nonexistent/cluster.xml", logger));
        Assert.StartsWith("/nonexistent/cluster.xml: configuration file not found", error.Message);
    }
}
