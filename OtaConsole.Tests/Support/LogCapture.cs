using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace OtaConsole.Tests.Support;

/// <summary>One line a component logged.</summary>
public sealed record LogLine(LogLevel Level, string Category, string Message, Exception? Exception)
{
    public override string ToString() => $"{Level} {Category}: {Message}{(Exception is null ? "" : " " + Exception.GetType().Name + ": " + Exception.Message)}";
}

/// <summary>
/// Keeps what a host logs (Information and above), so a test can say "no error was logged" or count lines.
/// Holds at most <see cref="Capacity"/> lines: a test that floods the log still sees the first ones.
/// </summary>
public sealed class LogCapture : ILoggerProvider
{
    public const int Capacity = 100_000;
    private readonly ConcurrentQueue<LogLine> _lines = new();

    public IReadOnlyList<LogLine> Lines => _lines.ToArray();
    public IReadOnlyList<LogLine> Errors => _lines.Where(l => l.Level >= LogLevel.Error).ToArray();

    public void Clear() => _lines.Clear();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() { }

    private sealed class Logger(LogCapture capture, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel) && capture._lines.Count < Capacity)
                capture._lines.Enqueue(new LogLine(logLevel, category, formatter(state, exception), exception));
        }
    }
}
