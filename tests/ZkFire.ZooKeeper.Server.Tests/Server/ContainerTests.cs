using ZkFire.Jute;
using ZkFire.ZooKeeper.Server.Tests.Support;

namespace ZkFire.ZooKeeper.Server.Tests.Server;

public sealed class ContainerTests
{
    [Fact]
    public async Task An_emptied_container_is_reaped_and_one_that_never_had_a_child_is_not()
    {
        await using var server = await TestServer.StartAsync(o => o.ContainerCheckInterval = TimeSpan.FromMilliseconds(100));
        await using var client = await server.ConnectAsync();
        await CreateContainerAsync(client, "/used");
        await CreateContainerAsync(client, "/fresh");
        await CreateContainerAsync(client, "/busy");
        await client.CreateAsync("/used/child");
        await client.CreateAsync("/busy/child");
        await client.ErrorOfAsync(OpCode.Delete, new DeleteRequest("/used/child", -1));

        Assert.True(await Wire.EventuallyAsync(async () => await client.ExistsAsync("/used") is null, TimeSpan.FromSeconds(10)));
        await Task.Delay(300);
        Assert.NotNull(await client.ExistsAsync("/fresh"));
        Assert.NotNull(await client.ExistsAsync("/busy"));
    }

    [Fact]
    public async Task Ttl_znodes_go_once_unmodified_for_their_ttl_when_extended_types_are_on()
    {
        await using var server = await TestServer.StartAsync(o =>
        {
            o.ExtendedTypesEnabled = true;
            o.ContainerCheckInterval = TimeSpan.FromMilliseconds(100);
        });
        await using var client = await server.ConnectAsync();

        var created = await client.OkAsync<CreateTtlRequest, Create2Response>(OpCode.CreateTtl, new CreateTtlRequest("/ttl", [], WellKnownAcls.OpenAclUnsafe, (int)CreateMode.PersistentWithTtl, 200));
        Assert.Equal(0, created.Stat.EphemeralOwner);
        Assert.Equal(ErrorCode.BadArguments, await client.ErrorOfAsync(OpCode.CreateTtl, new CreateTtlRequest("/zero", [], WellKnownAcls.OpenAclUnsafe, (int)CreateMode.PersistentWithTtl, 0)));

        Assert.True(await Wire.EventuallyAsync(async () => await client.ExistsAsync("/ttl") is null, TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_client_cannot_delete_through_delete_container()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.CreateAsync("/n");

        Assert.Equal(ErrorCode.BadArguments, await client.ErrorOfAsync(OpCode.DeleteContainer, new DeleteRequest("/n", -1)));
        Assert.NotNull(await client.ExistsAsync("/n"));
    }

    private static Task<Create2Response> CreateContainerAsync(RawClient client, string path) =>
        client.OkAsync<CreateRequest, Create2Response>(OpCode.CreateContainer, new CreateRequest(path, [], WellKnownAcls.OpenAclUnsafe, (int)CreateMode.Container));
}
