/* Tests of the command line's times (agent/utc_time.c): the forms --as-of takes (RFC 3339 with Z, PostgreSQL's
 * "+00", a date alone, no offset = UTC), offsets converted to UTC (never misread), impossible dates and times and
 * garbage refused, fractions cut to microseconds, and the one RFC 3339 UTC form status prints, round trips. */
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "agent/utc_time.h"
#include "tests/unit/unit.h"

#define T_2024_01_31_NOON 1706702400LL /* 2024-01-31T12:00:00Z */

static int64_t parse_ok(const char *text)
{
    int64_t us = -1;
    struct lt_error err = {0};
    if (!CHECK_INT(lt_utc_time_parse(text, &us, &err), LT_OK))
        printf("    \"%s\": %s\n", text, err.msg);
    return us;
}

static void test_forms(void)
{
    const int64_t noon = T_2024_01_31_NOON * 1000000;
    CHECK_INT(parse_ok("2024-01-31T12:00:00Z"), noon);
    CHECK_INT(parse_ok("2024-01-31t12:00:00z"), noon);
    CHECK_INT(parse_ok("2024-01-31 12:00:00"), noon); /* no offset: UTC, the zone of every time logtap writes */
    CHECK_INT(parse_ok("2024-01-31 12:00"), noon);
    CHECK_INT(parse_ok("2024-01-31 12:00:00+00"), noon); /* PostgreSQL's timestamptz text */
    CHECK_INT(parse_ok("2024-01-31 12:00:00+00:00"), noon);
    CHECK_INT(parse_ok("2024-01-31 12:00:00-0000"), noon);
    CHECK_INT(parse_ok("2024-01-31 12:00:00.5+00"), noon + 500000);
    CHECK_INT(parse_ok("2024-01-31T12:00:00.123456Z"), noon + 123456);
    CHECK_INT(parse_ok("2024-01-31T12:00:00.000001Z"), noon + 1);
    CHECK_INT(parse_ok("2024-01-31T12:00:00,25Z"), noon + 250000); /* ISO 8601's decimal comma */
    CHECK_INT(parse_ok("2024-01-31T12:00:00.1234569Z"), noon + 123456); /* finer than a microsecond: cut */
    CHECK_INT(parse_ok("2024-01-31"), (T_2024_01_31_NOON - 12 * 3600) * 1000000); /* a date: midnight UTC */
    CHECK_INT(parse_ok("1970-01-01T00:00:00Z"), 0);
    CHECK_INT(parse_ok("1969-12-31T23:59:59.999999Z"), -1);
    CHECK_INT(parse_ok("2024-02-29T00:00:00Z"), 1709164800LL * 1000000); /* leap day */
    CHECK_INT(parse_ok("2000-02-29"), 951782400LL * 1000000);
    CHECK_INT(parse_ok("9999-12-31T23:59:59Z"), 253402300799LL * 1000000);
}

static void test_offsets_converted(void)
{
    const int64_t noon = T_2024_01_31_NOON * 1000000;
    CHECK_INT(parse_ok("2024-01-31T14:00:00+02:00"), noon);
    CHECK_INT(parse_ok("2024-01-31T14:00:00+02"), noon);
    CHECK_INT(parse_ok("2024-01-31T14:00:00+0200"), noon);
    CHECK_INT(parse_ok("2024-01-31T07:00:00-05:00"), noon);
    CHECK_INT(parse_ok("2024-01-31T17:30:00+05:30"), noon);
    CHECK_INT(parse_ok("2024-01-31T17:30:00.25+05:30"), noon + 250000);
    CHECK_INT(parse_ok("2024-02-01T01:00:00+13:00"), noon); /* across a day */
    CHECK_INT(parse_ok("2024-01-30T23:00:00-13:00"), noon);
    CHECK_INT(parse_ok("2024-01-31 14:00:00 +02:00"), noon); /* date(1) puts a space before it */
    CHECK_INT(parse_ok("2024-01-31T12:00:00-00:00"), noon);
}

static void test_refused(void)
{
    const char *bad[] = {"", "yesterday", "now", "12:00", "12:00:00Z", "2024", "2024-01", "2024-1-31", "2024-01-31T",
                         "2024-01-31T12", "2024-01-31T12:0", "2024-01-31T1200", "2024-13-01", "2024-00-10",
                         "2024-01-32", "2023-02-29", "1900-02-29", "2024-04-31", "0000-01-01", "2024-01-31T24:00:00Z",
                         "2024-01-31T12:60:00Z", "2024-01-31T12:00:60Z", "2024-01-31T12:00:00.Z",
                         "2024-01-31T12:00:00+24:00", "2024-01-31T12:00:00+02:60", "2024-01-31T12:00:00+2",
                         "2024-01-31T12:00:00+02:0", "2024-01-31T12:00:00+020", "2024-01-31T12:00:00 CET",
                         "2024-01-31T12:00:00 Europe/Paris", "2024-01-31T12:00:00ZZ", "2024-01-31Z",
                         "2024-01-31x", "2024-01-31T12:00:00Z ", " 2024-01-31", "+2024-01-31", "2024/01/31",
                         "20240131T120000Z", "mysql-bin.000001:1637", "0/16B3748"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int64_t us = 42;
        struct lt_error err = {0};
        if (!CHECK_INT(lt_utc_time_parse(bad[i], &us, &err), LT_ERR_CONFIG))
            printf("    accepted \"%s\" as %lld\n", bad[i], (long long)us);
        CHECK(strstr(err.msg, "2024-01-31T12:00:00Z") != NULL); /* says which forms it takes */
    }
    int64_t us;
    CHECK_INT(lt_utc_time_parse(NULL, &us, NULL), LT_ERR_CONFIG);
}

static void test_looks_like_date(void)
{
    CHECK(lt_utc_time_looks_like_date("2024-01-31"));
    CHECK(lt_utc_time_looks_like_date("2024-13-99 garbage"));
    CHECK(!lt_utc_time_looks_like_date("12:00:00"));
    CHECK(!lt_utc_time_looks_like_date("0/16B3748"));
    CHECK(!lt_utc_time_looks_like_date("mysql-bin.000001:4"));
    CHECK(!lt_utc_time_looks_like_date("20240131"));
    CHECK(!lt_utc_time_looks_like_date(""));
    CHECK(!lt_utc_time_looks_like_date(NULL));
}

static void test_format(void)
{
    char out[LT_UTC_TIME_MAX];
    lt_utc_time_format(T_2024_01_31_NOON * 1000000 + 123456, out);
    CHECK_STR(out, "2024-01-31T12:00:00.123456Z");
    lt_utc_time_format(0, out);
    CHECK_STR(out, "1970-01-01T00:00:00.000000Z");
    lt_utc_time_format(-1, out);
    CHECK_STR(out, "1969-12-31T23:59:59.999999Z");
    lt_utc_time_format(951782400LL * 1000000, out);
    CHECK_STR(out, "2000-02-29T00:00:00.000000Z");
    lt_utc_time_format(253402300799LL * 1000000 + 999999, out);
    CHECK_STR(out, "9999-12-31T23:59:59.999999Z");
    /* round trips, against gmtime too, over a spread of times */
    for (int64_t s = -86400 * 400LL; s < 253402300799LL; s += 7777777 + s / 1000) {
        int64_t us = s * 1000000 + (int64_t)(((uint64_t)s & 0xFFFFF) % 1000000), back = 0;
        lt_utc_time_format(us, out);
        if (!CHECK_INT(lt_utc_time_parse(out, &back, NULL), LT_OK) || !CHECK_INT(back, us))
            break;
        time_t t = (time_t)(us >= 0 ? us / 1000000 : (us - 999999) / 1000000);
        struct tm tm;
        gmtime_r(&t, &tm);
        char want[LT_UTC_TIME_MAX];
        snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                 tm.tm_hour, tm.tm_min, tm.tm_sec);
        if (!CHECK(strncmp(out, want, 19) == 0)) {
            printf("    %s vs %s\n", out, want);
            break;
        }
    }
}

/* The lenient form of file time columns and PostgreSQL's now()::text in a UTC session (the full load's snapshot
 * time, which --as-of TIME is compared with): the "+00" after it must not make it fail. */
static void test_column_form(void)
{
    static const struct {
        const char *text;
        int64_t us;
    } ok[] = {
        {"2024-01-31 12:00:00", T_2024_01_31_NOON * 1000000},
        {"2024-01-31 12:00:00.5", T_2024_01_31_NOON * 1000000 + 500000},
        {"2024-01-31 12:00:00.1234567", T_2024_01_31_NOON * 1000000 + 123456},
        {"2024-01-31 12:00:00.123456+00", T_2024_01_31_NOON * 1000000 + 123456},
        {"2024-01-31 12:00:00+00", T_2024_01_31_NOON * 1000000},
        {"1969-12-31 23:59:59.999999", -1},
    };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        int64_t us = 0;
        CHECK(lt_utc_time_parse_column(ok[i].text, strlen(ok[i].text), &us));
        CHECK_INT(us, ok[i].us);
    }
    int64_t us = 7;
    /* only len bytes are read */
    CHECK(lt_utc_time_parse_column("2024-01-31 12:00:00.9", 19, &us) && us == T_2024_01_31_NOON * 1000000);
    CHECK(!lt_utc_time_parse_column("2024-01-31", 10, &us));
    CHECK(!lt_utc_time_parse_column("garbage", 7, &us));
    CHECK(!lt_utc_time_parse_column("2024-01-31 12:00:00.000000000000000000000000", 44, &us));
}

int main(void)
{
    RUN(test_column_form);
    RUN(test_forms);
    RUN(test_offsets_converted);
    RUN(test_refused);
    RUN(test_looks_like_date);
    RUN(test_format);
    return unit_report();
}
