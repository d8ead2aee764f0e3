#!/usr/bin/env bash
# The change stream survives what a long-running task meets: the replication connection killed server-side
# (reconnect with backoff, resume from the checkpoint, nothing lost or doubled); a busy database whose captured
# tables are idle (the slot's confirmed_flush_lsn still moves, so WAL is not pinned); a dropped slot (a clear error
# asking for a new full load, exit 1).
source "$LOGTAP_SOURCE_DIR/tests/lib/itest.sh"
require_pg
dir=$(test_dir)
db=lt_resilience
fresh_db $db
sql $db "CREATE TABLE captured (id int PRIMARY KEY, v int); CREATE TABLE busy (id serial PRIMARY KEY, pad text);" >/dev/null
cd "$dir"
cat >task.json <<JSON
{
  "task": "resilience", "migration_type": "cdc",
  "source": {"engine": "postgres", "conninfo": "host=$PGHOST port=$PGPORT dbname=$db user=logtap"},
  "target": {"path": "lake", "CdcMaxBatchInterval": 1},
  "table_mappings": {"rules": [{"rule-type":"selection","rule-id":"1","rule-name":"1",
      "object-locator":{"schema-name":"public","table-name":"captured"},"rule-action":"include"}]}
}
JSON
run_logtap replicate --config task.json --until now
expect_eq "$rc" 0 "cdc: slot created"

# 1. the walsender is terminated twice while rows are written: logtap reconnects and loses nothing
"$LOGTAP_BIN" replicate --config task.json >replicate.log 2>&1 &
pid=$!
for round in 1 2 3; do
  sql $db "INSERT INTO captured SELECT g, $round FROM generate_series(($round - 1) * 1000 + 1, $round * 1000) g" >/dev/null
  sleep 1.5
  [ $round -lt 3 ] && sql $db "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = 'logtap_resilience' AND active_pid IS NOT NULL" >/dev/null
  sleep 1.5
done
kill -0 $pid 2>/dev/null && ok "replicate is still running after its connection was killed twice" || fail "replicate died: $(cat replicate.log)"
expect_eq "$(grep -c 'reconnecting in' replicate.log)" 2 "two reconnects logged"
sql $db "UPDATE captured SET v = v + 10 WHERE id % 2 = 0" >/dev/null
sleep 3

# 2. idle captured table, busy other table: the slot does not pin WAL
before=$(sql $db "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = 'logtap_resilience'")
for i in $(seq 1 20); do sql $db "INSERT INTO busy (pad) SELECT repeat('x', 500) FROM generate_series(1, 200)" >/dev/null; done
after_busy=$(sql $db "SELECT pg_current_wal_insert_lsn()")
sleep 12
# (other tests write WAL on the same server: compare with the position after the busy writes, not with now)
moved=$(sql $db "SELECT confirmed_flush_lsn > '$before'::pg_lsn AND confirmed_flush_lsn >= '$after_busy'::pg_lsn FROM pg_replication_slots WHERE slot_name = 'logtap_resilience'")
expect_eq "$moved" t "confirmed_flush_lsn follows a busy database while the captured table is idle"
kill -TERM $pid
wait $pid
expect_eq "$?" 0 "SIGTERM: flush, checkpoint, exit 0"
run_logtap replicate --config task.json --until now
expect_eq "$rc" 0 "drain with --until now"
ins=$(cat $(find lake/public/captured -name '2*.csv') | grep -c '^I,')
upd=$(cat $(find lake/public/captured -name '2*.csv') | grep -c '^U,')
expect_eq "$ins" 3000 "every insert written exactly once across reconnects"
expect_eq "$upd" 1500 "every update written exactly once"
[ ! -e lake/public/busy ] && ok "the busy table is not captured" || fail "busy table captured"

# 3. a dropped slot is a clear error
sql $db "SELECT pg_drop_replication_slot('logtap_resilience')" >/dev/null
run_logtap replicate --config task.json --until now
expect_eq "$rc" 1 "dropped slot: exit 1"
echo "$out" | grep -q 'does not exist.*full load' && ok "dropped slot: the message asks for a new full load" || fail "message: $out"
expect_eq "$(echo "$out" | grep -c 'reconnecting')" 0 "dropped slot: no retry loop"

# 4. a configured slot that exists with another plugin is a clear config error
sql $db "SELECT pg_create_logical_replication_slot('lt_wrong_plugin', 'test_decoding')" >/dev/null
sed 's/"engine": "postgres",/"engine": "postgres", "slot": "lt_wrong_plugin",/; s/"task": "resilience"/"task": "wrongplugin"/' task.json > wrong.json
run_logtap replicate --config wrong.json --until now
expect_eq "$rc" 2 "slot with another plugin: exit 2"
echo "$out" | grep -q 'lt_wrong_plugin.*test_decoding.*pgoutput' && ok "the message names the slot, its plugin and pgoutput" || fail "message: $out"
sql $db "SELECT pg_drop_replication_slot('lt_wrong_plugin')" >/dev/null
finish
