using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using ZkFire.Jute;

namespace ZkFire.ZooKeeper.Server.Auth;

/// <summary>
/// The authentication providers a stock ZooKeeper 3.8 registers (<c>ip</c> and <c>digest</c>), the <c>world</c> and
/// <c>auth</c> pseudo-schemes of ACLs, and the <c>super</c> id: checking ACLs, validating and expanding ACLs being set,
/// and turning auth packets into ids, with ZooKeeper's exact rules (which clients and stored ACLs rely on).
/// </summary>
internal sealed class AuthProviders(string? superDigest)
{
    public const string World = "world";
    public const string Anyone = "anyone";
    public const string AuthScheme = "auth";
    public const string Ip = "ip";
    public const string Super = "super";

    /// <summary>The id every connection starts with (NIOServerCnxn adds it on accept).</summary>
    public static Id IpId(IPAddress address) => new(Ip, JavaHostAddress(address));

    /// <summary>
    /// Handles an auth packet: adds the ids it proves to <paramref name="ids"/>, or returns AuthFailed for a scheme
    /// no provider handles (ZooKeeper then closes the connection). A wrong digest password is not a failure: it
    /// simply proves an id that matches no ACL.
    /// </summary>
    public ErrorCode Authenticate(string scheme, byte[] auth, IPAddress remote, List<Id> ids)
    {
        switch (scheme)
        {
            case DigestAuthentication.Scheme:
                var digest = DigestAuthentication.Digest(Encoding.UTF8.GetString(auth));
                if (superDigest is not null && digest == superDigest)
                {
                    AddOnce(ids, new Id(Super, ""));
                }

                AddOnce(ids, new Id(DigestAuthentication.Scheme, digest));
                return ErrorCode.Ok;
            case Ip:
                AddOnce(ids, IpId(remote));
                return ErrorCode.Ok;
            default:
                return ErrorCode.AuthFailed;
        }
    }

    /// <summary>
    /// ZooKeeperServer.checkACL: whether <paramref name="ids"/> hold any of <paramref name="perm"/> on a node with
    /// <paramref name="acl"/>. An empty ACL allows everything, and the super id passes every check.
    /// </summary>
    public static bool Allows(IReadOnlyList<Acl> acl, Perms perm, IReadOnlyList<Id> ids)
    {
        if (acl.Count == 0 || ids.Any(id => id.Scheme == Super))
        {
            return true;
        }

        foreach (var entry in acl)
        {
            if ((entry.Perms & perm) == 0)
            {
                continue;
            }

            if (entry.Id is { Scheme: World, Identity: Anyone })
            {
                return true;
            }

            foreach (var id in ids)
            {
                if (id.Scheme == entry.Id.Scheme && Matches(id.Scheme, id.Identity, entry.Id.Identity))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// PrepRequestProcessor.fixupACL: drops duplicate entries, refuses an empty list, an unknown scheme, an id its
    /// scheme finds malformed, and <c>auth</c> without an authenticated id (null: InvalidACL); expands <c>auth</c>
    /// into the caller's authenticated ids.
    /// </summary>
    public static IReadOnlyList<Acl>? Fixup(IReadOnlyList<Acl> acls, IReadOnlyList<Id> ids)
    {
        var unique = acls.Distinct().ToList();
        if (unique.Count == 0)
        {
            return null;
        }

        var result = new List<Acl>(unique.Count);
        foreach (var acl in unique)
        {
            switch (acl.Id.Scheme)
            {
                case World when acl.Id.Identity == Anyone:
                    result.Add(acl);
                    break;
                case AuthScheme:
                    // Only ids of a provider that "isAuthenticated" qualify: digest does, ip does not.
                    var authenticated = ids.Where(id => id.Scheme == DigestAuthentication.Scheme).ToList();
                    if (authenticated.Count == 0)
                    {
                        return null;
                    }

                    result.AddRange(authenticated.Select(id => new Acl(acl.Perms, id)));
                    break;
                case DigestAuthentication.Scheme or Ip when IsValid(acl.Id.Scheme, acl.Id.Identity):
                    result.Add(acl);
                    break;
                default:
                    return null;
            }
        }

        return result;
    }

    /// <summary>whoAmI's user name of an id: the digest user, the ip itself, nothing for ids without a provider.</summary>
    public static string UserName(Id id) => id.Scheme switch
    {
        DigestAuthentication.Scheme => JavaSplit(id.Identity, ':') is [var user, ..] ? user : "",
        Ip => id.Identity,
        _ => "",
    };

    /// <summary>InetAddress.getHostAddress: dotted quad, or eight unabbreviated hex groups for IPv6.</summary>
    public static string JavaHostAddress(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        var bytes = address.GetAddressBytes();
        var groups = new string[8];
        for (var i = 0; i < 8; i++)
        {
            groups[i] = ((bytes[2 * i] << 8) | bytes[2 * i + 1]).ToString("x", CultureInfo.InvariantCulture);
        }

        var text = string.Join(':', groups);
        return address.ScopeId != 0 ? $"{text}%{address.ScopeId}" : text;
    }

    private static bool Matches(string scheme, string id, string aclExpression) => scheme switch
    {
        DigestAuthentication.Scheme => id == aclExpression,
        Ip => IpMatches(id, aclExpression),
        _ => false,
    };

    private static bool IsValid(string scheme, string id) => scheme switch
    {
        // DigestAuthenticationProvider.isValid: exactly two parts around ':' as Java's String.split counts them.
        DigestAuthentication.Scheme => JavaSplit(id, ':').Length == 2,
        Ip => ParseIpExpression(id) is not null,
        _ => false,
    };

    /// <summary>IPAuthenticationProvider.matches: IPv4 only, with an optional <c>/bits</c> mask.</summary>
    private static bool IpMatches(string id, string aclExpression)
    {
        if (ParseIpExpression(aclExpression) is not var (network, bits) || ParseIpv4(id) is not { } remote)
        {
            return false;
        }

        var mask = bits == 0 ? 0u : uint.MaxValue << (32 - bits);
        return (network & mask) == (remote & mask);
    }

    private static (uint Network, int Bits)? ParseIpExpression(string expression)
    {
        var slash = expression.IndexOf('/', StringComparison.Ordinal);
        if (ParseIpv4(slash < 0 ? expression : expression[..slash]) is not { } network)
        {
            return null;
        }

        if (slash < 0)
        {
            return (network, 32);
        }

        return ParseJavaInt(expression[(slash + 1)..]) is { } bits and >= 0 and <= 32 ? (network, bits) : null;
    }

    /// <summary>IPAuthenticationProvider.v4addr2Bytes: four parts, each an integer 0..255 as Integer.parseInt reads it.</summary>
    private static uint? ParseIpv4(string address)
    {
        var parts = address.Split('.');
        if (parts.Length != 4)
        {
            return null;
        }

        uint value = 0;
        foreach (var part in parts)
        {
            if (ParseJavaInt(part) is not { } octet || octet is < 0 or > 255)
            {
                return null;
            }

            value = (value << 8) | (uint)octet;
        }

        return value;
    }

    /// <summary>Integer.parseInt: optional sign, ASCII digits only.</summary>
    private static int? ParseJavaInt(string text) =>
        text.Length > 0 && text.AsSpan(text[0] is '+' or '-' ? 1 : 0) is { Length: > 0 } digits && !digits.ContainsAnyExceptInRange('0', '9')
        && int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? value
            : null;

    /// <summary>Java's String.split with a single-character separator: trailing empty parts are dropped.</summary>
    private static string[] JavaSplit(string text, char separator)
    {
        var parts = text.Split(separator);
        var count = parts.Length;
        while (count > 0 && parts[count - 1].Length == 0)
        {
            count--;
        }

        return parts[..count];
    }

    /// <summary>
    /// Adds an id unless present, keeping the list in the order ZooKeeper iterates a connection's ids (a
    /// ConcurrentHashMap-backed set): whoAmI lists them in that order, and <c>auth</c> ACLs expand in it.
    /// </summary>
    private static void AddOnce(List<Id> ids, Id id)
    {
        if (ids.Contains(id))
        {
            return;
        }

        ids.Add(id);
        var tableSize = 16;
        while (ids.Count > tableSize * 3 / 4)
        {
            tableSize *= 2;
        }

        var ordered = ids.OrderBy(entry => JavaBucket(entry, tableSize)).ToList();
        ids.Clear();
        ids.AddRange(ordered);
    }

    /// <summary>ConcurrentHashMap's bin of an Id: jute's Id.hashCode, spread, masked by the table size.</summary>
    private static int JavaBucket(Id id, int tableSize)
    {
        var hash = unchecked((37 * ((37 * 17) + JavaHash(id.Scheme))) + JavaHash(id.Identity));
        return ((hash ^ (int)((uint)hash >> 16)) & 0x7fffffff) & (tableSize - 1);
    }

    private static int JavaHash(string text)
    {
        var hash = 0;
        foreach (var c in text)
        {
            hash = unchecked((31 * hash) + c);
        }

        return hash;
    }
}
