using System.Globalization;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace ZkFire.Interop.Tests;

/// <summary>
/// A real third-party client (slixmpp) against a real node. Each scenario script checks its own expectations
/// and reports what it saw; see clients/*.py for the exact steps.
/// </summary>
[Collection(NodeCollection.Name)]
public sealed class SlixmppScenarioTests(NodeFixture fixture, ITestOutputHelper output) : NodeTest(fixture, output)
{
    private static readonly TimeSpan ScenarioTimeout = TimeSpan.FromSeconds(60);

    [SkippableTheory]
    [InlineData("SCRAM-SHA-1")]
    [InlineData("SCRAM-SHA-256")]
    public async Task Scram_login_over_starttls_is_encrypted(string mechanism)
    {
        var result = await RunAsync("login.py", users: 1, new JsonObject { ["mechanism"] = mechanism });

        Assert.Equal(mechanism, result["mechanism"]);
        Assert.Contains(result["tls_version"], new[] { "TLSv1.2", "TLSv1.3" });
    }

    /// <summary>slixmpp picks the strongest mechanism offered; if that is a -PLUS one it binds with tls-unique.</summary>
    [SkippableFact]
    public async Task Login_with_the_mechanism_slixmpp_chooses()
    {
        var result = await RunAsync("login.py", users: 1);

        Assert.StartsWith("SCRAM-SHA-", result["mechanism"], StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Direct_tls_login_on_the_xep0368_port()
    {
        var result = await RunAsync("login.py", users: 1, new JsonObject { ["direct_tls"] = true });

        Assert.Contains(result["tls_version"], new[] { "TLSv1.2", "TLSv1.3" });
    }

    [SkippableFact]
    public async Task Wrong_password_is_not_authorized_and_the_node_keeps_serving()
    {
        var result = await RunAsync("wrong_password.py", users: 2);

        Assert.Equal("not-authorized", result["failure_condition"]);
    }

    [SkippableFact]
    public async Task Chat_between_online_users_to_full_and_bare_jid()
    {
        await RunAsync("message.py", users: 2);
    }

    [SkippableFact]
    public async Task Subscription_handshake_updates_both_rosters_and_presence_flows()
    {
        var result = await RunAsync("roster_subscription.py", users: 2);

        Assert.Equal(("to", "from"), (result["after_one_way", "a"], result["after_one_way", "b"]));
        Assert.Equal(("both", "both"), (result["after_mutual", "a"], result["after_mutual", "b"]));
    }

    [SkippableFact]
    public async Task Abrupt_disconnect_broadcasts_unavailable_to_subscribers()
    {
        await RunAsync("presence_abrupt_disconnect.py", users: 2);
    }

    [SkippableFact]
    public async Task Offline_message_is_delivered_on_initial_presence_with_a_delay_stamp()
    {
        var result = await RunAsync("offline_delivery.py", users: 2);

        var stamp = DateTimeOffset.Parse(result["delay_stamp"], CultureInfo.InvariantCulture);
        Assert.InRange(stamp, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));
    }

    [SkippableFact]
    public async Task Message_to_a_nonexistent_user_bounces_with_service_unavailable()
    {
        var result = await RunAsync("message_unknown_user.py", users: 1,
            new JsonObject { ["missing_user"] = TestUser.Unique("nobody").Username });

        Assert.Equal("service-unavailable", result["condition"]);
    }

    [SkippableFact]
    public async Task In_band_registration_creates_an_account_that_can_log_in()
    {
        var account = TestUser.Unique("registered");
        var result = await RunAsync("register.py", users: 0,
            new JsonObject { ["new_user"] = new JsonObject { ["username"] = account.Username, ["password"] = account.Password } });

        Assert.StartsWith(account.Jid(Node.Domain) + "/", result["bound_jid"], StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Server_answers_disco_info_software_version_and_ping()
    {
        string[] features =
        [
            "http://jabber.org/protocol/disco#info",
            "http://jabber.org/protocol/disco#items",
            "jabber:iq:register",
            "jabber:iq:version",
            "urn:xmpp:ping",
            "msgoffline",
        ];
        await RunAsync("server_info.py", users: 1, new JsonObject { ["expected_features"] = new JsonArray([.. features.Select(f => JsonValue.Create(f))]) });
    }

    [SkippableFact]
    public async Task Second_login_with_the_same_full_jid_kicks_the_first_with_conflict()
    {
        var result = await RunAsync("resource_conflict.py", users: 2);

        Assert.Equal("conflict", result["old_session_error"]);
    }

    /// <summary>Creates <paramref name="users"/> fresh accounts, runs the script with them and fails on anything but ok.</summary>
    private async Task<ScenarioResult> RunAsync(string script, int users, JsonObject? extra = null)
    {
        await Slixmpp.RequireAsync();
        var accounts = new JsonArray();
        for (var i = 0; i < users; i++)
        {
            var user = await Fixture.NewUserAsync(i == 0 ? "alice" : "bob");
            accounts.Add(new JsonObject { ["username"] = user.Username, ["password"] = user.Password });
        }

        var arguments = new JsonObject
        {
            ["host"] = Node.Host,
            ["port"] = Node.C2sPort,
            ["direct_tls_port"] = Node.DirectTlsPort,
            ["domain"] = Node.Domain,
            ["users"] = accounts,
            // The script gives up on its own first, so its report (not our kill) explains a hang.
            ["timeout"] = (ScenarioTimeout - TimeSpan.FromSeconds(15)).TotalSeconds,
        };
        foreach (var (name, value) in extra ?? [])
        {
            arguments[name] = value?.DeepClone();
        }

        var result = await Slixmpp.RunAsync(script, arguments, ScenarioTimeout);
        Output.WriteLine($"{script} {arguments.ToJsonString()}\n=> exit {result.ExitCode}: {result.Json}");
        if (result.Stderr.Length > 0)
        {
            Output.WriteLine("slixmpp stderr:\n" + result.Stderr);
        }

        Assert.True(result.Ok, $"{script} failed: {result.Error}\nslixmpp stderr:\n{result.Stderr}");
        return result;
    }
}
