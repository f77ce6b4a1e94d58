#!/usr/bin/env bash
# Cross-node XMPP numbers on a 3-node ZkFire cluster on loopback (embedded 3-member ZooKeeper ensemble, one shared
# SQLite store, one cluster secret): chat messages same-node (node1 -> node1) vs cross-node (node1 -> node2) at a
# fixed offered rate and at the maximum rate, then the time from SIGKILL of node3 until a contact on node2 sees the
# user logged in on node3 go unavailable (node3 is restarted and rejoins after each kill). Medians. Build first:
#   dotnet build -c Release src/ZkFire.Host && dotnet build -c Release benchmarks/ZkFire.LoadTool
# Knobs (environment): PAIRS RATE WINDOW DURATION WARMUP REPS CRASHES SESSION_TIMEOUT SASL TLS OUT
#   APPEND=1 appends the results and the command to benchmarks/RESULTS.md.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PAIRS=${PAIRS:-10}
RATE=${RATE:-2000}
WINDOW=${WINDOW:-32}
DURATION=${DURATION:-5s}
WARMUP=${WARMUP:-2s}
REPS=${REPS:-3}
CRASHES=${CRASHES:-3}
SESSION_TIMEOUT=${SESSION_TIMEOUT:-4}
SASL=${SASL:-scram-sha-1}
TLS=${TLS:-auto}
OUT=${OUT:-}
APPEND=${APPEND:-}
COMMAND_LINE="$(for v in PAIRS RATE WINDOW DURATION WARMUP REPS CRASHES SESSION_TIMEOUT SASL TLS; do
  printf '%s=%q ' "$v" "${!v}"; done)benchmarks/xmpp-cluster-compare.sh"

source "$ROOT/benchmarks/zk-bench-lib.sh"
# The cluster tools' config generation, node start and stop (their stop_pid replaces zk-bench-lib's).
source "$ROOT/tools/cluster/lib.sh"
for f in "$ZKFIRE_DLL" "$LOAD_DLL"; do
  [[ -f $f ]] || { echo "missing $f (build Release)" >&2; exit 2; }
done
command -v python3 >/dev/null && command -v jq >/dev/null || { echo "needs python3 and jq" >&2; exit 2; }

WORK=$(mktemp -d /tmp/xmpp-cluster-compare-XXXXXX)
RESULTS=$WORK/results.jsonl
declare -A C2S DIRECT NOTICE ZKPORT

cleanup() {
  for i in "${NODES[@]}"; do stop_pid "node$i" "$WORK/node$i/pid" >/dev/null; done
  if [[ -n $OUT ]]; then
    mkdir -p "$OUT"
    cp "$RESULTS" "$OUT/results.jsonl" 2>/dev/null || true
    for i in "${NODES[@]}"; do cp "$WORK/node$i/node.log" "$OUT/node$i.log" 2>/dev/null || true; done
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- configuration (tools/cluster/lib.sh's, on free ports instead of its fixed ones): three nodes, each with its
# embedded ZooKeeper member (tickTime 1000 so a 4 s session timeout is allowed), one shared SQLite file, one cluster
# secret, plain TCP allowed from loopback, in-band registration open.
servers=""
for i in "${NODES[@]}"; do
  C2S[$i]=$(free_port); DIRECT[$i]=$(free_port); NOTICE[$i]=$(free_port); ZKPORT[$i]=$(free_port)
  servers+="    <server name=\"server.$i\">127.0.0.1:$(free_port):$(free_port)</server>"$'\n'
done
c2s_port() { echo "${C2S[$1]}"; }
direct_tls_port() { echo "${DIRECT[$1]}"; }
notice_port() { echo "${NOTICE[$1]}"; }
embedded_client_port() { echo "${ZKPORT[$1]}"; }
export SESSION_TIMEOUT_SECONDS=$SESSION_TIMEOUT
ensure_secret "$WORK/cluster.secret"
ensure_secret "$WORK/quorum.secret"
for i in "${NODES[@]}"; do
  write_node_config "$WORK" "$i" "  <zoo>
    <tickTime>1000</tickTime>
    <initLimit>10</initLimit>
    <syncLimit>5</syncLimit>
    <dataDir>$WORK/node$i/zk</dataDir>
    <clientPort>${ZKPORT[$i]}</clientPort>
    <clientPortAddress>127.0.0.1</clientPortAddress>
    <myid>$i</myid>
${servers}    <property name=\"quorum.auth.secretFile\">$WORK/quorum.secret</property>
    <property name=\"4lw.commands.whitelist\">srvr,stat,ruok,mntr,conf</property>
  </zoo>"
done

# A node serves once its XMPP listener opens streams (it refuses them with system-shutdown until it has registered).
wait_serving() {  # node
  local i=$1
  wait_for_port "node$i" "$WORK/node$i/pid" "${C2S[$i]}" 90
  python3 - "${C2S[$i]}" <<'PY' || { echo "node $i never served XMPP streams; log:" >&2; tail -20 "$WORK/node$i/node.log" >&2; exit 1; }
import socket, sys, time
deadline = time.monotonic() + 90
while time.monotonic() < deadline:
    try:
        with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2) as s:
            s.sendall(b"<?xml version='1.0'?><stream:stream to='localhost' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>")
            data = b""
            while b"</stream:features>" not in data and b"stream:error" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            if b"</stream:features>" in data:
                sys.exit(0)
    except OSError:
        pass
    time.sleep(0.2)
sys.exit(1)
PY
}

pid_of() { cat "$WORK/node$1/pid"; }
# Nodes are stopped by pid (cleanup) or killed on purpose: not jobs for this shell to report on.
start() { start_node "$WORK" "$1" >&2; disown "$(pid_of "$1")" 2>/dev/null || true; }
for i in "${NODES[@]}"; do start "$i"; done
for i in "${NODES[@]}"; do wait_serving "$i"; done
wait_for_cluster "$WORK" 90 >&2
echo "cluster serving: node1..3 c2s on 127.0.0.1:${C2S[1]},${C2S[2]},${C2S[3]} (pids $(pid_of 1) $(pid_of 2) $(pid_of 3)), session timeout ${SESSION_TIMEOUT} s" >&2

# Accounts: the crash pair with the node's own command (shared store, so any node's config will do); the messaging
# pairs by in-band registration (XEP-0077), done by the load tool's --register (existing accounts are kept).
for user in crash-a crash-b; do
  dotnet "$ZKFIRE_DLL" adduser "$user" --password zkfire-load --config "$WORK/node1/cluster.xml" >>"$WORK/adduser.log" 2>&1 \
    || { echo "adduser $user failed:" >&2; cat "$WORK/adduser.log" >&2; exit 1; }
done

run_messaging() {  # placement mode receiver-node
  local placement=$1 mode=$2 receiver=$3 line rate=()
  [[ $mode == rate ]] && rate=(--rate "$RATE")
  line=$(timeout 300 dotnet "$LOAD_DLL" xmpp-messaging --sender-endpoint "127.0.0.1:${C2S[1]}" --receiver-endpoint "127.0.0.1:${C2S[$receiver]}" \
      --pairs "$PAIRS" --window "$WINDOW" "${rate[@]}" --duration "$DURATION" --warmup "$WARMUP" --sasl "$SASL" --tls "$TLS" \
      --register --label "$placement/$mode" \
      2> >(grep -v ' warmup \| measure ' | sed "s/^/  [$placement $mode] /" >&2) | tee >(grep -v '^{' | sed "s/^/  /" >&2) | grep '^{' || true)
  if [[ -z $line ]]; then
    echo "  [$placement $mode] run failed" >&2
    line="{\"label\":\"$placement/$mode\",\"target\":\"xmpp-messaging\",\"failed\":true}"
  fi
  echo "$line" >>"$RESULTS"
}

for rep in $(seq "$REPS"); do
  for mode in rate max; do
    echo "rep $rep/$REPS: $mode" >&2
    run_messaging same-node "$mode" 1
    run_messaging cross-node "$mode" 2
  done
done

# --- crash: user A on node3 (the victim), contact B on node2; node3 is restarted after each kill and the next round's
# login on it is retried until it has rejoined.
for n in $(seq "$CRASHES"); do
  mode=$(zk_mode "${ZKPORT[3]}")
  victim=$(pid_of 3)
  echo "crash $n/$CRASHES: killing node3 (pid $victim, its ZooKeeper member is $mode)" >&2
  line=$(timeout 300 dotnet "$LOAD_DLL" xmpp-crash --victim-endpoint "127.0.0.1:${C2S[3]}" --survivor-endpoint "127.0.0.1:${C2S[2]}" \
      --pid "$victim" --session-timeout "${SESSION_TIMEOUT}s" --sasl "$SASL" --tls "$TLS" --label "$mode" \
      2> >(sed "s/^/  [crash $n] /" >&2) | tee >(grep -v '^{' | sed "s/^/  /" >&2) | grep '^{' || true)
  while kill -0 "$victim" 2>/dev/null; do sleep 0.1; done
  if [[ -z $line ]]; then
    echo "  [crash $n] failed" >&2
    line="{\"label\":\"$mode\",\"target\":\"xmpp-crash\",\"failed\":true}"
  fi
  echo "$line" >>"$RESULTS"
  rm -f "$WORK/node3/pid"
  start 3
  wait_serving 3
done

TABLE=$(python3 - "$RESULTS" "$RATE" <<'PY'
import json, sys, statistics, collections
runs, failed, crashes = collections.defaultdict(list), collections.Counter(), []
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("target") == "xmpp-crash":
        crashes.append(r)
    elif r.get("failed"):
        failed[r["label"]] += 1
    else:
        runs[r["label"]].append(r)
def med(rs, f):
    return statistics.median(f(r) for r in rs) if rs else float("nan")
def fmt(x, spec):
    return "–" if x != x else format(x, spec)
def ratio(a, b):
    return a / b if b == b and b and a == a else float("nan")
first = next((r for rs in runs.values() for r in rs), {})
print(f"Transport {first.get('transport', '?')}, SASL {first.get('sasl', '?')}, {first.get('pairs', '?')} pairs, window {first.get('window', '?')} per pair, accounts {first.get('accounts', '?')}.\n")
print("| placement | offered | delivered msgs/s | p50 ms | p99 ms | p99.9 ms | errors | runs | load tool: cores busy, B allocated/msg |")
print("|---|---|--:|--:|--:|--:|--:|--:|--:|")
stats = {}
for mode, offered in (("rate", f"{float(sys.argv[2]):,.0f} msgs/s"), ("max", "max (window)")):
    for placement in ("same-node", "cross-node"):
        rs = runs[f"{placement}/{mode}"]
        s = {k: med(rs, f) for k, f in (("ops", lambda r: r["deliveredPerSec"]), ("p50", lambda r: r["latencyMs"]["p50"]),
             ("p99", lambda r: r["latencyMs"]["p99"]), ("p999", lambda r: r["latencyMs"]["p999"]))}
        stats[(placement, mode)] = s
        errs = sum(r["errors"] for r in rs)
        nf = failed[f"{placement}/{mode}"]
        tool = f"{fmt(med(rs, lambda r: r['toolCores']), '.2f')}, {fmt(med(rs, lambda r: r['toolBytesPerMessage']), '.1f')}"
        print(f"| {placement} | {offered} | {fmt(s['ops'], ',.0f')} | {fmt(s['p50'], '.2f')} | {fmt(s['p99'], '.2f')} | {fmt(s['p999'], '.2f')} | {errs} | {len(rs)}{f' ({nf} failed)' if nf else ''} | {tool} |")
print("\n| cross-node / same-node | msgs/s | p50 | p99 | p99.9 |")
print("|---|--:|--:|--:|--:|")
for mode, name in (("rate", "fixed rate"), ("max", "max rate")):
    c, s = stats[("cross-node", mode)], stats[("same-node", mode)]
    print(f"| {name} | **{fmt(ratio(c['ops'], s['ops']), '.2f')}** | {fmt(ratio(c['p50'], s['p50']), '.2f')} | {fmt(ratio(c['p99'], s['p99']), '.2f')} | {fmt(ratio(c['p999'], s['p999']), '.2f')} |")
ok = [r for r in crashes if not r.get("failed")]
ms = [r["rounds"][0]["unavailableMs"] for r in ok]
timeout = ok[0]["sessionTimeoutSeconds"] if ok else float("nan")
print(f"\n| node kill -9 to contact on another node seeing unavailable | median ms | min ms | max ms | runs | configured session timeout |")
print("|---|--:|--:|--:|--:|--:|")
cell = f"{statistics.median(ms):,.0f} | {min(ms):,.0f} | {max(ms):,.0f}" if ms else "– | – | –"
print(f"| node3 killed, contact on node2 | {cell} | {len(ms)}{f' ({len(crashes) - len(ok)} failed)' if len(ok) < len(crashes) else ''} | {fmt(timeout, 'g')} s |")
print("\nIndividual kills: " + "; ".join(f"{r['rounds'][0]['unavailableMs']:.0f} ms (victim's ZooKeeper member was {r.get('label')})" for r in ok))
PY
)

echo
echo "All messaging runs (label, delivered/s, p50, p99, p99.9 ms, errors):" >&2
jq -r 'select(.target=="xmpp-messaging" and (.failed|not)) | "  \(.label)\t\(.deliveredPerSec)\t\(.latencyMs.p50)\t\(.latencyMs.p99)\t\(.latencyMs.p999)\terrors \(.errors)"' "$RESULTS" >&2
echo "Server log warnings/errors:" >&2
for i in "${NODES[@]}"; do log_warnings "node$i" "$WORK/node$i/node.log"; done
echo
echo "$TABLE"
if [[ -n $APPEND ]]; then
  {
    echo
    echo "## XMPP across nodes: same-node vs cross-node messaging, crash detection ($(date -u '+%Y-%m-%d %H:%M UTC'))"
    echo
    echo "- Branch \`$(git -C "$ROOT" rev-parse --abbrev-ref HEAD)\` at \`$(git -C "$ROOT" rev-parse --short HEAD)\`, Release build."
    echo "- Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), shared with other jobs, $(free -g | awk '/Mem:/ {print $2}') GiB RAM; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg). All three nodes and the load tool on this machine."
    echo "- Cluster: 3 nodes on 127.0.0.1, each with its embedded ZooKeeper member (one 3-member ensemble, tickTime 1000), one shared SQLite store, a cluster secret on the notice links, session timeout ${SESSION_TIMEOUT} s."
    echo "- Messaging: $PAIRS sender/receiver pairs, senders on node1, receivers on node1 (same-node) or node2 (cross-node); chat messages to the receiver's full JID with the send time in the body, latency send to receipt; fixed rate $RATE msgs/s in total, or max rate with $WINDOW messages in flight per pair; $WARMUP warmup + $DURATION measured; $REPS repetitions, medians."
    echo "- Crash: user A on node3, contact B (mutual subscription) on node2; SIGKILL node3, time until B receives A's unavailable presence; node3 restarted and rejoined before each of $CRASHES kills."
    echo "- Command:"
    echo "  \`\`\`sh"
    echo "  dotnet build -c Release src/ZkFire.Host && dotnet build -c Release benchmarks/ZkFire.LoadTool"
    echo "  APPEND=1 $COMMAND_LINE"
    echo "  \`\`\`"
    echo
    echo "$TABLE"
  } >>"$ROOT/benchmarks/RESULTS.md"
  echo "appended to benchmarks/RESULTS.md" >&2
fi
