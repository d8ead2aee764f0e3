#!/usr/bin/env bash
# MariaDB GTIDs: every checkpoint carries the GTID position of its binlog position (checked against the server's
# BINLOG_GTID_POS), `status` shows it, and with source.use_gtid the stream resumes by GTID: full-load-and-cdc under
# two writers with binlog rotations, `kill -9` + restart rounds (one resuming from a checkpoint whose file name was
# made useless, so only the GTID can find the place), then `--until now`; the files replayed by _logtap_pos equal
# the source and no position is on disk twice. Killed dump threads reopen by GTID; a checkpoint without its GTID
# part gets it from the server; a GTID the server does not have is a clear error.
source "$LOGTAP_SOURCE_DIR/tests/lib/itest.sh"
source "$LOGTAP_SOURCE_DIR/tests/lib/mariadb_server.sh"
source "$LOGTAP_SOURCE_DIR/tests/lib/mysql_replay.sh"
require_mysql
dir=$(test_dir)
cd "$dir"
db=lt_my_gtid
my_fresh_db $db
my_sql $db "
CREATE TABLE acct (id int PRIMARY KEY, balance decimal(12,2) NOT NULL, note varchar(100), ts datetime(6));
CREATE TABLE nk (a int, b varchar(50));
INSERT INTO acct SELECT seq, seq / 100, CONCAT('note ', seq), '2024-01-01 00:00:00' FROM seq_1_to_5000;
INSERT INTO nk SELECT seq % 100, CONCAT('b', seq) FROM seq_1_to_500;"
write_mysql_config task.json $db '"IncludeOpForFullLoad": true, "CdcMaxBatchInterval": 1' full-load-and-cdc
sed -i 's/"server_id"/"use_gtid": true, "server_id"/' task.json
state=lake/_state/$db.db
checkpoint() { "$LOGTAP_BIN" status --config task.json --json | sed -n 's/.*"checkpoint":"\([^"]*\)".*/\1/p'; }
# The checkpoint's GTID position is exactly the server's at the checkpoint's file position.
check_gtid_matches() { # check_gtid_matches CHECKPOINT WHEN
  local cp=$1 fp=${1%@*} g=${1##*@}
  [[ "$cp" == *@* ]] || { fail "$2: checkpoint $cp has no GTID position"; return; }
  expect_eq "$g" "$(my_sql $db "SELECT BINLOG_GTID_POS('${fp%:*}', ${fp##*:})")" "$2: the GTID position of $fp is $g"
}

writer() { # writer SEED SECONDS
  local end=$((SECONDS + $2)) id other
  RANDOM=$1
  while [ $SECONDS -lt $end ]; do
    id=$((RANDOM % 6000 + 1)); other=$((RANDOM % 6000 + 1))
    my_sql $db "BEGIN;
      INSERT INTO acct VALUES ($id, $id, 'ins', NOW(6)) ON DUPLICATE KEY UPDATE balance = balance + 0.01, note = 'upsert';
      UPDATE acct SET balance = balance - 1, ts = NOW(6) WHERE id = $other;
      DELETE FROM acct WHERE id = $other + 1;
      DELETE FROM acct WHERE id = -($other + 2);
      UPDATE acct SET id = -id WHERE id = $other + 2;
      INSERT INTO nk VALUES ($id % 100, 'w');
      DELETE FROM nk WHERE a = ($other + 7) % 100 LIMIT 1;
      COMMIT;" >/dev/null 2>&1 || true
  done
}
rotator() { # a new binlog file every second, so restarts resume in other files than they stopped in
  local end=$((SECONDS + $1))
  while [ $SECONDS -lt $end ]; do my_sql $db "FLUSH BINARY LOGS" || true; sleep 1; done
}
writer 1 12 &
w1=$!
writer 2 12 &
w2=$!
rotator 12 &
w3=$!
sleep 0.3
kills=0
for round in 1 2 3; do
  if [ $round -eq 3 ]; then
    # the checkpoint's file name made useless: resuming by file position would fail, by GTID it goes on
    if command -v sqlite3 >/dev/null; then
      cp=$(checkpoint)
      sqlite3 "$state" "UPDATE meta SET value = 'no-such-binlog.000001:4@${cp##*@}' WHERE key = 'checkpoint'"
      echo "note: checkpoint $cp replaced by $(checkpoint)"
    else
      echo "note: no sqlite3 CLI: the restart from a checkpoint with a useless file name is left out"
    fi
  fi
  "$LOGTAP_BIN" replicate --config task.json >>replicate.log 2>&1 &
  pid=$!
  wait_cdc replicate.log 30
  sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 1.5 + (r % 200) / 100 }')"
  if kill -9 $pid 2>/dev/null; then kills=$((kills + 1)); fi
  wait $pid 2>/dev/null || true
  check_gtid_matches "$(checkpoint)" "after kill $round"
done
wait $w1 $w2 $w3
expect_eq "$kills" 3 "logtap killed with SIGKILL three times while the writers ran"
grep -q "change data capture starts at .*:[0-9]*@[0-9]*-[0-9]*-[0-9]*" replicate.log \
  && ok "CDC starts at the snapshot's GTID position: $(grep -o 'change data capture starts at .*' replicate.log | head -1)" \
  || fail "no GTID in the CDC start: $(grep 'change data capture' replicate.log | head -2)"
grep -q "resuming change data capture from checkpoint no-such-binlog" replicate.log || ! command -v sqlite3 >/dev/null \
  && ok "a restart resumed from a checkpoint whose file does not exist" || fail "the useless checkpoint was not used"
run_logtap replicate --config task.json --until now
expect_eq "$rc" 0 "replicate --until now drains and exits 0"
[ "$rc" -eq 0 ] || { echo "$out"; tail -20 replicate.log; }
check_gtid_matches "$(checkpoint)" "after --until now"
run_logtap status --config task.json
echo "$out" | grep -qE '^cdc: +checkpoint [^ ]+:[0-9]+@[0-9]+-[0-9]+-[0-9]+' && ok "status shows the GTID: $(echo "$out" | grep '^cdc:')" \
  || fail "status: $out"
grep -q "no longer on the server\|error" replicate.log && fail "errors in the log: $(grep -m3 'no longer\|error' replicate.log)" \
  || ok "no errors in the runs' log"

my_fresh_db ${db}_replay
for t in acct nk; do
  if why=$(my_replay_table $db $t ${db}_replay "$dir/lake" 2>&1); then ok "$t: replay applied every change"; else fail "$t: replay failed: $why"; fi
  expect_eq "$(my_replay_dup_positions ${db}_replay $t)" 0 "$t: no change appears twice on disk"
  expect_eq "$(my_diff_tables $db $t ${db}_replay)" 0 "$t: replay equals the source ($(my_sql $db "SELECT COUNT(*) FROM $t") rows, $(my_sql ${db}_replay "SELECT COUNT(*) FROM _ch_$t WHERE RIGHT(_pos, 11) <> ':0000000000'") changes)"
done
files=$(my_sql ${db}_replay "SELECT COUNT(DISTINCT LEFT(_pos, 10)) FROM _ch_acct")
[ "$files" -gt 3 ] && ok "the changes span $files binlog files" || fail "changes in $files binlog files only"

# A lost connection (the server kills the binlog dump thread, also inside a transaction): the stream reopens by
# GTID at the last transaction boundary and no row is written twice.
"$LOGTAP_BIN" replicate --config task.json >>replicate.log 2>&1 &
pid=$!
sleep 1
for i in 1 2 3 4; do
  dump=""
  for _ in $(seq 1 50); do
    dump=$(my_sql $db "SELECT ID FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%' AND USER = 'logtap'" | tail -1)
    [ -n "$dump" ] && break
    sleep 0.1
  done
  my_sql $db "BEGIN; INSERT INTO nk VALUES ($((1000 + i)), 'rc-a'); INSERT INTO nk VALUES ($((1000 + i)), 'rc-b'); DO SLEEP(0.3); COMMIT" &
  sleep 0.1
  [ -n "$dump" ] && my_sql $db "KILL $dump" 2>/dev/null || true
  dumps="${dumps:-} $dump"
  wait $!
  sleep 1.5
done
# A reconnect waits out the backoff, longer after each of the four kills and on a loaded machine: give the stream
# up to 60 s to write the last transaction's rows (checked once more below) before stopping it.
rc_rows() { find lake/$db/nk -name '2*.csv' -exec cat {} + 2>/dev/null | grep -c ',rc-[ab],' || true; }
for _ in $(seq 1 600); do [ "$(rc_rows)" -ge 8 ] && break; sleep 0.1; done
kill -TERM $pid
for _ in $(seq 1 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
set +e; wait $pid; rc=$?; set -e
expect_eq "$rc" 0 "replicate by GTID survives killed binlog connections and stops on SIGTERM"
n=$(echo $dumps | tr ' ' '\n' | sort -u | wc -l)
[ "$n" -ge 3 ] && ok "the stream was reopened ($n binlog dump threads:$dumps)" || fail "dump threads:$dumps"
expect_eq "$(rc_rows)" 8 "every row written once across the reconnects"
check_gtid_matches "$(checkpoint)" "after the reconnects"

if command -v sqlite3 >/dev/null; then
  # A checkpoint without its GTID part (as an earlier logtap wrote them) gets it from the server.
  cp=$(checkpoint)
  sqlite3 "$state" "UPDATE meta SET value = '${cp%@*}' WHERE key = 'checkpoint'"
  my_sql $db "INSERT INTO nk VALUES (2000, 'after a checkpoint without GTID')"
  run_logtap replicate --config task.json --until now
  expect_eq "$rc" 0 "a checkpoint without a GTID part resumes"
  check_gtid_matches "$(checkpoint)" "after a checkpoint without GTID"
  expect_eq "$(cat $(find lake/$db/nk -name '2*.csv') | grep -c ',after a checkpoint without GTID,')" 1 "its change is written once"
  # A GTID the server never logged: a clear error, exit 1.
  cp=$(checkpoint)
  sqlite3 "$state" "UPDATE meta SET value = '${cp%@*}@0-1-999999999999' WHERE key = 'checkpoint'"
  run_logtap replicate --config task.json --until now
  expect_eq "$rc" 1 "a GTID the server does not have exits 1"
  echo "$out" | grep -q "0-1-999999999999" && ok "the message names it: $(echo "$out" | grep -o 'mysql: .*' | head -1 | cut -c1-200)" \
    || fail "unknown GTID: $out"
fi
# use_gtid must be a boolean
sed 's/"use_gtid": true/"use_gtid": "yes"/' task.json >bad.json
run_logtap replicate --config bad.json --until now
expect_eq "$rc" 2 "use_gtid \"yes\" is a config error"
echo "$out" | grep -q "source.use_gtid" && ok "the message names source.use_gtid" || fail "bad use_gtid: $out"
my_sql mysql "DROP DATABASE $db; DROP DATABASE ${db}_replay"
finish
