#!/usr/bin/env bash
# The merge in a fixed memory budget: 2 million changes merged with merge.memory_limit_mb 32 spill to partitions
# (grace hash); peak RSS stays under the budget plus a fixed margin, and the snapshot still equals the source.
# Also the CDC side of invariant 5: a 1M-row transaction replicates with a flat peak RSS.
source "$LOGTAP_SOURCE_DIR/tests/lib/itest.sh"
require_own_pg   # its million-row transactions would hold back every other test's slot creation
dir=$(test_dir)
db=lt_merge_mem
fresh_db $db
rows=${LOGTAP_MERGE_TEST_ROWS:-1000000}
sql $db "CREATE TABLE big (id int PRIMARY KEY, v int, pad text); INSERT INTO big SELECT g, 0, 'initial' FROM generate_series(1, 1000) g" >/dev/null
cd "$dir"
cat >task.json <<JSON
{
  "task": "mem", "migration_type": "full-load-and-cdc",
  "source": {"engine": "postgres", "conninfo": "host=$PGHOST port=$PGPORT dbname=$db user=logtap"},
  "target": {"path": "lake", "CdcMaxBatchInterval": 5},
  "table_mappings": {"rules": [{"rule-type":"selection","rule-id":"1","rule-name":"1",
      "object-locator":{"schema-name":"public","table-name":"%"},"rule-action":"include"}]},
  "merge": {"memory_limit_mb": 32}
}
JSON
run_logtap replicate --config task.json --until now
expect_eq "$rc" 0 "full load"
# one transaction of $rows inserts, then $rows updates and a few deletes: 2 x $rows changes
sql $db "INSERT INTO big SELECT g, 1, md5(g::text) FROM generate_series(1001, $rows) g" >/dev/null
sql $db "UPDATE big SET v = v + 1, pad = pad || 'x'; DELETE FROM big WHERE id % 1000 = 7" >/dev/null
run_measuring_rss replicate.log "$LOGTAP_BIN" replicate --config task.json --until now
expect_eq "$rc" 0 "replicate of ~$((2 * rows)) changes (one ${rows}-row transaction)"
echo "replicate peak RSS: ${peak_kb} kB"
[ "$peak_kb" -lt 65536 ] && ok "replicate peak RSS ${peak_kb} kB < 64 MB" || fail "replicate peak RSS ${peak_kb} kB"
run_measuring_rss merge.log "$LOGTAP_BIN" merge --config task.json
expect_eq "$rc" 0 "merge with memory_limit_mb 32"
[ "$rc" -eq 0 ] || cat merge.log
echo "merge peak RSS: ${peak_kb} kB"; grep -o 'partitions [0-9]*' merge.log
[ "$peak_kb" -lt $(((32 + 32) * 1024)) ] && ok "merge peak RSS ${peak_kb} kB < budget + 32 MB" || fail "merge peak RSS ${peak_kb} kB"
grep -q 'partitions [2-9]\|partitions [1-9][0-9]' merge.log && ok "the merge spilled to partitions" || fail "no spill: $(cat merge.log)"
f=$(ls -d lake/_snapshots/public/big/snapshot=*)/part-00000.csv
sql $db "CREATE TABLE snap (LIKE big, _logtap_pos text)" >/dev/null
psql -d $db -q -v ON_ERROR_STOP=1 -c "\\copy snap FROM '$dir/$f' WITH (FORMAT csv, NULL 'NULL')"
diff=$(sql $db "SELECT count(*) FROM ((SELECT * FROM big EXCEPT ALL SELECT id, v, pad FROM snap) UNION ALL (SELECT id, v, pad FROM snap EXCEPT ALL SELECT * FROM big)) d")
expect_eq "$diff" 0 "snapshot of $(sql $db 'SELECT count(*) FROM big') rows equals the source"
sql $db "SELECT pg_drop_replication_slot('logtap_mem')" >/dev/null
finish
