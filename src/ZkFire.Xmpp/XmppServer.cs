using System.Net;
using Microsoft.Extensions.Logging;
using ZkFire.Storage;
using ZkFire.Xmpp.Accounts;
using ZkFire.Xmpp.Routing;
using ZkFire.Xmpp.Sasl;
using ZkFire.Xmpp.Sessions;
using ZkFire.Xmpp.Streams;
using ZkFire.Xmpp.Tls;

namespace ZkFire.Xmpp;

/// <summary>The XMPP service of one node: listeners, sessions and the stanza router over a store.</summary>
public sealed partial class XmppServer : IAsyncDisposable
{
    private readonly XmppServerOptions options;
    private readonly ILogger logger;
    private readonly ConnectionTracker connections = new();
    private readonly CancellationTokenSource stopping = new();
    private readonly List<C2sListener> listeners = [];
    private readonly C2sContext context;
    private readonly ServiceGate gate = new();

    /// <param name="remote">The routes other nodes own; <see cref="NoRemoteRoutes"/> for a node outside a cluster.</param>
    public XmppServer(XmppServerOptions options, IXmppStore store, IRemoteRoutes remote, ILoggerFactory loggerFactory)
    {
        this.options = options;
        logger = loggerFactory.CreateLogger<XmppServer>();
        var accounts = new AccountManager(store.Users, TimeProvider.System);
        Router = new StanzaRouter(options, new SessionRegistry(), remote, store, accounts, loggerFactory.CreateLogger<StanzaRouter>());
        context = new C2sContext(
            options,
            Router,
            gate,
            store.Users,
            new AuthFailureLimiter(options.AuthFailures, TimeProvider.System),
            options.Certificate is { } certificate ? ServerCertificate.EndPointBinding(certificate) : null,
            loggerFactory.CreateLogger("ZkFire.Xmpp.Streams.C2s"));
    }

    public StanzaRouter Router { get; }

    public SessionRegistry Sessions => Router.Sessions;

    public void Start()
    {
        Listen(options.C2sPort, directTls: false);
        if (options.DirectTlsPort != 0 && options.Certificate is not null)
        {
            Listen(options.DirectTlsPort, directTls: true);
        }
    }

    /// <summary>
    /// Stops serving clients until <see cref="Resume"/>: every stream ends with <c>reset</c> (RFC 6120 §4.9.3.16: the
    /// client should reconnect) and new streams are refused with <c>system-shutdown</c> and <paramref name="reason"/>.
    /// </summary>
    public void Suspend(string reason)
    {
        gate.Refusal = reason;
        foreach (var session in Sessions.All())
        {
            session.Close("reset", reason);
        }

        // Streams not bound to a resource yet.
        connections.CloseAll("reset", reason);
        LogSuspended(logger, reason);
    }

    public void Resume()
    {
        if (gate.Refusal is not null)
        {
            gate.Refusal = null;
            LogResumed(logger);
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Stop first so the accept loops see a shutdown rather than a failure when their sockets close.
        await stopping.CancelAsync();
        foreach (var listener in listeners)
        {
            await listener.DisposeAsync();
        }

        await connections.DrainAsync(TimeSpan.FromSeconds(10));
        await connections.DisposeAsync();
        stopping.Dispose();
    }

    private void Listen(int port, bool directTls)
    {
        var listener = new C2sListener(context, connections, directTls);
        var endpoint = listener.Bind(options.ListenAddress, port);
        listeners.Add(listener);
        listener.Start(stopping.Token);
        LogListening(logger, directTls ? "direct TLS" : "c2s", endpoint, options.Domain);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "XMPP service suspended (streams closed with reset, new ones refused): {Reason}")]
    private static partial void LogSuspended(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "XMPP service resumed: new streams are served again")]
    private static partial void LogResumed(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "XMPP {Kind} listening on {Endpoint} for {Domain}")]
    private static partial void LogListening(ILogger logger, string kind, IPEndPoint endpoint, string domain);
}
