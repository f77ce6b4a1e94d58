using System.Diagnostics;
using System.Globalization;

namespace ZkFire.LoadTool.Xmpp;

/// <summary>
/// The CPU time (user + system) the server's process spent, from <c>/proc/PID/stat</c>. On a small shared machine
/// the tool and the server compete for the same cores, so a server's work per CPU-second compares servers more
/// steadily than its rate alone.
/// </summary>
internal static class ServerCpu
{
    // /proc counts in USER_HZ ticks, 1/100 s on every architecture Linux and .NET share.
    private const double TicksPerSecond = 100;

    /// <exception cref="IOException">The process is gone (or this is not Linux).</exception>
    public static double SecondsUsed(int pid)
    {
        var stat = File.ReadAllText(string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}/stat"));

        // The command name in parentheses may hold spaces; the fields after it start with the state (field 3), so
        // utime (14) and stime (15) are the 12th and 13th.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
    }

    /// <summary>
    /// The server's CPU seconds between two <see cref="Stopwatch"/> timestamps still to come; null without a pid, when
    /// the run is interrupted first or when the process is gone.
    /// </summary>
    public static async Task<double?> OverWindowAsync(int? pid, long from, long to, CancellationToken ct)
    {
        if (pid is not { } server)
        {
            return null;
        }

        try
        {
            await DelayUntilAsync(from, ct);
            var before = SecondsUsed(server);
            await DelayUntilAsync(to, ct);
            return SecondsUsed(server) - before;
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            return null;
        }
    }

    private static Task DelayUntilAsync(long timestamp, CancellationToken ct)
    {
        var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), timestamp);
        return wait > TimeSpan.Zero ? Task.Delay(wait, ct) : Task.CompletedTask;
    }
}
