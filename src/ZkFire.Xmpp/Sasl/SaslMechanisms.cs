using System.Security.Cryptography;
using ZkFire.Storage;

namespace ZkFire.Xmpp.Sasl;

/// <summary>Which mechanisms a stream may offer and the factory for them.</summary>
public static class SaslMechanisms
{
    private static readonly string ScramSha256Plus = ScramMechanism.NameOf(HashAlgorithmName.SHA256, plus: true);
    private static readonly string ScramSha1Plus = ScramMechanism.NameOf(HashAlgorithmName.SHA1, plus: true);
    private static readonly string ScramSha256 = ScramMechanism.NameOf(HashAlgorithmName.SHA256, plus: false);
    private static readonly string ScramSha1 = ScramMechanism.NameOf(HashAlgorithmName.SHA1, plus: false);

    private static readonly string[] Scram = [ScramSha256, ScramSha1];
    private static readonly string[] ScramAndPlain = [.. Scram, PlainMechanism.MechanismName];
    private static readonly string[] PlusAndScram = [ScramSha256Plus, ScramSha1Plus, .. Scram];
    private static readonly string[] All = [.. PlusAndScram, PlainMechanism.MechanismName];

    /// <summary>
    /// Mechanism names to advertise, strongest first: SCRAM-SHA-256-PLUS and SCRAM-SHA-1-PLUS only with channel
    /// bindings, SCRAM-SHA-256, SCRAM-SHA-1, and PLAIN only when <paramref name="encrypted"/>.
    /// </summary>
    public static IReadOnlyList<string> Offered(bool encrypted, IReadOnlyList<ChannelBinding> channelBindings) => (encrypted, channelBindings.Count > 0) switch
    {
        (true, true) => All,
        (true, false) => ScramAndPlain,
        (false, true) => PlusAndScram,
        (false, false) => Scram,
    };

    /// <summary>
    /// Creates the mechanism, or null when <paramref name="name"/> is not one of <see cref="Offered"/>.
    /// A non-empty <paramref name="channelBindings"/> means the -PLUS variants were advertised with these types.
    /// </summary>
    public static ISaslMechanism? Create(string name, bool encrypted, IReadOnlyList<ChannelBinding> channelBindings, IUserStore users)
    {
        ArgumentNullException.ThrowIfNull(users);
        if (!Offered(encrypted, channelBindings).Contains(name, StringComparer.Ordinal))
        {
            return null;
        }

        if (name == PlainMechanism.MechanismName)
        {
            return new PlainMechanism(users);
        }

        var hash = name.StartsWith(ScramSha256, StringComparison.Ordinal) ? HashAlgorithmName.SHA256 : HashAlgorithmName.SHA1;
        return new ScramMechanism(hash, plus: name.EndsWith("-PLUS", StringComparison.Ordinal), channelBindings, users);
    }
}
