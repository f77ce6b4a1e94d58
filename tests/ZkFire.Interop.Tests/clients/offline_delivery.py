"""A message to a user with no session is stored and delivered when that user sends
initial presence, marked with a XEP-0203 <delay/> from the server's domain.
In a cluster the recipient logs in to another node than the sender's."""
from xmpp_scenario import DELAY_NS, child, expect, is_message, run


async def scenario(ctx):
    alice = await ctx.online(ctx.client(0, plugins=('xep_0199',)))
    body = 'sent while you were away'
    alice.send_message(mto=ctx.jid(1), mbody=body, mtype='chat')
    # A round trip with the server orders the message before the recipient's login.
    await alice['xep_0199'].ping(jid=ctx.domain, timeout=10)

    bob = await ctx.session(ctx.client(1, node=1))
    await bob.expect_nothing('a message before initial presence', is_message, quiet_period=1.0)
    bob.send_presence()
    message = await bob.wait_for('the offline message', lambda m: is_message(m) and m['body'] == body)
    expect(message['from'].bare == alice.boundjid.bare, 'offline message from %s' % message['from'])
    delay = child(message.xml, DELAY_NS, 'delay')
    expect(delay is not None, 'offline message has no <delay xmlns="urn:xmpp:delay"/>: %s' % message)
    expect(delay.get('stamp'), 'delay element has no stamp: %s' % message)
    return {'delay_stamp': delay.get('stamp'), 'delay_from': delay.get('from'), 'from': str(message['from'])}


run(scenario)
