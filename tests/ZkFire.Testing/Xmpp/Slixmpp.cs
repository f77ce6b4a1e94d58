using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ZkFire.Testing;

/// <summary>What a scenario script printed: its JSON result line, exit code and stderr (the client's log, tracebacks).</summary>
public sealed record ScenarioResult(string Script, JsonElement Json, int ExitCode, string Stderr)
{
    public bool Ok => Json.TryGetProperty("ok", out var ok) && ok.ValueKind == JsonValueKind.True;

    public string Error => Json.TryGetProperty("error", out var error) ? error.ToString() : "(no error given)";

    /// <summary>The reported value at a property path, e.g. <c>result["after_mutual", "a"]</c>.</summary>
    public string this[params string[] path] => path.Aggregate(Json, (element, property) => element.GetProperty(property)).ToString();

    /// <summary>
    /// The result line (the last one on stdout) of a scenario run; throws with everything the script printed when it
    /// was killed at <paramref name="timeout"/> (null <paramref name="exitCode"/>) or printed no JSON.
    /// </summary>
    public static ScenarioResult Parse(string script, int? exitCode, string stdout, string stderr, TimeSpan timeout)
    {
        if (exitCode is null)
        {
            throw new TimeoutException($"{script} did not finish within {timeout.TotalSeconds} s and was killed. Stdout:\n{stdout}\nStderr:\n{stderr}");
        }

        var line = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
        try
        {
            using var document = JsonDocument.Parse(line ?? string.Empty);
            return new ScenarioResult(script, document.RootElement.Clone(), exitCode.Value, stderr);
        }
        catch (JsonException)
        {
            throw new InvalidOperationException($"{script} exited with {exitCode} without a JSON result line. Stdout:\n{stdout}\nStderr:\n{stderr}");
        }
    }
}

/// <summary>
/// Runs the slixmpp scenario scripts under clients/ with Debian's Python (<c>/usr/bin/python3</c>, where
/// python3-slixmpp installs; a python3 earlier on PATH may lack it).
/// </summary>
public static class Slixmpp
{
    public const string Python = "/usr/bin/python3";

    private static readonly Lazy<Task<string?>> Unavailable = new(FindWhyUnavailableAsync);

    public static string ClientsDirectory => Path.Combine(AppContext.BaseDirectory, "clients");

    /// <summary>Skips the test when Python or slixmpp is missing (fails it under CI=true, see <see cref="Prerequisites"/>).</summary>
    public static async Task RequireAsync() => Prerequisites.Require(await Unavailable.Value, Prerequisites.SlixmppInstallHint);

    /// <summary>Runs <c>python3 clients/&lt;script&gt; '&lt;json&gt;'</c> and parses its last stdout line; kills it after <paramref name="timeout"/>.</summary>
    public static async Task<ScenarioResult> RunAsync(string script, JsonObject arguments, TimeSpan timeout)
    {
        var path = Path.Combine(ClientsDirectory, script);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Scenario script {path} is missing from the test output.", path);
        }

        var (exitCode, stdout, stderr) = await RunProcessAsync(timeout, path, arguments.ToJsonString());
        return ScenarioResult.Parse(script, exitCode, stdout, stderr, timeout);
    }

    private static async Task<string?> FindWhyUnavailableAsync()
    {
        if (!File.Exists(Python))
        {
            return $"{Python} is not installed.";
        }

        var (exitCode, _, stderr) = await RunProcessAsync(TimeSpan.FromSeconds(30), "-c", "import slixmpp");
        return exitCode == 0 ? null : $"The slixmpp module is not importable by {Python}: {stderr.Trim()}";
    }

    /// <returns>Exit code, or null when the process was killed at the timeout.</returns>
    private static async Task<(int? ExitCode, string Stdout, string Stderr)> RunProcessAsync(TimeSpan timeout, params string[] arguments)
    {
        var start = new ProcessStartInfo(Python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = ClientsDirectory,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // Keep the output folder free of __pycache__ and make prints reach us even if the script is killed.
        start.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        start.Environment["PYTHONUNBUFFERED"] = "1";
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => AppendLine(stdout, e.Data);
        process.ErrorDataReceived += (_, e) => AppendLine(stderr, e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            return (null, Snapshot(stdout), Snapshot(stderr));
        }

        // Drains the redirected streams, which can lag the exit event.
        await process.WaitForExitAsync();
        return (process.ExitCode, Snapshot(stdout), Snapshot(stderr));
    }

    private static void AppendLine(StringBuilder target, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (target)
        {
            target.Append(line).Append('\n');
        }
    }

    private static string Snapshot(StringBuilder source)
    {
        lock (source)
        {
            return source.ToString();
        }
    }
}
