using System.Buffers;
using System.Text;

namespace ZkFire.Xmpp.Xml.Tests;

public class ElementTests
{
    [Fact]
    public void Attributes_are_set_replaced_and_removed()
    {
        var e = new Element("message", "jabber:client").SetAttribute("to", "a").SetAttribute("type", "chat");
        e.SetAttribute("to", "b");

        Assert.Equal([new("to", "b"), new XmlAttribute("type", "chat")], e.Attributes);
        e.SetAttribute("to", null).SetAttribute("missing", null);
        Assert.Equal([new XmlAttribute("type", "chat")], e.Attributes);
        Assert.Null(e.GetAttribute("to"));
        Assert.Equal("chat", e.GetAttribute("type"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("1a")]
    [InlineData("a b")]
    [InlineData("xmlns")]
    [InlineData("a:b:c")]
    public void Invalid_attribute_names_are_refused(string name) =>
        Assert.Throws<ArgumentException>(() => new Element("x").SetAttribute(name, "v"));

    [Theory]
    [InlineData("")]
    [InlineData("p:x")]
    [InlineData("1x")]
    [InlineData("a>")]
    public void Invalid_element_names_are_refused(string name) => Assert.Throws<ArgumentException>(() => new Element(name));

    [Fact]
    public void Child_with_null_namespace_matches_any_namespace()
    {
        var e = new Element("iq", "jabber:client")
            .Add(new Element("query", "jabber:iq:roster"))
            .Add(new Element("query", "jabber:iq:version"));

        Assert.Equal("jabber:iq:roster", e.Child("query")!.Namespace);
        Assert.Equal("jabber:iq:version", e.Child("query", "jabber:iq:version")!.Namespace);
        Assert.Null(e.Child("query", "urn:other"));
        Assert.Null(e.Child("other"));
        Assert.Equal(2, e.Elements("query").Count());
        Assert.Single(e.Elements("query", "jabber:iq:roster"));
    }

    [Fact]
    public void Text_concatenates_direct_text_children_only()
    {
        var e = new Element("body").AddText("a").Add(new Element("b").AddText("x")).AddText("c");

        Assert.Equal("ac", e.Text);
        Assert.Equal(string.Empty, new Element("empty").Text);
        Assert.Equal("only", new Element("x").AddText("only").Text);
    }

    [Fact]
    public void Remove_and_RemoveAll()
    {
        var child = new Element("a");
        var e = new Element("x").Add(child).AddText("t").SetAttribute("k", "v");

        Assert.True(e.Remove(child));
        Assert.False(e.Remove(child));
        Assert.Single(e.Children);
        e.RemoveAll();
        Assert.Empty(e.Children);
        Assert.Empty(e.Attributes);
        Assert.False(new Element("y").Remove(child));
    }

    [Fact]
    public void Clone_is_deep()
    {
        var original = Feed.Stanza("<message to='a'><body>hi</body><x xmlns='urn:x'><y/></x></message>");
        var copy = original.Clone();

        XmlAssert.Equal(original, copy);
        copy.SetAttribute("to", "b");
        copy.Child("x")!.Add(new Element("z"));
        copy.Namespace = "jabber:server";
        Assert.Equal("a", original.GetAttribute("to"));
        Assert.Single(original.Child("x")!.Children);
        Assert.Equal("jabber:client", original.Namespace);
        Assert.NotSame(original.Child("body"), copy.Child("body"));
    }

    [Fact]
    public void Empty_elements_are_written_self_closing()
    {
        Assert.Equal("<presence/>", new Element("presence").ToXml());
        Assert.Equal("<x><y/></x>", new Element("x").Add(new Element("y")).ToXml());
    }

    [Fact]
    public void Namespace_is_declared_only_where_it_differs_from_the_inherited_one()
    {
        var message = new Element("message", "jabber:client")
            .Add(new Element("body", "jabber:client").AddText("x"))
            .Add(new Element("thread").AddText("t"))
            .Add(new Element("active", "http://jabber.org/protocol/chatstates").Add(new Element("y", "http://jabber.org/protocol/chatstates")));

        Assert.Equal(
            "<message><body>x</body><thread>t</thread><active xmlns='http://jabber.org/protocol/chatstates'><y/></active></message>",
            message.ToXml("jabber:client"));
        Assert.StartsWith("<message xmlns='jabber:client'><body>", message.ToXml(), StringComparison.Ordinal);
    }

    [Fact]
    public void No_namespace_under_a_namespaced_parent_is_written_as_empty_declaration()
    {
        var e = new Element("a", "urn:a").Add(new Element("b", string.Empty));

        Assert.Equal("<a xmlns='urn:a'><b xmlns=''/></a>", e.ToXml());
        Assert.Equal("<b/>", new Element("b", string.Empty).ToXml());
    }

    [Fact]
    public void Text_is_escaped()
    {
        var e = new Element("body").AddText("a < b && c > d ]]> 'q' \"q\" \r\n\t");

        Assert.Equal("<body>a &lt; b &amp;&amp; c &gt; d ]]&gt; 'q' \"q\" &#13;\n\t</body>", e.ToXml());
    }

    [Fact]
    public void Attribute_values_are_escaped()
    {
        var e = new Element("x").SetAttribute("a", "<&>'\"\t\n\r");

        Assert.Equal("<x a='&lt;&amp;>&apos;\"&#9;&#10;&#13;'/>", e.ToXml());
    }

    [Fact]
    public void Non_ascii_is_written_as_utf8()
    {
        var e = new Element("body").SetAttribute("a", "é\U0001F600").AddText("中文");

        Assert.Equal("<body a='é\U0001F600'>中文</body>", e.ToXml());
    }

    [Fact]
    public void Xml_lang_and_prefixed_attributes_round_trip()
    {
        var parsed = Feed.Stanza("<message xml:lang='fr' xmlns:m='urn:meta'><x m:k='v'/></message>");

        Assert.Equal("<message xml:lang='fr'><x m:k='v' xmlns:m='urn:meta'/></message>", parsed.ToXml("jabber:client"));
    }

    // Code units rather than strings: xunit would replace lone surrogates in serialised theory data.
    [Theory]
    [InlineData(0x0)]
    [InlineData(0x1)]
    [InlineData(0xFFFE)]
    [InlineData(0xD800)]
    [InlineData(0xDC00)]
    public void Characters_xml_cannot_carry_are_refused_on_write(int codeUnit)
    {
        string bad = $"a{(char)codeUnit}b";
        Assert.Throws<InvalidOperationException>(() => new Element("x").AddText(bad).ToXml());
        Assert.Throws<InvalidOperationException>(() => new Element("x").SetAttribute("a", bad).ToXml());
    }

    [Fact]
    public void WriteTo_appends_to_the_writer()
    {
        var writer = new ArrayBufferWriter<byte>();
        writer.Write("<stream>"u8);
        new Element("presence", "jabber:client").WriteTo(writer, "jabber:client");

        Assert.Equal("<stream><presence/>", Encoding.UTF8.GetString(writer.WrittenSpan));
    }

    [Fact]
    public void Long_text_is_written_in_chunks()
    {
        var text = string.Concat(Enumerable.Repeat("ab中\U0001F600&", 5000));
        var xml = new Element("body").AddText(text).ToXml();

        Assert.Equal(text, Feed.Stanza(xml).Text);
    }

    [Fact]
    public void ToString_is_the_xml()
    {
        Assert.Equal("<x a='1'/>", new Element("x").SetAttribute("a", "1").ToString());
    }
}
