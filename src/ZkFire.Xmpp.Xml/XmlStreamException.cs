namespace ZkFire.Xmpp.Xml;

/// <summary>
/// The peer broke the stream. <see cref="Condition"/> is the RFC 6120 §4.9.3 stream-error condition to send
/// before closing (e.g. <c>not-well-formed</c>, <c>restricted-xml</c>, <c>policy-violation</c>, <c>invalid-namespace</c>).
/// </summary>
public sealed class XmlStreamException : Exception
{
    public XmlStreamException(string condition, string message) : base(message) => Condition = condition;

    public XmlStreamException() : this("not-well-formed", "The XML stream is not well-formed.") { }

    public XmlStreamException(string message) : this("not-well-formed", message) { }

    public XmlStreamException(string message, Exception innerException) : base(message, innerException) => Condition = "not-well-formed";

    public string Condition { get; }
}
