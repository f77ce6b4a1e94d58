"""Service discovery (XEP-0030) on the server's domain lists a server/im identity and at least the
expected features; software version (XEP-0092) and ping (XEP-0199) are answered.

Extra arguments: expected_features, a list of feature vars disco#info must contain.
"""
from xmpp_scenario import STEP_TIMEOUT, expect, run


async def scenario(ctx):
    client = await ctx.session(ctx.client(0, plugins=('xep_0030', 'xep_0092', 'xep_0199')))
    info = (await client['xep_0030'].get_info(jid=ctx.domain, timeout=STEP_TIMEOUT))['disco_info']
    features = sorted(info['features'])
    identities = sorted('%s/%s' % (category, kind) for category, kind, _, _ in info['identities'])
    expect('server/im' in identities, 'disco#info identities %r lack server/im' % identities)
    missing = [feature for feature in ctx.args.get('expected_features', []) if feature not in features]
    expect(not missing, 'disco#info lacks %r; it lists %r' % (missing, features))

    version = (await client['xep_0092'].get_version(ctx.domain, timeout=STEP_TIMEOUT))['software_version']
    expect(version['name'], 'software version has no name: %r' % dict(version))
    expect(version['version'], 'software version has no version: %r' % dict(version))

    rtt = await client['xep_0199'].ping(jid=ctx.domain, timeout=STEP_TIMEOUT)
    return {'features': features, 'identities': identities,
            'software': {'name': version['name'], 'version': version['version']}, 'ping_seconds': round(rtt, 3)}


run(scenario)
