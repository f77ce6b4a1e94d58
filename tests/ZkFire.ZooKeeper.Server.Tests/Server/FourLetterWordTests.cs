using System.Text;
using ZkFire.ZooKeeper.Server.Tests.Support;

namespace ZkFire.ZooKeeper.Server.Tests.Server;

public sealed class FourLetterWordTests
{
    [Fact]
    public async Task Only_srvr_is_answered_by_default()
    {
        await using var server = await TestServer.StartAsync();

        Assert.StartsWith("Zookeeper version: 3.8.", await AskAsync(server, "srvr"));
        Assert.Equal("ruok is not executed because it is not in the whitelist.\n", await AskAsync(server, "ruok"));
    }

    [Fact]
    public async Task Whitelisted_words_answer_as_ZooKeeper_does()
    {
        await using var server = await TestServer.StartAsync(o => o.FourLetterWords = new HashSet<string> { "*" });
        await using var client = await server.ConnectAsync();
        await client.CreateAsync("/n");
        await client.ExistsAsync("/n", watch: true);

        Assert.Equal("imok", await AskAsync(server, "ruok"));
        Assert.Equal("imok", await AskAsync(server, "ruokX"));
        Assert.Equal("rw", await AskAsync(server, "isro"));
        Assert.Equal("", await AskAsync(server, "abcd"));
        Assert.Contains("\nzookeeper.version=3.8.", await AskAsync(server, "envi"));
        Assert.Contains("clientPort=0\n", await AskAsync(server, "conf"));
        Assert.Contains($"sid=0x{client.SessionId:x}", await AskAsync(server, "cons"));
        Assert.Equal("1 connections watching 1 paths\nTotal watches:1\n", await AskAsync(server, "wchs"));
        Assert.Contains("\t/n\n", await AskAsync(server, "wchc"));
        Assert.Contains("Sessions with Ephemerals (0):", await AskAsync(server, "dump"));

        var stat = await AskAsync(server, "stat");
        Assert.StartsWith("Zookeeper version: 3.8.", stat);
        Assert.Contains("\nClients:\n", stat);
        Assert.Contains("\nMode: standalone\nNode count: 6\n", stat);

        var mntr = (await AskAsync(server, "mntr")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(mntr, line => Assert.Single(line, '\t'));
        Assert.Contains("zk_server_state\tstandalone", mntr);
        Assert.Contains("zk_znode_count\t6", mntr);
        Assert.Contains("zk_watch_count\t1", mntr);
    }

    private static async Task<string> AskAsync(TestServer server, string word)
    {
        await using var client = await RawClient.OpenAsync(server.EndPoint);
        await client.SendFrameAsync(Encoding.ASCII.GetBytes(word));
        return await client.ReadToEndAsync();
    }
}
