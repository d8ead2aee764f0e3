#!/usr/bin/env bash
# Soak test (not part of tests/run.sh: it runs for half an hour by default). A throwaway PostgreSQL, a task
# (full-load-and-cdc) under a steady pgbench writer that inserts, updates (keys too, TOASTed values left unchanged)
# and deletes; every 45-90 s `replicate` is killed with SIGKILL and started again, every 5 minutes the server is
# restarted under it, and a table is created (it joins the running task). Every 30 s the RSS and the open
# descriptors of logtap are sampled. At the end: `replicate --until now`, every table's files replayed in SQL by
# _logtap_pos (the LOAD files, then the changes after their position) must equal the source, merge + validate must
# agree, and RSS and descriptors must stay flat (the last quarter's peak within 25 % and 16 fds of the first's).
# Usage: tests/soak.sh [SECONDS]   (LOGTAP_BIN: the binary, default build/release/logtap)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
duration=${1:-1800}
bin=${LOGTAP_BIN:-$root/build/release/logtap}
[ -x "$bin" ] || { echo "build logtap first (cmake --build build/release), or set LOGTAP_BIN" >&2; exit 2; }
source "$root/tests/lib/pg_server.sh"
work=$(mktemp -d /tmp/logtap-soak.XXXXXX)
chmod 755 "$work"
port=$((40000 + RANDOM % 10000))
pid=
cleanup() {
  [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
  [ -n "${writer:-}" ] && pkill -P "$writer" 2>/dev/null; [ -n "${writer:-}" ] && kill "$writer" 2>/dev/null || true
  pg_server_stop "$work/pg"
  echo "work dir: $work"
}
trap cleanup EXIT
pg_server_start "$work/pg" "$port"
psql -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE soak" >/dev/null
psql -d soak -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE TABLE acct (id int PRIMARY KEY, balance int NOT NULL, note text, big text);
INSERT INTO acct SELECT g, g, 'n' || g,
  CASE WHEN g % 20 = 0 THEN (SELECT string_agg(md5((g * 1000 + i)::text), '') FROM generate_series(1, 150) i) END
  FROM generate_series(1, 20000) g;
SQL
cd "$work"
cat >task.json <<JSON
{"task": "soak", "migration_type": "full-load-and-cdc",
 "source": {"engine": "postgres", "conninfo": "host=$PGHOST port=$PGPORT dbname=soak user=logtap", "catalog_poll_s": 5},
 "target": {"path": "lake", "IncludeOpForFullLoad": true, "CdcMaxBatchInterval": 2},
 "table_mappings": {"rules": [{"rule-type":"selection","rule-id":"1","rule-name":"1",
      "object-locator":{"schema-name":"public","table-name":"%"},"rule-action":"include"}]}}
JSON
cat >writer.sql <<'SQL'
\set id random(1, 25000)
\set other random(1, 25000)
BEGIN;
INSERT INTO acct VALUES (:id, :id, 'ins', NULL) ON CONFLICT (id) DO UPDATE SET balance = acct.balance + 1;
UPDATE acct SET note = 'u' || :id WHERE id = :other;
DELETE FROM acct WHERE id = :other + 1;
UPDATE acct SET id = -id WHERE id = :other + 2 AND NOT EXISTS (SELECT 1 FROM acct WHERE id = -(:other + 2));
END;
SQL
start_replicate() {
  "$bin" replicate --config task.json >>replicate.log 2>&1 &
  pid=$!
}
# pgbench aborts a run when the server restarts under it: start it again until the time is up
(end=$((SECONDS + duration))
 while [ $SECONDS -lt $end ]; do
   "$(pg_bin_dir)/pgbench" -n -f writer.sql -c 1 -R 40 -T $((end - SECONDS)) --max-tries=50 soak >>writer.log 2>&1 || sleep 1
 done) &
writer=$!
start_replicate
began=$SECONDS kills=0 restarts=0 joined=0 next_kill=$((SECONDS + 45 + RANDOM % 45)) next_restart=$((SECONDS + 300))
: >samples.txt
while [ $((SECONDS - began)) -lt "$duration" ]; do
  sleep 30
  if kill -0 "$pid" 2>/dev/null; then
    echo "$((SECONDS - began)) $(awk '/VmRSS/ {print $2}' /proc/$pid/status) $(ls /proc/$pid/fd | wc -l)" >>samples.txt
  fi
  if [ $SECONDS -ge $next_restart ]; then
    pg_as_owner "$(pg_bin_dir)/pg_ctl" -D "$work/pg/data" -m fast -w restart >/dev/null && restarts=$((restarts + 1))
    psql -d soak -qc "CREATE TABLE joined_$joined (id int PRIMARY KEY, v int); INSERT INTO joined_$joined SELECT g, g FROM generate_series(1, 1000) g" >/dev/null
    joined=$((joined + 1))
    next_restart=$((SECONDS + 300))
  fi
  if [ $SECONDS -ge $next_kill ]; then
    kill -9 "$pid" 2>/dev/null && kills=$((kills + 1))
    wait "$pid" 2>/dev/null || true
    start_replicate
    next_kill=$((SECONDS + 45 + RANDOM % 45))
  fi
done
wait "$writer" || true
writer=
kill -TERM "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
pid=
set +e
"$bin" replicate --config task.json --until now >>replicate.log 2>&1 || echo "FAILED: replicate --until now: $(tail -n 3 replicate.log)"
failures=0
check() { if [ "$2" == "$3" ]; then echo "ok: $1"; else echo "FAILED: $1: got [$2], expected [$3]"; failures=$((failures + 1)); fi; }
# replay acct and every joined table: LOAD rows, then the changes after the LOAD position, by _logtap_pos
psql -d soak -q -v ON_ERROR_STOP=1 -c "CREATE SCHEMA scratch"
tables="acct $(seq -f 'joined_%g' 0 $((joined - 1)) | tr '\n' ' ')"
for t in $tables; do
  # the change tables take the columns without their constraints (a D row has NULLs in its non-key columns)
  psql -d soak -q -v ON_ERROR_STOP=1 -c "CREATE TABLE scratch.ld_$t AS SELECT ''::text AS op, t.*, ''::text AS pos FROM public.$t t WITH NO DATA;
    CREATE TABLE scratch.ch_$t AS SELECT ''::text AS op, t.*, ''::text AS pos, ''::text AS unch FROM public.$t t WITH NO DATA;
    CREATE TABLE scratch.r_$t (LIKE public.$t)"
  for f in lake/public/$t/LOAD*.csv; do [ -f "$f" ] && psql -d soak -qc "\\copy scratch.ld_$t FROM '$f' WITH (FORMAT csv, NULL 'NULL')"; done
  for f in $(find lake/public/$t -name '2*.csv' | sort); do psql -d soak -qc "\\copy scratch.ch_$t FROM '$f' WITH (FORMAT csv, NULL 'NULL')"; done
done
psql -d soak -q -v ON_ERROR_STOP=1 <<'SQL'
INSERT INTO scratch.r_acct SELECT id, balance, note, big FROM scratch.ld_acct;
DO $$
DECLARE c record; deleted_big text;
BEGIN
  FOR c IN SELECT * FROM scratch.ch_acct WHERE pos > (SELECT min(pos) FROM scratch.ld_acct) ORDER BY pos LOOP
    IF c.op = 'I' THEN
      INSERT INTO scratch.r_acct VALUES (c.id, c.balance, c.note,
        CASE WHEN 'big' = ANY (string_to_array(c.unch, ',')) THEN deleted_big ELSE c.big END);
    ELSIF c.op = 'U' THEN
      UPDATE scratch.r_acct SET balance = c.balance, note = c.note,
        big = CASE WHEN 'big' = ANY (string_to_array(c.unch, ',')) THEN big ELSE c.big END WHERE id = c.id;
    ELSE
      DELETE FROM scratch.r_acct WHERE id = c.id RETURNING big INTO deleted_big;
    END IF;
  END LOOP;
END $$;
SQL
check "acct: load + changes replay to the source ($(psql -d soak -Atc 'SELECT count(*) FROM acct') rows, $(psql -d soak -Atc 'SELECT count(*) FROM scratch.ch_acct') changes)" \
  "$(psql -d soak -Atc "SELECT count(*) FROM ((SELECT * FROM acct EXCEPT ALL SELECT * FROM scratch.r_acct) UNION ALL (SELECT * FROM scratch.r_acct EXCEPT ALL SELECT * FROM acct)) x")" 0
check "acct: no change after the load twice" \
  "$(psql -d soak -Atc "SELECT count(*) FROM (SELECT pos FROM scratch.ch_acct WHERE pos > (SELECT min(pos) FROM scratch.ld_acct) GROUP BY pos HAVING count(*) > 1) x")" 0
for t in $tables; do
  [ "$t" = acct ] && continue
  check "$t (joined during the run): its load equals the source" \
    "$(psql -d soak -Atc "SELECT count(*) FROM ((SELECT id, v FROM $t EXCEPT ALL SELECT id, v FROM scratch.ld_$t) UNION ALL (SELECT id, v FROM scratch.ld_$t EXCEPT ALL SELECT id, v FROM $t)) x")" 0
done
"$bin" merge --config task.json >merge.log 2>&1 && "$bin" validate --config task.json >validate.log 2>&1
check "merge + validate" "$?" 0
# flat RSS and descriptors: the last quarter's peak against the first quarter's
n=$(wc -l <samples.txt)
q=$((n / 4 > 0 ? n / 4 : 1))
first=$(head -n "$q" samples.txt | awk 'BEGIN {r = 0; f = 0} {if ($2 > r) r = $2; if ($3 > f) f = $3} END {print r, f}')
last=$(tail -n "$q" samples.txt | awk 'BEGIN {r = 0; f = 0} {if ($2 > r) r = $2; if ($3 > f) f = $3} END {print r, f}')
read -r r1 f1 <<<"$first"
read -r r2 f2 <<<"$last"
check "RSS flat (first quarter peak ${r1} kB, last ${r2} kB)" "$([ "$r2" -le $((r1 * 5 / 4 + 2048)) ] && echo yes || echo no)" yes
check "descriptors flat (first quarter peak ${f1}, last ${f2})" "$([ "$f2" -le $((f1 + 16)) ] && echo yes || echo no)" yes
echo "soak: ${duration} s, $kills kill -9, $restarts server restarts, $joined tables joined, $(grep -o 'number of transactions actually processed: [0-9]*' writer.log | awk '{n += $NF} END {print n}') writer transactions"
echo "samples (seconds, RSS kB, fds): $(awk '{printf "%s/%s/%s ", $1, $2, $3}' samples.txt)"
[ "$failures" -eq 0 ]
