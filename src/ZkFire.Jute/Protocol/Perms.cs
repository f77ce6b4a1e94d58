namespace ZkFire.Jute;

/// <summary>ACL permission bits (ZooDefs.Perms).</summary>
[Flags]
public enum Perms
{
    None = 0,
    Read = 1 << 0,
    Write = 1 << 1,
    Create = 1 << 2,
    Delete = 1 << 3,
    Admin = 1 << 4,
    All = Read | Write | Create | Delete | Admin,
}
