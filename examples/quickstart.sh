#!/usr/bin/env bash
# logtap quickstart: on a fresh Debian machine, installs what is missing, builds logtap, starts a throwaway
# PostgreSQL 15, generates a small café-shop database (customers, products, orders, order_items), and runs the whole
# job into ./quickstart-lake (CSV): the full load and change data capture from one replication slot, a burst of
# changes (new orders, updates, deletes, a price change), the catch-up, the merge into point-in-time snapshots and
# the validation of those snapshots against the database; it shows the files and `logtap status`, then stops the
# server.
set -euo pipefail
logtap_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$logtap_root/tests/lib/deps.sh"
source "$logtap_root/tests/lib/pg_server.sh"

logtap_install_deps
build="$logtap_root/build/release"
LOGTAP_BUILD_TARGET=logtap logtap_build "$build" Release
logtap="$build/logtap"

work=$(mktemp -d /tmp/logtap-quickstart.XXXXXX)
chmod 755 "$work"
trap 'pg_server_stop "$work/pg"; rm -rf "$work"' EXIT
pg_server_start "$work/pg" $((20000 + RANDOM % 20000))
echo "== a throwaway PostgreSQL 15 runs on $PGHOST (port $PGPORT)"

psql -d postgres -qAt -c "CREATE DATABASE cafe" >/dev/null
psql -d cafe -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, email text, joined date NOT NULL);
CREATE TABLE products (id int PRIMARY KEY, name text NOT NULL, price numeric(8,2) NOT NULL, vegan bool NOT NULL);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id int REFERENCES customers, placed_at timestamptz NOT NULL,
                     note text);
CREATE TABLE order_items (order_id bigint REFERENCES orders, line int, product_id int REFERENCES products,
                          qty int NOT NULL, PRIMARY KEY (order_id, line));
INSERT INTO customers
  SELECT g, (ARRAY['Ada','Grace','Linus','Barbara','Ken','Edsger','Frances','Donald'])[1 + g % 8] || ' #' || g,
         CASE WHEN g % 5 = 0 THEN NULL ELSE 'customer' || g || '@example.com' END,
         date '2023-01-01' + (g % 600)
  FROM generate_series(1, 2000) g;
INSERT INTO products VALUES
  (1, 'Espresso', 2.20, true), (2, 'Flat white', 3.40, false), (3, 'Oat latte', 3.90, true),
  (4, 'Croissant', 2.80, false), (5, 'Banana bread', 3.10, true), (6, 'Chai, "dirty"', 4.10, false);
INSERT INTO orders
  SELECT g, 1 + (g * 7919) % 2000, timestamptz '2024-01-01 07:00+00' + (g * interval '97 seconds'),
         CASE WHEN g % 11 = 0 THEN E'extra hot\nno lid' WHEN g % 13 = 0 THEN '' END
  FROM generate_series(1, 20000) g;
INSERT INTO order_items
  SELECT o, l, 1 + (o * 31 + l) % 6, 1 + (o + l) % 3 FROM generate_series(1, 20000) o, generate_series(1, 1 + o % 3) l;
SQL
echo "== generated the cafe database: $(psql -d cafe -qAt -c 'SELECT sum(n) FROM (SELECT count(*) n FROM customers UNION ALL SELECT count(*) FROM products UNION ALL SELECT count(*) FROM orders UNION ALL SELECT count(*) FROM order_items) t') rows in 4 tables"

out="$PWD/quickstart-lake"
rm -rf "$out"
mkdir -p "$out"
cat >"$out/task.json" <<JSON
{
  "task": "cafe",
  "migration_type": "full-load-and-cdc",
  "source": { "engine": "postgres", "conninfo": "host=$PGHOST port=$PGPORT dbname=cafe user=logtap" },
  "target": { "path": ".", "DataFormat": "csv", "IncludeOpForFullLoad": true, "AddColumnName": true,
              "TimestampColumnName": "commit_ts", "CdcMaxBatchInterval": 1 },
  "state": "_state/cafe.db",
  "table_mappings": { "rules": [ { "rule-type": "selection", "rule-id": "1", "rule-name": "1",
      "object-locator": { "schema-name": "public", "table-name": "%" }, "rule-action": "include" } ] }
}
JSON
echo "== logtap replicate --config $out/task.json --until now   (full load in the slot's snapshot, then CDC)"
"$logtap" replicate --config "$out/task.json" --until now
echo
echo "== the café keeps working: 500 new orders, 300 updated, 100 deleted, a price change"
psql -d cafe -q -v ON_ERROR_STOP=1 <<'SQL'
INSERT INTO orders SELECT g, 1 + g % 2000, now(), 'online' FROM generate_series(20001, 20500) g;
INSERT INTO order_items SELECT o, 1, 1 + o % 6, 2 FROM generate_series(20001, 20500) o;
UPDATE orders SET note = 'refunded' WHERE id BETWEEN 100 AND 399;
DELETE FROM order_items WHERE order_id BETWEEN 1000 AND 1099;
DELETE FROM orders WHERE id BETWEEN 1000 AND 1099;
UPDATE products SET price = price + 0.20 WHERE name = 'Oat latte';
SQL
echo "== logtap replicate --until now   (catches up: writes the changes, moves the checkpoint)"
"$logtap" replicate --config "$out/task.json" --until now
echo
echo "== logtap merge   (point-in-time snapshots: load + changes)"
"$logtap" merge --config "$out/task.json"
echo
echo "== logtap validate   (snapshots vs the database: row counts and checksums)"
"$logtap" validate --config "$out/task.json"
echo
echo "== files written:"
(cd "$out" && find public _snapshots -type f -name '*.csv' | sort | while read -r f; do printf '  %-64s %8s bytes\n' "$f" "$(stat -c %s "$f")"; done)
echo
echo "== the first changes of public/orders:"
head -4 "$(ls "$out"/public/orders/2*.csv | head -1)" | sed 's/^/  /'
echo
echo "== logtap status --config $out/task.json"
"$logtap" status --config "$out/task.json"
psql -d cafe -qAt -c "SELECT pg_drop_replication_slot('logtap_cafe')" >/dev/null
echo
echo "The files stay in $out; the PostgreSQL server is stopped now."
