"""Quorum loss: two of the three nodes (and so two of the three embedded ZooKeeper members) are killed. A, logged in
to the survivor, keeps its connection and goes on sending to B, who is offline (offline storage); each message
counts as acknowledged once a ping to the server sent after it is answered. Within the session timeout (plus a
margin) the survivor closes A's stream with a stream error, and refuses new logins with a stream error until the
quorum returns. Reports the acknowledged messages, for the recovery scenario to check."""
import asyncio
import time

from slixmpp.exceptions import IqError, IqTimeout

from cluster_scenario import deadline, kill_node, stream_error, try_login
from xmpp_scenario import expect, is_disconnect, is_stream_error, run

SEND_INTERVAL = 0.5


async def scenario(ctx):
    survivor = int(ctx.args['survivor'])
    alice = await ctx.online(ctx.client(0, resource='survivor', node=survivor - 1, plugins=('xep_0199',)))
    started = time.monotonic()
    for node in (1, 2, 3):
        if node != survivor:
            kill_node(ctx, node)

    acknowledged = []
    while not any(is_stream_error(item) or is_disconnect(item) for item in alice.received):
        expect(time.monotonic() - started < deadline(ctx),
               'still connected %ss after the quorum was lost' % deadline(ctx))
        body = 'stored during the quorum loss #%d' % (len(acknowledged) + 1)
        alice.send_message(mto=ctx.jid(1), mbody=body, mtype='chat')
        try:
            await alice['xep_0199'].send_ping(ctx.domain, timeout=SEND_INTERVAL * 4)
        except (IqError, IqTimeout):  # the stream ends under the ping: the message is not known to be stored
            break
        acknowledged.append(body)
        await asyncio.sleep(SEND_INTERVAL)
    expect(acknowledged, 'no message was acknowledged after the quorum was lost')

    condition = await stream_error(alice, deadline(ctx))
    seconds_connected = round(time.monotonic() - started, 3)
    refusal = await try_login(ctx, ctx.client(0, resource='refused', node=survivor - 1))
    expect(refusal is not None, 'a new login on the survivor succeeded without a quorum')
    return {'acknowledged': acknowledged, 'stream_error': condition, 'seconds_connected': seconds_connected,
            'login_refusal': refusal}


run(scenario)
