namespace ZkFire.Jute.Tests;

public class ConnectTests
{
    private static readonly byte[] Password = [.. Enumerable.Range(1, 16).Select(i => (byte)i)];

    [Fact]
    public void Request_without_the_read_only_flag_is_an_old_client()
    {
        var withFlag = Jute.Encode(new ConnectRequest(0, 5, 30000, 77, Password, true));
        Assert.Equal(45, withFlag.Length);

        var old = Jute.Decode<ConnectRequest>(withFlag[..44]);

        Assert.Null(old.ReadOnly);
        Assert.Equal(77, old.SessionId);
        Assert.Equal(Password, old.Passwd);
        Assert.True(Jute.Decode<ConnectRequest>(withFlag).ReadOnly);
    }

    [Fact]
    public void Request_bytes_after_the_flag_are_ignored_as_zookeeper_does()
    {
        var bytes = Jute.Encode(new ConnectRequest(0, 0, 30000, 0, Password, false));
        var reader = new JuteReader([.. bytes, 0xAB, 0xCD]);

        Assert.False(ConnectRequest.Read(ref reader).ReadOnly);
        Assert.Equal(2, reader.Remaining);
    }

    [Fact]
    public void Request_cut_short_of_the_passwd_is_malformed()
    {
        var bytes = Jute.Encode(new ConnectRequest(0, 0, 30000, 0, Password, null));

        for (var length = 0; length < bytes.Length; length++)
        {
            var prefix = bytes[..length];
            Assert.Throws<JuteException>(() => Jute.Decode<ConnectRequest>(prefix));
        }
    }

    [Theory]
    [InlineData(null, 36)]
    [InlineData(false, 37)]
    [InlineData(true, 37)]
    public void Response_carries_the_flag_only_when_set(bool? readOnly, int size)
    {
        var response = new ConnectResponse(0, 20000, 0x1234, Password, readOnly);

        var bytes = Jute.Encode(response);

        Assert.Equal(size, bytes.Length);
        Assert.Equal(readOnly, Jute.Decode<ConnectResponse>(bytes).ReadOnly);
    }

    [Fact]
    public void Expired_session_response_layout()
    {
        var frame = Jute.Frame(new ConnectResponse(0, 0, 0, new byte[16], false));

        Assert.Equal(
            Jute.Bytes("00000025 00000000 00000000 0000000000000000 00000010 00000000000000000000000000000000 00"),
            frame);
    }
}
