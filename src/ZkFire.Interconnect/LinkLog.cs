using System.Net;
using Microsoft.Extensions.Logging;

namespace ZkFire.Interconnect;

/// <summary>The library's log messages; each names the link's purpose and the peer.</summary>
internal static partial class LinkLog
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Link {Purpose}: closing the connection with {Peer}: {Reason}")]
    public static partial void Refused(ILogger logger, string purpose, string peer, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Link {Purpose}: the connection with {Peer} failed: {Reason}")]
    public static partial void ConnectionFailed(ILogger logger, string purpose, string peer, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Link {Purpose}: the link with {Peer} closed")]
    public static partial void Closed(ILogger logger, string purpose, string peer);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Link {Purpose}: {Peer} proved itself")]
    public static partial void Authenticated(ILogger logger, string purpose, string peer);

    [LoggerMessage(Level = LogLevel.Information, Message = "Link {Purpose}: listening on {EndPoint}")]
    public static partial void Listening(ILogger logger, string purpose, EndPoint? endPoint);
}
