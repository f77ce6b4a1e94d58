namespace ZkFire.Jute.Tests;

public class RecordRoundTripTests
{
    public static TheoryData<RecordCase> Cases => [.. RandomRecords.All];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Random_records_survive_decode_and_reencode_byte_for_byte(RecordCase record)
    {
        var random = new Random(record.Name.Length * 7919);
        for (var i = 0; i < 200; i++)
        {
            var bytes = record.EncodeRandom(random);
            Assert.Equal(bytes, record.DecodeAndReencode(bytes));
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Truncation_at_every_byte_boundary_is_a_jute_exception(RecordCase record)
    {
        var random = new Random(record.Name.Length);
        for (var i = 0; i < 5; i++)
        {
            var bytes = record.EncodeRandom(random);
            for (var length = 0; length < bytes.Length; length++)
            {
                var prefix = bytes[..length];
                if (record.HasOptionalLastByte && length == bytes.Length - 1)
                {
                    // Dropping ConnectRequest/ConnectResponse's optional flag (or, without it, the last passwd
                    // byte) is covered precisely in ConnectTests.
                    continue;
                }

                Assert.Throws<JuteException>(() => record.Decode(prefix));
            }
        }
    }

    [Fact]
    public void Every_record_type_in_the_assembly_has_a_round_trip_case()
    {
        var covered = RandomRecords.All.Select(c => c.Name).ToHashSet();
        var records = typeof(IJuteRecord<>).Assembly.GetExportedTypes()
            .Where(t => !t.IsGenericTypeDefinition && t.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IJuteRecord<>)))
            .Select(t => t.Name);

        Assert.Empty(records.Except(covered));
    }
}
