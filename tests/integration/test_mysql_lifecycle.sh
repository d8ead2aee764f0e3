#!/usr/bin/env bash
# A MariaDB task's life around a running `replicate`: one runner per task (a second replicate, full-load or
# reload exits 1 at once naming the holder, and no position is written twice); a table created while replicate
# runs, filled before and during its load by a concurrent writer, is loaded at a binlog position and followed
# after it; `reload --table` under writes, through the running replicate and without one. Each table's files
# replay to the source; the merge and validate agree.
source "$LOGTAP_SOURCE_DIR/tests/lib/itest.sh"
source "$LOGTAP_SOURCE_DIR/tests/lib/mariadb_server.sh"
source "$LOGTAP_SOURCE_DIR/tests/lib/mysql_replay.sh"
require_mysql
dir=$(test_dir)
db=lt_my_life
rdb=lt_my_life_replay
my_sql mysql "DROP DATABASE IF EXISTS $db; DROP DATABASE IF EXISTS $rdb; CREATE DATABASE $db; CREATE DATABASE $rdb"
my_sql $db "CREATE TABLE a (id int PRIMARY KEY, v int NOT NULL) ENGINE=InnoDB;
            INSERT INTO a SELECT seq, seq FROM seq_1_to_5000;"
cd "$dir"
write_mysql_config task.json $db '"IncludeOpForFullLoad": true, "CdcMaxBatchInterval": 1' full-load-and-cdc
writer() { # writer SECONDS: changes to a and (once it exists) b, in small transactions
  local end=$((SECONDS + $1)) i=0
  while [ $SECONDS -lt $end ]; do
    i=$((i + 1))
    my_sql $db "BEGIN; UPDATE a SET v = v + 1 WHERE id = $((RANDOM % 5000 + 1));
      INSERT INTO b VALUES ($((RANDOM % 40000 + 1)), 'w$i') ON DUPLICATE KEY UPDATE note = CONCAT(note, '+');
      DELETE FROM b WHERE id = $((RANDOM % 40000 + 1));
      UPDATE b SET id = -id WHERE id = $((RANDOM % 40000 + 1)) AND NOT EXISTS (SELECT 1 FROM (SELECT id FROM b) x WHERE x.id < 0 AND x.id = -$((RANDOM % 40000 + 1)));
      COMMIT" 2>/dev/null || true
  done
}

"$LOGTAP_BIN" replicate --config task.json >replicate.log 2>&1 &
pid=$!
wait_cdc replicate.log
grep -q "change data capture starts" replicate.log && ok "replicate running" || { cat replicate.log; fail "replicate did not start"; }

# One runner per task: the second one exits 1 at once, naming the first.
start=$(date +%s%N)
run_logtap replicate --config task.json
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
expect_eq "$rc" 1 "a second replicate of the task exits 1"
echo "$out" | grep -q "already being run by pid $pid (replicate)" && ok "it names the runner's pid" || fail "second runner: $out"
[ "$elapsed_ms" -lt 5000 ] && ok "it exits at once (${elapsed_ms} ms)" || fail "second runner took ${elapsed_ms} ms"
run_logtap full-load --config task.json
expect_eq "$rc" 1 "full-load beside a running replicate exits 1"
echo "$out" | grep -q "pid $pid" && ok "full-load names the runner" || fail "full-load: $out"

# b appears with rows while replicate runs, and is written to during its load
my_sql $db "CREATE TABLE b (id int PRIMARY KEY, note varchar(100)) ENGINE=InnoDB;
            INSERT INTO b SELECT seq, CONCAT('n', seq) FROM seq_1_to_30000;"
writer 6 &
wpid=$!
sleep 3
# reload of a while the writer goes on, through the running replicate
run_logtap reload --config task.json --table "$db.a"
expect_eq "$rc" 0 "reload --table $db.a through the running replicate exits 0"
echo "$out" | grep -q "reload requested; replicate (pid $pid (replicate))" && ok "reload hands over to the runner" || fail "reload: $out"
echo "$out" | grep -q "$db.a reloaded: 5000 rows" && ok "reload waits for the new load" || fail "reload: $out"
wait $wpid
kill -TERM $pid
wait $pid
expect_eq "$?" 0 "replicate stops on SIGTERM"
grep -q "table $db.b joined the selection\|1 table joining the task (first: $db.b)" replicate.log \
  && ok "b was noticed while replicate ran" || fail "b not noticed: $(tail -20 replicate.log)"

# a reload without a runner, then catch up
my_sql $db "UPDATE b SET note = 'after' WHERE id % 7 = 0"
run_logtap reload --config task.json --table "$db.b"
expect_eq "$rc" 0 "reload without a runner exits 0"
echo "$out" | grep -q "$db.b reloaded:" && ok "reload loads the table itself" || fail "reload: $out"
my_sql $db "UPDATE b SET note = 'later' WHERE id % 11 = 0; DELETE FROM b WHERE id % 13 = 0; INSERT INTO b VALUES (-5, 'x')"
run_logtap replicate --config task.json --until now
expect_eq "$rc" 0 "replicate --until now catches up"

state() { sqlite3 lake/_state/$db.db "SELECT $1 FROM tables WHERE table_name = '$2'"; }
expect_eq "$(state state a)" loaded "a is loaded"
expect_eq "$(state state b)" loaded "b is loaded"
for t in a b; do
  if my_replay_table $db $t $rdb lake; then ok "$t: files replay"; else fail "$t: replay failed"; fi
  expect_eq "$(my_replay_dup_positions $rdb $t)" 0 "$t: no change after the load appears twice"
  diff=$(my_sql $rdb "SELECT COUNT(*) FROM (SELECT * FROM $db.$t EXCEPT ALL SELECT * FROM $rdb.$t UNION ALL SELECT * FROM $rdb.$t EXCEPT ALL SELECT * FROM $db.$t) x" 2>/dev/null \
    || my_sql $rdb "SELECT (SELECT COUNT(*) FROM $db.$t s LEFT JOIN $rdb.$t r USING (id) WHERE NOT (s.id <=> r.id AND s.$( [ $t = a ] && echo v || echo note) <=> r.$( [ $t = a ] && echo v || echo note))) + (SELECT COUNT(*) FROM $rdb.$t r LEFT JOIN $db.$t s USING (id) WHERE s.id IS NULL)")
  expect_eq "$diff" 0 "$t: load + changes after it equal the source ($(my_sql $db "SELECT COUNT(*) FROM $t") rows)"
done
# a table dropped at the source stops being followed; its files stay; merge and validate skip it
my_sql $db "CREATE TABLE gone (id int PRIMARY KEY) ENGINE=InnoDB; INSERT INTO gone VALUES (1), (2)"
run_logtap replicate --config task.json --until now
expect_eq "$(state state gone)" loaded "a new table joins at --until now (loaded)"
my_sql $db "DROP TABLE gone"
run_logtap replicate --config task.json --until now
expect_eq "$(state state gone)" dropped "a table dropped at the source is marked dropped"
[ -n "$(ls lake/$db/gone/LOAD* 2>/dev/null)" ] && ok "its files stay" || fail "gone's files are gone"
run_logtap merge --config task.json
expect_eq "$rc" 0 "merge exits 0"
echo "$out" | grep -q "$db.gone: skipped, dropped at the source" && ok "merge skips the dropped table" || fail "merge: $out"
run_logtap validate --config task.json
expect_eq "$rc" 0 "validate exits 0"
[ "$(echo "$out" | grep -cE "^$db\.(a|b) .* OK$")" -eq 2 ] && ok "validate: a and b equal the source" || fail "validate: $out"

# a task holds nothing on a MariaDB server: drop says so
run_logtap drop --config task.json --confirm
expect_eq "$rc" 0 "drop exits 0"
echo "$out" | grep -q "nothing to remove" && ok "drop says a MySQL task holds nothing on the server" || fail "drop: $out"
run_logtap replicate --config task.json --until now
expect_eq "$rc" 1 "a retired task does not resume"
echo "$out" | grep -q "retired by \`logtap drop\`" && ok "it says the task was retired" || fail "retired: $out"
finish
