using System.Text;

namespace ZkFire.Jute.Tests;

/// <summary>One record type with a generator of random instances, usable by type-agnostic theories.</summary>
public sealed class RecordCase
{
    private readonly Func<Random, byte[]> _encodeRandom;
    private readonly Func<byte[], byte[]> _decodeAndReencode;
    private readonly Action<byte[]> _decode;

    private RecordCase(string name, Func<Random, byte[]> encodeRandom, Func<byte[], byte[]> decodeAndReencode, Action<byte[]> decode)
    {
        Name = name;
        // ConnectRequest/ConnectResponse end with a flag that old peers leave out.
        HasOptionalLastByte = name.StartsWith("Connect", StringComparison.Ordinal);
        _encodeRandom = encodeRandom;
        _decodeAndReencode = decodeAndReencode;
        _decode = decode;
    }

    public string Name { get; }

    public bool HasOptionalLastByte { get; }

    public static RecordCase Of<T>(Func<Random, T> make) where T : IJuteRecord<T> => new(
        typeof(T).Name,
        random => Jute.Encode(make(random)),
        bytes => Jute.Encode(Jute.Decode<T>(bytes)),
        bytes =>
        {
            var reader = new JuteReader(bytes);
            T.Read(ref reader);
        });

    public byte[] EncodeRandom(Random random) => _encodeRandom(random);

    public byte[] DecodeAndReencode(byte[] bytes) => _decodeAndReencode(bytes);

    public void Decode(byte[] bytes) => _decode(bytes);

    public override string ToString() => Name;
}

/// <summary>Random values for every record of zookeeper.jute, biased towards edges (null, empty, extremes, non-ASCII).</summary>
internal static class RandomRecords
{
    public static IEnumerable<RecordCase> All =>
    [
        RecordCase.Of(Id),
        RecordCase.Of(Acl),
        RecordCase.Of(Stat),
        RecordCase.Of(r => new StatPersisted(Long(r), Long(r), Long(r), Long(r), Int(r), Int(r), Int(r), Long(r), Long(r))),
        RecordCase.Of(ClientInfo),
        RecordCase.Of(r => new ConnectRequest(Int(r), Long(r), Int(r), Long(r), Bytes(r) ?? [], r.Next(3) switch { 0 => null, 1 => true, _ => false })),
        RecordCase.Of(r => new ConnectResponse(Int(r), Int(r), Long(r), Bytes(r) ?? [], r.Next(3) switch { 0 => null, 1 => true, _ => false })),
        RecordCase.Of(r => new SetWatches(Long(r), Strings(r), Strings(r), Strings(r))),
        RecordCase.Of(r => new SetWatches2(Long(r), Strings(r), Strings(r), Strings(r), Strings(r), Strings(r))),
        RecordCase.Of(r => new RequestHeader(Int(r), (OpCode)Int(r))),
        RecordCase.Of(r => new MultiHeader((OpCode)Int(r), r.Next(2) == 0, (ErrorCode)Int(r))),
        RecordCase.Of(r => new AuthPacket(Int(r), String(r), Bytes(r) ?? [])),
        RecordCase.Of(r => new ReplyHeader(Int(r), Long(r), (ErrorCode)Int(r))),
        RecordCase.Of(r => new GetDataRequest(String(r), r.Next(2) == 0)),
        RecordCase.Of(r => new SetDataRequest(String(r), Bytes(r), Int(r))),
        RecordCase.Of(r => new ReconfigRequest(NullableString(r), NullableString(r), NullableString(r), Long(r))),
        RecordCase.Of(r => new SetDataResponse(Stat(r))),
        RecordCase.Of(r => new GetSaslRequest(Bytes(r) ?? [])),
        RecordCase.Of(r => new SetSaslResponse(Bytes(r) ?? [])),
        RecordCase.Of(CreateRequest),
        RecordCase.Of(r => new CreateTtlRequest(String(r), Bytes(r), Acls(r), Int(r), Long(r))),
        RecordCase.Of(r => new DeleteRequest(String(r), Int(r))),
        RecordCase.Of(r => new GetChildrenRequest(String(r), r.Next(2) == 0)),
        RecordCase.Of(r => new GetAllChildrenNumberRequest(String(r))),
        RecordCase.Of(r => new GetChildren2Request(String(r), r.Next(2) == 0)),
        RecordCase.Of(r => new CheckVersionRequest(String(r), Int(r))),
        RecordCase.Of(r => new SyncRequest(String(r))),
        RecordCase.Of(r => new SyncResponse(String(r))),
        RecordCase.Of(r => new GetAclRequest(String(r))),
        RecordCase.Of(r => new SetAclRequest(String(r), Acls(r), Int(r))),
        RecordCase.Of(r => new SetAclResponse(Stat(r))),
        RecordCase.Of(r => new AddWatchRequest(String(r), (AddWatchMode)Int(r))),
        RecordCase.Of(r => new WatcherEvent((EventType)Int(r), (KeeperState)Int(r), String(r))),
        RecordCase.Of(r => new ErrorResponse((ErrorCode)Int(r))),
        RecordCase.Of(r => new CreateResponse(String(r))),
        RecordCase.Of(r => new Create2Response(String(r), Stat(r))),
        RecordCase.Of(r => new ExistsRequest(String(r), r.Next(2) == 0)),
        RecordCase.Of(r => new ExistsResponse(Stat(r))),
        RecordCase.Of(r => new GetDataResponse(Bytes(r), Stat(r))),
        RecordCase.Of(r => new GetChildrenResponse(Strings(r))),
        RecordCase.Of(r => new GetAllChildrenNumberResponse(Int(r))),
        RecordCase.Of(r => new GetChildren2Response(Strings(r), Stat(r))),
        RecordCase.Of(r => new GetAclResponse(Acls(r), Stat(r))),
        RecordCase.Of(r => new CheckWatchesRequest(String(r), (WatcherType)Int(r))),
        RecordCase.Of(r => new RemoveWatchesRequest(String(r), (WatcherType)Int(r))),
        RecordCase.Of(r => new GetEphemeralsRequest(String(r))),
        RecordCase.Of(r => new GetEphemeralsResponse(Strings(r))),
        RecordCase.Of(r => new WhoAmIResponse(List(r, ClientInfo))),
        RecordCase.Of(r => new TxnDigest(Int(r), Long(r))),
        RecordCase.Of(r => new TxnHeader(Long(r), Int(r), Long(r), Long(r), (OpCode)Int(r))),
        RecordCase.Of(r => new CreateTxnV0(String(r), Bytes(r), Acls(r), r.Next(2) == 0)),
        RecordCase.Of(r => new CreateTxn(String(r), Bytes(r), Acls(r), r.Next(2) == 0, Int(r))),
        RecordCase.Of(r => new CreateTtlTxn(String(r), Bytes(r), Acls(r), Int(r), Long(r))),
        RecordCase.Of(r => new CreateContainerTxn(String(r), Bytes(r), Acls(r), Int(r))),
        RecordCase.Of(r => new DeleteTxn(String(r))),
        RecordCase.Of(r => new SetDataTxn(String(r), Bytes(r), Int(r))),
        RecordCase.Of(r => new CheckVersionTxn(String(r), Int(r))),
        RecordCase.Of(r => new SetAclTxn(String(r), Acls(r), Int(r))),
        RecordCase.Of(r => new CreateSessionTxn(Int(r))),
        RecordCase.Of(r => new CloseSessionTxn(Strings(r))),
        RecordCase.Of(r => new ErrorTxn((ErrorCode)Int(r))),
        RecordCase.Of(Txn),
        RecordCase.Of(r => new MultiTxn(List(r, Txn))),
        RecordCase.Of(MultiRequest),
        RecordCase.Of(MultiResponse),
    ];

    public static int Int(Random r) => r.Next(4) switch
    {
        0 => 0,
        1 => r.Next(2) == 0 ? int.MinValue : int.MaxValue,
        2 => r.Next(-1000, 1000),
        _ => (int)r.NextInt64(int.MinValue, (long)int.MaxValue + 1),
    };

    public static long Long(Random r) => r.Next(4) switch
    {
        0 => 0,
        1 => r.Next(2) == 0 ? long.MinValue : long.MaxValue,
        2 => r.Next(-1000, 1000),
        _ => r.NextInt64(long.MinValue, long.MaxValue),
    };

    /// <summary>Mixes ASCII, two- and three-byte UTF-8 and surrogate pairs (four bytes); never lone surrogates.</summary>
    public static string String(Random r)
    {
        var length = r.Next(4) == 0 ? 0 : r.Next(1, 40);
        var text = new StringBuilder(length);
        for (var i = 0; i < length; i++)
        {
            switch (r.Next(6))
            {
                case 0:
                    text.Append((char)r.Next(0x80, 0x800));
                    break;
                case 1:
                    text.Append((char)r.Next(0x800, 0xd800));
                    break;
                case 2:
                    text.Append(char.ConvertFromUtf32(r.Next(0x10000, 0x110000)));
                    break;
                default:
                    text.Append((char)r.Next(0, 0x80));
                    break;
            }
        }

        return text.ToString();
    }

    public static string? NullableString(Random r) => r.Next(4) == 0 ? null : String(r);

    public static byte[]? Bytes(Random r)
    {
        if (r.Next(5) == 0)
        {
            return null;
        }

        var bytes = new byte[r.Next(4) == 0 ? 0 : r.Next(1, 300)];
        r.NextBytes(bytes);
        return bytes;
    }

    public static T[] List<T>(Random r, Func<Random, T> make)
    {
        var items = new T[r.Next(4) == 0 ? 0 : r.Next(1, 6)];
        for (var i = 0; i < items.Length; i++)
        {
            items[i] = make(r);
        }

        return items;
    }

    public static string[] Strings(Random r) => List(r, String);

    public static Id Id(Random r) => new(String(r), String(r));

    public static Acl Acl(Random r) => new((Perms)Int(r), Id(r));

    public static Acl[] Acls(Random r) => List(r, Acl);

    public static ClientInfo ClientInfo(Random r) => new(String(r), String(r));

    public static Stat Stat(Random r) =>
        new(Long(r), Long(r), Long(r), Long(r), Int(r), Int(r), Int(r), Long(r), Int(r), Int(r), Long(r));

    public static CreateRequest CreateRequest(Random r) => new(String(r), Bytes(r), Acls(r), r.Next(0, 7));

    public static Txn Txn(Random r) => new((OpCode)Int(r), Bytes(r) ?? []);

    /// <summary>All write ops or all read ops, as 3.8 insists.</summary>
    public static MultiRequest MultiRequest(Random r)
    {
        Func<Random, MultiOp>[] writes =
        [
            x => MultiOp.Create(CreateRequest(x)),
            x => MultiOp.Create2(CreateRequest(x)),
            x => MultiOp.CreateContainer(CreateRequest(x)),
            x => MultiOp.CreateTtl(new CreateTtlRequest(String(x), Bytes(x), Acls(x), Int(x), Long(x))),
            x => MultiOp.Delete(new DeleteRequest(String(x), Int(x))),
            x => MultiOp.SetData(new SetDataRequest(String(x), Bytes(x), Int(x))),
            x => MultiOp.Check(new CheckVersionRequest(String(x), Int(x))),
        ];
        Func<Random, MultiOp>[] reads =
        [
            x => MultiOp.GetChildren(new GetChildrenRequest(String(x), x.Next(2) == 0)),
            x => MultiOp.GetData(new GetDataRequest(String(x), x.Next(2) == 0)),
        ];
        var kinds = r.Next(2) == 0 ? writes : reads;
        return new MultiRequest(List(r, x => kinds[x.Next(kinds.Length)](x)));
    }

    public static MultiResponse MultiResponse(Random r)
    {
        Func<Random, MultiResult>[] kinds =
        [
            x => MultiResult.Create(String(x)),
            x => MultiResult.Create2(String(x), Stat(x)),
            _ => MultiResult.Delete,
            _ => MultiResult.Check,
            x => MultiResult.SetData(Stat(x)),
            x => MultiResult.GetChildren(Strings(x)),
            x => MultiResult.GetData(Bytes(x), Stat(x)),
            x => MultiResult.Error((ErrorCode)Int(x)),
        ];
        return new MultiResponse(List(r, x => kinds[x.Next(kinds.Length)](x)));
    }
}
