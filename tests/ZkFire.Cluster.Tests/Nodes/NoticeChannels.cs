using Microsoft.Extensions.Logging.Abstractions;
using ZkFire.Cluster.Notice;

namespace ZkFire.Cluster.Tests.Nodes;

/// <summary>Real notice channels on loopback for in-process nodes, all holding one test secret.</summary>
internal static class NoticeChannels
{
    public static readonly byte[] Secret = "in-process cluster test secret!!"u8.ToArray();

    public static NoticeChannel Create(string nodeId, int port) => new(
        new NoticeChannelOptions { NodeId = nodeId, ListenHost = "127.0.0.1", ListenPort = port, Secret = Secret },
        NullLoggerFactory.Instance);
}
