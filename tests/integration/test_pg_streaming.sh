#!/usr/bin/env bash
# Transactions streamed while they run (pgoutput protocol 2, streaming on; logical_decoding_work_mem at 64 kB so
# that modest transactions stream): two large transactions streamed in interleaved chunks, one rolled back (Stream
# Abort), one with a subtransaction rolled back (a Stream Abort of the subtransaction), and a kill -9 of replicate
# while one is being streamed. The server reports streamed transactions; the files replayed by _logtap_pos equal the
# source and no change is written twice; the rolled-back rows are in no file.
source "$LOGTAP_SOURCE_DIR/tests/lib/itest.sh"
require_own_pg   # its transactions stay open for seconds (pg_sleep): on the shared server they held back the other tests' slot creation
[ "$(sql postgres "SHOW server_version_num")" -ge 140000 ] || { echo "skip: streaming needs PostgreSQL 14"; exit 77; }
dir=$(test_dir)
db=lt_streaming
fresh_db $db
psql -d $db -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL, note text);
INSERT INTO t SELECT g, g, 'n' || g FROM generate_series(1, 20000) g;
SQL
cd "$dir"
cat >task.json <<JSON
{"task": "streaming", "migration_type": "full-load-and-cdc",
 "source": {"engine": "postgres",
            "conninfo": "host=$PGHOST port=$PGPORT dbname=$db user=logtap options='-c logical_decoding_work_mem=64kB'"},
 "target": {"path": "lake", "IncludeOpForFullLoad": true, "CdcMaxBatchInterval": 1},
 "table_mappings": {"rules": [{"rule-type":"selection","rule-id":"1","rule-name":"1",
      "object-locator":{"schema-name":"public","table-name":"t"},"rule-action":"include"}]}}
JSON
"$LOGTAP_BIN" replicate --config task.json >replicate.log 2>&1 &
pid=$!
wait_cdc replicate.log
# two big transactions whose chunks interleave (each sleeps half way), a rolled-back one, a subtransaction rolled back
psql -d $db -q -v ON_ERROR_STOP=1 -c "BEGIN; INSERT INTO t SELECT g, g, 'big1' FROM generate_series(100001, 140000) g;
  SELECT pg_sleep(1.5); UPDATE t SET v = v + 1 WHERE id <= 10000; COMMIT" >/dev/null &
a=$!
sleep 0.5
psql -d $db -q -v ON_ERROR_STOP=1 -c "BEGIN; UPDATE t SET note = 'big2' WHERE id BETWEEN 10001 AND 20000;
  SELECT pg_sleep(1); INSERT INTO t SELECT g, g, 'big2' FROM generate_series(200001, 230000) g; COMMIT" >/dev/null &
b=$!
psql -d $db -q -v ON_ERROR_STOP=1 -c "BEGIN; INSERT INTO t SELECT g, g, 'rolled back' FROM generate_series(300001, 330000) g;
  SELECT pg_sleep(0.5); ROLLBACK" >/dev/null
wait $a $b
sleep 0.3
kill -9 $pid 2>/dev/null && ok "replicate killed with SIGKILL after the streamed transactions" || fail "replicate ended early"
wait $pid 2>/dev/null || true
"$LOGTAP_BIN" replicate --config task.json >>replicate.log 2>&1 &
pid=$!
for _ in $(seq 1 600); do grep -q "resuming change data capture" replicate.log && break; sleep 0.1; done
# two streamed transactions committed while replicate is paused: their Stream Commits arrive back to back, and each
# is read back from its spool before the next message (the second used to replace the first, which was lost)
kill -STOP $pid
psql -d $db -q -v ON_ERROR_STOP=1 -c "BEGIN; INSERT INTO t SELECT g, g, 'pair 1' FROM generate_series(600001, 605000) g;
  SELECT pg_sleep(0.5); COMMIT" >/dev/null &
a=$!
psql -d $db -q -v ON_ERROR_STOP=1 -c "BEGIN; INSERT INTO t SELECT g, g, 'pair 2' FROM generate_series(610001, 615000) g;
  SELECT pg_sleep(0.5); COMMIT" >/dev/null
wait $a
sleep 0.5
kill -CONT $pid
psql -d $db -q -v ON_ERROR_STOP=1 -c "BEGIN; INSERT INTO t VALUES (400000, 0, 'kept before'); SAVEPOINT s1;
  INSERT INTO t SELECT g, g, 'sub rolled back' FROM generate_series(400001, 430000) g; ROLLBACK TO SAVEPOINT s1;
  INSERT INTO t SELECT g, g, 'kept after' FROM generate_series(430001, 430010) g; COMMIT" >/dev/null
# a streamed transaction in flight when replicate is killed: the server streams it again
psql -d $db -q -v ON_ERROR_STOP=1 -c "BEGIN; INSERT INTO t SELECT g, g, 'killed mid-stream' FROM generate_series(500001, 540000) g;
  SELECT pg_sleep(2); COMMIT" >/dev/null &
c=$!
sleep 1
kill -9 $pid 2>/dev/null && ok "replicate killed with SIGKILL while a transaction is streamed" || fail "replicate ended early (2)"
wait $pid 2>/dev/null || true
wait $c
run_logtap replicate --config task.json --until now
expect_eq "$rc" 0 "replicate --until now"
[ "$rc" -eq 0 ] || echo "$out"
streamed=$(sql postgres "SELECT stream_txns FROM pg_stat_replication_slots WHERE slot_name = 'logtap_streaming'")
[ "${streamed:-0}" -gt 0 ] && ok "the server streamed transactions in progress ($streamed)" || fail "nothing was streamed: [$streamed]"
grep -q "proto_version\|ERROR" replicate.log && fail "errors: $(grep ERROR replicate.log | head -3)" || true
psql -d $db -q -v ON_ERROR_STOP=1 -c "CREATE SCHEMA scratch;
  CREATE TABLE scratch.ld (op text, id int, v int, note text, pos text);
  CREATE TABLE scratch.ch (op text, id int, v int, note text, pos text, unch text);
  CREATE TABLE scratch.r (LIKE public.t INCLUDING INDEXES)"
for f in lake/public/t/LOAD*.csv; do psql -d $db -qc "\\copy scratch.ld FROM '$f' WITH (FORMAT csv, NULL 'NULL')"; done
for f in $(find lake/public/t -name '2*.csv' | sort); do psql -d $db -qc "\\copy scratch.ch FROM '$f' WITH (FORMAT csv, NULL 'NULL')"; done
expect_eq "$(sql $db "SELECT count(*) FROM scratch.ch WHERE note IN ('rolled back', 'sub rolled back')")" 0 "rolled-back rows are in no file"
expect_eq "$(sql $db "SELECT count(*) FROM (SELECT pos FROM scratch.ch GROUP BY pos HAVING count(*) > 1) x")" 0 "no change written twice"
psql -d $db -q -v ON_ERROR_STOP=1 <<'SQL'
INSERT INTO scratch.r SELECT id, v, note FROM scratch.ld;
DO $$
DECLARE c record;
BEGIN
  FOR c IN SELECT * FROM scratch.ch WHERE pos > (SELECT min(pos) FROM scratch.ld) ORDER BY pos LOOP
    IF c.op = 'I' THEN INSERT INTO scratch.r VALUES (c.id, c.v, c.note);
    ELSIF c.op = 'U' THEN UPDATE scratch.r SET v = c.v, note = c.note WHERE id = c.id;
      IF NOT FOUND THEN RAISE EXCEPTION 'update of missing key % at %', c.id, c.pos; END IF;
    ELSE DELETE FROM scratch.r WHERE id = c.id;
    END IF;
  END LOOP;
END $$;
SQL
expect_eq "$(sql $db "SELECT count(*) FROM ((SELECT * FROM t EXCEPT ALL SELECT * FROM scratch.r) UNION ALL (SELECT * FROM scratch.r EXCEPT ALL SELECT * FROM t)) x")" 0 \
  "replay equals the source ($(sql $db 'SELECT count(*) FROM t') rows, $(sql $db 'SELECT count(*) FROM scratch.ch') changes)"
sql $db "SELECT pg_drop_replication_slot('logtap_streaming')" >/dev/null
finish
