/* Unit tests for the MySQL source's positions and checkpoints (sources/mysql/mysql_position.c, pure: no server):
 * fixed-width positions whose byte order is the change order, "file:position[@gtid]" checkpoints (including
 * malformed ones), MariaDB GTID positions, the binlog distance behind `status`'s lag, and the source's position
 * operations as the agent reaches them (lt_mysql_source): checkpoints checked and compared, the bound of a
 * checkpoint (rows of the transactions ended at or before it, and full-load rows of a snapshot exactly there),
 * positions back to checkpoints, round trips, garbage, file index and position overflow, GTID suffixes. */
#include <stdio.h>
#include <string.h>

#include "sources/mysql/mysql_position.h"
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
    uint32_t i = 7;
    CHECK(lt_my_file_index_parse("mysql-bin.4294967295", &i));
    CHECK(i == 4294967295u);
    CHECK(lt_my_file_index_parse("a.b.0", &i));
    CHECK_INT(i, 0);
    const char *bad[] = {"mysql-bin.4294967296", "mysql-bin.99999999999", "mysql-bin.", "mysql-bin", "bin.12x",
                         "bin.-1", "bin.+1", "bin. 1", "", "bin.1.", "bin.00000000001"};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        i = 7;
        if (!CHECK(!lt_my_file_index_parse(bad[k], &i)))
            printf("    accepted: %s\n", bad[k]);
        CHECK_INT(i, 7);
    }
    CHECK(!lt_my_file_index_parse(NULL, &i));
    CHECK_INT(lt_my_file_index("mysql-bin.4294967296"), 0); /* an index that does not fit is no index */
}

static void test_parse_pos(void)
{
    uint32_t f = 0, r = 0;
    uint64_t e = 0;
    char pos[LT_POS_MAX + 1];
    CHECK(lt_my_parse_pos("0000000003:000000001234:0000000001", &f, &e, &r));
    CHECK(f == 3 && e == 1234 && r == 1);
    CHECK(lt_my_parse_pos("4294967295:999999999999:4294967295", &f, &e, &r));
    CHECK(f == 4294967295u && e == 999999999999ull && r == 4294967295u);
    lt_my_format_pos(f, e, r, pos);
    CHECK_STR(pos, "4294967295:999999999999:4294967295");
    const char *bad[] = {"", "0000000003:000000001234:000000001", "0000000003:000000001234:00000000001",
                         "4294967296:000000001234:0000000001", "0000000003:000000001234:4294967296",
                         "0000000003-000000001234:0000000001", "000000000x:000000001234:0000000001",
                         "mysql-bin.000003:1234", "00000000/016B3748:00000000000000000001",
                         " 000000003:000000001234:0000000001"};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++)
        if (!CHECK(!lt_my_parse_pos(bad[k], &f, &e, &r)))
            printf("    accepted: %s\n", bad[k]);
    CHECK(!lt_my_parse_pos(NULL, &f, &e, &r));
}

static const struct logtap_source_ops *my = &lt_mysql_source;

static void test_ops_checkpoint_check(void)
{
    CHECK(my->checkpoint_check == lt_my_checkpoint_check && my->checkpoint_compare == lt_my_checkpoint_compare &&
          my->position_bound == lt_my_position_bound && my->position_checkpoint == lt_my_position_checkpoint);
    char out[LT_CHECKPOINT_MAX];
    struct lt_error err = {0};
    CHECK_INT(my->checkpoint_check("mysql-bin.000003:1234", out, &err), LT_OK);
    CHECK_STR(out, "mysql-bin.000003:1234");
    CHECK_INT(my->checkpoint_check("mysql-bin.000003:1234@0-1-42,7-2-9", out, &err), LT_OK);
    CHECK_STR(out, "mysql-bin.000003:1234@0-1-42,7-2-9");
    CHECK_INT(my->checkpoint_check("mysql-bin.000003:1234@", out, &err), LT_OK); /* empty GTID position */
    CHECK_STR(out, "mysql-bin.000003:1234");
    CHECK_INT(my->checkpoint_check("mysql-bin.000003:0001234", out, &err), LT_OK);
    CHECK_STR(out, "mysql-bin.000003:1234");
    CHECK_INT(my->checkpoint_check("mysql-bin.4294967295:999999999999", out, &err), LT_OK);
    CHECK_INT(my->checkpoint_check("logs@host.000002:77", out, &err), LT_OK);
    CHECK_INT(my->checkpoint_check("/var/lib/mysql/mysql-bin.000002:4", NULL, &err), LT_OK);
    const char *bad[] = {"", "garbage", "yesterday", "now", "0/0", "0/16B3748", "mysql-bin.000003",
                         "mysql-bin.000003:", ":1234", "mysql-bin.000003:12x", "mysql-bin.000003:-1",
                         "mysql-bin.000003: 1", "mysql-bin:1234", "mysql-bin.:1234", "mysql-bin.00000x:1234",
                         "mysql-bin.4294967296:4" /* file index overflow */,
                         "mysql-bin.000003:1000000000000" /* position overflow */,
                         "mysql-bin.000003:99999999999999999999999", "mysql-bin.000003:12@x",
                         "mysql-bin.000003:12@0-1", "mysql-bin.000003@0-1-2", "12:00:00", "2024-01-31T12:00:00Z",
                         "0000000003:000000001234:0000000001" /* a _logtap_pos is not a checkpoint */};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        memset(&err, 0, sizeof err);
        if (!CHECK_INT(my->checkpoint_check(bad[k], out, &err), LT_ERR_CONFIG))
            printf("    accepted: \"%s\"\n", bad[k]);
        CHECK_INT(err.code, LT_ERR_CONFIG);
        CHECK(err.msg[0] != '\0');
    }
    CHECK_INT(my->checkpoint_check(NULL, out, &err), LT_ERR_CONFIG);
    CHECK(strstr(err.msg, "mysql-bin.000003:1234") != NULL); /* the message shows the form wanted */
    CHECK_INT(my->checkpoint_check("mysql-bin.4294967296:4", out, &err), LT_ERR_CONFIG);
    CHECK(strstr(err.msg, "not a binlog file name") != NULL);
    CHECK_INT(my->checkpoint_check("mysql-bin.000003:1000000000000", out, &err), LT_ERR_CONFIG);
    CHECK(strstr(err.msg, "out of range") != NULL);
    CHECK_INT(my->checkpoint_check("x", out, NULL), LT_ERR_CONFIG); /* err may be NULL */
}

static void test_ops_compare(void)
{
    struct lt_error err = {0};
    int cmp = 99;
    CHECK_INT(my->checkpoint_compare("mysql-bin.000003:1234", "mysql-bin.000003:1234@0-1-9", &cmp, &err), LT_OK);
    CHECK_INT(cmp, 0); /* the GTID part does not take part */
    CHECK_INT(my->checkpoint_compare("mysql-bin.000003:999", "mysql-bin.000003:1234", &cmp, &err), LT_OK);
    CHECK(cmp < 0); /* by number, not as text */
    CHECK_INT(my->checkpoint_compare("mysql-bin.000004:4", "mysql-bin.000003:99999", &cmp, &err), LT_OK);
    CHECK(cmp > 0); /* the next file is later */
    CHECK_INT(my->checkpoint_compare("mysql-bin.999999:4", "mysql-bin.1000000:4", &cmp, &err), LT_OK);
    CHECK(cmp < 0); /* by index, not by name */
    CHECK_INT(my->checkpoint_compare("mysql-bin.000001:4", "0/0", &cmp, &err), LT_ERR_CONFIG);
    CHECK_INT(my->checkpoint_compare("junk", "mysql-bin.000001:4", &cmp, &err), LT_ERR_CONFIG);
}

static void test_ops_bound(void)
{
    char pos[LT_POS_MAX + 1], row[LT_POS_MAX + 1];
    struct lt_error err = {0};
    /* file:P includes the transactions that ended at or before P: their rows are at events before P */
    CHECK_INT(my->position_bound("mysql-bin.000001:1637", pos, &err), LT_OK);
    CHECK_STR(pos, "0000000001:000000001637:0000000000");
    lt_my_format_pos(1, 1636, 4294967295u, row); /* the last row of an event just before P */
    CHECK(strcmp(row, pos) < 0);
    lt_my_format_pos(1, 1637, 0, row); /* a full load whose snapshot was taken at exactly file:P */
    CHECK(strcmp(row, pos) == 0);
    lt_my_format_pos(1, 1637, 1, row); /* a rows event starting at P belongs to a later transaction */
    CHECK(strcmp(row, pos) > 0);
    lt_my_format_pos(0, 999999999999ull, 9, row); /* an earlier file */
    CHECK(strcmp(row, pos) < 0);
    lt_my_format_pos(2, 4, 1, row); /* the next file */
    CHECK(strcmp(row, pos) > 0);
    /* a GTID suffix: the file position decides */
    CHECK_INT(my->position_bound("mysql-bin.000001:1637@0-1-42", pos, &err), LT_OK);
    CHECK_STR(pos, "0000000001:000000001637:0000000000");
    /* the edges */
    CHECK_INT(my->position_bound("mysql-bin.000000:0", pos, &err), LT_OK);
    CHECK_STR(pos, "0000000000:000000000000:0000000000");
    CHECK_INT(my->position_bound("mysql-bin.4294967295:999999999999", pos, &err), LT_OK);
    CHECK_STR(pos, "4294967295:999999999999:0000000000");
    CHECK_INT(my->position_bound("mysql-bin.4294967296:4", pos, &err), LT_ERR_CONFIG);
    CHECK_INT(my->position_bound("mysql-bin.000001:1000000000000", pos, &err), LT_ERR_CONFIG);
    /* a _logtap_pos stands for itself */
    CHECK_INT(my->position_bound("0000000003:000000001234:0000000002", pos, &err), LT_OK);
    CHECK_STR(pos, "0000000003:000000001234:0000000002");
    /* garbage, and the other engine's forms */
    const char *bad[] = {"", "yesterday", "now", "12:00:00", "0/0", "0/16B3748", "00000000/016B3748:00000000000000000001",
                         "0000000003:000000001234:000000002", "mysql-bin.000001", "mysql-bin.000001:16x7",
                         "2024-01-31"};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        memset(&err, 0, sizeof err);
        if (!CHECK_INT(my->position_bound(bad[k], pos, &err), LT_ERR_CONFIG))
            printf("    accepted: \"%s\" as %s\n", bad[k], pos);
        CHECK(err.msg[0] != '\0');
    }
    CHECK_INT(my->position_bound("yesterday", pos, &err), LT_ERR_CONFIG);
    CHECK(strstr(err.msg, "mysql-bin.000003:1234") != NULL && strstr(err.msg, "_logtap_pos") != NULL);
    CHECK_INT(my->position_bound(NULL, pos, &err), LT_ERR_CONFIG);
}

static void test_ops_position_checkpoint(void)
{
    char cp[LT_CHECKPOINT_MAX], pos[LT_POS_MAX + 1];
    struct lt_error err = {0};
    const char *ref = "mysql-bin.000003:1234@0-1-42";
    /* a full-load row: the snapshot's own position */
    CHECK_INT(my->position_checkpoint("0000000003:000000001234:0000000000", ref, cp, &err), LT_OK);
    CHECK_STR(cp, "mysql-bin.000003:1234");
    /* a change of the event at P: the first point including it is P + 1 */
    CHECK_INT(my->position_checkpoint("0000000002:000000000777:0000000005", ref, cp, &err), LT_OK);
    CHECK_STR(cp, "mysql-bin.000002:778");
    /* named like the reference, with as many digits as the index needs */
    CHECK_INT(my->position_checkpoint("0001000000:000000000004:0000000001", ref, cp, &err), LT_OK);
    CHECK_STR(cp, "mysql-bin.1000000:5");
    CHECK_INT(my->position_checkpoint("0000000007:000000000004:0000000000", "/data/binlog.7:4", cp, &err), LT_OK);
    CHECK_STR(cp, "/data/binlog.7:4");
    /* no reference: no file name to give */
    CHECK(my->position_checkpoint("0000000003:000000001234:0000000000", NULL, cp, &err) != LT_OK);
    CHECK(my->position_checkpoint("0000000003:000000001234:0000000000", "", cp, &err) != LT_OK);
    CHECK(my->position_checkpoint("0000000003:000000001234:0000000000", "0/0", cp, &err) != LT_OK);
    /* no checkpoint comes after the last position a checkpoint holds */
    CHECK(my->position_checkpoint("0000000003:999999999999:0000000001", ref, cp, &err) != LT_OK);
    CHECK(my->position_checkpoint("mysql-bin.000003:1234", ref, cp, &err) != LT_OK);
    /* round trips: the checkpoint of a change bounds it, and not the next event's rows */
    const uint32_t files[] = {0, 1, 3, 999999, 1000000, 4294967295u};
    const uint64_t events[] = {0, 4, 1234, 4294967295ull, 999999999998ull};
    const uint32_t rows[] = {0, 1, 2, 4294967295u};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++)
        for (size_t j = 0; j < sizeof events / sizeof *events; j++)
            for (size_t k = 0; k < sizeof rows / sizeof *rows; k++) {
                char change[LT_POS_MAX + 1], next[LT_POS_MAX + 1], canon[LT_CHECKPOINT_MAX];
                lt_my_format_pos(files[i], events[j], rows[k], change);
                lt_my_format_pos(files[i], events[j] + 1, 1, next);
                if (!CHECK_INT(my->position_checkpoint(change, ref, cp, &err), LT_OK) ||
                    !CHECK_INT(my->position_bound(cp, pos, &err), LT_OK))
                    continue;
                if (!CHECK(strcmp(change, pos) <= 0) || !CHECK(strcmp(next, pos) > 0))
                    printf("    %s -> %s -> %s\n", change, cp, pos);
                CHECK_INT(my->checkpoint_check(cp, canon, &err), LT_OK);
                CHECK_STR(canon, cp);
                if (rows[k] == 0) /* a snapshot's position: back to the very same position */
                    CHECK_STR(pos, change);
            }
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
    RUN(test_parse_pos);
    RUN(test_ops_checkpoint_check);
    RUN(test_ops_compare);
    RUN(test_ops_bound);
    RUN(test_ops_position_checkpoint);
    RUN(test_binlog_distance);
    RUN(test_gtid_positions);
    return unit_report();
}
