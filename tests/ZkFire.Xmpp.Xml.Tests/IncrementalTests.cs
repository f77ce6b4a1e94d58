using System.Text;

namespace ZkFire.Xmpp.Xml.Tests;

public class IncrementalTests
{
    // Exercises every construct whose end the scanner must find: quotes hiding '>' and '/', CDATA hiding tags and
    // "]]", empty tags, end tags with spaces, references, multi-byte UTF-8 in names, values and text.
    private static readonly string Stream =
        Feed.Header +
        "\n<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>" +
        " \n " +
        "<message to='jülïet@example.com' id=\"a/>b\" type='chat'><body>Grüße 中文 \U0001F600 &amp; &#x1F601;</body>" +
        "<x xmlns='urn:x' a='&apos;&gt;'><![CDATA[<not-a-tag/> ]] ]> ]]]]><y /></x></message >" +
        "<iq type='get' id='p'><ping xmlns='urn:xmpp:ping'/></iq>\r\n" +
        "<presence><show>dnd</show><status>\u00e9t\u00e9 \U0001F31E</status></presence>" +
        "</stream:stream>";

    private static readonly byte[] StreamBytes = Encoding.UTF8.GetBytes(Stream);

    private static List<string> Reference() => Describe(Feed.Bytes(StreamBytes));

    private static List<string> Describe(List<XmppStreamEvent> events) =>
        events.Select(e => $"{e.Kind}:{e.Element?.ToXml()}").ToList();

    [Fact]
    public void Reference_stream_parses_as_expected()
    {
        var events = Feed.Bytes(StreamBytes);

        Assert.Equal(6, events.Count);
        var message = events[2].Element!;
        Assert.Equal("jülïet@example.com", message.GetAttribute("to"));
        Assert.Equal("a/>b", message.GetAttribute("id"));
        Assert.Equal("Grüße 中文 \U0001F600 & \U0001F601", message.Child("body")!.Text);
        var x = message.Child("x")!;
        Assert.Equal("'>", x.GetAttribute("a"));
        Assert.Equal("<not-a-tag/> ]] ]> ]]", x.Text);
        Assert.Equal("urn:x", x.Child("y")!.Namespace);
        Assert.Equal(XmppStreamEventKind.StreamClose, events[5].Kind);
    }

    [Fact]
    public void One_byte_at_a_time_gives_the_same_events()
    {
        var events = Feed.Chunks(new XmppStreamParser(Feed.DefaultLimits), Feed.Split(StreamBytes, Enumerable.Repeat(1, StreamBytes.Length)));

        Assert.Equal(Reference(), Describe(events));
    }

    [Fact]
    public void Split_into_two_at_every_byte_boundary_gives_the_same_events()
    {
        var expected = Reference();
        for (int i = 1; i < StreamBytes.Length; i++)
        {
            var events = Feed.Chunks(new XmppStreamParser(Feed.DefaultLimits), [StreamBytes[..i], StreamBytes[i..]]);
            Assert.Equal(expected, Describe(events));
        }
    }

    [Fact]
    public void Random_chunks_give_the_same_events()
    {
        var expected = Reference();
        var random = new Random(6120);
        for (int round = 0; round < 300; round++)
        {
            int max = random.Next(2, 40);
            var sizes = Enumerable.Range(0, StreamBytes.Length).Select(_ => random.Next(1, max));
            var events = Feed.Chunks(new XmppStreamParser(Feed.DefaultLimits), Feed.Split(StreamBytes, sizes));
            Assert.Equal(expected, Describe(events));
        }
    }

    [Fact]
    public void Whole_stream_as_one_multi_segment_sequence_gives_the_same_events()
    {
        var random = new Random(3920);
        var parts = Feed.Split(StreamBytes, Enumerable.Range(0, StreamBytes.Length).Select(_ => random.Next(0, 7)))
            .Select(p => (ReadOnlyMemory<byte>)p).ToList();
        var buffer = Feed.Sequence(parts);
        var parser = new XmppStreamParser(Feed.DefaultLimits);
        var events = new List<XmppStreamEvent>();
        while (parser.TryRead(ref buffer, out var evt))
        {
            events.Add(evt);
        }

        Assert.True(buffer.IsEmpty);
        Assert.Equal(Reference(), Describe(events));
    }

    [Fact]
    public void Multi_byte_characters_split_at_every_byte()
    {
        const string Text = "é中\U0001F600ＡＢ€";
        var bytes = Encoding.UTF8.GetBytes(Feed.Header + $"<message a='{Text}'><{Text[1]}>{Text}</{Text[1]}></message>");
        for (int i = Feed.Header.Length; i < bytes.Length; i++)
        {
            var events = Feed.Chunks(new XmppStreamParser(Feed.DefaultLimits), [bytes[..i], bytes[i..]]);
            var message = events[1].Element!;
            Assert.Equal(Text, message.GetAttribute("a"));
            Assert.Equal(Text, message.Child("中")!.Text);
        }
    }

    [Fact]
    public void Large_stanza_in_small_segments_is_not_rescanned()
    {
        // 200 KiB in 1 KiB pieces: rescanning from the start each time would examine ~20 MB; this just has to finish
        // quickly and correctly (the scanner's resumption is what the other split tests check for correctness).
        var body = new string('x', 200 * 1024);
        var bytes = Encoding.UTF8.GetBytes(Feed.Header + $"<message><body>{body}</body></message>");
        var events = Feed.Chunks(new XmppStreamParser(Feed.DefaultLimits), Feed.Split(bytes, Enumerable.Repeat(1024, bytes.Length / 1024 + 1)));

        Assert.Equal(body, events[1].Element!.Child("body")!.Text);
    }

    [Fact]
    public void Keepalives_arriving_alone_are_consumed_each_time()
    {
        var parser = new XmppStreamParser(Feed.DefaultLimits);
        var events = Feed.Chunks(parser, [Encoding.UTF8.GetBytes(Feed.Header), .. Enumerable.Repeat(" "u8.ToArray(), 1000), "<presence/>"u8.ToArray()]);

        Assert.Equal(2, events.Count);
    }
}
