using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ZkFire.Jute;

namespace ZkFire.ZooKeeper.Client;

/// <summary>
/// A ZooKeeper session, kept alive across connections to the servers of the connect string, with the Java
/// client's semantics: requests are pipelined and answered in order; watches are one-shot (persistent ones
/// excepted) and are re-armed after a reconnect; a request in flight when a connection drops fails with
/// ConnectionLoss; once the session expires every call fails with SessionExpired.
/// </summary>
/// <remarks>
/// Watchers are <c>Func&lt;WatchedEvent, Task&gt;</c>. They are started one at a time on a dispatcher (never on
/// the socket's thread), in the order the server sent the events, and always before the task of any request
/// answered after the event completes. The dispatcher does not wait for the task a watcher returns, so a watcher
/// may await this client; one that must handle events strictly one after another should finish synchronously
/// (for instance by writing to a channel). Like Java's watchers, every registered watcher is also told of session
/// state changes (events of type None).
/// </remarks>
public sealed partial class ZooKeeperClient : IAsyncDisposable
{
    private static readonly ReplyParser<NoBody> NoReply = static (ZooKeeperClient _, ref JuteReader _) => default;

    private readonly ZooKeeperClientOptions _options;
    private readonly string? _chroot;
    private readonly HostProvider _hosts;
    private readonly ILogger _logger;
    private readonly Channel<Packet> _outgoing = Channel.CreateUnbounded<Packet>(new UnboundedChannelOptions { SingleReader = true });
    private readonly List<AuthPacket> _authInfo = [];
    private readonly CancellationTokenSource _closeCts = new();
    private readonly TaskCompletionSource _firstConnect = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _disposeLock = new();
    private Task _loop = Task.CompletedTask;
    private Task? _dispose;
    private volatile ClientState _state = ClientState.Connecting;
    private volatile bool _closing;
    private long _sessionId;
    private byte[] _password;
    private int _negotiatedTimeoutMs;
    private int _connectTimeoutMs;
    private long _lastZxid;
    private int _xid;

    private ZooKeeperClient(ZooKeeperClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.SessionTimeout, TimeSpan.Zero);
        var connectString = ConnectString.Parse(options.ConnectString);
        _options = options;
        _chroot = connectString.Chroot;
        _hosts = new HostProvider(connectString.Hosts);
        _logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger<ZooKeeperClient>();
        Dispatcher = new EventDispatcher(_logger);
        Watches = new WatchManager(options.DefaultWatcher);
        _sessionId = options.SessionId;
        _password = options.SessionPassword.IsEmpty ? new byte[16] : options.SessionPassword.ToArray();
        _negotiatedTimeoutMs = (int)options.SessionTimeout.TotalMilliseconds;
        _connectTimeoutMs = Math.Max(1, _negotiatedTimeoutMs / _hosts.Count);
    }

    public ClientState State => _state;

    public long SessionId => Interlocked.Read(ref _sessionId);

    /// <summary>With <see cref="SessionId"/>, lets another client resume this session.</summary>
    public ReadOnlyMemory<byte> SessionPassword => _password.ToArray();

    /// <summary>The timeout the server granted.</summary>
    public TimeSpan SessionTimeout => TimeSpan.FromMilliseconds(Volatile.Read(ref _negotiatedTimeoutMs));

    internal EventDispatcher Dispatcher { get; }

    internal WatchManager Watches { get; }

    /// <summary>
    /// Connects and establishes (or resumes) a session, trying the hosts in turn until one grants it or
    /// <paramref name="cancellationToken"/> gives up.
    /// </summary>
    /// <exception cref="KeeperException">SessionExpired when the session to resume is gone.</exception>
    public static async Task<ZooKeeperClient> ConnectAsync(ZooKeeperClientOptions options, CancellationToken cancellationToken = default)
    {
        var client = new ZooKeeperClient(options);
        client._loop = Task.Run(client.RunAsync, CancellationToken.None);
        try
        {
            await client._firstConnect.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            return client;
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Creates a znode and returns its path (with the sequence number of a sequential mode).</summary>
    /// <param name="ttl">Milliseconds; required by the TTL modes, refused by the others (the server needs
    /// zookeeper.extendedTypesEnabled).</param>
    public Task<string> CreateAsync(
        string path, byte[]? data, IReadOnlyList<Acl> acl, CreateMode mode, long ttl = -1, CancellationToken cancellationToken = default)
    {
        return PathOf(CreateCoreAsync(path, data, acl, mode, ttl, withStat: false, cancellationToken));

        static async Task<string> PathOf(Task<Create2Response> create) => (await create.ConfigureAwait(false)).Path;
    }

    /// <summary>Creates a znode and returns its path and its stat (create2).</summary>
    public Task<Create2Response> Create2Async(
        string path, byte[]? data, IReadOnlyList<Acl> acl, CreateMode mode, long ttl = -1, CancellationToken cancellationToken = default) =>
        CreateCoreAsync(path, data, acl, mode, ttl, withStat: true, cancellationToken);

    /// <param name="version">The expected version, or -1 for any.</param>
    public Task DeleteAsync(string path, int version = -1, CancellationToken cancellationToken = default) =>
        SubmitAsync(OpCode.Delete, new DeleteRequest(ServerPath(path), version), path, NoReply, cancellationToken);

    /// <summary>The node's stat, or null when it does not exist.</summary>
    /// <param name="watcher">Told when the node is created, changed or deleted; set even when the node is missing.</param>
    public Task<Stat?> ExistsAsync(string path, Func<WatchedEvent, Task>? watcher = null, CancellationToken cancellationToken = default) =>
        SubmitAsync(
            OpCode.Exists, new ExistsRequest(ServerPath(path), watcher is not null), path,
            static (ZooKeeperClient _, ref JuteReader r) => (Stat?)ExistsResponse.Read(ref r).Stat,
            cancellationToken, Watch(WatchKind.Exist, path, watcher), defaultOn: ErrorCode.NoNode);

    /// <param name="watcher">Told when the node changes or is deleted; not set when the node is missing.</param>
    public Task<GetDataResponse> GetDataAsync(string path, Func<WatchedEvent, Task>? watcher = null, CancellationToken cancellationToken = default) =>
        SubmitAsync(
            OpCode.GetData, new GetDataRequest(ServerPath(path), watcher is not null), path, Body<GetDataResponse>,
            cancellationToken, Watch(WatchKind.Data, path, watcher));

    /// <returns>The node's new stat.</returns>
    public Task<Stat> SetDataAsync(string path, byte[]? data, int version = -1, CancellationToken cancellationToken = default) =>
        SubmitAsync(
            OpCode.SetData, new SetDataRequest(ServerPath(path), data, version), path,
            static (ZooKeeperClient _, ref JuteReader r) => SetDataResponse.Read(ref r).Stat, cancellationToken);

    public Task<GetAclResponse> GetAclAsync(string path, CancellationToken cancellationToken = default) =>
        SubmitAsync(OpCode.GetAcl, new GetAclRequest(ServerPath(path)), path, Body<GetAclResponse>, cancellationToken);

    /// <returns>The node's new stat.</returns>
    public Task<Stat> SetAclAsync(string path, IReadOnlyList<Acl> acl, int version = -1, CancellationToken cancellationToken = default)
    {
        ThrowIfEmpty(acl, path);
        return SubmitAsync(
            OpCode.SetAcl, new SetAclRequest(ServerPath(path), acl, version), path,
            static (ZooKeeperClient _, ref JuteReader r) => SetAclResponse.Read(ref r).Stat, cancellationToken);
    }

    /// <summary>The names (not paths) of the node's children, in no particular order.</summary>
    /// <param name="watcher">Told when a child is created or deleted, or the node itself is deleted.</param>
    public Task<IReadOnlyList<string>> GetChildrenAsync(
        string path, Func<WatchedEvent, Task>? watcher = null, CancellationToken cancellationToken = default) =>
        SubmitAsync(
            OpCode.GetChildren, new GetChildrenRequest(ServerPath(path), watcher is not null), path,
            static (ZooKeeperClient _, ref JuteReader r) => GetChildrenResponse.Read(ref r).Children,
            cancellationToken, Watch(WatchKind.Child, path, watcher));

    /// <summary>The children's names and the node's stat (getChildren2).</summary>
    public Task<GetChildren2Response> GetChildren2Async(
        string path, Func<WatchedEvent, Task>? watcher = null, CancellationToken cancellationToken = default) =>
        SubmitAsync(
            OpCode.GetChildren2, new GetChildren2Request(ServerPath(path), watcher is not null), path, Body<GetChildren2Response>,
            cancellationToken, Watch(WatchKind.Child, path, watcher));

    /// <summary>The number of all descendants of the node.</summary>
    public Task<int> GetAllChildrenNumberAsync(string path, CancellationToken cancellationToken = default) =>
        SubmitAsync(
            OpCode.GetAllChildrenNumber, new GetAllChildrenNumberRequest(ServerPath(path)), path,
            static (ZooKeeperClient _, ref JuteReader r) => GetAllChildrenNumberResponse.Read(ref r).TotalNumber, cancellationToken);

    /// <summary>The paths of this session's ephemeral nodes that start with <paramref name="prefixPath"/>.</summary>
    public Task<IReadOnlyList<string>> GetEphemeralsAsync(string prefixPath = ZnodePath.Root, CancellationToken cancellationToken = default) =>
        SubmitAsync(
            OpCode.GetEphemerals, new GetEphemeralsRequest(ServerPath(prefixPath)), prefixPath,
            static (ZooKeeperClient c, ref JuteReader r) =>
                (IReadOnlyList<string>)[.. GetEphemeralsResponse.Read(ref r).Ephemerals.Select(c.ToClientPath)],
            cancellationToken);

    /// <summary>Waits until the server this client talks to has caught up with the leader; returns the path.</summary>
    public Task<string> SyncAsync(string path, CancellationToken cancellationToken = default) =>
        SubmitAsync(
            OpCode.Sync, new SyncRequest(ServerPath(path)), path,
            static (ZooKeeperClient c, ref JuteReader r) => c.ToClientPath(SyncResponse.Read(ref r).Path), cancellationToken);

    /// <summary>The identities this session is authenticated as.</summary>
    public Task<IReadOnlyList<ClientInfo>> WhoAmIAsync(CancellationToken cancellationToken = default) =>
        SubmitAsync(
            OpCode.WhoAmI, default(NoBody), null,
            static (ZooKeeperClient _, ref JuteReader r) => WhoAmIResponse.Read(ref r).ClientInfo, cancellationToken);

    /// <summary>
    /// Adds credentials to the session, and to every future connection of it. A scheme the server does not know
    /// ends the session's use for good: the server closes the connection and the client turns AuthFailed.
    /// </summary>
    public Task AddAuthAsync(string scheme, byte[] auth, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(scheme);
        ArgumentNullException.ThrowIfNull(auth);
        var credential = new AuthPacket(0, scheme, auth);
        lock (_authInfo)
        {
            _authInfo.Add(credential);
        }

        return Submit(
            new RequestPacket<AuthPacket, NoBody>(OpCode.Auth, credential, null, NoReply, specialXid: SpecialXid.Auth),
            cancellationToken);
    }

    /// <summary>The <c>digest</c> scheme: authenticates as <c>user</c> (see <see cref="DigestAuth"/>).</summary>
    public Task AddDigestAuthAsync(string user, string password, CancellationToken cancellationToken = default) =>
        AddAuthAsync(DigestAuth.Scheme, Encoding.UTF8.GetBytes($"{user}:{password}"), cancellationToken);

    /// <summary>
    /// Adds a persistent watch, which stays until removed; a recursive one also covers every descendant (but is
    /// never told NodeChildrenChanged).
    /// </summary>
    public Task AddWatchAsync(string path, Func<WatchedEvent, Task> watcher, AddWatchMode mode, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(watcher);
        var kind = mode == AddWatchMode.PersistentRecursive ? WatchKind.PersistentRecursive : WatchKind.Persistent;
        return SubmitAsync(
            OpCode.AddWatch, new AddWatchRequest(ServerPath(path), mode), path, NoReply, cancellationToken, Watch(kind, path, watcher));
    }

    /// <summary>
    /// Removes <paramref name="watcher"/> (or, when null, every watcher) of the given type from the path; each
    /// removed watcher is told DataWatchRemoved, ChildWatchRemoved or PersistentWatchRemoved. NoWatcher when
    /// there is none. With <paramref name="local"/> the watchers are removed here even if the server cannot be
    /// reached.
    /// </summary>
    public Task RemoveWatchesAsync(
        string path, Func<WatchedEvent, Task>? watcher, WatcherType type, bool local = false, CancellationToken cancellationToken = default)
    {
        var serverPath = ServerPath(path);
        var hook = new WatchDeregistration(path, watcher, type, local);

        // Removing one watcher only asks whether the server has such a watch: another watcher may still need it.
        return watcher is null
            ? SubmitAsync(OpCode.RemoveWatches, new RemoveWatchesRequest(serverPath, type), path, NoReply, cancellationToken, hook)
            : SubmitAsync(OpCode.CheckWatches, new CheckWatchesRequest(serverPath, type), path, NoReply, cancellationToken, hook);
    }

    /// <summary>Asks the server whether this session has a watch of the given type on the path (NoWatcher if not).</summary>
    public Task CheckWatchesAsync(string path, WatcherType type, CancellationToken cancellationToken = default) =>
        SubmitAsync(OpCode.CheckWatches, new CheckWatchesRequest(ServerPath(path), type), path, NoReply, cancellationToken);

    /// <summary>A builder for an atomic multi of create, delete, setData and check ops.</summary>
    public Transaction Transaction() => new(this);

    /// <summary>
    /// Applies write ops (built with <see cref="MultiOp"/>'s factories, client paths) atomically. When one fails,
    /// nothing is applied and a <see cref="KeeperException"/> carries its code and every op's result.
    /// </summary>
    public Task<IReadOnlyList<MultiResult>> MultiAsync(IEnumerable<MultiOp> ops, CancellationToken cancellationToken = default)
    {
        var (request, paths) = ToServerOps(ops, read: false);
        return ThrowOnFailure(SubmitAsync(OpCode.Multi, request, null, ParseMulti, cancellationToken), paths);

        static async Task<IReadOnlyList<MultiResult>> ThrowOnFailure(Task<IReadOnlyList<MultiResult>> multi, List<string> paths)
        {
            var results = await multi.ConfigureAwait(false);
            for (var i = 0; i < results.Count; i++)
            {
                if (results[i].Err != ErrorCode.Ok)
                {
                    throw new KeeperException(results[i].Err, i < paths.Count ? paths[i] : null, results);
                }
            }

            return results;
        }
    }

    /// <summary>Reads several nodes in one round trip (getData and getChildren ops); each op succeeds or fails alone.</summary>
    public Task<IReadOnlyList<MultiResult>> MultiReadAsync(IEnumerable<MultiOp> ops, CancellationToken cancellationToken = default)
    {
        var (request, _) = ToServerOps(ops, read: true);
        return SubmitAsync(OpCode.MultiRead, request, null, ParseMulti, cancellationToken);
    }

    /// <summary>
    /// Closes the session (its ephemerals go at once) and stops the client. Watchers are told Closed. Calls made
    /// afterwards fail with SessionExpired, as in the Java client.
    /// </summary>
    public ValueTask DisposeAsync()
    {
        lock (_disposeLock)
        {
            _dispose ??= CloseAsync();
        }

        return new ValueTask(_dispose);
    }

    internal string ToClientPath(string serverPath)
    {
        if (_chroot is null || !serverPath.StartsWith(_chroot, StringComparison.Ordinal))
        {
            return serverPath;
        }

        return serverPath.Length == _chroot.Length ? ZnodePath.Root
            : serverPath[_chroot.Length] == '/' ? serverPath[_chroot.Length..]
            : serverPath;
    }

    private static TResponse Body<TResponse>(ZooKeeperClient client, ref JuteReader reader)
        where TResponse : IJuteRecord<TResponse> => TResponse.Read(ref reader);

    private static WatchRegistration? Watch(WatchKind kind, string path, Func<WatchedEvent, Task>? watcher) =>
        watcher is null ? null : new WatchRegistration(kind, path, watcher);

    private static void ThrowIfEmpty(IReadOnlyList<Acl> acl, string path)
    {
        ArgumentNullException.ThrowIfNull(acl);
        if (acl.Count == 0)
        {
            // Java refuses an empty ACL before sending it, with the error the server would give.
            throw new KeeperException(ErrorCode.InvalidAcl, path);
        }
    }

    private static IReadOnlyList<MultiResult> ParseMulti(ZooKeeperClient client, ref JuteReader reader)
    {
        var results = MultiResponse.Read(ref reader).Results;
        return client._chroot is null ? results : [.. results.Select(result => result switch
        {
            MultiResult<CreateResponse> create => MultiResult.Create(client.ToClientPath(create.Body.Path)),
            MultiResult<Create2Response> create => MultiResult.Create2(client.ToClientPath(create.Body.Path), create.Body.Stat),
            _ => result,
        })];
    }

    private Task<Create2Response> CreateCoreAsync(
        string path, byte[]? data, IReadOnlyList<Acl> acl, CreateMode mode, long ttl, bool withStat, CancellationToken cancellationToken)
    {
        var serverPath = ServerPath(path, mode.IsSequential);
        ThrowIfEmpty(acl, path);
        ValidateTtl(mode, ttl);
        if (mode.IsTtl)
        {
            return SubmitAsync(
                OpCode.CreateTtl, new CreateTtlRequest(serverPath, data, acl, (int)mode, ttl), path, ParseCreate2, cancellationToken);
        }

        var op = mode.IsContainer ? OpCode.CreateContainer : withStat ? OpCode.Create2 : OpCode.Create;
        return SubmitAsync(
            op, new CreateRequest(serverPath, data, acl, (int)mode), path,
            op == OpCode.Create ? ParseCreate : (ReplyParser<Create2Response>)ParseCreate2,
            cancellationToken);

        static Create2Response ParseCreate(ZooKeeperClient client, ref JuteReader reader) =>
            new(client.ToClientPath(CreateResponse.Read(ref reader).Path), default);

        static Create2Response ParseCreate2(ZooKeeperClient client, ref JuteReader reader)
        {
            var response = Create2Response.Read(ref reader);
            return response with { Path = client.ToClientPath(response.Path) };
        }
    }

    /// <summary>Java's EphemeralType.validateTTL: TTL modes need 0 &lt; ttl ≤ 2^40-1, the others no ttl at all.</summary>
    private static void ValidateTtl(CreateMode mode, long ttl)
    {
        const long maxTtl = (1L << 40) - 1;
        if (mode.IsTtl ? ttl is <= 0 or > maxTtl : ttl >= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(ttl), ttl, $"Invalid TTL for create mode {mode}.");
        }
    }

    /// <summary>Validates a client path, as Java's PathUtils does before sending, and puts the chroot in front.</summary>
    private string ServerPath(string path, bool sequential = false)
    {
        ZnodePath.ThrowIfInvalid(path, sequential);
        return ToServerPath(path);
    }

    private string ToServerPath(string clientPath) =>
        _chroot is null ? clientPath : clientPath.Length == 1 ? _chroot : _chroot + clientPath;

    private (MultiRequest Request, List<string> Paths) ToServerOps(IEnumerable<MultiOp> ops, bool read)
    {
        ArgumentNullException.ThrowIfNull(ops);
        var mapped = new List<MultiOp>();
        var paths = new List<string>();
        foreach (var op in ops)
        {
            if (op.IsRead != read)
            {
                throw new ArgumentException(read ? "multiRead takes only read ops." : "multi takes only write ops.", nameof(ops));
            }

            var (path, serverOp) = ToServerOp(op);
            paths.Add(path);
            mapped.Add(serverOp);
        }

        return (new MultiRequest(mapped), paths);
    }

    private (string Path, MultiOp Op) ToServerOp(MultiOp op)
    {
        switch (op)
        {
            case MultiOp<CreateRequest> { Request: var create }:
                var serverCreate = create with { Path = ServerPath(create.Path, ((CreateMode)create.Flags).IsSequential) };
                ThrowIfEmpty(create.Acl, create.Path);
                return (create.Path, op.Type switch
                {
                    OpCode.Create2 => MultiOp.Create2(serverCreate),
                    OpCode.CreateContainer => MultiOp.CreateContainer(serverCreate),
                    _ => MultiOp.Create(serverCreate),
                });
            case MultiOp<CreateTtlRequest> { Request: var create }:
                ThrowIfEmpty(create.Acl, create.Path);
                ValidateTtl((CreateMode)create.Flags, create.Ttl);
                return (create.Path, MultiOp.CreateTtl(create with { Path = ServerPath(create.Path, ((CreateMode)create.Flags).IsSequential) }));
            case MultiOp<DeleteRequest> { Request: var delete }:
                return (delete.Path, MultiOp.Delete(delete with { Path = ServerPath(delete.Path) }));
            case MultiOp<SetDataRequest> { Request: var setData }:
                return (setData.Path, MultiOp.SetData(setData with { Path = ServerPath(setData.Path) }));
            case MultiOp<CheckVersionRequest> { Request: var check }:
                return (check.Path, MultiOp.Check(check with { Path = ServerPath(check.Path) }));
            case MultiOp<GetDataRequest> { Request: var getData }:
                return (getData.Path, MultiOp.GetData(getData with { Path = ServerPath(getData.Path), Watch = false }));
            case MultiOp<GetChildrenRequest> { Request: var getChildren }:
                return (getChildren.Path, MultiOp.GetChildren(getChildren with { Path = ServerPath(getChildren.Path), Watch = false }));
            default:
                throw new ArgumentException($"Op {op.Type} cannot be part of a multi.", nameof(op));
        }
    }

    private Task<TResult> SubmitAsync<TRequest, TResult>(
        OpCode op,
        TRequest request,
        string? clientPath,
        ReplyParser<TResult> parse,
        CancellationToken cancellationToken,
        WatchHook? hook = null,
        ErrorCode defaultOn = ErrorCode.Ok)
        where TRequest : IJuteRecord<TRequest> =>
        Submit(new RequestPacket<TRequest, TResult>(op, request, clientPath, parse, hook, defaultOn), cancellationToken);

    /// <summary>
    /// Queues a request for the connection. Like Java, a request made while the client is reconnecting waits for
    /// that attempt and fails with ConnectionLoss if it does not succeed; nothing is retried behind the caller's back.
    /// </summary>
    private Task<TResult> Submit<TRequest, TResult>(RequestPacket<TRequest, TResult> packet, CancellationToken cancellationToken)
        where TRequest : IJuteRecord<TRequest>
    {
        if (_closing || !_outgoing.Writer.TryWrite(packet))
        {
            // While closing, the outcome is a lost connection; once closed for good, Java's answer is SessionExpired.
            packet.Fail(this, _state switch
            {
                ClientState.AuthFailed => ErrorCode.AuthFailed,
                ClientState.Expired or ClientState.Closed => ErrorCode.SessionExpired,
                _ => ErrorCode.ConnectionLoss,
            });
        }

        return cancellationToken.CanBeCanceled ? packet.Task.WaitAsync(cancellationToken) : packet.Task;
    }

    private async Task CloseAsync()
    {
        if (_state is ClientState.Connected or ClientState.ConnectedReadOnly)
        {
            var close = new RequestPacket<NoBody, NoBody>(OpCode.CloseSession, default, null, NoReply);
            _outgoing.Writer.TryWrite(close);
            _closing = true;
            try
            {
                // Bounded like a read: a server that does not answer by then is not going to.
                await close.Task.WaitAsync(TimeSpan.FromMilliseconds(Volatile.Read(ref _negotiatedTimeoutMs) * 2 / 3))
                    .ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is KeeperException or TimeoutException)
            {
                LogCloseUnconfirmed(_logger, _sessionId, ex.Message);
            }
        }

        _closing = true;
        await _closeCts.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        if (_terminal is null)
        {
            _state = ClientState.Closed;
        }

        _outgoing.Writer.TryComplete();
        while (_outgoing.Reader.TryRead(out var packet))
        {
            packet.Fail(this, ErrorCode.ConnectionLoss);
        }

        if (_terminal is null)
        {
            LogClosed(_logger, _sessionId);
            PostState(KeeperState.Closed);
        }

        await Dispatcher.CompleteAsync().ConfigureAwait(false);
        _closeCts.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Connecting to {Host}:{Port}")]
    private static partial void LogConnecting(ILogger logger, string host, int port);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Session 0x{SessionId:x} established with {Host}:{Port}, timeout {Timeout} ms, read-only {ReadOnly}")]
    private static partial void LogSessionEstablished(ILogger logger, long sessionId, string host, int port, int timeout, bool readOnly);

    [LoggerMessage(Level = LogLevel.Information, Message = "Connection to {Host}:{Port} lost: {Reason}")]
    private static partial void LogConnectionLost(ILogger logger, string host, int port, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session 0x{SessionId:x} has expired")]
    private static partial void LogSessionExpired(ILogger logger, long sessionId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Closing session 0x{SessionId:x} was not confirmed: {Reason}")]
    private static partial void LogCloseUnconfirmed(ILogger logger, long sessionId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Session 0x{SessionId:x} closed")]
    private static partial void LogClosed(ILogger logger, long sessionId);
}
