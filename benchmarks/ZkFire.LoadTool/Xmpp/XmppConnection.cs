using System.Buffers;
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
/// One client connection, negotiated with full XML parsing (the server's own <see cref="XmppStreamParser"/>): not
/// on any hot path. Once negotiated, a workload may read the raw bytes itself through <see cref="Unread"/>,
/// <see cref="Consume"/> and <see cref="FillAsync"/>; the two ways of reading must not be mixed afterwards.
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

    /// <summary>Null after <see cref="ReleaseIdleMemory"/> until data arrives again.</summary>
    private XmppStreamParser? parser = new(Limits);
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
        var socket = source is null
            ? new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true }
            : new Socket(source.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (source is not null)
            {
                socket.Bind(new IPEndPoint(source, 0));
            }

            await socket.ConnectAsync(endpoint, ct);
            return new XmppConnection(socket, domain, initialBuffer);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Registers the account in-band (XEP-0077) on this fresh connection; an account that already exists
    /// (<c>conflict</c>) counts as done. The connection is spent afterwards.
    /// </summary>
    public async Task RegisterAsync(string username, string password, TlsChoice tls, CancellationToken ct)
    {
        var features = await OpenStreamAsync(ct);
        if (NeedsTls(features, tls, SaslChoice.ScramSha1))
        {
            features = await StartTlsAsync(ct);
        }

        if (features.Child("register", "http://jabber.org/features/iq-register") is null)
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
    /// As the other overload, with SCRAM's salted password taken from <paramref name="scramCache"/> when it holds it
    /// for the salt and iteration count the server sends. Uses SASL2 with Bind 2 (XEP-0388/0386) when the server
    /// offers both and <see cref="XmppAccess.Sasl2"/> allows it, as modern clients do (the resource is then the
    /// server's, tagged <paramref name="resource"/>); otherwise RFC 6120: SASL, stream restart, bind, and the RFC 3921
    /// session when the server still requires it (advertised without <c>&lt;optional/&gt;</c>).
    /// </summary>
    public async Task LoginAsync(string username, XmppAccess access, string? resource, ScramCache? scramCache, CancellationToken ct)
    {
        var features = await OpenStreamAsync(ct);
        if (NeedsTls(features, access.Tls, access.Sasl))
        {
            features = await StartTlsAsync(ct);
        }

        var name = XmppAccess.SaslName(access.Sasl);
        if (access.Sasl2 && features.Child("authentication", Sasl2) is { } authentication && Offers(authentication, Sasl2, name)
            && authentication.Child("inline", Sasl2)?.Child("bind", Bind2) is not null)
        {
            await AuthenticateAsync(username, access, scramCache, Sasl2, $"<user-agent id='{Guid.NewGuid()}'><software>zkfire-load</software></user-agent><bind xmlns='{Bind2}'><tag>{Escape(resource ?? "zkfire-load")}</tag></bind>", ct);
            UsedSasl2 = true;
            return;
        }

        if (!Offers(features.Child("mechanisms", Sasl), Sasl, name))
        {
            throw new XmppException($"the server does not offer {name} here: {features}");
        }

        await AuthenticateAsync(username, access, scramCache, Sasl, extension: null, ct);
        Parser.Reset();
        features = await OpenStreamAsync(ct);
        var requested = resource is null ? string.Empty : $"<resource>{Escape(resource)}</resource>";
        var bound = await IqAsync("set", $"<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>{requested}</bind>", throwOnError: true, ct);
        Jid = bound.Child("bind", "urn:ietf:params:xml:ns:xmpp-bind")?.Child("jid", "urn:ietf:params:xml:ns:xmpp-bind")?.Text
              ?? throw new XmppException($"bind answered without a JID: {bound}");
        if (features.Child("session", "urn:ietf:params:xml:ns:xmpp-session") is { } session && session.Child("optional", "urn:ietf:params:xml:ns:xmpp-session") is null)
        {
            await IqAsync("set", "<session xmlns='urn:ietf:params:xml:ns:xmpp-session'/>", throwOnError: true, ct);
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
        await SendAsync("<presence/>"u8.ToArray(), ct);
        while (true)
        {
            var element = await ReadElementAsync(ct);
            if (element.Name == "presence" && element.GetAttribute("type") is null && element.GetAttribute("from") == Jid)
            {
                return;
            }
        }
    }

    /// <summary>Sends an IQ to the server and reads until its answer; other elements read meanwhile are dropped.</summary>
    public async Task<Element> IqAsync(string type, string payload, bool throwOnError, CancellationToken ct)
    {
        var id = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"zkl{++nextId}");
        await SendAsync($"<iq type='{type}' id='{id}'>{payload}</iq>", ct);
        while (true)
        {
            var element = await ReadElementAsync(ct);
            if (element.Name == "iq" && element.GetAttribute("id") == id && element.GetAttribute("type") is "result" or "error")
            {
                if (throwOnError && element.GetAttribute("type") == "error")
                {
                    throw new XmppException($"IQ failed: {element}");
                }

                return element;
            }
        }
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

    private async Task<Element> OpenStreamAsync(CancellationToken ct)
    {
        await SendAsync($"<?xml version='1.0'?><stream:stream to='{Escape(domain)}' version='1.0' xml:lang='en' xmlns='{Client}' xmlns:stream='http://etherx.jabber.org/streams'>", ct);
        var features = await ReadElementAsync(ct);
        return features.Name == "features" ? features : throw new XmppException($"expected stream features, got {features}");
    }

    private async Task<Element> StartTlsAsync(CancellationToken ct)
    {
        await SendAsync("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", ct);
        var proceed = await ReadElementAsync(ct);
        if (proceed.Name != "proceed")
        {
            throw new XmppException($"STARTTLS refused: {proceed}");
        }

        // Load runs target test servers with self-signed certificates: encryption is measured, identity is not checked.
#pragma warning disable CA5359
        var tls = new SslStream(stream, leaveInnerStreamOpen: false, (_, _, _, _) => true);
#pragma warning restore CA5359
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = domain }, ct);
        stream = tls;
        Encrypted = true;
        start = end = 0;
        Parser.Reset();
        return await OpenStreamAsync(ct);
    }

    private bool NeedsTls(Element features, TlsChoice tls, SaslChoice sasl)
    {
        var starttls = features.Child("starttls", "urn:ietf:params:xml:ns:xmpp-tls");
        if (Encrypted || starttls is null)
        {
            return false;
        }

        return tls == TlsChoice.StartTls || starttls.Child("required", "urn:ietf:params:xml:ns:xmpp-tls") is not null
               || !Offers(features.Child("mechanisms", Sasl), Sasl, XmppAccess.SaslName(sasl));
    }

    private static bool Offers(Element? mechanisms, string ns, string mechanism)
    {
        if (mechanisms is null)
        {
            return false;
        }

        foreach (var offered in mechanisms.Elements("mechanism", ns))
        {
            if (offered.Text == mechanism)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// One SASL exchange in the profile of <paramref name="ns"/>: RFC 6120 (<c>&lt;auth/&gt;</c>, data as text) or SASL2
    /// (<c>&lt;authenticate/&gt;</c> with <paramref name="extension"/> inside, data in child elements, and the
    /// authenticated stream's features right after the success, which sets <see cref="Jid"/> when a resource was bound).
    /// </summary>
    private async Task AuthenticateAsync(string username, XmppAccess access, ScramCache? scramCache, string ns, string? extension, CancellationToken ct)
    {
        var sasl2 = ns == Sasl2;
        var scram = access.Sasl == SaslChoice.Plain ? null : new ScramSha1Client(username, access.Password, scramCache);
        var first = Convert.ToBase64String(scram?.ClientFirst() ?? Encoding.UTF8.GetBytes($"\0{username}\0{access.Password}"));
        var mechanism = XmppAccess.SaslName(access.Sasl);
        await SendAsync(sasl2
            ? $"<authenticate xmlns='{ns}' mechanism='{mechanism}'><initial-response>{first}</initial-response>{extension}</authenticate>"
            : $"<auth xmlns='{ns}' mechanism='{mechanism}'>{first}</auth>", ct);
        var answer = await ReadElementAsync(ct);
        if (scram is not null && answer.Name == "challenge")
        {
            await SendAsync($"<response xmlns='{ns}'>{Convert.ToBase64String(scram.ClientFinal(Convert.FromBase64String(answer.Text)))}</response>", ct);
            answer = await ReadElementAsync(ct);
        }

        if (answer.Name != "success" || answer.Namespace != ns)
        {
            throw new XmppException($"authentication of {username} failed: {answer}");
        }

        var final = sasl2 ? answer.Child("additional-data", ns)?.Text ?? string.Empty : answer.Text;
        if (scram is not null && !scram.VerifyServerFinal(Convert.FromBase64String(final)))
        {
            throw new XmppException("the server's SCRAM signature does not match");
        }

        if (sasl2)
        {
            if (answer.Child("bound", Bind2) is not null)
            {
                Jid = answer.Child("authorization-identifier", ns)?.Text ?? throw new XmppException($"SASL2 success without an identifier: {answer}");
            }

            var features = await ReadElementAsync(ct);
            if (features.Name != "features")
            {
                throw new XmppException($"expected the authenticated stream's features, got {features}");
            }
        }
    }

    internal static string Escape(string value) =>
        value.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace("'", "&apos;", StringComparison.Ordinal);
}
