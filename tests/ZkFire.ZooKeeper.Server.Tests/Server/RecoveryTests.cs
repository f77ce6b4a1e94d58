using ZkFire.Jute;
using ZkFire.ZooKeeper.Server.Tests.Support;

namespace ZkFire.ZooKeeper.Server.Tests.Server;

/// <summary>Stopping and starting on the same dataDir: everything acknowledged is still there.</summary>
public sealed class RecoveryTests : IDisposable
{
    private readonly string dataDir = Path.Combine(Path.GetTempPath(), "zkfire-recovery-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(dataDir))
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }

    [Theory]
    [InlineData(100_000)]
    [InlineData(4)]
    public async Task A_restart_recovers_the_same_tree_and_continues_the_zxids(int snapCount)
    {
        Stat before;
        long lastZxid;
        await using (var server = await StartAsync(o => o.SnapCount = snapCount))
        {
            await using var client = await server.ConnectAsync();
            await client.CreateAsync("/a", "1"u8.ToArray());
            await client.CreateAsync("/a/s-", mode: CreateMode.PersistentSequential);
            var deleted = await client.CreateAsync("/a/s-", mode: CreateMode.PersistentSequential);
            await client.ErrorOfAsync(OpCode.Delete, new DeleteRequest(deleted, -1));
            for (var i = 0; i < 10; i++)
            {
                await client.OkAsync<SetDataRequest, SetDataResponse>(OpCode.SetData, new SetDataRequest("/a", [(byte)i], -1));
            }

            await client.CreateAsync("/acl", acl: Wire.Acl(Perms.Read, "world", "anyone"));
            before = (await client.ExistsAsync("/a"))!.Value;
            lastZxid = (await client.RequestAsync(OpCode.Sync, new SyncRequest("/"))).Header.Zxid;
        }

        await using (var server = await StartAsync(o => o.SnapCount = snapCount))
        {
            await using var client = await server.ConnectAsync();
            var got = await client.OkAsync<GetDataRequest, GetDataResponse>(OpCode.GetData, new GetDataRequest("/a", false));
            var acl = await client.OkAsync<GetAclRequest, GetAclResponse>(OpCode.GetAcl, new GetAclRequest("/acl"));
            var next = await client.OkAsync<CreateRequest, Create2Response>(OpCode.Create2, new CreateRequest("/a/s-", [], WellKnownAcls.OpenAclUnsafe, (int)CreateMode.PersistentSequential));

            Assert.Equal(before, got.Stat);
            Assert.Equal([9], got.Data);
            Assert.Equal(Wire.Acl(Perms.Read, "world", "anyone"), acl.Acl);
            Assert.Equal("/a/s-0000000002", next.Path);
            // The new session took lastZxid + 1, the create the one after.
            Assert.Equal(lastZxid + 2, next.Stat.Czxid);
        }
    }

    [Fact]
    public async Task An_acknowledged_write_is_on_disk_when_acknowledged()
    {
        var crashed = dataDir + "-crashed";
        try
        {
            await using (var server = await StartAsync())
            {
                await using var client = await server.ConnectAsync();
                await client.CreateAsync("/acked", "yes"u8.ToArray());

                // What a crash right now would leave: the files as they are, copied while the server runs.
                Directory.CreateDirectory(crashed);
                foreach (var file in Directory.GetFiles(dataDir))
                {
                    File.Copy(file, Path.Combine(crashed, Path.GetFileName(file)));
                }
            }

            await using var recovered = await TestServer.StartAsync(crashed, configure: null, ownsDirectory: true);
            await using var reader = await recovered.ConnectAsync();
            var got = await reader.OkAsync<GetDataRequest, GetDataResponse>(OpCode.GetData, new GetDataRequest("/acked", false));
            Assert.Equal("yes"u8.ToArray(), got.Data);
        }
        finally
        {
            if (Directory.Exists(crashed))
            {
                Directory.Delete(crashed, recursive: true);
            }
        }
    }

    [Fact]
    public async Task A_restored_session_keeps_its_ephemerals_until_its_timeout_passes_and_can_resume()
    {
        long sessionId;
        byte[] password;
        await using (var server = await StartAsync(o => o.TickTime = 100))
        {
            var client = await server.ConnectAsync(timeout: 2000);
            await client.CreateAsync("/e", mode: CreateMode.Ephemeral);
            await client.CreateAsync("/gone", mode: CreateMode.Ephemeral);
            (sessionId, password) = (client.SessionId, client.Password);
            await client.DisposeAsync();
        }

        await using (var server = await StartAsync(o => o.TickTime = 100))
        {
            await using var observer = await server.ConnectAsync();
            Assert.Equal(sessionId, (await observer.ExistsAsync("/e"))?.EphemeralOwner);

            await using var resumed = await RawClient.ConnectAsync(server.EndPoint, timeout: 2000, sessionId: sessionId, password: password);
            Assert.Equal(sessionId, resumed.SessionId);
            await resumed.ErrorOfAsync(OpCode.Delete, new DeleteRequest("/gone", -1));
            await resumed.RequestAsync(OpCode.CloseSession, default(EmptyBody));
            Assert.Null(await observer.ExistsAsync("/e"));
        }
    }

    [Fact]
    public async Task A_restored_session_that_never_returns_expires()
    {
        await using (var server = await StartAsync(o => o.TickTime = 100))
        {
            var client = await server.ConnectAsync(timeout: 400);
            await client.CreateAsync("/e", mode: CreateMode.Ephemeral);
            await client.DisposeAsync();
        }

        await using (var server = await StartAsync(o => o.TickTime = 100))
        {
            await using var observer = await server.ConnectAsync();
            Assert.NotNull(await observer.ExistsAsync("/e"));
            Assert.True(await Wire.EventuallyAsync(async () => await observer.ExistsAsync("/e") is null, TimeSpan.FromSeconds(10)));
        }
    }

    [Fact]
    public async Task Session_passwords_survive_a_restart()
    {
        long sessionId;
        byte[] password;
        await using (var server = await StartAsync())
        {
            var client = await server.ConnectAsync();
            (sessionId, password) = (client.SessionId, client.Password);
            await client.DisposeAsync();
        }

        await using (var server = await StartAsync())
        {
            await using var resumed = await RawClient.ConnectAsync(server.EndPoint, sessionId: sessionId, password: password);
            Assert.Equal(sessionId, resumed.SessionId);
        }
    }

    private Task<TestServer> StartAsync(Action<ZooKeeperServerOptions>? configure = null) =>
        TestServer.StartAsync(dataDir, configure, ownsDirectory: false);
}
