"""RFC 6121 §8.5.2.1.1 with the recipient's resources on two nodes and the sender on a third: a chat message to
the bare JID goes to the available resource with the highest non-negative priority only, and to every resource
sharing the highest priority; a chat message to a full JID bound nowhere is handled as if sent to the bare JID
(§8.5.3.2.1). The sender subscribes to the recipient first, so it can see each priority change arrive on its own
node before it sends."""
from xmpp_scenario import expect, is_message, is_presence, run, subscribe

QUIET_PERIOD = 1.5


async def scenario(ctx):
    alice = await ctx.online(ctx.client(0, resource='sender', node=0))
    high = await ctx.online(ctx.client(1, resource='high', node=1))
    low = await ctx.online(ctx.client(1, resource='low', node=2))
    await subscribe(alice, high)

    async def set_priority(client, priority):
        client.send_presence(ppriority=priority)
        await alice.wait_for('presence of %s with priority %d' % (client.boundjid, priority),
                             lambda p: is_presence(p) and p['from'] == client.boundjid and p['type'] == 'available'
                             and p['priority'] == priority)

    async def expect_delivery(address, body, receivers, bystanders):
        alice.send_message(mto=address, mbody=body, mtype='chat')
        for receiver in receivers:
            message = await receiver.wait_for('%r sent to %s' % (body, address), lambda m: is_message(m) and m['body'] == body)
            expect(message['from'] == alice.boundjid, '%r came from %s' % (body, message['from']))
        for bystander in bystanders:
            await bystander.expect_nothing('%r sent to %s' % (body, address),
                                           lambda m: is_message(m) and m['body'] == body, QUIET_PERIOD)

    await set_priority(high, 10)
    await set_priority(low, 1)
    await expect_delivery(high.boundjid.bare, 'to the highest priority', [high], [low])

    await set_priority(low, 10)
    await expect_delivery(high.boundjid.bare, 'to both equal priorities', [high, low], [])

    unbound = high.boundjid.bare + '/nowhere'
    await expect_delivery(unbound, 'to an unbound resource', [high, low], [])
    return {'unbound_full_jid': unbound}


run(scenario)
