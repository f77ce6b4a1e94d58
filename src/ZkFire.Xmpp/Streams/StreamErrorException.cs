namespace ZkFire.Xmpp.Streams;

/// <summary>Ends a stream with the RFC 6120 §4.9.3 <paramref name="condition"/>, e.g. <c>host-unknown</c>.</summary>
public sealed class StreamErrorException : Exception
{
    public StreamErrorException(string condition, string message) : base(message) => Condition = condition;

    public StreamErrorException() : this("undefined-condition", "The stream failed.") { }

    public StreamErrorException(string message) : this("undefined-condition", message) { }

    public StreamErrorException(string message, Exception innerException) : base(message, innerException) => Condition = "undefined-condition";

    public string Condition { get; }
}
