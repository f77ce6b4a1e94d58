using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ZkFire.Cluster;
using ZkFire.Configuration;
using ZkFire.Storage;
using ZkFire.Xmpp;
using ZkFire.Xmpp.Routing;
using ZkFire.Xmpp.Sasl;
using ZkFire.Xmpp.Tls;
using ZkFire.Xmpp.Xml;

namespace ZkFire.Host;

/// <summary>One ZkFire node: storage, the cluster layer when configured, then the XMPP service.</summary>
internal sealed partial class NodeService(
    ClusterConfig config, ILoggerFactory loggerFactory, IHostApplicationLifetime lifetime, ILogger<NodeService> logger) : IHostedService, IAsyncDisposable
{
    private IXmppStore? store;
    private ClusterNode? cluster;
    private XmppServer? xmpp;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        LogStarting(logger, config.SourcePath);
        store = await StoreFactory.OpenAsync(config.Xmpp, loggerFactory, cancellationToken);
        var options = ToOptions(config.Xmpp);
        if (config.IsClustered)
        {
            cluster = await ClusterNodeFactory.CreateAsync(config, options.XmlLimits, loggerFactory, cancellationToken);
            xmpp = new XmppServer(options, store, cluster.Routes, loggerFactory);
            await cluster.StartAsync(xmpp, cancellationToken);
            _ = cluster.Completion.ContinueWith(
                task =>
                {
                    LogClusterStopped(logger, task.Exception?.InnerException);
                    lifetime.StopApplication();
                },
                CancellationToken.None,
                TaskContinuationOptions.OnlyOnFaulted,
                TaskScheduler.Default);
        }
        else
        {
            LogNoCluster(logger, config.Notice is null ? "there is no <notice> address" : "there is neither <zoo> nor <zClient>");
            xmpp = new XmppServer(options, store, new NoRemoteRoutes(), loggerFactory);
        }

        xmpp.Start();
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        if (cluster is not null)
        {
            // Leaving first: peers see this node go at once, and no stanza arrives for sessions about to close.
            await cluster.DisposeAsync();
            cluster = null;
        }

        if (xmpp is not null)
        {
            await xmpp.DisposeAsync();
            xmpp = null;
        }

        if (store is not null)
        {
            await store.DisposeAsync();
            store = null;
        }
    }

    private XmppServerOptions ToOptions(XmppConfig xmpp)
    {
        var (certificate, generated) = ServerCertificate.LoadOrCreate(
            xmpp.Tls.CertificatePath, xmpp.Tls.KeyPath, xmpp.Tls.CertificatePassword, xmpp.DataDir, xmpp.Domain);
        if (generated)
        {
            var path = Path.Combine(xmpp.DataDir, ServerCertificate.GeneratedCertificateFile);
            LogGeneratedCertificate(logger, path);
        }

        var limits = xmpp.Limits;
        return new XmppServerOptions
        {
            Domain = xmpp.Domain,
            ListenAddress = xmpp.ListenAddress,
            C2sPort = xmpp.C2sPort,
            DirectTlsPort = xmpp.DirectTlsPort,
            Certificate = certificate,
            TlsRequired = xmpp.Tls.Required,
            AllowPlaintextOnLoopback = xmpp.Tls.AllowPlaintextOnLoopback,
            RegistrationOpen = xmpp.Registration == RegistrationPolicy.Open,
            XmlLimits = new XmlLimits { MaxStanzaBytes = limits.MaxStanzaBytes, MaxDepth = limits.MaxDepth, MaxAttributes = limits.MaxAttributes },
            StreamOpenTimeout = limits.StreamOpenTimeout,
            IdleTimeout = limits.IdleTimeout,
            PingTimeout = limits.PingTimeout,
            OfflineQuota = limits.OfflineQuota,
            AuthFailures = new AuthFailureLimiterOptions
            {
                MaxFailuresPerAccount = limits.AuthFailuresPerAccount,
                MaxFailuresPerAddress = limits.AuthFailuresPerAddress,
                Window = limits.AuthFailureWindow,
            },
        };
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "ZkFire node starting with {Config}")]
    private static partial void LogStarting(ILogger logger, string config);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Not a cluster member ({Reason}): this node serves XMPP alone")]
    private static partial void LogNoCluster(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The node cannot stay a cluster member; stopping")]
    private static partial void LogClusterStopped(ILogger logger, Exception? exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Generated a self-signed TLS certificate at {Path}")]
    private static partial void LogGeneratedCertificate(ILogger logger, string path);
}
