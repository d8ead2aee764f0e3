#!/usr/bin/env bash
# `logtap check` and the pre-flight of replicate/full-load against a real MariaDB: a clean task exits 0; a user
# without REPLICATION SLAVE is told so (and replicate stops before writing anything); a source.server_id equal to
# the server's own @@server_id and a database that does not exist exit 2; a selected view is warned about; the
# connection's program_name is logtap/<task> when performance_schema can show it.
source "$LOGTAP_SOURCE_DIR/tests/lib/itest.sh"
source "$LOGTAP_SOURCE_DIR/tests/lib/mariadb_server.sh"
require_mysql
dir=$(test_dir)
cd "$dir"
db=lt_my_check
my_fresh_db $db
my_sql $db "CREATE TABLE orders (id int PRIMARY KEY, v varchar(10)); INSERT INTO orders VALUES (1, 'a'), (2, 'b');"

# --- clean
write_mysql_config clean.json $db '' full-load-and-cdc
run_logtap check --config clean.json
expect_eq "$rc" 0 "clean task: check exits 0"
echo "$out" | grep -q "no problems found\|no errors: the task can run" && ok "clean task: the task can run" || fail "clean: $out"
[ ! -e lake ] && ok "check wrote nothing" || fail "check wrote $(find lake)"
run_logtap check --config clean.json --json
echo "$out" | grep -q '"ok":true,"errors":0' && ok "--json: ok" || fail "json: $out"

# --- a user without REPLICATION SLAVE
my_sql mysql "DROP USER IF EXISTS 'lt_norepl'@'localhost'; CREATE USER 'lt_norepl'@'localhost';
              GRANT SELECT, RELOAD, REPLICATION CLIENT ON *.* TO 'lt_norepl'@'localhost'"
sed 's/"user": "logtap"/"user": "lt_norepl"/' clean.json >norepl.json
run_logtap check --config norepl.json
expect_eq "$rc" 2 "no REPLICATION SLAVE: check exits 2"
echo "$out" | grep -q "^error *user 'lt_norepl'@'localhost': has no REPLICATION SLAVE privilege" \
  && echo "$out" | grep -q "fix: GRANT REPLICATION SLAVE ON \*\.\* TO 'lt_norepl'@'localhost'" \
  && ok "no REPLICATION SLAVE: reported with the fix" || fail "no REPLICATION SLAVE: $out"
run_logtap replicate --config norepl.json --until now
expect_eq "$rc" 2 "no REPLICATION SLAVE: replicate exits 2"
echo "$out" | grep -q "ERROR check: user 'lt_norepl'@'localhost': has no REPLICATION SLAVE privilege" \
  && ok "replicate prints the report" || fail "replicate: $out"
expect_eq "$(files_written lake)" "" "no REPLICATION SLAVE: no full load and no state written"
# a full load needs no replication privilege
sed 's/"migration_type": "full-load-and-cdc"/"migration_type": "full-load"/' norepl.json >norepl_fl.json
run_logtap check --config norepl_fl.json
expect_eq "$rc" 0 "the same user, full-load task: check exits 0"
my_sql mysql "GRANT REPLICATION SLAVE ON *.* TO 'lt_norepl'@'localhost'"
run_logtap check --config norepl.json
expect_eq "$rc" 0 "once granted: check exits 0"
my_sql mysql "DROP USER 'lt_norepl'@'localhost'"

# --- source.server_id equal to the server's own
own=$(my_sql mysql "SELECT @@server_id")
sed -E "s/\"server_id\": [0-9]+/\"server_id\": $own/" clean.json >ownid.json
run_logtap check --config ownid.json
expect_eq "$rc" 2 "server_id of the server itself: check exits 2"
echo "$out" | grep -q "^error *source.server_id: is $own, the server's own server_id" && ok "server_id: clearly worded" \
  || fail "server_id: $out"
run_logtap replicate --config ownid.json --until now
expect_eq "$rc" 2 "server_id of the server itself: replicate exits 2"

# --- a database that does not exist
write_mysql_config missing.json "$db,lt_my_check_nonexistent" '' full-load
run_logtap check --config missing.json
expect_eq "$rc" 2 "missing database: check exits 2"
echo "$out" | grep -q "^error *database lt_my_check_nonexistent: does not exist" && ok "missing database: named" || fail "missing: $out"
run_logtap full-load --config missing.json
expect_eq "$rc" 2 "missing database: full-load exits 2"
expect_eq "$(files_written lake)" "" "missing database: nothing written"

# --- a view the selection matches
my_sql $db "CREATE VIEW order_view AS SELECT * FROM orders"
run_logtap check --config clean.json
expect_eq "$rc" 0 "a view: check exits 0"
echo "$out" | grep -q "^warning *$db.order_view: is a view, not a base table: it is not loaded" && ok "a view: warning" \
  || fail "view: $out"

# --- program_name (performance_schema shows connection attributes only when it is on)
if [ "$(my_sql mysql 'SELECT @@performance_schema')" == "1" ]; then
  write_mysql_config prog.json $db '' cdc lt_prog
  run_logtap replicate --config prog.json --until now
  "$LOGTAP_BIN" replicate --config prog.json >prog.log 2>&1 &
  pid=$!
  seen=0
  for _ in $(seq 1 50); do
    seen=$(my_sql mysql "SELECT COUNT(*) FROM performance_schema.session_connect_attrs WHERE ATTR_NAME = 'program_name' AND ATTR_VALUE = 'logtap/lt_prog'")
    [ "$seen" -gt 0 ] && break
    sleep 0.1
  done
  [ "$seen" -gt 0 ] && ok "program_name logtap/lt_prog in session_connect_attrs" || fail "program_name not seen"
  kill -TERM $pid
  wait $pid || true
else
  echo "note: performance_schema is off on this server: program_name is not checked here"
fi
finish
