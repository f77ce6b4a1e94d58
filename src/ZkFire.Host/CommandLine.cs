using System.Data.Common;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ZkFire.Configuration;
using ZkFire.Storage;
using ZkFire.Xmpp.Accounts;
using ZkFire.ZooKeeper.Server.Persistence;

namespace ZkFire.Host;

/// <summary>The <c>zkfire</c> commands: run a node (default), show the cluster's status and manage accounts.</summary>
internal static class CommandLine
{
    private const string Usage = """
        Usage:
          zkfire [run] [--config cluster.xml]                    run a node
          zkfire zk [--config cluster.xml]                       run only the <zoo> ZooKeeper member
          zkfire status [--config cluster.xml]                   show the cluster's nodes and ZooKeeper members
          zkfire adduser <username> [--password <pw>] [--config cluster.xml]
          zkfire passwd <username> [--password <pw>] [--config cluster.xml]
          zkfire deluser <username> [--config cluster.xml]
        Without --password the password is read from standard input.
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        if (!TryParse(args, out var command, out var configPath, out var username, out var password, out var error))
        {
            await Console.Error.WriteLineAsync(error + Environment.NewLine + Usage);
            return 2;
        }

        using var loggerFactory = LoggerFactory.Create(logging => logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        }));
        var logger = loggerFactory.CreateLogger("zkfire");
        ClusterConfig config;
        try
        {
            config = ClusterConfigReader.Load(configPath, logger);
        }
        catch (ConfigurationException ex)
        {
            await Console.Error.WriteLineAsync($"zkfire: {ex.Message}");
            return 1;
        }

        switch (command)
        {
            case "help":
                await Console.Out.WriteLineAsync(Usage);
                return 0;
            case "run":
                return await RunNodeAsync(config, xmpp: true);
            case "zk" when config.Zoo is null:
                await Console.Error.WriteLineAsync($"zkfire: {config.SourcePath} has no <zoo> block: there is no ZooKeeper member to run.");
                return 1;
            case "zk":
                return await RunNodeAsync(config, xmpp: false);
            case "status":
                return await new StatusCommand().RunAsync(config, Console.Out, Console.Error, CancellationToken.None);
            default:
                return await ManageAccountAsync(command, config, username!, password, loggerFactory);
        }
    }

    /// <summary>Runs the embedded ZooKeeper member (when configured) and, unless only the member is wanted, the XMPP node.</summary>
    private static async Task<int> RunNodeAsync(ClusterConfig config, bool xmpp)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        });
        builder.Services.AddSingleton(config);
        if (config.Zoo is not null)
        {
            builder.Services.AddHostedService<ZooKeeperMemberService>();
        }

        if (xmpp)
        {
            builder.Services.AddHostedService<NodeService>();
        }

        using var host = builder.Build();
        try
        {
            await host.RunAsync();
            return 0;
        }
        catch (Exception ex) when (IsStartFailure(ex))
        {
            await Console.Error.WriteLineAsync($"zkfire: {ex.Message}");
            return 1;
        }
    }

    /// <summary>
    /// Start-up failures (port taken, unreadable certificate, newer database, database refusing the login) are the
    /// user's to fix: they are reported as one line, without a stack.
    /// </summary>
    private static bool IsStartFailure(Exception ex) =>
        ex is NodeStartException or SocketException or IOException or CryptographicException or InvalidOperationException
            or TransactionLogCorruptException or UnauthorizedAccessException or DbException;

    private static async Task<int> ManageAccountAsync(string command, ClusterConfig config, string username, string? password, ILoggerFactory loggerFactory)
    {
        if (command != "deluser" && password is null)
        {
            password = await Console.In.ReadLineAsync();
            if (string.IsNullOrEmpty(password))
            {
                await Console.Error.WriteLineAsync("zkfire: no password given.");
                return 2;
            }
        }

        IXmppStore store;
        try
        {
            store = await StoreFactory.OpenAsync(config.Xmpp, loggerFactory, CancellationToken.None);
        }
        catch (Exception ex) when (IsStartFailure(ex))
        {
            await Console.Error.WriteLineAsync($"zkfire: {ex.Message}");
            return 1;
        }

        await using var storeLifetime = store;
        var accounts = new AccountManager(store.Users, TimeProvider.System);
        var result = command switch
        {
            "adduser" => await accounts.CreateAsync(username, password!, CancellationToken.None),
            "passwd" => await accounts.ChangePasswordAsync(username, password!, CancellationToken.None),
            _ => await accounts.DeleteAsync(username, CancellationToken.None),
        };
        var message = result switch
        {
            AccountResult.Done => null,
            AccountResult.InvalidUsername => $"'{username}' is not a valid username.",
            AccountResult.InvalidPassword => "The password is empty or contains characters that are not allowed.",
            AccountResult.Exists => $"User '{username}' already exists.",
            _ => $"No user '{username}'.",
        };
        if (message is not null)
        {
            await Console.Error.WriteLineAsync($"zkfire: {message}");
            return 1;
        }

        await Console.Out.WriteLineAsync($"{command}: {username}@{config.Xmpp.Domain} done.");
        return 0;
    }

    private static bool TryParse(string[] args, out string command, out string configPath, out string? username, out string? password, out string? error)
    {
        command = "run";
        configPath = "cluster.xml";
        username = password = error = null;
        var positional = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--config" or "-c" when i + 1 < args.Length:
                    configPath = args[++i];
                    break;
                case "--password" or "-p" when i + 1 < args.Length:
                    password = args[++i];
                    break;
                case "--help" or "-h":
                    command = "help";
                    return true;
                default:
                    if (args[i].StartsWith('-'))
                    {
                        error = $"Unknown or incomplete option '{args[i]}'.";
                        return false;
                    }

                    positional.Add(args[i]);
                    break;
            }
        }

        if (positional.Count > 0)
        {
            command = positional[0];
        }

        var expected = command switch
        {
            "run" or "zk" or "status" or "help" => 1,
            "adduser" or "passwd" or "deluser" => 2,
            _ => -1,
        };
        if (expected < 0)
        {
            error = $"Unknown command '{command}'.";
            return false;
        }

        if (positional.Count != expected && !(command == "run" && positional.Count == 0))
        {
            error = $"'{command}' takes {expected - 1} argument(s).";
            return false;
        }

        username = expected == 2 ? positional[1] : null;
        return true;
    }
}
