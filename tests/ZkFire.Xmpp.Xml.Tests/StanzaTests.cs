using System.Text;

namespace ZkFire.Xmpp.Xml.Tests;

public class StanzaTests
{
    [Fact]
    public void Message_becomes_a_tree_in_the_content_namespace()
    {
        var message = Feed.Stanza(
            "<message to='juliet@example.com' from='romeo@example.net/orchard' type='chat' id='m1' xml:lang='en'>" +
            "<body>Wherefore art thou?</body><active xmlns='http://jabber.org/protocol/chatstates'/></message>");

        Assert.Equal("message", message.Name);
        Assert.Equal("jabber:client", message.Namespace);
        Assert.Equal(
            [new("to", "juliet@example.com"), new("from", "romeo@example.net/orchard"), new("type", "chat"), new("id", "m1"), new XmlAttribute("xml:lang", "en")],
            message.Attributes);
        var body = message.Child("body", "jabber:client")!;
        Assert.Equal("Wherefore art thou?", body.Text);
        Assert.Equal("http://jabber.org/protocol/chatstates", message.Child("active")!.Namespace);
        Assert.Null(message.Child("active", "jabber:client"));
    }

    [Fact]
    public void Nested_default_namespaces_are_inherited_and_restored()
    {
        var iq = Feed.Stanza(
            "<iq type='result' id='r1'><query xmlns='jabber:iq:roster'><item jid='a@b'><group>Friends</group></item></query><x/></iq>");

        var query = iq.Child("query")!;
        Assert.Equal("jabber:iq:roster", query.Namespace);
        Assert.Equal("jabber:iq:roster", query.Child("item")!.Namespace);
        Assert.Equal("jabber:iq:roster", query.Child("item")!.Child("group")!.Namespace);
        Assert.Equal("jabber:client", iq.Child("x")!.Namespace);
    }

    [Fact]
    public void Prefixed_elements_resolve_and_leave_the_default_alone()
    {
        var message = Feed.Stanza("<message><e:encrypted xmlns:e='urn:x:enc'><e:key>k</e:key><payload/></e:encrypted></message>");

        var encrypted = message.Child("encrypted")!;
        Assert.Equal("urn:x:enc", encrypted.Namespace);
        Assert.Equal("urn:x:enc", encrypted.Child("key")!.Namespace);
        Assert.Equal("jabber:client", encrypted.Child("payload")!.Namespace);
        Assert.Empty(encrypted.Attributes);
    }

    [Fact]
    public void Prefix_declared_after_use_on_the_same_tag_is_in_scope()
    {
        var e = Feed.Stanza("<p:x a='1' xmlns:p='urn:p'/>");

        Assert.Equal("urn:p", e.Namespace);
        Assert.Equal([new XmlAttribute("a", "1")], e.Attributes);
    }

    [Fact]
    public void Inner_prefix_binding_shadows_outer_and_ends_with_its_element()
    {
        var e = Feed.Stanza("<message xmlns:p='urn:one'><p:a xmlns:p='urn:two'><p:b/></p:a><p:c/></message>");

        Assert.Equal("urn:two", e.Child("a")!.Namespace);
        Assert.Equal("urn:two", e.Child("a")!.Child("b")!.Namespace);
        Assert.Equal("urn:one", e.Child("c")!.Namespace);
    }

    [Fact]
    public void Empty_default_namespace_means_no_namespace()
    {
        var e = Feed.Stanza("<message><x xmlns=''><y/></x></message>");

        Assert.Equal(string.Empty, e.Child("x")!.Namespace);
        Assert.Equal(string.Empty, e.Child("x")!.Child("y")!.Namespace);
    }

    [Fact]
    public void Prefixed_attributes_keep_their_prefix_and_carry_the_declaration()
    {
        var e = Feed.Stanza("<message xmlns:m='urn:meta'><x m:priority='high' a='b'/></message>");

        var x = e.Child("x")!;
        Assert.Equal([new("m:priority", "high"), new("a", "b"), new XmlAttribute("xmlns:m", "urn:meta")], x.Attributes);
        Assert.Empty(e.Attributes);
    }

    [Fact]
    public void Entities_and_character_references_are_unescaped()
    {
        var e = Feed.Stanza("<message a='&lt;&gt;&amp;&quot;&apos;&#65;&#x42;&#x1F600;'><body>&lt;b&gt; &amp; &#233;&#x4e2d; &#x1f600; &quot;&apos;</body></message>");

        Assert.Equal("<>&\"'AB\U0001F600", e.GetAttribute("a"));
        Assert.Equal("<b> & é中 \U0001F600 \"'", e.Child("body")!.Text);
    }

    [Fact]
    public void Literal_non_ascii_text_is_decoded()
    {
        var e = Feed.Stanza("<message><body>héllo wörld 中文 \U0001F600 ＡＢ</body></message>");

        Assert.Equal("héllo wörld 中文 \U0001F600 ＡＢ", e.Child("body")!.Text);
    }

    [Fact]
    public void Non_ascii_names_are_allowed()
    {
        var e = Feed.Stanza("<message><données clé='v'/></message>");

        Assert.Equal("v", e.Child("données")!.GetAttribute("clé"));
    }

    [Fact]
    public void Line_ends_in_text_are_normalised()
    {
        var e = Feed.Stanza("<message><body>a\r\nb\rc\nd&#13;e</body></message>");

        Assert.Equal("a\nb\nc\nd\re", e.Child("body")!.Text);
    }

    [Fact]
    public void Attribute_whitespace_is_normalised_but_character_references_are_kept()
    {
        var e = Feed.Stanza("<message a='x\ty\nz\r\nw' b='&#9;&#10;&#13;'/>");

        Assert.Equal("x y z w", e.GetAttribute("a"));
        Assert.Equal("\t\n\r", e.GetAttribute("b"));
    }

    [Fact]
    public void Quotes_of_the_other_kind_are_literal_in_attribute_values()
    {
        var e = Feed.Stanza("<message a=\"it's\" b='say \"hi\"' c='>'/>");

        Assert.Equal("it's", e.GetAttribute("a"));
        Assert.Equal("say \"hi\"", e.GetAttribute("b"));
        Assert.Equal(">", e.GetAttribute("c"));
    }

    [Fact]
    public void Whitespace_around_equals_and_in_end_tags_is_allowed()
    {
        var e = Feed.Stanza("<message\n  to = 'a'\tid\n=\n\"b\" ><body >x</body\n></message >");

        Assert.Equal("a", e.GetAttribute("to"));
        Assert.Equal("b", e.GetAttribute("id"));
        Assert.Equal("x", e.Child("body")!.Text);
    }

    [Fact]
    public void Cdata_is_accepted_and_merged_with_surrounding_text()
    {
        var e = Feed.Stanza("<message><body>a<![CDATA[<b>&amp;]]]]><![CDATA[>]]>c</body></message>");

        var body = e.Child("body")!;
        Assert.Equal("a<b>&amp;]]>c", body.Text);
        Assert.Single(body.Children);
    }

    [Fact]
    public void Mixed_content_keeps_text_nodes_in_order()
    {
        var e = Feed.Stanza("<message>\n  <body>x</body>\n  <thread>t</thread>\n</message>");

        Assert.Equal(5, e.Children.Count);
        Assert.Equal("\n  \n  \n", e.Text);
        Assert.Equal(["body", "thread"], e.Elements().Select(c => c.Name));
    }

    [Fact]
    public void Common_names_are_interned()
    {
        var a = Feed.Stanza("<message type='chat' to='x'><body>1</body></message>");
        var b = Feed.Stanza("<message type='chat' to='x'><body>2</body></message>");

        Assert.Same(a.Name, b.Name);
        Assert.Same(a.Namespace, b.Namespace);
        Assert.Same(a.Attributes[0].Name, b.Attributes[0].Name);
        Assert.Same(a.Attributes[0].Value, b.Attributes[0].Value);
        Assert.Same("jabber:client", a.Namespace);
    }

    [Fact]
    public void Keepalive_whitespace_between_stanzas_produces_no_events()
    {
        var events = Feed.All(Feed.Header + " \n\t\r\n<presence/>\n\n \n<presence/> ");

        Assert.Equal(3, events.Count);
    }

    [Fact]
    public void Whitespace_only_buffer_is_consumed()
    {
        var parser = new XmppStreamParser(Feed.DefaultLimits);
        var header = Feed.Sequence(Feed.Header);
        Assert.True(parser.TryRead(ref header, out _));

        var buffer = Feed.Sequence(" ", "\n", "  \t");
        Assert.False(parser.TryRead(ref buffer, out _));
        Assert.True(buffer.IsEmpty);
    }

    [Fact]
    public void Incomplete_stanza_leaves_the_buffer_at_its_start()
    {
        var parser = new XmppStreamParser(Feed.DefaultLimits);
        var buffer = Feed.Sequence(Feed.Header + "\n  <message><body>par");
        Assert.True(parser.TryRead(ref buffer, out _));

        Assert.False(parser.TryRead(ref buffer, out _));
        Assert.Equal("<message><body>par", Encoding.UTF8.GetString(buffer));
    }
}
