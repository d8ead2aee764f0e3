#!/usr/bin/env bash
# logtap against the tools users would otherwise pick, side by side on the same machine in the same run: installs
# what is missing, builds logtap Release (build/bench), starts a throwaway PostgreSQL 15 and MariaDB (tests/lib),
# generates the data, runs every job several times as pairs (A B A B ...) so drift cancels in the ratios (an S3 server,
# radosgw on loopback, for the object-store pairs when it can be installed), profiles
# logtap's full load and CDC with perf, and writes a markdown report (bench/RESULTS.md by default).
# The "Reading these numbers" analysis in the committed bench/RESULTS.md is written by hand from a run's numbers and
# profiles; a new full run replaces the file, so carry the analysis over (and update its numbers) when re-running.
#
# usage: bench/run.sh [--quick] [--rows N] [--runs N] [--out FILE] [--no-profile] [--keep] [--only JOB]
#   --quick        10x smaller (100k rows, 3 pairs): what CI runs so the scripts never rot
#   --rows N       rows of the generated tables (default 1000000); changes scale with it
#   --runs N       pairs per job (default 5, 3 with --quick)
#   --out FILE     the report (default bench/RESULTS.md; build/bench/RESULTS-<rows>.md with --quick or --rows)
#   --no-profile   skip the perf profiles
#   --keep         keep the work dir (data, files, logs)
#   --only JOB     run one job and report it alone: pgcsv, pgparquet, cores, pgcdc, myfull, mycdc, merge, s3, latency
#                  (the report goes to build/bench/RESULTS-<rows>-<JOB>.md unless --out is given)
set -euo pipefail
export LC_ALL=C TZ=UTC
logtap_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$logtap_root/tests/lib/deps.sh"
source "$logtap_root/tests/lib/pg_server.sh"
source "$logtap_root/tests/lib/mariadb_server.sh"
source "$logtap_root/tests/lib/s3_server.sh"
source "$logtap_root/bench/lib.sh"

bench_args="$*"
rows=1000000 runs="" out="" profile=1 keep=0 quick=0 only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1; rows=100000 ;;
    --rows) rows=$2; shift ;;
    --runs) runs=$2; shift ;;
    --out) out=$2; shift ;;
    --no-profile) profile=0 ;;
    --keep) keep=1 ;;
    --only) only=$2; shift ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
  shift
done
case "$only" in
  ""|pgcsv|pgparquet|cores|pgcdc|myfull|mycdc|merge|s3|latency) ;;
  *) echo "unknown job for --only: $only (pgcsv, pgparquet, cores, pgcdc, myfull, mycdc, merge, s3, latency)" >&2; exit 2 ;;
esac
want() { [ -z "$only" ] || [ "$only" = "$1" ]; }   # want JOB: is JOB part of this run
[ -n "$runs" ] || { [ $quick -eq 1 ] && runs=3 || runs=5; }
if [ -z "$out" ]; then
  if [ -n "$only" ]; then out=$logtap_root/build/bench/RESULTS-$rows-$only.md
  elif [ $quick -eq 0 ] && [ "$rows" -eq 1000000 ]; then out=$logtap_root/bench/RESULTS.md
  else out=$logtap_root/build/bench/RESULTS-$rows.md; fi
fi
changes=$((rows / 5))              # merge: 1M base + 200k changes
chunk=$((rows / 4))                # mydumper -r: 4 chunks of the table, as -r 250000 on 1M rows
lat_txns=$([ $quick -eq 1 ] && echo 40 || echo 200)

# ---- setup: packages, build, servers ----
logtap_install_deps
mydumper_version=""
if want myfull && ! command -v mydumper >/dev/null 2>&1; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends mydumper >/dev/null 2>&1 \
    || echo "mydumper is not installable here: its comparison is skipped"
fi
command -v mydumper >/dev/null 2>&1 && mydumper_version=$(mydumper --version 2>&1 | awk '{ print $2 }' | tr -d ,)
[ -d "$logtap_root/tests/tools/node_modules/@duckdb/node-api" ] \
  || (cd "$logtap_root/tests/tools" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
perf_ok=0
[ $profile -eq 1 ] && command -v perf >/dev/null 2>&1 && perf record -o /dev/null -q true >/dev/null 2>&1 && perf_ok=1

mkdir -p "$logtap_root/build"
bench_build=${LOGTAP_BENCH_BUILD_DIR:-$logtap_root/build/bench}
logtap_build "$bench_build" Release
logtap=$bench_build/logtap

work=$(mktemp -d /tmp/logtap-bench.XXXXXX)
chmod 755 "$work"
tdir=$work/times
mkdir -p "$tdir"
bg_pids=()
cleanup() {
  local p
  for p in "${bg_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  pg_server_stop "$work/pg"
  mariadb_server_stop "$work/mariadb"
  s3_server_stop "$work/s3"
  if [ $keep -eq 1 ]; then echo "work dir kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
pg_port=$((20000 + RANDOM % 20000))
pg_server_start "$work/pg" "$pg_port"
want_my=0
if want myfull || want mycdc; then want_my=1; mariadb_server_start "$work/mariadb" "$((pg_port + 1))"; fi
have_s3=0
if want s3 && s3_server_install >/dev/null 2>&1 && s3_server_start "$work/s3" "$((pg_port + 10))"; then
  have_s3=1
  export AWS_ACCESS_KEY_ID=$LOGTAP_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$LOGTAP_S3_SECRET_KEY AWS_REGION=us-east-1
  export AWS_ENDPOINT_URL_S3=$LOGTAP_S3_ENDPOINT AWS_EC2_METADATA_DISABLED=true
  NODE_NO_WARNINGS=1 node "$logtap_root/tests/tools/s3.mjs" mb bench >/dev/null
else
  echo "radosgw is not available: the object-store pairs are skipped"
fi
echo "PostgreSQL on $PGHOST:$PGPORT, MariaDB on ${LOGTAP_MYSQL_SOCKET:-(not needed)}; $rows rows, $runs pairs per job; work dir $work"

psql_q() { psql -d bench -qAt -v ON_ERROR_STOP=1 -c "$1"; }
my_q() { mariadb --no-defaults -S "$LOGTAP_MYSQL_SOCKET" -ulogtap -N -B -D benchmy -e "$1"; }
duck() { node "$logtap_root/tests/tools/duckdb_query.mjs" "$@"; }
rules() { # rules SCHEMA TABLE -> the DMS selection rule
  echo "{\"rules\":[{\"rule-type\":\"selection\",\"rule-id\":\"1\",\"rule-name\":\"1\",\"object-locator\":{\"schema-name\":\"$1\",\"table-name\":\"$2\"},\"rule-action\":\"include\"}]}"
}
pg_task() { # pg_task DIR TASK MIGRATION TARGET_JSON_EXTRA [MERGE_JSON]: DIR/task.json for table public.items
  mkdir -p "$1"
  echo "{\"task\":\"$2\",\"migration_type\":\"$3\",\"source\":{\"engine\":\"postgres\",\"conninfo\":\"host=$PGHOST port=$PGPORT dbname=bench user=logtap\"},\"target\":{\"path\":\"lake\"${4:+,$4}},\"table_mappings\":$(rules public "${6:-items}")${5:+,\"merge\":$5}}" >"$1/task.json"
}
my_task() { # my_task DIR TASK MIGRATION TARGET_JSON_EXTRA
  mkdir -p "$1"
  echo "{\"task\":\"$2\",\"migration_type\":\"$3\",\"source\":{\"engine\":\"mysql\",\"socket\":\"$LOGTAP_MYSQL_SOCKET\",\"user\":\"logtap\",\"database\":\"benchmy\",\"server_id\":$((4000 + RANDOM % 1000))},\"target\":{\"path\":\"lake\"${4:+,$4}},\"table_mappings\":$(rules benchmy items)}" >"$1/task.json"
}
fsize() { stat -c %s "$1"; }
dir_bytes() { du -sb "$1" | awk '{ print $1 }'; }
results=$work/results.md
: >"$results"
emit() { printf '%s\n' "$@" >>"$results"; }
configs=$work/configs.md
: >"$configs"
show_config() { { echo "- \`$1\`: \`$(sed -e "s|$work|\$W|g" "$2")\`"; } >>"$configs"; }
summary=$work/summary.md
: >"$summary"
sum_line() { printf '%s\n' "$1" >>"$summary"; }

# top self-time symbols of a perf.data file
perf_top() { perf report -i "$1" --stdio --no-children -g none --sort dso,symbol --percent-limit 1.5 -q 2>/dev/null \
  | grep -E '^ +[0-9]+\.[0-9]+%' | head -"${2:-14}" | sed -e 's/^ *//' -e 's/  */ /g' -e 's/ - - *$//'; }

# ---- data ----
echo "== generating data"
psql -d postgres -qAt -c "CREATE DATABASE bench" >/dev/null
psql_q "CREATE TABLE items (id bigint PRIMARY KEY, qty int NOT NULL, price numeric(12,2), name text,
          created timestamptz, active boolean);
        INSERT INTO items SELECT g, (g * 7) % 1000, CASE WHEN g % 17 = 0 THEN NULL ELSE round((g % 100000) / 100.0 + 0.01, 2) END,
          'item ' || md5(g::text), timestamptz '2024-01-01 00:00:00+00' + g * interval '1.5 second', g % 3 = 0
        FROM generate_series(1, $rows) g"
psql_q "VACUUM ANALYZE items"
psql_q "CHECKPOINT"
if [ $want_my -eq 1 ]; then
mariadb --no-defaults -S "$LOGTAP_MYSQL_SOCKET" -ulogtap -e "CREATE DATABASE benchmy CHARACTER SET utf8mb4"
my_q "CREATE TABLE items (id bigint PRIMARY KEY, qty int NOT NULL, price decimal(12,2), name varchar(64),
        created datetime(6), active boolean);
      INSERT INTO items SELECT seq, (seq * 7) % 1000, IF(seq % 17 = 0, NULL, ROUND((seq % 100000) / 100 + 0.01, 2)),
        CONCAT('item ', MD5(seq)), TIMESTAMP'2024-01-01 00:00:00' + INTERVAL seq * 1.5 SECOND, seq % 3 = 0
      FROM seq_1_to_$rows;
      ANALYZE TABLE items;" >/dev/null
fi

# ---- 1. PostgreSQL full load -> CSV ----
j=$work/pg_csv
if want pgcsv; then
echo "== PostgreSQL full load -> CSV"
pg_task "$j" pgcsv full-load ""
show_config "pg_csv/task.json" "$j/task.json"
for i in $(seq 1 "$runs"); do
  rm -rf "$j/lake" "$j/psql.csv"
  measure pgcsv.logtap "$logtap" full-load --config "$j/task.json" -q
  measure pgcsv.psql psql -d bench -qAt -c "\\copy (SELECT id, qty, price, name, created, active FROM items) TO '$j/psql.csv' csv"
  rm -f "$j/psql.csv"
  measure pgcsv.psql_fsync bash -c "psql -d bench -qAt -c \"\\\\copy (SELECT id, qty, price, name, created, active FROM items) TO '$j/psql.csv' csv\" && dd if=/dev/null of='$j/psql.csv' conv=notrunc,fsync status=none"
done
ratio_series "$tdir/pgcsv.logtap" "$tdir/pgcsv.psql_fsync" "$tdir/pgcsv.ratio_fsync"
ratio_series "$tdir/pgcsv.logtap" "$tdir/pgcsv.psql" "$tdir/pgcsv.ratio"
lt_csv=$(ls "$j"/lake/public/items/LOAD*.csv | head -1)
[ "$(cat "$j"/lake/public/items/LOAD*.csv | wc -l)" -eq "$rows" ] || { echo "logtap CSV has the wrong row count" >&2; exit 1; }
fi

# ---- 2. PostgreSQL full load -> Parquet (zstd) ----
if want pgparquet; then
echo "== PostgreSQL full load -> Parquet zstd"
p=$work/pg_parquet
pg_task "$p" pgpq full-load '"DataFormat":"parquet","CompressionType":"zstd"'
show_config "pg_parquet/task.json" "$p/task.json"
read_psql_csv="read_csv('$p/psql.csv', header=false, columns={'id': 'BIGINT', 'qty': 'INTEGER', 'price': 'DECIMAL(12,2)', 'name': 'VARCHAR', 'created': 'TIMESTAMPTZ', 'active': 'BOOLEAN'})"
for i in $(seq 1 "$runs"); do
  rm -rf "$p/lake" "$p/psql.csv" "$p/duckdb.parquet"
  measure pgpq.logtap "$logtap" full-load --config "$p/task.json" -q
  measure pgpq.psql psql -d bench -qAt -c "\\copy (SELECT id, qty, price, name, created, active FROM items) TO '$p/psql.csv' csv"
  measure pgpq.duckdb node "$logtap_root/tests/tools/duckdb_query.mjs" \
    "COPY (SELECT * FROM $read_psql_csv) TO '$p/duckdb.parquet' (FORMAT parquet, COMPRESSION zstd)"
done
ratio_series "$tdir/pgpq.logtap" "$tdir/pgpq.duckdb" "$tdir/pgpq.ratio_duckdb"
sum_series "$tdir/pgpq.psql" "$tdir/pgpq.duckdb" "$tdir/pgpq.pipeline"
ratio_series "$tdir/pgpq.logtap" "$tdir/pgpq.pipeline" "$tdir/pgpq.ratio_pipeline"
lt_pq_bytes=$(cat "$p"/lake/public/items/LOAD*.parquet | wc -c)
dk_pq_bytes=$(fsize "$p/duckdb.parquet")
size_ratio=$(awk -v a="$lt_pq_bytes" -v b="$dk_pq_bytes" 'BEGIN { printf "%.3f", a / b }')
pq_rows=$(duck "SELECT count(*) FROM read_parquet('$p/lake/public/items/LOAD*.parquet')")
[ "$pq_rows" -eq "$rows" ] || { echo "logtap Parquet has $pq_rows rows, expected $rows" >&2; exit 1; }
pq_types=$(duck "SELECT string_agg(column_name || ' ' || column_type, ', ') FROM (DESCRIBE SELECT * FROM read_parquet('$p/lake/public/items/LOAD*.parquet'))")
col_sizes() { duck "SELECT string_agg(path_in_schema || ' ' || b, ', ' ORDER BY path_in_schema) FROM (SELECT path_in_schema, sum(total_compressed_size) AS b FROM parquet_metadata('$1') GROUP BY 1)"; }
rowgroups() { duck "SELECT count(DISTINCT row_group_id) || ' row groups, encodings ' || string_agg(DISTINCT encodings, '; ') FROM parquet_metadata('$1')"; }
lt_pq_cols=$(col_sizes "$p/lake/public/items/LOAD*.parquet"); dk_pq_cols=$(col_sizes "$p/duckdb.parquet")
lt_pq_rg=$(rowgroups "$p/lake/public/items/LOAD*.parquet"); dk_pq_rg=$(rowgroups "$p/duckdb.parquet")
dk_types=$(duck "SELECT string_agg(column_name || ' ' || column_type, ', ') FROM (DESCRIBE SELECT * FROM read_parquet('$p/duckdb.parquet'))")
fi

# ---- 2b. full loads across cores: MaxFullLoadSubTasks 1, 2 and every core ----
cores=$(nproc)
if want cores; then
# A table of at least 2 x full_load.part_min_mb (32 MB: the 1M-row table and up) is read in parts by parallel
# workers in one snapshot; this shows how that scales with the workers allowed (PostgreSQL's COPY backends and
# logtap share the same cores, so the server's CPU bounds it too).
core_settings=$(printf '%s\n' 1 2 "$cores" | sort -nu | tr '\n' ' ')
echo "== full loads across cores: MaxFullLoadSubTasks $core_settings"
for n in $core_settings; do
  pg_task "$work/cores$n/csv" "cores${n}csv" full-load "\"MaxFullLoadSubTasks\":$n"
  pg_task "$work/cores$n/pq" "cores${n}pq" full-load "\"MaxFullLoadSubTasks\":$n,\"DataFormat\":\"parquet\",\"CompressionType\":\"zstd\""
done
for i in $(seq 1 "$runs"); do
  for n in $core_settings; do
    rm -rf "$work/cores$n/csv/lake" "$work/cores$n/pq/lake"
    measure "cores$n.csv" "$logtap" full-load --config "$work/cores$n/csv/task.json" -q
    measure "cores$n.pq" "$logtap" full-load --config "$work/cores$n/pq/task.json" -q
  done
done
core_parts=$(ls "$work/cores$cores/csv/lake/public/items/" | wc -l)
fi

# ---- 3. PostgreSQL CDC ----
if want pgcdc; then
echo "== PostgreSQL CDC: $rows updated rows"
c=$work/pg_cdc
pg_task "$c" pgcdc cdc ""
show_config "pg_cdc/task.json" "$c/task.json"
(cd "$c" && "$logtap" replicate --config task.json --until now -q)   # creates the publication and the slot
pg_recvlogical -d bench --slot bench_recv --create-slot -P pgoutput
pgcdc_round() { # one UPDATE of every row; prints the LSN after its commit
  psql_q "UPDATE items SET qty = qty + 1" >/dev/null
  psql_q "SELECT pg_current_wal_lsn()"
}
for i in $(seq 1 "$runs"); do
  lsn=$(pgcdc_round)
  measure pgcdc.logtap "$logtap" replicate --config "$c/task.json" --until now -q
  measure pgcdc.recvlogical pg_recvlogical -d bench --slot bench_recv --start --no-loop -o proto_version=1 \
    -o publication_names=logtap_pgcdc --endpos="$lsn" -f /dev/null
done
ratio_series "$tdir/pgcdc.recvlogical" "$tdir/pgcdc.logtap" "$tdir/pgcdc.rate_ratio"
rate_series "$tdir/pgcdc.logtap" "$rows" "$tdir/pgcdc.logtap.rate"
rate_series "$tdir/pgcdc.recvlogical" "$rows" "$tdir/pgcdc.recvlogical.rate"
cdc_rows=$(cat "$c"/lake/public/items/2*.csv | grep -c '^U,' || true)
[ "$cdc_rows" -eq $((rows * runs)) ] || { echo "logtap CDC wrote $cdc_rows U rows, expected $((rows * runs))" >&2; exit 1; }
if [ $perf_ok -eq 1 ]; then
  echo "== perf profiles (full load, CDC)"
  perf record -F 1999 -g -o "$work/perf.fullload.data" -q -- "$logtap" full-load --config "$j/task.json" -q >/dev/null 2>&1
  pgcdc_round >/dev/null
  perf record -F 1999 -g -o "$work/perf.cdc.data" -q -- "$logtap" replicate --config "$c/task.json" --until now -q >/dev/null 2>&1
fi
psql_q "SELECT pg_drop_replication_slot('bench_recv'), pg_drop_replication_slot('logtap_pgcdc')" >/dev/null
fi

# ---- 4. MariaDB full load ----
have_mydumper=0
if want myfull; then
echo "== MariaDB full load"
m=$work/my_full
my_task "$m" myfull full-load ""
show_config "my_full/task.json" "$m/task.json"
command -v mydumper >/dev/null 2>&1 && have_mydumper=1
for i in $(seq 1 "$runs"); do
  rm -rf "$m/lake" "$m/mydumper" "$m/mariadb.tsv"
  measure myfull.logtap "$logtap" full-load --config "$m/task.json" -q
  if [ $have_mydumper -eq 1 ]; then
    measure myfull.mydumper mydumper -S "$LOGTAP_MYSQL_SOCKET" -u logtap -B benchmy -t 2 -r "$chunk" -o "$m/mydumper"
  fi
  measure myfull.mariadb bash -c "mariadb --no-defaults -S '$LOGTAP_MYSQL_SOCKET' -ulogtap --batch -e 'SELECT id, qty, price, name, created, active FROM benchmy.items' >'$m/mariadb.tsv'"
done
[ $perf_ok -eq 1 ] && perf record -F 1999 -g -o "$work/perf.myfull.data" -q -- "$logtap" full-load --config "$m/task.json" -q >/dev/null 2>&1
[ $have_mydumper -eq 1 ] && ratio_series "$tdir/myfull.logtap" "$tdir/myfull.mydumper" "$tdir/myfull.ratio_mydumper"
ratio_series "$tdir/myfull.logtap" "$tdir/myfull.mariadb" "$tdir/myfull.ratio_mariadb"
[ "$(cat "$m"/lake/benchmy/items/LOAD*.csv | wc -l)" -eq "$rows" ] || { echo "logtap MariaDB CSV has the wrong row count" >&2; exit 1; }
fi

# ---- 5. MariaDB CDC ----
mycdc=skipped
if want mycdc; then
echo "== MariaDB CDC: $rows updated rows"
mc=$work/my_cdc
my_task "$mc" mycdc cdc ""
show_config "my_cdc/task.json" "$mc/task.json"
if (cd "$mc" && "$logtap" replicate --config task.json --until now -q) >"$work/mycdc.first.log" 2>&1; then
  mycdc=ok
  for i in $(seq 1 "$runs"); do
    my_q "FLUSH BINARY LOGS"
    binlog=$(my_q "SHOW MASTER STATUS" | awk '{ print $1 }')
    my_q "UPDATE items SET qty = qty + 1"
    my_q "FLUSH BINARY LOGS"
    measure mycdc.logtap "$logtap" replicate --config "$mc/task.json" --until now -q
    measure mycdc.binlog bash -c "mariadb-binlog --no-defaults --read-from-remote-server --socket='$LOGTAP_MYSQL_SOCKET' --user=logtap -v --base64-output=DECODE-ROWS $binlog >/dev/null"
  done
  if [ $perf_ok -eq 1 ]; then
    my_q "UPDATE items SET qty = qty + 1"
    perf record -F 1999 -g -o "$work/perf.mycdc.data" -q -- "$logtap" replicate --config "$mc/task.json" --until now -q >/dev/null 2>&1
  fi
  ratio_series "$tdir/mycdc.binlog" "$tdir/mycdc.logtap" "$tdir/mycdc.rate_ratio"
  rate_series "$tdir/mycdc.logtap" "$rows" "$tdir/mycdc.logtap.rate"
  rate_series "$tdir/mycdc.binlog" "$rows" "$tdir/mycdc.binlog.rate"
  my_rows=$(find "$mc/lake/benchmy/items" -name '2*.csv' -exec cat {} + | grep -c '^U,' || true)
  [ "$my_rows" -eq $((rows * (runs + perf_ok))) ] || { echo "logtap MariaDB CDC wrote $my_rows U rows, expected $((rows * (runs + perf_ok)))" >&2; exit 1; }
else
  echo "MariaDB CDC is skipped: $(tail -1 "$work/mycdc.first.log")"
fi
fi

# ---- 6. merge: base + changes ----
if want merge; then
echo "== merge: $rows base rows + $changes changes"
g=$work/merge_base
pg_task "$g" pgmerge full-load-and-cdc '"IncludeOpForFullLoad":true'
show_config "merge/task.json" "$g/task.json"
(cd "$g" && "$logtap" replicate --config task.json --until now -q)
upd=$((changes * 8 / 10)) del=$((changes / 10)) ins=$((changes - changes * 8 / 10 - changes / 10))
psql_q "UPDATE items SET price = coalesce(price, 0) + 1, name = name || '+' WHERE id <= $upd" >/dev/null
psql_q "DELETE FROM items WHERE id > $upd AND id <= $((upd + del))" >/dev/null
psql_q "INSERT INTO items SELECT g, 1, 2.5, 'new ' || g, now(), true FROM generate_series($((rows + 1)), $((rows + ins))) g" >/dev/null
(cd "$g" && "$logtap" replicate --config task.json --until now -q)
psql_q "SELECT pg_drop_replication_slot('logtap_pgmerge')" >/dev/null
merge_budget=$(grep -o '"memory_limit_mb":[0-9]*' "$g/task.json" | cut -d: -f2 || true)
merge_budget=${merge_budget:-256}
cols="['Op','id','qty','price','name','created','active','_logtap_pos']"
duck_merge_sql() { # duck_merge_sql DIR OUT: DuckDB's latest row per key from the load and CDC files of DIR into OUT
  echo "COPY (
      SELECT id, qty, price, name, created, active, _logtap_pos FROM (
        SELECT *, row_number() OVER (PARTITION BY id ORDER BY _logtap_pos DESC) AS rn FROM (
          SELECT * FROM read_csv('$1/LOAD*.csv', header=false, names=$cols, all_varchar=true, nullstr='NULL', allow_quoted_nulls=false)
          UNION ALL BY NAME
          SELECT * FROM read_csv('$1/2*.csv', header=false, names=${cols%]},'_logtap_unchanged'], all_varchar=true, nullstr='NULL', allow_quoted_nulls=false)))
      WHERE rn = 1 AND Op <> 'D') TO '$2' (HEADER false, NULLSTR 'NULL')"
}
for i in $(seq 1 "$runs"); do
  rm -rf "$work/merge_run" "$work/duckdb_merge.csv" "$work/duckdb_merge_limited.csv" "$work/duckdb_tmp"
  cp -a "$g" "$work/merge_run"
  sync # the copy's writeback would otherwise land inside the next measurement (logtap's)
  measure merge.logtap "$logtap" merge --config "$work/merge_run/task.json" -q
  d=$work/merge_run/lake/public/items
  measure merge.duckdb node "$logtap_root/tests/tools/duckdb_query.mjs" "$(duck_merge_sql "$d" "$work/duckdb_merge.csv")"
  # the same query held to logtap's budget (DuckDB spills to its temp directory past it)
  measure merge.duckdb_limited node "$logtap_root/tests/tools/duckdb_query.mjs" \
    "SET memory_limit='${merge_budget}MB'" "SET temp_directory='$work/duckdb_tmp'" \
    "$(duck_merge_sql "$d" "$work/duckdb_merge_limited.csv")"
done
ratio_series "$tdir/merge.logtap" "$tdir/merge.duckdb" "$tdir/merge.ratio"
ratio_series "$tdir/merge.logtap" "$tdir/merge.duckdb_limited" "$tdir/merge.ratio_limited"
if [ $perf_ok -eq 1 ]; then
  rm -rf "$work/merge_perf" && cp -a "$g" "$work/merge_perf" && sync
  perf record -F 1999 -g -o "$work/perf.merge.data" -q -- "$logtap" merge --config "$work/merge_perf/task.json" -q >/dev/null 2>&1
  rm -rf "$work/merge_perf"
fi
snap=$(ls -d "$work"/merge_run/lake/_snapshots/public/items/snapshot=*/ | tail -1)
snap_rows=$(cat "$snap"part-00000.* | wc -l)
duck_rows=$(wc -l <"$work/duckdb_merge.csv")
expected_rows=$((rows - del + ins))
[ "$snap_rows" -eq "$expected_rows" ] && [ "$duck_rows" -eq "$expected_rows" ] \
  || { echo "merge rows: logtap $snap_rows, DuckDB $duck_rows, expected $expected_rows" >&2; exit 1; }
csv7="header=false, hive_partitioning=false, delim=',', quote='\"', all_varchar=true, names=['c1','c2','c3','c4','c5','c6','c7']"
same=$(duck "SELECT count(*) FROM (
    (SELECT * FROM read_csv('${snap}part-00000.csv', $csv7) EXCEPT ALL SELECT * FROM read_csv('$work/duckdb_merge.csv', $csv7))
    UNION ALL
    (SELECT * FROM read_csv('$work/duckdb_merge.csv', $csv7) EXCEPT ALL SELECT * FROM read_csv('${snap}part-00000.csv', $csv7)))")
[ "$(wc -l <"$work/duckdb_merge_limited.csv")" -eq "$expected_rows" ] \
  || { echo "merge rows: DuckDB with memory_limit wrote $(wc -l <"$work/duckdb_merge_limited.csv"), expected $expected_rows" >&2; exit 1; }
fi

# ---- 8. object store: the same jobs into s3:// (radosgw on loopback) against the local folder ----
if [ $have_s3 -eq 1 ]; then
  echo "== object store: full load and CDC into s3://bench (radosgw on $LOGTAP_S3_ENDPOINT) against a local folder"
  o=$work/s3
  s3_task() { # s3_task DIR TASK MIGRATION PATH: a task whose state store is local whatever its target
    mkdir -p "$1"
    echo "{\"task\":\"$2\",\"migration_type\":\"$3\",\"source\":{\"engine\":\"postgres\",\"conninfo\":\"host=$PGHOST port=$PGPORT dbname=bench user=logtap\"},\"target\":{\"path\":\"$4\"},\"state\":\"state/$2.db\",\"table_mappings\":$(rules public items)}" >"$1/task.json"
  }
  s3_task "$o/full_local" s3fl full-load lake
  s3_task "$o/full_s3" s3fs full-load s3://bench/full
  s3_task "$o/cdc_local" s3cl cdc lake
  s3_task "$o/cdc_s3" s3cs cdc s3://bench/cdc
  show_config "s3/full_s3/task.json" "$o/full_s3/task.json"
  show_config "s3/cdc_s3/task.json" "$o/cdc_s3/task.json"
  for i in $(seq 1 "$runs"); do
    rm -rf "$o/full_local/lake"
    measure s3full.local "$logtap" full-load --config "$o/full_local/task.json" -q
    measure s3full.s3 "$logtap" full-load --config "$o/full_s3/task.json" -q
  done
  ratio_series "$tdir/s3full.local" "$tdir/s3full.s3" "$tdir/s3full.rate_ratio"
  s3_objects=$(NODE_NO_WARNINGS=1 node "$logtap_root/tests/tools/s3.mjs" ls s3://bench/full/ | wc -l)
  s3_bytes=$(NODE_NO_WARNINGS=1 node "$logtap_root/tests/tools/s3.mjs" ls s3://bench/full/ | awk -F'\t' '{ s += $2 } END { print s }')
  local_bytes=$(cat "$o"/full_local/lake/public/items/LOAD*.csv | wc -c)
  [ "$s3_bytes" -eq "$local_bytes" ] || { echo "the objects hold $s3_bytes bytes, the local files $local_bytes" >&2; exit 1; }
  (cd "$o/cdc_local" && "$logtap" replicate --config task.json --until now -q)   # the slots, at the same point
  (cd "$o/cdc_s3" && "$logtap" replicate --config task.json --until now -q)
  for i in $(seq 1 "$runs"); do
    psql_q "UPDATE items SET qty = qty + 1" >/dev/null
    measure s3cdc.local "$logtap" replicate --config "$o/cdc_local/task.json" --until now -q
    measure s3cdc.s3 "$logtap" replicate --config "$o/cdc_s3/task.json" --until now -q
  done
  ratio_series "$tdir/s3cdc.local" "$tdir/s3cdc.s3" "$tdir/s3cdc.rate_ratio"
  rate_series "$tdir/s3cdc.local" "$rows" "$tdir/s3cdc.local.rate"
  rate_series "$tdir/s3cdc.s3" "$rows" "$tdir/s3cdc.s3.rate"
  rate_series "$tdir/s3full.local" "$rows" "$tdir/s3full.local.rate"
  rate_series "$tdir/s3full.s3" "$rows" "$tdir/s3full.s3.rate"
  psql_q "SELECT pg_drop_replication_slot('logtap_s3cl'), pg_drop_replication_slot('logtap_s3cs')" >/dev/null
  # the store's own CPU for what it received (it shares the 2 cores): radosgw + the OSD, in seconds
  s3_cpu=$(for f in "$work"/s3/run/*.pid; do awk '{ print $14 + $15 }' "/proc/$(cat "$f")/stat" 2>/dev/null; done \
    | awk -v hz="$(getconf CLK_TCK)" '{ s += $1 } END { printf "%.1f", s / hz }')
fi

# ---- 7. commit-to-file latency ----
if want latency; then
echo "== commit-to-file latency ($lat_txns transactions, CdcMaxBatchInterval 1)"
l=$work/latency
psql_q "CREATE TABLE lat (id int PRIMARY KEY, note text)"
pg_task "$l" pglat cdc '"CdcMaxBatchInterval":1,"TimestampColumnName":"commit_ts"' "" lat
show_config "latency/task.json" "$l/task.json"
(cd "$l" && "$logtap" replicate --config task.json --until now -q)
"$logtap" replicate --config "$l/task.json" -q >"$work/latency.log" 2>&1 &
lt_pid=$!
bg_pids+=("$lt_pid")
sleep 1
ldir=$l/lake/public/lat
poll() { # first time each CDC file is visible (renamed into place)
  declare -A seen=()
  local f
  while [ ! -f "$work/latency.stop" ]; do
    for f in "$ldir"/*.csv; do
      [ -e "$f" ] && [ -z "${seen[$f]:-}" ] && { seen[$f]=1; echo "$f $EPOCHREALTIME"; }
    done
    sleep 0.005
  done >"$work/latency.seen"
}
poll &
poll_pid=$!
bg_pids+=("$poll_pid")
for i in $(seq 1 "$lat_txns"); do
  echo "INSERT INTO lat VALUES ($i, 'x'); SELECT pg_sleep(0.$((RANDOM % 5))$((RANDOM % 10)));"
done | psql -d bench -qAt -v ON_ERROR_STOP=1 >/dev/null
for _ in $(seq 1 100); do
  [ "$(cat "$ldir"/*.csv 2>/dev/null | wc -l)" -ge "$lat_txns" ] && break
  sleep 0.1
done
sleep 0.2
touch "$work/latency.stop"
wait "$poll_pid"
kill -TERM "$lt_pid"
wait "$lt_pid" || true
psql_q "SELECT pg_drop_replication_slot('logtap_pglat')" >/dev/null
node -e '
const fs = require("fs");
const [seenFile] = process.argv.slice(1);
const lat = [];
for (const line of fs.readFileSync(seenFile, "utf8").trim().split("\n")) {
  const [file, seen] = line.split(" ");
  for (const row of fs.readFileSync(file, "utf8").trim().split("\n")) {
    const ts = row.split(",")[1];                      // Op, commit_ts, id, note, _logtap_pos, _logtap_unchanged
    const us = Date.parse(ts.slice(0, 19).replace(" ", "T") + "Z") * 1000 + Number(ts.slice(20, 26).padEnd(6, "0"));
    lat.push(Number(seen) - us / 1e6);
  }
}
lat.sort((a, b) => a - b);
const q = (p) => lat[Math.min(lat.length - 1, Math.ceil(p * lat.length) - 1)];
console.log(lat.length, q(0.5).toFixed(3), q(0.99).toFixed(3), lat[lat.length - 1].toFixed(3));
' "$work/latency.seen" >"$work/latency.result"
read -r lat_n lat_p50 lat_p99 lat_max <"$work/latency.result"
fi

# ---- report ----
echo "== writing $out"
if want pgcsv; then
  pgcsv_bytes=$(cat "$j"/lake/public/items/LOAD*.csv | wc -c)
  psql_bytes=$(fsize "$j/psql.csv")
fi
emit "# logtap benchmarks" ""
emit "Generated by \`bash bench/run.sh${bench_args:+ $bench_args}\` on $(date -u '+%Y-%m-%d %H:%M UTC') (logtap $(git -C "$logtap_root" rev-parse --short HEAD 2>/dev/null || echo '?'), Release build)." ""
emit "## Machine" ""
machine_info >>"$results"
emit "" "Both servers run on this machine (unix sockets, \`fsync=off\` for PostgreSQL as in the tests), so logtap and the" \
  "tools it is compared with share the 2 cores with the server; every job runs $runs times as pairs A B A B ..., and each" \
  "ratio is A_i / B_i of one pair (then min / median / max over the pairs), so drift in the machine cancels." \
  "Times are wall-clock seconds of the whole command (start-up included); \`CPU\` is the command's own user+sys time" \
  "(median), not the server's. Data: $rows rows of \`items(id bigint PK, qty int, price numeric(12,2) with 6% NULL," \
  "name text (37 chars), created timestamptz, active bool)\`, the same shape in MariaDB (decimal, varchar(64)," \
  "datetime(6), boolean)." ""

emit "## Summary" "" "| job | ratio (min / median / max) | target | median |" "|---|---|---|---|"
if want pgcsv; then
ratio_row "$tdir/pgcsv.ratio" "PostgreSQL full load → CSV: time logtap / psql \\copy" le 1.0 >>"$results"
ratio_row "$tdir/pgcsv.ratio_fsync" "(same, against psql \\copy + fsync of the file: for information)" le 1.0 >>"$results"
fi
if want pgparquet; then
ratio_row "$tdir/pgpq.ratio_duckdb" "PostgreSQL → Parquet zstd: time logtap / DuckDB CSV→Parquet" le 1.0 >>"$results"
ratio_row "$tdir/pgpq.ratio_pipeline" "PostgreSQL → Parquet zstd: time logtap / (psql \\copy + DuckDB)" le 1.0 >>"$results"
emit "| PostgreSQL → Parquet zstd: size logtap / DuckDB | $size_ratio | ≤ 1.05 | $(verdict "$size_ratio" le 1.05) |"
fi
want pgcdc && ratio_row "$tdir/pgcdc.rate_ratio" "PostgreSQL CDC: rate logtap / pg_recvlogical" ge 0.8 >>"$results"
if ! want myfull; then :
elif [ $have_mydumper -eq 1 ]; then
  ratio_row "$tdir/myfull.ratio_mydumper" "MariaDB full load: time logtap / mydumper -t 2" le 1.0 >>"$results"
else
  emit "| MariaDB full load: time logtap / mydumper | skipped (mydumper not installable) | ≤ 1.0 | skipped |"
fi
want myfull && ratio_row "$tdir/myfull.ratio_mariadb" "MariaDB full load: time logtap / mariadb --batch" le 1.0 >>"$results"
if ! want mycdc; then :
elif [ "$mycdc" = ok ]; then
  ratio_row "$tdir/mycdc.rate_ratio" "MariaDB CDC: rate logtap / mariadb-binlog -v" ge 0.8 >>"$results"
else
  emit "| MariaDB CDC: rate logtap / mariadb-binlog | skipped (logtap's mysql CDC failed: $(tail -1 "$work/mycdc.first.log" | tr '|' '/')) | ≥ 0.8 | skipped |"
fi
if want merge; then
  ratio_row "$tdir/merge.ratio" "merge $rows + $changes changes: time logtap / DuckDB" le 1.0 >>"$results"
  ratio_row "$tdir/merge.ratio_limited" "merge $rows + $changes changes: time logtap / DuckDB with memory_limit ${merge_budget}MB" le 1.0 >>"$results"
fi
if ! want s3; then :
elif [ $have_s3 -eq 1 ]; then
  ratio_row "$tdir/s3full.rate_ratio" "object store (radosgw on loopback): full load rows/s, s3:// / local folder" ge 0.8 >>"$results"
  ratio_row "$tdir/s3cdc.rate_ratio" "object store (radosgw on loopback): CDC rows/s, s3:// / local folder" ge 0.8 >>"$results"
else
  emit "| object store: rows/s, s3:// / local folder | skipped (radosgw not available) | ≥ 0.8 | skipped |"
fi
want latency && emit "| commit-to-file latency p99 (CdcMaxBatchInterval 1) | p50 ${lat_p50} s, p99 ${lat_p99} s | ≤ 1.5 s | $(verdict "$lat_p99" le 1.5) |"
if want pgcdc || want mycdc; then
  rep_rss=$(cat "$tdir"/pgcdc.logtap.rss "$tdir"/mycdc.logtap.rss 2>/dev/null | sort -n | tail -1)
  emit "| peak RSS of logtap replicate (PostgreSQL and MariaDB CDC) | $(awk -v k="$rep_rss" 'BEGIN { printf "%.1f MB", k / 1024 }') | ≤ 64 MB | $(verdict "$rep_rss" le 65536) |"
fi
if want merge; then
  mrg_rss=$(sort -n "$tdir/merge.logtap.rss" | tail -1)
  emit "| peak RSS of logtap merge (budget $merge_budget MB) | $(awk -v k="$mrg_rss" 'BEGIN { printf "%.1f MB", k / 1024 }') | ≤ $((merge_budget + 32)) MB | $(verdict "$mrg_rss" le $(((merge_budget + 32) * 1024))) |"
fi
if want pgparquet; then
  pq_rss=$(sort -n "$tdir/pgpq.logtap.rss" | tail -1)
  emit "| peak RSS of logtap full load → Parquet (its parts' row groups share 64 MB) | $(awk -v k="$pq_rss" 'BEGIN { printf "%.1f MB", k / 1024 }') | ≤ 128 MB | $(verdict "$pq_rss" le 131072) |"
fi
emit ""

emit "## Jobs" ""
if want pgcsv; then
emit "### PostgreSQL full load, $rows rows → CSV" "" "| command | time min / median / max (s) | peak RSS | CPU |" "|---|---|---|---|"
time_row pgcsv.logtap "logtap full-load" >>"$results"
time_row pgcsv.psql "psql \\copy … csv" >>"$results"
time_row pgcsv.psql_fsync "psql \\copy … csv, then fsync of the file (logtap's durability)" >>"$results"
emit "" "Output: logtap $pgcsv_bytes bytes (with \`_logtap_pos\`, written to a temp name, fsynced, renamed), psql $psql_bytes bytes." ""
fi
if want pgparquet; then
emit "### same → Parquet (zstd)" "" "| command | time min / median / max (s) | peak RSS | CPU |" "|---|---|---|---|"
time_row pgpq.logtap "logtap full-load (parquet, zstd)" >>"$results"
time_row pgpq.psql "psql \\copy … csv (first half of the pipeline)" >>"$results"
time_row pgpq.duckdb "DuckDB read_csv → Parquet zstd (node + @duckdb/node-api)" >>"$results"
emit "" "Size: logtap $lt_pq_bytes bytes, DuckDB $dk_pq_bytes bytes (ratio $size_ratio). Columns as read back by DuckDB:" \
  "logtap \`$pq_types\`; DuckDB \`$dk_types\`." "" \
  "Compressed bytes per column: logtap \`$lt_pq_cols\` ($lt_pq_rg); DuckDB \`$dk_pq_cols\` ($dk_pq_rg)." ""
fi
if want cores; then
emit "### Full loads across cores (MaxFullLoadSubTasks; this machine has $cores)" "" \
  "The same PostgreSQL full load with 1, 2 and every core's worth of workers (\`MaxFullLoadSubTasks\`); with $cores" \
  "workers the table was written as $core_parts file(s) (one per part: a table under 2 × 32 MB is never split, so" \
  "the settings then differ in nothing). CPU is logtap's own; PostgreSQL's COPY backends run on the same cores." "" \
  "| workers | CSV: time min / median / max (s) | peak RSS | CPU | Parquet zstd: time min / median / max (s) | peak RSS | CPU |" \
  "|---|---|---|---|---|---|---|"
for n in $core_settings; do
  csv_row=$(time_row "cores$n.csv" x | cut -d'|' -f3-5)
  pq_row=$(time_row "cores$n.pq" x | cut -d'|' -f3-5)
  emit "| $n |$csv_row|$pq_row|"
done
emit "" "Speed-up of the median time over 1 worker: CSV$(for n in $core_settings; do printf ' %s: %s' "$n" "$(awk -v a="$(median "$tdir/cores1.csv")" -v b="$(median "$tdir/cores$n.csv")" 'BEGIN { printf "%.2fx", a / b }')"; done), Parquet$(for n in $core_settings; do printf ' %s: %s' "$n" "$(awk -v a="$(median "$tdir/cores1.pq")" -v b="$(median "$tdir/cores$n.pq")" 'BEGIN { printf "%.2fx", a / b }')"; done)" ""
fi
if want pgcdc; then
emit "### PostgreSQL CDC, $rows updated rows (one UPDATE, one transaction, per pair)" "" \
  "| command | time min / median / max (s) | peak RSS | CPU |" "|---|---|---|---|"
time_row pgcdc.logtap "logtap replicate --until now" >>"$results"
time_row pgcdc.recvlogical "pg_recvlogical pgoutput → /dev/null" >>"$results"
emit "" "Rate (rows/s, min / median / max): logtap $(fmt3 $(stats "$tdir/pgcdc.logtap.rate") 0), pg_recvlogical $(fmt3 $(stats "$tdir/pgcdc.recvlogical.rate") 0)." \
  "Both slots were created at the same point (logtap's by its first \`--until now\` run, pg_recvlogical's right after, no" \
  "write in between); each pair then runs the UPDATE, takes \`pg_current_wal_lsn()\`, and both read the same WAL up to it." \
  "The time includes the server's decoding of the transaction (the walsender reorders it and spills to disk) for both." ""
fi
if want myfull; then
emit "### MariaDB full load, $rows rows" "" "| command | time min / median / max (s) | peak RSS | CPU |" "|---|---|---|---|"
time_row myfull.logtap "logtap full-load (engine mysql)" >>"$results"
[ $have_mydumper -eq 1 ] && time_row myfull.mydumper "mydumper -t 2 -r $chunk" >>"$results"
time_row myfull.mariadb "mariadb --batch -e 'select …' > file" >>"$results"
[ $have_mydumper -eq 1 ] || emit "" "mydumper: skipped (the Debian package could not be installed)."
emit ""
fi
if ! want mycdc; then :
elif [ "$mycdc" = ok ]; then
  emit "### MariaDB CDC, $rows updated rows" ""
  emit "| command | time min / median / max (s) | peak RSS | CPU |" "|---|---|---|---|"
  time_row mycdc.logtap "logtap replicate --until now (engine mysql)" >>"$results"
  time_row mycdc.binlog "mariadb-binlog --read-from-remote-server -v --base64-output=DECODE-ROWS" >>"$results"
  emit "" "Rate (rows/s, min / median / max): logtap $(fmt3 $(stats "$tdir/mycdc.logtap.rate") 0), mariadb-binlog $(fmt3 $(stats "$tdir/mycdc.binlog.rate") 0)." \
    "Each pair: \`FLUSH BINARY LOGS\`, the UPDATE, \`FLUSH BINARY LOGS\`; mariadb-binlog decodes exactly that binlog file" \
    "(\`-v\` prints every row image as pseudo-SQL; \`DECODE-ROWS\` leaves out the base64 copy), logtap reads it from its checkpoint." ""
else
  emit "### MariaDB CDC, $rows updated rows" ""
  emit "skipped: logtap's mysql CDC did not run here ($(tail -1 "$work/mycdc.first.log"))." ""
fi
if want merge; then
emit "### merge: $rows base rows + $changes changes ($upd updates, $del deletes, $ins inserts)" "" \
  "| command | time min / median / max (s) | peak RSS | CPU |" "|---|---|---|---|"
time_row merge.logtap "logtap merge (memory_limit_mb $merge_budget)" >>"$results"
time_row merge.duckdb "DuckDB latest row per key (ROW_NUMBER … ORDER BY _logtap_pos DESC, drop D) → CSV" >>"$results"
time_row merge.duckdb_limited "same, DuckDB with SET memory_limit='${merge_budget}MB'" >>"$results"
emit "" "Both read the same load and CDC files and write $expected_rows rows; rows that differ between the two outputs: $same." \
  "DuckDB reads every column as text (\`all_varchar\`), as logtap's merge does." ""
fi
if want latency; then
emit "### commit-to-file latency" "" \
  "$lat_n single-row transactions 0–0.5 s apart into a table \`logtap replicate\` follows with" \
  "\`CdcMaxBatchInterval 1\`; latency = the first time the file holding the row is visible under its final name (polled every" \
  "5 ms) minus the row's commit time (\`TimestampColumnName\`, the server's commit timestamp)." "" \
  "p50 $lat_p50 s, p99 $lat_p99 s, max $lat_max s." ""
fi
if [ $have_s3 -eq 1 ]; then
  emit "### object store: s3:// (radosgw on loopback) against a local folder" "" \
    "| command | time min / median / max (s) | peak RSS | CPU |" "|---|---|---|---|"
  time_row s3full.local "logtap full-load → local folder (CSV, $rows rows)" >>"$results"
  time_row s3full.s3 "logtap full-load → s3://bench/full" >>"$results"
  time_row s3cdc.local "logtap replicate --until now → local folder ($rows updated rows)" >>"$results"
  time_row s3cdc.s3 "logtap replicate --until now → s3://bench/cdc" >>"$results"
  emit "" "Rate (rows/s, min / median / max): full load local $(fmt3 $(stats "$tdir/s3full.local.rate") 0), s3:// $(fmt3 $(stats "$tdir/s3full.s3.rate") 0);" \
    "CDC local $(fmt3 $(stats "$tdir/s3cdc.local.rate") 0), s3:// $(fmt3 $(stats "$tdir/s3cdc.s3.rate") 0)." \
    "The store is Debian's radosgw (Ceph 16.2, one in-memory OSD) on the same 2 cores; it checks every signature and" \
    "Content-MD5. The full load's $s3_objects objects hold the local files' $local_bytes bytes exactly. Over the whole run the" \
    "store itself (radosgw + OSD) used ${s3_cpu} s of CPU, taken from the same cores as PostgreSQL and logtap." ""
fi
if [ $perf_ok -eq 1 ]; then
  emit "## Where the time goes (perf)" "" \
    "\`perf record -F 1999 -g\` of one logtap run each; self time by symbol, \`[k]\` = kernel (logtap process only: the" \
    "server's own work is not in these numbers)." ""
  if [ -f "$work/perf.fullload.data" ]; then
    emit "Full load → CSV ($rows rows):" "" '```'; perf_top "$work/perf.fullload.data" >>"$results"; emit '```' ""
  fi
  if [ -f "$work/perf.cdc.data" ]; then
    emit "CDC catch-up ($rows updated rows):" "" '```'; perf_top "$work/perf.cdc.data" >>"$results"; emit '```' ""
  fi
  if [ -f "$work/perf.myfull.data" ]; then
    emit "MariaDB full load → CSV ($rows rows):" "" '```'; perf_top "$work/perf.myfull.data" >>"$results"; emit '```' ""
  fi
  if [ -f "$work/perf.mycdc.data" ]; then
    emit "MariaDB CDC catch-up ($rows updated rows):" "" '```'; perf_top "$work/perf.mycdc.data" >>"$results"; emit '```' ""
  fi
  if [ -f "$work/perf.merge.data" ]; then
    emit "merge ($rows base rows + $changes changes, memory_limit_mb $merge_budget):" "" '```'
    perf_top "$work/perf.merge.data" >>"$results"; emit '```' ""
  fi
fi
emit "## Exact commands" "" "\`\$W\` is the run's work dir; logtap's configs are below." ""
for k in pgcsv.logtap pgcsv.psql pgcsv.psql_fsync pgpq.logtap pgpq.psql pgpq.duckdb pgcdc.logtap pgcdc.recvlogical myfull.logtap \
         myfull.mydumper myfull.mariadb mycdc.logtap mycdc.binlog merge.logtap merge.duckdb merge.duckdb_limited s3full.local s3full.s3 \
         s3cdc.local s3cdc.s3; do
  [ -f "$tdir/$k.cmd" ] && emit "- $k: \`$(cmd_of "$k" | tr -s ' \n' ' ')\`"
done
emit "" "Configs:" ""
cat "$configs" >>"$results"
mkdir -p "$(dirname "$out")"
cp "$results" "$out"
sed -n '/^## Summary/,/^## Jobs/p' "$out" | sed '$d'
echo "report: $out"
