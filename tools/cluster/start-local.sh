#!/usr/bin/env bash
# Starts a three-node ZkFire cluster on loopback, each node with its embedded ZooKeeper member (myid 1-3) forming one
# ensemble. Usage: tools/cluster/start-local.sh [DIR]   (DIR default ./cluster-local: configs, data, logs, pids)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

DIR=$(absolute_dir "${1:-cluster-local}")

servers=""
for n in "${NODES[@]}"; do
    servers+="    <server name=\"server.$n\">127.0.0.1:$((2887 + n)):$((3887 + n))</server>"$'\n'
done

ensure_built
for n in "${NODES[@]}"; do
    pid_alive "$DIR/node$n/pid" && die "node$n is already running (pid $(cat "$DIR/node$n/pid")); run tools/cluster/stop-local.sh $DIR first"
done
for n in "${NODES[@]}"; do
    require_free_ports "$(c2s_port "$n")" "$(direct_tls_port "$n")" "$(notice_port "$n")" "$(embedded_client_port "$n")" $((2887 + n)) $((3887 + n))
done

ensure_secret "$DIR/cluster.secret"
ensure_secret "$DIR/quorum.secret"
for n in "${NODES[@]}"; do
    write_node_config "$DIR" "$n" "  <zoo>
    <!-- One-second ticks: sessions may be as short as 2 s, a member without quorum stops serving within 5 s. -->
    <tickTime>1000</tickTime>
    <initLimit>10</initLimit>
    <syncLimit>5</syncLimit>
    <dataDir>$DIR/node$n/zk</dataDir>
    <clientPort>$(embedded_client_port "$n")</clientPort>
    <clientPortAddress>127.0.0.1</clientPortAddress>
    <myid>$n</myid>
${servers}    <property name=\"quorum.auth.secretFile\">$DIR/quorum.secret</property>
    <property name=\"4lw.commands.whitelist\">srvr,stat,ruok,mntr,conf</property>
  </zoo>"
done
log "configs written under $DIR (node1..node3/cluster.xml, shared store $DIR/shared/xmpp.db)"

start_nodes "$DIR"
wait_for_ensemble 90 $(for n in "${NODES[@]}"; do embedded_client_port "$n"; done)
wait_for_cluster "$DIR" 90

echo
printf 'Embedded ZooKeeper ensemble: '
for n in "${NODES[@]}"; do printf 'server.%s 127.0.0.1:%s (%s)  ' "$n" "$(embedded_client_port "$n")" "$(zk_mode "$(embedded_client_port "$n")")"; done
echo
print_connect_help "$DIR"
echo "Stop:   tools/cluster/stop-local.sh $DIR"
