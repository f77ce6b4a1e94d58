using System.Net.Sockets;
using System.Text;

namespace ZkFire.ZooKeeper.Client;

/// <summary>
/// ZooKeeper's four-letter admin words (<c>ruok</c>, <c>srvr</c>, <c>mntr</c>, ...) on the client port, as Java's
/// FourLetterWordMain sends them: the word alone on a fresh connection, the answer read until the server closes it.
/// Servers answer only the words their <c>4lw.commands.whitelist</c> allows.
/// </summary>
public static class FourLetterWord
{
    public static async Task<string> SendAsync(string host, int port, string word, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        ArgumentException.ThrowIfNullOrEmpty(word);
        using var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(host, port, cancellationToken).ConfigureAwait(false);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(word), cancellationToken).ConfigureAwait(false);
        using var reply = new MemoryStream();
        await stream.CopyToAsync(reply, cancellationToken).ConfigureAwait(false);
        return Encoding.UTF8.GetString(reply.ToArray());
    }

    /// <summary>
    /// The member's role from <c>srvr</c>: "leader", "follower", "standalone" (or "observer", "read-only"); null
    /// when it answers without one, which is how a member that is not serving (no quorum, still syncing) replies.
    /// </summary>
    public static async Task<string?> ModeAsync(string host, int port, CancellationToken cancellationToken = default)
    {
        const string Prefix = "Mode: ";
        var answer = await SendAsync(host, port, "srvr", cancellationToken).ConfigureAwait(false);
        return answer.Split('\n').FirstOrDefault(line => line.StartsWith(Prefix, StringComparison.Ordinal))?[Prefix.Length..].Trim();
    }
}
