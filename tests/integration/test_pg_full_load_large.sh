#!/usr/bin/env bash
# A 1M-row table (6 mixed columns) loads in a flat memory budget: the peak RSS of loading 1M rows is about the
# same as loading 100k rows, and well under a fixed bound. The big table is read in parts by parallel workers (TID
# ranges of its pages); the parts' files together hold every row exactly once.
source "$LOGTAP_SOURCE_DIR/tests/lib/itest.sh"
require_own_pg   # its big INSERT would hold back the other tests' slot creation
dir=$(test_dir)
db=lt_large
fresh_db $db
sql $db "CREATE TABLE small (id bigint PRIMARY KEY, name text, amount numeric(12,2), ok bool, at timestamptz, payload text);
         CREATE TABLE big (LIKE small INCLUDING ALL);
         INSERT INTO big SELECT g, 'name ' || g, g * 1.01, g % 3 = 0, timestamptz '2024-01-01' + g * interval '1 second',
                                md5(g::text) || repeat('y', g % 40) FROM generate_series(1, 1000000) g;
         INSERT INTO small SELECT * FROM big WHERE id <= 100000; ANALYZE;" >/dev/null
cd "$dir"
rule() { echo "[{\"rule-type\":\"selection\",\"rule-id\":\"1\",\"rule-name\":\"1\",\"object-locator\":{\"schema-name\":\"public\",\"table-name\":\"$1\"},\"rule-action\":\"include\"}]"; }
write_pg_config small.json $db '' "$(rule small)"
sed 's/"lake"/"lake-small"/' small.json > s.json
run_measuring_rss small.log "$LOGTAP_BIN" full-load --config s.json
expect_eq "$rc" 0 "100k rows: exit 0"
small_kb=$peak_kb
write_pg_config big.json $db '' "$(rule big)"
run_measuring_rss big.log "$LOGTAP_BIN" full-load --config big.json
expect_eq "$rc" 0 "1M rows: exit 0"
big_kb=$peak_kb
echo "peak RSS: 100k rows ${small_kb} kB, 1M rows ${big_kb} kB"
[ "$big_kb" -lt 65536 ] && ok "1M rows under 64 MB peak RSS" || fail "1M rows took ${big_kb} kB"
[ "$big_kb" -lt $((small_kb + 8192)) ] && ok "memory flat: 1M rows within 8 MB of 100k rows" \
  || fail "memory grows with rows: ${small_kb} kB -> ${big_kb} kB"
expect_eq "$(cat lake/public/big/LOAD*.csv | wc -l)" 1000000 "1M rows written"
sql $db "CREATE TABLE chk (op text, LIKE big, _logtap_pos text); ALTER TABLE chk DROP COLUMN op" >/dev/null
grep -q "read in parts" big.log && ok "the 1M-row table was read in parts" || fail "the 1M-row table was read whole"
nfiles=$(ls lake/public/big/LOAD*.csv | wc -l)
[ "$nfiles" -gt 1 ] && ok "one LOAD file per part ($nfiles)" || fail "$nfiles LOAD file for the parts"
for f in lake/public/big/LOAD*.csv; do
  psql -d $db -q -v ON_ERROR_STOP=1 -c "\\copy chk FROM '$dir/$f' WITH (FORMAT csv, NULL 'NULL')"
done
diff=$(sql $db "SELECT count(*) FROM ((SELECT * FROM big EXCEPT ALL SELECT id, name, amount, ok, at, payload FROM chk)
                 UNION ALL (SELECT id, name, amount, ok, at, payload FROM chk EXCEPT ALL SELECT * FROM big)) d")
expect_eq "$diff" 0 "1M rows read back with COPY FROM equal the source"
finish
