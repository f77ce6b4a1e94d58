# Shared by the peer scripts (sourced, not run): wait for a started server's port, stop one by its pid file.

# wait_listening NAME PID PORT SECONDS LOGS: prints PID once 127.0.0.1:PORT accepts; fails if the process exits or
# the time runs out (then the process is killed).
wait_listening() {
  local name=$1 pid=$2 port=$3 seconds=$4 logs=$5
  for _ in $(seq 1 $((seconds * 10))); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$pid"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "$name exited at start; see $logs" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "$name did not open 127.0.0.1:$port in $seconds s" >&2
  kill "$pid" 2>/dev/null || true
  return 1
}

# stop_pidfile FILE SECONDS: TERM to the pid in FILE, then KILL if it is still there after SECONDS.
stop_pidfile() {
  local pid
  pid=$(cat "$1" 2>/dev/null || true)
  [[ -n "$pid" ]] || return 0
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 $(($2 * 10))); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
}
