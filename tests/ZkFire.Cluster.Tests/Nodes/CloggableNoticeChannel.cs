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
    private int waiting;

    public IPEndPoint LocalEndPoint => inner.LocalEndPoint;

    public ChannelReader<NoticeEvent> Events => inner.Events;

    /// <summary>How many senders are waiting for room in a clogged queue.</summary>
    public int Waiting => Volatile.Read(ref waiting);

    public void Clog(string nodeId) => clogged.TryAdd(nodeId, new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously));

    public void Unclog(string nodeId)
    {
        if (clogged.TryRemove(nodeId, out var room))
        {
            room.TrySetResult(true);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => inner.StartAsync(cancellationToken);

    public void SetPeers(IReadOnlyCollection<NoticePeer> peers)
    {
        inner.SetPeers(peers);
        foreach (var (nodeId, room) in clogged)
        {
            if (!peers.Any(p => p.NodeId == nodeId) && clogged.TryRemove(nodeId, out _))
            {
                room.TrySetResult(false);
            }
        }
    }

    public bool TrySend(string nodeId, NoticeEnvelope envelope) => !clogged.ContainsKey(nodeId) && inner.TrySend(nodeId, envelope);

    public async ValueTask<bool> SendAsync(string nodeId, NoticeEnvelope envelope, CancellationToken cancellationToken)
    {
        if (clogged.TryGetValue(nodeId, out var room))
        {
            Interlocked.Increment(ref waiting);
            try
            {
                if (!await room.Task.WaitAsync(cancellationToken))
                {
                    return false;
                }
            }
            finally
            {
                Interlocked.Decrement(ref waiting);
            }
        }

        return await inner.SendAsync(nodeId, envelope, cancellationToken);
    }

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
