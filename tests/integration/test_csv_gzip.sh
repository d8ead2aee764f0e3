#!/usr/bin/env bash
# CSV with CompressionType GZIP (DMS's setting): full-load-and-cdc writes LOAD*.csv.gz and CDC *.csv.gz files that
# are gzip and that DuckDB and PostgreSQL's COPY (through zcat) read back exactly; the merge reads them and writes
# a part-00000.csv.gz snapshot equal to the source; validate agrees.
source "$LOGTAP_SOURCE_DIR/tests/lib/itest.sh"
require_pg
dir=$(test_dir)
db=lt_csv_gzip
fresh_db $db
sql $db "CREATE TABLE t (id int PRIMARY KEY, name text, note text, at timestamptz);
         INSERT INTO t SELECT g, 'name, ' || g, CASE WHEN g % 7 = 0 THEN NULL WHEN g % 5 = 0 THEN '' ELSE 'n\"' || g END,
                              timestamptz '2024-01-01' + g * interval '1 minute' FROM generate_series(1, 20000) g" >/dev/null
cd "$dir"
write_pg_config task.json $db '"CompressionType": "GZIP", "IncludeOpForFullLoad": true, "CdcMaxBatchInterval": 1'
sed -i 's/"migration_type": "full-load"/"migration_type": "full-load-and-cdc"/' task.json
run_logtap replicate --config task.json --until now
expect_eq "$rc" 0 "full load (GZIP) exits 0"
sql $db "UPDATE t SET name = name || ' (upd)' WHERE id % 10 = 0; DELETE FROM t WHERE id % 13 = 0;
         INSERT INTO t SELECT g, 'new ' || g, NULL, now() FROM generate_series(20001, 20500) g" >/dev/null
run_logtap replicate --config task.json --until now
expect_eq "$rc" 0 "CDC (GZIP) exits 0"
load=$(ls lake/public/t/LOAD*.csv.gz 2>/dev/null | head -1)
cdc=$(ls lake/public/t/2*.csv.gz 2>/dev/null | head -1)
[ -n "$load" ] && ok "full-load file $load" || fail "no LOAD*.csv.gz: $(ls lake/public/t)"
[ -n "$cdc" ] && ok "CDC file $cdc" || fail "no CDC *.csv.gz: $(ls lake/public/t)"
[ -n "$load" ] && expect_eq "$(gzip -t "$load" && echo gzip)" gzip "the LOAD file is valid gzip (gzip -t)"

# PostgreSQL reads the full-load file back through zcat; equal to the source before the changes
sql $db "CREATE TABLE chk (op text, id int, name text, note text, at timestamptz, pos text)" >/dev/null
psql -d $db -q -v ON_ERROR_STOP=1 -c "\\copy chk FROM PROGRAM 'zcat $dir/$load' WITH (FORMAT csv, NULL 'NULL')"
expect_eq "$(sql $db "SELECT count(*) FROM chk")" 20000 "COPY FROM PROGRAM zcat reads 20000 rows"
expect_eq "$(sql $db "SELECT count(*) FROM chk WHERE note = ''")" \
  "$(sql $db "SELECT count(*) FROM generate_series(1, 20000) g WHERE g % 7 <> 0 AND g % 5 = 0")" \
  "empty strings stay empty strings (not NULL)"

run_logtap merge --config task.json
expect_eq "$rc" 0 "merge reads .csv.gz files"
snap=$(ls lake/_snapshots/public/t/snapshot=*/part-00000.csv.gz 2>/dev/null | tail -1)
[ -n "$snap" ] && ok "snapshot $snap" || fail "no part-00000.csv.gz snapshot: $(find lake/_snapshots | head)"
sql $db "CREATE TABLE snap (id int, name text, note text, at timestamptz, pos text)" >/dev/null
[ -n "$snap" ] && psql -d $db -q -v ON_ERROR_STOP=1 -c "\\copy snap FROM PROGRAM 'zcat $dir/$snap' WITH (FORMAT csv, NULL 'NULL')"
diff=$(sql $db "SELECT count(*) FROM ((SELECT * FROM t EXCEPT ALL SELECT id, name, note, at FROM snap)
                UNION ALL (SELECT id, name, note, at FROM snap EXCEPT ALL SELECT * FROM t)) d")
expect_eq "$diff" 0 "the gzip snapshot equals the source"
run_logtap validate --config task.json
expect_eq "$rc" 0 "validate agrees"

if have_duckdb; then
  got=$(duckdb "SELECT count(*), count(note), sum(id) FROM read_csv('$dir/$snap', header=false, nullstr='NULL',
                allow_quoted_nulls=false, columns={'id':'INT','name':'VARCHAR','note':'VARCHAR','at':'VARCHAR','pos':'VARCHAR'})")
  want=$(sql $db "SELECT count(*) || E'\t' || count(note) || E'\t' || sum(id) FROM t")
  expect_eq "$got" "$want" "DuckDB reads the .csv.gz snapshot: same count, non-null notes and id sum"
  got=$(duckdb "SELECT count(*) FROM read_csv('$dir/lake/public/t/2*.csv.gz', header=false, all_varchar=true)")
  expect_eq "$got" "$(sql $db "SELECT 2000 + 1538 + 500")" "DuckDB reads every CDC change from the .csv.gz files"
else
  echo "skip: DuckDB checks (tests/tools not installed)"
fi
finish
