using Microsoft.Extensions.Logging;
using ZkFire.Jute;
using ZkFire.ZooKeeper.Server.Auth;
using ZkFire.ZooKeeper.Server.Data;

namespace ZkFire.ZooKeeper.Server.Processing;

/// <summary>Requests after the connect: one generic path for writes, one for reads, chosen by opcode.</summary>
internal sealed partial class RequestProcessor
{
    private void Packet(PacketWork packet)
    {
        if (packet.Channel.SessionId == 0)
        {
            // ZooKeeper reads nothing from a connection until its session is established.
            return;
        }

        if (Leader is not null && Follow(packet))
        {
            return;
        }

        Dispatch(packet);
    }

    private void Dispatch(PacketWork packet)
    {
        var (channel, header, body, _) = packet;
        var caller = new Caller(channel.SessionId, channel.AuthIds);
        switch (header.Type)
        {
            case OpCode.Create or OpCode.Create2 or OpCode.CreateContainer:
                WriteRequest(packet, h =>
                {
                    var r = Decode<CreateRequest>(body);
                    return preparer.Create(header.Type, r.Path, r.Data, r.Acl, r.Flags, -1, caller, h);
                });
                break;
            case OpCode.CreateTtl:
                WriteRequest(packet, h =>
                {
                    var r = Decode<CreateTtlRequest>(body);
                    return preparer.Create(header.Type, r.Path, r.Data, r.Acl, r.Flags, r.Ttl, caller, h);
                });
                break;
            case OpCode.Delete:
                WriteRequest(packet, h => preparer.Delete(Decode<DeleteRequest>(body), caller, h));
                break;
            case OpCode.DeleteContainer:
                // ZooKeeper reads a client's deleteContainer path from the whole packet, header included, which
                // always holds a NUL: the request can only fail, with BadArguments.
                WriteRequest(packet, _ => throw new KeeperException(ErrorCode.BadArguments));
                break;
            case OpCode.SetData:
                WriteRequest(packet, h => preparer.SetData(Decode<SetDataRequest>(body), caller, h));
                break;
            case OpCode.SetAcl:
                WriteRequest(packet, _ => preparer.SetAcl(Decode<SetAclRequest>(body), caller));
                break;
            case OpCode.Check:
                WriteRequest(packet, _ => preparer.Check(Decode<CheckVersionRequest>(body), caller));
                break;
            case OpCode.Multi:
                WriteRequest(packet, h => preparer.Multi(DecodeMulti(body, read: false), caller, h));
                break;
            case OpCode.Reconfig:
                // Dynamic reconfiguration is off (reconfigEnabled=false), as in a default ZooKeeper.
                WriteRequest(packet, _ => throw new KeeperException(ErrorCode.ReconfigDisabled));
                break;
            case OpCode.CloseSession:
                CloseSession(packet);
                break;
            case OpCode.Auth:
                Authenticate(packet);
                break;
            case OpCode.Ping:
                ReadRequest<NoBody, NoBody>(packet, static (_, _) => default);
                break;
            case OpCode.Exists:
                ReadRequest<ExistsRequest, ExistsResponse>(packet, Exists);
                break;
            case OpCode.GetData:
                ReadRequest<GetDataRequest, GetDataResponse>(packet, GetData);
                break;
            case OpCode.GetChildren:
                ReadRequest<GetChildrenRequest, GetChildrenResponse>(packet, (r, c) => new GetChildrenResponse(Children(r.Path, r.Watch, c).Children));
                break;
            case OpCode.GetChildren2:
                ReadRequest<GetChildren2Request, GetChildren2Response>(packet, (r, c) =>
                {
                    var (children, stat) = Children(r.Path, r.Watch, c);
                    return new GetChildren2Response(children, stat);
                });
                break;
            case OpCode.GetAllChildrenNumber:
                ReadRequest<GetAllChildrenNumberRequest, GetAllChildrenNumberResponse>(packet, AllChildrenNumber);
                break;
            case OpCode.GetAcl:
                ReadRequest<GetAclRequest, GetAclResponse>(packet, GetAcl);
                break;
            case OpCode.GetEphemerals:
                ReadRequest<GetEphemeralsRequest, GetEphemeralsResponse>(packet, GetEphemerals);
                break;
            case OpCode.MultiRead:
                ReadRequest<NoBody, MultiResponse>(packet, (_, c) => MultiRead(DecodeMulti(body, read: true), c));
                break;
            case OpCode.WhoAmI:
                ReadRequest<NoBody, WhoAmIResponse>(packet, static (_, c) =>
                    new WhoAmIResponse([.. c.AuthIds.Select(id => new ClientInfo(id.Scheme, AuthProviders.UserName(id)))]));
                break;
            case OpCode.Sync:
                ReadRequest<SyncRequest, SyncResponse>(packet, static (r, _) => new SyncResponse(r.Path));
                break;
            case OpCode.SetWatches:
                ReadRequest<SetWatches, NoBody>(packet, (r, c) =>
                    SetWatches(r.RelativeZxid, r.DataWatches, r.ExistWatches, r.ChildWatches, [], [], c));
                break;
            case OpCode.SetWatches2:
                ReadRequest<SetWatches2, NoBody>(packet, (r, c) =>
                    SetWatches(r.RelativeZxid, r.DataWatches, r.ExistWatches, r.ChildWatches, r.PersistentWatches, r.PersistentRecursiveWatches, c));
                break;
            case OpCode.CheckWatches:
                ReadRequest<CheckWatchesRequest, NoBody>(packet, (r, c) =>
                    tree.Watches.HasAny(r.Path, CheckedType(r.Type)) ? default : throw new KeeperException(ErrorCode.NoWatcher));
                break;
            case OpCode.RemoveWatches:
                ReadRequest<RemoveWatchesRequest, NoBody>(packet, (r, c) =>
                    tree.Watches.Remove(r.Path, c, CheckedType(r.Type), notifications) ? default : throw new KeeperException(ErrorCode.NoWatcher));
                break;
            case OpCode.AddWatch:
                ReadRequest<AddWatchRequest, ErrorResponse>(packet, AddWatch);
                break;
            default:
                // UnimplementedRequestProcessor: answer, then close (SASL and unknown opcodes end up here).
                LogUnknownOpcode(logger, (int)header.Type, channel.RemoteAddress);
                Send(channel, Frames.Reply(new ReplyHeader(header.Xid, -1, ErrorCode.Unimplemented)), close: true);
                break;
        }
    }

    /// <summary>A write: a transaction (an ErrorTxn when it fails), then events, then the reply.</summary>
    private void WriteRequest(PacketWork packet, Func<TxnHeader, PreparedTxn> prepare)
    {
        var header = packet.Header;
        var (result, err, type) = Write(packet.Channel.SessionId, header.Xid, header.Type, prepare);
        ReplyToWrite(packet, result, err, type);
    }

    /// <summary>The reply to a write whose transaction was applied (here, or on a follower once it was committed).</summary>
    private void ReplyToWrite(PacketWork packet, TxnResult result, ErrorCode err, OpCode type)
    {
        var header = packet.Header;
        var reply = new ReplyHeader(header.Xid, tree.LastProcessedZxid, err);
        var frame = type switch
        {
            // A failed multi is still answered with Ok and a result per op; only a multi that could not be
            // decoded (a plain ErrorTxn) fails as a whole.
            OpCode.Multi => Frames.Reply(reply with { Err = ErrorCode.Ok }, new MultiResponse([.. (result.MultiResults ?? []).Select(MultiResultOf)])),
            _ when err != ErrorCode.Ok => Frames.Reply(reply),
            OpCode.Create => Frames.Reply(reply, new CreateResponse(result.Path!)),
            OpCode.Create2 or OpCode.CreateTtl or OpCode.CreateContainer => Frames.Reply(reply, new Create2Response(result.Path!, result.Stat ?? default)),
            OpCode.SetData or OpCode.Check => Frames.Reply(reply, new SetDataResponse(result.Stat ?? default)),
            OpCode.SetAcl => Frames.Reply(reply, new SetAclResponse(result.Stat ?? default)),
            _ => Frames.Reply(reply),
        };
        if (err == ErrorCode.Ok && result.Path is { } path)
        {
            stats.RecordWrite(path, 0);
        }

        Reply(packet, frame, reply.Zxid);
    }

    /// <summary>
    /// A read: the session check ZooKeeper's prep stage does, the handler, then any events the handler produced
    /// (setWatches, removeWatches), then the reply. A body that does not decode is a MarshallingError, as is any
    /// unexpected failure of the handler (ZooKeeper's FinalRequestProcessor catches them so).
    /// </summary>
    private void ReadRequest<TRequest, TResponse>(PacketWork packet, Func<TRequest, IClientChannel, TResponse> handle)
        where TRequest : IJuteRecord<TRequest>
        where TResponse : IJuteRecord<TResponse>
    {
        var (channel, header, body, _) = packet;
        byte[] frame;
        try
        {
            preparer.CheckSession(channel.SessionId);
            var response = handle(Decode<TRequest>(body), channel);
            frame = Frames.Reply(new ReplyHeader(header.Xid, tree.LastProcessedZxid, ErrorCode.Ok), response);
        }
        catch (KeeperException ex)
        {
            frame = Frames.Reply(new ReplyHeader(header.Xid, tree.LastProcessedZxid, ex.Code));
        }
        catch (JuteException)
        {
            frame = Frames.Reply(new ReplyHeader(header.Xid, tree.LastProcessedZxid, ErrorCode.MarshallingError));
        }
        catch (Exception ex)
        {
            LogReadFailed(logger, ex, header.Type);
            frame = Frames.Reply(new ReplyHeader(header.Xid, tree.LastProcessedZxid, ErrorCode.MarshallingError));
        }

        SendNotifications();
        Reply(packet, frame, tree.LastProcessedZxid);
    }

    private void Reply(PacketWork packet, byte[] frame, long zxid)
    {
        var latency = (long)time.GetElapsedTime(packet.ReceivedAt).TotalMilliseconds;
        stats.RecordLatency(latency);
        packet.Channel.RecordReply(packet.Header.Xid, zxid, packet.Header.Type, latency);
        Send(packet.Channel, frame);
    }

    /// <summary>The client ends its session: its ephemerals go at once, it gets its reply, and its connection closes.</summary>
    private void CloseSession(PacketWork packet)
    {
        var (channel, header, _, _) = packet;
        var sessionId = channel.SessionId;
        var err = Write(sessionId, header.Xid, OpCode.CloseSession, _ => preparer.CloseSession(sessionId)).Err;
        sessions.Remove(sessionId);
        owners.Remove(sessionId);
        Reply(packet, Frames.Reply(new ReplyHeader(header.Xid, tree.LastProcessedZxid, err)), tree.LastProcessedZxid);
        Send(channel, null, close: true);
    }

    /// <summary>An auth packet: the ids it proves join the connection's; an unknown scheme fails and closes the connection.</summary>
    private void Authenticate(PacketWork packet)
    {
        var (channel, header, body, _) = packet;
        AuthPacket auth;
        try
        {
            auth = Decode<AuthPacket>(body);
        }
        catch (JuteException)
        {
            Send(channel, null, close: true);
            return;
        }

        var code = schemes.Authenticate(auth.Scheme, auth.Auth, channel.RemoteAddress, channel.AuthIds);
        if (code != ErrorCode.Ok)
        {
            LogAuthFailed(logger, auth.Scheme, channel.RemoteAddress);
        }

        // Auth replies carry zxid 0, whatever the state.
        Send(channel, Frames.Reply(new ReplyHeader(header.Xid, 0, code)), close: code != ErrorCode.Ok);
    }

    private static T Decode<T>(byte[] body) where T : IJuteRecord<T> => Decode(body, T.Read);

    private delegate T BodyReader<out T>(ref JuteReader reader);

    private static T Decode<T>(byte[] body, BodyReader<T> read)
    {
        var reader = new JuteReader(body);
        return read(ref reader);
    }

    /// <summary>
    /// A multi must hold only write ops and a multiRead only read ops; the wrong kind is refused as undecodable,
    /// which is what ZooKeeper's handling amounts to.
    /// </summary>
    private static MultiRequest DecodeMulti(byte[] body, bool read)
    {
        var request = Decode(body, RequestBodies.Multi);
        return request.Ops.Count > 0 && request.Ops[0].IsRead != read
            ? throw new JuteException($"A {(read ? "multiRead" : "multi")} holds ops of the other kind.")
            : request;
    }

    private static MultiResult MultiResultOf(TxnResult result) => result.Type switch
    {
        OpCode.Check => MultiResult.Check,
        OpCode.Create => MultiResult.Create(result.Path!),
        OpCode.Create2 or OpCode.CreateTtl or OpCode.CreateContainer => MultiResult.Create2(result.Path!, result.Stat ?? default),
        OpCode.Delete or OpCode.DeleteContainer => MultiResult.Delete,
        OpCode.SetData => MultiResult.SetData(result.Stat ?? default),
        _ => MultiResult.Error(result.Err),
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Unknown request type {Type} from {Address}; closing the connection")]
    private static partial void LogUnknownOpcode(ILogger logger, int type, System.Net.IPAddress address);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Authentication failed for scheme {Scheme} from {Address}")]
    private static partial void LogAuthFailed(ILogger logger, string scheme, System.Net.IPAddress address);

    [LoggerMessage(Level = LogLevel.Error, Message = "Failed to process a {Type} request")]
    private static partial void LogReadFailed(ILogger logger, Exception exception, OpCode type);
}
