using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ZkFire.Interop.Tests;

/// <summary>
/// Runs the xmpp.js scenario scripts with <c>node</c> in clients/xmppjs/ of the source tree, where <c>npm ci</c>
/// (.ci/run) installs the packages pinned by its package-lock.json.
/// </summary>
internal static class XmppJs
{
    public const string InstallHint =
        "Install Node.js 20.10 or newer with npm, then run 'npm ci' in tests/ZkFire.Interop.Tests/clients/xmppjs (.ci/run does both).";

    private const string Node = "node";

    // xmpp.js 0.14 declares node >= 20.10 and needs its global Web Crypto; Debian 12's own nodejs (18) has neither.
    private static readonly Version MinimumNode = new(20, 10);

    private static readonly Lazy<Task<string?>> Unavailable = new(FindWhyUnavailableAsync);

    public static string ClientDirectory =>
        Path.Combine(BuiltPrograms.RepositoryRoot(), "tests", "ZkFire.Interop.Tests", "clients", "xmppjs");

    /// <summary>Skips the test when node or the installed packages are missing (fails it under CI=true, see <see cref="Prerequisites"/>).</summary>
    public static async Task RequireAsync() => Prerequisites.Require(await Unavailable.Value, InstallHint);

    /// <summary>
    /// Runs <c>node &lt;script&gt; '&lt;json&gt;'</c> trusting <paramref name="certificate"/> (PEM) for TLS, and parses its
    /// result line; kills it after <paramref name="timeout"/>.
    /// </summary>
    public static async Task<ScenarioResult> RunAsync(string script, JsonObject arguments, string certificate, TimeSpan timeout)
    {
        var environment = new Dictionary<string, string> { ["NODE_EXTRA_CA_CERTS"] = certificate };
        var run = await ChildProcess.RunAsync(Node, [script, arguments.ToJsonString()], timeout, ClientDirectory, environment);
        return ScenarioResult.Parse(script, run.ExitCode, run.Stdout, run.Stderr, timeout);
    }

    private static async Task<string?> FindWhyUnavailableAsync()
    {
        ProcessResult version;
        try
        {
            version = await ChildProcess.RunAsync(Node, ["--version"], TimeSpan.FromSeconds(30));
        }
        catch (Win32Exception ex)
        {
            return $"'{Node}' could not be started ({ex.Message}).";
        }

        if (version.ExitCode != 0 || !Version.TryParse(version.Stdout.Trim().TrimStart('v'), out var found))
        {
            return $"'{Node} --version' did not print a version:\n{version}";
        }

        if (found < MinimumNode)
        {
            return $"Node.js {found} is installed; xmpp.js 0.14 needs {MinimumNode} or newer.";
        }

        var wanted = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(ClientDirectory, "package.json")))?["dependencies"]?["@xmpp/client"]?.GetValue<string>();
        var installedPackage = Path.Combine(ClientDirectory, "node_modules", "@xmpp", "client", "package.json");
        if (!File.Exists(installedPackage))
        {
            return $"@xmpp/client is not installed in {ClientDirectory}.";
        }

        using var installed = JsonDocument.Parse(await File.ReadAllTextAsync(installedPackage));
        var installedVersion = installed.RootElement.GetProperty("version").GetString();
        return installedVersion == wanted
            ? null
            : $"@xmpp/client {installedVersion} is installed in {ClientDirectory}, package.json pins {wanted}.";
    }
}
