using System.Buffers;

namespace ZkFire.Jute.Tests;

public sealed class NullIdentityTests
{
    [Fact]
    public void An_acl_id_sent_as_a_null_string_reads_as_empty()
    {
        // kazoo's auth:"" ACL: perms ALL, scheme "auth", identity written as length -1.
        var output = new ArrayBufferWriter<byte>();
        var writer = new JuteWriter(output);
        writer.WriteInt((int)Perms.All);
        writer.WriteString("auth");
        writer.WriteString(null);
        writer.Commit();

        var reader = new JuteReader(output.WrittenSpan);
        Assert.Equal(new Acl(Perms.All, new Id("auth", "")), Acl.Read(ref reader));
        Assert.True(reader.IsAtEnd);
    }
}
