#!/usr/bin/env bash
# The merge checks every input against the manifest: a CDC file cut at a line boundary, a load file cut short, a
# snapshot part cut short, or a file whose content changed in place (same size, still well-formed: a value edited;
# the manifest's CRC-32) is refused with the file's name (exit 1, no snapshot written), never merged into a
# snapshot named after a later commit. Restored, the same merge succeeds.
source "$LOGTAP_SOURCE_DIR/tests/lib/itest.sh"
require_pg
dir=$(test_dir)
db=lt_merge_damaged
fresh_db $db
sql $db "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 2000) g" >/dev/null
cd "$dir"
cat >task.json <<JSON
{"task": "damaged", "migration_type": "full-load-and-cdc",
 "source": {"engine": "postgres", "conninfo": "host=$PGHOST port=$PGPORT dbname=$db user=logtap"},
 "target": {"path": "lake"},
 "table_mappings": {"rules": [{"rule-type":"selection","rule-id":"1","rule-name":"1",
      "object-locator":{"schema-name":"public","table-name":"t"},"rule-action":"include"}]}}
JSON
run_logtap replicate --config task.json --until now
expect_eq "$rc" 0 "full load"
sql $db "UPDATE t SET v = v || '!' WHERE id <= 1000" >/dev/null
run_logtap replicate --config task.json --until now
expect_eq "$rc" 0 "CDC"
cdc=$(find lake/public/t -name '2*.csv' | head -1)
expect_eq "$(wc -l <"$cdc")" 1000 "one CDC file of 1000 changes"

cp "$cdc" saved.csv
head -n 500 saved.csv >"$cdc"            # cut at a line boundary: still a well-formed CSV file
run_logtap merge --config task.json
expect_eq "$rc" 1 "merge refuses a CDC file cut at a line boundary"
echo "$out" | grep -q "$(basename "$cdc") is [0-9]* bytes, the manifest recorded" && ok "it names the file and the size" || fail "merge: $out"
expect_eq "$(find lake/_snapshots -name 'part-*' 2>/dev/null | wc -l)" 0 "no snapshot written"
cp saved.csv "$cdc"
sed -i 's/,v17!,/,v71!,/' "$cdc"          # a value edited in place: same size, same rows, well-formed
expect_eq "$(stat -c %s "$cdc")" "$(stat -c %s saved.csv)" "the edited file keeps its size"
run_logtap merge --config task.json
expect_eq "$rc" 1 "merge refuses a CDC file whose content changed in place"
echo "$out" | grep -q "$(basename "$cdc") has CRC-32 [0-9a-f]*, the manifest recorded" && ok "it names the file and the checksum" || fail "merge: $out"
cp saved.csv "$cdc"
run_logtap merge --config task.json
expect_eq "$rc" 0 "restored, the merge succeeds"
run_logtap validate --config task.json
expect_eq "$rc" 0 "and the snapshot equals the source"

# a load file of the same size whose content changed (a line break in place of a character) is refused too
load=lake/public/t/LOAD00000001.csv
cp "$load" saved-load.csv
sed -i '10s/v10/v\n1/' "$load"; truncate -s "$(stat -c %s saved-load.csv)" "$load"
rm -rf lake/_snapshots && sqlite3 lake/_state/damaged.db "DELETE FROM snapshots"
run_logtap merge --config task.json
expect_eq "$rc" 1 "merge refuses a load file whose content changed"
echo "$out" | grep -q "LOAD00000001.csv" && ok "it names the load file" || fail "merge: $out"
cp saved-load.csv "$load"
run_logtap merge --config task.json
expect_eq "$rc" 0 "restored, the merge succeeds"

# a snapshot part cut short is refused as the next merge's base
sql $db "UPDATE t SET v = 'again' WHERE id <= 10" >/dev/null
run_logtap replicate --config task.json --until now
part=$(find lake/_snapshots -name 'part-*' | head -1)
truncate -s 100 "$part"
run_logtap merge --config task.json
expect_eq "$rc" 1 "merge refuses a snapshot part cut short"
echo "$out" | grep -q "part-00000.csv is 100 bytes" && ok "it names the snapshot part" || fail "merge: $out"
# the same for a snapshot part edited in place
rm -rf lake/_snapshots && sqlite3 lake/_state/damaged.db "DELETE FROM snapshots"
run_logtap merge --config task.json
expect_eq "$rc" 0 "a new snapshot"
part=$(find lake/_snapshots -name 'part-*' | head -1)
sed -i 's/,v1234,/,v4321,/' "$part"
sql $db "UPDATE t SET v = 'more' WHERE id <= 5" >/dev/null
run_logtap replicate --config task.json --until now
run_logtap merge --config task.json
expect_eq "$rc" 1 "merge refuses a snapshot part edited in place as its base"
echo "$out" | grep -q "part-00000.csv has CRC-32" && ok "it names the snapshot part and the checksum" || fail "merge: $out"
sql $db "SELECT pg_drop_replication_slot('logtap_damaged')" >/dev/null
finish
