using ZkFire.Xmpp.Addressing;
using ZkFire.Xmpp.Sessions;

namespace ZkFire.Xmpp.Routing;

/// <summary>
/// The routes this node does not own: the sessions other nodes of the cluster have bound. The router asks it
/// alongside the local sessions, and tells it about every change to a local session so that the other nodes can
/// route to it. Calls about one local session come in the order the changes happened.
/// </summary>
public interface IRemoteRoutes
{
    /// <summary>The resources of <paramref name="bare"/> bound on other nodes; empty when none.</summary>
    IReadOnlyList<IResource> Resources(Jid bare);

    /// <summary>The resource bound to <paramref name="full"/> on another node (the newest bind if several claim it).</summary>
    IResource? Find(Jid full);

    /// <summary>
    /// A stamp for a new local bind, greater than that of every bind this node has heard of, so that of two binds of
    /// one full JID the later wins on every node.
    /// </summary>
    long NextBindStamp();

    /// <summary>
    /// A local session was bound (its <see cref="ClientSession.BindStamp"/> set). Completes once the other nodes can
    /// route to it (or after a bounded wait for a node that does not answer), so that what the client does next
    /// meets a cluster that knows it.
    /// </summary>
    ValueTask BoundAsync(ClientSession session, CancellationToken cancellationToken);

    /// <summary>
    /// A local session's presence, priority or roster interest changed; when it became available, completes once the
    /// other nodes know (as <see cref="BoundAsync"/>).
    /// </summary>
    ValueTask ChangedAsync(ClientSession session, CancellationToken cancellationToken);

    /// <summary>A local session ended.</summary>
    void Unbound(ClientSession session);

    /// <summary>
    /// The account was removed here: the other nodes end its sessions too (<see cref="StanzaRouter.CloseRemovedAccount"/>).
    /// Completes once they have been told (or after a bounded wait for a node whose link is congested).
    /// </summary>
    ValueTask AccountRemovedAsync(Jid bare, CancellationToken cancellationToken);
}

/// <summary>A node that is not in a cluster: nothing is bound anywhere else.</summary>
public sealed class NoRemoteRoutes : IRemoteRoutes
{
    private long lastStamp;

    public IReadOnlyList<IResource> Resources(Jid bare) => [];

    public IResource? Find(Jid full) => null;

    public long NextBindStamp() => Interlocked.Increment(ref lastStamp);

    public ValueTask BoundAsync(ClientSession session, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask ChangedAsync(ClientSession session, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public void Unbound(ClientSession session)
    {
    }

    public ValueTask AccountRemovedAsync(Jid bare, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
