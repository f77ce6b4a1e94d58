namespace ZkFire.ZooKeeper.Interop.Tests;

/// <summary>
/// Starts a set of servers once for a whole test collection (in parallel) and stops them at its end. A missing
/// prerequisite or a failed start is remembered and reported by each test through <see cref="Require"/>, since a
/// fixture can neither skip nor fail one test.
/// </summary>
public abstract class ServerFixture : IAsyncLifetime
{
    private readonly Dictionary<string, IZooKeeperServer> _servers = [];
    private string? _unavailable;
    private Exception? _startFailure;

    /// <summary>The servers to start, by role.</summary>
    protected abstract IReadOnlyList<(string Role, ServerKind Kind)> Servers { get; }

    /// <summary>Programs the collection's tests need besides the servers.</summary>
    protected virtual Task<string?> WhyClientsUnavailableAsync() => Task.FromResult<string?>(null);

    protected IZooKeeperServer Server(string role)
    {
        Require();
        return _servers[role];
    }

    public async Task InitializeAsync()
    {
        _unavailable = Prerequisites.FirstOf([.. Servers.Select(s => ZooKeeperServers.WhyUnavailable(s.Kind)), await WhyClientsUnavailableAsync()]);
        if (_unavailable is not null)
        {
            return;
        }

        var starts = Servers.Select(s => (s.Role, Task: ZooKeeperServers.StartAsync(s.Kind, s.Role))).ToList();
        try
        {
            await Task.WhenAll(starts.Select(s => s.Task));
        }
        catch (Exception ex)
        {
            _startFailure = ex;
        }

        foreach (var (role, task) in starts.Where(s => s.Task.IsCompletedSuccessfully))
        {
            _servers[role] = task.Result;
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var server in _servers.Values)
        {
            await server.DisposeAsync();
        }
    }

    /// <summary>Skips (or on CI fails) when a prerequisite is missing; fails when a server did not start.</summary>
    public void Require()
    {
        Prerequisites.Require(_unavailable);
        if (_startFailure is not null)
        {
            throw new InvalidOperationException($"A server of this test collection failed to start: {_startFailure.Message}", _startFailure);
        }
    }
}

/// <summary>The reference Apache ZooKeeper and the server under test, side by side.</summary>
public sealed class DifferentialFixture : ServerFixture
{
    public IZooKeeperServer Reference => Server("reference");

    public IZooKeeperServer UnderTest => Server("under test");

    protected override IReadOnlyList<(string Role, ServerKind Kind)> Servers =>
        [("reference", ServerKind.ApacheZooKeeper), ("under test", ZooKeeperServers.UnderTest)];

    protected override Task<string?> WhyClientsUnavailableAsync() => KazooDriver.WhyUnavailableAsync();
}

/// <summary>
/// The server under test alone, for the command-line clients. Kept apart from the differential pair because those
/// clients leave sessions behind (by design or quirk) whose expiry would shift the zxids a scenario reports.
/// </summary>
public sealed class CommandLineFixture : ServerFixture
{
    public IZooKeeperServer UnderTest => Server("under test (CLI clients)");

    protected override IReadOnlyList<(string Role, ServerKind Kind)> Servers =>
        [("under test (CLI clients)", ZooKeeperServers.UnderTest)];
}

[CollectionDefinition(Name)]
public sealed class DifferentialCollection : ICollectionFixture<DifferentialFixture>
{
    public const string Name = "ZooKeeper differential (reference vs under test)";
}

[CollectionDefinition(Name)]
public sealed class CommandLineCollection : ICollectionFixture<CommandLineFixture>
{
    public const string Name = "ZooKeeper command-line clients against the server under test";
}
