/* Unit tests for the MySQL source's position and checkpoint strings (sources/mysql/mysql_internal.h): fixed-width
 * positions whose byte order is the change order, and "file:position" checkpoints, including malformed ones. */
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

int main(void)
{
    RUN(test_positions_are_fixed_width_and_ordered);
    RUN(test_checkpoints);
    RUN(test_file_index);
    return unit_report();
}
