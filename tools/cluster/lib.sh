# Shared by the tools/cluster scripts (sourced, not run): the node program, ports, starting and stopping by pid.
# The scripts set -euo pipefail themselves.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ZKFIRE_DLL="$REPO_ROOT/src/ZkFire.Host/bin/Release/net10.0/zkfire.dll"
NODES=(1 2 3)
# Seconds a process gets to exit after SIGTERM before SIGKILL.
STOP_GRACE_SECONDS=${STOP_GRACE_SECONDS:-15}

# Per node N (1-3), all on loopback: XMPP c2s 5212+10N (5222, 5232, 5242), direct TLS one above, notice two above.
c2s_port() { echo $((5212 + 10 * $1)); }
direct_tls_port() { echo $((5213 + 10 * $1)); }
notice_port() { echo $((5214 + 10 * $1)); }
# The embedded ZooKeeper member of node N (start-local.sh): client port 2180+N, quorum 2887+N, election 3887+N.
embedded_client_port() { echo $((2180 + $1)); }

log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*"; }
die() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; exit 1; }

# The node program, built (Release) on first use.
ensure_built() {
    if [[ ! -f "$ZKFIRE_DLL" ]]; then
        log "building ZkFire (dotnet build -c Release src/ZkFire.Host) ..."
        dotnet build -c Release "$REPO_ROOT/src/ZkFire.Host" >/dev/null || die "the build failed; run: dotnet build -c Release $REPO_ROOT/src/ZkFire.Host"
    fi
}

zkfire() { dotnet "$ZKFIRE_DLL" "$@"; }

# An absolute path for DIR (created).
absolute_dir() { mkdir -p "$1" && (cd "$1" && pwd); }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Fails naming the first port already taken, so nothing is half started.
require_free_ports() {
    local port
    for port in "$@"; do
        port_open "$port" && die "port $port on 127.0.0.1 is already in use (another cluster or server running?)"
    done
    return 0
}

pid_alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# The mode a ZooKeeper member reports with srvr ("leader", "follower", "standalone"), "not serving" or "unreachable".
zk_mode() {
    local answer
    if ! answer=$(timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0" && printf srvr >&3 && cat <&3' "$1" 2>/dev/null); then
        echo unreachable
        return
    fi
    answer=$(sed -n 's/^Mode: //p' <<<"$answer" | tr -d '\r')
    echo "${answer:-not serving}"
}

# The members' modes, sorted, on one line: "follower follower leader" when a three-member ensemble serves.
ensemble_modes() {
    local port
    for port in "$@"; do zk_mode "$port"; done | sort | paste -sd ' '
}

# wait_for_ensemble SECONDS CLIENT_PORT...: until the members elected a leader and the others follow it.
wait_for_ensemble() {
    local deadline=$((SECONDS + $1)) modes port
    shift
    while true; do
        modes=$(ensemble_modes "$@")
        if [[ $modes == "follower follower leader" ]]; then
            log "ZooKeeper ensemble serving (one leader, two followers)"
            return
        fi
        ((SECONDS < deadline)) || die "the ensemble did not elect a leader within the time allowed (modes: $modes)"
        sleep 1
    done
}

# start_process NAME PIDFILE LOGFILE COMMAND...: runs COMMAND in the background, detached from this shell's session
# so it outlives the script; its pid goes to PIDFILE.
start_process() {
    local name=$1 pidfile=$2 logfile=$3
    shift 3
    if pid_alive "$pidfile"; then
        die "$name is already running (pid $(cat "$pidfile")); stop it first"
    fi
    # Runs are appended, each after a marker line, so a restart keeps what the previous run logged.
    printf '===== %s: %s starting\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$name" >>"$logfile"
    setsid "$@" >>"$logfile" 2>&1 </dev/null &
    echo $! >"$pidfile"
    log "$name started (pid $!, log $logfile)"
}

start_node() {
    local dir=$1 n=$2
    start_process "node$n" "$dir/node$n/pid" "$dir/node$n/node.log" dotnet "$ZKFIRE_DLL" run --config "$dir/node$n/cluster.xml"
}

# start_nodes DIR: starts node1..node3 and waits until each answers on its c2s port.
start_nodes() {
    local dir=$1 n
    for n in "${NODES[@]}"; do
        start_node "$dir" "$n"
    done
    for n in "${NODES[@]}"; do
        wait_for_port "node$n" "$dir/node$n/pid" "$(c2s_port "$n")" 90
        log "node$n: c2s port $(c2s_port "$n") answers"
    done
}

# wait_for_port NAME PIDFILE PORT SECONDS: until PORT answers; fails early if the process died.
wait_for_port() {
    local name=$1 pidfile=$2 port=$3 deadline=$((SECONDS + $4))
    until port_open "$port"; do
        pid_alive "$pidfile" || die "$name exited before port $port answered; see its log"
        ((SECONDS < deadline)) || die "$name: port $port did not answer within $4 s; see its log"
        sleep 0.5
    done
}

# stop_pid NAME PIDFILE: SIGTERM, then SIGKILL after the grace period; reports which it took.
stop_pid() {
    local name=$1 pidfile=$2 pid deadline
    if [[ ! -f "$pidfile" ]]; then
        log "$name: not started (no $pidfile)"
        return
    fi
    pid=$(cat "$pidfile")
    if ! kill -0 "$pid" 2>/dev/null; then
        log "$name: not running (pid $pid had exited)"
        rm -f "$pidfile"
        return
    fi
    kill -TERM "$pid"
    deadline=$((SECONDS + STOP_GRACE_SECONDS))
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
        sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid" 2>/dev/null || true
        log "$name: pid $pid killed (SIGKILL: still running ${STOP_GRACE_SECONDS} s after SIGTERM)"
    else
        log "$name: pid $pid stopped (SIGTERM)"
    fi
    rm -f "$pidfile"
}

# stop_group DIR KIND: stops KIND1..KIND3 (node or zk) together, each by its pid file.
stop_group() {
    local dir=$1 kind=$2 n
    for n in "${NODES[@]}"; do
        stop_pid "$kind$n" "$dir/$kind$n/pid" &
    done
    wait
}

# existing_cluster_dir DIR: the absolute path of a cluster directory a start script made.
existing_cluster_dir() {
    [[ -d "$1" ]] || die "no cluster directory $1"
    absolute_dir "$1"
}

# A node's latest run logs so while the cluster layer is not in the build; then no node registers in ZooKeeper.
cluster_layer_missing() {
    local logfile
    for logfile in "$1"/node*/node.log; do
        [[ -f $logfile ]] || continue
        awk '/^===== /{found=0} /Cluster layer not in this build/{found=1} END{exit !found}' "$logfile" && return 0
    done
    return 1
}

# wait_for_cluster DIR SECONDS: until `zkfire status` (node 1's view) serves and lists three nodes.
wait_for_cluster() {
    local dir=$1 deadline=$((SECONDS + $2)) output
    if cluster_layer_missing "$dir"; then
        log "skipping the wait for three registered nodes: this build's nodes say the cluster layer is not in it yet (they serve XMPP alone)"
        return
    fi
    while true; do
        if output=$(zkfire status --config "$dir/node1/cluster.xml" 2>&1) && grep -q '^Nodes (3 registered' <<<"$output"; then
            log "zkfire status: ZooKeeper serves and three nodes are registered"
            return
        fi
        ((SECONDS < deadline)) || { printf '%s\n' "$output"; die "the cluster did not show three nodes within $2 s"; }
        sleep 1
    done
}

# A secret file (32 random bytes, base64), made once and kept: restarts must find the same one.
ensure_secret() {
    [[ -s "$1" ]] && return
    (umask 077 && head -c 32 /dev/urandom | base64 >"$1")
}

# write_node_config DIR N COORDINATION: node N's cluster.xml; COORDINATION is the <zoo> or <zClient> element(s).
# SESSION_TIMEOUT_SECONDS (default 6) sets <cluster><sessionTimeoutSeconds>.
write_node_config() {
    local dir=$1 n=$2 coordination=$3
    mkdir -p "$dir/node$n/data" "$dir/shared"
    cat >"$dir/node$n/cluster.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by tools/cluster/$(basename "$0"): node $n of a three-node cluster on loopback. -->
<jive>
  <notice>127.0.0.1:$(notice_port "$n")</notice>
$coordination
  <xmpp>
    <domain>localhost</domain>
    <listen>127.0.0.1</listen>
    <c2sPort>$(c2s_port "$n")</c2sPort>
    <directTlsPort>$(direct_tls_port "$n")</directTlsPort>
    <dataDir>$dir/node$n/data</dataDir>
    <tls>
      <allowPlaintextOnLoopback>true</allowPlaintextOnLoopback>
    </tls>
    <!-- Nodes on one host share one SQLite file. -->
    <storage provider="sqlite">
      <path>$dir/shared/xmpp.db</path>
    </storage>
    <registration>open</registration>
  </xmpp>
  <cluster>
    <root>/zkfire</root>
    <nodeId>node$n</nodeId>
    <secretFile>$dir/cluster.secret</secretFile>
    <!-- Short, for drills: a crashed node leaves, and a cut-off node fences itself, after ${SESSION_TIMEOUT_SECONDS:-6} s. -->
    <sessionTimeoutSeconds>${SESSION_TIMEOUT_SECONDS:-6}</sessionTimeoutSeconds>
  </cluster>
</jive>
EOF
}

print_connect_help() {
    local dir=$1 n
    echo
    echo "Nodes (domain localhost, open registration; each generated its own self-signed certificate):"
    for n in "${NODES[@]}"; do
        printf '  node%s  c2s 127.0.0.1:%s (STARTTLS)  direct TLS %s  notice %s  config %s\n' \
            "$n" "$(c2s_port "$n")" "$(direct_tls_port "$n")" "$(notice_port "$n")" "$dir/node$n/cluster.xml"
    done
    echo
    echo "Connect any XMPP client to 127.0.0.1 on one of the c2s ports as user@localhost (register in-band, or:"
    echo "  dotnet $ZKFIRE_DLL adduser alice --password alice-secret --config $dir/node1/cluster.xml)."
    echo "Status: dotnet $ZKFIRE_DLL status --config $dir/node1/cluster.xml"
}
