using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ZkFire.Configuration;
using ZkFire.ZooKeeper.Server;
using ZkFire.ZooKeeper.Server.Quorum;

namespace ZkFire.Host;

/// <summary>
/// The embedded ZooKeeper member of <c>&lt;zoo&gt;</c>, run in-process. If it stops serving on its own (its log
/// cannot be written), the node stops too, as a ZooKeeper process would exit.
/// </summary>
internal sealed partial class ZooKeeperMemberService(
    ClusterConfig config,
    ILoggerFactory loggerFactory,
    IHostApplicationLifetime lifetime,
    ILogger<ZooKeeperMemberService> logger) : IHostedService, IAsyncDisposable
{
    private ZooKeeperServer? server;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var zoo = config.Zoo!;
        if (zoo.Servers.FirstOrDefault(s => !string.Equals(s.Role, "participant", StringComparison.OrdinalIgnoreCase)) is { } observer)
        {
            throw new NodeStartException(
                $"{config.SourcePath}: <server name=\"server.{observer.Id}\"> is an {observer.Role}; ZkFire ensembles have voting members only.");
        }

        ZooKeeperServerOptions options;
        try
        {
            options = ZooKeeperServerOptions.FromProperties(zoo.Properties);
            options.ServerId = zoo.MyId ?? 0;
            options.Servers = [.. zoo.Servers.Select(s => new QuorumMember(s.Id, s.Host, s.QuorumPort, s.ElectionPort))];
            options.ValidateEnsemble();
        }
        catch (FormatException ex)
        {
            throw new NodeStartException($"{config.SourcePath}: <zoo>: {ex.Message}", ex);
        }

        server = new ZooKeeperServer(options, loggerFactory);
        await server.StartAsync(cancellationToken);
        LogMemberStarted(logger, server.LocalEndPoint, options.DataDir);
        _ = server.Completion.ContinueWith(
            task =>
            {
                LogMemberStopped(logger, task.Exception?.InnerException);
                lifetime.StopApplication();
            },
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted,
            TaskScheduler.Default);
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        if (server is not null)
        {
            await server.DisposeAsync();
            server = null;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Embedded ZooKeeper member serving clients on {Endpoint}, data in {DataDir}")]
    private static partial void LogMemberStarted(ILogger logger, System.Net.IPEndPoint endpoint, string dataDir);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The embedded ZooKeeper member stopped serving; stopping the node")]
    private static partial void LogMemberStopped(ILogger logger, Exception? exception);
}
