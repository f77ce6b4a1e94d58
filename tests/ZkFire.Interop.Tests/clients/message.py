"""Two online users exchange chat messages, addressed to the full JID and to the bare JID.
In a cluster they log in to different nodes."""
from xmpp_scenario import expect, is_message, run


async def scenario(ctx):
    alice = await ctx.online(ctx.client(0, resource='desk'))
    bob = await ctx.online(ctx.client(1, resource='phone', node=1))
    observed = {}
    for label, address in (('full', bob.boundjid.full), ('bare', bob.boundjid.bare)):
        body = 'hello via %s JID' % label
        alice.send_message(mto=address, mbody=body, mtype='chat')
        message = await bob.wait_for('message to %s JID' % label, lambda m, b=body: is_message(m) and m['body'] == b)
        expect(message['from'] == alice.boundjid,
               'message to %s JID came from %s, expected %s' % (label, message['from'], alice.boundjid))
        expect(message['type'] == 'chat', 'message type %r, expected chat' % message['type'])
        observed[label] = {'from': str(message['from']), 'to': str(message['to'])}
    bob.send_message(mto=alice.boundjid, mbody='reply', mtype='chat')
    reply = await alice.wait_for('reply', lambda m: is_message(m) and m['body'] == 'reply')
    expect(reply['from'] == bob.boundjid, 'reply came from %s, expected %s' % (reply['from'], bob.boundjid))
    return observed


run(scenario)
