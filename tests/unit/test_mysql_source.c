/* Unit tests for the MySQL source's position and checkpoint strings (sources/mysql/mysql_internal.h): fixed-width
 * positions whose byte order is the change order, "file:position[@gtid]" checkpoints (including malformed ones),
 * MariaDB GTID positions, and the binlog distance behind `status`'s lag. */
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
    lt_my_format_checkpoint("mysql-bin.000003", 1234, NULL, cp);
    CHECK_STR(cp, "mysql-bin.000003:1234");
    CHECK(lt_my_parse_checkpoint(cp, file, &pos, NULL));
    CHECK_STR(file, "mysql-bin.000003");
    CHECK_INT(pos, 1234);
    CHECK(lt_my_parse_checkpoint("dir:with:colons.000001:4", file, &pos, NULL));
    CHECK_STR(file, "dir:with:colons.000001");
    CHECK_INT(pos, 4);
    CHECK(!lt_my_parse_checkpoint("mysql-bin.000003", file, &pos, NULL));
    CHECK(!lt_my_parse_checkpoint(":12", file, &pos, NULL));
    CHECK(!lt_my_parse_checkpoint("f:", file, &pos, NULL));
    CHECK(!lt_my_parse_checkpoint("f:12x", file, &pos, NULL));
    CHECK(!lt_my_parse_checkpoint("f:-1", file, &pos, NULL));
    CHECK(!lt_my_parse_checkpoint("f:99999999999999999999999", file, &pos, NULL));
    CHECK(!lt_my_parse_checkpoint(NULL, file, &pos, NULL));
    CHECK(!lt_my_parse_checkpoint("0/16B3748", file, &pos, NULL)); /* a PostgreSQL LSN */
    char longname[400];
    memset(longname, 'a', sizeof longname - 3);
    snprintf(longname + sizeof longname - 3, 3, ":1");
    CHECK(!lt_my_parse_checkpoint(longname, file, &pos, NULL));

    /* with a MariaDB GTID position */
    char gtid[MY_GTID_MAX];
    lt_my_format_checkpoint("mysql-bin.000003", 1234, "", cp);
    CHECK_STR(cp, "mysql-bin.000003:1234");
    lt_my_format_checkpoint("mysql-bin.000003", 1234, "0-1-42,7-2-9", cp);
    CHECK_STR(cp, "mysql-bin.000003:1234@0-1-42,7-2-9");
    CHECK(lt_my_parse_checkpoint(cp, file, &pos, gtid));
    CHECK_STR(file, "mysql-bin.000003");
    CHECK_INT(pos, 1234);
    CHECK_STR(gtid, "0-1-42,7-2-9");
    CHECK(lt_my_parse_checkpoint(cp, file, &pos, NULL)); /* the GTID part may be ignored */
    CHECK_INT(pos, 1234);
    CHECK(lt_my_parse_checkpoint("mysql-bin.000003:1234", file, &pos, gtid));
    CHECK_STR(gtid, "");
    CHECK(lt_my_parse_checkpoint("mysql-bin.000003:1234@", file, &pos, gtid)); /* an empty GTID position */
    CHECK_INT(pos, 1234);
    CHECK_STR(gtid, "");
    /* an '@' that does not start a GTID position belongs to the file name */
    CHECK(lt_my_parse_checkpoint("logs@host.000002:77", file, &pos, gtid));
    CHECK_STR(file, "logs@host.000002");
    CHECK_INT(pos, 77);
    CHECK_STR(gtid, "");
    CHECK(!lt_my_parse_checkpoint("mysql-bin.000003:12@x", file, &pos, gtid));
    CHECK(!lt_my_parse_checkpoint("mysql-bin.000003:@0-1-2", file, &pos, gtid));
    CHECK(!lt_my_parse_checkpoint("mysql-bin.000003@0-1-2", file, &pos, gtid));
}

static void test_gtid_positions(void)
{
    CHECK(lt_my_gtid_valid("", 0));
    CHECK(lt_my_gtid_valid("0-1-1", 5));
    CHECK(lt_my_gtid_valid("0-1-42,1-4294967295-18446744073709551615", 40));
    CHECK(lt_my_gtid_valid("0-1-42,junk", 6)); /* only the first n bytes */
    const char *bad[] = {"0-1", "0-1-", "-1-2", "0-1-2,", ",0-1-2", "0-1-2,,1-1-1", "0-1-2 ", "a-1-2", "0-1-2,0-2-3",
                         "4294967296-1-2", "0-4294967296-2", "0-1-18446744073709551616", "0--1-2", "0-1-2;"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (!CHECK(!lt_my_gtid_valid(bad[i], strlen(bad[i]))))
            printf("    accepted: %s\n", bad[i]);

    char g[MY_GTID_MAX] = "";
    CHECK(lt_my_gtid_set(g, 0, 1, 1));
    CHECK_STR(g, "0-1-1");
    CHECK(lt_my_gtid_set(g, 0, 1, 2)); /* the domain's entry moves on */
    CHECK_STR(g, "0-1-2");
    CHECK(lt_my_gtid_set(g, 5, 3, 10)); /* another domain: sorted by domain */
    CHECK(lt_my_gtid_set(g, 2, 9, 7));
    CHECK_STR(g, "0-1-2,2-9-7,5-3-10");
    CHECK(lt_my_gtid_set(g, 2, 4, 8)); /* a new server in the domain */
    CHECK_STR(g, "0-1-2,2-4-8,5-3-10");
    snprintf(g, sizeof g, "9-1-1,3-1-1"); /* a server's list out of order */
    CHECK(lt_my_gtid_set(g, 3, 1, 2));
    CHECK_STR(g, "3-1-2,9-1-1");
    /* what does not fit is refused and leaves the position as it was */
    g[0] = '\0';
    uint32_t d = 0;
    while (lt_my_gtid_set(g, d, 4294967295u, 18446744073709551615ull))
        d++;
    CHECK(d > 3);
    CHECK(strlen(g) < MY_GTID_MAX);
    char before[MY_GTID_MAX];
    snprintf(before, sizeof before, "%s", g);
    CHECK(!lt_my_gtid_set(g, d, 4294967295u, 18446744073709551615ull));
    CHECK_STR(g, before);
    /* a checkpoint with the longest file name and the longest GTID position fits */
    char longfile[MY_FILE_MAX], cp[LT_CHECKPOINT_MAX], file[MY_FILE_MAX], back[MY_GTID_MAX];
    uint64_t pos;
    memset(longfile, 'f', sizeof longfile - 1);
    longfile[sizeof longfile - 1] = '\0';
    lt_my_format_checkpoint(longfile, 18446744073709551615ull, g, cp);
    CHECK(lt_my_parse_checkpoint(cp, file, &pos, back));
    CHECK_STR(back, g);
    CHECK_STR(file, longfile);
    CHECK_INT(pos, 18446744073709551615ull);
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
    RUN(test_gtid_positions);
    return unit_report();
}
