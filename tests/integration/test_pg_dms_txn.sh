#!/usr/bin/env bash
# PreserveTransactions with CdcPath (and BucketFolder), with kill -9 of logtap while a writer changes two tables
# in shared transactions: the CDC_TXN-*.csv files hold exactly the changes of the per-table CDC files, once each,
# in transaction order (file names and rows in _logtap_pos order), each row "op,table_name,schema_name,values...,
# _logtap_pos,_logtap_unchanged"; the per-table files still merge exactly; Parquet tasks write the transaction
# files as CSV; --start-over moves their folder aside.
source "$LOGTAP_SOURCE_DIR/tests/lib/itest.sh"
source "$LOGTAP_SOURCE_DIR/tests/lib/pg_server.sh"
require_pg
dir=$(test_dir)
db=lt_dms_txn
fresh_db $db
psql -d $db -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE TABLE a (id int PRIMARY KEY, v int);
CREATE TABLE b (k int PRIMARY KEY, w text, x int);
INSERT INTO a SELECT g, g FROM generate_series(1, 300) g;
INSERT INTO b SELECT g, 'w' || g, g FROM generate_series(1, 300) g;
SQL
cd "$dir"
cat >task.json <<JSON
{
  "task": "txn", "migration_type": "full-load-and-cdc",
  "source": {"engine": "postgres", "conninfo": "host=$PGHOST port=$PGPORT dbname=$db user=logtap"},
  "target": {"path": "lake", "DataFormat": "parquet", "CdcMaxBatchInterval": 1, "BucketFolder": "bf",
             "PreserveTransactions": "y", "CdcPath": "txn/"},
  "table_mappings": {"rules": [{"rule-type":"selection","rule-id":"1","rule-name":"1",
      "object-locator":{"schema-name":"public","table-name":"%"},"rule-action":"include"}]}
}
JSON
run_logtap replicate --config task.json --until now
expect_eq "$rc" 0 "full load and CDC start"
[ "$rc" -eq 0 ] || echo "$out"
writer() {
  local end=$((SECONDS + 8)) r
  while [ $SECONDS -lt $end ]; do
    r=$((RANDOM % 400 + 1))
    psql -d $db -q -c "BEGIN; INSERT INTO a VALUES ($r + 1000, $r) ON CONFLICT (id) DO UPDATE SET v = a.v + 1;
      UPDATE b SET x = x + 1, w = 'u$r' WHERE k = $r; DELETE FROM a WHERE id = $((r + 3));
      UPDATE a SET id = -id WHERE id = $((r + 5)); INSERT INTO b VALUES (-$r, 'n', $r) ON CONFLICT (k) DO NOTHING;
      COMMIT;" >/dev/null 2>&1 || true
  done
}
writer &
w=$!
kills=0
for round in 1 2 3; do
  "$LOGTAP_BIN" replicate --config task.json >>replicate.log 2>&1 &
  pid=$!
  sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 1 + (r % 150) / 100 }')"
  if kill -9 $pid 2>/dev/null; then kills=$((kills + 1)); fi
  wait $pid 2>/dev/null || true
done
wait $w
expect_eq "$kills" 3 "killed with SIGKILL three times while the writer ran"
psql -d $db -q -c "BEGIN; UPDATE a SET v = 0 WHERE id = 1; UPDATE b SET x = 0 WHERE k = 1; UPDATE a SET v = 0 WHERE id = 2; COMMIT"
run_logtap replicate --config task.json --until now
expect_eq "$rc" 0 "replicate --until now drains"
[ "$rc" -eq 0 ] || echo "$out"

txn=$(ls lake/bf/txn/ | grep -v '^\.' || true)
n=$(echo "$txn" | grep -c . || true)
[ "$n" -ge 2 ] && ok "$n transaction files" || fail "only $n transaction files: $txn"
expect_eq "$(echo "$txn" | grep -cvE '^CDC_TXN-[0-9]{17}\.csv$' || true)" 0 "every name is CDC_TXN-<YYYYMMDDHHMMSSmmm>.csv (CSV although DataFormat is parquet)"
# rows: op,table,schema,values...,pos,unchanged (no value here holds a comma)
for f in $txn; do cat lake/bf/txn/$f; done >all_txn.csv
awk -F, '{ print $(NF-1) }' all_txn.csv >txn_pos
expect_eq "$(awk 'NR > 1 && $0 <= prev { bad++ } { prev = $0 } END { print bad + 0 }' txn_pos)" 0 \
  "the rows of the files, in name order, are in _logtap_pos order: transaction order, no change twice"
expect_eq "$(awk -F, '($2 == "a" && NF != 7) || ($2 == "b" && NF != 8) || $3 != "public" || ($1 != "I" && $1 != "U" && $1 != "D") { bad++ } END { print bad + 0 }' all_txn.csv)" 0 \
  "each row is op,table_name,schema_name,values...,_logtap_pos,_logtap_unchanged"
# the same changes as the per-table CDC files (read with DuckDB when it is there, else skipped)
if have_duckdb; then
  duckdb "SELECT Op || ',' || _logtap_pos FROM read_parquet('lake/bf/public/*/2*.parquet') ORDER BY _logtap_pos" >table_changes
  awk -F, '{ print $1 "," $(NF-1) }' all_txn.csv | sort >txn_changes
  expect_eq "$(sort table_changes | diff - txn_changes | grep -c '^[<>]' || true)" 0 \
    "the transaction files hold exactly the per-table files' changes ($(wc -l <txn_changes) changes)"
fi
last=$(tail -n 3 all_txn.csv | cut -d, -f1,2,4)
expect_eq "$(echo $last)" "U,a,1 U,b,1 U,a,2" "a transaction's changes are together, in order, across tables"
run_logtap merge --config task.json
expect_eq "$rc" 0 "merge of the per-table files"
run_logtap validate --config task.json
expect_eq "$rc" 0 "validate: exact"
[ "$rc" -eq 0 ] || echo "$out"
run_logtap replicate --config task.json --start-over --until now
expect_eq "$rc" 0 "--start-over"
[ "$rc" -eq 0 ] || echo "$out"
ls -d lake/_replaced-*/bf/txn >/dev/null 2>&1 && ok "--start-over moved the transaction files aside" || fail "no lake/_replaced-*/bf/txn: $(ls lake)"
sql $db "SELECT pg_drop_replication_slot('logtap_txn')" >/dev/null
finish
