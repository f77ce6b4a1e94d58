using System.Reflection;

namespace ZkFire.Testing;

/// <summary>The repository's own programs, built alongside this test project in the same Configuration.</summary>
public static class BuiltPrograms
{
    /// <summary>The ZkFire node (<c>zkfire zk</c> runs its embedded ZooKeeper member alone).</summary>
    public static string HostDll => Path.Combine(RepositoryRoot(), "src", "ZkFire.Host", "bin", Configuration, "net10.0", "zkfire.dll");

    /// <summary>The ZooKeeper load tool (<c>zkfire-load</c>), whose failover probe the ensemble tests use.</summary>
    public static string LoadToolDll =>
        Path.Combine(RepositoryRoot(), "benchmarks", "ZkFire.LoadTool", "bin", Configuration, "net10.0", "zkfire-load.dll");

    /// <summary>The dotnet host running the tests (set by the SDK), so the programs run on the same runtime.</summary>
    public static string DotnetHost =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    /// <summary>Quiet .NET start-up for every program the harnesses run.</summary>
    public static IReadOnlyDictionary<string, string> QuietEnvironment { get; } = new Dictionary<string, string>
    {
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        ["DOTNET_NOLOGO"] = "1",
    };

    public static string? WhyMissing(string dll, string what) =>
        File.Exists(dll) ? null : $"The {what} was not built at {dll}; build the solution in the tests' Configuration first.";

    private static string Configuration =>
        typeof(BuiltPrograms).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "Configuration").Value!;

    /// <summary>The checkout the tests were built in (the folder holding ZkFire.sln).</summary>
    public static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "ZkFire.sln")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No ZkFire.sln above {AppContext.BaseDirectory}.");
    }
}
