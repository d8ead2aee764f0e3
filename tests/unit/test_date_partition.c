/* Tests of date partition folders and zone times (agent/date_partition.c) and of table folders below the target
 * root with BucketFolder (agent/target_root.c): every DatePartitionSequence x DatePartitionDelimiter, zones east
 * and west of UTC across a date line, DST changes both ways (a repeated hour and a skipped one), and zone names
 * refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/config.h"
#include "agent/date_partition.h"
#include "agent/target_root.h"
#include "tests/unit/unit.h"

static struct lt_error err;

/* Milliseconds since 1970 of a UTC time. */
static int64_t utc_ms(int y, int mo, int d, int h, int mi, int s, int ms)
{
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_sec = s};
    return (int64_t)timegm(&tm) * 1000 + ms;
}

static void test_every_sequence_and_delimiter(void)
{
    static const char *const expect[5][4] = {
        /* SLASH, UNDERSCORE, DASH, NONE */
        {"2024/01/31", "2024_01_31", "2024-01-31", "20240131"},             /* YYYYMMDD */
        {"2024/01/31/09", "2024_01_31_09", "2024-01-31-09", "2024013109"}, /* YYYYMMDDHH */
        {"2024/01", "2024_01", "2024-01", "202401"},                       /* YYYYMM */
        {"01/2024/31", "01_2024_31", "01-2024-31", "01202431"},             /* MMYYYYDD */
        {"31/01/2024", "31_01_2024", "31-01-2024", "31012024"},             /* DDMMYYYY */
    };
    int64_t t = utc_ms(2024, 1, 31, 9, 59, 59, 999);
    char out[32];
    for (int seq = 0; seq < 5; seq++)
        for (int d = 0; d < 4; d++) {
            lt_date_partition_folder((enum lt_date_sequence)seq, (enum lt_date_delimiter)d, t, out, sizeof out);
            if (!CHECK_STR(out, expect[seq][d]))
                fprintf(stderr, "  sequence %d, delimiter %d\n", seq, d);
        }
    /* before 1970 and at the turn of a year */
    lt_date_partition_folder(LT_DATESEQ_YYYYMMDDHH, LT_DATEDELIM_SLASH, utc_ms(1969, 12, 31, 23, 0, 0, 500), out,
                             sizeof out);
    CHECK_STR(out, "1969/12/31/23");
    lt_date_partition_folder(LT_DATESEQ_YYYYMMDD, LT_DATEDELIM_DASH, utc_ms(2025, 1, 1, 0, 0, 0, 0) - 1, out, sizeof out);
    CHECK_STR(out, "2024-12-31");
}

static int64_t wall(const char *zone, int64_t ms)
{
    int64_t w = 0;
    if (!CHECK_INT(lt_zone_wall_ms(zone, ms, &w, &err), LT_OK))
        fprintf(stderr, "  %s\n", err.msg);
    return w;
}

static void folder_in(const char *zone, int64_t ms, enum lt_date_sequence seq, char out[32])
{
    lt_date_partition_folder(seq, LT_DATEDELIM_SLASH, wall(zone, ms), out, 32);
}

static void test_zones(void)
{
    char out[32];
    /* UTC: no zone set at all */
    CHECK_INT(lt_zone_activate(NULL, &err), LT_OK);
    CHECK_INT(wall(NULL, 1234), 1234);
    CHECK_INT(wall("UTC", 1234), 1234);
    /* Asia/Seoul, UTC+9 without DST: 20:00Z on the 31st is 05:00 on Feb 1st */
    CHECK_INT(lt_zone_activate("Asia/Seoul", &err), LT_OK);
    int64_t t = utc_ms(2024, 1, 31, 20, 0, 0, 7);
    CHECK_INT(wall("Asia/Seoul", t), t + 9 * 3600 * 1000);
    folder_in("Asia/Seoul", t, LT_DATESEQ_YYYYMMDDHH, out);
    CHECK_STR(out, "2024/02/01/05");
    /* the zone must be the active one: a second zone in one process is an error, not a silent UTC */
    int64_t w;
    CHECK_INT(lt_zone_wall_ms("Europe/Paris", t, &w, &err), LT_ERR_RUNTIME);
    CHECK(strstr(err.msg, "Europe/Paris") != NULL);
    /* America/Los_Angeles (UTC-8 in winter): 03:00Z on Feb 1st is still Jan 31st */
    CHECK_INT(lt_zone_activate("America/Los_Angeles", &err), LT_OK);
    folder_in("America/Los_Angeles", utc_ms(2024, 2, 1, 3, 0, 0, 0), LT_DATESEQ_YYYYMMDD, out);
    CHECK_STR(out, "2024/01/31");
    CHECK_INT(lt_zone_activate("UTC", &err), LT_OK);
}

static void test_dst(void)
{
    char out[32];
    /* America/New_York, 2024-11-03: 01:00-02:00 happens twice (EDT, UTC-4, then EST, UTC-5) */
    CHECK_INT(lt_zone_activate("America/New_York", &err), LT_OK);
    int64_t edt = utc_ms(2024, 11, 3, 5, 30, 0, 0), est = utc_ms(2024, 11, 3, 6, 30, 0, 0);
    CHECK_INT(wall("America/New_York", edt), utc_ms(2024, 11, 3, 1, 30, 0, 0));
    CHECK_INT(wall("America/New_York", est), utc_ms(2024, 11, 3, 1, 30, 0, 0)); /* the same wall clock */
    folder_in("America/New_York", edt, LT_DATESEQ_YYYYMMDDHH, out);
    CHECK_STR(out, "2024/11/03/01");
    folder_in("America/New_York", est, LT_DATESEQ_YYYYMMDDHH, out);
    CHECK_STR(out, "2024/11/03/01");
    /* summer: UTC-4, 02:30Z on July 4th is July 3rd 22:30 */
    folder_in("America/New_York", utc_ms(2024, 7, 4, 2, 30, 0, 0), LT_DATESEQ_YYYYMMDDHH, out);
    CHECK_STR(out, "2024/07/03/22");
    /* Europe/Berlin, 2024-03-31: 02:00 CET jumps to 03:00 CEST, hour 02 never happens */
    CHECK_INT(lt_zone_activate("Europe/Berlin", &err), LT_OK);
    int64_t before = utc_ms(2024, 3, 31, 0, 59, 59, 999), after = before + 1;
    CHECK_INT(wall("Europe/Berlin", before), utc_ms(2024, 3, 31, 1, 59, 59, 999));
    CHECK_INT(wall("Europe/Berlin", after), utc_ms(2024, 3, 31, 3, 0, 0, 0));
    folder_in("Europe/Berlin", after, LT_DATESEQ_YYYYMMDDHH, out);
    CHECK_STR(out, "2024/03/31/03");
    /* the autumn change in Berlin: 00:30Z and 01:30Z on Oct 27th are both 02:30 */
    CHECK_INT(wall("Europe/Berlin", utc_ms(2024, 10, 27, 0, 30, 0, 0)),
              wall("Europe/Berlin", utc_ms(2024, 10, 27, 1, 30, 0, 0)));
    CHECK_INT(lt_zone_activate(NULL, &err), LT_OK);
}

static void test_zone_names(void)
{
    CHECK_INT(lt_zone_check("Europe/Paris", &err), LT_OK);
    CHECK_INT(lt_zone_check("UTC", &err), LT_OK);
    CHECK_INT(lt_zone_check("Etc/GMT+5", &err), LT_OK);
    static const char *const bad[] = {"", "Mars/Olympus", "../zoneinfo/UTC", "/usr/share/zoneinfo/UTC", "Europe/",
                                      "Europe//Paris", "Europe/.hidden", "Europe Paris", "Europe/Paris\n", NULL};
    for (int i = 0; bad[i]; i++) {
        lt_error_clear(&err);
        if (!CHECK_INT(lt_zone_check(bad[i], &err), LT_ERR_CONFIG))
            fprintf(stderr, "  accepted \"%s\"\n", bad[i]);
    }
    CHECK_INT(lt_zone_activate("Mars/Olympus", &err), LT_ERR_CONFIG);
}

static void test_bucket_folder(void)
{
    struct lt_target_config t = {0};
    char out[LT_TABLE_DIR_MAX];
    lt_target_table_dir(&t, "public", "orders", out, sizeof out);
    CHECK_STR(out, "public/orders");
    t.bucket_folder = "raw/shop";
    lt_target_table_dir(&t, "public", "a/b", out, sizeof out);
    CHECK_STR(out, "raw/shop/public/a%2Fb");
    t.bucket_folder = "";
    lt_target_table_dir(&t, "..", "x", out, sizeof out);
    CHECK_STR(out, "%2E./x");
    CHECK_INT(lt_bucket_folder_check("a/b/", &err), LT_OK);
    CHECK_INT(lt_bucket_folder_check("x..y/.z", &err), LT_OK);
    CHECK_INT(lt_bucket_folder_check("a/../b", &err), LT_ERR_CONFIG);
    CHECK_INT(lt_bucket_folder_check("/a", &err), LT_ERR_CONFIG);
    CHECK_INT(lt_bucket_folder_check("a//", &err), LT_OK);
    char *n = lt_bucket_folder_normalize("a/b//");
    CHECK_STR(n, "a/b");
    free(n);
}

int main(void)
{
    RUN(test_every_sequence_and_delimiter);
    RUN(test_zones);
    RUN(test_dst);
    RUN(test_zone_names);
    RUN(test_bucket_folder);
    return unit_report();
}
