using System.Buffers;
using System.Buffers.Text;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Unicode;
using ZkFire.Storage;
using ZkFire.Xmpp.Addressing;

namespace ZkFire.Xmpp.Sasl;

/// <summary>
/// Server side of SCRAM-SHA-1 and SCRAM-SHA-256 (RFC 5802, RFC 7677), with or without channel binding (-PLUS).
/// </summary>
internal sealed class ScramMechanism : ISaslMechanism
{
    private const int ServerNonceBytes = 18;

    private static readonly SearchValues<byte> ChannelBindingNameCharacters =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-"u8);

    private readonly HashAlgorithmName _hash;
    private readonly bool _plus;
    private readonly IReadOnlyList<ChannelBinding> _channelBindings;
    private readonly IUserStore _users;
    private readonly Func<string> _createServerNonce;

    private Stage _stage;
    private ChannelBinding? _binding;
    private string? _username;

    // The messages the proof covers, kept as bytes: the client-first message as received (its gs2 header is what
    // the final c= must start with, the rest is client-first-bare) and the server-first message we sent, which also
    // holds the combined nonce the final r= must repeat.
    private byte[] _clientFirst = [];
    private int _gs2HeaderLength;
    private Range _clientNonce;
    private byte[] _serverFirst = [];
    private int _nonceLength;
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
                return TryAcceptClientFirst(response.Span, out var failure)
                    ? await ChallengeAsync(_username!, cancellationToken).ConfigureAwait(false)
                    : failure;
            case Stage.AwaitingClientFinal:
                return HandleClientFinal(response.Span);
            default:
                return SaslSteps.Failure(SaslConditions.MalformedRequest, _username);
        }
    }

    /// <summary>
    /// Checks the client-first message and keeps what the rest of the exchange needs, so that nothing refers to
    /// <paramref name="response"/> (the caller's buffer) once the user lookup is awaited.
    /// </summary>
    private bool TryAcceptClientFirst(ReadOnlySpan<byte> response, out SaslResult failure)
    {
        if (!Utf8.IsValid(response) || !ClientFirst.TryParse(response, out var message))
        {
            failure = SaslSteps.Failure(SaslConditions.MalformedRequest);
            return false;
        }

        if (!IsChannelBindingAcceptable(message))
        {
            failure = SaslSteps.Failure(SaslConditions.NotAuthorized);
            return false;
        }

        if (!Jid.TryNormalizeLocal(message.Username, out var username))
        {
            failure = SaslSteps.Failure(SaslConditions.NotAuthorized);
            return false;
        }

        _username = username;
        if (message.Authzid is not null && !SaslSteps.IsOwnAuthzid(message.Authzid, username))
        {
            failure = SaslSteps.Failure(SaslConditions.InvalidAuthzid, username);
            return false;
        }

        _clientFirst = response.ToArray();
        _gs2HeaderLength = message.Gs2HeaderLength;
        _clientNonce = message.Nonce;
        failure = default;
        return true;
    }

    private async ValueTask<SaslResult> ChallengeAsync(string username, CancellationToken cancellationToken)
    {
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

        _serverFirst = ServerFirst(_clientFirst.AsSpan(_clientNonce), _createServerNonce(), _credentials, out _nonceLength);
        _stage = Stage.AwaitingClientFinal;
        return SaslSteps.Challenge(_serverFirst, username);
    }

    /// <summary>server-first-message of RFC 5802 §7: r=combined nonce,s=salt,i=iteration count.</summary>
    private static byte[] ServerFirst(ReadOnlySpan<byte> clientNonce, string serverNonce, ScramCredentials credentials, out int nonceLength)
    {
        // Our salts are 16 bytes, but a stored one of any size must not exhaust the stack.
        var saltLength = Base64.GetMaxEncodedToUtf8Length(credentials.Salt.Length);
        Span<byte> saltBuffer = saltLength <= 128 ? stackalloc byte[128] : new byte[saltLength];
        Base64.EncodeToUtf8(credentials.Salt, saltBuffer, out _, out saltLength);
        ReadOnlySpan<byte> salt = saltBuffer[..saltLength];

        Span<byte> iterationsBuffer = stackalloc byte[11];
        credentials.Iterations.TryFormat(iterationsBuffer, out var digits, provider: CultureInfo.InvariantCulture);
        ReadOnlySpan<byte> iterations = iterationsBuffer[..digits];

        nonceLength = clientNonce.Length + Encoding.UTF8.GetByteCount(serverNonce);
        var message = new byte["r=,s=,i=".Length + nonceLength + salt.Length + iterations.Length];
        return Utf8.TryWrite(message, $"r={clientNonce}{serverNonce},s={salt},i={iterations}", out _)
            ? message
            : throw new UnreachableException("The server-first message was sized from its parts.");
    }

    private SaslResult HandleClientFinal(ReadOnlySpan<byte> response)
    {
        var credentials = _credentials!;
        var username = _username!;
        if (!Utf8.IsValid(response) || !ClientFinal.TryParse(response, out var message))
        {
            return SaslSteps.Failure(SaslConditions.MalformedRequest, username);
        }

        var hashSize = ScramHash.Size(_hash);
        Span<byte> proof = stackalloc byte[hashSize];
        if (!IsExpectedChannelBinding(message.ChannelBinding)
            || !message.Nonce.SequenceEqual(_serverFirst.AsSpan("r=".Length, _nonceLength))
            || !TryDecodeBase64(message.Proof, proof))
        {
            return SaslSteps.Failure(SaslConditions.NotAuthorized, username);
        }

        // AuthMessage = client-first-bare "," server-first "," client-final-without-proof, only for the two HMACs.
        ReadOnlySpan<byte> clientFirstBare = _clientFirst.AsSpan(_gs2HeaderLength);
        ReadOnlySpan<byte> serverFirst = _serverFirst;
        var length = clientFirstBare.Length + serverFirst.Length + message.WithoutProof.Length + 2;
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var authMessage = rented.AsSpan(0, length);
            if (!Utf8.TryWrite(authMessage, $"{clientFirstBare},{serverFirst},{message.WithoutProof}", out _))
            {
                throw new UnreachableException("The auth message was sized from its parts.");
            }

            // ClientSignature, turned in place into the ClientKey the proof was made with (proof = key XOR signature).
            Span<byte> clientKey = stackalloc byte[hashSize];
            ScramHash.Hmac(_hash, credentials.StoredKey, authMessage, clientKey);
            for (var i = 0; i < clientKey.Length; i++)
            {
                clientKey[i] ^= proof[i];
            }

            // Unknown users run the same computation against decoy keys and fail here, like a wrong password.
            Span<byte> storedKey = stackalloc byte[hashSize];
            ScramHash.Hash(_hash, clientKey, storedKey);
            var proofMatches = CryptographicOperations.FixedTimeEquals(storedKey, credentials.StoredKey);

            // The client key stands in for the password with this server, so it does not linger on the stack.
            CryptographicOperations.ZeroMemory(clientKey);

            Span<byte> serverSignature = stackalloc byte[hashSize];
            ScramHash.Hmac(_hash, credentials.ServerKey, authMessage, serverSignature);
            return proofMatches && _userExists
                ? SaslSteps.Success(ServerFinal(serverSignature), username)
                : SaslSteps.Failure(SaslConditions.NotAuthorized, username);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>server-final-message of RFC 5802 §7: v=server signature.</summary>
    private static byte[] ServerFinal(ReadOnlySpan<byte> serverSignature)
    {
        var message = new byte["v=".Length + Base64.GetMaxEncodedToUtf8Length(serverSignature.Length)];
        "v="u8.CopyTo(message);
        Base64.EncodeToUtf8(serverSignature, message.AsSpan("v=".Length), out _, out _);
        return message;
    }

    /// <summary>c= must carry the gs2 header of the client-first message and, with -PLUS, this channel's binding data.</summary>
    private bool IsExpectedChannelBinding(ReadOnlySpan<byte> base64)
    {
        ReadOnlySpan<byte> gs2Header = _clientFirst.AsSpan(0, _gs2HeaderLength);
        ReadOnlySpan<byte> data = _binding is { } binding ? binding.Data : [];
        var rented = ArrayPool<byte>.Shared.Rent(gs2Header.Length + data.Length);
        try
        {
            var decoded = rented.AsSpan(0, gs2Header.Length + data.Length);
            return TryDecodeBase64(base64, decoded) && decoded.StartsWith(gs2Header) && decoded[gs2Header.Length..].SequenceEqual(data);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <remarks>
    /// RFC 5802 §6 says a 'y' (the client can bind but believes the server cannot) must fail when -PLUS was
    /// advertised, as a sign that something stripped it. We accept it: slixmpp 1.8 answers 'y' whenever a non-PLUS
    /// mechanism is chosen over TLS, so the strict rule locks out a common client, while the TLS session the
    /// exchange runs in is still authenticated by the certificate. Clients that bind ('p') are fully checked.
    /// </remarks>
    private bool IsChannelBindingAcceptable(in ClientFirst message)
    {
        if (message.Gs2Flag != (byte)'p')
        {
            return !_plus;
        }

        _binding = null;
        if (_plus)
        {
            foreach (var binding in _channelBindings)
            {
                // The name was checked to be ASCII letters, digits, '.' and '-', so an ASCII comparison is an ordinal one.
                if (Ascii.Equals(message.ChannelBindingType, binding.Type))
                {
                    _binding = binding;
                    break;
                }
            }
        }

        return _binding is not null;
    }

    private static string CreateServerNonce()
    {
        Span<byte> random = stackalloc byte[ServerNonceBytes];
        RandomNumberGenerator.Fill(random);
        return Convert.ToBase64String(random);
    }

    /// <summary>
    /// Decodes base64 into exactly <paramref name="destination"/>: false when it is not base64 or decodes to another
    /// length. Valid base64 is what <see cref="Convert.FromBase64String"/> accepts, white space included.
    /// </summary>
    private static bool TryDecodeBase64(ReadOnlySpan<byte> base64, Span<byte> destination) =>
        Base64.IsValid(base64, out var decodedLength)
        && decodedLength == destination.Length
        && Base64.DecodeFromUtf8(base64, destination, out _, out _) == OperationStatus.Done;

    /// <summary>
    /// Splits the attributes of a client message (RFC 5802 §7): two that must come first, in this order, then only
    /// optional extensions. Returns the values of the first two.
    /// </summary>
    private static bool TrySplitAttributes(ReadOnlySpan<byte> text, byte firstName, byte secondName, out ReadOnlySpan<byte> first, out ReadOnlySpan<byte> second)
    {
        first = second = default;
        var count = 0;
        foreach (var range in text.Split((byte)','))
        {
            var attribute = text[range];
            switch (count++)
            {
                case 0 when IsAttribute(attribute, firstName):
                    first = attribute[2..];
                    break;
                case 1 when IsAttribute(attribute, secondName):
                    second = attribute[2..];
                    break;
                case > 1 when IsExtension(attribute):
                    break;
                default:
                    return false;
            }
        }

        return count >= 2;

        static bool IsAttribute(ReadOnlySpan<byte> attribute, byte name) => attribute is [_, (byte)'=', ..] && attribute[0] == name;
    }

    // Optional extensions ("x=value", a letter that is not one we know) are ignored; "m" is reserved and mandatory.
    private static bool IsExtension(ReadOnlySpan<byte> attribute) =>
        attribute.Length >= 2 && char.IsAsciiLetter((char)attribute[0]) && attribute[0] != (byte)'m' && attribute[1] == (byte)'=';

    /// <summary>client-first-message of RFC 5802 §7, as slices of the bytes received.</summary>
    private readonly ref struct ClientFirst
    {
        /// <summary>'n', 'y' or 'p'.</summary>
        public byte Gs2Flag { get; init; }

        /// <summary>The cb-name after "p=", empty for the other flags.</summary>
        public ReadOnlySpan<byte> ChannelBindingType { get; init; }

        public string? Authzid { get; init; }

        /// <summary>Up to and including the comma that ends the authzid field; client-first-bare follows.</summary>
        public int Gs2HeaderLength { get; init; }

        public string Username { get; init; }

        /// <summary>Where the client nonce is in the message.</summary>
        public Range Nonce { get; init; }

        public static bool TryParse(ReadOnlySpan<byte> text, out ClientFirst message)
        {
            message = default;
            var flagEnd = text.IndexOf((byte)',');
            var authzidEnd = flagEnd < 0 ? -1 : text[(flagEnd + 1)..].IndexOf((byte)',');
            if (authzidEnd < 0)
            {
                return false;
            }

            authzidEnd += flagEnd + 1;
            var flag = text[..flagEnd];
            var channelBindingType = ReadOnlySpan<byte>.Empty;
            if (flag.StartsWith("p="u8) && IsChannelBindingName(flag[2..]))
            {
                channelBindingType = flag[2..];
            }
            else if (!flag.SequenceEqual("n"u8) && !flag.SequenceEqual("y"u8))
            {
                return false;
            }

            var authzidField = text[(flagEnd + 1)..authzidEnd];
            string? authzid = null;
            if (!authzidField.IsEmpty && !(authzidField.StartsWith("a="u8) && TryDecodeSaslName(authzidField[2..], out authzid)))
            {
                return false;
            }

            var bareStart = authzidEnd + 1;
            var bare = text[bareStart..];
            if (!TrySplitAttributes(bare, (byte)'n', (byte)'r', out var encodedUsername, out var nonce)
                || !IsPrintable(nonce)
                || !TryDecodeSaslName(encodedUsername, out var username))
            {
                return false;
            }

            message = new ClientFirst
            {
                Gs2Flag = flag[0],
                ChannelBindingType = channelBindingType,
                Authzid = authzid,
                Gs2HeaderLength = bareStart,
                Username = username,
                // client-first-bare starts "n=" username ",r=" nonce.
                Nonce = new Range(bareStart + encodedUsername.Length + 5, bareStart + encodedUsername.Length + 5 + nonce.Length),
            };
            return true;
        }

        private static bool IsChannelBindingName(ReadOnlySpan<byte> name) =>
            !name.IsEmpty && !name.ContainsAnyExcept(ChannelBindingNameCharacters);

        // nonce: printable ASCII except ",".
        private static bool IsPrintable(ReadOnlySpan<byte> value) =>
            !value.IsEmpty && !value.ContainsAnyExceptInRange((byte)0x21, (byte)0x7E) && !value.Contains((byte)',');

        // saslname: "," and "=" only appear escaped as "=2C" and "=3D". The escapes are checked on the bytes; the
        // rare name that has any is unescaped on its string.
        private static bool TryDecodeSaslName(ReadOnlySpan<byte> encoded, [NotNullWhen(true)] out string? decoded)
        {
            decoded = null;
            if (encoded.IsEmpty)
            {
                return false;
            }

            var rest = encoded;
            for (var i = rest.IndexOf((byte)'='); i >= 0; i = rest.IndexOf((byte)'='))
            {
                var escape = rest[(i + 1)..];
                if (!escape.StartsWith("2C"u8) && !escape.StartsWith("3D"u8))
                {
                    return false;
                }

                rest = escape[2..];
            }

            // Every "=" starts one of the two escapes, so replacing one kind and then the other cannot misread any.
            decoded = Encoding.UTF8.GetString(encoded);
            if (encoded.Contains((byte)'='))
            {
                decoded = decoded.Replace("=2C", ",", StringComparison.Ordinal).Replace("=3D", "=", StringComparison.Ordinal);
            }

            return true;
        }
    }

    /// <summary>client-final-message of RFC 5802 §7, as slices of the bytes received.</summary>
    private readonly ref struct ClientFinal
    {
        /// <summary>The base64 of c=.</summary>
        public ReadOnlySpan<byte> ChannelBinding { get; init; }

        public ReadOnlySpan<byte> Nonce { get; init; }

        /// <summary>client-final-message-without-proof, which ends the auth message.</summary>
        public ReadOnlySpan<byte> WithoutProof { get; init; }

        /// <summary>The base64 of p=.</summary>
        public ReadOnlySpan<byte> Proof { get; init; }

        public static bool TryParse(ReadOnlySpan<byte> text, out ClientFinal message)
        {
            message = default;

            // The proof comes last, and base64 has no commas, so the last comma separates it.
            var proofStart = text.LastIndexOf((byte)',');
            if (proofStart < 0 || !text[(proofStart + 1)..].StartsWith("p="u8))
            {
                return false;
            }

            var withoutProof = text[..proofStart];
            var proof = text[(proofStart + 3)..];
            if (!TrySplitAttributes(withoutProof, (byte)'c', (byte)'r', out var channelBinding, out var nonce)
                || !IsBase64(channelBinding)
                || !IsBase64(proof))
            {
                return false;
            }

            message = new ClientFinal { ChannelBinding = channelBinding, Nonce = nonce, WithoutProof = withoutProof, Proof = proof };
            return true;
        }

        private static bool IsBase64(ReadOnlySpan<byte> value) => !value.IsEmpty && Base64.IsValid(value);
    }
}
