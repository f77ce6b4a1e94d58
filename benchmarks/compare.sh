#!/usr/bin/env bash
# The one comparison command (issue 6): ZkFire against Prosody and ejabberd for XMPP, and against Apache ZooKeeper
# 3.8 standalone and as a 3-member ensemble, all started here on loopback, measured side by side in this run
# (servers take turns inside every repetition), REPS repetitions, medians. Writes the section between the
# "compare.sh" markers at the top of benchmarks/RESULTS.md (older, hand-written sections below it are kept).
#   benchmarks/compare.sh                       # everything, about 45 minutes on a 2-core machine
#   PARTS="xmpp" XMPP_WORKLOADS="messaging login" REPS=1 benchmarks/compare.sh    # a quick look
# Knobs (environment): PARTS ("xmpp zk zk-ensemble"), XMPP_WORKLOADS ("messaging login presence idle scale"),
#   SERVERS ("zkfire prosody ejabberd"), REPS (3), PAIRS (10), WINDOW (32), DURATION (5s), WARMUP (2s),
#   LOGIN_ACCOUNTS (1000), LOGIN_CONCURRENCY (100), PRESENCE_USERS (200), PRESENCE_CONTACTS (10),
#   IDLE_SESSIONS (10000), IDLE_ACCOUNTS (1000), SCALE_SESSIONS (100000, capped by the fd limit), TLS (auto),
#   TOOL_CPUS (empty: the load tool and the servers share every core; e.g. "0": the tool runs on CPU 0 only and the
#   servers on the others, as if the clients were on another machine),
#   LOGIN_TOOL_CPUS ("0": with TOOL_CPUS empty, the login repetitions are run again with the tool on these CPUs and
#   the servers restarted on the others, since a login costs the tool about as much CPU as a fast server; empty:
#   not run),
#   RESULTS_MD (benchmarks/RESULTS.md; empty: print only), OUT (a directory that keeps the logs and raw results).
# Needs (installed by the peer scripts or .ci/run's packages): prosody, ejabberd, zookeeper, java, python3, jq.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PARTS=${PARTS:-"xmpp zk zk-ensemble"}
XMPP_WORKLOADS=${XMPP_WORKLOADS:-"messaging login presence idle scale"}
SERVERS=${SERVERS:-"zkfire prosody ejabberd"}
REPS=${REPS:-3}
PAIRS=${PAIRS:-10}
WINDOW=${WINDOW:-32}
DURATION=${DURATION:-5s}
WARMUP=${WARMUP:-2s}
LOGIN_ACCOUNTS=${LOGIN_ACCOUNTS:-1000}
LOGIN_CONCURRENCY=${LOGIN_CONCURRENCY:-100}
PRESENCE_USERS=${PRESENCE_USERS:-200}
PRESENCE_CONTACTS=${PRESENCE_CONTACTS:-10}
IDLE_SESSIONS=${IDLE_SESSIONS:-10000}
IDLE_ACCOUNTS=${IDLE_ACCOUNTS:-1000}
SCALE_SESSIONS=${SCALE_SESSIONS:-100000}
TLS=${TLS:-auto}
TOOL_CPUS=${TOOL_CPUS:-}
LOGIN_TOOL_CPUS=${LOGIN_TOOL_CPUS-0}
RESULTS_MD=${RESULTS_MD-$ROOT/benchmarks/RESULTS.md}
OUT=${OUT:-}
COMMAND_LINE="$(for v in PARTS XMPP_WORKLOADS SERVERS REPS PAIRS WINDOW DURATION WARMUP LOGIN_ACCOUNTS LOGIN_CONCURRENCY \
  PRESENCE_USERS PRESENCE_CONTACTS IDLE_SESSIONS IDLE_ACCOUNTS SCALE_SESSIONS TLS TOOL_CPUS LOGIN_TOOL_CPUS; do printf '%s=%q ' "$v" "${!v}"; done)benchmarks/compare.sh"

# zk-bench-lib.sh gives the paths and the process helpers (free_port, wait_port, stop_pid).
WORK=$(mktemp -d /tmp/zkfire-compare-XXXXXX)
source "$ROOT/benchmarks/zk-bench-lib.sh"
RESULTS=$WORK/results.jsonl
: >"$RESULTS"

declare -A PORT PID

# With TOOL_CPUS set, the load tool and the servers run on disjoint CPUs (affinity is inherited by children).
TOOL_PIN=() SERVER_PIN=()
other_cpus() {  # cpus: the CPUs this script may use that are not in the list
  python3 -c 'import os, sys; rest = set(os.sched_getaffinity(0)) - {int(c) for c in sys.argv[1].split(",")}; print(",".join(map(str, sorted(rest))))' "$1"
}
if [[ -n $TOOL_CPUS ]]; then
  SERVER_CPUS=$(other_cpus "$TOOL_CPUS")
  [[ -n $SERVER_CPUS ]] || { echo "TOOL_CPUS=$TOOL_CPUS leaves no CPU for the servers" >&2; exit 2; }
  TOOL_PIN=(taskset -c "$TOOL_CPUS") SERVER_PIN=(taskset -c "$SERVER_CPUS")
  LOGIN_TOOL_CPUS=""
elif [[ -n $LOGIN_TOOL_CPUS ]]; then
  LOGIN_SERVER_CPUS=$(other_cpus "$LOGIN_TOOL_CPUS")
  [[ -n $LOGIN_SERVER_CPUS ]] || LOGIN_TOOL_CPUS=""
fi

# --- XMPP servers: one node each, same domain, open in-band registration, hashed passwords, STARTTLS offered and not
# required on loopback. Accounts persist in each server's directory across restarts within this run.
start_server() {  # name
  local s=$1
  PORT[$s]=${PORT[$s]:-$(free_port)}
  case $s in
  zkfire)
    mkdir -p "$WORK/zkfire/data"
    cat >"$WORK/zkfire/cluster.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<jive>
  <xmpp>
    <domain>localhost</domain>
    <listen>127.0.0.1</listen>
    <c2sPort>${PORT[$s]}</c2sPort>
    <directTlsPort>$(free_port)</directTlsPort>
    <dataDir>$WORK/zkfire/data</dataDir>
    <tls><allowPlaintextOnLoopback>true</allowPlaintextOnLoopback></tls>
    <registration>open</registration>
  </xmpp>
</jive>
XML
    "${SERVER_PIN[@]}" dotnet "$ZKFIRE_DLL" run --config "$WORK/zkfire/cluster.xml" >>"$WORK/zkfire/node.log" 2>&1 &
    PID[$s]=$!
    wait_port "${PORT[$s]}" "${PID[$s]}" "$WORK/zkfire/node.log"
    ;;
  prosody) PID[$s]=$("${SERVER_PIN[@]}" "$ROOT/benchmarks/peers/prosody.sh" start "$WORK/prosody" "${PORT[$s]}") ;;
  ejabberd) PID[$s]=$("${SERVER_PIN[@]}" "$ROOT/benchmarks/peers/ejabberd.sh" start "$WORK/ejabberd" "${PORT[$s]}") ;;
  *) echo "unknown server $s" >&2; exit 2 ;;
  esac
  echo "  $s pid ${PID[$s]} on 127.0.0.1:${PORT[$s]}" >&2
}

stop_server() {  # name
  local s=$1
  [[ -n ${PID[$s]:-} ]] || return 0
  case $s in
  zkfire) stop_pid "${PID[$s]}" ;;
  prosody) "$ROOT/benchmarks/peers/prosody.sh" stop "$WORK/prosody" || true ;;
  ejabberd) "$ROOT/benchmarks/peers/ejabberd.sh" stop "$WORK/ejabberd" || true ;;
  esac
  PID[$s]=""
}

cleanup() {
  for s in $SERVERS; do stop_server "$s"; done
  wait 2>/dev/null || true
  if [[ -n $OUT ]]; then mkdir -p "$OUT" && cp -r "$WORK"/. "$OUT"/; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "building (Release)..." >&2
for project in src/ZkFire.Host benchmarks/ZkFire.LoadTool; do
  dotnet build -c Release "$ROOT/$project" -nologo >"$WORK/build.log" 2>&1 \
    || { grep -E 'error' "$WORK/build.log" | sort -u | head -20 >&2; echo "building $project failed" >&2; exit 2; }
done

# One load-tool run; its JSON summary (last line) goes to $RESULTS with the server and workload added.
xmpp_run() {  # server workload load-tool-arguments...
  local s=$1 w=$2 line
  shift 2
  line=$(timeout 900 "${TOOL_PIN[@]}" dotnet "$LOAD_DLL" "$@" --label "$s" 2> >(grep -v '^ *[0-9]*s ' | sed "s/^/  [$s $w] /" >&2) \
    | tee >(grep -v '^{' | sed "s/^/  /" >&2) | grep '^{' | tail -n 1 || true)
  if [[ -z $line ]]; then
    echo "  [$s $w] run failed" >&2
    line='{"failed":true}'
  fi
  jq -c --arg s "$s" --arg w "$w" '. + {server: $s, workload: $w}' <<<"$line" >>"$RESULTS"
}

# Servers take turns in a different order each repetition, so no server always runs on a machine warmed by another.
rotation() {  # rep
  local -a all=($SERVERS)
  local n=${#all[@]} i
  for ((i = 0; i < n; i++)); do printf '%s ' "${all[$(((i + $1) % n))]}"; done
}

COMMON=(--domain localhost --tls "$TLS" --register --user-prefix cmp)

xmpp_workload() {  # workload server
  local w=$1 s=$2 ep="127.0.0.1:${PORT[$2]}"
  local -a common=("${COMMON[@]}" --server-pid "${PID[$s]}")
  case $w in
  messaging)
    xmpp_run "$s" "$w" xmpp-messaging --sender-endpoint "$ep" --receiver-endpoint "$ep" --pairs "$PAIRS" \
      --window "$WINDOW" --duration "$DURATION" --warmup "$WARMUP" --setup-timeout 600s "${common[@]}" ;;
  login)
    # Every client takes the best flow the server offers (SASL2 with Bind 2 where offered); ZkFire is also measured
    # with the RFC 6120 flow every peer here uses, so the table shows both.
    login_run "$s" "$w" "${common[@]}"
    if [[ $s == zkfire ]]; then
      login_run "$s" login-rfc6120 --sasl2 off "${common[@]}"
    fi ;;
  login-pinned)
    login_run "$s" "$w" "${common[@]}" ;;
  presence)
    xmpp_run "$s" "$w" xmpp-presence --endpoint "$ep" --users "$PRESENCE_USERS" --contacts "$PRESENCE_CONTACTS" \
      --duration "$DURATION" --warmup "$WARMUP" --setup-timeout 900s "${common[@]}" ;;
  esac
}

login_run() {  # server workload-name load-tool-arguments...
  local s=$1 w=$2
  shift 2
  xmpp_run "$s" "$w" xmpp-login --endpoint "127.0.0.1:${PORT[$s]}" --accounts "$LOGIN_ACCOUNTS" \
    --concurrency "$LOGIN_CONCURRENCY" --rounds 3 --setup-timeout 900s "$@"
}

# Memory per idle session: a fresh server process per run, so the baseline is not what earlier workloads left.
idle_run() {  # server sessions accounts workload-name
  local s=$1
  stop_server "$s"
  start_server "$s"
  sleep 2
  xmpp_run "$s" "$4" xmpp-idle --endpoint "127.0.0.1:${PORT[$s]}" --sessions "$2" --accounts "$3" --concurrency 200 \
    --source-count 4 --server-pid "${PID[$s]}" --hold 10s --setup-timeout 1800s --domain localhost --tls "$TLS" \
    --register --user-prefix idle
}

if [[ " $PARTS " == *" xmpp "* ]]; then
  echo "XMPP servers:" >&2
  for s in $SERVERS; do start_server "$s"; done
  # One unmeasured pass first: registrations, JIT compilation (.NET tiers, the BEAM's JIT), caches.
  for s in $SERVERS; do
    for w in $XMPP_WORKLOADS; do
      [[ $w == idle || $w == scale ]] && continue
      echo "warm-up: $w on $s" >&2
      xmpp_workload "$w" "$s"
    done
  done
  mv "$RESULTS" "$WORK/warmup.jsonl"
  : >"$RESULTS"
  for rep in $(seq "$REPS"); do
    for w in $XMPP_WORKLOADS; do
      [[ $w == idle || $w == scale ]] && continue
      for s in $(rotation "$rep"); do
        echo "rep $rep/$REPS: $w on $s" >&2
        xmpp_workload "$w" "$s"
      done
    done
  done
  if [[ " $XMPP_WORKLOADS " == *" login "* && -n $LOGIN_TOOL_CPUS ]]; then
    # Each server restarted on the other CPUs (so it sizes its schedulers and thread pool to them, as under
    # TOOL_CPUS), warmed by one unmeasured login run, then the login repetitions with the tool on its own CPUs.
    echo "login with the load tool on CPU $LOGIN_TOOL_CPUS, servers restarted on CPU $LOGIN_SERVER_CPUS:" >&2
    SERVER_PIN=(taskset -c "$LOGIN_SERVER_CPUS") TOOL_PIN=(taskset -c "$LOGIN_TOOL_CPUS")
    measured=$RESULTS RESULTS=$WORK/warmup-pinned.jsonl
    for s in $SERVERS; do
      stop_server "$s"
      start_server "$s"
      echo "warm-up: login-pinned on $s" >&2
      xmpp_workload login-pinned "$s"
    done
    RESULTS=$measured
    for rep in $(seq "$REPS"); do
      for s in $(rotation "$rep"); do
        echo "rep $rep/$REPS: login-pinned on $s" >&2
        xmpp_workload login-pinned "$s"
      done
    done
    SERVER_PIN=() TOOL_PIN=()
  fi
  if [[ " $XMPP_WORKLOADS " == *" idle "* ]]; then
    for rep in $(seq "$REPS"); do
      for s in $(rotation "$rep"); do
        echo "rep $rep/$REPS: idle on $s" >&2
        idle_run "$s" "$IDLE_SESSIONS" "$IDLE_ACCOUNTS" idle
      done
    done
  fi
  if [[ " $XMPP_WORKLOADS " == *" scale "* && " $SERVERS " == *" zkfire "* ]]; then
    # Both the tool and the server hold one descriptor per session; past the hard limit neither can.
    ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
    limit=$(ulimit -n)
    sessions=$SCALE_SESSIONS
    ((sessions <= limit - 2000)) || sessions=$((limit - 2000))
    echo "scale: $sessions sessions on zkfire (asked $SCALE_SESSIONS, fd limit $limit)" >&2
    echo "{\"server\":\"zkfire\",\"workload\":\"scale-limit\",\"asked\":$SCALE_SESSIONS,\"fdLimit\":$limit}" >>"$RESULTS"
    idle_run zkfire "$sessions" "$((sessions / 10))" scale
  fi
  for s in $SERVERS; do stop_server "$s"; done
fi

ZK_TABLE="" ZK_ENSEMBLE_TABLE=""
if [[ " $PARTS " == *" zk "* ]]; then
  echo "ZooKeeper standalone (benchmarks/zk-compare.sh)..." >&2
  ZK_TABLE=$(REPS=$REPS DURATION=${ZK_DURATION:-5s} OUT="$WORK/zk" "$ROOT/benchmarks/zk-compare.sh" | sed -n '/^| workload/,$p')
fi
if [[ " $PARTS " == *" zk-ensemble "* ]]; then
  echo "ZooKeeper ensembles (benchmarks/zk-ensemble-compare.sh)..." >&2
  ZK_ENSEMBLE_TABLE=$(REPS=$REPS DURATION=${ZK_DURATION:-5s} FAILOVERS=${FAILOVERS:-3} OUT="$WORK/zk-ensemble" \
    "$ROOT/benchmarks/zk-ensemble-compare.sh" | sed -n '/^| workload/,$p')
fi

SECTION=$(TOOL_CPUS=$TOOL_CPUS LOGIN_TOOL_CPUS=$LOGIN_TOOL_CPUS python3 "$ROOT/benchmarks/compare_report.py" "$RESULTS" "$SERVERS" "$COMMAND_LINE" \
  "$(nproc)" "$(awk '/MemTotal/ { printf "%.0f", $2 / 1048576 }' /proc/meminfo)" "$(uptime | sed 's/.*load average: //')" \
  "$(git -C "$ROOT" rev-parse --short HEAD)" "$ZK_TABLE" "$ZK_ENSEMBLE_TABLE")
echo
echo "$SECTION"
if [[ -n $RESULTS_MD ]]; then
  python3 - "$RESULTS_MD" "$SECTION" <<'PY'
import sys, re, os
path, section = sys.argv[1], sys.argv[2]
begin, end = "<!-- compare.sh: begin -->", "<!-- compare.sh: end -->"
text = open(path).read() if os.path.exists(path) else "# Benchmark results\n"
block = f"{begin}\n{section}\n{end}"
if begin in text:
    text = re.sub(re.escape(begin) + r".*?" + re.escape(end), lambda _: block, text, flags=re.S)
else:
    head, _, rest = text.partition("\n")
    text = f"{head}\n\n{block}\n{rest}"
open(path, "w").write(text)
PY
  echo "wrote $RESULTS_MD" >&2
fi
