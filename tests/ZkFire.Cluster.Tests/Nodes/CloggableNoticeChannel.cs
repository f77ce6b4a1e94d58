using System.Collections.Concurrent;
using System.Net;
using System.Threading.Channels;
using ZkFire.Cluster.Notice;
using ZkFire.Cluster.Notice.Messages;

namespace ZkFire.Cluster.Tests.Nodes;

/// <summary>
/// A real notice channel whose queue to a chosen peer can be made to act full, as a slow or hung link leaves it:
/// <see cref="TrySend"/> refuses, <see cref="SendAsync"/> waits until the peer is unclogged (then sends) or leaves.
/// </summary>
internal sealed class CloggableNoticeChannel(NoticeChannel inner) : INoticeChannel
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource<bool>> clogged = new(StringComparer.Ordinal);

    public IPEndPoint LocalEndPoint => inner.LocalEndPoint;

    public ChannelReader<NoticeEvent> Events => inner.Events;

    public void Clog(string nodeId) => clogged.TryAdd(nodeId, new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously));

    public void Unclog(string nodeId)
    {
        if (clogged.TryRemove(nodeId, out var waiting))
        {
            waiting.TrySetResult(true);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => inner.StartAsync(cancellationToken);

    public void SetPeers(IReadOnlyCollection<NoticePeer> peers)
    {
        inner.SetPeers(peers);
        foreach (var (nodeId, waiting) in clogged)
        {
            if (!peers.Any(p => p.NodeId == nodeId) && clogged.TryRemove(nodeId, out _))
            {
                waiting.TrySetResult(false);
            }
        }
    }

    public bool TrySend(string nodeId, NoticeEnvelope envelope) => !clogged.ContainsKey(nodeId) && inner.TrySend(nodeId, envelope);

    public async ValueTask<bool> SendAsync(string nodeId, NoticeEnvelope envelope, CancellationToken cancellationToken) =>
        (!clogged.TryGetValue(nodeId, out var waiting) || await waiting.Task.WaitAsync(cancellationToken))
        && await inner.SendAsync(nodeId, envelope, cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
