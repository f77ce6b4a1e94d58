"""Steps shared by the failure scenarios of a ZkFire cluster, on top of xmpp_scenario.

Extra arguments these scenarios take:

    pids                  {"1": pid, "2": pid, "3": pid} the nodes' process ids, for SIGKILL/SIGSTOP/SIGCONT
    session_timeout       the nodes' ZooKeeper session timeout, seconds
    margin                seconds allowed on top of the session timeout for a node or its peers to act on it
"""
import asyncio
import os
import signal
import time

from xmpp_scenario import ScenarioFailure, describe, is_disconnect, is_stream_error


def pid(ctx, node):
    """The process id of node ``node`` (numbered 1 to 3, as the harness numbers them)."""
    return int(ctx.args['pids'][str(node)])


def deadline(ctx):
    """Seconds within which the cluster must act on a lost ZooKeeper session."""
    return float(ctx.args['session_timeout']) + float(ctx.args.get('margin', 10))


def signal_node(ctx, node, signum):
    os.kill(pid(ctx, node), signum)


def kill_node(ctx, node):
    signal_node(ctx, node, signal.SIGKILL)


async def stream_error(client, timeout):
    """The condition of the stream error ``client`` receives within ``timeout`` s, once its connection has closed."""
    error = await client.wait_for('a stream error', is_stream_error, timeout)
    await client.wait_for('the connection to close after the stream error', is_disconnect, 10)
    return error['condition']


async def try_login(ctx, client):
    """Logs ``client`` in; returns None on success or, when the node refuses, the stream error condition it sent
    (or a description of how the attempt ended without one)."""
    try:
        await ctx.session(client)
        return None
    except ScenarioFailure as failure:
        errors = [item['condition'] for item in client.received if is_stream_error(item)]
        return errors[0] if errors else 'no stream error (%s)' % failure


async def login_when_possible(ctx, make_client, timeout):
    """Tries a fresh client from ``make_client()`` until one logs in; returns (client, seconds, refusals)."""
    started = time.monotonic()
    refusals = []
    while True:
        client = make_client()
        refusal = await try_login(ctx, client)
        if refusal is None:
            return client, round(time.monotonic() - started, 3), refusals
        refusals.append(refusal)
        if client.transport:
            client.abort()
        if time.monotonic() - started > timeout:
            raise ScenarioFailure('no login within %ss; refusals: %s; last client received: %s'
                                  % (timeout, refusals[-5:], describe(client.received)))
        await asyncio.sleep(0.5)


__all__ = ['pid', 'deadline', 'signal_node', 'kill_node', 'stream_error', 'try_login', 'login_when_possible']
