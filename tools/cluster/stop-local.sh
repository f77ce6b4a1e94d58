#!/usr/bin/env bash
# Stops the nodes tools/cluster/start-local.sh started, by pid: SIGTERM, then SIGKILL after a grace period.
# Usage: tools/cluster/stop-local.sh [DIR]   (DIR default ./cluster-local; its data is kept)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

DIR=$(existing_cluster_dir "${1:-cluster-local}")
stop_group "$DIR" node
log "data and logs kept in $DIR (remove it to start afresh)"
