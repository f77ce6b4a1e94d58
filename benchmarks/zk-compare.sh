#!/usr/bin/env bash
# Apache ZooKeeper 3.8 (Debian package) vs a ZkFire member, both standalone on loopback with fsync on,
# driven by the same load tool. Build first (Release):
#   dotnet build -c Release src/ZkFire.Host && dotnet build -c Release benchmarks/ZkFire.LoadTool
# Knobs (environment): WORKLOADS SESSIONS OUTSTANDING PAYLOAD DURATION WARMUP READ_RATIO REPS OUT
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORKLOADS=${WORKLOADS:-"create set get mixed"}
SESSIONS=${SESSIONS:-8}
OUTSTANDING=${OUTSTANDING:-32}
PAYLOAD=${PAYLOAD:-100}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
READ_RATIO=${READ_RATIO:-0.9}
REPS=${REPS:-3}
# A pair whose fastest run is this many times its slowest gets up to two extra runs (shared machine).
OUTLIER_SPREAD=${OUTLIER_SPREAD:-1.5}
OUT=${OUT:-}

ZK_JAR=/usr/share/java/zookeeper.jar
SLF4J_JAR=/usr/share/java/slf4j-simple.jar
ZKFIRE_DLL=$ROOT/src/ZkFire.Host/bin/Release/net10.0/zkfire.dll
LOAD_DLL=$ROOT/benchmarks/ZkFire.LoadTool/bin/Release/net10.0/zkfire-load.dll

for f in "$ZK_JAR" "$ZKFIRE_DLL" "$LOAD_DLL"; do
  [[ -f $f ]] || { echo "missing $f (install the zookeeper package / build Release)" >&2; exit 2; }
done
command -v java >/dev/null && command -v python3 >/dev/null || { echo "needs java and python3" >&2; exit 2; }

WORK=$(mktemp -d /tmp/zk-compare-XXXXXX)
ZK_PID=""
ZKFIRE_PID=""

stop_pid() {
  local pid=$1
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
  kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
  stop_pid "$ZK_PID"
  stop_pid "$ZKFIRE_PID"
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

wait_port() {
  local port=$1 pid=$2 log=$3
  for _ in $(seq 150); do
    kill -0 "$pid" 2>/dev/null || { echo "server $pid exited; log:" >&2; tail -20 "$log" >&2; exit 1; }
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.2
  done
  echo "server $pid never listened on $port; log:" >&2; tail -20 "$log" >&2; exit 1
}

# --- Apache ZooKeeper: zkServer.sh's heap (-Xmx1000m) and JVM defaults otherwise, forceSync left at its default (yes).
ZK_PORT=$(free_port)
mkdir -p "$WORK/zk/data"
cat >"$WORK/zk/zoo.cfg" <<CFG
tickTime=2000
dataDir=$WORK/zk/data
clientPort=$ZK_PORT
clientPortAddress=127.0.0.1
admin.enableServer=false
CFG
java -Xmx1000m -Dorg.slf4j.simpleLogger.defaultLogLevel=info -cp "$ZK_JAR:$SLF4J_JAR" \
  org.apache.zookeeper.server.quorum.QuorumPeerMain "$WORK/zk/zoo.cfg" >"$WORK/zk/log" 2>&1 &
ZK_PID=$!

# --- ZkFire member: forceSync left at its default (true).
ZKFIRE_PORT=$(free_port)
mkdir -p "$WORK/zkfire/data"
cat >"$WORK/zkfire/cluster.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<jive>
  <zoo>
    <tickTime>2000</tickTime>
    <dataDir>$WORK/zkfire/data</dataDir>
    <clientPort>$ZKFIRE_PORT</clientPort>
    <property name="clientPortAddress">127.0.0.1</property>
  </zoo>
</jive>
XML
dotnet "$ZKFIRE_DLL" zk --config "$WORK/zkfire/cluster.xml" >"$WORK/zkfire/log" 2>&1 &
ZKFIRE_PID=$!

wait_port "$ZK_PORT" "$ZK_PID" "$WORK/zk/log"
wait_port "$ZKFIRE_PORT" "$ZKFIRE_PID" "$WORK/zkfire/log"
echo "ZooKeeper pid $ZK_PID on 127.0.0.1:$ZK_PORT, ZkFire pid $ZKFIRE_PID on 127.0.0.1:$ZKFIRE_PORT" >&2

RESULTS=$WORK/results.jsonl
run_one() {  # server workload
  local server=$1 workload=$2 port
  [[ $server == zookeeper ]] && port=$ZK_PORT || port=$ZKFIRE_PORT
  local line
  line=$(timeout 600 dotnet "$LOAD_DLL" zk --connect "127.0.0.1:$port" --workload "$workload" \
      --sessions "$SESSIONS" --outstanding "$OUTSTANDING" --payload "$PAYLOAD" \
      --duration "$DURATION" --warmup "$WARMUP" --read-ratio "$READ_RATIO" --label "$server" \
      2> >(sed "s/^/  [$server $workload] /" >&2) | tee >(grep -v '^{' | sed "s/^/  /" >&2) | grep '^{' || true)
  if [[ -z $line ]]; then
    echo "  [$server $workload] run failed" >&2
    line="{\"label\":\"$server\",\"workload\":\"$workload\",\"failed\":true}"
  fi
  echo "$line" >>"$RESULTS"
}

for rep in $(seq "$REPS"); do
  for w in $WORKLOADS; do
    echo "rep $rep/$REPS: $w" >&2
    run_one zookeeper "$w"
    run_one zkfire "$w"
  done
done

# Extra runs for pairs whose repetitions disagree wildly (another job on the machine, a GC storm, a snapshot).
outliers() {
  python3 - "$RESULTS" "$OUTLIER_SPREAD" <<'PY'
import json, sys, collections
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    r = json.loads(line)
    if not r.get("failed"):
        runs[r["workload"]].append((r["label"], r["opsPerSec"]))
spread = float(sys.argv[2])
for w, rs in runs.items():
    for label in ("zookeeper", "zkfire"):
        ops = [o for l, o in rs if l == label]
        if len(ops) < 5 and ops and min(ops) > 0 and max(ops) / min(ops) > spread:
            print(w)
            break
PY
}
for extra in 1 2; do
  for w in $(outliers); do
    echo "extra run $extra: $w (repetitions disagree by more than ${OUTLIER_SPREAD}x)" >&2
    run_one zookeeper "$w"
    run_one zkfire "$w"
  done
done

TABLE=$(python3 - "$RESULTS" "$WORKLOADS" <<'PY'
import json, sys, statistics, collections
runs = collections.defaultdict(list)
failed = collections.Counter()
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("failed"):
        failed[(r["label"], r["workload"])] += 1
    else:
        runs[(r["label"], r["workload"])].append(r)
def med(rs, f):
    return statistics.median(f(r) for r in rs) if rs else float("nan")
print("| workload | ZooKeeper ops/s | ZooKeeper p50 ms | ZooKeeper p99 ms | ZkFire ops/s | ZkFire p50 ms | ZkFire p99 ms | ops/s ZkFire/ZooKeeper | p99 ZkFire/ZooKeeper | runs (zk/zkfire) | errors (zk/zkfire) |")
print("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
for w in sys.argv[2].split():
    zk, zf = runs[("zookeeper", w)], runs[("zkfire", w)]
    zo, fo = med(zk, lambda r: r["opsPerSec"]), med(zf, lambda r: r["opsPerSec"])
    z50, f50 = med(zk, lambda r: r["latencyMs"]["p50"]), med(zf, lambda r: r["latencyMs"]["p50"])
    z99, f99 = med(zk, lambda r: r["latencyMs"]["p99"]), med(zf, lambda r: r["latencyMs"]["p99"])
    ratio = fo / zo if zo else float("nan")
    lratio = f99 / z99 if z99 else float("nan")
    ze, fe = sum(r["errors"] for r in zk), sum(r["errors"] for r in zf)
    fz, ff = failed[("zookeeper", w)], failed[("zkfire", w)]
    runs_txt = f"{len(zk)}/{len(zf)}" + (f" ({fz}/{ff} failed)" if fz or ff else "")
    print(f"| {w} | {zo:,.0f} | {z50:.2f} | {z99:.2f} | {fo:,.0f} | {f50:.2f} | {f99:.2f} | **{ratio:.2f}** | {lratio:.2f} | {runs_txt} | {ze}/{fe} |")
PY
)

echo
echo "All runs (ops/s, p50, p99 ms):" >&2
jq -r 'select(.failed|not) | "  \(.label)\t\(.workload)\t\(.opsPerSec)\t\(.latencyMs.p50)\t\(.latencyMs.p99)\terrors \(.errors)"' "$RESULTS" >&2
echo "Server log warnings/errors (ZooKeeper WARN/ERROR, ZkFire warn/fail/crit):" >&2
echo "  zookeeper: $(grep -cE '\b(WARN|ERROR)\b' "$WORK/zk/log" || true) lines" >&2
grep -E '\b(WARN|ERROR)\b' "$WORK/zk/log" | cut -c1-200 | sort | uniq -c | sort -rn | head -5 >&2 || true
echo "  zkfire: $(grep -cE '\b(warn|fail|crit):' "$WORK/zkfire/log" || true) lines" >&2
grep -E '\b(warn|fail|crit):' "$WORK/zkfire/log" | cut -c14-200 | sort | uniq -c | sort -rn | head -5 >&2 || true
if [[ -n $OUT ]]; then
  mkdir -p "$OUT"
  cp "$RESULTS" "$OUT/results.jsonl"; cp "$WORK/zk/log" "$OUT/zookeeper.log"; cp "$WORK/zkfire/log" "$OUT/zkfire.log"
fi
echo
echo "$TABLE"
