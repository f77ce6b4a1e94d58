namespace ZkFire.Xmpp.Sasl;

/// <summary>The server side of one SASL exchange; one instance per authentication attempt.</summary>
public interface ISaslMechanism
{
    string Name { get; }

    /// <summary>Processes the client's initial response (first call, possibly empty) or its next response.</summary>
    /// <param name="response">Valid only until the step completes (it may be a pooled buffer): copy what must be kept.</param>
    ValueTask<SaslResult> StepAsync(ReadOnlyMemory<byte> response, CancellationToken cancellationToken);
}
