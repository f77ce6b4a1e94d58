#!/usr/bin/env bash
# Starts a three-server Apache ZooKeeper 3.8 ensemble (Debian's zookeeper package) and three ZkFire nodes that use it
# through <zClient> only (no embedded member), all on loopback.
# Usage: tools/cluster/start-external.sh [DIR]   (DIR default ./cluster-external: configs, data, logs, pids)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

DIR=$(absolute_dir "${1:-cluster-external}")
ZOOKEEPER_JAR=/usr/share/java/zookeeper.jar
# Without an SLF4J binding ZooKeeper logs nothing; this one (a dependency of the package) logs to stderr.
LOGGING_JAR=/usr/share/java/slf4j-simple.jar

# Per server N: client port 2280+N, quorum port 2987+N, election port 3987+N.
client_port() { echo $((2280 + $1)); }
connect_string=$(for n in "${NODES[@]}"; do printf '127.0.0.1:%s,' "$(client_port "$n")"; done)
connect_string=${connect_string%,}

command -v java >/dev/null || die "java is not installed (apt-get install zookeeper pulls it in)"
[[ -f $ZOOKEEPER_JAR ]] || die "Apache ZooKeeper is not installed ($ZOOKEEPER_JAR missing): apt-get install zookeeper"
ensure_built
for n in "${NODES[@]}"; do
    pid_alive "$DIR/zk$n/pid" && die "zk$n is already running (pid $(cat "$DIR/zk$n/pid")); run tools/cluster/stop-external.sh $DIR first"
    pid_alive "$DIR/node$n/pid" && die "node$n is already running (pid $(cat "$DIR/node$n/pid")); run tools/cluster/stop-external.sh $DIR first"
done
for n in "${NODES[@]}"; do
    require_free_ports "$(c2s_port "$n")" "$(direct_tls_port "$n")" "$(notice_port "$n")" "$(client_port "$n")" $((2987 + n)) $((3987 + n))
done

class_path=$ZOOKEEPER_JAR
[[ -f $LOGGING_JAR ]] && class_path+=":$LOGGING_JAR"
for n in "${NODES[@]}"; do
    mkdir -p "$DIR/zk$n/data"
    echo "$n" >"$DIR/zk$n/data/myid"
    {
        echo "tickTime=1000"
        echo "initLimit=10"
        echo "syncLimit=5"
        echo "dataDir=$DIR/zk$n/data"
        echo "clientPort=$(client_port "$n")"
        echo "clientPortAddress=127.0.0.1"
        echo "admin.enableServer=false"
        echo "4lw.commands.whitelist=srvr,stat,ruok,mntr,conf"
        for m in "${NODES[@]}"; do
            echo "server.$m=127.0.0.1:$((2987 + m)):$((3987 + m))"
        done
    } >"$DIR/zk$n/zoo.cfg"
done
ensure_secret "$DIR/cluster.secret"
for n in "${NODES[@]}"; do
    write_node_config "$DIR" "$n" "  <!-- An external ensemble: no <zoo> block, so no embedded member starts. -->
  <zClient>$connect_string</zClient>"
done
log "configs written under $DIR (zk1..zk3/zoo.cfg, node1..node3/cluster.xml, shared store $DIR/shared/xmpp.db)"

for n in "${NODES[@]}"; do
    # A small JVM with the serial collector: three of them share the machine with the nodes.
    start_process "zk$n" "$DIR/zk$n/pid" "$DIR/zk$n/zk.log" java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
        -Dorg.slf4j.simpleLogger.defaultLogLevel=info -cp "$class_path" \
        org.apache.zookeeper.server.quorum.QuorumPeerMain "$DIR/zk$n/zoo.cfg"
done
for n in "${NODES[@]}"; do
    pid_alive "$DIR/zk$n/pid" || die "zk$n exited at once; see $DIR/zk$n/zk.log"
done
wait_for_ensemble 90 $(for n in "${NODES[@]}"; do client_port "$n"; done) || die "see $DIR/zk*/zk.log"
log "Apache ZooKeeper ensemble serving: $connect_string"

start_nodes "$DIR"
wait_for_cluster "$DIR" 90

echo
printf 'Apache ZooKeeper ensemble: '
for n in "${NODES[@]}"; do printf 'server.%s 127.0.0.1:%s (%s)  ' "$n" "$(client_port "$n")" "$(zk_mode "$(client_port "$n")")"; done
echo
print_connect_help "$DIR"
echo "Stop:   tools/cluster/stop-external.sh $DIR"
