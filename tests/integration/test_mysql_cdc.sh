#!/usr/bin/env bash
# MySQL/MariaDB full-load-and-cdc while two writers insert, update (also primary keys) and delete, with `kill -9`
# of logtap at random moments and restarts: the load files plus the CDC files, replayed in SQL in _logtap_pos
# order, equal the source tables, and no change appears twice on disk. Also: rows of every column type written
# through the binlog have exactly the text the full load gave the same values; a DDL starts a new file with the
# new columns; a purged binlog is a clear error. acct is loaded in key ranges by parallel workers.
source "$LOGTAP_SOURCE_DIR/tests/lib/itest.sh"
source "$LOGTAP_SOURCE_DIR/tests/lib/mariadb_server.sh"
source "$LOGTAP_SOURCE_DIR/tests/lib/mysql_replay.sh"
require_mysql
dir=$(test_dir)
cd "$dir"
db=lt_my_cdc
my_fresh_db $db
my_sql $db "$(my_alltypes_sql)"
my_sql $db "
CREATE TABLE acct (id int PRIMARY KEY, balance int NOT NULL, note varchar(100), big longtext);
CREATE TABLE nk (a int, b varchar(200));
INSERT INTO acct SELECT seq, seq, CONCAT('note ', seq, REPEAT('.', 80)), IF(seq % 10 = 0, REPEAT(MD5(seq), 300), NULL) FROM seq_1_to_20000;
INSERT INTO nk SELECT seq % 500, CONCAT('b', seq) FROM seq_1_to_2000;"
my_sql $db "ANALYZE TABLE acct" >/dev/null # fresh statistics: the load splits acct by its size
write_mysql_config task.json $db '"IncludeOpForFullLoad": true, "CdcMaxBatchInterval": 1' full-load-and-cdc
# read acct in key ranges by several workers (it is a few MB): the seam must hold for a table loaded in parts
sed -i 's/^  "target":/  "full_load": {"part_min_mb": 1},\n  "target":/' task.json

writer() { # writer SEED SECONDS
  local end=$((SECONDS + $2)) id other
  RANDOM=$1
  while [ $SECONDS -lt $end ]; do
    id=$((RANDOM % 25000 + 1)); other=$((RANDOM % 25000 + 1))
    my_sql $db "BEGIN;
      INSERT INTO acct VALUES ($id, $id, 'ins', NULL) ON DUPLICATE KEY UPDATE balance = balance + 1, note = 'upsert';
      UPDATE acct SET balance = balance - 1 WHERE id = $other;
      UPDATE acct SET note = NULL WHERE id = $other + 10;
      DELETE FROM acct WHERE id = $other + 1;
      DELETE FROM acct WHERE id = -($other + 2);
      UPDATE acct SET id = -id WHERE id = $other + 2;
      INSERT INTO nk VALUES ($id % 500, 'w');
      UPDATE nk SET b = CONCAT(b, '+') WHERE a = $other % 500;
      DELETE FROM nk WHERE a = ($other + 7) % 500;
      COMMIT;" >/dev/null 2>&1 || true
  done
}
writer 1 16 &
w1=$!
writer 2 16 &
w2=$!
sleep 0.3
kills=0
for round in 1 2 3 4 5; do
  "$LOGTAP_BIN" replicate --config task.json >>replicate.log 2>&1 &
  pid=$!
  if [ $round -eq 1 ]; then # the first run: killed once its change stream runs
    wait_cdc replicate.log 30
  fi
  sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 0.5 + (r % 200) / 100 }')"
  if kill -9 $pid 2>/dev/null; then kills=$((kills + 1)); fi
  wait $pid 2>/dev/null || true
done
# every column type through the binlog (ids 101..105 repeat the values of rows 1..5)
my_sql $db "SET sql_mode = ''; INSERT INTO alltypes SELECT id + 100, ti, tiu, si, siu, mi, miu, i, iu, bi, biu, f, d, dec1, dec2, y, dt, tm, tm6, dtm, dtm6, ts, ts3, b1, b64, c, vc, bin, vbin, tt, tx, mt, lt, tb, bl, mb, lb, e, st, j, g, pt, lat, uc FROM alltypes WHERE id < 100"
wait $w1 $w2
expect_eq "$kills" 5 "logtap killed with SIGKILL five times while writing"
grep -q "acct loaded: .* (read in parts)" replicate.log && ok "acct was loaded in parts" \
  || fail "acct was not loaded in parts"
run_logtap replicate --config task.json --until now
expect_eq "$rc" 0 "replicate --until now drains and exits 0"
[ "$rc" -eq 0 ] || { echo "$out"; tail -20 replicate.log; }
grep -q "change data capture starts at" replicate.log && ok "CDC started during the killed runs" || fail "no CDC start: $(tail -5 replicate.log)"

# Replay every file on disk in SQL, by position.
my_fresh_db ${db}_replay
for t in acct nk; do
  if why=$(my_replay_table $db $t ${db}_replay "$dir/lake" 2>&1); then ok "$t: replay applied every change"; else fail "$t: replay failed: $why"; fi
  expect_eq "$(my_replay_dup_positions ${db}_replay $t)" 0 "$t: no change appears twice on disk"
  expect_eq "$(my_diff_tables $db $t ${db}_replay)" 0 "$t: replay equals the source ($(my_sql $db "SELECT COUNT(*) FROM $t") rows, $(my_sql ${db}_replay "SELECT COUNT(*) FROM _ch_$t WHERE RIGHT(_pos, 11) <> ':0000000000'") changes)"
done
[ "$(my_sql ${db}_replay "SELECT COUNT(*) FROM _ch_acct WHERE RIGHT(_pos, 11) <> ':0000000000' AND _op = 'D'")" -gt 0 ] && ok "deletes captured" || fail "no deletes"
[ "$(my_sql ${db}_replay "SELECT COUNT(*) FROM _ch_acct WHERE _op = 'I' AND id < 0")" -gt 0 ] && ok "key changes captured (as D + I)" || fail "no key changes"
my_sql mysql "DROP DATABASE ${db}_replay"

# The merge's snapshots equal the source (logtap validate: row counts and checksums of the canonical text).
run_logtap merge --config task.json
expect_eq "$rc" 0 "merge exits 0"
[ "$rc" -eq 0 ] || echo "$out"
run_logtap validate --config task.json
expect_eq "$rc" 0 "validate: every snapshot equals the source"
[ "$rc" -eq 0 ] || echo "$out"

load() { # load FILE TABLE COLS: a CSV file as text into TABLE
  my_sql $db "LOAD DATA LOCAL INFILE '$dir/$1' INTO TABLE $2 CHARACTER SET utf8mb4 FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' ESCAPED BY '' LINES TERMINATED BY '\n' ($3)"
}
# Text of every column type: CDC rows 101..105 against full-load rows 1..5, byte for byte.
cols=$(my_sql information_schema "SELECT GROUP_CONCAT(CONCAT('\`', COLUMN_NAME, '\` longtext') ORDER BY ORDINAL_POSITION) FROM COLUMNS WHERE TABLE_SCHEMA = '$db' AND TABLE_NAME = 'alltypes'")
names=$(my_sql information_schema "SELECT GROUP_CONCAT(CONCAT('\`', COLUMN_NAME, '\`') ORDER BY ORDINAL_POSITION) FROM COLUMNS WHERE TABLE_SCHEMA = '$db' AND TABLE_NAME = 'alltypes'")
cmp=$(my_sql information_schema "SELECT GROUP_CONCAT(CONCAT('NOT (l.\`', COLUMN_NAME, '\` <=> c.\`', COLUMN_NAME, '\`)') ORDER BY ORDINAL_POSITION SEPARATOR ' OR ') FROM COLUMNS WHERE TABLE_SCHEMA = '$db' AND TABLE_NAME = 'alltypes' AND COLUMN_NAME <> 'id'")
my_sql $db "CREATE TABLE txt (op longtext, $cols, pos longtext, unch longtext)"
for f in $(find lake/$db/alltypes -name '*.csv' | sort); do
  case "$f" in */LOAD*) load "$f" txt "op, $names, pos" ;; *) load "$f" txt "op, $names, pos, unch" ;; esac
done
expect_eq "$(my_sql $db "SELECT COUNT(*) FROM txt WHERE id > 100 AND op = 'I'")" 5 "alltypes: 5 rows through the binlog"
bad=$(my_sql $db "SELECT GROUP_CONCAT(l.id) FROM txt l JOIN txt c ON c.id = l.id + 100 WHERE l.id < 100 AND ($cmp)")
expect_eq "$bad" "NULL" "every column type: the binlog rows have exactly the full load's text"
[ "$bad" = "NULL" ] || my_sql $db "SELECT * FROM txt WHERE id IN (1, 101) \G" | head -100
# Again with binlog_row_metadata=NO_LOG (MariaDB's default): signedness, charsets and ENUM/SET labels then come
# from information_schema (ids 201..205).
my_sql $db "SET GLOBAL binlog_row_metadata = 'NO_LOG'"
my_sql $db "SET sql_mode = ''; INSERT INTO alltypes SELECT id + 200, ti, tiu, si, siu, mi, miu, i, iu, bi, biu, f, d, dec1, dec2, y, dt, tm, tm6, dtm, dtm6, ts, ts3, b1, b64, c, vc, bin, vbin, tt, tx, mt, lt, tb, bl, mb, lb, e, st, j, g, pt, lat, uc FROM alltypes WHERE id < 100"
my_sql $db "SET GLOBAL binlog_row_metadata = 'FULL'"
run_logtap replicate --config task.json --until now
expect_eq "$rc" 0 "replicate with binlog_row_metadata=NO_LOG exits 0"
[ "$rc" -eq 0 ] || echo "$out"
my_sql $db "TRUNCATE txt"
for f in $(find lake/$db/alltypes -name '*.csv' | sort); do
  case "$f" in */LOAD*) load "$f" txt "op, $names, pos" ;; *) load "$f" txt "op, $names, pos, unch" ;; esac
done
expect_eq "$(my_sql $db "SELECT COUNT(*) FROM txt WHERE id > 200 AND op = 'I'")" 5 "alltypes: 5 rows logged without metadata"
bad=$(my_sql $db "SELECT GROUP_CONCAT(l.id) FROM txt l JOIN txt c ON c.id = l.id + 200 WHERE l.id < 100 AND ($cmp)")
expect_eq "$bad" "NULL" "without table-map metadata too, the binlog rows have exactly the full load's text"
[ "$bad" = "NULL" ] || my_sql $db "SELECT * FROM txt WHERE id IN (1, 201) \G" | head -100

# A DDL: the next rows go to a new file with the new columns.
my_sql $db "ALTER TABLE nk ADD COLUMN c int DEFAULT 7; INSERT INTO nk VALUES (1, 'after ddl', 8)"
run_logtap replicate --config task.json --until now
expect_eq "$rc" 0 "replicate after a DDL exits 0"
last=$(find lake/$db/nk -name '2*.csv' | sort | tail -1)
grep -q '^I,1,after ddl,8,' "$last" && ok "the row after ADD COLUMN has the new column ($last)" || fail "after DDL: $(tail -2 "$last")"

# Changes logged before an ALTER that happened before logtap reads them: the table map's own columns describe them.
my_sql $db "INSERT INTO nk VALUES (3, 'before drop', 5); ALTER TABLE nk DROP COLUMN c; INSERT INTO nk VALUES (4, 'after drop')"
run_logtap replicate --config task.json --until now
expect_eq "$rc" 0 "replicate across a later DROP COLUMN exits 0"
[ "$rc" -eq 0 ] || echo "$out"
grep -qh '^I,3,before drop,5,' $(find lake/$db/nk -name '2*.csv') && ok "a row logged before DROP COLUMN keeps the column" || fail "before drop: $(tail -n 3 $(find lake/$db/nk -name '2*.csv' | sort | tail -2))"
grep -q '^I,4,after drop,0' "$(find lake/$db/nk -name '2*.csv' | sort | tail -1)" && ok "the row after DROP COLUMN is in a new file without it" || fail "after drop: $(tail -2 "$(find lake/$db/nk -name '2*.csv' | sort | tail -1)")"
my_sql $db "ALTER TABLE nk ADD COLUMN c int DEFAULT 0"

# A lost connection (the server kills the binlog dump thread, also inside a transaction): logtap reconnects and
# resumes at the last transaction boundary without writing a row twice.
"$LOGTAP_BIN" replicate --config task.json >>replicate.log 2>&1 &
pid=$!
sleep 1.5
for i in $(seq 1 12); do
  if [ $((i % 4)) -eq 0 ]; then
    for _ in $(seq 1 50); do # the stream is back (after the previous kill)
      dump=$(my_sql $db "SELECT ID FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%' AND TIME >= 0" | head -1)
      [ -n "$dump" ] && break
      sleep 0.1
    done
    my_sql $db "BEGIN; INSERT INTO nk VALUES ($i, 'rc-a', 0); INSERT INTO nk VALUES ($i, 'rc-b', 0); DO SLEEP(0.3); COMMIT" &
    sleep 0.1
    [ -n "$dump" ] && my_sql $db "KILL $dump" || true
    wait $!
    sleep 1.5
  else
    my_sql $db "INSERT INTO nk VALUES ($i, 'rc-a', 0), ($i, 'rc-b', 0)"
  fi
done
sleep 3
kill -TERM $pid
for _ in $(seq 1 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
kill -0 $pid 2>/dev/null && { fail "replicate did not stop on SIGTERM"; kill -9 $pid; }
set +e; wait $pid; rc=$?; set -e
expect_eq "$rc" 0 "replicate survives killed binlog connections and stops cleanly on SIGTERM"
got=$(cat $(find lake/$db/nk -name '2*.csv') | grep -c ',rc-[ab],' || true)
expect_eq "$got" 24 "every row written once across the reconnects"

# migration_type cdc: changes from the moment the task starts, no full load.
mkdir -p cdconly && (cd cdconly && write_mysql_config task.json $db '"CdcMaxBatchInterval": 1' cdc cdconly)
(cd cdconly && run_logtap replicate --config task.json --until now)
expect_eq "$rc" 0 "cdc-only task starts at the current position"
my_sql $db "INSERT INTO nk VALUES (77, 'cdc only', 1); UPDATE acct SET balance = -77 WHERE id = (SELECT MIN(id) FROM (SELECT id FROM acct WHERE id > 0) x)"
(cd cdconly && run_logtap replicate --config task.json --until now)
expect_eq "$rc" 0 "cdc-only task drains"
expect_eq "$(find cdconly/lake -name 'LOAD*' | wc -l)" 0 "no full-load files"
expect_eq "$(cat $(find cdconly/lake -name '2*.csv') | grep -c -e '^I,77,cdc only,1,' -e '^U,.*,-77,')" 2 "exactly the two new changes"

# Bounded memory: one 1,000,000-row transaction streams through in a flat memory budget.
# (the table joins the task first, empty: rows of a table new to the task would go into its joining load)
my_sql $db "CREATE TABLE bigtx (id int PRIMARY KEY, pad varchar(200))"
run_logtap replicate --config task.json --until now
expect_eq "$rc" 0 "the new table bigtx joins the task"
expect_eq "$(sqlite3 lake/_state/*.db "SELECT state FROM tables WHERE table_name = 'bigtx'")" loaded "bigtx is loaded (empty)"
my_sql $db "INSERT INTO bigtx SELECT seq, REPEAT('x', 150) FROM seq_1_to_1000000"
run_measuring_rss bigtx.log "$LOGTAP_BIN" replicate --config task.json --until now
expect_eq "$rc" 0 "a 1,000,000-row transaction replicates"
expect_eq "$(cat $(find lake/$db/bigtx -name '2*.csv') | wc -l)" 1000000 "all its rows are written"
limit=65536
grep -qa __asan_init "$LOGTAP_BIN" && limit=524288 # ASan keeps freed memory in quarantine
[ "$peak_kb" -lt $limit ] && ok "peak RSS ${peak_kb} kB < $((limit / 1024)) MB" || fail "peak RSS ${peak_kb} kB"

# A purged binlog is a clear error.
my_sql $db "FLUSH BINARY LOGS"
cur=$(my_sql $db "SHOW MASTER STATUS" | cut -f1)
my_sql $db "INSERT INTO nk VALUES (2, 'x', 1)"
# PURGE skips a file a (lingering) binlog dump thread still reads: repeat until the older files are gone
for _ in $(seq 1 100); do
  my_sql $db "PURGE BINARY LOGS TO '$cur'" 2>/dev/null || true
  [ "$(my_sql $db "SHOW BINARY LOGS" | head -1 | cut -f1)" == "$cur" ] && break
  sleep 0.2
done
expect_eq "$(my_sql $db "SHOW BINARY LOGS" | head -1 | cut -f1)" "$cur" "older binlogs purged"
run_logtap replicate --config task.json --until now
expect_eq "$rc" 1 "a purged binlog exits 1"
echo "$out" | grep -q "with a new full load (.logtap replicate --start-over" && ok "purged binlog message: $(echo "$out" | grep -o 'the binlog from.*lost' | head -1)" || fail "purged binlog: $out"
finish
