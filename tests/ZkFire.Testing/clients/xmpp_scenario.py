"""Shared set-up for the interop scenarios.

Every scenario script is run as ``python3 <script> '<json args>'`` and prints exactly one JSON
line on stdout: ``{"ok": true, ...observations}`` or ``{"ok": false, "error": "..."}``.
Arguments common to all scenarios:

    host, port            c2s endpoint (STARTTLS)
    nodes                 [{"host": ..., "port": ...}, ...] c2s endpoints of a cluster's nodes, for scenarios
                          whose clients log in to different nodes (default: just host/port). A client's node
                          index wraps around this list, so a scenario that spreads its clients over a cluster
                          also runs against a single node.
    direct_tls_port       XEP-0368 endpoint (only where a scenario needs it)
    domain                the XMPP domain served
    users                 [{"username": ..., "password": ...}, ...] accounts that already exist
    timeout               seconds for the whole scenario (default 30)
    debug                 true to log slixmpp's traffic to stderr

Scenarios check what they observe themselves (``expect``) so that a failure names the broken
expectation; the caller only has to assert ``ok``.
"""

import asyncio
import json
import logging
import ssl
import sys
import traceback
import xml.etree.ElementTree as ET

import slixmpp
from slixmpp.features.feature_mechanisms.stanza import Failure as SaslFailure
from slixmpp.stanza import StreamError
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath

CLIENT_NS = 'jabber:client'
STANZA_ERROR_NS = 'urn:ietf:params:xml:ns:xmpp-stanzas'
DELAY_NS = 'urn:xmpp:delay'

# SCRAM without channel binding, the strongest the server offers is used.
UNBOUND_SCRAM = ('SCRAM-SHA-512', 'SCRAM-SHA-256', 'SCRAM-SHA-1')

# A single wait; short enough that a stuck scenario still fails well inside the overall timeout.
STEP_TIMEOUT = 10.0


class ScenarioFailure(Exception):
    """An expectation of the scenario did not hold."""


def expect(condition, message):
    if not condition:
        raise ScenarioFailure(message)


class Client(slixmpp.ClientXMPP):
    """A slixmpp client that accepts the node's self-signed certificate and records every
    message, presence, roster push and stream error it receives, so a scenario can wait for
    one that arrived before it started waiting."""

    def __init__(self, jid, password, sasl_mech=None, plugins=(), any_mechanism=False):
        super().__init__(jid, password, sasl_mech=sasl_mech)
        if not sasl_mech and not any_mechanism:
            # Left to itself slixmpp 1.8.3 prefers any offered *-PLUS mechanism and binds it with tls-unique;
            # only the login scenario exercises that, so one gap does not fail every scenario.
            self['feature_mechanisms'].use_mechs = set(UNBOUND_SCRAM)
        # Test nodes generate a self-signed certificate on first start.
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        # Left to itself slixmpp answers subscription requests; the scenarios decide instead.
        self.roster.auto_authorize = None
        self.roster.auto_subscribe = False
        for plugin in plugins:
            self.register_plugin(plugin)
        self.received = []
        self._arrival = asyncio.Event()
        self.register_handler(Callback('record message', MatchXPath('{%s}message' % CLIENT_NS), self._record))
        self.register_handler(Callback('record presence', MatchXPath('{%s}presence' % CLIENT_NS), self._record))
        self.add_event_handler('roster_update', self._record)
        self.add_event_handler('stream_error', self._record)
        self.add_event_handler('failed_auth', self._record)
        self.add_event_handler('disconnected', self._record_disconnect)

    def _record(self, stanza):
        self.received.append(stanza)
        self._arrival.set()

    def _record_disconnect(self, reason):
        self.received.append(('disconnected', reason))
        self._arrival.set()

    async def wait_for(self, what, predicate, timeout=STEP_TIMEOUT):
        """Returns the first recorded item matching ``predicate``, waiting up to ``timeout``;
        each item is returned once, so consecutive waits see consecutive arrivals."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for item in self.received:
                if predicate(item):
                    self.received.remove(item)
                    return item
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise ScenarioFailure('%s: timed out after %ss waiting for %s; received meanwhile: %s'
                                      % (self.boundjid, timeout, what, describe(self.received)))
            self._arrival.clear()
            try:
                await asyncio.wait_for(self._arrival.wait(), remaining)
            except asyncio.TimeoutError:
                pass

    async def expect_nothing(self, what, predicate, quiet_period):
        """Fails if an item matching ``predicate`` arrives within ``quiet_period`` seconds."""
        try:
            item = await self.wait_for(what, predicate, quiet_period)
        except ScenarioFailure:
            return
        raise ScenarioFailure('%s: unexpectedly received %s: %s' % (self.boundjid, what, describe([item])))

    def tls_version(self):
        """The TLS version of the live connection, or None when it is not encrypted."""
        ssl_object = self.transport.get_extra_info('ssl_object') if self.transport else None
        return ssl_object.version() if ssl_object else None

    def mechanism(self):
        mech = self['feature_mechanisms'].mech
        return mech.name if mech else None


def describe(items):
    """Short text for recorded items, for failure messages."""
    out = []
    for item in items[-20:]:
        if isinstance(item, tuple):
            out.append('%s(%s)' % item)
        else:
            out.append(str(item)[:400])
    return '[' + ', '.join(out) + ']'


def is_message(item):
    return isinstance(item, slixmpp.Message)


def is_presence(item):
    return isinstance(item, slixmpp.Presence)


def is_roster_push(item):
    return isinstance(item, slixmpp.Iq) and item['type'] == 'set'


def is_sasl_failure(item):
    return isinstance(item, SaslFailure)


def is_stream_error(item):
    return isinstance(item, StreamError)


def is_disconnect(item):
    return isinstance(item, tuple) and item[0] == 'disconnected'


def stanza_error_condition(stanza):
    """The RFC 6120 §8.3.3 condition of an error stanza, or None."""
    error = stanza.xml.find('{%s}error' % CLIENT_NS)
    if error is None:
        return None
    for child in error:
        if child.tag.startswith('{%s}' % STANZA_ERROR_NS) and not child.tag.endswith('}text'):
            return child.tag.split('}', 1)[1]
    return None


def roster_item(push, jid):
    """(subscription, ask) for ``jid`` in a roster push, or None when the push is about someone else."""
    items = push['roster']['items']
    bare = slixmpp.JID(jid).bare
    if bare not in items:
        return None
    item = items[bare]
    return item['subscription'], item['ask'] or None


class Scenario:
    """One run of a scenario: its arguments and the clients it opened (closed at the end)."""

    def __init__(self, args):
        self.args = args
        self.host = args.get('host', '127.0.0.1')
        self.port = int(args['port'])
        self.domain = args.get('domain', 'localhost')
        self.users = args.get('users', [])
        self.nodes = args.get('nodes') or [{'host': self.host, 'port': self.port}]
        self.clients = []

    def jid(self, index, resource=None):
        user = self.users[index]['username'] + '@' + self.domain
        return user + '/' + resource if resource else user

    def password(self, index):
        return self.users[index]['password']

    def client(self, index, resource='interop', password=None, sasl_mech=None, plugins=(), any_mechanism=False, node=0):
        """A client for the index-th user that will log in to ``nodes[node]``; not yet connected. ``sasl_mech``
        pins a mechanism; ``any_mechanism`` leaves the choice to slixmpp (channel binding included)."""
        client = Client(self.jid(index, resource), password or self.password(index),
                        sasl_mech=sasl_mech, plugins=plugins, any_mechanism=any_mechanism)
        client.node = node
        self.clients.append(client)
        return client

    def new_client(self, jid, password, sasl_mech=None, plugins=()):
        client = Client(jid, password, sasl_mech=sasl_mech, plugins=plugins)
        client.node = 0
        self.clients.append(client)
        return client

    def connect(self, client, direct_tls=False):
        """Starts connecting to the client's node, skipping SRV lookup; STARTTLS is required unless ``direct_tls``."""
        if direct_tls:
            address = (self.host, int(self.args['direct_tls_port']))
        else:
            node = self.nodes[client.node % len(self.nodes)]
            address = (node.get('host', self.host), int(node['port']))
        client.connect(address, use_ssl=direct_tls, force_starttls=not direct_tls)

    async def session(self, client, direct_tls=False, timeout=STEP_TIMEOUT):
        """Connects and waits until the session started (resource bound). Does not send presence."""
        started = asyncio.get_running_loop().create_future()

        def done(outcome):
            if not started.done():
                started.set_result(outcome)

        client.add_event_handler('session_start', lambda _: done('session_start'), disposable=True)
        client.add_event_handler('failed_all_auth', lambda *_: done('failed_all_auth'), disposable=True)
        client.add_event_handler('disconnected', lambda reason: done('disconnected: %s' % (reason,)), disposable=True)
        client.add_event_handler('connection_failed', lambda e: done('connection_failed: %s' % (e,)), disposable=True)
        self.connect(client, direct_tls)
        try:
            outcome = await asyncio.wait_for(started, timeout)
        except asyncio.TimeoutError:
            raise ScenarioFailure('%s: no session within %ss; received: %s'
                                  % (client.requested_jid, timeout, describe(client.received))) from None
        expect(outcome == 'session_start', '%s: login failed (%s); received: %s'
               % (client.requested_jid, outcome, describe(client.received)))
        return client

    async def online(self, client, direct_tls=False):
        """Session, roster fetch, initial presence, as a typical client logs in: the client is then an
        available and interested resource (RFC 6121 §2.1.6: subscription approvals and roster pushes
        go only to resources that requested the roster) and gets its offline messages."""
        await self.session(client, direct_tls)
        client.initial_roster = (await client.get_roster(timeout=STEP_TIMEOUT))['roster']['items']
        client.send_presence()
        # The server reflects initial presence to the sender's own resources; use it as a barrier
        # so later steps do not race the presence broadcast.
        await client.wait_for('own initial presence',
                              lambda p: is_presence(p) and p['from'] == client.boundjid and p['type'] == 'available')
        return client

    async def close(self):
        for client in self.clients:
            if client.transport:
                client.abort()


async def subscribe(subscriber, contact):
    """RFC 6121 §3: ``subscriber`` asks for ``contact``'s presence and ``contact`` approves.
    Both must be online (see Scenario.online). Returns the subscription states the two rosters end in."""
    contact_jid = contact.boundjid.bare
    subscriber_jid = subscriber.boundjid.bare
    subscriber.send_presence_subscription(pto=contact_jid, ptype='subscribe')
    request = await contact.wait_for('subscribe from %s' % subscriber_jid,
                                     lambda p: is_presence(p) and p['type'] == 'subscribe'
                                     and p['from'].bare == subscriber_jid)
    contact.send_presence(pto=request['from'].bare, ptype='subscribed')
    await subscriber.wait_for('subscribed from %s' % contact_jid,
                              lambda p: is_presence(p) and p['type'] == 'subscribed'
                              and p['from'].bare == contact_jid)
    # Roster pushes reflect the new state; wait for the final one on each side.
    pushed = {}

    async def final_push(client, other, wanted):
        push = await client.wait_for('roster push for %s with subscription in %s' % (other, wanted),
                                     lambda i: is_roster_push(i) and (roster_item(i, other) or ('',))[0] in wanted)
        pushed[client.boundjid.bare] = roster_item(push, other)

    await final_push(subscriber, contact_jid, ('to', 'both'))
    await final_push(contact, subscriber_jid, ('from', 'both'))
    # Once approved, the contact's server sends the contact's current presence to the subscriber.
    await subscriber.wait_for('available presence of %s' % contact_jid,
                              lambda p: is_presence(p) and p['type'] == 'available'
                              and p['from'].bare == contact_jid)
    return pushed[subscriber_jid], pushed[contact_jid]


def run(scenario):
    """Runs ``async scenario(ctx) -> dict`` with the JSON arguments from argv[1] and prints the result line."""
    args = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    logging.basicConfig(stream=sys.stderr, level=logging.DEBUG if args.get('debug') else logging.WARNING,
                        format='%(asctime)s %(levelname)s %(name)s: %(message)s')
    timeout = float(args.get('timeout', 30))

    async def main():
        ctx = Scenario(args)
        try:
            return await asyncio.wait_for(scenario(ctx), timeout)
        finally:
            await ctx.close()

    try:
        observed = asyncio.run(main()) or {}
        result = dict(observed, ok=True)
    except ScenarioFailure as failure:
        result = {'ok': False, 'error': str(failure)}
    except asyncio.TimeoutError:
        result = {'ok': False, 'error': 'scenario exceeded its %ss timeout' % timeout}
    except Exception as error:  # the JSON line must be printed whatever broke
        traceback.print_exc()
        result = {'ok': False, 'error': '%s: %s' % (type(error).__name__, error)}
    print(json.dumps(result), flush=True)
    sys.exit(0 if result['ok'] else 1)


def child(element, namespace, name):
    """Convenience for raw payload checks: the first child ``{namespace}name`` of an ElementTree element."""
    return element.find('{%s}%s' % (namespace, name)) if element is not None else None


__all__ = ['Client', 'Scenario', 'ScenarioFailure', 'expect', 'run', 'subscribe', 'stanza_error_condition',
           'roster_item', 'is_message', 'is_presence', 'is_roster_push', 'is_disconnect', 'is_stream_error', 'is_sasl_failure', 'child', 'describe',
           'CLIENT_NS', 'DELAY_NS', 'ET', 'STEP_TIMEOUT']
