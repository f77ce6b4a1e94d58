using ZkFire.ZooKeeper.Server.Tests.Quorum.History;
using ZkFire.ZooKeeper.Server.Tests.Support;

namespace ZkFire.ZooKeeper.Server.Tests.Quorum.Simulation;

/// <summary>The recorder on a healthy standalone server: everything is answered, and the history it records is linearizable.</summary>
public sealed class RegisterWorkloadTests
{
    [Fact]
    public async Task Concurrent_clients_record_every_operation_with_its_result()
    {
        await using var server = await TestServer.StartAsync();
        var connectString = $"127.0.0.1:{server.EndPoint.Port}";
        var workload = new RegisterWorkload(seed: 11, ["/k0", "/k1"]);
        await workload.CreateKeysAsync(connectString, CancellationToken.None);

        var history = await workload.RunAsync([connectString, connectString, connectString], TimeSpan.FromMilliseconds(700), CancellationToken.None);

        Assert.All(history, op => Assert.NotEqual(Outcome.Unknown, op.Outcome));
        Assert.All(history, op => Assert.True(op.Completed >= op.Invoked));
        Assert.Equal([0, 1, 2], history.Select(op => op.Client).Distinct().Order());
        Assert.Contains(history, op => op.Kind == OperationKind.Read);
        Assert.Contains(history, op => op.Kind == OperationKind.Write);
        Assert.Contains(history, op => op.Kind == OperationKind.CompareAndSet && op.Outcome == Outcome.Ok);
        Assert.Contains(history, op => op.Kind == OperationKind.CompareAndSet && op.Outcome == Outcome.Failed);

        var written = history.Where(op => op.Value is not null).Select(op => op.Value).ToList();
        Assert.Equal(written.Count, written.Distinct().Count());
        Assert.All(history.Where(op => op.Kind == OperationKind.Read), read => Assert.True(read.ResultValue == "" || written.Contains(read.ResultValue)));

        // Versions on one key go up by one per applied write, each applied write leaving a version of its own.
        foreach (var key in workload.Keys)
        {
            var applied = history.Where(op => op.Key == key && op.Kind != OperationKind.Read && op.Outcome == Outcome.Ok).Select(op => op.ResultVersion!.Value).Order().ToList();
            Assert.Equal(Enumerable.Range(1, applied.Count), applied);
        }

        var check = LinearizabilityChecker.Check(history);
        Assert.True(check.IsOk, check.Explanation);
    }
}
