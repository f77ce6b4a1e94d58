using System.Buffers;
using System.Text;

namespace ZkFire.Xmpp.Xml.Tests;

public sealed class MismatchedEndTagTests
{
    private const string Header = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>";

    [Theory]
    [InlineData("<message><body></message>")]
    [InlineData("<message><body>hi</bod></message>")]
    [InlineData("<message><x:a xmlns:x='urn:x'></x:b></message>")]
    public void A_mismatched_end_tag_fails_before_the_stanza_could_complete(string stanza)
    {
        // Fed byte by byte, so the check must hold across segment boundaries too.
        var parser = new XmppStreamParser(new XmlLimits());
        var ex = Assert.Throws<XmlStreamException>(() =>
        {
            foreach (var b in Encoding.UTF8.GetBytes(Header + stanza))
            {
                var buffer = new ReadOnlySequence<byte>([b]);
                while (parser.TryRead(ref buffer, out _))
                {
                }
            }
        });
        Assert.Equal("not-well-formed", ex.Condition);
    }

    [Theory]
    [InlineData("<message><body>hi</body ></message>")]
    [InlineData("<message><br/><x:a xmlns:x='urn:x'></x:a></message>")]
    public void Matching_end_tags_still_parse(string stanza)
    {
        var parser = new XmppStreamParser(new XmlLimits());
        var buffer = new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(Header + stanza));
        Assert.True(parser.TryRead(ref buffer, out _));
        Assert.True(parser.TryRead(ref buffer, out var evt));
        Assert.Equal("message", evt.Element!.Name);
    }
}
