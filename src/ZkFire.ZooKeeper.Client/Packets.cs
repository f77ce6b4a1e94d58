using ZkFire.Jute;

namespace ZkFire.ZooKeeper.Client;

/// <summary>Reads the body of a successful reply, turning server paths into client paths where it has any.</summary>
internal delegate TResult ReplyParser<TResult>(ZooKeeperClient client, ref JuteReader reader);

/// <summary>The body of requests and replies that have none (whoAmI, closeSession, delete's reply...).</summary>
internal readonly struct NoBody : IJuteRecord<NoBody>
{
    public static NoBody Read(ref JuteReader reader) => default;

    public void Write(ref JuteWriter writer)
    {
    }
}

/// <summary>
/// Watch bookkeeping tied to a request's outcome (Java's WatchRegistration/WatchDeregistration). Applied on the
/// reply path, in wire order with notifications, to the reply's error or to the failure that replaced it;
/// returns the error the caller sees.
/// </summary>
internal abstract class WatchHook
{
    public abstract ErrorCode Apply(ZooKeeperClient client, ErrorCode err);
}

/// <summary>
/// Registers a watcher once the server confirms the watch: on success, or for exists also on NoNode, which the
/// server keeps as a watch for the node's creation.
/// </summary>
internal sealed class WatchRegistration(WatchKind kind, string clientPath, Func<WatchedEvent, Task> watcher) : WatchHook
{
    public override ErrorCode Apply(ZooKeeperClient client, ErrorCode err)
    {
        WatchKind? registered = (kind, err) switch
        {
            (WatchKind.Exist, ErrorCode.Ok) => WatchKind.Data,
            (WatchKind.Exist, ErrorCode.NoNode) => WatchKind.Exist,
            (_, ErrorCode.Ok) => kind,
            _ => null,
        };
        if (registered is { } k)
        {
            client.Watches.Add(k, clientPath, watcher);
        }

        return err;
    }
}

/// <summary>Removes watchers after a removeWatches/checkWatches reply and tells each one it was removed.</summary>
internal sealed class WatchDeregistration(string clientPath, Func<WatchedEvent, Task>? watcher, WatcherType type, bool local)
    : WatchHook
{
    public override ErrorCode Apply(ZooKeeperClient client, ErrorCode err)
    {
        var (result, removed) = client.Watches.Remove(clientPath, watcher, type, local, err);
        var state = err is ErrorCode.ConnectionLoss or ErrorCode.SessionExpired ? KeeperState.Disconnected : KeeperState.SyncConnected;
        foreach (var (eventType, watchers) in removed)
        {
            client.Dispatcher.Post(new WatchedEvent(eventType, state, clientPath), watchers);
        }

        return result;
    }
}

/// <summary>
/// A request on its way through the client: queued, written with its xid, matched with its reply (or failed with
/// the connection), then completed on the dispatcher.
/// </summary>
internal abstract class Packet(OpCode op, int specialXid) : DispatchItem
{
    public OpCode Op => op;

    /// <summary>The reserved xid this packet travels with, or 0 for a numbered request.</summary>
    public int SpecialXid => specialXid;

    /// <summary>The xid it was sent with; its reply must carry the same.</summary>
    public int Xid { get; set; }

    public abstract void WriteBody(ref JuteWriter writer);

    /// <summary>Called on the reading side with the reply, before any later frame is looked at.</summary>
    public abstract void Complete(ZooKeeperClient client, ErrorCode err, ref JuteReader body);

    /// <summary>The reply will never come: the connection dropped, or the client is closed.</summary>
    public abstract void Fail(ZooKeeperClient client, ErrorCode err);
}

internal sealed class PingPacket() : Packet(OpCode.Ping, Jute.SpecialXid.Ping)
{
    public static PingPacket Instance { get; } = new();

    public override void WriteBody(ref JuteWriter writer)
    {
    }

    public override void Complete(ZooKeeperClient client, ErrorCode err, ref JuteReader body)
    {
    }

    public override void Fail(ZooKeeperClient client, ErrorCode err)
    {
    }

    public override void Run()
    {
    }
}

/// <summary>
/// The one request path every operation takes: a request record out, a parsed result or a
/// <see cref="KeeperException"/> back. Without a completion (auth and setWatches sent when a connection is
/// primed) nobody waits for the outcome.
/// </summary>
internal sealed class RequestPacket<TRequest, TResult> : Packet where TRequest : IJuteRecord<TRequest>
{
    private readonly TRequest _request;
    private readonly string? _clientPath;
    private readonly ReplyParser<TResult> _parse;
    private readonly WatchHook? _hook;
    private readonly ErrorCode _defaultOn;
    private readonly TaskCompletionSource<TResult>? _completion;
    private TResult? _result;
    private ErrorCode _err;

    /// <param name="defaultOn">An error that is an answer rather than a failure (NoNode for exists): it yields default.</param>
    public RequestPacket(
        OpCode op,
        TRequest request,
        string? clientPath,
        ReplyParser<TResult> parse,
        WatchHook? hook = null,
        ErrorCode defaultOn = ErrorCode.Ok,
        int specialXid = 0,
        bool awaited = true) : base(op, specialXid)
    {
        _request = request;
        _clientPath = clientPath;
        _parse = parse;
        _hook = hook;
        _defaultOn = defaultOn;
        _completion = awaited ? new TaskCompletionSource<TResult>(TaskCreationOptions.RunContinuationsAsynchronously) : null;
    }

    public Task<TResult> Task => _completion!.Task;

    public override void WriteBody(ref JuteWriter writer) => _request.Write(ref writer);

    public override void Complete(ZooKeeperClient client, ErrorCode err, ref JuteReader body)
    {
        if (_hook is not null)
        {
            err = _hook.Apply(client, err);
        }

        if (err == ErrorCode.Ok)
        {
            try
            {
                _result = _parse(client, ref body);
            }
            catch (JuteException)
            {
                // The connection is dropped for this; what the server did with the request is unknown.
                Finish(client, ErrorCode.MarshallingError);
                throw;
            }
        }

        Finish(client, err);
    }

    public override void Fail(ZooKeeperClient client, ErrorCode err) =>
        Finish(client, _hook is null ? err : _hook.Apply(client, err));

    public override void Run()
    {
        if (_err == ErrorCode.Ok)
        {
            _completion!.TrySetResult(_result!);
        }
        else
        {
            _completion!.TrySetException(new KeeperException(_err, _clientPath));
        }
    }

    private void Finish(ZooKeeperClient client, ErrorCode err)
    {
        if (err == _defaultOn)
        {
            err = ErrorCode.Ok;
        }

        _err = err;
        if (_completion is not null)
        {
            client.Dispatcher.Post(this);
        }
    }
}
