#!/usr/bin/env bash
# Tables that join a running `replicate` (PostgreSQL): `b` is created while replicate runs and filled before and
# during its load under a concurrent writer; `c` is created and added to the publication by hand; `d` is dropped
# at the source. A kill -9 lands while the joining tables may still be loading. Afterwards each table's LOAD files
# plus its CDC files after the load's position, replayed in SQL by _logtap_pos, equal the source; the merge builds
# b and c (validate: equal to the source) and skips d, which stays with its files.
source "$LOGTAP_SOURCE_DIR/tests/lib/itest.sh"
source "$LOGTAP_SOURCE_DIR/tests/lib/pg_server.sh"
require_pg
dir=$(test_dir)
db=lt_table_join
fresh_db $db
psql -d $db -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE TABLE a (id int PRIMARY KEY, v int NOT NULL);
INSERT INTO a SELECT g, g FROM generate_series(1, 5000) g;
CREATE TABLE d (id int PRIMARY KEY, v text);
INSERT INTO d SELECT g, 'd' || g FROM generate_series(1, 100) g;
SQL
cd "$dir"
cat >task.json <<JSON
{
  "task": "join",
  "migration_type": "full-load-and-cdc",
  "source": {"engine": "postgres", "conninfo": "host=$PGHOST port=$PGPORT dbname=$db user=logtap",
             "catalog_poll_s": 1},
  "target": {"path": "lake", "IncludeOpForFullLoad": true, "CdcMaxBatchInterval": 1},
  "table_mappings": {"rules": [{"rule-type":"selection","rule-id":"1","rule-name":"1",
      "object-locator":{"schema-name":"public","table-name":"%"},"rule-action":"include"}]}
}
JSON
cat >writer.sql <<'SQL'
\set id random(1, 40000)
\set other random(1, 40000)
BEGIN;
UPDATE a SET v = v + 1 WHERE id = :id % 5000 + 1;
INSERT INTO b VALUES (:id, 'w' || :id, NULL) ON CONFLICT (id) DO UPDATE SET note = b.note || '+';
UPDATE b SET note = 'u' WHERE id = :other;
DELETE FROM b WHERE id = :other + 1;
UPDATE b SET id = -id WHERE id = :other + 2 AND NOT EXISTS (SELECT 1 FROM b WHERE id = -(:other + 2));
INSERT INTO c VALUES (:id, :other) ON CONFLICT (id) DO UPDATE SET v = EXCLUDED.v;
DELETE FROM c WHERE id = :other;
END;
SQL
"$LOGTAP_BIN" replicate --config task.json >replicate.log 2>&1 &
pid=$!
wait_cdc replicate.log
grep -q "change data capture starts" replicate.log && ok "replicate running" || { cat replicate.log; fail "replicate did not start"; }

# b appears with rows, c appears and is put into the publication by hand, both then written to concurrently
psql -d $db -q -v ON_ERROR_STOP=1 <<'SQL'
BEGIN;
CREATE TABLE b (id int PRIMARY KEY, note text, big text);
INSERT INTO b SELECT g, 'n' || g,
  CASE WHEN g % 50 = 0 THEN (SELECT string_agg(md5((g * 1000 + i)::text), '') FROM generate_series(1, 150) i) END
  FROM generate_series(1, 30000) g;
COMMIT;
CREATE TABLE c (id int PRIMARY KEY, v int);
INSERT INTO c SELECT g, g FROM generate_series(1, 3000) g;
ALTER PUBLICATION logtap_join ADD TABLE c;
SQL
pgbench=$(pg_bin_dir)/pgbench
# the writer runs in rounds of 3 s until b's load is logged, then one round more, so changes follow b's load
# however slow the machine is (under ASan on a loaded host b's load outlasted a fixed 9 s writer); at most 2 min
( for _ in $(seq 1 40); do
    "$pgbench" -n -f writer.sql -c 2 -j 2 -T 3 --max-tries=20 $db >>writer.log 2>&1 || exit 1
    grep -q "table public.b loaded" replicate.log && break
  done
  "$pgbench" -n -f writer.sql -c 2 -j 2 -T 3 --max-tries=20 $db >>writer.log 2>&1 ) &
writer=$!
sleep 1.5
kill -9 $pid 2>/dev/null && ok "replicate killed with SIGKILL while b and c join" || fail "replicate ended early: $(tail -5 replicate.log)"
wait $pid 2>/dev/null || true
"$LOGTAP_BIN" replicate --config task.json >>replicate.log 2>&1 &
pid=$!
sleep 2
sql $db "DROP TABLE d" >/dev/null
wait $writer || { cat writer.log; fail "writer failed"; }
grep -q "transactions actually processed" writer.log && ok "writer ran ($(grep 'number of transactions actually processed' writer.log | awk '{ n += $NF } END { print n }') transactions)" || fail "writer: $(cat writer.log)"
# until the running task has seen d go (at most 2 min), then stop it
for _ in $(seq 1 1200); do grep -q "public.d is no longer in the source's selected tables" replicate.log && break; sleep 0.1; done
kill -TERM $pid
wait $pid
expect_eq "$?" 0 "replicate stops on SIGTERM with exit 0"
run_logtap replicate --config task.json --until now
expect_eq "$rc" 0 "replicate --until now exits 0"
[ "$rc" -eq 0 ] || echo "$out"
grep -q "table public.b joined the selection" replicate.log && ok "b was noticed while replicate ran" \
  || fail "b not noticed: $(grep -i join replicate.log)"
grep -q "public.d is no longer in the source's selected tables" replicate.log && ok "d noticed as dropped" \
  || fail "d not noticed as dropped"

state() { sqlite3 lake/_state/join.db "SELECT $1 FROM tables WHERE schema_name = 'public' AND table_name = '$2'"; }
expect_eq "$(state state b)" loaded "b is loaded"
expect_eq "$(state state c)" loaded "c is loaded"
expect_eq "$(state state d)" dropped "d is marked dropped"
[ -n "$(ls lake/public/d/LOAD* 2>/dev/null)" ] && ok "d's files stay" || fail "d's files are gone"

# Replay each table: its LOAD files, then its CDC rows after the load's position, by _logtap_pos.
psql -d $db -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE TABLE ld_a (op text, id int, v int, pos text);
CREATE TABLE ch_a (op text, id int, v int, pos text, unch text);
CREATE TABLE ld_b (op text, id int, note text, big text, pos text);
CREATE TABLE ch_b (op text, id int, note text, big text, pos text, unch text);
CREATE TABLE ld_c (op text, id int, v int, pos text);
CREATE TABLE ch_c (op text, id int, v int, pos text, unch text);
SQL
for t in a b c; do
  for f in lake/public/$t/LOAD*.csv; do
    psql -d $db -q -c "\\copy ld_$t FROM '$f' WITH (FORMAT csv, NULL 'NULL')"
  done
  for f in $(find lake/public/$t -name '2*.csv' | sort); do
    psql -d $db -q -c "\\copy ch_$t FROM '$f' WITH (FORMAT csv, NULL 'NULL')"
  done
  expect_eq "$(sql $db "SELECT count(DISTINCT pos) FROM ld_$t")" 1 "$t: every LOAD row carries the load's position"
  expect_eq "$(sql $db "SELECT min(pos) FROM ld_$t")" "$(state load_pos $t)" "$t: the state store records that position"
  expect_eq "$(sql $db "SELECT count(*) FROM (SELECT pos FROM ch_$t WHERE pos > (SELECT min(pos) FROM ld_$t) GROUP BY pos HAVING count(*) > 1) x")" 0 "$t: no change after the load appears twice"
done
[ "$(sql $db "SELECT count(*) FROM ch_b WHERE pos > (SELECT min(pos) FROM ld_b)")" -gt 100 ] \
  && ok "b has changes after its load ($(sql $db "SELECT count(*) FROM ch_b WHERE pos > (SELECT min(pos) FROM ld_b)"))" \
  || fail "b has no changes after its load"
psql -d $db -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE TABLE r_a (LIKE a INCLUDING ALL);
CREATE TABLE r_b (LIKE b INCLUDING ALL);
CREATE TABLE r_c (LIKE c INCLUDING ALL);
INSERT INTO r_a SELECT id, v FROM ld_a;
INSERT INTO r_b SELECT id, note, big FROM ld_b;
INSERT INTO r_c SELECT id, v FROM ld_c;
DO $$
DECLARE c record; deleted_big text;
BEGIN
  FOR c IN SELECT * FROM ch_a WHERE pos > (SELECT min(pos) FROM ld_a) ORDER BY pos LOOP
    IF c.op = 'U' THEN UPDATE r_a SET v = c.v WHERE id = c.id;
      IF NOT FOUND THEN RAISE EXCEPTION 'a: update of missing key % at %', c.id, c.pos; END IF;
    ELSE RAISE EXCEPTION 'a: unexpected % at %', c.op, c.pos; END IF;
  END LOOP;
  FOR c IN SELECT * FROM ch_b WHERE pos > (SELECT min(pos) FROM ld_b) ORDER BY pos LOOP
    IF c.op = 'I' THEN
      INSERT INTO r_b VALUES (c.id, c.note,
        CASE WHEN 'big' = ANY (string_to_array(c.unch, ',')) THEN deleted_big ELSE c.big END);
    ELSIF c.op = 'U' THEN
      UPDATE r_b SET note = c.note,
        big = CASE WHEN 'big' = ANY (string_to_array(c.unch, ',')) THEN big ELSE c.big END WHERE id = c.id;
      IF NOT FOUND THEN RAISE EXCEPTION 'b: update of missing key % at %', c.id, c.pos; END IF;
    ELSE
      DELETE FROM r_b WHERE id = c.id RETURNING big INTO deleted_big;
      IF NOT FOUND THEN RAISE EXCEPTION 'b: delete of missing key % at %', c.id, c.pos; END IF;
    END IF;
  END LOOP;
  FOR c IN SELECT * FROM ch_c WHERE pos > (SELECT min(pos) FROM ld_c) ORDER BY pos LOOP
    IF c.op = 'I' THEN INSERT INTO r_c VALUES (c.id, c.v);
    ELSIF c.op = 'U' THEN UPDATE r_c SET v = c.v WHERE id = c.id;
      IF NOT FOUND THEN RAISE EXCEPTION 'c: update of missing key % at %', c.id, c.pos; END IF;
    ELSE DELETE FROM r_c WHERE id = c.id;
      IF NOT FOUND THEN RAISE EXCEPTION 'c: delete of missing key % at %', c.id, c.pos; END IF;
    END IF;
  END LOOP;
END $$;
SQL
expect_eq "$?" 0 "replay applied every change"
for t in a b c; do
  diff=$(sql $db "SELECT count(*) FROM ((SELECT * FROM $t EXCEPT ALL SELECT * FROM r_$t) UNION ALL (SELECT * FROM r_$t EXCEPT ALL SELECT * FROM $t)) x")
  expect_eq "$diff" 0 "$t: load + changes after it replay to the source ($(sql $db "SELECT count(*) FROM $t") rows)"
done

run_logtap merge --config task.json
expect_eq "$rc" 0 "merge exits 0"
echo "$out" | grep -q "public.d: skipped, dropped at the source" && ok "merge skips the dropped table, saying so" \
  || fail "merge output: $out"
run_logtap validate --config task.json
expect_eq "$rc" 0 "validate exits 0"
[ "$(echo "$out" | grep -cE "^public\.(a|b|c) .* OK$")" -eq 3 ] && ok "validate: a, b and c snapshots equal the source" \
  || fail "validate: $out"
echo "$out" | grep -q "^public.d .*skipped: dropped at the source" && ok "validate skips the dropped table, saying so" \
  || fail "validate: $out"
run_logtap status --config task.json --json
echo "$out" | grep -q '"table":"d","state":"dropped"' && ok "status shows d dropped" || fail "status: $out"
echo "$out" | grep -q '"table":"d","state":"dropped"[^}]*"merge_skipped":"dropped at the source' \
  && ok "status says the merge skips d and why" || fail "status merge_skipped: $out"
sql $db "SELECT pg_drop_replication_slot('logtap_join')" >/dev/null
finish
