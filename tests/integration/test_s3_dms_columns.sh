#!/usr/bin/env bash
# target.LogtapColumns false with an object store: full-load-and-cdc into s3:// (CSV, PreserveTransactions) under a
# writer, with a kill -9, key changes, a TRUNCATE and unchanged TOASTed values of a REPLICA IDENTITY FULL table:
# every object (downloaded with the AWS SDK) has exactly DMS's columns; the merge reads the objects in the
# manifest's order and writes its snapshot to the store (no logtap column either), and validate finds it exact;
# an --as-of point inside an object is refused (exit 2) naming the object and a point that works, which does.
source "$LOGTAP_SOURCE_DIR/tests/lib/itest.sh"
source "$LOGTAP_SOURCE_DIR/tests/lib/pg_server.sh"
source "$LOGTAP_SOURCE_DIR/tests/lib/s3_server.sh"
require_pg
bucket=lt-dmscols
require_s3 $bucket
dir=$(test_dir)
prefix=run$$
db=lt_s3_dms_cols
fresh_db $db
psql -d $db -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE TABLE acct (id int PRIMARY KEY, balance int NOT NULL);
CREATE TABLE docs (id int PRIMARY KEY, body text, n int);
ALTER TABLE docs REPLICA IDENTITY FULL;
ALTER TABLE docs ALTER COLUMN body SET STORAGE EXTERNAL; -- out of line: an UPDATE of n does not send it
INSERT INTO acct SELECT g, g FROM generate_series(1, 300) g;
INSERT INTO docs SELECT g, repeat(md5(g::text), 300), g FROM generate_series(1, 20) g;
SQL
cd "$dir"
cat >task.json <<JSON
{"task": "s3dmscols", "migration_type": "full-load-and-cdc",
 "source": {"engine": "postgres", "conninfo": "host=$PGHOST port=$PGPORT dbname=$db user=logtap"},
 "target": {"path": "s3://$bucket/$prefix", "LogtapColumns": false, "CdcMaxBatchInterval": 1,
            "IncludeOpForFullLoad": true, "TimestampColumnName": "commit_ts", "PreserveTransactions": true,
            "CdcPath": "txn"},
 "state": "state/s3dmscols.db",
 "table_mappings": {"rules": [{"rule-type":"selection","rule-id":"1","rule-name":"1",
      "object-locator":{"schema-name":"public","table-name":"%"},"rule-action":"include"}]}}
JSON
run_logtap replicate --config task.json --until now
expect_eq "$rc" 0 "full load into s3://$bucket/$prefix"
[ "$rc" -eq 0 ] || echo "$out"

writer() {
  local end=$((SECONDS + 5)) r
  while [ $SECONDS -lt $end ]; do
    r=$((RANDOM % 300 + 1))
    psql -d $db -q -c "BEGIN; INSERT INTO acct VALUES ($r + 1000, $r) ON CONFLICT (id) DO UPDATE SET balance = acct.balance + 1;
      UPDATE acct SET balance = balance - 1 WHERE id = $r; DELETE FROM acct WHERE id = $((r + 3));
      UPDATE acct SET id = -id WHERE id = $((r + 5)); UPDATE docs SET n = n + 1 WHERE id = $((r % 20 + 1)); COMMIT;" \
      >/dev/null 2>&1 || true
  done
}
writer &
w=$!
"$LOGTAP_BIN" replicate --config task.json >replicate1.log 2>&1 &
pid=$!
wait_cdc replicate1.log
sleep 2
kill -9 $pid && ok "replicate killed with SIGKILL while the writer runs"
wait $pid 2>/dev/null || true
wait $w
sql $db "TRUNCATE acct; INSERT INTO acct SELECT g, -g FROM generate_series(1, 50) g; UPDATE docs SET n = 0 WHERE id = 1" >/dev/null
run_logtap replicate --config task.json --until now
expect_eq "$rc" 0 "replicate --until now: the rest, the TRUNCATE"
[ "$rc" -eq 0 ] || echo "$out"

# --- the objects: exactly DMS's columns (no header: PreserveTransactions goes without AddColumnName, as in DMS)
s3cli down "s3://$bucket/$prefix/" objs
fields() { cat "$@" | awk -F, '{ print NF }' | sort -u | tr '\n' ' '; }
for t in acct:4 docs:5; do
  n=$(find objs/public/${t%:*} -name '*.csv' | wc -l)
  [ "$n" -gt 1 ] && ok "${t%:*}: $n LOAD and CDC objects" || fail "${t%:*}: $n objects"
  expect_eq "$(fields $(find objs/public/${t%:*} -name '*.csv'))" "${t#*:} " \
    "${t%:*}: every row of its objects has Op, commit_ts and the table's columns, nothing more"
done
txn=$(find objs/txn -name 'CDC_TXN-*.csv' 2>/dev/null)
[ -n "$txn" ] && ok "transaction objects under txn/" || fail "no transaction object: $(find objs -type f | head)"
expect_eq "$(grep -h ',acct,public,' $txn | awk -F, '{ print NF }' | sort -u)" 6 "transaction rows of acct: op,table,schema,commit_ts,id,balance"
grep -q '^U,[^,]*,1,c4ca4238' $(find objs/public/docs -name '2*.csv') && ok "an UPDATE that left the TOASTed body unchanged carries it" \
  || fail "docs: $(grep -h '^U,[^,]*,1,' $(find objs/public/docs -name '2*.csv') | cut -c1-60 | head -2)"

# --- the merge, by the manifest's order, into the store
run_logtap merge --config task.json
expect_eq "$rc" 0 "merge into s3://$bucket/$prefix/_snapshots"
[ "$rc" -eq 0 ] || echo "$out"
rm -rf snaps && s3cli down "s3://$bucket/$prefix/_snapshots/" snaps
part=$(ls -d snaps/public/acct/snapshot=* 2>/dev/null | sort | tail -1)/part-00000.csv
expect_eq "$(fields "$part")" "2 " "the snapshot object's rows: the table's columns"
expect_eq "$(wc -l <"$part")" "$(sql $db 'SELECT count(*) FROM acct')" "and its rows"
run_logtap validate --config task.json
expect_eq "$rc" 0 "validate: every table exact"
[ "$rc" -eq 0 ] || echo "$out"

# --- --as-of inside an object refused, between objects works
file=$(sqlite3 state/s3dmscols.db "SELECT f.path || '|' || f.first_pos FROM files f JOIN tables t ON t.id = f.table_id
   WHERE t.table_name = 'acct' AND f.kind = 'cdc' AND f.first_pos < f.last_pos AND f.first_pos > t.load_pos ORDER BY f.first_pos LIMIT 1")
if [ -n "$file" ]; then
  run_logtap merge --config task.json --as-of "$(echo "$file" | cut -d'|' -f2)"
  expect_eq "$rc" 2 "--as-of a position inside an object: exit 2"
  echo "$out" | grep -q "falls inside CDC file $(echo "$file" | cut -d'|' -f1)" && ok "the message names the object" || fail "$out"
  works=$(echo "$out" | sed -n 's/.*a point works only between files: give \([^ ]*\) (the file.s end).*/\1/p' | head -1)
  run_logtap merge --config task.json --as-of "$works"
  expect_eq "$rc" 0 "--as-of the point it named ($works) works"
else
  fail "no CDC object of acct with several changes after its load"
fi
expect_eq "$(s3cli uploads "s3://$bucket/$prefix/")" "" "no unfinished upload"
sql $db "SELECT pg_drop_replication_slot('logtap_s3dmscols')" >/dev/null
finish
