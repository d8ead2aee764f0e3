#!/usr/bin/env bash
# DMS settings that do not depend on the source, once against MariaDB: CdcInsertsOnly with IncludeOpForFullLoad
# true (Op I everywhere; updates, deletes, a key-changing UPDATE and an UPDATE of a table without a key, which
# the binlog gives as D+I, are all left out), BucketFolder, date partitions YYYYMM/NONE; merge refused (exit 2).
source "$LOGTAP_SOURCE_DIR/tests/lib/itest.sh"
source "$LOGTAP_SOURCE_DIR/tests/lib/mariadb_server.sh"
require_mysql
dir=$(test_dir)
cd "$dir"
db=lt_my_dms
my_fresh_db $db
my_sql $db "
CREATE TABLE k (id int PRIMARY KEY, v varchar(20));
CREATE TABLE nk (a int, b varchar(20));
INSERT INTO k VALUES (1, 'a'), (2, 'b'), (3, 'c');
INSERT INTO nk VALUES (1, 'x'), (2, 'y');"
write_mysql_config task.json $db '"IncludeOpForFullLoad": "Y", "CdcInsertsOnly": "y", "CdcMaxBatchInterval": 1,
  "BucketFolder": "mirror", "DatePartitionEnabled": true, "DatePartitionSequence": "YYYYMM", "DatePartitionDelimiter": "NONE",
  "AddColumnName": true' full-load-and-cdc
run_logtap replicate --config task.json --until now
expect_eq "$rc" 0 "full load and CDC start"
[ "$rc" -eq 0 ] || echo "$out"
my_sql $db "
INSERT INTO k VALUES (4, 'd');
UPDATE k SET v = 'A' WHERE id = 1;
UPDATE k SET id = 20 WHERE id = 2;
DELETE FROM k WHERE id = 3;
UPDATE nk SET b = 'z' WHERE a = 1;
DELETE FROM nk WHERE a = 2;
INSERT INTO nk VALUES (5, 'w');"
run_logtap replicate --config task.json --until now
expect_eq "$rc" 0 "changes streamed"
[ "$rc" -eq 0 ] || echo "$out"
expect_eq "$(head -1 lake/mirror/$db/k/LOAD00000001.csv)" "Op,id,v,_logtap_pos" "the load is under BucketFolder, with Op"
for t in k nk; do
  files=$(find lake/mirror/$db/$t -name '2*.csv')
  expect_eq "$(echo "$files" | grep -c .)" 1 "$t: one CDC file"
  month=$(basename "$files" | cut -c1-6) # the file is named after its first change's commit time (UTC)
  case "$files" in lake/mirror/$db/$t/$month/$month*.csv) ok "$t: under its month (YYYYMM, NONE): $files" ;;
    *) fail "$t: CDC file at $files, expected under lake/mirror/$db/$t/$month/" ;; esac
done
f=$(find lake/mirror/$db/k -name '2*.csv')
expect_eq "$(head -1 $f)" "Op,id,v,_logtap_pos,_logtap_unchanged" "k: CDC header has Op (IncludeOpForFullLoad true)"
expect_eq "$(tail -n +2 $f | cut -d, -f1-3 | tr '\n' ' ')" "I,4,d " "k: only the insert (not the update, the key change or the delete)"
f=$(find lake/mirror/$db/nk -name '2*.csv')
expect_eq "$(tail -n +2 $f | cut -d, -f1-3 | tr '\n' ' ')" "I,5,w " "nk: only the insert (not the UPDATE the binlog gives as D+I)"
run_logtap merge --config task.json
expect_eq "$rc" 2 "merge refuses an inserts-only task"
echo "$out" | grep -q "target.CdcInsertsOnly" && ok "merge names the setting" || fail "merge: $out"
finish
