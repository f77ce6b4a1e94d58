namespace ZkFire.Jute;

/// <summary>The stock ids and ACL lists of ZooDefs.Ids.</summary>
public static class WellKnownAcls
{
    /// <summary>world:anyone — everybody.</summary>
    public static Id AnyoneIdUnsafe { get; } = new("world", "anyone");

    /// <summary>auth:"" — only valid when setting an ACL; the server substitutes the caller's authenticated ids.</summary>
    public static Id AuthIds { get; } = new("auth", "");

    public static IReadOnlyList<Acl> OpenAclUnsafe { get; } = [new(Perms.All, AnyoneIdUnsafe)];

    public static IReadOnlyList<Acl> CreatorAllAcl { get; } = [new(Perms.All, AuthIds)];

    public static IReadOnlyList<Acl> ReadAclUnsafe { get; } = [new(Perms.Read, AnyoneIdUnsafe)];
}
