#!/usr/bin/env bash
# A 100 MB text value and merge.memory_limit_mb (issue 16 item 11): with a budget of 256 the merge refuses the row,
# naming the table and the row's size, within the budget (peak RSS measured by /usr/bin/time -v); with 1024 it merges
# the row (an UPDATE that leaves the value unchanged, TOAST, keeps it) and stays within that budget.
source "$LOGTAP_SOURCE_DIR/tests/lib/itest.sh"
require_pg
[ -x /usr/bin/time ] || { echo "SKIP: /usr/bin/time is absent"; exit 77; }
dir=$(test_dir)
db=lt_merge_bigval
fresh_db $db
sql $db "CREATE TABLE t (id int PRIMARY KEY, v int, big text); INSERT INTO t SELECT g, 0, 'small' FROM generate_series(1, 100) g" >/dev/null
cd "$dir"
task() { # task BUDGET_MB
  cat >task.json <<JSON
{
  "task": "bigval", "migration_type": "full-load-and-cdc",
  "source": {"engine": "postgres", "conninfo": "host=$PGHOST port=$PGPORT dbname=$db user=logtap"},
  "target": {"path": "lake"},
  "table_mappings": {"rules": [{"rule-type":"selection","rule-id":"1","rule-name":"1",
      "object-locator":{"schema-name":"public","table-name":"%"},"rule-action":"include"}]},
  "merge": {"memory_limit_mb": $1}
}
JSON
}
task 256
run_logtap replicate --config task.json --until now
expect_eq "$rc" 0 "full load"
mb=100
sql $db "INSERT INTO t VALUES (1000, 1, repeat('x', $mb * 1024 * 1024)); UPDATE t SET v = 2 WHERE id = 1000; UPDATE t SET v = v + 1 WHERE id <= 10" >/dev/null
run_logtap replicate --config task.json --until now
expect_eq "$rc" 0 "replicate of a $mb MB value"
peak_mb() { awk -F': ' '/Maximum resident set size/ {print int($2 / 1024)}' "$1"; }
set +e
/usr/bin/time -v -o time256.txt "$LOGTAP_BIN" merge --config task.json >merge256.log 2>&1
rc=$?
set -e
expect_eq "$rc" 1 "merge with memory_limit_mb 256 refuses the row"
grep -q 'public.t: .*a row of 1048576[0-9][0-9] bytes.*memory_limit_mb' merge256.log \
  && ok "the error names the table and the row's size: $(grep -o 'public.t: .*' merge256.log | head -c 300)" \
  || fail "error: $(head -c 600 merge256.log)"
p=$(peak_mb time256.txt)
echo "merge with a 256 MB budget: peak RSS $p MB"
[ "$p" -lt 256 ] && ok "peak RSS $p MB < 256 MB" || fail "peak RSS $p MB with a 256 MB budget"
[ -z "$(ls -d lake/_snapshots/public/t/snapshot=* 2>/dev/null)" ] && ok "no snapshot written" || fail "a snapshot was written"
task 1024
set +e
/usr/bin/time -v -o time1024.txt "$LOGTAP_BIN" merge --config task.json >merge1024.log 2>&1
rc=$?
set -e
expect_eq "$rc" 0 "merge with memory_limit_mb 1024"
[ "$rc" -eq 0 ] || cat merge1024.log
p=$(peak_mb time1024.txt)
echo "merge with a 1024 MB budget: peak RSS $p MB"
[ "$p" -lt 1024 ] && ok "peak RSS $p MB < 1024 MB" || fail "peak RSS $p MB with a 1024 MB budget"
f=$(ls -d lake/_snapshots/public/t/snapshot=* | tail -1)/part-00000.csv
sql $db "CREATE TABLE snap (LIKE t, _logtap_pos text)" >/dev/null
psql -d $db -q -v ON_ERROR_STOP=1 -c "\\copy snap FROM '$dir/$f' WITH (FORMAT csv, NULL 'NULL')"
diff=$(sql $db "SELECT count(*) FROM ((SELECT * FROM t EXCEPT ALL SELECT id, v, big FROM snap) UNION ALL (SELECT id, v, big FROM snap EXCEPT ALL SELECT * FROM t)) d")
expect_eq "$diff" 0 "the snapshot equals the source, the $mb MB value included"
expect_eq "$(sql $db "SELECT length(big) FROM snap WHERE id = 1000")" "$((mb * 1024 * 1024))" "the value is whole"
sql $db "SELECT pg_drop_replication_slot('logtap_bigval')" >/dev/null
finish
