#!/usr/bin/env bash
# A runner killed while CREATE_REPLICATION_SLOT waits (a transaction was running elsewhere on the server) leaves a
# walsender that goes on creating the slot for a client that is gone. The next run of the task ends that leftover
# (it is a walsender of our own role, and the task lock says no other runner of this task is alive), creates the
# slot again and loads.
source "$LOGTAP_SOURCE_DIR/tests/lib/itest.sh"
require_pg
dir=$(test_dir)
db=lt_slot_leftover
fresh_db $db
sql $db "CREATE TABLE a (id int PRIMARY KEY, v int); INSERT INTO a SELECT g, g FROM generate_series(1, 1000) g" >/dev/null
cd "$dir"
cat >task.json <<JSON
{"task": "leftover", "migration_type": "full-load-and-cdc",
 "source": {"engine": "postgres", "conninfo": "host=$PGHOST port=$PGPORT dbname=$db user=logtap"},
 "target": {"path": "lake"},
 "table_mappings": {"rules": [{"rule-type":"selection","rule-id":"1","rule-name":"1",
      "object-locator":{"schema-name":"public","table-name":"a"},"rule-action":"include"}]}}
JSON
walsenders() { sql postgres "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'walsender' AND datname = '$db'"; }
# a transaction with an xid holds every slot creation on the server until it ends
psql -d $db -q -c "BEGIN; CREATE TABLE hold (x int); SELECT pg_sleep(8); ROLLBACK" >/dev/null &
holder=$!
sleep 0.5
"$LOGTAP_BIN" replicate --config task.json >first.log 2>&1 &
pid=$!
for _ in $(seq 1 50); do [ "$(walsenders)" -ge 1 ] && break; sleep 0.1; done
sleep 0.5
kill -9 $pid; wait $pid 2>/dev/null || true
left=$(walsenders)
[ "$left" -ge 1 ] && ok "the killed runner left a walsender creating the slot" || fail "no leftover walsender ($left)"
run_logtap replicate --config task.json --until now
expect_eq "$rc" 0 "the next run ends the leftover and completes"
[ "$rc" -eq 0 ] || echo "$out"
expect_eq "$(cat $(find lake -name 'LOAD*.csv') | wc -l)" 1000 "the table is loaded"
wait $holder
expect_eq "$(walsenders)" 0 "no walsender of the task is left"

finish
