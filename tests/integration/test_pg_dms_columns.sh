#!/usr/bin/env bash
# target.LogtapColumns false: the files have exactly DMS's columns (no _logtap_pos, no _logtap_unchanged) and the
# merge orders changes by the manifest. A writer runs inserts, updates (TOASTed values left unchanged on a REPLICA
# IDENTITY FULL table), deletes, key changes, a TRUNCATE, and a table without a key, while replicate is killed with
# SIGKILL and a reload runs: the LOAD, CDC, transaction and snapshot files' columns are exactly DMS's, no file has a
# logtap column, and merge + validate are exact; refused with exit 2: a table whose TOASTed values an UPDATE may
# leave out (default replica identity), at check and before anything is written; an --as-of point or time inside a
# file (the message names points that work, and one of them works). With UseCsvNoSupValue the unchanged values are
# marked in the CSV and such a table is merged exactly. A table that joins later with such columns stops the run
# at its first unchanged value (exit 1) instead of writing a NULL.
source "$LOGTAP_SOURCE_DIR/tests/lib/itest.sh"
require_pg
dir=$(test_dir)
db=lt_dms_cols
fresh_db $db
psql -d $db -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE TABLE acct (id int PRIMARY KEY, balance int NOT NULL, at timestamptz DEFAULT now());
CREATE TABLE docs (id int PRIMARY KEY, body text, n int);
ALTER TABLE docs ALTER COLUMN body SET STORAGE EXTERNAL;
ALTER TABLE docs REPLICA IDENTITY FULL;
CREATE TABLE nokey (a int, b int);
ALTER TABLE nokey REPLICA IDENTITY FULL;
CREATE TABLE notes (id int PRIMARY KEY, body text, n int);
ALTER TABLE notes ALTER COLUMN body SET STORAGE EXTERNAL;
INSERT INTO acct (id, balance) SELECT g, g FROM generate_series(1, 500) g;
INSERT INTO docs SELECT g, repeat(md5(g::text), 300), g FROM generate_series(1, 40) g;
INSERT INTO nokey SELECT g % 7, g FROM generate_series(1, 50) g;
INSERT INTO notes SELECT g, repeat(md5(g::text), 300), g FROM generate_series(1, 10) g;
SQL
cd "$dir"
cat >task.json <<JSON
{"task": "dmscols", "migration_type": "full-load-and-cdc",
 "source": {"engine": "postgres", "conninfo": "host=$PGHOST port=$PGPORT dbname=$db user=logtap"},
 "target": {"path": "lake", "LogtapColumns": false, "CdcMaxBatchInterval": 1, "AddColumnName": true,
            "IncludeOpForFullLoad": true, "TimestampColumnName": "commit_ts"},
 "table_mappings": {"rules": [{"rule-type":"selection","rule-id":"1","rule-name":"1",
      "object-locator":{"schema-name":"public","table-name":"%"},"rule-action":"include"}]}}
JSON

# --- refused: notes (default replica identity, a TOASTable column)
run_logtap check --config task.json
expect_eq "$rc" 2 "check: a table whose UPDATEs may leave TOASTed values out: exit 2"
echo "$out" | grep -q "^error *public.notes: its columns body may be left out of an UPDATE" && ok "check names the table and the columns" || fail "check: $out"
echo "$out" | grep -q "fix: ALTER TABLE public.notes REPLICA IDENTITY FULL" && ok "and the fix" || fail "fix: $out"
run_logtap replicate --config task.json
expect_eq "$rc" 2 "replicate refuses it too"
[ -z "$(files_written lake)" ] && ok "before writing anything" || fail "it wrote $(files_written lake)"
sql $db "ALTER TABLE notes REPLICA IDENTITY FULL" >/dev/null

# --- replicate under a writer, killed, with a reload
writer() {
  local end=$((SECONDS + 9)) r
  while [ $SECONDS -lt $end ]; do
    r=$((RANDOM % 500 + 1))
    psql -d $db -q -c "BEGIN; INSERT INTO acct (id, balance) VALUES ($r + 1000, $r) ON CONFLICT (id) DO UPDATE SET balance = acct.balance + 1;
      UPDATE acct SET balance = balance - 1 WHERE id = $r; DELETE FROM acct WHERE id = $((r + 3));
      UPDATE acct SET id = -id WHERE id = $((r + 5)); UPDATE docs SET n = n + 1 WHERE id = $((r % 40 + 1));
      UPDATE notes SET n = n + 1 WHERE id = $((r % 10 + 1)); UPDATE nokey SET b = b + 1 WHERE a = $((r % 7));
      COMMIT;" >/dev/null 2>&1 || true
  done
}
run_logtap replicate --config task.json --until now
expect_eq "$rc" 0 "full load and CDC start"
writer &
w=$!
"$LOGTAP_BIN" replicate --config task.json >replicate1.log 2>&1 &
pid=$!
sleep 2
kill -9 $pid && ok "replicate killed with SIGKILL"
wait $pid 2>/dev/null || true
"$LOGTAP_BIN" replicate --config task.json >replicate2.log 2>&1 &
pid=$!
sleep 1.5
sql $db "TRUNCATE nokey; INSERT INTO nokey VALUES (1, 1), (1, 1), (2, 2)" >/dev/null
run_logtap reload --config task.json --table public.acct
expect_eq "$rc" 0 "acct reloaded while the stream and the writer go on"
wait $w
sql $db "UPDATE docs SET n = 0 WHERE id = 1; UPDATE acct SET balance = 0 WHERE id = 2" >/dev/null
kill -INT $pid
wait $pid || fail "replicate: $(tail -3 replicate2.log)"
run_logtap replicate --config task.json --until now
expect_eq "$rc" 0 "replicate --until now drains"

# --- exactly DMS's columns
header() { head -1 "$1" | tr -d '\r'; }
for t in acct docs nokey notes; do
  want="Op,commit_ts,$(sql $db "SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = '$t'")"
  n=0 bad=""
  for f in $(find lake/public/$t -name '*.csv'); do
    n=$((n + 1))
    [ "$(header "$f")" = "$want" ] || bad="$bad $f: $(header "$f")"
  done
  [ -z "$bad" ] && ok "$t: the header of its $n LOAD and CDC files is exactly $want" || fail "$t:$bad"
done
expect_eq "$(header lake/public/acct/LOAD00000001.csv)" "Op,commit_ts,id,balance,at" "LOAD header: Op, the time column, the table's columns"
cdc=$(find lake/public/docs -name '2*.csv' | sort | head -1)
expect_eq "$(header "$cdc")" "Op,commit_ts,id,body,n" "CDC header: the same"
expect_eq "$(grep -rl '_logtap' lake --include='*.csv' | grep -v _state || true)" "" "no file has a logtap column (LOAD, CDC, transaction, snapshot)"
fields=$(awk -F, 'NR > 1 { print NF }' "$cdc" | sort -u)
expect_eq "$fields" "5" "CDC rows: exactly five fields"
grep -q '^U,[^,]*,1,c4ca4238' $(find lake/public/docs -name '2*.csv') && ok "an UPDATE that left the TOASTed body unchanged carries it (REPLICA IDENTITY FULL)" || fail "docs: $(grep -h '^U,[^,]*,1,' $(find lake/public/docs -name '2*.csv') | cut -c1-60 | head -2)"

# --- the merge, by the manifest's order, is exact
run_logtap merge --config task.json
expect_eq "$rc" 0 "merge"
[ "$rc" -eq 0 ] || echo "$out"
expect_eq "$(header "$(find lake/_snapshots/public/acct -name 'part-00000.csv')")" "id,balance,at" "snapshot header: the table's columns"
run_logtap validate --config task.json
expect_eq "$rc" 0 "validate: every table exact"
[ "$rc" -eq 0 ] || echo "$out"

# --- --as-of: inside a file refused (exit 2), between files works
file=$(sqlite3 lake/_state/dmscols.db "SELECT f.path || '|' || f.first_pos || '|' || f.last_pos FROM files f JOIN tables t ON t.id = f.table_id
   WHERE t.table_name = 'acct' AND f.kind = 'cdc' AND f.first_pos < f.last_pos AND f.first_pos > t.load_pos ORDER BY f.first_pos LIMIT 1")
first=$(echo "$file" | cut -d'|' -f2)
last=$(echo "$file" | cut -d'|' -f3)
[ -n "$first" ] && ok "a CDC file with several changes: $(echo "$file" | cut -d'|' -f1)" || fail "no such file"
run_logtap merge --config task.json --as-of "$first"
expect_eq "$rc" 2 "--as-of a position inside a file: exit 2"
echo "$out" | grep -q "falls inside CDC file $(echo "$file" | cut -d'|' -f1)" && ok "the message names the file" || fail "$out"
works=$(echo "$out" | sed -n 's/.*a point works only between files: give \([^ ]*\) (the file.s end).*/\1/p' | head -1)
[ -n "$works" ] && ok "and a point that works: $works" || fail "no point named: $out"
first_ts=$(sqlite3 lake/_state/dmscols.db "SELECT commit_ts_first_us, commit_ts_last_us FROM files f JOIN tables t ON t.id = f.table_id
   WHERE t.table_name = 'acct' AND f.kind = 'cdc' AND f.commit_ts_first_us < f.commit_ts_last_us AND f.first_pos > t.load_pos ORDER BY f.first_pos LIMIT 1")
if [ -n "$first_ts" ]; then
  inside=$(( ($(echo "$first_ts" | cut -d'|' -f1) + $(echo "$first_ts" | cut -d'|' -f2)) / 2 ))
  when=$(date -u -d "@$((inside / 1000000))" +%Y-%m-%dT%H:%M:%S).$(printf %06d $((inside % 1000000)))Z
  run_logtap merge --config task.json --as-of "$when"
  expect_eq "$rc" 2 "--as-of a time inside a file: exit 2"
  echo "$out" | grep -q "the --as-of time falls inside CDC file" && ok "saying so" || fail "$out"
fi
run_logtap merge --config task.json --as-of "$works"
expect_eq "$rc" 0 "--as-of the point it named works"

# --- UseCsvNoSupValue marks the values an UPDATE left out: a default-identity table merges exactly (and the
# transaction files of PreserveTransactions have DMS's columns too)
db2=lt_dms_cols2
fresh_db $db2
sql $db2 "CREATE TABLE memo (id int PRIMARY KEY, body text, n int); ALTER TABLE memo ALTER COLUMN body SET STORAGE EXTERNAL; INSERT INTO memo SELECT g, repeat(md5(g::text), 300), g FROM generate_series(1, 20) g" >/dev/null
cat >nosup.json <<JSON
{"task": "dmsnosup", "migration_type": "full-load-and-cdc",
 "source": {"engine": "postgres", "conninfo": "host=$PGHOST port=$PGPORT dbname=$db2 user=logtap", "catalog_poll_s": 1},
 "target": {"path": "lake2", "LogtapColumns": false, "UseCsvNoSupValue": true, "CsvNoSupValue": "#NOSUP#",
            "CdcMaxBatchInterval": 1, "PreserveTransactions": true, "CdcPath": "txn"},
 "table_mappings": {"rules": [{"rule-type":"selection","rule-id":"1","rule-name":"1",
      "object-locator":{"schema-name":"public","table-name":"%"},"rule-action":"include"}]}}
JSON
run_logtap replicate --config nosup.json --until now
expect_eq "$rc" 0 "with UseCsvNoSupValue such a table is accepted"
sql $db2 "UPDATE memo SET n = n + 1 WHERE id <= 5; UPDATE memo SET body = '#NOSUP#' WHERE id = 6; DELETE FROM memo WHERE id = 7" >/dev/null
run_logtap replicate --config nosup.json --until now
expect_eq "$(cat $(find lake2/public/memo -name '2*.csv') | grep -c '^U,[0-9]*,#NOSUP#,')" 5 "the unchanged bodies are CsvNoSupValue"
grep -q '^U,6,"#NOSUP#",6$' $(find lake2/public/memo -name '2*.csv') && ok "text equal to it is quoted" || fail "$(grep '^U,6' $(find lake2/public/memo -name '2*.csv'))"
txn=$(cat $(find lake2/txn -name 'CDC_TXN-*.csv'))
expect_eq "$(echo "$txn" | awk -F, '{ print NF }' | sort -u)" 6 "transaction rows: op,table,schema,id,body,n and nothing more"
expect_eq "$(echo "$txn" | grep -c '^U,memo,public,[0-9]*,#NOSUP#,')" 5 "with the marks too"
expect_eq "$(grep -rl '_logtap' lake2 --include='*.csv' | grep -v _state || true)" "" "no logtap column in any file"
run_logtap merge --config nosup.json
expect_eq "$rc" 0 "merge"
run_logtap validate --config nosup.json
expect_eq "$rc" 0 "validate: exact (the marked values kept, the quoted text is text)"
[ "$rc" -eq 0 ] || echo "$out"

# --- without the marks, a table that joins later with such columns stops the run at its first unchanged value
sed 's/"UseCsvNoSupValue": true, "CsvNoSupValue": "#NOSUP#",//; s/"lake2"/"lake3"/; s/dmsnosup/dmslate/' nosup.json >late.json
sql $db2 "ALTER TABLE memo REPLICA IDENTITY FULL" >/dev/null
"$LOGTAP_BIN" replicate --config late.json >late.log 2>&1 &
pid=$!
wait_cdc late.log 15
sql $db2 "CREATE TABLE late (id int PRIMARY KEY, body text, n int); ALTER TABLE late ALTER COLUMN body SET STORAGE EXTERNAL; INSERT INTO late SELECT g, repeat(md5(g::text), 300), g FROM generate_series(1, 5) g" >/dev/null
for _ in $(seq 1 100); do grep -q "public.late.*loaded" late.log && break; sleep 0.1; done
sql $db2 "UPDATE late SET n = n + 1 WHERE id = 1" >/dev/null
for _ in $(seq 1 300); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
kill -0 $pid 2>/dev/null && { fail "replicate still runs 30 s after the UPDATE"; kill -INT $pid; }
set +e; wait $pid; prc=$?; set -e
expect_eq "$prc" 1 "replicate stops at the first unchanged value it could not write"
grep -q "table public.late: an UPDATE left column body unchanged" late.log && ok "naming the table, the column and the fixes" || fail "$(tail -3 late.log)"
expect_eq "$(cat $(find lake3/public/late -name '2*.csv' 2>/dev/null) /dev/null | grep -c '^U')" 0 "no such UPDATE written"
# --- with transformation rules: the files hold the transformed columns and no logtap column; the old row of a
# REPLICA IDENTITY FULL table gives an unchanged TOASTed value to an added column's expression too; merge + validate
db3=lt_dms_cols3
fresh_db $db3
psql -d $db3 -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE TABLE item (id int PRIMARY KEY, name text, secret text, body text, qty int);
ALTER TABLE item REPLICA IDENTITY FULL;
ALTER TABLE item ALTER COLUMN body SET STORAGE EXTERNAL;
INSERT INTO item SELECT g, 'name ' || g, 's' || g, repeat(md5(g::text), 300), g FROM generate_series(1, 30) g;
SQL
cat >mapped.json <<JSON
{"task": "dmsmapped", "migration_type": "full-load-and-cdc",
 "source": {"engine": "postgres", "conninfo": "host=$PGHOST port=$PGPORT dbname=$db3 user=logtap"},
 "target": {"path": "lake4", "LogtapColumns": false, "CdcMaxBatchInterval": 1, "AddColumnName": true,
            "IncludeOpForFullLoad": true},
 "table_mappings": {"rules": [
   {"rule-type":"selection","rule-id":"1","rule-name":"all","object-locator":{"schema-name":"public","table-name":"%"},"rule-action":"include"},
   {"rule-type":"transformation","rule-id":"2","rule-name":"table","rule-action":"rename","rule-target":"table",
    "object-locator":{"schema-name":"public","table-name":"item"},"value":"goods"},
   {"rule-type":"transformation","rule-id":"3","rule-name":"title","rule-action":"rename","rule-target":"column",
    "object-locator":{"schema-name":"public","table-name":"item","column-name":"name"},"value":"title"},
   {"rule-type":"transformation","rule-id":"4","rule-name":"no secret","rule-action":"remove-column","rule-target":"column",
    "object-locator":{"schema-name":"public","table-name":"item","column-name":"secret"}},
   {"rule-type":"transformation","rule-id":"5","rule-name":"head","rule-action":"add-column","rule-target":"column",
    "object-locator":{"schema-name":"public","table-name":"item"},"value":"head","expression":"substr(\$body,1,8)",
    "data-type":{"type":"string","length":8}},
   {"rule-type":"transformation","rule-id":"6","rule-name":"op","rule-action":"add-column","rule-target":"column",
    "object-locator":{"schema-name":"public","table-name":"item"},"value":"op","expression":"\$AR_H_OPERATION",
    "data-type":{"type":"string","length":10}}]}}
JSON
run_logtap replicate --config mapped.json --until now
expect_eq "$rc" 0 "with transformation rules: the load"
[ "$rc" -eq 0 ] || echo "$out"
psql -d $db3 -q -v ON_ERROR_STOP=1 <<'SQL'
UPDATE item SET qty = qty + 100 WHERE id <= 5;
UPDATE item SET name = 'renamed' WHERE id = 6;
UPDATE item SET id = 70 WHERE id = 7;
DELETE FROM item WHERE id = 8;
INSERT INTO item VALUES (40, 'new', 'x', repeat('z', 5000), 40);
SQL
run_logtap replicate --config mapped.json --until now
expect_eq "$rc" 0 "changes"
sql $db3 "TRUNCATE item; INSERT INTO item SELECT g, 'again ' || g, 'y', repeat(md5(g::text), 300), g FROM generate_series(1, 4) g" >/dev/null
run_logtap replicate --config mapped.json --until now
sql $db3 "UPDATE item SET qty = 0 WHERE id = 1" >/dev/null
run_logtap replicate --config mapped.json --until now
expect_eq "$rc" 0 "a TRUNCATE, more changes"
want="Op,id,title,body,qty,head,op"
n=0 bad=""
for f in $(find lake4/public/goods -name '*.csv'); do
  n=$((n + 1))
  [ "$(header "$f")" = "$want" ] || bad="$bad $f: $(header "$f")"
done
[ "$n" -gt 2 ] && [ -z "$bad" ] && ok "the $n LOAD and CDC files of the renamed table: exactly $want" || fail "goods ($n files):$bad"
expect_eq "$(grep -rl '_logtap' lake4 --include='*.csv' | grep -v _state || true)" "" "no logtap column"
# (awk, not grep: grep's [0-9a-f]\{9600\} took 40 s to compile and match)
expect_eq "$(cat $(find lake4/public/goods -name '2*.csv') | awk -F, 'NF == 7 && $1 == "U" && $2 ~ /^[1-5]$/ &&
  $3 ~ /^name [1-5]$/ && length($4) == 9600 && $4 ~ /^[0-9a-f]+$/ && $5 ~ /^[0-9]*$/ && length($6) == 8 &&
  $6 ~ /^[0-9a-f]+$/ && $7 == "UPDATE"' | wc -l)" 5 \
  "UPDATEs that left the TOASTed body unchanged carry it, and the added column computed from it"
run_logtap merge --config mapped.json
expect_eq "$rc" 0 "merge"
[ "$rc" -eq 0 ] || echo "$out"
snap=$(find lake4/_snapshots/public/goods -name 'part-00000.csv' | sort | tail -1)
expect_eq "$(header "$snap")" "id,title,body,qty,head,op" "the snapshot: the transformed columns"
expect_eq "$(tail -n +2 "$snap" | cut -d, -f1,2,4,5 | sort | tr '\n' ' ')" "1,again 1,0,c4ca4238 2,again 2,2,c81e728d 3,again 3,3,eccbc87e 4,again 4,4,a87ff679 " \
  "its rows: after the TRUNCATE and the last UPDATE"
run_logtap validate --config mapped.json
expect_eq "$rc" 0 "validate"
[ "$rc" -eq 0 ] || echo "$out"
sql $db3 "SELECT pg_drop_replication_slot('logtap_dmsmapped')" >/dev/null
sql $db "SELECT pg_drop_replication_slot('logtap_dmscols')" >/dev/null
sql $db2 "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '$db2'" >/dev/null
finish
