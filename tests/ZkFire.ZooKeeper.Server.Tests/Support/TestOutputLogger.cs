using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace ZkFire.ZooKeeper.Server.Tests.Support;

/// <summary>Sends the server's log to a test's output, which xunit shows when the test fails.</summary>
/// <param name="prefix">Starts every line (which member of an ensemble logged it).</param>
/// <param name="minimum">Less important entries are left out (an ensemble under faults logs a lot).</param>
internal sealed class TestOutputLoggerFactory(ITestOutputHelper output, string prefix = "", LogLevel minimum = LogLevel.Trace) : ILoggerFactory
{
    private readonly long started = Environment.TickCount64;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName[(categoryName.LastIndexOf('.') + 1)..]);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class Logger(TestOutputLoggerFactory factory, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => factory.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            try
            {
                factory.Write($"{Environment.TickCount64 - factory.started,6} {logLevel,-11} {category}: {formatter(state, exception)}{(exception is null ? "" : " " + exception)}");
            }
            catch (InvalidOperationException)
            {
                // The test has finished; its output is closed.
            }
        }
    }

    private bool IsEnabled(LogLevel logLevel) => logLevel >= minimum;

    private void Write(string line) => output.WriteLine(prefix + line);
}
