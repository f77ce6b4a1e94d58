namespace ZkFire.Xmpp.Streams;

/// <summary>Whether the node takes new streams: while it does not, each is refused with the reason.</summary>
internal sealed class ServiceGate
{
    private volatile string? refusal;

    /// <summary>Why new streams are refused; null while they are served.</summary>
    public string? Refusal
    {
        get => refusal;
        set => refusal = value;
    }
}
