/* DMS data types and exact value conversions (see type_convert.h). */
#include "agent/type_convert.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/typed_value.h"

bool lt_text_buf_reserve(struct lt_text_buf *b, size_t n)
{
    if (b->oom)
        return false;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return false;
        }
        b->p = p;
        b->cap = cap;
    }
    return true;
}

size_t lt_text_buf_put(struct lt_text_buf *b, const char *s, size_t n)
{
    if (!lt_text_buf_reserve(b, n))
        return 0;
    size_t at = b->len;
    if (n)
        memcpy(b->p + at, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return at;
}

void lt_text_buf_free(struct lt_text_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

static bool is_string(enum lt_dms_type t)
{
    return t == LT_DT_STRING || t == LT_DT_WSTRING || t == LT_DT_CLOB || t == LT_DT_NCLOB;
}

void lt_dms_type_column(const struct lt_data_type *dt, enum lt_type *type, int *precision, int *scale,
                        char *source_type, size_t n)
{
    *precision = 0;
    *scale = 0;
    const char *name = lt_dms_type_name(dt->type);
    snprintf(source_type, n, "%s", name);
    switch (dt->type) {
    case LT_DT_STRING: case LT_DT_WSTRING: case LT_DT_CLOB: case LT_DT_NCLOB:
        *type = LT_TYPE_TEXT;
        if (dt->length)
            snprintf(source_type, n, "%s(%d)", name, dt->length);
        break;
    case LT_DT_BOOLEAN: *type = LT_TYPE_BOOL; break;
    case LT_DT_BYTES: case LT_DT_BLOB:
        *type = LT_TYPE_BYTES;
        if (dt->length)
            snprintf(source_type, n, "%s(%d)", name, dt->length);
        break;
    case LT_DT_DATE: *type = LT_TYPE_DATE; break;
    case LT_DT_TIME:
    case LT_DT_DATETIME:
        *type = dt->type == LT_DT_TIME ? LT_TYPE_TIME : LT_TYPE_TIMESTAMP;
        if (dt->precision >= 0)
            snprintf(source_type, n, "%s(%d)", name, dt->precision);
        break;
    case LT_DT_INT1: case LT_DT_INT2: case LT_DT_UINT1: *type = LT_TYPE_INT16; break;
    case LT_DT_INT4: case LT_DT_UINT2: *type = LT_TYPE_INT32; break;
    case LT_DT_INT8: case LT_DT_UINT4: *type = LT_TYPE_INT64; break;
    case LT_DT_UINT8: *type = LT_TYPE_DECIMAL; *precision = 20; break;
    case LT_DT_NUMERIC:
        *type = LT_TYPE_DECIMAL;
        *precision = dt->precision;
        *scale = dt->scale;
        snprintf(source_type, n, "numeric(%d,%d)", dt->precision, dt->scale);
        break;
    case LT_DT_REAL4: *type = LT_TYPE_FLOAT32; break;
    case LT_DT_REAL8: *type = LT_TYPE_FLOAT64; break;
    }
}

/* Decimal digits an integer type's values can have. */
static int int_digits(enum lt_type t)
{
    return t == LT_TYPE_INT16 ? 5 : t == LT_TYPE_INT32 ? 10 : 19;
}

static bool is_int(enum lt_type t)
{
    return t == LT_TYPE_INT16 || t == LT_TYPE_INT32 || t == LT_TYPE_INT64;
}

bool lt_conv_plan(const struct lt_column *src, const struct lt_data_type *dt, struct lt_conv *out, const char **why)
{
    *out = (struct lt_conv){.op = LT_CONV_COPY};
    enum lt_type t = src->type;
    switch (dt->type) {
    case LT_DT_STRING: case LT_DT_WSTRING: case LT_DT_CLOB: case LT_DT_NCLOB:
        if (t == LT_TYPE_BYTES || t == LT_TYPE_BOOL) {
            *why = t == LT_TYPE_BYTES ? "bytes have no text form DMS documents (logtap writes them as \\x hex)"
                                      : "booleans have no text form DMS documents (logtap writes t and f)";
            return false;
        }
        return true;
    case LT_DT_BOOLEAN:
        if (t == LT_TYPE_BOOL)
            return true;
        break;
    case LT_DT_BYTES: case LT_DT_BLOB:
        if (t == LT_TYPE_BYTES)
            return true;
        break;
    case LT_DT_DATE:
        if (t == LT_TYPE_DATE)
            return true;
        if (t == LT_TYPE_TIMESTAMP || t == LT_TYPE_TIMESTAMPTZ) {
            *why = "a date would drop the time of day";
            return false;
        }
        break;
    case LT_DT_TIME:
        if (t == LT_TYPE_TIME && dt->precision < 0)
            return true;
        if (t == LT_TYPE_TIME) {
            *why = "a precision below 6 could cut fractions of a second (leave it out)";
            return false;
        }
        break;
    case LT_DT_DATETIME:
        if (dt->precision >= 0 && dt->precision < 6 && t != LT_TYPE_DATE) {
            *why = "a precision below 6 could cut fractions of a second (leave it out)";
            return false;
        }
        if (t == LT_TYPE_TIMESTAMP)
            return true;
        if (t == LT_TYPE_DATE) {
            *out = (struct lt_conv){.op = LT_CONV_DATE_TO_TS, .text_changes = true};
            return true;
        }
        if (t == LT_TYPE_TIMESTAMPTZ) {
            *out = (struct lt_conv){.op = LT_CONV_TSTZ_TO_TS, .text_changes = true};
            return true;
        }
        break;
    case LT_DT_INT2:
        if (t == LT_TYPE_INT16)
            return true;
        break;
    case LT_DT_INT4:
        if (t == LT_TYPE_INT16 || t == LT_TYPE_INT32)
            return true;
        break;
    case LT_DT_INT8:
        if (is_int(t))
            return true;
        break;
    case LT_DT_NUMERIC:
        if (is_int(t) && dt->precision - dt->scale >= int_digits(t)) {
            *out = (struct lt_conv){.op = dt->scale ? LT_CONV_RESCALE : LT_CONV_COPY, .scale = dt->scale,
                                    .text_changes = dt->scale > 0};
            return true;
        }
        if (t == LT_TYPE_DECIMAL && src->precision > 0 && dt->precision - dt->scale >= src->precision - src->scale &&
            dt->scale >= src->scale) {
            *out = (struct lt_conv){.op = dt->scale != src->scale ? LT_CONV_RESCALE : LT_CONV_COPY, .scale = dt->scale,
                                    .text_changes = dt->scale != src->scale};
            return true;
        }
        if (is_int(t) || t == LT_TYPE_DECIMAL) {
            *why = t == LT_TYPE_DECIMAL && src->precision == 0
                       ? "the source's numeric has no precision: its values may not fit"
                       : "the source's values may not fit that precision and scale";
            return false;
        }
        break;
    case LT_DT_REAL4:
        if (t == LT_TYPE_FLOAT32 || t == LT_TYPE_INT16)
            return true;
        break;
    case LT_DT_REAL8:
        if (t == LT_TYPE_FLOAT64 || t == LT_TYPE_INT16 || t == LT_TYPE_INT32)
            return true;
        break;
    case LT_DT_INT1: case LT_DT_UINT1: case LT_DT_UINT2: case LT_DT_UINT4: case LT_DT_UINT8:
        *why = "the source column's type does not say its values fit (logtap converts only where every value does)";
        return false;
    }
    *why = "that conversion could change values (logtap converts only widening numbers, date or timestamptz to "
           "datetime, and values with a text form to string)";
    return false;
}

/* PostgreSQL's values outside the numbers and dates: NaN, Infinity, -Infinity, infinity, -infinity. */
static bool is_special(const char *s, size_t n)
{
    static const char *const names[] = {"NaN", "Infinity", "-Infinity", "infinity", "-infinity", NULL};
    for (int i = 0; names[i]; i++)
        if (n == strlen(names[i]) && !memcmp(s, names[i], n))
            return true;
    return false;
}

void lt_conv_apply(const struct lt_conv *c, const char *s, size_t n, struct lt_text_buf *buf, size_t *off, size_t *len)
{
    size_t start = buf->len;
    bool bc = n > 3 && !memcmp(s + n - 3, " BC", 3);
    bool special = is_special(s, n);
    switch (c->op) {
    case LT_CONV_COPY:
        lt_text_buf_put(buf, s, n);
        break;
    case LT_CONV_RESCALE: {
        if (special) {
            lt_text_buf_put(buf, s, n);
            break;
        }
        const char *dot = memchr(s, '.', n);
        size_t ilen = dot ? (size_t)(dot - s) : n, flen = dot ? n - ilen - 1 : 0;
        lt_text_buf_put(buf, s, ilen);
        if (c->scale > 0) {
            lt_text_buf_put(buf, ".", 1);
            size_t keep = flen < (size_t)c->scale ? flen : (size_t)c->scale;
            lt_text_buf_put(buf, dot ? dot + 1 : "", keep);
            for (size_t i = keep; i < (size_t)c->scale; i++)
                lt_text_buf_put(buf, "0", 1);
        }
        break;
    }
    case LT_CONV_DATE_TO_TS:
        if (special) {
            lt_text_buf_put(buf, s, n); /* infinity, -infinity */
            break;
        }
        lt_text_buf_put(buf, s, bc ? n - 3 : n);
        lt_text_buf_put(buf, " 00:00:00", 9);
        if (bc)
            lt_text_buf_put(buf, " BC", 3);
        break;
    case LT_CONV_TSTZ_TO_TS: {
        size_t m = bc ? n - 3 : n;
        if (m >= 6 && !memcmp(s + m - 6, "+00:00", 6))
            m -= 6;
        else if (m >= 3 && !memcmp(s + m - 3, "+00", 3))
            m -= 3;
        else if (m >= 1 && s[m - 1] == 'Z')
            m -= 1;
        lt_text_buf_put(buf, s, m);
        if (bc)
            lt_text_buf_put(buf, " BC", 3);
        break;
    }
    }
    *off = start;
    *len = buf->len - start;
}

/* The shortest decimal text that reads back as the same double (or float). */
static void shortest(double v, bool single, char *out, size_t n)
{
    for (int p = 1; p <= 17; p++) {
        snprintf(out, n, "%.*g", p, v);
        if (single ? strtof(out, NULL) == (float)v : strtod(out, NULL) == v)
            return;
    }
}

/* A datetime or time text with `precision` fraction digits (-1: as few as the value needs, as PostgreSQL prints),
 * from one with 6; NULL when that would cut digits that are not 0. */
static char *with_precision(const char *canon, int precision)
{
    char *out = strdup(canon);
    char *dot = out ? strrchr(out, '.') : NULL;
    if (!dot)
        return out;
    size_t keep = precision < 0 ? 6 : (size_t)precision;
    if (precision < 0)
        while (keep > 0 && dot[keep] == '0')
            keep--;
    for (size_t i = keep + 1; dot[i]; i++)
        if (dot[i] != '0') {
            free(out);
            return NULL;
        }
    dot[keep ? keep + 1 : 0] = '\0';
    return out;
}

char *lt_conv_constant(const struct lt_data_type *dt, const char *text, const char **why)
{
    char buf[96];
    const char *w = NULL;
    if (is_string(dt->type))
        return lt_typed_literal(LT_CMP_TEXT, text, why);
    switch (dt->type) {
    case LT_DT_BOOLEAN:
        return lt_typed_literal(LT_CMP_BOOL, text, why);
    case LT_DT_INT1: case LT_DT_INT2: case LT_DT_INT4: case LT_DT_INT8:
    case LT_DT_UINT1: case LT_DT_UINT2: case LT_DT_UINT4: {
        static const int64_t lo[] = {[LT_DT_INT1] = -128, [LT_DT_INT2] = -32768, [LT_DT_INT4] = INT32_MIN,
                                     [LT_DT_INT8] = INT64_MIN, [LT_DT_UINT1] = 0, [LT_DT_UINT2] = 0, [LT_DT_UINT4] = 0};
        static const int64_t hi[] = {[LT_DT_INT1] = 127, [LT_DT_INT2] = 32767, [LT_DT_INT4] = INT32_MAX,
                                     [LT_DT_INT8] = INT64_MAX, [LT_DT_UINT1] = 255, [LT_DT_UINT2] = 65535,
                                     [LT_DT_UINT4] = 4294967295LL};
        char *c = lt_typed_literal(LT_CMP_INT, text, why);
        if (!c)
            return NULL;
        long long v = strtoll(c, NULL, 10);
        if (v < lo[dt->type] || v > hi[dt->type]) {
            *why = "is out of the type's range";
            free(c);
            return NULL;
        }
        return c;
    }
    case LT_DT_UINT8: {
        char *c = lt_typed_literal(LT_CMP_DECIMAL, text, why);
        if (c && (c[0] == '-' || strchr(c, '.') || strlen(c) > 20 || (strlen(c) == 20 && strcmp(c, "18446744073709551615") > 0))) {
            *why = "is not an unsigned 64-bit integer";
            free(c);
            return NULL;
        }
        return c;
    }
    case LT_DT_NUMERIC: {
        char *c = lt_typed_literal(LT_CMP_DECIMAL, text, why);
        if (!c)
            return NULL;
        const char *digits = c[0] == '-' ? c + 1 : c, *dot = strchr(digits, '.');
        size_t ilen = dot ? (size_t)(dot - digits) : strlen(digits), flen = dot ? strlen(dot + 1) : 0;
        if (ilen == 1 && digits[0] == '0')
            ilen = 0;
        if ((int)flen > dt->scale || (int)ilen > dt->precision - dt->scale) {
            *why = "does not fit the numeric's precision and scale";
            free(c);
            return NULL;
        }
        struct lt_conv cv = {.op = LT_CONV_RESCALE, .scale = dt->scale};
        struct lt_text_buf b = {0};
        size_t off, len;
        lt_conv_apply(&cv, c, strlen(c), &b, &off, &len);
        free(c);
        if (b.oom) {
            lt_text_buf_free(&b);
            return NULL;
        }
        return b.p;
    }
    case LT_DT_REAL4:
    case LT_DT_REAL8: {
        char *c = lt_typed_literal(dt->type == LT_DT_REAL4 ? LT_CMP_FLOAT32 : LT_CMP_FLOAT64, text, why);
        if (!c)
            return NULL;
        shortest(strtod(c, NULL), dt->type == LT_DT_REAL4, buf, sizeof buf);
        free(c);
        return strdup(buf);
    }
    case LT_DT_DATE:
        return lt_typed_literal(LT_CMP_DATE, text, why);
    case LT_DT_DATETIME:
    case LT_DT_TIME: {
        char *c = lt_typed_literal(dt->type == LT_DT_TIME ? LT_CMP_TIME : LT_CMP_TIMESTAMP, text, &w);
        if (!c) {
            *why = w;
            return NULL;
        }
        char *out = with_precision(c, dt->precision);
        free(c);
        if (!out)
            *why = "has more fraction digits than the precision";
        return out;
    }
    default:
        *why = "has no constant form in logtap (bytes)";
        return NULL;
    }
}
