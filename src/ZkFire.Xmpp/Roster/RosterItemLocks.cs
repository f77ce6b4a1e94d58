using ZkFire.Xmpp.Addressing;

namespace ZkFire.Xmpp.Roster;

/// <summary>
/// Serialises the read-modify-write of one roster item on this node. Crossing subscription requests (each user asks
/// the other at once) reach the same item from two read loops: the user's own request and the contact's, arriving
/// as inbound. Unserialised, both read the old state and one update is lost. Striped, so it never grows; a holder
/// must not take a second stripe.
/// </summary>
internal sealed class RosterItemLocks
{
    private const int Stripes = 64;
    private readonly SemaphoreSlim[] stripes = [.. Enumerable.Range(0, Stripes).Select(_ => new SemaphoreSlim(1, 1))];

    public async ValueTask<Held> LockAsync(Jid user, Jid contact, CancellationToken cancellationToken)
    {
        var stripe = stripes[(uint)HashCode.Combine(user.Local, contact.ToString()) % Stripes];
        await stripe.WaitAsync(cancellationToken);
        return new Held(stripe);
    }

    public readonly struct Held(SemaphoreSlim stripe) : IDisposable
    {
        public void Dispose() => stripe.Release();
    }
}
