# A throwaway MariaDB server in a temp dir, on a unix socket in that dir and on 127.0.0.1, with the row binlog
# logtap's change stream needs (log_bin, binlog_format=ROW, binlog_row_image=FULL, binlog_row_metadata=FULL,
# server_id=1). As root it runs as the `mysql` system user. Sourced; defines mariadb_server_start DIR PORT [OPTIONS] and
# mariadb_server_stop DIR. After start, LOGTAP_MYSQL_SOCKET / LOGTAP_MYSQL_PORT point at it and the user `logtap`
# (all privileges, no password, from localhost and 127.0.0.1) exists.

mariadb_as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u mysql -- "$@"; else "$@"; fi
}

mariadb_server_start() { # mariadb_server_start DIR PORT [more mariadbd options...]
  local dir=$1 port=$2 bin
  shift 2
  bin=$(command -v mariadbd || command -v mysqld || echo /usr/sbin/mariadbd)
  [ -x "$bin" ] || { echo "no MariaDB server (mariadbd) found; install mariadb-server" >&2; return 1; }
  mkdir -p "$dir/data" "$dir/tmp"
  [ "$(id -u)" -eq 0 ] && chown -R mysql: "$dir"
  mariadb_as_owner mariadb-install-db --no-defaults --datadir="$dir/data" --auth-root-authentication-method=normal \
    --skip-test-db >"$dir/install.log" 2>&1 || { cat "$dir/install.log" >&2; return 1; }
  mariadb_as_owner "$bin" --no-defaults --datadir="$dir/data" --socket="$dir/mysqld.sock" --port="$port" \
    --bind-address=127.0.0.1 --pid-file="$dir/mysqld.pid" --tmpdir="$dir/tmp" --log-error="$dir/server.log" \
    --log-bin="$dir/data/mysql-bin" --binlog-format=ROW --binlog-row-image=FULL --binlog-row-metadata=FULL \
    --server-id=1 --innodb-flush-log-at-trx-commit=2 --sync-binlog=0 --innodb-buffer-pool-size=128M \
    --max-connections=200 --secure-file-priv="" --local-infile=1 --character-set-server=utf8mb4 \
    --collation-server=utf8mb4_general_ci "$@" >/dev/null 2>&1 &
  local i
  for i in $(seq 1 300); do
    [ -S "$dir/mysqld.sock" ] && mariadb --no-defaults -S "$dir/mysqld.sock" -uroot -e 'select 1' >/dev/null 2>&1 && break
    sleep 0.1
  done
  mariadb --no-defaults -S "$dir/mysqld.sock" -uroot -e 'select 1' >/dev/null 2>&1 \
    || { cat "$dir/server.log" >&2; return 1; }
  mariadb --no-defaults -S "$dir/mysqld.sock" -uroot -e "
    CREATE USER 'logtap'@'localhost'; GRANT ALL ON *.* TO 'logtap'@'localhost' WITH GRANT OPTION;
    CREATE USER 'logtap'@'127.0.0.1'; GRANT ALL ON *.* TO 'logtap'@'127.0.0.1' WITH GRANT OPTION;" \
    || return 1
  export LOGTAP_MYSQL_SOCKET=$dir/mysqld.sock LOGTAP_MYSQL_PORT=$port
}

mariadb_server_stop() {
  local dir=$1 pid
  [ -f "$dir/mysqld.pid" ] || return 0
  pid=$(cat "$dir/mysqld.pid")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

# ---- helpers for integration tests (after itest.sh) ----

require_mysql() {
  if [ -z "${LOGTAP_MYSQL_SOCKET:-}" ] || ! my_sql mysql "SELECT 1" >/dev/null 2>&1; then
    echo "skip: no MariaDB server (start the suite with tests/run.sh)"
    exit 77
  fi
}

my_sql() { # my_sql DB "statements" -> tab-separated rows, no header
  mariadb --no-defaults -S "$LOGTAP_MYSQL_SOCKET" -ulogtap --local-infile=1 -N -B -D "$1" -e "$2"
}

my_fresh_db() {
  my_sql mysql "DROP DATABASE IF EXISTS \`$1\`; CREATE DATABASE \`$1\` CHARACTER SET utf8mb4"
}

# A task config for MySQL databases (comma-separated list in $2); extra target settings as JSON in $3.
write_mysql_config() { # write_mysql_config FILE DBS "EXTRA_TARGET_JSON" [MIGRATION_TYPE] [TASK]
  local file=$1 dbs=$2 extra=${3:-} mtype=${4:-full-load} task=${5:-$2} list=""
  local d
  for d in ${dbs//,/ }; do list="$list${list:+, }\"$d\""; done
  cat >"$file" <<JSON
{
  "task": "${task//,/_}",
  "migration_type": "$mtype",
  "source": {"engine": "mysql", "socket": "$LOGTAP_MYSQL_SOCKET", "user": "logtap", "databases": [$list],
             "server_id": $((1000 + RANDOM % 10000))},
  "target": {"path": "lake"${extra:+, $extra}},
  "table_mappings": {"rules": [{"rule-type":"selection","rule-id":"1","rule-name":"1",
      "object-locator":{"schema-name":"%","table-name":"%"},"rule-action":"include"}]}
}
JSON
}

# The column list and SET clause of a LOAD DATA that reads the table columns of a logtap CSV file of DB.T: \x-hex
# values are unhexed, TIMESTAMP loses its "+00:00", BIT gets its number. Sets $my_load_cols and $my_load_sets.
my_load_columns() { # my_load_columns DB T
  local db=$1 t=$2 name dtype
  my_load_cols="" my_load_sets=""
  while IFS=$'\t' read -r name dtype; do
    case "$dtype" in
      binary|varbinary|tinyblob|blob|mediumblob|longblob|geometry|point|linestring|polygon|multipoint|multilinestring|multipolygon|geometrycollection)
        my_load_cols="$my_load_cols${my_load_cols:+, }@\`v_$name\`"
        my_load_sets="$my_load_sets${my_load_sets:+, }\`$name\` = UNHEX(SUBSTRING(@\`v_$name\`, 3))" ;;
      timestamp)
        my_load_cols="$my_load_cols${my_load_cols:+, }@\`v_$name\`"
        my_load_sets="$my_load_sets${my_load_sets:+, }\`$name\` = LEFT(@\`v_$name\`, LENGTH(@\`v_$name\`) - 6)" ;;
      bit)
        my_load_cols="$my_load_cols${my_load_cols:+, }@\`v_$name\`"
        my_load_sets="$my_load_sets${my_load_sets:+, }\`$name\` = CAST(@\`v_$name\` AS UNSIGNED)" ;;
      *) my_load_cols="$my_load_cols${my_load_cols:+, }\`$name\`" ;;
    esac
  done < <(my_sql information_schema "SELECT COLUMN_NAME, DATA_TYPE FROM COLUMNS WHERE TABLE_SCHEMA = '$db' AND TABLE_NAME = '$t' ORDER BY ORDINAL_POSITION")
}

# The LOAD DATA statement that reads a logtap CSV file of table DB.T (columns, then _logtap_pos; with $5 = op, an
# Op column first) back into DB2.T.
my_load_data_sql() { # my_load_data_sql FILE DB T DB2 [op]
  local file=$1 db=$2 t=$3 db2=$4 op=${5:-}
  my_load_columns "$db" "$t"
  echo "SET time_zone = '+00:00'; LOAD DATA LOCAL INFILE '$file' INTO TABLE \`$db2\`.\`$t\` CHARACTER SET utf8mb4 FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' ESCAPED BY '' LINES TERMINATED BY '\n' (${op:+@op, }$my_load_cols, @pos)${my_load_sets:+ SET $my_load_sets}"
}

# Rows of DB.T missing from DB2.T plus rows of DB2.T missing from DB.T (compared as text, hex for binary and
# geometry columns).
my_diff_tables() { # my_diff_tables DB T DB2
  local db=$1 t=$2 db2=$3 exprs
  exprs=$(my_sql information_schema "SELECT GROUP_CONCAT(CASE WHEN DATA_TYPE IN ('binary','varbinary','tinyblob','blob','mediumblob','longblob','geometry','point','linestring','polygon','multipoint','multilinestring','multipolygon','geometrycollection') THEN CONCAT('HEX(\`', COLUMN_NAME, '\`)') ELSE CONCAT('\`', COLUMN_NAME, '\`') END ORDER BY ORDINAL_POSITION SEPARATOR ', ') FROM COLUMNS WHERE TABLE_SCHEMA = '$db' AND TABLE_NAME = '$t'")
  my_sql "$db" "SET time_zone = '+00:00'; SELECT COUNT(*) FROM ((SELECT $exprs FROM \`$db\`.\`$t\` EXCEPT ALL SELECT $exprs FROM \`$db2\`.\`$t\`) UNION ALL (SELECT $exprs FROM \`$db2\`.\`$t\` EXCEPT ALL SELECT $exprs FROM \`$db\`.\`$t\`)) d"
}

# A table with every column type, and rows 1 (extremes), 2 (fixed values the tests look for in the files),
# 3 (zero dates), 4 (NULLs), 5 (empty strings and zeros); and a table without a key. With $1, only the
# CREATE TABLE statements.
my_alltypes_sql() {
  cat <<'SQL'
CREATE TABLE alltypes (
  id int PRIMARY KEY, ti tinyint, tiu tinyint unsigned, si smallint, siu smallint unsigned, mi mediumint,
  miu mediumint unsigned, i int, iu int unsigned, bi bigint, biu bigint unsigned, f float, d double,
  dec1 decimal(10,4), dec2 decimal(65,30), y year, dt date, tm time, tm6 time(6), dtm datetime, dtm6 datetime(6),
  ts timestamp NULL DEFAULT NULL, ts3 timestamp(3) NULL DEFAULT NULL, b1 bit(1), b64 bit(64), c char(10),
  vc varchar(300), bin binary(4), vbin varbinary(20), tt tinytext, tx text, mt mediumtext, lt longtext,
  tb tinyblob, bl blob, mb mediumblob, lb longblob, e enum('a','b','it''s'), st set('x','y','z'), j json,
  g geometry, pt point, lat varchar(20) CHARACTER SET latin1, uc varchar(20) CHARACTER SET utf8mb4
);
CREATE TABLE nokey (a int, b varchar(10));
SQL
  [ -n "${1:-}" ] && return 0
  cat <<'SQL'
SET time_zone = '+00:00', sql_mode = '';
INSERT INTO alltypes VALUES
 (1, -128, 255, -32768, 65535, -8388608, 16777215, -2147483648, 4294967295, -9223372036854775808,
  18446744073709551615, -3.4028235e38, 1.7976931348623157e308, -999999.9999,
  99999999999999999999999999999999999.999999999999999999999999999999, 2155, '9999-12-31', '838:59:59',
  '-838:59:59.000000', '9999-12-31 23:59:59', '1000-01-01 00:00:00.000001', '2038-01-19 03:14:07',
  '1970-01-01 00:00:01.000', b'0', b'1111111111111111111111111111111111111111111111111111111111111111',
  'zzzzzzzzzz', REPEAT('é', 300), 0xFFFFFFFF, 0x00, REPEAT('t', 255), REPEAT('x', 1000), 'medium', 'long',
  0x00FF, 0xDEADBEEF, 0x01, 0x02, 'b', 'x,y,z', '{"a": [1, 2.5, "x"], "b": null}', ST_GeomFromText('POLYGON((0 0,1 0,1 1,0 0))'),
  POINT(1.5, -2.25), _latin1 0x636166E9, '日本語 ✓ 🎉'),
 (2, 1, 2, 3, 4, 5, 6, 7, 8, -9223372036854775808, 18446744073709551615, 3.14159274, 0.30000000000000004, 12.5,
  -0.0000001, 0, '2024-02-29', '-838:59:59', '12:00:00.5', '2024-02-29 13:14:15', '2024-02-29 13:14:15.123456',
  '2024-02-29 13:14:15', '2024-02-29 13:14:15.123', b'1', 18446744073709551615, 'ab', 'a "quoted", text',
  'AB', 0x0102, 'NULL', '', 'line1\nline2', 'tab\there', '', '', 0x7E, NULL, 'it''s', 'x,z', '[]', NULL,
  POINT(0, 0), 'abc', 'x'),
 (3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1901, '0000-00-00', '00:00:00', '00:00:00', '0000-00-00 00:00:00',
  '2024-00-10 00:00:00', '0000-00-00 00:00:00', NULL, b'0', 0, '', '', '', '', '', '', '', '', '', '', '', '',
  'a', '', '{}', NULL, NULL, '', ''),
 (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.1, -0.0, 0, 0, 2000, '1000-01-01', '00:00:00.000001', '-00:00:01', '1000-01-01 00:00:00',
  '2000-01-01 00:00:00', '1970-01-01 00:00:01', '2000-06-15 12:00:00.999', b'0', 1, ' ', ' lead', '', '', 'NULL',
  ' ', '"', ',', '', '', '', '', 'a', '', '"s"', NULL, NULL, '', '');
INSERT INTO nokey VALUES (1, 'a'), (1, 'a'), (NULL, NULL);
SQL
}
