#!/usr/bin/env bash
# DMS table-settings and selection options against a real PostgreSQL:
# - parallel-load ranges with segment-names: each segment's LOAD files in its own folder (DMS's S3 layout), every
#   row once; without segment-names: SEGMENT<n>_LOAD... files in the table's folder; a source filter and the
#   segments together; merge and validate exact over the segments' files;
# - parallel-load none: a big table is not split;
# - load-order: with one worker, tables start in load-order (higher first);
# - table-type view in a full-load task: the view is loaded like a table; a view rule in a CDC task, partitions on
#   PostgreSQL (DMS loads PostgreSQL by ranges only), a nullable or float range column, wildcards in a
#   table-settings rule: exit 2 naming the rule.
source "$LOGTAP_SOURCE_DIR/tests/lib/itest.sh"
source "$LOGTAP_SOURCE_DIR/tests/lib/pg_server.sh"
require_pg
dir=$(test_dir)
db=lt_table_settings
fresh_db $db
psql -d $db -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE TABLE sales (region text NOT NULL, no int NOT NULL, amount numeric(10,2), PRIMARY KEY (region, no));
INSERT INTO sales SELECT (ARRAY['EAST', 'NORTH', 'SOUTH', 'WEST'])[1 + g % 4], g, g * 1.5 FROM generate_series(1, 4000) g;
CREATE TABLE events (id bigint PRIMARY KEY, kind text, at date NOT NULL);
INSERT INTO events SELECT g, 'k' || (g % 3), DATE '2024-01-01' + (g % 100) FROM generate_series(1, 3000) g;
CREATE TABLE big (id int PRIMARY KEY, pad text);
INSERT INTO big SELECT g, repeat('x', 200) FROM generate_series(1, 20000) g;
CREATE TABLE first_t (id int PRIMARY KEY);
INSERT INTO first_t VALUES (1);
CREATE TABLE second_t (id int PRIMARY KEY, f float8);
INSERT INTO second_t VALUES (1, 1.5);
CREATE VIEW tech_sales AS SELECT region, no FROM sales WHERE no % 100 = 0;
SQL
cd "$dir"
cat >task.json <<JSON
{
  "task": "settings", "migration_type": "full-load",
  "source": {"engine": "postgres", "conninfo": "host=$PGHOST port=$PGPORT dbname=$db user=logtap"},
  "target": {"path": "lake", "MaxFullLoadSubTasks": 4},
  "full_load": {"part_min_mb": 1},
  "table_mappings": {"rules": [
    {"rule-type":"selection","rule-id":"1","rule-name":"tables","object-locator":{"schema-name":"public","table-name":"%"},"rule-action":"include"},
    {"rule-type":"selection","rule-id":"2","rule-name":"views","object-locator":{"schema-name":"public","table-name":"tech%","table-type":"view"},"rule-action":"include"},
    {"rule-type":"selection","rule-id":"3","rule-name":"events filtered","object-locator":{"schema-name":"public","table-name":"events"},"rule-action":"include",
     "filters":[{"filter-type":"source","column-name":"kind","filter-conditions":[{"filter-operator":"noteq","value":"k0"}]}]},
    {"rule-type":"table-settings","rule-id":"4","rule-name":"sales segments","object-locator":{"schema-name":"public","table-name":"sales"},
     "parallel-load":{"type":"ranges","columns":["region","no"],"boundaries":[["NORTH","1000"],["SOUTH","3000"]],
       "segment-names":["seg_low","seg_mid","seg_high"]}},
    {"rule-type":"table-settings","rule-id":"5","rule-name":"events segments","object-locator":{"schema-name":"public","table-name":"events"},
     "parallel-load":{"type":"ranges","columns":["at"],"boundaries":[["2024-02-01"],["2024-03-01"]]}},
    {"rule-type":"table-settings","rule-id":"6","rule-name":"big whole","object-locator":{"schema-name":"public","table-name":"big"},
     "parallel-load":{"type":"none"}}
  ]}
}
JSON
run_logtap full-load --config task.json
expect_eq "$rc" 0 "full load with table settings"
[ "$rc" -eq 0 ] || echo "$out"
expect_eq "$(cd lake/public/sales && find . -type f | sort | tr '\n' ' ')" "./seg_high/LOAD00000001.csv ./seg_low/LOAD00000001.csv ./seg_mid/LOAD00000001.csv " \
  "ranges with segment-names: a folder per segment"
expect_eq "$(cat lake/public/sales/*/LOAD*.csv | wc -l)" 4000 "every sales row once"
expect_eq "$(cat lake/public/sales/seg_low/LOAD*.csv | cut -d, -f1 | sort -u | tr '\n' ' ')" "EAST NORTH " "segment 1: below (NORTH, 1000)"
expect_eq "$(awk -F, '$1 == "NORTH" && $2 < 1000' lake/public/sales/seg_mid/LOAD*.csv | wc -l)" 0 "segment 2 starts at (NORTH, 1000)"
expect_eq "$(awk -F, '$1 == "NORTH" && $2 >= 1000' lake/public/sales/seg_low/LOAD*.csv | wc -l)" 0 "segment 1 stops before (NORTH, 1000)"
expect_eq "$(cat lake/public/sales/seg_high/LOAD*.csv | cut -d, -f1 | sort -u | tr '\n' ' ')" "SOUTH WEST " "segment 3: from (SOUTH, 3000)"
# the segments' workers run at once: which takes which of the shared numbers is their order of starting
expect_eq "$(cd lake/public/events && ls | sed 's/_LOAD.*//' | tr '\n' ' ')" "SEGMENT1 SEGMENT2 SEGMENT3 " \
  "ranges without segment-names: SEGMENT<n>_ before the LOAD numbers"
expect_eq "$(cd lake/public/events && ls | sed 's/.*_LOAD//' | sort | tr '\n' ' ')" "00000001.csv 00000002.csv 00000003.csv " \
  "the LOAD numbers are shared by the segments (each once)"
expect_eq "$(cat lake/public/events/*.csv | wc -l)" "$(sql $db "SELECT count(*) FROM events WHERE kind <> 'k0'")" "the filter and the segments together"
expect_eq "$(cut -d, -f3 lake/public/events/SEGMENT2_*.csv | sort -u | head -1)" "2024-02-01" "segment 2 starts at its boundary"
expect_eq "$(ls lake/public/big | tr '\n' ' ')" "LOAD00000001.csv " "parallel-load none: a big table read whole"
expect_eq "$(cat lake/public/tech_sales/LOAD*.csv | wc -l)" 40 "table-type view: the view is loaded"

run_logtap merge --config task.json
expect_eq "$rc" 0 "merge over segment folders"
[ "$rc" -eq 0 ] || echo "$out"
run_logtap validate --config task.json
expect_eq "$rc" 0 "validate (the filtered, segmented table and the view)"
[ "$rc" -eq 0 ] || echo "$out"

# a second load replaces the segments' files (none left from the first)
run_logtap full-load --config task.json
expect_eq "$(cat lake/public/sales/*/LOAD*.csv | wc -l)" 4000 "a new load replaces the segment folders' files"

# load-order: one worker, first_t (order 9) before second_t (order 1)
cat >order.json <<JSON
{"task": "order", "migration_type": "full-load",
 "source": {"engine": "postgres", "conninfo": "host=$PGHOST port=$PGPORT dbname=$db user=logtap"},
 "target": {"path": "lake-order", "MaxFullLoadSubTasks": 1},
 "table_mappings": {"rules": [
   {"rule-type":"selection","rule-id":"1","rule-name":"second","object-locator":{"schema-name":"public","table-name":"second_t"},"rule-action":"include","load-order":"1"},
   {"rule-type":"selection","rule-id":"2","rule-name":"first","object-locator":{"schema-name":"public","table-name":"first_t"},"rule-action":"include","load-order":9},
   {"rule-type":"selection","rule-id":"3","rule-name":"big","object-locator":{"schema-name":"public","table-name":"big"},"rule-action":"include"}]}}
JSON
run_logtap full-load --config order.json
expect_eq "$rc" 0 "load-order task"
expect_eq "$(echo "$out" | grep -o 'table public\.[a-z_]* loaded' | tr '\n' ' ')" "table public.first_t loaded table public.second_t loaded table public.big loaded " \
  "load-order: higher first, then the others (the biggest first)"

refused() { # refused NAME MIGRATION "RULES" "EXPECTED TEXT"
  cat >bad.json <<JSON
{"task": "bad", "migration_type": "$2",
 "source": {"engine": "postgres", "conninfo": "host=$PGHOST port=$PGPORT dbname=$db user=logtap"},
 "target": {"path": "lake-bad"},
 "table_mappings": {"rules": [{"rule-type":"selection","rule-id":"1","rule-name":"all","object-locator":{"schema-name":"public","table-name":"%"},"rule-action":"include"},
   $3]}}
JSON
  run_logtap full-load --config bad.json
  expect_eq "$rc" 2 "$1: exit 2"
  echo "$out" | grep -q "rule-id 9, rule-name \"$1\"" && echo "$out" | grep -q -- "$4" && ok "$1: $(echo "$out" | tail -1 | cut -c1-200)" || fail "$1: $out"
}
ts='"rule-type":"table-settings","rule-id":"9"'
refused cdcview full-load-and-cdc '{"rule-type":"selection","rule-id":"9","rule-name":"cdcview","object-locator":{"schema-name":"public","table-name":"%","table-type":"all"},"rule-action":"include"}' "full-load tasks only"
refused pgparts full-load "{$ts,\"rule-name\":\"pgparts\",\"object-locator\":{\"schema-name\":\"public\",\"table-name\":\"sales\"},\"parallel-load\":{\"type\":\"partitions-auto\"}}" "only by ranges"
refused nullable full-load "{$ts,\"rule-name\":\"nullable\",\"object-locator\":{\"schema-name\":\"public\",\"table-name\":\"events\"},\"parallel-load\":{\"type\":\"ranges\",\"columns\":[\"kind\"],\"boundaries\":[[\"k1\"]]}}" "can be NULL"
refused floatcol full-load "{$ts,\"rule-name\":\"floatcol\",\"object-locator\":{\"schema-name\":\"public\",\"table-name\":\"second_t\"},\"parallel-load\":{\"type\":\"ranges\",\"columns\":[\"f\"],\"boundaries\":[[\"1\"]]}}" "cannot bound segments"
refused wild full-load "{$ts,\"rule-name\":\"wild\",\"object-locator\":{\"schema-name\":\"public\",\"table-name\":\"%\"},\"parallel-load\":{\"type\":\"ranges\",\"columns\":[\"id\"],\"boundaries\":[[\"1\"]]}}" "exact schema and table name"
refused lob full-load "{$ts,\"rule-name\":\"lob\",\"object-locator\":{\"schema-name\":\"public\",\"table-name\":\"big\"},\"lob-settings\":{\"mode\":\"limited\"}}" "LOB"
refused badbound full-load "{$ts,\"rule-name\":\"badbound\",\"object-locator\":{\"schema-name\":\"public\",\"table-name\":\"big\"},\"parallel-load\":{\"type\":\"ranges\",\"columns\":[\"id\"],\"boundaries\":[[\"ten\"]]}}" "whole number"
finish
