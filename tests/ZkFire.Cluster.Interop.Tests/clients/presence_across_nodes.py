"""Presence across nodes (RFC 6121 §4). After a mutual subscription between A (node 1) and B (node 2), and with A's
second resource on node 3: A's resources see each other's presence (§4.2.2), a status change and B's unavailable
presence reach both of A's resources (§4.4.2, §4.5.2), and when B logs in again, now on node 3, it gets the
presence of A's resources on nodes 1 and 3 in answer to its server's probes (§4.3.2), while A's resources see B
become available."""
from xmpp_scenario import is_presence, run, subscribe


def presence_of(client, kind, status=None):
    def match(p):
        return (is_presence(p) and p['from'] == client.boundjid and p['type'] == kind
                and (status is None or p['status'] == status))
    return match


async def scenario(ctx):
    desk = await ctx.online(ctx.client(0, resource='desk', node=0))
    bob = await ctx.online(ctx.client(1, resource='phone', node=1))
    await subscribe(desk, bob)
    await subscribe(bob, desk)

    laptop = await ctx.online(ctx.client(0, resource='laptop', node=2))
    await desk.wait_for("A's other resource coming online", presence_of(laptop, 'available'))
    await laptop.wait_for("A's first resource, already online", presence_of(desk, 'available'))
    await laptop.wait_for("B's presence, probed when A's second resource logged in", presence_of(bob, 'available'))

    bob.send_presence(pstatus='in a meeting')
    for client in (desk, laptop):
        await client.wait_for("B's status change", presence_of(bob, 'available', 'in a meeting'))

    gone = bob.boundjid
    bob.disconnect()
    for client in (desk, laptop):
        await client.wait_for('unavailable presence of %s' % gone,
                              lambda p: is_presence(p) and p['from'] == gone and p['type'] == 'unavailable')

    again = ctx.client(1, resource='tablet', node=2)
    await ctx.session(again)
    await again.get_roster(timeout=10)
    again.send_presence()
    for resource in (desk, laptop):
        await again.wait_for('presence of %s, probed on login' % resource.boundjid, presence_of(resource, 'available'))
    for client in (desk, laptop):
        await client.wait_for('B available again', presence_of(again, 'available'))
    return {}


run(scenario)
