namespace ZkFire.Jute.Tests;

public class MultiTests
{
    private const string End = "FFFFFFFF 01 FFFFFFFF";
    private static readonly string ZeroStat = new('0', Stat.Size * 2);

    [Fact]
    public void Request_is_headed_ops_then_the_terminator()
    {
        var request = new MultiRequest(
        [
            MultiOp.Create(new CreateRequest("/a", null, WellKnownAcls.OpenAclUnsafe, 0)),
            MultiOp.Delete(new DeleteRequest("/b", -1)),
            MultiOp.Check(new CheckVersionRequest("/c", 3)),
        ]);

        var expected = Jute.Bytes(
            "00000001 00 FFFFFFFF  00000002 '/a' FFFFFFFF 00000001 0000001F 00000005 'world' 00000006 'anyone' 00000000" +
            "00000002 00 FFFFFFFF  00000002 '/b' FFFFFFFF" +
            "0000000D 00 FFFFFFFF  00000002 '/c' 00000003" +
            End);

        Assert.Equal(expected, Jute.Encode(request));
        var decoded = Jute.Decode<MultiRequest>(expected);
        Assert.Equal([OpCode.Create, OpCode.Delete, OpCode.Check], decoded.Ops.Select(op => op.Type));
        Assert.Equal(new DeleteRequest("/b", -1), Assert.IsType<MultiOp<DeleteRequest>>(decoded.Ops[1]).Request);
    }

    [Fact]
    public void Empty_multi_is_only_the_terminator()
    {
        Assert.Equal(Jute.Bytes(End), Jute.Encode(new MultiRequest([])));
        Assert.Empty(Jute.Decode<MultiResponse>(Jute.Bytes(End)).Results);
    }

    [Fact]
    public void Failed_multi_reports_an_error_result_for_every_op()
    {
        var response = new MultiResponse(
        [
            MultiResult.Error(ErrorCode.Ok),
            MultiResult.Error(ErrorCode.NoNode),
            MultiResult.Error(ErrorCode.RuntimeInconsistency),
        ]);

        var expected = Jute.Bytes(
            "FFFFFFFF 00 00000000  00000000" +
            "FFFFFFFF 00 FFFFFF9B  FFFFFF9B" +
            "FFFFFFFF 00 FFFFFFFE  FFFFFFFE" +
            End);

        Assert.Equal(expected, Jute.Encode(response));
        var decoded = Jute.Decode<MultiResponse>(expected);
        Assert.Equal([ErrorCode.Ok, ErrorCode.NoNode, ErrorCode.RuntimeInconsistency], decoded.Results.Select(r => r.Err));
        Assert.All(decoded.Results, r => Assert.Equal(OpCode.Error, r.Type));
    }

    [Fact]
    public void Successful_write_results()
    {
        var response = new MultiResponse(
        [
            MultiResult.Create("/a"),
            MultiResult.Create2("/b", default),
            MultiResult.Delete,
            MultiResult.SetData(default),
            MultiResult.Check,
        ]);

        var expected = Jute.Bytes(
            "00000001 00 00000000  00000002 '/a'" +
            "0000000F 00 00000000  00000002 '/b'" + ZeroStat +
            "00000002 00 00000000" +
            "00000005 00 00000000" + ZeroStat +
            "0000000D 00 00000000" +
            End);

        Assert.Equal(expected, Jute.Encode(response));
        var decoded = Jute.Decode<MultiResponse>(expected);
        Assert.Equal("/b", Assert.IsType<MultiResult<Create2Response>>(decoded.Results[1]).Body.Path);
        Assert.Same(MultiResult.Delete, decoded.Results[2]);
        Assert.All(decoded.Results, r => Assert.Equal(ErrorCode.Ok, r.Err));
    }

    [Fact]
    public void Multi_read_results_mix_data_children_and_errors()
    {
        var response = new MultiResponse(
        [
            MultiResult.GetData("hi"u8.ToArray(), default),
            MultiResult.GetChildren(["x"]),
            MultiResult.Error(ErrorCode.NoNode),
        ]);

        var expected = Jute.Bytes(
            "00000004 00 00000000  00000002 'hi'" + ZeroStat +
            "00000008 00 00000000  00000001 00000001 'x'" +
            "FFFFFFFF 00 FFFFFF9B  FFFFFF9B" +
            End);

        Assert.Equal(expected, Jute.Encode(response));
        var decoded = Jute.Decode<MultiResponse>(expected);
        Assert.Equal(["x"], Assert.IsType<MultiResult<GetChildrenResponse>>(decoded.Results[1]).Body.Children);
        Assert.Equal(ErrorCode.NoNode, decoded.Results[2].Err);
    }

    [Fact]
    public void Read_ops_round_trip()
    {
        var request = new MultiRequest([MultiOp.GetData(new GetDataRequest("/a", false)), MultiOp.GetChildren(new GetChildrenRequest("/", false))]);

        var decoded = Jute.Decode<MultiRequest>(Jute.Encode(request));

        Assert.All(decoded.Ops, op => Assert.True(op.IsRead));
        Assert.Equal(request.Ops, decoded.Ops);
    }

    [Theory]
    // getData then delete: 3.8 refuses to mix reads and writes.
    [InlineData("00000004 00 FFFFFFFF 00000002 '/a' 00 00000002 00 FFFFFFFF 00000002 '/a' FFFFFFFF " + End)]
    // create with flag 7, which names no create mode.
    [InlineData("00000001 00 FFFFFFFF 00000002 '/a' FFFFFFFF 00000000 00000007 " + End)]
    // exists is not a multi op.
    [InlineData("00000003 00 FFFFFFFF 00000002 '/a' 00 " + End)]
    // deleteContainer is not one either.
    [InlineData("00000014 00 FFFFFFFF 00000002 '/a' FFFFFFFF " + End)]
    // no terminator
    [InlineData("00000002 00 FFFFFFFF 00000002 '/a' FFFFFFFF")]
    public void Requests_zookeeper_cannot_decode_are_refused(string bytes) =>
        Assert.Throws<JuteException>(() => Jute.Decode<MultiRequest>(Jute.Bytes(bytes)));

    [Fact]
    public void Unknown_result_type_is_refused() =>
        Assert.Throws<JuteException>(() => Jute.Decode<MultiResponse>(Jute.Bytes("00000003 00 00000000 " + End)));

    [Fact]
    public void Multi_ops_compare_by_value()
    {
        Assert.Equal(MultiOp.Delete(new DeleteRequest("/a", 1)), MultiOp.Delete(new DeleteRequest("/a", 1)));
        Assert.NotEqual<MultiOp>(
            MultiOp.Create(new CreateRequest("/a", null, WellKnownAcls.OpenAclUnsafe, 0)),
            MultiOp.Create2(new CreateRequest("/a", null, WellKnownAcls.OpenAclUnsafe, 0)));
    }
}
