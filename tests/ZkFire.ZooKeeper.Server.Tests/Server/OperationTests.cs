using ZkFire.Jute;
using ZkFire.ZooKeeper.Server.Tests.Support;

namespace ZkFire.ZooKeeper.Server.Tests.Server;

/// <summary>Every op's success and error codes, as PEERS.md records Apache ZooKeeper 3.8's answers.</summary>
public sealed class OperationTests : IAsyncLifetime
{
    private TestServer server = null!;
    private RawClient client = null!;

    public async Task InitializeAsync()
    {
        server = await TestServer.StartAsync(o => o.FourLetterWords = new HashSet<string> { "*" });
        client = await server.ConnectAsync();
    }

    public async Task DisposeAsync()
    {
        await client.DisposeAsync();
        await server.DisposeAsync();
    }

    [Fact]
    public async Task Create_get_set_and_delete_follow_versions()
    {
        Assert.Equal("/n", await client.CreateAsync("/n", "v1"u8.ToArray()));
        var got = await client.OkAsync<GetDataRequest, GetDataResponse>(OpCode.GetData, new GetDataRequest("/n", false));
        Assert.Equal("v1"u8.ToArray(), got.Data);
        Assert.Equal((0, 2), (got.Stat.Version, got.Stat.DataLength));

        var set = await client.OkAsync<SetDataRequest, SetDataResponse>(OpCode.SetData, new SetDataRequest("/n", "v1"u8.ToArray(), 0));
        Assert.Equal(1, set.Stat.Version);
        Assert.Equal(ErrorCode.BadVersion, await client.ErrorOfAsync(OpCode.SetData, new SetDataRequest("/n", [], 0)));
        Assert.Equal(ErrorCode.BadVersion, await client.ErrorOfAsync(OpCode.Delete, new DeleteRequest("/n", 7)));
        Assert.Equal(ErrorCode.Ok, await client.ErrorOfAsync(OpCode.Delete, new DeleteRequest("/n", 1)));
        Assert.Null(await client.ExistsAsync("/n"));
        Assert.Equal(ErrorCode.NoNode, await client.ErrorOfAsync(OpCode.GetData, new GetDataRequest("/n", false)));
        Assert.Equal(ErrorCode.NoNode, await client.ErrorOfAsync(OpCode.SetData, new SetDataRequest("/n", [], -1)));
    }

    [Fact]
    public async Task Create2_returns_the_stat_and_null_data_stays_null()
    {
        var created = await client.OkAsync<CreateRequest, Create2Response>(OpCode.Create2, new CreateRequest("/c", null, WellKnownAcls.OpenAclUnsafe, 0));
        var got = await client.OkAsync<GetDataRequest, GetDataResponse>(OpCode.GetData, new GetDataRequest("/c", false));

        Assert.Equal(("/c", 2L, 2L), (created.Path, created.Stat.Czxid, created.Stat.Mzxid));
        Assert.Null(got.Data);
    }

    [Theory]
    [InlineData("/.")]
    [InlineData("/..")]
    [InlineData("//x")]
    [InlineData("/x\u0001")]
    [InlineData("/x\u007f")]
    [InlineData("/x\u009f")]
    [InlineData("/x\ud83d\ude00")]
    [InlineData("/x\ue000")]
    [InlineData("/x\ufff0")]
    [InlineData("")]
    [InlineData("relative")]
    [InlineData("/x\u0000")]
    public async Task Invalid_paths_are_bad_arguments_on_writes_and_not_found_on_reads(string path)
    {
        Assert.Equal(ErrorCode.BadArguments, await client.CreateErrorAsync(path));
        Assert.Equal(ErrorCode.NoNode, await client.ErrorOfAsync(OpCode.GetData, new GetDataRequest(path, false)));
    }

    [Fact]
    public async Task A_missing_parent_wins_over_a_trailing_slash()
    {
        await client.CreateAsync("/p");

        Assert.Equal(ErrorCode.NoNode, await client.CreateErrorAsync("/missing/"));
        Assert.Equal(ErrorCode.NoNode, await client.CreateErrorAsync("/missing/child"));
        Assert.Equal(ErrorCode.NoNode, await client.CreateErrorAsync("/p/../x"));
        Assert.Equal(ErrorCode.BadArguments, await client.CreateErrorAsync("/p/"));
    }

    [Fact]
    public async Task A_null_path_is_a_marshalling_error_that_still_takes_a_zxid()
    {
        var reply = await client.RequestAsync(OpCode.Create, new CreateRequest(null!, [], WellKnownAcls.OpenAclUnsafe, 0));

        Assert.Equal(ErrorCode.MarshallingError, reply.Header.Err);
        Assert.Equal(2, reply.Header.Zxid);
        Assert.NotNull(await client.ExistsAsync("/"));
    }

    [Fact]
    public async Task Failed_writes_consume_a_zxid()
    {
        await client.CreateAsync("/x");
        Assert.Equal(ErrorCode.NodeExists, await client.CreateErrorAsync("/x"));

        var created = await client.OkAsync<CreateRequest, Create2Response>(OpCode.Create2, new CreateRequest("/y", [], WellKnownAcls.OpenAclUnsafe, 0));

        // createSession 1, /x 2, the failed create 3, /y 4.
        Assert.Equal(4, created.Stat.Czxid);
    }

    [Fact]
    public async Task Sequential_suffix_counts_creations_while_cversion_counts_deletions_too()
    {
        await client.CreateAsync("/q");
        Assert.Equal("/q/n-0000000000", await client.CreateAsync("/q/n-", mode: CreateMode.PersistentSequential));
        var second = await client.CreateAsync("/q/n-", mode: CreateMode.PersistentSequential);
        await client.ErrorOfAsync(OpCode.Delete, new DeleteRequest(second, -1));

        Assert.Equal(3, (await client.ExistsAsync("/q"))!.Value.Cversion);
        Assert.Equal("/q/n-0000000002", await client.CreateAsync("/q/n-", mode: CreateMode.PersistentSequential));
        Assert.Equal("/q/0000000003", await client.CreateAsync("/q/", mode: CreateMode.PersistentSequential));
    }

    [Fact]
    public async Task Ephemerals_have_no_children_and_belong_to_the_session()
    {
        await client.CreateAsync("/e", mode: CreateMode.Ephemeral);

        Assert.Equal(client.SessionId, (await client.ExistsAsync("/e"))!.Value.EphemeralOwner);
        Assert.Equal(ErrorCode.NoChildrenForEphemerals, await client.CreateErrorAsync("/e/child"));
        var ephemerals = await client.OkAsync<GetEphemeralsRequest, GetEphemeralsResponse>(OpCode.GetEphemerals, new GetEphemeralsRequest("/"));
        Assert.Equal(["/e"], ephemerals.Ephemerals);
    }

    [Fact]
    public async Task Reserved_znodes_cannot_be_deleted_and_config_is_read_only()
    {
        Assert.Equal(ErrorCode.BadArguments, await client.ErrorOfAsync(OpCode.Delete, new DeleteRequest("/", -1)));
        Assert.Equal(ErrorCode.BadArguments, await client.ErrorOfAsync(OpCode.Delete, new DeleteRequest("/zookeeper", -1)));
        Assert.Equal(ErrorCode.BadArguments, await client.ErrorOfAsync(OpCode.Delete, new DeleteRequest("/zookeeper/quota", -1)));
        Assert.Equal(ErrorCode.NoAuth, await client.ErrorOfAsync(OpCode.SetData, new SetDataRequest("/zookeeper/config", [1], -1)));
        Assert.Equal(ErrorCode.Ok, await client.ErrorOfAsync(OpCode.SetData, new SetDataRequest("/", [], -1)));
        Assert.Equal("/zookeeper/mine", await client.CreateAsync("/zookeeper/mine"));
        Assert.Equal(ErrorCode.NodeExists, await client.CreateErrorAsync("/"));
    }

    [Fact]
    public async Task Children_counts_and_sync()
    {
        await client.CreateAsync("/p");
        await client.CreateAsync("/p/a");
        await client.CreateAsync("/p/a/b");
        await client.CreateAsync("/p/c");

        var children = await client.OkAsync<GetChildren2Request, GetChildren2Response>(OpCode.GetChildren2, new GetChildren2Request("/p", false));
        var all = await client.OkAsync<GetAllChildrenNumberRequest, GetAllChildrenNumberResponse>(OpCode.GetAllChildrenNumber, new GetAllChildrenNumberRequest("/p"));
        var synced = await client.OkAsync<SyncRequest, SyncResponse>(OpCode.Sync, new SyncRequest("/no/such/node"));

        Assert.Equal(["a", "c"], children.Children.Order(StringComparer.Ordinal));
        Assert.Equal(2, children.Stat.NumChildren);
        Assert.Equal(3, all.TotalNumber);
        Assert.Equal("/no/such/node", synced.Path);
    }

    [Fact]
    public async Task Multi_applies_every_op_and_answers_each()
    {
        await client.CreateAsync("/m");
        var response = await client.OkAsync<MultiRequest, MultiResponse>(OpCode.Multi, new MultiRequest(
        [
            MultiOp.Create(new CreateRequest("/m/a", [], WellKnownAcls.OpenAclUnsafe, 0)),
            MultiOp.Create2(new CreateRequest("/m/s-", [], WellKnownAcls.OpenAclUnsafe, (int)CreateMode.PersistentSequential)),
            MultiOp.SetData(new SetDataRequest("/m/a", [1], 0)),
            MultiOp.Check(new CheckVersionRequest("/m/a", 1)),
            MultiOp.Delete(new DeleteRequest("/m/a", 1)),
        ]));

        Assert.Equal([OpCode.Create, OpCode.Create, OpCode.SetData, OpCode.Check, OpCode.Delete], response.Results.Select(r => r.Type));
        // A create2 inside a multi is retyped by its flags, as ZooKeeper 3.8 does: a plain create result.
        Assert.Equal("/m/s-0000000001", ((MultiResult<CreateResponse>)response.Results[1]).Body.Path);
        Assert.Equal(["s-0000000001"], (await client.OkAsync<GetChildrenRequest, GetChildrenResponse>(OpCode.GetChildren, new GetChildrenRequest("/m", false))).Children);
    }

    [Fact]
    public async Task Failed_multi_reports_rolled_back_the_error_and_runtime_inconsistency_and_applies_nothing()
    {
        await client.CreateAsync("/m");
        await client.CreateAsync("/m/x");
        var before = await client.ExistsAsync("/m");

        var reply = await client.RequestAsync(OpCode.Multi, new MultiRequest(
        [
            MultiOp.Create(new CreateRequest("/m/new1", [], WellKnownAcls.OpenAclUnsafe, 0)),
            MultiOp.Check(new CheckVersionRequest("/m/x", 7)),
            MultiOp.Create(new CreateRequest("/m/new2", [], WellKnownAcls.OpenAclUnsafe, 0)),
        ]));

        Assert.Equal(ErrorCode.Ok, reply.Header.Err);
        Assert.Equal(
            [ErrorCode.Ok, ErrorCode.BadVersion, ErrorCode.RuntimeInconsistency],
            reply.Read<MultiResponse>().Results.Select(r => ((MultiResult<ErrorResponse>)r).Body.Err));
        var after = await client.ExistsAsync("/m");
        Assert.Equal(before!.Value with { Pzxid = 0 }, after!.Value with { Pzxid = 0 });
        Assert.Equal(before.Value.Pzxid, after.Value.Pzxid);
    }

    [Fact]
    public async Task Multi_sees_the_changes_of_its_earlier_ops()
    {
        var reply = await client.RequestAsync(OpCode.Multi, new MultiRequest(
        [
            MultiOp.Create(new CreateRequest("/dup", [], WellKnownAcls.OpenAclUnsafe, 0)),
            MultiOp.Create(new CreateRequest("/dup", [], WellKnownAcls.OpenAclUnsafe, 0)),
        ]));

        Assert.Equal([ErrorCode.Ok, ErrorCode.NodeExists], reply.Read<MultiResponse>().Results.Select(r => r.Err));
        Assert.Null(await client.ExistsAsync("/dup"));
    }

    [Fact]
    public async Task Empty_multi_returns_an_empty_list()
    {
        var response = await client.OkAsync<MultiRequest, MultiResponse>(OpCode.Multi, new MultiRequest([]));

        Assert.Empty(response.Results);
    }

    [Fact]
    public async Task Multi_read_answers_each_op_on_its_own()
    {
        await client.CreateAsync("/r", "d"u8.ToArray());
        await client.CreateAsync("/r/c");

        var response = await client.OkAsync<MultiRequest, MultiResponse>(OpCode.MultiRead, new MultiRequest(
        [
            MultiOp.GetData(new GetDataRequest("/r", false)),
            MultiOp.GetChildren(new GetChildrenRequest("/r", false)),
            MultiOp.GetData(new GetDataRequest("/missing", false)),
        ]));

        Assert.Equal("d"u8.ToArray(), ((MultiResult<GetDataResponse>)response.Results[0]).Body.Data);
        Assert.Equal(["c"], ((MultiResult<GetChildrenResponse>)response.Results[1]).Body.Children);
        Assert.Equal(ErrorCode.NoNode, response.Results[2].Err);
    }

    [Fact]
    public async Task Containers_show_no_owner_and_ttl_is_unimplemented_by_default()
    {
        var container = await client.OkAsync<CreateRequest, Create2Response>(OpCode.CreateContainer, new CreateRequest("/box", [], WellKnownAcls.OpenAclUnsafe, (int)CreateMode.Container));

        Assert.Equal(0, container.Stat.EphemeralOwner);
        Assert.Equal(ErrorCode.Unimplemented, await client.ErrorOfAsync(OpCode.CreateTtl, new CreateTtlRequest("/ttl", [], WellKnownAcls.OpenAclUnsafe, (int)CreateMode.PersistentWithTtl, 60_000)));
        Assert.Equal(ErrorCode.BadArguments, await client.ErrorOfAsync(OpCode.Create, new CreateRequest("/flags", [], WellKnownAcls.OpenAclUnsafe, 99)));
    }

    [Fact]
    public async Task Unknown_opcode_is_unimplemented_and_closes_the_connection()
    {
        var reply = await client.RequestAsync((OpCode)77, default(EmptyBody));

        Assert.Equal(ErrorCode.Unimplemented, reply.Header.Err);
        Assert.True(await client.ClosedByServerAsync());
    }

    [Fact]
    public async Task Reconfig_is_disabled()
    {
        var reply = await client.RequestAsync(OpCode.Reconfig, new ReconfigRequest(null, null, "server.1=x", -1));

        Assert.Equal(ErrorCode.ReconfigDisabled, reply.Header.Err);
    }
}
