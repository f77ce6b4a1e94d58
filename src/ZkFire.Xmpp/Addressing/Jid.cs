using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace ZkFire.Xmpp.Addressing;

/// <summary>
/// An XMPP address (RFC 7622), always held in normalised form: localpart by the PRECIS UsernameCaseMapped
/// profile, domainpart lower-cased and NFC, resourcepart by the OpaqueString profile. Two JIDs that denote the
/// same entity are equal.
/// </summary>
public sealed class Jid : IEquatable<Jid>
{
    internal const int MaxPartBytes = 1023;

    // RFC 7622 §3.3.1 forbids these in a localpart on top of what the PRECIS profile allows.
    private static readonly SearchValues<char> LocalpartExclusions = SearchValues.Create("\"&'/:<>@");

    private Jid? _bare;
    private string? _text;

    private Jid(string? local, string domain, string? resource)
    {
        Local = local;
        Domain = domain;
        Resource = resource;
    }

    public string? Local { get; }

    public string Domain { get; }

    public string? Resource { get; }

    public bool IsBare => Resource is null;

    /// <summary>A domain-only JID (the server itself).</summary>
    public bool IsServer => Local is null && Resource is null;

    public Jid Bare => IsBare ? this : _bare ??= new Jid(Local, Domain, null);

    public static bool TryParse([NotNullWhen(true)] string? text, [NotNullWhen(true)] out Jid? jid)
    {
        jid = null;
        if (text is null)
        {
            return false;
        }

        // RFC 7622 §3.1: the resource is everything after the first '/', the localpart everything before the first
        // '@' that precedes it.
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var head = slash < 0 ? text : text[..slash];
        var resource = slash < 0 ? null : text[(slash + 1)..];
        var at = head.IndexOf('@', StringComparison.Ordinal);
        return at < 0
            ? TryCreate(null, head, resource, out jid)
            : TryCreate(head[..at], head[(at + 1)..], resource, out jid);
    }

    /// <exception cref="FormatException">The text is not a valid JID.</exception>
    public static Jid Parse(string text) =>
        TryParse(text, out var jid) ? jid : throw new FormatException("The text is not a valid JID.");

    public static bool TryCreate(string? local, string domain, string? resource, [NotNullWhen(true)] out Jid? jid)
    {
        jid = null;
        string? normalizedLocal = null;
        string? normalizedResource = null;
        if (domain is null
            || !DomainPart.TryNormalize(domain, out var normalizedDomain)
            || (local is not null && !TryNormalizeLocal(local, out normalizedLocal))
            || (resource is not null && !TryNormalizeResource(resource, out normalizedResource)))
        {
            return false;
        }

        jid = new Jid(normalizedLocal, normalizedDomain, normalizedResource);
        return true;
    }

    /// <summary>Normalises a localpart alone (a username), false when it is not a valid localpart.</summary>
    public static bool TryNormalizeLocal(string local, [NotNullWhen(true)] out string? normalized)
    {
        normalized = null;
        if (local is null
            || !Precis.TryEnforceUsernameCaseMapped(local, out var result)
            || result.AsSpan().ContainsAny(LocalpartExclusions)
            || !HasValidLength(result))
        {
            return false;
        }

        normalized = result;
        return true;
    }

    public static bool TryNormalizeResource(string resource, [NotNullWhen(true)] out string? normalized)
    {
        normalized = null;
        if (resource is null || !Precis.TryEnforceOpaqueString(resource, out var result) || !HasValidLength(result))
        {
            return false;
        }

        normalized = result;
        return true;
    }

    public bool TryWithResource(string resource, [NotNullWhen(true)] out Jid? jid)
    {
        jid = TryNormalizeResource(resource, out var normalized) ? new Jid(Local, Domain, normalized) : null;
        return jid is not null;
    }

    public bool Equals(Jid? other) =>
        other is not null
        && string.Equals(Domain, other.Domain, StringComparison.Ordinal)
        && string.Equals(Local, other.Local, StringComparison.Ordinal)
        && string.Equals(Resource, other.Resource, StringComparison.Ordinal);

    public override bool Equals(object? obj) => Equals(obj as Jid);

    public override int GetHashCode() =>
        HashCode.Combine(StringComparer.Ordinal.GetHashCode(Domain), Local is null ? 0 : StringComparer.Ordinal.GetHashCode(Local), Resource is null ? 0 : StringComparer.Ordinal.GetHashCode(Resource));

    public override string ToString() => _text ??= (Local, Resource) switch
    {
        (null, null) => Domain,
        (null, _) => $"{Domain}/{Resource}",
        (_, null) => $"{Local}@{Domain}",
        _ => $"{Local}@{Domain}/{Resource}",
    };

    public static bool operator ==(Jid? left, Jid? right) => left is null ? right is null : left.Equals(right);

    public static bool operator !=(Jid? left, Jid? right) => !(left == right);

    private static bool HasValidLength(string part) => part.Length <= MaxPartBytes && Encoding.UTF8.GetByteCount(part) <= MaxPartBytes;
}
