"""Logs in with SCRAM and binds a resource; asserts the session is encrypted.

Extra arguments: mechanism (e.g. "SCRAM-SHA-256"; absent: slixmpp's own choice, which is the
strongest offered, *-PLUS with tls-unique channel binding included),
direct_tls (true: XEP-0368 TLS from the first byte on direct_tls_port, no STARTTLS).
"""
from xmpp_scenario import expect, run


async def scenario(ctx):
    mechanism = ctx.args.get('mechanism') or None
    direct_tls = bool(ctx.args.get('direct_tls'))
    client = ctx.client(0, sasl_mech=mechanism, plugins=('xep_0199',), any_mechanism=mechanism is None)
    await ctx.session(client, direct_tls=direct_tls)
    tls_version = client.tls_version()
    expect(tls_version is not None, 'session is not encrypted')
    expect(direct_tls or 'starttls' in client.features, 'TLS was not negotiated with STARTTLS')
    expect(mechanism is None or client.mechanism() == mechanism,
           'authenticated with %s instead of %s' % (client.mechanism(), mechanism))
    expect(client.boundjid.bare == ctx.jid(0), 'bound %s, expected a resource of %s' % (client.boundjid, ctx.jid(0)))
    # A round trip on the bound session proves it is usable, not just negotiated.
    await client['xep_0199'].ping(jid=ctx.domain, timeout=10)
    return {'mechanism': client.mechanism(), 'tls_version': tls_version, 'bound_jid': str(client.boundjid)}


run(scenario)
