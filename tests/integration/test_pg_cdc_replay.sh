#!/usr/bin/env bash
# full-load-and-cdc while a concurrent writer (pgbench, custom script) inserts, updates (also keys and leaving a
# TOASTed value unchanged) and deletes, with `kill -9` of logtap at random moments and restarts: the load files
# plus the CDC files, replayed in SQL in _logtap_pos order (independently of the merge), equal the source tables,
# and no change record appears twice on disk. The load reads acct in parts (full_load.part_min_mb 1), so the
# seam holds for a table read by several workers at once.
source "$LOGTAP_SOURCE_DIR/tests/lib/itest.sh"
source "$LOGTAP_SOURCE_DIR/tests/lib/pg_server.sh"
require_pg
dir=$(test_dir)
db=lt_cdc_replay
fresh_db $db
psql -d $db -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE TABLE acct (id int PRIMARY KEY, balance int NOT NULL, note text, big text);
INSERT INTO acct SELECT g, g, 'note ' || g || repeat('.', 120),
  CASE WHEN g % 10 = 0 THEN (SELECT string_agg(md5((g * 1000 + i)::text), '') FROM generate_series(1, 200) i) END
  FROM generate_series(1, 20000) g;
CREATE TABLE nokey (a int, b text);
ALTER TABLE nokey REPLICA IDENTITY FULL;
INSERT INTO nokey SELECT g % 500, 'b' || g FROM generate_series(1, 2000) g;
SQL
cat >"$dir/writer.sql" <<'SQL'
\set id random(1, 25000)
\set other random(1, 25000)
BEGIN;
INSERT INTO acct VALUES (:id, :id, 'ins', NULL) ON CONFLICT (id) DO UPDATE SET balance = acct.balance + 1, note = 'upsert';
UPDATE acct SET balance = balance - 1 WHERE id = :other;
UPDATE acct SET note = NULL WHERE id = :other + 10;
DELETE FROM acct WHERE id = :other + 1;
DELETE FROM acct WHERE id = -(:other + 2);
UPDATE acct SET id = -id WHERE id = :other + 2;
INSERT INTO nokey VALUES (:id % 500, 'w');
UPDATE nokey SET b = b || '+' WHERE a = :other % 500;
DELETE FROM nokey WHERE a = (:other + 7) % 500;
END;
SQL
cd "$dir"
cat >task.json <<JSON
{
  "task": "replay",
  "migration_type": "full-load-and-cdc",
  "source": {"engine": "postgres", "conninfo": "host=$PGHOST port=$PGPORT dbname=$db user=logtap"},
  "target": {"path": "lake", "IncludeOpForFullLoad": true, "CdcMaxBatchInterval": 1},
  "full_load": {"part_min_mb": 1},
  "table_mappings": {"rules": [{"rule-type":"selection","rule-id":"1","rule-name":"1",
      "object-locator":{"schema-name":"public","table-name":"%"},"rule-action":"include"}]}
}
JSON
pgbench=$(pg_bin_dir)/pgbench
"$pgbench" -n -f writer.sql -c 2 -j 2 -T 14 --max-tries=20 $db >writer.log 2>&1 &
writer=$!
sleep 0.3
kills=0
: >>replicate.log
for round in 1 2 3 4 5; do
  logged=$(wc -l <replicate.log)
  "$LOGTAP_BIN" replicate --config task.json >>replicate.log 2>&1 &
  pid=$!
  if [ $round -ge 3 ]; then
    # rounds 1 and 2 may kill it inside the full load; from round 3 on it is killed while streaming, so the
    # load is done and CDC runs while the writer does, however slow the machine (ASan, a loaded CI host)
    for _ in $(seq 1 600); do tail -n +$((logged + 1)) replicate.log | grep -q "change data capture starts\|resuming change data capture" && break; sleep 0.1; done
  fi
  sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 0.4 + (r % 200) / 100 }')"
  if kill -9 $pid 2>/dev/null; then kills=$((kills + 1)); fi
  wait $pid 2>/dev/null || true
done
wait $writer || { cat writer.log; fail "writer failed"; }
expect_eq "$kills" 5 "logtap killed with SIGKILL five times while writing"
grep -q "public.acct loaded: .* (read in parts)" replicate.log && ok "acct was loaded in parts" \
  || fail "acct was not loaded in parts"
before_until=$(sql $db "SELECT pg_current_wal_insert_lsn()")
run_logtap replicate --config task.json --until now
expect_eq "$rc" 0 "replicate --until now drains and exits 0"
[ "$rc" -eq 0 ] || echo "$out"
# other tests write WAL on the same server at the same time: compare with the position before --until, not now
past=$(sql $db "SELECT confirmed_flush_lsn >= '$before_until'::pg_lsn FROM pg_replication_slots WHERE slot_name = 'logtap_replay'")
expect_eq "$past" t "slot confirmed_flush_lsn is past every change made before --until now"
grep -q "transactions actually processed" writer.log && ok "writer ran ($(grep 'number of transactions actually processed' writer.log))" || fail "writer: $(cat writer.log)"

# Replay every file on disk in SQL, by position.
psql -d $db -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE TABLE ch_acct (op text, id int, balance int, note text, big text, pos text, unch text);
CREATE TABLE ch_nokey (op text, a int, b text, pos text, unch text);
CREATE TABLE r_acct (LIKE acct INCLUDING ALL);
CREATE TABLE r_nokey (LIKE nokey);
SQL
for f in lake/public/acct/LOAD*.csv; do
  psql -d $db -q -c "\\copy ch_acct (op, id, balance, note, big, pos) FROM '$f' WITH (FORMAT csv, NULL 'NULL')"
done
for f in lake/public/nokey/LOAD*.csv; do
  psql -d $db -q -c "\\copy ch_nokey (op, a, b, pos) FROM '$f' WITH (FORMAT csv, NULL 'NULL')"
done
for f in $(find lake/public/acct -name '2*.csv' | sort); do
  psql -d $db -q -c "\\copy ch_acct FROM '$f' WITH (FORMAT csv, NULL 'NULL')"
done
for f in $(find lake/public/nokey -name '2*.csv' | sort); do
  psql -d $db -q -c "\\copy ch_nokey FROM '$f' WITH (FORMAT csv, NULL 'NULL')"
done
expect_eq "$(sql $db "SELECT count(*) FROM (SELECT pos FROM ch_acct WHERE op <> 'I' OR pos > (SELECT min(pos) FROM ch_acct) GROUP BY pos HAVING count(*) > 1) d")" 0 "acct: no change appears twice on disk"
expect_eq "$(sql $db "SELECT count(*) FROM (SELECT pos FROM ch_nokey WHERE pos > (SELECT min(pos) FROM ch_nokey) GROUP BY pos HAVING count(*) > 1) d")" 0 "nokey: no change appears twice on disk"
[ "$(sql $db "SELECT count(*) FROM ch_acct WHERE op = 'U' AND unch = 'big'")" -gt 0 ] && ok "updates leaving a TOASTed value unchanged are marked in _logtap_unchanged" || fail "no unchanged-TOAST marks"
psql -d $db -q -v ON_ERROR_STOP=1 <<'SQL'
DO $$
DECLARE c record; deleted_big text;
BEGIN
  FOR c IN SELECT * FROM ch_acct ORDER BY pos LOOP
    IF c.op = 'I' THEN
      -- an I right after a D in the same transaction is a key change: unchanged columns come from the deleted row
      INSERT INTO r_acct VALUES (c.id, c.balance, c.note,
        CASE WHEN 'big' = ANY (string_to_array(c.unch, ',')) THEN deleted_big ELSE c.big END);
    ELSIF c.op = 'U' THEN
      UPDATE r_acct SET balance = c.balance, note = c.note,
        big = CASE WHEN 'big' = ANY (string_to_array(c.unch, ',')) THEN big ELSE c.big END WHERE id = c.id;
      IF NOT FOUND THEN RAISE EXCEPTION 'update of missing key % at %', c.id, c.pos; END IF;
    ELSE
      DELETE FROM r_acct WHERE id = c.id RETURNING big INTO deleted_big;
      IF NOT FOUND THEN RAISE EXCEPTION 'delete of missing key % at %', c.id, c.pos; END IF;
    END IF;
  END LOOP;
  FOR c IN SELECT * FROM ch_nokey ORDER BY pos LOOP
    IF c.op = 'I' THEN
      INSERT INTO r_nokey VALUES (c.a, c.b);
    ELSIF c.op = 'D' THEN
      DELETE FROM r_nokey WHERE ctid = (SELECT ctid FROM r_nokey WHERE a = c.a AND b = c.b LIMIT 1);
      IF NOT FOUND THEN RAISE EXCEPTION 'delete of missing row (%, %) at %', c.a, c.b, c.pos; END IF;
    ELSE
      RAISE EXCEPTION 'unexpected % on a table without key at %', c.op, c.pos;
    END IF;
  END LOOP;
END $$;
SQL
expect_eq "$?" 0 "replay applied every change"
diff=$(sql $db "SELECT count(*) FROM ((SELECT * FROM acct EXCEPT ALL SELECT * FROM r_acct) UNION ALL (SELECT * FROM r_acct EXCEPT ALL SELECT * FROM acct)) d")
expect_eq "$diff" 0 "acct: replay equals the source ($(sql $db 'SELECT count(*) FROM acct') rows, $(sql $db "SELECT count(*) FROM ch_acct WHERE pos > (SELECT min(pos) FROM ch_acct)") changes)"
diff=$(sql $db "SELECT count(*) FROM ((SELECT * FROM nokey EXCEPT ALL SELECT * FROM r_nokey) UNION ALL (SELECT * FROM r_nokey EXCEPT ALL SELECT * FROM nokey)) d")
expect_eq "$diff" 0 "nokey (REPLICA IDENTITY FULL, no key): replay equals the source"
run_logtap status --config task.json --json
echo "$out" | grep -q '"table":"acct","state":"loaded"' && ok "status after CDC" || fail "status: $out"
echo "$out" | grep -q '"cdc":{"checkpoint":"[0-9A-F]*/[0-9A-F]*".*"source_position":".*"lag_bytes":[0-9]*' \
  && ok "status shows the checkpoint, the server position and the lag" || fail "status cdc: $out"
echo "$out" | grep -q '"table":"acct".*"inserts":[1-9][0-9]*,"updates":[1-9][0-9]*,"deletes":[1-9]' \
  && ok "status counts inserts, updates and deletes" || fail "status counts: $out"
sql $db "SELECT pg_drop_replication_slot('logtap_replay')" >/dev/null
finish
