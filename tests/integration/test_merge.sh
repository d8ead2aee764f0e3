#!/usr/bin/env bash
# The merge job against PostgreSQL: randomized workloads replicated and merged give snapshots equal to the source
# (EXCEPT ALL both ways); a point captured mid-run is reproduced by `merge --as-of` exactly; unchanged TOAST
# values, keys deleted and re-inserted, key changes, TRUNCATE and an added column; idempotent and incremental
# runs; merge.keep; a merge killed with SIGKILL leaves the previous snapshots intact.
source "$LOGTAP_SOURCE_DIR/tests/lib/itest.sh"
source "$LOGTAP_SOURCE_DIR/tests/lib/pg_server.sh"
require_pg
dir=$(test_dir)
db=lt_merge
fresh_db $db
psql -d $db -q -v ON_ERROR_STOP=1 <<'SQL'
-- the test's own work tables live in schema scratch, outside the task's selection (public.%)
CREATE SCHEMA scratch;
CREATE TABLE acct (id int PRIMARY KEY, balance int NOT NULL, note text, big text);
INSERT INTO acct SELECT g, g, 'note ' || g,
  CASE WHEN g % 10 = 0 THEN (SELECT string_agg(md5((g * 1000 + i)::text), '') FROM generate_series(1, 200) i) END
  FROM generate_series(1, 5000) g;
CREATE TABLE nokey (a int, b text);
ALTER TABLE nokey REPLICA IDENTITY FULL;
INSERT INTO nokey SELECT g % 100, 'b' || g FROM generate_series(1, 500) g;
CREATE TABLE wiped (id int PRIMARY KEY, v text);
INSERT INTO wiped SELECT g, 'w' || g FROM generate_series(1, 100) g;
SQL
cat >"$dir/writer.sql" <<'SQL'
\set id random(1, 6000)
\set other random(1, 6000)
BEGIN;
INSERT INTO acct VALUES (:id, :id, 'ins', NULL) ON CONFLICT (id) DO UPDATE SET balance = acct.balance + 1, note = 'upsert';
UPDATE acct SET balance = balance - 1 WHERE id = :other;
DELETE FROM acct WHERE id = :other + 1;
INSERT INTO acct VALUES (:other + 1, 0, 'reinserted', NULL) ON CONFLICT (id) DO NOTHING;
DELETE FROM acct WHERE id = -(:other + 2);
UPDATE acct SET id = -id WHERE id = :other + 2;
INSERT INTO nokey VALUES (:id % 100, 'w');
UPDATE nokey SET b = b || '+' WHERE a = :other % 100;
DELETE FROM nokey WHERE a = (:other + 7) % 100;
END;
SQL
cd "$dir"
cat >task.json <<JSON
{
  "task": "merge", "migration_type": "full-load-and-cdc",
  "source": {"engine": "postgres", "conninfo": "host=$PGHOST port=$PGPORT dbname=$db user=logtap"},
  "target": {"path": "lake", "CdcMaxBatchInterval": 1, "TimestampColumnName": "commit_ts"},
  "table_mappings": {"rules": [{"rule-type":"selection","rule-id":"1","rule-name":"1",
      "object-locator":{"schema-name":"public","table-name":"%"},"rule-action":"include"}]},
  "merge": {"keep": 2, "memory_limit_mb": 64}
}
JSON
pgbench=$(pg_bin_dir)/pgbench

# compare_snapshot TABLE SOURCE_RELATION: the newest snapshot of TABLE equals SOURCE_RELATION
compare_snapshot() {
  local t=$1 src=$2 f
  f=$(ls -d lake/_snapshots/public/$t/snapshot=* | sort | tail -1)/part-00000.csv
  local cols
  cols=$(sql $db "SELECT string_agg(quote_ident(attname), ',' ORDER BY attnum) FROM pg_attribute
                  WHERE attrelid = '$src'::regclass AND attnum > 0 AND NOT attisdropped")
  sql $db "DROP TABLE IF EXISTS scratch.snap; CREATE TABLE scratch.snap (LIKE $src, _logtap_pos text)" >/dev/null
  psql -d $db -q -v ON_ERROR_STOP=1 -c "\\copy scratch.snap FROM '$dir/$f' WITH (FORMAT csv, NULL 'NULL')"
  sql $db "SELECT count(*) FROM ((SELECT $cols FROM $src EXCEPT ALL SELECT $cols FROM scratch.snap)
           UNION ALL (SELECT $cols FROM scratch.snap EXCEPT ALL SELECT $cols FROM $src)) d"
}

for seed in 11 22; do
  "$LOGTAP_BIN" replicate --config task.json >>replicate.log 2>&1 &
  rpid=$!
  "$pgbench" -n -f writer.sql -c 2 -j 2 -t 1500 --max-tries=20 --random-seed=$seed $db >>writer.log 2>&1 || fail "writer seed $seed"
  kill -TERM $rpid; wait $rpid || fail "replicate exit code after SIGTERM"
  run_logtap replicate --config task.json --until now
  expect_eq "$rc" 0 "seed $seed: replicate --until now"
  run_logtap merge --config task.json
  expect_eq "$rc" 0 "seed $seed: merge exits 0"
  [ "$rc" -eq 0 ] || echo "$out"
  expect_eq "$(compare_snapshot acct acct)" 0 "seed $seed: acct snapshot equals the source"
  expect_eq "$(compare_snapshot nokey nokey)" 0 "seed $seed: nokey (no key) snapshot equals the source"
done

# idempotent: nothing new, nothing written
before=$(find lake/_snapshots -name 'part-*' | sort)
run_logtap merge --config task.json
expect_eq "$rc" 0 "merge with nothing new exits 0"
expect_eq "$(find lake/_snapshots -name 'part-*' | sort)" "$before" "merge with nothing new writes nothing"
expect_eq "$(ls -d lake/_snapshots/public/acct/snapshot=* | wc -l)" 2 "merge.keep = 2 snapshots kept"

# a point captured mid-run: writer paused, time recorded, table copied
sleep 1.1
sql $db "UPDATE acct SET big = 'x' || big WHERE id % 10 = 0 AND id < 1000; UPDATE acct SET balance = balance + 5 WHERE id < 2000" >/dev/null
sleep 1.1
point=$(date -u +%Y-%m-%dT%H:%M:%S.%6NZ)
sql $db "DROP TABLE IF EXISTS scratch.acct_at_point; CREATE TABLE scratch.acct_at_point AS SELECT * FROM acct" >/dev/null
sleep 1.1
sql $db "UPDATE acct SET balance = balance + 1000 WHERE id < 3000; DELETE FROM acct WHERE id BETWEEN 3000 AND 3100;
         TRUNCATE wiped; INSERT INTO wiped VALUES (1, 'after truncate');
         ALTER TABLE acct ADD COLUMN added text; UPDATE acct SET added = 'new' WHERE id < 50;" >/dev/null
run_logtap replicate --config task.json --until now
expect_eq "$rc" 0 "replicate after DDL and TRUNCATE"
run_logtap merge --config task.json --as-of "$point"
expect_eq "$rc" 0 "merge --as-of a mid-run time"
[ "$rc" -eq 0 ] || echo "$out"
expect_eq "$(compare_snapshot acct scratch.acct_at_point | tail -1)" 0 "merge --as-of reproduces the table as of that time"
run_logtap merge --config task.json
expect_eq "$rc" 0 "merge to the last checkpoint (incremental)"
expect_eq "$(compare_snapshot acct acct)" 0 "acct with an added column equals the source"
expect_eq "$(compare_snapshot wiped wiped)" 0 "TRUNCATE then insert: snapshot equals the source"

# SIGKILL in the middle of a merge leaves the previous snapshots intact, and the next merge succeeds
sql $db "UPDATE acct SET note = 'kill test' WHERE id < 4000" >/dev/null
run_logtap replicate --config task.json --until now
# every snapshot the state store records must be whole, whenever the merge died (one that finished may have
# pruned older snapshots: merge.keep)
for delay in 0.005 0.02 0.05; do
  "$LOGTAP_BIN" merge --config task.json >/dev/null 2>&1 &
  mpid=$!
  sleep $delay
  kill -9 $mpid 2>/dev/null || true
  wait $mpid 2>/dev/null || true
  run_logtap status --config task.json --json
  for p in $(echo "$out" | grep -o '"path":"[^"]*"' | cut -d'"' -f4); do
    [ -s "lake/_snapshots/$p" ] || fail "snapshot $p recorded but damaged by a merge killed after ${delay}s"
  done
done
ok "recorded snapshots intact after merges killed with SIGKILL at several moments"
run_logtap merge --config task.json
expect_eq "$rc" 0 "merge after a killed merge"
expect_eq "$(compare_snapshot acct acct)" 0 "snapshot after a killed merge equals the source"
expect_eq "$(find lake/_snapshots -name '.snapshot-*' | wc -l)" 0 "no temp folders left"

run_logtap status --config task.json --json
echo "$out" | grep -q '"table":"acct".*"snapshots":\[{"name":"[0-9]*T[0-9]*Z","path":"public/acct/snapshot=' \
  && ok "status lists each table's snapshots" || fail "status snapshots: $out"

# validate: the newest snapshots equal the live source; a change made since is reported
run_logtap validate --config task.json
expect_eq "$rc" 0 "validate: snapshots equal the source"
echo "$out" | grep -q "public.acct .* OK" && ok "validate reports acct OK" || fail "validate: $out"
sql $db "UPDATE acct SET note = 'drift' WHERE id = 1" >/dev/null
run_logtap validate --config task.json
expect_eq "$rc" 1 "validate exits 1 when the source differs"
echo "$out" | grep -q "public.acct .*MISMATCH (checksum)" && ok "validate names the table and the checksum" || fail "validate: $out"

# a second merge while one holds the lock
exec 9>lake/_snapshots/.merge.lock
flock 9
run_logtap merge --config task.json
expect_eq "$rc" 1 "a concurrent merge exits 1"
echo "$out" | grep -q "another merge" && ok "and says another merge is running" || fail "lock message: $out"
exec 9>&-
sql $db "SELECT pg_drop_replication_slot('logtap_merge')" >/dev/null
finish
