/* Tests of agent/calendar.c: known dates (the epoch, leap days, 0001-01-01, 9999-12-31, negative years) and a
 * round trip over every day from -4800 to 10000. */
#include "agent/calendar.h"
#include "unit.h"

static void check_date(int64_t y, int m, int d, int64_t days)
{
    CHECK_INT(lt_days_from_civil(y, m, d), days);
    int64_t gy;
    int gm, gd;
    lt_civil_from_days(days, &gy, &gm, &gd);
    CHECK_INT(gy, y);
    CHECK_INT(gm, m);
    CHECK_INT(gd, d);
}

static void test_known_dates(void)
{
    check_date(1970, 1, 1, 0);
    check_date(1969, 12, 31, -1);
    check_date(1970, 3, 1, 59);
    check_date(2000, 2, 29, 11016);
    check_date(2000, 3, 1, 11017);
    check_date(2024, 2, 29, 19782);
    check_date(1900, 3, 1, -25508);  /* 1900 is not a leap year */
    check_date(1, 1, 1, -719162);    /* Parquet's and MySQL's lowest date */
    check_date(9999, 12, 31, 2932896);
    check_date(0, 3, 1, -719468);    /* the start of era 0 */
    check_date(0, 2, 29, -719469);   /* year 0 is a leap year */
    check_date(-1, 12, 31, -719529);
    check_date(-4713, 11, 24, -2440588); /* the Julian day epoch */
}

static void test_leap_years(void)
{
    CHECK(lt_is_leap_year(2000));
    CHECK(lt_is_leap_year(2024));
    CHECK(lt_is_leap_year(0));
    CHECK(lt_is_leap_year(-4));
    CHECK(!lt_is_leap_year(1900));
    CHECK(!lt_is_leap_year(2023));
    CHECK(!lt_is_leap_year(-1));
    CHECK_INT(lt_days_in_month(2024, 2), 29);
    CHECK_INT(lt_days_in_month(2100, 2), 28);
    CHECK_INT(lt_days_in_month(2023, 4), 30);
    CHECK_INT(lt_days_in_month(2023, 12), 31);
}

static void test_round_trip(void)
{
    int64_t days = lt_days_from_civil(-4800, 1, 1);
    bool ok = true;
    for (int64_t y = -4800; y <= 10000 && ok; y++)
        for (int m = 1; m <= 12 && ok; m++)
            for (int d = 1; d <= lt_days_in_month(y, m) && ok; d++, days++) {
                int64_t gy;
                int gm, gd;
                lt_civil_from_days(days, &gy, &gm, &gd);
                ok = lt_days_from_civil(y, m, d) == days && gy == y && gm == m && gd == d;
                if (!ok)
                    fprintf(stderr, "mismatch at %lld-%02d-%02d (day %lld)\n", (long long)y, m, d, (long long)days);
            }
    CHECK(ok);
}

int main(void)
{
    RUN(test_known_dates);
    RUN(test_leap_years);
    RUN(test_round_trip);
    return unit_report();
}
