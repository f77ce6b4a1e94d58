namespace ZkFire.Xmpp;

/// <summary>XML namespaces of the protocols this server speaks.</summary>
public static class Namespaces
{
    public const string Client = "jabber:client";
    public const string Streams = "http://etherx.jabber.org/streams";
    public const string StreamErrors = "urn:ietf:params:xml:ns:xmpp-streams";
    public const string StanzaErrors = "urn:ietf:params:xml:ns:xmpp-stanzas";
    public const string Tls = "urn:ietf:params:xml:ns:xmpp-tls";
    public const string Sasl = "urn:ietf:params:xml:ns:xmpp-sasl";
    public const string Sasl2 = "urn:xmpp:sasl:2";
    public const string Bind = "urn:ietf:params:xml:ns:xmpp-bind";
    public const string Session = "urn:ietf:params:xml:ns:xmpp-session";
    public const string Bind2 = "urn:xmpp:bind:0";
    public const string SaslChannelBinding = "urn:xmpp:sasl-cb:0";
    public const string Roster = "jabber:iq:roster";
    public const string Register = "jabber:iq:register";
    public const string RegisterFeature = "http://jabber.org/features/iq-register";
    public const string Version = "jabber:iq:version";
    public const string DiscoInfo = "http://jabber.org/protocol/disco#info";
    public const string DiscoItems = "http://jabber.org/protocol/disco#items";
    public const string Ping = "urn:xmpp:ping";
    public const string Delay = "urn:xmpp:delay";
    public const string OfflineFeature = "msgoffline";
    public const string Xml = "http://www.w3.org/XML/1998/namespace";
}
