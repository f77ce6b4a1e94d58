using System.Text;

namespace ZkFire.Xmpp.Xml.Tests;

public class RestrictedXmlTests
{
    private const string BillionLaughs =
        "<?xml version='1.0'?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n" +
        " <!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n" +
        " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n]>\n" +
        "<stream:stream xmlns:stream='http://etherx.jabber.org/streams'><message><body>&lol3;</body></message>";

    [Fact]
    public void Billion_laughs_is_refused_at_the_doctype()
    {
        XmlAssert.Fails("restricted-xml", BillionLaughs);
    }

    [Fact]
    public void Doctype_is_refused_as_soon_as_its_first_bytes_arrive()
    {
        var parser = new XmppStreamParser(Feed.DefaultLimits);
        var buffer = Feed.Sequence("<?xml version='1.0'?>\n<!D");

        XmlAssert.Fails("restricted-xml", () => parser.TryRead(ref buffer, out _));
    }

    [Theory]
    [InlineData("<!DOCTYPE stream>")]
    [InlineData("<!ENTITY x 'y'>")]
    [InlineData("<!-- hello -->")]
    [InlineData("<?xml-stylesheet href='a'?>")]
    [InlineData("<?php echo 1; ?>")]
    public void Markup_declarations_comments_and_pis_before_the_header_are_restricted(string prolog)
    {
        XmlAssert.Fails("restricted-xml", prolog + "<stream:stream xmlns:stream='http://etherx.jabber.org/streams'>");
    }

    [Theory]
    [InlineData("<!-- keepalive -->")]
    [InlineData("<?foo bar?>")]
    [InlineData("<!DOCTYPE x>")]
    [InlineData("<![CDATA[x]]>")]
    public void Restricted_constructs_between_stanzas(string xml) => XmlAssert.StanzaFails("restricted-xml", xml);

    [Theory]
    [InlineData("<message><!-- c --></message>")]
    [InlineData("<message><body>x<!--c--></body></message>")]
    [InlineData("<message><?pi x?></message>")]
    [InlineData("<message><!DOCTYPE x></message>")]
    [InlineData("<message><!ENTITY x 'y'></message>")]
    [InlineData("<message><body>&nbsp;</body></message>")]
    [InlineData("<message a='&lol;'/>")]
    [InlineData("<message><body>&lol3;</body></message>")]
    public void Restricted_constructs_inside_stanzas(string stanza) => XmlAssert.StanzaFails("restricted-xml", stanza);

    [Fact]
    public void Comment_inside_a_stanza_is_refused_before_the_stanza_completes()
    {
        var parser = new XmppStreamParser(Feed.DefaultLimits);
        Feed.Chunks(parser, [Encoding.UTF8.GetBytes(Feed.Header)]);

        XmlAssert.Fails("restricted-xml", () => Feed.Chunks(parser, [Encoding.UTF8.GetBytes("<message><body>"), Encoding.UTF8.GetBytes("<!-")]));
    }
}
