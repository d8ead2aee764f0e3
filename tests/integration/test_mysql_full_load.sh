#!/usr/bin/env bash
# MySQL/MariaDB full load: a table with every column type (and NULLs, empty strings, extremes, unicode, latin1)
# and the Sakila database are loaded to CSV; the files are read back with LOAD DATA into copies of the tables and
# compared in SQL both ways; a few canonical text forms (README, "MySQL / MariaDB source") are checked in the files themselves.
source "$LOGTAP_SOURCE_DIR/tests/lib/itest.sh"
source "$LOGTAP_SOURCE_DIR/tests/lib/mariadb_server.sh"
require_mysql
dir=$(test_dir)
cd "$dir"
db=lt_my_types
my_fresh_db $db
my_fresh_db ${db}_back
my_sql $db "$(my_alltypes_sql)"
my_sql ${db}_back "CREATE TABLE alltypes LIKE $db.alltypes; CREATE TABLE nokey LIKE $db.nokey"
write_mysql_config task.json $db '"AddColumnName": false'
run_logtap full-load --config task.json
expect_eq "$rc" 0 "full-load exits 0"
[ "$rc" -eq 0 ] || echo "$out"
f=lake/$db/alltypes/LOAD00000001.csv
[ -f "$f" ] && ok "alltypes file written" || fail "no $f"
expect_eq "$(wc -l <lake/$db/nokey/LOAD00000001.csv)" 3 "nokey: 3 rows"
my_sql ${db}_back "$(my_load_data_sql "$dir/$f" $db alltypes ${db}_back)"
# zero dates have no canonical form (they are written as NULL): leave that row out of the comparison
my_sql $db "DELETE FROM alltypes WHERE id = 3"
my_sql ${db}_back "DELETE FROM alltypes WHERE id = 3"
my_sql ${db}_back "$(my_load_data_sql "$dir/lake/$db/nokey/LOAD00000001.csv" $db nokey ${db}_back)"
expect_eq "$(my_sql $db 'SELECT COUNT(*) FROM alltypes')" "$(my_sql ${db}_back 'SELECT COUNT(*) FROM alltypes')" "row counts equal"
expect_eq "$(my_diff_tables $db alltypes ${db}_back)" 0 "alltypes read back with LOAD DATA equals the source (both ways)"
expect_eq "$(my_diff_tables $db nokey ${db}_back)" 0 "nokey read back equals the source"
# canonical text forms in the file (row id 2 holds fixed values)
row=$(grep '^2,' "$f")
for want in ',3.1415927,' ',0.30000000000000004,' ',2024-02-29 13:14:15.123+00:00,' ',-838:59:59,' ',1,18446744073709551615,' \
    ',\x41420000,' ",it's," ',"x,z",' ',2024-02-29 13:14:15.123456,' ',-0.000000100000000000000000000000,' \
    ',18446744073709551615,' ',-9223372036854775808,'; do
  grep -qF -- "$want" "$f" && ok "text form $want" || fail "text form $want not in: $row" 
done
zero=$(grep '^3,' "$f")
case "$zero" in *,1901,NULL,00:00:00,00:00:00.000000,NULL,NULL,NULL,NULL,*) ok "zero dates become NULL" ;; *) fail "zero dates: $zero" ;; esac
pos=$(tail -1 "$f" | awk -F, '{print $NF}')
[[ "$pos" =~ ^[0-9]{10}:[0-9]{12}:0000000000$ ]] && ok "full-load position $pos" || fail "position [$pos]"

# A password from the environment variable named by password_env; never in the output.
my_sql mysql "DROP USER IF EXISTS 'lt_pw'@'localhost'; CREATE USER 'lt_pw'@'localhost' IDENTIFIED BY 's3cret-pw'; GRANT SELECT, RELOAD, REPLICATION CLIENT ON *.* TO 'lt_pw'@'localhost'"
sed -e 's/"user": "logtap"/"user": "lt_pw", "password_env": "LT_TEST_PW"/' -e 's/"path": "lake"/"path": "lake_pw"/' task.json >task_pw.json
LT_TEST_PW=s3cret-pw run_logtap full-load --config task_pw.json
expect_eq "$rc" 0 "full-load with the password from password_env"
[ "$rc" -eq 0 ] || echo "$out"
nopos() { sed -E 's/[0-9]{10}:[0-9]{12}:[0-9]{10}$//' "$1"; }
# (row 3 was deleted above)
[ "$(nopos lake_pw/$db/alltypes/LOAD00000001.csv)" == "$(nopos lake/$db/alltypes/LOAD00000001.csv | grep -v '^3,')" ] \
  && ok "same values as without a password" || fail "files differ"
LT_TEST_PW=wrong run_logtap full-load --config task_pw.json
expect_eq "$rc" 1 "a wrong password exits 1"
case "$out" in *s3cret*|*wrong*) fail "the password appears in the output: $out" ;; *) ok "no password in the output" ;; esac
run_logtap full-load --config task_pw.json
expect_eq "$rc" 2 "an unset password_env variable exits 2"
echo "$out" | grep -q "LT_TEST_PW" && ok "the message names the variable" || fail "unset variable: $out"
my_sql mysql "DROP USER 'lt_pw'@'localhost'"

# Sakila
sakila="$LOGTAP_SOURCE_DIR/../shared/datasets/sakila"
if [ ! -f "$sakila/sakila-schema.sql" ]; then
  echo "note: $sakila is absent; the Sakila part is skipped"
  finish
  exit $?
fi
my_sql mysql "DROP DATABASE IF EXISTS sakila; DROP DATABASE IF EXISTS sakila_back"
mariadb --no-defaults -S "$LOGTAP_MYSQL_SOCKET" -ulogtap <"$sakila/sakila-schema.sql"
mariadb --no-defaults -S "$LOGTAP_MYSQL_SOCKET" -ulogtap <"$sakila/sakila-data.sql"
my_sql mysql "CREATE DATABASE sakila_back"
rm -rf lake
write_mysql_config task.json sakila '"MaxFullLoadSubTasks": 4'
run_logtap full-load --config task.json
expect_eq "$rc" 0 "sakila full-load exits 0"
[ "$rc" -eq 0 ] || echo "$out"
tables=$(my_sql sakila "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'sakila' AND TABLE_TYPE = 'BASE TABLE' ORDER BY 1")
for t in $tables; do
  my_sql sakila_back "SET foreign_key_checks = 0; CREATE TABLE \`$t\` LIKE sakila.\`$t\`"
  for f in lake/sakila/$t/LOAD*.csv; do
    [ -f "$f" ] || continue
    my_sql sakila_back "SET foreign_key_checks = 0; $(my_load_data_sql "$dir/$f" sakila "$t" sakila_back)"
  done
  n=$(my_sql sakila "SELECT COUNT(*) FROM \`$t\`")
  expect_eq "$(my_diff_tables sakila "$t" sakila_back)" 0 "sakila.$t ($n rows) read back equals the source"
done
my_sql mysql "DROP DATABASE sakila_back; DROP DATABASE ${db}_back"
finish
