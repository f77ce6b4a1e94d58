using System.Text;
using BenchmarkDotNet.Attributes;
using DotNetty.Buffers;
using DotNetty.Common;
using Google.Protobuf;
using ZkFire.Cluster.Notice.Messages;
using ZkFire.Interconnect;

namespace ZkFire.Benchmarks.Cluster;

/// <summary>
/// The notice channel's codec on its hot message: a NoticeEnvelope carrying a RoutedStanza of about 300 bytes (a
/// chat message between users on two nodes). Encode writes a whole frame into a pooled DotNetty buffer, as the
/// channel's sender does; decode parses a frame body, as the receiving handler does after the length decoder.
/// </summary>
[MemoryDiagnoser]
public class NoticeCodecBenchmarks
{
    private const int MaxMessageSize = 16 * 1024 * 1024;

    private readonly IByteBufferAllocator _allocator = PooledByteBufferAllocator.Default;

    private readonly ProtobufFrameCodec<NoticeEnvelope> _codec = new(NoticeEnvelope.Parser, MaxMessageSize);

    private readonly NoticeEnvelope _stanza = new()
    {
        Stanza = new RoutedStanza
        {
            Target = "juliet@capulet.example/balcony",
            From = "romeo@montague.example/orchard",
            Xml = ByteString.CopyFrom(Encoding.UTF8.GetBytes(
                "<message to='juliet@capulet.example/balcony' from='romeo@montague.example/orchard' type='chat' id='ktx72v49'>" +
                "<body>Art thou not Romeo, and a Montague? Neither, fair saint, if either thee dislike.</body>" +
                "<active xmlns='http://jabber.org/protocol/chatstates'/></message>")),
            Hops = 0,
        },
    };

    private IByteBuffer _stanzaBody = Unpooled.Empty;

    [GlobalSetup]
    public void Setup()
    {
        // The codec's own cost, without DotNetty's sampling leak detector (see QuorumFrameCodecBenchmarks).
        ResourceLeakDetector.Level = ResourceLeakDetector.DetectionLevel.Disabled;
        _stanzaBody = _codec.Encode(_allocator, _stanza);
        _stanzaBody.SkipBytes(LinkFraming.LengthPrefixSize);
    }

    [GlobalCleanup]
    public void Cleanup() => _stanzaBody.Release();

    [Benchmark]
    public int EncodeRoutedStanza()
    {
        var frame = _codec.Encode(_allocator, _stanza);
        var length = frame.ReadableBytes;
        frame.Release();
        return length;
    }

    [Benchmark]
    public int DecodeRoutedStanza() => _codec.Decode(_stanzaBody).Stanza.Xml.Length;
}
