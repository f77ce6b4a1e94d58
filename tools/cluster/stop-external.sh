#!/usr/bin/env bash
# Stops what tools/cluster/start-external.sh started, by pid: the nodes first, then the ZooKeeper servers (SIGTERM,
# then SIGKILL after a grace period). Usage: tools/cluster/stop-external.sh [DIR]   (DIR default ./cluster-external)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

DIR=${1:-cluster-external}
[[ -d "$DIR" ]] || die "no cluster directory $DIR"
DIR=$(absolute_dir "$DIR")
# Nodes first: they close their sessions while ZooKeeper still serves, so their registrations go at once.
for n in "${NODES[@]}"; do
    stop_pid "node$n" "$DIR/node$n/pid" &
done
wait
for n in "${NODES[@]}"; do
    stop_pid "zk$n" "$DIR/zk$n/pid" &
done
wait
log "data and logs kept in $DIR (remove it to start afresh)"
