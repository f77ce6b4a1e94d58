using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace ZkFire.Interconnect.Tests;

/// <summary>
/// Sends a link's log to a test's output (shown when the test fails), each line prefixed with which side logged it.
/// Shared (as a linked file) by the test projects of the link library's applications.
/// </summary>
internal sealed class TestOutputLogger(ITestOutputHelper output, string prefix) : ILogger, ILoggerFactory
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        try
        {
            output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {prefix} {logLevel}: {formatter(state, exception)}{(exception is null ? "" : " " + exception)}");
        }
        catch (InvalidOperationException)
        {
            // The test is over; its output is closed.
        }
    }

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }
}
