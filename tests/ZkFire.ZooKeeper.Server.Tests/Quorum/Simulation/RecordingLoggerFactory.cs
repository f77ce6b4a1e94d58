using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace ZkFire.ZooKeeper.Server.Tests.Quorum.Simulation;

/// <summary>Keeps the informational lines of a member's log (to tell how it synced), passing everything on.</summary>
internal sealed class RecordingLoggerFactory(ILoggerFactory inner, ConcurrentQueue<string> lines) : ILoggerFactory
{
    public ConcurrentQueue<string> Lines => lines;

    public ILogger CreateLogger(string categoryName) => new Logger(inner.CreateLogger(categoryName), lines);

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    public void Dispose() => inner.Dispose();

    private sealed class Logger(ILogger inner, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information || inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel >= LogLevel.Information)
            {
                lines.Enqueue(formatter(state, exception));
            }

            inner.Log(logLevel, eventId, state, exception, formatter);
        }
    }
}
