"""A wrong password is refused with SASL not-authorized, and the node keeps serving:
the same account then logs in with the right password and gets a message from another user.

Extra arguments: mechanism (default SCRAM-SHA-256; pinned so exactly one attempt is made).
"""
from xmpp_scenario import expect, is_message, is_sasl_failure, run


async def scenario(ctx):
    mechanism = ctx.args.get('mechanism', 'SCRAM-SHA-256')
    intruder = ctx.client(0, resource='intruder', password=ctx.password(0) + '-wrong', sasl_mech=mechanism)
    ctx.connect(intruder)
    failure = await intruder.wait_for('SASL failure', is_sasl_failure)
    condition = failure['condition']
    expect(condition == 'not-authorized', 'SASL failure condition %r, expected not-authorized' % condition)
    expect(not intruder.authenticated, 'client counts itself authenticated after a failure')

    owner = await ctx.online(ctx.client(0, resource='owner', sasl_mech=mechanism))
    friend = await ctx.online(ctx.client(1, resource='friend'))
    friend.send_message(mto=owner.boundjid, mbody='still alive', mtype='chat')
    message = await owner.wait_for('message from %s' % friend.boundjid,
                                   lambda m: is_message(m) and m['body'] == 'still alive')
    expect(message['from'] == friend.boundjid, 'message from %s, expected %s' % (message['from'], friend.boundjid))
    return {'failure_condition': condition}


run(scenario)
