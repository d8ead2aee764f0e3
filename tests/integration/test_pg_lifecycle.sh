#!/usr/bin/env bash
# A PostgreSQL task's life around `replicate`: one runner per task; the application's writes keep working on a
# table without a key (published for inserts only with tables_without_key = inserts-only; without it the task
# refuses to start before touching the source); `reload --table` under writes; `full-load` of a running task's
# tables at a position of its stream; `drop` removes the slot and the publications, after which the task does not
# resume. Every table's files replay to the source and validate agrees.
source "$LOGTAP_SOURCE_DIR/tests/lib/itest.sh"
source "$LOGTAP_SOURCE_DIR/tests/lib/pg_server.sh"
require_pg
dir=$(test_dir)
db=lt_lifecycle
fresh_db $db
psql -d $db -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE TABLE acct (id int PRIMARY KEY, balance int NOT NULL, note text);
INSERT INTO acct SELECT g, g, 'n' || g FROM generate_series(1, 20000) g;
CREATE TABLE empty_t (id int PRIMARY KEY, v text);                        -- loaded empty: no file
CREATE TABLE events (at timestamptz NOT NULL DEFAULT now(), what text);   -- no key, default replica identity
INSERT INTO events (what) SELECT 'e' || g FROM generate_series(1, 100) g;
SQL
cd "$dir"
config() { # config FILE TASK NOKEY_POLICY
  local nokey=""
  [ -n "$3" ] && nokey=", \"tables_without_key\": \"$3\""
  cat >"$1" <<JSON
{
  "task": "$2",
  "migration_type": "full-load-and-cdc",
  "source": {"engine": "postgres", "conninfo": "host=$PGHOST port=$PGPORT dbname=$db user=logtap"$nokey},
  "target": {"path": "lake-$2", "IncludeOpForFullLoad": true, "CdcMaxBatchInterval": 1},
  "table_mappings": {"rules": [{"rule-type":"selection","rule-id":"1","rule-name":"1",
      "object-locator":{"schema-name":"public","table-name":"%"},"rule-action":"include"}]}
}
JSON
}

# Do no harm: a table without a key or replica identity stops the task before anything is created.
config refuse.json refuse ""
run_logtap replicate --config refuse.json --until now
expect_eq "$rc" 2 "replicate refuses a selected table without a key (exit 2)"
echo "$out" | grep -q "public\"*\.\"*events" && echo "$out" | grep -q "REPLICA IDENTITY FULL" \
  && ok "the refusal names the table and the fix" || fail "refusal: $out"
expect_eq "$(sql $db "SELECT count(*) FROM pg_publication")" 0 "no publication was created"
expect_eq "$(sql $db "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'logtap_refuse'")" 0 "no slot was created"
sql $db "UPDATE events SET what = what || '!' WHERE what = 'e1'; DELETE FROM events WHERE what = 'e2'" >/dev/null \
  && ok "the application's UPDATE and DELETE on events still work" || fail "application writes fail"

# inserts-only: events goes into a second publication that publishes INSERT and TRUNCATE only
config task.json life inserts-only
"$LOGTAP_BIN" replicate --config task.json >replicate.log 2>&1 &
pid=$!
wait_cdc replicate.log
grep -q "change data capture starts" replicate.log && ok "replicate running" || { cat replicate.log; fail "replicate did not start"; }
expect_eq "$(sql $db "SELECT string_agg(pubname || ':' || tablename, ' ' ORDER BY pubname, tablename) FROM pg_publication_tables")" \
  "logtap_life:acct logtap_life:empty_t logtap_life_inserts:events" "acct and empty_t are in the task's publication, events in its inserts-only one"
set +e
app=$(psql -d $db -qAt -v ON_ERROR_STOP=1 -c "UPDATE events SET what = what || '+' WHERE what = 'e3'" \
        -c "DELETE FROM events WHERE what = 'e4'" -c "INSERT INTO events (what) VALUES ('new')" 2>&1)
apprc=$?
set -e
expect_eq "$apprc" 0 "with replicate running, the application's UPDATE, DELETE and INSERT on events succeed"
[ $apprc -eq 0 ] || echo "$app"

# One runner per task.
run_logtap replicate --config task.json
expect_eq "$rc" 1 "a second replicate exits 1"
echo "$out" | grep -q "already being run by pid $pid (replicate)" && ok "it names the runner" || fail "second runner: $out"
run_logtap drop --config task.json --confirm
expect_eq "$rc" 1 "drop is refused while replicate runs"
run_logtap status --config task.json --json
echo "$out" | grep -q "\"runner\":\"pid $pid (replicate)\"" && ok "status names the runner" || fail "status runner: $out"
echo "$out" | grep -q '"slot":{"name":"logtap_life","active":true,"active_pid":[0-9]*,"retained_wal_bytes":[0-9]*' \
  && ok "status shows the slot, active, and the WAL it retains" || fail "status slot: $out"

# reload under writes, through the running replicate
pgbench=$(pg_bin_dir)/pgbench
cat >writer.sql <<'SQL'
\set id random(1, 25000)
BEGIN;
INSERT INTO acct VALUES (:id, :id, 'ins') ON CONFLICT (id) DO UPDATE SET balance = acct.balance + 1;
DELETE FROM acct WHERE id = :id + 3;
UPDATE acct SET id = -id WHERE id = :id + 5 AND NOT EXISTS (SELECT 1 FROM acct WHERE id = -(:id + 5));
END;
SQL
"$pgbench" -n -f writer.sql -c 2 -j 2 -T 6 --max-tries=20 $db >writer.log 2>&1 &
writer=$!
sleep 1
run_logtap reload --config task.json --table public.acct
expect_eq "$rc" 0 "reload --table public.acct under writes exits 0"
echo "$out" | grep -q "public.acct reloaded: [0-9]* rows from a snapshot at" && ok "reload reports the new load" || fail "reload: $out"
run_logtap reload --config task.json --table public.nosuch
expect_eq "$rc" 2 "reload of a table the rules do not select... or that does not exist, exits 2"
run_logtap reload --config task.json --table nodot
expect_eq "$rc" 2 "reload --table without SCHEMA. exits 2"
wait $writer || { cat writer.log; fail "writer"; }
kill -TERM $pid
wait $pid
expect_eq "$?" 0 "replicate stops on SIGTERM"

# full-load of a task whose stream has started: loaded at a position of the stream
sql $db "UPDATE acct SET note = 'between' WHERE id % 5 = 0" >/dev/null
run_logtap full-load --config task.json
expect_eq "$rc" 0 "full-load of a running task's tables exits 0"
echo "$out" | grep -q "has a change stream" && ok "full-load says what it does to the change stream that follows" || fail "full-load: $out"
sql $db "UPDATE acct SET note = 'after' WHERE id % 7 = 0; INSERT INTO events (what) VALUES ('late')" >/dev/null
run_logtap replicate --config task.json --until now
expect_eq "$rc" 0 "replicate --until now catches up"

# replay acct: its LOAD files, then its changes after the load's position
psql -d $db -q -v ON_ERROR_STOP=1 -c "CREATE SCHEMA scratch; CREATE TABLE scratch.ld (op text, id int, balance int, note text, pos text);
  CREATE TABLE scratch.ch (op text, id int, balance int, note text, pos text, unch text);
  CREATE TABLE scratch.r (LIKE acct INCLUDING ALL)"
for f in lake-life/public/acct/LOAD*.csv; do psql -d $db -q -c "\\copy scratch.ld FROM '$f' WITH (FORMAT csv, NULL 'NULL')"; done
for f in $(find lake-life/public/acct -name '2*.csv' | sort); do psql -d $db -q -c "\\copy scratch.ch FROM '$f' WITH (FORMAT csv, NULL 'NULL')"; done
expect_eq "$(sql $db "SELECT min(pos) FROM scratch.ld")" "$(sqlite3 lake-life/_state/life.db "SELECT load_pos FROM tables WHERE table_name = 'acct'")" "acct's LOAD files carry the position the state store records"
psql -d $db -q -v ON_ERROR_STOP=1 <<'SQL'
INSERT INTO scratch.r SELECT id, balance, note FROM scratch.ld;
DO $$
DECLARE c record;
BEGIN
  FOR c IN SELECT * FROM scratch.ch WHERE pos > (SELECT min(pos) FROM scratch.ld) ORDER BY pos LOOP
    IF c.op = 'I' THEN INSERT INTO scratch.r VALUES (c.id, c.balance, c.note);
    ELSIF c.op = 'U' THEN UPDATE scratch.r SET balance = c.balance, note = c.note WHERE id = c.id;
      IF NOT FOUND THEN RAISE EXCEPTION 'update of missing key % at %', c.id, c.pos; END IF;
    ELSE DELETE FROM scratch.r WHERE id = c.id;
      IF NOT FOUND THEN RAISE EXCEPTION 'delete of missing key % at %', c.id, c.pos; END IF;
    END IF;
  END LOOP;
END $$;
SQL
expect_eq "$?" 0 "acct's changes after its load apply"
expect_eq "$(sql $db "SELECT count(*) FROM ((SELECT * FROM acct EXCEPT ALL SELECT * FROM scratch.r) UNION ALL (SELECT * FROM scratch.r EXCEPT ALL SELECT * FROM acct)) x")" 0 \
  "acct: load + changes after it equal the source"
run_logtap status --config task.json --json
echo "$out" | grep -q '"table":"events","state":"loaded".*"capture":"inserts"' && ok "status: events is captured for inserts only" \
  || fail "status capture: $out"
run_logtap status --config task.json
echo "$out" | grep -q "captured for INSERT and TRUNCATE only" && ok "status text says so" || fail "status: $out"
ins=$(cat $(find lake-life/public/events -name '2*.csv') | cut -c1 | sort | uniq -c | tr -s ' ' | tr '\n' ' ')
expect_eq "$ins" " 2 I " "events (inserts only): its two INSERTs are captured, its UPDATE and DELETE are not"

# merge and validate: the empty table gets an empty snapshot (its load recorded its columns); events, captured
# for inserts only, is skipped by validate, saying why
run_logtap merge --config task.json
expect_eq "$rc" 0 "merge exits 0"
snapdir=$(ls -d lake-life/_snapshots/public/empty_t/snapshot=* 2>/dev/null | head -1)
[ -n "$snapdir" ] && [ "$(cat "$snapdir"/part-00000.csv | wc -l)" -eq 0 ] && ok "the empty table has an empty snapshot" \
  || fail "empty table snapshot: $(find lake-life/_snapshots -path '*empty_t*')"
run_logtap validate --config task.json
expect_eq "$rc" 0 "validate exits 0"
echo "$out" | grep -q "^public.empty_t .* OK" && ok "validate: the empty table is OK (not 'no snapshot yet')" || fail "validate: $out"
echo "$out" | grep -q "^public.acct .* OK" && ok "validate: acct is OK" || fail "validate: $out"
echo "$out" | grep -q "^public.events .*skipped: captured for INSERT only" && ok "validate skips events, saying why" || fail "validate: $out"

# a slot created again (or moved past the checkpoint by someone else) is refused, not accepted silently
sed 's/"task": "life"/"task": "again"/; s/"lake-life"/"lake-again"/' task.json >again.json
run_logtap replicate --config again.json --until now
expect_eq "$rc" 0 "a second task starts"
sql $db "SELECT pg_drop_replication_slot('logtap_again')" >/dev/null
sql $db "INSERT INTO acct VALUES (-999999, 1, 'lost while the slot was gone')" >/dev/null
sql $db "SELECT pg_create_logical_replication_slot('logtap_again', 'pgoutput')" >/dev/null
run_logtap replicate --config again.json --until now
expect_eq "$rc" 1 "a slot created again is refused (exit 1)"
echo "$out" | grep -q "past this task's checkpoint" && ok "it says the slot is past the checkpoint and changes are lost" \
  || fail "re-created slot: $out"
sql $db "DELETE FROM acct WHERE id = -999999; SELECT pg_drop_replication_slot('logtap_again')" >/dev/null

# drop: lists without --confirm, removes with it
run_logtap drop --config task.json
expect_eq "$rc" 2 "drop without --confirm exits 2"
echo "$out" | grep -q "would remove replication slot logtap_life" && ok "drop lists what it would remove" || fail "drop: $out"
expect_eq "$(sql $db "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'logtap_life'")" 1 "nothing removed without --confirm"
run_logtap drop --config task.json --confirm
expect_eq "$rc" 0 "drop --confirm exits 0"
expect_eq "$(sql $db "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'logtap_life'")" 0 "the slot is gone"
expect_eq "$(sql $db "SELECT count(*) FROM pg_publication WHERE pubname LIKE 'logtap_life%'")" 0 "the publications are gone"
run_logtap replicate --config task.json --until now
expect_eq "$rc" 1 "the retired task does not resume"
run_logtap status --config task.json
echo "$out" | grep -q "slot: .*MISSING" && ok "status says the slot is missing" || fail "status after drop: $out"
finish
