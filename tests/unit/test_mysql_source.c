/* Unit tests for the MySQL source's position and checkpoint strings (sources/mysql/mysql_internal.h): fixed-width
 * positions whose byte order is the change order, and "file:position" checkpoints, including malformed ones; and
 * the binlog distance behind `status`'s lag. */
#include <stdio.h>
#include <string.h>

#include "sources/mysql/mysql_internal.h"
#include "tests/unit/unit.h"

static void test_positions_are_fixed_width_and_ordered(void)
{
    char a[LT_POS_MAX + 1], b[LT_POS_MAX + 1], c[LT_POS_MAX + 1], d[LT_POS_MAX + 1];
    lt_my_format_pos(3, 1234, 0, a);
    CHECK_STR(a, "0000000003:000000001234:0000000000");
    lt_my_format_pos(3, 1234, 1, b);
    lt_my_format_pos(3, 99999, 2, c);
    lt_my_format_pos(4, 4, 1, d);
    CHECK(strlen(a) == strlen(d) && strlen(a) <= LT_POS_MAX);
    CHECK(strcmp(a, b) < 0); /* a full-load row sorts before the snapshot's changes */
    CHECK(strcmp(b, c) < 0);
    CHECK(strcmp(c, d) < 0); /* the next binlog file comes after */
    char big[LT_POS_MAX + 1];
    lt_my_format_pos(4294967295u, 4294967295ull, 4294967295u, big);
    CHECK_INT(strlen(big), strlen(a));
}

static void test_checkpoints(void)
{
    char cp[LT_CHECKPOINT_MAX], file[MY_FILE_MAX];
    uint64_t pos = 0;
    lt_my_format_checkpoint("mysql-bin.000003", 1234, cp);
    CHECK_STR(cp, "mysql-bin.000003:1234");
    CHECK(lt_my_parse_checkpoint(cp, file, &pos));
    CHECK_STR(file, "mysql-bin.000003");
    CHECK_INT(pos, 1234);
    CHECK(lt_my_parse_checkpoint("dir:with:colons.000001:4", file, &pos));
    CHECK_STR(file, "dir:with:colons.000001");
    CHECK_INT(pos, 4);
    CHECK(!lt_my_parse_checkpoint("mysql-bin.000003", file, &pos));
    CHECK(!lt_my_parse_checkpoint(":12", file, &pos));
    CHECK(!lt_my_parse_checkpoint("f:", file, &pos));
    CHECK(!lt_my_parse_checkpoint("f:12x", file, &pos));
    CHECK(!lt_my_parse_checkpoint("f:-1", file, &pos));
    CHECK(!lt_my_parse_checkpoint("f:99999999999999999999999", file, &pos));
    CHECK(!lt_my_parse_checkpoint(NULL, file, &pos));
    CHECK(!lt_my_parse_checkpoint("0/16B3748", file, &pos)); /* a PostgreSQL LSN */
    char longname[400];
    memset(longname, 'a', sizeof longname - 3);
    snprintf(longname + sizeof longname - 3, 3, ":1");
    CHECK(!lt_my_parse_checkpoint(longname, file, &pos));
}

static void test_file_index(void)
{
    CHECK_INT(lt_my_file_index("mysql-bin.000003"), 3);
    CHECK_INT(lt_my_file_index("/var/log/my.sql-bin.1000000"), 1000000);
    CHECK_INT(lt_my_file_index("nodot"), 0);
}

static void test_binlog_distance(void)
{
    const struct lt_my_binlog_file files[] = {
        {"mysql-bin.000007", 5000}, {"mysql-bin.000008", 1000}, {"mysql-bin.000009", 700}, {"mysql-bin.000010", 400},
    };
    int64_t b = -1;
    /* one file: the difference (never negative), no listing needed */
    CHECK_INT(lt_my_binlog_distance(NULL, 0, "mysql-bin.000003", 100, "mysql-bin.000003", 350, &b), LT_OK);
    CHECK_INT(b, 250);
    CHECK_INT(lt_my_binlog_distance(NULL, 0, "mysql-bin.000003", 350, "mysql-bin.000003", 100, &b), LT_OK);
    CHECK_INT(b, 0);
    /* next file: the rest of the first, then the position in the second */
    CHECK_INT(lt_my_binlog_distance(files, 4, "mysql-bin.000007", 4500, "mysql-bin.000008", 300, &b), LT_OK);
    CHECK_INT(b, 500 + 300);
    /* files in between count whole */
    CHECK_INT(lt_my_binlog_distance(files, 4, "mysql-bin.000007", 4500, "mysql-bin.000010", 256, &b), LT_OK);
    CHECK_INT(b, 500 + 1000 + 700 + 256);
    /* a checkpoint at the very end of its file */
    CHECK_INT(lt_my_binlog_distance(files, 4, "mysql-bin.000009", 700, "mysql-bin.000010", 4, &b), LT_OK);
    CHECK_INT(b, 4);
    /* purged, unknown, or the wrong way round: not measurable */
    CHECK(lt_my_binlog_distance(files, 4, "mysql-bin.000006", 10, "mysql-bin.000008", 300, &b) != LT_OK);
    CHECK(lt_my_binlog_distance(files, 4, "mysql-bin.000009", 10, "mysql-bin.000008", 300, &b) != LT_OK);
    CHECK(lt_my_binlog_distance(files, 4, "mysql-bin.000009", 10, "other.000011", 300, &b) != LT_OK);
    CHECK(lt_my_binlog_distance(files, 0, "mysql-bin.000009", 10, "mysql-bin.000010", 300, &b) != LT_OK);
}

int main(void)
{
    RUN(test_positions_are_fixed_width_and_ordered);
    RUN(test_checkpoints);
    RUN(test_file_index);
    RUN(test_binlog_distance);
    return unit_report();
}
