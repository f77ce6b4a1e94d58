using System.Net;
using ZkFire.Jute;
using ZkFire.ZooKeeper.Server.Auth;

namespace ZkFire.ZooKeeper.Server.Tests.Auth;

public sealed class AuthProvidersTests
{
    private static readonly Id Loopback = new("ip", "127.0.0.1");

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("127.0.0.0/8", true)]
    [InlineData("127.1.2.3/8", true)]
    [InlineData("0.0.0.0/0", true)]
    [InlineData("127.0.0.2", false)]
    [InlineData("10.0.0.0/8", false)]
    public void Ip_entries_match_by_masked_address(string expression, bool allowed) =>
        Assert.Equal(allowed, AuthProviders.Allows([new Acl(Perms.Read, new Id("ip", expression))], Perms.Read, [Loopback]));

    [Fact]
    public void Only_the_requested_permissions_count_and_an_empty_acl_allows_all()
    {
        IReadOnlyList<Acl> writeOnly = [new Acl(Perms.Write, WellKnownAcls.AnyoneIdUnsafe)];

        Assert.False(AuthProviders.Allows(writeOnly, Perms.Read, [Loopback]));
        Assert.True(AuthProviders.Allows(writeOnly, Perms.Read | Perms.Write, [Loopback]));
        Assert.True(AuthProviders.Allows([], Perms.Admin, [Loopback]));
        Assert.True(AuthProviders.Allows(writeOnly, Perms.Admin, [new Id("super", "")]));
    }

    [Theory]
    [InlineData("digest", "alice:hash", true)]
    [InlineData("digest", "alice", false)]
    [InlineData("digest", "a:b:c", false)]
    [InlineData("digest", "alice:", false)]
    [InlineData("ip", "10.1.2.3", true)]
    [InlineData("ip", "10.1.2.3/33", false)]
    [InlineData("ip", "10.1.2", false)]
    [InlineData("ip", "10.1.2.256", false)]
    [InlineData("ip", "::1", false)]
    [InlineData("world", "anyone", true)]
    [InlineData("world", "everyone", false)]
    [InlineData("sasl", "alice", false)]
    public void Fixup_refuses_ids_its_scheme_finds_malformed(string scheme, string id, bool valid) =>
        Assert.Equal(valid, AuthProviders.Fixup([new Acl(Perms.All, new Id(scheme, id))], [Loopback]) is not null);

    [Fact]
    public void Fixup_expands_auth_into_authenticated_ids_only()
    {
        var digest = new Id("digest", "alice:hash");

        Assert.Null(AuthProviders.Fixup(WellKnownAcls.CreatorAllAcl, [Loopback]));
        Assert.Equal([new Acl(Perms.All, digest)], AuthProviders.Fixup(WellKnownAcls.CreatorAllAcl, [Loopback, digest]));
    }

    [Fact]
    public void Authenticate_adds_digest_ids_once_and_fails_unknown_schemes()
    {
        var providers = new AuthProviders(superDigest: null);
        var ids = new List<Id> { Loopback };

        Assert.Equal(ErrorCode.Ok, providers.Authenticate("digest", "alice:secret"u8.ToArray(), IPAddress.Loopback, ids));
        Assert.Equal(ErrorCode.Ok, providers.Authenticate("digest", "alice:secret"u8.ToArray(), IPAddress.Loopback, ids));
        Assert.Equal(ErrorCode.AuthFailed, providers.Authenticate("sasl", [], IPAddress.Loopback, ids));

        Assert.Equal([new Id("digest", "alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E="), Loopback], ids);
    }

    [Fact]
    public void Host_addresses_are_written_as_Java_writes_them()
    {
        Assert.Equal("127.0.0.1", AuthProviders.JavaHostAddress(IPAddress.Parse("::ffff:127.0.0.1")));
        Assert.Equal("0:0:0:0:0:0:0:1", AuthProviders.JavaHostAddress(IPAddress.IPv6Loopback));
    }
}
