#!/usr/bin/env bash
# Bad input gets a clear one-line error, the documented exit code, no half-written file under a final name, and
# an unchanged state; a table the user cannot read is refused by the pre-flight check before anything is written;
# a table failing at run time fails alone, with PostgreSQL's whole message; a re-run replaces a table's previous
# load files cleanly.
source "$LOGTAP_SOURCE_DIR/tests/lib/itest.sh"
require_pg
dir=$(test_dir)
db=lt_errors
fresh_db $db
sql $db "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, repeat('x', 50) FROM generate_series(1, 5000) g;
         CREATE TABLE secret (id int); INSERT INTO secret VALUES (1);" >/dev/null
cd "$dir"

# --- usage and config errors: exit 2, message names the field
run_logtap
expect_eq "$rc" 2 "no command: exit 2"
run_logtap frobnicate --config x.json
expect_eq "$rc" 2 "unknown command: exit 2"
run_logtap full-load
expect_eq "$rc" 2 "missing --config: exit 2"
run_logtap --help
expect_eq "$rc" 0 "--help: exit 0"
echo "$out" | grep -q "full-load" && ok "--help lists commands" || fail "--help: $out"
run_logtap full-load --help
expect_eq "$rc" 0 "full-load --help: exit 0"
run_logtap --version
[[ "$out" =~ ^logtap\ [0-9]+\.[0-9]+\.[0-9]+$ ]] && ok "--version" || fail "--version: $out"
run_logtap full-load --config missing.json
expect_eq "$rc" 2 "missing config file: exit 2"

printf '{\n  "task": "x",\n  "source": {\n' > broken.json
run_logtap full-load --config broken.json
expect_eq "$rc" 2 "broken JSON: exit 2"
echo "$out" | grep -q "line 3" && ok "broken JSON: message gives the line" || fail "broken JSON message: $out"

write_pg_config good.json $db ''
sed 's/"migration_type"/"migraton_type"/' good.json > typo.json
run_logtap full-load --config typo.json
expect_eq "$rc" 2 "unknown key: exit 2"
echo "$out" | grep -q "migraton_type: unknown key" && ok "unknown key named" || fail "unknown key message: $out"
sed 's/"path": "lake"/"path": 7/' good.json > wrongtype.json
run_logtap full-load --config wrongtype.json
expect_eq "$rc" 2 "wrong type: exit 2"
echo "$out" | grep -q "target.path" && ok "wrong type: field named" || fail "wrong type message: $out"
sed '/"conninfo"/s/"conninfo": "[^"]*"/"slot": "s"/' good.json > noconn.json
run_logtap full-load --config noconn.json
expect_eq "$rc" 2 "missing conninfo: exit 2"
echo "$out" | grep -q "source.conninfo: missing required field" && ok "missing field named" || fail "missing field: $out"

# --- unreachable server: exit 1, one line, no state and no files
sed "s/port=$PGPORT/port=1/; s/host=[^ ]*/host=127.0.0.1/" good.json > unreachable.json
run_logtap full-load --config unreachable.json
expect_eq "$rc" 1 "unreachable server: exit 1"
expect_eq "$(echo "$out" | grep -c ERROR)" 1 "unreachable server: one error line"
echo "$out" | grep -q "cannot connect" && ok "unreachable: says cannot connect" || fail "unreachable message: $out"
expect_eq "$(find lake -name 'LOAD*' 2>/dev/null | wc -l)" 0 "unreachable: no files"

# --- a conninfo libpq cannot parse (an unquoted password holding a space): exit 2, the password never shown
sed 's/user=logtap/user=logtap password=sec retpart/' good.json > badci.json
run_logtap full-load --config badci.json
expect_eq "$rc" 2 "unparsable conninfo: exit 2"
echo "$out" | grep -q "source.conninfo" && ok "unparsable conninfo: names the setting" || fail "conninfo message: $out"
echo "$out" | grep -q "retpart\|sec " && fail "the password leaks: $out" || ok "no part of the password is shown"

# --- no table selected
sed 's/"table-name":"%"/"table-name":"nothing_here%"/' good.json > none.json
run_logtap full-load --config none.json
expect_eq "$rc" 2 "no table selected: exit 2"
echo "$out" | grep -q "no table matches" && ok "no table selected: says so" || fail "no table message: $out"

# --- unwritable target path (a file where a folder should be)
echo "not a folder" > blocker
sed 's/"path": "lake"/"path": "blocker\/lake"/' good.json > unwritable.json
run_logtap full-load --config unwritable.json
expect_eq "$rc" 1 "unwritable target path: exit 1"
echo "$out" | grep -q "blocker" && ok "unwritable: names the path" || fail "unwritable message: $out"

# --- a write error in the middle of a big table's copy: one cancel to the server, a clear error, promptly
sql $db "CREATE TABLE big (id int PRIMARY KEY, pad text); INSERT INTO big SELECT g, repeat('p', 100) FROM generate_series(1, 300000) g" >/dev/null
write_pg_config bigfail.json $db "" '[{"rule-type":"selection","rule-id":"1","rule-name":"1","object-locator":{"schema-name":"public","table-name":"big"},"rule-action":"include"}]'
sed -i 's/"task": "[^"]*"/"task": "bigfail"/' bigfail.json
mkdir -p lake/public && echo "a file where the table's folder goes" > lake/public/big
start=$(date +%s%N)
run_logtap full-load --config bigfail.json
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
expect_eq "$rc" 1 "a write error during the copy: exit 1"
echo "$out" | grep -q "public.big" && ok "the error names the table" || fail "write error: $out"
[ "$elapsed_ms" -lt 10000 ] && ok "it fails promptly (${elapsed_ms} ms: one cancel request, not one per buffered row)" \
  || fail "the write error took ${elapsed_ms} ms"
rm -rf lake

# --- SIGTERM in the middle of a load: exits promptly (exit 1, interrupted), the table is left pending
"$LOGTAP_BIN" full-load --config bigfail.json >term.log 2>&1 &
lpid=$!
for _ in $(seq 1 100); do [ -n "$(ls lake/public/big/.LOAD* 2>/dev/null)" ] && break; sleep 0.05; done
start=$(date +%s%N)
kill -TERM $lpid
set +e; wait $lpid; trc=$?; set -e
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
expect_eq "$trc" 1 "SIGTERM during a load: exit 1"
[ "$elapsed_ms" -lt 5000 ] && ok "it stops promptly (${elapsed_ms} ms)" || fail "SIGTERM took ${elapsed_ms} ms"
grep -q "interrupted" term.log && ok "it says the load was interrupted" || fail "SIGTERM: $(cat term.log)"
expect_eq "$(sqlite3 lake/_state/bigfail.db "SELECT state FROM tables WHERE table_name = 'big'")" pending "the table is left pending"
sql $db "DROP TABLE big" >/dev/null
rm -rf lake

# --- no SELECT on one table: the pre-flight check refuses before anything is written, naming the table and the fix
sql $db "DROP ROLE IF EXISTS lt_reader; CREATE ROLE lt_reader LOGIN; GRANT SELECT ON t TO lt_reader;" >/dev/null
sed "s/user=logtap/user=lt_reader/; s/\"task\": \"$db\"/\"task\": \"perm\"/" good.json > perm.json
run_logtap full-load --config perm.json
expect_eq "$rc" 2 "no SELECT on a table: exit 2"
echo "$out" | grep -q "public.secret: lt_reader has no SELECT privilege on it.*GRANT SELECT ON public.secret TO lt_reader" \
  && ok "no SELECT: the check names the table and the fix" || fail "permission message: $out"
expect_eq "$(files_written lake)" "" "no SELECT: nothing written (no file, no state)"

# --- a table whose read fails at run time (a row-level security policy raising an error): that table fails with
# PostgreSQL's whole message (DETAIL and HINT kept), the others load, exit 1
sql $db "GRANT SELECT ON secret TO lt_reader;
         CREATE FUNCTION deny() RETURNS boolean LANGUAGE plpgsql AS \$\$ BEGIN
           RAISE EXCEPTION 'reading secret is not allowed' USING DETAIL = 'policy deny_all', HINT = 'ask the DBA';
         END \$\$;
         ALTER TABLE secret ENABLE ROW LEVEL SECURITY; CREATE POLICY deny_all ON secret USING (deny());" >/dev/null
run_logtap full-load --config perm.json
expect_eq "$rc" 1 "a table failing at run time: exit 1"
echo "$out" | grep -q "reading secret is not allowed; DETAIL: policy deny_all; HINT: ask the DBA" \
  && ok "the error keeps PostgreSQL's DETAIL and HINT on one line" || fail "runtime error message: $out"
[ -f lake/public/t/LOAD00000001.csv ] && ok "readable table still loaded" || fail "readable table not loaded"
expect_eq "$(find lake/public/secret -type f 2>/dev/null | wc -l)" 0 "failed table: no file"
run_logtap status --config perm.json --json
echo "$out" | grep -q '"table":"secret","state":"failed"' && ok "status shows the failed table" || fail "status: $out"
sql $db "DROP POLICY deny_all ON secret; ALTER TABLE secret DISABLE ROW LEVEL SECURITY; DROP FUNCTION deny();" >/dev/null
rm -rf lake

# --- a column with the name of one logtap adds (here TimestampColumnName): exit 2 naming both, no file
write_pg_config tscol.json $db '"TimestampColumnName": "v"' '[{"rule-type":"selection","rule-id":"1","rule-name":"1","object-locator":{"schema-name":"public","table-name":"t"},"rule-action":"include"}]'
sed -i 's/"task": "[^"]*"/"task": "tscol"/' tscol.json
run_logtap full-load --config tscol.json
expect_eq "$rc" 2 "TimestampColumnName equal to a column: exit 2"
echo "$out" | grep -q 'public.t has a column named "v".*TimestampColumnName' && ok "it names the table, the column and the setting" \
  || fail "TimestampColumnName clash: $out"
expect_eq "$(find lake -name 'LOAD*' 2>/dev/null | wc -l)" 0 "no file written"
rm -rf lake

# --- re-run replaces the previous load: small MaxFileSize makes many files, the default makes one
write_pg_config small.json $db '"MaxFileSize": 16' '[{"rule-type":"selection","rule-id":"1","rule-name":"1","object-locator":{"schema-name":"public","table-name":"t"},"rule-action":"include"}]'
run_logtap full-load --config small.json
expect_eq "$rc" 0 "small files: exit 0"
n=$(ls lake/public/t | wc -l)
[ "$n" -ge 10 ] && ok "small MaxFileSize rolls over ($n files)" || fail "only $n files"
[ -f lake/public/t/LOAD0000000A.csv ] && ok "tenth file is LOAD0000000A (hex)" || fail "no LOAD0000000A: $(ls lake/public/t | head -12)"
total=$(cat lake/public/t/LOAD*.csv | wc -l)
expect_eq "$total" 5000 "all rows across the files"
sed 's/"MaxFileSize": 16/"MaxFileSize": 1048576/' small.json > big.json
run_logtap full-load --config big.json
expect_eq "$rc" 0 "re-run: exit 0"
expect_eq "$(ls -A lake/public/t)" "LOAD00000001.csv" "re-run leaves exactly one file, no stale ones"
run_logtap status --config big.json --json
echo "$out" | grep -q '"table":"t","state":"loaded","full_load_rows":5000,.*"files":1,' && ok "manifest holds only the new file" \
  || fail "manifest after re-run: $out"
finish
