#!/usr/bin/env bash
# Errors that retrying will not fix end a running replicate after a few tries instead of "reconnecting in 60 s"
# forever: the role loses LOGIN while replicate runs and its walsender is killed; replicate tries a few times, status
# shows it failing meanwhile, then it exits 1 naming the cause. LOGIN given back, the task resumes exactly.
source "$LOGTAP_SOURCE_DIR/tests/lib/itest.sh"
require_pg
dir=$(test_dir)
db=lt_persistent
fresh_db $db
psql -d postgres -qAt -c "DROP ROLE IF EXISTS lt_rot" -c "CREATE ROLE lt_rot LOGIN SUPERUSER REPLICATION" >/dev/null
sql $db "CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t SELECT g, g FROM generate_series(1, 100) g" >/dev/null
cd "$dir"
cat >task.json <<JSON
{"task": "persistent", "migration_type": "full-load-and-cdc",
 "source": {"engine": "postgres", "conninfo": "host=$PGHOST port=$PGPORT dbname=$db user=lt_rot"},
 "target": {"path": "lake", "CdcMaxBatchInterval": 1},
 "table_mappings": {"rules": [{"rule-type":"selection","rule-id":"1","rule-name":"1",
      "object-locator":{"schema-name":"public","table-name":"t"},"rule-action":"include"}]}}
JSON
"$LOGTAP_BIN" replicate --config task.json >replicate.log 2>&1 &
pid=$!
wait_cdc replicate.log
sql $db "UPDATE t SET v = v + 1 WHERE id <= 10" >/dev/null
sleep 2
psql -d postgres -qAt -c "ALTER ROLE lt_rot NOLOGIN" >/dev/null
psql -d postgres -qAt -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'lt_rot'" >/dev/null
sleep 2.5
run_logtap status --config task.json
echo "$out" | grep -q "FAILING: .*not permitted to log in" && ok "status shows the task failing and why" || fail "status: $out"
start=$(date +%s)
set +e; wait $pid; prc=$?; set -e
elapsed=$(($(date +%s) - start))
expect_eq "$prc" 1 "replicate ends with exit 1 instead of retrying forever"
[ "$elapsed" -lt 40 ] && ok "after a few tries (${elapsed} s more)" || fail "it took ${elapsed} s"
grep -q "giving up after [0-9]* tries" replicate.log && ok "the log says it gave up and why" || fail "log: $(tail -n 5 replicate.log)"
psql -d postgres -qAt -c "ALTER ROLE lt_rot LOGIN" >/dev/null
sql $db "UPDATE t SET v = v + 1 WHERE id > 90" >/dev/null
run_logtap replicate --config task.json --until now
expect_eq "$rc" 0 "LOGIN given back, replicate resumes"
run_logtap status --config task.json
echo "$out" | grep -q "FAILING" && fail "status still failing: $out" || ok "status no longer shows a failure"
expect_eq "$(cat $(find lake/public/t -name '2*.csv') | grep -c '^U,')" 20 "every update written once"
sql $db "SELECT pg_drop_replication_slot('logtap_persistent')" >/dev/null
psql -d postgres -qAt -c "DROP ROLE lt_rot" >/dev/null 2>&1 || true
finish
