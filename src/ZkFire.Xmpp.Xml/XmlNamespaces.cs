namespace ZkFire.Xmpp.Xml;

internal static class XmlNamespaces
{
    public const string Streams = "http://etherx.jabber.org/streams";
    public const string Xml = "http://www.w3.org/XML/1998/namespace";
    public const string Xmlns = "http://www.w3.org/2000/xmlns/";
}
