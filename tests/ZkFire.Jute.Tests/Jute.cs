using System.Buffers;

namespace ZkFire.Jute.Tests;

/// <summary>Encode/decode shortcuts and a byte-literal parser for the tests.</summary>
internal static class Jute
{
    public static byte[] Encode<T>(T record) where T : IJuteRecord<T>
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new JuteWriter(output);
        record.Write(ref writer);
        writer.Commit();
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Decodes and insists every byte was consumed.</summary>
    public static T Decode<T>(byte[] bytes) where T : IJuteRecord<T>
    {
        var reader = new JuteReader(bytes);
        var record = T.Read(ref reader);
        Assert.True(reader.IsAtEnd, $"{typeof(T).Name} left {reader.Remaining} bytes unread");
        return record;
    }

    public static byte[] Frame<T>(T record) where T : IJuteRecord<T>
    {
        var output = new ArrayBufferWriter<byte>();
        JuteFrames.WriteFrame(output, record);
        return output.WrittenSpan.ToArray();
    }

    public static byte[] Frame<THeader, TBody>(THeader header, TBody body)
        where THeader : IJuteRecord<THeader>
        where TBody : IJuteRecord<TBody>
    {
        var output = new ArrayBufferWriter<byte>();
        JuteFrames.WriteFrame(output, header, body);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Hex with free spacing, plus 'quoted' ASCII runs, so expected layouts read like the spec.</summary>
    public static byte[] Bytes(string spec)
    {
        var bytes = new List<byte>();
        for (var i = 0; i < spec.Length; i++)
        {
            var c = spec[i];
            if (char.IsWhiteSpace(c) || c == '|')
            {
                continue;
            }

            if (c == '\'')
            {
                var end = spec.IndexOf('\'', i + 1);
                bytes.AddRange(System.Text.Encoding.ASCII.GetBytes(spec[(i + 1)..end]));
                i = end;
                continue;
            }

            bytes.Add(Convert.ToByte(spec.Substring(i, 2), 16));
            i++;
        }

        return [.. bytes];
    }
}
