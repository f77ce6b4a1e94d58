using System.Buffers;
using System.Text;

namespace ZkFire.Xmpp.Xml.Tests;

public class StreamTests
{
    private const string Streams = "http://etherx.jabber.org/streams";

    [Fact]
    public void Header_produces_StreamOpen_with_its_attributes_and_content_namespace()
    {
        var parser = new XmppStreamParser(Feed.DefaultLimits);
        var events = Feed.Chunks(parser, [Encoding.UTF8.GetBytes(Feed.Header)]);

        var evt = Assert.Single(events);
        Assert.Equal(XmppStreamEventKind.StreamOpen, evt.Kind);
        var header = evt.Element!;
        Assert.Equal("stream", header.Name);
        Assert.Equal(Streams, header.Namespace);
        Assert.Equal("example.com", header.GetAttribute("to"));
        Assert.Equal("1.0", header.GetAttribute("version"));
        Assert.Equal("en", header.GetAttribute("xml:lang"));
        Assert.Null(header.GetAttribute("xmlns"));
        Assert.Null(header.GetAttribute("xmlns:stream"));
        Assert.Equal("jabber:client", parser.ContentNamespace);
    }

    [Fact]
    public void Full_stream_yields_open_stanzas_and_close()
    {
        var events = Feed.All(Feed.Header + "<presence/><message to='a@b'><body>hi</body></message></stream:stream>");

        Assert.Equal(
            [XmppStreamEventKind.StreamOpen, XmppStreamEventKind.Element, XmppStreamEventKind.Element, XmppStreamEventKind.StreamClose],
            events.Select(e => e.Kind));
        Assert.Null(events[3].Element);
        Assert.Equal("presence", events[1].Element!.Name);
        Assert.Equal("hi", events[2].Element!.Child("body")!.Text);
    }

    [Fact]
    public void Declaration_is_optional_and_may_carry_encoding_and_standalone()
    {
        const string Rest = "<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams'>";
        Assert.Single(Feed.All(Rest));
        Assert.Single(Feed.All("<?xml version=\"1.0\" encoding=\"utf-8\" standalone='yes' ?>" + Rest));
        Assert.Single(Feed.All("\n<?xml version='1.0'?>\n" + Rest));
    }

    [Fact]
    public void Other_encodings_are_unsupported()
    {
        XmlAssert.Fails("unsupported-encoding", "<?xml version='1.0' encoding='ISO-8859-1'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams'>");
    }

    [Theory]
    [InlineData("<?xml?><stream:stream xmlns:stream='http://etherx.jabber.org/streams'>")]
    [InlineData("<?xml version='2.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams'>")]
    [InlineData("<?xml version='1.0' bogus='1'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams'>")]
    [InlineData("<?xml encoding='UTF-8' version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams'>")]
    public void Malformed_declarations_are_not_well_formed(string xml) => XmlAssert.Fails("not-well-formed", xml);

    [Fact]
    public void Declaration_after_the_header_or_twice_is_restricted()
    {
        XmlAssert.Fails("restricted-xml", Feed.Header + "<?xml version='1.0'?>");
        XmlAssert.Fails("restricted-xml", "<?xml version='1.0'?><?xml version='1.0'?>");
    }

    [Fact]
    public void Header_with_other_prefix_is_closed_by_the_same_name()
    {
        var events = Feed.All("<s:stream xmlns:s='http://etherx.jabber.org/streams' xmlns='jabber:client'><s:features/></s:stream>");

        Assert.Equal(3, events.Count);
        Assert.Equal(Streams, events[1].Element!.Namespace);
        Assert.Equal(XmppStreamEventKind.StreamClose, events[2].Kind);
    }

    [Fact]
    public void Mismatched_stream_close_is_not_well_formed()
    {
        XmlAssert.Fails("not-well-formed", Feed.Header + "</stream:foo>");
        XmlAssert.Fails("not-well-formed", Feed.Header + "</stream>");
    }

    [Fact]
    public void Empty_header_opens_and_closes_the_stream()
    {
        var events = Feed.All("<stream:stream xmlns:stream='http://etherx.jabber.org/streams'/>");

        Assert.Equal([XmppStreamEventKind.StreamOpen, XmppStreamEventKind.StreamClose], events.Select(e => e.Kind));
    }

    [Fact]
    public void Wrong_stream_namespace_is_invalid_namespace()
    {
        XmlAssert.Fails("invalid-namespace", "<stream:stream xmlns:stream='http://example.com/streams' xmlns='jabber:client'>");
        XmlAssert.Fails("invalid-namespace", "<stream xmlns='jabber:client'>");
    }

    [Fact]
    public void First_element_other_than_stream_is_refused()
    {
        XmlAssert.Fails("invalid-namespace", "<message xmlns='jabber:client'><body/></message>");
        XmlAssert.Fails("not-well-formed", "<stream:features xmlns:stream='http://etherx.jabber.org/streams'>");
    }

    [Fact]
    public void Header_with_undeclared_prefix_is_not_well_formed()
    {
        XmlAssert.Fails("not-well-formed", "<stream:stream xmlns='jabber:client'>");
    }

    [Theory]
    [InlineData("hello<stream:stream xmlns:stream='http://etherx.jabber.org/streams'>")]
    [InlineData("\uFEFF<stream:stream xmlns:stream='http://etherx.jabber.org/streams'>")]
    [InlineData("</stream:stream>")]
    public void Data_before_the_header_is_not_well_formed(string xml) => XmlAssert.Fails("not-well-formed", xml);

    [Fact]
    public void Text_between_stanzas_is_bad_format()
    {
        XmlAssert.Fails("bad-format", Feed.Header + "<presence/>hello");
        XmlAssert.Fails("bad-format", Feed.Header + "&amp;");
    }

    [Fact]
    public void Data_after_close_is_not_well_formed_but_whitespace_is_ignored()
    {
        Assert.Equal(2, Feed.All(Feed.Header + "</stream:stream>\n \n").Count);
        XmlAssert.Fails("not-well-formed", Feed.Header + "</stream:stream><presence/>");
    }

    [Fact]
    public void Reset_expects_a_new_header_and_allows_a_new_declaration()
    {
        var parser = new XmppStreamParser(Feed.DefaultLimits);
        var first = Feed.Chunks(parser, [Encoding.UTF8.GetBytes(Feed.Header + "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")]);
        Assert.Equal(2, first.Count);

        parser.Reset();
        Assert.Null(parser.ContentNamespace);
        var second = Feed.Chunks(parser, [Encoding.UTF8.GetBytes(
            "<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams'><db:result xmlns:db='jabber:server:dialback'/>")]);

        Assert.Equal(XmppStreamEventKind.StreamOpen, second[0].Kind);
        Assert.Equal("jabber:server", parser.ContentNamespace);
        Assert.Equal("jabber:server:dialback", second[1].Element!.Namespace);
    }

    [Fact]
    public void Reset_forgets_a_partially_received_element()
    {
        var parser = new XmppStreamParser(Feed.DefaultLimits);
        Feed.Chunks(parser, [Encoding.UTF8.GetBytes(Feed.Header + "<message><bo")]);

        parser.Reset();
        var events = Feed.Chunks(parser, [Encoding.UTF8.GetBytes(Feed.Header + "<presence/>")]);

        Assert.Equal("presence", events[1].Element!.Name);
    }

    [Fact]
    public void Header_prefixes_are_inherited_by_stanzas_and_forgotten_by_reset()
    {
        const string Header = "<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback'>";
        var parser = new XmppStreamParser(Feed.DefaultLimits);
        var events = Feed.Chunks(parser, [Encoding.UTF8.GetBytes(Header + "<db:verify id='1'/>")]);
        Assert.Equal("jabber:server:dialback", events[1].Element!.Namespace);

        parser.Reset();
        XmlAssert.Fails("not-well-formed", () => Feed.Chunks(parser, [Encoding.UTF8.GetBytes(Feed.Header + "<db:verify id='1'/>")]));
    }

    [Fact]
    public void Stream_features_and_errors_resolve_to_the_streams_namespace()
    {
        var features = Feed.Stanza("<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>");
        Assert.Equal(("features", Streams), (features.Name, features.Namespace));
        Assert.Equal("urn:ietf:params:xml:ns:xmpp-tls", features.Child("starttls")!.Child("required")!.Namespace);

        var error = Feed.Stanza("<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>");
        Assert.Equal(Streams, error.Namespace);
    }

    [Fact]
    public void Without_a_default_namespace_on_the_header_stanzas_have_no_namespace()
    {
        var parser = new XmppStreamParser(Feed.DefaultLimits);
        var events = Feed.Chunks(parser, [Encoding.UTF8.GetBytes("<stream:stream xmlns:stream='http://etherx.jabber.org/streams'><presence/>")]);

        Assert.Null(parser.ContentNamespace);
        Assert.Equal(string.Empty, events[1].Element!.Namespace);
    }

    [Fact]
    public void Empty_buffer_returns_false_without_touching_it()
    {
        var parser = new XmppStreamParser(Feed.DefaultLimits);
        var buffer = ReadOnlySequence<byte>.Empty;

        Assert.False(parser.TryRead(ref buffer, out var evt));
        Assert.Equal(default, evt);
    }

    [Fact]
    public void Giving_back_fewer_bytes_than_already_scanned_is_a_caller_error()
    {
        var parser = new XmppStreamParser(Feed.DefaultLimits);
        var buffer = Feed.Sequence(Feed.Header + "<message><body>partial");
        Assert.True(parser.TryRead(ref buffer, out _));
        Assert.False(parser.TryRead(ref buffer, out _));

        var shorter = Feed.Sequence("<mess");
        Assert.Throws<InvalidOperationException>(() => parser.TryRead(ref shorter, out _));
    }
}
