#!/usr/bin/env bash
# --metrics-file: replicate under a steady writer keeps a Prometheus text file that a strict format check
# (tests/tools/prom_check.mjs) and node_exporter's textfile collector (when installed) read without an error; its
# counters grow, the lag is there, table names holding a quote, a backslash and a line break come back exactly
# from the escaped label values, the file is replaced atomically (a new inode each time, no temp file left), and it
# says stopped with the exit code at the end; merge and full-load write theirs; a path that cannot be written exits
# 2; a task that keeps failing shows logtap_failing 1 with the cause, then exit code 1.
source "$LOGTAP_SOURCE_DIR/tests/lib/itest.sh"
require_pg
dir=$(test_dir)
db=lt_metrics
fresh_db $db
psql -d postgres -qAt -c "DROP ROLE IF EXISTS lt_metrics_role" -c "CREATE ROLE lt_metrics_role LOGIN SUPERUSER REPLICATION" >/dev/null
psql -d $db -qAt -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
CREATE TABLE plain (id int PRIMARY KEY, v int);
CREATE TABLE "we""ird\name" (id int PRIMARY KEY, v text);
CREATE TABLE "line
break" (id int PRIMARY KEY);
INSERT INTO plain SELECT g, g FROM generate_series(1, 200) g;
INSERT INTO "we""ird\name" VALUES (1, 'a');
INSERT INTO "line
break" VALUES (1);
SQL
cd "$dir"
mkdir prom
cat >task.json <<JSON
{"task": "metrics", "migration_type": "full-load-and-cdc",
 "source": {"engine": "postgres", "conninfo": "host=$PGHOST port=$PGPORT dbname=$db user=lt_metrics_role"},
 "target": {"path": "lake", "CdcMaxBatchInterval": 1},
 "table_mappings": {"rules": [{"rule-type":"selection","rule-id":"1","rule-name":"1",
      "object-locator":{"schema-name":"public","table-name":"%"},"rule-action":"include"}]}}
JSON
check() { node "$LOGTAP_SOURCE_DIR/tests/tools/prom_check.mjs" "$1"; }
metric() { # metric FILE NAME LABELS-SUBSTRING -> the value of the first matching sample
  local parsed="parsed/$(echo "$1" | tr / _)"   # parsed once per version of the file (node starts in ~0.5 s)
  mkdir -p parsed
  [ "$parsed" -nt "$1" ] || check "$1" >"$parsed"
  awk -F'\t' -v n="$2" -v l="$3" '$1 == n && index($2, l) { print $3; exit }' "$parsed"
}

run_logtap replicate --config task.json --metrics-file "$dir/nowhere/m.prom"
expect_eq "$rc" 2 "a metrics file in a folder that does not exist: exit 2"
echo "$out" | grep -q "nowhere" && ok "the message names it" || fail "message: $out"
[ ! -e lake ] && ok "before anything ran" || fail "it wrote $(files_written lake)"

"$LOGTAP_BIN" replicate --config task.json --metrics-file prom/logtap.prom >replicate.log 2>&1 &
pid=$!
wait_cdc replicate.log 15
( for i in $(seq 1 60); do   # one session: 60 psql starts took 27 s in a busy suite
    echo "BEGIN; INSERT INTO plain VALUES (1000 + $i, $i); UPDATE plain SET v = v + 1 WHERE id = $i; COMMIT;"
    echo "SELECT pg_sleep(0.1);"
  done | psql -d $db -qAt -v ON_ERROR_STOP=1 >/dev/null ) &
writer=$!
sleep 2.5
cp prom/logtap.prom first.prom
ino1=$(stat -c %i prom/logtap.prom)
if check first.prom >first.txt 2>first.err; then ok "the file passes the strict format check"; else fail "format: $(cat first.err)"; fi
ins1=$(metric first.prom logtap_rows_total "table=plain,op=insert")
wait $writer
sleep 2.5
cp prom/logtap.prom second.prom
ino2=$(stat -c %i prom/logtap.prom)
if check second.prom >second.txt 2>second.err; then ok "still strict after more flushes"; else fail "format: $(cat second.err)"; fi
ins2=$(metric second.prom logtap_rows_total "table=plain,op=insert")
upd2=$(metric second.prom logtap_rows_total "table=plain,op=update")
[ -n "$ins1" ] && [ "$ins2" -gt "$ins1" ] && ok "logtap_rows_total grows under writes ($ins1 -> $ins2)" || fail "inserts $ins1 -> $ins2"
expect_eq "$ins2" 60 "every insert counted"
expect_eq "$upd2" 60 "every update counted"
expect_eq "$(metric second.prom logtap_rows_total 'table=plain,op=load')" 200 "load rows"
[ "$ino1" != "$ino2" ] && ok "the file is replaced by rename (a new inode)" || fail "same inode $ino1"
expect_eq "$(ls -A prom)" "logtap.prom" "no temp file left beside it"
lag=$(metric second.prom logtap_lag_seconds "")
[ -n "$lag" ] && awk -v l="$lag" 'BEGIN { exit !(l >= 0 && l < 60) }' && ok "logtap_lag_seconds is there ($lag)" || fail "lag seconds: [$lag]"
lagb=$(metric second.prom logtap_lag_bytes "")
[ -n "$lagb" ] && [ "$lagb" -ge 0 ] && ok "logtap_lag_bytes is there ($lagb)" || fail "lag bytes: [$lagb]"
expect_eq "$(metric second.prom logtap_task_state 'state=running')" 1 "state running"
expect_eq "$(metric second.prom logtap_failing '')" 0 "not failing"
expect_eq "$(metric second.prom logtap_tables 'state=loaded')" 3 "three tables loaded"
expect_eq "$(metric second.prom logtap_tables 'state=pending')" 0 "no table waiting to join"
cdc_files=$(metric second.prom logtap_files_written_total 'kind=cdc')
[ "$cdc_files" -gt 0 ] && ok "CDC files counted ($cdc_files)" || fail "cdc files: $cdc_files"
[ -n "$(metric second.prom logtap_checkpoint_commit_timestamp_seconds '')" ] && ok "checkpoint commit time" || fail "no checkpoint time"
# names come back exactly from the escaped label values
grep -qF $'table=we"ird\\name,op=load\t1' second.txt && ok "a table name with a quote and a backslash, escaped and read back" || fail "$(grep ird second.txt)"
grep -qF $'table=line\\nbreak,op=load\t1' second.txt && ok "a table name with a line break, escaped and read back" || fail "$(grep break second.txt)"
grep -qF 'table="we\"ird\\name"' second.prom && ok "escaped as the format says" || fail "$(grep ird second.prom | head -2)"
# node_exporter, the reader the file is for, when it is installed
if command -v prometheus-node-exporter >/dev/null; then
  port=$((20000 + RANDOM % 20000))
  prometheus-node-exporter --web.listen-address=127.0.0.1:$port --collector.disable-defaults --collector.textfile \
    --collector.textfile.directory="$dir/prom" >node_exporter.log 2>&1 &
  ne=$!
  scraped=""
  for _ in $(seq 1 50); do scraped=$(curl -sf 127.0.0.1:$port/metrics || true); [ -n "$scraped" ] && break; sleep 0.1; done
  kill $ne 2>/dev/null || true
  wait $ne 2>/dev/null || true
  echo "$scraped" | grep -q '^node_textfile_scrape_error 0$' && ok "node_exporter reads the file without an error" \
    || fail "node_exporter: $(echo "$scraped" | grep textfile_scrape_error) $(grep -i error node_exporter.log | head -2)"
  echo "$scraped" | grep -q '^logtap_rows_total{command="replicate",op="insert",schema="public",table="plain",task="metrics"} ' \
    && ok "and serves its samples" || fail "no logtap samples served"
else
  echo "note: prometheus-node-exporter is not installed: only the strict format check ran"
fi
kill -INT $pid
set +e; wait $pid; prc=$?; set -e
expect_eq "$prc" 0 "replicate stops"
check prom/logtap.prom >final.txt || fail "final file format"
expect_eq "$(metric prom/logtap.prom logtap_task_state 'state=stopped')" 1 "the last file says stopped"
expect_eq "$(metric prom/logtap.prom logtap_exit_code '')" 0 "with exit code 0"
status_ins=$("$LOGTAP_BIN" status --config task.json --json | node -e 'const s=JSON.parse(require("fs").readFileSync(0,"utf8")); console.log(s.tables.find(t=>t.table==="plain").inserts)')
expect_eq "$(metric prom/logtap.prom logtap_rows_total 'table=plain,op=insert')" "$status_ins" "the same count as status"

run_logtap merge --config task.json --metrics-file prom/merge.prom
expect_eq "$rc" 0 "merge with a metrics file"
check prom/merge.prom >merge.txt 2>merge.err && ok "merge's file is strict" || fail "merge format: $(cat merge.err)"
expect_eq "$(metric prom/merge.prom logtap_snapshot_rows 'table=plain')" 260 "snapshot rows of plain"
expect_eq "$(metric prom/merge.prom logtap_files_written_total 'kind=snapshot')" 3 "three snapshots written"
expect_eq "$(metric prom/merge.prom logtap_info 'command=merge')" 1 "merge's info"

# a task that keeps failing: the role loses LOGIN and its connections are ended
"$LOGTAP_BIN" replicate --config task.json --metrics-file prom/logtap.prom >replicate2.log 2>&1 &
pid=$!
for _ in $(seq 1 150); do grep -q "resuming change data capture" replicate2.log && break; sleep 0.1; done
psql -d postgres -qAt -c "ALTER ROLE lt_metrics_role NOLOGIN" >/dev/null
psql -d postgres -qAt -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'lt_metrics_role'" >/dev/null
# (the first cause is the ended connection; the next tries meet the refused login)
for _ in $(seq 1 100); do check prom/logtap.prom 2>/dev/null | grep -q "not permitted to log in" && break; sleep 0.2; done
check prom/logtap.prom >failing.txt 2>failing.err || fail "failing format: $(cat failing.err)"
expect_eq "$(metric prom/logtap.prom logtap_failing '')" 1 "logtap_failing 1 while it keeps failing"
expect_eq "$(metric prom/logtap.prom logtap_task_state 'state=failing')" 1 "state failing"
grep -q $'^logtap_failing_info\t.*cause=.*not permitted to log in' failing.txt && ok "the cause in logtap_failing_info" || fail "$(grep failing_info failing.txt)"
[ "$(metric prom/logtap.prom logtap_errors_total 'kind=persistent')" -ge 1 ] && ok "persistent errors counted" || fail "errors: $(grep errors_total failing.txt)"
set +e; wait $pid; prc=$?; set -e
expect_eq "$prc" 1 "replicate gives up"
expect_eq "$(metric prom/logtap.prom logtap_exit_code '')" 1 "the last file says exit code 1"
psql -d postgres -qAt -c "ALTER ROLE lt_metrics_role LOGIN" >/dev/null
sql $db "SELECT pg_drop_replication_slot('logtap_metrics')" >/dev/null
psql -d postgres -qAt -c "DROP ROLE lt_metrics_role" >/dev/null 2>&1 || true
finish
