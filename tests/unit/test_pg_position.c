/* Tests of the PostgreSQL source's position operations (sources/postgres/pg_position.c), reached the way the agent
 * reaches them, through lt_postgres_source: checkpoints (LSNs) checked, made canonical and compared; the bound of a
 * checkpoint (the last change a point includes: commit LSN < L, and full-load rows at L) and of a _logtap_pos;
 * the checkpoint form of a position and round trips; garbage; LSN 0/0 and FFFFFFFF/FFFFFFFF. */
#include <stdint.h>
#include <string.h>

#include "agent/source.h"
#include "sources/postgres/pg_position.h"
#include "sources/postgres/repl_protocol.h"
#include "tests/unit/unit.h"

static const struct logtap_source_ops *pg = &lt_postgres_source;

static void test_ops_are_set(void)
{
    CHECK(pg->checkpoint_check == lt_pg_checkpoint_check);
    CHECK(pg->checkpoint_compare == lt_pg_checkpoint_compare);
    CHECK(pg->position_bound == lt_pg_position_bound);
    CHECK(pg->position_checkpoint == lt_pg_position_checkpoint);
}

static void test_checkpoint_check(void)
{
    char out[LT_CHECKPOINT_MAX];
    struct lt_error err = {0};
    CHECK_INT(pg->checkpoint_check("0/16B3748", out, &err), LT_OK);
    CHECK_STR(out, "0/16B3748");
    CHECK_INT(pg->checkpoint_check("00000000/016b3748", out, &err), LT_OK); /* canonical: as pg_lsn prints it */
    CHECK_STR(out, "0/16B3748");
    CHECK_INT(pg->checkpoint_check("0/0", out, &err), LT_OK);
    CHECK_STR(out, "0/0");
    CHECK_INT(pg->checkpoint_check("FFFFFFFF/FFFFFFFF", out, &err), LT_OK);
    CHECK_STR(out, "FFFFFFFF/FFFFFFFF");
    CHECK_INT(pg->checkpoint_check("1/0", NULL, &err), LT_OK); /* out may be NULL */
    const char *bad[] = {"", "garbage", "yesterday", "0", "/0", "0/", "0/0/0", "1FFFFFFFF/0", "0/1FFFFFFFF", "-1/0",
                         " 0/0", "0/0 ", "0x1/0", "mysql-bin.000001:1637", "2024-01-31T12:00:00Z",
                         "00000000/016B3748:00000000000000000001" /* a _logtap_pos is not a checkpoint */};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        memset(&err, 0, sizeof err);
        if (!CHECK_INT(pg->checkpoint_check(bad[i], out, &err), LT_ERR_CONFIG))
            printf("    accepted: \"%s\"\n", bad[i]);
        CHECK_INT(err.code, LT_ERR_CONFIG);
        CHECK(strstr(err.msg, "0/16B3748") != NULL); /* the message shows the form wanted */
    }
    CHECK_INT(pg->checkpoint_check(NULL, out, &err), LT_ERR_CONFIG);
    CHECK_INT(pg->checkpoint_check("nope", out, NULL), LT_ERR_CONFIG); /* err may be NULL */
}

static void test_checkpoint_compare(void)
{
    struct lt_error err = {0};
    int cmp = 99;
    CHECK_INT(pg->checkpoint_compare("0/16B3748", "0/16B3748", &cmp, &err), LT_OK);
    CHECK_INT(cmp, 0);
    CHECK_INT(pg->checkpoint_compare("0/16b3748", "00000000/016B3748", &cmp, &err), LT_OK); /* by value */
    CHECK_INT(cmp, 0);
    CHECK_INT(pg->checkpoint_compare("0/0", "0/16B3748", &cmp, &err), LT_OK);
    CHECK(cmp < 0);
    CHECK_INT(pg->checkpoint_compare("1/0", "0/FFFFFFFF", &cmp, &err), LT_OK); /* numerically, not as text */
    CHECK(cmp > 0);
    CHECK_INT(pg->checkpoint_compare("0/9", "0/10", &cmp, &err), LT_OK);
    CHECK(cmp < 0);
    CHECK_INT(pg->checkpoint_compare("FFFFFFFF/FFFFFFFF", "FFFFFFFF/FFFFFFFE", &cmp, &err), LT_OK);
    CHECK(cmp > 0);
    CHECK_INT(pg->checkpoint_compare("0/0", "junk", &cmp, &err), LT_ERR_CONFIG);
    CHECK_INT(pg->checkpoint_compare("junk", "0/0", &cmp, &err), LT_ERR_CONFIG);
}

static void test_bound(void)
{
    char pos[LT_POS_MAX + 1], change[LT_POS_MAX + 1];
    struct lt_error err = {0};
    /* a checkpoint L: changes of transactions whose commit LSN is before L, and full-load rows at L */
    CHECK_INT(pg->position_bound("0/16B3748", pos, &err), LT_OK);
    CHECK_STR(pos, "00000000/016B3748:00000000000000000000");
    lt_pg_format_pos(0x16B3748, 0, change); /* a full load whose snapshot is at L */
    CHECK(strcmp(change, pos) <= 0);
    lt_pg_format_pos(0x16B3747, UINT64_MAX, change); /* the last change of a transaction committed just before */
    CHECK(strcmp(change, pos) <= 0);
    lt_pg_format_pos(0x16B3748, 1, change); /* a commit record that starts at L has not ended at L */
    CHECK(strcmp(change, pos) > 0);
    /* the edges */
    CHECK_INT(pg->position_bound("0/0", pos, &err), LT_OK);
    CHECK_STR(pos, "00000000/00000000:00000000000000000000");
    lt_pg_format_pos(0, 1, change);
    CHECK(strcmp(change, pos) > 0);
    CHECK_INT(pg->position_bound("FFFFFFFF/FFFFFFFF", pos, &err), LT_OK);
    CHECK_STR(pos, "FFFFFFFF/FFFFFFFF:00000000000000000000");
    lt_pg_format_pos(UINT64_MAX - 1, UINT64_MAX, change);
    CHECK(strcmp(change, pos) <= 0);
    CHECK_INT(pg->position_bound("1/0", pos, &err), LT_OK);
    CHECK_STR(pos, "00000001/00000000:00000000000000000000");
    CHECK_INT(pg->position_bound("0/ffffffff", pos, &err), LT_OK); /* either case */
    CHECK_STR(pos, "00000000/FFFFFFFF:00000000000000000000");
    /* a _logtap_pos stands for itself: the change at it is the last one included */
    CHECK_INT(pg->position_bound("00000016/B374D848:00000000000000000005", pos, &err), LT_OK);
    CHECK_STR(pos, "00000016/B374D848:00000000000000000005");
    CHECK_INT(pg->position_bound("FFFFFFFF/FFFFFFFF:18446744073709551615", pos, &err), LT_OK);
    CHECK_STR(pos, "FFFFFFFF/FFFFFFFF:18446744073709551615");
    /* garbage, and the other engine's forms */
    const char *bad[] = {"", "yesterday", "now", "12:00", "0/16B3748 ", "00000016/b374d848:00000000000000000005",
                         "00000016/B374D848:0000000000000000005", "00000016/B374D848:18446744073709551616",
                         "00000016/B374D848-00000000000000000005", "mysql-bin.000001:1637",
                         "0000000003:000000001234:0000000001", "2024-01-31"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        memset(&err, 0, sizeof err);
        if (!CHECK_INT(pg->position_bound(bad[i], pos, &err), LT_ERR_CONFIG))
            printf("    accepted: \"%s\" as %s\n", bad[i], pos);
        CHECK(strstr(err.msg, "0/16B3748") != NULL && strstr(err.msg, "_logtap_pos") != NULL);
    }
    CHECK_INT(pg->position_bound(NULL, pos, &err), LT_ERR_CONFIG);
}

static void test_position_checkpoint(void)
{
    char cp[LT_CHECKPOINT_MAX], pos[LT_POS_MAX + 1];
    struct lt_error err = {0};
    /* full-load rows: the snapshot's LSN itself */
    CHECK_INT(pg->position_checkpoint("00000000/016B3748:00000000000000000000", NULL, cp, &err), LT_OK);
    CHECK_STR(cp, "0/16B3748");
    /* a change: the first LSN after its commit record's start */
    CHECK_INT(pg->position_checkpoint("00000000/016B3748:00000000000000000007", "0/1", cp, &err), LT_OK);
    CHECK_STR(cp, "0/16B3749");
    CHECK_INT(pg->position_checkpoint("00000000/FFFFFFFF:00000000000000000001", NULL, cp, &err), LT_OK);
    CHECK_STR(cp, "1/0");
    CHECK_INT(pg->position_checkpoint("FFFFFFFF/FFFFFFFF:00000000000000000000", NULL, cp, &err), LT_OK);
    CHECK_STR(cp, "FFFFFFFF/FFFFFFFF");
    CHECK(pg->position_checkpoint("FFFFFFFF/FFFFFFFF:00000000000000000001", NULL, cp, &err) != LT_OK);
    CHECK(pg->position_checkpoint("0/16B3748", NULL, cp, &err) != LT_OK);
    CHECK(pg->position_checkpoint("", NULL, cp, &err) != LT_OK);
    CHECK(pg->position_checkpoint(NULL, NULL, cp, &err) != LT_OK);
    /* round trip: the bound of a position's checkpoint includes that change and nothing of a later transaction */
    const uint64_t lsns[] = {0, 1, 0x16B3748, 0xFFFFFFFFull, 0x100000000ull, UINT64_MAX - 1};
    const uint64_t seqs[] = {0, 1, 2, 1000, UINT64_MAX};
    for (size_t i = 0; i < sizeof lsns / sizeof *lsns; i++)
        for (size_t j = 0; j < sizeof seqs / sizeof *seqs; j++) {
            char change[LT_POS_MAX + 1], next[LT_POS_MAX + 1];
            lt_pg_format_pos(lsns[i], seqs[j], change);
            lt_pg_format_pos(lsns[i] + 1, 1, next); /* the next transaction's first change */
            if (!CHECK_INT(pg->position_checkpoint(change, NULL, cp, &err), LT_OK) ||
                !CHECK_INT(pg->position_bound(cp, pos, &err), LT_OK))
                continue;
            if (!CHECK(strcmp(change, pos) <= 0) || !CHECK(strcmp(next, pos) > 0))
                printf("    %s -> %s -> %s\n", change, cp, pos);
            /* and a checkpoint round-trips through its canonical text */
            char canon[LT_CHECKPOINT_MAX];
            CHECK_INT(pg->checkpoint_check(cp, canon, &err), LT_OK);
            CHECK_STR(canon, cp);
        }
}

int main(void)
{
    RUN(test_ops_are_set);
    RUN(test_checkpoint_check);
    RUN(test_checkpoint_compare);
    RUN(test_bound);
    RUN(test_position_checkpoint);
    return unit_report();
}
