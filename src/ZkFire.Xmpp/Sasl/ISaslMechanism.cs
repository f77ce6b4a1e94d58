namespace ZkFire.Xmpp.Sasl;

/// <summary>The server side of one SASL exchange; one instance per authentication attempt.</summary>
public interface ISaslMechanism
{
    string Name { get; }

    /// <summary>Processes the client's initial response (first call, possibly empty) or its next response.</summary>
    ValueTask<SaslResult> StepAsync(ReadOnlyMemory<byte> response, CancellationToken cancellationToken);
}
