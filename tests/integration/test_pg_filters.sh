#!/usr/bin/env bash
# DMS source filters against a real PostgreSQL: (dept = 'tech' OR dept IS NULL) AND amount between 10 and 500 AND
# hired >= 2020-01-01, in the full load (the COPY's WHERE: the LOAD files hold exactly the selected rows) and in
# CDC under a writer that moves rows into and out of the filter (updates of the filter columns, key changes,
# inserts, deletes) while logtap is killed and restarted:
# - emp_full (REPLICA IDENTITY FULL, the old row in every change): a row entering the filter is written as I, one
#   leaving it as D of its old row, none is written twice, every U and D finds its row: a strict replay of the
#   files equals the filtered source;
# - emp (the default replica identity, no old row): a replay as the merge applies changes (U upserts, D of a row
#   not there does nothing) equals the filtered source;
# - merge and validate are exact (validate compares with the filtered source);
# - text compares by bytes ('Tech' is not 'tech'), numeric as numbers (9.99 < 10.00);
# - filters logtap cannot honour exit 2 naming the rule.
source "$LOGTAP_SOURCE_DIR/tests/lib/itest.sh"
source "$LOGTAP_SOURCE_DIR/tests/lib/pg_server.sh"
require_pg
dir=$(test_dir)
db=lt_filters
fresh_db $db
psql -d $db -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE TABLE emp (id int PRIMARY KEY, dept text, amount numeric(10,2), hired date, note text);
CREATE TABLE emp_full (LIKE emp INCLUDING ALL);
ALTER TABLE emp_full REPLICA IDENTITY FULL;
CREATE TABLE other (id int PRIMARY KEY, v text);
INSERT INTO emp SELECT g, (ARRAY['tech', 'Tech', 'ops', NULL])[1 + g % 4], (g % 60) * 9.99,
  DATE '2019-06-01' + (g % 900), 'n' || g FROM generate_series(1, 3000) g;
INSERT INTO emp_full SELECT * FROM emp;
INSERT INTO other SELECT g, 'v' || g FROM generate_series(1, 10) g;
SQL
cd "$dir"
filter() { # filter TABLE RULE-ID
  cat <<JSON
{"rule-type":"selection","rule-id":"$2","rule-name":"only $1","object-locator":{"schema-name":"public","table-name":"$1"},
 "rule-action":"include","filters":[
   {"filter-type":"source","column-name":"dept","filter-conditions":[{"filter-operator":"eq","value":"tech"},{"filter-operator":"null"}]},
   {"filter-type":"source","column-name":"amount","filter-conditions":[{"filter-operator":"between","start-value":"10","end-value":"500"}]},
   {"filter-type":"source","column-name":"hired","filter-conditions":[{"filter-operator":"gte","value":"2020-01-01"}]}]}
JSON
}
cat >task.json <<JSON
{
  "task": "filters", "migration_type": "full-load-and-cdc",
  "source": {"engine": "postgres", "conninfo": "host=$PGHOST port=$PGPORT dbname=$db user=logtap"},
  "target": {"path": "lake", "IncludeOpForFullLoad": true, "CdcMaxBatchInterval": 1},
  "table_mappings": {"rules": [$(filter emp 1), $(filter emp_full 2),
    {"rule-type":"selection","rule-id":"3","rule-name":"other","object-locator":{"schema-name":"public","table-name":"other"},"rule-action":"include"}]}
}
JSON
where="(dept = 'tech' OR dept IS NULL) AND amount BETWEEN 10 AND 500 AND hired >= '2020-01-01'"
run_logtap replicate --config task.json --until now
expect_eq "$rc" 0 "full load with filters"
[ "$rc" -eq 0 ] || echo "$out"
for t in emp emp_full; do
  want=$(sql $db "SELECT count(*) FROM $t WHERE $where")
  got=$(cat lake/public/$t/LOAD*.csv | wc -l)
  expect_eq "$got" "$want" "$t: the LOAD files hold exactly the filtered rows ($want of 3000)"
done
expect_eq "$(cat lake/public/other/LOAD*.csv | wc -l)" 10 "other (no filter): every row"
grep -q ',Tech,' lake/public/emp/LOAD*.csv && fail "a 'Tech' row passed the filter on 'tech'" || ok "text compares by bytes: no 'Tech' row"
grep -q ',9\.99,' lake/public/emp/LOAD*.csv && fail "9.99 passed amount >= 10" || ok "numeric compares as numbers"

# A writer that moves rows across the filter in both tables, the same changes in each.
cat >writer.sql <<'SQL'
\set id random(1, 3500)
\set other random(1, 3500)
\set d random(0, 3)
\set a random(0, 700)
BEGIN;
UPDATE emp SET dept = (ARRAY['tech', 'Tech', 'ops', NULL])[1 + :d] WHERE id = :id;
UPDATE emp_full SET dept = (ARRAY['tech', 'Tech', 'ops', NULL])[1 + :d] WHERE id = :id;
UPDATE emp SET amount = :a, note = 'u' || :a WHERE id = :other;
UPDATE emp_full SET amount = :a, note = 'u' || :a WHERE id = :other;
UPDATE emp SET note = 'n only' WHERE id = :other + 1;
UPDATE emp_full SET note = 'n only' WHERE id = :other + 1;
INSERT INTO emp VALUES (:id + 4000, 'tech', :a, DATE '2021-01-01', 'new') ON CONFLICT (id) DO UPDATE SET hired = DATE '2019-01-01';
INSERT INTO emp_full VALUES (:id + 4000, 'tech', :a, DATE '2021-01-01', 'new') ON CONFLICT (id) DO UPDATE SET hired = DATE '2019-01-01';
DELETE FROM emp WHERE id = :other + 2;
DELETE FROM emp_full WHERE id = :other + 2;
UPDATE emp SET id = id + 10000 WHERE id = :other + 3;
UPDATE emp_full SET id = id + 10000 WHERE id = :other + 3;
END;
SQL
pgbench=$(pg_bin_dir)/pgbench
"$pgbench" -n -f writer.sql -c 2 -j 2 -T 10 --max-tries=20 $db >writer.log 2>&1 &
writer=$!
kills=0
for round in 1 2 3; do
  "$LOGTAP_BIN" replicate --config task.json >>replicate.log 2>&1 &
  pid=$!
  sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 1 + (r % 200) / 100 }')"
  if kill -9 $pid 2>/dev/null; then kills=$((kills + 1)); fi
  wait $pid 2>/dev/null || true
done
wait $writer || { cat writer.log; fail "writer failed"; }
grep -q "transactions actually processed" writer.log && ok "writer ran ($(grep 'actually processed' writer.log))" || fail "writer: $(cat writer.log)"
run_logtap replicate --config task.json --until now
expect_eq "$rc" 0 "replicate --until now after the writer"
[ "$rc" -eq 0 ] || echo "$out"

# Replay the files in SQL.
psql -d $db -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE TABLE ch_emp (op text, id int, dept text, amount numeric(10,2), hired date, note text, pos text, unch text);
CREATE TABLE ch_emp_full (LIKE ch_emp);
CREATE TABLE r_emp (LIKE emp INCLUDING ALL);
CREATE TABLE r_emp_full (LIKE emp INCLUDING ALL);
SQL
for t in emp emp_full; do
  for f in lake/public/$t/LOAD*.csv; do
    psql -d $db -q -c "\\copy ch_$t (op, id, dept, amount, hired, note, pos) FROM '$f' WITH (FORMAT csv, NULL 'NULL')"
  done
  for f in $(find lake/public/$t -name '2*.csv' | sort); do
    psql -d $db -q -c "\\copy ch_$t FROM '$f' WITH (FORMAT csv, NULL 'NULL')"
  done
  expect_eq "$(sql $db "SELECT count(*) FROM (SELECT pos FROM ch_$t WHERE pos > (SELECT min(pos) FROM ch_$t) GROUP BY pos HAVING count(*) > 1) d")" 0 "$t: no change twice on disk"
done
for op in I U D; do
  [ "$(sql $db "SELECT count(*) FROM ch_emp_full WHERE op = '$op' AND pos > (SELECT min(pos) FROM ch_emp_full)")" -gt 0 ] \
    && ok "emp_full: CDC wrote $op rows" || fail "emp_full: no $op rows in CDC"
done
# strict: with the old row in every change, an I never finds its key, a U or D always does
psql -d $db -q -v ON_ERROR_STOP=1 <<'SQL'
DO $$
DECLARE c record;
BEGIN
  FOR c IN SELECT * FROM ch_emp_full ORDER BY pos LOOP
    IF c.op = 'I' THEN
      INSERT INTO r_emp_full VALUES (c.id, c.dept, c.amount, c.hired, c.note);
    ELSIF c.op = 'U' THEN
      UPDATE r_emp_full SET dept = c.dept, amount = c.amount, hired = c.hired, note = c.note WHERE id = c.id;
      IF NOT FOUND THEN RAISE EXCEPTION 'update of missing key % at %', c.id, c.pos; END IF;
    ELSE
      DELETE FROM r_emp_full WHERE id = c.id;
      IF NOT FOUND THEN RAISE EXCEPTION 'delete of missing key % at %', c.id, c.pos; END IF;
    END IF;
  END LOOP;
  -- as the merge applies them: U upserts, D of a missing row does nothing
  FOR c IN SELECT * FROM ch_emp ORDER BY pos LOOP
    IF c.op IN ('I', 'U') THEN
      INSERT INTO r_emp VALUES (c.id, c.dept, c.amount, c.hired, c.note) ON CONFLICT (id) DO UPDATE
        SET dept = c.dept, amount = c.amount, hired = c.hired, note = c.note;
    ELSE
      DELETE FROM r_emp WHERE id = c.id;
    END IF;
  END LOOP;
END $$;
SQL
expect_eq "$?" 0 "emp_full: strict replay applied every change"
for t in emp emp_full; do
  diff=$(sql $db "SELECT count(*) FROM ((SELECT * FROM $t WHERE $where EXCEPT ALL SELECT * FROM r_$t) UNION ALL (SELECT * FROM r_$t EXCEPT ALL SELECT * FROM $t WHERE $where)) d")
  expect_eq "$diff" 0 "$t: the replayed files equal the filtered source ($(sql $db "SELECT count(*) FROM $t WHERE $where") rows, $(sql $db "SELECT count(*) FROM ch_$t WHERE pos > (SELECT min(pos) FROM ch_$t)") changes)"
done
run_logtap merge --config task.json
expect_eq "$rc" 0 "merge"
[ "$rc" -eq 0 ] || echo "$out"
run_logtap validate --config task.json
expect_eq "$rc" 0 "validate: the snapshots equal the filtered source"
echo "$out" | grep -q "public.emp_full .* OK" && ok "validate: emp_full OK" || fail "validate: $out"

# filters logtap cannot honour: exit 2 naming the rule
refused() { # refused NAME "FILTERS" "EXPECTED TEXT"
  cat >bad.json <<JSON
{"task": "bad", "migration_type": "full-load",
 "source": {"engine": "postgres", "conninfo": "host=$PGHOST port=$PGPORT dbname=$db user=logtap"},
 "target": {"path": "lake-bad"},
 "table_mappings": {"rules": [{"rule-type":"selection","rule-id":"42","rule-name":"$1","object-locator":{"schema-name":"public","table-name":"emp"},"rule-action":"include","filters":[$2]}]}}
JSON
  run_logtap full-load --config bad.json
  expect_eq "$rc" 2 "$1: exit 2"
  echo "$out" | grep -q "rule-id 42, rule-name \"$1\"" && echo "$out" | grep -q "$3" && ok "$1: the message names the rule: $(echo "$out" | tail -1)" || fail "$1: $out"
}
refused nocolumn '{"filter-type":"source","column-name":"nope","filter-conditions":[{"filter-operator":"eq","value":"1"}]}' "has no column nope"
refused badnumber '{"filter-type":"source","column-name":"amount","filter-conditions":[{"filter-operator":"gte","value":"1,5"}]}' "not a decimal"
refused baddate '{"filter-type":"source","column-name":"hired","filter-conditions":[{"filter-operator":"gte","value":"01/01/2020"}]}' "YYYY-MM-DD"
refused badop '{"filter-type":"source","column-name":"id","filter-conditions":[{"filter-operator":"lt","value":"1"}]}' "not a DMS filter operator"
refused twoneg '{"filter-type":"source","column-name":"id","filter-conditions":[{"filter-operator":"noteq","value":"1"},{"filter-operator":"eq","value":"2"}]}' "negative operator"
sql $db "SELECT pg_drop_replication_slot('logtap_filters')" >/dev/null
finish
