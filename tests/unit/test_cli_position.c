/* Tests of the command line's points (agent/cli_position.c) for both engines, as `merge --as-of` and
 * `replicate --until` parse them before anything connects: times and positions told apart, a checkpoint becomes
 * its bound, another engine's position is refused saying whose it is, a time without a date and garbage are
 * refused (LT_ERR_CONFIG, exit 2), "now" passes. */
#include <string.h>

#include "agent/cli_position.h"
#include "tests/unit/unit.h"

static const struct logtap_source_ops *pg = &lt_postgres_source, *my = &lt_mysql_source;

static void test_as_of_time(void)
{
    struct lt_as_of a;
    struct lt_error err = {0};
    CHECK_INT(lt_cli_parse_as_of(pg, "2024-01-31T12:00:00Z", &a, &err), LT_OK);
    CHECK_INT(a.time_us, 1706702400LL * 1000000);
    CHECK_STR(a.pos, "");
    CHECK_INT(lt_cli_parse_as_of(my, "2024-01-31 14:00:00.5+02:00", &a, &err), LT_OK);
    CHECK_INT(a.time_us, 1706702400LL * 1000000 + 500000);
    CHECK_INT(lt_cli_parse_as_of(my, "2024-01-31", &a, &err), LT_OK);
    CHECK_INT(a.time_us, (1706702400LL - 12 * 3600) * 1000000);
    /* an impossible time is refused with the time parser's reason */
    CHECK_INT(lt_cli_parse_as_of(pg, "2024-02-30", &a, &err), LT_ERR_CONFIG);
    CHECK(strstr(err.msg, "--as-of") == err.msg && strstr(err.msg, "no such date"));
    CHECK_INT(lt_cli_parse_as_of(pg, "2024-01-31T12:00:00 CET", &a, &err), LT_ERR_CONFIG);
    /* a time without a date */
    CHECK_INT(lt_cli_parse_as_of(pg, "12:00", &a, &err), LT_ERR_CONFIG);
    CHECK(strstr(err.msg, "without a date") != NULL);
    CHECK_INT(lt_cli_parse_as_of(my, "12:00:00Z", &a, &err), LT_ERR_CONFIG);
    CHECK(strstr(err.msg, "without a date") != NULL);
}

static void test_as_of_position(void)
{
    struct lt_as_of a;
    struct lt_error err = {0};
    CHECK_INT(lt_cli_parse_as_of(pg, "0/16B3748", &a, &err), LT_OK);
    CHECK_STR(a.pos, "00000000/016B3748:00000000000000000000");
    CHECK_INT(a.time_us, 0);
    CHECK_INT(lt_cli_parse_as_of(pg, "00000000/016B3748:00000000000000000003", &a, &err), LT_OK);
    CHECK_STR(a.pos, "00000000/016B3748:00000000000000000003");
    CHECK_INT(lt_cli_parse_as_of(my, "mysql-bin.000001:1637", &a, &err), LT_OK);
    CHECK_STR(a.pos, "0000000001:000000001637:0000000000");
    CHECK_INT(lt_cli_parse_as_of(my, "mysql-bin.000001:1637@0-1-5", &a, &err), LT_OK);
    CHECK_STR(a.pos, "0000000001:000000001637:0000000000");
    CHECK_INT(lt_cli_parse_as_of(my, "0000000001:000000001637:0000000002", &a, &err), LT_OK);
    CHECK_STR(a.pos, "0000000001:000000001637:0000000002");
    /* a binlog file named like a date is still a position */
    CHECK_INT(lt_cli_parse_as_of(my, "2024-01-31.000001:4", &a, &err), LT_OK);
    CHECK_STR(a.pos, "0000000001:000000000004:0000000000");
    CHECK_INT(a.time_us, 0);
}

static void test_as_of_refused(void)
{
    struct lt_as_of a;
    struct lt_error err = {0};
    CHECK_INT(lt_cli_parse_as_of(pg, "yesterday", &a, &err), LT_ERR_CONFIG);
    CHECK(strstr(err.msg, "yesterday") && strstr(err.msg, "0/16B3748") && strstr(err.msg, "UTC time"));
    CHECK_INT(lt_cli_parse_as_of(my, "yesterday", &a, &err), LT_ERR_CONFIG);
    CHECK(strstr(err.msg, "mysql-bin.000003:1234") && strstr(err.msg, "UTC time"));
    /* the other engine's positions: refused, saying whose they are */
    CHECK_INT(lt_cli_parse_as_of(my, "0/16B3748", &a, &err), LT_ERR_CONFIG);
    CHECK(strstr(err.msg, "that is a postgres position") != NULL);
    CHECK_INT(lt_cli_parse_as_of(pg, "mysql-bin.000001:1637", &a, &err), LT_ERR_CONFIG);
    CHECK(strstr(err.msg, "that is a mysql position") != NULL);
    CHECK_INT(lt_cli_parse_as_of(pg, "0000000001:000000001637:0000000002", &a, &err), LT_ERR_CONFIG);
    CHECK(strstr(err.msg, "that is a mysql position") != NULL);
    CHECK_INT(lt_cli_parse_as_of(my, "00000000/016B3748:00000000000000000003", &a, &err), LT_ERR_CONFIG);
    CHECK(strstr(err.msg, "that is a postgres position") != NULL);
    CHECK_INT(lt_cli_parse_as_of(pg, "", &a, &err), LT_ERR_CONFIG);
    CHECK_INT(lt_cli_parse_as_of(pg, NULL, &a, &err), LT_ERR_CONFIG);
    CHECK_INT(lt_cli_parse_as_of(my, "mysql-bin.000001:1000000000000", &a, &err), LT_ERR_CONFIG);
    CHECK(strstr(err.msg, "out of range") != NULL);
}

static void test_until(void)
{
    char out[LT_CHECKPOINT_MAX];
    struct lt_error err = {0};
    CHECK_INT(lt_cli_parse_until(pg, "now", out, &err), LT_OK);
    CHECK_STR(out, "now");
    CHECK_INT(lt_cli_parse_until(my, "now", out, &err), LT_OK);
    CHECK_STR(out, "now");
    CHECK_INT(lt_cli_parse_until(pg, "0/0", out, &err), LT_OK);
    CHECK_STR(out, "0/0");
    CHECK_INT(lt_cli_parse_until(pg, "0/16b3748", out, &err), LT_OK);
    CHECK_STR(out, "0/16B3748");
    CHECK_INT(lt_cli_parse_until(my, "mysql-bin.000003:1234@0-1-7", out, &err), LT_OK);
    CHECK_STR(out, "mysql-bin.000003:1234@0-1-7");
    CHECK_INT(lt_cli_parse_until(pg, "garbage", out, &err), LT_ERR_CONFIG);
    CHECK(strstr(err.msg, "--until") == err.msg && strstr(err.msg, "now"));
    CHECK_INT(lt_cli_parse_until(my, "garbage", out, &err), LT_ERR_CONFIG);
    CHECK_INT(lt_cli_parse_until(my, "0/0", out, &err), LT_ERR_CONFIG);
    CHECK(strstr(err.msg, "that is a postgres position") != NULL);
    CHECK_INT(lt_cli_parse_until(pg, "mysql-bin.000003:1234", out, &err), LT_ERR_CONFIG);
    CHECK(strstr(err.msg, "that is a mysql position") != NULL);
    CHECK_INT(lt_cli_parse_until(pg, "NOW", out, &err), LT_ERR_CONFIG);
    CHECK_INT(lt_cli_parse_until(pg, "2024-01-31T12:00:00Z", out, &err), LT_ERR_CONFIG); /* a time: not for --until */
    CHECK_INT(lt_cli_parse_until(pg, "", out, &err), LT_ERR_CONFIG);
    CHECK_INT(lt_cli_parse_until(pg, NULL, out, &err), LT_ERR_CONFIG);
}

int main(void)
{
    RUN(test_as_of_time);
    RUN(test_as_of_position);
    RUN(test_as_of_refused);
    RUN(test_until);
    return unit_report();
}
