using System.Globalization;

namespace ZkFire.LoadTool.Xmpp;

/// <summary>A process's resident set (VmRSS) and its peak (VmHWM), in KB, from <c>/proc/PID/status</c>.</summary>
internal readonly record struct ProcessMemory(long RssKb, long HwmKb)
{
    /// <exception cref="IOException">The process is gone (or this is not Linux).</exception>
    public static ProcessMemory Read(int pid) => Read(string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}/status"));

    public static ProcessMemory ReadSelf() => Read("/proc/self/status");

    /// <summary>
    /// The soft and hard limits on open files, from <c>/proc/self/limits</c>. The .NET runtime raises the soft limit to
    /// the hard one when it starts on Linux, so the soft limit read here is all a process may get without a higher
    /// hard limit.
    /// </summary>
    public static (long Soft, long Hard) OpenFileLimit()
    {
        foreach (var line in File.ReadLines("/proc/self/limits"))
        {
            if (line.StartsWith("Max open files", StringComparison.Ordinal))
            {
                var fields = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return (Limit(fields[0]), Limit(fields[1]));
            }
        }

        throw new IOException("/proc/self/limits has no 'Max open files' line");
    }

    /// <summary>Fails at once, naming the limit, when <paramref name="sockets"/> connections plus a margin cannot be open together.</summary>
    public static void RequireOpenFiles(int sockets)
    {
        const int Margin = 100;
        var (soft, hard) = OpenFileLimit();
        if (sockets + Margin > soft)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{sockets} connections need about {sockets + Margin} open files, but this process may open {soft} (hard limit {hard}): raise it with `ulimit -n {sockets + Margin}` in the shell that starts the tool (and the server), which needs a hard limit at least that high (limits.conf, systemd LimitNOFILE, or `ulimit -Hn` as root)"));
        }
    }

    private static ProcessMemory Read(string path)
    {
        long rss = -1;
        long hwm = -1;
        foreach (var line in File.ReadLines(path))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = Kilobytes(line);
            }
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                hwm = Kilobytes(line);
            }
        }

        return rss >= 0 && hwm >= 0 ? new ProcessMemory(rss, hwm) : throw new IOException($"{path} has no VmRSS and VmHWM lines");
    }

    /// <summary>The number in a line like <c>VmRSS:	  123456 kB</c>.</summary>
    private static long Kilobytes(string line) =>
        long.Parse(line.AsSpan(line.IndexOf(':', StringComparison.Ordinal) + 1).Trim().TrimEnd("kB").Trim(), NumberStyles.None, CultureInfo.InvariantCulture);

    private static long Limit(string value) =>
        value == "unlimited" ? long.MaxValue : long.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture);
}
