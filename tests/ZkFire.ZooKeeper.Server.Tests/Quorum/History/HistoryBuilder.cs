namespace ZkFire.ZooKeeper.Server.Tests.Quorum.History;

/// <summary>Writes a history for the checker tests one operation a line, with small integer times.</summary>
internal sealed class HistoryBuilder
{
    public const string Key = "/k";

    private readonly List<Operation> operations = [];

    public IReadOnlyList<Operation> Operations => operations;

    public HistoryBuilder Read(int client, long from, long to, string? value, int version, string key = Key) =>
        Add(new(client, OperationKind.Read, key, from, to, Outcome.Ok, ResultValue: value, ResultVersion: version));

    public HistoryBuilder Write(int client, long from, long to, string value, int version, string key = Key) =>
        Add(new(client, OperationKind.Write, key, from, to, Outcome.Ok, value, ResultVersion: version));

    public HistoryBuilder WriteUnknown(int client, long from, string value, string key = Key) =>
        Add(new(client, OperationKind.Write, key, from, long.MaxValue, Outcome.Unknown, value));

    public HistoryBuilder Cas(int client, long from, long to, string value, int expected, int version, string key = Key) =>
        Add(new(client, OperationKind.CompareAndSet, key, from, to, Outcome.Ok, value, expected, ResultVersion: version));

    public HistoryBuilder CasFailed(int client, long from, long to, string value, int expected, string key = Key) =>
        Add(new(client, OperationKind.CompareAndSet, key, from, to, Outcome.Failed, value, expected));

    public HistoryBuilder CasUnknown(int client, long from, string value, int expected, string key = Key) =>
        Add(new(client, OperationKind.CompareAndSet, key, from, long.MaxValue, Outcome.Unknown, value, expected));

    public HistoryBuilder Add(Operation op)
    {
        operations.Add(op);
        return this;
    }
}
