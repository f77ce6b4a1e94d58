#!/usr/bin/python3
"""Differential ZooKeeper scenarios: `zk_scenarios.py <connect-string> <scenario>` prints one normalised JSON
document (see zkharness.py); `--list` prints the scenario names. Each scenario works under its own unique root and
leaves nothing behind that the server could change later (no lingering sessions, no reapable containers), because
an unexpected transaction would shift the zxids of whatever scenario runs next."""

import re
import sys

from kazoo.protocol import serialization as ser
from kazoo.security import ACL, Id, Permissions, CREATOR_ALL_ACL, OPEN_ACL_UNSAFE, make_digest_acl

from zkharness import (NOOP_WATCH as WATCH, AddWatch, CheckWatches, CreateContainer, CreateTTL, GetAllChildrenNumber,
                       GetEphemerals, MultiRead, RawPathCreate, RemoveWatches, WhoAmI, run, scenario)

ALICE_DIGEST = "alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E="  # digest of alice:secret (PEERS.md)
WORLD = Id("world", "anyone")
CHILDREN, DATA, ANY = 1, 2, 3  # WatcherType
PERSISTENT, PERSISTENT_RECURSIVE = 0, 1  # AddWatchMode


# --- create -------------------------------------------------------------------------------------------------------

@scenario
def create_modes(t):
    a = t.session("a")
    t.step(a, "create", t.path("persistent"), b"data")
    t.step(a, "create", t.path("persistent"), b"again")
    t.step(a, "create", t.path("ephemeral"), b"e", ephemeral=True)
    t.step(a, "create", t.path("ephemeral", "child"), b"", note="no children for ephemerals")
    t.step(a, "create", t.path("ephemeral", "child"), b"", ephemeral=True)
    t.step(a, "create", t.path("seq-"), b"", sequence=True)
    t.step(a, "create", t.path("eseq-"), b"", ephemeral=True, sequence=True)
    t.step(a, "create", t.path("create2"), b"xyz", include_data=True)
    t.step(a, "create", t.path("ephemeral2"), b"xyz", ephemeral=True, include_data=True)
    t.step(a, "create", t.path("missing", "child"), b"", note="parent missing")
    t.step(a, "get", t.path("ephemeral"))
    t.step(a, "get", t.path("create2"))
    t.step(a, RawPathCreate(t.path("null-data"), None), note="null data is stored as empty")
    t.step(a, "get", t.path("null-data"))
    t.step(a, RawPathCreate(t.path("flags-99"), b"", flags=99), note="unknown create mode")
    t.step(a, "get_children", t.root)


@scenario
def sequential_numbering(t):
    a = t.session("a")
    parent = t.path("q")
    t.step(a, "create", parent, b"")
    t.step(a, "create", parent + "/n-", sequence=True)
    second = t.step(a, "create", parent + "/n-", sequence=True)
    t.step(a, "delete", second)
    stat = t.step(a, "exists", parent)
    t.expect("cversion counts creations and deletions", stat.cversion, 3)
    third = t.step(a, "create", parent + "/n-", sequence=True)
    t.expect("sequential suffix counts creations only", third, parent + "/n-0000000002")
    t.step(a, "create", parent + "/other-", sequence=True, note="one counter per parent, not per prefix")
    t.step(a, "create", parent + "/n-0000000005", b"", note="a plain child named like the next suffix")
    t.step(a, "create", parent + "/n-", sequence=True, note="collides with the plain child")
    t.step(a, "create", parent + "/n-", sequence=True)
    t.step(a, "exists", parent)

    fresh = t.path("fresh")
    t.step(a, "create", fresh, b"")
    slash = t.step(a, RawPathCreate(fresh + "/", flags=2), note="parent/ + sequential")
    t.expect("parent/ + sequential names the child by its suffix alone", slash, fresh + "/0000000000")
    t.step(a, RawPathCreate(fresh + "/", flags=0), note="parent/ without sequential")
    t.step(a, "get_children", fresh)


@scenario
def containers_and_ttl(t):
    a = t.session("a")
    box = t.path("box")
    t.step(a, CreateContainer(box, b"c"))
    t.step(a, "get", box)
    t.step(a, CreateContainer(box, b"c"), note="exists")
    t.step(a, "create", box + "/child", b"")
    t.step(a, "exists", box)
    t.step(a, RawPathCreate(t.path("box-via-create"), b"", flags=4, opcode=1), note="container flag on create")
    t.step(a, RawPathCreate(t.path("box-via-create2"), b"", flags=4, opcode=15), note="container flag on create2")
    t.step(a, CreateContainer(t.path("nobox", "x")), note="parent missing")
    ttl = t.step(a, CreateTTL(t.path("ttl"), 60000))
    t.expect("TTL nodes are disabled by default", getattr(ttl, "code", None), -6)
    t.step(a, CreateTTL(t.path("ttl-seq"), 60000, flags=6))
    t.step(a, CreateTTL(t.path("ttl-zero"), 0))
    # Containers are reaped by a timer; remove ours now so no late transaction shifts another scenario's zxids.
    t.step(a, "delete", box + "/child")
    t.step(a, "delete", box)
    for leftover in ("box-via-create", "box-via-create2"):
        if t.unrecorded(a, "exists", t.path(leftover)):
            t.unrecorded(a, "delete", t.path(leftover))


# --- reads, writes, versions --------------------------------------------------------------------------------------

@scenario
def data_and_versions(t):
    a = t.session("a")
    n = t.path("n")
    t.step(a, "create", n, b"v1")
    t.step(a, "get", n)
    t.step(a, "set", n, b"v2", version=0)
    t.step(a, "set", n, b"v3", version=0, note="stale version")
    same = t.step(a, "set", n, b"v2", note="identical data")
    t.expect("setting identical data bumps the version", same.version, 2)
    t.step(a, "set", n, b"", version=2)
    t.step(a, "get", n)
    t.step(a, "exists", n)
    t.step(a, "delete", n, version=7)
    t.step(a, "create", n + "/child", b"")
    t.step(a, "delete", n, note="not empty")
    t.step(a, "delete", n + "/child", version=0)
    t.step(a, "delete", n, version=3)
    t.step(a, "exists", n)
    t.step(a, "get", n)
    t.step(a, "set", n, b"x")
    t.step(a, "delete", n)
    t.step(a, "create", t.path("big"), b"x" * 1000000)
    t.step(a, "exists", t.path("big"))


@scenario
def children_and_cversion(t):
    a = t.session("a")
    p = t.path("p")
    t.step(a, "create", p, b"")
    t.step(a, "get_children", p, include_data=True)
    t.step(a, "create", p + "/c1", b"")
    t.step(a, "create", p + "/c2", b"", ephemeral=True)
    t.step(a, "get_children", p, include_data=True)
    t.step(a, "set", p + "/c1", b"changed", note="a child's data does not touch the parent")
    t.step(a, "get_children", p, include_data=True)
    t.step(a, "delete", p + "/c1")
    t.step(a, "get_children", p, include_data=True)
    t.step(a, "get_children", p + "/c2")
    t.step(a, "get_children", t.path("missing"))
    t.step(a, "create", p + "/c3/d/e", b"", makepath=True)
    t.step(a, GetAllChildrenNumber(p))
    t.step(a, GetAllChildrenNumber(p + "/c2"))
    t.step(a, GetAllChildrenNumber(t.path("missing")))
    t.step(a, MultiRead([("get", p), ("children", p), ("get", t.path("missing")), ("children", p + "/c3")]),
           sort=True)
    t.step(a, MultiRead([]))


# --- multi --------------------------------------------------------------------------------------------------------

@scenario
def multi_success(t):
    a, b = t.session("a"), t.session("b")
    p = t.path("m")
    t.step(a, "create", p, b"")
    t.step(b, "exists", p + "/one", watch=WATCH)
    t.step(b, "get_children", p, watch=WATCH)
    t.step(a, "exists", p + "/two", watch=WATCH)
    t.step(a, "get", p, watch=WATCH)

    def ops(tx):
        tx.create(p + "/one", b"1")
        tx.create(p + "/two", b"2", ephemeral=True)
        tx.set_data(p + "/one", b"11")
        tx.check(p + "/two", 0)
        tx.create(p + "/seq-", b"", sequence=True)
        tx.delete(p + "/two")
        tx.set_data(p, b"parent")
    t.multi(a, ops, note="events of a multi arrive in op order, before its reply")
    t.step(b, "sync", p, note="b's events arrive before this reply")
    t.step(a, "get_children", p, include_data=True)


@scenario
def multi_failure(t):
    a = t.session("a")
    p = t.path("m")
    t.step(a, "create", p, b"")
    t.step(a, "create", p + "/x", b"")
    before = t.step(a, "exists", p)
    t.step(a, "get_children", p, watch=WATCH)

    def failing_check(tx):
        tx.create(p + "/new1", b"")
        tx.check(p + "/x", 7)
        tx.create(p + "/new2", b"")
    result = t.multi(a, failing_check)
    t.expect("failed multi: ops before the failure roll back, later ones are inconsistent",
             [type(r).__name__ for r in result], ["RolledBackError", "BadVersionError", "RuntimeInconsistency"])
    t.multi(a, lambda tx: (tx.delete(p + "/missing"), tx.create(p + "/new3", b"")))
    t.multi(a, lambda tx: (tx.create(p + "/dup", b""), tx.create(p + "/dup", b"")))
    t.multi(a, lambda tx: (tx.set_data(p + "/x", b"y"), tx.delete(p, version=0)))
    t.multi(a, lambda tx: (tx.create(p + "/e", b"", ephemeral=True), tx.create(p + "/e/c", b"")))
    after = t.step(a, "exists", p)
    t.expect("a failed multi leaves the parent untouched", after, before)
    t.step(a, "get_children", p)
    empty = t.step(a, ser.Transaction([]), note="empty multi")
    t.expect("an empty multi returns an empty list", empty, [])


# --- ACLs and authentication --------------------------------------------------------------------------------------

@scenario
def acl_digest(t):
    a, b = t.session("a"), t.session("b")
    alice_all = make_digest_acl("alice", "secret", all=True)
    t.expect("digest of alice:secret", alice_all.id.id, ALICE_DIGEST)
    t.step(a, WhoAmI(), note="before auth")
    t.step(a, "add_auth", "digest", "alice:secret")
    # Identities come in Java hash-set order (observed: digest before ip); clients treat them as a set.
    t.step(a, WhoAmI(), sort=True, note="after auth")
    secret = t.path("secret")
    t.step(a, "create", secret, b"s", acl=[alice_all])
    t.step(a, "get", secret)
    t.step(a, "get_acls", secret)
    t.step(b, "get", secret)
    t.step(b, "exists", secret, note="exists ignores ACLs")
    t.step(b, "get_acls", secret)
    t.step(b, "set", secret, b"x")
    t.step(b, "get_children", secret)
    t.step(b, "create", secret + "/c", b"")
    t.step(b, "set_acls", secret, OPEN_ACL_UNSAFE)
    t.step(b, "add_auth", "digest", "alice:wrong", note="a wrong digest password is not an auth failure")
    t.step(b, "get", secret)
    t.step(b, "add_auth", "digest", "alice:secret")
    t.step(b, WhoAmI(), sort=True, note="one identity per digest added, even the wrong one")
    t.step(b, "get", secret)

    t.step(a, "create", t.path("creator"), b"", acl=CREATOR_ALL_ACL, note="auth scheme with credentials")
    t.step(a, "get_acls", t.path("creator"))
    dup = t.path("dup")
    t.step(a, "create", dup, b"", acl=[ACL(Permissions.READ, WORLD), ACL(Permissions.READ, WORLD), alice_all,
                                       alice_all, ACL(Permissions.WRITE, WORLD)])
    t.step(a, "get_acls", dup, note="duplicate entries collapse")
    t.step(a, "set_acls", dup, OPEN_ACL_UNSAFE, version=3)
    t.step(a, "set_acls", dup, OPEN_ACL_UNSAFE, version=0)
    t.step(a, "set_acls", dup, [ACL(Permissions.READ, WORLD)] * 2)
    t.step(a, "get_acls", dup)


@scenario
def acl_permissions(t):
    a = t.session("a")
    write_only = t.path("write-only")
    t.step(a, "create", write_only, b"w", acl=[ACL(Permissions.WRITE, WORLD)])
    t.step(a, "get", write_only)
    t.step(a, "get_acls", write_only, note="getACL needs READ")
    t.step(a, "exists", write_only)
    t.step(a, "set", write_only, b"w2")
    t.step(a, "get_children", write_only)
    t.step(a, "create", write_only + "/c", b"", note="needs CREATE")
    t.step(a, "set_acls", write_only, OPEN_ACL_UNSAFE, note="needs ADMIN")
    t.step(a, "delete", write_only, note="needs DELETE on the parent only")

    no_delete = t.path("no-delete")
    t.step(a, "create", no_delete, b"", acl=[ACL(Permissions.ALL & ~Permissions.DELETE, WORLD)])
    t.step(a, "create", no_delete + "/c", b"")
    t.step(a, "delete", no_delete + "/c", note="parent lacks DELETE")
    t.step(a, "delete", no_delete, note="not empty")
    t.step(a, "set_acls", no_delete, OPEN_ACL_UNSAFE)
    t.step(a, "delete", no_delete + "/c")
    t.step(a, "exists", no_delete)

    admin_only = t.path("admin-only")
    t.step(a, "create", admin_only, b"", acl=[ACL(Permissions.ADMIN, WORLD)])
    t.step(a, "get_acls", admin_only, note="ADMIN without READ")
    t.step(a, "set_acls", admin_only, OPEN_ACL_UNSAFE)
    t.step(a, "get", admin_only)


@scenario
def acl_schemes(t):
    c = t.session("c")
    t.step(c, WhoAmI())
    t.step(c, "create", t.path("auth-without-credentials"), b"", acl=CREATOR_ALL_ACL)
    t.step(c, RawPathCreate(t.path("empty-acl"), b"", acl=[]))
    t.step(c, "create", t.path("unknown-scheme"), b"", acl=[ACL(31, Id("nosuchscheme", "x"))])
    t.step(c, "create", t.path("world-someone"), b"", acl=[ACL(31, Id("world", "someone"))])
    t.step(c, "create", t.path("digest-no-colon"), b"", acl=[ACL(31, Id("digest", "alice"))])
    t.step(c, "create", t.path("perms-0"), b"", acl=[ACL(0, WORLD)])
    t.step(c, "get", t.path("perms-0"))
    t.step(c, "create", t.path("perms-99"), b"", acl=[ACL(99, WORLD)])
    t.step(c, "get_acls", t.path("perms-99"))
    for label, ip in [("ip-self", "127.0.0.1"), ("ip-net", "127.0.0.0/8"), ("ip-other", "10.0.0.1"),
                      ("ip-other-net", "10.0.0.0/8"), ("ip-bad", "not-an-ip"), ("ip-bad-mask", "127.0.0.1/99")]:
        t.step(c, "create", t.path(label), b"", acl=[ACL(31, Id("ip", ip))])
        t.step(c, "get", t.path(label))


@scenario
def auth_unknown_scheme(t):
    # A bare connection: kazoo would retry the failed auth on every reconnect.
    raw = t.raw_session("raw")
    header = raw.request(1, ser.Auth(0, "nosuchscheme", "x"))
    t.observe("auth reply (xid, err)", [header.xid, header.err])
    t.observe("server closed the connection after AuthFailed", raw.closed_by_server())
    d = t.session("d", takeover=raw)
    t.observe("the session survived the failed auth", d.session_id == raw.session_id)
    t.step(d, WhoAmI(), note="the failed scheme left no identity")
    t.close(d)


# --- paths ----------------------------------------------------------------------------------------------------------

INVALID_AND_ODD_NAMES = [
    ("dot", "/."), ("dotdot", "/.."), ("dot-in-middle", "/./x"), ("dotdot-in-middle", "/../x"),
    ("double-slash", "//x"), ("trailing-slash", "/"), ("U+0000", "/a\u0000"), ("U+0001", "/a\u0001"),
    ("U+001F", "/a\u001f"), ("U+007F", "/a\u007f"), ("U+009F", "/a\u009f"), ("U+00A0", "/a\u00a0"),
    ("U+D7FF", "/a\ud7ff"), ("emoji", "/a\U0001F600"), ("U+E000", "/a\ue000"), ("U+F8FF", "/a\uf8ff"),
    ("U+F900", "/a\uf900"), ("U+FFEF", "/a\uffef"), ("U+FFF0", "/a\ufff0"), ("U+FFFF", "/a\uffff"),
    ("space", "/a b"), ("hidden", "/.hidden"), ("dots", "/..."), ("unicode", "/\u00e9t\u00e9"),
]


@scenario
def path_validation(t):
    a = t.session("a")
    for label, suffix in INVALID_AND_ODD_NAMES:
        path = t.root + suffix
        t.step(a, RawPathCreate(path, b""), note="create " + label)
        t.step(a, ser.GetData(path, None), note="read " + label)
    t.step(a, RawPathCreate(t.path("missing") + "/", b""), note="trailing slash, parent missing")
    t.step(a, RawPathCreate("relative", b""), note="no leading slash")
    t.step(a, ser.Exists("relative", None))
    t.step(a, ser.SetData(t.root + "/..", b"", -1))
    t.step(a, ser.Delete(t.root + "/..", -1))
    t.step(a, ser.GetChildren(t.root + "/..", None))
    t.step(a, "get_children", t.root)


@scenario
def empty_path(t):
    # Kept apart: an empty path is a marshalling error in Apache ZooKeeper, which may end the connection.
    a = t.session("a")
    t.step(a, "exists", t.root)
    t.step(a, RawPathCreate("", b""), note="empty path")
    t.step(a, ser.Create(None, b"", OPEN_ACL_UNSAFE, 0), note="null path")
    t.step(a, "exists", t.root, note="still connected")


@scenario
def reserved_paths(t):
    a = t.session("a")
    mine = "/zookeeper/" + t.root_name
    t.step(a, "create", mine, b"", note="creating under /zookeeper is allowed")
    t.step(a, "delete", mine)
    t.step(a, "delete", "/zookeeper")
    t.step(a, "delete", "/zookeeper/quota")
    t.step(a, "delete", "/zookeeper/config")
    t.step(a, "delete", "/")
    t.step(a, "get_children", "/zookeeper")
    t.step(a, "get", "/zookeeper/config", note="empty when standalone")
    t.step(a, "get_acls", "/zookeeper/config")
    t.step(a, "set", "/zookeeper/config", b"x", note="read-only")
    t.step(a, "create", "/zookeeper/config/x", b"")
    t.step(a, "get", "/zookeeper/quota")
    t.step(a, "get_acls", "/zookeeper")
    t.observe("ACL of /", t.normalise(t.unrecorded(a, "get_acls", "/")[0]))
    data, before = t.unrecorded(a, "get", "/")
    t.step(a, "set", "/", data, note="setData on / is allowed (same data, so harmless)")
    after = t.unrecorded(a, "exists", "/")
    t.observe("version of / after one setData minus before", after.version - before.version)
    t.step(a, "create", "/", b"")
    t.observe("/ lists /zookeeper", "zookeeper" in t.unrecorded(a, "get_children", "/"))


# --- watches --------------------------------------------------------------------------------------------------------

@scenario
def watch_own_write_order(t):
    a = t.session("a")
    n = t.path("n")
    t.step(a, "create", n, b"")
    t.step(a, "get", n, watch=WATCH)
    t.step(a, "set", n, b"1", note="event precedes the reply to the own write")
    t.step(a, "set", n, b"2", note="the watch fired once and is gone")
    t.step(a, "exists", n, watch=WATCH)
    t.step(a, "get_children", t.root, watch=WATCH)
    t.step(a, "get_children", n, watch=WATCH)
    t.step(a, "delete", n, note="NodeDeleted once, plus NodeChildrenChanged on the parent")


@scenario
def watch_get_and_exists_once(t):
    a, b = t.session("a"), t.session("b")
    n = t.path("n")
    t.step(a, "create", n, b"")
    t.step(a, "get", n, watch=WATCH)
    t.step(a, "exists", n, watch=WATCH)
    t.step(b, "set", n, b"1")
    t.step(a, "get", n, note="one notification for both watches, before this reply")
    t.step(a, "exists", n, watch=WATCH)
    t.step(a, "get_children", n, watch=WATCH)
    t.step(b, "create", n + "/c", b"", note="children watch only")
    t.step(a, "sync", n)
    t.step(a, "get_children", n, watch=WATCH)
    t.step(b, "set", n + "/c", b"x", note="a child's data change is no children change")
    t.step(b, "delete", n + "/c")
    t.step(a, "sync", n)


@scenario
def watch_delete_events(t):
    a, b = t.session("a"), t.session("b")
    p, n = t.path("p"), t.path("p", "n")
    t.step(a, "create", n, b"", makepath=True)
    t.step(a, "get_children", p, watch=WATCH)
    t.step(a, "get", n, watch=WATCH)
    t.step(a, "exists", n, watch=WATCH)
    t.step(a, "get_children", n, watch=WATCH)
    t.step(b, "delete", n)
    t.step(a, "sync", p, note="one NodeDeleted for all of n's watches, one NodeChildrenChanged for p")
    t.step(a, "exists", n, watch=WATCH)
    t.step(b, "create", n, b"")
    t.step(a, "sync", p)


@scenario
def watch_missing_node(t):
    a, b = t.session("a"), t.session("b")
    t.step(a, "get", t.path("by-get"), watch=WATCH, note="not kept")
    t.step(a, "exists", t.path("by-exists"), watch=WATCH, note="kept")
    t.step(a, "get_children", t.path("by-children"), watch=WATCH, note="not kept")
    for name in ("by-get", "by-exists", "by-children"):
        t.step(b, "create", t.path(name), b"")
    t.step(a, "sync", t.root)
    t.step(a, "exists", t.path("by-exists"), watch=WATCH)
    t.step(b, "set", t.path("by-exists"), b"x")
    t.step(a, "get", t.path("by-exists"), note="the event precedes the reply to a read that sees the change")


@scenario
def watch_removal(t):
    a, b = t.session("a"), t.session("b")
    n = t.path("n")
    t.step(a, "create", n, b"")
    for kind in (CHILDREN, DATA, ANY):
        t.step(a, CheckWatches(n, kind), note="no watch yet")
        t.step(a, RemoveWatches(n, kind), note="no watch yet")
    t.step(a, CheckWatches(t.path("missing"), ANY))
    t.step(a, RemoveWatches(t.path("missing"), ANY))
    t.step(a, "get", n, watch=WATCH)
    t.step(a, CheckWatches(n, DATA))
    t.step(a, CheckWatches(n, CHILDREN))
    t.step(a, CheckWatches(n, ANY))
    t.step(b, CheckWatches(n, DATA), note="another session's watch")
    t.step(a, RemoveWatches(n, DATA))
    t.step(a, CheckWatches(n, DATA))
    t.step(a, "get_children", n, watch=WATCH)
    t.step(a, "exists", n, watch=WATCH)
    t.step(a, RemoveWatches(n, ANY))
    t.step(b, "set", n, b"x")
    t.step(b, "create", n + "/c", b"")
    t.step(a, "sync", n, note="removed watches do not fire")


@scenario
def persistent_watches(t):
    a, b = t.session("a"), t.session("b")
    tree, flat = t.path("tree"), t.path("flat")
    t.step(a, "create", tree, b"")
    t.step(a, "create", flat, b"")
    t.step(a, AddWatch(tree, PERSISTENT_RECURSIVE))
    t.step(a, AddWatch(flat, PERSISTENT))
    t.step(a, AddWatch(t.path("not-yet"), PERSISTENT), note="allowed on a missing node")
    t.step(a, AddWatch(t.path("bad-mode"), 7))
    for path in (tree + "/c", tree + "/c/d", flat + "/x", flat + "/x/y", t.path("not-yet")):
        t.step(b, "create", path, b"")
    t.step(b, "set", tree + "/c/d", b"1")
    t.step(b, "set", tree, b"1")
    t.step(b, "set", flat + "/x", b"1")
    t.step(b, "set", flat, b"1")
    t.step(b, "delete", tree + "/c/d")
    t.step(b, "delete", flat + "/x/y")
    t.step(b, "delete", flat + "/x")
    t.step(a, "sync", t.root, note="recursive: no NodeChildrenChanged; persistent: fires repeatedly")
    t.step(a, CheckWatches(tree, ANY))
    t.step(a, CheckWatches(tree, DATA))
    t.step(a, RemoveWatches(tree, ANY))
    t.step(a, RemoveWatches(flat, DATA))
    t.step(a, RemoveWatches(flat, CHILDREN))
    t.step(b, "set", tree, b"2")
    t.step(b, "set", flat, b"2")
    t.step(b, "create", flat + "/z", b"")
    t.step(b, "delete", t.path("not-yet"))
    t.step(a, "sync", t.root)


# --- sessions -------------------------------------------------------------------------------------------------------

@scenario
def session_ephemerals(t):
    a, b = t.session("a"), t.session("b")
    p = t.path("p")
    t.step(a, "create", p, b"")
    t.step(a, "create", p + "/e1", b"", ephemeral=True)
    t.step(a, "create", t.path("seq-"), b"", ephemeral=True, sequence=True)
    t.step(a, "create", t.path("e2"), b"", ephemeral=True)
    # Only p/e1's deletion is watched: a closing session deletes its ephemerals in hash order, so events for
    # several of them would arrive in an order no client may rely on.
    t.step(b, "exists", p + "/e1", watch=WATCH)
    t.step(b, "get_children", p, watch=WATCH)
    t.step(a, GetEphemerals(t.root), sort=True)
    t.step(a, GetEphemerals(t.path("e")), sort=True, note="a prefix, not a path")
    t.step(a, GetEphemerals("/"), sort=True)
    t.step(b, GetEphemerals("/"), sort=True, note="only the caller's own")
    t.step(a, GetEphemerals(t.path("missing")), sort=True)
    t.close(a, note="ephemerals go at once")
    t.step(b, "exists", p + "/e1", note="NodeDeleted, then NodeChildrenChanged, before this reply")
    t.step(b, "get_children", t.root)
    t.step(b, "get_children", p, include_data=True)


@scenario
def ensemble_basics(t):
    """create/set/get, watches and an ephemeral across two sessions that an ensemble may place on different members:
    a session reads another's write only after a sync, as a client of a follower must; the events that write
    triggers arrive before the sync's reply."""
    a, b = t.session("a"), t.session("b")
    data, eph = t.path("data"), t.path("eph")
    t.step(a, "create", data, b"v1")
    t.step(b, "sync", t.root)
    t.step(b, "get", data, watch=WATCH)
    t.step(b, "get_children", t.root, watch=WATCH)
    t.step(a, "set", data, b"v2")
    t.step(a, "create", eph, b"e", ephemeral=True)
    t.step(b, "sync", t.root, note="NodeDataChanged and NodeChildrenChanged before this reply")
    t.step(b, "get", data)
    t.step(b, "exists", eph, watch=WATCH)
    t.step(a, "set", data, b"v3", version=1)
    t.step(a, "set", data, b"stale", version=1)
    t.step(a, "get", data)
    t.close(a, note="its ephemeral goes")
    t.step(b, "sync", t.root, note="NodeDeleted before this reply")
    t.step(b, "exists", eph)
    t.step(b, "get", data)
    t.step(b, "get_children", t.root)


@scenario
def session_takeover(t):
    # Bare connections, because kazoo reconnects by itself and would fight over the session.
    a = t.session("a")
    first = t.raw_session("first")
    t.observe("create ephemeral (err)", first.request(1, ser.Create(t.path("e"), b"", OPEN_ACL_UNSAFE, 1)).err)
    second = t.raw_session("second", session_id=first.session_id, password=first.password)
    t.observe("same session id on the second connection", second.session_id == first.session_id)
    t.observe("the first connection is closed by the server", first.closed_by_server())
    t.step(a, "exists", t.path("e"), watch=WATCH, note="owned by the taken-over session")
    t.observe("closeSession over the second connection (xid, err)", list(second.request(2, ser.CloseInstance))[::2])
    t.step(a, "exists", t.path("e"), note="deleted at once by the close")
    closed = t.raw_session("closed", session_id=first.session_id, password=first.password)
    t.observe("reconnecting to a closed session: timeout, session id", [closed.timeout_ms, closed.session_id])
    t.observe("... then the socket closes", closed.closed_by_server())
    live = t.raw_session("live")
    wrong = t.raw_session("wrong", session_id=live.session_id, password=b"x" * 16)
    t.observe("wrong password: timeout, session id", [wrong.timeout_ms, wrong.session_id])
    t.observe("... then the socket closes", wrong.closed_by_server())
    t.observe("a wrong-password attempt still closes the session's live connection", live.closed_by_server())
    again = t.raw_session("again", session_id=live.session_id, password=live.password)
    t.observe("the session itself survived it", again.session_id == live.session_id)
    t.observe("closeSession (err)", again.request(1, ser.CloseInstance).err)


@scenario
def connect_handshake(t):
    for label, read_only_byte in (("with", True), ("without", False)):
        raw = t.raw_session("raw-" + label, read_only_byte=read_only_byte)
        t.observe("connect response length %s the readOnly byte" % label, raw.response_length)
        t.observe("password length", len(raw.password))
        raw.drop()
        t.session("cleanup-" + label, takeover=raw)
    for requested in (1, 3999, 4000, 39999, 40001, 1000000):
        raw = t.raw_session("raw-%d" % requested, timeout_ms=requested)
        t.observe("negotiated for %d ms" % requested, raw.timeout_ms)
        raw.drop()
        t.session("cleanup-%d" % requested, takeover=raw)
    bogus = t.raw_session("bogus", session_id=0x7EADBEEF00000001)
    t.observe("unknown session id: timeout, session id", [bogus.timeout_ms, bogus.session_id])
    t.observe("... then the socket closes", bogus.closed_by_server())


@scenario
def sync_paths(t):
    a = t.session("a")
    t.step(a, "sync", t.path("missing"))
    t.step(a, "sync", "/")
    t.step(a, ser.Sync(t.root + "/.."), note="invalid path")


@scenario
def oversized_request(t):
    a = t.session("a")
    t.step(a, "create", t.path("fits"), b"x" * 1048000)
    t.step(a, "create", t.path("too-big"), b"x" * 1048576, note="over jute.maxbuffer: the connection drops")
    # kazoo reconnects on its own, presenting the same session.
    t.step(a, "exists", t.path("too-big"))
    t.observe("the session survived the dropped connection", a.kz.client_id[0] == a.session_id)
    t.step(a, "exists", t.path("fits"))


# --- four-letter words ----------------------------------------------------------------------------------------------

@scenario
def four_letter_words(t):
    for word in ("ruok", "ruokX", "isro", "abcd"):
        t.observe(word, t.four_letter_word(word))
    srvr = t.four_letter_word("srvr")
    t.observe("srvr keys", sorted(line.split(":", 1)[0] for line in srvr.splitlines() if line))
    t.observe("srvr Mode", [line for line in srvr.splitlines() if line.startswith("Mode:")])
    mntr = t.four_letter_word("mntr").splitlines()
    t.observe("mntr lines without exactly one tab", [line for line in mntr if line.count("\t") != 1])
    # Per-namespace metrics are named after top-level znodes (other scenarios' roots): keep only their shape.
    t.observe("mntr keys", sorted({re.sub(r"^zk_(avg|cnt|max|min|sum)_.+_(read|write)_per_namespace$",
                                          r"zk_\1_<namespace>_\2_per_namespace", line.split("\t", 1)[0])
                                   for line in mntr}))
    envi = dict(line.split("=", 1) for line in t.four_letter_word("envi").splitlines() if "=" in line)
    t.observe("envi zookeeper.version is 3.8", envi.get("zookeeper.version", "").startswith("3.8"))
    t.observe("stat starts like srvr", t.four_letter_word("stat").splitlines()[0].split(":", 1)[0])
    t.observe("conf keys", sorted(line.split("=", 1)[0] for line in t.four_letter_word("conf").splitlines()
                                  if "=" in line))


if __name__ == "__main__":
    run(sys.argv)
