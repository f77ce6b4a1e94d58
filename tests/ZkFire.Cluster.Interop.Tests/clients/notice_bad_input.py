"""Bad input on a node's notice port (``notice_port``, node 2's, where B is logged in), from a peer that never did
the handshake: the bytes ``payload`` (base64) are sent on a raw socket, and the node must close that connection
within ``close_timeout`` s. Nothing it sent is routed (B never receives ``forged_body``, which a well-formed
envelope in the payload may carry), and a message from A on node 1 still reaches B afterwards."""
import asyncio
import base64
import socket
import time

from xmpp_scenario import ScenarioFailure, expect, is_message, run

QUIET_PERIOD = 1.5


def send_and_wait_for_close(port, payload, timeout):
    """Sends ``payload``; returns (how the connection ended, seconds until then), or raises if it stays open."""
    started = time.monotonic()
    try:
        peer = socket.create_connection(('127.0.0.1', port), timeout=timeout)
    except ConnectionRefusedError:
        raise ScenarioFailure('nothing listens on the notice port %d' % port) from None
    with peer:
        try:
            peer.sendall(payload)
        except (BrokenPipeError, ConnectionResetError):
            return 'reset while sending', round(time.monotonic() - started, 3)
        while True:
            remaining = timeout - (time.monotonic() - started)
            expect(remaining > 0, 'the notice port kept the connection open for %ss' % timeout)
            peer.settimeout(remaining)
            try:
                chunk = peer.recv(65536)
            except ConnectionResetError:
                return 'reset', round(time.monotonic() - started, 3)
            except socket.timeout:
                continue
            if not chunk:
                return 'closed', round(time.monotonic() - started, 3)


async def scenario(ctx):
    alice = await ctx.online(ctx.client(0, resource='sender', node=0))
    bob = await ctx.online(ctx.client(1, resource='receiver', node=1))
    payload = base64.b64decode(ctx.args['payload'])
    forged = ctx.args.get('forged_body')
    ended, seconds = await asyncio.get_running_loop().run_in_executor(
        None, send_and_wait_for_close, int(ctx.args['notice_port']), payload, float(ctx.args['close_timeout']))
    if forged:
        await bob.expect_nothing('the forged message', lambda m: is_message(m) and m['body'] == forged, QUIET_PERIOD)
    alice.send_message(mto=bob.boundjid, mbody='after the bad input', mtype='chat')
    await bob.wait_for('a message across nodes after the bad input', lambda m: is_message(m) and m['body'] == 'after the bad input')
    return {'ended': ended, 'seconds': seconds}


run(scenario)
