"""After the quorum returned: A logs in to every node in turn, and B, logging in to ``node``, gets every message
``acknowledged`` lists (stored while the quorum was lost) exactly once; messages sent while the survivor was
already closing may arrive too, once each."""
from xmpp_scenario import expect, is_message, run

QUIET_PERIOD = 1.5


async def scenario(ctx):
    for node in range(3):
        await ctx.session(ctx.client(0, resource='after%d' % (node + 1), node=node))
    acknowledged = ctx.args['acknowledged']
    bob = await ctx.online(ctx.client(1, resource='reader', node=int(ctx.args['node']) - 1))
    for body in acknowledged:
        await bob.wait_for(body, lambda m, b=body: is_message(m) and m['body'] == b)
    await bob.expect_nothing('a message not yet seen', lambda m: is_message(m) and m['body'] in acknowledged, QUIET_PERIOD)
    late = [m['body'] for m in bob.received if is_message(m)]
    expect(len(late) == len(set(late)), 'messages delivered twice: %r' % late)
    return {'delivered': len(acknowledged), 'also_delivered': late}


run(scenario)
