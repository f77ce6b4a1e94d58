namespace ZkFire.Testing;

/// <summary>
/// Missing third-party programs skip a test with the reason; with CI=true they fail it instead, because CI installs
/// them (.ci/run) and a skip there would hide a broken set-up.
/// </summary>
public static class Prerequisites
{
    public const string ZooKeeperInstallHint = "Install with: apt-get install -y zookeeper zookeeper-bin python3-kazoo";

    public const string SlixmppInstallHint = "Install with: apt-get install -y python3-slixmpp";

    public static void Require(string? whyUnavailable, string installHint = ZooKeeperInstallHint)
    {
        if (whyUnavailable is null)
        {
            return;
        }

        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail($"{whyUnavailable} CI=true, so this is a failure rather than a skip. {installHint}");
        }

        Skip.If(true, $"{whyUnavailable} {installHint}");
    }

    /// <summary>The first reason among several, or null when none applies.</summary>
    public static string? FirstOf(params string?[] reasons) => reasons.FirstOrDefault(r => r is not null);
}
