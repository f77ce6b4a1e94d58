using System.Collections.Concurrent;
using System.Text;
using ZkFire.Xmpp.Addressing;
using ZkFire.Xmpp.Routing;
using ZkFire.Xmpp.Sessions;
using ZkFire.Xmpp.Xml;

namespace ZkFire.Xmpp.Tests.Routing;

/// <summary>A bound client without a connection: what it sends goes to a router, what it receives is kept.</summary>
internal sealed class TestClient : IStanzaSink
{
    private readonly StanzaRouter router;
    private readonly ConcurrentQueue<Element> received = new();

    public TestClient(StanzaRouter router, Jid jid)
    {
        this.router = router;
        Session = new ClientSession(jid, this);
    }

    public ClientSession Session { get; }

    public Jid Jid => Session.Jid;

    public string? ClosedWith { get; private set; }

    /// <summary>Parses one stanza written as text, in the jabber:client namespace of a client stream.</summary>
    public static Element Parse(string xml) => XmlFragment.Parse(Encoding.UTF8.GetBytes(xml), Namespaces.Client, new XmlLimits());

    /// <summary>What the client stack would do with a stanza it sends: stamp from, parse to, hand to the router.</summary>
    public async Task SendAsync(string xml)
    {
        var stanza = Parse(xml);
        stanza.SetAttribute("from", Jid.ToString());
        var to = stanza.GetAttribute("to") is { } text ? Jid.Parse(text) : null;
        await router.ProcessFromClientAsync(Session, stanza, to, CancellationToken.None);
    }

    /// <summary>Everything received so far, in order, forgotten once taken.</summary>
    public List<Element> Take()
    {
        var all = new List<Element>();
        while (received.TryDequeue(out var stanza))
        {
            all.Add(stanza);
        }

        return all;
    }

    public void Send(Element stanza) => received.Enqueue(stanza);

    public void SendSerialized(string xml) => received.Enqueue(Parse(xml));

    public void Close(string condition, string? text) => ClosedWith = condition;
}
