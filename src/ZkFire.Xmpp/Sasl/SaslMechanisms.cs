using ZkFire.Storage;

namespace ZkFire.Xmpp.Sasl;

/// <summary>Which mechanisms a stream may offer and the factory for them.</summary>
public static class SaslMechanisms
{
    /// <summary>
    /// Mechanism names to advertise, strongest first: SCRAM-SHA-256-PLUS and SCRAM-SHA-1-PLUS only with channel
    /// binding, SCRAM-SHA-256, SCRAM-SHA-1, and PLAIN only when <paramref name="encrypted"/>.
    /// </summary>
    public static IReadOnlyList<string> Offered(bool encrypted, ChannelBinding? channelBinding) => throw new NotImplementedException();

    /// <summary>
    /// Creates the mechanism, or null when <paramref name="name"/> is not one of <see cref="Offered"/>.
    /// <paramref name="channelBinding"/> non-null means the -PLUS variants were advertised (so a client answering
    /// with the 'y' flag is a downgrade and must fail).
    /// </summary>
    public static ISaslMechanism? Create(string name, bool encrypted, ChannelBinding? channelBinding, IUserStore users) => throw new NotImplementedException();
}
