using System.Diagnostics;

namespace ZkFire.LoadTool.Xmpp;

/// <summary>The timeline of a measured run, in <see cref="Stopwatch"/> timestamps: warmup from Start, then the measured window.</summary>
internal sealed record RunClock(long Start, long MeasureFrom, long MeasureTo)
{
    public static RunClock StartNow(TimeSpan warmup, TimeSpan duration)
    {
        var start = Stopwatch.GetTimestamp();
        return new RunClock(start, start + Ticks(warmup), start + Ticks(warmup + duration));
    }

    public string Phase => Stopwatch.GetTimestamp() < MeasureFrom ? "warmup" : "measure";

    /// <summary>The measured time so far (all of it once the window is over).</summary>
    public double MeasuredSeconds => Math.Max(0, (double)(Math.Min(Stopwatch.GetTimestamp(), MeasureTo) - MeasureFrom) / Stopwatch.Frequency);

    public static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    public bool Measures(long timestamp) => timestamp >= MeasureFrom && timestamp < MeasureTo;
}

/// <summary>The live progress line every workload prints on stderr.</summary>
internal static class ProgressLine
{
    /// <summary>Prints <paramref name="line"/>(seconds elapsed) once a second until <paramref name="done"/>: over itself on a terminal, a line each when redirected.</summary>
    public static async Task PrintAsync(Task done, Func<int, string> line)
    {
        var interactive = !Console.IsErrorRedirected;
        var second = 0;
        while (await Task.WhenAny(done, Task.Delay(1000)) != done)
        {
            var text = line(++second);
            await Console.Error.WriteAsync(interactive ? "\r" + text : text + "\n");
        }

        if (interactive)
        {
            await Console.Error.WriteLineAsync();
        }
    }
}

/// <summary>What the tool itself spent while it ran the load: evidence that it was not the bottleneck.</summary>
/// <param name="CpuSeconds">Processor time of the whole tool process.</param>
/// <param name="AllocatedBytes">Bytes the tool allocated (all threads), progress lines and timers included.</param>
/// <param name="Messages">The units of work in that time (messages or presence sent plus received, logins).</param>
internal sealed record ToolCost(double CpuSeconds, double WallSeconds, long AllocatedBytes, long Messages);

/// <summary>Measures the tool's own processor time and allocations from its creation to <see cref="Stop"/>.</summary>
internal sealed class ToolMeter : IDisposable
{
    private readonly Process self = Process.GetCurrentProcess();
    private readonly TimeSpan cpuBefore;
    private readonly long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
    private readonly long start = Stopwatch.GetTimestamp();

    public ToolMeter() => cpuBefore = self.TotalProcessorTime;

    public ToolCost Stop(long work)
    {
        self.Refresh();
        return new ToolCost(
            (self.TotalProcessorTime - cpuBefore).TotalSeconds,
            Stopwatch.GetElapsedTime(start).TotalSeconds,
            GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore,
            work);
    }

    public void Dispose() => self.Dispose();
}

/// <summary>What the measured phase of a closed-loop workload gives back.</summary>
/// <param name="ServerCpuSeconds">The server's CPU time in the measured window, when its pid was given.</param>
internal sealed record PhaseResult(RunClock Clock, ToolCost Cost, double? ServerCpuSeconds);

/// <summary>
/// The measured phase the messaging and presence workloads share: the clock, the server's CPU over the window, the
/// senders until warmup plus duration (woken at the end), the progress line, the tool's cost, then a grace period
/// for what is still in flight.
/// </summary>
internal static class SendingPhase
{
    /// <param name="startSenders">Starts the senders with the clock and the token that ends sending.</param>
    /// <param name="wakeSenders">Wakes senders waiting for room in their window, so that they see the end.</param>
    /// <param name="work">Units the tool handled (for its cost per unit), read once sending has stopped.</param>
    /// <param name="inFlight">Whether something sent has not yet arrived; the grace period ends when nothing has.</param>
    public static async Task<PhaseResult> RunAsync(
        TimeSpan warmup,
        TimeSpan duration,
        TimeSpan grace,
        int? serverPid,
        Func<RunClock, CancellationToken, IEnumerable<Task>> startSenders,
        Action wakeSenders,
        Func<RunClock, Task, Task> progress,
        Func<long> work,
        Func<bool> inFlight,
        CancellationToken interrupt)
    {
        using var meter = new ToolMeter();
        var clock = RunClock.StartNow(warmup, duration);
        var serverCpu = ServerCpu.OverWindowAsync(serverPid, clock.MeasureFrom, clock.MeasureTo, interrupt);
        using var stopSending = CancellationTokenSource.CreateLinkedTokenSource(interrupt);
        stopSending.CancelAfter(warmup + duration);
        using var wake = stopSending.Token.Register(wakeSenders);
        var senders = Task.WhenAll(startSenders(clock, stopSending.Token));
        await progress(clock, senders);
        await senders;
        var cost = meter.Stop(work());

        var graceEnd = Stopwatch.GetTimestamp() + RunClock.Ticks(grace);
        while (inFlight() && Stopwatch.GetTimestamp() < graceEnd && !interrupt.IsCancellationRequested)
        {
            await Task.Delay(20, CancellationToken.None);
        }

        return new PhaseResult(clock, cost, await serverCpu);
    }
}
