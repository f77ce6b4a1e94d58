#!/usr/bin/env bash
# Stops the nodes tools/cluster/start-local.sh started, by pid: SIGTERM, then SIGKILL after a grace period.
# Usage: tools/cluster/stop-local.sh [DIR]   (DIR default ./cluster-local; its data is kept)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

DIR=${1:-cluster-local}
[[ -d "$DIR" ]] || die "no cluster directory $DIR"
DIR=$(absolute_dir "$DIR")
for n in "${NODES[@]}"; do
    stop_pid "node$n" "$DIR/node$n/pid" &
done
wait
log "data and logs kept in $DIR (remove it to start afresh)"
