using System.Threading.Channels;

namespace ZkFire.ZooKeeper.Server.Processing;

/// <summary>Something the request thread produced for the outside world: a frame, a close, or a callback.</summary>
internal readonly record struct Output(IClientChannel? Channel, byte[]? Frame, bool Close = false, Action? Callback = null)
{
    public void Release()
    {
        if (Frame is not null)
        {
            Channel?.Send(Frame);
        }

        if (Close)
        {
            Channel?.Close();
        }

        Callback?.Invoke();
    }
}

/// <summary>
/// Holds back what the request thread produces after a transaction until that transaction is committed, and releases
/// everything in production order. Committed means durable in the log of a standalone member, and acknowledged by a
/// quorum in an ensemble's leader. So nobody sees a change before it is safe, and a watch event still precedes the
/// reply to the write that fired it and to any later read that sees the change (ZooKeeper's ordering). With nothing
/// uncommitted, outputs go out at once, as ZooKeeper passes reads straight through an idle pipeline.
/// </summary>
internal sealed class CommitGate(long committedZxid)
{
    /// <summary>Held outputs beyond which the request thread waits for commits rather than queue more.</summary>
    private const int MaxHeld = 10_000;

    private readonly Lock gate = new();
    private readonly Queue<(long Zxid, Output Output)> held = new();
    private readonly List<(long Zxid, TaskCompletionSource Committed)> waiters = [];
    private TaskCompletionSource? drained;
    private long appended = committedZxid;
    private long committed = committedZxid;

    public long CommittedZxid
    {
        get
        {
            lock (gate)
            {
                return committed;
            }
        }
    }

    /// <summary>A transaction was logged: everything produced from now on waits until it commits. Request thread only.</summary>
    public void Appended(long zxid)
    {
        lock (gate)
        {
            appended = zxid;
        }
    }

    /// <summary>Releases <paramref name="output"/> now if nothing waits for a commit, else in order once it is committed.</summary>
    public void Send(Output output)
    {
        lock (gate)
        {
            if (held.Count == 0 && committed >= appended)
            {
                output.Release();
                return;
            }

            held.Enqueue((appended, output));
        }
    }

    /// <summary>Everything through <paramref name="zxid"/> is committed: releases what waited for it, in order. Any thread.</summary>
    public void CommitThrough(long zxid)
    {
        lock (gate)
        {
            if (zxid <= committed)
            {
                return;
            }

            committed = zxid;
            // Releasing under the lock keeps the order of outputs across threads; a release only queues a frame.
            while (held.TryPeek(out var next) && next.Zxid <= zxid)
            {
                held.Dequeue();
                next.Output.Release();
            }

            if (drained is not null && held.Count < MaxHeld)
            {
                drained.TrySetResult();
                drained = null;
            }

            waiters.RemoveAll(waiter =>
            {
                if (waiter.Zxid > zxid)
                {
                    return false;
                }

                waiter.Committed.TrySetResult();
                return true;
            });
        }
    }

    /// <summary>Completes once everything through <paramref name="zxid"/> is committed.</summary>
    public Task WhenCommitted(long zxid)
    {
        lock (gate)
        {
            if (zxid <= committed)
            {
                return Task.CompletedTask;
            }

            var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            waiters.Add((zxid, waiter));
            return waiter.Task;
        }
    }

    /// <summary>
    /// Completes at once unless too much is held for commits that have not come (a slow disk, a slow quorum); then
    /// when they have caught up, so the request thread stops taking requests instead of piling up replies.
    /// </summary>
    public Task WhenNotCongested()
    {
        lock (gate)
        {
            if (held.Count < MaxHeld)
            {
                return Task.CompletedTask;
            }

            drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return drained.Task;
        }
    }
}
