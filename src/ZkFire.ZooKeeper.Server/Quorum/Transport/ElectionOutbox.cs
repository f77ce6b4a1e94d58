using System.Threading.Channels;
using DotNetty.Transport.Channels;
using Microsoft.Extensions.Logging;
using ZkFire.Interconnect;
using ZkFire.ZooKeeper.Server.Quorum.Messages;

namespace ZkFire.ZooKeeper.Server.Quorum.Transport;

/// <summary>
/// Election notifications on their way to one member: a small queue that drops its oldest entry when full (a newer
/// notification supersedes it), and one outgoing connection, opened when there is something to send and reopened
/// after a failure no sooner than the reconnect delay.
/// </summary>
internal sealed partial class ElectionOutbox
{
    private readonly QuorumMember member;
    private readonly Func<QuorumMember, CancellationToken, Task<IChannel>> connect;
    private readonly ProtobufFrameCodec<QuorumMessage> codec;
    private readonly QuorumTransportOptions options;
    private readonly ILogger logger;
    private readonly CancellationToken stopping;
    private readonly Channel<Notification> queue;
    private readonly Lock gate = new();
    private Task? sending;

    /// <param name="connect">Opens and authenticates an election connection to the member.</param>
    public ElectionOutbox(
        QuorumMember member,
        Func<QuorumMember, CancellationToken, Task<IChannel>> connect,
        ProtobufFrameCodec<QuorumMessage> codec,
        QuorumTransportOptions options,
        ILogger logger,
        CancellationToken stopping)
    {
        this.member = member;
        this.connect = connect;
        this.codec = codec;
        this.options = options;
        this.logger = logger;
        this.stopping = stopping;
        queue = Channel.CreateBounded<Notification>(new BoundedChannelOptions(options.ElectionQueueCapacity)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        });
    }

    /// <summary>Completes when the sender has stopped (after the transport's stopping token fires).</summary>
    public Task Completion
    {
        get
        {
            lock (gate)
            {
                return sending ?? Task.CompletedTask;
            }
        }
    }

    /// <summary>Queues a notification; never blocks.</summary>
    public void Enqueue(Notification notification)
    {
        queue.Writer.TryWrite(notification);
        lock (gate)
        {
            // Started on the thread pool: connecting resolves the host name, which must not hold up the election.
            sending ??= Task.Run(SendLoopAsync, CancellationToken.None);
        }
    }

    private async Task SendLoopAsync()
    {
        IChannel? channel = null;
        var reachable = true;
        try
        {
            while (await queue.Reader.WaitToReadAsync(stopping))
            {
                if (channel is not { Active: true })
                {
                    try
                    {
                        channel = await connect(member, stopping);
                    }
                    catch (IOException ex)
                    {
                        // Members start one by one, so an unreachable one is news only when it was reachable before.
                        if (reachable)
                        {
                            LogUnreachable(logger, member.Id, ex.Message);
                        }
                        else
                        {
                            LogStillUnreachable(logger, member.Id, ex.Message);
                        }

                        reachable = false;
                        await Task.Delay(options.ElectionReconnectDelay, stopping);
                        continue;
                    }

                    reachable = true;
                }

                while (queue.Reader.TryRead(out var notification))
                {
                    var frame = codec.Encode(channel.Allocator, new QuorumMessage { Notification = notification });
                    _ = channel.WriteAsync(frame);
                }

                channel.Flush();
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        finally
        {
            if (channel is not null)
            {
                await channel.CloseAsync().WaitAsync(LinkEndpoint.CloseBound).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Quorum transport: cannot send election notifications to member {Member}: {Reason}")]
    private static partial void LogUnreachable(ILogger logger, long member, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Quorum transport: member {Member} is still unreachable: {Reason}")]
    private static partial void LogStillUnreachable(ILogger logger, long member, string reason);
}
