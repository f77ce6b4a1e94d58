#!/usr/bin/env bash
# Stops what tools/cluster/start-external.sh started, by pid: the nodes first, then the ZooKeeper servers (SIGTERM,
# then SIGKILL after a grace period). Usage: tools/cluster/stop-external.sh [DIR]   (DIR default ./cluster-external)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

DIR=$(existing_cluster_dir "${1:-cluster-external}")
# Nodes first: they close their sessions while ZooKeeper still serves, so their registrations go at once.
stop_group "$DIR" node
stop_group "$DIR" zk
log "data and logs kept in $DIR (remove it to start afresh)"
