using System.Threading.Channels;
using DotNetty.Transport.Channels;
using Microsoft.Extensions.Logging;
using ZkFire.Interconnect;
using ZkFire.ZooKeeper.Server.Quorum.Messages;

namespace ZkFire.ZooKeeper.Server.Quorum.Transport;

/// <summary>
/// An authenticated election connection (either direction): its notifications go to the election inbox, tagged with
/// the proven sender; anything else is a protocol violation and closes the connection.
/// </summary>
internal sealed class ElectionInboundHandler : LinkFrameHandler<QuorumMessage>
{
    private readonly long from;
    private readonly ChannelWriter<ElectionEnvelope> inbox;

    public ElectionInboundHandler(
        ProtobufFrameCodec<QuorumMessage> codec, long from, AuthenticatedPeer peer, ChannelWriter<ElectionEnvelope> inbox, ILogger logger)
        : base(codec, peer.Purpose, logger)
    {
        this.from = from;
        this.inbox = inbox;
        Peer = peer.Name;
    }

    protected override void OnMessage(IChannelHandlerContext context, QuorumMessage message, int size)
    {
        if (message.BodyCase != QuorumMessage.BodyOneofCase.Notification)
        {
            Refuse(context, $"{message.BodyCase} on the election port");
            return;
        }

        inbox.TryWrite(new ElectionEnvelope(from, message.Notification));
    }
}
