/* Date partition folders and the wall-clock time of a zone (see date_partition.h). */
#include "agent/date_partition.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static char active_zone[256]; /* set before threads start; read-only after */

static bool is_utc(const char *zone)
{
    return !zone || !strcasecmp(zone, "UTC") || !strcmp(zone, "Etc/UTC");
}

int lt_zone_check(const char *zone, struct lt_error *err)
{
    size_t n = strlen(zone);
    if (n == 0 || n >= sizeof active_zone - 2)
        return lt_fail(err, LT_ERR_CONFIG, "\"%s\" is not a time zone name", zone);
    bool start = true;
    for (const char *p = zone; *p; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                  c == '-' || c == '+' || (c == '/' && !start);
        if (start && c == '.')
            ok = false; /* no "." or ".." component, no hidden file */
        if (!ok)
            return lt_fail(err, LT_ERR_CONFIG, "\"%s\" is not a time zone name (Area/Location, e.g. Europe/Paris)",
                           zone);
        start = c == '/';
    }
    if (start)
        return lt_fail(err, LT_ERR_CONFIG, "\"%s\" is not a time zone name", zone);
    if (is_utc(zone))
        return LT_OK;
    const char *dir = getenv("TZDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", zone);
    FILE *f = fopen(path, "rb");
    char magic[4] = {0};
    bool tzif = f && fread(magic, 1, 4, f) == 4 && memcmp(magic, "TZif", 4) == 0;
    if (f)
        fclose(f);
    if (!tzif)
        return lt_fail(err, LT_ERR_CONFIG,
                       "\"%s\" is not a time zone of this machine's tz database (%s): give an Area/Location name "
                       "such as Europe/Paris, or install tzdata",
                       zone, dir && *dir ? dir : "/usr/share/zoneinfo");
    return LT_OK;
}

int lt_zone_activate(const char *zone, struct lt_error *err)
{
    if (is_utc(zone)) {
        active_zone[0] = '\0';
        return LT_OK;
    }
    if (lt_zone_check(zone, err))
        return err->code;
    char tz[sizeof active_zone + 1];
    snprintf(tz, sizeof tz, ":%s", zone);
    if (setenv("TZ", tz, 1) != 0)
        return lt_fail(err, LT_ERR_RUNTIME, "cannot set the time zone %s", zone);
    tzset();
    snprintf(active_zone, sizeof active_zone, "%s", zone);
    return LT_OK;
}

int lt_zone_wall_ms(const char *zone, int64_t utc_ms, int64_t *wall_ms, struct lt_error *err)
{
    if (is_utc(zone)) {
        *wall_ms = utc_ms;
        return LT_OK;
    }
    if (strcmp(zone, active_zone) != 0)
        return lt_fail(err, LT_ERR_RUNTIME, "internal: time zone %s is not the active one (%s)", zone,
                       active_zone[0] ? active_zone : "UTC");
    int64_t ms = utc_ms % 1000;
    int64_t secs = utc_ms / 1000;
    if (ms < 0) {
        ms += 1000;
        secs -= 1;
    }
    time_t t = (time_t)secs;
    struct tm tm;
    if (!localtime_r(&t, &tm))
        return lt_fail(err, LT_ERR_RUNTIME, "cannot convert a time to %s", zone);
    *wall_ms = (secs + tm.tm_gmtoff) * 1000 + ms;
    return LT_OK;
}

void lt_date_partition_folder(enum lt_date_sequence seq, enum lt_date_delimiter delim, int64_t wall_ms, char *out,
                              size_t outlen)
{
    int64_t secs = wall_ms / 1000 - (wall_ms % 1000 < 0);
    time_t t = (time_t)secs;
    struct tm tm;
    gmtime_r(&t, &tm);
    char y[16], m[8], d[8], h[8];
    snprintf(y, sizeof y, "%04d", tm.tm_year + 1900);
    snprintf(m, sizeof m, "%02d", tm.tm_mon + 1);
    snprintf(d, sizeof d, "%02d", tm.tm_mday);
    snprintf(h, sizeof h, "%02d", tm.tm_hour);
    const char *sep = delim == LT_DATEDELIM_SLASH ? "/" : delim == LT_DATEDELIM_UNDERSCORE ? "_"
                    : delim == LT_DATEDELIM_DASH ? "-" : "";
    switch (seq) {
    case LT_DATESEQ_YYYYMMDD: snprintf(out, outlen, "%s%s%s%s%s", y, sep, m, sep, d); break;
    case LT_DATESEQ_YYYYMMDDHH: snprintf(out, outlen, "%s%s%s%s%s%s%s", y, sep, m, sep, d, sep, h); break;
    case LT_DATESEQ_YYYYMM: snprintf(out, outlen, "%s%s%s", y, sep, m); break;
    case LT_DATESEQ_MMYYYYDD: snprintf(out, outlen, "%s%s%s%s%s", m, sep, y, sep, d); break;
    case LT_DATESEQ_DDMMYYYY: snprintf(out, outlen, "%s%s%s%s%s", d, sep, m, sep, y); break;
    }
}

const char *lt_date_partition_zone(const struct lt_target_config *t)
{
    return t->date_partition_enabled ? t->date_partition_timezone : NULL;
}
