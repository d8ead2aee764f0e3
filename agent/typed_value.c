/* Typed comparison of canonical values and config literals, and their SQL (see typed_value.h). */
#include "agent/typed_value.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/calendar.h"
#include "agent/error.h"
#include "agent/utc_time.h"

/* ---- kinds ---- */

static bool starts(const char *s, const char *prefix)
{
    return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool is(const char *s, const char *name)
{
    return s && strcmp(s, name) == 0;
}

enum lt_cmp_kind lt_cmp_kind_of(const struct lt_column *c)
{
    const char *st = c->source_type;
    switch (c->type) {
    case LT_TYPE_BOOL: return LT_CMP_BOOL;
    case LT_TYPE_INT16: case LT_TYPE_INT32: case LT_TYPE_INT64: return LT_CMP_INT;
    case LT_TYPE_FLOAT32: return LT_CMP_FLOAT32;
    case LT_TYPE_FLOAT64: return LT_CMP_FLOAT64;
    case LT_TYPE_DECIMAL: return LT_CMP_DECIMAL;
    case LT_TYPE_UUID: return LT_CMP_UUID;
    case LT_TYPE_DATE: return LT_CMP_DATE;
    case LT_TYPE_TIME: return is(st, "time without time zone") || starts(st, "time(") ? LT_CMP_TIME : LT_CMP_NONE;
    case LT_TYPE_TIMESTAMP: return LT_CMP_TIMESTAMP;
    case LT_TYPE_TIMESTAMPTZ: return LT_CMP_TIMESTAMPTZ;
    case LT_TYPE_TEXT:
        /* PostgreSQL */
        if (is(st, "text") || starts(st, "character varying") || is(st, "name"))
            return LT_CMP_TEXT;
        if (is(st, "bpchar") || is(st, "character") || starts(st, "character("))
            return LT_CMP_BPCHAR;
        /* MySQL / MariaDB */
        if (starts(st, "char(") || starts(st, "varchar(") || is(st, "tinytext") || is(st, "text") ||
            is(st, "mediumtext") || is(st, "longtext") || is(st, "enum") || is(st, "set"))
            return LT_CMP_TEXT;
        if (is(st, "time") || starts(st, "time("))
            return LT_CMP_DURATION;
        return LT_CMP_NONE;
    default:
        return LT_CMP_NONE;
    }
}

/* ---- reading canonical text ---- */

static bool digits_n(const char *p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return true;
}

static bool parse_int64(const char *s, size_t n, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    if (i == n)
        return false;
    uint64_t v = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    if (neg ? v > (uint64_t)INT64_MAX + 1 : v > (uint64_t)INT64_MAX)
        return false;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

static bool special_number(const char *s, size_t n, struct lt_typed *out)
{
    if (n == 3 && !strncasecmp(s, "NaN", 3)) {
        out->cls = 3;
        return true;
    }
    if ((n == 8 && !strncasecmp(s, "Infinity", 8)) || (n == 9 && !strncasecmp(s, "+Infinity", 9))) {
        out->cls = 2;
        return true;
    }
    if (n == 9 && !strncasecmp(s, "-Infinity", 9)) {
        out->cls = 1;
        return true;
    }
    return false;
}

static bool parse_decimal(const char *s, size_t n, struct lt_typed *out)
{
    if (special_number(s, n, out))
        return true;
    size_t i = 0;
    out->neg = false;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        out->neg = s[i++] == '-';
    size_t int_start = i;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    size_t int_end = i, frac_start = i, frac_end = i;
    if (i < n && s[i] == '.') {
        frac_start = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        frac_end = i;
    }
    if (i != n || (int_end == int_start && frac_end == frac_start))
        return false;
    while (int_start < int_end && s[int_start] == '0')
        int_start++;
    while (frac_end > frac_start && s[frac_end - 1] == '0')
        frac_end--;
    out->p = s + int_start;
    out->n = int_end - int_start;
    out->fp = s + frac_start;
    out->fn = frac_end - frac_start;
    if (out->n == 0 && out->fn == 0)
        out->neg = false; /* -0 is 0 */
    out->cls = 0;
    return true;
}

static bool parse_float(const char *s, size_t n, bool single, struct lt_typed *out)
{
    char buf[64];
    if (n == 0 || n >= sizeof buf)
        return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *end;
    errno = 0;
    out->cls = 0;
    if (single) {
        out->f = strtof(buf, &end);
        if (isnan(out->f))
            out->cls = 3;
    } else {
        out->d = strtod(buf, &end);
        if (isnan(out->d))
            out->cls = 3;
    }
    return *end == '\0';
}

/* "YYYY-MM-DD" (years of 4 or more digits) then, for PostgreSQL's BC dates, " BC" at the very end (bc_at). */
static bool parse_date_part(const char *s, size_t n, size_t *used, int64_t *y, int *m, int *d)
{
    size_t i = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    if (i < 4 || i > 9 || i + 6 > n || s[i] != '-' || s[i + 3] != '-')
        return false;
    int64_t year = 0;
    for (size_t k = 0; k < i; k++)
        year = year * 10 + (s[k] - '0');
    if (!digits_n(s + i + 1, 2, m) || !digits_n(s + i + 4, 2, d))
        return false;
    *y = year;
    *used = i + 6;
    return true;
}

/* "HH:MM:SS[.f{1,6}]" from s, hours of 2 (time of day) or more digits (durations); microseconds. */
static bool parse_clock(const char *s, size_t n, size_t *used, int max_hour_digits, int64_t *us)
{
    size_t i = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9' && (int)i < max_hour_digits)
        i++;
    if (i < 2 || i + 6 > n || s[i] != ':' || s[i + 3] != ':')
        return false;
    int h = 0, mi, se;
    for (size_t k = 0; k < i; k++)
        h = h * 10 + (s[k] - '0');
    if (!digits_n(s + i + 1, 2, &mi) || !digits_n(s + i + 4, 2, &se) || mi > 59 || se > 60)
        return false;
    i += 6;
    int64_t frac = 0;
    if (i < n && s[i] == '.') {
        size_t k = ++i;
        int nd = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            if (nd < 6) {
                frac = frac * 10 + (s[i] - '0');
                nd++;
            }
            i++;
        }
        if (i == k)
            return false;
        while (nd++ < 6)
            frac *= 10;
    }
    *us = ((int64_t)h * 3600 + mi * 60 + se) * 1000000 + frac;
    *used = i;
    return true;
}

static const __int128 DAY_US = (__int128)86400 * 1000000;

static bool parse_datetime(enum lt_cmp_kind k, const char *s, size_t n, struct lt_typed *out)
{
    if ((n == 8 && !memcmp(s, "infinity", 8)) || (n == 9 && !memcmp(s, "+infinity", 9))) {
        out->t = ((__int128)1) << 120;
        return true;
    }
    if (n == 9 && !memcmp(s, "-infinity", 9)) {
        out->t = -(((__int128)1) << 120);
        return true;
    }
    bool bc = n > 3 && !memcmp(s + n - 3, " BC", 3);
    if (bc)
        n -= 3;
    int64_t y;
    int m, d;
    size_t i;
    if (!parse_date_part(s, n, &i, &y, &m, &d) || m > 12 || d > 31)
        return false;
    if (bc)
        y = 1 - y; /* astronomical years: 1 BC is year 0 */
    __int128 key = (__int128)y * 10000 + m * 100 + d;
    if (k == LT_CMP_DATE) {
        if (i != n)
            return false;
        out->t = key;
        return true;
    }
    if (i == n || (s[i] != ' ' && s[i] != 'T'))
        return false;
    int64_t us;
    size_t used;
    if (!parse_clock(s + i + 1, n - i - 1, &used, 2, &us))
        return false;
    i += 1 + used;
    if (k == LT_CMP_TIMESTAMPTZ && i < n) { /* values are in UTC: "+00", "+00:00" or "Z" */
        if (!((n - i == 3 && !memcmp(s + i, "+00", 3)) || (n - i == 6 && !memcmp(s + i, "+00:00", 6)) ||
              (n - i == 1 && s[i] == 'Z')))
            return false;
        i = n;
    }
    if (i != n)
        return false;
    out->t = key * DAY_US + us;
    return true;
}

static bool parse_time(enum lt_cmp_kind k, const char *s, size_t n, struct lt_typed *out)
{
    bool neg = false;
    if (k == LT_CMP_DURATION && n && s[0] == '-') {
        neg = true;
        s++;
        n--;
    }
    int64_t us;
    size_t used;
    if (!parse_clock(s, n, &used, k == LT_CMP_DURATION ? 3 : 2, &us) || used != n)
        return false;
    out->i = neg ? -us : us;
    return true;
}

bool lt_typed_from_text(enum lt_cmp_kind k, const char *s, size_t n, struct lt_typed *out)
{
    memset(out, 0, sizeof *out);
    switch (k) {
    case LT_CMP_INT: return parse_int64(s, n, &out->i);
    case LT_CMP_DECIMAL: return parse_decimal(s, n, out);
    case LT_CMP_FLOAT32: return parse_float(s, n, true, out);
    case LT_CMP_FLOAT64: return parse_float(s, n, false, out);
    case LT_CMP_BPCHAR:
        while (n && s[n - 1] == ' ')
            n--;
        /* fall through */
    case LT_CMP_TEXT:
    case LT_CMP_UUID:
        out->p = s;
        out->n = n;
        return true;
    case LT_CMP_BOOL:
        if (n == 1 && (s[0] == 't' || s[0] == 'f')) {
            out->i = s[0] == 't';
            return true;
        }
        return false;
    case LT_CMP_DATE:
    case LT_CMP_TIMESTAMP:
    case LT_CMP_TIMESTAMPTZ: return parse_datetime(k, s, n, out);
    case LT_CMP_TIME:
    case LT_CMP_DURATION: return parse_time(k, s, n, out);
    case LT_CMP_NONE: return false;
    }
    return false;
}

/* ---- comparing ---- */

static int cmp_bytes(const char *a, size_t an, const char *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    return c ? (c < 0 ? -1 : 1) : an < bn ? -1 : an > bn;
}

/* NaN above everything and equal to itself; infinities at the ends (PostgreSQL's order). */
static int cmp_class(uint8_t a, uint8_t b, bool *decided)
{
    *decided = true;
    static const int rank[] = {1, 0, 2, 3}; /* finite, -inf, +inf, NaN */
    if (a == 0 && b == 0) {
        *decided = false;
        return 0;
    }
    return rank[a] < rank[b] ? -1 : rank[a] > rank[b];
}

static int cmp_decimal(const struct lt_typed *a, const struct lt_typed *b)
{
    bool decided;
    int c = cmp_class(a->cls, b->cls, &decided);
    if (decided)
        return c;
    if (a->neg != b->neg)
        return a->neg ? -1 : 1;
    int mag;
    if (a->n != b->n) {
        mag = a->n < b->n ? -1 : 1;
    } else {
        mag = cmp_bytes(a->p, a->n, b->p, b->n);
        if (!mag) {
            size_t k = a->fn < b->fn ? a->fn : b->fn;
            int f = memcmp(a->fp, b->fp, k);
            mag = f ? (f < 0 ? -1 : 1) : a->fn < b->fn ? -1 : a->fn > b->fn;
        }
    }
    return a->neg ? -mag : mag;
}

int lt_typed_compare(enum lt_cmp_kind k, const struct lt_typed *a, const struct lt_typed *b)
{
    bool decided;
    int c;
    switch (k) {
    case LT_CMP_INT:
    case LT_CMP_BOOL:
    case LT_CMP_TIME:
    case LT_CMP_DURATION: return a->i < b->i ? -1 : a->i > b->i;
    case LT_CMP_DECIMAL: return cmp_decimal(a, b);
    case LT_CMP_FLOAT32:
        c = cmp_class(a->cls, b->cls, &decided);
        return decided ? c : a->f < b->f ? -1 : a->f > b->f;
    case LT_CMP_FLOAT64:
        c = cmp_class(a->cls, b->cls, &decided);
        return decided ? c : a->d < b->d ? -1 : a->d > b->d;
    case LT_CMP_TEXT:
    case LT_CMP_BPCHAR:
    case LT_CMP_UUID: return cmp_bytes(a->p, a->n, b->p, b->n);
    case LT_CMP_DATE:
    case LT_CMP_TIMESTAMP:
    case LT_CMP_TIMESTAMPTZ: return a->t < b->t ? -1 : a->t > b->t;
    case LT_CMP_NONE: return 0;
    }
    return 0;
}

/* ---- config literals ---- */

static bool valid_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int len = *p < 0x80 ? 1 : (*p & 0xE0) == 0xC0 ? 2 : (*p & 0xF0) == 0xE0 ? 3 : (*p & 0xF8) == 0xF0 ? 4 : 0;
        if (!len || (len == 2 && *p < 0xC2))
            return false;
        for (int i = 1; i < len; i++)
            if ((p[i] & 0xC0) != 0x80)
                return false;
        p += len;
    }
    return true;
}

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* "YYYY-MM-DD HH:MM:SS.ffffff" of microseconds since 1970 (UTC). */
static char *format_us(int64_t us, bool with_time)
{
    int64_t days = us >= 0 ? us / 86400000000LL : -((-us + 86400000000LL - 1) / 86400000000LL);
    int64_t rest = us - days * 86400000000LL;
    int64_t y;
    int m, d;
    lt_civil_from_days(days, &y, &m, &d);
    char buf[64];
    if (with_time)
        snprintf(buf, sizeof buf, "%04lld-%02d-%02d %02lld:%02lld:%02lld.%06lld", (long long)y, m, d,
                 (long long)(rest / 3600000000LL), (long long)(rest / 60000000 % 60), (long long)(rest / 1000000 % 60),
                 (long long)(rest % 1000000));
    else
        snprintf(buf, sizeof buf, "%04lld-%02d-%02d", (long long)y, m, d);
    return strdup(buf);
}

char *lt_typed_literal(enum lt_cmp_kind k, const char *text, const char **why)
{
    size_t n = strlen(text);
    struct lt_typed t;
    struct lt_error err;
    char buf[96];
    switch (k) {
    case LT_CMP_INT: {
        int64_t v;
        if (!parse_int64(text, n, &v)) {
            *why = "is not a whole number (of 64 bits) for an integer column";
            return NULL;
        }
        snprintf(buf, sizeof buf, "%lld", (long long)v);
        return strdup(buf);
    }
    case LT_CMP_DECIMAL: {
        if (!parse_decimal(text, n, &t) || t.cls) {
            *why = "is not a decimal number (digits with an optional sign and point)";
            return NULL;
        }
        char *out = malloc(t.n + t.fn + 4);
        if (!out)
            return NULL;
        snprintf(out, t.n + t.fn + 4, "%s%.*s%s%.*s", t.neg ? "-" : "", (int)(t.n ? t.n : 1), t.n ? t.p : "0",
                 t.fn ? "." : "", (int)t.fn, t.fp);
        return out;
    }
    case LT_CMP_FLOAT32:
    case LT_CMP_FLOAT64: {
        if (!n || strspn(text, "0123456789+-.eE") != n || !parse_float(text, n, k == LT_CMP_FLOAT32, &t) ||
            (k == LT_CMP_FLOAT32 ? !isfinite(t.f) : !isfinite(t.d))) {
            *why = "is not a finite number";
            return NULL;
        }
        if (k == LT_CMP_FLOAT32)
            snprintf(buf, sizeof buf, "%.9g", (double)t.f);
        else
            snprintf(buf, sizeof buf, "%.17g", t.d);
        return strdup(buf);
    }
    case LT_CMP_TEXT:
    case LT_CMP_BPCHAR:
        if (!valid_utf8(text)) {
            *why = "is not UTF-8 text";
            return NULL;
        }
        if (k == LT_CMP_BPCHAR)
            while (n && text[n - 1] == ' ')
                n--;
        return dup_n(text, n);
    case LT_CMP_UUID: {
        if (n != 36) {
            *why = "is not a UUID (8-4-4-4-12 hex digits)";
            return NULL;
        }
        for (size_t i = 0; i < 36; i++) {
            bool dash = i == 8 || i == 13 || i == 18 || i == 23;
            if (dash ? text[i] != '-' : !isxdigit((unsigned char)text[i])) {
                *why = "is not a UUID (8-4-4-4-12 hex digits)";
                return NULL;
            }
            buf[i] = (char)tolower((unsigned char)text[i]);
        }
        return dup_n(buf, 36);
    }
    case LT_CMP_BOOL:
        if (!strcasecmp(text, "true") || !strcasecmp(text, "t"))
            return strdup("t");
        if (!strcasecmp(text, "false") || !strcasecmp(text, "f"))
            return strdup("f");
        *why = "is not true or false";
        return NULL;
    case LT_CMP_DATE:
    case LT_CMP_TIMESTAMP:
    case LT_CMP_TIMESTAMPTZ: {
        int64_t us;
        bool zone = n > 10 && (strchr(text + 10, 'Z') || strchr(text + 10, '+') || strchr(text + 10, '-'));
        if ((k == LT_CMP_DATE && n != 10) || (k == LT_CMP_TIMESTAMP && zone)) {
            *why = k == LT_CMP_DATE ? "is not a date YYYY-MM-DD"
                                    : "is not a date-time YYYY-MM-DD[ HH:MM:SS[.ffffff]] (this column has no time zone)";
            return NULL;
        }
        if (lt_utc_time_parse(text, &us, &err) != LT_OK) {
            *why = k == LT_CMP_DATE ? "is not a date YYYY-MM-DD"
                                    : "is not a date-time YYYY-MM-DD[ HH:MM:SS[.ffffff]][+HH:MM]";
            return NULL;
        }
        return format_us(us, k != LT_CMP_DATE);
    }
    case LT_CMP_TIME:
    case LT_CMP_DURATION: {
        size_t used;
        int64_t us;
        bool neg = k == LT_CMP_DURATION && text[0] == '-';
        const char *s = text + neg;
        if (!parse_clock(s, n - neg, &used, k == LT_CMP_DURATION ? 3 : 2, &us) || used != n - neg ||
            (k == LT_CMP_TIME && us > 86400000000LL) || (k == LT_CMP_DURATION && us > 3020399000000LL)) {
            *why = k == LT_CMP_TIME ? "is not a time of day HH:MM:SS[.ffffff]"
                                    : "is not a MySQL time [-]HHH:MM:SS[.ffffff] (up to 838:59:59)";
            return NULL;
        }
        snprintf(buf, sizeof buf, "%s%02lld:%02lld:%02lld.%06lld", neg && us ? "-" : "", (long long)(us / 3600000000LL),
                 (long long)(us / 60000000 % 60), (long long)(us / 1000000 % 60), (long long)(us % 1000000));
        return strdup(buf);
    }
    case LT_CMP_NONE:
        break;
    }
    *why = "cannot be compared";
    return NULL;
}

/* ---- SQL ---- */

char *lt_sql_ident(enum lt_sql_dialect d, const char *name)
{
    char q = d == LT_SQL_POSTGRES ? '"' : '`';
    size_t n = strlen(name);
    char *out = malloc(2 * n + 3), *o = out;
    if (!out)
        return NULL;
    *o++ = q;
    for (const char *p = name; *p; p++) {
        if (*p == q)
            *o++ = q;
        *o++ = *p;
    }
    *o++ = q;
    *o = '\0';
    return out;
}

char *lt_sql_column(enum lt_sql_dialect d, enum lt_cmp_kind k, const struct lt_column *c)
{
    char *id = lt_sql_ident(d, c->name);
    if (!id)
        return NULL;
    const char *fmt = "%s";
    if (d == LT_SQL_POSTGRES) {
        if (k == LT_CMP_TEXT)
            fmt = "%s COLLATE \"C\"";
        else if (k == LT_CMP_BPCHAR)
            fmt = "(%s)::text COLLATE \"C\"";
    } else {
        if (k == LT_CMP_TEXT)
            fmt = "CAST(CONVERT(%s USING utf8mb4) AS BINARY)";
        else if (k == LT_CMP_INT && starts(c->source_type, "bit("))
            fmt = "(%s + 0)";
        else if (k == LT_CMP_DECIMAL && starts(c->source_type, "bit("))
            fmt = "(%s + 0)";
    }
    size_t n = strlen(fmt) + strlen(id) + 1;
    char *out = malloc(n);
    if (out)
        snprintf(out, n, fmt, id);
    free(id);
    return out;
}

/* PostgreSQL E'...' with every byte that is not a letter, digit or space as \xHH: no quote or backslash can end
 * it early, whatever the text holds. */
static char *pg_bytes_literal(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(4 * n + 4), *o = out;
    if (!out)
        return NULL;
    *o++ = 'E';
    *o++ = '\'';
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (isalnum(*p) || *p == ' ') {
            *o++ = (char)*p;
        } else {
            sprintf(o, "\\x%02X", *p);
            o += 4;
        }
    }
    *o++ = '\'';
    *o = '\0';
    return out;
}

/* MySQL X'hex': bytes, whatever they are. */
static char *my_hex_literal(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(2 * n + 4), *o = out;
    if (!out)
        return NULL;
    *o++ = 'X';
    *o++ = '\'';
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        sprintf(o, "%02X", *p);
        o += 2;
    }
    *o++ = '\'';
    *o = '\0';
    return out;
}

char *lt_sql_literal(enum lt_sql_dialect d, enum lt_cmp_kind k, const char *canon)
{
    char buf[128];
    /* canon of every kind but text is made of digits, signs, points, colons, spaces, 'e' and hex digits only */
    if (k != LT_CMP_TEXT && k != LT_CMP_BPCHAR && strlen(canon) > 64)
        return NULL;
    switch (k) {
    case LT_CMP_TEXT:
    case LT_CMP_BPCHAR: return d == LT_SQL_POSTGRES ? pg_bytes_literal(canon) : my_hex_literal(canon);
    case LT_CMP_INT:
    case LT_CMP_DECIMAL: return strdup(canon);
    case LT_CMP_FLOAT32:
    case LT_CMP_FLOAT64:
        if (d == LT_SQL_POSTGRES) {
            snprintf(buf, sizeof buf, "'%s'::%s", canon, k == LT_CMP_FLOAT32 ? "real" : "double precision");
        } else { /* a double literal (with an exponent): MySQL compares FLOAT columns as doubles */
            double v = k == LT_CMP_FLOAT32 ? (double)strtof(canon, NULL) : strtod(canon, NULL);
            snprintf(buf, sizeof buf, "%.17e", v);
        }
        return strdup(buf);
    case LT_CMP_UUID: snprintf(buf, sizeof buf, "'%s'::uuid", canon); return strdup(buf);
    case LT_CMP_BOOL: return strdup(canon[0] == 't' ? "true" : "false");
    case LT_CMP_DATE:
        snprintf(buf, sizeof buf, d == LT_SQL_POSTGRES ? "'%s'::date" : "CAST('%s' AS DATE)", canon);
        return strdup(buf);
    case LT_CMP_TIMESTAMP:
        snprintf(buf, sizeof buf, d == LT_SQL_POSTGRES ? "'%s'::timestamp" : "CAST('%s' AS DATETIME(6))", canon);
        return strdup(buf);
    case LT_CMP_TIMESTAMPTZ: /* MySQL: TIMESTAMP columns compare as DATETIME in the session's zone, UTC */
        snprintf(buf, sizeof buf, d == LT_SQL_POSTGRES ? "'%s+00'::timestamptz" : "CAST('%s' AS DATETIME(6))", canon);
        return strdup(buf);
    case LT_CMP_TIME:
    case LT_CMP_DURATION:
        snprintf(buf, sizeof buf, d == LT_SQL_POSTGRES ? "'%s'::time" : "CAST('%s' AS TIME(6))", canon);
        return strdup(buf);
    case LT_CMP_NONE: break;
    }
    return NULL;
}
