#!/usr/bin/env bash
# DMS source filters against a real MariaDB: (dept = 'tech' OR dept IS NULL) AND amount between 10 and 500 AND
# hired >= 2020-01-01 AND ratio >= 0.1 (a FLOAT, compared in its own width) AND span <= 100:00:00 (a TIME
# duration), in the full load (the SELECT's WHERE) and in CDC under a writer that moves rows into and out of the
# filter, with logtap killed and restarted: the binlog has whole rows, so a row entering the filter is written as
# I and one leaving it as D of its old row, and a strict replay of the files (every U and D finds its row, no I
# finds one) equals the filtered source; text compares by bytes whatever the column's collation ('Tech' is not
# 'tech' although utf8mb4_general_ci says they are equal); merge and validate are exact.
source "$LOGTAP_SOURCE_DIR/tests/lib/itest.sh"
source "$LOGTAP_SOURCE_DIR/tests/lib/mariadb_server.sh"
source "$LOGTAP_SOURCE_DIR/tests/lib/mysql_replay.sh"
require_mysql
dir=$(test_dir)
db=lt_filters
my_fresh_db $db
my_fresh_db lt_filters_r
my_fresh_db lt_filters_f
my_sql $db "CREATE TABLE emp (id int PRIMARY KEY, dept varchar(10) COLLATE utf8mb4_general_ci, amount decimal(10,2),
  hired date, ratio float, span time, note varchar(40));
INSERT INTO emp SELECT seq, ELT(1 + seq % 4, 'tech', 'Tech', 'ops', NULL), (seq % 60) * 9.99,
  DATE '2019-06-01' + INTERVAL (seq % 900) DAY, (seq % 7) / 10, SEC_TO_TIME(CAST(seq % 200 AS SIGNED) * 3600 - 50 * 3600),
  CONCAT('n', seq) FROM seq_1_to_3000;"
where="(BINARY dept = 'tech' OR dept IS NULL) AND amount BETWEEN 10 AND 500 AND hired >= '2020-01-01' AND ratio >= CAST(0.1 AS FLOAT) AND span <= '100:00:00'"
cd "$dir"
cat >task.json <<JSON
{
  "task": "myfilters", "migration_type": "full-load-and-cdc",
  "source": {"engine": "mysql", "socket": "$LOGTAP_MYSQL_SOCKET", "user": "logtap", "database": "$db", "server_id": $((2000 + RANDOM % 1000))},
  "target": {"path": "lake", "IncludeOpForFullLoad": true, "CdcMaxBatchInterval": 1},
  "table_mappings": {"rules": [{"rule-type":"selection","rule-id":"1","rule-name":"only tech",
    "object-locator":{"schema-name":"$db","table-name":"emp"}, "rule-action":"include","filters":[
     {"filter-type":"source","column-name":"dept","filter-conditions":[{"filter-operator":"eq","value":"tech"},{"filter-operator":"null"}]},
     {"filter-type":"source","column-name":"amount","filter-conditions":[{"filter-operator":"between","start-value":"10","end-value":"500"}]},
     {"filter-type":"source","column-name":"hired","filter-conditions":[{"filter-operator":"gte","value":"2020-01-01"}]},
     {"filter-type":"source","column-name":"ratio","filter-conditions":[{"filter-operator":"gte","value":"0.1"}]},
     {"filter-type":"source","column-name":"span","filter-conditions":[{"filter-operator":"ste","value":"100:00:00"}]}]}]}
}
JSON
run_logtap replicate --config task.json --until now
expect_eq "$rc" 0 "full load with filters"
[ "$rc" -eq 0 ] || echo "$out"
want=$(my_sql $db "SELECT COUNT(*) FROM emp WHERE $where")
expect_eq "$(cat lake/$db/emp/LOAD*.csv | wc -l)" "$want" "the LOAD files hold exactly the filtered rows ($want of 3000)"
grep -q ',Tech,' lake/$db/emp/LOAD*.csv && fail "a 'Tech' row passed the filter on 'tech'" || ok "text compares by bytes, not by the column's collation"

# the writer: random changes, many moving rows across the filter
awk -v seed=$RANDOM 'BEGIN { srand(seed); for (i = 0; i < 4000; i++) {
  id = int(rand() * 3500) + 1; o = int(rand() * 3500) + 1; d = int(rand() * 4);
  split("tech,Tech,ops", names, ","); dv = d == 3 ? "NULL" : "\x27" names[d + 1] "\x27";
  printf "BEGIN; UPDATE emp SET dept = %s WHERE id = %d; UPDATE emp SET amount = %d, ratio = %.2f WHERE id = %d;", dv, id, int(rand() * 700), rand() * 0.3, o;
  printf " UPDATE emp SET span = SEC_TO_TIME(%d) WHERE id = %d;", int(rand() * 720000) - 360000, o + 4;
  printf " INSERT INTO emp VALUES (%d, \x27tech\x27, %d, \x272021-01-01\x27, 0.5, \x2701:00:00\x27, \x27new\x27) ON DUPLICATE KEY UPDATE hired = \x272019-01-01\x27;", id + 4000, int(rand() * 700);
  printf " DELETE FROM emp WHERE id = %d; UPDATE emp SET id = id + 10000 WHERE id = %d; COMMIT;\n", o + 2, o + 3 } }' >writer.sql
(mariadb --no-defaults -S "$LOGTAP_MYSQL_SOCKET" -ulogtap -D $db <writer.sql >writer.log 2>&1; echo "writer rc=$?" >>writer.log) &
writer=$!
for round in 1 2 3; do
  "$LOGTAP_BIN" replicate --config task.json >>replicate.log 2>&1 &
  pid=$!
  sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 1 + (r % 200) / 100 }')"
  kill -9 $pid 2>/dev/null || true
  wait $pid 2>/dev/null || true
done
wait $writer
grep -q "writer rc=0" writer.log && ok "writer ran 4000 transactions" || fail "writer: $(cat writer.log)"
run_logtap replicate --config task.json --until now
expect_eq "$rc" 0 "replicate --until now after the writer"
[ "$rc" -eq 0 ] || echo "$out"

for op in I U D; do
  n=$(find lake/$db/emp -name '2*.csv' -exec cat {} + | grep -c "^$op," || true)
  [ "$n" -gt 0 ] && ok "CDC wrote $n $op rows" || fail "no $op rows in CDC"
done
my_sql lt_filters_f "CREATE TABLE emp LIKE $db.emp; INSERT INTO emp SELECT * FROM $db.emp WHERE $where"
if my_replay_table $db emp lt_filters_r lake >replay.log 2>&1; then
  ok "strict replay applied every change"
else
  fail "replay: $(cat replay.log)"
fi
expect_eq "$(my_replay_dup_positions lt_filters_r emp)" 0 "no change twice on disk"
expect_eq "$(my_diff_tables lt_filters_f emp lt_filters_r)" 0 "the replayed files equal the filtered source ($(my_sql lt_filters_f 'SELECT COUNT(*) FROM emp') rows)"
run_logtap merge --config task.json
expect_eq "$rc" 0 "merge"
[ "$rc" -eq 0 ] || echo "$out"
run_logtap validate --config task.json
expect_eq "$rc" 0 "validate: the snapshot equals the filtered source"
[ "$rc" -eq 0 ] || echo "$out"
finish
