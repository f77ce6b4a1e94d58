using System.Buffers;
using BenchmarkDotNet.Attributes;
using ZkFire.Xmpp.Xml;

namespace ZkFire.Benchmarks.Xml;

[MemoryDiagnoser]
public class XmlWriterBenchmarks
{
    private readonly ArrayBufferWriter<byte> _writer = new(4096);
    private readonly Element _message = new Element("message", "jabber:client")
        .SetAttribute("to", "juliet@capulet.example/balcony")
        .SetAttribute("from", "romeo@montague.example/orchard")
        .SetAttribute("type", "chat")
        .SetAttribute("id", "ktx72v49")
        .Add(new Element("body").AddText("Art thou not Romeo, and a Montague? Neither, fair saint, if either thee dislike & <leave>."))
        .Add(new Element("active", "http://jabber.org/protocol/chatstates"));

    [Benchmark]
    public int WriteMessage()
    {
        _writer.ResetWrittenCount();
        _message.WriteTo(_writer, "jabber:client");
        return _writer.WrittenCount;
    }

    [Benchmark]
    public string MessageToXml() => _message.ToXml("jabber:client");
}
