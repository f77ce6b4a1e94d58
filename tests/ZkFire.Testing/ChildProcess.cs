using System.Diagnostics;
using System.Text;

namespace ZkFire.Testing;

/// <summary>What a bounded run of a program produced; <see cref="ExitCode"/> is null when it was killed at its timeout.</summary>
public sealed record ProcessResult(string Command, int? ExitCode, string Stdout, string Stderr)
{
    public bool TimedOut => ExitCode is null;

    public string Output => Stdout + Stderr;

    public override string ToString() =>
        $"{Command}\n=> {(TimedOut ? "killed at its timeout" : $"exit {ExitCode}")}\n--- stdout ---\n{Stdout}--- stderr ---\n{Stderr}";
}

/// <summary>
/// Every process the tests start goes through here, so each one is stopped by its own pid (whole tree) whatever
/// happens: a long-running server on dispose, a bounded command at its timeout.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly StringBuilder _log = new();
    private readonly Lock _gate = new();
    private int _disposed;

    private ChildProcess(Process process, string command)
    {
        _process = process;
        Command = command;
    }

    public string Command { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Stdout and stderr lines so far, interleaved in arrival order.</summary>
    public string Log => Read(_log);

    /// <summary>Starts a program with its output captured and stdin closed after <paramref name="stdin"/> (if any).</summary>
    public static ChildProcess Start(string fileName, IEnumerable<string> arguments, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null, string? stdin = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var process = new Process { StartInfo = start };
        var child = new ChildProcess(process, string.Join(' ', [fileName, .. start.ArgumentList]));
        process.OutputDataReceived += (_, e) => child.Append(child._stdout, e.Data);
        process.ErrorDataReceived += (_, e) => child.Append(child._stderr, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (stdin is not null)
        {
            process.StandardInput.Write(stdin);
        }

        process.StandardInput.Close();
        return child;
    }

    /// <summary>Runs a program to completion, killing it (by pid, whole tree) once <paramref name="timeout"/> passes.</summary>
    public static async Task<ProcessResult> RunAsync(string fileName, IEnumerable<string> arguments, TimeSpan timeout,
        string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null, string? stdin = null)
    {
        await using var child = Start(fileName, arguments, workingDirectory, environment, stdin);
        var exited = await child.WaitForExitAsync(timeout);
        if (!exited)
        {
            await child.DisposeAsync();
        }

        return child.Result(exited);
    }

    /// <summary>Waits for the process to exit on its own; false if it is still running after <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            return false;
        }

        // The exit event can precede the last redirected lines; the overload without a token waits for them.
        await _process.WaitForExitAsync(CancellationToken.None);
        return true;
    }

    /// <summary>The output so far; the exit code only if the process exited on its own.</summary>
    public ProcessResult Result(bool exited) => new(Command, exited ? _process.ExitCode : null, Read(_stdout), Read(_stderr));

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await _process.WaitForExitAsync(deadline.Token);
        }
        catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException or System.ComponentModel.Win32Exception)
        {
            // Already gone, or refusing to die; nothing more can be done from here.
        }
        finally
        {
            _process.Dispose();
        }
    }

    private void Append(StringBuilder stream, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            stream.Append(line).Append('\n');
            _log.Append(line).Append('\n');
        }
    }

    private string Read(StringBuilder source)
    {
        lock (_gate)
        {
            return source.ToString();
        }
    }
}
