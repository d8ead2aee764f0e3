/* Strict ISO 8601 / RFC 3339 times to and from microseconds since 1970 UTC (see utc_time.h). */
#include "agent/utc_time.h"
#include "agent/calendar.h"

#include <stdio.h>
#include <string.h>

#define TIME_FORMS "2024-01-31T12:00:00Z, 2024-01-31 12:00:00.5+00, 2024-01-31T14:00:00+02:00 or 2024-01-31"

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Reads exactly n digits at *p. */
static bool digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!is_digit((*p)[i]))
            return false;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return true;
}

bool lt_utc_time_looks_like_date(const char *text)
{
    const char *p = text;
    int v;
    return p && digits(&p, 4, &v) && *p == '-' && is_digit(p[1]);
}

static int bad(struct lt_error *err, const char *text, const char *why)
{
    return lt_fail(err, LT_ERR_CONFIG, "\"%s\" is not a time: %s (give a UTC time like %s)", text, why, TIME_FORMS);
}

int lt_utc_time_parse(const char *text, int64_t *us, struct lt_error *err)
{
    const char *p = text ? text : "";
    int y, mo, d, h = 0, mi = 0, s = 0;
    int64_t frac = 0;
    if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) || *p++ != '-' || !digits(&p, 2, &d))
        return bad(err, text ? text : "", "it does not start with a date YYYY-MM-DD");
    if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > lt_days_in_month(y, mo))
        return bad(err, text, "no such date");
    int64_t offset_s = 0;
    if (*p) {
        if (*p != 'T' && *p != 't' && *p != ' ')
            return bad(err, text, "the date is followed by something other than a time");
        p++;
        if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi))
            return bad(err, text, "the time is not HH:MM[:SS[.fraction]]");
        if (*p == ':') {
            p++;
            if (!digits(&p, 2, &s))
                return bad(err, text, "the seconds are not two digits");
            if (*p == '.' || *p == ',') {
                p++;
                int n = 0;
                for (; is_digit(*p); p++, n++)
                    if (n < 6)
                        frac = frac * 10 + (*p - '0');
                if (n == 0)
                    return bad(err, text, "a decimal point without digits");
                for (; n < 6; n++)
                    frac *= 10;
            }
        }
        if (h > 23 || mi > 59 || s > 59)
            return bad(err, text, "no such time of day");
        if (*p == ' ' && (p[1] == 'Z' || p[1] == 'z' || p[1] == '+' || p[1] == '-'))
            p++; /* "12:00:00 +02:00", as date(1) and some databases print it */
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
            if (!digits(&p, 2, &oh))
                return bad(err, text, "the UTC offset is not +HH, +HHMM or +HH:MM");
            if (*p == ':') {
                p++;
                if (!digits(&p, 2, &om))
                    return bad(err, text, "the UTC offset is not +HH, +HHMM or +HH:MM");
            } else if (is_digit(*p) && !digits(&p, 2, &om)) {
                return bad(err, text, "the UTC offset is not +HH, +HHMM or +HH:MM");
            }
            if (oh > 23 || om > 59)
                return bad(err, text, "no such UTC offset");
            offset_s = sign * (int64_t)(oh * 3600 + om * 60);
        }
        if (*p)
            return bad(err, text, "unexpected text after the time");
    }
    int64_t secs = lt_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset_s;
    *us = secs * 1000000 + frac;
    return LT_OK;
}

bool lt_utc_time_parse_column(const char *s, size_t len, int64_t *us)
{
    char buf[40];
    if (len >= sizeof buf)
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    int y, mo, d, h, mi, sec, n = 0;
    if (sscanf(buf, "%d-%d-%d %d:%d:%d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6)
        return false;
    int64_t frac = 0;
    if (buf[n] == '.') {
        int digits = 0;
        for (const char *p = buf + n + 1; *p >= '0' && *p <= '9' && digits < 6; p++, digits++)
            frac = frac * 10 + (*p - '0');
        for (; digits < 6; digits++)
            frac *= 10;
    }
    *us = (((lt_days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60 + sec) * 1000000 + frac;
    return true;
}

void lt_utc_time_format(int64_t us, char out[LT_UTC_TIME_MAX])
{
    int64_t secs = us / 1000000, frac = us % 1000000;
    if (frac < 0) {
        frac += 1000000;
        secs -= 1;
    }
    int64_t days = secs / 86400, rem = secs % 86400;
    if (rem < 0) {
        rem += 86400;
        days -= 1;
    }
    int64_t y;
    int m, d;
    lt_civil_from_days(days, &y, &m, &d);
    snprintf(out, LT_UTC_TIME_MAX, "%04lld-%02d-%02dT%02lld:%02lld:%02lld.%06lldZ", (long long)y, m, d, (long long)(rem / 3600), (long long)(rem / 60 % 60), (long long)(rem % 60),
             (long long)frac);
}
