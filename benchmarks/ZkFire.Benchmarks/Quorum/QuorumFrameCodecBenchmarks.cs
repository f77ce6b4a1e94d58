using BenchmarkDotNet.Attributes;
using DotNetty.Buffers;
using DotNetty.Common;
using Google.Protobuf;
using ZkFire.Interconnect;
using ZkFire.ZooKeeper.Server.Quorum.Messages;

namespace ZkFire.Benchmarks.Quorum;

/// <summary>
/// The link codec (<see cref="ProtobufFrameCodec{T}"/>) on the quorum transport's two hot messages: a broadcast Proposal carrying a ~200-byte transaction and
/// an election Notification. Encode writes a whole frame (length prefix included) into a pooled DotNetty buffer, as
/// a sender does; decode parses a frame body, as the receiving handler does after the length decoder.
/// </summary>
[MemoryDiagnoser]
public class QuorumFrameCodecBenchmarks
{
    private const int MaxMessageSize = 4 * 1024 * 1024;

    private readonly IByteBufferAllocator _allocator = PooledByteBufferAllocator.Default;

    private readonly ProtobufFrameCodec<QuorumMessage> _codec = new(QuorumMessage.Parser, MaxMessageSize);

    private readonly QuorumMessage _proposal = new()
    {
        Proposal = new Proposal { Zxid = 0x7200000001, Txn = ByteString.CopyFrom(Enumerable.Range(0, 200).Select(i => (byte)i).ToArray()) },
    };

    private readonly QuorumMessage _notification = new()
    {
        Notification = new Notification { Leader = 3, Zxid = 0x7200000001, ElectionEpoch = 12, PeerEpoch = 0x72, State = PeerState.Looking },
    };

    private IByteBuffer _proposalBody = Unpooled.Empty;
    private IByteBuffer _notificationBody = Unpooled.Empty;

    [GlobalSetup]
    public void Setup()
    {
        // The codec's own cost: at its default level DotNetty's leak detector tracks a sample of buffers, which adds
        // about 190 B per encode on average.
        ResourceLeakDetector.Level = ResourceLeakDetector.DetectionLevel.Disabled;
        _proposalBody = Body(_proposal);
        _notificationBody = Body(_notification);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _proposalBody.Release();
        _notificationBody.Release();
    }

    [Benchmark]
    public int EncodeProposal() => Encode(_proposal);

    [Benchmark]
    public long DecodeProposal() => _codec.Decode(_proposalBody).Proposal.Zxid;

    [Benchmark]
    public int EncodeNotification() => Encode(_notification);

    [Benchmark]
    public long DecodeNotification() => _codec.Decode(_notificationBody).Notification.Leader;

    private int Encode(QuorumMessage message)
    {
        var frame = _codec.Encode(_allocator, message);
        var length = frame.ReadableBytes;
        frame.Release();
        return length;
    }

    private IByteBuffer Body(QuorumMessage message)
    {
        var frame = _codec.Encode(_allocator, message);
        frame.SkipBytes(LinkFraming.LengthPrefixSize);
        return frame;
    }
}
