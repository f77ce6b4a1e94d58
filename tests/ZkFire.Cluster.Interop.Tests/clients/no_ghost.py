"""After a crashed node restarted, nothing remains of the session B had on it: a message to B's old full JID is
handled as for an unbound resource (offline storage, as B has no other), B logs in with the same resource on
another node without a conflict and gets that message once, and then again on the restarted node, where a new
message reaches it once."""
from xmpp_scenario import expect, is_message, is_presence, is_stream_error, run

QUIET_PERIOD = 1.5


async def receive_once(client, body):
    await client.wait_for(body, lambda m: is_message(m) and m['body'] == body)
    await client.expect_nothing('a second copy of %r' % body, lambda m: is_message(m) and m['body'] == body, QUIET_PERIOD)


async def scenario(ctx):
    restarted = int(ctx.args['restarted'])
    other = next(node for node in (1, 2, 3) if node not in (1, restarted))
    alice = await ctx.online(ctx.client(0, resource='watcher', node=0, plugins=('xep_0199',)))
    old_jid = ctx.jid(1, 'crash')
    alice.send_message(mto=old_jid, mbody='to the crashed session', mtype='chat')
    # A round trip with the server orders the message before B's login.
    await alice['xep_0199'].ping(jid=ctx.domain, timeout=10)

    for node, body in ((other, 'to the new session'), (restarted, 'to the session on the restarted node')):
        bob = ctx.client(1, resource='crash', node=node - 1)
        await ctx.online(bob)
        if node == other:
            await receive_once(bob, 'to the crashed session')
        await alice.wait_for('B available on node %d' % node,
                             lambda p, b=bob: is_presence(p) and p['from'] == b.boundjid and p['type'] == 'available')
        alice.send_message(mto=old_jid, mbody=body, mtype='chat')
        await receive_once(bob, body)
        errors = [item['condition'] for item in bob.received if is_stream_error(item)]
        expect(not errors, 'B on node %d got stream errors %r' % (node, errors))
        bob.disconnect()
        await alice.wait_for('B unavailable again',
                             lambda p, b=bob: is_presence(p) and p['from'] == b.boundjid and p['type'] == 'unavailable')
    return {}


run(scenario)
