using System.Globalization;
using ZkFire.Jute;

namespace ZkFire.ZooKeeper.Client;

/// <summary>
/// A parsed connect string, as Java's ConnectStringParser reads it: everything from the first '/' is the chroot
/// ("/" alone means none), the rest is a comma-separated list of <c>host[:port]</c> or <c>[ipv6][:port]</c>.
/// </summary>
public sealed record ConnectString(IReadOnlyList<(string Host, int Port)> Hosts, string? Chroot)
{
    public const int DefaultPort = 2181;

    /// <exception cref="ArgumentException">No host, a bad port, or an invalid chroot path.</exception>
    public static ConnectString Parse(string connectString)
    {
        ArgumentNullException.ThrowIfNull(connectString);
        string? chroot = null;
        var slash = connectString.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            chroot = connectString[slash..];
            if (chroot.Length == 1)
            {
                chroot = null;
            }
            else
            {
                ZnodePath.ThrowIfInvalid(chroot);
            }

            connectString = connectString[..slash];
        }

        var hosts = new List<(string, int)>();
        foreach (var entry in connectString.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            hosts.Add(ParseHost(entry));
        }

        if (hosts.Count == 0)
        {
            throw new ArgumentException("A connect string needs at least one host.", nameof(connectString));
        }

        return new ConnectString(hosts, chroot);
    }

    private static (string, int) ParseHost(string entry)
    {
        string host;
        string? port = null;
        if (entry.StartsWith('['))
        {
            var close = entry.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || (close + 1 < entry.Length && entry[close + 1] != ':'))
            {
                throw new ArgumentException($"Malformed IPv6 address in '{entry}'.", nameof(entry));
            }

            host = entry[1..close];
            port = close + 2 < entry.Length ? entry[(close + 2)..] : null;
        }
        else
        {
            var colon = entry.LastIndexOf(':');
            host = colon < 0 ? entry : entry[..colon];
            port = colon < 0 || colon == entry.Length - 1 ? null : entry[(colon + 1)..];
        }

        if (port is null)
        {
            return (host, DefaultPort);
        }

        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number is 0 or > 65535)
        {
            throw new ArgumentException($"Bad port in '{entry}'.", nameof(entry));
        }

        return (host, number);
    }
}

/// <summary>
/// Cycles through the hosts in a shuffled order, as Java's StaticHostProvider does, and asks for a pause once
/// every host has been tried since the last successful connection, so a dead ensemble is not hammered.
/// </summary>
internal sealed class HostProvider
{
    private readonly (string Host, int Port)[] _hosts;
    private int _current = -1;
    private int _lastConnected = -1;

    public HostProvider(IReadOnlyList<(string Host, int Port)> hosts)
    {
        _hosts = [.. hosts];
        Random.Shared.Shuffle(_hosts);
    }

    public int Count => _hosts.Length;

    /// <summary>The next host, and whether a full round has failed since the last connection (time to back off).</summary>
    public ((string Host, int Port) Host, bool RoundFailed) Next()
    {
        _current = (_current + 1) % _hosts.Length;
        var roundFailed = _current == _lastConnected;
        if (_lastConnected == -1)
        {
            _lastConnected = 0;
        }

        return (_hosts[_current], roundFailed);
    }

    public void OnConnected() => _lastConnected = _current;
}
