using Xunit.Abstractions;

namespace ZkFire.Interop.Tests;

/// <summary>One ZkFire node shared by every test class in <see cref="NodeCollection"/>; started once, stopped at the end.</summary>
public sealed class NodeFixture : IAsyncLifetime
{
    private ZkFireNode? _node;

    public ZkFireNode Node => _node ?? throw new InvalidOperationException("The node has not started.");

    public async Task InitializeAsync() => _node = await ZkFireNode.StartAsync();

    public async Task DisposeAsync()
    {
        if (_node is not null)
        {
            await _node.DisposeAsync();
        }
    }

    /// <summary>A fresh account on the shared node, so tests never see each other's rosters or messages.</summary>
    public async Task<TestUser> NewUserAsync(string prefix = "user")
    {
        var user = TestUser.Unique(prefix);
        await Node.AddUserAsync(user.Username, user.Password);
        return user;
    }
}

[CollectionDefinition(Name)]
public sealed class NodeCollection : ICollectionFixture<NodeFixture>
{
    public const string Name = "ZkFire node";
}

/// <summary>
/// Base of tests against the shared node: each test's output ends with what the node logged while it ran,
/// so a failure shows the server's side too.
/// </summary>
public abstract class NodeTest : IDisposable
{
    private readonly int _logMark;

    protected NodeTest(NodeFixture fixture, ITestOutputHelper output)
    {
        Fixture = fixture;
        Output = output;
        _logMark = fixture.Node.LogMark();
    }

    protected NodeFixture Fixture { get; }

    protected ZkFireNode Node => Fixture.Node;

    protected ITestOutputHelper Output { get; }

    public void Dispose()
    {
        var log = Node.LogSince(_logMark);
        Output.WriteLine(log.Length == 0 ? "(the node logged nothing during this test)" : "Node log during this test:\n" + log);
        GC.SuppressFinalize(this);
    }
}
