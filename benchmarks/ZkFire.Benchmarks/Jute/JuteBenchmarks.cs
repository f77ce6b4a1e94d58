using System.Buffers;
using BenchmarkDotNet.Attributes;
using ZkFire.Jute;

namespace ZkFire.Benchmarks.Jute;

/// <summary>
/// The client port's hot packets: a getData request and its reply with a 100-byte payload, a create request and
/// a bare Stat. Encode writes a whole frame (length prefix back-patched); decode reads one frame body.
/// </summary>
[MemoryDiagnoser]
public class JuteBenchmarks
{
    private static readonly Stat SampleStat = new(0x100000002, 0x100000007, 1_700_000_000_000, 1_700_000_050_000, 3, 4, 0, 0x7200000001, 100, 2, 0x100000005);

    private readonly ArrayBufferWriter<byte> _output = new(4096);
    private readonly RequestHeader _getDataHeader = new(42, OpCode.GetData);
    private readonly GetDataRequest _getData = new("/zkfire/cluster/members/node-0000000003", true);
    private readonly ReplyHeader _replyHeader = new(42, 0x100000009, ErrorCode.Ok);
    private readonly GetDataResponse _getDataReply = new(Enumerable.Range(0, 100).Select(i => (byte)i).ToArray(), SampleStat);
    private readonly RequestHeader _createHeader = new(43, OpCode.Create);
    private readonly CreateRequest _create = new("/zkfire/cluster/members/node-", "10.10.152.180:3004"u8.ToArray(), WellKnownAcls.OpenAclUnsafe, (int)CreateMode.EphemeralSequential);

    private byte[] _getDataFrame = [];
    private byte[] _getDataReplyFrame = [];
    private byte[] _createFrame = [];
    private byte[] _statBytes = [];

    [GlobalSetup]
    public void Setup()
    {
        _getDataFrame = Frame(_getDataHeader, _getData);
        _getDataReplyFrame = Frame(_replyHeader, _getDataReply);
        _createFrame = Frame(_createHeader, _create);
        _output.ResetWrittenCount();
        var writer = new JuteWriter(_output);
        SampleStat.Write(ref writer);
        writer.Commit();
        _statBytes = _output.WrittenSpan.ToArray();
    }

    [Benchmark]
    public int EncodeGetDataRequest()
    {
        _output.ResetWrittenCount();
        JuteFrames.WriteFrame(_output, _getDataHeader, _getData);
        return _output.WrittenCount;
    }

    [Benchmark]
    public bool DecodeGetDataRequest()
    {
        var reader = new JuteReader(_getDataFrame.AsSpan(JuteFrames.LengthPrefixSize));
        var header = RequestHeader.Read(ref reader);
        return header.Type == OpCode.GetData && GetDataRequest.Read(ref reader).Watch;
    }

    [Benchmark]
    public int EncodeGetDataResponse()
    {
        _output.ResetWrittenCount();
        JuteFrames.WriteFrame(_output, _replyHeader, _getDataReply);
        return _output.WrittenCount;
    }

    [Benchmark]
    public int DecodeGetDataResponse()
    {
        var reader = new JuteReader(_getDataReplyFrame.AsSpan(JuteFrames.LengthPrefixSize));
        ReplyHeader.Read(ref reader);
        return GetDataResponse.Read(ref reader).Stat.Version;
    }

    [Benchmark]
    public int EncodeCreateRequest()
    {
        _output.ResetWrittenCount();
        JuteFrames.WriteFrame(_output, _createHeader, _create);
        return _output.WrittenCount;
    }

    [Benchmark]
    public int DecodeCreateRequest()
    {
        var reader = new JuteReader(_createFrame.AsSpan(JuteFrames.LengthPrefixSize));
        RequestHeader.Read(ref reader);
        return CreateRequest.Read(ref reader).Flags;
    }

    [Benchmark]
    public int EncodeStat()
    {
        _output.ResetWrittenCount();
        var writer = new JuteWriter(_output);
        SampleStat.Write(ref writer);
        writer.Commit();
        return _output.WrittenCount;
    }

    [Benchmark]
    public long DecodeStat()
    {
        var reader = new JuteReader(_statBytes);
        return Stat.Read(ref reader).Pzxid;
    }

    private byte[] Frame<THeader, TBody>(THeader header, TBody body)
        where THeader : IJuteRecord<THeader>
        where TBody : IJuteRecord<TBody>
    {
        _output.ResetWrittenCount();
        JuteFrames.WriteFrame(_output, header, body);
        return _output.WrittenSpan.ToArray();
    }
}
