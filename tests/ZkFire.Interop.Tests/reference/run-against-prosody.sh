#!/usr/bin/env bash
# Proves the slixmpp scenario scripts against a reference server: runs each of them against a private
# Prosody 0.12 (Debian package `prosody`) on loopback ports, then stops it. Not part of the test run.
#
#   apt-get install -y prosody python3-slixmpp openssl && bash run-against-prosody.sh
#
# Prosody 0.12 stores only SCRAM-SHA-1 keys with internal_hashed, so the SCRAM-SHA-256 cases use a second
# virtual host with internal_plain. Scenarios that cannot pass on Prosody are listed in README.md next to this file.
set -euo pipefail

clients="$(cd "$(dirname "${BASH_SOURCE[0]}")/../clients" && pwd)"
work="$(mktemp -d /tmp/prosody-reference.XXXXXX)"
c2s=${PROSODY_C2S_PORT:-15322}
tls=${PROSODY_DIRECT_TLS_PORT:-15323}
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
  -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
mkdir -p "$work/data"
cat > "$work/prosody.cfg.lua" <<CFG
run_as_root = true
pidfile = "$work/prosody.pid"
data_path = "$work/data"
interfaces = { "127.0.0.1" }
c2s_ports = { $c2s }
c2s_direct_tls_ports = { $tls }
s2s_ports = { }
http_ports = { }
https_ports = { }
modules_enabled = { "roster"; "saslauth"; "tls"; "disco"; "ping"; "version"; "register"; "offline"; "posix" }
modules_disabled = { "s2s" }
allow_registration = true
c2s_require_encryption = true
c2s_stanza_size_limit = 65536
authentication = "internal_hashed"
storage = "internal"
log = { info = "$work/prosody.log" }
ssl = { certificate = "$work/cert.pem"; key = "$work/key.pem" }
c2s_direct_tls_ssl = { certificate = "$work/cert.pem"; key = "$work/key.pem" }
VirtualHost "localhost"
VirtualHost "sha256.localhost"
  authentication = "internal_plain"
CFG

prosody --config "$work/prosody.cfg.lua" -F > "$work/stdout.log" 2>&1 &
pid=$!
for _ in $(seq 50); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$c2s") 2>/dev/null; then break; fi
  sleep 0.2
done

failures=0
# scenario <script> <domain> <extra json>: two fresh accounts on <domain>, then the script.
scenario() {
  local script=$1 domain=$2 extra=$3 suffix=$RANDOM$RANDOM
  for user in "a$suffix" "b$suffix"; do
    prosodyctl --config "$work/prosody.cfg.lua" register "$user" "$domain" "pw-$user" >/dev/null
  done
  local args
  args=$(/usr/bin/python3 -c 'import json, sys; base = json.loads(sys.argv[1]); base.update(json.loads(sys.argv[2])); print(json.dumps(base))' \
    "{\"port\": $c2s, \"direct_tls_port\": $tls, \"domain\": \"$domain\", \"users\": [{\"username\": \"a$suffix\", \"password\": \"pw-a$suffix\"}, {\"username\": \"b$suffix\", \"password\": \"pw-b$suffix\"}]}" "$extra")
  if result=$(/usr/bin/python3 "$clients/$script" "$args" 2>"$work/stderr.log"); then
    echo "PASS $script $extra: $result"
  else
    echo "FAIL $script $extra: $result"; sed 's/^/    /' "$work/stderr.log"; failures=$((failures + 1))
  fi
}

scenario login.py localhost '{"mechanism": "SCRAM-SHA-1"}'
scenario login.py sha256.localhost '{"mechanism": "SCRAM-SHA-256"}'
scenario login.py localhost '{}'
scenario login.py localhost '{"direct_tls": true}'
scenario wrong_password.py localhost '{"mechanism": "SCRAM-SHA-1"}'
scenario wrong_password.py sha256.localhost '{}'
scenario message.py localhost '{}'
scenario roster_subscription.py localhost '{}'
scenario presence_abrupt_disconnect.py localhost '{}'
scenario offline_delivery.py localhost '{}'
scenario message_unknown_user.py localhost "{\"missing_user\": \"nobody$RANDOM\"}"
scenario register.py localhost "{\"new_user\": {\"username\": \"new$RANDOM$RANDOM\", \"password\": \"s3cret\"}}"
scenario server_info.py localhost '{"expected_features": ["http://jabber.org/protocol/disco#info", "http://jabber.org/protocol/disco#items", "jabber:iq:register", "jabber:iq:version", "urn:xmpp:ping", "msgoffline"]}'
scenario resource_conflict.py localhost '{}'

echo "$failures scenario(s) failed against Prosody"
[ "$failures" -eq 0 ]
