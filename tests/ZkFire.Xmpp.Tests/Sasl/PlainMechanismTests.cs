using ZkFire.Xmpp.Sasl;

namespace ZkFire.Xmpp.Tests.Sasl;

public sealed class PlainMechanismTests
{
    private static ISaslMechanism Plain(InMemoryUserStore users) => SaslMechanisms.Create("PLAIN", encrypted: true, [], users)!;

    [Theory]
    [InlineData("\0user\0pencil")]
    [InlineData("\0USER\0pencil")]
    [InlineData("user\0user\0pencil")]
    [InlineData("user@example.com\0user\0pencil")]
    public async Task Correct_password_succeeds(string message)
    {
        var result = await Plain(InMemoryUserStore.With("user", "pencil")).Step(message);
        Assert.Equal(new SaslResult(SaslOutcome.Success, null, "user", null), result);
    }

    [Fact]
    public async Task Password_is_saslprepped()
    {
        var result = await Plain(InMemoryUserStore.With("user", "\u2168")).Step("\0user\0IX");
        Assert.Equal(SaslOutcome.Success, result.Outcome);
    }

    [Theory]
    [InlineData("\0user\0Pencil", "user")]
    [InlineData("\0nobody\0pencil", "nobody")]
    [InlineData("\0user\0pen\u0007cil", "user")]
    [InlineData("\0a b\0pencil", null)]
    public async Task Wrong_credentials_are_not_authorized(string message, string? username)
    {
        var result = await Plain(InMemoryUserStore.With("user", "pencil")).Step(message);
        Assert.Equal(new SaslResult(SaslOutcome.Failure, null, username, "not-authorized"), result);
    }

    [Fact]
    public async Task Authzid_for_someone_else_is_refused()
    {
        var result = await Plain(InMemoryUserStore.With("user", "pencil")).Step("admin\0user\0pencil");
        Assert.Equal(new SaslResult(SaslOutcome.Failure, null, "user", "invalid-authzid"), result);
    }

    [Theory]
    [InlineData("user pencil")]
    [InlineData("\0user")]
    [InlineData("\0user\0pencil\0")]
    [InlineData("\0\0pencil")]
    [InlineData("\0user\0")]
    public async Task Malformed_messages_are_refused(string message)
    {
        var result = await Plain(InMemoryUserStore.With("user", "pencil")).Step(message);
        Assert.Equal(new SaslResult(SaslOutcome.Failure, null, null, "malformed-request"), result);
    }

    [Fact]
    public async Task Invalid_utf8_is_malformed()
    {
        var result = await Plain(InMemoryUserStore.With("user", "pencil")).StepAsync(new byte[] { 0, (byte)'u', 0, 0xC3 }, CancellationToken.None);
        Assert.Equal("malformed-request", result.FailureCondition);
    }

    [Fact]
    public async Task Empty_initial_response_gets_an_empty_challenge()
    {
        var plain = Plain(InMemoryUserStore.With("user", "pencil"));
        var challenge = await plain.Step("");
        Assert.Equal(SaslOutcome.Challenge, challenge.Outcome);
        Assert.Empty(challenge.Data!);
        Assert.Equal(SaslOutcome.Success, (await plain.Step("\0user\0pencil")).Outcome);
        Assert.Equal("malformed-request", (await plain.Step("\0user\0pencil")).FailureCondition);
    }

    [Fact]
    public async Task Unknown_user_is_looked_up_and_fails_like_a_wrong_password()
    {
        var users = InMemoryUserStore.With("user", "pencil");
        var unknown = await Plain(users).Step("\0nobody\0pencil");
        var wrong = await Plain(users).Step("\0user\0wrong");
        Assert.Equal(2, users.Lookups);
        Assert.Equal(wrong with { Username = null }, unknown with { Username = null });
    }
}
