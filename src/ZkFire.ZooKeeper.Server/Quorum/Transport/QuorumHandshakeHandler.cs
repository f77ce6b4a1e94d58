using System.Net;
using DotNetty.Common.Concurrency;
using DotNetty.Transport.Channels;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using ZkFire.ZooKeeper.Server.Quorum.Messages;
using Role = ZkFire.ZooKeeper.Server.Quorum.Transport.QuorumAuthenticator.Role;

namespace ZkFire.ZooKeeper.Server.Quorum.Transport;

/// <summary>
/// The first handler of every quorum transport connection, on either side: runs the handshake (see quorum.proto's
/// Hello), then replaces itself with the handler <c>authenticated</c> makes for the proven peer. Nothing reaches
/// that handler before both sides have proven themselves; a connection that has not finished the handshake within
/// the timeout is closed.
/// </summary>
internal sealed class QuorumHandshakeHandler : QuorumFrameHandler
{
    private readonly QuorumAuthenticator authenticator;
    private readonly LinkPurpose purpose;
    private readonly long? target;
    private readonly TimeSpan timeout;
    private readonly int maxMessageSize;
    private readonly Func<IChannel, long, string, QuorumFrameHandler> authenticated;
    private readonly TaskCompletionSource<QuorumFrameHandler> completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IScheduledTask? timer;
    private State state;
    private long peerId;
    private byte[] connectingNonce = [];
    private byte[] acceptingNonce = [];

    /// <param name="target">The member this side connects to; null on the accepting side.</param>
    /// <param name="authenticated">Makes the handler that takes over once the peer (myid, name for logs) is proven.</param>
    public QuorumHandshakeHandler(
        QuorumAuthenticator authenticator,
        LinkPurpose purpose,
        long? target,
        TimeSpan timeout,
        int maxMessageSize,
        Func<IChannel, long, string, QuorumFrameHandler> authenticated,
        ILogger logger)
        : base(logger)
    {
        this.authenticator = authenticator;
        this.purpose = purpose;
        this.target = target;
        this.timeout = timeout;
        this.maxMessageSize = maxMessageSize;
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

    /// <summary>The handler that took over; fails with <see cref="IOException"/> if the handshake does not complete.</summary>
    public Task<QuorumFrameHandler> Authenticated => completion.Task;

    private bool Connecting => target is not null;

    public override void ChannelActive(IChannelHandlerContext context)
    {
        base.ChannelActive(context);
        timer = context.Executor.Schedule(
            () => Refuse(context, $"no {Describe(purpose)} handshake within {timeout.TotalSeconds:0.###} s"), timeout);
        if (Connecting)
        {
            Peer = $"member {target} at {Peer}";
            connectingNonce = authenticator.NewNonce();
            Send(context, new QuorumMessage
            {
                Hello = new Hello
                {
                    MyId = authenticator.MyId,
                    To = target!.Value,
                    Purpose = purpose,
                    Nonce = ByteString.CopyFrom(connectingNonce),
                    UsesSecret = authenticator.UsesSecret,
                },
            });
        }
        else if (!authenticator.UsesSecret && context.Channel.RemoteAddress is IPEndPoint remote && !authenticator.IsMemberAddress(remote.Address))
        {
            Refuse(context, "its address is not one of the configured members' (quorum.auth.secretFile is not set, so members are recognised by address)");
        }
    }

    public override void ChannelInactive(IChannelHandlerContext context)
    {
        timer?.Cancel();
        completion.TrySetException(new IOException($"The {Describe(purpose)} connection with {Peer} closed during the handshake."));
        base.ChannelInactive(context);
    }

    protected override void OnRefused(string reason)
    {
        timer?.Cancel();
        completion.TrySetException(new IOException($"The {Describe(purpose)} handshake with {Peer} failed: {reason}."));
    }

    protected override void OnMessage(IChannelHandlerContext context, QuorumMessage message, int size)
    {
        switch (state, message.BodyCase)
        {
            case (State.AwaitHello, QuorumMessage.BodyOneofCase.Hello):
                OnHello(context, message.Hello);
                break;
            case (State.AwaitChallenge, QuorumMessage.BodyOneofCase.Challenge):
                OnChallenge(context, message.Challenge);
                break;
            case (State.AwaitProof, QuorumMessage.BodyOneofCase.Proof):
                OnProof(context, message.Proof);
                break;
            default:
                Refuse(context, $"{message.BodyCase} where the handshake expects {state switch
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
        Peer = $"member {hello.MyId} at {Peer}";
        if (hello.Purpose != purpose)
        {
            Refuse(context, $"it asked for a {Describe(hello.Purpose)} link on the {Describe(purpose)} port; check its server.N entries");
        }
        else if (!authenticator.IsMember(hello.MyId))
        {
            Refuse(context, $"myid {hello.MyId} is not another member of this ensemble (members: {string.Join(", ", authenticator.MemberIds)})");
        }
        else if (hello.To != authenticator.MyId)
        {
            Refuse(context, $"it meant to reach member {hello.To}, but this is member {authenticator.MyId}; check its server.N entries");
        }
        else if (hello.UsesSecret != authenticator.UsesSecret)
        {
            Refuse(context, hello.UsesSecret
                ? "it proves itself with quorum.auth.secretFile, which this member does not have"
                : "it has no quorum.auth.secretFile, which this member requires");
        }
        else if (authenticator.UsesSecret && hello.Nonce.Length != QuorumAuthenticator.NonceLength)
        {
            Refuse(context, $"its nonce has {hello.Nonce.Length} bytes instead of {QuorumAuthenticator.NonceLength}");
        }
        else
        {
            peerId = hello.MyId;
            connectingNonce = hello.Nonce.ToByteArray();
            acceptingNonce = authenticator.NewNonce();
            Send(context, new QuorumMessage { Challenge = new Challenge { Nonce = ByteString.CopyFrom(acceptingNonce) } });
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
        peerId = target!.Value;
        if (!authenticator.UsesSecret)
        {
            Complete(context);
            return;
        }

        if (challenge.Nonce.Length != QuorumAuthenticator.NonceLength)
        {
            Refuse(context, $"its nonce has {challenge.Nonce.Length} bytes instead of {QuorumAuthenticator.NonceLength}");
            return;
        }

        acceptingNonce = challenge.Nonce.ToByteArray();
        var mac = authenticator.Prove(Role.Connecting, purpose, authenticator.MyId, peerId, connectingNonce, acceptingNonce);
        Send(context, new QuorumMessage { Proof = new Proof { Mac = ByteString.CopyFrom(mac) } });
        state = State.AwaitProof;
    }

    private void OnProof(IChannelHandlerContext context, Proof proof)
    {
        var (role, connecting, accepting) = Connecting
            ? (Role.Accepting, authenticator.MyId, peerId)
            : (Role.Connecting, peerId, authenticator.MyId);
        if (!authenticator.Verify(role, purpose, connecting, accepting, connectingNonce, acceptingNonce, proof.Mac.Span))
        {
            Refuse(context, "its proof does not match this member's quorum.auth.secretFile (a different secret, or an impostor)");
            return;
        }

        if (!Connecting)
        {
            var mac = authenticator.Prove(Role.Accepting, purpose, peerId, authenticator.MyId, connectingNonce, acceptingNonce);
            Send(context, new QuorumMessage { Proof = new Proof { Mac = ByteString.CopyFrom(mac) } });
        }

        Complete(context);
    }

    private void Complete(IChannelHandlerContext context)
    {
        state = State.Done;
        timer?.Cancel();
        var next = authenticated(context.Channel, peerId, Peer);
        context.Channel.Pipeline.Replace(this, "quorum", next);
        completion.TrySetResult(next);
    }

    private void Send(IChannelHandlerContext context, QuorumMessage message) =>
        context.WriteAndFlushAsync(QuorumFrameCodec.Encode(context.Allocator, message, maxMessageSize));

    private static string Describe(LinkPurpose purpose) => purpose switch
    {
        LinkPurpose.Election => "election",
        LinkPurpose.Quorum => "quorum",
        _ => "unspecified",
    };
}
