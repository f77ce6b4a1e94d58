using Microsoft.Extensions.Logging;
using ZkFire.Jute;
using ZkFire.ZooKeeper.Client;

namespace ZkFire.Cluster.Membership;

/// <summary>The session's life: suspension on a lost connection, fencing on expiry, rejoining with backoff.</summary>
public sealed partial class ClusterMembership
{
    private int suspensions;

    /// <summary>
    /// Handles watch and session events one at a time, so members and states change in the order ZooKeeper
    /// reported them. Work from a session already replaced is dropped.
    /// </summary>
    private async Task RunAsync()
    {
        var cancellationToken = stopping.Token;
        await foreach (var item in work.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            var current = session!;
            if (item.Generation != current.Generation)
            {
                continue;
            }

            try
            {
                switch (item)
                {
                    case Reconcile when state is MembershipState.Active:
                        await ReconcileAsync(current, rereadAll: false, cancellationToken).ConfigureAwait(false);
                        break;
                    case MemberChanged changed when state is MembershipState.Active:
                        await ReadMemberAsync(current, changed.NodeId, cancellationToken).ConfigureAwait(false);
                        break;
                    case SessionChanged changed:
                        await OnSessionChangedAsync(current, changed.State, cancellationToken).ConfigureAwait(false);
                        break;
                    case SessionCountChanged when state is MembershipState.Active:
                        await PublishPendingSessionCountAsync(current, cancellationToken).ConfigureAwait(false);
                        break;
                    case SuspendedTooLong suspended when state is MembershipState.Suspended && suspended.Suspension == suspensions:
                        LogUnreachableTooLong(logger, current.Client.SessionId, current.Client.SessionTimeout);
                        await FenceAndRejoinAsync(cancellationToken).ConfigureAwait(false);
                        break;
                }
            }
            catch (KeeperException e) when (e.Code is ErrorCode.ConnectionLoss or ErrorCode.SessionExpired)
            {
                // The session event that follows (Disconnected, Expired) takes over; a resumption reads the set again.
            }
            catch (KeeperException e)
            {
                LogMembershipError(logger, e);
            }
        }
    }

    private async Task OnSessionChangedAsync(Session current, KeeperState keeperState, CancellationToken cancellationToken)
    {
        switch (keeperState)
        {
            case KeeperState.Disconnected when state is MembershipState.Active:
                state = MembershipState.Suspended;
                var suspension = ++suspensions;
                LogSuspended(logger, current.Client.SessionId);
                Raise(new Suspended());
                // Past one session timeout without a server, the session is gone for the peers whether or not the
                // client has been told: stop acting as a member rather than keep serving as a ghost.
                _ = Task.Delay(current.Client.SessionTimeout, cancellationToken)
                    .ContinueWith(_ => Post(new SuspendedTooLong(current.Generation, suspension)), CancellationToken.None,
                        TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
                break;
            case KeeperState.SyncConnected when state is MembershipState.Suspended:
                state = MembershipState.Active;
                LogResumed(logger, current.Client.SessionId);
                Raise(new Resumed());
                // Everything is read again: a member watch that fired just before the connection dropped was
                // spent on a read that failed, and a member that came back meanwhile must show as a new life.
                await ReconcileAsync(current, rereadAll: true, cancellationToken).ConfigureAwait(false);
                await PublishPendingSessionCountAsync(current, cancellationToken).ConfigureAwait(false);
                break;
            case KeeperState.Expired:
                LogExpired(logger, current.Client.SessionId);
                await FenceAndRejoinAsync(cancellationToken).ConfigureAwait(false);
                break;
        }
    }

    /// <summary>
    /// Declares this node fenced, then registers again under a new session, backing off between attempts, until it
    /// succeeds or the membership is disposed. The previous session is remembered, so its registration, if the
    /// servers have not removed it yet, is waited for rather than refused.
    /// </summary>
    private async Task FenceAndRejoinAsync(CancellationToken cancellationToken)
    {
        state = MembershipState.Fenced;
        Raise(new Fenced());
        var backoff = options.MinRejoinBackoff;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                // A connect attempt that hangs (no server reachable) is abandoned and retried like a failure.
                connectTimeout.CancelAfter(options.SessionTimeout * 2);
                await RegisterAsync(connectTimeout.Token).ConfigureAwait(false);
                state = MembershipState.Active;
                LogRejoined(logger, options.NodeId, SessionId, attempt);
                Raise(new Rejoined(SessionId));
                // A count published while fenced may have missed the new registration's record.
                Post(new SessionCountChanged(session!.Generation));
                return;
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested
                && e is KeeperException or NodeIdInUseException or OperationCanceledException or TimeoutException or IOException)
            {
                LogRejoinFailed(logger, options.NodeId, attempt, backoff, e.Message);
            }

            await Task.Delay(backoff, cancellationToken).ConfigureAwait(false);
            backoff = options.NextRejoinBackoff(backoff);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost the connection to ZooKeeper (session 0x{SessionId:x}): cluster membership suspended")]
    private static partial void LogSuspended(ILogger logger, long sessionId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reconnected to ZooKeeper within session 0x{SessionId:x}: cluster membership resumed")]
    private static partial void LogResumed(ILogger logger, long sessionId);

    [LoggerMessage(Level = LogLevel.Error, Message = "ZooKeeper session 0x{SessionId:x} expired: this node is fenced off the cluster until it rejoins")]
    private static partial void LogExpired(ILogger logger, long sessionId);

    [LoggerMessage(Level = LogLevel.Error,
        Message = "No ZooKeeper server reached within session 0x{SessionId:x}'s timeout of {Timeout}: this node is fenced off the cluster until it rejoins")]
    private static partial void LogUnreachableTooLong(ILogger logger, long sessionId, TimeSpan timeout);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cluster node {NodeId} rejoined with session 0x{SessionId:x} (attempt {Attempt})")]
    private static partial void LogRejoined(ILogger logger, string nodeId, long sessionId, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cluster node {NodeId} could not rejoin (attempt {Attempt}), retrying in {Backoff}: {Reason}")]
    private static partial void LogRejoinFailed(ILogger logger, string nodeId, int attempt, TimeSpan backoff, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Cluster membership could not read ZooKeeper")]
    private static partial void LogMembershipError(ILogger logger, Exception exception);
}
