using ZkFire.Xmpp.Sasl;

namespace ZkFire.Xmpp.Tests.Sasl;

public sealed class SaslMechanismsTests
{
    private static readonly ChannelBinding[] Binding = [new("tls-server-end-point", [1, 2, 3])];

    [Fact]
    public void Offers_strongest_first()
    {
        Assert.Equal(["SCRAM-SHA-256-PLUS", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"], SaslMechanisms.Offered(true, Binding));
        Assert.Equal(["SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"], SaslMechanisms.Offered(true, []));
        Assert.Equal(["SCRAM-SHA-256-PLUS", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256", "SCRAM-SHA-1"], SaslMechanisms.Offered(false, Binding));
        Assert.Equal(["SCRAM-SHA-256", "SCRAM-SHA-1"], SaslMechanisms.Offered(false, []));
    }

    [Theory]
    [InlineData("SCRAM-SHA-256-PLUS")]
    [InlineData("SCRAM-SHA-1-PLUS")]
    [InlineData("SCRAM-SHA-256")]
    [InlineData("SCRAM-SHA-1")]
    [InlineData("PLAIN")]
    public void Creates_each_offered_mechanism(string name) =>
        Assert.Equal(name, SaslMechanisms.Create(name, true, Binding, new InMemoryUserStore())?.Name);

    [Theory]
    [InlineData("PLAIN", false, true)]
    [InlineData("SCRAM-SHA-256-PLUS", true, false)]
    [InlineData("SCRAM-SHA-1-PLUS", true, false)]
    [InlineData("scram-sha-256", true, true)]
    [InlineData("SCRAM-SHA-512", true, true)]
    [InlineData("DIGEST-MD5", true, true)]
    [InlineData("", true, true)]
    public void Refuses_what_was_not_offered(string name, bool encrypted, bool withBinding) =>
        Assert.Null(SaslMechanisms.Create(name, encrypted, withBinding ? Binding : [], new InMemoryUserStore()));

    [Fact]
    public async Task Created_plus_mechanism_uses_the_given_binding_type()
    {
        var scram = SaslMechanisms.Create("SCRAM-SHA-256-PLUS", false, Binding, InMemoryUserStore.With("user", "pencil"))!;
        Assert.Equal(SaslOutcome.Challenge, (await scram.Step("p=tls-server-end-point,,n=user,r=abc")).Outcome);
        var other = SaslMechanisms.Create("SCRAM-SHA-256-PLUS", false, Binding, InMemoryUserStore.With("user", "pencil"))!;
        Assert.Equal("not-authorized", (await other.Step("p=tls-exporter,,n=user,r=abc")).FailureCondition);
    }
}
