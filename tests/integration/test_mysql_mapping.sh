#!/usr/bin/env bash
# Table mapping against a real MariaDB:
# - transformation rules: the database renamed, a table renamed, a column renamed, one removed, one added
#   (concatenation with operation_indicator), a decimal widened; the files (headers, values) through the full load
#   and CDC, read by DuckDB; merge and validate on the transformed table;
# - define-primary-key on a table without a key: its UPDATEs are one U (not D+I) and the merge keys on it;
# - parallel-load partitions-auto on a partitioned table: a folder per partition; partitions-list; ranges;
# - table-type view in a full-load task.
source "$LOGTAP_SOURCE_DIR/tests/lib/itest.sh"
source "$LOGTAP_SOURCE_DIR/tests/lib/mariadb_server.sh"
require_mysql
dir=$(test_dir)
db=lt_mapping
my_fresh_db $db
my_sql $db "CREATE TABLE person (id int PRIMARY KEY, first varchar(20), last varchar(20), secret varchar(20), pay decimal(6,2));
INSERT INTO person VALUES (1, 'Ada', 'Lovelace', 'x', 10.5), (2, 'Alan', 'Turing', 'y', NULL);
CREATE TABLE log (k int NOT NULL, msg varchar(20));
INSERT INTO log VALUES (1, 'one'), (2, 'two'), (3, 'three');
CREATE TABLE parted (id int NOT NULL, v varchar(10), PRIMARY KEY (id)) PARTITION BY RANGE (id)
  (PARTITION p_low VALUES LESS THAN (100), PARTITION p_mid VALUES LESS THAN (200), PARTITION p_high VALUES LESS THAN MAXVALUE);
INSERT INTO parted SELECT seq, CONCAT('v', seq) FROM seq_1_to_300;
CREATE TABLE listed LIKE parted;
INSERT INTO listed SELECT * FROM parted;
CREATE TABLE ranged (id int NOT NULL PRIMARY KEY, v varchar(10));
INSERT INTO ranged SELECT seq, 'r' FROM seq_1_to_50;
CREATE VIEW person_names AS SELECT id, first FROM person;"
cd "$dir"
cat >task.json <<JSON
{
  "task": "mymapping", "migration_type": "full-load-and-cdc",
  "source": {"engine": "mysql", "socket": "$LOGTAP_MYSQL_SOCKET", "user": "logtap", "database": "$db", "server_id": $((3000 + RANDOM % 1000))},
  "target": {"path": "lake", "IncludeOpForFullLoad": true, "AddColumnName": true, "CdcMaxBatchInterval": 1},
  "table_mappings": {"rules": [
    {"rule-type":"selection","rule-id":"1","rule-name":"two","object-locator":{"schema-name":"$db","table-name":"person"},"rule-action":"include"},
    {"rule-type":"selection","rule-id":"2","rule-name":"log","object-locator":{"schema-name":"$db","table-name":"log"},"rule-action":"include"},
    {"rule-type":"transformation","rule-id":"3","rule-name":"db","rule-action":"rename","rule-target":"schema","object-locator":{"schema-name":"$db"},"value":"hr"},
    {"rule-type":"transformation","rule-id":"4","rule-name":"table","rule-action":"rename","rule-target":"table","object-locator":{"schema-name":"$db","table-name":"person"},"value":"people"},
    {"rule-type":"transformation","rule-id":"5","rule-name":"col","rule-action":"rename","rule-target":"column","object-locator":{"schema-name":"$db","table-name":"person","column-name":"first"},"value":"given"},
    {"rule-type":"transformation","rule-id":"6","rule-name":"drop","rule-action":"remove-column","rule-target":"column","object-locator":{"schema-name":"$db","table-name":"person","column-name":"secret"}},
    {"rule-type":"transformation","rule-id":"7","rule-name":"flag","rule-action":"add-column","rule-target":"column","object-locator":{"schema-name":"$db","table-name":"person"},
     "value":"flag","expression":"operation_indicator('gone', 'changed', 'new') || ':' || upper(\$last)","data-type":{"type":"string","length":40}},
    {"rule-type":"transformation","rule-id":"8","rule-name":"pay","rule-action":"change-data-type","rule-target":"column","object-locator":{"schema-name":"$db","table-name":"person","column-name":"pay"},"data-type":{"type":"numeric","precision":10,"scale":3}},
    {"rule-type":"transformation","rule-id":"9","rule-name":"logkey","rule-action":"define-primary-key","rule-target":"table","object-locator":{"schema-name":"$db","table-name":"log"},"primary-key-def":{"name":"pk","columns":["k"]}}
  ]}
}
JSON
run_logtap replicate --config task.json --until now
expect_eq "$rc" 0 "full load with transformation rules"
[ "$rc" -eq 0 ] || echo "$out"
expect_eq "$(head -1 lake/hr/people/LOAD00000001.csv)" "Op,id,given,last,pay,flag,_logtap_pos" "header: renamed, removed, added columns, in hr/people"
expect_eq "$(tail -n +2 lake/hr/people/LOAD00000001.csv | cut -d, -f1-6 | tr '\n' ' ')" "I,1,Ada,Lovelace,10.500,new:LOVELACE I,2,Alan,Turing,NULL,new:TURING " \
  "full-load values: converted decimal, operation_indicator and upper"
my_sql $db "INSERT INTO person VALUES (3, 'Grace', 'Hopper', 'z', 1);
UPDATE person SET last = 'King', secret = 'q' WHERE id = 1;
DELETE FROM person WHERE id = 2;
UPDATE log SET msg = 'TWO' WHERE k = 2;
UPDATE log SET k = 30 WHERE k = 3;
DELETE FROM log WHERE k = 1;"
run_logtap replicate --config task.json --until now
expect_eq "$rc" 0 "changes streamed"
[ "$rc" -eq 0 ] || echo "$out"
cdc=$(find lake/hr/people -name '2*.csv' | sort)
expect_eq "$(tail -n +2 $cdc | cut -d, -f1-6 | tr '\n' ' ')" "I,3,Grace,Hopper,1.000,new:HOPPER U,1,Ada,King,10.500,changed:KING D,2,Alan,Turing,NULL,gone:TURING " \
  "CDC values (the binlog's DELETE has the whole old row)"
logcdc=$(find lake/hr/log -name '2*.csv' | sort)
expect_eq "$(tail -n +2 $logcdc | cut -d, -f1-3 | tr '\n' ' ')" "U,2,TWO D,3,three I,30,three D,1,one " \
  "define-primary-key: an UPDATE of the defined key is D+I, the others U"
if have_duckdb; then
  got=$(duckdb "SELECT string_agg(given || '=' || flag, ' ' ORDER BY _logtap_pos) FROM read_csv('lake/hr/people/*.csv', header=true, nullstr='NULL', allow_quoted_nulls=false, union_by_name=true)")
  expect_eq "$got" "Ada=new:LOVELACE Alan=new:TURING Grace=new:HOPPER Ada=changed:KING Alan=gone:TURING" "DuckDB reads the transformed files"
fi
run_logtap merge --config task.json
expect_eq "$rc" 0 "merge"
[ "$rc" -eq 0 ] || echo "$out"
snap=$(find lake/_snapshots/hr/people -name 'part-00000.csv' | head -1)
expect_eq "$(tail -n +2 "$snap" | cut -d, -f1-5 | sort | tr '\n' ' ')" "1,Ada,King,10.500,changed:KING 3,Grace,Hopper,1.000,new:HOPPER " "snapshot of the transformed table"
snap=$(find lake/_snapshots/hr/log -name 'part-00000.csv' | head -1)
expect_eq "$(tail -n +2 "$snap" | cut -d, -f1,2 | sort | tr '\n' ' ')" "2,TWO 30,three " "snapshot keyed on the defined key"
run_logtap validate --config task.json
expect_eq "$rc" 0 "validate on the transformed tables"
echo "$out" | grep -q "compared: 3 of 5 columns; not compared: pay (converted), flag (added)" && ok "validate says what it compares" || fail "validate: $out"

# parallel-load on MariaDB, and a view (full load)
cat >load.json <<JSON
{
  "task": "myload", "migration_type": "full-load",
  "source": {"engine": "mysql", "socket": "$LOGTAP_MYSQL_SOCKET", "user": "logtap", "database": "$db", "server_id": $((4000 + RANDOM % 1000))},
  "target": {"path": "lake-load"},
  "table_mappings": {"rules": [
    {"rule-type":"selection","rule-id":"1","rule-name":"tables","object-locator":{"schema-name":"$db","table-name":"%"},"rule-action":"include"},
    {"rule-type":"selection","rule-id":"2","rule-name":"views","object-locator":{"schema-name":"$db","table-name":"person_%","table-type":"view"},"rule-action":"include"},
    {"rule-type":"table-settings","rule-id":"3","rule-name":"auto","object-locator":{"schema-name":"$db","table-name":"parted"},"parallel-load":{"type":"partitions-auto"}},
    {"rule-type":"table-settings","rule-id":"4","rule-name":"list","object-locator":{"schema-name":"$db","table-name":"listed"},"parallel-load":{"type":"partitions-list","partitions":["p_high","p_low","p_mid"]}},
    {"rule-type":"table-settings","rule-id":"5","rule-name":"ranges","object-locator":{"schema-name":"$db","table-name":"ranged"},"parallel-load":{"type":"ranges","columns":["id"],"boundaries":[["10"],["20"]],"segment-names":["a","b","c"]}}
  ]}
}
JSON
run_logtap full-load --config load.json
expect_eq "$rc" 0 "full load with partitions, ranges and a view"
[ "$rc" -eq 0 ] || echo "$out"
expect_eq "$(cd lake-load/$db/parted && find . -type f | sort | tr '\n' ' ')" "./p_high/LOAD00000001.csv ./p_low/LOAD00000001.csv ./p_mid/LOAD00000001.csv " "partitions-auto: a folder per partition"
expect_eq "$(wc -l <lake-load/$db/parted/p_mid/LOAD00000001.csv)" 100 "partition p_mid's rows"
expect_eq "$(cat lake-load/$db/listed/*/LOAD*.csv | wc -l)" 300 "partitions-list: every row once"
expect_eq "$(wc -l <lake-load/$db/ranged/b/LOAD00000001.csv) $(cat lake-load/$db/ranged/*/*.csv | wc -l)" "10 50" "ranges on MariaDB: segment b holds 10..19, all 50 rows once"
expect_eq "$(wc -l <lake-load/$db/person_names/LOAD00000001.csv)" 2 "table-type view: the view loaded"
sed 's/"p_high","p_low","p_mid"/"p_high","p_nope"/' load.json >bad.json
run_logtap full-load --config bad.json
expect_eq "$rc" 2 "partitions-list naming a partition the table lacks: exit 2"
echo "$out" | grep -q 'rule-id 4, rule-name "list"' && ok "names the rule" || fail "$out"
sed 's/"p_high","p_low","p_mid"/"p_high"/' load.json >bad.json
run_logtap full-load --config bad.json
expect_eq "$rc" 2 "partitions-list leaving partitions out: exit 2 (the table's files would lack their rows)"
finish
