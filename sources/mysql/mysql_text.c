/* The growable text buffer every MySQL/MariaDB value decoder appends to (row images, binary JSON, full-load
 * values), and the number and byte text forms they share: DECIMAL, double/float and \x-hex. */
#include "sources/mysql/mysql_text.h"

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/digits.h"
#include "sources/mysql/mysql_bytes.h"

#define SCRATCH_DEFAULT_LIMIT ((size_t)1 << 30)

/* ---- scratch buffer ---- */

void lt_my_scratch_reset(struct lt_my_scratch *s)
{
    s->len = 0;
}

void lt_my_scratch_free(struct lt_my_scratch *s)
{
    free(s->data);
    free(s->offs);
    s->data = NULL;
    s->offs = NULL;
    s->len = s->cap = s->offs_cap = 0;
}

int lt_my_scratch_reserve(struct lt_my_scratch *s, size_t extra, struct lt_error *err)
{
    size_t limit = s->limit ? s->limit : SCRATCH_DEFAULT_LIMIT;
    if (extra > limit || s->len > limit - extra)
        return lt_fail(err, LT_ERR_RUNTIME, "value text would exceed the %zu-byte decode buffer limit", limit);
    size_t need = s->len + extra;
    if (need <= s->cap)
        return LT_OK;
    size_t cap = s->cap ? s->cap : 256;
    while (cap < need)
        cap = cap > limit / 2 ? limit : cap * 2;
    char *p = realloc(s->data, cap);
    if (!p)
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory growing the decode buffer to %zu bytes", cap);
    s->data = p;
    s->cap = cap;
    return LT_OK;
}

int lt_my_scratch_append(struct lt_my_scratch *s, const void *p, size_t n, struct lt_error *err)
{
    int rc = lt_my_scratch_reserve(s, n, err);
    if (rc)
        return rc;
    if (n)
        memcpy(s->data + s->len, p, n);
    s->len += n;
    return LT_OK;
}

size_t lt_my_decimal_size(int precision, int scale)
{
    static const int dig2bytes[10] = {0, 1, 1, 2, 2, 3, 3, 4, 4, 4};
    if (precision < 1 || precision > 65 || scale < 0 || scale > 38 || scale > precision)
        return 0;
    int intg = precision - scale;
    return (size_t)((intg / 9) * 4 + dig2bytes[intg % 9] + (scale / 9) * 4 + dig2bytes[scale % 9]);
}


/* ---- numbers ---- */

int lt_my_double_to_text(double v, struct lt_my_scratch *s, struct lt_error *err)
{
    char buf[40];
    if (isnan(v) || isinf(v))
        return lt_my_scratch_append(s, isnan(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity",
                                        isnan(v) ? 3 : v > 0 ? 8 : 9, err);
    int n = 0;
    for (int prec = 1; prec <= 17; prec++) {
        n = snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    return lt_my_scratch_append(s, buf, (size_t)n, err);
}

int lt_my_float_to_text(float v, struct lt_my_scratch *s, struct lt_error *err)
{
    char buf[40];
    if (isnan(v) || isinf(v))
        return lt_my_double_to_text((double)v, s, err);
    int n = 0;
    for (int prec = 1; prec <= 9; prec++) {
        n = snprintf(buf, sizeof buf, "%.*g", prec, (double)v);
        if (strtof(buf, NULL) == v)
            break;
    }
    return lt_my_scratch_append(s, buf, (size_t)n, err);
}

int lt_my_decimal_to_text(const uint8_t *p, size_t n, int precision, int scale, struct lt_my_scratch *s,
                              size_t *used, struct lt_error *err)
{
    static const int dig2bytes[10] = {0, 1, 1, 2, 2, 3, 3, 4, 4, 4};
    static const uint32_t pow10[10] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000};
    size_t size = lt_my_decimal_size(precision, scale);
    if (!size)
        return lt_fail(err, LT_ERR_RUNTIME, "DECIMAL(%d,%d) out of range", precision, scale);
    if (n < size)
        return lt_fail(err, LT_ERR_RUNTIME, "DECIMAL(%d,%d) needs %zu bytes, %zu left", precision, scale, size, n);
    uint8_t b[40];
    memcpy(b, p, size);
    bool negative = !(b[0] & 0x80);
    b[0] ^= 0x80;
    if (negative)
        for (size_t i = 0; i < size; i++)
            b[i] = (uint8_t)~b[i];
    int intg = precision - scale;
    /* digits: at most 65 + sign + point */
    char digits[80];
    size_t nd = 0, pos = 0;
    char intbuf[80];
    size_t ni = 0;
    int lead = intg % 9;
    if (lead) {
        int nb = dig2bytes[lead];
        uint32_t v = (uint32_t)lt_be_n(b + pos, (size_t)nb);
        pos += (size_t)nb;
        if (v >= pow10[lead])
            return lt_fail(err, LT_ERR_RUNTIME, "malformed DECIMAL(%d,%d): leading group %u", precision, scale, v);
        lt_dec_fixed(v, lead, intbuf + ni);
        ni += (size_t)lead;
    }
    for (int w = 0; w < intg / 9; w++) {
        uint32_t v = (uint32_t)lt_be_n(b + pos, 4);
        pos += 4;
        if (v >= pow10[9])
            return lt_fail(err, LT_ERR_RUNTIME, "malformed DECIMAL(%d,%d): group %u", precision, scale, v);
        lt_dec_fixed(v, 9, intbuf + ni);
        ni += 9;
    }
    char fracbuf[48];
    size_t nf = 0;
    for (int w = 0; w < scale / 9; w++) {
        uint32_t v = (uint32_t)lt_be_n(b + pos, 4);
        pos += 4;
        if (v >= pow10[9])
            return lt_fail(err, LT_ERR_RUNTIME, "malformed DECIMAL(%d,%d): fraction group %u", precision, scale, v);
        lt_dec_fixed(v, 9, fracbuf + nf);
        nf += 9;
    }
    int trail = scale % 9;
    if (trail) {
        int nb = dig2bytes[trail];
        uint32_t v = (uint32_t)lt_be_n(b + pos, (size_t)nb);
        pos += (size_t)nb;
        if (v >= pow10[trail])
            return lt_fail(err, LT_ERR_RUNTIME, "malformed DECIMAL(%d,%d): trailing group %u", precision, scale, v);
        lt_dec_fixed(v, trail, fracbuf + nf);
        nf += (size_t)trail;
    }
    /* strip leading zeros of the integer part, keeping one */
    size_t skip = 0;
    while (skip < ni && intbuf[skip] == '0')
        skip++;
    bool all_zero = skip == ni;
    for (size_t i = 0; i < nf; i++)
        if (fracbuf[i] != '0')
            all_zero = false;
    if (negative && !all_zero)
        digits[nd++] = '-';
    if (skip == ni) {
        digits[nd++] = '0';
    } else {
        memcpy(digits + nd, intbuf + skip, ni - skip);
        nd += ni - skip;
    }
    if (nf) {
        digits[nd++] = '.';
        memcpy(digits + nd, fracbuf, nf);
        nd += nf;
    }
    *used = size;
    return lt_my_scratch_append(s, digits, nd, err);
}

int lt_my_hex_to_text(const uint8_t *p, size_t n, struct lt_my_scratch *s, struct lt_error *err)
{
    static const char hex[] = "0123456789abcdef";
    if (n > ((size_t)-1 - 2) / 2)
        return lt_fail(err, LT_ERR_RUNTIME, "binary value too long");
    int rc = lt_my_scratch_reserve(s, 2 + 2 * n, err);
    if (rc)
        return rc;
    char *o = s->data + s->len;
    *o++ = '\\';
    *o++ = 'x';
    for (size_t i = 0; i < n; i++) {
        *o++ = hex[p[i] >> 4];
        *o++ = hex[p[i] & 15];
    }
    s->len += 2 + 2 * n;
    return LT_OK;
}

