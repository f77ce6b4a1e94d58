using ZkFire.Xmpp.Xml;

namespace ZkFire.Xmpp.Sessions;

/// <summary>The connection behind a session: queues output and closes with a stream error. Never blocks the caller.</summary>
public interface IStanzaSink
{
    void Send(Element stanza);

    /// <summary>Sends already serialised stanza XML (e.g. a stored offline message).</summary>
    void SendSerialized(string xml);

    /// <summary>Ends the stream with <paramref name="condition"/> and closes the connection.</summary>
    void Close(string condition, string? text);
}
