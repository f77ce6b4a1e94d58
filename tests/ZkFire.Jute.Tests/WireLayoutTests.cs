namespace ZkFire.Jute.Tests;

/// <summary>Frames spelled out by hand from zookeeper.jute, as a 3.8 peer puts them on the wire.</summary>
public class WireLayoutTests
{
    [Fact]
    public void Connect_request_of_a_3_8_client()
    {
        var request = new ConnectRequest(0, 0, 30000, 0, new byte[16], false);

        var expected = Jute.Bytes(
            "0000002D" +                        // length 45
            "00000000" +                        // protocolVersion
            "0000000000000000" +                // lastZxidSeen
            "00007530" +                        // timeOut 30000
            "0000000000000000" +                // sessionId
            "00000010 00000000000000000000000000000000" + // passwd
            "00");                              // readOnly

        Assert.Equal(expected, Jute.Frame(request));
    }

    [Fact]
    public void Create_request_with_its_header()
    {
        var header = new RequestHeader(1, OpCode.Create);
        var body = new CreateRequest("/a", "x"u8.ToArray(), WellKnownAcls.OpenAclUnsafe, (int)CreateMode.Persistent);

        var expected = Jute.Bytes(
            "00000032" +                        // length 50
            "00000001 00000001" +               // xid 1, type create
            "00000002 '/a'" +                   // path
            "00000001 'x'" +                    // data
            "00000001" +                        // one ACL
            "0000001F 00000005 'world' 00000006 'anyone'" +
            "00000000");                        // flags

        Assert.Equal(expected, Jute.Frame(header, body));
        var reader = new JuteReader(expected.AsSpan(4));
        Assert.Equal(header, RequestHeader.Read(ref reader));
        var decoded = CreateRequest.Read(ref reader);
        Assert.True(reader.IsAtEnd);
        Assert.Equal("/a", decoded.Path);
        Assert.Equal("x"u8.ToArray(), decoded.Data);
        Assert.Equal(WellKnownAcls.OpenAclUnsafe, decoded.Acl);
    }

    [Fact]
    public void Get_data_reply_with_null_data()
    {
        var stat = new Stat(1, 2, 3, 4, 5, 6, 7, 8, 0, 10, 11);
        var frame = Jute.Frame(new ReplyHeader(7, 0x100000002, ErrorCode.Ok), new GetDataResponse(null, stat));

        var expected = Jute.Bytes(
            "00000058" +                        // 16 header + 4 null buffer + 68 stat
            "00000007 0000000100000002 00000000" +
            "FFFFFFFF" +
            "0000000000000001 0000000000000002 0000000000000003 0000000000000004" +
            "00000005 00000006 00000007 0000000000000008 00000000 0000000A 000000000000000B");
        Assert.Equal(expected, frame);
        Assert.Equal(68, Stat.Size);
    }

    [Fact]
    public void Watch_notification()
    {
        var frame = Jute.Frame(
            new ReplyHeader(SpecialXid.Notification, -1, ErrorCode.Ok),
            new WatcherEvent(EventType.NodeDataChanged, KeeperState.SyncConnected, "/n"));

        Assert.Equal(
            Jute.Bytes("0000001E FFFFFFFF FFFFFFFFFFFFFFFF 00000000 00000003 00000003 00000002 '/n'"),
            frame);
    }

    [Fact]
    public void Error_reply_has_no_body()
    {
        var frame = Jute.Frame(new ReplyHeader(3, 42, ErrorCode.NoNode));

        Assert.Equal(Jute.Bytes("00000010 00000003 000000000000002A FFFFFF9B"), frame);
    }

    [Fact]
    public void Strings_are_utf8_with_byte_lengths_and_null_is_minus_one()
    {
        Assert.Equal(Jute.Bytes("00000003 2F C3A9"), Jute.Encode(new SyncRequest("/é")));
        Assert.Equal(Jute.Bytes("00000005 2F F09F9880"), Jute.Encode(new SyncRequest("/\U0001F600")));
        Assert.Equal(
            Jute.Bytes("FFFFFFFF 00000000 FFFFFFFF 0000000000000009"),
            Jute.Encode(new ReconfigRequest(null, "", null, 9)));
    }

    [Fact]
    public void Booleans_are_one_byte_and_any_non_zero_byte_reads_true()
    {
        Assert.Equal(Jute.Bytes("00000001 '/' 01"), Jute.Encode(new ExistsRequest("/", true)));
        Assert.True(Jute.Decode<ExistsRequest>(Jute.Bytes("00000001 '/' 7F")).Watch);
    }

    [Fact]
    public void Invalid_utf8_decodes_to_replacement_characters_like_java()
    {
        var path = Jute.Decode<SyncRequest>(Jute.Bytes("00000003 2F FF 61")).Path;

        Assert.Equal("/\uFFFDa", path);
        Assert.NotNull(ZnodePath.Validate(path));
    }
}
