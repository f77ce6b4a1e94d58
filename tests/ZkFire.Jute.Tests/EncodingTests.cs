using System.Buffers;

namespace ZkFire.Jute.Tests;

public class EncodingTests
{
    [Theory]
    [InlineData("FFFFFFFE")]
    [InlineData("80000000")]
    [InlineData("7FFFFFFF")]
    [InlineData("00000002 'a'")]
    public void Hostile_string_lengths_are_refused(string bytes) =>
        Assert.Throws<JuteException>(() => Jute.Decode<SyncRequest>(Jute.Bytes(bytes)));

    [Fact]
    public void A_null_string_where_one_is_required_is_refused() =>
        Assert.Throws<JuteException>(() => Jute.Decode<SyncRequest>(Jute.Bytes("FFFFFFFF")));

    [Theory]
    [InlineData("00000001 '/' FFFFFFFE 00000000")]
    [InlineData("00000001 '/' 7FFFFFFF 00000000")]
    [InlineData("00000001 '/' 00000005 'abcd'")]
    public void Hostile_buffer_lengths_are_refused(string bytes) =>
        Assert.Throws<JuteException>(() => Jute.Decode<SetDataRequest>(Jute.Bytes(bytes)));

    [Theory]
    [InlineData("FFFFFFFE")]
    [InlineData("7FFFFFFF")]
    [InlineData("80000000")]
    // Three strings announced but room for two empty ones only: refused before any allocation.
    [InlineData("00000003 00000000 00000000")]
    public void Hostile_vector_counts_are_refused(string bytes) =>
        Assert.Throws<JuteException>(() => Jute.Decode<GetChildrenResponse>(Jute.Bytes(bytes)));

    [Fact]
    public void Null_vectors_read_as_empty_and_null_buffers_stay_null()
    {
        Assert.Empty(Jute.Decode<GetChildrenResponse>(Jute.Bytes("FFFFFFFF")).Children);
        Assert.Null(Jute.Decode<SetDataRequest>(Jute.Bytes("00000001 '/' FFFFFFFF 00000000")).Data);
        Assert.Empty(Jute.Decode<GetSaslRequest>(Jute.Bytes("FFFFFFFF")).Token);
    }

    [Fact]
    public void Writer_writes_null_vectors_and_buffers_as_minus_one()
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new JuteWriter(output);
        writer.WriteVector<Acl>(null);
        writer.WriteStringVector(null);
        writer.WriteBuffer(null);
        writer.WriteString(null);
        writer.Commit();

        Assert.Equal(Jute.Bytes("FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF"), output.WrittenSpan.ToArray());
    }

    [Fact]
    public void Nothing_reaches_the_output_before_commit_and_the_writer_is_reusable()
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new JuteWriter(output);
        writer.WriteInt(1);
        Assert.Equal(0, output.WrittenCount);
        writer.Commit();
        writer.WriteLong(2);
        writer.Commit();
        writer.Commit();

        Assert.Equal(Jute.Bytes("00000001 0000000000000002"), output.WrittenSpan.ToArray());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(4096)]
    public void Messages_larger_than_the_outputs_span_come_out_whole(int maxSpan)
    {
        var data = Enumerable.Range(0, 10_000).Select(i => (byte)i).ToArray();
        var response = new GetDataResponse(data, new Stat(1, 2, 3, 4, 5, 6, 7, 8, data.Length, 10, 11));
        var output = new StingyBufferWriter(maxSpan);

        JuteFrames.WriteFrame(output, new ReplyHeader(1, 2, ErrorCode.Ok), response, sizeHint: 16);

        var expected = Jute.Frame(new ReplyHeader(1, 2, ErrorCode.Ok), response);
        Assert.Equal(expected, output.Written);
    }

    [Fact]
    public void Reader_tracks_position()
    {
        var reader = new JuteReader(Jute.Bytes("00000001 0000000000000002 01"));
        Assert.Equal(1, reader.ReadInt());
        Assert.Equal(4, reader.Position);
        Assert.Equal(2, reader.ReadLong());
        Assert.Equal(1, reader.Remaining);
        Assert.True(reader.ReadBool());
        Assert.True(reader.IsAtEnd);
        Assert.Equal(new ErrorResponse(ErrorCode.NoNode), new JuteReader(Jute.Bytes("FFFFFF9B")).Read<ErrorResponse>());
        try
        {
            reader.ReadBool();
            Assert.Fail("read past the end");
        }
        catch (JuteException)
        {
        }
    }

    /// <summary>Hands out spans no longer than a limit, and different memory each time, like a segmented pipe.</summary>
    private sealed class StingyBufferWriter(int maxSpan) : IBufferWriter<byte>
    {
        private readonly List<byte> _written = [];
        private byte[] _current = [];

        public byte[] Written => [.. _written];

        public Span<byte> GetSpan(int sizeHint = 0)
        {
            _current = new byte[Math.Max(1, Math.Min(Math.Max(sizeHint, 1), maxSpan))];
            return _current;
        }

        public Memory<byte> GetMemory(int sizeHint = 0)
        {
            GetSpan(sizeHint);
            return _current;
        }

        public void Advance(int count) => _written.AddRange(_current.AsSpan(0, count));
    }
}
