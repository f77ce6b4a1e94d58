"""Roster pushes (RFC 6121 §2.1.6) go to every interested resource of the user, on whichever node it is logged in:
an item added on node 1 is pushed to the user's resource on node 2, and so is its removal; a resource logging in
on node 3 afterwards fetches the roster from the shared store without the item."""
from xmpp_scenario import expect, is_roster_push, roster_item, run


async def scenario(ctx):
    first = await ctx.online(ctx.client(0, resource='first', node=0))
    second = await ctx.online(ctx.client(0, resource='second', node=1))
    contact = ctx.jid(1)

    await first.update_roster(contact, name='Contact', groups=['Across nodes'], timeout=10)
    push = await second.wait_for('roster push adding %s' % contact,
                                 lambda i: is_roster_push(i) and roster_item(i, contact) is not None)
    item = push['roster']['items'][contact]
    expect(item['name'] == 'Contact' and list(item['groups']) == ['Across nodes'],
           'pushed item has name %r, groups %r' % (item['name'], list(item['groups'])))
    await first.wait_for('the same push on the resource that made the change',
                         lambda i: is_roster_push(i) and roster_item(i, contact) is not None)

    await first.del_roster_item(contact)
    await second.wait_for('roster push removing %s' % contact,
                          lambda i: is_roster_push(i) and (roster_item(i, contact) or ('',))[0] == 'remove')

    third = await ctx.session(ctx.client(0, resource='third', node=2))
    items = (await third.get_roster(timeout=10))['roster']['items']
    expect(contact not in items, 'roster fetched on another node still has %s: %r' % (contact, items))
    return {'pushed_subscription': item['subscription']}


run(scenario)
