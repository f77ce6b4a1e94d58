#!/usr/bin/python3
"""XMPP clients for tools/cluster/quorum-loss-drill.sh, on slixmpp (Debian python3-slixmpp).

    drill_client.py cross USER:PASSWORD@PORT USER:PASSWORD@PORT [--timeout S]
        Logs both users in (each on its own node's c2s port), sends a message from the first to the second's full
        JID and waits for it. Exit 0 when it arrived, 1 otherwise; one line per step on stdout.

    drill_client.py watch USER:PASSWORD@PORT --seconds S [--ready FILE] [--ping-every S] [--retry-every S]
        Logs in and, for S seconds, reports what the client sees: a ping to the server every --ping-every seconds
        (answered or not), stream errors, disconnections, then a new login attempt every --retry-every seconds and
        how it ends. Writes FILE once the first session is up. Always exits 0: it reports, it does not judge.

Clients connect to 127.0.0.1 (--host) with STARTTLS, accepting the nodes' self-signed certificates, as
USER@localhost (--domain), and authenticate with SCRAM without channel binding.
"""

import argparse
import asyncio
import logging
import ssl
import sys
import time
import uuid

import slixmpp
from slixmpp.exceptions import IqError, IqTimeout

SCRAM = {'SCRAM-SHA-512', 'SCRAM-SHA-256', 'SCRAM-SHA-1'}


def say(who, text):
    now = time.time()
    print('%s.%03d [%s] %s' % (time.strftime('%H:%M:%S', time.gmtime(now)), int(now * 1000) % 1000, who, text), flush=True)


class Account:
    def __init__(self, spec, args):
        try:
            credentials, port = spec.rsplit('@', 1)
            self.user, self.password = credentials.split(':', 1)
            self.port = int(port)
        except ValueError:
            raise SystemExit('%s: expected USER:PASSWORD@PORT' % spec)
        self.host = args.host
        self.jid = '%s@%s/drill-%s' % (self.user, args.domain, uuid.uuid4().hex[:6])
        self.label = '%s@%s' % (self.user, self.port)


class Client(slixmpp.ClientXMPP):
    def __init__(self, account):
        super().__init__(account.jid, account.password)
        self.account = account
        self['feature_mechanisms'].use_mechs = set(SCRAM)
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        self.register_plugin('xep_0199')
        self.messages = asyncio.Queue()
        self.stream_errors = []
        self.add_event_handler('message', self.messages.put_nowait)
        self.add_event_handler('stream_error', self.stream_errors.append)

    def stop(self):
        """Closes the connection and stops slixmpp from reconnecting on its own."""
        self.cancel_connection_attempt()
        self.abort()


def describe_stream_error(error):
    text = error['text']
    return '<%s/>%s' % (error['condition'], ' "%s"' % text if text else '')


async def login(account, timeout):
    """A client with a started session, or (None, why not)."""
    client = Client(account)
    outcome = asyncio.get_running_loop().create_future()

    def settle(what):
        if not outcome.done():
            outcome.set_result(what)

    client.add_event_handler('session_start', lambda _: settle('session'))
    client.add_event_handler('failed_all_auth', lambda *_: settle('authentication failed'))
    client.add_event_handler('connection_failed', lambda e: settle('connection failed: %s' % (e,)))
    client.add_event_handler('disconnected', lambda reason: settle('disconnected before the session started%s'
                                                                    % (': %s' % reason if reason else '')))
    client.connect((account.host, account.port))
    try:
        result = await asyncio.wait_for(outcome, timeout)
    except asyncio.TimeoutError:
        result = 'no session within %s s' % timeout
    if result == 'session':
        return client, None
    if client.stream_errors:
        result += ' (stream error %s)' % ', '.join(describe_stream_error(e) for e in client.stream_errors)
    client.stop()
    return None, result


async def cross(args):
    sender_account, receiver_account = Account(args.sender, args), Account(args.receiver, args)
    clients = []
    try:
        for account in (receiver_account, sender_account):
            client, failure = await login(account, args.timeout)
            if client is None:
                say(account.label, 'login FAILED: %s' % failure)
                return 1
            say(account.label, 'logged in as %s' % client.boundjid)
            client.send_presence()
            clients.append(client)
        receiver, sender = clients
        body = 'drill %s' % uuid.uuid4().hex[:8]
        started = time.monotonic()
        sender.send_message(mto=receiver.boundjid.full, mbody=body, mtype='chat')
        say(sender_account.label, 'sent "%s" to %s' % (body, receiver.boundjid))
        deadline = started + args.timeout
        while True:
            try:
                message = await asyncio.wait_for(receiver.messages.get(), max(0.0, deadline - time.monotonic()))
            except asyncio.TimeoutError:
                say(receiver_account.label, 'message NOT received within %s s' % args.timeout)
                return 1
            if message['body'] == body:
                say(receiver_account.label, 'received "%s" from %s after %.0f ms'
                    % (body, message['from'], (time.monotonic() - started) * 1000))
                return 0
            if message['type'] == 'error':
                say(receiver_account.label, 'got an error instead: %s' % message['error']['condition'])
    finally:
        for client in clients:
            client.stop()


async def watch(args):
    account = Account(args.account, args)
    end = time.monotonic() + args.seconds
    first = True
    # A refusal like the one before is counted, not printed again.
    refusal, repeats = None, 0
    while time.monotonic() < end:
        client, failure = await login(account, min(args.retry_every * 3, 10))
        if client is None:
            if failure == refusal:
                repeats += 1
            else:
                report_repeats(account, repeats, args.retry_every)
                say(account.label, 'login refused: %s' % failure)
                refusal, repeats = failure, 0
            await asyncio.sleep(min(args.retry_every, max(0.0, end - time.monotonic())))
            continue
        report_repeats(account, repeats, args.retry_every)
        refusal, repeats = None, 0
        say(account.label, 'session up as %s' % client.boundjid)
        if first and args.ready:
            open(args.ready, 'w').close()
        first = False
        await keep_session(client, account, end, args.ping_every)
        client.stop()
    report_repeats(account, repeats, args.retry_every)
    say(account.label, 'watch over after %s s' % args.seconds)
    return 0


def report_repeats(account, repeats, every):
    if repeats:
        say(account.label, 'login refused the same way %d more time(s), retrying every %g s' % (repeats, every))


async def keep_session(client, account, end, ping_every):
    """Pings the server until the session ends or the watch is over, reporting every change (and every tenth ping,
    so a long quiet stretch still shows the session alive)."""
    disconnected = asyncio.get_running_loop().create_future()
    client.add_event_handler('disconnected', lambda reason: disconnected.done() or disconnected.set_result(reason))
    errors_seen = 0
    last = None
    pings = 0
    while time.monotonic() < end:
        for error in client.stream_errors[errors_seen:]:
            say(account.label, 'stream error %s' % describe_stream_error(error))
        errors_seen = len(client.stream_errors)
        if disconnected.done():
            reason = disconnected.result()
            say(account.label, 'disconnected%s' % (': %s' % reason if reason else ''))
            return
        started = time.monotonic()
        try:
            await client['xep_0199'].ping(jid=client.boundjid.domain, timeout=ping_every * 2)
            state, detail = 'ping answered', ' (%.0f ms)' % ((time.monotonic() - started) * 1000)
        except IqTimeout:
            state, detail = 'ping unanswered', ''
        except IqError as e:
            state, detail = 'ping error', ' %s' % e.iq['error']['condition']
        except Exception as e:  # the connection went away mid-ping: the next round reports how
            state, detail = 'ping failed', ' (%s)' % type(e).__name__
        pings += 1
        if state != last or pings % 10 == 0:
            say(account.label, state + detail)
        last = state
        try:
            await asyncio.wait_for(asyncio.shield(disconnected), max(0.0, ping_every - (time.monotonic() - started)))
        except asyncio.TimeoutError:
            pass


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--domain', default='localhost')
    parser.add_argument('--debug', action='store_true', help="slixmpp's traffic on stderr")
    commands = parser.add_subparsers(dest='command', required=True)
    crossing = commands.add_parser('cross')
    crossing.add_argument('sender')
    crossing.add_argument('receiver')
    crossing.add_argument('--timeout', type=float, default=15)
    watching = commands.add_parser('watch')
    watching.add_argument('account')
    watching.add_argument('--seconds', type=float, required=True)
    watching.add_argument('--ready')
    watching.add_argument('--ping-every', type=float, default=1)
    watching.add_argument('--retry-every', type=float, default=2)
    args = parser.parse_args()
    logging.basicConfig(stream=sys.stderr, level=logging.DEBUG if args.debug else logging.CRITICAL)
    sys.exit(asyncio.run(cross(args) if args.command == 'cross' else watch(args)))


if __name__ == '__main__':
    main()
