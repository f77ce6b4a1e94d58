using System.Text;

namespace ZkFire.Xmpp.Xml.Tests;

public class RoundTripTests
{
    private static readonly string[] Names = ["message", "body", "x", "item", "données", "a-b.c_d", "中"];
    private static readonly string[] Namespaces = ["jabber:client", "urn:x", "urn:y", "", "http://jabber.org/protocol/chatstates"];
    private static readonly string[] Pieces = ["a", " ", "<", ">", "&", "'", "\"", "]]>", "\t", "\n", "\r", "\r\n", "é", "中", "\U0001F600", "ＡＢ", "&amp;", "x"];

    [Fact]
    public void Parsed_stanzas_serialise_and_reparse_to_equal_trees()
    {
        string[] stanzas =
        [
            "<message to='a@b' type='chat' xml:lang='en'><body>a &lt; b &amp; c</body><x xmlns='urn:x' k='&apos;&quot;&#9;'><y/></x></message>",
            "<iq type='set' id='1'><query xmlns='jabber:iq:roster'><item jid='c@d' name='Cé'><group>G</group></item></query></iq>",
            "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>",
            "<message xmlns:m='urn:m'><m:a m:b='1' c='2'>t<![CDATA[<cdata>]]>\r\nu</m:a><z xmlns=''/></message>",
            "<presence>\n  <show>away</show>\n  <status>\U0001F600 &#x1F601; ]]&gt; </status>\n</presence>",
        ];

        foreach (var stanza in stanzas)
        {
            var parsed = Feed.Stanza(stanza);
            var reparsed = Feed.Stanza(parsed.ToXml("jabber:client"));
            XmlAssert.Equal(parsed, reparsed);
            Assert.Equal(parsed.ToXml("jabber:client"), reparsed.ToXml("jabber:client"));
        }
    }

    [Fact]
    public void Random_trees_survive_serialisation()
    {
        var random = new Random(6121);
        for (int i = 0; i < 500; i++)
        {
            var tree = RandomElement(random, 0, "jabber:client");
            var xml = tree.ToXml("jabber:client");
            var reparsed = Feed.Stanza(xml);
            XmlAssert.Equal(tree, reparsed, anyAttributeOrder: true);
        }
    }

    [Fact]
    public void Random_trees_survive_serialisation_when_fed_byte_by_byte()
    {
        var random = new Random(17);
        for (int i = 0; i < 30; i++)
        {
            var tree = RandomElement(random, 0, "jabber:client");
            var bytes = Encoding.UTF8.GetBytes(Feed.Header + tree.ToXml("jabber:client"));
            var events = Feed.Chunks(new XmppStreamParser(Feed.DefaultLimits), Feed.Split(bytes, Enumerable.Repeat(1, bytes.Length)));
            XmlAssert.Equal(tree, events[1].Element!, anyAttributeOrder: true);
        }
    }

    private static Element RandomElement(Random random, int depth, string parentNs)
    {
        string ns = random.Next(3) == 0 ? Namespaces[random.Next(Namespaces.Length)] : parentNs;
        var e = new Element(Names[random.Next(Names.Length)], ns);
        int attributes = random.Next(4);
        for (int i = 0; i < attributes; i++)
        {
            e.SetAttribute(random.Next(5) switch { 0 => "xml:lang", _ => "a" + random.Next(5) }, RandomText(random));
        }

        if (random.Next(4) == 0)
        {
            e.SetAttribute("p:attr", RandomText(random)).SetAttribute("xmlns:p", "urn:p");
        }

        bool lastWasText = false;
        int children = depth < 4 ? random.Next(5) : 0;
        for (int i = 0; i < children; i++)
        {
            // Adjacent text nodes would legitimately merge into one when reparsed.
            if (!lastWasText && random.Next(2) == 0)
            {
                string text = RandomText(random);
                if (text.Length > 0)
                {
                    e.AddText(text);
                    lastWasText = true;
                }
            }
            else
            {
                e.Add(RandomElement(random, depth + 1, ns));
                lastWasText = false;
            }
        }

        return e;
    }

    private static string RandomText(Random random)
    {
        var sb = new StringBuilder();
        int n = random.Next(6);
        for (int i = 0; i < n; i++)
        {
            sb.Append(Pieces[random.Next(Pieces.Length)]);
        }

        return sb.ToString();
    }
}
