"""A message to an account that does not exist bounces back to the sender as an error
stanza with the service-unavailable condition (RFC 6121 §8.5.1 / §8.1)."""
from xmpp_scenario import expect, is_message, run, stanza_error_condition


async def scenario(ctx):
    alice = await ctx.online(ctx.client(0))
    nobody = ctx.args['missing_user'] + '@' + ctx.domain
    message = alice.make_message(mto=nobody, mbody='anyone there?', mtype='chat')
    message['id'] = 'probe-unknown-user'
    message.send()
    error = await alice.wait_for('error reply from %s' % nobody,
                                 lambda m: is_message(m) and m['type'] == 'error' and m['from'].bare == nobody)
    condition = stanza_error_condition(error)
    expect(condition == 'service-unavailable', 'error condition %r, expected service-unavailable: %s' % (condition, error))
    expect(error['id'] == 'probe-unknown-user', 'error reply id %r does not echo the message id' % error['id'])
    return {'condition': condition, 'error_type': error['error']['type']}


run(scenario)
