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

source "$ROOT/benchmarks/zk-bench-lib.sh"
require_programs

WORK=$(mktemp -d /tmp/zk-compare-XXXXXX)
RESULTS=$WORK/results.jsonl
ZK_PID=""
ZKFIRE_PID=""

cleanup() {
  stop_pid "$ZK_PID"
  stop_pid "$ZKFIRE_PID"
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

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
start_zookeeper "$WORK/zk/zoo.cfg" "$WORK/zk/log"
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
start_zkfire "$WORK/zkfire/cluster.xml" "$WORK/zkfire/log"
ZKFIRE_PID=$!

wait_port "$ZK_PORT" "$ZK_PID" "$WORK/zk/log"
wait_port "$ZKFIRE_PORT" "$ZKFIRE_PID" "$WORK/zkfire/log"
echo "ZooKeeper pid $ZK_PID on 127.0.0.1:$ZK_PORT, ZkFire pid $ZKFIRE_PID on 127.0.0.1:$ZKFIRE_PORT" >&2

run_one() {  # server workload
  local port
  [[ $1 == zookeeper ]] && port=$ZK_PORT || port=$ZKFIRE_PORT
  run_load "$1" "$2" "127.0.0.1:$port"
}

for rep in $(seq "$REPS"); do
  for w in $WORKLOADS; do
    echo "rep $rep/$REPS: $w" >&2
    run_one zookeeper "$w"
    run_one zkfire "$w"
  done
done

for extra in 1 2; do
  for w in $(outliers zookeeper zkfire); do
    echo "extra run $extra: $w (repetitions disagree by more than ${OUTLIER_SPREAD}x)" >&2
    run_one zookeeper "$w"
    run_one zkfire "$w"
  done
done

TABLE=$(medians_table "$WORKLOADS")

echo
print_runs
echo "Server log warnings/errors:" >&2
log_warnings zookeeper "$WORK/zk/log"
log_warnings zkfire "$WORK/zkfire/log"
if [[ -n $OUT ]]; then
  mkdir -p "$OUT"
  cp "$RESULTS" "$OUT/results.jsonl"; cp "$WORK/zk/log" "$OUT/zookeeper.log"; cp "$WORK/zkfire/log" "$OUT/zkfire.log"
fi
echo
echo "$TABLE"
