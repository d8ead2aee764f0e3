#!/usr/bin/env bash
# A full load into an object store (s3://BUCKET/PREFIX on radosgw, which checks SigV4 signatures as S3 does): the
# objects have the file layout, a file over 5 MiB goes up as a multipart upload, no temporary name is ever an
# object, the spool folder is empty afterwards, and the objects read back (an independent client, the AWS SDK)
# equal the source, as CSV through PostgreSQL's COPY and as Parquet through DuckDB. A run after a killed one aborts
# the unfinished uploads under the task's table folders, and only those. Wrong credentials and a missing bucket
# fail at once (exit 1) with S3's error code, before any file, and no secret shows in any output; `check` says so
# too (exit 2).
source "$LOGTAP_SOURCE_DIR/tests/lib/itest.sh"
source "$LOGTAP_SOURCE_DIR/tests/lib/s3_server.sh"
require_pg
bucket=lt-full-load
require_s3 $bucket
dir=$(test_dir)
prefix=run$$
db=lt_s3_full_load
fresh_db $db
psql -d $db -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE TABLE items (id int PRIMARY KEY, qty int, price numeric(12,2), name text, created timestamptz, ok bool);
INSERT INTO items SELECT g, g % 97, CASE WHEN g % 13 = 0 THEN NULL ELSE g / 7.0 END,
  CASE WHEN g % 11 = 0 THEN '' ELSE 'item "' || g || '", é' END, timestamptz '2024-01-01' + g * interval '1 minute',
  g % 2 = 0 FROM generate_series(1, 5000) g;
CREATE TABLE big (id int PRIMARY KEY, pad text);
INSERT INTO big SELECT g, repeat(md5(g::text), 4) FROM generate_series(1, 90000) g;
SQL
cd "$dir"
rules='[{"rule-type":"selection","rule-id":"1","rule-name":"1","object-locator":{"schema-name":"public","table-name":"%"},"rule-action":"include"}]'
task() { # task FILE NAME PREFIX EXTRA_TARGET_JSON
  cat >"$1" <<JSON
{"task": "$2", "migration_type": "full-load",
 "source": {"engine": "postgres", "conninfo": "host=$PGHOST port=$PGPORT dbname=$db user=logtap"},
 "target": {"path": "s3://$bucket/$3"${4:+, $4}}, "state": "state/$2.db", "table_mappings": {"rules": $rules}}
JSON
}
task csv.json csv $prefix/csv
run_logtap full-load --config csv.json
expect_eq "$rc" 0 "full load into s3://$bucket/$prefix/csv"
[ "$rc" -eq 0 ] || echo "$out"
listing=$(s3cli ls "s3://$bucket/$prefix/csv/")
expect_eq "$(echo "$listing" | cut -f1 | sed "s|^$prefix/csv/||" | tr '\n' ' ')" \
  "public/big/LOAD00000001.csv public/items/LOAD00000001.csv " "the objects have the file layout, nothing else"
big_size=$(echo "$listing" | awk -F'\t' '/big/ { print $2 }')
[ "$big_size" -gt $((5 * 1024 * 1024)) ] && ok "big's file is over 5 MiB ($big_size bytes)" || fail "big: $big_size bytes"
etag=$(s3cli head "s3://$bucket/$prefix/csv/public/big/LOAD00000001.csv" | cut -f1)
[[ "$etag" == *-[0-9]* ]] && ok "it went up as a multipart upload (ETag $etag)" || fail "single PUT? ETag $etag"
expect_eq "$(s3cli uploads "s3://$bucket/$prefix/")" "" "no unfinished multipart upload is left"
expect_eq "$(find state/csv.db.spool -type f | wc -l)" 0 "the spool folder holds no file after the run"
echo "$out" | grep -q "s3://$bucket/$prefix/csv/: bucket $bucket at $LOGTAP_S3_ENDPOINT (path-style addressing, region us-east-1), credentials from the environment" \
  && ok "the log says where the objects go and where the credentials came from" || fail "no store line: $out"

# read back with the independent client, into PostgreSQL
s3cli down "s3://$bucket/$prefix/csv/" csv-down
psql -d $db -q -v ON_ERROR_STOP=1 -c "CREATE TABLE back_items (LIKE items, pos text)" -c "CREATE TABLE back_big (LIKE big, pos text)"
psql -d $db -q -c "\\copy back_items FROM 'csv-down/public/items/LOAD00000001.csv' WITH (FORMAT csv, NULL 'NULL')"
psql -d $db -q -c "\\copy back_big FROM 'csv-down/public/big/LOAD00000001.csv' WITH (FORMAT csv, NULL 'NULL')"
expect_eq "$(sql $db "SELECT count(*) FROM ((SELECT * FROM items EXCEPT ALL SELECT id, qty, price, name, created, ok FROM back_items) UNION ALL (SELECT id, qty, price, name, created, ok FROM back_items EXCEPT ALL SELECT * FROM items)) d")" 0 \
  "items read back from the store equal the source (5000 rows)"
expect_eq "$(sql $db "SELECT count(*) FROM ((SELECT * FROM big EXCEPT ALL SELECT id, pad FROM back_big) UNION ALL (SELECT id, pad FROM back_big EXCEPT ALL SELECT * FROM big)) d")" 0 \
  "big (multipart) read back equals the source (90000 rows)"

# Parquet, read by DuckDB from the downloaded objects (its httpfs extension cannot be installed offline)
task pq.json pq $prefix/pq '"DataFormat": "parquet", "CompressionType": "zstd"'
run_logtap full-load --config pq.json
expect_eq "$rc" 0 "full load as Parquet into the store"
s3cli down "s3://$bucket/$prefix/pq/" pq-down
if have_duckdb; then
  expect_eq "$(duckdb "SELECT count(*), sum(qty), sum(price), count(name) FROM 'pq-down/public/items/LOAD00000001.parquet'")" \
    "$(sql $db "SELECT count(*), sum(qty), sum(price), count(name) FROM items" | tr '|' '\t')" "DuckDB reads the Parquet object: same rows and sums"
fi

# a killed run's unfinished uploads: the task's own are aborted at the next start, another's stay
s3cli start-upload "s3://$bucket/$prefix/csv/public/items/LOAD00000002.csv" >/dev/null
s3cli start-upload "s3://$bucket/$prefix/csv/other/x.csv" >/dev/null
run_logtap full-load --config csv.json
expect_eq "$rc" 0 "the full load again"
echo "$out" | grep -q "aborted 1 unfinished upload of an earlier run" && ok "the unfinished upload under the task's folder was aborted" \
  || fail "no abort in: $out"
expect_eq "$(s3cli uploads "s3://$bucket/$prefix/" | cut -f1)" "$prefix/csv/other/x.csv" "the other upload stays"

# wrong credentials: S3's code, exit 1, never the secret
secret="WrongSecret$$-do-not-print"
AWS_SECRET_ACCESS_KEY=$secret run_logtap full-load --config csv.json
expect_eq "$rc" 1 "a wrong secret: exit 1"
echo "$out" | grep -q "HTTP 403 SignatureDoesNotMatch" && ok "S3's error code is in the message" || fail "$out"
echo "$out" | grep -q "$secret" && fail "the secret is in the output" || ok "the secret is in no output"
echo "$out" | grep -q "$LOGTAP_S3_SECRET_KEY" && fail "the real secret is in the output" || ok "nor is the configured one"
AWS_ACCESS_KEY_ID=NOSUCHKEY$$ run_logtap full-load --config csv.json
expect_eq "$rc" 1 "an unknown access key: exit 1"
echo "$out" | grep -q "HTTP 403 InvalidAccessKeyId" && ok "InvalidAccessKeyId" || fail "$out"
echo "$out" | grep -q "$LOGTAP_S3_SECRET_KEY" && fail "the secret is in the output" || ok "the secret is in no output"
# `logtap check` asks the store too, changing nothing
run_logtap check --config csv.json
expect_eq "$rc" 0 "check: the store answers"
echo "$out" | grep -q "^info     target.path s3://$bucket/$prefix/csv: reachable: s3://$bucket/$prefix/csv/: bucket $bucket" \
  && ok "check says how the store is reached" || fail "check: $out"
AWS_SECRET_ACCESS_KEY=$secret run_logtap check --config csv.json
expect_eq "$rc" 2 "check with a wrong secret: exit 2, the task cannot run"
echo "$out" | grep -q "^error    target.path s3://$bucket/$prefix/csv: the object store does not answer as it must: .*SignatureDoesNotMatch" \
  && ok "check names the store and S3's code" || fail "check: $out"
echo "$out" | grep -q "$secret" && fail "the secret is in check's output" || ok "not the secret"
task nobucket.json nobucket x
sed -i "s|s3://$bucket/x|s3://lt-no-such-bucket-$$/x|" nobucket.json
run_logtap full-load --config nobucket.json
expect_eq "$rc" 1 "a missing bucket: exit 1"
echo "$out" | grep -q "HTTP 404 NoSuchBucket" && ok "NoSuchBucket" || fail "$out"
expect_eq "$(sql $db "SELECT count(*) FROM pg_replication_slots WHERE database = '$db'")" 0 "no slot was created"
finish
