"""Two logins bind the same full JID at (nearly) the same time on two different nodes: exactly one session
survives (the other gets a <conflict/> stream error, or has its bind refused), and every node agrees on it: a
message to that full JID sent from each of the three nodes reaches the survivor."""
import asyncio

from xmpp_scenario import ScenarioFailure, expect, is_disconnect, is_message, is_presence, is_stream_error, run

SETTLE_TIMEOUT = 15.0
STABLE_PERIOD = 2.0


def ended(client):
    return any(is_stream_error(item) or is_disconnect(item) for item in client.received)


async def scenario(ctx):
    senders = [await ctx.online(ctx.client(1, resource='sender%d' % node, node=node)) for node in range(3)]
    racers = [ctx.client(0, resource='race', node=node) for node in (0, 1)]
    logins = await asyncio.gather(*(ctx.session(racer) for racer in racers), return_exceptions=True)
    for outcome in logins:
        if isinstance(outcome, BaseException) and not isinstance(outcome, ScenarioFailure):
            raise outcome
    started = [racer for racer, outcome in zip(racers, logins) if not isinstance(outcome, BaseException)]
    expect(started, 'neither login bound the resource: %r' % (logins,))

    loop = asyncio.get_running_loop()
    deadline = loop.time() + SETTLE_TIMEOUT
    while True:
        live = [racer for racer in started if not ended(racer)]
        if len(live) <= 1:
            await asyncio.sleep(STABLE_PERIOD)
            live = [racer for racer in started if not ended(racer)]
            break
        expect(loop.time() < deadline, 'both sessions of %s still live after %ss' % (ctx.jid(0, 'race'), SETTLE_TIMEOUT))
        await asyncio.sleep(0.1)
    expect(len(live) == 1, 'sessions of %s left live: %d' % (ctx.jid(0, 'race'), len(live)))
    survivor = live[0]
    loser = racers[1 - racers.index(survivor)]
    loser_errors = [item['condition'] for item in loser.received if is_stream_error(item)]
    if loser in started:
        expect(loser_errors == ['conflict'], 'the losing session got stream errors %r, expected conflict' % (loser_errors,))

    survivor.send_presence()
    await survivor.wait_for('own initial presence',
                            lambda p: is_presence(p) and p['from'] == survivor.boundjid and p['type'] == 'available')
    for index, sender in enumerate(senders):
        body = 'to the survivor from node %d' % (index + 1)
        sender.send_message(mto=ctx.jid(0, 'race'), mbody=body, mtype='chat')
        await survivor.wait_for(body, lambda m, b=body: is_message(m) and m['body'] == b)
    return {'survivor_node': survivor.node + 1, 'both_bound': len(started) == 2,
            'loser_stream_errors': loser_errors}


run(scenario)
