#!/usr/bin/env bash
# DMS transformation rules against a real PostgreSQL, checked on the files (folders, headers, values) and read by
# DuckDB, through the full load, CDC, merge and validate:
# - schema public renamed sales; table "Customer" lowercased then prefixed (dms_customer: two rules in rule-id
#   order); orders_dms without its suffix (orders); columns renamed (first_name -> fname), upper-cased
#   (last_name -> LAST_NAME) and removed (secret); converted (amount numeric(8,2) -> numeric(12,4), born date ->
#   datetime); added: full_name ($first_name||' '||$last_name), op ($AR_H_OPERATION), committed
#   ($AR_H_COMMIT_TIMESTAMP), src ($AR_M_SOURCE_TABLE_NAME), answer (42, int4);
# - define-primary-key on a table without one (REPLICA IDENTITY FULL): its UPDATEs are written as U, and the merge
#   keys on it;
# - the same rules in Parquet: DuckDB reads decimal(12,4), a timestamp, the added columns;
# - merge writes sales/dms_customer snapshots; validate compares the columns that come from the source and says
#   which it cannot;
# - rules logtap cannot honour exit 2 naming rule-id and rule-name.
source "$LOGTAP_SOURCE_DIR/tests/lib/itest.sh"
source "$LOGTAP_SOURCE_DIR/tests/lib/pg_server.sh"
require_pg
dir=$(test_dir)
db=lt_transform
fresh_db $db
psql -d $db -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE TABLE "Customer" (id int PRIMARY KEY, first_name text, last_name text, secret text, amount numeric(8,2),
  born date, at timestamptz);
INSERT INTO "Customer" VALUES (1, 'Ada', 'Lovelace', 's1', 12.5, '1815-12-10', '2024-01-31 12:00:00+00'),
  (2, 'Alan', 'Turing', 's2', 99.99, '1912-06-23', NULL), (3, 'Grace', NULL, 's3', NULL, NULL, NULL);
CREATE TABLE orders_dms (id int PRIMARY KEY, v text);
INSERT INTO orders_dms VALUES (1, 'a'), (2, 'b');
CREATE TABLE nokey (a int NOT NULL, b text);
ALTER TABLE nokey REPLICA IDENTITY FULL;
INSERT INTO nokey SELECT g, 'b' || g FROM generate_series(1, 5) g;
SQL
cd "$dir"
rules() { # the rules, in a shuffled order (they apply by rule-id)
  cat <<'JSON'
[
 {"rule-type":"transformation","rule-id":"4","rule-name":"prefix","rule-action":"add-prefix","rule-target":"table",
  "object-locator":{"schema-name":"public","table-name":"Customer"},"value":"dms_"},
 {"rule-type":"selection","rule-id":"1","rule-name":"all","object-locator":{"schema-name":"public","table-name":"%"},"rule-action":"include"},
 {"rule-type":"transformation","rule-id":"2","rule-name":"schema","rule-action":"rename","rule-target":"schema",
  "object-locator":{"schema-name":"public"},"value":"sales"},
 {"rule-type":"transformation","rule-id":"3","rule-name":"lower","rule-action":"convert-lowercase","rule-target":"table",
  "object-locator":{"schema-name":"public","table-name":"%"}},
 {"rule-type":"transformation","rule-id":"5","rule-name":"suffix","rule-action":"remove-suffix","rule-target":"table",
  "object-locator":{"schema-name":"public","table-name":"%"},"value":"_dms"},
 {"rule-type":"transformation","rule-id":"6","rule-name":"fname","rule-action":"rename","rule-target":"column",
  "object-locator":{"schema-name":"public","table-name":"Customer","column-name":"first_name"},"value":"fname"},
 {"rule-type":"transformation","rule-id":"7","rule-name":"no secret","rule-action":"remove-column","rule-target":"column",
  "object-locator":{"schema-name":"public","table-name":"Customer","column-name":"sec%"}},
 {"rule-type":"transformation","rule-id":"8","rule-name":"full name","rule-action":"add-column","rule-target":"column",
  "object-locator":{"schema-name":"public","table-name":"Customer"},"value":"full_name",
  "expression":"$first_name||' '||$last_name","data-type":{"type":"string","length":100}},
 {"rule-type":"transformation","rule-id":"9","rule-name":"op","rule-action":"add-column","rule-target":"column",
  "object-locator":{"schema-name":"public","table-name":"Customer"},"value":"op","expression":"$AR_H_OPERATION",
  "data-type":{"type":"string","length":10}},
 {"rule-type":"transformation","rule-id":"10","rule-name":"committed","rule-action":"add-column","rule-target":"column",
  "object-locator":{"schema-name":"public","table-name":"Customer"},"value":"committed",
  "expression":"$AR_H_COMMIT_TIMESTAMP","data-type":{"type":"datetime","precision":6}},
 {"rule-type":"transformation","rule-id":"11","rule-name":"src","rule-action":"add-column","rule-target":"column",
  "object-locator":{"schema-name":"public","table-name":"Customer"},"value":"src","expression":"$AR_M_SOURCE_TABLE_NAME",
  "data-type":{"type":"string","length":50}},
 {"rule-type":"transformation","rule-id":"12","rule-name":"amount","rule-action":"change-data-type","rule-target":"column",
  "object-locator":{"schema-name":"public","table-name":"Customer","column-name":"amount"},
  "data-type":{"type":"numeric","precision":12,"scale":4}},
 {"rule-type":"transformation","rule-id":"13","rule-name":"born","rule-action":"change-data-type","rule-target":"column",
  "object-locator":{"schema-name":"public","table-name":"Customer","column-name":"born"},"data-type":{"type":"datetime"}},
 {"rule-type":"transformation","rule-id":"14","rule-name":"upper","rule-action":"convert-uppercase","rule-target":"column",
  "object-locator":{"schema-name":"public","table-name":"Customer","column-name":"last_name"}},
 {"rule-type":"transformation","rule-id":"15","rule-name":"key","rule-action":"define-primary-key","rule-target":"table",
  "object-locator":{"schema-name":"public","table-name":"nokey"},"primary-key-def":{"name":"nokey_pk","columns":["a"]}},
 {"rule-type":"transformation","rule-id":"16","rule-name":"answer","rule-action":"add-column","rule-target":"column",
  "object-locator":{"schema-name":"public","table-name":"Customer"},"value":"answer","expression":"42",
  "data-type":{"type":"int4"}}
]
JSON
}
cat >task.json <<JSON
{
  "task": "transform", "migration_type": "full-load-and-cdc",
  "source": {"engine": "postgres", "conninfo": "host=$PGHOST port=$PGPORT dbname=$db user=logtap"},
  "target": {"path": "lake", "IncludeOpForFullLoad": true, "AddColumnName": true, "CdcMaxBatchInterval": 1},
  "table_mappings": {"rules": $(rules)}
}
JSON
run_logtap replicate --config task.json --until now
expect_eq "$rc" 0 "full load with transformation rules"
[ "$rc" -eq 0 ] || echo "$out"
expect_eq "$(cd lake && find . -name 'LOAD*' | sort | tr '\n' ' ')" "./sales/dms_customer/LOAD00000001.csv ./sales/nokey/LOAD00000001.csv ./sales/orders/LOAD00000001.csv " \
  "folders: schema renamed, table lowercased then prefixed (rule-id order), suffix removed"
expect_eq "$(head -1 lake/sales/dms_customer/LOAD00000001.csv)" "Op,id,fname,LAST_NAME,amount,born,at,full_name,op,committed,src,answer,_logtap_pos" \
  "header: renamed, upper-cased, removed and added columns"
snap_time=$(sed -n 2p lake/sales/dms_customer/LOAD00000001.csv | cut -d, -f10)
expect_eq "$(sed -n 2p lake/sales/dms_customer/LOAD00000001.csv | cut -d, -f1-9,11-12)" \
  "I,1,Ada,Lovelace,12.5000,1815-12-10 00:00:00,2024-01-31 12:00:00+00,Ada Lovelace,INSERT,Customer,42" \
  "values: converted numeric and date, concatenation, operation, source table name, constant"
[[ "$snap_time" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}\ [0-9:]{8}\.[0-9]{6}$ ]] && ok "committed is the snapshot's time for full-load rows ($snap_time)" || fail "committed: $snap_time"
expect_eq "$(sed -n 4p lake/sales/dms_customer/LOAD00000001.csv | cut -d, -f1-9)" "I,3,Grace,NULL,NULL,NULL,NULL,NULL,INSERT" \
  "NULL operands give NULL (full_name of a NULL last name)"

psql -d $db -q -v ON_ERROR_STOP=1 <<'SQL'
INSERT INTO "Customer" VALUES (4, 'Edsger', 'Dijkstra', 's4', 7, '1930-05-11', '2024-02-01 00:00:00+00');
UPDATE "Customer" SET last_name = 'King', secret = 'x' WHERE id = 1;
DELETE FROM "Customer" WHERE id = 2;
UPDATE "Customer" SET id = 30 WHERE id = 3;
UPDATE nokey SET b = 'changed' WHERE a = 2;
DELETE FROM nokey WHERE a = 3;
INSERT INTO orders_dms VALUES (3, 'c');
SQL
run_logtap replicate --config task.json --until now
expect_eq "$rc" 0 "changes streamed"
[ "$rc" -eq 0 ] || echo "$out"
cdc=$(find lake/sales/dms_customer -name '2*.csv' | sort)
expect_eq "$(head -1 $cdc)" "Op,id,fname,LAST_NAME,amount,born,at,full_name,op,committed,src,answer,_logtap_pos,_logtap_unchanged" "CDC header"
expect_eq "$(tail -n +2 $cdc | cut -d, -f1,2,5,8,9,12 | tr '\n' ' ')" \
  "I,4,7.0000,Edsger Dijkstra,INSERT,42 U,1,12.5000,Ada King,UPDATE,42 D,2,NULL,NULL,DELETE,42 D,3,NULL,NULL,DELETE,42 I,30,NULL,NULL,INSERT,42 " \
  "CDC values: operation header per change, expression on the new row (a DELETE carries the key only: REPLICA IDENTITY DEFAULT)"
committed=$(sed -n 2p $cdc | cut -d, -f10)
[[ "$committed" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}\ [0-9:]{8}\.[0-9]{6}$ ]] && ok "committed is the change's commit time ($committed)" || fail "committed: $committed"
nk=$(find lake/sales/nokey -name '2*.csv' | sort)
expect_eq "$(tail -n +2 $nk | cut -d, -f1-3 | tr '\n' ' ')" "U,2,changed D,3,b3 " "define-primary-key: the keyless table's UPDATE is one U (not D+I)"
if have_duckdb; then
  got=$(duckdb "SELECT string_agg(fname || '|' || full_name || '|' || CAST(amount AS VARCHAR), ' ' ORDER BY _logtap_pos) FROM read_csv('lake/sales/dms_customer/*.csv', header=true, nullstr='NULL', allow_quoted_nulls=false, union_by_name=true) WHERE Op <> 'D' AND full_name IS NOT NULL")
  expect_eq "$got" "Ada|Ada Lovelace|12.5 Alan|Alan Turing|99.99 Edsger|Edsger Dijkstra|7.0 Ada|Ada King|12.5" "DuckDB reads the renamed and added columns"
else
  echo "skip: DuckDB (cd tests/tools && npm install)"
fi

run_logtap merge --config task.json
expect_eq "$rc" 0 "merge"
[ "$rc" -eq 0 ] || echo "$out"
[ -n "$(find lake/_snapshots/sales/dms_customer -name 'part-00000.csv' 2>/dev/null)" ] && ok "the snapshot is named as the files: sales/dms_customer" || fail "snapshots: $(find lake/_snapshots -type f)"
snapn=$(find lake/_snapshots/sales/nokey -name 'part-00000.csv' | head -1)
expect_eq "$(tail -n +2 "$snapn" | cut -d, -f1,2 | sort | tr '\n' ' ')" "1,b1 2,changed 4,b4 5,b5 " "merge keys the keyless table on the defined key"
run_logtap validate --config task.json
expect_eq "$rc" 0 "validate"
echo "$out" | grep -q "public.Customer .*files: sales.dms_customer; compared: 4 of 11 columns; not compared: amount (converted), born (converted), full_name (added), op (added), committed (added), src (added), answer (added)" \
  && ok "validate says what it compares and what it cannot" || fail "validate: $out"

# the same rules in Parquet (full load): DuckDB reads the types
sed -e 's/"task": "transform"/"task": "transform_pq"/' -e 's/"full-load-and-cdc"/"full-load"/' -e 's/"path": "lake"/"path": "lake-pq", "DataFormat": "parquet"/' task.json >pq.json
run_logtap full-load --config pq.json
expect_eq "$rc" 0 "Parquet full load with the rules"
if have_duckdb; then
  f=lake-pq/sales/dms_customer/LOAD00000001.parquet
  got=$(duckdb "SELECT string_agg(column_name || ':' || column_type, ',') FROM (DESCRIBE SELECT amount, born, full_name, answer, committed FROM read_parquet('$f'))")
  expect_eq "$got" "amount:DECIMAL(12,4),born:TIMESTAMP,full_name:VARCHAR,answer:INTEGER,committed:TIMESTAMP" "Parquet types of converted and added columns"
  got=$(duckdb "SELECT string_agg(CAST(id AS VARCHAR) || '=' || coalesce(CAST(amount AS VARCHAR), 'NULL') || '/' || coalesce(full_name, '-'), ' ' ORDER BY id) FROM read_parquet('$f')")
  expect_eq "$got" "1=12.5000/Ada King 4=7.0000/Edsger Dijkstra 30=NULL/-" "Parquet values"
fi

# rules logtap cannot honour: exit 2 naming the rule
refused() { # refused NAME 'RULE JSON' "EXPECTED TEXT"
  cat >bad.json <<JSON
{"task": "bad", "migration_type": "full-load",
 "source": {"engine": "postgres", "conninfo": "host=$PGHOST port=$PGPORT dbname=$db user=logtap"},
 "target": {"path": "lake-bad"},
 "table_mappings": {"rules": [{"rule-type":"selection","rule-id":"1","rule-name":"all","object-locator":{"schema-name":"public","table-name":"%"},"rule-action":"include"},
   $2]}}
JSON
  run_logtap full-load --config bad.json
  expect_eq "$rc" 2 "$1: exit 2"
  echo "$out" | grep -q "rule-id 77, rule-name \"$1\"" && echo "$out" | grep -q -- "$3" && ok "$1: $(echo "$out" | tail -1 | cut -c1-220)" || fail "$1: $out"
}
loc='"object-locator":{"schema-name":"public","table-name":"Customer"'
refused to-int "{\"rule-type\":\"transformation\",\"rule-id\":\"77\",\"rule-name\":\"to-int\",\"rule-action\":\"change-data-type\",\"rule-target\":\"column\",$loc,\"column-name\":\"last_name\"},\"data-type\":{\"type\":\"int4\"}}" "could change values"
refused arith "{\"rule-type\":\"transformation\",\"rule-id\":\"77\",\"rule-name\":\"arith\",\"rule-action\":\"add-column\",\"rule-target\":\"column\",$loc},\"value\":\"x\",\"expression\":\"\$id + 1\",\"data-type\":{\"type\":\"int8\"}}" "not supported"
refused seq "{\"rule-type\":\"transformation\",\"rule-id\":\"77\",\"rule-name\":\"seq\",\"rule-action\":\"add-column\",\"rule-target\":\"column\",$loc},\"value\":\"x\",\"expression\":\"\$AR_H_CHANGE_SEQ\",\"data-type\":{\"type\":\"string\"}}" "AR_H_CHANGE_SEQ is not supported"
refused collide "{\"rule-type\":\"transformation\",\"rule-id\":\"77\",\"rule-name\":\"collide\",\"rule-action\":\"rename\",\"rule-target\":\"column\",$loc,\"column-name\":\"first_name\"},\"value\":\"last_name\"}" "two columns"
refused nokey "{\"rule-type\":\"transformation\",\"rule-id\":\"77\",\"rule-name\":\"nokey\",\"rule-action\":\"remove-column\",\"rule-target\":\"column\",$loc,\"column-name\":\"id\"}}" "key column"
refused bi "{\"rule-type\":\"transformation\",\"rule-id\":\"77\",\"rule-name\":\"bi\",\"rule-action\":\"add-before-image-columns\",\"rule-target\":\"column\",$loc},\"before-image-def\":{\"column-prefix\":\"BI_\"}}" "before images"
refused unknown "{\"rule-type\":\"transformation\",\"rule-id\":\"77\",\"rule-name\":\"unknown\",\"rule-action\":\"shuffle\",\"rule-target\":\"column\",$loc}}" "not a DMS transformation action"
refused tagging "{\"rule-type\":\"post-processing\",\"rule-id\":\"77\",\"rule-name\":\"tagging\",\"rule-action\":\"add-tag\",$loc}}" "object tags"
refused pkmissing "{\"rule-type\":\"transformation\",\"rule-id\":\"77\",\"rule-name\":\"pkmissing\",\"rule-action\":\"define-primary-key\",\"rule-target\":\"table\",$loc},\"primary-key-def\":{\"name\":\"k\",\"columns\":[\"nope\"]}}" "has no column nope"
sql $db "SELECT pg_drop_replication_slot('logtap_transform')" >/dev/null
finish
