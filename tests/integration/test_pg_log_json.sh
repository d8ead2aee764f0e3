#!/usr/bin/env bash
# --log-format json and --log-level, libpq notices routed through the log, and no secret in any output.
# Every command runs in text and in JSON mode against a role that must give a password (logtap_pw: the test server
# asks it for one), the password coming from PGPASSWORD, from source.password_env, from the conninfo (key=value and
# URI), wrong, and inside a conninfo libpq cannot parse: the password never appears in stdout, stderr or the metrics
# file; in JSON mode every line on stderr is one JSON object (time, level, task, message). With the database's
# client_min_messages at debug1 the server's notices of both connections (LOG: starting logical decoding...) come
# through the log (JSON lines at their level), never as raw lines from libpq; --log-level warn keeps them out.
source "$LOGTAP_SOURCE_DIR/tests/lib/itest.sh"
require_pg
dir=$(test_dir)
db=lt_logjson
pw='Pw-7Qx9-s3cret'
fresh_db $db
psql -d postgres -qAt -c "DROP ROLE IF EXISTS logtap_pw" -c "CREATE ROLE logtap_pw LOGIN SUPERUSER REPLICATION PASSWORD '$pw'" >/dev/null
sql $db "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 50) g" >/dev/null
cd "$dir"
write_task() { # write_task FILE CONNINFO [EXTRA_SOURCE_JSON]
  cat >"$1" <<JSON
{"task": "logjson", "migration_type": "full-load-and-cdc",
 "source": {"engine": "postgres", "conninfo": "$2"${3:+, $3}},
 "target": {"path": "lake", "CdcMaxBatchInterval": 1},
 "table_mappings": {"rules": [{"rule-type":"selection","rule-id":"1","rule-name":"1",
      "object-locator":{"schema-name":"public","table-name":"t"},"rule-action":"include"}]}}
JSON
}
base="host=$PGHOST port=$PGPORT dbname=$db user=logtap_pw"
write_task env.json "$base"
write_task passenv.json "$base" '"password_env": "LT_TEST_PW"'
write_task inline.json "$base password=$pw"
write_task uri.json "postgresql://logtap_pw:$pw@127.0.0.1:$PGPORT/$db"
write_task broken.json "$base password=$pw no_such_option=1"

n=0
run_split() { # run_split LOGFILE-PREFIX ARGS... : stdout and stderr apart; $rc
  local prefix=$1
  shift
  n=$((n + 1))
  set +e
  "$LOGTAP_BIN" "$@" >"$prefix.out" 2>"$prefix.err"
  rc=$?
  set -e
}
no_secret() { # no_secret WHAT FILES...
  if grep -qF -- "$pw" "${@:2}" 2>/dev/null; then fail "$1: the password shows: $(grep -F -- "$pw" "${@:2}" | head -2)"; else ok "$1: no password"; fi
}
json_ok() { # json_ok WHAT FILE
  local got
  if got=$(node "$LOGTAP_SOURCE_DIR/tests/tools/json_lines_check.mjs" "$2" logjson 2>&1); then
    ok "$1: every line on stderr is a JSON object ($got lines)"
  else
    fail "$1: $got"
  fi
}

# the notices of both connections come through the log
sql $db "ALTER DATABASE $db SET client_min_messages = 'debug1'" >/dev/null
for mode in text json; do
  for cmd in "check" "replicate --until now" "status" "status --json" "full-load" "merge" "validate" \
             "reload --table public.t" "drop"; do
    name="$mode-${cmd// /_}"
    # shellcheck disable=SC2086
    LT_TEST_PW=$pw run_split "$name" $cmd --config passenv.json --log-format $mode --log-level debug \
      $([ "${cmd%% *}" = replicate ] || [ "${cmd%% *}" = merge ] && echo "--metrics-file $dir/m.prom")
    case "$cmd" in drop) expect_eq "$rc" 2 "$name: lists what it would remove, exit 2" ;;
                   validate) [ "$rc" -le 1 ] && ok "$name: compares (exit $rc)" || fail "$name: exit $rc" ;;
                   *) expect_eq "$rc" 0 "$name: runs" ;; esac
    no_secret "$name" "$name.out" "$name.err" m.prom
    [ $mode = json ] && json_ok "$name" "$name.err"
    sql $db "INSERT INTO t VALUES ((SELECT max(id) + 1 FROM t), 'more')" >/dev/null
  done
done
grep -q '"message":"postgres (replication connection): LOG:  starting logical decoding for slot' json-replicate_--until_now.err \
  && ok "a notice of the replication connection is a JSON log line" || fail "$(grep -c . json-replicate_--until_now.err) lines: $(head -c 600 json-replicate_--until_now.err)"
grep -q '"level":"debug","task":"logjson","message":"postgres (replication connection): DEBUG:  received replication command: CREATE_REPLICATION_SLOT' json-*.err \
  && ok "a DEBUG notice is a debug line" || fail "no debug notice"
grep -qE '^(LOG|DEBUG|NOTICE|WARNING): ' text-*.err json-*.err && fail "raw libpq lines: $(grep -hE '^(LOG|DEBUG|NOTICE|WARNING): ' text-*.err json-*.err | head -2)" \
  || ok "no notice printed raw by libpq"
grep -q 'INFO  postgres (replication connection): LOG:  starting logical decoding' text-replicate_--until_now.err \
  && ok "in text mode too, as a log line" || fail "$(head -c 600 text-replicate_--until_now.err)"
run_split quiet replicate --until now --config passenv.json --log-level warn
grep -q 'LOG:' quiet.err && fail "--log-level warn still shows: $(head -c 300 quiet.err)" || ok "--log-level warn leaves notices and info lines out"
LT_TEST_PW=$pw run_split quiet replicate --until now --config passenv.json --log-level warn --log-format json
expect_eq "$rc" 0 "replicate --log-level warn"
expect_eq "$(grep -c . quiet.err)" 0 "nothing to say at warn"
run_split badlevel status --config passenv.json --log-level loud --log-format json
expect_eq "$rc" 2 "a bad --log-level: exit 2"
json_ok "bad --log-level" badlevel.err
sql $db "ALTER DATABASE $db RESET client_min_messages" >/dev/null

# the other places a password comes from, and a wrong one, in both modes
for mode in text json; do
  PGPASSWORD=$pw run_split "env-$mode" replicate --until now --config env.json --log-format $mode
  expect_eq "$rc" 0 "PGPASSWORD ($mode): runs"
  no_secret "PGPASSWORD ($mode)" "env-$mode.out" "env-$mode.err"
  run_split "inline-$mode" status --config inline.json --log-format $mode
  expect_eq "$rc" 0 "password in the conninfo ($mode): status runs"
  run_split "inline-check-$mode" check --config inline.json --log-format $mode
  no_secret "password in the conninfo ($mode)" "inline-$mode.out" "inline-$mode.err" "inline-check-$mode.out" "inline-check-$mode.err"
  run_split "uri-$mode" replicate --until now --config uri.json --log-format $mode
  expect_eq "$rc" 0 "password in a postgresql:// URI ($mode): runs"
  no_secret "URI ($mode)" "uri-$mode.out" "uri-$mode.err"
  for cmd in "check" "replicate --until now" "full-load" "status"; do
    name="wrong-$mode-${cmd// /_}"
    # shellcheck disable=SC2086
    PGPASSWORD="wrong-$pw" LT_TEST_PW="wrong-$pw" run_split "$name" $cmd --config passenv.json --log-format $mode
    [ "$cmd" = status ] || { [ "$rc" -ne 0 ] && ok "$name: refused (exit $rc)" || fail "$name: exit 0"; }
    no_secret "$name" "$name.out" "$name.err"
    if grep -qF -- "wrong-$pw" "$name.out" "$name.err"; then fail "$name: the wrong password shows"; else ok "$name: nor the wrong one"; fi
    [ $mode = json ] && json_ok "$name" "$name.err"
  done
  grep -q "password authentication failed" "wrong-$mode-check.err" "wrong-$mode-check.out" && ok "wrong password ($mode): said so" \
    || fail "$(cat "wrong-$mode-check.err")"
  run_split "broken-$mode" check --config broken.json --log-format $mode
  expect_eq "$rc" 2 "a conninfo libpq cannot parse ($mode): exit 2"
  no_secret "broken conninfo ($mode)" "broken-$mode.out" "broken-$mode.err"
  [ $mode = json ] && json_ok "broken conninfo" "broken-$mode.err"
done
no_secret "the files written" $(find lake -type f)

run_logtap drop --config env.json --confirm
finish
