using DotNetty.Buffers;
using Google.Protobuf;
using ZkFire.Interconnect.Tests.Messages;

namespace ZkFire.Interconnect.Tests;

public sealed class ProtobufFrameCodecTests
{
    private readonly ProtobufFrameCodec<TestMessage> codec = new(TestMessage.Parser, 1024);

    [Fact]
    public void A_frame_is_a_big_endian_length_and_the_message()
    {
        var message = AuthenticatedLinkTests.Data(7, ByteString.CopyFromUtf8("payload"));

        var frame = codec.Encode(UnpooledByteBufferAllocator.Default, message);
        try
        {
            Assert.Equal(message.CalculateSize(), frame.ReadInt());
            Assert.Equal(message, codec.Decode(frame));
        }
        finally
        {
            frame.Release();
        }
    }

    [Fact]
    public void A_frame_body_in_several_buffers_decodes_the_same()
    {
        var bytes = AuthenticatedLinkTests.Data(9, ByteString.CopyFrom(new byte[100])).ToByteArray();
        var composite = Unpooled.CompositeBuffer();
        composite.AddComponents(true, Unpooled.WrappedBuffer(bytes[..10]), Unpooled.WrappedBuffer(bytes[10..]));
        try
        {
            Assert.Equal(9, codec.Decode(composite).Data.Seq);
        }
        finally
        {
            composite.Release();
        }
    }

    [Fact]
    public void A_message_over_the_limit_is_not_encoded()
    {
        var error = Assert.Throws<InvalidOperationException>(
            () => codec.Encode(UnpooledByteBufferAllocator.Default, AuthenticatedLinkTests.Data(1, ByteString.CopyFrom(new byte[1024]))));

        Assert.Contains("1024 bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bytes_that_are_no_message_fail_to_decode()
    {
        var garbage = Unpooled.WrappedBuffer([0xff, 0xff, 0xff, 0xff, 0xff]);

        Assert.Throws<InvalidProtocolBufferException>(() => codec.Decode(garbage));
    }
}
