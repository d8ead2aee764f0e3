#!/usr/bin/env bash
# Positions on a PostgreSQL task, as `status` prints them and `merge --as-of` / `replicate --until` take them:
# a full-load-and-cdc task, changes in several transactions, the checkpoint noted after the first batch (and the
# table copied then), more changes; `merge --as-of` that checkpoint, a server LSN taken then, the same moment as a
# time with a +05:30 offset, and the full load's snapshot position each reproduce the table as it was; a merge
# without --as-of equals the final table. status --json: RFC 3339 UTC times, LSNs, _logtap_pos values under their
# own keys. An --as-of before the first load exits 2 saying when it was; `--until 0/0` (and an older checkpoint)
# exits 0 at once without streaming; every bad --until / --as-of exits 2 at once against a server that never
# answers (so nothing connected).
source "$LOGTAP_SOURCE_DIR/tests/lib/itest.sh"
source "$LOGTAP_SOURCE_DIR/tests/lib/unreachable.sh"
require_pg
dir=$(test_dir)
db=lt_pg_pos
fresh_db $db
psql -d $db -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE TABLE acct (id int PRIMARY KEY, balance int NOT NULL, note text);
INSERT INTO acct SELECT g, g * 10, 'n' || g FROM generate_series(1, 300) g;
CREATE SCHEMA copies;
SQL
cd "$dir"
mkdir run
cat >run/task.json <<JSON
{
  "task": "pgpos", "migration_type": "full-load-and-cdc",
  "source": {"engine": "postgres", "conninfo": "host=$PGHOST port=$PGPORT dbname=$db user=logtap",
             "slot": "logtap_pgpos", "publication": "logtap_pgpos"},
  "target": {"path": "lake", "CdcMaxBatchInterval": 1, "TimestampColumnName": "commit_ts"},
  "table_mappings": {"rules": [{"rule-type":"selection","rule-id":"1","rule-name":"1",
      "object-locator":{"schema-name":"public","table-name":"%"},"rule-action":"include"}]},
  "merge": {"keep": 10}
}
JSON
task=run/task.json
jstr() { echo "$1" | sed -n "s/.*\"$2\":\"\([^\"]*\)\".*/\1/p"; } # the last string value of a key
rfc3339='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z'
lsn_re='[0-9A-F]{1,8}/[0-9A-F]{1,8}'

run_logtap replicate --config $task --until now
expect_eq "$rc" 0 "full load, then CDC up to now"
[ "$rc" -eq 0 ] || echo "$out"
sql $db "CREATE TABLE copies.at_load AS SELECT * FROM acct" >/dev/null
run_logtap status --config $task --json
status=$out
load_cp=$(jstr "$status" full_load_snapshot_position)
[[ "$load_cp" =~ ^$lsn_re$ ]] && ok "status: the full load's snapshot position is an LSN ($load_cp)" \
  || fail "full_load_snapshot_position: $status"
[[ "$(jstr "$status" full_load_snapshot_logtap_pos)" =~ ^[0-9A-F]{8}/[0-9A-F]{8}:0{20}$ ]] \
  && ok "status: and its _logtap_pos under full_load_snapshot_logtap_pos" || fail "full_load_snapshot_logtap_pos: $status"

# batch 1: several transactions, then the checkpoint and the table as they are now
sleep 1.1
for i in 1 2 3 4 5; do
  sql $db "BEGIN; UPDATE acct SET balance = balance + $i WHERE id % 7 = $i; DELETE FROM acct WHERE id = $((i * 11));
           INSERT INTO acct VALUES ($((1000 + i)), $i, 'batch 1'); COMMIT;" >/dev/null
done
lsn1=$(sql $db "SELECT pg_current_wal_insert_lsn()")
run_logtap replicate --config $task --until now
expect_eq "$rc" 0 "batch 1 replicated"
sql $db "CREATE TABLE copies.at_cp1 AS SELECT * FROM acct" >/dev/null
run_logtap status --config $task --json
cp1=$(echo "$out" | sed -n 's/.*"cdc":{"checkpoint":"\([^"]*\)".*/\1/p')
[[ "$cp1" =~ ^$lsn_re$ ]] && ok "status: the checkpoint is an LSN ($cp1)" || fail "checkpoint: $out"
sleep 1.1
t1=$(date -u +%s.%N)
sleep 1.1

# batch 2
for i in 1 2 3 4; do
  sql $db "BEGIN; UPDATE acct SET note = 'batch 2', balance = balance * 2 WHERE id % 5 = $i;
           DELETE FROM acct WHERE id = $((i * 13 + 1)); INSERT INTO acct VALUES ($((2000 + i)), $i, 'batch 2'); COMMIT;" >/dev/null
done
sql $db "UPDATE acct SET id = id + 5000 WHERE id = 1001" >/dev/null # a key change
run_logtap replicate --config $task --until now
expect_eq "$rc" 0 "batch 2 replicated"

# independent copies of the task's files and state, one per --as-of to check from scratch
for c in lsn time snap; do cp -a run run_$c; done

# compare SNAPSHOT_DIR RELATION: the newest snapshot of acct under the dir equals RELATION
compare() {
  local f
  f=$(ls -d "$1"/lake/_snapshots/public/acct/snapshot=* | sort | tail -1)/part-00000.csv
  sql $db "DROP TABLE IF EXISTS copies.snap; CREATE TABLE copies.snap (LIKE acct, _logtap_pos text)" >/dev/null
  psql -d $db -q -v ON_ERROR_STOP=1 -c "\\copy copies.snap FROM '$dir/$f' WITH (FORMAT csv, NULL 'NULL')"
  sql $db "SELECT count(*) FROM ((SELECT id, balance, note FROM $2 EXCEPT ALL SELECT id, balance, note FROM copies.snap)
           UNION ALL (SELECT id, balance, note FROM copies.snap EXCEPT ALL SELECT id, balance, note FROM $2)) d"
}

run_logtap merge --config $task --as-of "$load_cp"
expect_eq "$rc" 0 "merge --as-of the full load's snapshot position $load_cp"
[ "$rc" -eq 0 ] || echo "$out"
expect_eq "$(compare run copies.at_load)" 0 "--as-of the snapshot's LSN: the table as loaded (full-load rows at it included)"
run_logtap merge --config $task --as-of "$cp1"
expect_eq "$rc" 0 "merge --as-of the checkpoint $cp1"
expect_eq "$(compare run copies.at_cp1)" 0 "--as-of the checkpoint noted after batch 1: the table as it was then"
[ "$(compare run acct)" -gt 0 ] && ok "(which is not the final table)" || fail "batch 2 changed nothing"
run_logtap merge --config $task
expect_eq "$rc" 0 "merge without --as-of"
expect_eq "$(compare run acct)" 0 "without --as-of: the final table"

run_logtap merge --config run_lsn/task.json --as-of "$lsn1"
expect_eq "$rc" 0 "merge --as-of a server LSN $lsn1 (pg_current_wal_insert_lsn after batch 1)"
expect_eq "$(compare run_lsn copies.at_cp1)" 0 "--as-of the server's LSN: the table as it was then"
# the same moment as a time in another zone: converted, not misread
t1_ist=$(TZ=Asia/Kolkata date -d "@$t1" +%Y-%m-%dT%H:%M:%S.%6N%:z)
run_logtap merge --config run_time/task.json --as-of "$t1_ist"
expect_eq "$rc" 0 "merge --as-of $t1_ist (+05:30)"
[ "$rc" -eq 0 ] || echo "$out"
expect_eq "$(compare run_time copies.at_cp1)" 0 "--as-of a time with a +05:30 offset: the table as it was then"

# status --json: one time format, one position form
run_logtap status --config $task --json
status=$out
bad_times=$(echo "$status" | grep -oE '"[a-z_]*(time|started|finished)":"[^"]*"' | grep -vE "\":\"$rfc3339\"$" || true)
n_times=$(echo "$status" | grep -oE '"[a-z_]*(time|started|finished)":"[^"]*"' | wc -l)
[ -z "$bad_times" ] && [ "$n_times" -ge 6 ] && ok "status --json: all $n_times times are RFC 3339 UTC" \
  || fail "status times not RFC 3339 UTC: $bad_times ($n_times): $status"
for k in full_load_snapshot_time checkpoint_time last_commit_time full_load_started full_load_finished; do
  echo "$status" | grep -qE "\"$k\":\"$rfc3339\"" && ok "status --json has $k" || fail "status lacks $k: $status"
done
bad_pos=$(echo "$status" | grep -oE '"[a-z_]*position":"[^"]*"' | grep -vE "\":\"$lsn_re\"$" || true)
[ -z "$bad_pos" ] && ok "status --json: every *position is an LSN" || fail "positions: $bad_pos"
echo "$status" | grep -qE '"snapshots":\[\{"name":"[0-9]{8}T[0-9]{6}Z","path":"[^"]*","time":"'"$rfc3339"'","position":"'"$lsn_re"'","last_change_logtap_pos":"[0-9A-F]{8}/[0-9A-F]{8}:[0-9]{20}"' \
  && ok "status --json: snapshots with time, position (LSN) and last_change_logtap_pos" || fail "snapshots: $status"
# a snapshot's position (newest first: the final one, then batch 1's), given back to --as-of, reproduces it
snap_cp=$(echo "$status" | grep -oE '"position":"[^"]*","last_change_logtap_pos"' | sed -n 2p | cut -d'"' -f4)
run_logtap merge --config run_snap/task.json --as-of "$snap_cp"
expect_eq "$rc" 0 "merge --as-of the position status gives batch 1's snapshot ($snap_cp)"
expect_eq "$(compare run_snap copies.at_cp1)" 0 "reproduces that snapshot"
run_logtap status --config $task
echo "$out" | grep -qE "^full load: snapshot at $lsn_re \($rfc3339\), finished $rfc3339$" \
  && ok "text status: $(echo "$out" | grep '^full load:')" || fail "text status: $out"
echo "$out" | grep -qE "^public.acct +[0-9]{8}T[0-9]{6}Z +[0-9]+ +3  $lsn_re$" \
  && ok "text status: the newest snapshot and its position" || fail "text status snapshots: $out"

# before the first load
run_fast 2 "--as-of a time before the first load" merge --config $task --as-of 2000-01-01
echo "$out" | grep -q "before the task's full load, whose snapshot is at $load_cp (" && ok "and says when the first load was" \
  || fail "message: $out"
run_fast 2 "--as-of an LSN before the first load" merge --config $task --as-of 0/1
echo "$out" | grep -q "before the task's full load" && ok "and says so" || fail "message: $out"

# --until already durable, and bad arguments: decided before anything connects (the server never answers)
unreachable_start
sed "s|host=$PGHOST port=$PGPORT|host=127.0.0.1 port=$unreachable_port|" $task >run/unreachable.json
grep -q "port=$unreachable_port" run/unreachable.json || fail "unreachable config"
checkpoint_before=$(sql $db "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = 'logtap_pgpos'")
run_fast 0 "replicate --until 0/0" replicate --config run/unreachable.json --until 0/0
echo "$out" | grep -q "already durable" && ok "says the --until position is already durable" || fail "message: $out"
run_fast 0 "replicate --until an older checkpoint" replicate --config run/unreachable.json --until "$cp1"
run_fast 2 "--until garbage" replicate --config run/unreachable.json --until garbage
echo "$out" | grep -q '"garbage" is not a PostgreSQL LSN' && ok "names the form wanted" || fail "message: $out"
run_fast 2 "--until a MySQL position" replicate --config run/unreachable.json --until mysql-bin.000003:1234
echo "$out" | grep -q "that is a mysql position" && ok "and says whose position it is" || fail "message: $out"
run_fast 2 "--as-of yesterday" merge --config run/unreachable.json --as-of yesterday
run_fast 2 "--as-of a time without a date" merge --config run/unreachable.json --as-of 12:00:00
echo "$out" | grep -q "without a date" && ok "says the date is missing" || fail "message: $out"
run_fast 2 "--as-of a MySQL checkpoint" merge --config run/unreachable.json --as-of mysql-bin.000001:1637
run_fast 2 "--as-of a MySQL _logtap_pos" merge --config run/unreachable.json --as-of 0000000001:000000001637:0000000001
run_fast 2 "--as-of an impossible date" merge --config run/unreachable.json --as-of 2024-02-30T12:00:00Z
run_fast 2 "--as-of an impossible offset" merge --config run/unreachable.json --as-of 2024-01-31T12:00:00+25:00
run_fast 2 "--as-of a named zone" merge --config run/unreachable.json --as-of "2024-01-31 12:00:00 CET"
expect_eq "$(sql $db "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = 'logtap_pgpos'")" \
  "$checkpoint_before" "the slot did not move"

# a first run with --until already passed: the full load, then nothing to stream
mkdir run0
sed 's/"pgpos"/"pgpos0"/; s/logtap_pgpos/logtap_pgpos0/g' $task >run0/task.json
run_logtap replicate --config run0/task.json --until 0/0
expect_eq "$rc" 0 "first run with --until 0/0"
echo "$out" | grep -q "already durable" && ok "loads, then says --until 0/0 is already durable" || fail "first run: $out"
ls run0/lake/public/acct/LOAD00000001.csv >/dev/null 2>&1 && ok "the full load was written" || fail "no load files"
echo "$out" | grep -q "resuming change data capture\|reached the --until" && fail "it streamed: $out" || ok "without streaming"

sql $db "SELECT pg_drop_replication_slot('logtap_pgpos')" >/dev/null
sql $db "SELECT pg_drop_replication_slot('logtap_pgpos0')" >/dev/null
finish
