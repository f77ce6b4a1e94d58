#!/usr/bin/env bash
# The quorum-loss drill on the local three-node cluster (started with tools/cluster/start-local.sh if not running):
# a message crosses nodes; node1 and node2 (two of the three ZooKeeper members) are killed with SIGKILL; what a
# client on node3 sees is printed as it happens, with `zkfire status` while the quorum is lost; the two come back;
# the drill waits for a leader and three nodes, then checks that messages cross nodes again.
# Prints PASS/FAIL per check and exits 1 if any failed. The cluster is left running (stop-local.sh stops it).
# Usage: tools/cluster/quorum-loss-drill.sh [DIR]   (DIR default ./cluster-local)
#   DRILL_OBSERVE_SECONDS   how long to watch the surviving node before restarting the others (default 30)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

DIR=$(absolute_dir "${1:-cluster-local}")
PYTHON=/usr/bin/python3
CLIENT="$(cd "$(dirname "$0")" && pwd)/drill_client.py"
OBSERVE_SECONDS=${DRILL_OBSERVE_SECONDS:-30}
WORK="$DIR/drill"
step_number=0
results=()
helpers=()

step() {
    step_number=$((step_number + 1))
    echo
    log "=== step $step_number: $*"
}

# check NAME COMMAND...: runs COMMAND, records PASS or FAIL.
check() {
    local name=$1
    shift
    if "$@"; then
        results+=("PASS  $name")
        log "PASS  $name"
    else
        results+=("FAIL  $name")
        log "FAIL  $name"
    fi
}

skip() {
    results+=("SKIP  $1 ($2)")
    log "SKIP  $1 ($2)"
}

password() { echo "drill-$1-password"; }
account() { echo "$1:$(password "$1")@$(c2s_port "$2")"; }

# cross SENDER NODE RECEIVER NODE: a message from SENDER logged in on one node to RECEIVER logged in on another.
cross() {
    "$PYTHON" "$CLIENT" cross "$(account "$1" "$2")" "$(account "$3" "$4")" --timeout 10 2>&1 | sed -u 's/^/    /'
}

# cross_eventually SENDER NODE RECEIVER NODE: cross, tried three times: links between nodes that just (re)joined may
# take a moment to carry their routes.
cross_eventually() {
    local attempt
    for attempt in 1 2 3; do
        cross "$@" && return 0
        ((attempt < 3)) && { log "attempt $attempt failed; trying again in 3 s"; sleep 3; }
    done
    return 1
}

show_status() {
    local code=0
    zkfire status --config "$DIR/node$1/cluster.xml" >"$WORK/status.out" 2>&1 || code=$?
    sed -u 's/^/    /' "$WORK/status.out"
    log "zkfire status (node$1's view) exited with $code"
    return "$code"
}

status_exits_nonzero() { ! show_status "$1"; }

# wait_until SECONDS DESCRIPTION COMMAND...: retries COMMAND (quietly) every second.
wait_until() {
    local deadline=$((SECONDS + $1)) what=$2
    shift 2
    until "$@" >/dev/null 2>&1; do
        if ((SECONDS >= deadline)); then
            log "gave up after $1 s waiting for: $what"
            return 1
        fi
        sleep 1
    done
    log "$what"
}

ensemble_serves() { [[ $(ensemble_modes "$(embedded_client_port 1)" "$(embedded_client_port 2)" "$(embedded_client_port 3)") == "follower follower leader" ]]; }
status_serves() { zkfire status --config "$DIR/node3/cluster.xml" >/dev/null 2>&1; }
# The ZooKeeper session of node N's registration, as zkfire status lists it (empty when not registered).
registered_session() { zkfire status --config "$DIR/node3/cluster.xml" 2>/dev/null | awk -v node="node$1" '$1 == node { print $NF }'; }
# Node 1 and node 2 registered by their new processes: the killed ones' registrations stay until their sessions
# expire, which takes a session timeout once the quorum is back.
registered_anew() {
    local now1 now2
    now1=$(registered_session 1) && now2=$(registered_session 2)
    [[ -n $now1 && $now1 != "$killed_session1" && -n $now2 && $now2 != "$killed_session2" ]] && three_nodes
}
three_nodes() { zkfire status --config "$DIR/node3/cluster.xml" | grep -q '^Nodes (3 registered'; }
# The watcher's last report says its session is up.
watcher_has_session() { tail -n 1 "$WORK/watch.log" | grep -Eq '\] (session up|ping answered)'; }

stop_helpers() {
    local pid
    for pid in "${helpers[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
}
trap stop_helpers EXIT

"$PYTHON" -c 'import slixmpp' 2>/dev/null || die "$PYTHON has no slixmpp: apt-get install python3-slixmpp"
ensure_built
mkdir -p "$WORK"

step "a running local cluster in $DIR"
running=0
for n in "${NODES[@]}"; do
    pid_alive "$DIR/node$n/pid" && running=$((running + 1))
done
if ((running == 0)); then
    log "no node running: starting one with start-local.sh"
    "$(dirname "$0")/start-local.sh" "$DIR"
elif ((running < 3)); then
    for n in "${NODES[@]}"; do
        pid_alive "$DIR/node$n/pid" || start_node "$DIR" "$n"
    done
fi
for n in "${NODES[@]}"; do
    wait_for_port "node$n" "$DIR/node$n/pid" "$(c2s_port "$n")" 90
done
wait_for_cluster "$DIR" 90
cluster_layer=yes
if cluster_layer_missing "$DIR"; then
    cluster_layer=no
    log "NOTE: the nodes log that the cluster layer is not in this build: they serve XMPP alone, so messages will not cross nodes"
fi
show_status 3 || true

step "accounts alice, bob and carol (zkfire adduser on the shared store)"
for user in alice bob carol; do
    if ! zkfire adduser "$user" --password "$(password "$user")" --config "$DIR/node1/cluster.xml" >"$WORK/adduser.out" 2>&1; then
        grep -q "already exists" "$WORK/adduser.out" || { cat "$WORK/adduser.out"; die "could not create $user"; }
        zkfire passwd "$user" --password "$(password "$user")" --config "$DIR/node1/cluster.xml" >/dev/null
    fi
    log "$user@localhost ready (password $(password "$user"))"
done

step "alice on node1 sends bob on node2 a message"
check "before: a message crosses from node1 to node2" cross_eventually alice 1 bob 2

step "carol logs in on node3, the node that will survive; her client reports what it sees from now on"
rm -f "$WORK/watch.ready"
# Emptied here, not by the watcher's redirection, so the tail below never shows an earlier run's lines.
: >"$WORK/watch.log"
"$PYTHON" "$CLIENT" watch "$(account carol 3)" --seconds $((OBSERVE_SECONDS + 240)) --ready "$WORK/watch.ready" >"$WORK/watch.log" 2>&1 &
watcher=$!
helpers+=("$watcher")
# Shows the timeline live; tail ends with the watcher.
tail -n +1 -f --pid="$watcher" "$WORK/watch.log" 2>/dev/null | sed -u 's/^/    carol@node3 | /' &
wait_until 30 "carol has a session on node3" test -f "$WORK/watch.ready" || log "carol could not log in on node3 (see above)"
sleep 2

step "kill -9 node1 and node2 (ZooKeeper members 1 and 2): the ensemble loses its quorum"
killed_session1=$(registered_session 1)
killed_session2=$(registered_session 2)
for n in 1 2; do
    pid=$(cat "$DIR/node$n/pid")
    kill -KILL "$pid"
    rm -f "$DIR/node$n/pid"
    log "node$n (pid $pid) killed"
done
killed_at=$SECONDS

step "watching node3 for ${OBSERVE_SECONDS} s (session timeout 6 s); zkfire status at +3 s and after the session timeout"
sleep 3
check "while the quorum is lost, zkfire status exits non-zero" status_exits_nonzero 3
sleep $((10 - (SECONDS - killed_at) > 0 ? 10 - (SECONDS - killed_at) : 0))
log "+$((SECONDS - killed_at)) s: past the session timeout"
show_status 3 || true
log "+$((SECONDS - killed_at)) s: fresh logins on node3 while the quorum is lost (carol, then bob sending her a message)"
if "$PYTHON" "$CLIENT" cross "$(account bob 3)" "$(account carol 3)" --timeout 8 2>&1 | sed -u 's/^/    /'; then
    log "the fresh logins on node3 and a message between them worked"
else
    log "the fresh logins or the message on node3 did not work"
fi
remaining=$((OBSERVE_SECONDS - (SECONDS - killed_at)))
((remaining > 0)) && sleep "$remaining"

step "restart node1 and node2"
for n in 1 2; do
    start_node "$DIR" "$n"
done
restarted_at=$SECONDS
for n in 1 2; do
    wait_for_port "node$n" "$DIR/node$n/pid" "$(c2s_port "$n")" 90
    log "node$n: c2s port $(c2s_port "$n") answers"
done

step "recovery: a leader, three nodes, carol's client back"
check "after: the ensemble has a leader and two followers again" wait_until 90 "srvr shows a leader and two followers" ensemble_serves
check "after: zkfire status exits 0" wait_until 30 "zkfire status says the ensemble serves" status_serves
if [[ $cluster_layer == yes ]]; then
    check "after: node1 and node2 registered anew, three nodes in all" \
        wait_until 90 "zkfire status shows node1 and node2 with new sessions, three nodes" registered_anew
else
    skip "after: node1 and node2 registered anew, three nodes in all" "cluster layer not in this build"
fi
show_status 3 || true
log "recovered $((SECONDS - restarted_at)) s after the restart"
check "after: carol has a session on node3 again" wait_until 30 "carol's client has a session" watcher_has_session

step "log in again on different nodes: messages cross"
check "after: a message crosses from node3 to node1" cross_eventually bob 3 alice 1
check "after: a message crosses from node2 to node3" cross_eventually alice 2 bob 3

stop_helpers
helpers=()
echo
log "=== results (carol's full timeline: $WORK/watch.log; node logs: $DIR/node*/node.log)"
failed=0
for result in "${results[@]}"; do
    echo "  $result"
    [[ $result == FAIL* ]] && failed=1
done
echo "The cluster keeps running: tools/cluster/stop-local.sh $DIR stops it."
exit "$failed"
