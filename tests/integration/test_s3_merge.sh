#!/usr/bin/env bash
# The merge with an object store: full-load-and-cdc into s3://, then `merge` reads the load and CDC objects and
# writes its snapshots to s3:// too (part object, then a _SUCCESS object); DuckDB reads the snapshot (downloaded
# with the AWS SDK) and it equals the source; `validate` reads it back from the store. More changes and a second
# merge with merge.keep 1: the new snapshot is complete and the old one gone, its _SUCCESS first. A local merge.path
# beside an s3:// target works too.
source "$LOGTAP_SOURCE_DIR/tests/lib/itest.sh"
source "$LOGTAP_SOURCE_DIR/tests/lib/pg_server.sh"
source "$LOGTAP_SOURCE_DIR/tests/lib/s3_server.sh"
require_pg
bucket=lt-merge
require_s3 $bucket
have_duckdb || { echo "skip: DuckDB (tests/tools/node_modules) is not installed"; exit 77; }
dir=$(test_dir)
prefix=run$$
db=lt_s3_merge
fresh_db $db
psql -d $db -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE SCHEMA scratch; -- the test's own tables, outside the task's selection (public.%)
CREATE TABLE acct (id int PRIMARY KEY, balance numeric(12,2) NOT NULL, note text, seen timestamptz);
INSERT INTO acct SELECT g, g / 4.0, 'note ' || g, timestamptz '2024-05-01' + g * interval '1 hour' FROM generate_series(1, 4000) g;
SQL
cd "$dir"
cat >task.json <<JSON
{"task": "s3merge", "migration_type": "full-load-and-cdc",
 "source": {"engine": "postgres", "conninfo": "host=$PGHOST port=$PGPORT dbname=$db user=logtap"},
 "target": {"path": "s3://$bucket/$prefix", "DataFormat": "parquet", "CdcMaxBatchInterval": 1},
 "state": "state/s3merge.db", "merge": {"keep": 1},
 "table_mappings": {"rules": [{"rule-type":"selection","rule-id":"1","rule-name":"1",
     "object-locator":{"schema-name":"public","table-name":"%"},"rule-action":"include"}]}}
JSON
changes() {
  psql -d $db -q -v ON_ERROR_STOP=1 -c "UPDATE acct SET balance = balance + $1, note = 'round $1' WHERE id % 7 = $1" \
    -c "DELETE FROM acct WHERE id % 50 = $1" -c "INSERT INTO acct SELECT 10000 * $1 + g, g, NULL, now() FROM generate_series(1, 300) g"
}
# snapshot_equals: the newest snapshot (downloaded) read by DuckDB equals the source
snapshot_equals() {
  rm -rf snap && s3cli down "s3://$bucket/$prefix/_snapshots/public/acct/" snap
  local part
  part=$(ls -d snap/snapshot=* | sort | tail -1)/part-00000.parquet
  duckdb "COPY (SELECT id, balance, note, seen FROM '$part') TO 'snap.csv' (HEADER false, NULLSTR '\\N')" >/dev/null
  sql $db "DROP TABLE IF EXISTS scratch.snap; CREATE TABLE scratch.snap (LIKE acct)" >/dev/null 2>&1
  psql -d $db -q -c "\\copy scratch.snap FROM 'snap.csv' WITH (FORMAT csv, NULL '\\N')"
  sql $db "SELECT count(*) FROM ((SELECT * FROM acct EXCEPT ALL SELECT * FROM scratch.snap) UNION ALL (SELECT * FROM scratch.snap EXCEPT ALL SELECT * FROM acct)) d"
}

run_logtap replicate --config task.json --until now
expect_eq "$rc" 0 "replicate --until now (the load)"
changes 1
run_logtap replicate --config task.json --until now
expect_eq "$rc" 0 "replicate --until now (changes)"
run_logtap merge --config task.json
expect_eq "$rc" 0 "merge into s3://$bucket/$prefix/_snapshots"
[ "$rc" -eq 0 ] || echo "$out"
snaps=$(s3cli ls "s3://$bucket/$prefix/_snapshots/" | cut -f1 | sed "s|^$prefix/_snapshots/||")
first=$(echo "$snaps" | sed -n 's|^public/acct/\(snapshot=[0-9T]*Z\)/_SUCCESS$|\1|p')
[ -n "$first" ] && ok "a snapshot with its _SUCCESS marker: $first" || fail "snapshot objects: $snaps"
expect_eq "$(echo "$snaps" | sort | tr '\n' ' ')" "public/acct/$first/_SUCCESS public/acct/$first/part-00000.parquet " \
  "the snapshot's objects, and nothing else (no temp name)"
expect_eq "$(snapshot_equals)" 0 "DuckDB reads the snapshot: it equals the source ($(sql $db 'SELECT count(*) FROM acct') rows)"
expect_eq "$(find state/s3merge.db.merge -type f | wc -l)" 0 "the merge's spool folder holds no file afterwards"
run_logtap validate --config task.json
expect_eq "$rc" 0 "validate reads the snapshot back from the store"
echo "$out" | grep -q "public.acct .* OK" && ok "validate: OK" || fail "validate: $out"

sleep 1.1 # the next snapshot is named by a later second
changes 2
run_logtap replicate --config task.json --until now
run_logtap merge --config task.json
expect_eq "$rc" 0 "a second merge (incremental, from the first snapshot)"
snaps=$(s3cli ls "s3://$bucket/$prefix/_snapshots/" | cut -f1 | sed "s|^$prefix/_snapshots/||")
second=$(echo "$snaps" | sed -n 's|^public/acct/\(snapshot=[0-9T]*Z\)/_SUCCESS$|\1|p')
[ -n "$second" ] && [ "$second" != "$first" ] && ok "a new snapshot: $second" || fail "snapshots: $snaps"
echo "$snaps" | grep -q "$first" && fail "the old snapshot stays beyond merge.keep 1: $snaps" \
  || ok "the old snapshot's objects are gone (merge.keep 1)"
expect_eq "$(snapshot_equals)" 0 "the new snapshot equals the source"
expect_eq "$(s3cli uploads "s3://$bucket/$prefix/")" "" "no unfinished upload"

# snapshots in a local folder, from objects (a copy of the state store without its snapshots: a task whose
# merge.path is local)
cp state/s3merge.db state/local.db
sqlite3 state/local.db "DELETE FROM snapshots"
sed -e 's|"merge": {"keep": 1}|"merge": {"path": "local-snaps"}|' -e 's|state/s3merge.db|state/local.db|' task.json >local.json
run_logtap merge --config local.json
expect_eq "$rc" 0 "merge from s3:// objects into a local merge.path"
part=$(ls -d local-snaps/public/acct/snapshot=* 2>/dev/null | sort | tail -1)/part-00000.parquet
expect_eq "$(duckdb "SELECT count(*) FROM '$part'")" "$(sql $db 'SELECT count(*) FROM acct')" "DuckDB reads the local snapshot"
expect_eq "$(find local-snaps -name '_SUCCESS' | wc -l)" 0 "a local snapshot folder appears whole by rename (no marker)"
sql $db "SELECT pg_drop_replication_slot('logtap_s3merge')" >/dev/null
finish
