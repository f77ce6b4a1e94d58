using System.Threading.Tasks.Sources;

namespace ZkFire.LoadTool.Xmpp;

/// <summary>
/// An auto-reset event for one waiter that allocates nothing per wait: a <see cref="Set"/> before the wait makes the
/// next wait complete at once; sets while nobody waits collapse into one.
/// </summary>
internal sealed class AsyncSignal : IValueTaskSource
{
    private const int Idle = 0;
    private const int Signalled = 1;
    private const int Waiting = 2;

    private ManualResetValueTaskSourceCore<bool> core = new() { RunContinuationsAsynchronously = true };
    private int state;

    /// <summary>Waits for the next signal; only one caller may wait at a time.</summary>
    public ValueTask WaitAsync()
    {
        if (Interlocked.CompareExchange(ref state, Idle, Signalled) == Signalled)
        {
            return ValueTask.CompletedTask;
        }

        core.Reset();
        if (Interlocked.CompareExchange(ref state, Waiting, Idle) == Signalled)
        {
            Volatile.Write(ref state, Idle);
            return ValueTask.CompletedTask;
        }

        return new ValueTask(this, core.Version);
    }

    public void Set()
    {
        while (true)
        {
            switch (Volatile.Read(ref state))
            {
                case Signalled:
                    return;
                case Idle when Interlocked.CompareExchange(ref state, Signalled, Idle) == Idle:
                    return;
                case Waiting when Interlocked.CompareExchange(ref state, Idle, Waiting) == Waiting:
                    core.SetResult(true);
                    return;
            }
        }
    }

    void IValueTaskSource.GetResult(short token) => core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        core.OnCompleted(continuation, state, token, flags);
}
