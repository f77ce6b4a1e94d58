using System.Text;

namespace ZkFire.Testing;

/// <summary>
/// A server whose files and ports stay while its process comes and goes (killed, crashed, started again). Every
/// run's output is kept, the ended ones marked with how they ended, so a failure after a restart still shows what led
/// to it.
/// </summary>
public sealed class RestartableProcess(string fileName, IReadOnlyList<string> arguments, string workingDirectory,
    IReadOnlyDictionary<string, string>? environment = null) : IAsyncDisposable
{
    private readonly StringBuilder earlierLogs = new();
    private readonly Lock gate = new();
    private ChildProcess? process;

    public bool IsRunning => process is { HasExited: false };

    /// <summary>False when the process ended without <see cref="KillAsync"/> (it crashed, or something else killed it).</summary>
    public bool KilledOnPurpose { get; private set; }

    public int ProcessId => process?.Id ?? throw new InvalidOperationException($"{fileName} is not running.");

    /// <summary>What every run wrote, in order.</summary>
    public string Log
    {
        get
        {
            lock (gate)
            {
                return earlierLogs + (process?.Log ?? string.Empty);
            }
        }
    }

    /// <summary>What the current run (or the last one, until <see cref="KillAsync"/>) wrote.</summary>
    public string CurrentRunLog
    {
        get
        {
            lock (gate)
            {
                return process?.Log ?? string.Empty;
            }
        }
    }

    /// <summary>The exit code of a run that ended on its own, or null.</summary>
    public int? ExitCode => process is { HasExited: true } ended ? ended.ExitCode : null;

    public void Start()
    {
        lock (gate)
        {
            process = ChildProcess.Start(fileName, arguments, workingDirectory, environment);
        }

        KilledOnPurpose = false;
    }

    /// <summary>SIGKILLs the current run (by pid, whole tree: no shutdown hook runs, like a crash), if any.</summary>
    public async Task KillAsync()
    {
        ChildProcess? ending;
        lock (gate)
        {
            ending = process;
        }

        if (ending is null)
        {
            return;
        }

        var ranUntilNow = !ending.HasExited;
        await ending.DisposeAsync();
        lock (gate)
        {
            process = null;
            earlierLogs.Append(ending.Log).Append(ranUntilNow
                ? "--- killed (SIGKILL) ---\n"
                : "--- found exited (killed from outside, or crashed) ---\n");
        }

        KilledOnPurpose = true;
    }

    public async ValueTask DisposeAsync() => await KillAsync();
}
