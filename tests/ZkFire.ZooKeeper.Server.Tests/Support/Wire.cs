using ZkFire.Jute;

namespace ZkFire.ZooKeeper.Server.Tests.Support;

/// <summary>Small helpers shared by the server tests.</summary>
internal static class Wire
{
    public static IReadOnlyList<Acl> Acl(Perms perms, string scheme, string id) => [new Acl(perms, new Id(scheme, id))];

    /// <summary>Polls until <paramref name="condition"/> holds or the time is up.</summary>
    public static async Task<bool> EventuallyAsync(Func<Task<bool>> condition, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(50);
        }

        return await condition();
    }
}
