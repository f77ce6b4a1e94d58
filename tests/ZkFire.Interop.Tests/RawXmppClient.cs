using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using System.Xml.Linq;

namespace ZkFire.Interop.Tests;

/// <summary>How a stream ended after the peer reported a stream error.</summary>
/// <param name="Condition">The RFC 6120 §4.9.3 condition element's name, e.g. <c>not-well-formed</c>.</param>
/// <param name="ClosedStream">Whether <c>&lt;/stream:stream&gt;</c> followed the error.</param>
/// <param name="ClosedConnection">Whether the connection was closed (EOF or reset) afterwards.</param>
public sealed record StreamErrorOutcome(string Condition, string? Text, bool ClosedStream, bool ClosedConnection, string Received);

/// <summary>
/// A minimal hand-driven XMPP client for sending what no real client would: raw bytes at any point of the stream.
/// It speaks just enough to get there (stream open, STARTTLS, SASL PLAIN, bind) and reads the server's
/// stream as a sequence of top-level elements.
/// </summary>
public sealed class RawXmppClient : IAsyncDisposable
{
    public const string StreamsNs = "http://etherx.jabber.org/streams";
    public const string ClientNs = "jabber:client";
    public const string StreamErrorsNs = "urn:ietf:params:xml:ns:xmpp-streams";
    private const string TlsNs = "urn:ietf:params:xml:ns:xmpp-tls";
    private const string SaslNs = "urn:ietf:params:xml:ns:xmpp-sasl";
    private const string BindNs = "urn:ietf:params:xml:ns:xmpp-bind";
    public const string Sasl2Ns = "urn:xmpp:sasl:2";
    public const string Bind2Ns = "urn:xmpp:bind:0";

    public const string XmlDeclaration = "<?xml version='1.0'?>";

    public static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(10);

    private readonly TcpClient _tcp;
    private readonly string _domain;
    private readonly StreamReaderState _reader = new();
    private Stream _stream;

    private RawXmppClient(TcpClient tcp, string domain)
    {
        _tcp = tcp;
        _domain = domain;
        _stream = tcp.GetStream();
    }

    /// <summary>Everything received so far, for failure messages.</summary>
    public string Received => _reader.Transcript;

    /// <summary>The full JID bound by <see cref="BindAsync"/>.</summary>
    public string? BoundJid { get; private set; }

    public static async Task<RawXmppClient> ConnectAsync(string host, int port, string domain)
    {
        var tcp = new TcpClient { NoDelay = true };
        try
        {
            using var timeout = new CancellationTokenSource(StepTimeout);
            await tcp.ConnectAsync(host, port, timeout.Token);
            return new RawXmppClient(tcp, domain);
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    /// <summary>Connects and gets as far as <paramref name="stage"/>; a client at <see cref="Stage.Bound"/> has also sent initial presence.</summary>
    public static async Task<RawXmppClient> OpenAsync(ZkFireNode node, Stage stage, TestUser? user = null, string resource = "raw")
    {
        var client = await ConnectAsync(node.Host, node.C2sPort, node.Domain);
        try
        {
            if (stage >= Stage.StreamOpen)
            {
                await client.OpenStreamAsync();
            }

            if (stage >= Stage.Encrypted)
            {
                await client.StartTlsAsync();
            }

            if (stage >= Stage.Bound)
            {
                ArgumentNullException.ThrowIfNull(user);
                await client.AuthenticatePlainAsync(user.Username, user.Password);
                await client.BindAsync(resource);
                await client.SendAsync("<presence/>");
                // Initial presence is reflected to its sender (RFC 6121 §4.2.2): once seen, the session is fully online.
                await client.ReadUntilAsync(e => e.Name.LocalName == "presence" && (string?)e.Attribute("from") == client.BoundJid);
            }

            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    /// <summary>The stream header a client sends; the namespaces can be replaced to test the server's checks.</summary>
    public static string StreamHeader(string domain, string streamNs = StreamsNs, string contentNs = ClientNs, bool withDeclaration = true) =>
        (withDeclaration ? XmlDeclaration : string.Empty)
        + $"<stream:stream to='{domain}' xmlns='{contentNs}' xmlns:stream='{streamNs}' version='1.0'>";

    public async Task SendAsync(string xml)
    {
        using var timeout = new CancellationTokenSource(StepTimeout);
        await _stream.WriteAsync(Encoding.UTF8.GetBytes(xml), timeout.Token);
        await _stream.FlushAsync(timeout.Token);
    }

    /// <summary>Sends a stream header and returns the server's stream features.</summary>
    public async Task<XElement> OpenStreamAsync()
    {
        await SendAsync(StreamHeader(_domain));
        var header = await ReadElementAsync();
        Expect(header.Name == XName.Get("stream", StreamsNs), "a stream header", header);
        var features = await ReadElementAsync();
        Expect(features.Name == XName.Get("features", StreamsNs), "stream features", features);
        return features;
    }

    /// <summary>STARTTLS, the TLS handshake (any certificate: test nodes use self-signed ones), and a new stream.</summary>
    public async Task<XElement> StartTlsAsync()
    {
        await SendAsync($"<starttls xmlns='{TlsNs}'/>");
        var proceed = await ReadElementAsync();
        Expect(proceed.Name == XName.Get("proceed", TlsNs), "<proceed/>", proceed);
        if (_reader.HasBufferedData)
        {
            throw new InvalidOperationException($"The server sent data after <proceed/> and before the TLS handshake: {Received}");
        }

        var tls = new SslStream(_stream, leaveInnerStreamOpen: false);
        using var timeout = new CancellationTokenSource(StepTimeout);
        await tls.AuthenticateAsClientAsync(
            new SslClientAuthenticationOptions
            {
                TargetHost = _domain,
                // Self-signed test certificates fail chain validation; a certificate must still be presented.
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                    certificate is not null && !errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable),
            },
            timeout.Token);
        _stream = tls;
        _reader.Restart();
        return await OpenStreamAsync();
    }

    public async Task AuthenticatePlainAsync(string username, string password)
    {
        var credentials = PlainCredentials(username, password);
        await SendAsync($"<auth xmlns='{SaslNs}' mechanism='PLAIN'>{credentials}</auth>");
        var outcome = await ReadElementAsync();
        Expect(outcome.Name == XName.Get("success", SaslNs), "SASL <success/>", outcome);
        _reader.Restart();
        await OpenStreamAsync();
    }

    /// <summary>
    /// XEP-0388 <c>&lt;authenticate/&gt;</c> with PLAIN (an encrypted stream offers it), with a Bind 2 request
    /// (XEP-0386) when <paramref name="bindTag"/> is given; returns the server's answer (success or failure). On
    /// success <see cref="BoundJid"/> is the authorization identifier when it is a full JID.
    /// </summary>
    public async Task<XElement> AuthenticateSasl2PlainAsync(string username, string password, string? bindTag, string? userAgentId = null)
    {
        var credentials = PlainCredentials(username, password);
        var agent = userAgentId is null ? string.Empty : $"<user-agent id='{userAgentId}'><software>ZkFire tests</software></user-agent>";
        var bind = bindTag is null ? string.Empty : $"<bind xmlns='{Bind2Ns}'><tag>{bindTag}</tag></bind>";
        await SendAsync($"<authenticate xmlns='{Sasl2Ns}' mechanism='PLAIN'><initial-response>{credentials}</initial-response>{agent}{bind}</authenticate>");
        var outcome = await ReadElementAsync();
        if (outcome.Name == XName.Get("success", Sasl2Ns) && outcome.Element(XName.Get("bound", Bind2Ns)) is not null)
        {
            BoundJid = outcome.Element(XName.Get("authorization-identifier", Sasl2Ns))?.Value;
        }

        return outcome;
    }

    private static string PlainCredentials(string username, string password) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0{username}\0{password}"));

    public async Task<string> BindAsync(string resource)
    {
        await SendAsync($"<iq type='set' id='bind-1'><bind xmlns='{BindNs}'><resource>{resource}</resource></bind></iq>");
        var result = await ReadUntilAsync(e => e.Name.LocalName == "iq" && (string?)e.Attribute("id") == "bind-1");
        Expect((string?)result.Attribute("type") == "result", "a bind result", result);
        BoundJid = result.Descendants(XName.Get("jid", BindNs)).Single().Value;
        return BoundJid;
    }

    /// <summary>The next top-level element (a stream header is returned as an empty <c>stream:stream</c> element).</summary>
    public async Task<XElement> ReadElementAsync(TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? StepTimeout);
        while (true)
        {
            var next = _reader.Next();
            if (next is StreamItem.Element element)
            {
                return element.Value;
            }

            if (next is StreamItem.End)
            {
                throw new InvalidOperationException($"The server closed the stream. Received: {Received}");
            }

            try
            {
                if (!await FillAsync(deadline.Token))
                {
                    throw new InvalidOperationException($"The server closed the connection. Received: {Received}");
                }
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Nothing complete arrived within {(timeout ?? StepTimeout).TotalSeconds} s. Received: {Received}");
            }
        }
    }

    /// <summary>Skips elements until one matches (presence broadcasts, for example, can come first).</summary>
    public async Task<XElement> ReadUntilAsync(Func<XElement, bool> predicate, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? StepTimeout);
        while (true)
        {
            var remaining = deadline - DateTime.UtcNow;
            var element = await ReadElementAsync(remaining > TimeSpan.Zero ? remaining : TimeSpan.FromMilliseconds(1));
            if (predicate(element))
            {
                return element;
            }
        }
    }

    /// <summary>
    /// Reads until a stream error, then for the rest of the teardown: RFC 6120 §4.9.1.1 has the server send the
    /// error, close the stream and close the connection. A stream header before the error is accepted
    /// (§4.9.1.2: a server that fails a stream before sending its own header sends one first).
    /// </summary>
    public async Task<StreamErrorOutcome> ReadStreamErrorAsync(TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? StepTimeout);
        XElement? error = null;
        var closedStream = false;
        try
        {
            while (true)
            {
                var next = _reader.Next();
                if (next is StreamItem.Element { Value: var element })
                {
                    // Anything else (a header, stanzas already in flight to this session) is passed over.
                    if (element.Name == XName.Get("error", StreamsNs))
                    {
                        error ??= element;
                    }

                    continue;
                }

                if (next is StreamItem.End)
                {
                    closedStream = true;
                    continue;
                }

                if (!await FillAsync(deadline.Token))
                {
                    return Outcome(error, closedStream, closedConnection: true);
                }
            }
        }
        catch (OperationCanceledException)
        {
            return Outcome(error, closedStream, closedConnection: false);
        }
        catch (IOException)
        {
            // A reset counts as closed; whether the error got through before it is in the outcome.
            return Outcome(error, closedStream, closedConnection: true);
        }
    }

    /// <summary>Proves a session still works: <paramref name="sending"/> sends a chat that <paramref name="receiving"/> must get.</summary>
    public static async Task AssertMessageDeliveredAsync(RawXmppClient sending, RawXmppClient receiving)
    {
        var body = "still here " + Guid.NewGuid().ToString("N");
        await sending.SendAsync($"<message to='{receiving.BoundJid}' type='chat'><body>{body}</body></message>");
        var message = await receiving.ReadUntilAsync(e => e.Name.LocalName == "message" && e.Value.Contains(body, StringComparison.Ordinal));
        Assert.Equal(sending.BoundJid, (string?)message.Attribute("from"));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _stream.DisposeAsync();
        }
        catch (IOException)
        {
            // Closing a connection the server already dropped.
        }

        _tcp.Dispose();
    }

    private StreamErrorOutcome Outcome(XElement? error, bool closedStream, bool closedConnection)
    {
        var condition = error?.Elements().FirstOrDefault(e => e.Name.Namespace == StreamErrorsNs && e.Name.LocalName != "text");
        var text = error?.Element(XName.Get("text", StreamErrorsNs))?.Value;
        return new StreamErrorOutcome(condition?.Name.LocalName ?? "(no stream error)", text, closedStream, closedConnection, Received);
    }

    private async Task<bool> FillAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        var count = await _stream.ReadAsync(buffer, cancellationToken);
        if (count == 0)
        {
            return false;
        }

        _reader.Feed(buffer.AsSpan(0, count));
        return true;
    }

    private void Expect(bool condition, string expected, XElement actual)
    {
        if (!condition)
        {
            throw new InvalidOperationException($"Expected {expected} but got {actual}. Received: {Received}");
        }
    }

    public enum Stage
    {
        Connected,
        StreamOpen,
        Encrypted,
        Bound,
    }

    private abstract record StreamItem
    {
        public sealed record Element(XElement Value) : StreamItem;

        public sealed record End : StreamItem;
    }

    /// <summary>
    /// Cuts the server's byte stream into top-level items. Only a tokenizer for what a server sends (no CDATA,
    /// no comments: RFC 6120 §11.1 forbids both); each complete element is then parsed with the namespace
    /// declarations of the stream header in scope.
    /// </summary>
    private sealed class StreamReaderState
    {
        private readonly StringBuilder _pending = new();
        private readonly StringBuilder _transcript = new();
        private Decoder _decoder = Encoding.UTF8.GetDecoder();
        private string _scope = $"xmlns='{ClientNs}' xmlns:stream='{StreamsNs}'";

        public bool HasBufferedData => _pending.ToString().Trim().Length > 0;

        public string Transcript => _transcript.ToString();

        public void Feed(ReadOnlySpan<byte> bytes)
        {
            var chars = new char[_decoder.GetCharCount(bytes, flush: false)];
            _decoder.GetChars(bytes, chars, flush: false);
            _pending.Append(chars);
            _transcript.Append(chars);
        }

        /// <summary>After STARTTLS or SASL success the server starts a new stream.</summary>
        public void Restart()
        {
            _pending.Clear();
            _decoder = Encoding.UTF8.GetDecoder();
        }

        public StreamItem? Next()
        {
            var text = _pending.ToString();
            var start = 0;
            while (true)
            {
                while (start < text.Length && char.IsWhiteSpace(text[start]))
                {
                    start++;
                }

                if (start >= text.Length)
                {
                    Consume(start);
                    return null;
                }

                if (string.CompareOrdinal(text, start, "<?", 0, 2) == 0)
                {
                    var end = text.IndexOf("?>", start, StringComparison.Ordinal);
                    if (end < 0)
                    {
                        return null;
                    }

                    start = end + 2;
                    continue;
                }

                break;
            }

            if (string.CompareOrdinal(text, start, "</", 0, 2) == 0)
            {
                var close = text.IndexOf('>', start);
                if (close < 0)
                {
                    return null;
                }

                Consume(close + 1);
                return new StreamItem.End();
            }

            var tagEnd = TagEnd(text, start);
            if (tagEnd < 0)
            {
                return null;
            }

            var openTag = text[start..(tagEnd + 1)];
            if (IsStreamHeader(openTag))
            {
                // The header never closes; parse it as an empty element and keep its declarations for what follows.
                var header = XElement.Parse(openTag[..^1] + "/>");
                _scope = string.Join(' ', header.Attributes().Where(a => a.IsNamespaceDeclaration).Select(a => a.ToString()));
                Consume(tagEnd + 1);
                return new StreamItem.Element(header);
            }

            var elementEnd = ElementEnd(text, start);
            if (elementEnd < 0)
            {
                return null;
            }

            var wrapped = XElement.Parse($"<wrapper {_scope}>{text[start..elementEnd]}</wrapper>");
            Consume(elementEnd);
            return new StreamItem.Element(wrapped.Elements().Single());
        }

        private static bool IsStreamHeader(string openTag) =>
            !openTag.EndsWith("/>", StringComparison.Ordinal)
            && openTag.AsSpan(1).TrimStart().StartsWith("stream:stream", StringComparison.Ordinal);

        /// <summary>Index of the '>' closing the tag that starts at <paramref name="start"/>, or -1; quoted '>' are skipped.</summary>
        private static int TagEnd(string text, int start)
        {
            char? quote = null;
            for (var i = start + 1; i < text.Length; i++)
            {
                var c = text[i];
                if (quote is not null)
                {
                    if (c == quote)
                    {
                        quote = null;
                    }
                }
                else if (c is '"' or '\'')
                {
                    quote = c;
                }
                else if (c == '>')
                {
                    return i;
                }
            }

            return -1;
        }

        /// <summary>Index just past the element starting at <paramref name="start"/>, or -1 while it is incomplete.</summary>
        private static int ElementEnd(string text, int start)
        {
            var depth = 0;
            var i = start;
            while (i < text.Length)
            {
                var open = text.IndexOf('<', i);
                if (open < 0)
                {
                    return -1;
                }

                var close = TagEnd(text, open);
                if (close < 0)
                {
                    return -1;
                }

                if (text[open + 1] == '/')
                {
                    depth--;
                }
                else if (text[close - 1] != '/')
                {
                    depth++;
                }

                i = close + 1;
                if (depth == 0)
                {
                    return i;
                }
            }

            return -1;
        }

        private void Consume(int count) => _pending.Remove(0, count);
    }
}
