#!/usr/bin/env bash
# The Pagila database (real data: enums, domains, arrays, tsvector, bytea, a partitioned table) loads and every
# table reads back exactly with PostgreSQL's COPY ... FROM ... CSV.
source "$LOGTAP_SOURCE_DIR/tests/lib/itest.sh"
require_pg
pagila="$LOGTAP_SOURCE_DIR/../shared/datasets/pagila"
if [ ! -f "$pagila/pagila-schema.sql" ]; then
  echo "skip: $pagila is absent (the shared datasets are not beside this checkout)"
  exit 77
fi
dir=$(test_dir)
db=lt_pagila
fresh_db $db
psql -d $db -q -v ON_ERROR_STOP=1 -f "$pagila/pagila-schema.sql" >/dev/null 2>"$dir/schema.log"
psql -d $db -q -v ON_ERROR_STOP=1 -f "$pagila/pagila-data.sql" >/dev/null 2>"$dir/data.log"
cd "$dir"
write_pg_config task.json $db '"IncludeOpForFullLoad": true, "TimestampColumnName": "commit_ts"' \
  '[{"rule-type":"selection","rule-id":"1","rule-name":"1","object-locator":{"schema-name":"public","table-name":"%"},"rule-action":"include"}]'
run_logtap full-load --config task.json
expect_eq "$rc" 0 "pagila full load: exit 0"
[ "$rc" -eq 0 ] || echo "$out"
tables=$(sql $db "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE n.nspname = 'public' AND c.relkind IN ('r','p') AND NOT c.relispartition ORDER BY 1")
expect_eq "$(echo "$tables" | wc -l)" 15 "pagila has 15 root tables"
[ ! -e lake/public/payment_p2022_01 ] && ok "payment partitions are written under payment" || fail "partition folder written"
for t in $tables; do
  rows=$(sql $db "SELECT count(*) FROM public.$t")
  if [ "$rows" -eq 0 ]; then
    [ ! -e "lake/public/$t" ] && ok "$t: empty, no folder" || fail "$t: empty table has files"
    continue
  fi
  cols=$(sql $db "SELECT string_agg(quote_ident(attname), ',' ORDER BY attnum) FROM pg_attribute
                  WHERE attrelid = 'public.$t'::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = ''")
  sql $db "DROP TABLE IF EXISTS chk; CREATE TABLE chk (op text, commit_ts text, LIKE public.$t, _logtap_pos text)" >/dev/null
  for f in lake/public/$t/LOAD*.csv; do
    psql -d $db -q -v ON_ERROR_STOP=1 -c "\\copy chk ($(echo "op,commit_ts,$cols,_logtap_pos")) FROM '$dir/$f' WITH (FORMAT csv, NULL 'NULL')"
  done
  diff=$(sql $db "SELECT count(*) FROM ((SELECT ROW($cols)::text FROM public.$t EXCEPT ALL SELECT ROW($cols)::text FROM chk)
                   UNION ALL (SELECT ROW($cols)::text FROM chk EXCEPT ALL SELECT ROW($cols)::text FROM public.$t)) d")
  expect_eq "$diff" 0 "$t ($rows rows) reads back exactly"
done
finish
