#!/usr/bin/env bash
# A file far bigger than a multipart part goes up while it is written, and local disk stays bounded:
# - a ~100 MB load file (a dozen 8 MiB parts): a watcher sees its spool copy hold far fewer bytes on disk than the
#   file has (parts sent and punched out while the file grows), never more than 6 parts (4 in flight, one being
#   filled, one block of slack); the log's own count says the same; the object equals the source;
# - the load of a ~40 MB table killed (-9) mid-file: no object of it, nothing in the manifest, an unfinished
#   upload under its key; the next run aborts it and loads the table;
# - the load failing mid-file (its source connection terminated): exit 1, nothing recorded, no object, no
#   unfinished upload (the failed file's upload is aborted at once).
# The test server keeps deleted and replaced data until its garbage collection (hours), in RAM: the tables are no
# bigger than the cases need.
source "$LOGTAP_SOURCE_DIR/tests/lib/itest.sh"
source "$LOGTAP_SOURCE_DIR/tests/lib/s3_server.sh"
require_own_pg   # its big INSERT would hold back the other tests' slot creation
bucket=lt-streaming
require_s3 $bucket
dir=$(test_dir)
prefix=run$$
db=lt_s3_streaming
fresh_db $db
psql -d $db -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE TABLE wide (id int PRIMARY KEY, pad text);
INSERT INTO wide SELECT g, repeat(md5(g::text), 5) FROM generate_series(1, 600000) g;
CREATE TABLE mid (id int PRIMARY KEY, pad text);
INSERT INTO mid SELECT g, repeat(md5(g::text), 5) FROM generate_series(1, 200000) g;
SQL
cd "$dir"
part=$((8 * 1024 * 1024))
task() { # task FILE NAME TABLE
  cat >"$1" <<JSON
{"task": "$2", "migration_type": "full-load",
 "source": {"engine": "postgres", "conninfo": "host=$PGHOST port=$PGPORT dbname=$db user=logtap"},
 "target": {"path": "s3://$bucket/$prefix/$2", "MaxFullLoadSubTasks": 1}, "state": "state/$2.db",
 "table_mappings": {"rules": [{"rule-type":"selection","rule-id":"1","rule-name":"1",
     "object-locator":{"schema-name":"public","table-name":"$3"},"rule-action":"include"}]}}
JSON
}
# watch SPOOL OUT: every 20 ms, "apparent-bytes disk-bytes" of each temp file in the spool folder, until killed
watch_spool() {
  while :; do
    find "$1" -name '.*.tmp' -type f -printf '%s %b\n' 2>/dev/null | awk '{ print $1, $2 * 512 }' >>"$2"
    sleep 0.02
  done
}
# copy_backend: the pid of this database's backend running logtap's COPY (at most 30 s)
copy_backend() {
  local b
  for _ in $(seq 1 3000); do
    b=$(psql -d $db -qAt -c "SELECT pid FROM pg_stat_activity WHERE datname = '$db' AND usename = 'logtap'
          AND state = 'active' AND query ILIKE 'COPY%'")
    [ -n "$b" ] && { echo "$b"; return 0; }
    sleep 0.01
  done
  return 1
}
# hold_copy_past SPOOL BYTES: catch the COPY's backend, then let it run 20 ms at a time (SIGSTOP/SIGCONT) until a
# temp file in the spool has grown past BYTES; the backend is left stopped, so the file is mid-way whatever the
# machine's speed (an idle machine loads the table in well under a second). Prints the backend's pid.
hold_copy_past() {
  local b
  b=$(copy_backend) || return 1
  kill -STOP "$b"
  for _ in $(seq 1 3000); do
    [ "$(find "$1" -name '.*.tmp' -type f -size +"$(($2 / 1024))"k 2>/dev/null | wc -l)" -gt 0 ] && { echo "$b"; return 0; }
    kill -CONT "$b"; sleep 0.02; kill -STOP "$b"
  done
  kill -CONT "$b"
  return 1
}
# parts_punched SPOOL: until a temp file uses less disk than its size (a part was sent and punched out; 30 s at most)
parts_punched() {
  for _ in $(seq 1 300); do
    find "$1" -name '.*.tmp' -type f -printf '%s %b\n' 2>/dev/null | awk '$2 * 512 < $1 { f = 1 } END { exit !f }' && return 0
    sleep 0.1
  done
  return 1
}
rows_of() { # rows_of KEY: the CSV rows of one object
  rm -f one.csv && s3cli get "s3://$bucket/$1" one.csv && wc -l <one.csv
}

# 1. streamed while written, disk bounded
task big.json big wide
mkdir -p state
: >watch.txt
watch_spool state/big.db.spool watch.txt &
wpid=$!
run_logtap full-load --config big.json --log-level debug
kill $wpid 2>/dev/null; wait $wpid 2>/dev/null || true
expect_eq "$rc" 0 "full load of a ~100 MB table into the store"
[ "$rc" -eq 0 ] || echo "$out"
size=$(s3cli ls "s3://$bucket/$prefix/big/" | awk -F'\t' '/LOAD00000001/ { print $2 }')
[ "${size:-0}" -gt $((10 * part)) ] && ok "the file is over 10 parts ($size bytes)" || fail "file size ${size:-none}"
etag=$(s3cli head "s3://$bucket/$prefix/big/public/wide/LOAD00000001.csv" | cut -f1)
nparts=$(echo "$etag" | sed -n 's/^"*[0-9a-f]*-\([0-9]*\)"*$/\1/p')
[ "${nparts:-0}" -gt 10 ] && ok "a multipart upload of $nparts parts (ETag $etag)" || fail "parts: ETag $etag"
read -r max_size max_disk < <(awk 'BEGIN { s = 0; d = 0 } { if ($1 > s) s = $1; if ($2 > d) d = $2 } END { print s, d }' watch.txt)
echo "# watcher: $(wc -l <watch.txt) samples; the temp file reached $max_size bytes, its disk use at most $max_disk"
[ "$max_size" -gt $((6 * part)) ] && ok "the watcher saw the temp file grow past 6 parts ($max_size bytes)" \
  || fail "the watcher saw the temp file at $max_size bytes at most"
[ "$max_disk" -le $((6 * part)) ] && ok "its disk use stayed within 6 parts ($max_disk bytes)" \
  || fail "the spool held $max_disk bytes on disk"
peak=$(echo "$out" | sed -n 's/.*LOAD00000001.csv: uploaded, \([0-9]*\) bytes streamed while written; the spool held at most \([0-9]*\) bytes.*/\1 \2/p')
read -r streamed held <<<"$peak"
expect_eq "${streamed:-}" "$size" "the log counts the file's bytes as streamed while written"
[ -n "$held" ] && [ "$held" -le $((5 * part + 1024 * 1024)) ] && ok "the log says the spool held at most $held bytes (5 parts)" \
  || fail "log: ${peak:-no upload line}"
expect_eq "$(find state/big.db.spool -type f | wc -l)" 0 "the spool folder is empty afterwards"
expect_eq "$(rows_of "$prefix/big/public/wide/LOAD00000001.csv")" 600000 "the object holds every row"
expect_eq "$(cut -d, -f1,2 one.csv | sort | sha256sum | cut -c1-64)" \
  "$(psql -d $db -qAt -c "COPY wide TO STDOUT WITH (FORMAT csv)" | sort | sha256sum | cut -c1-64)" \
  "and its rows equal the source's"

# 2. killed mid-file: only an unfinished upload, aborted by the next run
task kill.json kill mid
"$LOGTAP_BIN" full-load --config kill.json >kill.log 2>&1 &
pid=$!
backend=$(hold_copy_past state/kill.db.spool $((2 * part))) || fail "the load's file did not grow past 2 parts"
parts_punched state/kill.db.spool || fail "no part of the file was sent"
kill -9 $pid
wait $pid 2>/dev/null || true
[ -n "$backend" ] && kill -CONT "$backend"
expect_eq "$(s3cli ls "s3://$bucket/$prefix/kill/" | wc -l)" 0 "killed mid-file: no object is visible"
expect_eq "$(s3cli uploads "s3://$bucket/$prefix/kill/" | wc -l)" 1 "an unfinished upload holds its parts"
expect_eq "$(sqlite3 state/kill.db "SELECT count(*) FROM files")" 0 "nothing is in the manifest"
run_logtap full-load --config kill.json
expect_eq "$rc" 0 "the next run loads the table"
echo "$out" | grep -q "aborted 1 unfinished upload of an earlier run" && ok "and aborts the killed run's upload" \
  || fail "no abort line: $out"
expect_eq "$(s3cli uploads "s3://$bucket/$prefix/kill/")" "" "no unfinished upload is left"
expect_eq "$(rows_of "$prefix/kill/public/mid/LOAD00000001.csv")" 200000 "the object holds every row"

# 3. failing mid-file: the upload is aborted at once, nothing recorded
task fail.json fail mid
"$LOGTAP_BIN" full-load --config fail.json >fail.log 2>&1 &
pid=$!
backend=$(hold_copy_past state/fail.db.spool $((2 * part))) || fail "the load's file did not grow past 2 parts"
psql -d $db -qAt -c "SELECT pg_terminate_backend($backend)" >/dev/null   # pending until the backend runs again
kill -CONT "$backend"
rc=0
wait $pid || rc=$?
expect_eq "$rc" 1 "the load fails when its source goes away mid-file"
expect_eq "$(sqlite3 state/fail.db "SELECT count(*) FROM files")" 0 "nothing is in the manifest"
expect_eq "$(s3cli ls "s3://$bucket/$prefix/fail/" | wc -l)" 0 "no object is visible"
expect_eq "$(s3cli uploads "s3://$bucket/$prefix/fail/")" "" "the file's upload was aborted: none is left"
finish
