using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using ZkFire.Storage;
using ZkFire.Xmpp.Addressing;

namespace ZkFire.Xmpp.Sasl;

/// <summary>
/// Server side of SCRAM-SHA-1 and SCRAM-SHA-256 (RFC 5802, RFC 7677), with or without channel binding (-PLUS).
/// </summary>
internal sealed class ScramMechanism : ISaslMechanism
{
    private const int ServerNonceBytes = 18;

    private static readonly SearchValues<char> ChannelBindingNameCharacters =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-");

    private readonly HashAlgorithmName _hash;
    private readonly bool _plus;
    private readonly IReadOnlyList<ChannelBinding> _channelBindings;
    private readonly IUserStore _users;
    private readonly Func<string> _createServerNonce;

    private Stage _stage;
    private ClientFirst? _clientFirst;
    private ChannelBinding? _binding;
    private string? _username;
    private string _serverFirst = string.Empty;
    private string _nonce = string.Empty;
    private ScramCredentials? _credentials;
    private bool _userExists;

    /// <param name="channelBindings">The bindings of this TLS session a -PLUS client may choose from; required when <paramref name="plus"/>.</param>
    public ScramMechanism(HashAlgorithmName hash, bool plus, IReadOnlyList<ChannelBinding> channelBindings, IUserStore users)
        : this(hash, plus, channelBindings, users, CreateServerNonce)
    {
    }

    /// <summary>With a fixed server nonce source, to reproduce published transcripts.</summary>
    internal ScramMechanism(HashAlgorithmName hash, bool plus, IReadOnlyList<ChannelBinding> channelBindings, IUserStore users, Func<string> createServerNonce)
    {
        ArgumentNullException.ThrowIfNull(users);
        ArgumentNullException.ThrowIfNull(channelBindings);
        if (plus && channelBindings.Count == 0)
        {
            throw new ArgumentException("A -PLUS mechanism needs channel-binding data.", nameof(channelBindings));
        }

        _hash = hash;
        _plus = plus;
        _channelBindings = channelBindings;
        _users = users;
        _createServerNonce = createServerNonce;
        Name = NameOf(hash, plus);
    }

    private enum Stage
    {
        Start,
        AwaitingClientFirst,
        AwaitingClientFinal,
        Done,
    }

    public string Name { get; }

    /// <exception cref="ArgumentException">The hash is not SHA-1 or SHA-256.</exception>
    public static string NameOf(HashAlgorithmName hash, bool plus) =>
        (hash == HashAlgorithmName.SHA256 ? "SCRAM-SHA-256"
            : hash == HashAlgorithmName.SHA1 ? "SCRAM-SHA-1"
            : throw new ArgumentException($"SCRAM is not supported with {hash.Name}.", nameof(hash)))
        + (plus ? "-PLUS" : string.Empty);

    public async ValueTask<SaslResult> StepAsync(ReadOnlyMemory<byte> response, CancellationToken cancellationToken)
    {
        var stage = _stage;
        _stage = Stage.Done;
        switch (stage)
        {
            case Stage.Start when response.IsEmpty:
                // No initial response: an empty challenge asks for the client-first message.
                _stage = Stage.AwaitingClientFirst;
                return SaslSteps.Challenge([]);
            case Stage.Start or Stage.AwaitingClientFirst:
                return await HandleClientFirstAsync(response, cancellationToken).ConfigureAwait(false);
            case Stage.AwaitingClientFinal:
                return HandleClientFinal(response.Span);
            default:
                return SaslSteps.Failure(SaslConditions.MalformedRequest, _username);
        }
    }

    private async ValueTask<SaslResult> HandleClientFirstAsync(ReadOnlyMemory<byte> response, CancellationToken cancellationToken)
    {
        if (!SaslSteps.TryDecodeUtf8(response.Span, out var text) || ClientFirst.Parse(text) is not { } message)
        {
            return SaslSteps.Failure(SaslConditions.MalformedRequest);
        }

        if (!IsChannelBindingAcceptable(message))
        {
            return SaslSteps.Failure(SaslConditions.NotAuthorized);
        }

        if (!Jid.TryNormalizeLocal(message.Username, out var username))
        {
            return SaslSteps.Failure(SaslConditions.NotAuthorized);
        }

        _username = username;
        if (message.Authzid is not null && !SaslSteps.IsOwnAuthzid(message.Authzid, username))
        {
            return SaslSteps.Failure(SaslConditions.InvalidAuthzid, username);
        }

        var user = await _users.GetAsync(username, cancellationToken).ConfigureAwait(false);
        _userExists = user is not null;
        if (user is not null)
        {
            _credentials = _hash == HashAlgorithmName.SHA256 ? user.Sha256 : user.Sha1;
            DecoyCredentials.Observe(_credentials);
        }
        else
        {
            _credentials = DecoyCredentials.For(username, _hash);
        }

        _clientFirst = message;
        _nonce = message.Nonce + _createServerNonce();
        _serverFirst = $"r={_nonce},s={Convert.ToBase64String(_credentials.Salt)},i={_credentials.Iterations}";
        _stage = Stage.AwaitingClientFinal;
        return SaslSteps.Challenge(Encoding.UTF8.GetBytes(_serverFirst), username);
    }

    private SaslResult HandleClientFinal(ReadOnlySpan<byte> response)
    {
        var clientFirst = _clientFirst!;
        var credentials = _credentials!;
        var username = _username!;
        if (!SaslSteps.TryDecodeUtf8(response, out var text) || ClientFinal.Parse(text) is not { } message)
        {
            return SaslSteps.Failure(SaslConditions.MalformedRequest, username);
        }

        var expectedBinding = Encoding.UTF8.GetBytes(clientFirst.Gs2Header);
        if (clientFirst.ChannelBindingType is not null)
        {
            expectedBinding = [.. expectedBinding, .. _binding!.Data];
        }

        if (!message.ChannelBinding.AsSpan().SequenceEqual(expectedBinding)
            || !string.Equals(message.Nonce, _nonce, StringComparison.Ordinal)
            || message.Proof.Length != ScramHash.Size(_hash))
        {
            return SaslSteps.Failure(SaslConditions.NotAuthorized, username);
        }

        var authMessage = Encoding.UTF8.GetBytes($"{clientFirst.Bare},{_serverFirst},{message.WithoutProof}");
        // ClientSignature, turned in place into the ClientKey the proof was made with (proof = key XOR signature).
        var clientKey = ScramHash.Hmac(_hash, credentials.StoredKey, authMessage);
        for (var i = 0; i < clientKey.Length; i++)
        {
            clientKey[i] ^= message.Proof[i];
        }

        // Unknown users run the same computation against decoy keys and fail here, like a wrong password.
        var proofMatches = CryptographicOperations.FixedTimeEquals(ScramHash.Hash(_hash, clientKey), credentials.StoredKey);
        var serverSignature = ScramHash.Hmac(_hash, credentials.ServerKey, authMessage);
        return proofMatches && _userExists
            ? SaslSteps.Success(Encoding.UTF8.GetBytes("v=" + Convert.ToBase64String(serverSignature)), username)
            : SaslSteps.Failure(SaslConditions.NotAuthorized, username);
    }

    /// <remarks>
    /// RFC 5802 §6 says a 'y' (the client can bind but believes the server cannot) must fail when -PLUS was
    /// advertised, as a sign that something stripped it. We accept it: slixmpp 1.8 answers 'y' whenever a non-PLUS
    /// mechanism is chosen over TLS, so the strict rule locks out a common client, while the TLS session the
    /// exchange runs in is still authenticated by the certificate. Clients that bind ('p') are fully checked.
    /// </remarks>
    private bool IsChannelBindingAcceptable(ClientFirst message)
    {
        if (message.Gs2Flag != 'p')
        {
            return !_plus;
        }

        _binding = _plus ? _channelBindings.FirstOrDefault(b => string.Equals(b.Type, message.ChannelBindingType, StringComparison.Ordinal)) : null;
        return _binding is not null;
    }

    private static string CreateServerNonce() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(ServerNonceBytes));

    /// <summary>client-first-message of RFC 5802 §7.</summary>
    private sealed record ClientFirst(char Gs2Flag, string? ChannelBindingType, string? Authzid, string Gs2Header, string Bare, string Username, string Nonce)
    {
        public static ClientFirst? Parse(string text)
        {
            var flagEnd = text.IndexOf(',', StringComparison.Ordinal);
            var authzidEnd = flagEnd < 0 ? -1 : text.IndexOf(',', flagEnd + 1);
            if (authzidEnd < 0)
            {
                return null;
            }

            var flag = text[..flagEnd];
            string? channelBindingType = null;
            if (flag.StartsWith("p=", StringComparison.Ordinal) && IsChannelBindingName(flag.AsSpan(2)))
            {
                channelBindingType = flag[2..];
            }
            else if (flag is not ("n" or "y"))
            {
                return null;
            }

            var authzidField = text[(flagEnd + 1)..authzidEnd];
            string? authzid = null;
            if (authzidField.Length != 0 && !(authzidField.StartsWith("a=", StringComparison.Ordinal) && TryDecodeSaslName(authzidField[2..], out authzid)))
            {
                return null;
            }

            var bare = text[(authzidEnd + 1)..];
            // A leading "m=" is a mandatory extension we do not know, which must fail the exchange.
            var attributes = bare.Split(',');
            if (attributes.Length < 2
                || !attributes[0].StartsWith("n=", StringComparison.Ordinal)
                || !TryDecodeSaslName(attributes[0][2..], out var username)
                || !attributes[1].StartsWith("r=", StringComparison.Ordinal)
                || !IsPrintable(attributes[1].AsSpan(2))
                || !attributes.Skip(2).All(IsExtension))
            {
                return null;
            }

            return new ClientFirst(flag[0], channelBindingType, authzid, text[..(authzidEnd + 1)], bare, username, attributes[1][2..]);
        }

        private static bool IsChannelBindingName(ReadOnlySpan<char> name) =>
            !name.IsEmpty && !name.ContainsAnyExcept(ChannelBindingNameCharacters);

        // saslname: "," and "=" only appear escaped as "=2C" and "=3D".
        private static bool TryDecodeSaslName(string encoded, out string decoded)
        {
            decoded = encoded;
            if (encoded.Length == 0)
            {
                return false;
            }

            if (!encoded.Contains('=', StringComparison.Ordinal))
            {
                return true;
            }

            var builder = new StringBuilder(encoded.Length);
            for (var i = 0; i < encoded.Length; i++)
            {
                if (encoded[i] != '=')
                {
                    builder.Append(encoded[i]);
                    continue;
                }

                var escape = encoded.AsSpan(i + 1, Math.Min(2, encoded.Length - i - 1));
                if (escape.SequenceEqual("2C"))
                {
                    builder.Append(',');
                }
                else if (escape.SequenceEqual("3D"))
                {
                    builder.Append('=');
                }
                else
                {
                    return false;
                }

                i += 2;
            }

            decoded = builder.ToString();
            return true;
        }
    }

    /// <summary>client-final-message of RFC 5802 §7.</summary>
    private sealed record ClientFinal(byte[] ChannelBinding, string Nonce, string WithoutProof, byte[] Proof)
    {
        public static ClientFinal? Parse(string text)
        {
            // The proof comes last, and base64 has no commas, so the last comma separates it.
            var proofStart = text.LastIndexOf(',');
            if (proofStart < 0 || !text.AsSpan(proofStart + 1).StartsWith("p="))
            {
                return null;
            }

            var withoutProof = text[..proofStart];
            var attributes = withoutProof.Split(',');
            if (attributes.Length < 2
                || !attributes[0].StartsWith("c=", StringComparison.Ordinal)
                || !attributes[1].StartsWith("r=", StringComparison.Ordinal)
                || !attributes.Skip(2).All(IsExtension)
                || !TryDecodeBase64(attributes[0][2..], out var channelBinding)
                || !TryDecodeBase64(text[(proofStart + 3)..], out var proof))
            {
                return null;
            }

            return new ClientFinal(channelBinding, attributes[1][2..], withoutProof, proof);
        }

        private static bool TryDecodeBase64(string text, out byte[] bytes)
        {
            bytes = new byte[text.Length * 3 / 4];
            if (text.Length == 0 || !Convert.TryFromBase64String(text, bytes, out var written))
            {
                return false;
            }

            bytes = bytes[..written];
            return true;
        }
    }

    // nonce: printable ASCII except ",".
    private static bool IsPrintable(ReadOnlySpan<char> value) =>
        !value.IsEmpty && !value.ContainsAnyExceptInRange('\x21', '\x7E') && !value.Contains(',');

    // Optional extensions ("x=value", a letter that is not one we know) are ignored; "m" is reserved and mandatory.
    private static bool IsExtension(string attribute) =>
        attribute.Length >= 2 && char.IsAsciiLetter(attribute[0]) && attribute[0] != 'm' && attribute[1] == '=';
}
