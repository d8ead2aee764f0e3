#!/usr/bin/env bash
# `logtap status` on a MySQL/MariaDB task: the lag in bytes between the checkpoint and the server's position is
# right when binlog files were rotated in between (FLUSH BINARY LOGS): the rest of the checkpoint's file, the whole
# files after it, and the position in the current file, as SHOW BINARY LOGS lists them. After catching up it is 0.
source "$LOGTAP_SOURCE_DIR/tests/lib/itest.sh"
source "$LOGTAP_SOURCE_DIR/tests/lib/mariadb_server.sh"
require_mysql
dir=$(test_dir)
cd "$dir"
db=lt_my_lag
my_fresh_db $db
my_sql $db "CREATE TABLE t (id int PRIMARY KEY, pad varchar(500))"
write_mysql_config task.json $db '"CdcMaxBatchInterval": 1' cdc
run_logtap replicate --config task.json --until now
expect_eq "$rc" 0 "cdc task starts and stops at the current position"
[ "$rc" -eq 0 ] || echo "$out"

# The expected lag, computed here from SHOW BINARY LOGS and SHOW MASTER STATUS.
expected_lag() { # expected_lag CHECKPOINT
  local cpfile=${1%:*} cppos=${1##*:} cur curpos sum=0 seen=0 name size
  read -r cur curpos < <(my_sql $db "SHOW MASTER STATUS" | cut -f1,2)
  if [ "$cur" == "$cpfile" ]; then echo $((curpos - cppos)); return; fi
  while IFS=$'\t' read -r name size _; do
    if [ "$name" == "$cpfile" ]; then seen=1; sum=$((size - cppos)); continue; fi
    [ $seen -eq 1 ] || continue
    [ "$name" == "$cur" ] && break
    sum=$((sum + size))
  done < <(my_sql $db "SHOW BINARY LOGS")
  echo $((sum + curpos))
}
json_field() { echo "$1" | sed -n "s/.*\"$2\":\"\{0,1\}\([^,\"}]*\).*/\1/p"; }

run_logtap status --config task.json --json
cp=$(json_field "$out" checkpoint)
expect_eq "$(json_field "$out" lag_bytes)" 0 "no lag after catching up ($cp)"

my_sql $db "INSERT INTO t SELECT seq, REPEAT('a', 400) FROM seq_1_to_200"
my_sql $db "FLUSH BINARY LOGS"
my_sql $db "INSERT INTO t SELECT seq, REPEAT('b', 400) FROM seq_201_to_300"
my_sql $db "FLUSH BINARY LOGS"
my_sql $db "INSERT INTO t VALUES (301, 'c')"
run_logtap status --config task.json --json
lag=$(json_field "$out" lag_bytes)
want=$(expected_lag "$cp")
cur=$(json_field "$out" source_position)
expect_eq "$lag" "$want" "lag across two FLUSH BINARY LOGS: $lag bytes from $cp to $cur"
[ "${cp%:*}" != "${cur%:*}" ] && ok "checkpoint and current position are in different files" || fail "same file: $cp $cur"
[ "${lag:-0}" -gt "${cur##*:}" ] && ok "the lag counts the earlier files too (more than the current file's $((${cur##*:})) bytes)" \
  || fail "lag $lag not more than ${cur##*:}"
run_logtap status --config task.json
echo "$out" | grep -q "lag $want bytes" && ok "text status: $(echo "$out" | grep '^source:')" || fail "text status: $out"

run_logtap replicate --config task.json --until now
expect_eq "$rc" 0 "replicate catches up"
run_logtap status --config task.json --json
expect_eq "$(json_field "$out" lag_bytes)" 0 "no lag after catching up across files ($(json_field "$out" checkpoint))"
expect_eq "$(cat $(find lake/$db/t -name '2*.csv') | wc -l)" 301 "every row written"

# A checkpoint whose binlog was purged: the lag in bytes is unknown, and says why.
my_sql $db "FLUSH BINARY LOGS; INSERT INTO t VALUES (302, 'd')"
cur=$(my_sql $db "SHOW MASTER STATUS" | cut -f1)
for _ in $(seq 1 100); do
  my_sql $db "PURGE BINARY LOGS TO '$cur'" 2>/dev/null || true
  [ "$(my_sql $db "SHOW BINARY LOGS" | head -1 | cut -f1)" == "$cur" ] && break
  sleep 0.2
done
run_logtap status --config task.json --json
expect_eq "$rc" 0 "status exits 0 with a purged checkpoint binlog"
echo "$out" | grep -q '"lag_bytes_error":"[^"]*purged' && ok "lag_bytes_error: $(json_field "$out" lag_bytes_error)" || fail "purged lag: $out"
my_sql mysql "DROP DATABASE $db"
finish
