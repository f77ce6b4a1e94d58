# Shared by zk-compare.sh and zk-ensemble-compare.sh (sourced, not run). Expects ROOT, WORK and the load knobs
# (SESSIONS OUTSTANDING PAYLOAD DURATION WARMUP READ_RATIO OUTLIER_SPREAD) to be set; RESULTS collects one JSON
# summary per run.

ZK_JAR=/usr/share/java/zookeeper.jar
SLF4J_JAR=/usr/share/java/slf4j-simple.jar
ZKFIRE_DLL=$ROOT/src/ZkFire.Host/bin/Release/net10.0/zkfire.dll
LOAD_DLL=$ROOT/benchmarks/ZkFire.LoadTool/bin/Release/net10.0/zkfire-load.dll

# ZkFire's recommended runtime setting (README, Performance), for its nodes and the load tool (both .NET): hot code is
# optimised after its first calls instead of after the load has stopped bringing new code to compile.
export DOTNET_TC_CallCountingDelayMs=0

require_programs() {
  for f in "$ZK_JAR" "$ZKFIRE_DLL" "$LOAD_DLL"; do
    [[ -f $f ]] || { echo "missing $f (install the zookeeper package / build Release)" >&2; exit 2; }
  done
  command -v java >/dev/null && command -v python3 >/dev/null || { echo "needs java and python3" >&2; exit 2; }
}

stop_pid() {
  local pid=$1
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
  kill -KILL "$pid" 2>/dev/null || true
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

wait_port() {  # port pid log
  local port=$1 pid=$2 log=$3
  for _ in $(seq 150); do
    kill -0 "$pid" 2>/dev/null || { echo "server $pid exited; log:" >&2; tail -20 "$log" >&2; exit 1; }
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.2
  done
  echo "server $pid never listened on $port; log:" >&2; tail -20 "$log" >&2; exit 1
}

# Apache ZooKeeper from the Debian package, in the background; zkServer.sh's heap (-Xmx1000m), JVM defaults otherwise.
start_zookeeper() {  # zoo.cfg log
  java -Xmx1000m -Dorg.slf4j.simpleLogger.defaultLogLevel=info -cp "$ZK_JAR:$SLF4J_JAR" \
    org.apache.zookeeper.server.quorum.QuorumPeerMain "$1" >>"$2" 2>&1 &
}

start_zkfire() {  # cluster.xml log
  dotnet "$ZKFIRE_DLL" zk --config "$1" >>"$2" 2>&1 &
}

# One load run; its JSON summary goes to $RESULTS (a failed run is recorded as such).
run_load() {  # label workload connect [extra load-tool options...]
  local label=$1 workload=$2 connect=$3 line
  shift 3
  line=$(timeout 600 dotnet "$LOAD_DLL" zk --connect "$connect" --workload "$workload" \
      --sessions "$SESSIONS" --outstanding "$OUTSTANDING" --payload "$PAYLOAD" \
      --duration "$DURATION" --warmup "$WARMUP" --read-ratio "$READ_RATIO" --label "$label" "$@" \
      2> >(sed "s/^/  [$label $workload] /" >&2) | tee >(grep -v '^{' | sed "s/^/  /" >&2) | grep '^{' || true)
  if [[ -z $line ]]; then
    echo "  [$label $workload] run failed" >&2
    line="{\"label\":\"$label\",\"workload\":\"$workload\",\"failed\":true}"
  fi
  echo "$line" >>"$RESULTS"
}

# Workloads whose repetitions on one side disagree wildly (another job on the machine, a GC storm, a snapshot).
outliers() {  # labels...
  python3 - "$RESULTS" "$OUTLIER_SPREAD" "$@" <<'PY'
import json, sys, collections
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    r = json.loads(line)
    if not r.get("failed") and "workload" in r:
        runs[r["workload"]].append((r["label"], r["opsPerSec"]))
spread = float(sys.argv[2])
for w, rs in runs.items():
    for label in sys.argv[3:]:
        ops = [o for l, o in rs if l == label]
        if len(ops) < 5 and ops and min(ops) > 0 and max(ops) / min(ops) > spread:
            print(w)
            break
PY
}

# Markdown table of medians: ZooKeeper (label "zookeeper") against ZkFire (label "zkfire").
medians_table() {  # workloads
  python3 - "$RESULTS" "$1" <<'PY'
import json, sys, statistics, collections
runs = collections.defaultdict(list)
failed = collections.Counter()
for line in open(sys.argv[1]):
    r = json.loads(line)
    if "workload" not in r:
        continue
    if r.get("failed"):
        failed[(r["label"], r["workload"])] += 1
    else:
        runs[(r["label"], r["workload"])].append(r)
def med(rs, f):
    return statistics.median(f(r) for r in rs) if rs else float("nan")
def fmt(x, spec):
    return "–" if x != x else format(x, spec)
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
    print(f"| {w} | {fmt(zo, ',.0f')} | {fmt(z50, '.2f')} | {fmt(z99, '.2f')} | {fmt(fo, ',.0f')} | {fmt(f50, '.2f')} | {fmt(f99, '.2f')} | **{fmt(ratio, '.2f')}** | {fmt(lratio, '.2f')} | {runs_txt} | {ze}/{fe} |")
PY
}

print_runs() {
  echo "All runs (ops/s, p50, p99 ms):" >&2
  jq -r 'select(.failed|not) | select(.workload) | "  \(.label)\t\(.workload)\t\(.opsPerSec)\t\(.latencyMs.p50)\t\(.latencyMs.p99)\terrors \(.errors)"' "$RESULTS" >&2
}

log_warnings() {  # label log
  echo "  $1: $(grep -cE '\b(WARN|ERROR)\b|\b(warn|fail|crit):' "$2" || true) warning/error lines" >&2
  grep -E '\b(WARN|ERROR)\b|\b(warn|fail|crit):' "$2" | cut -c1-200 | sort | uniq -c | sort -rn | head -5 >&2 || true
}
