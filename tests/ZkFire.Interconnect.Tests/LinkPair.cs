using System.Net;
using System.Text;
using System.Threading.Channels;
using Xunit.Abstractions;
using ZkFire.Interconnect.Tests.Messages;

namespace ZkFire.Interconnect.Tests;

/// <summary>
/// Two sides of the tests' links: "b" listens on a loopback port for purpose "test" and admits "a" (and whatever else
/// the test adds); "a" connects. Both are disposed with the pair.
/// </summary>
internal sealed class LinkPair : IAsyncDisposable
{
    public const string Purpose = "test";

    public static readonly byte[] Secret = Encoding.UTF8.GetBytes("the links' shared secret, 0123456");

    private readonly ITestOutputHelper output;
    private readonly ProtobufFrameCodec<TestMessage> codec;
    private readonly List<LinkEndpoint> endpoints = [];

    private LinkPair(ITestOutputHelper output, LinkEndpointOptions options)
    {
        this.output = output;
        Options = options;
        codec = new ProtobufFrameCodec<TestMessage>(TestMessage.Parser, options.MaxMessageSize);
    }

    public LinkEndpointOptions Options { get; }

    public LinkEndpoint Accepting { get; private set; } = null!;

    public int Port { get; private set; }

    /// <summary>Links "b" accepted.</summary>
    public Channel<AuthenticatedLink<TestMessage>> Accepted { get; } = Channel.CreateUnbounded<AuthenticatedLink<TestMessage>>();

    /// <summary>Ids "b" admits.</summary>
    public HashSet<string> Admitted { get; } = ["a"];

    public static async Task<LinkPair> StartAsync(ITestOutputHelper output, Func<LinkEndpointOptions, LinkEndpointOptions>? configure = null)
    {
        var options = new LinkEndpointOptions
        {
            LocalId = "b",
            Secret = Secret,
            MaxMessageSize = 64 * 1024,
            HandshakeTimeout = TimeSpan.FromSeconds(2),
            ConnectTimeout = TimeSpan.FromSeconds(2),
        };
        var pair = new LinkPair(output, configure?.Invoke(options) ?? options);
        pair.Accepting = pair.Endpoint(pair.Options);
        pair.Port = (await pair.Accepting.ListenAsync(IPAddress.Loopback, 0, Purpose, pair.Admit, peer =>
        {
            var link = pair.Link(peer, pair.Options, "b");
            pair.Accepted.Writer.TryWrite(link);
            return link.Handler;
        })).Port;
        return pair;
    }

    /// <summary>A link from <paramref name="id"/> (by default "a", with the pair's settings) to "b".</summary>
    public async Task<AuthenticatedLink<TestMessage>> ConnectAsync(string id = "a", byte[]? secret = null, bool useSecret = true, string purpose = Purpose, int? port = null)
    {
        var options = Options with { LocalId = id, Secret = useSecret ? secret ?? Options.Secret : null };
        AuthenticatedLink<TestMessage>? link = null;
        using var timeout = new CancellationTokenSource(RawLinkPeer.Patience);
        await Endpoint(options).ConnectAsync("b", "127.0.0.1", port ?? Port, purpose, peer => (link = Link(peer, options, id)).Handler, timeout.Token);
        return link!;
    }

    public async Task<AuthenticatedLink<TestMessage>> NextAcceptedAsync()
    {
        using var timeout = new CancellationTokenSource(RawLinkPeer.Patience);
        return await Accepted.Reader.ReadAsync(timeout.Token);
    }

    public LinkEndpoint Endpoint(LinkEndpointOptions options)
    {
        var endpoint = new LinkEndpoint(options, new TestOutputLogger(output, options.LocalId));
        endpoints.Add(endpoint);
        return endpoint;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var endpoint in endpoints)
        {
            await endpoint.DisposeAsync();
        }
    }

    private AuthenticatedLink<TestMessage> Link(AuthenticatedPeer peer, LinkEndpointOptions options, string side) =>
        new(peer, codec, options, new TestOutputLogger(output, side),
            message => message.BodyCase == TestMessage.BodyOneofCase.None ? "an empty test message" : null);

    private string? Admit(string peerId, IPAddress address) => Admitted.Contains(peerId) ? null : $"{peerId} is not admitted";
}
