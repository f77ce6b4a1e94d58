using Microsoft.Extensions.Logging;
using ZkFire.Cluster;
using ZkFire.Cluster.Membership;
using ZkFire.Cluster.Notice;
using ZkFire.Configuration;
using ZkFire.Interconnect;
using ZkFire.Xmpp.Xml;

namespace ZkFire.Host;

/// <summary>The cluster layer of a node, as cluster.xml describes it.</summary>
internal static class ClusterNodeFactory
{
    /// <summary>The file in the node's data directory that remembers its ZooKeeper session across a crash.</summary>
    public const string SessionFileName = "cluster.session";

    public static async Task<ClusterNode> CreateAsync(ClusterConfig config, XmlLimits limits, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var notice = config.Notice!;
        var settings = config.Cluster;
        var nodeId = settings.NodeId ?? notice.ToString();
        var secret = settings.SecretFile is { } path
            ? await LinkAuthenticator.LoadSecretAsync(path, "<cluster><secretFile>", cancellationToken)
            : null;
        var channel = new NoticeChannel(
            new NoticeChannelOptions
            {
                NodeId = nodeId,
                ListenHost = notice.Host,
                ListenPort = notice.Port,
                Secret = secret,
                MaxMessageSize = settings.MaxNoticeMessageBytes,
                QueueLength = settings.NoticeQueueLength,
            },
            loggerFactory);
        var membership = new ClusterMembershipOptions
        {
            ConnectString = config.CoordinationConnectString!,
            Root = settings.Root,
            NodeId = nodeId,
            NoticeAddress = notice.ToString(),
            // Listening on every interface: clients reach the node where its peers do.
            C2sAddress = new HostPort(
                config.Xmpp.ListenAddress is "*" or "0.0.0.0" or "::" ? notice.Host : config.Xmpp.ListenAddress,
                config.Xmpp.C2sPort).ToString(),
            // The embedded member, so that `zkfire status` finds an embedded ensemble's members through the registrations.
            ZooKeeperClientAddress = config.ZClient is null && config.Zoo is not null ? config.CoordinationConnectString : null,
            ZooKeeperMyId = config.ZClient is null ? config.Zoo?.MyId : null,
            SessionTimeout = settings.SessionTimeout,
            ForwardWait = settings.ForwardWait,
            SessionFile = Path.Combine(config.Xmpp.DataDir, SessionFileName),
        };
        return new ClusterNode(membership, channel, limits, loggerFactory);
    }
}
