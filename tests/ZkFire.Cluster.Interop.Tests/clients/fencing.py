"""Fencing: B's node is frozen (SIGSTOP) for longer than its ZooKeeper session timeout, so its peers declare it dead
and A, a subscriber on another node, receives B's unavailable presence. When the node resumes (SIGCONT) it learns
that its session expired: it closes B's stream with a stream error (reported), rejoins the cluster, and B can log
in to it again and exchange messages with A across nodes."""
import signal
import time

from cluster_scenario import deadline, login_when_possible, signal_node, stream_error
from xmpp_scenario import expect, is_message, is_presence, run, subscribe

REJOIN_TIMEOUT = 30.0


async def scenario(ctx):
    victim = int(ctx.args['victim'])
    alice = await ctx.online(ctx.client(0, resource='watcher', node=0))
    bob = await ctx.online(ctx.client(1, resource='fenced', node=victim - 1))
    await subscribe(alice, bob)
    await subscribe(bob, alice)
    gone = bob.boundjid

    started = time.monotonic()
    signal_node(ctx, victim, signal.SIGSTOP)
    try:
        await alice.wait_for('unavailable presence of %s while its node is frozen' % gone,
                             lambda p: is_presence(p) and p['from'] == gone and p['type'] == 'unavailable',
                             deadline(ctx))
        seconds_to_unavailable = round(time.monotonic() - started, 3)
    finally:
        signal_node(ctx, victim, signal.SIGCONT)

    condition = await stream_error(bob, deadline(ctx))
    expect(condition in ('reset', 'system-shutdown', 'connection-timeout', 'see-other-host'),
           'fenced session closed with stream error %r, which does not ask the client to reconnect' % condition)

    again, seconds_to_login, refusals = await login_when_possible(
        ctx, lambda: ctx.client(1, resource='fenced', node=victim - 1), REJOIN_TIMEOUT)
    again.send_presence()
    await alice.wait_for('B available again', lambda p: is_presence(p) and p['from'] == again.boundjid and p['type'] == 'available')
    alice.send_message(mto=again.boundjid, mbody='after the rejoin', mtype='chat')
    await again.wait_for('message across nodes after the rejoin', lambda m: is_message(m) and m['body'] == 'after the rejoin')
    again.send_message(mto=alice.boundjid, mbody='back', mtype='chat')
    await alice.wait_for('reply from the rejoined node', lambda m: is_message(m) and m['body'] == 'back')
    return {'stream_error': condition, 'seconds_to_unavailable': seconds_to_unavailable,
            'seconds_to_login_again': seconds_to_login, 'refusals_before_login': refusals}


run(scenario)
