#!/usr/bin/python3
"""A kazoo session that outlives the member it is connected to: `zk_member_kill.py <connect-string>`.

Sets up data and an ephemeral, then prints `CONNECTED <port>` (the client port of its member) and waits for that
connection to drop: the test kills the member. Once kazoo has reconnected elsewhere it checks that the session and
its ephemeral survived, that reads and writes work and that watches set on the new member fire, then prints one JSON
document as its last line: {"ok": bool, "checks": {name: bool}, "details": {...}}. Exit 0 unless the script itself
failed. (kazoo, unlike the Java client, does not re-arm watches after a reconnect: it tells them of the lost
connection with a NONE event and forgets them, so only watches set afterwards can be checked.)
"""

import json
import os
import signal
import sys
import threading
import time
import traceback
import uuid

from kazoo.client import KazooClient, KazooState

PHASE_TIMEOUT = 60.0
EVENT_TIMEOUT = 10.0


def connected_port(kz):
    return kz._connection._socket.getpeername()[1]


def main(connect):
    root = "/zkkill-" + uuid.uuid4().hex[:12]
    states = []
    suspended, reconnected = threading.Event(), threading.Event()

    def on_state(state):
        states.append(state)
        if state == KazooState.SUSPENDED:
            suspended.set()
        elif state == KazooState.CONNECTED and suspended.is_set():
            reconnected.set()

    kz = KazooClient(hosts=connect, timeout=10.0)
    kz.add_listener(on_state)
    kz.start(timeout=PHASE_TIMEOUT)
    try:
        session_before = kz.client_id[0]
        kz.create(root, b"")
        kz.create(root + "/data", b"before")
        kz.create(root + "/eph", b"", ephemeral=True)
        port_before = connected_port(kz)
        print("CONNECTED %d" % port_before, flush=True)

        dropped = suspended.wait(PHASE_TIMEOUT)
        began = time.monotonic()
        back = reconnected.wait(PHASE_TIMEOUT)
        reconnect_ms = round((time.monotonic() - began) * 1000)
        # Every request below is retried over connection losses, since the ensemble may still be electing.
        retry = kz.retry
        port_after = connected_port(kz) if back else None
        data_after = retry(kz.get, root + "/data")[0]
        eph = retry(kz.exists, root + "/eph")
        data_events, child_events = [], []
        data_fired, child_fired = threading.Event(), threading.Event()
        retry(kz.get, root + "/data", watch=lambda e: (data_events.append(e.type), data_fired.set()))
        retry(kz.get_children, root, watch=lambda e: (child_events.append(e.type), child_fired.set()))
        retry(kz.set, root + "/data", b"after")
        retry(kz.create, root + "/child", b"")
        data_fired.wait(EVENT_TIMEOUT)
        child_fired.wait(EVENT_TIMEOUT)
        checks = {
            "the connection dropped when the member was killed": dropped,
            "kazoo reconnected": back,
            "to another member": back and port_after != port_before,
            "the same session": kz.client_id[0] == session_before,
            "data written before the kill reads back": data_after == b"before",
            "the ephemeral survived with its owner": eph is not None and eph.ephemeralOwner == session_before,
            "a data watch set after the reconnect fired once": data_events == ["CHANGED"],
            "a child watch set after the reconnect fired once": child_events == ["CHILD"],
            "a write after the reconnect reads back": retry(kz.get, root + "/data")[0] == b"after",
        }
        retry(kz.delete, root, recursive=True)
        details = {"port_before": port_before, "port_after": port_after, "reconnect_ms": reconnect_ms,
                   "states": [str(s) for s in states], "data_events": data_events, "child_events": child_events}
        return {"ok": all(checks.values()), "checks": checks, "details": details}
    finally:
        kz.stop()
        kz.close()


def run(argv):
    if len(argv) != 2:
        print("usage: %s <connect-string>" % argv[0], file=sys.stderr)
        return 64

    def on_alarm(signum, frame):
        raise TimeoutError("exceeded %d s" % (3 * PHASE_TIMEOUT))

    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(int(3 * PHASE_TIMEOUT))
    try:
        print(json.dumps(main(argv[1])))
        return 0
    except BaseException:
        print(json.dumps({"ok": False, "harness_error": traceback.format_exc()}))
        return 1


if __name__ == "__main__":
    code = run(sys.argv)
    sys.stdout.flush()
    # kazoo's worker threads can keep a failed interpreter alive; leave at once.
    os._exit(code)
