#!/usr/bin/env bash
# `logtap check` and the pre-flight of replicate/full-load against a real PostgreSQL: a clean task exits 0; a table
# without a key or replica identity is refused (check and replicate exit 2 naming it and the fix; afterwards no
# publication and no slot exist and the application's UPDATE and DELETE on it still work), or reported as captured
# for inserts only with tables_without_key = inserts-only; an unlogged table a wildcard matches is skipped with a
# warning while the others load and replicate, one named explicitly is refused; views are warned about; a partition
# named instead of its root is refused; a role without REPLICATION, without SELECT on a table, not owner of the
# tables it would publish, is told each; connections show application_name logtap/<task> in pg_stat_activity and
# pg_stat_replication; a postgresql:// URI conninfo works for replicate (the replication connection included).
source "$LOGTAP_SOURCE_DIR/tests/lib/itest.sh"
require_pg
dir=$(test_dir)
db=lt_check
fresh_db $db
sql $db "CREATE TABLE orders (id int PRIMARY KEY, v text); INSERT INTO orders SELECT g, 'o' || g FROM generate_series(1, 100) g;
         CREATE TABLE items (id int PRIMARY KEY, order_id int); INSERT INTO items SELECT g, g FROM generate_series(1, 50) g;
         CREATE TABLE events (id int, region text, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
         CREATE TABLE events_eu PARTITION OF events FOR VALUES IN ('eu');
         CREATE TABLE events_us PARTITION OF events FOR VALUES IN ('us');
         INSERT INTO events VALUES (1, 'eu'), (2, 'us');" >/dev/null
cd "$dir"

rule() { # rule SCHEMA TABLE [ACTION]
  echo "{\"rule-type\":\"selection\",\"rule-id\":\"$RANDOM\",\"rule-name\":\"r\",\"object-locator\":{\"schema-name\":\"$1\",\"table-name\":\"$2\"},\"rule-action\":\"${3:-include}\"}"
}
# config FILE TASK MIGRATION_TYPE RULES_JSON [EXTRA_SOURCE_JSON] [CONNINFO]
config() {
  local conninfo=${6:-host=$PGHOST port=$PGPORT dbname=$db user=logtap}
  cat >"$1" <<JSON
{
  "task": "$2", "migration_type": "$3",
  "source": {"engine": "postgres", "conninfo": "$conninfo"${5:+, $5}},
  "target": {"path": "lake_$2", "CdcMaxBatchInterval": 1},
  "table_mappings": {"rules": [$4]}
}
JSON
}
pubs() { sql $db "SELECT count(*) FROM pg_publication WHERE pubname LIKE 'logtap\\_$1%'"; }
slots() { sql $db "SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE 'logtap\\_$1%'"; }
cleanup_task() { # drops what a task created on the server
  sql $db "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = 'logtap_$1'" >/dev/null
  sql $db "DROP PUBLICATION IF EXISTS logtap_$1" >/dev/null
}

# --- a clean task
config clean.json clean full-load-and-cdc "$(rule public %)"
run_logtap check --config clean.json
expect_eq "$rc" 0 "clean task: check exits 0"
echo "$out" | grep -q "no problems found" && ok "clean task: says so" || fail "clean check: $out"
run_logtap check --config clean.json --json
expect_eq "$rc" 0 "clean task: check --json exits 0"
echo "$out" | grep -q '"ok":true,"errors":0,"warnings":0,"findings":\[\]' && ok "--json: ok, no findings" || fail "json: $out"
expect_eq "$(pubs clean)$(slots clean)" "00" "check created no publication and no slot"
[ ! -e lake_clean ] && ok "check wrote no file and no state" || fail "check wrote $(find lake_clean)"

# --- a table without a key or replica identity
sql $db "CREATE TABLE nokey (a int, b text); INSERT INTO nokey VALUES (1, 'x'), (2, 'y');" >/dev/null
run_logtap check --config clean.json
expect_eq "$rc" 2 "no key: check exits 2"
echo "$out" | grep -q "^error *public.nokey: has no primary key and no replica identity" && ok "no key: names the table" \
  || fail "no key check: $out"
echo "$out" | grep -q "fix: ALTER TABLE public.nokey REPLICA IDENTITY FULL; or add a primary key; or exclude the table in table_mappings" \
  && ok "no key: gives the fix" || fail "no key fix: $out"
run_logtap replicate --config clean.json --until now
expect_eq "$rc" 2 "no key: replicate exits 2"
echo "$out" | grep -q "ERROR check: public.nokey: has no primary key and no replica identity.*REPLICA IDENTITY FULL" \
  && ok "no key: replicate prints the report" || fail "replicate refusal: $out"
expect_eq "$(pubs clean)" 0 "no key: no publication after the refusal"
expect_eq "$(slots clean)" 0 "no key: no replication slot after the refusal"
expect_eq "$(files_written lake_clean)" "" "no key: no file and no state file written"
sql $db "UPDATE nokey SET b = 'z' WHERE a = 1; DELETE FROM nokey WHERE a = 2;" >/dev/null 2>upd.err \
  && ok "the application's UPDATE and DELETE on nokey still work" || fail "UPDATE/DELETE failed: $(cat upd.err)"
run_logtap full-load --config clean.json
expect_eq "$rc" 0 "no key: a plain full load (nothing published) is not refused"

config inserts.json inserts full-load-and-cdc "$(rule public %)" '"tables_without_key": "inserts-only"'
run_logtap check --config inserts.json
expect_eq "$rc" 0 "inserts-only: check exits 0"
echo "$out" | grep -q "^info *public.nokey: has no primary key and no replica identity: captured for INSERT and TRUNCATE only; UPDATE and DELETE will not be in the files" \
  && ok "inserts-only: says what will be captured" || fail "inserts-only: $out"

# a partitioned table whose partition has no key: the partition is named
sql $db "CREATE TABLE logs (id int, region text) PARTITION BY LIST (region);
         CREATE TABLE logs_eu PARTITION OF logs FOR VALUES IN ('eu');
         CREATE TABLE logs_us PARTITION OF logs FOR VALUES IN ('us');
         ALTER TABLE logs_us REPLICA IDENTITY FULL;" >/dev/null
config parted.json parted cdc "$(rule public logs)"
run_logtap check --config parted.json
expect_eq "$rc" 2 "partition without a key: exit 2"
echo "$out" | grep -q "^error *public.logs: its partitions public.logs_eu have no primary key" && ok "names the partition" \
  || fail "partition without key: $out"
sql $db "DROP TABLE logs; DROP TABLE nokey" >/dev/null

# --- unlogged tables
sql $db "CREATE UNLOGGED TABLE sessions (id int PRIMARY KEY, token text); INSERT INTO sessions VALUES (1, 'a');" >/dev/null
config unlogged.json unlogged full-load-and-cdc "$(rule public %)"
run_logtap check --config unlogged.json
expect_eq "$rc" 0 "unlogged by wildcard: check exits 0"
echo "$out" | grep -q "^warning *public.sessions: is unlogged.*skipped, neither loaded nor published" && ok "unlogged: warning names it" \
  || fail "unlogged warning: $out"
run_logtap replicate --config unlogged.json --until now
expect_eq "$rc" 0 "unlogged by wildcard: replicate (full load + CDC) exits 0"
[ "$rc" -eq 0 ] || echo "$out"
echo "$out" | grep -q "WARN  check: public.sessions: is unlogged" && ok "replicate logs the warning" || fail "no warning: $out"
expect_eq "$(cat lake_unlogged/public/orders/LOAD*.csv | wc -l)" 100 "the other tables are loaded"
[ ! -e lake_unlogged/public/sessions ] && ok "the unlogged table has no files" || fail "unlogged table written"
expect_eq "$(sql $db "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_publication_tables WHERE pubname = 'logtap_unlogged'")" \
  "events,items,orders" "the unlogged table is not published"
sql $db "INSERT INTO orders VALUES (1000, 'new'); INSERT INTO sessions VALUES (2, 'b');" >/dev/null
run_logtap replicate --config unlogged.json --until now
expect_eq "$rc" 0 "unlogged: CDC resumes"
expect_eq "$(cat lake_unlogged/public/orders/2*.csv 2>/dev/null | grep -c '^I,1000,')" 1 "a change of a logged table is captured"
cleanup_task unlogged
config unlogged_fl.json unlogged_fl full-load "$(rule public %)"
run_logtap full-load --config unlogged_fl.json
expect_eq "$rc" 0 "unlogged: a full-load task reads it like any table"
expect_eq "$(cat lake_unlogged_fl/public/sessions/LOAD*.csv 2>/dev/null | wc -l)" 2 "full-load task: the unlogged table is loaded"
config unlogged_named.json unlogged_named cdc "$(rule public orders),$(rule public sessions)"
run_logtap check --config unlogged_named.json
expect_eq "$rc" 2 "unlogged named explicitly: check exits 2"
echo "$out" | grep -q "^error *public.sessions: is unlogged" && echo "$out" | grep -q "ALTER TABLE public.sessions SET LOGGED" \
  && ok "unlogged named: error with the fix" || fail "unlogged named: $out"
run_logtap replicate --config unlogged_named.json --until now
expect_eq "$rc" 2 "unlogged named explicitly: replicate exits 2"
expect_eq "$(pubs unlogged_named)$(slots unlogged_named)" "00" "unlogged named: nothing created"
sql $db "DROP TABLE sessions" >/dev/null

# --- views, partitions named instead of their root
sql $db "CREATE VIEW order_view AS SELECT * FROM orders; CREATE MATERIALIZED VIEW order_mv AS SELECT * FROM orders;" >/dev/null
run_logtap check --config clean.json
expect_eq "$rc" 0 "views matched by %: check exits 0"
echo "$out" | grep -q "^warning *public.order_view: is a view, not a table: it is not loaded" && ok "view: warning" || fail "view: $out"
echo "$out" | grep -q "^warning *public.order_mv: is a materialized view" && ok "materialized view: warning" || fail "mv: $out"
config leaf.json leaf full-load "$(rule public events_eu)"
run_logtap check --config leaf.json
expect_eq "$rc" 2 "partition named directly: check exits 2"
echo "$out" | grep -q "^error *public.events_eu: is a partition of public.events" && echo "$out" | grep -q "name public.events in table_mappings" \
  && ok "partition named: names the root" || fail "leaf: $out"
run_logtap full-load --config leaf.json
expect_eq "$rc" 2 "partition named directly: full-load exits 2"
expect_eq "$(files_written lake_leaf)" "" "partition named: nothing written"
sql $db "DROP VIEW order_view; DROP MATERIALIZED VIEW order_mv" >/dev/null

# --- a role without REPLICATION, without SELECT on one table, owning none of them
sql $db "DROP ROLE IF EXISTS lt_check_app; CREATE ROLE lt_check_app LOGIN; GRANT SELECT ON orders, events TO lt_check_app;" >/dev/null
config app.json app full-load-and-cdc "$(rule public %)" "" "host=$PGHOST port=$PGPORT dbname=$db user=lt_check_app"
run_logtap check --config app.json
expect_eq "$rc" 2 "restricted role: check exits 2"
echo "$out" | grep -q "^error *role lt_check_app: has neither the REPLICATION attribute nor superuser" \
  && echo "$out" | grep -q "ALTER ROLE lt_check_app REPLICATION" && ok "no REPLICATION: reported with the fix" || fail "replication: $out"
echo "$out" | grep -q "^error *public.items: lt_check_app has no SELECT privilege on it" \
  && echo "$out" | grep -q "GRANT SELECT ON public.items TO lt_check_app" && ok "no SELECT: reported with the fix" || fail "select: $out"
echo "$out" | grep -q "^error *public.orders: belongs to logtap, not to lt_check_app.*must be owner of table" \
  && ok "not owner: reported" || fail "owner: $out"
echo "$out" | grep -q "^error *publication logtap_app: does not exist, and lt_check_app cannot create it" \
  && echo "$out" | grep -q "CREATE PUBLICATION logtap_app FOR TABLE public.events, public.items, public.orders" \
  && ok "publication: the statement a superuser can run" || fail "publication: $out"
# what the owner fixes, the check sees
sql $db "ALTER ROLE lt_check_app REPLICATION; GRANT SELECT ON items TO lt_check_app; GRANT CREATE ON DATABASE $db TO lt_check_app;
         ALTER TABLE orders OWNER TO lt_check_app; ALTER TABLE items OWNER TO lt_check_app; ALTER TABLE events OWNER TO lt_check_app;" >/dev/null
run_logtap check --config app.json
expect_eq "$rc" 0 "restricted role, once granted and owner: check exits 0"
[ "$rc" -eq 0 ] || echo "$out"

# --- application_name, and a postgresql:// URI conninfo (the replication connection too)
# seen_as NAME: "replication connections,client connections" with that application_name while `replicate` runs
seen_as() {
  local name=$1 seen=""
  for _ in $(seq 1 100); do
    seen=$(sql $db "SELECT (SELECT count(*) FROM pg_stat_replication WHERE application_name = '$name') || ',' ||
                           (SELECT count(*) > 0 FROM pg_stat_activity WHERE application_name = '$name' AND backend_type = 'client backend')")
    [ "$seen" == "1,true" ] && break
    sleep 0.1
  done
  echo "$seen"
}
config named.json named cdc "$(rule public orders)"
run_logtap replicate --config named.json --until now
expect_eq "$rc" 0 "cdc task: slot created"
"$LOGTAP_BIN" replicate --config named.json >named.log 2>&1 &
pid=$!
expect_eq "$(seen_as logtap/named)" "1,true" "pg_stat_replication and pg_stat_activity show application_name logtap/named"
kill -TERM $pid
wait $pid || true
cleanup_task named
config ownapp.json ownapp cdc "$(rule public orders)" "" "host=$PGHOST port=$PGPORT dbname=$db user=logtap application_name=mine"
run_logtap replicate --config ownapp.json --until now
expect_eq "$rc" 0 "a conninfo with its own application_name works"
"$LOGTAP_BIN" replicate --config ownapp.json >ownapp.log 2>&1 &
pid=$!
expect_eq "$(seen_as mine)" "1,true" "the user's own application_name is kept"
kill -TERM $pid
wait $pid || true
cleanup_task ownapp

config uri.json uri full-load-and-cdc "$(rule public orders)" "" "postgresql://logtap@127.0.0.1:$PGPORT/$db?connect_timeout=10"
run_logtap replicate --config uri.json --until now
expect_eq "$rc" 0 "URI conninfo: replicate --until now exits 0"
[ "$rc" -eq 0 ] || echo "$out"
expect_eq "$(cat lake_uri/public/orders/LOAD*.csv 2>/dev/null | wc -l)" 101 "URI conninfo: full load written"
sql $db "INSERT INTO orders VALUES (2000, 'uri')" >/dev/null
run_logtap replicate --config uri.json --until now
expect_eq "$rc" 0 "URI conninfo: CDC resumes"
expect_eq "$(cat lake_uri/public/orders/2*.csv 2>/dev/null | grep -c '^I,2000,')" 1 "URI conninfo: the change is captured"
cleanup_task uri
sql $db "ALTER TABLE orders OWNER TO logtap; ALTER TABLE items OWNER TO logtap; ALTER TABLE events OWNER TO logtap;
         REVOKE CREATE ON DATABASE $db FROM lt_check_app; DROP OWNED BY lt_check_app; DROP ROLE lt_check_app;" >/dev/null
finish
