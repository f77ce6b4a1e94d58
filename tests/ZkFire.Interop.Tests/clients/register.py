"""XEP-0077 in-band registration of a new account (the server advertises the iq-register stream
feature after TLS), then a normal login with the new credentials.

Extra arguments: new_user {"username", "password"}, an account that does not exist yet.
"""
import asyncio

from xmpp_scenario import STEP_TIMEOUT, ScenarioFailure, expect, run


async def scenario(ctx):
    new_user = ctx.args['new_user']
    jid = '%s@%s' % (new_user['username'], ctx.domain)
    registrar = ctx.new_client(jid, new_user['password'], plugins=('xep_0030', 'xep_0004', 'xep_0066', 'xep_0077'))
    # slixmpp 1.8.3 holds back every stanza but bind/session until a session exists, which
    # swallows the pre-authentication registration IQs; this client never binds, so let them through.
    registrar._always_send_everything = True
    registered = asyncio.get_running_loop().create_future()

    async def on_register(form):
        fields = [name for name in ('username', 'password') if name in form['register']['fields']]
        request = registrar.Iq()
        request['type'] = 'set'
        request['register']['username'] = new_user['username']
        request['register']['password'] = new_user['password']
        try:
            await request.send(timeout=STEP_TIMEOUT)
            registered.set_result(fields)
        except Exception as error:  # IqError/IqTimeout: report what the server said
            registered.set_exception(error)
        registrar.disconnect()

    registrar.add_event_handler('register', on_register)
    ctx.connect(registrar)
    try:
        fields = await asyncio.wait_for(registered, STEP_TIMEOUT)
    except asyncio.TimeoutError:
        raise ScenarioFailure('no registration form: the server did not advertise the '
                             'http://jabber.org/features/iq-register stream feature after STARTTLS') from None
    expect(fields == ['username', 'password'], 'registration form asks for %r, expected username and password' % fields)
    # The encrypted stream, not the plaintext one, must have carried the password.
    expect('starttls' in registrar.features, 'registration happened before STARTTLS')

    client = await ctx.session(ctx.new_client(jid + '/fresh', new_user['password']))
    return {'bound_jid': str(client.boundjid), 'form_fields': fields}


run(scenario)
