/* Canonical text <-> Parquet physical values (mapping table in parquet_values.h). */
#include "targets/parquet/parquet_values.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/calendar.h"

#define US_PER_SEC INT64_C(1000000)
#define US_PER_DAY (INT64_C(86400) * US_PER_SEC)

/* 10^0 .. 10^19 */
static const uint64_t pow10_u64[20] = {
    UINT64_C(1), UINT64_C(10), UINT64_C(100), UINT64_C(1000), UINT64_C(10000), UINT64_C(100000),
    UINT64_C(1000000), UINT64_C(10000000), UINT64_C(100000000), UINT64_C(1000000000), UINT64_C(10000000000),
    UINT64_C(100000000000), UINT64_C(1000000000000), UINT64_C(10000000000000), UINT64_C(100000000000000),
    UINT64_C(1000000000000000), UINT64_C(10000000000000000), UINT64_C(100000000000000000),
    UINT64_C(1000000000000000000), UINT64_C(10000000000000000000)};

/* ---- types ---- */

int pq_decimal_bytes(int precision)
{
    unsigned __int128 ten_p = 1;
    for (int i = 0; i < precision; i++)
        ten_p *= 10;
    for (int n = 1; n <= 16; n++) {
        unsigned __int128 max = ((unsigned __int128)1 << (8 * n - 1)) - 1;
        if (max >= ten_p - 1)
            return n;
    }
    return 16;
}

void pq_type_for_column(enum lt_type lt, int precision, int scale, bool timestamp_millis, struct pq_column_type *t)
{
    memset(t, 0, sizeof *t);
    t->lt = lt;
    t->converted = -1;
    t->precision = precision;
    t->scale = scale;
    switch (lt) {
    case LT_TYPE_BOOL:
        t->physical = PQ_BOOLEAN;
        break;
    case LT_TYPE_INT16:
    case LT_TYPE_INT32:
        t->physical = PQ_INT32;
        t->logical = (struct pq_logical){.kind = PQ_LT_INTEGER, .bit_width = lt == LT_TYPE_INT16 ? 16 : 32,
                                         .is_signed = true};
        t->converted = lt == LT_TYPE_INT16 ? PQ_CT_INT_16 : PQ_CT_INT_32;
        break;
    case LT_TYPE_INT64:
        t->physical = PQ_INT64;
        t->logical = (struct pq_logical){.kind = PQ_LT_INTEGER, .bit_width = 64, .is_signed = true};
        t->converted = PQ_CT_INT_64;
        break;
    case LT_TYPE_FLOAT32:
        t->physical = PQ_FLOAT;
        break;
    case LT_TYPE_FLOAT64:
        t->physical = PQ_DOUBLE;
        break;
    case LT_TYPE_DECIMAL:
        if (precision <= 0 || precision > 38 || scale < 0 || scale > precision) {
            t->decimal_as_text = true;
            t->physical = PQ_BYTE_ARRAY;
            t->logical.kind = PQ_LT_STRING;
            t->converted = PQ_CT_UTF8;
            break;
        }
        t->physical = precision <= 9 ? PQ_INT32 : precision <= 18 ? PQ_INT64 : PQ_FIXED_LEN_BYTE_ARRAY;
        if (t->physical == PQ_FIXED_LEN_BYTE_ARRAY)
            t->type_length = pq_decimal_bytes(precision);
        t->logical = (struct pq_logical){.kind = PQ_LT_DECIMAL, .scale = scale, .precision = precision};
        t->converted = PQ_CT_DECIMAL;
        break;
    case LT_TYPE_BYTES:
        t->physical = PQ_BYTE_ARRAY;
        break;
    case LT_TYPE_DATE:
        t->physical = PQ_INT32;
        t->logical.kind = PQ_LT_DATE;
        t->converted = PQ_CT_DATE;
        break;
    case LT_TYPE_TIME:
        t->physical = PQ_INT64;
        t->unit = PQ_UNIT_MICROS;
        t->logical = (struct pq_logical){.kind = PQ_LT_TIME, .utc = false, .unit = PQ_UNIT_MICROS};
        break;
    case LT_TYPE_TIMESTAMP:
    case LT_TYPE_TIMESTAMPTZ:
        t->physical = PQ_INT64;
        t->unit = timestamp_millis ? PQ_UNIT_MILLIS : PQ_UNIT_MICROS;
        t->logical = (struct pq_logical){.kind = PQ_LT_TIMESTAMP, .utc = lt == LT_TYPE_TIMESTAMPTZ,
                                         .unit = t->unit};
        /* The converted types TIMESTAMP_* mean "UTC-adjusted" to old readers: only for timestamptz. */
        if (lt == LT_TYPE_TIMESTAMPTZ)
            t->converted = timestamp_millis ? PQ_CT_TIMESTAMP_MILLIS : PQ_CT_TIMESTAMP_MICROS;
        break;
    case LT_TYPE_JSON:
        t->physical = PQ_BYTE_ARRAY;
        t->logical.kind = PQ_LT_JSON;
        t->converted = PQ_CT_JSON;
        break;
    case LT_TYPE_UUID:
        t->physical = PQ_FIXED_LEN_BYTE_ARRAY;
        t->type_length = 16;
        t->logical.kind = PQ_LT_UUID;
        break;
    case LT_TYPE_TEXT:
    default:
        t->lt = LT_TYPE_TEXT;
        t->physical = PQ_BYTE_ARRAY;
        t->logical.kind = PQ_LT_STRING;
        t->converted = PQ_CT_UTF8;
        break;
    }
}

static int unsupported(const char **why, const char *msg)
{
    *why = msg;
    return -1;
}

int pq_type_from_schema(const struct pq_schema_element *se, struct pq_column_type *t, const char **why)
{
    memset(t, 0, sizeof *t);
    t->physical = se->type;
    t->type_length = se->type_length;
    t->logical = se->logical;
    t->converted = se->has_converted ? se->converted : -1;
    int lk = se->logical.kind, ct = t->converted;
    bool is_decimal = lk == PQ_LT_DECIMAL || (lk == PQ_LT_NONE && ct == PQ_CT_DECIMAL);
    if (is_decimal) {
        t->lt = LT_TYPE_DECIMAL;
        t->precision = lk == PQ_LT_DECIMAL ? se->logical.precision : se->precision;
        t->scale = lk == PQ_LT_DECIMAL ? se->logical.scale : se->scale;
        if (t->scale < 0 || t->scale > 76 || t->precision < 0)
            return unsupported(why, "DECIMAL with an invalid scale or precision");
    }
    switch (se->type) {
    case PQ_BOOLEAN:
        t->lt = LT_TYPE_BOOL;
        return 0;
    case PQ_INT32:
    case PQ_INT64:
        if (is_decimal)
            return 0;
        if (lk == PQ_LT_DATE || (lk == PQ_LT_NONE && ct == PQ_CT_DATE)) {
            t->lt = LT_TYPE_DATE;
            return se->type == PQ_INT32 ? 0 : unsupported(why, "DATE stored as INT64");
        }
        if (lk == PQ_LT_TIME || (lk == PQ_LT_NONE && (ct == PQ_CT_TIME_MILLIS || ct == PQ_CT_TIME_MICROS))) {
            t->lt = LT_TYPE_TIME;
            t->unit = lk == PQ_LT_TIME ? se->logical.unit : ct == PQ_CT_TIME_MILLIS ? PQ_UNIT_MILLIS : PQ_UNIT_MICROS;
            return t->unit ? 0 : unsupported(why, "TIME without a unit");
        }
        if (lk == PQ_LT_TIMESTAMP ||
            (lk == PQ_LT_NONE && (ct == PQ_CT_TIMESTAMP_MILLIS || ct == PQ_CT_TIMESTAMP_MICROS))) {
            bool utc = lk == PQ_LT_TIMESTAMP ? se->logical.utc : true;
            t->lt = utc ? LT_TYPE_TIMESTAMPTZ : LT_TYPE_TIMESTAMP;
            t->unit = lk == PQ_LT_TIMESTAMP ? se->logical.unit
                                            : ct == PQ_CT_TIMESTAMP_MILLIS ? PQ_UNIT_MILLIS : PQ_UNIT_MICROS;
            if (!t->unit)
                return unsupported(why, "TIMESTAMP without a unit");
            return se->type == PQ_INT64 ? 0 : unsupported(why, "TIMESTAMP stored as INT32");
        }
        {
            int bits = se->type == PQ_INT32 ? 32 : 64;
            bool is_signed = true;
            if (lk == PQ_LT_INTEGER) {
                bits = se->logical.bit_width;
                is_signed = se->logical.is_signed;
            } else if (lk == PQ_LT_NONE && ct >= PQ_CT_UINT_8 && ct <= PQ_CT_INT_64) {
                static const int cbits[] = {8, 16, 32, 64, 8, 16, 32, 64};
                bits = cbits[ct - PQ_CT_UINT_8];
                is_signed = ct >= PQ_CT_INT_8;
            }
            t->is_unsigned = !is_signed;
            if (is_signed)
                t->lt = bits <= 16 ? LT_TYPE_INT16 : se->type == PQ_INT32 ? LT_TYPE_INT32 : LT_TYPE_INT64;
            else if (se->type == PQ_INT32)
                t->lt = bits <= 8 ? LT_TYPE_INT16 : bits <= 16 ? LT_TYPE_INT32 : LT_TYPE_INT64;
            else {
                t->lt = LT_TYPE_DECIMAL; /* uint64 does not fit int64 */
                t->precision = 20;
                t->scale = 0;
            }
        }
        return 0;
    case PQ_INT96:
        t->lt = LT_TYPE_TIMESTAMP;
        t->unit = PQ_UNIT_NANOS;
        return 0;
    case PQ_FLOAT:
        t->lt = LT_TYPE_FLOAT32;
        return 0;
    case PQ_DOUBLE:
        t->lt = LT_TYPE_FLOAT64;
        return 0;
    case PQ_BYTE_ARRAY:
        if (is_decimal)
            return 0;
        if (lk == PQ_LT_STRING || lk == PQ_LT_ENUM || (lk == PQ_LT_NONE && (ct == PQ_CT_UTF8 || ct == PQ_CT_ENUM)))
            t->lt = LT_TYPE_TEXT;
        else if (lk == PQ_LT_JSON || (lk == PQ_LT_NONE && ct == PQ_CT_JSON))
            t->lt = LT_TYPE_JSON;
        else
            t->lt = LT_TYPE_BYTES;
        return 0;
    case PQ_FIXED_LEN_BYTE_ARRAY:
        if (se->type_length <= 0)
            return unsupported(why, "FIXED_LEN_BYTE_ARRAY without a positive type_length");
        if (is_decimal)
            return 0;
        if (lk == PQ_LT_UUID && se->type_length == 16)
            t->lt = LT_TYPE_UUID;
        else
            t->lt = LT_TYPE_BYTES;
        return 0;
    default:
        return unsupported(why, "unknown physical type");
    }
}

/* ---- parsing ---- */

static bool eq_nocase(const char *s, size_t len, const char *lit)
{
    size_t n = strlen(lit);
    if (n != len)
        return false;
    for (size_t i = 0; i < n; i++)
        if (tolower((unsigned char)s[i]) != lit[i])
            return false;
    return true;
}

static void put_le(uint8_t *dst, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        dst[i] = (uint8_t)(v >> (8 * i));
}

/* Reads 1..maxd digits at *i; returns -1 when there is none. */
static int64_t read_digits(const char *s, size_t len, size_t *i, int mind, int maxd)
{
    int64_t v = 0;
    int n = 0;
    while (*i < len && isdigit((unsigned char)s[*i]) && n < maxd) {
        v = v * 10 + (s[*i] - '0');
        (*i)++;
        n++;
    }
    if (n < mind || (*i < len && isdigit((unsigned char)s[*i])))
        return -1;
    return v;
}

/* Exactly two digits at *i (more may follow), or -1. */
static int64_t read_two_digits(const char *s, size_t len, size_t *i)
{
    if (*i + 2 > len || !isdigit((unsigned char)s[*i]) || !isdigit((unsigned char)s[*i + 1]))
        return -1;
    int64_t v = (s[*i] - '0') * 10 + (s[*i + 1] - '0');
    *i += 2;
    return v;
}

static bool expect_char(const char *s, size_t len, size_t *i, char c)
{
    if (*i < len && s[*i] == c) {
        (*i)++;
        return true;
    }
    return false;
}

/* Y-M-D at *i into days (astronomical year adjusted later for BC). */
static bool parse_ymd(const char *s, size_t len, size_t *i, int64_t *y, int *m, int *d)
{
    int64_t yy = read_digits(s, len, i, 1, 7);
    if (yy < 0 || !expect_char(s, len, i, '-'))
        return false;
    int64_t mm = read_digits(s, len, i, 1, 2);
    if (mm < 1 || mm > 12 || !expect_char(s, len, i, '-'))
        return false;
    int64_t dd = read_digits(s, len, i, 1, 2);
    if (dd < 1)
        return false;
    *y = yy;
    *m = (int)mm;
    *d = (int)dd;
    return true;
}

static bool finish_date(int64_t y, int m, int d, bool bc, int64_t *days)
{
    if (y < 1)
        return false;
    if (bc)
        y = 1 - y;
    if (d > lt_days_in_month(y, m))
        return false;
    *days = lt_days_from_civil(y, m, d);
    return true;
}

static bool parse_bc_suffix(const char *s, size_t len, size_t *i)
{
    if (len - *i == 3 && s[*i] == ' ' && (s[*i + 1] == 'B' || s[*i + 1] == 'b') &&
        (s[*i + 2] == 'C' || s[*i + 2] == 'c')) {
        *i += 3;
        return true;
    }
    return false;
}

/* HH:MM:SS[.ffffff] at *i into microseconds; hours may exceed 24 when allow_long (MySQL TIME). */
static bool parse_hms(const char *s, size_t len, size_t *i, bool allow_long, int64_t *us)
{
    int64_t h = read_digits(s, len, i, 1, allow_long ? 9 : 2);
    if (h < 0 || !expect_char(s, len, i, ':'))
        return false;
    int64_t mi = read_digits(s, len, i, 2, 2);
    if (mi < 0 || mi > 59 || !expect_char(s, len, i, ':'))
        return false;
    int64_t se = read_digits(s, len, i, 2, 2);
    if (se < 0 || se > 60)
        return false;
    int64_t frac = 0;
    if (*i < len && s[*i] == '.') {
        (*i)++;
        int n = 0;
        while (*i < len && isdigit((unsigned char)s[*i])) {
            if (n >= 6)
                return false;
            frac = frac * 10 + (s[*i] - '0');
            (*i)++;
            n++;
        }
        if (n == 0)
            return false;
        for (; n < 6; n++)
            frac *= 10;
    }
    if (!allow_long && (h > 24 || (h == 24 && (mi || se || frac))))
        return false;
    *us = ((h * 60 + mi) * 60 + se) * US_PER_SEC + frac;
    return true;
}

/* Two decimal digits at p (both readable), or -1. */
static inline int two_digits(const char *p)
{
    unsigned a = (unsigned)(unsigned char)p[0] - '0', b = (unsigned)(unsigned char)p[1] - '0';
    return a > 9 || b > 9 ? -1 : (int)(a * 10 + b);
}

/* The fixed-width "YYYY-MM-DD" every date of years 1..9999 AD is printed as: days since 1970-01-01, or false for
 * anything else (which the general parser then judges). */
static bool fast_ymd(const char *s, int64_t *days)
{
    int yh = two_digits(s), yl = two_digits(s + 2), m = two_digits(s + 5), d = two_digits(s + 8);
    if (yh < 0 || yl < 0 || m < 1 || m > 12 || d < 1 || s[4] != '-' || s[7] != '-')
        return false;
    int y = yh * 100 + yl;
    if (y < 1 || d > lt_days_in_month(y, m))
        return false;
    *days = lt_days_from_civil(y, m, d);
    return true;
}

/* The common shape of timestamps, as PostgreSQL and MySQL print them: "YYYY-MM-DD HH:MM:SS[.f{1,6}]" and with tz
 * a "±HH[:MM]" offset, year 1..9999 AD, hours 0..23, seconds 0..59. Returns false for anything else, which the
 * general parser then accepts or refuses; what it accepts it reads exactly as the general parser would. */
static bool fast_timestamp(const char *s, size_t len, bool tz, int64_t *out)
{
    int64_t days;
    if (len < 19 || s[10] != ' ' || s[13] != ':' || s[16] != ':' || !fast_ymd(s, &days))
        return false;
    int h = two_digits(s + 11), mi = two_digits(s + 14), se = two_digits(s + 17);
    if (h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 59)
        return false;
    size_t i = 19;
    int64_t frac = 0;
    if (i < len && s[i] == '.') {
        int n = 0;
        for (i++; i < len && n < 7; i++, n++) {
            unsigned d = (unsigned)(unsigned char)s[i] - '0';
            if (d > 9)
                break;
            frac = frac * 10 + d;
        }
        if (n == 0 || n > 6)
            return false;
        frac *= (int64_t)pow10_u64[6 - n];
    }
    int64_t off = 0;
    if (tz) {
        if (len - i != 3 && len - i != 6)
            return false;
        if (s[i] != '+' && s[i] != '-')
            return false;
        int oh = two_digits(s + i + 1), om = 0;
        if (len - i == 6 && (s[i + 3] != ':' || (om = two_digits(s + i + 4)) < 0))
            return false;
        if (oh < 0 || oh > 15 || om > 59)
            return false;
        off = (int64_t)(oh * 3600 + om * 60) * US_PER_SEC;
        if (s[i] == '-')
            off = -off;
    } else if (i != len) {
        return false;
    }
    *out = days * US_PER_DAY + ((int64_t)(h * 60 + mi) * 60 + se) * US_PER_SEC + frac - off;
    return true;
}

static bool parse_date_text(const char *s, size_t len, int32_t *out)
{
    int64_t fast;
    if (len == 10 && fast_ymd(s, &fast)) {
        *out = (int32_t)fast;
        return true;
    }
    if (eq_nocase(s, len, "infinity")) {
        *out = INT32_MAX;
        return true;
    }
    if (eq_nocase(s, len, "-infinity")) {
        *out = -INT32_MAX; /* DuckDB's -infinity; INT32_MIN is read back as -infinity too */
        return true;
    }
    size_t i = 0;
    int64_t y, days;
    int m, d;
    if (!parse_ymd(s, len, &i, &y, &m, &d))
        return false;
    bool bc = parse_bc_suffix(s, len, &i);
    if (i != len || !finish_date(y, m, d, bc, &days))
        return false;
    if (days <= -INT32_MAX || days >= INT32_MAX)
        return false;
    *out = (int32_t)days;
    return true;
}

static bool parse_time_text(const char *s, size_t len, int64_t *out)
{
    size_t i = 0;
    bool neg = expect_char(s, len, &i, '-');
    int64_t us;
    if (!parse_hms(s, len, &i, true, &us) || i != len)
        return false;
    *out = neg ? -us : us;
    return true;
}

/* A timestamp; with tz, a ±HH[:MM[:SS]] (or ±HHMM) offset is required and applied. */
static bool parse_timestamp_text(const char *s, size_t len, bool tz, int64_t *out)
{
    if (fast_timestamp(s, len, tz, out))
        return true;
    if (eq_nocase(s, len, "infinity")) {
        *out = INT64_MAX;
        return true;
    }
    if (eq_nocase(s, len, "-infinity")) {
        *out = -INT64_MAX; /* DuckDB's -infinity; INT64_MIN is read back as -infinity too */
        return true;
    }
    size_t i = 0;
    int64_t y, days, tod;
    int m, d;
    if (!parse_ymd(s, len, &i, &y, &m, &d))
        return false;
    if (i >= len || (s[i] != ' ' && s[i] != 'T'))
        return false;
    i++;
    if (!parse_hms(s, len, &i, false, &tod))
        return false;
    int64_t off = 0;
    if (tz) {
        if (i >= len || (s[i] != '+' && s[i] != '-'))
            return false;
        bool neg = s[i] == '-';
        i++;
        int64_t oh = read_two_digits(s, len, &i), om = 0, os = 0;
        if (oh < 0)
            return false;
        if (expect_char(s, len, &i, ':')) {
            om = read_two_digits(s, len, &i);
            if (om < 0)
                return false;
            if (expect_char(s, len, &i, ':')) {
                os = read_two_digits(s, len, &i);
                if (os < 0)
                    return false;
            }
        } else if (i < len && isdigit((unsigned char)s[i])) {
            om = read_two_digits(s, len, &i); /* ±HHMM */
            if (om < 0)
                return false;
        }
        if (oh > 15 || om > 59 || os > 59)
            return false;
        off = (oh * 3600 + om * 60 + os) * US_PER_SEC;
        if (neg)
            off = -off;
    }
    bool bc = parse_bc_suffix(s, len, &i);
    if (i != len || !finish_date(y, m, d, bc, &days))
        return false;
    int64_t v;
    if (__builtin_mul_overflow(days, US_PER_DAY, &v) || __builtin_add_overflow(v, tod, &v) ||
        __builtin_sub_overflow(v, off, &v) || v == INT64_MAX || v <= -INT64_MAX)
        return false;
    *out = v;
    return true;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool parse_uuid_text(const char *s, size_t len, uint8_t out[16])
{
    size_t i = 0;
    if (len > 0 && s[0] == '{') {
        if (s[len - 1] != '}')
            return false;
        i = 1;
        len--;
    }
    int n = 0;
    while (i < len) {
        if (s[i] == '-' && n > 0 && n % 4 == 0 && n < 32) {
            i++;
            continue;
        }
        if (i + 1 >= len)
            return false;
        int hi = hexval((unsigned char)s[i]), lo = hexval((unsigned char)s[i + 1]);
        if (hi < 0 || lo < 0 || n >= 32)
            return false;
        out[n / 2] = (uint8_t)(hi << 4 | lo);
        n += 2;
        i += 2;
    }
    return n == 32;
}

/* Decimal text ("-12.5") scaled to exactly `scale` digits; fails on lost nonzero digits or overflow of p (<= 38).
 * The digits kept number at most p, so they fit an int128; the first 19 are gathered in a uint64, which is all a
 * decimal(18,s) ever needs. */
static bool parse_decimal_text(const char *s, size_t len, int precision, int scale, __int128 *out)
{
    size_t i = 0;
    bool neg = false;
    if (i < len && (s[i] == '-' || s[i] == '+')) {
        neg = s[i] == '-';
        i++;
    }
    uint64_t lo = 0;            /* the digits kept, while there are at most 19 */
    unsigned __int128 big = 0;  /* all of them, once there are more */
    int kept = 0, int_digits = 0, frac_digits = 0;
    bool any = false;
    while (i < len && s[i] == '0') { /* leading zeros count as digits but are not kept */
        any = true;
        i++;
    }
    for (; i < len; i++) {
        unsigned d = (unsigned)(unsigned char)s[i] - '0';
        if (d > 9)
            break;
        any = true;
        if (++int_digits > precision - scale)
            return false;
        if (kept < 19)
            lo = lo * 10 + d;
        else
            big = (kept == 19 ? (unsigned __int128)lo : big) * 10 + d;
        kept++;
    }
    if (i < len && s[i] == '.') {
        i++;
        for (; i < len; i++) {
            unsigned d = (unsigned)(unsigned char)s[i] - '0';
            if (d > 9)
                break;
            any = true;
            if (frac_digits < scale) {
                if (kept < 19)
                    lo = lo * 10 + d;
                else
                    big = (kept == 19 ? (unsigned __int128)lo : big) * 10 + d;
                kept++;
                frac_digits++;
            } else if (d != 0) {
                return false; /* would need rounding */
            }
        }
    }
    if (!any || i != len)
        return false;
    int pad = scale - frac_digits; /* kept + pad <= precision <= 38 */
    unsigned __int128 v;
    if (kept <= 19 && kept + pad <= 19) {
        v = (unsigned __int128)lo * pow10_u64[pad];
    } else {
        v = kept <= 19 ? (unsigned __int128)lo : big;
        while (pad > 0) {
            int step = pad > 19 ? 19 : pad;
            v *= pow10_u64[step];
            pad -= step;
        }
    }
    *out = neg ? -(__int128)v : (__int128)v;
    return true;
}

/* An integer: optional sign, then decimal digits only. */
static bool parse_int_text(const char *s, size_t len, int64_t min, int64_t max, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    if (len > 0 && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        i = 1;
    }
    if (i == len)
        return false;
    uint64_t v = 0;
    for (; i < len; i++) {
        unsigned d = (unsigned)(unsigned char)s[i] - '0';
        if (d > 9 || __builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, d, &v))
            return false;
    }
    /* the magnitude limit of the sign: -(min) as unsigned for negatives */
    uint64_t limit = neg ? (uint64_t)0 - (uint64_t)min : (uint64_t)max;
    if (v > limit)
        return false;
    *out = neg ? (int64_t)((uint64_t)0 - v) : (int64_t)v;
    return true;
}

static bool parse_float_text(const char *s, size_t len, bool single, double *d, float *f)
{
    char buf[400];
    if (len == 0 || len >= sizeof buf)
        return false;
    memcpy(buf, s, len);
    buf[len] = 0;
    if (isspace((unsigned char)buf[0]))
        return false;
    char *end;
    errno = 0;
    if (single) {
        *f = strtof(buf, &end);
        *d = *f;
    } else {
        *d = strtod(buf, &end);
    }
    if (*end)
        return false;
    /* Out-of-range finite text (errno ERANGE with an infinite result) is an error; underflow to 0 is not. */
    if (errno == ERANGE && isinf(*d) && !eq_nocase(s, len, "infinity") && !eq_nocase(s, len, "-infinity") &&
        !eq_nocase(s, len, "inf") && !eq_nocase(s, len, "-inf") && !eq_nocase(s, len, "+infinity"))
        return false;
    return true;
}

int pq_parse_value(const struct pq_column_type *t, const char *s, size_t len, struct pq_parsed *out,
                   struct byte_buffer *scratch)
{
    out->in_ext = out->in_scratch = false;
    switch (t->lt) {
    case LT_TYPE_BOOL:
        if (len == 1 && (s[0] == 't' || s[0] == 'f')) /* PostgreSQL's output */
            out->b = s[0] == 't';
        else if (eq_nocase(s, len, "t") || eq_nocase(s, len, "true") || eq_nocase(s, len, "1"))
            out->b = true;
        else if (eq_nocase(s, len, "f") || eq_nocase(s, len, "false") || eq_nocase(s, len, "0"))
            out->b = false;
        else
            return -1;
        out->fixed[0] = out->b;
        out->len = 1;
        out->i = out->b;
        return 0;
    case LT_TYPE_INT16:
    case LT_TYPE_INT32:
        if (!parse_int_text(s, len, t->lt == LT_TYPE_INT16 ? INT16_MIN : INT32_MIN,
                            t->lt == LT_TYPE_INT16 ? INT16_MAX : INT32_MAX, &out->i))
            return -1;
        put_le(out->fixed, (uint64_t)out->i, 4);
        out->len = 4;
        return 0;
    case LT_TYPE_INT64:
        if (!parse_int_text(s, len, INT64_MIN, INT64_MAX, &out->i))
            return -1;
        put_le(out->fixed, (uint64_t)out->i, 8);
        out->len = 8;
        return 0;
    case LT_TYPE_FLOAT32: {
        float f;
        if (!parse_float_text(s, len, true, &out->d, &f))
            return -1;
        uint32_t bits;
        memcpy(&bits, &f, 4);
        put_le(out->fixed, bits, 4);
        out->len = 4;
        return 0;
    }
    case LT_TYPE_FLOAT64: {
        float unused;
        if (!parse_float_text(s, len, false, &out->d, &unused))
            return -1;
        uint64_t bits;
        memcpy(&bits, &out->d, 8);
        put_le(out->fixed, bits, 8);
        out->len = 8;
        return 0;
    }
    case LT_TYPE_DECIMAL:
        if (t->decimal_as_text)
            break;
        if (!parse_decimal_text(s, len, t->precision, t->scale, &out->dec))
            return -1;
        if (t->physical == PQ_INT32) {
            out->i = (int64_t)out->dec;
            put_le(out->fixed, (uint64_t)out->i, 4);
            out->len = 4;
        } else if (t->physical == PQ_INT64) {
            out->i = (int64_t)out->dec;
            put_le(out->fixed, (uint64_t)out->i, 8);
            out->len = 8;
        } else {
            int n = t->type_length;
            unsigned __int128 u = (unsigned __int128)out->dec;
            for (int k = 0; k < n; k++)
                out->fixed[n - 1 - k] = (uint8_t)(u >> (8 * k));
            out->len = (uint32_t)n;
        }
        return 0;
    case LT_TYPE_BYTES: {
        if (len < 2 || s[0] != '\\' || (s[1] != 'x' && s[1] != 'X') || (len - 2) % 2)
            return -1;
        size_t n = (len - 2) / 2;
        if (!bb_reserve(scratch, n + 1)) /* +1: a buffer even for empty bytes */
            return -1;
        out->scratch_off = scratch->len;
        for (size_t k = 0; k < n; k++) {
            int hi = hexval((unsigned char)s[2 + 2 * k]), lo = hexval((unsigned char)s[3 + 2 * k]);
            if (hi < 0 || lo < 0)
                return -1;
            scratch->data[scratch->len++] = (uint8_t)(hi << 4 | lo);
        }
        out->in_scratch = true;
        out->len = (uint32_t)n;
        return 0;
    }
    case LT_TYPE_DATE: {
        int32_t days;
        if (!parse_date_text(s, len, &days))
            return -1;
        out->i = days;
        put_le(out->fixed, (uint64_t)out->i, 4);
        out->len = 4;
        return 0;
    }
    case LT_TYPE_TIME:
        if (!parse_time_text(s, len, &out->i))
            return -1;
        put_le(out->fixed, (uint64_t)out->i, 8);
        out->len = 8;
        return 0;
    case LT_TYPE_TIMESTAMP:
    case LT_TYPE_TIMESTAMPTZ: {
        int64_t us;
        if (!parse_timestamp_text(s, len, t->lt == LT_TYPE_TIMESTAMPTZ, &us))
            return -1;
        if (t->unit == PQ_UNIT_MILLIS && us != INT64_MAX && us != -INT64_MAX)
            us = us / 1000 - (us % 1000 < 0); /* floor */
        out->i = us;
        put_le(out->fixed, (uint64_t)us, 8);
        out->len = 8;
        return 0;
    }
    case LT_TYPE_UUID:
        if (!parse_uuid_text(s, len, out->fixed))
            return -1;
        out->len = 16;
        return 0;
    default:
        break;
    }
    /* text, json, decimal-as-text: the bytes as they are */
    if (len > UINT32_MAX)
        return -1;
    out->ext = (const uint8_t *)s;
    out->len = (uint32_t)len;
    out->in_ext = true;
    return 0;
}

/* ---- formatting ---- */

static void append_str(struct byte_buffer *out, const char *s)
{
    bb_append(out, s, strlen(s));
}

static void append_fmt_int(struct byte_buffer *out, int64_t v)
{
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%" PRId64, v);
    bb_append(out, buf, (size_t)n);
}

static void append_float(struct byte_buffer *out, double d, bool single)
{
    char buf[64];
    if (isnan(d)) {
        append_str(out, "NaN");
        return;
    }
    if (isinf(d)) {
        append_str(out, d > 0 ? "Infinity" : "-Infinity");
        return;
    }
    int lo = single ? 6 : 15, hi = single ? 9 : 17;
    for (int p = lo; p <= hi; p++) {
        snprintf(buf, sizeof buf, "%.*g", p, d);
        if (single ? strtof(buf, NULL) == (float)d : strtod(buf, NULL) == d)
            break;
    }
    append_str(out, buf);
}

static void append_decimal(struct byte_buffer *out, __int128 v, int scale)
{
    char digits[96];
    int n = 0;
    bool neg = v < 0;
    unsigned __int128 u = neg ? (unsigned __int128)0 - (unsigned __int128)v : (unsigned __int128)v;
    do {
        digits[n++] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u && n < 80);
    while (n <= scale && n < 90)
        digits[n++] = '0';
    if (neg)
        bb_byte(out, '-');
    for (int k = n - 1; k >= 0; k--) {
        bb_byte(out, (uint8_t)digits[k]);
        if (k == scale && scale > 0)
            bb_byte(out, '.');
    }
}

/* Appends ".fff" with trailing zeros trimmed (nothing when zero); frac has `digits` digits. */
static void append_fraction(struct byte_buffer *out, int64_t frac, int digits)
{
    if (frac == 0)
        return;
    char buf[16];
    snprintf(buf, sizeof buf, ".%0*" PRId64, digits, frac);
    size_t n = strlen(buf);
    while (n > 1 && buf[n - 1] == '0')
        n--;
    bb_append(out, buf, n);
}

static void append_date(struct byte_buffer *out, int64_t days, bool *bc)
{
    int64_t y;
    int m, d;
    lt_civil_from_days(days, &y, &m, &d);
    *bc = y <= 0;
    if (*bc)
        y = 1 - y;
    char buf[48];
    int n = snprintf(buf, sizeof buf, "%04" PRId64 "-%02d-%02d", y, m, d);
    bb_append(out, buf, (size_t)n);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && ((a < 0) != (b < 0)));
}

static void append_timestamp(struct byte_buffer *out, int64_t v, int unit, bool tz)
{
    if (v == INT64_MAX) {
        append_str(out, "infinity");
        return;
    }
    if (v == INT64_MIN || v == -INT64_MAX) {
        append_str(out, "-infinity");
        return;
    }
    int64_t per_sec = unit == PQ_UNIT_MILLIS ? 1000 : unit == PQ_UNIT_NANOS ? 1000000000 : 1000000;
    int digits = unit == PQ_UNIT_MILLIS ? 3 : unit == PQ_UNIT_NANOS ? 9 : 6;
    int64_t secs = floor_div(v, per_sec);
    int64_t frac = v % per_sec;
    if (frac < 0)
        frac += per_sec;
    int64_t days = floor_div(secs, 86400);
    int64_t sod = secs - days * 86400;
    bool bc;
    append_date(out, days, &bc);
    char buf[32];
    int n = snprintf(buf, sizeof buf, " %02d:%02d:%02d", (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60));
    bb_append(out, buf, (size_t)n);
    append_fraction(out, frac, digits);
    if (tz)
        append_str(out, "+00");
    if (bc)
        append_str(out, " BC");
}

static void append_time(struct byte_buffer *out, int64_t v, int unit)
{
    int64_t per_sec = unit == PQ_UNIT_MILLIS ? 1000 : unit == PQ_UNIT_NANOS ? 1000000000 : 1000000;
    int digits = unit == PQ_UNIT_MILLIS ? 3 : unit == PQ_UNIT_NANOS ? 9 : 6;
    bool neg = v < 0;
    uint64_t u = neg ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    uint64_t secs = u / (uint64_t)per_sec, frac = u % (uint64_t)per_sec;
    char buf[48];
    int n = snprintf(buf, sizeof buf, "%s%02" PRIu64 ":%02d:%02d", neg ? "-" : "", secs / 3600,
                     (int)(secs / 60 % 60), (int)(secs % 60));
    bb_append(out, buf, (size_t)n);
    append_fraction(out, (int64_t)frac, digits);
}

static void append_hex(struct byte_buffer *out, const uint8_t *v, uint32_t len)
{
    static const char hx[] = "0123456789abcdef";
    if (!bb_reserve(out, 2 + 2 * (size_t)len))
        return;
    out->data[out->len++] = '\\';
    out->data[out->len++] = 'x';
    for (uint32_t i = 0; i < len; i++) {
        out->data[out->len++] = (uint8_t)hx[v[i] >> 4];
        out->data[out->len++] = (uint8_t)hx[v[i] & 15];
    }
}

static uint64_t get_le(const uint8_t *v, int n)
{
    uint64_t x = 0;
    for (int i = 0; i < n; i++)
        x |= (uint64_t)v[i] << (8 * i);
    return x;
}

/* Big-endian two's complement of any length into an int128 (sign-extension bytes beyond 16 allowed). */
static bool be_to_int128(const uint8_t *v, uint32_t len, __int128 *out)
{
    if (len == 0) {
        *out = 0;
        return true;
    }
    uint8_t sign = (v[0] & 0x80) ? 0xff : 0x00;
    while (len > 16) {
        if (v[0] != sign)
            return false;
        v++;
        len--;
    }
    if (len == 16 && ((v[0] & 0x80) ? 0xff : 0x00) != sign)
        return false;
    unsigned __int128 u = sign ? ~(unsigned __int128)0 : 0;
    for (uint32_t i = 0; i < len; i++)
        u = (u << 8) | v[i];
    *out = (__int128)u;
    return true;
}

int pq_format_value(const struct pq_column_type *t, const uint8_t *v, uint32_t len, struct byte_buffer *out,
                    const char **why)
{
    int64_t i64 = 0;
    switch (t->physical) {
    case PQ_BOOLEAN:
        bb_byte(out, v[0] ? 't' : 'f');
        return 0;
    case PQ_INT32:
        i64 = t->is_unsigned ? (int64_t)(uint32_t)get_le(v, 4) : (int64_t)(int32_t)(uint32_t)get_le(v, 4);
        break;
    case PQ_INT64:
        if (t->is_unsigned) {
            char buf[32];
            int n = snprintf(buf, sizeof buf, "%" PRIu64, get_le(v, 8));
            bb_append(out, buf, (size_t)n);
            return 0;
        }
        i64 = (int64_t)get_le(v, 8);
        break;
    case PQ_INT96: {
        int64_t nanos = (int64_t)get_le(v, 8);
        int64_t julian = (int64_t)(uint32_t)get_le(v + 8, 4);
        int64_t days = julian - 2440588;
        if (nanos < 0 || nanos >= INT64_C(86400000000000)) {
            *why = "INT96 timestamp with nanoseconds out of range";
            return -1;
        }
        int64_t us;
        if (__builtin_mul_overflow(days, US_PER_DAY, &us) || __builtin_add_overflow(us, nanos / 1000, &us)) {
            *why = "INT96 timestamp out of range";
            return -1;
        }
        append_timestamp(out, us, PQ_UNIT_MICROS, false);
        /* sub-microsecond digits of INT96 are dropped: canonical timestamps carry microseconds */
        return 0;
    }
    case PQ_FLOAT: {
        float f;
        uint32_t bits = (uint32_t)get_le(v, 4);
        memcpy(&f, &bits, 4);
        append_float(out, f, true);
        return 0;
    }
    case PQ_DOUBLE: {
        double d;
        uint64_t bits = get_le(v, 8);
        memcpy(&d, &bits, 8);
        append_float(out, d, false);
        return 0;
    }
    case PQ_BYTE_ARRAY:
    case PQ_FIXED_LEN_BYTE_ARRAY:
        if (t->lt == LT_TYPE_DECIMAL) {
            __int128 x;
            if (!be_to_int128(v, len, &x)) {
                *why = "DECIMAL value wider than 128 bits";
                return -1;
            }
            append_decimal(out, x, t->scale);
            return 0;
        }
        if (t->lt == LT_TYPE_UUID) {
            static const char hx[] = "0123456789abcdef";
            for (int k = 0; k < 16; k++) {
                if (k == 4 || k == 6 || k == 8 || k == 10)
                    bb_byte(out, '-');
                bb_byte(out, (uint8_t)hx[v[k] >> 4]);
                bb_byte(out, (uint8_t)hx[v[k] & 15]);
            }
            return 0;
        }
        if (t->lt == LT_TYPE_BYTES) {
            append_hex(out, v, len);
            return 0;
        }
        bb_append(out, v, len);
        return 0;
    default:
        *why = "unknown physical type";
        return -1;
    }
    /* INT32 / INT64 */
    switch (t->lt) {
    case LT_TYPE_DECIMAL:
        append_decimal(out, (__int128)i64, t->scale);
        return 0;
    case LT_TYPE_DATE: {
        if (i64 == INT32_MAX) {
            append_str(out, "infinity");
            return 0;
        }
        if (i64 == INT32_MIN || i64 == -INT32_MAX) {
            append_str(out, "-infinity");
            return 0;
        }
        bool bc;
        append_date(out, i64, &bc);
        if (bc)
            append_str(out, " BC");
        return 0;
    }
    case LT_TYPE_TIME:
        append_time(out, i64, t->unit);
        return 0;
    case LT_TYPE_TIMESTAMP:
    case LT_TYPE_TIMESTAMPTZ:
        append_timestamp(out, i64, t->unit, t->lt == LT_TYPE_TIMESTAMPTZ);
        return 0;
    default:
        append_fmt_int(out, i64);
        return 0;
    }
}
