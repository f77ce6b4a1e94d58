"""IQ routing across nodes (RFC 6120 §8.2.3, RFC 6121 §8.5.3.2.2): a ping (XEP-0199) and a disco#info request to a
full JID on another node are answered by that client, in both directions; an IQ to a full JID bound nowhere gets
service-unavailable."""
from slixmpp.exceptions import IqError

from xmpp_scenario import ScenarioFailure, expect, run

PLUGINS = ('xep_0030', 'xep_0199')


async def scenario(ctx):
    alice = await ctx.online(ctx.client(0, resource='asker', node=0, plugins=PLUGINS))
    bob = await ctx.online(ctx.client(1, resource='answerer', node=1, plugins=PLUGINS))

    for asker, answerer in ((alice, bob), (bob, alice)):
        pong = await asker['xep_0199'].send_ping(answerer.boundjid.full, timeout=10)
        expect(pong['type'] == 'result' and pong['from'] == answerer.boundjid,
               'ping of %s answered with %s from %s' % (answerer.boundjid, pong['type'], pong['from']))

    info = await alice['xep_0030'].get_info(jid=bob.boundjid.full, local=False, cached=False, timeout=10)
    features = info['disco_info']['features']
    expect(info['from'] == bob.boundjid and 'urn:xmpp:ping' in features,
           'disco#info of %s answered from %s with features %r' % (bob.boundjid, info['from'], features))

    unbound = bob.boundjid.bare + '/nowhere'
    try:
        answer = await alice['xep_0199'].send_ping(unbound, timeout=10)
    except IqError as error:
        condition = error.iq['error']['condition']
        expect(condition == 'service-unavailable', 'IQ to %s failed with %r, expected service-unavailable' % (unbound, condition))
        return {'unbound_error_from': str(error.iq['from'])}
    raise ScenarioFailure('IQ to %s was answered: %s' % (unbound, answer))


run(scenario)
