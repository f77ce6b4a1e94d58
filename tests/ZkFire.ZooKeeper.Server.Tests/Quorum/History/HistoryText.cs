using System.Globalization;

namespace ZkFire.ZooKeeper.Server.Tests.Quorum.History;

/// <summary>How the checkers write operations in their explanations: one line each, times relative to the history's start.</summary>
internal static class HistoryText
{
    public static string Quote(string? value) => value is null ? "null" : $"\"{value}\"";

    /// <summary>E.g. <c>client 2 cas "x" if v4 -> v5 [+120..+180]</c>.</summary>
    public static string Describe(Operation op, long origin)
    {
        var action = op.Kind switch
        {
            OperationKind.Read => "read",
            OperationKind.Write => $"write {Quote(op.Value)}",
            _ => $"cas {Quote(op.Value)} if v{op.ExpectedVersion}",
        };
        var result = op.Outcome switch
        {
            Outcome.Unknown => "?",
            Outcome.Failed => op.Kind == OperationKind.CompareAndSet ? "bad version" : "failed",
            _ when op.Kind == OperationKind.Read => new RegisterState(op.ResultValue, op.ResultVersion ?? -1).ToString(),
            _ => $"v{op.ResultVersion}",
        };
        var completed = op.Outcome == Outcome.Unknown ? "?" : Offset(op.Completed, origin);
        return $"client {op.Client} {action} -> {result} [{Offset(op.Invoked, origin)}..{completed}] on {op.Key}";
    }

    public static long Origin(IEnumerable<Operation> history) => history.Select(op => op.Invoked).DefaultIfEmpty().Min();

    public static string Zxid(long zxid) =>
        string.Create(CultureInfo.InvariantCulture, $"0x{zxid:x} (epoch {zxid >> 32}, counter {zxid & 0xffffffff})");

    /// <summary>A headline over the first few items, each on a line of its own, and how many more there are.</summary>
    public static string Listing(string headline, IEnumerable<string> items)
    {
        const int shown = 3;
        var all = items.ToList();
        var lines = all.Take(shown).Select(item => Environment.NewLine + "  " + item);
        var more = all.Count > shown ? $"{Environment.NewLine}  ... and {all.Count - shown} more" : "";
        return $"{headline}:{string.Concat(lines)}{more}";
    }

    private static string Offset(long time, long origin) => string.Create(CultureInfo.InvariantCulture, $"+{time - origin}");
}
