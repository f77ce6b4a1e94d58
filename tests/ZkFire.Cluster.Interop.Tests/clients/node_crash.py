"""A node crashes (SIGKILL) while B is logged in to it: within the ZooKeeper session timeout (plus a margin) A, a
subscriber on another node, receives B's unavailable presence."""
import time

from cluster_scenario import deadline, kill_node
from xmpp_scenario import is_presence, run, subscribe


async def scenario(ctx):
    victim = int(ctx.args['victim'])
    alice = await ctx.online(ctx.client(0, resource='watcher', node=0))
    bob = await ctx.online(ctx.client(1, resource='crash', node=victim - 1))
    await subscribe(alice, bob)
    gone = bob.boundjid
    started = time.monotonic()
    kill_node(ctx, victim)
    await alice.wait_for('unavailable presence of %s after its node was killed' % gone,
                         lambda p: is_presence(p) and p['from'] == gone and p['type'] == 'unavailable',
                         deadline(ctx))
    return {'seconds_to_unavailable': round(time.monotonic() - started, 3)}


run(scenario)
