"""Shared machinery for the ZooKeeper differential scenarios (run with Debian's /usr/bin/python3 + python3-kazoo).

A scenario drives one or more kazoo sessions against one server and records *normalised* observations, so the
document printed for Apache ZooKeeper can be compared byte for byte with the one printed for the server under test:

- zxids become offsets from the scenario's first zxid ("+3"), or "earlier" for older ones, so two servers with
  different histories compare equal;
- times become "0" / "recent"; session ids become the name of the scenario session that owns them;
- the scenario's unique root name becomes "{root}" (so its root path reads "/{root}");
- every reply and watch event that reaches a session is logged at the wire, in arrival order, and attached to the
  next step run on that session ("wire"), which is how "the event precedes the reply" is made visible.
"""

import json
import os
import signal
import socket
import struct
import sys
import time
import traceback
import uuid

from kazoo.client import KazooClient
from kazoo import exceptions as kexc
from kazoo.exceptions import ZookeeperError
from kazoo.protocol import serialization as ser
from kazoo.protocol.states import ZnodeStat
from kazoo.security import ACL, Id

OP_TIMEOUT = 10.0
SCENARIO_TIMEOUT = int(os.environ.get("ZK_SCENARIO_TIMEOUT", "60"))

EVENT_NAMES = {-1: "None", 1: "NodeCreated", 2: "NodeDeleted", 3: "NodeDataChanged", 4: "NodeChildrenChanged",
               5: "DataWatchRemoved", 6: "ChildWatchRemoved", 7: "PersistentWatchRemoved"}
PING_XID, AUTH_XID, WATCH_XID = -2, -4, -1


def _register_missing_error_codes():
    """kazoo 2.8 maps unknown error codes to a RuntimeError inside its connection loop, which kills the connection.
    ZooKeeper 3.8 added codes kazoo does not know (e.g. -121 NoWatcher for removeWatches), so teach kazoo them."""
    for code, name in [(-12, "UnknownSession"), (-120, "EphemeralOnLocalSession"), (-121, "NoWatcher"),
                       (-122, "RequestTimeout"), (-123, "ReconfigDisabled"), (-124, "SessionClosedRequireSaslAuth"),
                       (-125, "QuotaExceeded"), (-127, "ThrottledOp")]:
        if code not in kexc.EXCEPTIONS:
            kexc.EXCEPTIONS[code] = type(name + "Error", (ZookeeperError,), {"code": code})


_register_missing_error_codes()


# ---------------------------------------------------------------------------------------------------------------
# Raw requests for ZooKeeper 3.5+ operations kazoo has no call for. Each has the attributes kazoo's connection
# uses: type (opcode), serialize(), and deserialize(bytes, offset) for replies with a body.

def _w_int(value):
    return ser.int_struct.pack(value)


def _w_acls(acls):
    out = bytearray(_w_int(len(acls)))
    for acl in acls:
        out += _w_int(acl.perms) + ser.write_string(acl.id.scheme) + ser.write_string(acl.id.id)
    return out


def _r_stat(buffer, offset):
    return ZnodeStat._make(ser.stat_struct.unpack_from(buffer, offset)), offset + ser.stat_struct.size


def _r_strings(buffer, offset):
    count = ser.int_struct.unpack_from(buffer, offset)[0]
    offset += 4
    items = []
    for _ in range(max(count, 0)):
        item, offset = ser.read_string(buffer, offset)
        items.append(item)
    return items, offset


class RawPathCreate:
    """create (1) / create2 (15) / createContainer (19) / createTTL (21), bypassing kazoo's path checks."""
    def __init__(self, path, data=b"", acl=None, flags=0, opcode=1, ttl=None):
        self.type, self.path, self.data, self.flags, self.ttl = opcode, path, data, flags, ttl
        self.acl = acl if acl is not None else [ACL(31, Id("world", "anyone"))]

    def serialize(self):
        out = bytearray(self._path_bytes() + ser.write_buffer(self.data) + _w_acls(self.acl) + _w_int(self.flags))
        if self.ttl is not None:
            out += ser.long_struct.pack(self.ttl)
        return out

    def _path_bytes(self):
        # kazoo writes "" as a null string; send a real zero-length string so the server sees an empty path.
        encoded = self.path.encode("utf-8")
        return _w_int(len(encoded)) + encoded

    def deserialize(self, buffer, offset):
        path, offset = ser.read_string(buffer, offset)
        if self.type == 1:
            return path
        stat, _ = _r_stat(buffer, offset)
        return path, stat


class _PathRequest:
    """A request whose body is one path and optionally one named int, with a decoder for its reply."""
    def __init__(self, opcode, path, number=None, decode=None):
        self.type, self.path, self.decode = opcode, path, decode
        self.number = number  # (name, value) or None

    def serialize(self):
        out = bytearray(ser.write_string(self.path))
        if self.number is not None:
            out += _w_int(self.number[1])
        return out

    def deserialize(self, buffer, offset):
        return self.decode(buffer, offset) if self.decode else True

    def describe(self):
        return dict([("path", self.path)] + ([self.number] if self.number else []))


def CreateContainer(path, data=b""):
    return RawPathCreate(path, data, flags=4, opcode=19)


def CreateTTL(path, ttl_ms, data=b"", flags=5):
    """flags 5 = PERSISTENT_WITH_TTL, 6 = PERSISTENT_SEQUENTIAL_WITH_TTL."""
    return RawPathCreate(path, data, flags=flags, opcode=21, ttl=ttl_ms)


def GetEphemerals(prefix):
    return _PathRequest(103, prefix, decode=lambda b, o: _r_strings(b, o)[0])


def GetAllChildrenNumber(path):
    return _PathRequest(104, path, decode=lambda b, o: ser.int_struct.unpack_from(b, o)[0])


def AddWatch(path, mode):
    """mode 0 = PERSISTENT, 1 = PERSISTENT_RECURSIVE."""
    return _PathRequest(106, path, ("mode", mode))


def CheckWatches(path, watcher_type):
    """watcher_type 1 = Children, 2 = Data, 3 = Any."""
    return _PathRequest(17, path, ("watcher_type", watcher_type))


def RemoveWatches(path, watcher_type):
    return _PathRequest(18, path, ("watcher_type", watcher_type))


class WhoAmI:
    type = 107
    path = None

    def serialize(self):
        return b""

    def deserialize(self, buffer, offset):
        count = ser.int_struct.unpack_from(buffer, offset)[0]
        offset += 4
        identities = []
        for _ in range(count):
            scheme, offset = ser.read_string(buffer, offset)
            user, offset = ser.read_string(buffer, offset)
            identities.append([scheme, user])
        return identities


class MultiRead:
    """multiRead (22): ops are ("get", path) or ("children", path)."""
    type = 22
    path = None

    def __init__(self, ops):
        self.ops = ops

    def serialize(self):
        out = bytearray()
        for kind, path in self.ops:
            opcode = 4 if kind == "get" else 8
            out += ser.MultiHeader(opcode, False, -1).serialize() + ser.write_string(path) + b"\0"
        return out + ser.MultiHeader(-1, True, -1).serialize()

    def deserialize(self, buffer, offset):
        results = []
        while True:
            header, offset = ser.MultiHeader.deserialize(buffer, offset)
            if header.done:
                return results
            if header.type == 4:
                data, offset = ser.read_buffer(buffer, offset)
                stat, offset = _r_stat(buffer, offset)
                results.append((data, stat))
            elif header.type == 8:
                children, offset = _r_strings(buffer, offset)
                results.append(children)
            else:
                code = ser.int_struct.unpack_from(buffer, offset)[0]
                offset += 4
                results.append(kexc.EXCEPTIONS[code]())


REQUEST_NAMES = {1: "Create", 2: "Delete", 3: "Exists", 4: "GetData", 5: "SetData", 6: "GetACL", 7: "SetACL",
                 8: "GetChildren", 9: "Sync", 12: "GetChildren2", 13: "Check", 14: "Multi", 15: "Create2",
                 16: "Reconfig", 17: "CheckWatches", 18: "RemoveWatches", 19: "CreateContainer",
                 20: "DeleteContainer", 21: "CreateTTL", 22: "MultiRead", 100: "Auth", 103: "GetEphemerals",
                 104: "GetAllChildrenNumber", 106: "AddWatch", 107: "WhoAmI", -11: "Close"}


# ---------------------------------------------------------------------------------------------------------------

class HarnessError(Exception):
    """A fault of the scenario or the harness (not an observation): the run fails instead of printing a document."""


class Session:
    """One kazoo client plus a log of everything that reached it at the wire, in arrival order."""

    def __init__(self, scenario, name, timeout_s, session_id=None, password=None):
        self.scenario, self.name = scenario, name
        self.kz = KazooClient(hosts=scenario.connect, timeout=timeout_s)
        if session_id is not None:
            # Presenting another session's id and password takes that session over.
            self.kz._session_id, self.kz._session_passwd = session_id, password
        self.wire = []
        self.consumed = 0
        self.closed = False
        self._hook_connection()
        self.kz.start(timeout=OP_TIMEOUT)
        self.session_id, self.password = self.kz.client_id

    def _hook_connection(self):
        conn = self.kz._connection
        read_header = conn._read_header

        def logging_read_header(timeout):
            header, buffer, offset = read_header(timeout)
            if header.xid == WATCH_XID:
                event, _ = ser.Watch.deserialize(buffer, offset)
                entry = ["event", EVENT_NAMES.get(event.type, event.type), self.scenario.relative(event.path)]
                if event.state != 3:
                    entry.append({"state": event.state})
                self.wire.append(entry)
            elif header.xid == AUTH_XID:
                self.wire.append(["reply", "Auth", None, header.err, self.scenario.zxid(header.zxid)])
            elif header.xid != PING_XID and self.kz._pending:
                request = self.kz._pending[0][0]
                name = REQUEST_NAMES.get(request.type, type(request).__name__)
                path = self.scenario.relative(getattr(request, "path", None))
                self.wire.append(["reply", name, path, header.err, self.scenario.zxid(header.zxid)])
            return header, buffer, offset

        conn._read_header = logging_read_header

    def call(self, op, *args, **kwargs):
        """Runs one request and returns its result; ZooKeeper errors are raised as kazoo exceptions."""
        if isinstance(op, str):
            return getattr(self.kz, op + "_async")(*args, **kwargs).get(timeout=OP_TIMEOUT)
        result = self.kz.handler.async_result()
        self.kz._call(op, result)
        return result.get(timeout=OP_TIMEOUT)

    def take_wire(self):
        entries = self.wire[self.consumed:]
        self.consumed += len(entries)
        return entries

    def close(self):
        if not self.closed:
            self.closed = True
            self.kz.stop()
            self.kz.close()


class RawConnection:
    """A bare socket speaking the client protocol, for what kazoo hides or retries: the exact connect response,
    a connection the server closes, or leaving a session without closing it."""

    def __init__(self, scenario, timeout_ms=10000, session_id=0, password=b"\0" * 16, read_only_byte=True):
        host, _, port = scenario.connect.split(",")[0].rpartition(":")
        self.sock = socket.create_connection((host, int(port)), timeout=OP_TIMEOUT)
        body = struct.pack("!iqiq", 0, 0, timeout_ms, session_id) + ser.write_buffer(password)
        if read_only_byte:
            body += b"\0"
        self.sock.sendall(struct.pack("!i", len(body)) + body)
        frame = self.read_frame()
        self.response_length = len(frame)
        _, self.timeout_ms, self.session_id = struct.unpack_from("!iiq", frame, 0)
        self.password, _ = ser.read_buffer(frame, 16)

    def read_frame(self):
        length = struct.unpack("!i", self._read_exactly(4))[0]
        return self._read_exactly(length)

    def _read_exactly(self, count):
        data = b""
        while len(data) < count:
            chunk = self.sock.recv(count - len(data))
            if not chunk:
                raise EOFError("connection closed by the server")
            data += chunk
        return data

    def request(self, xid, request):
        body = struct.pack("!ii", xid, request.type) + bytes(request.serialize())
        self.sock.sendall(struct.pack("!i", len(body)) + body)
        return ser.ReplyHeader.deserialize(self.read_frame(), 0)[0]

    def closed_by_server(self):
        """True when the server has closed the connection (EOF within the timeout)."""
        try:
            return self.sock.recv(1) == b""
        except (ConnectionResetError, socket.timeout):
            return False

    def drop(self):
        """Closes the socket without closing the session."""
        self.sock.close()


NOOP_WATCH = lambda event: None  # noqa: E731  (a watcher is only needed to make kazoo send watch=true)


class Scenario:
    def __init__(self, connect):
        self.connect = connect
        self.root_name = "zkdiff-" + uuid.uuid4().hex[:12]
        self.root = "/" + self.root_name
        self.sessions = {}
        self.raw_sessions = {}
        self.steps = []
        self.violations = []
        self.base_zxid = None

    # -- sessions ------------------------------------------------------------------------------------------------

    def session(self, name, timeout_s=10.0, takeover=None):
        """Opens a named session; with takeover=<Session> it presents that session's id and password instead."""
        if name in self.sessions:
            raise HarnessError("session %r opened twice" % name)
        if takeover is not None:
            session = Session(self, name, timeout_s, takeover.session_id, takeover.password)
        else:
            session = Session(self, name, timeout_s)
        self.sessions[name] = session
        if self.base_zxid is None:
            # The root's creation is the first zxid the scenario sees; every zxid is reported relative to it.
            path, stat = session.call("create", self.root, b"", include_data=True)
            self.base_zxid = stat.czxid
            session.take_wire()
        return session

    def raw_session(self, name, **kwargs):
        """Opens a RawConnection named for ephemeralOwner reporting (see RawConnection for the arguments)."""
        raw = RawConnection(self, **kwargs)
        if raw.session_id:
            self.raw_sessions[name] = raw
        return raw

    def owner_name(self, session_id):
        if session_id == 0:
            return 0
        if session_id < 0:
            # Not a session: ZooKeeper marks containers and TTL nodes with reserved negative owners.
            return "0x%016x" % (session_id & 0xFFFFFFFFFFFFFFFF)
        names = sorted(name for name, s in list(self.sessions.items()) + list(self.raw_sessions.items())
                       if s.session_id == session_id)
        return names[0] if names else "unknown-session"

    # -- normalisation -------------------------------------------------------------------------------------------

    def zxid(self, value):
        if value is None or self.base_zxid is None:
            return None
        if value <= 0:
            return value
        return "earlier" if value < self.base_zxid else "+%d" % (value - self.base_zxid)

    def relative(self, text):
        """Replaces the scenario's unique root name wherever it occurs (also under /zookeeper)."""
        return text.replace(self.root_name, "{root}") if isinstance(text, str) else text

    def path(self, *parts):
        return "/".join((self.root,) + parts)

    def stat(self, s):
        def when(ms):
            return 0 if ms == 0 else ("recent" if abs(time.time() * 1000 - ms) < 600_000 else "not-recent")
        return {"czxid": self.zxid(s.czxid), "mzxid": self.zxid(s.mzxid), "pzxid": self.zxid(s.pzxid),
                "ctime": when(s.ctime), "mtime": when(s.mtime), "ctime==mtime": s.ctime == s.mtime,
                "version": s.version, "cversion": s.cversion, "aversion": s.aversion,
                "ephemeralOwner": self.owner_name(s.ephemeralOwner), "dataLength": s.dataLength,
                "numChildren": s.numChildren}

    def normalise(self, value):
        if isinstance(value, ZnodeStat):
            return self.stat(value)
        if isinstance(value, ACL):
            return [value.perms, value.id.scheme, value.id.id]
        if isinstance(value, BaseException):
            return error_of(value)
        if isinstance(value, (bytes, bytearray)):
            if len(value) > 64:
                return {"length": len(value), "distinct": sorted(set(bytes(value).decode("latin-1")))}
            try:
                return {"data": bytes(value).decode("utf-8")}
            except UnicodeDecodeError:
                return {"hex": bytes(value).hex()}
        if isinstance(value, str):
            return self.relative(value)
        if isinstance(value, (list, tuple)):
            return [self.normalise(v) for v in value]
        if isinstance(value, dict):
            return {k: self.normalise(v) for k, v in value.items()}
        if value is None or isinstance(value, (bool, int, float)):
            return value
        return repr(value)

    def describe_op(self, op, args, kwargs):
        if isinstance(op, str):
            described = [op] + [self.normalise(a) for a in args]
            described += ["%s=%s" % (k, json.dumps(self.normalise(v))) for k, v in sorted(kwargs.items())
                          if k != "watch"]
            if kwargs.get("watch") is not None:
                described.append("watch")
            return described
        if hasattr(op, "_asdict"):
            body = {k: v for k, v in op._asdict().items() if k != "watcher"}
        elif hasattr(op, "describe"):
            body = op.describe()
        else:
            body = {k: v for k, v in vars(op).items() if k not in ("decode", "type")}
        return [REQUEST_NAMES.get(op.type, type(op).__name__), self.normalise(body)]

    # -- steps ---------------------------------------------------------------------------------------------------

    def unrecorded(self, session, op, *args, **kwargs):
        """Runs op without recording it (its reply is dropped from the session's wire log too)."""
        result = session.call(op, *args, **kwargs)
        session.take_wire()
        return result

    def step(self, session, op, *args, sort=False, note=None, **kwargs):
        """Runs op on session and records its normalised result or error, plus what reached the wire meanwhile.
        op is a kazoo method name (called as <op>_async) or a raw request object. Returns the raw result, or the
        exception for a ZooKeeper error, so the scenario can use it."""
        if session.closed:
            raise HarnessError("step on closed session %s" % session.name)
        record = {"session": session.name, "op": self.describe_op(op, args, kwargs)}
        if note:
            record["note"] = note
        try:
            result = session.call(op, *args, **kwargs)
            # Children come in the server's hash order, which no client may rely on.
            record["result"] = self.normalise(sort_children(result) if sort or op == "get_children" else result)
        except ZookeeperError as e:
            result = e
            record["error"] = error_of(e)
        record["wire"] = session.take_wire()
        self.steps.append(record)
        return result

    def multi(self, session, build, note=None):
        """Commits a kazoo transaction built by build(transaction); results are per-op results or errors."""
        tx = session.kz.transaction()
        build(tx)
        record = {"session": session.name, "op": ["multi"] + [self.describe_op(o, (), {}) for o in tx.operations]}
        if note:
            record["note"] = note
        try:
            result = tx.commit_async().get(timeout=OP_TIMEOUT)
            record["result"] = self.normalise(result)
        except ZookeeperError as e:
            result = e
            record["error"] = error_of(e)
        record["wire"] = session.take_wire()
        self.steps.append(record)
        return result

    def close(self, session, note=None):
        """Closes a session (kazoo sends closeSession and waits for the reply) and records what reached it."""
        session.close()
        record = {"session": session.name, "op": ["close"], "wire": session.take_wire()}
        if note:
            record["note"] = note
        self.steps.append(record)

    def observe(self, label, value):
        """Records a value computed by the scenario (e.g. a difference of two versions)."""
        self.steps.append({"observe": label, "value": self.normalise(value)})

    def expect(self, label, actual, expected):
        """A fact Apache ZooKeeper 3.8 is known to show (PEERS.md). Violations are reported, not raised, so the
        C# side can show them for the reference server (stale knowledge) and the server under test alike."""
        if actual != expected:
            self.violations.append({"fact": label, "expected": self.normalise(expected),
                                    "actual": self.normalise(actual)})

    # -- four-letter words ---------------------------------------------------------------------------------------

    def four_letter_word(self, word):
        host, _, port = self.connect.split(",")[0].rpartition(":")
        with socket.create_connection((host, int(port)), timeout=OP_TIMEOUT) as sock:
            sock.sendall(word.encode("ascii"))
            chunks = []
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    return b"".join(chunks).decode("utf-8", "replace")
                chunks.append(chunk)

    # -- the document --------------------------------------------------------------------------------------------

    def finish(self):
        """Flushes each open session with a sync (any event still owed to it arrives before that reply), closes it
        and returns the document."""
        for name in sorted(self.sessions):
            session = self.sessions[name]
            if not session.closed:
                self.step(session, "sync", "/", note="final flush")
                session.close()
        return {"steps": self.steps, "violations": self.violations}

    def abandon(self):
        for session in self.sessions.values():
            try:
                session.close()
            except Exception:
                pass


def sort_children(result):
    """Sorts a list of names (or of [scheme, user] pairs); for (children, stat) sorts the children."""
    if isinstance(result, list) and all(isinstance(r, (str, list)) for r in result):
        return sorted(result)
    if isinstance(result, tuple) and result and isinstance(result[0], list):
        return (sorted(result[0]),) + result[1:]
    return result


def error_of(exception):
    return {"error": type(exception).__name__, "code": getattr(exception, "code", None)}


SCENARIOS = {}


def scenario(function):
    SCENARIOS[function.__name__] = function
    return function


def main(argv):
    """zk_scenarios.py <connect-string> <scenario> | --list. Prints one JSON document; exit 0 unless the harness
    itself failed (a ZooKeeper error is an observation, not a failure)."""
    if len(argv) == 2 and argv[1] == "--list":
        print(json.dumps(sorted(SCENARIOS)))
        return 0
    if len(argv) != 3 or argv[2] not in SCENARIOS:
        print("usage: %s <connect-string> <scenario>|--list; scenarios: %s" % (argv[0], ", ".join(sorted(SCENARIOS))),
              file=sys.stderr)
        return 64

    def on_alarm(signum, frame):
        raise HarnessError("scenario exceeded %d s" % SCENARIO_TIMEOUT)

    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(SCENARIO_TIMEOUT)
    t = Scenario(argv[1])
    try:
        SCENARIOS[argv[2]](t)
        document = t.finish()
    except BaseException:
        t.abandon()
        print(render({"scenario": argv[2], "harness_error": traceback.format_exc(), "steps": t.steps}))
        return 1
    finally:
        signal.alarm(0)
    print(render({"scenario": argv[2], **document}))
    return 0


def render(document):
    """JSON with one step per line: compact, yet a line diff of two documents points at the differing step."""
    lines = []
    for key, value in document.items():
        if isinstance(value, list) and value:
            items = ",\n".join("  " + json.dumps(v, ensure_ascii=False) for v in value)
            lines.append(" %s: [\n%s\n ]" % (json.dumps(key), items))
        else:
            lines.append(" %s: %s" % (json.dumps(key), json.dumps(value, ensure_ascii=False)))
    return "{\n" + ",\n".join(lines) + "\n}"


def run(argv):
    code = main(argv)
    sys.stdout.flush()
    sys.stderr.flush()
    # kazoo's worker threads can keep a failed interpreter alive; leave at once.
    os._exit(code)
