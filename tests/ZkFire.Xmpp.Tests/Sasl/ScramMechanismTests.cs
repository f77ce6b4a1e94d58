using System.Security.Cryptography;
using System.Text;
using ZkFire.Xmpp.Sasl;

namespace ZkFire.Xmpp.Tests.Sasl;

public sealed class ScramMechanismTests
{
    private const string Password = "pencil";

    private static readonly ChannelBinding Binding = new("tls-exporter", [1, 2, 3, 4, 5, 6, 7, 8]);

    private static ScramMechanism Mechanism(HashAlgorithmName hash, InMemoryUserStore users, bool plus = false, ChannelBinding? binding = null, string serverNonce = "3rfcNHYJY1ZVvWVs7j") =>
        new(hash, plus, binding is null ? [] : [binding], users, () => serverNonce);

    [Fact]
    public async Task Rfc5802_scram_sha1_example()
    {
        var users = InMemoryUserStore.With("user", Password, sha1Salt: Convert.FromBase64String("QSXCR+Q6sek8bf92"));
        var scram = Mechanism(HashAlgorithmName.SHA1, users);
        Assert.Equal("SCRAM-SHA-1", scram.Name);

        var first = await scram.Step("n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL");
        Assert.Equal(SaslOutcome.Challenge, first.Outcome);
        Assert.Equal("r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096", first.Text());
        Assert.Equal("user", first.Username);

        var final = await scram.Step("c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=");
        Assert.Equal(SaslOutcome.Success, final.Outcome);
        Assert.Equal("v=rmF9pqV8S7suAoZWja4dJRkFsKQ=", final.Text());
        Assert.Equal("user", final.Username);
    }

    [Fact]
    public async Task Rfc7677_scram_sha256_example()
    {
        var users = InMemoryUserStore.With("user", Password, sha256Salt: Convert.FromBase64String("W22ZaJ0SNY7soEsUEjb6gQ=="));
        var scram = Mechanism(HashAlgorithmName.SHA256, users, serverNonce: "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0");
        Assert.Equal("SCRAM-SHA-256", scram.Name);

        var first = await scram.Step("n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
        Assert.Equal("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", first.Text());

        var final = await scram.Step("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
        Assert.Equal(SaslOutcome.Success, final.Outcome);
        Assert.Equal("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=", final.Text());
    }

    [Fact]
    public async Task Empty_initial_response_gets_an_empty_challenge()
    {
        var scram = Mechanism(HashAlgorithmName.SHA256, InMemoryUserStore.With("user", Password));
        var start = await scram.StepAsync(ReadOnlyMemory<byte>.Empty, CancellationToken.None);
        Assert.Equal(SaslOutcome.Challenge, start.Outcome);
        Assert.Empty(start.Data!);
        Assert.True(await Authenticates(scram, HashAlgorithmName.SHA256, "n,,", "user", Password));
    }

    [Fact]
    public async Task Wrong_password_fails_at_the_final_step()
    {
        var scram = Mechanism(HashAlgorithmName.SHA256, InMemoryUserStore.With("user", Password));
        var first = await scram.Step("n,,n=user,r=abc");
        var final = await scram.Step(ScramTestClient.FinalMessage(HashAlgorithmName.SHA256, "pen", "n=user,r=abc", first.Text(), "biws"));
        Assert.Equal(new SaslResult(SaslOutcome.Failure, null, "user", "not-authorized"), final);
    }

    [Theory]
    [InlineData("SHA1")]
    [InlineData("SHA256")]
    public async Task Unknown_user_looks_like_a_known_one_until_the_end(string hashName)
    {
        var hash = new HashAlgorithmName(hashName);
        var users = InMemoryUserStore.With("user", Password);
        var known = await Mechanism(hash, users).Step("n,,n=user,r=abc");
        var unknown = Mechanism(hash, users);
        var first = await unknown.Step("n,,n=nobody,r=abc");
        var again = await Mechanism(hash, users).Step("n,,n=nobody,r=abc");

        Assert.Equal(SaslOutcome.Challenge, first.Outcome);
        Assert.Equal("nobody", first.Username);
        Assert.Equal(Shape(known.Text()), Shape(first.Text()));
        Assert.Equal(first.Text(), again.Text());
        Assert.NotEqual(first.Text(), (await Mechanism(hash, users).Step("n,,n=somebody,r=abc")).Text());

        var final = await unknown.Step(ScramTestClient.FinalMessage(hash, Password, "n=nobody,r=abc", first.Text(), "biws"));
        Assert.Equal(new SaslResult(SaslOutcome.Failure, null, "nobody", "not-authorized"), final);

        // The nonce and salt lengths and the iteration count, which is all an observer could compare.
        static string Shape(string serverFirst) => string.Join(',', serverFirst.Split(',').Select(a => a[0] == 'i' ? a : $"{a[0]}:{a.Length}"));
    }

    [Fact]
    public async Task Username_is_normalised_and_unescaped()
    {
        var users = InMemoryUserStore.With("a,b=c\u00E9", Password);
        Assert.True(await Authenticates(Mechanism(HashAlgorithmName.SHA256, users), HashAlgorithmName.SHA256, "n,,", "A=2CB=3DCE\u0301", Password));
        Assert.True(await Authenticates(Mechanism(HashAlgorithmName.SHA1, InMemoryUserStore.With("user", Password)), HashAlgorithmName.SHA1, "n,,", "USER", Password));
    }

    [Fact]
    public async Task Password_is_saslprepped_on_both_sides()
    {
        var users = InMemoryUserStore.With("user", "I\u00ADX");
        Assert.True(await Authenticates(Mechanism(HashAlgorithmName.SHA256, users), HashAlgorithmName.SHA256, "n,,", "user", "IX"));
    }

    [Theory]
    [InlineData("n,a=user,")]
    [InlineData("n,a=USER@example.com,")]
    [InlineData("n,a=user@example.com/phone,")]
    public async Task Authzid_naming_the_user_is_accepted(string gs2Header) =>
        Assert.True(await Authenticates(Mechanism(HashAlgorithmName.SHA256, InMemoryUserStore.With("user", Password)), HashAlgorithmName.SHA256, gs2Header, "user", Password));

    [Theory]
    [InlineData("n,a=admin,n=user,r=abc")]
    [InlineData("n,a=admin@example.com,n=user,r=abc")]
    [InlineData("n,a=example.com,n=user,r=abc")]
    public async Task Authzid_naming_someone_else_is_refused(string clientFirst)
    {
        var result = await Mechanism(HashAlgorithmName.SHA256, InMemoryUserStore.With("user", Password)).Step(clientFirst);
        Assert.Equal(new SaslResult(SaslOutcome.Failure, null, "user", "invalid-authzid"), result);
    }

    [Fact]
    public async Task Plus_binds_to_the_channel()
    {
        var users = InMemoryUserStore.With("user", Password);
        var scram = Mechanism(HashAlgorithmName.SHA256, users, plus: true, Binding);
        Assert.Equal("SCRAM-SHA-256-PLUS", scram.Name);
        Assert.True(await Authenticates(scram, HashAlgorithmName.SHA256, "p=tls-exporter,,", "user", Password, Binding.Data));
        Assert.True(await Authenticates(Mechanism(HashAlgorithmName.SHA1, users, plus: true, Binding), HashAlgorithmName.SHA1, "p=tls-exporter,a=user,", "user", Password, Binding.Data));
    }

    [Fact]
    public async Task Plus_client_chooses_among_the_offered_binding_types()
    {
        var users = InMemoryUserStore.With("user", Password);
        ChannelBinding unique = new("tls-unique", [7, 7, 7]);
        var scram = new ScramMechanism(HashAlgorithmName.SHA256, plus: true, [Binding, unique], users, () => "nonce");
        Assert.True(await Authenticates(scram, HashAlgorithmName.SHA256, "p=tls-unique,,", "user", Password, unique.Data));
        var wrongData = new ScramMechanism(HashAlgorithmName.SHA256, plus: true, [Binding, unique], users, () => "nonce");
        Assert.False(await Authenticates(wrongData, HashAlgorithmName.SHA256, "p=tls-unique,,", "user", Password, Binding.Data));
    }

    [Fact]
    public async Task Plus_fails_when_the_channel_differs()
    {
        var scram = Mechanism(HashAlgorithmName.SHA256, InMemoryUserStore.With("user", Password), plus: true, Binding);
        Assert.False(await Authenticates(scram, HashAlgorithmName.SHA256, "p=tls-exporter,,", "user", Password, [9, 9, 9]));
    }

    [Theory]
    [InlineData(true, "p=tls-server-end-point,,n=user,r=abc")]
    [InlineData(true, "n,,n=user,r=abc")]
    [InlineData(true, "y,,n=user,r=abc")]
    [InlineData(false, "p=tls-exporter,,n=user,r=abc")]
    public async Task Channel_binding_flag_must_match_the_mechanism(bool plus, string clientFirst)
    {
        var scram = Mechanism(HashAlgorithmName.SHA256, InMemoryUserStore.With("user", Password), plus, plus ? Binding : null);
        var result = await scram.Step(clientFirst);
        Assert.Equal(SaslOutcome.Failure, result.Outcome);
        Assert.Equal("not-authorized", result.FailureCondition);
    }

    [Fact]
    public async Task Y_flag_is_accepted_even_when_plus_was_offered()
    {
        // A deliberate departure from RFC 5802 §6, explained on ScramMechanism: slixmpp sends 'y' for every pinned non-PLUS mechanism.
        var users = InMemoryUserStore.With("user", Password);
        Assert.True(await Authenticates(Mechanism(HashAlgorithmName.SHA256, users, binding: Binding), HashAlgorithmName.SHA256, "y,,", "user", Password));
        Assert.True(await Authenticates(Mechanism(HashAlgorithmName.SHA256, users), HashAlgorithmName.SHA256, "y,,", "user", Password));
        // 'n' (client cannot bind) is fine on a plain mechanism even when -PLUS was offered.
        Assert.True(await Authenticates(Mechanism(HashAlgorithmName.SHA256, users, binding: Binding), HashAlgorithmName.SHA256, "n,,", "user", Password));
    }

    [Fact]
    public async Task Y_flag_must_be_bound_into_the_final_message()
    {
        var scram = Mechanism(HashAlgorithmName.SHA256, InMemoryUserStore.With("user", Password));
        var first = await scram.Step("y,,n=user,r=abc");
        // "biws" is base64("n,,"): a client that claims 'n' at the end after sending 'y' was tampered with.
        var final = await scram.Step(ScramTestClient.FinalMessage(HashAlgorithmName.SHA256, Password, "n=user,r=abc", first.Text(), "biws"));
        Assert.Equal("not-authorized", final.FailureCondition);
    }

    [Fact]
    public async Task Empty_response_after_the_empty_challenge_is_malformed()
    {
        var scram = Mechanism(HashAlgorithmName.SHA256, InMemoryUserStore.With("user", Password));
        Assert.Equal(SaslOutcome.Challenge, (await scram.Step("")).Outcome);
        Assert.Equal(new SaslResult(SaslOutcome.Failure, null, null, "malformed-request"), await scram.Step(""));
    }

    [Theory]
    [InlineData("n")]
    [InlineData("n,")]
    [InlineData("x,,n=user,r=abc")]
    [InlineData("p=,,n=user,r=abc")]
    [InlineData("p=tls exporter,,n=user,r=abc")]
    [InlineData("n,n=user,r=abc")]
    [InlineData("n,b=user,n=user,r=abc")]
    [InlineData("n,a=,n=user,r=abc")]
    [InlineData("n,,m=ext,n=user,r=abc")]
    [InlineData("n,,n=user")]
    [InlineData("n,,n=user,r=")]
    [InlineData("n,,n=user,r=abc,m=1")]
    [InlineData("n,,n=user,r=abc,unknown")]
    [InlineData("n,,r=abc,n=user")]
    [InlineData("n,,n=,r=abc")]
    [InlineData("n,,n=us=2Xer,r=abc")]
    [InlineData("n,,n=user=,r=abc")]
    [InlineData("n,a=us=2Xer,n=user,r=abc")]
    [InlineData("n,a=user=,n=user,r=abc")]
    [InlineData("n,a=user=2,n=user,r=abc")]
    [InlineData("n,a=us=2cer,n=user,r=abc")]
    [InlineData("n,,n=us=3der,r=abc")]
    [InlineData("n,,n==,r=abc")]
    [InlineData("n,,n=user,r=abc,")]
    [InlineData("n,,n=user,,r=abc")]
    [InlineData("n,,n=user,r=abc,x")]
    [InlineData("n,,n=user,r=abc,1=x")]
    [InlineData("n,,n=user,r=a c")]
    [InlineData("n,,n=user,r=abc\u007F")]
    [InlineData("n,,N=user,r=abc")]
    [InlineData("n,,n=user,R=abc")]
    [InlineData("N,,n=user,r=abc")]
    [InlineData("nn,,n=user,r=abc")]
    [InlineData("p,,n=user,r=abc")]
    [InlineData("p=tls_exporter,,n=user,r=abc")]
    [InlineData("n,,n=user,r=ab\u00E7")]
    public async Task Malformed_client_first_is_refused(string clientFirst)
    {
        var scram = Mechanism(HashAlgorithmName.SHA256, InMemoryUserStore.With("user", Password));
        Assert.Equal(new SaslResult(SaslOutcome.Failure, null, null, "malformed-request"), await scram.Step(clientFirst));
    }

    [Fact]
    public async Task Invalid_utf8_is_malformed()
    {
        var scram = Mechanism(HashAlgorithmName.SHA256, InMemoryUserStore.With("user", Password));
        var result = await scram.StepAsync(new byte[] { (byte)'n', (byte)',', (byte)',', 0xFF, 0xFE }, CancellationToken.None);
        Assert.Equal("malformed-request", result.FailureCondition);
    }

    [Fact]
    public async Task Invalid_username_is_not_authorized_without_lookup()
    {
        var users = InMemoryUserStore.With("user", Password);
        var result = await Mechanism(HashAlgorithmName.SHA256, users).Step("n,,n=a b,r=abc");
        Assert.Equal(new SaslResult(SaslOutcome.Failure, null, null, "not-authorized"), result);
        Assert.Equal(0, users.Lookups);
    }

    [Theory]
    [InlineData("c=biws,r=abcNONCE")]
    [InlineData("c=biws,r=abcNONCE,p=!!!")]
    [InlineData("c=b!ws,r=abcNONCE,p=AAAA")]
    [InlineData("r=abcNONCE,c=biws,p=AAAA")]
    [InlineData("c=biws,p=AAAA")]
    [InlineData("c=biws,r=abcNONCE,p=")]
    [InlineData("c=biws,r=abcNONCE,m=1,p=AAAA")]
    [InlineData("c=biws,r=abcNONCE,,p=AAAA")]
    [InlineData("c=biws,,r=abcNONCE,p=AAAA")]
    [InlineData("c=,r=abcNONCE,p=AAAA")]
    [InlineData("c=biw,r=abcNONCE,p=AAAA")]
    [InlineData("c=biws,r=abcNONCE,p=AAA")]
    [InlineData("C=biws,r=abcNONCE,p=AAAA")]
    [InlineData("c=biws,r=abcNONCE,P=AAAA")]
    [InlineData("")]
    [InlineData("c=biws,r=abcNONCE,p=AAAA,x=1")]
    public async Task Malformed_client_final_is_refused(string clientFinal)
    {
        var scram = Mechanism(HashAlgorithmName.SHA256, InMemoryUserStore.With("user", Password), serverNonce: "NONCE");
        await scram.Step("n,,n=user,r=abc");
        Assert.Equal(new SaslResult(SaslOutcome.Failure, null, "user", "malformed-request"), await scram.Step(clientFinal));
    }

    [Theory]
    [InlineData("c=biws,r=abcOTHER,p=AAAA")]
    [InlineData("c=biws,r=abc,p=AAAA")]
    [InlineData("c=biws,r=abcNONCE,p=AAAA")]
    [InlineData("c=biws,r=abcNONCE,x=1,p=AAAA")]
    [InlineData("c=biwsAA==,r=abcNONCE,p=AAAA")]
    [InlineData("c=bg==,r=abcNONCE,p=AAAA")]
    [InlineData("c=biws,r=abcNONC,p=AAAA")]
    [InlineData("c=biws,r=abcNONCEE,p=AAAA")]
    [InlineData("c=eSws,r=abcNONCE,p=AAAA")]
    public async Task Wrong_nonce_binding_or_proof_length_is_not_authorized(string clientFinal)
    {
        var scram = Mechanism(HashAlgorithmName.SHA256, InMemoryUserStore.With("user", Password), serverNonce: "NONCE");
        await scram.Step("n,,n=user,r=abc");
        Assert.Equal("not-authorized", (await scram.Step(clientFinal)).FailureCondition);
    }

    [Fact]
    public async Task Exchange_cannot_continue_after_it_ended()
    {
        var scram = Mechanism(HashAlgorithmName.SHA256, InMemoryUserStore.With("user", Password));
        Assert.True(await Authenticates(scram, HashAlgorithmName.SHA256, "n,,", "user", Password));
        Assert.Equal("malformed-request", (await scram.Step("n,,n=user,r=abc")).FailureCondition);
    }

    [Fact]
    public async Task Extensions_after_the_nonce_are_ignored()
    {
        var users = InMemoryUserStore.With("user", Password);
        var scram = Mechanism(HashAlgorithmName.SHA256, users);
        var first = await scram.Step("n,,n=user,r=abc,x=ignored");
        var final = await scram.Step(ScramTestClient.FinalMessage(HashAlgorithmName.SHA256, Password, "n=user,r=abc,x=ignored", first.Text(), "biws"));
        Assert.Equal(SaslOutcome.Success, final.Outcome);
    }

    [Fact]
    public async Task Server_first_repeats_the_client_nonce_when_extensions_follow_it()
    {
        var scram = Mechanism(HashAlgorithmName.SHA1, InMemoryUserStore.With("user", Password), serverNonce: "NONCE");
        var first = await scram.Step("n,,n=user,r=abc,x=1,y=2");
        Assert.StartsWith("r=abcNONCE,s=", first.Text(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a,b", "A=2CB")]
    [InlineData("a=2c", "a=3D2C")]
    [InlineData("a,=b", "a=2C=3Db")]
    public async Task Escapes_are_decoded_in_order(string username, string saslName) =>
        Assert.True(await Authenticates(Mechanism(HashAlgorithmName.SHA1, InMemoryUserStore.With(username, Password)), HashAlgorithmName.SHA1, "n,,", saslName, Password));

    [Fact]
    public async Task Escapes_are_decoded_in_the_authzid()
    {
        var users = InMemoryUserStore.With("a,b", Password);
        Assert.True(await Authenticates(Mechanism(HashAlgorithmName.SHA256, users), HashAlgorithmName.SHA256, "n,a=a=2Cb,", "a=2Cb", Password));
        Assert.True(await Authenticates(Mechanism(HashAlgorithmName.SHA256, users), HashAlgorithmName.SHA256, "y,a=A=2CB@example.com,", "a=2Cb", Password));
    }

    [Theory]
    [InlineData(new byte[] { (byte)'n', (byte)',', (byte)',', (byte)'n', (byte)'=', 0xC0, 0x80, (byte)',', (byte)'r', (byte)'=', (byte)'a' })]
    [InlineData(new byte[] { (byte)'n', (byte)',', (byte)',', (byte)'n', (byte)'=', (byte)'u', (byte)',', (byte)'r', (byte)'=', (byte)'a', (byte)',', (byte)'x', (byte)'=', 0xED, 0xA0, 0x80 })]
    public async Task Invalid_utf8_anywhere_in_client_first_is_malformed(byte[] clientFirst)
    {
        var scram = Mechanism(HashAlgorithmName.SHA256, InMemoryUserStore.With("user", Password));
        Assert.Equal(new SaslResult(SaslOutcome.Failure, null, null, "malformed-request"), await scram.StepAsync(clientFirst, CancellationToken.None));
    }

    [Fact]
    public async Task Invalid_utf8_in_client_final_is_malformed()
    {
        var scram = Mechanism(HashAlgorithmName.SHA256, InMemoryUserStore.With("user", Password), serverNonce: "NONCE");
        await scram.Step("n,,n=user,r=abc");
        byte[] final = [.. "c=biws,r=abcNONCE,x="u8, 0xFF, .. ",p=AAAA"u8];
        Assert.Equal(new SaslResult(SaslOutcome.Failure, null, "user", "malformed-request"), await scram.StepAsync(final, CancellationToken.None));
    }

    [Theory]
    [InlineData("SHA1")]
    [InlineData("SHA256")]
    public async Task Truncated_or_extended_proof_is_refused(string hashName)
    {
        var hash = new HashAlgorithmName(hashName);
        var users = InMemoryUserStore.With("user", Password);
        var (scram, final) = await Prepared();
        var proof = Convert.FromBase64String(final[(final.LastIndexOf(',') + 3)..]);
        var withoutProof = final[..final.LastIndexOf(',')];
        Assert.Equal("not-authorized", (await scram.Step($"{withoutProof},p={Convert.ToBase64String(proof[..^1])}")).FailureCondition);

        (scram, _) = await Prepared();
        Assert.Equal("not-authorized", (await scram.Step($"{withoutProof},p={Convert.ToBase64String([.. proof, 0])}")).FailureCondition);

        // Cut inside a base64 quantum: no longer base64 at all.
        (scram, _) = await Prepared();
        Assert.Equal("malformed-request", (await scram.Step(final[..^1])).FailureCondition);

        (scram, _) = await Prepared();
        Assert.Equal(SaslOutcome.Success, (await scram.Step(final)).Outcome);

        async Task<(ScramMechanism, string)> Prepared()
        {
            var mechanism = Mechanism(hash, users);
            var first = await mechanism.Step("n,,n=user,r=abc");
            return (mechanism, ScramTestClient.FinalMessage(hash, Password, "n=user,r=abc", first.Text(), "biws"));
        }
    }

    [Fact]
    public async Task White_space_inside_base64_is_tolerated_as_by_convert()
    {
        var scram = Mechanism(HashAlgorithmName.SHA256, InMemoryUserStore.With("user", Password));
        var first = await scram.Step("n,,n=user,r=abc");
        // The client signs c= as it sent it, spaces included.
        var final = ScramTestClient.FinalMessage(HashAlgorithmName.SHA256, Password, "n=user,r=abc", first.Text(), "bi ws");
        var proofStart = final.LastIndexOf(',') + 3;
        var spaced = $"{final[..(proofStart + 8)]}\r\n{final[(proofStart + 8)..]}";
        var result = await scram.Step(spaced);
        Assert.Equal(SaslOutcome.Success, result.Outcome);
    }

    [Fact]
    public async Task Plus_binding_must_repeat_the_gs2_header_exactly()
    {
        var users = InMemoryUserStore.With("user", Password);
        var scram = Mechanism(HashAlgorithmName.SHA256, users, plus: true, Binding);
        var first = await scram.Step("p=tls-exporter,,n=user,r=abc");
        var otherHeader = Convert.ToBase64String([.. "p=tls-exporter,a=user,"u8.ToArray(), .. Binding.Data]);
        var final = await scram.Step(ScramTestClient.FinalMessage(HashAlgorithmName.SHA256, Password, "n=user,r=abc", first.Text(), otherHeader));
        Assert.Equal("not-authorized", final.FailureCondition);

        scram = Mechanism(HashAlgorithmName.SHA256, users, plus: true, Binding);
        first = await scram.Step("p=tls-exporter,,n=user,r=abc");
        var headerOnly = Convert.ToBase64String("p=tls-exporter,,"u8);
        final = await scram.Step(ScramTestClient.FinalMessage(HashAlgorithmName.SHA256, Password, "n=user,r=abc", first.Text(), headerOnly));
        Assert.Equal("not-authorized", final.FailureCondition);
    }

    [Fact]
    public async Task Unknown_user_with_the_right_shape_of_proof_still_fails()
    {
        var users = InMemoryUserStore.With("user", Password);
        var scram = Mechanism(HashAlgorithmName.SHA1, users);
        var first = await scram.Step("n,,n=nobody,r=abc");
        var final = await scram.Step(ScramTestClient.FinalMessage(HashAlgorithmName.SHA1, Password, "n=nobody,r=abc", first.Text(), "biws"));
        Assert.Equal(new SaslResult(SaslOutcome.Failure, null, "nobody", "not-authorized"), final);
    }

    [Fact]
    public void Construction_checks_its_arguments()
    {
        Assert.Throws<ArgumentException>(() => new ScramMechanism(HashAlgorithmName.SHA256, plus: true, [], new InMemoryUserStore()));
        Assert.Throws<ArgumentException>(() => new ScramMechanism(HashAlgorithmName.SHA512, plus: false, [], new InMemoryUserStore()));
    }

    /// <summary>Runs a whole exchange as a correct client would and checks the server signature on success.</summary>
    private static async Task<bool> Authenticates(ISaslMechanism scram, HashAlgorithmName hash, string gs2Header, string saslName, string password, byte[]? channelData = null)
    {
        var bare = $"n={saslName},r=clientnonce";
        var first = await scram.Step(gs2Header + bare);
        if (first.Outcome != SaslOutcome.Challenge)
        {
            return false;
        }

        var binding = Convert.ToBase64String([.. Encoding.UTF8.GetBytes(gs2Header), .. channelData ?? []]);
        var clientFinal = ScramTestClient.FinalMessage(hash, password, bare, first.Text(), binding);
        var final = await scram.Step(clientFinal);
        if (final.Outcome == SaslOutcome.Success)
        {
            Assert.Equal(ScramTestClient.ExpectedServerFinal(hash, password, bare, first.Text(), clientFinal), final.Text());
        }

        return final.Outcome == SaslOutcome.Success;
    }
}
