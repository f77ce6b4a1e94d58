using System.Text;

namespace ZkFire.Xmpp.Xml.Tests;

public class LimitTests
{
    [Fact]
    public void Oversized_stanza_is_refused_before_it_completes()
    {
        var limits = new XmlLimits { MaxStanzaBytes = 1000 };
        var parser = new XmppStreamParser(limits);
        Feed.Chunks(parser, [Encoding.UTF8.GetBytes(Feed.Header)]);

        // Never closed: the error must come from the size of what is buffered.
        var chunks = Enumerable.Range(0, 20).Select(_ => Encoding.UTF8.GetBytes(new string('x', 100))).Prepend(Encoding.UTF8.GetBytes("<message><body>"));
        XmlAssert.Fails("policy-violation", () => Feed.Chunks(parser, chunks));
    }

    [Fact]
    public void Stanza_of_exactly_the_limit_is_accepted_and_one_more_byte_is_not()
    {
        string stanza = $"<message><body>{new string('x', 200)}</body></message>";
        int size = Encoding.UTF8.GetByteCount(stanza);

        Assert.Equal(200, Feed.Stanza(stanza, new XmlLimits { MaxStanzaBytes = size }).Child("body")!.Text.Length);
        XmlAssert.StanzaFails("policy-violation", stanza, new XmlLimits { MaxStanzaBytes = size - 1 });
    }

    [Fact]
    public void Partial_stanza_within_the_limit_just_waits()
    {
        var parser = new XmppStreamParser(new XmlLimits { MaxStanzaBytes = 1000 });
        var events = Feed.Chunks(parser, [Encoding.UTF8.GetBytes(Feed.Header + "<message><body>" + new string('x', 900))]);

        Assert.Single(events);
    }

    [Fact]
    public void Keepalives_do_not_count_toward_the_size_limit()
    {
        var limits = new XmlLimits { MaxStanzaBytes = 200 };
        var events = Feed.All(Feed.Header + new string(' ', 10_000) + "<presence/>" + new string('\n', 10_000) + "<presence/>", limits);

        Assert.Equal(3, events.Count);
    }

    [Fact]
    public void Header_is_subject_to_the_size_limit()
    {
        XmlAssert.Fails("policy-violation", "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' to='" + new string('a', 2000), new XmlLimits { MaxStanzaBytes = 1000 });
    }

    [Fact]
    public void Depth_up_to_the_limit_is_accepted_and_deeper_is_refused_early()
    {
        var limits = new XmlLimits { MaxDepth = 4 };
        Assert.Equal("d", Feed.Stanza("<a><b><c><d/></c></b></a>", limits).Child("b")!.Child("c")!.Child("d")!.Name);

        // Not complete: the error must come from the nesting alone.
        XmlAssert.StanzaFails("policy-violation", "<a><b><c><d><e>", limits);
    }

    [Fact]
    public void Attribute_count_up_to_the_limit_is_accepted_and_more_is_refused()
    {
        var limits = new XmlLimits { MaxAttributes = 3 };
        Assert.Equal(3, Feed.Stanza("<message a='1' b='2' c='3'/>", limits).Attributes.Count);
        XmlAssert.StanzaFails("policy-violation", "<message a='1' b='2' c='3' d='4'/>", limits);
        XmlAssert.StanzaFails("policy-violation", "<message xmlns:p='urn:p' a='1' b='2' c='3'/>", limits);
    }

    [Fact]
    public void Name_length_up_to_the_limit_is_accepted_and_longer_is_refused()
    {
        var limits = new XmlLimits { MaxNameBytes = 13 };
        Assert.Equal("abcdefghijklm", Feed.Stanza("<message><abcdefghijklm abcdefghijklm='1'/></message>", limits).Elements().Single().Name);
        XmlAssert.StanzaFails("policy-violation", "<message><abcdefghijklmn/></message>", limits);
        XmlAssert.StanzaFails("policy-violation", "<message abcdefghijklmn='1'/>", limits);
        XmlAssert.StanzaFails("policy-violation", "<message><é123456789012/></message>", limits);
    }
}
