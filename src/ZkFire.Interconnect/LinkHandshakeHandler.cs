using System.Net;
using DotNetty.Common.Concurrency;
using DotNetty.Transport.Channels;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using ZkFire.Interconnect.Messages;

namespace ZkFire.Interconnect;

/// <summary>
/// The first handler of every link connection, on either side: runs the handshake (see link_handshake.proto), then
/// replaces itself with the handler <c>authenticated</c> makes for the proven peer. Nothing reaches that handler
/// before both sides have proven themselves; a connection that has not finished the handshake within the timeout is
/// closed.
/// </summary>
internal sealed class LinkHandshakeHandler : LinkFrameHandler<LinkHandshake>
{
    /// <summary>The longest id the handshake carries, in characters.</summary>
    public const int MaxIdLength = 256;

    private static readonly ProtobufFrameCodec<LinkHandshake> Codec = new(LinkHandshake.Parser, 4 * MaxIdLength);

    private readonly LinkAuthenticator authenticator;
    private readonly LinkEndpointOptions options;
    private readonly string? target;
    private readonly LinkAdmission? admission;
    private readonly Func<AuthenticatedPeer, IChannelHandler> authenticated;
    private readonly System.Threading.Tasks.TaskCompletionSource completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IScheduledTask? timer;
    private State state;
    private string peerId = "";
    private byte[] connectingNonce = [];
    private byte[] acceptingNonce = [];

    /// <param name="target">The peer this side connects to; null on the accepting side, which needs <paramref name="admission"/>.</param>
    /// <param name="authenticated">Makes the handler that takes over once the peer is proven.</param>
    public LinkHandshakeHandler(
        LinkAuthenticator authenticator,
        LinkEndpointOptions options,
        string purpose,
        string? target,
        LinkAdmission? admission,
        Func<AuthenticatedPeer, IChannelHandler> authenticated,
        ILogger logger)
        : base(Codec, purpose, logger)
    {
        this.authenticator = authenticator;
        this.options = options;
        this.target = target;
        this.admission = admission;
        this.authenticated = authenticated;
        state = target is null ? State.AwaitHello : State.AwaitChallenge;
    }

    private enum State
    {
        AwaitHello,
        AwaitChallenge,
        AwaitProof,
        Done,
    }

    /// <summary>Completes when the handler that took over is in place; fails with <see cref="IOException"/> if the handshake does not complete.</summary>
    public Task Authenticated => completion.Task;

    private bool Connecting => target is not null;

    private string Noun => options.PeerNoun;

    public override void ChannelActive(IChannelHandlerContext context)
    {
        base.ChannelActive(context);
        timer = context.Executor.Schedule(
            () => Refuse(context, $"no {Purpose} handshake within {options.HandshakeTimeout.TotalSeconds:0.###} s"), options.HandshakeTimeout);
        if (Connecting)
        {
            Peer = $"{Noun} {target} at {Peer}";
            connectingNonce = authenticator.NewNonce();
            Send(context, new LinkHandshake
            {
                Hello = new Hello
                {
                    From = authenticator.LocalId,
                    To = target!,
                    Purpose = Purpose,
                    Nonce = ByteString.CopyFrom(connectingNonce),
                    UsesSecret = authenticator.UsesSecret,
                },
            });
        }
    }

    public override void ChannelInactive(IChannelHandlerContext context)
    {
        timer?.Cancel();
        completion.TrySetException(new IOException($"The {Purpose} connection with {Peer} closed during the handshake."));
        base.ChannelInactive(context);
    }

    protected override void OnRefused(string reason)
    {
        timer?.Cancel();
        completion.TrySetException(new IOException($"The {Purpose} handshake with {Peer} failed: {reason}."));
    }

    protected override void OnMessage(IChannelHandlerContext context, LinkHandshake message, int size)
    {
        switch (state, message.StepCase)
        {
            case (State.AwaitHello, LinkHandshake.StepOneofCase.Hello):
                OnHello(context, message.Hello);
                break;
            case (State.AwaitChallenge, LinkHandshake.StepOneofCase.Challenge):
                OnChallenge(context, message.Challenge);
                break;
            case (State.AwaitProof, LinkHandshake.StepOneofCase.Proof):
                OnProof(context, message.Proof);
                break;
            default:
                Refuse(context, $"{message.StepCase} where the handshake expects {state switch
                {
                    State.AwaitHello => "Hello",
                    State.AwaitChallenge => "Challenge",
                    _ => "Proof",
                }}");
                break;
        }
    }

    private void OnHello(IChannelHandlerContext context, Hello hello)
    {
        if (hello.From.Length is 0 or > MaxIdLength)
        {
            Refuse(context, $"its id has {hello.From.Length} characters (1 to {MaxIdLength} allowed)");
            return;
        }

        Peer = $"{Noun} {hello.From} at {Peer}";
        var address = context.Channel.RemoteAddress is IPEndPoint remote ? LinkEndpoint.Normalize(remote.Address) : IPAddress.None;
        if (hello.Purpose != Purpose)
        {
            Refuse(context, $"it asked for a {hello.Purpose} link on the {Purpose} port; check its configuration");
        }
        else if (hello.From == authenticator.LocalId)
        {
            Refuse(context, $"it claims this {Noun}'s own id {hello.From}");
        }
        else if (admission!(hello.From, address) is { } refusal)
        {
            Refuse(context, refusal);
        }
        else if (hello.To != authenticator.LocalId)
        {
            Refuse(context, $"it meant to reach {Noun} {hello.To}, but this is {Noun} {authenticator.LocalId}; check its configuration");
        }
        else if (hello.UsesSecret != authenticator.UsesSecret)
        {
            Refuse(context, hello.UsesSecret
                ? $"it proves itself with {options.SecretSetting}, which this {Noun} does not have"
                : $"it has no {options.SecretSetting}, which this {Noun} requires");
        }
        else if (authenticator.UsesSecret && hello.Nonce.Length != LinkAuthenticator.NonceLength)
        {
            Refuse(context, $"its nonce has {hello.Nonce.Length} bytes instead of {LinkAuthenticator.NonceLength}");
        }
        else
        {
            peerId = hello.From;
            connectingNonce = hello.Nonce.ToByteArray();
            acceptingNonce = authenticator.NewNonce();
            Send(context, new LinkHandshake { Challenge = new Challenge { Nonce = ByteString.CopyFrom(acceptingNonce) } });
            if (authenticator.UsesSecret)
            {
                state = State.AwaitProof;
            }
            else
            {
                Complete(context);
            }
        }
    }

    private void OnChallenge(IChannelHandlerContext context, Challenge challenge)
    {
        peerId = target!;
        if (!authenticator.UsesSecret)
        {
            Complete(context);
            return;
        }

        if (challenge.Nonce.Length != LinkAuthenticator.NonceLength)
        {
            Refuse(context, $"its nonce has {challenge.Nonce.Length} bytes instead of {LinkAuthenticator.NonceLength}");
            return;
        }

        acceptingNonce = challenge.Nonce.ToByteArray();
        var mac = authenticator.Prove(LinkRole.Connecting, Purpose, authenticator.LocalId, peerId, connectingNonce, acceptingNonce);
        Send(context, new LinkHandshake { Proof = new Proof { Mac = ByteString.CopyFrom(mac) } });
        state = State.AwaitProof;
    }

    private void OnProof(IChannelHandlerContext context, Proof proof)
    {
        var (role, connecting, accepting) = Connecting
            ? (LinkRole.Accepting, authenticator.LocalId, peerId)
            : (LinkRole.Connecting, peerId, authenticator.LocalId);
        if (!authenticator.Verify(role, Purpose, connecting, accepting, connectingNonce, acceptingNonce, proof.Mac.Span))
        {
            Refuse(context, $"its proof does not match this {Noun}'s {options.SecretSetting} (a different secret, or an impostor)");
            return;
        }

        if (!Connecting)
        {
            var mac = authenticator.Prove(LinkRole.Accepting, Purpose, peerId, authenticator.LocalId, connectingNonce, acceptingNonce);
            Send(context, new LinkHandshake { Proof = new Proof { Mac = ByteString.CopyFrom(mac) } });
        }

        Complete(context);
    }

    private void Complete(IChannelHandlerContext context)
    {
        state = State.Done;
        timer?.Cancel();
        LinkLog.Authenticated(Logger, Purpose, Peer);
        var next = authenticated(new AuthenticatedPeer(context.Channel, peerId, Peer, Purpose));
        context.Channel.Pipeline.Replace(this, "link", next);
        completion.TrySetResult();
    }

    private static void Send(IChannelHandlerContext context, LinkHandshake message) =>
        context.WriteAndFlushAsync(Codec.Encode(context.Allocator, message));
}
