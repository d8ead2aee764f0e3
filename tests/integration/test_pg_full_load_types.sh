#!/usr/bin/env bash
# PostgreSQL full load to CSV: every common type, awkward text, NULL vs empty string, quoted mixed-case names,
# an empty table, a partitioned table (written once under its root), generated columns left out, a hostile table
# name kept inside the target path. Files are read back with PostgreSQL's own COPY ... FROM ... CSV into copies of
# the tables and compared with EXCEPT ALL both ways; DuckDB reads them too.
source "$LOGTAP_SOURCE_DIR/tests/lib/itest.sh"
require_pg
dir=$(test_dir)
db=lt_types
fresh_db $db

psql -d $db -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE all_types (
  id int PRIMARY KEY, i2 int2, i4 int4, i8 int8, num numeric(38,10), num_free numeric, f4 float4, f8 float8,
  t text, vc varchar(20), ch char(5), b bool, d date, ts timestamp, tstz timestamptz, tm time, tmtz timetz,
  iv interval, by bytea, js json, jsb jsonb, u uuid, arr int[], tarr text[], m mood, inet_c inet, rng int4range
);
INSERT INTO all_types VALUES
 (1, 32767, 2147483647, 9223372036854775807, 1234567890123456789012345678.0123456789, 3.14159265358979323846264338327950288,
  3.4028235e38, 1.7976931348623157e308, 'plain', 'varchar', 'ab', true, '2024-01-31', '2024-01-31 12:00:00.123456',
  '2024-01-31 12:00:00.123456+02', '23:59:59.999999', '10:00:00+05:30', '1 year 2 mons 3 days 04:05:06.789',
  '\x00ff10', '{"a": [1, 2, {"b": null}]}', '{"z": 1, "a": "x"}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
  '{1,2,NULL}', '{"a,b","c\"d",NULL,""}', 'happy', '192.168.0.1/24', '[1,10)'),
 (2, -32768, -2147483648, -9223372036854775808, -0.0000000001, 'NaN', '-Infinity', 'Infinity',
  E'comma, "quote", new\nline, cr\r, tab\t, backslash \\ end', '', '', false, '0001-01-01 BC', '1900-01-01 00:00:00',
  '1969-12-31 23:59:59.999999+00', '00:00:00', '00:00:00+00', '-1 days', '\x', '[]', '[]',
  '00000000-0000-0000-0000-000000000000', '{}', '{}', 'sad', '::1', 'empty'),
 (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (4, 0, 0, 0, 0, 0, 0, -0, 'NULL', 'null', 'NULL', true, 'infinity', 'infinity', '-infinity', '12:00', '12:00-08',
  '0', '\x4e554c4c', '"NULL"', 'null', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '{{1,2},{3,4}}', '{NULL}', 'ok',
  '10.0.0.0/8', '(,)'),
 (5, 1, 1, 1, 1, 1e-20, 1.5, 0.1, 'unicode: héllo wörld ☃ 🐘 日本語', 'ÅÄÖ', 'ñ', true, '2262-04-11',
  '2262-04-11 23:47:16.854775', '9999-12-31 23:59:59.999999+00', '01:02:03.5', '01:02:03.5+14', '1 mon',
  '\xdeadbeef', '"string"', '{"nested": {"deep": [true, false]}}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12',
  '{-1}', '{" leading space","trailing space "}', 'sad', '2001:db8::/32', '[-5,5]');

CREATE TABLE "MixedCase Table" ("Id" int PRIMARY KEY, "Weird, Column" text, "quote""col" text);
INSERT INTO "MixedCase Table" VALUES (1, 'x', 'y'), (2, NULL, '');
CREATE TABLE empty_table (id int PRIMARY KEY, v text);
CREATE TABLE "../../escape" (id int);
INSERT INTO "../../escape" VALUES (42);
CREATE TABLE gen (id int PRIMARY KEY, a int, doubled int GENERATED ALWAYS AS (a * 2) STORED);
INSERT INTO gen (id, a) VALUES (1, 10), (2, NULL);
CREATE TABLE parted (id int, region text, v numeric(10,2), PRIMARY KEY (id, region)) PARTITION BY LIST (region);
CREATE TABLE parted_eu PARTITION OF parted FOR VALUES IN ('eu');
CREATE TABLE parted_us PARTITION OF parted FOR VALUES IN ('us');
INSERT INTO parted SELECT g, CASE WHEN g % 2 = 0 THEN 'eu' ELSE 'us' END, g * 1.25 FROM generate_series(1, 100) g;
CREATE SCHEMA other;
CREATE TABLE other.skipped (id int);
SQL

cd "$dir"
rules='[{"rule-type":"selection","rule-id":"1","rule-name":"1","object-locator":{"schema-name":"public","table-name":"%"},"rule-action":"include"},
        {"rule-type":"selection","rule-id":"2","rule-name":"2","object-locator":{"schema-name":"public","table-name":"skip%"},"rule-action":"exclude"}]'
write_pg_config task.json $db '"IncludeOpForFullLoad": true, "AddColumnName": true, "MaxFullLoadSubTasks": 3' "$rules"
run_logtap full-load --config task.json
expect_eq "$rc" 0 "full-load exits 0"
[ "$rc" -eq 0 ] || echo "$out"

for f in public/all_types/LOAD00000001.csv "public/MixedCase%20Table/LOAD00000001.csv" \
         "public/%2E.%2F..%2Fescape/LOAD00000001.csv" public/gen/LOAD00000001.csv \
         public/parted/LOAD00000001.csv; do
  if [ -f "lake/$f" ]; then ok "file $f"; else fail "missing lake/$f"; fi
done
[ ! -e lake/other ] && ok "schema other not selected" || fail "schema other was loaded"
[ ! -e lake/public/parted_eu ] && ok "partitions not written separately" || fail "partition written separately"
leaked=$(find "$dir" -name escape -not -path "$dir/lake/*" | wc -l)
expect_eq "$leaked" 0 "hostile table name stays inside the target path"
expect_eq "$(find lake -name '*.tmp' | wc -l)" 0 "no temp files left"
expect_eq "$(head -1 lake/public/gen/LOAD00000001.csv)" "Op,id,a,_logtap_pos" "generated column left out, header row"

# Read every file back with PostgreSQL's COPY ... CSV into a copy of the table, compare both ways.
compare_table() { # compare_table "quoted table" file "column list"
  local t=$1 f=$2 cols=$3
  sql $db "DROP TABLE IF EXISTS chk; CREATE TABLE chk (op text, LIKE $t, _logtap_pos text)" >/dev/null
  psql -d $db -q -v ON_ERROR_STOP=1 -c "\\copy chk FROM '$f' WITH (FORMAT csv, HEADER true, NULL 'NULL')"
  local diff
  diff=$(sql $db "SELECT count(*) FROM (
      (SELECT ROW($cols)::text FROM $t EXCEPT ALL SELECT ROW($cols)::text FROM chk)
      UNION ALL (SELECT ROW($cols)::text FROM chk EXCEPT ALL SELECT ROW($cols)::text FROM $t)) d")
  expect_eq "$diff" 0 "$t read back with COPY FROM equals the source"
  expect_eq "$(sql $db "SELECT count(*) FROM chk WHERE op <> 'I' OR _logtap_pos IS NULL")" 0 "$t: Op is I, position set"
}
allcols="id,i2,i4,i8,num,num_free,f4,f8,t,vc,ch,b,d,ts,tstz,tm,tmtz,iv,by,js::text,jsb,u,arr,tarr,m,inet_c,rng"
compare_table all_types "$dir/lake/public/all_types/LOAD00000001.csv" "$allcols"
compare_table '"MixedCase Table"' "$dir/lake/public/MixedCase%20Table/LOAD00000001.csv" '"Id","Weird, Column","quote""col"'
compare_table parted "$dir/lake/public/parted/LOAD00000001.csv" "id,region,v"
[ ! -e lake/public/empty_table ] && ok "empty table: no folder, as DMS" || fail "empty table wrote files"
expect_eq "$(grep -c '' lake/public/parted/LOAD00000001.csv)" 101 "partitioned table: 100 rows once"
expect_eq "$(sed -n 2p lake/public/all_types/LOAD00000001.csv | cut -c1-2)" "I," "Op column first"
pos=$(sed -n 2p "lake/public/MixedCase%20Table/LOAD00000001.csv" | awk -F, '{print $NF}')
[[ "$pos" =~ ^[0-9A-F]{8}/[0-9A-F]{8}:00000000000000000000$ ]] && ok "_logtap_pos is the snapshot LSN with sequence 0" \
  || fail "_logtap_pos looks wrong: $pos"

# DuckDB, an independent reader, reads the same files.
if have_duckdb; then
  got=$(duckdb "SELECT count(*), count(t), count(*) FILTER (WHERE t = ''), max(id) FROM read_csv('$dir/lake/public/all_types/LOAD00000001.csv', header=true, nullstr='NULL', allow_quoted_nulls=false, all_varchar=true)")
  expect_eq "$got" "$(printf '5\t4\t0\t5')" "DuckDB reads all_types (NULL vs 'NULL' text distinct)"
  got=$(duckdb "SELECT vc FROM read_csv('$dir/lake/public/all_types/LOAD00000001.csv', header=true, nullstr='NULL', allow_quoted_nulls=false, all_varchar=true) WHERE id = '2'")
  expect_eq "$got" "" "DuckDB reads the empty string as empty, not NULL"
  got=$(duckdb "SELECT t FROM read_csv('$dir/lake/public/all_types/LOAD00000001.csv', header=true, nullstr='NULL', allow_quoted_nulls=false, all_varchar=true) WHERE id = '5'")
  expect_eq "$got" "unicode: héllo wörld ☃ 🐘 日本語" "DuckDB reads unicode text"
else
  echo "skip: DuckDB (tests/tools/node_modules) is not installed"
fi

# status
run_logtap status --config task.json --json
expect_eq "$rc" 0 "status --json exits 0"
expect_eq "$(echo "$out" | grep -o '"state":"loaded"' | wc -l)" 6 "status: six tables loaded"
echo "$out" | grep -q '"full_load_rows":100' && ok "status shows full-load rows" || fail "status lacks rows: $out"
run_logtap status --config task.json
expect_eq "$rc" 0 "status exits 0"
echo "$out" | grep -q 'public.parted .*loaded .*100' && ok "status table" || fail "status text: $out"
finish
