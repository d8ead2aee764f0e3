#!/usr/bin/env bash
# Open files are bounded: 300 tables, one transaction touching all of them, under `ulimit -n 200`. replicate closes
# the least recently written CDC file early instead of running out of descriptors; every change is written once
# and the merge gives every table's rows.
source "$LOGTAP_SOURCE_DIR/tests/lib/itest.sh"
require_pg
dir=$(test_dir)
db=lt_many_tables
fresh_db $db
psql -d $db -q -v ON_ERROR_STOP=1 <<'SQL'
DO $$ BEGIN FOR i IN 1..300 LOOP EXECUTE format('CREATE TABLE t%s (id int PRIMARY KEY, v text)', i); END LOOP; END $$;
SQL
cd "$dir"
cat >task.json <<JSON
{"task": "many", "migration_type": "full-load-and-cdc",
 "source": {"engine": "postgres", "conninfo": "host=$PGHOST port=$PGPORT dbname=$db user=logtap"},
 "target": {"path": "lake", "CdcMaxBatchInterval": 3600},
 "table_mappings": {"rules": [{"rule-type":"selection","rule-id":"1","rule-name":"1",
      "object-locator":{"schema-name":"public","table-name":"t%"},"rule-action":"include"}]}}
JSON
(ulimit -n 200 && "$LOGTAP_BIN" replicate --config task.json --until now >first.log 2>&1)
expect_eq "$?" 0 "the full load of 300 (empty) tables under ulimit -n 200"
psql -d $db -q -v ON_ERROR_STOP=1 <<'SQL'
DO $$ BEGIN FOR i IN 1..300 LOOP EXECUTE format('INSERT INTO t%s VALUES (1, ''a''), (2, ''b'')', i); END LOOP; END $$;
DO $$ BEGIN FOR i IN 1..300 LOOP EXECUTE format('UPDATE t%s SET v = ''c'' WHERE id = 2', i); END LOOP; END $$;
SQL
set +e
(ulimit -n 200 && "$LOGTAP_BIN" replicate --config task.json --until now >cdc.log 2>&1)
rc=$?
set -e
expect_eq "$rc" 0 "one transaction over 300 tables replicates under ulimit -n 200"
[ "$rc" -eq 0 ] || tail -n 5 cdc.log
expect_eq "$(cat $(find lake -name '2*.csv') | wc -l)" 900 "every change written once (300 x 3)"
expect_eq "$(cat $(find lake -name '2*.csv') | cut -d, -f4 | sort | uniq -d | wc -l)" 0 "no position twice"
run_logtap merge --config task.json
expect_eq "$rc" 0 "merge"
expect_eq "$(cat lake/_snapshots/public/t300/snapshot=*/part-00000.csv | sort | cut -d, -f1,2 | tr '\n' ' ')" "1,a 2,c " \
  "a table's snapshot holds its rows"
sql $db "SELECT pg_drop_replication_slot('logtap_many')" >/dev/null
finish
