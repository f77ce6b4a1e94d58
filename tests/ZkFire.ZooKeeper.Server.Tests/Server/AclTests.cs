using System.Text;
using ZkFire.Jute;
using ZkFire.ZooKeeper.Server.Tests.Support;

namespace ZkFire.ZooKeeper.Server.Tests.Server;

public sealed class AclTests : IAsyncLifetime
{
    private const string AliceDigest = "alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=";

    private TestServer server = null!;
    private RawClient client = null!;

    public async Task InitializeAsync()
    {
        server = await TestServer.StartAsync();
        client = await server.ConnectAsync();
    }

    public async Task DisposeAsync()
    {
        await client.DisposeAsync();
        await server.DisposeAsync();
    }

    [Fact]
    public async Task Who_am_i_lists_the_ip_then_proven_digests_in_ZooKeepers_order()
    {
        var before = await client.OkAsync<EmptyBody, WhoAmIResponse>(OpCode.WhoAmI, default);
        await AuthenticateAsync(client, "alice:secret");
        var after = await client.OkAsync<EmptyBody, WhoAmIResponse>(OpCode.WhoAmI, default);

        Assert.Equal([new ClientInfo("ip", "127.0.0.1")], before.ClientInfo);
        Assert.Equal([new ClientInfo("digest", "alice"), new ClientInfo("ip", "127.0.0.1")], after.ClientInfo);
    }

    [Fact]
    public async Task Digest_acl_guards_reads_and_writes_but_not_exists()
    {
        await AuthenticateAsync(client, "alice:secret");
        await client.CreateAsync("/secret", "s"u8.ToArray(), acl: Wire.Acl(Perms.All, "digest", AliceDigest));
        await using var other = await server.ConnectAsync();

        Assert.NotNull(await other.ExistsAsync("/secret"));
        Assert.Equal(ErrorCode.NoAuth, await other.ErrorOfAsync(OpCode.GetData, new GetDataRequest("/secret", false)));
        Assert.Equal(ErrorCode.NoAuth, await other.ErrorOfAsync(OpCode.SetData, new SetDataRequest("/secret", [], -1)));
        Assert.Equal(ErrorCode.NoAuth, await other.ErrorOfAsync(OpCode.GetAcl, new GetAclRequest("/secret")));
        Assert.Equal(ErrorCode.NoAuth, await other.CreateErrorAsync("/secret/c"));
        Assert.Equal(ErrorCode.NoAuth, await other.ErrorOfAsync(OpCode.SetAcl, new SetAclRequest("/secret", WellKnownAcls.OpenAclUnsafe, -1)));

        // A wrong password is no auth failure: it proves an id no ACL names.
        await AuthenticateAsync(other, "alice:wrong");
        Assert.Equal(ErrorCode.NoAuth, await other.ErrorOfAsync(OpCode.GetData, new GetDataRequest("/secret", false)));
        await AuthenticateAsync(other, "alice:secret");
        Assert.Equal(ErrorCode.Ok, await other.ErrorOfAsync(OpCode.GetData, new GetDataRequest("/secret", false)));
    }

    [Fact]
    public async Task Get_acl_needs_read_or_admin_and_masks_digests_without_admin()
    {
        await client.CreateAsync("/w", acl: Wire.Acl(Perms.Write, "world", "anyone"));
        await client.CreateAsync("/r", acl: [new Acl(Perms.Read, new Id("world", "anyone")), new Acl(Perms.Admin, new Id("digest", AliceDigest))]);

        Assert.Equal(ErrorCode.NoAuth, await client.ErrorOfAsync(OpCode.GetAcl, new GetAclRequest("/w")));
        var masked = await client.OkAsync<GetAclRequest, GetAclResponse>(OpCode.GetAcl, new GetAclRequest("/r"));
        Assert.Equal(new Id("digest", "alice:x"), masked.Acl[1].Id);
    }

    [Fact]
    public async Task Delete_needs_delete_on_the_parent_only()
    {
        await client.CreateAsync("/p", acl: Wire.Acl(Perms.All & ~Perms.Delete, "world", "anyone"));
        await client.CreateAsync("/p/c", acl: Wire.Acl(Perms.Read, "world", "anyone"));
        await client.CreateAsync("/open", acl: Wire.Acl(Perms.Delete, "world", "anyone"));

        Assert.Equal(ErrorCode.NoAuth, await client.ErrorOfAsync(OpCode.Delete, new DeleteRequest("/p/c", -1)));
        Assert.Equal(ErrorCode.Ok, await client.ErrorOfAsync(OpCode.Delete, new DeleteRequest("/open", -1)));
    }

    [Fact]
    public async Task Malformed_acls_are_invalid()
    {
        Assert.Equal(ErrorCode.InvalidAcl, await client.CreateErrorAsync("/a", acl: []));
        Assert.Equal(ErrorCode.InvalidAcl, await client.CreateErrorAsync("/b", acl: Wire.Acl(Perms.All, "nosuchscheme", "x")));
        Assert.Equal(ErrorCode.InvalidAcl, await client.CreateErrorAsync("/c", acl: WellKnownAcls.CreatorAllAcl));
        Assert.Equal(ErrorCode.InvalidAcl, await client.CreateErrorAsync("/d", acl: Wire.Acl(Perms.All, "world", "someone")));
        Assert.Equal(ErrorCode.InvalidAcl, await client.CreateErrorAsync("/e", acl: Wire.Acl(Perms.All, "digest", "alice")));
        Assert.Equal(ErrorCode.InvalidAcl, await client.CreateErrorAsync("/f", acl: Wire.Acl(Perms.All, "ip", "127.0.0.1/99")));
    }

    [Fact]
    public async Task Auth_scheme_expands_to_the_callers_digest_and_accepts_a_null_id()
    {
        await AuthenticateAsync(client, "alice:secret");
        // kazoo writes every empty string as -1, so its auth:"" arrives with a null id.
        var frame = RawClient.Frame((ref JuteWriter w) =>
        {
            new RequestHeader(42, OpCode.Create).Write(ref w);
            w.WriteString("/mine");
            w.WriteBuffer([]);
            w.WriteInt(1);
            w.WriteInt((int)Perms.All);
            w.WriteString("auth");
            w.WriteString(null);
            w.WriteInt(0);
        });
        await client.SendFrameAsync(frame);
        Assert.Equal(ErrorCode.Ok, (await client.ReceiveAsync())!.Header.Err);

        var acl = await client.OkAsync<GetAclRequest, GetAclResponse>(OpCode.GetAcl, new GetAclRequest("/mine"));
        Assert.Equal(Wire.Acl(Perms.All, "digest", AliceDigest), acl.Acl);
    }

    [Fact]
    public async Task Duplicate_entries_collapse_and_set_acl_checks_the_aversion()
    {
        var world = new Acl(Perms.Read, new Id("world", "anyone"));
        await client.CreateAsync("/dup", acl: [world, world, new Acl(Perms.All, new Id("world", "anyone"))]);

        Assert.Equal(2, (await client.OkAsync<GetAclRequest, GetAclResponse>(OpCode.GetAcl, new GetAclRequest("/dup"))).Acl.Count);
        Assert.Equal(ErrorCode.BadVersion, await client.ErrorOfAsync(OpCode.SetAcl, new SetAclRequest("/dup", WellKnownAcls.OpenAclUnsafe, 3)));
        var set = await client.OkAsync<SetAclRequest, SetAclResponse>(OpCode.SetAcl, new SetAclRequest("/dup", WellKnownAcls.OpenAclUnsafe, 0));
        Assert.Equal(1, set.Stat.Aversion);
    }

    [Theory]
    [InlineData("127.0.0.1", ErrorCode.Ok)]
    [InlineData("127.0.0.0/8", ErrorCode.Ok)]
    [InlineData("10.0.0.1", ErrorCode.NoAuth)]
    [InlineData("10.0.0.0/8", ErrorCode.NoAuth)]
    public async Task Ip_acls_match_the_connection_address(string expression, ErrorCode expected)
    {
        await client.CreateAsync("/ip", acl: Wire.Acl(Perms.All, "ip", expression));

        Assert.Equal(expected, await client.ErrorOfAsync(OpCode.GetData, new GetDataRequest("/ip", false)));
    }

    [Fact]
    public async Task Auth_with_an_unknown_scheme_fails_and_closes_the_connection_but_not_the_session()
    {
        await client.SendAsync(new RequestHeader(SpecialXid.Auth, OpCode.Auth), new AuthPacket(0, "nosuchscheme", "x"u8.ToArray()));

        var reply = await client.ReceiveAsync();
        Assert.Equal(new ReplyHeader(SpecialXid.Auth, 0, ErrorCode.AuthFailed), reply!.Header);
        Assert.True(await client.ClosedByServerAsync());
        await using var resumed = await RawClient.ConnectAsync(server.EndPoint, sessionId: client.SessionId, password: client.Password);
        Assert.Equal(client.SessionId, resumed.SessionId);
    }

    [Fact]
    public async Task The_super_digest_passes_every_check()
    {
        await using var guarded = await TestServer.StartAsync(o => o.SuperDigest = "super:D/InIHSb7yEEbrWz8b9l71RjZJU=");
        await using var owner = await guarded.ConnectAsync();
        await owner.CreateAsync("/locked", acl: Wire.Acl(Perms.All, "digest", AliceDigest));
        await using var admin = await guarded.ConnectAsync();

        await AuthenticateAsync(admin, "super:test");

        Assert.Equal(ErrorCode.Ok, await admin.ErrorOfAsync(OpCode.GetData, new GetDataRequest("/locked", false)));
    }

    private static async Task AuthenticateAsync(RawClient client, string userAndPassword)
    {
        await client.SendAsync(new RequestHeader(SpecialXid.Auth, OpCode.Auth), new AuthPacket(0, "digest", Encoding.UTF8.GetBytes(userAndPassword)));
        var reply = await client.ReceiveAsync();
        Assert.Equal(new ReplyHeader(SpecialXid.Auth, 0, ErrorCode.Ok), reply!.Header);
    }
}
