#!/usr/bin/env bash
# The object layout is the file layout, with DMS's settings as a DMS user would paste them: BucketName and
# BucketFolder (no path), PreserveTransactions with CdcPath; DatePartitionEnabled (DMS takes it without
# PreserveTransactions only). Then the task's state store is
# lost: the next first run finds the table folders holding objects it does not know and refuses (exit 1);
# `replicate --start-over` moves every object aside (copies under _replaced-<time>/, then the originals go) and
# loads again.
source "$LOGTAP_SOURCE_DIR/tests/lib/itest.sh"
source "$LOGTAP_SOURCE_DIR/tests/lib/pg_server.sh"
source "$LOGTAP_SOURCE_DIR/tests/lib/s3_server.sh"
require_pg
bucket=lt-layout-$$
require_s3 $bucket
dir=$(test_dir)
db=lt_s3_layout
fresh_db $db
psql -d $db -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE TABLE orders (id int PRIMARY KEY, total int);
INSERT INTO orders SELECT g, g * 10 FROM generate_series(1, 100) g;
CREATE TABLE lines (id int PRIMARY KEY, order_id int, sku text);
INSERT INTO lines SELECT g, g % 100 + 1, 'sku' || g FROM generate_series(1, 300) g;
SQL
cd "$dir"
cat >task.json <<JSON
{"task": "layout", "migration_type": "full-load-and-cdc",
 "source": {"engine": "postgres", "conninfo": "host=$PGHOST port=$PGPORT dbname=$db user=logtap"},
 "target": {"BucketName": "$bucket", "BucketFolder": "raw/shop/", "PreserveTransactions": true, "CdcPath": "txn",
            "CdcMaxBatchInterval": 1},
 "state": "state/layout.db",
 "table_mappings": {"rules": [{"rule-type":"selection","rule-id":"1","rule-name":"1",
     "object-locator":{"schema-name":"public","table-name":"%"},"rule-action":"include"}]}}
JSON
run_logtap replicate --config task.json --until now
expect_eq "$rc" 0 "replicate --until now: the load into s3://$bucket/raw/shop/"
[ "$rc" -eq 0 ] || echo "$out"
psql -d $db -q -v ON_ERROR_STOP=1 -c "BEGIN; UPDATE orders SET total = total + 1 WHERE id <= 10; INSERT INTO lines VALUES (1000, 1, 'new'); COMMIT;"
run_logtap replicate --config task.json --until now
expect_eq "$rc" 0 "replicate --until now: the changes"
s3cli ls "s3://$bucket/" | cut -f1 >objects.txt
expect_eq "$(grep -c '' objects.txt)" 5 "five objects: two loads, two CDC files, one transaction file"
expect_eq "$(grep -Ec "^raw/shop/public/(orders|lines)/LOAD00000001\\.csv$" objects.txt)" 2 "loads under BucketFolder"
expect_eq "$(grep -Ec "^raw/shop/public/(orders|lines)/[0-9]{8}-[0-9]{9}\\.csv$" objects.txt)" 2 "CDC files beside them"
expect_eq "$(grep -Ec '^raw/shop/txn/CDC_TXN-[0-9]{17}\.csv$' objects.txt)" 1 "the transaction file under CdcPath"
s3cli get "s3://$bucket/$(grep txn/ objects.txt)" txn.csv
expect_eq "$(cut -d, -f1-3 txn.csv | sort | uniq -c | awk '{ print $1 " " $2 }' | tr '\n' ';')" "1 I,lines,public;10 U,orders,public;" \
  "the transaction file holds the transaction's 11 changes"

# date partitions
sed -e 's|"BucketName": "'$bucket'", "BucketFolder": "raw/shop/", "PreserveTransactions": true, "CdcPath": "txn",|"path": "s3://'$bucket'/dp", "DatePartitionEnabled": "y",|' \
  -e 's|"task": "layout"|"task": "dp"|' -e 's|state/layout.db|state/dp.db|' task.json >dp.json
run_logtap replicate --config dp.json --until now
psql -d $db -q -c "UPDATE orders SET total = total - 1 WHERE id = 1"
run_logtap replicate --config dp.json --until now
expect_eq "$rc" 0 "a task with DatePartitionEnabled"
today=$(date -u +%Y/%m/%d)
expect_eq "$(s3cli ls "s3://$bucket/dp/" | cut -f1 | grep -Ec "^dp/public/orders/$today/[0-9]{8}-[0-9]{9}\\.csv$")" 1 \
  "its CDC file is under its date partition ($today)"
sql $db "SELECT pg_drop_replication_slot('logtap_dp')" >/dev/null

# the state store lost: refused, then started over on purpose
mv state/layout.db state/lost.db
run_logtap replicate --config task.json --until now
expect_eq "$rc" 1 "a first run beside objects the state store does not know: refused"
echo "$out" | grep -q "2 of its tables' folders hold files (s3://$bucket/raw/shop/public/" && ok "the message names the objects' folder" \
  || fail "message: $out"
run_logtap replicate --config task.json --until now --start-over
expect_eq "$rc" 0 "replicate --start-over"
[ "$rc" -eq 0 ] || echo "$out"
s3cli ls "s3://$bucket/" | cut -f1 >after.txt
expect_eq "$(grep -Ec '^_replaced-[0-9T]{15}Z/raw/shop/(public/(orders|lines)/|txn/)' after.txt)" 5 "the five objects were moved aside"
expect_eq "$(grep -Ec '^raw/shop/public/(orders|lines)/LOAD00000001\.csv$' after.txt)" 2 "and the tables loaded again"
expect_eq "$(grep -c '^raw/shop/' after.txt)" 2 "nothing else is left in the task's folder"
sql $db "SELECT pg_drop_replication_slot('logtap_layout')" >/dev/null
finish
