#!/usr/bin/env bash
# DuckDB as the independent judge of logtap's Parquet files: the sample files written by the
# test_parquet_duckdb_files unit binary (every canonical type, every codec, page v1/v2, dictionary/plain) must read
# back in DuckDB as exactly the expected typed values (compared in SQL with EXCEPT ALL both ways), parquet_metadata()
# must show our encodings, codecs and statistics, and logtap's reader must read files DuckDB wrote itself.
set -u
: "${LOGTAP_BIN:?}" "${LOGTAP_SOURCE_DIR:?}"
TOOLS="$LOGTAP_SOURCE_DIR/tests/tools"
HELPER="$(dirname "$LOGTAP_BIN")/tests/test_parquet_duckdb_files"
[ -x "$HELPER" ] || HELPER="$(dirname "$LOGTAP_BIN")/test_parquet_duckdb_files"
if [ ! -d "$TOOLS/node_modules/@duckdb/node-api" ]; then
  echo "SKIP: DuckDB node module missing (run npm install in tests/tools)"; exit 77
fi
command -v node >/dev/null || { echo "SKIP: node not installed"; exit 77; }
[ -x "$HELPER" ] || { echo "SKIP: helper binary test_parquet_duckdb_files not built"; exit 77; }

OUT="${LOGTAP_TEST_TMP:-/tmp}/parquet_duckdb.$$"
rm -rf "$OUT"; mkdir -p "$OUT"
trap 'rm -rf "$OUT"' EXIT
LOGTAP_PARQUET_OUT="$OUT" "$HELPER" >"$OUT/helper.log" 2>&1 || { cat "$OUT/helper.log"; echo "FAIL: writing sample files"; exit 1; }

fails=0
q() { node "$TOOLS/duckdb_query.mjs" "SET TimeZone='UTC'" "$@"; }
expect() { # name expected actual
  if [ "$2" == "$3" ]; then echo "ok   $1"; else echo "FAIL $1"; echo "  expected: $2"; echo "  actual:   $3"; fails=$((fails+1)); fi
}

# The sample rows 0..4 (row 5 holds infinities whose encodings DuckDB reads differently) as DuckDB values.
EXPECTED="CREATE TABLE expected AS SELECT * FROM (VALUES
 ('I', '2024-01-31 12:00:00.123456', true, 32767::SMALLINT, 2147483647::INTEGER, 9223372036854775807::BIGINT,
  '3.4028235e+38'::FLOAT, '1.7976931348623157e+308'::DOUBLE, 9999999.99::DECIMAL(9,2),
  99999999999999.9999::DECIMAL(18,4), '9999999999999999999999999999.9999999999'::DECIMAL(38,10),
  '123456789012345678901234567890.123456789', 'hello', '\\xde\\xad\\xbe\\xef'::BLOB, DATE '2024-02-29',
  TIME '23:59:59.999999', TIMESTAMP '2024-01-31 12:00:00.123456', TIMESTAMPTZ '2024-01-31 12:00:00.123456+00',
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::UUID, '000000000000000000000000', '{\"a\": 1}'),
 ('U', '2024-01-31 12:00:00.123457', false, '-32768'::SMALLINT, '-2147483648'::INTEGER, '-9223372036854775808'::BIGINT,
  '-1.5'::FLOAT, '-1e-06'::DOUBLE, '-12.5'::DECIMAL(9,2), '-0.0001'::DECIMAL(18,4),
  '-9999999999999999999999999999.9999999999'::DECIMAL(38,10), '-0.5', '', ''::BLOB, DATE '1969-12-31',
  TIME '00:00:00', TIMESTAMP '1900-01-01 00:00:00', TIMESTAMPTZ '1969-07-20 18:17:40+00',
  '00000000-0000-0000-0000-000000000000'::UUID, '000000000000000100000000', '[]'),
 ('D', '2024-01-31 12:00:00.123458', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, '000000000000000200000000', NULL),
 ('I', '2024-01-31 12:00:00.123459', true, 0::SMALLINT, 0::INTEGER, 0::BIGINT, 'NaN'::FLOAT, 'Infinity'::DOUBLE,
  0::DECIMAL(9,2), 0::DECIMAL(18,4), 0::DECIMAL(38,10), '0', 'héllo wörld ✓ 日', '\\x00\\xff'::BLOB,
  DATE '0044-03-15 (BC)', TIME '12:00:00.5', TIMESTAMP '0001-01-01 00:00:00', TIMESTAMPTZ '2000-01-01 05:30:00+00',
  'ffffffff-ffff-ffff-ffff-ffffffffffff'::UUID, '000000000000000300000000', '{\"k\": \"v\"}'),
 ('U', '2024-01-31 12:00:00.123460', false, '-1'::SMALLINT, '-1'::INTEGER, '-1'::BIGINT, '-Infinity'::FLOAT,
  '-Infinity'::DOUBLE, 0.01::DECIMAL(9,2), 1::DECIMAL(18,4), 0.0000000001::DECIMAL(38,10), '1e5',
  'a,b' || chr(10) || '\"c\"', '\\x00'::BLOB, 'infinity'::DATE, TIME '24:00:00',
  TIMESTAMP '1970-01-01 00:00:00.000001', TIMESTAMPTZ '1969-12-31 23:59:59.999999+00',
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::UUID, '000000000000000400000000', 'null')
) t(Op, commit_ts, b, i16, i32, i64, f32, f64, d9, d18, d38, num, t, \"by\", dt, tm, ts, tz, u, _logtap_pos, js)"

diff_count() { # file [timestamp rewrite]
  local f="$1"
  q "$EXPECTED" "WITH got AS (SELECT * EXCLUDE (js), CAST(js AS VARCHAR) AS js FROM read_parquet('$f')
       WHERE _logtap_pos < '000000000000000500000000')
     SELECT (SELECT count(*) FROM (SELECT * FROM got EXCEPT ALL SELECT * FROM expected))
          + (SELECT count(*) FROM (SELECT * FROM expected EXCEPT ALL SELECT * FROM got))"
}

for f in "$OUT"/types_*_v[12]_*.parquet; do
  expect "values $(basename "$f")" "0" "$(diff_count "$f" 2>&1)"
done

# the last sample row: +infinity timestamp / date, and the -infinity DuckDB spells as -INT_MAX
expect "infinities" "infinity	-infinity	-infinity" \
  "$(q "SELECT CAST(ts AS VARCHAR), CAST(tz AS VARCHAR), CAST(dt AS VARCHAR) FROM read_parquet('$OUT/types_snappy_v1_rledict.parquet') WHERE _logtap_pos = '000000000000000500000000'" 2>&1)"

# column types as DuckDB sees them
expect "schema" "Op:VARCHAR commit_ts:VARCHAR b:BOOLEAN i16:SMALLINT i32:INTEGER i64:BIGINT f32:FLOAT f64:DOUBLE d9:DECIMAL(9,2) d18:DECIMAL(18,4) d38:DECIMAL(38,10) num:VARCHAR t:VARCHAR by:BLOB dt:DATE tm:TIME ts:TIMESTAMP tz:TIMESTAMP WITH TIME ZONE js:JSON u:UUID _logtap_pos:VARCHAR" \
  "$(q "SELECT string_agg(column_name || ':' || column_type, ' ') FROM (DESCRIBE SELECT * FROM read_parquet('$OUT/types_zstd_v2_rledict.parquet'))" 2>&1)"

# millisecond timestamps
expect "millis" "2024-01-31 12:00:00.123	2024-01-31 12:00:00.123+00|1900-01-01 00:00:00	1969-07-20 18:17:40+00" \
  "$(q "SELECT CAST(ts AS VARCHAR), CAST(tz AS VARCHAR) FROM read_parquet('$OUT/types_ms.parquet') WHERE ts IS NOT NULL ORDER BY _logtap_pos LIMIT 2" 2>&1 | paste -sd'|')"
expect "millis unit" "isAdjustedToUTC=0 MILLIS=MilliSeconds()" \
  "$(q "SELECT regexp_extract(logical_type, 'isAdjustedToUTC=[0-9]') || ' ' || regexp_extract(logical_type, 'MILLIS=[A-Za-z()]+') FROM parquet_schema('$OUT/types_ms.parquet') WHERE name = 'ts'" 2>&1)"

# empty file, multi-row-group file, CDC file
expect "empty" "0	21" "$(q "SELECT (SELECT count(*) FROM read_parquet('$OUT/empty.parquet')), (SELECT count(*) FROM (DESCRIBE SELECT * FROM read_parquet('$OUT/empty.parquet')))" 2>&1)"
expect "multi rows" "120000	120000	20000	3" \
  "$(q "SELECT count(*), count(DISTINCT _logtap_pos), count(*) FILTER (WHERE i64 = 9223372036854775807), (SELECT count(DISTINCT row_group_id) FROM parquet_metadata('$OUT/multi.parquet')) FROM read_parquet('$OUT/multi.parquet')" 2>&1)"
expect "multi values" "0" "$(q "$EXPECTED" "WITH got AS (SELECT * EXCLUDE (js), CAST(js AS VARCHAR) AS js FROM read_parquet('$OUT/multi.parquet')
   WHERE substr(_logtap_pos, 1, 16) < '0000000000000005')
   SELECT count(*) FROM (SELECT * EXCLUDE (_logtap_pos) FROM got EXCEPT SELECT * EXCLUDE (_logtap_pos) FROM expected)" 2>&1)"
expect "dictionary fallback" "RLE, PLAIN, RLE_DICTIONARY" \
  "$(q "SELECT encodings FROM parquet_metadata('$OUT/multi.parquet') WHERE path_in_schema = '_logtap_pos' AND row_group_id = 0" 2>&1)"
expect "cdc" "I	hello	{\"a\": 1}	|U	\\N	\\N	t,js" \
  "$(q "SELECT Op, t, js, _logtap_unchanged FROM read_parquet('$OUT/cdc.parquet') ORDER BY _logtap_pos" 2>&1 | paste -sd'|')"
expect "bare" "b i16 i32 i64 f32 f64 d9 d18 d38 num t by dt tm ts tz js u _logtap_pos|0" \
  "$({ q "SELECT string_agg(column_name, ' ') FROM (DESCRIBE SELECT * FROM read_parquet('$OUT/bare.parquet'))" 2>&1; q "SELECT count(*) FROM parquet_metadata('$OUT/bare.parquet') WHERE stats_min_value IS NOT NULL OR stats_null_count IS NOT NULL" 2>&1; } | paste -sd'|')"

# metadata: codecs, encodings, statistics
for codec in none:UNCOMPRESSED snappy:SNAPPY gzip:GZIP zstd:ZSTD; do
  expect "codec ${codec%%:*}" "${codec#*:}" \
    "$(q "SELECT DISTINCT compression FROM parquet_metadata('$OUT/types_${codec%%:*}_v1_rledict.parquet')" 2>&1)"
done
expect "encodings rle_dictionary" "RLE, PLAIN, RLE_DICTIONARY" \
  "$(q "SELECT encodings FROM parquet_metadata('$OUT/types_snappy_v1_rledict.parquet') WHERE path_in_schema = 'i64'" 2>&1)"
expect "encodings plain_dictionary" "RLE, PLAIN_DICTIONARY" \
  "$(q "SELECT encodings FROM parquet_metadata('$OUT/types_snappy_v1_plaindict.parquet') WHERE path_in_schema = 'i64'" 2>&1)"
expect "encodings plain" "RLE, PLAIN" \
  "$(q "SELECT encodings FROM parquet_metadata('$OUT/types_snappy_v1_plain.parquet') WHERE path_in_schema = 'i64'" 2>&1)"
expect "statistics" "i64	-9223372036854775808	9223372036854775807	1|d38	-9999999999999999999999999999.9999999999	9999999999999999999999999999.9999999999	1|t		plain	1|u	00000000-0000-0000-0000-000000000000	ffffffff-ffff-ffff-ffff-ffffffffffff	1|_logtap_pos	000000000000000000000000	000000000000000500000000	0" \
  "$(q "SELECT path_in_schema, stats_min_value, stats_max_value, stats_null_count FROM parquet_metadata('$OUT/types_gzip_v2_rledict.parquet') WHERE path_in_schema IN ('i64', 'd38', 't', 'u', '_logtap_pos') ORDER BY column_id" 2>&1 | paste -sd'|')"
expect "created_by" "logtap version" "$(q "SELECT regexp_extract(created_by, '^logtap version') FROM parquet_file_metadata('$OUT/types_none_v1_plain.parquet')" 2>&1)"
# DuckDB filter pushdown through our statistics
expect "pushdown" "1" "$(q "SELECT count(*) FROM read_parquet('$OUT/types_zstd_v1_rledict.parquet') WHERE d38 > 9999999999999999999999999999 AND i16 = 32767" 2>&1)"

# logtap's reader on files DuckDB wrote
if LOGTAP_PARQUET_READ=/dev/null "$HELPER" 2>&1 | grep -q 'reader ready'; then
  SRC="SELECT i::INTEGER AS i, i::BIGINT * 1000000007 AS big, (i % 7 = 0) AS flag, i / 8.0 AS dbl, (i * 1.5)::FLOAT AS flt,
    CAST(i * 1.25 AS DECIMAL(9,2)) AS d9, CAST(i * 1.25 AS DECIMAL(18,3)) AS d18, CAST(i * 1.25 AS DECIMAL(38,5)) AS d38,
    'row ' || i AS s, DATE '2000-01-01' + i::INTEGER AS dt, TIMESTAMP '2000-01-01 00:00:00' + i * INTERVAL 1 SECOND + i * INTERVAL 7 MICROSECOND AS ts,
    CASE WHEN i % 3 = 0 THEN NULL ELSE 'v' || (i % 5) END AS maybe, encode('b' || i) AS bl
    FROM range(0, 5000) t(i)"
  for codec in snappy gzip zstd uncompressed; do
    q "COPY ($SRC) TO '$OUT/duck_$codec.parquet' (FORMAT parquet, COMPRESSION $codec, ROW_GROUP_SIZE 2048)" >/dev/null 2>&1
    expected="$(q "SELECT i, big, CASE WHEN flag THEN 't' ELSE 'f' END, dbl, flt, d9, d18, d38, s, dt, ts, coalesce(maybe, '\\N'), '\\x' || lower(hex(bl)) FROM read_parquet('$OUT/duck_$codec.parquet')" 2>&1 | md5sum)"
    actual="$(LOGTAP_PARQUET_READ="$OUT/duck_$codec.parquet" "$HELPER" 2>&1 | grep -v 'reader ready' | md5sum)"
    expect "our reader on DuckDB $codec" "$expected" "$actual"
  done
  # more types: smallint, decimal(38,10), dates before 1970, time, timestamptz, unicode, JSON, UUID, NULLs
  SRC2="SELECT i::SMALLINT AS s16, CAST((i - 2500) / 7 AS DECIMAL(38,10)) AS d38, DATE '1969-12-25' + i::INTEGER AS dt,
    TIME '00:00:00' + i * INTERVAL 17 SECOND + i * INTERVAL 3 MICROSECOND AS tm,
    TIMESTAMPTZ '1960-01-01 00:00:00+00' + i * INTERVAL 1 DAY + i * INTERVAL 1 MICROSECOND AS tz,
    CASE WHEN i % 4 = 0 THEN NULL ELSE 'ünï ' || i END AS u, ('{\"k\":' || i || '}')::JSON AS js,
    ('00000000-0000-0000-0000-' || lpad(i::VARCHAR, 12, '0'))::UUID AS id FROM range(0, 3000) t(i)"
  q "COPY ($SRC2) TO '$OUT/duck_types.parquet' (FORMAT parquet)" >/dev/null 2>&1
  expected="$(q "SELECT s16, d38, dt, tm, tz, coalesce(u, '\N'), js, id FROM read_parquet('$OUT/duck_types.parquet')" 2>&1 | md5sum)"
  actual="$(LOGTAP_PARQUET_READ="$OUT/duck_types.parquet" "$HELPER" 2>&1 | grep -v 'reader ready' | md5sum)"
  expect "our reader on DuckDB types" "$expected" "$actual"
else
  echo "FAIL our reader: the helper binary has no reader mode"; fails=$((fails+1))
fi

if [ "$fails" -ne 0 ]; then echo "$fails check(s) failed"; exit 1; fi
echo "all parquet/DuckDB checks passed"
