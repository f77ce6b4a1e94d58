using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace ZkFire.Interop.Tests;

/// <summary>
/// A real JavaScript client (xmpp.js 0.14, the @xmpp/client package) against a real node. Left to itself xmpp.js
/// authenticates with XEP-0388 (SASL2) and binds inline with XEP-0386 (Bind 2) whenever the server offers them, as a
/// modern client does; these tests hold the node to offering and completing both. Each script checks its own steps
/// and reports how the client negotiated, read from the client's traffic; see clients/xmppjs/*.mjs.
/// </summary>
[Collection(NodeCollection.Name)]
public sealed class XmppJsScenarioTests(NodeFixture fixture, ITestOutputHelper output) : NodeTest(fixture, output)
{
    private const string Sasl2 = "urn:xmpp:sasl:2";

    private static readonly TimeSpan ScenarioTimeout = TimeSpan.FromSeconds(60);

    /// <summary>xmpp.js 0.14 implements SCRAM-SHA-1 but not SCRAM-SHA-256, so SCRAM-SHA-1 is what it must use.</summary>
    [SkippableFact]
    public async Task Login_uses_sasl2_with_bind2_and_the_bound_session_works()
    {
        var (result, users) = await RunAsync("login.mjs", users: 1);

        Assert.Equal(("SASL2", "SCRAM-SHA-1", "Bind 2"), (result["sasl"], result["mechanism"], result["bind"]));
        Assert.StartsWith(users[0].Jid(Node.Domain) + "/", result["bound_jid"], StringComparison.Ordinal);
        Assert.True(result["bound_jid"].Length > users[0].Jid(Node.Domain).Length + 1, "the bound JID has an empty resource");
        // XEP-0388 §2.6.3: after an inline bind the authorization identifier is the bound full JID.
        Assert.Equal(result["bound_jid"], result["authorization_identifier"]);
        Assert.Contains(result["tls_version"], new[] { "TLSv1.2", "TLSv1.3" });
        Assert.Equal(("True", "True", "True"), (result["ping"], result["self_message"], result["clean_stop"]));
    }

    [SkippableFact]
    public async Task Chat_between_two_sasl2_sessions_to_full_and_bare_jid()
    {
        var (result, _) = await RunAsync("message.mjs", users: 2);

        foreach (var user in new[] { "alice", "bob" })
        {
            Assert.Equal(("SASL2", "Bind 2"), (result[user, "sasl"], result[user, "bind"]));
        }
    }

    [SkippableFact]
    public async Task Wrong_password_gets_a_sasl2_failure_and_the_node_keeps_serving()
    {
        var (result, _) = await RunAsync("wrong_password.mjs", users: 2);

        Assert.Equal("SASL2", result["sasl"]);
        Assert.Equal((Sasl2, "not-authorized"), (result["failure_namespace"], result["failure_condition"]));
        Assert.Equal(("SASL2", "Bind 2"), (result["owner", "sasl"], result["owner", "bind"]));
    }

    /// <summary>Creates <paramref name="users"/> fresh accounts, runs the script with them and fails on anything but ok.</summary>
    private async Task<(ScenarioResult Result, IReadOnlyList<TestUser> Users)> RunAsync(string script, int users)
    {
        await XmppJs.RequireAsync();
        var accounts = new List<TestUser>();
        for (var i = 0; i < users; i++)
        {
            accounts.Add(await Fixture.NewUserAsync(i == 0 ? "alice" : "bob"));
        }

        var arguments = new JsonObject
        {
            ["host"] = Node.Host,
            ["port"] = Node.C2sPort,
            ["domain"] = Node.Domain,
            ["users"] = new JsonArray([.. accounts.Select(a => new JsonObject { ["username"] = a.Username, ["password"] = a.Password })]),
            // The script gives up on its own first, so its report (not our kill) explains a hang.
            ["timeout"] = (ScenarioTimeout - TimeSpan.FromSeconds(15)).TotalSeconds,
        };

        var result = await XmppJs.RunAsync(script, arguments, Node.CertificatePath, ScenarioTimeout);
        Output.WriteLine($"{script} {arguments.ToJsonString()}\n=> exit {result.ExitCode}: {result.Json}");
        if (result.Stderr.Length > 0)
        {
            Output.WriteLine("xmpp.js traffic and errors:\n" + result.Stderr);
        }

        Assert.True(result.Ok, $"{script} failed: {result.Error}\nxmpp.js traffic and errors:\n{result.Stderr}");
        return (result, accounts);
    }
}
