# Replays logtap's files of a MySQL/MariaDB table in SQL (sourced after itest.sh and mariadb_server.sh): the load
# files and the CDC files are read back with LOAD DATA into a change table, then applied in _logtap_pos order to a
# copy of the table, so a test can compare the copy with the source. Full-load files need IncludeOpForFullLoad.
#
#   my_replay_table DB T RDB DIR   replays DIR/<files of DB.T> into RDB.T (RDB must exist); prints nothing and
#                                  returns 0 when every change applied; otherwise prints why and returns 1
#   my_replay_dup_positions RDB T  CDC positions of RDB.T's change table that appear more than once
#
# Changes at or before the load's position are inside the load (a table that joined a running task may have
# some from before it was loaded again), so only the changes after it are applied.
# The change table RDB.`_ch_T` has the table's columns plus _op, _pos and _unch. Applying checks that an insert
# finds no row with its key, that an update or a delete finds its row (by
# primary key; by every column for tables without one), that no update reaches a table without a key, and that no
# column is marked unchanged (the binlog carries whole rows).

# The primary-key columns of DB.T, comma-separated (empty when it has none).
my_key_columns() { # my_key_columns DB T
  my_sql information_schema "SELECT COALESCE(GROUP_CONCAT(COLUMN_NAME ORDER BY ORDINAL_POSITION), '') FROM COLUMNS WHERE TABLE_SCHEMA = '$1' AND TABLE_NAME = '$2' AND COLUMN_KEY = 'PRI'"
}

my_replay_table() { # my_replay_table DB T RDB DIR
  local db=$1 t=$2 rdb=$3 dir=$4 f ch="_ch_$2" name ctype cols="" vars="" decls="" sets="" match="" keys
  my_sql "$rdb" "SET foreign_key_checks = 0; DROP TABLE IF EXISTS \`$t\`, \`$ch\`;
    CREATE TABLE \`$t\` LIKE \`$db\`.\`$t\`;
    CREATE TABLE \`$ch\` AS SELECT * FROM \`$db\`.\`$t\` LIMIT 0;
    ALTER TABLE \`$ch\` ADD COLUMN _op char(1) FIRST, ADD COLUMN _pos varchar(40), ADD COLUMN _unch text, ADD KEY (_pos)" || return 1
  my_load_columns "$db" "$t"
  for f in $(find "$dir/$db/$t" -name '*.csv' 2>/dev/null | sort); do
    case "${f##*/}" in
      LOAD*) my_sql "$rdb" "SET time_zone = '+00:00'; LOAD DATA LOCAL INFILE '$f' INTO TABLE \`$ch\` CHARACTER SET utf8mb4 FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' ESCAPED BY '' LINES TERMINATED BY '\n' (_op, $my_load_cols, _pos)${my_load_sets:+ SET $my_load_sets}" || return 1 ;;
      *) my_sql "$rdb" "SET time_zone = '+00:00'; LOAD DATA LOCAL INFILE '$f' INTO TABLE \`$ch\` CHARACTER SET utf8mb4 FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' ESCAPED BY '' LINES TERMINATED BY '\n' (_op, $my_load_cols, _pos, _unch)${my_load_sets:+ SET $my_load_sets}" || return 1 ;;
    esac
  done
  keys=",$(my_key_columns "$db" "$t"),"
  while IFS=$'\t' read -r name ctype; do
    cols="$cols${cols:+, }\`$name\`"
    vars="$vars${vars:+, }\`v_$name\`"
    decls="$decls DECLARE \`v_$name\` $ctype;"
    sets="$sets${sets:+, }\`$name\` = \`v_$name\`"
    if [ "$keys" == ",," ] || [[ "$keys" == *",$name,"* ]]; then
      match="$match${match:+ AND }\`$name\` <=> \`v_$name\`"
    fi
  done < <(my_sql information_schema "SELECT COLUMN_NAME, COLUMN_TYPE FROM COLUMNS WHERE TABLE_SCHEMA = '$db' AND TABLE_NAME = '$t' ORDER BY ORDINAL_POSITION")
  local insert=""
  [ "$keys" != ",," ] && insert="IF EXISTS (SELECT 1 FROM \`$t\` WHERE $match) THEN
        SET r__msg = CONCAT('an insert of an existing key at ', r__pos); SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = r__msg;
      END IF;"
  local update="SET r__msg = CONCAT('an update of a table without a primary key at ', r__pos); SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = r__msg;"
  [ "$keys" != ",," ] && update="IF NOT EXISTS (SELECT 1 FROM \`$t\` WHERE $match) THEN
        SET r__msg = CONCAT('an update of a missing row at ', r__pos); SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = r__msg;
      END IF;
      UPDATE \`$t\` SET $sets WHERE $match;"
  # Full-load rows (row index 0) go in at once; then the changes one by one.
  mariadb --no-defaults -S "$LOGTAP_MYSQL_SOCKET" -ulogtap -D "$rdb" <<SQL || return 1
    SET sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE';
    DROP PROCEDURE IF EXISTS \`_replay_$t\`;
    DELIMITER //
    CREATE PROCEDURE \`_replay_$t\`()
    BEGIN
      DECLARE done int DEFAULT 0;
      DECLARE r__op char(1); DECLARE r__pos varchar(40); DECLARE r__unch text; DECLARE r__msg varchar(300);
      $decls
      DECLARE c CURSOR FOR SELECT _op, _pos, _unch, $cols FROM \`$ch\` WHERE RIGHT(_pos, 11) <> ':0000000000'
        AND _pos > COALESCE((SELECT MIN(_pos) FROM \`$ch\` WHERE RIGHT(_pos, 11) = ':0000000000'), '') ORDER BY _pos;
      DECLARE CONTINUE HANDLER FOR NOT FOUND SET done = 1;
      IF EXISTS (SELECT 1 FROM \`$ch\` WHERE RIGHT(_pos, 11) = ':0000000000' AND NOT _op <=> 'I') THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'a full-load row that is not an insert';
      END IF;
      INSERT INTO \`$t\` ($cols) SELECT $cols FROM \`$ch\` WHERE RIGHT(_pos, 11) = ':0000000000';
      OPEN c;
      l: LOOP
        FETCH c INTO r__op, r__pos, r__unch, $vars;
        IF done THEN LEAVE l; END IF;
        IF r__unch <> '' THEN
          SET r__msg = CONCAT('unchanged columns (', r__unch, ') at ', r__pos); SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = r__msg;
        END IF;
        IF r__op = 'I' THEN
          $insert
          INSERT INTO \`$t\` ($cols) VALUES ($vars);
        ELSEIF r__op = 'U' THEN
          $update
        ELSEIF r__op = 'D' THEN
          IF NOT EXISTS (SELECT 1 FROM \`$t\` WHERE $match) THEN
            SET r__msg = CONCAT('a delete of a missing row at ', r__pos); SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = r__msg;
          END IF;
          DELETE FROM \`$t\` WHERE $match LIMIT 1;
        ELSE
          SET r__msg = CONCAT('op ', COALESCE(r__op, 'NULL'), ' at ', r__pos); SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = r__msg;
        END IF;
      END LOOP;
      CLOSE c;
    END//
SQL
  my_sql "$rdb" "SET foreign_key_checks = 0, time_zone = '+00:00'; CALL \`_replay_$t\`()" || return 1
}

my_replay_dup_positions() { # my_replay_dup_positions RDB T
  my_sql "$1" "SELECT COUNT(*) FROM (SELECT _pos FROM \`_ch_$2\` WHERE RIGHT(_pos, 11) <> ':0000000000'
    AND _pos > COALESCE((SELECT MIN(_pos) FROM \`_ch_$2\` WHERE RIGHT(_pos, 11) = ':0000000000'), '') GROUP BY _pos HAVING COUNT(*) > 1) d"
}
