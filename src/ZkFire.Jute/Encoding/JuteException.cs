namespace ZkFire.Jute;

/// <summary>
/// Bytes that are not a valid jute encoding of the record being read: truncated input, a length that cannot
/// fit in what is left, or a value the record does not allow. ZooKeeper answers a request body it cannot
/// decode with MarshallingError; a header it cannot decode ends the connection.
/// </summary>
public class JuteException : Exception
{
    public JuteException() : base("Malformed jute data.") { }

    public JuteException(string message) : base(message) { }

    public JuteException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>
/// A frame header announced a negative length or one over the configured maximum (jute.maxbuffer). ZooKeeper
/// sends no error for this: it drops the connection, and the session survives.
/// </summary>
public sealed class JuteFrameLengthException : JuteException
{
    public JuteFrameLengthException(int length, int maxFrameLength)
        : base($"Frame length {length} is outside 0..{maxFrameLength}.")
    {
        Length = length;
        MaxFrameLength = maxFrameLength;
    }

    public JuteFrameLengthException() { }

    public JuteFrameLengthException(string message) : base(message) { }

    public JuteFrameLengthException(string message, Exception innerException) : base(message, innerException) { }

    public int Length { get; }

    public int MaxFrameLength { get; }
}
