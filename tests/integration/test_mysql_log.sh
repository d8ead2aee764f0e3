#!/usr/bin/env bash
# MariaDB's warnings come through logtap's log, and a password never shows. A database holding a broken view (its
# table dropped) makes the server warn when logtap lists the tables (1356, "references invalid table(s)"):
# full-load and replicate say so as a warn line, in text and in JSON (every stderr line one JSON object), where they
# used to be lost. A user with a password given through source.password_env, right and wrong, in every command and
# both formats: the password never appears in any output.
source "$LOGTAP_SOURCE_DIR/tests/lib/itest.sh"
source "$LOGTAP_SOURCE_DIR/tests/lib/mariadb_server.sh"
require_mysql
dir=$(test_dir)
cd "$dir"
db=lt_my_log
pw='My-8Zr2-s3cret'
my_fresh_db $db
my_sql $db "CREATE TABLE orders (id int PRIMARY KEY, v varchar(10)); INSERT INTO orders VALUES (1, 'a'), (2, 'b');
            CREATE TABLE gone (id int); CREATE VIEW broken AS SELECT id FROM gone; DROP TABLE gone;"
my_sql mysql "DROP USER IF EXISTS 'lt_pw'@'localhost'; CREATE USER 'lt_pw'@'localhost' IDENTIFIED BY '$pw';
              GRANT ALL ON *.* TO 'lt_pw'@'localhost'"
write_mysql_config task.json $db '"CdcMaxBatchInterval": 1' full-load-and-cdc
sed -i 's/"user": "logtap"/"user": "lt_pw", "password_env": "LT_MY_PW"/; s/"table-name":"%"/"table-name":"orders"/' task.json
sql_ins() { my_sql $db "INSERT INTO orders VALUES ((SELECT max(id) + 1 FROM orders o), 'x')"; }

run_split() { # run_split PREFIX ARGS...: stdout and stderr apart, $rc
  local prefix=$1
  shift
  set +e
  "$LOGTAP_BIN" "$@" >"$prefix.out" 2>"$prefix.err"
  rc=$?
  set -e
}
no_secret() {
  if grep -qF -- "$pw" "${@:2}"; then fail "$1: the password shows: $(grep -hF -- "$pw" "${@:2}" | head -2)"; else ok "$1: no password"; fi
}
for mode in text json; do
  for cmd in "check" "full-load" "replicate --until now" "status" "merge" "validate"; do
    name="$mode-${cmd// /_}"
    # shellcheck disable=SC2086
    LT_MY_PW=$pw run_split "$name" $cmd --config task.json --log-format $mode
    case "$cmd" in validate) [ "$rc" -le 1 ] && ok "$name: compares" || fail "$name: exit $rc" ;;
                   *) expect_eq "$rc" 0 "$name: runs" ;; esac
    no_secret "$name" "$name.out" "$name.err"
    if [ $mode = json ]; then
      got=$(node "$LOGTAP_SOURCE_DIR/tests/tools/json_lines_check.mjs" "$name.err" "$db" 2>&1) \
        && ok "$name: every stderr line is a JSON object ($got)" || fail "$name: $got"
    fi
    sql_ins
  done
  # the server's warning about the broken view, as a log line at warn
  for cmd in full-load replicate_--until_now; do  # (check lists tables without opening views: no warning)
    if [ $mode = json ]; then
      grep -q "\"level\":\"warn\",\"task\":\"$db\",\"message\":\"mysql: Warning 1356: View '$db.broken' references invalid table" "$mode-$cmd.err" \
        && ok "$mode $cmd: the server's warning is a JSON warn line" || fail "$mode $cmd: $(head -c 500 "$mode-$cmd.err")"
    else
      grep -q "WARN  mysql: Warning 1356: View '$db.broken' references invalid table" "$mode-$cmd.err" \
        && ok "$mode $cmd: the server's warning is logged" || fail "$mode $cmd: $(head -c 500 "$mode-$cmd.err")"
    fi
  done
  LT_MY_PW="wrong-$pw" run_split "wrong-$mode" check --config task.json --log-format $mode
  expect_eq "$rc" 1 "wrong password ($mode): check cannot connect"
  grep -q "Access denied for user 'lt_pw'" "wrong-$mode.err" && ok "wrong password ($mode): said so" || fail "$(cat "wrong-$mode.err")"
  no_secret "wrong password ($mode)" "wrong-$mode.out" "wrong-$mode.err"
  grep -qF -- "wrong-$pw" "wrong-$mode.out" "wrong-$mode.err" && fail "the wrong password shows" || ok "nor the wrong one ($mode)"
done
LT_MY_PW=$pw run_split quiet full-load --config task.json --log-level error
grep -q "Warning 1356" quiet.err && fail "--log-level error still shows warnings" || ok "--log-level error leaves them out"
no_secret "the files written" $(find lake -type f)
my_sql mysql "DROP USER 'lt_pw'@'localhost'"
finish
