#!/usr/bin/env bash
# DMS S3 settings against a real PostgreSQL, checked on the files themselves (folders, names, header, columns,
# values) and read back by DuckDB:
# - task "ins": CdcInsertsOnly with IncludeOpForFullLoad false (no Op column anywhere, only inserts: updates,
#   deletes and a key-changing UPDATE are left out), date partitions YYYYMMDDHH/DASH in Asia/Seoul (folder and
#   file name in Seoul time), BucketFolder; merge and validate refuse it (exit 2); the slot moved past the changes
#   left out;
# - task "upd": CdcInsertsAndUpdates (Op I/U, no D; a key change is one U of the new row), UseCsvNoSupValue +
#   CsvNoSupValue for an unchanged TOAST value;
# - task "all": every change, CsvNoSupValue, date partitions DDMMYYYY/UNDERSCORE, BucketFolder: merge and validate
#   are exact;
# - every refused setting exits 2 naming it, and a misspelt one names the closest.
source "$LOGTAP_SOURCE_DIR/tests/lib/itest.sh"
source "$LOGTAP_SOURCE_DIR/tests/lib/pg_server.sh"
require_pg
dir=$(test_dir)
db=lt_dms_settings
fresh_db $db
psql -d $db -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE TABLE t (id int PRIMARY KEY, v text, big text);
INSERT INTO t SELECT g, 'v' || g, (SELECT string_agg(md5((g * 1000 + i)::text), '') FROM generate_series(1, 200) i)
  FROM generate_series(1, 5) g;
SQL
cd "$dir"
rules='[{"rule-type":"selection","rule-id":"1","rule-name":"1","object-locator":{"schema-name":"public","table-name":"t"},"rule-action":"include"}]'
task() { # task NAME "TARGET_JSON"
  cat >"$1.json" <<JSON
{
  "task": "$1", "migration_type": "full-load-and-cdc",
  "source": {"engine": "postgres", "conninfo": "host=$PGHOST port=$PGPORT dbname=$db user=logtap"},
  "target": {"path": "lake-$1", "AddColumnName": "y", "CdcMaxBatchInterval": 1, $2},
  "table_mappings": {"rules": $rules}
}
JSON
}
task ins '"CdcInsertsOnly": "Y", "IncludeOpForFullLoad": "n", "TimestampColumnName": "ts", "DatePartitionEnabled": true,
  "DatePartitionSequence": "YYYYMMDDHH", "DatePartitionDelimiter": "DASH", "DatePartitionTimezone": "Asia/Seoul",
  "BucketFolder": "raw/shop/"'
task upd '"CdcInsertsAndUpdates": true, "UseCsvNoSupValue": true, "CsvNoSupValue": "NOSUP"'
task all '"UseCsvNoSupValue": "true", "CsvNoSupValue": "NOSUP", "IncludeOpForFullLoad": true, "DatePartitionEnabled": "y",
  "DatePartitionSequence": "DDMMYYYY", "DatePartitionDelimiter": "UNDERSCORE", "BucketFolder": "dms", "TimestampColumnName": "ts"'
task pq '"DataFormat": "parquet", "CdcInsertsOnly": true, "DatePartitionEnabled": true, "TimestampColumnName": "ts",
  "DatePartitionTimezone": "America/New_York"'
for t in ins upd all pq; do
  run_logtap replicate --config $t.json --until now
  expect_eq "$rc" 0 "$t: full load and CDC start"
  [ "$rc" -eq 0 ] || echo "$out"
done
psql -d $db -q -v ON_ERROR_STOP=1 <<'SQL'
INSERT INTO t VALUES (6, 'v6', NULL), (7, 'v7', 'seven');
UPDATE t SET v = 'v1 again' WHERE id = 1;   -- big (TOASTed) is not sent: unchanged
DELETE FROM t WHERE id = 2;
UPDATE t SET id = 30, v = 'moved' WHERE id = 3;  -- a key change: D of 3 then I of 30 in the stream
INSERT INTO t VALUES (8, 'NOSUP', 'text equal to the no-sup value');
SQL
before_until=$(sql $db "SELECT pg_current_wal_insert_lsn()")
for t in ins upd all pq; do
  run_logtap replicate --config $t.json --until now
  expect_eq "$rc" 0 "$t: changes streamed"
  [ "$rc" -eq 0 ] || echo "$out"
done

# --- ins: CdcInsertsOnly, IncludeOpForFullLoad false, partitions in Asia/Seoul, BucketFolder
load=lake-ins/raw/shop/public/t/LOAD00000001.csv
[ -f "$load" ] && ok "ins: the load is under BucketFolder: $load" || fail "ins: no $load: $(find lake-ins -type f)"
expect_eq "$(head -1 "$load")" "ts,id,v,big,_logtap_pos" "ins: full-load header has no Op column"
cdc=$(find lake-ins/raw/shop/public/t -name '2*.csv' | sort)
expect_eq "$(echo "$cdc" | grep -c .)" 1 "ins: one CDC file"
expect_eq "$(head -1 $cdc)" "ts,id,v,big,_logtap_pos,_logtap_unchanged" "ins: CDC header has no Op column (CdcInsertsOnly, IncludeOpForFullLoad false)"
expect_eq "$(tail -n +2 $cdc | cut -d, -f2 | tr '\n' ' ')" "6 7 8 " "ins: only the inserts, no update, delete or key change"
# the folder and the name are the first change's commit time in Asia/Seoul
ts=$(sed -n 2p $cdc | cut -d, -f1)
want_dir=$(sql $db "SELECT to_char(('$ts'::timestamp AT TIME ZONE 'UTC') AT TIME ZONE 'Asia/Seoul', 'YYYY-MM-DD-HH24')")
want_name=$(sql $db "SELECT to_char(('$ts'::timestamp AT TIME ZONE 'UTC') AT TIME ZONE 'Asia/Seoul', 'YYYYMMDD-HH24MISSMS')")
expect_eq "$cdc" "lake-ins/raw/shop/public/t/$want_dir/$want_name.csv" "ins: CDC file in the Seoul hour's folder (YYYYMMDDHH, DASH), named in Seoul time"
run_logtap merge --config ins.json
expect_eq "$rc" 2 "ins: merge refuses an inserts-only task (exit 2)"
echo "$out" | grep -q "CdcInsertsOnly is true: the CDC files hold only inserts" && ok "ins: merge says why" || fail "ins: merge: $out"
[ ! -d lake-ins/_snapshots/public ] && ok "ins: no snapshot written" || fail "ins: a snapshot was written"
run_logtap validate --config ins.json
expect_eq "$rc" 2 "ins: validate refuses it too"
past=$(sql $db "SELECT confirmed_flush_lsn >= '$before_until'::pg_lsn FROM pg_replication_slots WHERE slot_name = 'logtap_ins'")
expect_eq "$past" t "ins: the slot moved past the changes left out"

# --- upd: CdcInsertsAndUpdates (Op I, U), CsvNoSupValue
cdc=$(find lake-upd/public/t -name '2*.csv' | sort)
expect_eq "$(head -1 lake-upd/public/t/LOAD00000001.csv)" "id,v,big,_logtap_pos" "upd: full-load header has no Op column"
expect_eq "$(head -1 $cdc)" "Op,id,v,big,_logtap_pos,_logtap_unchanged" "upd: CDC header has the Op column (DMS's table for CdcInsertsAndUpdates)"
expect_eq "$(tail -n +2 $cdc | cut -d, -f1,2 | tr '\n' ' ')" "I,6 I,7 U,1 U,30 I,8 " "upd: inserts and updates (the key change as one U of the new row), no delete"
expect_eq "$(grep '^U,1,' $cdc | cut -d, -f3,4,6)" "v1 again,NOSUP,big" "upd: the unchanged TOAST value is CsvNoSupValue, listed in _logtap_unchanged"
expect_eq "$(grep '^I,8,' $cdc | cut -d, -f3)" '"NOSUP"' "upd: text equal to CsvNoSupValue is quoted"
run_logtap merge --config upd.json
expect_eq "$rc" 2 "upd: merge refuses an inserts-and-updates task (exit 2)"
echo "$out" | grep -q "CdcInsertsAndUpdates is true" && ok "upd: merge says why" || fail "upd: merge: $out"

# --- all: every change, CsvNoSupValue, partitions DDMMYYYY/UNDERSCORE (UTC), BucketFolder: merge is exact
cdc=$(find lake-all/dms/public/t -name '2*.csv' | sort)
expect_eq "$(echo "$cdc" | grep -c .)" 1 "all: one CDC file"
ts=$(sed -n 2p $cdc | cut -d, -f2)
want=$(sql $db "SELECT to_char('$ts'::timestamp, 'DD_MM_YYYY') || '/' || to_char('$ts'::timestamp, 'YYYYMMDD-HH24MISSMS')")
expect_eq "$cdc" "lake-all/dms/public/t/$want.csv" "all: CDC file under DDMMYYYY/UNDERSCORE of its UTC commit date"
expect_eq "$(tail -n +2 $cdc | cut -d, -f1,3 | tr '\n' ' ')" "I,6 I,7 U,1 D,2 D,3 I,30 I,8 " "all: every change"
run_logtap merge --config all.json
expect_eq "$rc" 0 "all: merge"
[ "$rc" -eq 0 ] || echo "$out"
run_logtap validate --config all.json
expect_eq "$rc" 0 "all: validate: the snapshot equals the source (the NOSUP value read as unchanged)"
[ "$rc" -eq 0 ] || echo "$out"
snap=$(find lake-all/_snapshots/public/t -name 'part-00000.csv')
[ -n "$snap" ] && ok "all: snapshots stay under merge.path, not BucketFolder: $snap" || fail "all: no snapshot"

if have_duckdb; then
  got=$(duckdb "SELECT string_agg(CAST(id AS VARCHAR), ' ' ORDER BY _logtap_pos) FROM read_csv('lake-ins/raw/shop/public/t/*/*.csv', header=true, nullstr='NULL', allow_quoted_nulls=false)")
  expect_eq "$got" "6 7 8" "DuckDB reads the inserts-only files of the partition folders"
  got=$(duckdb "SELECT string_agg(Op || id || ':' || big, ' ' ORDER BY _logtap_pos) FROM read_csv('lake-upd/public/t/2*.csv', header=true, nullstr='NULL', allow_quoted_nulls=false, all_varchar=true) WHERE Op = 'U'")
  # 30's big was not sent either: the key change's new row has it unchanged (see README, Coming from DMS)
  expect_eq "$got" "U1:NOSUP U30:NOSUP" "DuckDB reads the no-sup value as text"
  got=$(duckdb "SELECT count(*), count(DISTINCT id) FROM read_csv('lake-all/dms/public/t/*/*.csv', header=true, nullstr='NULL', allow_quoted_nulls=false)")
  expect_eq "$got" "$(printf '7\t7')" "DuckDB reads the DDMMYYYY partition's file"
  # Parquet, CdcInsertsOnly without IncludeOpForFullLoad: no Op column; YYYYMMDD/SLASH in America/New_York
  f=$(find lake-pq/public/t -name '2*.parquet')
  expect_eq "$(echo "$f" | grep -c .)" 1 "pq: one CDC file"
  got=$(duckdb "SELECT string_agg(column_name, ',') FROM (DESCRIBE SELECT * FROM read_parquet('$f'))")
  expect_eq "$got" "ts,id,v,big,_logtap_pos,_logtap_unchanged" "pq: the CDC Parquet file has no Op column"
  got=$(duckdb "SELECT string_agg(CAST(id AS VARCHAR), ' ' ORDER BY _logtap_pos) FROM read_parquet('$f')")
  expect_eq "$got" "6 7 8" "pq: DuckDB reads only the inserts"
  ts=$(duckdb "SELECT ts FROM read_parquet('$f') ORDER BY _logtap_pos LIMIT 1")
  want=$(sql $db "SELECT to_char(('$ts'::timestamp AT TIME ZONE 'UTC') AT TIME ZONE 'America/New_York', 'YYYY/MM/DD/YYYYMMDD-HH24MISSMS')")
  expect_eq "$f" "lake-pq/public/t/$want.parquet" "pq: folder (YYYYMMDD, SLASH) and name in New York time"
else
  echo "skip: DuckDB checks (cd tests/tools && npm install)"
fi
for t in ins upd all pq; do sql $db "SELECT pg_drop_replication_slot('logtap_$t')" >/dev/null; done

# --- refused settings exit 2 naming the setting; a misspelt one names the closest
refuse() { # refuse 'SETTINGS' WHAT
  task bad "$1"
  run_logtap check --config bad.json
  expect_eq "$rc" 2 "refused: $1"
  echo "$out" | grep -q "$2" && ok "the message names $2" || fail "message lacks $2: $out"
}
refuse '"CdcInsertsOnly": true, "CdcInsertsAndUpdates": "y"' "CdcInsertsAndUpdates"
refuse '"PreserveTransactions": true' "target.PreserveTransactions"
refuse '"CdcPath": "txn"' "target.CdcPath"
refuse '"PreserveTransactions": true, "CdcPath": "txn", "DatePartitionEnabled": true' "target.PreserveTransactions"
refuse '"Rfc4180": false' "target.Rfc4180"
refuse '"AddTrailingPaddingCharacter": "y"' "target.AddTrailingPaddingCharacter"
refuse '"GlueCatalogGeneration": true' "target.GlueCatalogGeneration"
refuse '"ExternalTableDefinition": "{}"' "target.ExternalTableDefinition"
refuse '"IgnoreHeaderRows": 1' "target.IgnoreHeaderRows"
refuse '"TimestampColumnName": "ts", "UseTaskStartTimeForFullLoadTimestamp": false' "target.UseTaskStartTimeForFullLoadTimestamp"
refuse '"DatePartitionTimezone": "Mars/Olympus"' "target.DatePartitionTimezone"
refuse '"BucketFolder": "../elsewhere"' "target.BucketFolder"
refuse '"UseCsvNoSupValue": true, "CsvNoSupValue": "x", "DataFormat": "parquet"' "target.UseCsvNoSupValue"
refuse '"CdcInsertOnly": true' "unknown key: did you mean CdcInsertsOnly?"
refuse '"DatePartitionSequence": "YYYYMMD"' "did you mean YYYYMMDD?"
[ ! -e lake-bad ] && ok "nothing written for refused configs" || fail "refused configs wrote $(find lake-bad)"
finish
