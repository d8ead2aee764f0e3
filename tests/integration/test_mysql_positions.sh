#!/usr/bin/env bash
# Positions on a MariaDB task, as `status` prints them and `merge --as-of` / `replicate --until` take them: a
# full-load-and-cdc task, changes in several transactions, the checkpoint (file:position@gtid) noted after the
# first batch and the table copied then, more changes, `replicate --until now`; `merge --as-of` that checkpoint,
# the same moment as a time with a -03:00 offset, the full load's snapshot checkpoint (its rows carry that very
# position, row 0) and the position status gives a snapshot each reproduce the table as it was; a merge without
# --as-of equals the final table. status --json: RFC 3339 UTC times, file:position checkpoints, _logtap_pos values
# under their own keys. An --as-of before the first load exits 2 saying when it was; an --until already durable
# exits 0 at once without streaming; every bad --until / --as-of (an LSN given to this MySQL task among them)
# exits 2 at once against a server that never answers (so nothing connected).
source "$LOGTAP_SOURCE_DIR/tests/lib/itest.sh"
source "$LOGTAP_SOURCE_DIR/tests/lib/mariadb_server.sh"
source "$LOGTAP_SOURCE_DIR/tests/lib/unreachable.sh"
require_mysql
dir=$(test_dir)
cd "$dir"
db=lt_my_pos
my_fresh_db $db
my_sql $db "CREATE TABLE acct (id int PRIMARY KEY, balance decimal(12,2) NOT NULL, note varchar(100));
            INSERT INTO acct SELECT seq, seq * 10, CONCAT('n', seq) FROM seq_1_to_300;"
mkdir run
(cd run && write_mysql_config task.json $db '"CdcMaxBatchInterval": 1, "TimestampColumnName": "commit_ts"' \
  full-load-and-cdc mypos)
sed -i 's/"table_mappings"/"merge": {"keep": 10}, "table_mappings"/' run/task.json
task=run/task.json
jstr() { echo "$1" | sed -n "s/.*\"$2\":\"\([^\"]*\)\".*/\1/p"; } # the last string value of a key
rfc3339='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z'
cp_re='[^":@]+\.[0-9]+:[0-9]+(@[0-9,-]*)?'
copy_table() { my_fresh_db ${db}_$1 && my_sql ${db}_$1 "CREATE TABLE acct AS SELECT * FROM $db.acct"; } # not captured

run_logtap replicate --config $task --until now
expect_eq "$rc" 0 "full load, then CDC up to now"
[ "$rc" -eq 0 ] || echo "$out"
copy_table at_load
run_logtap status --config $task --json
status=$out
load_cp=$(jstr "$status" full_load_snapshot_position)
[[ "$load_cp" =~ ^$cp_re$ ]] && ok "status: the full load's snapshot position is a checkpoint ($load_cp)" \
  || fail "full_load_snapshot_position: $status"
load_pos=$(jstr "$status" full_load_snapshot_logtap_pos)
[[ "$load_pos" =~ ^[0-9]{10}:[0-9]{12}:0{10}$ ]] && ok "status: and its _logtap_pos ($load_pos)" \
  || fail "full_load_snapshot_logtap_pos: $status"
lf=${load_cp%%@*}
f=${lf%:*} # the load's binlog file
expect_eq "$((10#${load_pos:0:10})):$((10#${load_pos:11:12}))" "$((10#${f##*.})):${lf##*:}" \
  "the snapshot's _logtap_pos is its checkpoint's file number and position"
expect_eq "$(head -1 "$(ls run/lake/$db/acct/LOAD*.csv | head -1)" | grep -o '[0-9]*:[0-9]*:[0-9]*$')" "$load_pos" \
  "full-load rows carry that position, row 0"

# batch 1: several transactions (one rotates the binlog: positions in the next file)
sleep 1.1
for i in 1 2 3 4 5; do
  my_sql $db "BEGIN; UPDATE acct SET balance = balance + $i WHERE id % 7 = $i; DELETE FROM acct WHERE id = $((i * 11));
              INSERT INTO acct VALUES ($((1000 + i)), $i, 'batch 1'); COMMIT;"
  [ $i -eq 3 ] && my_sql $db "FLUSH BINARY LOGS"
done
run_logtap replicate --config $task --until now
expect_eq "$rc" 0 "batch 1 replicated"
copy_table at_cp1
run_logtap status --config $task --json
cp1=$(echo "$out" | sed -n 's/.*"cdc":{"checkpoint":"\([^"]*\)".*/\1/p')
[[ "$cp1" =~ ^$cp_re$ ]] && ok "status: the checkpoint is file:position[@gtid] ($cp1)" || fail "checkpoint: $out"
[ "${cp1%%:*}" != "${load_cp%%:*}" ] && ok "(in a later binlog file than the load)" || fail "no rotation: $load_cp $cp1"
sleep 1.1 # binlog times are whole seconds
t1=$(date -u +%s.%N)
sleep 1.1

# batch 2
for i in 1 2 3 4; do
  my_sql $db "BEGIN; UPDATE acct SET note = 'batch 2', balance = balance * 2 WHERE id % 5 = $i;
              DELETE FROM acct WHERE id = $((i * 13 + 1)); INSERT INTO acct VALUES ($((2000 + i)), $i, 'batch 2'); COMMIT;"
done
my_sql $db "UPDATE acct SET id = id + 5000 WHERE id = 1001" # a key change
run_logtap replicate --config $task --until now
expect_eq "$rc" 0 "batch 2 replicated"
for c in time snap; do cp -a run run_$c; done

# compare RUN_DIR DB: the newest snapshot of acct under RUN_DIR equals DB.acct
compare() {
  local f
  f=$(ls -d "$1"/lake/_snapshots/$db/acct/snapshot=* | sort | tail -1)/part-00000.csv
  my_fresh_db ${db}_snap
  my_sql ${db}_snap "CREATE TABLE acct LIKE $db.acct"
  my_sql ${db}_snap "$(my_load_data_sql "$dir/$f" $db acct ${db}_snap)"
  my_diff_tables "$2" acct ${db}_snap
}

run_logtap merge --config $task --as-of "$load_cp"
expect_eq "$rc" 0 "merge --as-of the full load's snapshot checkpoint $load_cp"
[ "$rc" -eq 0 ] || echo "$out"
expect_eq "$(compare run ${db}_at_load)" 0 "--as-of the snapshot's checkpoint: the table as loaded (its rows at row 0 included)"
run_logtap merge --config $task --as-of "$cp1"
expect_eq "$rc" 0 "merge --as-of the checkpoint $cp1"
[ "$rc" -eq 0 ] || echo "$out"
expect_eq "$(compare run ${db}_at_cp1)" 0 "--as-of the checkpoint noted after batch 1: the table as it was then"
[ "$(compare run $db)" -gt 0 ] && ok "(which is not the final table)" || fail "batch 2 changed nothing"
run_logtap merge --config $task
expect_eq "$rc" 0 "merge without --as-of"
expect_eq "$(compare run $db)" 0 "without --as-of: the final table"

t1_local=$(TZ=America/Sao_Paulo date -d "@$t1" +%Y-%m-%dT%H:%M:%S.%6N%:z)
run_logtap merge --config run_time/task.json --as-of "$t1_local"
expect_eq "$rc" 0 "merge --as-of $t1_local (-03:00)"
[ "$rc" -eq 0 ] || echo "$out"
expect_eq "$(compare run_time ${db}_at_cp1)" 0 "--as-of a time with a -03:00 offset: the table as it was then"

# status --json: one time format, one position form
run_logtap status --config $task --json
status=$out
times=$(echo "$status" | grep -oE '"[a-z_]*(time|started|finished)":"[^"]*"')
bad=$(echo "$times" | grep -vE "\":\"$rfc3339\"$" || true)
[ -z "$bad" ] && [ "$(echo "$times" | wc -l)" -ge 6 ] && ok "status --json: all $(echo "$times" | wc -l) times are RFC 3339 UTC" \
  || fail "status times: $bad: $status"
for k in full_load_snapshot_time checkpoint_time last_commit_time full_load_started full_load_finished; do
  echo "$status" | grep -qE "\"$k\":\"$rfc3339\"" && ok "status --json has $k" || fail "status lacks $k: $status"
done
bad=$(echo "$status" | grep -oE '"[a-z_]*position":"[^"]*"' | grep -vE "\":\"$cp_re\"$" || true)
[ -z "$bad" ] && ok "status --json: every *position is file:position" || fail "positions: $bad"
echo "$status" | grep -qE '"snapshots":\[\{"name":"[0-9]{8}T[0-9]{6}Z","path":"[^"]*","time":"'"$rfc3339"'","position":"'"$cp_re"'","last_change_logtap_pos":"[0-9]{10}:[0-9]{12}:[0-9]{10}"' \
  && ok "status --json: snapshots with time, position and last_change_logtap_pos" || fail "snapshots: $status"
# the position status gives batch 1's snapshot (newest first: final, batch 1, load), given back to --as-of
snap_cp=$(echo "$status" | grep -oE '"position":"[^"]*","last_change_logtap_pos"' | sed -n 2p | cut -d'"' -f4)
run_logtap merge --config run_snap/task.json --as-of "$snap_cp"
expect_eq "$rc" 0 "merge --as-of the position status gives batch 1's snapshot ($snap_cp)"
expect_eq "$(compare run_snap ${db}_at_cp1)" 0 "reproduces that snapshot"
run_logtap status --config $task
echo "$out" | grep -qE "^full load: snapshot at $cp_re \($rfc3339\), finished $rfc3339$" \
  && ok "text status: $(echo "$out" | grep '^full load:')" || fail "text status: $out"

# before the first load
run_fast 2 "--as-of a time before the first load" merge --config $task --as-of 2000-01-01
echo "$out" | grep -q "before the task's full load, whose snapshot is at $load_cp (" && ok "and says when the first load was" \
  || fail "message: $out"
run_fast 2 "--as-of a position before the first load" merge --config $task --as-of "$f:$((${lf##*:} - 1))"
echo "$out" | grep -q "before the task's full load" && ok "and says so" || fail "message: $out"

# --until already durable, and bad arguments: decided before anything connects (the server never answers)
unreachable_start
sed "s|\"socket\": \"$LOGTAP_MYSQL_SOCKET\"|\"host\": \"127.0.0.1\", \"port\": $unreachable_port|" $task >run/unreachable.json
grep -q "\"port\": $unreachable_port" run/unreachable.json || fail "unreachable config"
run_fast 0 "replicate --until the load's checkpoint (durable)" replicate --config run/unreachable.json --until "$load_cp"
echo "$out" | grep -q "already durable" && ok "says the --until position is already durable" || fail "message: $out"
run_fast 0 "replicate --until the first binlog position" replicate --config run/unreachable.json --until "$f:4"
run_fast 2 "--until garbage" replicate --config run/unreachable.json --until garbage
echo "$out" | grep -q '"garbage" is not a MySQL/MariaDB binlog position' && ok "names the form wanted" || fail "message: $out"
run_fast 2 "--until an LSN" replicate --config run/unreachable.json --until 0/0
echo "$out" | grep -q "that is a postgres position" && ok "and says whose position it is" || fail "message: $out"
run_fast 2 "--until a file index that does not fit" replicate --config run/unreachable.json --until mysql-bin.4294967296:4
run_fast 2 "--as-of yesterday" merge --config run/unreachable.json --as-of yesterday
run_fast 2 "--as-of a time without a date" merge --config run/unreachable.json --as-of 12:00:00
echo "$out" | grep -q "without a date" && ok "says the date is missing" || fail "message: $out"
run_fast 2 "--as-of an LSN" merge --config run/unreachable.json --as-of 0/16B3748
echo "$out" | grep -q "that is a postgres position" && ok "and says whose position it is" || fail "message: $out"
run_fast 2 "--as-of a PostgreSQL _logtap_pos" merge --config run/unreachable.json --as-of 00000000/016B3748:00000000000000000001
run_fast 2 "--as-of a position that does not fit" merge --config run/unreachable.json --as-of "$f:1000000000000"
run_fast 2 "--as-of an impossible date" merge --config run/unreachable.json --as-of 2023-02-29
run_fast 2 "--as-of an impossible offset" merge --config run/unreachable.json --as-of 2024-01-31T12:00:00-24:00
expect_eq "$(echo "$("$LOGTAP_BIN" status --config $task --json)" | sed -n 's/.*"cdc":{"checkpoint":"\([^"]*\)".*/\1/p')" \
  "$(echo "$status" | sed -n 's/.*"cdc":{"checkpoint":"\([^"]*\)".*/\1/p')" "the checkpoint did not move"

my_sql mysql "DROP DATABASE $db; DROP DATABASE ${db}_at_load; DROP DATABASE ${db}_at_cp1; DROP DATABASE ${db}_snap"
finish
