using System.Buffers.Binary;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Xunit.Abstractions;
using ZkFire.Cluster.Notice.Messages;
using ZkFire.Interconnect.Messages;

namespace ZkFire.Cluster.Interop.Tests;

/// <summary>
/// Bad input on a running node's notice port from a peer that never authenticated (issue 5, items 2 and 8): the
/// node closes the connection, routes nothing it sent, keeps running, and cross-node traffic between two users
/// still flows. Links frame protobuf messages with a 4-byte big-endian length and open with a LinkHandshake
/// (src/ZkFire.Interconnect/link_handshake.proto); the inputs are also sent with a varint prefix, the other common
/// framing of protobuf streams, with enough bytes after the prefix that any reading of it gets a whole frame to judge.
/// </summary>
[Collection(EmbeddedClusterCollection.Name)]
public sealed class NoticeBadInputTests(EmbeddedClusterFixture fixture, ITestOutputHelper output) : ClusterTest(output)
{
    private const string ForgedBody = "forged: routed without a handshake";

    /// <summary>How long the node may take to close: a connection stuck waiting for more bytes is closed at the handshake timeout at the latest.</summary>
    private const int CloseTimeoutSeconds = 15;

    private static readonly byte[] Padding = new byte[4096];

    public static TheoryData<string> Cases => [.. Inputs.Keys];

    private static Dictionary<string, Func<ZkFireCluster, TestUser, byte[]>> Inputs { get; } = new()
    {
        ["garbage bytes"] = (_, _) => [.. "GET / HTTP/1.1\r\nHost: zkfire\r\n\r\n"u8, .. Deterministic(4096)],
        ["oversized 4-byte length prefix"] = (_, _) => [.. BigEndianLength(int.MaxValue - 15), .. Padding],
        ["oversized varint length prefix"] = (_, _) => [.. Varint(uint.MaxValue), .. Padding],
        ["envelope without the handshake, 4-byte length prefix"] = (_, receiver) => Framed(Forged(receiver), varint: false),
        ["envelope without the handshake, varint length prefix"] = (_, receiver) => Framed(Forged(receiver), varint: true),
        ["node 1's hello with a wrong proof of the secret"] = (cluster, receiver) =>
            [.. Framed(Impostor(cluster), varint: false, padded: false), .. Framed(WrongProof(), varint: false, padded: false),
             .. Framed(Forged(receiver), varint: false)],
    };

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public async Task Notice_port_closes_an_unauthenticated_connection_and_routing_goes_on(string input)
    {
        var cluster = await fixture.RequireAsync();
        var users = await NewUsersAsync(cluster, 2);
        var payload = Inputs[input](cluster, users[1]);

        var result = await RunAsync(cluster, "notice_bad_input.py", users, extra: new JsonObject
        {
            ["notice_port"] = cluster.NoticePort(2),
            ["payload"] = Convert.ToBase64String(payload),
            ["forged_body"] = ForgedBody,
            ["close_timeout"] = CloseTimeoutSeconds,
        });

        Output.WriteLine($"The notice port ended the connection ({result["ended"]}) {result["seconds"]} s after the input.");
        Assert.All(ZkFireCluster.Ids, id => Assert.True(cluster.IsRunning(id), $"node {id} stopped"));
    }

    /// <summary>A well-formed envelope that would deliver a message to the receiver's session on node 2, were it routed.</summary>
    private static byte[] Forged(TestUser receiver)
    {
        var target = $"{receiver.Jid(ZkFireCluster.Domain)}/receiver";
        var xml = $"<message xmlns='jabber:client' type='chat' to='{target}' from='forger@{ZkFireCluster.Domain}/x'><body>{ForgedBody}</body></message>";
        return new NoticeEnvelope
        {
            Stanza = new RoutedStanza { Target = target, From = $"forger@{ZkFireCluster.Domain}/x", Xml = ByteString.CopyFromUtf8(xml) },
        }.ToByteArray();
    }

    /// <summary>A Hello claiming to be node 1 on its way to node 2's notice port, as a member that uses the cluster secret sends it.</summary>
    private static byte[] Impostor(ZkFireCluster cluster) => new LinkHandshake
    {
        Hello = new Hello
        {
            From = cluster.NodeId(1),
            To = cluster.NodeId(2),
            Purpose = "notice",
            Nonce = ByteString.CopyFrom(Deterministic(32)),
            UsesSecret = true,
        },
    }.ToByteArray();

    /// <summary>A Proof whose MAC was not made with the cluster secret.</summary>
    private static byte[] WrongProof() => new LinkHandshake { Proof = new Proof { Mac = ByteString.CopyFrom(Deterministic(32)) } }.ToByteArray();

    private static byte[] Framed(byte[] message, bool varint, bool padded = true) =>
        [.. varint ? Varint((uint)message.Length) : BigEndianLength(message.Length), .. message, .. padded ? Padding : []];

    private static byte[] BigEndianLength(int length)
    {
        var prefix = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(prefix, length);
        return prefix;
    }

    private static byte[] Varint(uint value)
    {
        var bytes = new List<byte>();
        for (; value >= 0x80; value >>= 7)
        {
            bytes.Add((byte)(value | 0x80));
        }

        bytes.Add((byte)value);
        return [.. bytes];
    }

    /// <summary>Noise that is the same on every run, so a failure replays.</summary>
    private static byte[] Deterministic(int count)
    {
        var random = new Random(5);
        var bytes = new byte[count];
        random.NextBytes(bytes);
        return bytes;
    }
}
