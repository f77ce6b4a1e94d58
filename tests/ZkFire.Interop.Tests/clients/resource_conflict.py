"""A second login with the same full JID takes the resource over: the first session gets a
<conflict/> stream error and is closed, the second keeps the resource and receives its messages.
In a cluster the two logins and the sender are on three different nodes."""
from xmpp_scenario import expect, is_disconnect, is_message, is_stream_error, run


async def scenario(ctx):
    first = await ctx.online(ctx.client(0, resource='same'))
    second = await ctx.online(ctx.client(0, resource='same', node=1))
    error = await first.wait_for('a stream error', is_stream_error)
    expect(error['condition'] == 'conflict', 'old session got stream error %r, expected conflict' % error['condition'])
    await first.wait_for('the old session to be closed', is_disconnect)
    expect(second.boundjid.full == ctx.jid(0, 'same'), 'new session bound %s, expected %s' % (second.boundjid, ctx.jid(0, 'same')))

    sender = await ctx.online(ctx.client(1, node=2))
    sender.send_message(mto=ctx.jid(0, 'same'), mbody='to the survivor', mtype='chat')
    await second.wait_for('message to the taken-over resource', lambda m: is_message(m) and m['body'] == 'to the survivor')
    return {'old_session_error': error['condition']}


run(scenario)
