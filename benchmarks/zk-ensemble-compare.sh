#!/usr/bin/env bash
# A 3-server Apache ZooKeeper 3.8 ensemble (Debian package) vs a 3-member ZkFire ensemble, all six processes on
# loopback on this machine, fsync on, driven by the same load tool: every workload with the sessions spread
# round-robin over the members, then leader failover (SIGKILL the leader, time until a write through a surviving
# member is acknowledged; the killed member is restarted and the ensemble serves again before the next one).
# Medians. Build first (Release):
#   dotnet build -c Release src/ZkFire.Host && dotnet build -c Release benchmarks/ZkFire.LoadTool
# Knobs (environment): WORKLOADS SESSIONS OUTSTANDING PAYLOAD DURATION WARMUP READ_RATIO REPS FAILOVERS SIDES OUT
#   APPEND=1 appends the results and the command to benchmarks/RESULTS.md.
#   SIDES="zookeeper" measures the Apache ZooKeeper ensemble alone; WORKLOADS="" skips the workloads (failover only).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORKLOADS=${WORKLOADS-"create set get mixed"}
SESSIONS=${SESSIONS:-9}
OUTSTANDING=${OUTSTANDING:-32}
PAYLOAD=${PAYLOAD:-100}
DURATION=${DURATION:-5s}
WARMUP=${WARMUP:-2s}
READ_RATIO=${READ_RATIO:-0.9}
REPS=${REPS:-3}
FAILOVERS=${FAILOVERS:-5}
SIDES=${SIDES:-"zookeeper zkfire"}
# A workload whose fastest run is this many times its slowest gets up to two extra runs (shared machine).
OUTLIER_SPREAD=${OUTLIER_SPREAD:-1.5}
OUT=${OUT:-}
APPEND=${APPEND:-}
COMMAND_LINE="$(for v in WORKLOADS SESSIONS OUTSTANDING PAYLOAD DURATION WARMUP READ_RATIO REPS FAILOVERS SIDES; do
  printf '%s=%q ' "$v" "${!v}"; done)benchmarks/zk-ensemble-compare.sh"

source "$ROOT/benchmarks/zk-bench-lib.sh"
require_programs

WORK=$(mktemp -d /tmp/zk-ensemble-compare-XXXXXX)
RESULTS=$WORK/results.jsonl
MEMBERS=(1 2 3)
declare -A PID CLIENT_PORT

cleanup() {
  for key in "${!PID[@]}"; do stop_pid "${PID[$key]}"; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- configuration: tickTime 2000, initLimit 10, syncLimit 5 on both sides; forceSync left at its default (on).
for side in $SIDES; do
  servers=()
  for i in "${MEMBERS[@]}"; do
    CLIENT_PORT[$side.$i]=$(free_port)
    servers+=("$i 127.0.0.1:$(free_port):$(free_port)")
  done
  head -c 32 /dev/urandom | base64 >"$WORK/$side.secret"
  for i in "${MEMBERS[@]}"; do
    dir=$WORK/$side/$i
    mkdir -p "$dir/data"
    if [[ $side == zookeeper ]]; then
      echo "$i" >"$dir/data/myid"
      {
        printf '%s\n' tickTime=2000 initLimit=10 syncLimit=5 "dataDir=$dir/data" "clientPort=${CLIENT_PORT[$side.$i]}" \
          clientPortAddress=127.0.0.1 admin.enableServer=false '4lw.commands.whitelist=*'
        for s in "${servers[@]}"; do echo "server.${s% *}=${s#* }"; done
      } >"$dir/zoo.cfg"
    else
      {
        printf '<?xml version="1.0" encoding="UTF-8"?>\n<jive>\n  <zoo>\n'
        printf '    <%s>%s</%s>\n' tickTime 2000 tickTime initLimit 10 initLimit syncLimit 5 syncLimit \
          dataDir "$dir/data" dataDir clientPort "${CLIENT_PORT[$side.$i]}" clientPort \
          clientPortAddress 127.0.0.1 clientPortAddress
        for s in "${servers[@]}"; do printf '    <server name="server.%s">%s</server>\n' "${s% *}" "${s#* }"; done
        printf '    <myid>%s</myid>\n' "$i"
        printf '    <property name="4lw.commands.whitelist">*</property>\n'
        printf '    <property name="quorum.auth.secretFile">%s</property>\n' "$WORK/$side.secret"
        printf '  </zoo>\n</jive>\n'
      } >"$dir/cluster.xml"
    fi
  done
done

start_member() {  # side member
  local side=$1 i=$2 dir=$WORK/$1/$2
  if [[ $side == zookeeper ]]; then start_zookeeper "$dir/zoo.cfg" "$dir/log"; else start_zkfire "$dir/cluster.xml" "$dir/log"; fi
  PID[$side.$i]=$!
}

connect_string() {  # side
  local list=() i
  for i in "${MEMBERS[@]}"; do list+=("127.0.0.1:${CLIENT_PORT[$1.$i]}"); done
  (IFS=,; echo "${list[*]}")
}

# Every member answers srvr with leader or follower, exactly one leader.
wait_serving() {  # side
  local side=$1 ports=() i
  for i in "${MEMBERS[@]}"; do
    kill -0 "${PID[$side.$i]}" 2>/dev/null || { echo "$side member $i (pid ${PID[$side.$i]}) exited; log:" >&2; tail -20 "$WORK/$side/$i/log" >&2; exit 1; }
    ports+=("${CLIENT_PORT[$side.$i]}")
  done
  python3 - "${ports[@]}" <<'PY' || { echo "the $side ensemble did not serve within 60 s" >&2; exit 1; }
import socket, sys, time
def mode(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(b"srvr")
            data = b""
            while chunk := s.recv(4096):
                data += chunk
        return next((l[6:] for l in data.decode().splitlines() if l.startswith("Mode: ")), None)
    except OSError:
        return None
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    modes = [mode(int(p)) for p in sys.argv[1:]]
    if all(m in ("leader", "follower") for m in modes) and modes.count("leader") == 1:
        sys.exit(0)
    time.sleep(0.1)
sys.exit(1)
PY
}

for side in $SIDES; do
  for i in "${MEMBERS[@]}"; do start_member "$side" "$i"; done
done
for side in $SIDES; do
  wait_serving "$side"
  echo "$side ensemble serving on $(connect_string "$side") (pids $(for i in "${MEMBERS[@]}"; do printf '%s ' "${PID[$side.$i]}"; done))" >&2
done

# --- throughput and latency: all sessions of a run on one ensemble, spread round-robin over its members.
for rep in $(seq "$REPS"); do
  for w in $WORKLOADS; do
    echo "rep $rep/$REPS: $w" >&2
    for side in $SIDES; do run_load "$side" "$w" "$(connect_string "$side")" --spread round-robin; done
  done
done
for extra in 1 2; do
  for w in $(outliers $SIDES); do
    echo "extra run $extra: $w (repetitions disagree by more than ${OUTLIER_SPREAD}x)" >&2
    for side in $SIDES; do run_load "$side" "$w" "$(connect_string "$side")" --spread round-robin; done
  done
done

# --- failover: the probe kills the leader by pid; the killed member is restarted before the next round.
for n in $(seq "$FAILOVERS"); do
  for side in $SIDES; do
    pids=$(for i in "${MEMBERS[@]}"; do printf '%s,' "${PID[$side.$i]}"; done)
    line=$(timeout 120 dotnet "$LOAD_DLL" zk-failover --members "$(connect_string "$side")" --pids "${pids%,}" --label "$side" \
        2> >(sed "s/^/  [$side failover] /" >&2) | tee >(grep -v '^{' | sed "s/^/  /" >&2) | grep '^{' || true)
    if [[ -z $line ]]; then
      echo "  [$side failover $n] failed" >&2
      echo "{\"label\":\"$side\",\"target\":\"zk-failover\",\"failed\":true}" >>"$RESULTS"
      exit 1
    fi
    echo "$line" >>"$RESULTS"
    killed=$(jq -r .killedMember <<<"$line")
    echo "--- killed (SIGKILL) by the failover probe, restarting ---" >>"$WORK/$side/$killed/log"
    { wait "${PID[$side.$killed]}" || true; } 2>/dev/null
    start_member "$side" "$killed"
    wait_serving "$side"
  done
done

TABLE=$(medians_table "$WORKLOADS")
FAILOVER_TABLE=$(python3 - "$RESULTS" <<'PY'
import json, sys, statistics
runs = {"zookeeper": [], "zkfire": []}
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("target") == "zk-failover" and not r.get("failed"):
        runs[r["label"]].append(r["failoverMs"])
def cell(ms):
    return f"{statistics.median(ms):,.0f} | {min(ms):,.0f} | {max(ms):,.0f} | {len(ms)}" if ms else "– | – | – | 0"
print("| leader failover (SIGKILL to first acknowledged write through a survivor) | median ms | min ms | max ms | runs |")
print("|---|--:|--:|--:|--:|")
print(f"| Apache ZooKeeper 3.8 | {cell(runs['zookeeper'])} |")
print(f"| ZkFire | {cell(runs['zkfire'])} |")
zk, zf = runs["zookeeper"], runs["zkfire"]
if zk and zf:
    print(f"\nZkFire/ZooKeeper median failover: **{statistics.median(zf) / statistics.median(zk):.2f}**")
print("\nIndividual failovers, ms: " + "; ".join(f"{k}: " + ", ".join(f"{m:.0f}" for m in v) for k, v in runs.items() if v))
PY
)

echo
print_runs
echo "Server log warnings/errors:" >&2
for side in $SIDES; do
  for i in "${MEMBERS[@]}"; do log_warnings "$side member $i" "$WORK/$side/$i/log"; done
done
if [[ -n $OUT ]]; then
  mkdir -p "$OUT"
  cp "$RESULTS" "$OUT/results.jsonl"
  for side in $SIDES; do for i in "${MEMBERS[@]}"; do cp "$WORK/$side/$i/log" "$OUT/$side-$i.log"; done; done
fi

REPORT="$TABLE

$FAILOVER_TABLE"
echo
echo "$REPORT"
if [[ -n $APPEND ]]; then
  {
    echo
    echo "## ZooKeeper ensembles: 3 ZkFire members vs 3 Apache ZooKeeper 3.8 servers ($(date -u '+%Y-%m-%d %H:%M UTC'))"
    echo
    echo "- Branch \`$(git -C "$ROOT" rev-parse --abbrev-ref HEAD)\` at \`$(git -C "$ROOT" rev-parse --short HEAD)\`, Release build."
    echo "- Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/ {print $2}') GiB RAM; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
    echo "- Both ensembles on 127.0.0.1 at once, tickTime 2000, initLimit 10, syncLimit 5, forceSync on; ZooKeeper $(dpkg-query -W -f='${Version}' zookeeper 2>/dev/null || echo '3.8'), -Xmx1000m."
    echo "- Load: $SESSIONS sessions x $OUTSTANDING outstanding spread round-robin over the 3 members, $PAYLOAD-byte payload, $WARMUP warmup + $DURATION measured, read ratio $READ_RATIO for mixed; $REPS repetitions (more for outliers), medians. Failover: $FAILOVERS leader kills per ensemble."
    echo "- Command:"
    echo "  \`\`\`sh"
    echo "  dotnet build -c Release src/ZkFire.Host && dotnet build -c Release benchmarks/ZkFire.LoadTool"
    echo "  APPEND=1 $COMMAND_LINE"
    echo "  \`\`\`"
    echo
    echo "$REPORT"
  } >>"$ROOT/benchmarks/RESULTS.md"
  echo "appended to benchmarks/RESULTS.md" >&2
fi
