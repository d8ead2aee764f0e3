#!/usr/bin/env bash
# `logtap status` on a MySQL/MariaDB task: the lag in bytes between the checkpoint and the server's position is
# right when binlog files were rotated in between (FLUSH BINARY LOGS): the rest of the checkpoint's file, the whole
# files after it, and the position in the current file, as SHOW BINARY LOGS lists them; after catching up it is 0
# (or what other tests wrote to the server meanwhile).
# (A purged checkpoint file, where the lag is unknown, is a unit test: purging here would disturb other tests.)
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

# The expected lag from checkpoint CP to the server position CUR (both as status printed them), computed here from
# SHOW BINARY LOGS (other tests may write to the server meanwhile: only CUR's file grows, and CUR fixes its part).
expected_lag() { # expected_lag CP CUR (file:pos, maybe @gtid)
  local cp=${1%@*} cur=${2%@*} sum=0 seen=0 name size
  local cpfile=${cp%:*} cppos=${cp##*:} curfile=${cur%:*} curpos=${cur##*:}
  if [ "$curfile" == "$cpfile" ]; then echo $((curpos - cppos)); return; fi
  while IFS=$'\t' read -r name size _; do
    if [ "$name" == "$cpfile" ]; then seen=1; sum=$((size - cppos)); continue; fi
    [ $seen -eq 1 ] || continue
    [ "$name" == "$curfile" ] && break
    sum=$((sum + size))
  done < <(my_sql $db "SHOW BINARY LOGS")
  echo $((sum + curpos))
}
json_field() { echo "$1" | sed -n "s/.*\"$2\":\"\{0,1\}\([^,\"}]*\).*/\1/p"; }

run_logtap status --config task.json --json
cp=$(json_field "$out" checkpoint)
expect_eq "$(json_field "$out" lag_bytes)" "$(expected_lag "$cp" "$(json_field "$out" source_position)")" \
  "lag after catching up: checkpoint $cp, server at $(json_field "$out" source_position)"

my_sql $db "INSERT INTO t SELECT seq, REPEAT('a', 400) FROM seq_1_to_200"
my_sql $db "FLUSH BINARY LOGS"
my_sql $db "INSERT INTO t SELECT seq, REPEAT('b', 400) FROM seq_201_to_300"
my_sql $db "FLUSH BINARY LOGS"
my_sql $db "INSERT INTO t VALUES (301, 'c')"
run_logtap status --config task.json --json
lag=$(json_field "$out" lag_bytes)
cur=$(json_field "$out" source_position)
want=$(expected_lag "$cp" "$cur")
expect_eq "$lag" "$want" "lag across two FLUSH BINARY LOGS: $lag bytes from $cp to $cur"
[ "${cp%%:*}" != "${cur%%:*}" ] && ok "checkpoint and current position are in different files" || fail "same file: $cp $cur"
curpos=${cur%@*}
curpos=${curpos##*:}
[ "${lag:-0}" -gt "$curpos" ] && ok "the lag counts the earlier files too (more than the current file's $curpos bytes)" \
  || fail "lag $lag not more than $curpos"
run_logtap status --config task.json
line=$(echo "$out" | grep '^source:')
echo "$line" | grep -qE "^source: +at [^ ]+, lag [0-9]+ bytes, [0-9.]+ s$" && ok "text status: $line" || fail "text status: $out"

run_logtap replicate --config task.json --until now
expect_eq "$rc" 0 "replicate catches up"
run_logtap status --config task.json --json
cp2=$(json_field "$out" checkpoint)
expect_eq "$(json_field "$out" lag_bytes)" "$(expected_lag "$cp2" "$(json_field "$out" source_position)")" \
  "lag after catching up across files: checkpoint $cp2, server at $(json_field "$out" source_position)"
[ "${cp2%%:*}" == "${cur%%:*}" ] || [[ "${cp2%%:*}" > "${cur%%:*}" ]] && ok "the checkpoint moved to the newest file" \
  || fail "checkpoint $cp2 behind $cur"
expect_eq "$(cat $(find lake/$db/t -name '2*.csv') | wc -l)" 301 "every row written"

my_sql mysql "DROP DATABASE $db"
finish
