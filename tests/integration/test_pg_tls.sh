#!/usr/bin/env bash
# TLS to PostgreSQL with libpq's own settings in the conninfo: sslmode=verify-full against the test server's CA
# (tests/lib/pg_server.sh makes one and a certificate naming 127.0.0.1) replicates, the load and the replication
# connection both over TLS; another CA is refused with libpq's reason (exit 1).
source "$LOGTAP_SOURCE_DIR/tests/lib/itest.sh"
require_own_pg   # creating its slot waited for the other tests' long transactions on the shared server (3 s alone, 70-98 s in the suite)
[ -n "${LOGTAP_PG_SSL_CA:-}" ] && [ -r "$LOGTAP_PG_SSL_CA" ] || { echo "skip: the test server has no TLS (LOGTAP_PG_SSL_CA)"; exit 77; }
dir=$(test_dir)
db=lt_pg_tls
fresh_db $db
sql $db "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'a')" >/dev/null
cd "$dir"
openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other-ca.pem -days 2 -subj "/CN=another CA" 2>/dev/null
config() { # config FILE TASK CA
  cat >"$1" <<JSON
{"task": "$2", "migration_type": "full-load-and-cdc",
 "source": {"engine": "postgres",
            "conninfo": "host=127.0.0.1 port=$PGPORT dbname=$db user=logtap sslmode=verify-full sslrootcert=$3"},
 "target": {"path": "lake-$2"},
 "table_mappings": {"rules": [{"rule-type":"selection","rule-id":"1","rule-name":"1",
      "object-locator":{"schema-name":"public","table-name":"t"},"rule-action":"include"}]}}
JSON
}
config tls.json tls "$LOGTAP_PG_SSL_CA"
"$LOGTAP_BIN" replicate --config tls.json >replicate.log 2>&1 &
pid=$!
wait_cdc replicate.log
sql $db "INSERT INTO t VALUES (2, 'b')" >/dev/null
sleep 1
expect_eq "$(sql postgres "SELECT s.ssl FROM pg_stat_replication r JOIN pg_stat_ssl s ON s.pid = r.pid WHERE r.application_name = 'logtap/tls'")" t \
  "the replication connection is encrypted"
kill -TERM $pid
set +e; wait $pid; rc=$?; set -e
expect_eq "$rc" 0 "replicate over verify-full stops on SIGTERM with exit 0"
[ "$rc" -eq 0 ] || tail -20 replicate.log
run_logtap replicate --config tls.json --until now
expect_eq "$(cat $(find lake-tls -name '2*.csv') | grep -c '^I,2,b,')" 1 "the change arrived"
config other.json other "$dir/other-ca.pem"
run_logtap replicate --config other.json --until now
expect_eq "$rc" 1 "another CA is refused (exit 1)"
echo "$out" | grep -q "certificate verify failed" && ok "libpq's reason is kept" || fail "wrong CA: $out"
sql $db "SELECT pg_drop_replication_slot('logtap_tls')" >/dev/null
finish
