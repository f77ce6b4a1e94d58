"""When a user's TCP connection drops without </stream:stream>, the server broadcasts
unavailable presence for that resource to the user's subscribers.
In a cluster the subscriber is on another node."""
import time

from xmpp_scenario import expect, is_presence, run, subscribe


async def scenario(ctx):
    alice = await ctx.online(ctx.client(0, resource='flaky'))
    bob = await ctx.online(ctx.client(1, node=1))
    await subscribe(bob, alice)
    gone = alice.boundjid
    started = time.monotonic()
    alice.transport.abort()
    presence = await bob.wait_for('unavailable presence of %s' % gone,
                                  lambda p: is_presence(p) and p['from'] == gone and p['type'] == 'unavailable')
    expect(presence['to'].bare == bob.boundjid.bare, 'unavailable presence addressed to %s' % presence['to'])
    return {'seconds': round(time.monotonic() - started, 3)}


run(scenario)
