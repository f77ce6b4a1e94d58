namespace ZkFire.Storage;

/// <summary>An account. Passwords are never stored: only SCRAM keys for each supported hash.</summary>
public sealed record UserRecord(string Username, ScramCredentials Sha1, ScramCredentials Sha256, DateTimeOffset Created);
