namespace ZkFire.Storage;

/// <summary>A stanza kept for a user who had no available resource, as serialised XML, with when it arrived.</summary>
public sealed record OfflineMessage(long Id, string Stanza, DateTimeOffset Stored);
