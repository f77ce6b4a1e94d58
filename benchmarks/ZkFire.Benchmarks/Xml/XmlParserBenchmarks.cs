using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using ZkFire.Xmpp.Xml;

namespace ZkFire.Benchmarks.Xml;

[MemoryDiagnoser]
public class XmlParserBenchmarks
{
    private const string Header =
        "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' " +
        "to='example.com' version='1.0' xml:lang='en'>";

    private const string ChatStanza =
        "<message to='juliet@capulet.example/balcony' from='romeo@montague.example/orchard' type='chat' " +
        "id='ktx72v49' xml:lang='en'><body>Art thou not Romeo, and a Montague? Neither, fair saint, if either " +
        "thee dislike.</body><active xmlns='http://jabber.org/protocol/chatstates'/>" +
        "<request xmlns='urn:xmpp:receipts'/></message>";

    private const string PresenceStanza =
        "<presence from='romeo@montague.example/orchard' id='pr1'><show>away</show><status>In the orchard</status>" +
        "<priority>5</priority><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='https://example.org' " +
        "ver='QgayPKawpkPSDYmwT/WM94uAlu0='/></presence>";

    // One parser stays inside an open stream for the single-stanza benchmarks; the other reads whole streams.
    private readonly XmppStreamParser _parser = new(new XmlLimits());
    private readonly XmppStreamParser _streamParser = new(new XmlLimits());
    private byte[] _chat = [];
    private byte[] _presence = [];
    private byte[] _large = [];
    private byte[] _stream = [];

    [GlobalSetup]
    public void Setup()
    {
        _chat = Encoding.UTF8.GetBytes(ChatStanza);
        _presence = Encoding.UTF8.GetBytes(PresenceStanza);
        string text = string.Concat(Enumerable.Repeat("Lorem ipsum dolor sit amet, consectetur &amp; adipiscing — élit. ", 64))[..3900];
        _large = Encoding.UTF8.GetBytes($"<message to='a@b.example' from='c@d.example/r' type='chat' id='big'><body>{text}</body></message>");

        var stream = new StringBuilder(Header);
        for (int i = 0; i < 100; i++)
        {
            stream.Append(i % 2 == 0 ? ChatStanza : PresenceStanza).Append('\n');
        }

        _stream = Encoding.UTF8.GetBytes(stream.Append("</stream:stream>").ToString());

        var header = new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(Header));
        _parser.TryRead(ref header, out _);
    }

    [Benchmark]
    public Element? ChatMessage300B() => ParseOne(_chat);

    [Benchmark]
    public Element? Presence() => ParseOne(_presence);

    [Benchmark]
    public Element? Message4KiB() => ParseOne(_large);

    [Benchmark]
    public int StreamOf100Stanzas()
    {
        _streamParser.Reset();
        var buffer = new ReadOnlySequence<byte>(_stream);
        int count = 0;
        while (_streamParser.TryRead(ref buffer, out _))
        {
            count++;
        }

        return count;
    }

    private Element? ParseOne(byte[] stanza)
    {
        var buffer = new ReadOnlySequence<byte>(stanza);
        _parser.TryRead(ref buffer, out var evt);
        return evt.Element;
    }
}
