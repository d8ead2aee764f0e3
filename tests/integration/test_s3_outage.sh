#!/usr/bin/env bash
# The object store going away, on a gateway of the test's own (so the other tests' keeps running):
# - stopped while a full load uploads, back 2 s later: the failed requests are tried again (logged), the load
#   succeeds, and its objects hold every row;
# - stopped while replicate flushes a batch, back 2 s later: the flush goes on once it is back, every change is in
#   the bucket, none twice;
# - stopped for good during a full load: after its tries the load fails (exit 1) naming the request and the error,
#   the table is not recorded as loaded, no file of it is in the manifest and no unfinished upload is left; the
#   next load, the store back, leaves the bucket holding exactly the manifest's files.
source "$LOGTAP_SOURCE_DIR/tests/lib/itest.sh"
source "$LOGTAP_SOURCE_DIR/tests/lib/pg_server.sh"
source "$LOGTAP_SOURCE_DIR/tests/lib/s3_server.sh"
require_pg
require_s3
s3_server_available || { echo "skip: radosgw is not installed"; exit 77; }
dir=$(test_dir)
gw=$dir/gateway
trap 's3_server_stop "$gw"' EXIT
s3_server_start "$gw" $((41000 + RANDOM % 8000)) || { echo "FAILED: a gateway of the test's own did not start"; exit 1; }
export AWS_ENDPOINT_URL_S3=$LOGTAP_S3_ENDPOINT AWS_ACCESS_KEY_ID=$LOGTAP_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$LOGTAP_S3_SECRET_KEY
bucket=lt-outage
s3cli mb $bucket
db=lt_s3_outage
fresh_db $db
psql -d $db -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE TABLE big (id int PRIMARY KEY, pad text);
INSERT INTO big SELECT g, repeat(md5(g::text), 4) FROM generate_series(1, 200000) g;
CREATE TABLE small (id int PRIMARY KEY, v int);
INSERT INTO small SELECT g, g FROM generate_series(1, 100) g;
SQL
cd "$dir"
task() { # task FILE NAME MIGRATION TABLE
  cat >"$1" <<JSON
{"task": "$2", "migration_type": "$3",
 "source": {"engine": "postgres", "conninfo": "host=$PGHOST port=$PGPORT dbname=$db user=logtap"},
 "target": {"path": "s3://$bucket/$2", "MaxFileSize": 4096, "CdcMaxBatchInterval": 1}, "state": "state/$2.db",
 "table_mappings": {"rules": [{"rule-type":"selection","rule-id":"1","rule-name":"1",
     "object-locator":{"schema-name":"public","table-name":"$4"},"rule-action":"include"}]}}
JSON
}
# wait_log FILE PATTERN: until a line matches (at most 30 s)
wait_log() {
  for _ in $(seq 1 300); do grep -q "$2" "$1" && return 0; sleep 0.1; done
  return 1
}
rows_in() { # rows_in PREFIX: the CSV rows of every object under it
  rm -rf down && s3cli down "s3://$bucket/$1/" down && cat $(find down -type f) | wc -l
}

# 1. back after 2 s
task back.json back full-load big
"$LOGTAP_BIN" full-load --config back.json >back.log 2>&1 &
pid=$!
wait_log back.log "full load 1 tables" || fail "the load did not start"
s3_server_pause "$gw"
sleep 2
s3_server_resume "$gw" || fail "the gateway did not come back"
rc=0
wait $pid || rc=$?
expect_eq "$rc" 0 "the full load succeeds once the store is back"
grep -q "WARN .*s3://$bucket/back/public/big/LOAD.*trying again in" back.log && ok "the failed requests were tried again, and said so" \
  || fail "no retry logged: $(cat back.log)"
expect_eq "$(rows_in back)" 200000 "the objects hold every row"
expect_eq "$(s3cli uploads "s3://$bucket/back/")" "" "no unfinished upload"

# 2. a change stream's flush
task cdc.json cdc cdc small
run_logtap replicate --config cdc.json --until now
expect_eq "$rc" 0 "replicate: the load of small"
"$LOGTAP_BIN" replicate --config cdc.json >cdc.log 2>&1 &
pid=$!
wait_log cdc.log "resuming change data capture" || fail "replicate did not start"
s3_server_pause "$gw"
for i in $(seq 1 20); do sql $db "UPDATE small SET v = v + 1 WHERE id = $i" >/dev/null; done
sleep 2
s3_server_resume "$gw" || fail "the gateway did not come back"
until_rc=0
wait_log cdc.log "checkpoint .*: 1 files" || fail "no checkpoint after the store came back: $(cat cdc.log)"
kill -TERM $pid
wait $pid || until_rc=$?
expect_eq "$until_rc" 0 "replicate stops cleanly after the store came back"
grep -q "WARN .*trying again in" cdc.log && ok "the flush's upload was tried again" || fail "no retry: $(cat cdc.log)"
rm -rf down && s3cli down "s3://$bucket/cdc/" down
expect_eq "$(cat down/public/small/2*.csv | grep -c '^U,')" 20 "the 20 updates are in the bucket, once each"

# 3. gone for good
task gone.json gone full-load big
"$LOGTAP_BIN" full-load --config gone.json >gone.log 2>&1 &
pid=$!
wait_log gone.log "full load 1 tables" || fail "the load did not start"
s3_server_pause "$gw"
rc=0
wait $pid || rc=$?
expect_eq "$rc" 1 "the full load fails when the store stays away"
grep -q "ERROR .*PUT s3://$bucket/gone/public/big/LOAD[0-9A-F]*.csv: .*Couldn't connect to server .* after 10 tries" gone.log \
  && ok "the failure names the request and the error after 10 tries" || fail "message: $(tail -3 gone.log)"
expect_eq "$(sqlite3 state/gone.db "SELECT count(*) FROM files")" 0 "no file is in the manifest"
expect_eq "$(sqlite3 state/gone.db "SELECT state FROM tables")" failed "the table is recorded as failed, not loaded"
s3_server_resume "$gw" || fail "the gateway did not come back"
expect_eq "$(s3cli uploads "s3://$bucket/gone/")" "" "no unfinished upload was left"
# the objects the failed load did upload are not recorded (as a failed load's local files): the next load replaces
# them, and then the bucket holds exactly what the manifest records
run_logtap full-load --config gone.json
expect_eq "$rc" 0 "the load again, the store back"
expect_eq "$(s3cli ls "s3://$bucket/gone/" | cut -f1 | sed "s|^gone/||" | sort)" \
  "$(sqlite3 state/gone.db "SELECT path FROM files" | sort)" "the bucket holds exactly the files the manifest records"
expect_eq "$(rows_in gone)" 200000 "and every row"
sql $db "SELECT pg_drop_replication_slot('logtap_cdc')" >/dev/null
finish
