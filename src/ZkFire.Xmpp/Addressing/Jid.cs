using System.Diagnostics.CodeAnalysis;

namespace ZkFire.Xmpp.Addressing;

/// <summary>
/// An XMPP address (RFC 7622), always held in normalised form: localpart by the PRECIS UsernameCaseMapped
/// profile, domainpart lower-cased and NFC, resourcepart by the OpaqueString profile. Two JIDs that denote the
/// same entity are equal.
/// </summary>
public sealed class Jid : IEquatable<Jid>
{
    private Jid() => throw new NotImplementedException();

    public string? Local => throw new NotImplementedException();

    public string Domain => throw new NotImplementedException();

    public string? Resource => throw new NotImplementedException();

    public bool IsBare => Resource is null;

    /// <summary>A domain-only JID (the server itself).</summary>
    public bool IsServer => Local is null && Resource is null;

    public Jid Bare => throw new NotImplementedException();

    public static bool TryParse([NotNullWhen(true)] string? text, [NotNullWhen(true)] out Jid? jid) => throw new NotImplementedException();

    /// <exception cref="FormatException">The text is not a valid JID.</exception>
    public static Jid Parse(string text) => throw new NotImplementedException();

    public static bool TryCreate(string? local, string domain, string? resource, [NotNullWhen(true)] out Jid? jid) => throw new NotImplementedException();

    /// <summary>Normalises a localpart alone (a username), false when it is not a valid localpart.</summary>
    public static bool TryNormalizeLocal(string local, [NotNullWhen(true)] out string? normalized) => throw new NotImplementedException();

    public static bool TryNormalizeResource(string resource, [NotNullWhen(true)] out string? normalized) => throw new NotImplementedException();

    public bool TryWithResource(string resource, [NotNullWhen(true)] out Jid? jid) => throw new NotImplementedException();

    public bool Equals(Jid? other) => throw new NotImplementedException();

    public override bool Equals(object? obj) => Equals(obj as Jid);

    public override int GetHashCode() => throw new NotImplementedException();

    public override string ToString() => throw new NotImplementedException();

    public static bool operator ==(Jid? left, Jid? right) => left is null ? right is null : left.Equals(right);

    public static bool operator !=(Jid? left, Jid? right) => !(left == right);
}
