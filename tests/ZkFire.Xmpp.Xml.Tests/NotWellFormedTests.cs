namespace ZkFire.Xmpp.Xml.Tests;

public class NotWellFormedTests
{
    [Theory]
    [InlineData("<message></body>")]
    [InlineData("<message><body></bod></message>")]
    [InlineData("<message><body></BODY></message>")]
    [InlineData("<a:message xmlns:a='urn:a' xmlns:b='urn:a'></b:message>")]
    public void Mismatched_end_tags(string stanza) => XmlAssert.StanzaFails("not-well-formed", stanza);

    [Theory]
    [InlineData("<1message/>")]
    [InlineData("<-message/>")]
    [InlineData("<.message/>")]
    [InlineData("<a:b:c xmlns:a='urn:a'/>")]
    [InlineData("<:a/>")]
    [InlineData("<a: xmlns:a='urn:a'/>")]
    [InlineData("<message 1a='x'/>")]
    [InlineData("<message a:='x'/>")]
    [InlineData("<message ×='x'/>")]
    [InlineData("< message/>")]
    [InlineData("<message><></message>")]
    public void Bad_names(string stanza) => XmlAssert.StanzaFails("not-well-formed", stanza);

    [Theory]
    [InlineData("<message to=juliet/>")]
    [InlineData("<message to/>")]
    [InlineData("<message to='x/><presence/>")]
    [InlineData("<message to='x\"/><presence/>")]
    public void Unquoted_or_unterminated_attributes(string stanza) => XmlAssert.StanzaFails("not-well-formed", stanza);

    [Theory]
    [InlineData("<message to='a' to='b'/>")]
    [InlineData("<message xmlns:a='urn:x' xmlns:b='urn:x' a:t='1' b:t='2'/>")]
    [InlineData("<message xmlns:a='urn:x' xmlns:a='urn:y'/>")]
    [InlineData("<message xmlns='urn:x' xmlns='urn:y'/>")]
    public void Duplicate_attributes(string stanza) => XmlAssert.StanzaFails("not-well-formed", stanza);

    [Fact]
    public void Same_local_name_in_different_namespaces_is_fine()
    {
        var e = Feed.Stanza("<message xmlns:a='urn:x' xmlns:b='urn:y' a:t='1' b:t='2' t='3'/>");

        Assert.Equal("2", e.GetAttribute("b:t"));
    }

    [Theory]
    [InlineData(new byte[] { 0xC3, 0x28 })]
    [InlineData(new byte[] { 0x80 })]
    [InlineData(new byte[] { 0xC0, 0xAF })]
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })]
    [InlineData(new byte[] { 0xF4, 0x90, 0x80, 0x80 })]
    [InlineData(new byte[] { 0xE4, 0xB8 })]
    [InlineData(new byte[] { 0xFF })]
    public void Invalid_utf8_in_text_attribute_values_and_names(byte[] bad)
    {
        foreach (var (before, after) in new[] { ("<message><body>", "</body></message>"), ("<message a='", "'/>"), ("<message><x", "/></message>") })
        {
            byte[] stanza = [.. System.Text.Encoding.UTF8.GetBytes(Feed.Header + before), .. bad, .. System.Text.Encoding.UTF8.GetBytes(after)];
            XmlAssert.Fails("not-well-formed", () => Feed.Bytes(stanza));
        }
    }

    [Theory]
    [InlineData("\0")]
    [InlineData("\u0001")]
    [InlineData("\u0008")]
    [InlineData("\u000B")]
    [InlineData("\u001F")]
    [InlineData("\uFFFE")]
    [InlineData("\uFFFF")]
    public void Illegal_characters_in_text_and_attributes(string c)
    {
        XmlAssert.StanzaFails("not-well-formed", $"<message><body>a{c}b</body></message>");
        XmlAssert.StanzaFails("not-well-formed", $"<message a='a{c}b'/>");
        XmlAssert.StanzaFails("not-well-formed", $"<message><body><![CDATA[a{c}b]]></body></message>");
    }

    [Theory]
    [InlineData("&#0;")]
    [InlineData("&#x1;")]
    [InlineData("&#8;")]
    [InlineData("&#xD800;")]
    [InlineData("&#xFFFE;")]
    [InlineData("&#x110000;")]
    [InlineData("&#99999999999999999999;")]
    [InlineData("&#;")]
    [InlineData("&#x;")]
    [InlineData("&#xZZ;")]
    [InlineData("&#X41;")]
    [InlineData("&#12a;")]
    [InlineData("&amp")]
    [InlineData("& amp;")]
    [InlineData("&;")]
    [InlineData("&1x;")]
    public void Bad_references(string reference)
    {
        XmlAssert.StanzaFails("not-well-formed", $"<message><body>{reference}</body></message>");
        XmlAssert.StanzaFails("not-well-formed", $"<message a='{reference}'/>");
    }

    [Theory]
    [InlineData("<message><p:x/></message>")]
    [InlineData("<message p:a='1'/>")]
    [InlineData("<message><x xmlns:p='urn:p'/><p:y/></message>")]
    [InlineData("<xmlns:message/>")]
    public void Undeclared_prefixes(string stanza) => XmlAssert.StanzaFails("not-well-formed", stanza);

    [Theory]
    [InlineData("<message xmlns:p=''/>")]
    [InlineData("<message xmlns:xmlns='urn:x'/>")]
    [InlineData("<message xmlns:xml='urn:x'/>")]
    [InlineData("<message xmlns:p='http://www.w3.org/XML/1998/namespace'/>")]
    [InlineData("<message xmlns='http://www.w3.org/2000/xmlns/'/>")]
    public void Bad_namespace_declarations(string stanza) => XmlAssert.StanzaFails("not-well-formed", stanza);

    [Fact]
    public void Declaring_xml_with_its_own_namespace_is_allowed()
    {
        var e = Feed.Stanza("<message xmlns:xml='http://www.w3.org/XML/1998/namespace' xml:lang='fr'/>");

        Assert.Equal("fr", e.GetAttribute("xml:lang"));
    }

    [Theory]
    [InlineData("<message a='<'/>")]
    [InlineData("<message a='x<y'/>")]
    public void Less_than_in_attribute_values(string stanza) => XmlAssert.StanzaFails("not-well-formed", stanza);

    [Theory]
    [InlineData("<message a='1'b='2'/>")]
    [InlineData("<message a='1'/ ></message>")]
    [InlineData("<message a = = '1'/>")]
    [InlineData("<message><body>]]></body></message>")]
    [InlineData("<message><body>a]]>b</body></message>")]
    [InlineData("<message><![CDATX[x]]></message>")]
    public void Other_grammar_errors(string stanza) => XmlAssert.StanzaFails("not-well-formed", stanza);

    [Fact]
    public void Single_brackets_and_greater_than_in_text_are_fine()
    {
        Assert.Equal("a]>b ]] > ]x>", Feed.Stanza("<message><body>a]>b ]] > ]x></body></message>").Child("body")!.Text);
    }
}
