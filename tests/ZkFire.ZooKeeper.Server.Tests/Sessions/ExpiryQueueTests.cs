using ZkFire.ZooKeeper.Server.Sessions;

namespace ZkFire.ZooKeeper.Server.Tests.Sessions;

public sealed class ExpiryQueueTests
{
    [Fact]
    public void Deadlines_round_up_to_the_next_tick()
    {
        var queue = new ExpiryQueue<string>(100, now: 0);
        queue.Update("a", timeout: 250, now: 10);

        Assert.Empty(queue.Poll(now: 200));
        Assert.Empty(queue.Poll(now: 300));
        Assert.Equal(["a"], queue.Poll(now: 400));
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public void Updating_moves_an_element_to_its_new_bucket()
    {
        var queue = new ExpiryQueue<string>(100, now: 0);
        queue.Update("a", 100, now: 0);
        queue.Update("a", 100, now: 150);

        // One bucket per poll, as ZooKeeper's expirer drains them: 100, then 200 (which "a" left), then 300.
        Assert.Empty(queue.Poll(now: 300));
        Assert.Empty(queue.Poll(now: 300));
        Assert.Equal(["a"], queue.Poll(now: 300));
    }

    [Fact]
    public void Removed_elements_never_expire_and_wait_time_counts_down_to_the_next_tick()
    {
        var queue = new ExpiryQueue<string>(100, now: 0);
        queue.Update("a", 100, now: 0);
        queue.Remove("a");

        Assert.Equal(70, queue.WaitTime(now: 30));
        Assert.Empty(queue.Poll(now: 100));
        Assert.Empty(queue.Poll(now: 200));
    }
}
