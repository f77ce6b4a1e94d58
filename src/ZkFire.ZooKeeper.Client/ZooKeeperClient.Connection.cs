using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using ZkFire.Jute;

namespace ZkFire.ZooKeeper.Client;

// The session's life on the wire, after Java's ClientCnxn.SendThread: one connection at a time; a dropped
// connection fails what was in flight with ConnectionLoss and the next host is tried, until the server says the
// session expired, refuses our credentials, or the client is disposed.
public sealed partial class ZooKeeperClient
{
    // ClientCnxn's SET_WATCHES_MAX_LENGTH: SetWatches is split into packets of about this many path characters.
    private const int SetWatchesMaxLength = 128 * 1024;

    // Java waits up to a second (at random) before each reconnect, so clients cut off together do not all come
    // back at once, and a second more after every host has failed in a row. Both pauses are capped at a tenth of
    // the session timeout here: after a read timeout (two thirds of it) a short session would otherwise expire
    // while the client is still pausing.
    private const int ReconnectJitterMs = 1000;
    private const int RoundFailedDelayMs = 1000;

    // Writes are flushed at least this often while many requests are queued.
    private const int FlushThreshold = 64 * 1024;

    private ClientState? _terminal;

    private async Task RunAsync()
    {
        var closeToken = _closeCts.Token;
        var firstAttempt = true;
        while (!_closing && _terminal is null)
        {
            Connection? connection = null;
            var established = false;
            var (host, roundFailed) = _hosts.Next();
            try
            {
                if (!firstAttempt)
                {
                    var cap = Math.Max(1, Volatile.Read(ref _negotiatedTimeoutMs) / 10);
                    var pause = Random.Shared.Next(Math.Min(ReconnectJitterMs, cap)) + (roundFailed ? Math.Min(RoundFailedDelayMs, cap) : 0);
                    await Task.Delay(pause, closeToken).ConfigureAwait(false);
                }

                firstAttempt = false;
                LogConnecting(_logger, host.Host, host.Port);
                ConnectResponse response;
                (connection, response) = await OpenAsync(host, closeToken).ConfigureAwait(false);
                established = OnConnectResponse(response, host);
                if (established)
                {
                    await RunConnectionAsync(connection, closeToken).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (!_closing)
            {
                LogConnectionLost(_logger, host.Host, host.Port, ex.Message);
            }
            catch (Exception)
            {
                // Closing: the server ends the connection after closeSession, or we cancelled it ourselves.
            }
            finally
            {
                connection?.Dispose();
                CleanUp(connection, established);
            }
        }

        if (_terminal is not null)
        {
            _ = Dispatcher.CompleteAsync();
        }
    }

    /// <summary>Opens a socket and performs the session handshake, all within the connect timeout.</summary>
    private async Task<(Connection, ConnectResponse)> OpenAsync((string Host, int Port) host, CancellationToken closeToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(closeToken);
        timeout.CancelAfter(Volatile.Read(ref _connectTimeoutMs));
        var addresses = await Dns.GetHostAddressesAsync(host.Host, timeout.Token).ConfigureAwait(false);
        if (addresses.Length == 0)
        {
            throw new SocketException((int)SocketError.HostNotFound);
        }

        var address = addresses[Random.Shared.Next(addresses.Length)];
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Connection? connection = null;
        try
        {
            await socket.ConnectAsync(new IPEndPoint(address, host.Port), timeout.Token).ConfigureAwait(false);
            connection = new Connection(socket);
            var request = new ConnectRequest(
                0, Volatile.Read(ref _lastZxid), (int)_options.SessionTimeout.TotalMilliseconds, _sessionId, _password,
                _options.CanBeReadOnly);
            JuteFrames.WriteFrame(connection.Output, request);
            await connection.Output.FlushAsync(timeout.Token).ConfigureAwait(false);
            var response = await ReadConnectResponseAsync(connection.Input, timeout.Token).ConfigureAwait(false);
            return (connection, response);
        }
        catch
        {
            if (connection is null)
            {
                socket.Dispose();
            }
            else
            {
                connection.Dispose();
            }

            throw;
        }
    }

    private async Task<ConnectResponse> ReadConnectResponseAsync(PipeReader input, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (TryReadConnectResponse(ref buffer, out var response))
            {
                input.AdvanceTo(buffer.Start);
                return response;
            }

            input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                throw new EndOfStreamException("The server closed the connection during the handshake.");
            }
        }
    }

    private bool TryReadConnectResponse(ref ReadOnlySequence<byte> buffer, out ConnectResponse response)
    {
        response = null!;
        if (!JuteFrames.TryReadFrame(ref buffer, _options.MaxBuffer, out var frame))
        {
            return false;
        }

        using var contiguous = JuteFrames.AsContiguous(frame);
        var reader = new JuteReader(contiguous.Span);
        response = ConnectResponse.Read(ref reader);
        return true;
    }

    /// <summary>Adopts the session the server granted; false when it says the session has expired.</summary>
    private bool OnConnectResponse(ConnectResponse response, (string Host, int Port) host)
    {
        if (response.Timeout <= 0)
        {
            LogSessionExpired(_logger, _sessionId);
            _terminal = ClientState.Expired;
            return false;
        }

        Volatile.Write(ref _negotiatedTimeoutMs, response.Timeout);
        Volatile.Write(ref _connectTimeoutMs, Math.Max(1, response.Timeout / _hosts.Count));
        _sessionId = response.SessionId;
        _password = response.Passwd;
        _hosts.OnConnected();
        var readOnly = response.ReadOnly == true;
        _state = readOnly ? ClientState.ConnectedReadOnly : ClientState.Connected;
        LogSessionEstablished(_logger, response.SessionId, host.Host, host.Port, response.Timeout, readOnly);
        _firstConnect.TrySetResult();
        return true;
    }

    /// <summary>Runs an established connection until it fails; returns only when the client stops wanting it.</summary>
    private async Task RunConnectionAsync(Connection connection, CancellationToken closeToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(closeToken);
        connection.LastReceive = connection.LastSend = Environment.TickCount64;

        // Credentials and watches go first, so every request after them runs as the same identity and no change
        // made while we were away goes unreported. The connected state is announced once the server has taken
        // the last watch batch: a watcher that sees SyncConnected can rely on its watches being armed again.
        var connected = _state == ClientState.ConnectedReadOnly ? KeeperState.ConnectedReadOnly : KeeperState.SyncConnected;
        var announced = false;
        foreach (var packet in PrimePackets(new AnnounceState(connected)))
        {
            announced |= packet.Op is OpCode.SetWatches or OpCode.SetWatches2;
            Write(connection, packet);
        }

        if (!announced)
        {
            PostState(connected);
        }

        await connection.Output.FlushAsync(stop.Token).ConfigureAwait(false);
        Task[] loops = [ReadLoopAsync(connection, stop.Token), WriteLoopAsync(connection, stop.Token), HeartbeatAsync(connection, stop.Token)];
        var first = await Task.WhenAny(loops).ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        connection.Abort();
        try
        {
            await Task.WhenAll(loops).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The first loop to end says why the connection ended; the others only saw it go.
        }

        await first.ConfigureAwait(false);
    }

    /// <summary>Auth packets, then SetWatches batches; the last batch carries <paramref name="lastBatchHook"/>.</summary>
    private IEnumerable<Packet> PrimePackets(WatchHook lastBatchHook)
    {
        AuthPacket[] credentials;
        lock (_authInfo)
        {
            credentials = [.. _authInfo];
        }

        foreach (var credential in credentials)
        {
            yield return new RequestPacket<AuthPacket, NoBody>(
                OpCode.Auth, credential, null, NoReply, specialXid: SpecialXid.Auth, awaited: false);
        }

        var batches = WatchBatches();
        for (var i = 0; i < batches.Count; i++)
        {
            yield return SetWatchesPacket(batches[i], i == batches.Count - 1 ? lastBatchHook : null);
        }
    }

    /// <summary>The client's watches by kind, cut into batches that each fit in one packet.</summary>
    private List<List<string>[]> WatchBatches()
    {
        var watches = Watches.Snapshot();
        var batches = new List<List<string>[]>();
        var batch = watches.Select(_ => new List<string>()).ToArray();
        var length = 0;
        for (var kind = 0; kind < watches.Length; kind++)
        {
            foreach (var path in watches[kind])
            {
                var serverPath = ToServerPath(path);
                batch[kind].Add(serverPath);
                length += serverPath.Length;
                if (length >= SetWatchesMaxLength)
                {
                    batches.Add(batch);
                    batch = watches.Select(_ => new List<string>()).ToArray();
                    length = 0;
                }
            }
        }

        if (length > 0)
        {
            batches.Add(batch);
        }

        return batches;
    }

    /// <summary>SetWatches2 only when persistent watches need it, so servers older than 3.6 keep working.</summary>
    private Packet SetWatchesPacket(List<string>[] batch, WatchHook? hook)
    {
        var zxid = Volatile.Read(ref _lastZxid);
        var (data, exist, child) = (batch[(int)WatchKind.Data], batch[(int)WatchKind.Exist], batch[(int)WatchKind.Child]);
        var (persistent, recursive) = (batch[(int)WatchKind.Persistent], batch[(int)WatchKind.PersistentRecursive]);
        return persistent.Count == 0 && recursive.Count == 0
            ? new RequestPacket<SetWatches, NoBody>(
                OpCode.SetWatches, new SetWatches(zxid, data, exist, child), null, NoReply, hook,
                specialXid: SpecialXid.SetWatches, awaited: false)
            : new RequestPacket<SetWatches2, NoBody>(
                OpCode.SetWatches2, new SetWatches2(zxid, data, exist, child, persistent, recursive), null, NoReply, hook,
                specialXid: SpecialXid.SetWatches, awaited: false);
    }

    private async Task ReadLoopAsync(Connection connection, CancellationToken cancellationToken)
    {
        var input = connection.Input;
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            connection.LastReceive = Environment.TickCount64;
            var buffer = result.Buffer;
            try
            {
                while (JuteFrames.TryReadFrame(ref buffer, _options.MaxBuffer, out var frame))
                {
                    HandleFrame(connection, frame);
                }
            }
            finally
            {
                input.AdvanceTo(buffer.Start, buffer.End);
            }

            if (result.IsCompleted)
            {
                throw new EndOfStreamException("The server closed the connection.");
            }
        }
    }

    private void HandleFrame(Connection connection, in ReadOnlySequence<byte> frame)
    {
        using var contiguous = JuteFrames.AsContiguous(frame);
        var reader = new JuteReader(contiguous.Span);
        var header = ReplyHeader.Read(ref reader);
        Packet? packet;
        switch (header.Xid)
        {
            case SpecialXid.Ping:
                return;
            case SpecialXid.Notification:
                var notification = WatcherEvent.Read(ref reader);
                var path = ToClientPath(notification.Path);
                Dispatcher.Post(
                    new WatchedEvent(notification.Type, notification.State, path),
                    Watches.Materialize(notification.Type, path));
                return;
            case SpecialXid.Auth:
                // Auth is answered as soon as the server reads it, ahead of earlier requests, so it has a queue of its own.
                lock (connection.Pending)
                {
                    connection.Auth.TryDequeue(out packet);
                }

                if (header.Err == ErrorCode.AuthFailed)
                {
                    _terminal = ClientState.AuthFailed;
                    packet?.Fail(this, ErrorCode.AuthFailed);
                    throw new KeeperException(ErrorCode.AuthFailed);
                }

                packet?.Complete(this, header.Err, ref reader);
                return;
        }

        lock (connection.Pending)
        {
            if (!connection.Pending.TryDequeue(out packet))
            {
                throw new InvalidDataException($"Reply with xid {header.Xid} while no request is outstanding.");
            }
        }

        // ZooKeeper answers each session's requests in order; anything else means we lost track of the stream.
        if (packet.Xid != header.Xid)
        {
            packet.Fail(this, ErrorCode.ConnectionLoss);
            throw new InvalidDataException($"Reply xid {header.Xid} out of order; expected {packet.Xid}.");
        }

        if (header.Zxid > 0)
        {
            Volatile.Write(ref _lastZxid, header.Zxid);
        }

        packet.Complete(this, header.Err, ref reader);
    }

    private async Task WriteLoopAsync(Connection connection, CancellationToken cancellationToken)
    {
        var queue = _outgoing.Reader;
        while (await queue.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (queue.TryRead(out var packet))
            {
                Write(connection, packet);
                if (connection.Output.UnflushedBytes >= FlushThreshold)
                {
                    await connection.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
                }
            }

            await connection.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
            connection.LastSend = Environment.TickCount64;
        }
    }

    /// <summary>
    /// Frames a packet into the connection's output. It is put where its reply will be looked for before a byte of
    /// it is written, so a failure at any point finds it there and fails it.
    /// </summary>
    private void Write(Connection connection, Packet packet)
    {
        switch (packet.SpecialXid)
        {
            case 0:
                // Only this (single) writer numbers packets. Like Java, wrap to 1: negative xids are reserved.
                _xid = _xid == int.MaxValue ? 1 : _xid + 1;
                packet.Xid = _xid;
                lock (connection.Pending)
                {
                    connection.Pending.Enqueue(packet);
                }

                break;
            case SpecialXid.Auth:
                packet.Xid = SpecialXid.Auth;
                lock (connection.Pending)
                {
                    connection.Auth.Enqueue(packet);
                }

                break;
            case SpecialXid.Ping:
                packet.Xid = SpecialXid.Ping;
                break;
            default:
                packet.Xid = packet.SpecialXid;
                lock (connection.Pending)
                {
                    connection.Pending.Enqueue(packet);
                }

                break;
        }

        var writer = new JuteWriter(connection.Output);
        var start = JuteFrames.BeginFrame(ref writer);
        new RequestHeader(packet.Xid, packet.Op).Write(ref writer);
        packet.WriteBody(ref writer);
        JuteFrames.EndFrame(ref writer, start);
        writer.Commit();
    }

    /// <summary>
    /// Pings when nothing was sent for a third of the session timeout, and gives the connection up when nothing
    /// was heard for two thirds of it (Java's readTimeout), so the session can still be saved on another server.
    /// </summary>
    private async Task HeartbeatAsync(Connection connection, CancellationToken cancellationToken)
    {
        var readTimeout = Volatile.Read(ref _negotiatedTimeoutMs) * 2 / 3;
        var pingInterval = readTimeout / 2;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Clamp(pingInterval / 8, 10, 500)));
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            var now = Environment.TickCount64;
            var silent = now - connection.LastReceive;
            if (silent > readTimeout)
            {
                throw new TimeoutException($"Nothing heard from the server for {silent} ms.");
            }

            if (now - connection.LastSend >= pingInterval)
            {
                connection.LastSend = now;
                _outgoing.Writer.TryWrite(PingPacket.Instance);
            }
        }
    }

    /// <summary>
    /// After a connection (or an attempt at one) ends: fails what can no longer be answered, in the order it was
    /// sent, then reports the state change, as Java's cleanAndNotifyState does.
    /// </summary>
    private void CleanUp(Connection? connection, bool established)
    {
        var terminal = _terminal;
        var err = terminal switch
        {
            ClientState.Expired => ErrorCode.SessionExpired,
            ClientState.AuthFailed => ErrorCode.AuthFailed,
            _ => ErrorCode.ConnectionLoss,
        };
        if (terminal is { } final)
        {
            // The state first, so a request that finds the queue closed reports why.
            _state = final;
            _outgoing.Writer.TryComplete();
        }

        var failed = new List<Packet>();
        if (connection is not null)
        {
            lock (connection.Pending)
            {
                failed.AddRange(connection.Pending);
                failed.AddRange(connection.Auth);
                connection.Pending.Clear();
                connection.Auth.Clear();
            }
        }

        while (_outgoing.Reader.TryRead(out var packet))
        {
            failed.Add(packet);
        }

        foreach (var packet in failed)
        {
            packet.Fail(this, err);
        }

        if (terminal is not null)
        {
            PostState(terminal == ClientState.Expired ? KeeperState.Expired : KeeperState.AuthFailed);
            _firstConnect.TrySetException(new KeeperException(err));
        }
        else if (established && !_closing)
        {
            _state = ClientState.Connecting;
            PostState(KeeperState.Disconnected);
        }
    }

    /// <summary>Announces the connected state when the reply it rides on arrives (not when the connection fails).</summary>
    private sealed class AnnounceState(KeeperState state) : WatchHook
    {
        public override ErrorCode Apply(ZooKeeperClient client, ErrorCode err)
        {
            if (err == ErrorCode.Ok)
            {
                client.PostState(state);
            }

            return err;
        }
    }

    private void PostState(KeeperState state) =>
        Dispatcher.Post(new WatchedEvent(EventType.None, state, null), Watches.Materialize(EventType.None, null));

    /// <summary>One TCP connection to a server and the requests sent on it that await their reply.</summary>
    private sealed class Connection : IDisposable
    {
        private readonly Socket _socket;
        private long _lastReceive;
        private long _lastSend;
        private int _disposed;

        public Connection(Socket socket)
        {
            _socket = socket;
            var stream = new NetworkStream(socket, ownsSocket: true);
            Input = PipeReader.Create(stream);
            Output = PipeWriter.Create(stream);
        }

        public PipeReader Input { get; }

        public PipeWriter Output { get; }

        /// <summary>Numbered requests and setWatches, in the order sent (and so answered). Also guards <see cref="Auth"/>.</summary>
        public Queue<Packet> Pending { get; } = new();

        public Queue<Packet> Auth { get; } = new();

        public long LastReceive
        {
            get => Volatile.Read(ref _lastReceive);
            set => Volatile.Write(ref _lastReceive, value);
        }

        public long LastSend
        {
            get => Volatile.Read(ref _lastSend);
            set => Volatile.Write(ref _lastSend, value);
        }

        /// <summary>Closes the socket, which makes outstanding reads and writes fail at once instead of flushing.</summary>
        public void Abort() => _socket.Dispose();

        /// <summary>Closes everything; call once no loop uses the pipes any more.</summary>
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }

            Abort();
            try
            {
                Input.Complete();
                Output.Complete();
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException)
            {
            }
        }
    }
}
