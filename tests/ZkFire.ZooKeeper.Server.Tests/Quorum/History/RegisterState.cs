namespace ZkFire.ZooKeeper.Server.Tests.Quorum.History;

/// <summary>A register's content: a znode's data and its data version.</summary>
internal readonly record struct RegisterState(string? Value, int Version)
{
    /// <summary>A znode created with empty data: what a key holds before a history starts unless told otherwise.</summary>
    public static RegisterState Empty { get; } = new("", 0);

    public override string ToString() => $"({HistoryText.Quote(Value)}, v{Version})";

    /// <summary>The state of <paramref name="key"/> before the history, from <paramref name="initial"/> or <see cref="Empty"/>.</summary>
    public static RegisterState Before(string key, IReadOnlyDictionary<string, RegisterState>? initial) =>
        initial is not null && initial.TryGetValue(key, out var state) ? state : Empty;
}
