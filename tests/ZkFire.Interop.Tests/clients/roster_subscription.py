"""RFC 6121 subscription handshake: A subscribes to B and B approves (A's roster: to, B's: from),
then B subscribes to A and A approves (both rosters: both); each then sees the other's presence.
In a cluster A, B and A's second resource log in to three different nodes."""
from xmpp_scenario import expect, is_presence, run, subscribe


async def scenario(ctx):
    alice = await ctx.online(ctx.client(0))
    bob = await ctx.online(ctx.client(1, node=1))
    for client in (alice, bob):
        expect(not client.initial_roster, '%s: a fresh account has roster items %r' % (client.boundjid, client.initial_roster))

    alice_one_way, bob_one_way = await subscribe(alice, bob)
    expect(alice_one_way == ('to', None), "A's roster item for B is %r, expected subscription 'to'" % (alice_one_way,))
    expect(bob_one_way == ('from', None), "B's roster item for A is %r, expected subscription 'from'" % (bob_one_way,))

    bob_mutual, alice_mutual = await subscribe(bob, alice)
    expect(alice_mutual == ('both', None), "A's roster item for B is %r, expected 'both'" % (alice_mutual,))
    expect(bob_mutual == ('both', None), "B's roster item for A is %r, expected 'both'" % (bob_mutual,))

    # Presence flows both ways now: a status change of each reaches the other.
    for sender, receiver in ((alice, bob), (bob, alice)):
        sender.send_presence(pstatus='status of %s' % sender.boundjid.user)
        await receiver.wait_for('presence of %s' % sender.boundjid,
                                lambda p, s=sender: is_presence(p) and p['from'] == s.boundjid
                                and p['status'] == 'status of %s' % s.boundjid.user)

    # The stored roster agrees with the pushes: a new resource (no roster version yet) gets it whole.
    other = await ctx.session(ctx.client(0, resource='other', node=2))
    items = (await other.get_roster())['roster']['items']
    expect(bob.boundjid.bare in items and items[bob.boundjid.bare]['subscription'] == 'both',
           "A's roster fetched by another resource: %r" % (items,))
    return {'after_one_way': {'a': alice_one_way[0], 'b': bob_one_way[0]},
            'after_mutual': {'a': alice_mutual[0], 'b': bob_mutual[0]}}


run(scenario)
