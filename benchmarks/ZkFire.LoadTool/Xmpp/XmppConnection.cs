using System.Buffers;
using System.Buffers.Text;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using ZkFire.Xmpp.Xml;

namespace ZkFire.LoadTool.Xmpp;

internal enum SaslChoice
{
    ScramSha1,
    Plain,
}

/// <summary>How a connection decides on TLS.</summary>
internal enum TlsChoice
{
    /// <summary>Plain TCP when the server lets this client skip STARTTLS (loopback) and offers the mechanism there; else STARTTLS.</summary>
    Auto,

    /// <summary>STARTTLS always.</summary>
    StartTls,
}

/// <summary>A failure the server reported in the protocol (SASL failure, stream error, IQ error, closed stream).</summary>
internal sealed class XmppException(string message) : Exception(message);

/// <summary>
/// One client connection. The login reads the server's answers where they lie in the receive buffer
/// (<see cref="XmlSlice"/>), as it runs at full rate in the login storm; workloads that read whole elements afterwards
/// get them from the server's own <see cref="XmppStreamParser"/> (<see cref="ReadElementAsync"/>).
/// Once negotiated, a workload may read the raw bytes itself through <see cref="Unread"/>, <see cref="Consume"/> and
/// <see cref="FillAsync"/> instead; the two ways of reading must not be mixed afterwards.
/// </summary>
internal sealed class XmppConnection : IAsyncDisposable
{
    /// <summary>The receive buffer of a connection that streams stanzas at full rate: large reads, few system calls.</summary>
    public const int StreamingBuffer = 64 * 1024;

    /// <summary>The receive buffer of a connection that only logs in and then idles: the negotiation's elements fit.</summary>
    public const int SessionBuffer = 4 * 1024;
    private const string Client = "jabber:client";
    private const string Sasl = "urn:ietf:params:xml:ns:xmpp-sasl";
    private const string Sasl2 = "urn:xmpp:sasl:2";
    private const string Bind2 = "urn:xmpp:bind:0";

    private readonly Socket socket;
    private readonly string domain;
    private static readonly XmlLimits Limits = new() { MaxStanzaBytes = 16 * 1024 * 1024 };
    private static readonly byte[] CloseTag = "</stream:stream>"u8.ToArray();
    private static readonly byte[] InitialPresence = "<presence/>"u8.ToArray();

    /// <summary>The largest SASL message decoded: SCRAM's are well under it.</summary>
    private const int MaxSaslMessage = 1024;

    /// <summary>
    /// Made by the first <see cref="ReadElementAsync"/>, for the open stream (the login reads its answers as
    /// <see cref="XmlSlice"/>s and needs none); dropped by <see cref="ReleaseIdleMemory"/>.
    /// </summary>
    private XmppStreamParser? parser;
    private Stream stream;
    private readonly int initialBuffer;
    private byte[] buffer;
    private int start;
    private int end;
    private int nextId;

    private XmppConnection(Socket socket, string domain, int initialBuffer)
    {
        this.socket = socket;
        this.domain = domain;
        this.initialBuffer = initialBuffer;
        buffer = ArrayPool<byte>.Shared.Rent(initialBuffer);
        stream = new NetworkStream(socket, ownsSocket: false);
    }

    /// <summary>Whether the stream runs over TLS.</summary>
    public bool Encrypted { get; private set; }

    /// <summary>The full JID bound, once <see cref="LoginAsync"/> has succeeded.</summary>
    public string? Jid { get; private set; }

    public static Task<XmppConnection> ConnectAsync(EndPoint endpoint, string domain, CancellationToken ct) =>
        ConnectAsync(endpoint, source: null, domain, StreamingBuffer, ct);

    /// <summary>
    /// Connects from <paramref name="source"/> when given: each local address has its own ~28,000 ephemeral ports, so
    /// more connections than that to one server need several (127.0.0.x all reach loopback on Linux). The receive
    /// buffer starts at <paramref name="initialBuffer"/> bytes and grows when an element does not fit.
    /// </summary>
    public static async Task<XmppConnection> ConnectAsync(EndPoint endpoint, IPAddress? source, string domain, int initialBuffer, CancellationToken ct)
    {
        // A socket of the address's own family: a dual-mode one (for a name) costs an option and address mapping per connection.
        var family = source?.AddressFamily ?? (endpoint as IPEndPoint)?.AddressFamily;
        var socket = family is { } known
            ? new Socket(known, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true }
            : new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (source is not null)
            {
                socket.Bind(new IPEndPoint(source, 0));
            }

            await socket.ConnectAsync(endpoint, ct);
            DelayAcks(socket);
            return new XmppConnection(socket, domain, initialBuffer);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Leaves Linux's quick-ack start (TCP_QUICKACK off): a new connection otherwise answers the server's first
    /// segments (its stream features) with bare ACKs although the tool's next request follows at once and carries
    /// the ACK. On loopback the server's kernel does the work for each of those ACKs, whichever server it is.
    /// </summary>
    private static void DelayAcks(Socket socket)
    {
        if (OperatingSystem.IsLinux())
        {
            const int IpProtocolTcp = 6, TcpQuickAck = 12;
            socket.SetRawSocketOption(IpProtocolTcp, TcpQuickAck, stackalloc byte[sizeof(int)]);
        }
    }

    /// <summary>
    /// Registers the account in-band (XEP-0077) on this fresh connection; an account that already exists
    /// (<c>conflict</c>) counts as done. The connection is spent afterwards.
    /// </summary>
    public async Task RegisterAsync(string username, string password, TlsChoice tls, CancellationToken ct)
    {
        var features = await SecureStreamAsync(tls, SaslChoice.ScramSha1, ct);
        if (!features.Register)
        {
            throw new XmppException("the server does not offer in-band registration (XEP-0077); open it or create the accounts with zkfire adduser");
        }

        var reply = await IqAsync(
            "set", $"<query xmlns='jabber:iq:register'><username>{Escape(username)}</username><password>{Escape(password)}</password></query>",
            throwOnError: false, ct);
        if (reply.GetAttribute("type") == "error" && reply.Child("error", Client)?.Child("conflict", "urn:ietf:params:xml:ns:xmpp-stanzas") is null)
        {
            throw new XmppException($"registering {username} failed: {reply}");
        }
    }

    /// <summary>Authenticates, binds a resource (the server's choice when <paramref name="resource"/> is null) and sets <see cref="Jid"/>.</summary>
    public Task LoginAsync(string username, XmppAccess access, string? resource, CancellationToken ct) =>
        LoginAsync(username, access, resource, scramCache: null, ct);

    /// <summary>
    /// As the other overload, with SCRAM's keys taken from <paramref name="scramCache"/> when it holds them for the salt
    /// and iteration count the server sends. Uses SASL2 with Bind 2 (XEP-0388/0386) when the server offers both and
    /// <see cref="XmppAccess.Sasl2"/> allows it, as modern clients do (the resource is then the server's, tagged
    /// <paramref name="resource"/>); otherwise RFC 6120: SASL, stream restart, bind, and the RFC 3921 session when the
    /// server still requires it (advertised without <c>&lt;optional/&gt;</c>).
    /// </summary>
    public async Task LoginAsync(string username, XmppAccess access, string? resource, ScramCache? scramCache, CancellationToken ct)
    {
        var features = await SecureStreamAsync(access.Tls, access.Sasl, ct);
        if (access.Sasl2 && features.Sasl2WithBind2)
        {
            await AuthenticateAsync(username, access, scramCache, sasl2: true, $"<user-agent id='{Guid.NewGuid()}'><software>zkfire-load</software></user-agent><bind xmlns='{Bind2}'><tag>{Escape(resource ?? "zkfire-load")}</tag></bind>", ct);
            UsedSasl2 = true;
            return;
        }

        if (!features.Sasl)
        {
            throw new XmppException($"the server does not offer {XmppAccess.SaslName(access.Sasl)} here");
        }

        await AuthenticateAsync(username, access, scramCache, sasl2: false, extension: null, ct);
        features = await OpenStreamAsync(access.Sasl, ct);
        var requested = resource is null ? string.Empty : $"<resource>{Escape(resource)}</resource>";
        Jid = BoundJid(await IqAnswerAsync("set", $"<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>{requested}</bind>", throwOnError: true, ct));
        if (features.SessionRequired)
        {
            Consume(await IqAnswerAsync("set", "<session xmlns='urn:ietf:params:xml:ns:xmpp-session'/>", throwOnError: true, ct));
        }
    }

    /// <summary>Whether the last login used SASL2 and Bind 2 rather than RFC 6120's SASL and resource binding.</summary>
    public bool UsedSasl2 { get; private set; }

    /// <summary>
    /// Sends initial presence and reads until the server's copy of it comes back to this resource (RFC 6121 §4.2.2):
    /// the moment a client is online. Other elements read meanwhile are dropped.
    /// </summary>
    public async Task GoOnlineAsync(CancellationToken ct)
    {
        await SendAsync(InitialPresence, ct);
        while (!IsOwnPresence(await NextAnswerAsync(ct)))
        {
            // Consumed and dropped.
        }
    }

    /// <summary>Sends an IQ to the server and reads until its answer; other elements read meanwhile are dropped.</summary>
    public async Task<Element> IqAsync(string type, string payload, bool throwOnError, CancellationToken ct)
    {
        var length = await IqAnswerAsync(type, payload, throwOnError, ct);
        var answer = XmlFragment.Parse(Unread[..length], Client, Limits);
        Consume(length);
        return answer;
    }

    public ValueTask SendAsync(string xml, CancellationToken ct) => SendAsync(Encoding.UTF8.GetBytes(xml), ct);

    public ValueTask SendAsync(ReadOnlyMemory<byte> bytes, CancellationToken ct) => stream.WriteAsync(bytes, ct);

    /// <summary>The next top-level element; stream errors and the end of the stream throw.</summary>
    public async Task<Element> ReadElementAsync(CancellationToken ct)
    {
        while (true)
        {
            // Released while idle: nothing to parse until data arrives, and no parser made before then.
            var parsed = false;
            XmppStreamEvent evt = default;
            if (parser is not null || start < end)
            {
                var sequence = new ReadOnlySequence<byte>(buffer, start, end - start);
                parsed = Parser.TryRead(ref sequence, out evt);
                start = end - (int)sequence.Length;
            }

            if (parsed)
            {
                switch (evt.Kind)
                {
                    case XmppStreamEventKind.StreamClose:
                        throw new XmppException("the server closed the stream");
                    case XmppStreamEventKind.Element when evt.Element!.Name == "error" && evt.Element.Namespace == "http://etherx.jabber.org/streams":
                        throw new XmppException($"stream error: {evt.Element}");
                    case XmppStreamEventKind.Element:
                        return evt.Element!;
                    default:
                        continue;
                }
            }

            if (await FillAsync(ct) == 0)
            {
                throw new XmppException("the server closed the connection");
            }
        }
    }

    /// <summary>Bytes received and not yet consumed.</summary>
    public ReadOnlySpan<byte> Unread => buffer.AsSpan(start, end - start);

    public void Consume(int count) => start += count;

    /// <summary>
    /// Gives the receive buffer back to the pool and drops the XML parser (a few KB with its string cache) when nothing
    /// is left unread, so an idle connection holds neither: the next <see cref="FillAsync"/> waits for data before
    /// renting a buffer, and the next <see cref="ReadElementAsync"/> gets a new parser for the open stream.
    /// </summary>
    public void ReleaseIdleMemory()
    {
        if (start == end && buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = [];
            start = end = 0;
            parser = null;
        }
    }

    /// <summary>
    /// Hands everything received to <paramref name="drain"/> (which consumes what it can and returns false at the end
    /// of the stream) until the stream ends, the connection closes or <paramref name="stop"/>: true when stopped, false
    /// when the connection was lost.
    /// </summary>
    public async Task<bool> PumpAsync(Func<bool> drain, CancellationToken stop)
    {
        try
        {
            while (drain())
            {
                if (await FillAsync(stop) == 0)
                {
                    return false;
                }
            }

            return false;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return true;
        }
        catch (Exception e) when (e is XmppException or IOException or SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>Reads more bytes after <see cref="Unread"/>, compacting or growing the buffer first; 0 means the server closed.</summary>
    /// <remarks>The hot readers' one await per read: pooled, so a read that has to wait allocates no state machine.</remarks>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> FillAsync(CancellationToken ct)
    {
        if (buffer.Length == 0)
        {
            // Released while idle: a zero-byte read waits for data without holding a buffer (Kestrel does the same).
#pragma warning disable CA2022 // A zero-byte read returns 0 once data is there: it reads nothing on purpose.
            await stream.ReadAsync(Memory<byte>.Empty, ct);
#pragma warning restore CA2022
            buffer = ArrayPool<byte>.Shared.Rent(initialBuffer);
        }

        if (start == end)
        {
            start = end = 0;
        }
        else if (end == buffer.Length)
        {
            if (start == 0)
            {
                var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                buffer.AsSpan(0, end).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = larger;
            }
            else
            {
                buffer.AsSpan(start, end - start).CopyTo(buffer);
                end -= start;
                start = 0;
            }
        }

        var read = await stream.ReadAsync(buffer.AsMemory(end), ct);
        end += read;
        return read;
    }

    /// <summary>
    /// Ends the stream as RFC 6120 §4.4 asks, if it can within a moment: sends the closing tag and waits for the
    /// server's (or the end of the connection) before dropping it. Dropping it at once would reset the connection
    /// under the server's answer, and leave the logout still running on the server when the caller measures what
    /// comes next (the login storm's next round).
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await stream.WriteAsync(CloseTag, timeout.Token);
            await AwaitServerCloseAsync(timeout.Token);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            // Already gone, or the server did not answer in time: nothing more to wait for.
        }

        await stream.DisposeAsync();
        socket.Dispose();
        var rented = buffer;
        buffer = [];
        start = end = 0;
        if (rented.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Reads past anything still arriving until the server's closing tag or the end of the connection.</summary>
    private async Task AwaitServerCloseAsync(CancellationToken ct)
    {
        while (Unread.IndexOf(CloseTag) < 0)
        {
            // Only a tail that could begin the tag is kept for the next read.
            Consume(Math.Max(0, Unread.Length - (CloseTag.Length - 1)));
            if (await FillAsync(ct) == 0)
            {
                return;
            }
        }
    }

    private XmppStreamParser Parser => parser ??= Resumed();

    /// <summary>A parser in the middle of an open stream: a released one saw the server's header, this one is fed one like it.</summary>
    private static XmppStreamParser Resumed()
    {
        var resumed = new XmppStreamParser(Limits);
        var header = new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes($"<stream:stream xmlns='{Client}' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"));
        return resumed.TryRead(ref header, out var opened) && opened.Kind == XmppStreamEventKind.StreamOpen
            ? resumed
            : throw new InvalidOperationException("the parser did not take the stream header");
    }

    /// <summary>Opens the stream, and again over TLS when it has to be encrypted first.</summary>
    private async Task<Features> SecureStreamAsync(TlsChoice tls, SaslChoice sasl, CancellationToken ct)
    {
        var features = await OpenStreamAsync(sasl, ct);
        if (Encrypted || !features.StartTls || (tls == TlsChoice.Auto && !features.StartTlsRequired && features.Sasl))
        {
            return features;
        }

        await SendAsync("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", ct);
        Expect(await NextAnswerAsync(ct), "proceed"u8, "STARTTLS refused");

        // Load runs target test servers with self-signed certificates: encryption is measured, identity is not checked.
#pragma warning disable CA5359
        var encrypted = new SslStream(stream, leaveInnerStreamOpen: false, (_, _, _, _) => true);
#pragma warning restore CA5359
        await encrypted.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = domain }, ct);
        stream = encrypted;
        Encrypted = true;
        start = end = 0;
        return await OpenStreamAsync(sasl, ct);
    }

    private async Task<Features> OpenStreamAsync(SaslChoice sasl, CancellationToken ct)
    {
        await SendAsync($"<?xml version='1.0'?><stream:stream to='{Escape(domain)}' version='1.0' xml:lang='en' xmlns='{Client}' xmlns:stream='http://etherx.jabber.org/streams'>", ct);
        return ReadFeatures(await NextAnswerAsync(ct), XmppAccess.SaslName(sasl));
    }

    /// <summary>
    /// One SASL exchange in the profile of RFC 6120 (<c>&lt;auth/&gt;</c>, data as text) or, when <paramref name="sasl2"/>,
    /// SASL2 (<c>&lt;authenticate/&gt;</c> with <paramref name="extension"/> inside, data in child elements, and the
    /// authenticated stream's features right after the success, which sets <see cref="Jid"/> when a resource was bound).
    /// </summary>
    private async Task AuthenticateAsync(string username, XmppAccess access, ScramCache? scramCache, bool sasl2, string? extension, CancellationToken ct)
    {
        var scram = access.Sasl == SaslChoice.Plain ? null : new ScramSha1Client(username, access.Password, scramCache);
        var first = Convert.ToBase64String(scram?.ClientFirst() ?? Encoding.UTF8.GetBytes($"\0{username}\0{access.Password}"));
        var mechanism = XmppAccess.SaslName(access.Sasl);
        await SendAsync(sasl2
            ? $"<authenticate xmlns='{Sasl2}' mechanism='{mechanism}'><initial-response>{first}</initial-response>{extension}</authenticate>"
            : $"<auth xmlns='{Sasl}' mechanism='{mechanism}'>{first}</auth>", ct);
        var answer = await NextAnswerAsync(ct);
        if (scram is not null && new XmlSlice(Unread[..answer]).Is("challenge"u8))
        {
            await SendAsync(Respond(answer, scram, sasl2), ct);
            answer = await NextAnswerAsync(ct);
        }

        Succeeded(answer, username, scram, sasl2);
        if (sasl2)
        {
            Expect(await NextAnswerAsync(ct), "features"u8, "expected the authenticated stream's features");
        }
    }

    /// <summary>Sends an IQ to the server and reads until its answer, left unread (its length returned); other elements read meanwhile are dropped.</summary>
    private async Task<int> IqAnswerAsync(string type, string payload, bool throwOnError, CancellationToken ct)
    {
        var id = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"zkl{++nextId}");
        await SendAsync($"<iq type='{type}' id='{id}'>{payload}</iq>", ct);
        while (true)
        {
            var length = await NextAnswerAsync(ct);
            if (IsAnswer(length, id, throwOnError))
            {
                return length;
            }
        }
    }

    /// <summary>Reads until a complete element is unread, past what comes between them (see <see cref="Frame"/>): its length.</summary>
    /// <remarks>Several per login: pooled, as <see cref="FillAsync"/> is.</remarks>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> NextAnswerAsync(CancellationToken ct)
    {
        while (true)
        {
            var length = Frame();
            if (length > 0)
            {
                return length;
            }

            if (await FillAsync(ct) == 0)
            {
                throw new XmppException("the server closed the connection");
            }
        }
    }

    /// <summary>
    /// The length of the complete element that <see cref="Unread"/> starts with after consuming whitespace, the XML
    /// declaration and stream headers, or 0 when more bytes are needed; stream errors and the end of the stream throw.
    /// </summary>
    private int Frame()
    {
        while (true)
        {
            var data = Unread;
            var skipped = data.IndexOfAnyExcept(" \t\r\n"u8);
            Consume(skipped < 0 ? data.Length : skipped);
            data = Unread;
            if (data.Length < 2)
            {
                return 0;
            }

            if (data[0] != (byte)'<')
            {
                throw new XmppException($"text between elements: {Encoding.UTF8.GetString(data)}");
            }

            if (data[1] == (byte)'/')
            {
                throw new XmppException("the server closed the stream");
            }

            if (data[1] == (byte)'?')
            {
                var declaration = data.IndexOf("?>"u8);
                if (declaration < 0)
                {
                    return 0;
                }

                Consume(declaration + 2);
                continue;
            }

            var header = XmlSlice.StreamHeaderLength(data);
            if (header > 0)
            {
                Consume(header);
                continue;
            }

            var length = XmlSlice.Length(data);
            if (length < 0)
            {
                return 0;
            }

            var element = new XmlSlice(data[..length]);
            return element.Is("error"u8) ? throw new XmppException($"stream error: {element.ToString()}") : length;
        }
    }

    /// <summary>What the login needs of stream features, for the mechanism it uses.</summary>
    private readonly record struct Features(bool StartTls, bool StartTlsRequired, bool Sasl, bool Sasl2WithBind2, bool Register, bool SessionRequired);

    private Features ReadFeatures(int length, string mechanism)
    {
        var features = new XmlSlice(Unread[..length]);
        if (!features.Is("features"u8))
        {
            throw new XmppException($"expected stream features, got {features.ToString()}");
        }

        bool startTls = false, required = false, sasl = false, sasl2 = false, register = false, session = false;
        foreach (var feature in features.Elements)
        {
            if (feature.Is("starttls"u8))
            {
                startTls = true;
                required = feature.HasChild("required"u8);
            }
            else if (feature.Is("mechanisms"u8))
            {
                sasl = Offers(feature, mechanism);
            }
            else if (feature.Is("authentication"u8))
            {
                sasl2 = Offers(feature, mechanism) && feature.TryChild("inline"u8, out var inline) && inline.HasChild("bind"u8);
            }
            else if (feature.Is("register"u8))
            {
                register = true;
            }
            else if (feature.Is("session"u8))
            {
                session = !feature.HasChild("optional"u8);
            }
        }

        Consume(length);
        return new Features(startTls, required, sasl, sasl2, register, session);
    }

    private static bool Offers(XmlSlice mechanisms, string mechanism)
    {
        foreach (var offered in mechanisms.Elements)
        {
            if (offered.Is("mechanism"u8) && Ascii.Equals(offered.Content.Trim(" \t\r\n"u8), mechanism))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Consumes the element if it is named <paramref name="name"/>, else throws <paramref name="otherwise"/> with it.</summary>
    private void Expect(int length, ReadOnlySpan<byte> name, string otherwise)
    {
        var element = new XmlSlice(Unread[..length]);
        if (!element.Is(name))
        {
            throw new XmppException($"{otherwise}: {element.ToString()}");
        }

        Consume(length);
    }

    /// <summary>Consumes the SCRAM challenge and returns the response to it.</summary>
    private byte[] Respond(int length, ScramSha1Client scram, bool sasl2)
    {
        Span<byte> serverFirst = stackalloc byte[MaxSaslMessage];
        var final = scram.ClientFinal(serverFirst[..DecodeBase64(new XmlSlice(Unread[..length]).Content, serverFirst)]);
        Consume(length);
        var open = sasl2 ? "<response xmlns='urn:xmpp:sasl:2'>"u8 : "<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"u8;
        var close = "</response>"u8;
        var response = new byte[open.Length + Base64.GetMaxEncodedToUtf8Length(final.Length) + close.Length];
        open.CopyTo(response);
        Base64.EncodeToUtf8(final, response.AsSpan(open.Length), out _, out var written);
        close.CopyTo(response.AsSpan(open.Length + written));
        return response;
    }

    /// <summary>Consumes the SASL success after checking it (and the server's SCRAM signature); SASL2's sets <see cref="Jid"/> when a resource was bound.</summary>
    private void Succeeded(int length, string username, ScramSha1Client? scram, bool sasl2)
    {
        var answer = new XmlSlice(Unread[..length]);
        if (!answer.Is("success"u8))
        {
            throw new XmppException($"authentication of {username} failed: {answer.ToString()}");
        }

        var final = !sasl2 ? answer.Content : answer.TryChild("additional-data"u8, out var data) ? data.Content : default;
        Span<byte> serverFinal = stackalloc byte[MaxSaslMessage];
        if (scram is not null && !scram.VerifyServerFinal(serverFinal[..DecodeBase64(final, serverFinal)]))
        {
            throw new XmppException("the server's SCRAM signature does not match");
        }

        if (sasl2 && answer.HasChild("bound"u8))
        {
            Jid = answer.TryChild("authorization-identifier"u8, out var identifier)
                ? XmlSlice.Decoded(identifier.Content)
                : throw new XmppException($"SASL2 success without an identifier: {answer.ToString()}");
        }

        Consume(length);
    }

    /// <exception cref="InvalidOperationException">Not base64, or longer than SCRAM's messages are.</exception>
    private static int DecodeBase64(ReadOnlySpan<byte> text, Span<byte> decoded) =>
        Base64.DecodeFromUtf8(text.Trim(" \t\r\n"u8), decoded, out _, out var written) == OperationStatus.Done
            ? written
            : throw new InvalidOperationException($"bad SASL data: {Encoding.UTF8.GetString(text)}");

    /// <summary>Consumes the IQ and returns false unless it answers <paramref name="id"/>; an error answer throws when <paramref name="throwOnError"/>.</summary>
    private bool IsAnswer(int length, string id, bool throwOnError)
    {
        var element = new XmlSlice(Unread[..length]);
        if (element.Is("iq"u8) && element.TryAttribute("id"u8, out var answered) && Ascii.Equals(answered, id) && element.TryAttribute("type"u8, out var type)
            && (type.SequenceEqual("result"u8) || type.SequenceEqual("error"u8)))
        {
            return !throwOnError || type.SequenceEqual("result"u8) ? true : throw new XmppException($"IQ failed: {element.ToString()}");
        }

        Consume(length);
        return false;
    }

    /// <summary>Consumes the bind result and returns the JID bound.</summary>
    private string BoundJid(int length)
    {
        var bound = new XmlSlice(Unread[..length]);
        var jid = bound.TryChild("bind"u8, out var bind) && bind.TryChild("jid"u8, out var text)
            ? XmlSlice.Decoded(text.Content)
            : throw new XmppException($"bind answered without a JID: {bound.ToString()}");
        Consume(length);
        return jid;
    }

    /// <summary>Consumes the element and returns whether it is this resource's available presence.</summary>
    private bool IsOwnPresence(int length)
    {
        var element = new XmlSlice(Unread[..length]);
        var own = element.Is("presence"u8) && !element.TryAttribute("type"u8, out _) && element.TryAttribute("from"u8, out var from)
                  && (Ascii.Equals(from, Jid) || XmlSlice.Decoded(from) == Jid);
        Consume(length);
        return own;
    }

    internal static string Escape(string value) =>
        value.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace("'", "&apos;", StringComparison.Ordinal);
}
