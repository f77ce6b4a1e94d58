using System.Buffers;
using System.IO.Pipelines;

namespace ZkFire.Jute.Tests;

public class FrameTests
{
    private static readonly byte[] TwoFrames = [.. Jute.Frame(new RequestHeader(SpecialXid.Ping, OpCode.Ping)),
        .. Jute.Frame(new RequestHeader(1, OpCode.GetData), new GetDataRequest("/zookeeper", true))];

    [Fact]
    public void Frames_split_across_segments_at_every_boundary_are_reassembled()
    {
        for (var cut1 = 0; cut1 <= TwoFrames.Length; cut1++)
        {
            for (var cut2 = cut1; cut2 <= TwoFrames.Length; cut2 += 3)
            {
                var buffer = Segments(TwoFrames[..cut1], TwoFrames[cut1..cut2], TwoFrames[cut2..]);

                Assert.True(JuteFrames.TryReadFrame(ref buffer, JuteFrames.DefaultMaxFrameLength, out var ping));
                Assert.True(JuteFrames.TryReadFrame(ref buffer, JuteFrames.DefaultMaxFrameLength, out var get));
                Assert.False(JuteFrames.TryReadFrame(ref buffer, JuteFrames.DefaultMaxFrameLength, out _));
                Assert.Equal(0, buffer.Length);

                using var pingBytes = JuteFrames.AsContiguous(ping);
                var reader = new JuteReader(pingBytes.Span);
                Assert.Equal(new RequestHeader(-2, OpCode.Ping), RequestHeader.Read(ref reader));

                using var getBytes = JuteFrames.AsContiguous(get);
                reader = new JuteReader(getBytes.Span);
                Assert.Equal(new RequestHeader(1, OpCode.GetData), RequestHeader.Read(ref reader));
                Assert.Equal(new GetDataRequest("/zookeeper", true), GetDataRequest.Read(ref reader));
            }
        }
    }

    [Fact]
    public void Incomplete_frames_leave_the_buffer_untouched()
    {
        for (var length = 0; length < 12; length++)
        {
            var buffer = new ReadOnlySequence<byte>(TwoFrames, 0, length);

            Assert.False(JuteFrames.TryReadFrame(ref buffer, JuteFrames.DefaultMaxFrameLength, out _));
            Assert.Equal(length, buffer.Length);
        }
    }

    [Theory]
    [InlineData("FFFFFFFF", -1)]
    [InlineData("80000000", int.MinValue)]
    [InlineData("00100000", 0x100000)]
    [InlineData("7FFFFFFF", int.MaxValue)]
    public void Lengths_outside_zero_to_max_drop_the_connection(string prefix, int length)
    {
        var buffer = new ReadOnlySequence<byte>(Jute.Bytes(prefix));

        var error = Assert.Throws<JuteFrameLengthException>(
            () => JuteFrames.TryReadFrame(ref buffer, JuteFrames.DefaultMaxFrameLength, out _));
        Assert.Equal(length, error.Length);
        Assert.Equal(0xfffff, error.MaxFrameLength);
    }

    [Fact]
    public void A_frame_of_exactly_the_maximum_is_accepted_and_an_empty_one_too()
    {
        var exact = new ReadOnlySequence<byte>([.. Jute.Bytes("00000010"), .. new byte[16]]);
        Assert.True(JuteFrames.TryReadFrame(ref exact, 16, out var frame));
        Assert.Equal(16, frame.Length);

        var empty = new ReadOnlySequence<byte>(Jute.Bytes("00000000"));
        Assert.True(JuteFrames.TryReadFrame(ref empty, 16, out frame));
        Assert.Equal(0, frame.Length);
    }

    [Fact]
    public void Several_records_in_one_frame()
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new JuteWriter(output);
        var start = JuteFrames.BeginFrame(ref writer);
        writer.Write(new ReplyHeader(5, 9, ErrorCode.Ok));
        writer.Write(new GetChildrenResponse(["a", "b"]));
        JuteFrames.EndFrame(ref writer, start);
        writer.Commit();

        Assert.Equal(Jute.Frame(new ReplyHeader(5, 9, ErrorCode.Ok), new GetChildrenResponse(["a", "b"])), output.WrittenSpan.ToArray());
    }

    [Fact]
    public async Task Frames_written_to_a_pipe_read_back_whole_even_when_larger_than_a_segment()
    {
        // No back-pressure: the test flushes before it starts reading.
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0));
        var data = new byte[100_000];
        Random.Shared.NextBytes(data);
        JuteFrames.WriteFrame(pipe.Writer, new ReplyHeader(1, 1, ErrorCode.Ok), new GetDataResponse(data, default));
        JuteFrames.WriteFrame(pipe.Writer, new ReplyHeader(2, 1, ErrorCode.Ok), new GetDataResponse(null, default));
        await pipe.Writer.FlushAsync();

        var read = await pipe.Reader.ReadAsync();
        var buffer = read.Buffer;
        Assert.False(buffer.IsSingleSegment);
        Assert.True(JuteFrames.TryReadFrame(ref buffer, 200_000, out var first));
        Assert.True(JuteFrames.TryReadFrame(ref buffer, 200_000, out var second));

        using (var bytes = JuteFrames.AsContiguous(first))
        {
            var reader = new JuteReader(bytes.Span);
            Assert.Equal(1, ReplyHeader.Read(ref reader).Xid);
            Assert.Equal(data, GetDataResponse.Read(ref reader).Data);
        }

        using (var bytes = JuteFrames.AsContiguous(second))
        {
            var reader = new JuteReader(bytes.Span);
            Assert.Equal(2, ReplyHeader.Read(ref reader).Xid);
            Assert.Null(GetDataResponse.Read(ref reader).Data);
        }

        pipe.Reader.AdvanceTo(buffer.Start);
    }

    private static ReadOnlySequence<byte> Segments(params byte[][] parts)
    {
        var first = new Segment(parts[0], 0);
        var last = first;
        foreach (var part in parts.Skip(1))
        {
            last = last.Append(part);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(byte[] memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
