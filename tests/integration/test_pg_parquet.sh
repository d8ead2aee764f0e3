#!/usr/bin/env bash
# PostgreSQL to Parquet, end to end: a full load of a table with the common types written as Parquet (zstd) and as
# CSV; DuckDB reads both and the Parquet values equal the CSV values cast to the same types (EXCEPT ALL both ways).
# Then CDC into Parquet: DuckDB reads the change files with their Op and _logtap_pos columns.
source "$LOGTAP_SOURCE_DIR/tests/lib/itest.sh"
require_pg
have_duckdb || { echo "skip: DuckDB (tests/tools/node_modules) is not installed"; exit 77; }
dir=$(test_dir)
db=lt_parquet
fresh_db $db
psql -d $db -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE TABLE typed (
  id int PRIMARY KEY, i2 int2, i8 int8, num numeric(38,10), num_small numeric(9,2), f4 float4, f8 float8, t text,
  b bool, d date, ts timestamp, tstz timestamptz, tm time, by bytea, js jsonb, u uuid, arr int[]
);
INSERT INTO typed
SELECT g, (g % 30000)::int2, g::int8 * 1000000007, (g * 12345.6789012345)::numeric(38,10), (g % 1000 + 0.25)::numeric(9,2),
       g / 7.0::float4, g / 3.0::float8, CASE WHEN g % 7 = 0 THEN NULL WHEN g % 11 = 0 THEN '' ELSE 'text ' || g || ' é,"x"' END,
       g % 2 = 0, date '2000-01-01' + g, timestamp '2020-02-29 01:02:03.456789' + g * interval '17 minutes 3.000001 seconds',
       timestamptz '1969-07-20 20:17:40+00' + g * interval '1 day 1 microsecond', time '00:00:00' + g * interval '1.5 seconds',
       decode(md5(g::text), 'hex'), jsonb_build_object('g', g, 'tags', jsonb_build_array('a', g)),
       md5(g::text)::uuid, ARRAY[g, -g]
FROM generate_series(1, 5000) g;
INSERT INTO typed (id) VALUES (0);
INSERT INTO typed VALUES (-1, -32768, -9223372036854775808, -9999999999999999999999999999.9999999999, -9999999.99,
  '-Infinity', 'NaN', 'unicode ☃ 🐘', false, '1900-01-01', '1900-01-01 00:00:00', '1900-01-01 00:00:00+00', '23:59:59.999999',
  '\x', '{}', '00000000-0000-0000-0000-000000000000', '{}');
SQL
cd "$dir"
rules='[{"rule-type":"selection","rule-id":"1","rule-name":"1","object-locator":{"schema-name":"public","table-name":"typed"},"rule-action":"include"}]'
write_pg_config csv.json $db '' "$rules"
sed 's/"path": "lake"/"path": "lakecsv"/' csv.json > c.json
run_logtap full-load --config c.json
expect_eq "$rc" 0 "CSV full load"
write_pg_config pq.json $db '"DataFormat": "parquet", "CompressionType": "zstd", "IncludeOpForFullLoad": true' "$rules"
run_logtap full-load --config pq.json
expect_eq "$rc" 0 "Parquet full load"
[ "$rc" -eq 0 ] || echo "$out"
pq="$dir/lake/public/typed/LOAD00000001.parquet"
csv="$dir/lakecsv/public/typed/LOAD00000001.csv"
cols="id, i2, i8, num, num_small, f4, f8, t, b, d, ts, tstz, tm, hexby, js, u, arr"
from_parquet="SELECT id, i2, i8, num, num_small, f4, f8, t, b, d, ts, tstz, tm, lower(hex(\"by\")) AS hexby, js::VARCHAR AS js, u, arr FROM read_parquet('$pq')"
from_csv="SELECT id::INTEGER AS id, i2::SMALLINT AS i2, i8::BIGINT AS i8, num::DECIMAL(38,10) AS num,
  num_small::DECIMAL(9,2) AS num_small, f4::FLOAT AS f4, f8::DOUBLE AS f8, t, b::BOOLEAN AS b, d::DATE AS d,
  ts::TIMESTAMP AS ts, tstz::TIMESTAMPTZ AS tstz, tm::TIME AS tm, substr(\"by\", 3) AS hexby, js, u::UUID AS u, arr
  FROM read_csv('$csv', header=false, nullstr='NULL', allow_quoted_nulls=false, all_varchar=true,
    names=['id','i2','i8','num','num_small','f4','f8','t','b','d','ts','tstz','tm','by','js','u','arr','_logtap_pos'])"
got=$(duckdb "SET TimeZone='UTC'" "SELECT count(*) FROM (($from_parquet EXCEPT ALL $from_csv) UNION ALL ($from_csv EXCEPT ALL $from_parquet))")
expect_eq "$got" 0 "DuckDB: Parquet values equal the CSV values (5002 rows, 17 types)"
got=$(duckdb "SELECT count(*), count(t), min(Op), max(Op), count(DISTINCT _logtap_pos) FROM read_parquet('$pq')")
expect_eq "$got" "$(printf '5002\t4287\tI\tI\t1')" "DuckDB: row count, NULLs, Op column, one snapshot position"
got=$(duckdb "SELECT DISTINCT compression FROM parquet_metadata('$pq') WHERE path_in_schema = 'num'")
expect_eq "$got" "ZSTD" "column chunks are zstd-compressed"
got=$(duckdb "SELECT typeof(num), typeof(ts), typeof(tstz), typeof(u), typeof(i2) FROM read_parquet('$pq') LIMIT 1")
expect_eq "$got" "$(printf 'DECIMAL(38,10)\tTIMESTAMP\tTIMESTAMP WITH TIME ZONE\tUUID\tSMALLINT')" "logical types as DuckDB sees them"

# CDC into Parquet
cat >cdc.json <<JSON
{"task": "pqcdc", "migration_type": "full-load-and-cdc",
 "source": {"engine": "postgres", "conninfo": "host=$PGHOST port=$PGPORT dbname=$db user=logtap", "slot": "lt_pq_slot"},
 "target": {"path": "lakecdc", "DataFormat": "parquet", "TimestampColumnName": "commit_ts"},
 "table_mappings": {"rules": $rules}}
JSON
run_logtap replicate --config cdc.json --until now
expect_eq "$rc" 0 "full-load-and-cdc into Parquet"
sql $db "UPDATE typed SET t = 'changed' WHERE id BETWEEN 1 AND 100; DELETE FROM typed WHERE id BETWEEN 101 AND 150;
         INSERT INTO typed (id, t) VALUES (9001, 'new')" >/dev/null
run_logtap replicate --config cdc.json --until now
expect_eq "$rc" 0 "CDC into Parquet --until now"
files=$(find lakecdc/public/typed -name '2*.parquet' | sort | sed "s|^|'$dir/|; s|$|'|" | paste -sd,)
got=$(duckdb "SELECT Op, count(*) FROM read_parquet([$files]) GROUP BY Op ORDER BY Op")
expect_eq "$got" "$(printf 'D\t50\nI\t1\nU\t100')" "DuckDB reads the CDC Parquet files: 100 U, 50 D, 1 I"
got=$(duckdb "SELECT count(*) FROM read_parquet([$files]) WHERE commit_ts IS NULL OR _logtap_pos IS NULL OR _logtap_unchanged IS NULL")
expect_eq "$got" 0 "commit_ts, _logtap_pos and _logtap_unchanged are set"
run_logtap merge --config cdc.json
expect_eq "$rc" 0 "merge into a Parquet snapshot"
snap=$(ls -d "$dir"/lakecdc/_snapshots/public/typed/snapshot=*)/part-00000.parquet
got=$(duckdb "SELECT count(*), count(*) FILTER (WHERE t = 'changed'), count(*) FILTER (WHERE id = 9001) FROM read_parquet('$snap')")
expect_eq "$got" "$(printf '4953\t100\t1')" "DuckDB reads the Parquet snapshot: 5002 - 50 + 1 rows, updates applied"
run_logtap validate --config cdc.json
expect_eq "$rc" 0 "validate: the Parquet snapshot equals the source (count and checksum)"
[ "$rc" -eq 0 ] || echo "$out"
sql $db "SELECT pg_drop_replication_slot('lt_pq_slot')" >/dev/null

# Timestamps in milliseconds (ParquetTimestampInMillisecond): validate cuts the source's timestamps the same way,
# so equal tables validate (microseconds in ts and tstz above would differ otherwise)
sed 's/"pqcdc"/"pqms"/; s/lt_pq_slot/lt_pq_ms/; s/"lakecdc"/"lakems"/; s/"DataFormat": "parquet"/"DataFormat": "parquet", "ParquetTimestampInMillisecond": true/' cdc.json >ms.json
run_logtap replicate --config ms.json --until now
expect_eq "$rc" 0 "full-load-and-cdc into Parquet with timestamps in milliseconds"
run_logtap merge --config ms.json
expect_eq "$rc" 0 "merge (milliseconds)"
run_logtap validate --config ms.json
expect_eq "$rc" 0 "validate of a table with sub-millisecond timestamps, files in milliseconds: equal"
[ "$rc" -eq 0 ] || echo "$out"
sql $db "SELECT pg_drop_replication_slot('lt_pq_ms')" >/dev/null
finish
