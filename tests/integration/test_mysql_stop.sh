#!/usr/bin/env bash
# Stopping a MariaDB `replicate` (SIGTERM) while its binlog stream is idle: it exits 0 within 2 s, also when the
# server's heartbeats stop coming (a network that went silent). The stream's wait is bounded by the timeout the agent
# gives stream_next, not by the next event from the server nor by the 20 s read timeout. The connections go through a
# small TCP proxy (node) that, on SIGUSR1, stops passing the server's bytes of the binlog dump connection only.
source "$LOGTAP_SOURCE_DIR/tests/lib/itest.sh"
source "$LOGTAP_SOURCE_DIR/tests/lib/mariadb_server.sh"
require_mysql
command -v node >/dev/null 2>&1 || { echo "skip: no node"; exit 77; }
dir=$(test_dir)
db=lt_my_stop
my_sql mysql "DROP DATABASE IF EXISTS $db; CREATE DATABASE $db"
my_sql $db "CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t VALUES (1, 1), (2, 2)"
cd "$dir"

# The proxy: prints its port; SIGUSR1 freezes the server-to-client direction of connections that sent
# COM_BINLOG_DUMP (0x12), so the other connections (catalog queries) go on.
cat >proxy.js <<'JS'
const net = require("net");
const target = Number(process.argv[2]);
const dumps = [];
let frozen = false;
const srv = net.createServer((c) => {
  const u = net.connect(target, "127.0.0.1");
  const pair = { c, u, dump: false };
  c.on("data", (d) => {
    if (d.length > 4 && d[4] === 0x12 && !pair.dump) { pair.dump = true; dumps.push(pair); }
    u.write(d);
  });
  u.on("data", (d) => { if (!(frozen && pair.dump)) c.write(d); });
  const end = () => { c.destroy(); u.destroy(); };
  c.on("error", end); u.on("error", end); c.on("close", end); u.on("close", end);
});
srv.listen(0, "127.0.0.1", () => console.log(srv.address().port));
process.on("SIGUSR1", () => { frozen = true; for (const p of dumps) p.u.pause(); });
JS
node proxy.js "$LOGTAP_MYSQL_PORT" >proxy.port 2>proxy.log &
proxy=$!
trap 'kill $proxy 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do [ -s proxy.port ] && break; sleep 0.05; done
port=$(cat proxy.port)
[ -n "$port" ] && ok "proxy listening on $port" || { fail "the proxy did not start: $(cat proxy.log)"; finish; exit 1; }

write_mysql_config task.json $db '"CdcMaxBatchInterval": 1' full-load-and-cdc
sed -i "s|\"socket\": \"$LOGTAP_MYSQL_SOCKET\"|\"host\": \"127.0.0.1\", \"port\": $port|" task.json

# start_replicate: starts it in the background ($pid) and waits for its change stream
start_replicate() {
  "$LOGTAP_BIN" replicate --config task.json >>replicate.log 2>&1 &
  pid=$!
  for _ in $(seq 1 300); do [ "$(grep -c 'change data capture starts\|resuming change data capture' replicate.log)" -ge "$1" ] && break; sleep 0.1; done
  [ "$(grep -c 'change data capture starts\|resuming change data capture' replicate.log)" -ge "$1" ] \
    && ok "replicate streams ($1)" || { fail "replicate did not start: $(tail -5 replicate.log)"; finish; exit 1; }
}
# stop_within DESCRIPTION: SIGTERM, then exit code 0 within 2 s (killed after 30 s)
stop_within() {
  local t0 ms code
  t0=$(date +%s%N)
  kill -TERM $pid
  for _ in $(seq 1 300); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
  kill -KILL $pid 2>/dev/null || true
  code=0
  wait $pid || code=$?
  ms=$((($(date +%s%N) - t0) / 1000000))
  if [ "$code" -eq 0 ] && [ "$ms" -lt 2000 ]; then ok "$1: exit 0 in $ms ms"; else fail "$1: exit $code in $ms ms"; fi
}

start_replicate 1
my_sql $db "INSERT INTO t VALUES (3, 3)"
sleep 2
stop_within "SIGTERM to an idle stream"

start_replicate 2
sleep 1
kill -USR1 $proxy # the server's bytes (events, heartbeats) no longer arrive
sleep 1.5
stop_within "SIGTERM to a stream whose server went silent"
grep -q "stopped at checkpoint" replicate.log && ok "it stops at its checkpoint" || fail "$(tail -5 replicate.log)"
finish
