#!/usr/bin/env bash
# The Sakila sample database replicates: full-load-and-cdc while two writers insert, update (also primary keys) and
# delete rows of most Sakila tables (text, DECIMAL, DATETIME/TIMESTAMP, YEAR, ENUM/SET, BLOB and GEOMETRY columns,
# composite keys, the film triggers that write the MyISAM film_text), with `kill -9` of logtap and restarts,
# then `--until now`. The load and CDC files of every table, replayed in SQL in _logtap_pos order into a fresh
# database, equal the source (EXCEPT ALL both ways), and no change appears twice on disk.
# The writers respect the foreign keys and never make the server cascade: changes made by ON UPDATE/DELETE CASCADE
# or SET NULL are not in the binlog (the server applies them on replicas by itself), so no binlog reader sees them.
source "$LOGTAP_SOURCE_DIR/tests/lib/itest.sh"
source "$LOGTAP_SOURCE_DIR/tests/lib/mariadb_server.sh"
source "$LOGTAP_SOURCE_DIR/tests/lib/mysql_replay.sh"
require_mysql
sakila="$LOGTAP_SOURCE_DIR/../shared/datasets/sakila"
if [ ! -f "$sakila/sakila-schema.sql" ] || [ ! -f "$sakila/sakila-data.sql" ]; then
  echo "skip: the Sakila dataset ($sakila) is absent"
  exit 77
fi
dir=$(test_dir)
cd "$dir"
db=lt_sakila_cdc
# Sakila under its own name, so the full-load test's copy can load at the same time
for f in sakila-schema.sql sakila-data.sql; do
  sed -e "s/\bsakila\b/$db/g" "$sakila/$f" | mariadb --no-defaults -S "$LOGTAP_MYSQL_SOCKET" -ulogtap
done
# MariaDB skips Sakila's MySQL 5.7 comment that adds address.location: put a GEOMETRY column back. film_text is
# MyISAM, as in Sakila for MySQL before 5.6.10: an engine without consistent snapshots, which the full load reads
# under the snapshot's lock, and whose trigger-written rows come inside the film transactions.
my_sql $db "ALTER TABLE address ADD COLUMN location GEOMETRY NULL AFTER phone;
  UPDATE address SET location = POINT(address_id / 10, city_id / 100);
  ALTER TABLE film_text ENGINE = MyISAM"
write_mysql_config task.json $db '"IncludeOpForFullLoad": true, "CdcMaxBatchInterval": 1, "MaxFullLoadSubTasks": 4' \
  full-load-and-cdc

# One writer: transactions over most tables, until SECONDS have passed. New rows of the writer get ids from its own
# range, so its key changes and deletes touch only rows nothing references (no cascade, no RESTRICT failure).
writer() { # writer SEED SECONDS
  local w=$1 end=$((SECONDS + $2)) i=0 r a f p ad
  RANDOM=$1
  while [ $SECONDS -lt $end ]; do
    i=$((i + 1)); r=$RANDOM
    a=$((1000 + w * 4000 + i)); f=$((2000 + w * 1500 + i)); p=$((20000 + w * 5000 + i)); ad=$((1000 + w * 4000 + i))
    # --force: a statement that fails (a key taken by the other writer) is skipped, the transaction goes on. Short
    # lock waits: the writers can deadlock across an InnoDB row lock and film_text's MyISAM table lock, which
    # InnoDB does not detect.
    mariadb --no-defaults -S "$LOGTAP_MYSQL_SOCKET" -ulogtap --force -D $db <<<"
      SET SESSION innodb_lock_wait_timeout = 1, lock_wait_timeout = 2;
      BEGIN;
      INSERT INTO actor (actor_id, first_name, last_name) VALUES ($a, 'NEW', 'ACTOR $a');
      UPDATE actor SET last_name = CONCAT(last_name, '+'), first_name = 'Ünïcode ✓' WHERE actor_id = $((r % 200 + 1));
      UPDATE actor SET actor_id = actor_id + 20000 WHERE actor_id = $((a - 2));
      DELETE FROM actor WHERE actor_id = $((a - 5 + 20000));
      INSERT IGNORE INTO film_actor (actor_id, film_id) VALUES ($((r % 200 + 1)), $((r % 1000 + 1)));
      UPDATE IGNORE film_actor SET film_id = $(((r + 7) % 1000 + 1)) WHERE actor_id = $((r % 199 + 1)) AND film_id = $((r % 997 + 1));
      DELETE FROM film_actor WHERE actor_id = $(((r + 3) % 200 + 1)) LIMIT 1;
      COMMIT;
      BEGIN;
      UPDATE film SET rental_rate = rental_rate + 0.01, replacement_cost = 9.99 + $((r % 1000)) / 100,
        rating = ELT(1 + $r % 5, 'G', 'PG', 'PG-13', 'R', 'NC-17'),
        special_features = ELT(1 + $r % 4, NULL, '', 'Trailers', 'Commentaries,Deleted Scenes,Behind the Scenes'),
        description = CONCAT(LEFT(description, 200), ' \"quoted\", é'), release_year = 1901 + $r % 254
        WHERE film_id = $((r % 1000 + 1));
      INSERT INTO film (film_id, title, description, release_year, language_id, original_language_id, rental_duration,
                        rental_rate, length, replacement_cost, rating, special_features)
        VALUES ($f, 'NEW FILM $f', IF($r % 3 = 0, NULL, 'line1\nline2,\ttab'), 2024, 1, IF($r % 2, 2, NULL), 3, 0.99,
                $((r % 200)), 12.34, 'PG-13', 'Trailers,Deleted Scenes');
      UPDATE film SET film_id = film_id + 5000, title = CONCAT(title, ' RENUMBERED') WHERE film_id = $((f - 2));
      DELETE FROM film WHERE film_id = $((f - 5 + 5000));
      INSERT IGNORE INTO film_category (film_id, category_id) VALUES ($((r % 1000 + 1)), $((r % 16 + 1)));
      UPDATE IGNORE film_category SET category_id = $(((r + 1) % 16 + 1)) WHERE film_id = $(((r + 11) % 1000 + 1));
      COMMIT;
      BEGIN;
      INSERT INTO payment (payment_id, customer_id, staff_id, rental_id, amount, payment_date)
        VALUES ($p, $((r % 599 + 1)), $((r % 2 + 1)), NULL, $((r % 1000)).$((r % 100)), '2024-02-29 23:59:59');
      UPDATE payment SET amount = amount + 1.25, payment_date = DATE_ADD(payment_date, INTERVAL 1 SECOND)
        WHERE payment_id = $((r % 16049 + 1));
      UPDATE payment SET payment_id = payment_id + 10000 WHERE payment_id = $((p - 2));
      DELETE FROM payment WHERE payment_id = $(((r * 7) % 16049 + 1));
      INSERT IGNORE INTO rental (rental_id, rental_date, inventory_id, customer_id, return_date, staff_id)
        VALUES ($p, DATE_ADD('2020-01-01', INTERVAL $((r * 97 + i)) SECOND), $((r % 4581 + 1)), $((r % 599 + 1)), NULL, 1);
      UPDATE rental SET return_date = '2024-01-31 12:00:00' WHERE rental_id = $((r % 16049 + 1));
      DELETE FROM rental WHERE rental_id = $((p - 4));
      UPDATE customer SET active = 1 - active, email = IF($r % 2, NULL, CONCAT('c', $r, '@example.com')),
        create_date = '2023-06-30 01:02:03' WHERE customer_id = $((r % 599 + 1));
      COMMIT;
      BEGIN;
      INSERT INTO address (address_id, address, address2, district, city_id, postal_code, phone, location)
        VALUES ($ad, '$ad Main St', IF($r % 2, NULL, ''), 'District', $((r % 600 + 1)), '12345', '555-$r',
                POINT($((r % 180)).5, -$((r % 90)).25));
      UPDATE address SET location = ST_GeomFromText('POINT($((r % 100)) $((r % 50)))'), address2 = 'apt $r'
        WHERE address_id = $((r % 603 + 1));
      DELETE FROM address WHERE address_id = $((ad - 3));
      UPDATE staff SET picture = IF($r % 3 = 0, NULL, UNHEX(CONCAT('00FF', REPEAT(MD5($r), 40)))),
        password = SHA1('$r') WHERE staff_id = $((r % 2 + 1));
      INSERT INTO inventory (inventory_id, film_id, store_id) VALUES ($p, $((r % 1000 + 1)), $((r % 2 + 1)));
      DELETE FROM inventory WHERE inventory_id = $((p - 1));
      UPDATE city SET city = CONCAT(city, '*') WHERE city_id = $((r % 600 + 1));
      UPDATE category SET name = LEFT(CONCAT(name, '.'), 25) WHERE category_id = $((r % 16 + 1));
      COMMIT;" >>writer$w.log 2>&1 || true
  done
}
writer 1 14 &
w1=$!
writer 2 14 &
w2=$!
sleep 0.3
kills=0
for round in 1 2 3; do
  "$LOGTAP_BIN" replicate --config task.json >>replicate.log 2>&1 &
  pid=$!
  if [ $round -eq 1 ]; then # the first run is killed early, maybe in its full load
    sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 0.2 + (r % 60) / 100 }')"
  else # the others once their change stream runs
    wait_cdc replicate.log 30
    sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 1 + (r % 250) / 100 }')"
  fi
  if kill -9 $pid 2>/dev/null; then kills=$((kills + 1)); fi
  wait $pid 2>/dev/null || true
done
wait $w1 $w2
expect_eq "$kills" 3 "logtap killed with SIGKILL three times while the writers ran"
grep -q "change data capture starts at" replicate.log && ok "CDC started during the killed runs" || fail "no CDC start: $(tail -5 replicate.log)"
run_logtap replicate --config task.json --until now
expect_eq "$rc" 0 "replicate --until now drains and exits 0"
[ "$rc" -eq 0 ] || { echo "$out"; tail -20 replicate.log; }

# Replay every table's files into a fresh database and compare.
my_fresh_db ${db}_replay
tables=$(my_sql $db "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = '$db' AND TABLE_TYPE = 'BASE TABLE' ORDER BY 1")
changes=0
for t in $tables; do
  if ! why=$(my_replay_table $db "$t" ${db}_replay "$dir/lake" 2>&1); then
    fail "$t: replay failed: $why"
    continue
  fi
  n=$(my_sql ${db}_replay "SELECT COUNT(*) FROM \`_ch_$t\` WHERE RIGHT(_pos, 11) <> ':0000000000'")
  changes=$((changes + n))
  expect_eq "$(my_replay_dup_positions ${db}_replay "$t")" 0 "$t: no change appears twice on disk"
  expect_eq "$(my_diff_tables $db "$t" ${db}_replay)" 0 "$t: replay equals the source ($(my_sql $db "SELECT COUNT(*) FROM \`$t\`") rows, $n changes)"
done
# the writers did reach every kind of change
for want in "actor:D" "actor:I" "film:U" "film_text:D" "film_text:I" "payment:D" "address:U" "staff:U" "film_actor:D"; do
  t=${want%:*} op=${want#*:}
  [ "$(my_sql ${db}_replay "SELECT COUNT(*) FROM \`_ch_$t\` WHERE RIGHT(_pos, 11) <> ':0000000000' AND _op = '$op'")" -gt 0 ] \
    && ok "$t: $op changes captured" || fail "$t: no $op change captured"
done
[ "$(my_sql ${db}_replay "SELECT COUNT(*) FROM _ch_actor WHERE _op = 'I' AND actor_id > 20000")" -gt 0 ] \
  && ok "primary-key changes captured (as D + I)" || fail "no primary-key change captured"
echo "note: $changes changes replayed"
my_sql mysql "DROP DATABASE $db; DROP DATABASE ${db}_replay"
finish
