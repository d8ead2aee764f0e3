/* MySQL/MariaDB row-image values to canonical text: see binlog_types.h for the wire layout of every type and the
 * text forms written. Every read is bounds-checked by the caller through lt_binlog_value_size first, and again
 * here where a value's own bytes say how long it is. */
#include "agent/calendar.h"
#include "agent/digits.h"
#include "sources/mysql/binlog_types.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sources/mysql/mysql_json.h"

#define SCRATCH_DEFAULT_LIMIT ((size_t)1 << 30)

static int append_u64(struct lt_my_scratch *s, uint64_t v, struct lt_error *err)
{
    char buf[LT_DEC_MAX];
    return lt_my_scratch_append(s, buf, lt_dec_u64(v, buf), err);
}

static int append_i64(struct lt_my_scratch *s, int64_t v, struct lt_error *err)
{
    char buf[LT_DEC_MAX];
    return lt_my_scratch_append(s, buf, lt_dec_i64(v, buf), err);
}

/* YYYY-MM-DD (y <= 9999), and with with_time " HH:MM:SS" (h <= 99). */
static int append_date_time(struct lt_my_scratch *s, unsigned y, unsigned m, unsigned d, bool with_time,
                            unsigned h, unsigned mi, unsigned sec, struct lt_error *err)
{
    char buf[19];
    lt_dec_fixed(y, 4, buf);
    buf[4] = '-';
    lt_dec_fixed(m, 2, buf + 5);
    buf[7] = '-';
    lt_dec_fixed(d, 2, buf + 8);
    if (!with_time)
        return lt_my_scratch_append(s, buf, 10, err);
    buf[10] = ' ';
    lt_dec_fixed(h, 2, buf + 11);
    buf[13] = ':';
    lt_dec_fixed(mi, 2, buf + 14);
    buf[16] = ':';
    lt_dec_fixed(sec, 2, buf + 17);
    return lt_my_scratch_append(s, buf, 19, err);
}

/* [-]HH:MM:SS, the hours with at least two digits (TIME goes up to 838 hours). */
static int append_hms(struct lt_my_scratch *s, bool neg, uint64_t h, unsigned mi, unsigned sec,
                      struct lt_error *err)
{
    char buf[LT_DEC_MAX + 8];
    size_t n = 0;
    if (neg)
        buf[n++] = '-';
    if (h < 10)
        buf[n++] = '0';
    n += lt_dec_u64(h, buf + n);
    buf[n++] = ':';
    lt_dec_fixed(mi, 2, buf + n);
    buf[n + 2] = ':';
    lt_dec_fixed(sec, 2, buf + n + 3);
    return lt_my_scratch_append(s, buf, n + 5, err);
}

/* ---- type names and metadata ---- */

const char *lt_mysql_type_name(uint8_t type)
{
    switch (type) {
    case LT_MYSQL_TYPE_DECIMAL: return "DECIMAL(old)";
    case LT_MYSQL_TYPE_TINY: return "TINYINT";
    case LT_MYSQL_TYPE_SHORT: return "SMALLINT";
    case LT_MYSQL_TYPE_LONG: return "INT";
    case LT_MYSQL_TYPE_FLOAT: return "FLOAT";
    case LT_MYSQL_TYPE_DOUBLE: return "DOUBLE";
    case LT_MYSQL_TYPE_NULL: return "NULL";
    case LT_MYSQL_TYPE_TIMESTAMP: return "TIMESTAMP";
    case LT_MYSQL_TYPE_LONGLONG: return "BIGINT";
    case LT_MYSQL_TYPE_INT24: return "MEDIUMINT";
    case LT_MYSQL_TYPE_DATE: return "DATE";
    case LT_MYSQL_TYPE_TIME: return "TIME";
    case LT_MYSQL_TYPE_DATETIME: return "DATETIME";
    case LT_MYSQL_TYPE_YEAR: return "YEAR";
    case LT_MYSQL_TYPE_NEWDATE: return "DATE";
    case LT_MYSQL_TYPE_VARCHAR: return "VARCHAR";
    case LT_MYSQL_TYPE_BIT: return "BIT";
    case LT_MYSQL_TYPE_TIMESTAMP2: return "TIMESTAMP2";
    case LT_MYSQL_TYPE_DATETIME2: return "DATETIME2";
    case LT_MYSQL_TYPE_TIME2: return "TIME2";
    case LT_MYSQL_TYPE_JSON: return "JSON";
    case LT_MYSQL_TYPE_NEWDECIMAL: return "DECIMAL";
    case LT_MYSQL_TYPE_ENUM: return "ENUM";
    case LT_MYSQL_TYPE_SET: return "SET";
    case LT_MYSQL_TYPE_TINY_BLOB: return "TINYBLOB";
    case LT_MYSQL_TYPE_MEDIUM_BLOB: return "MEDIUMBLOB";
    case LT_MYSQL_TYPE_LONG_BLOB: return "LONGBLOB";
    case LT_MYSQL_TYPE_BLOB: return "BLOB";
    case LT_MYSQL_TYPE_VAR_STRING: return "VAR_STRING";
    case LT_MYSQL_TYPE_STRING: return "CHAR";
    case LT_MYSQL_TYPE_GEOMETRY: return "GEOMETRY";
    default: return "UNKNOWN";
    }
}

bool lt_mysql_type_is_numeric(uint8_t type)
{
    switch (type) {
    case LT_MYSQL_TYPE_TINY: case LT_MYSQL_TYPE_SHORT: case LT_MYSQL_TYPE_INT24: case LT_MYSQL_TYPE_LONG:
    case LT_MYSQL_TYPE_LONGLONG: case LT_MYSQL_TYPE_NEWDECIMAL: case LT_MYSQL_TYPE_FLOAT: case LT_MYSQL_TYPE_DOUBLE:
        return true;
    default:
        return false;
    }
}

bool lt_mysql_type_is_character(uint8_t type)
{
    switch (type) {
    case LT_MYSQL_TYPE_STRING: case LT_MYSQL_TYPE_VAR_STRING: case LT_MYSQL_TYPE_VARCHAR: case LT_MYSQL_TYPE_BLOB:
    case LT_MYSQL_TYPE_TINY_BLOB: case LT_MYSQL_TYPE_MEDIUM_BLOB: case LT_MYSQL_TYPE_LONG_BLOB:
    case LT_MYSQL_TYPE_GEOMETRY: /* a BLOB underneath: the server lists it with the character columns */
        return true;
    default:
        return false;
    }
}

int lt_binlog_column_read_meta(struct lt_binlog_column *col, uint8_t type, const uint8_t *p, size_t n, size_t *used,
                               struct lt_error *err)
{
    size_t need;
    col->wire_type = type;
    col->type = type;
    col->meta = 0;
    switch (type) {
    case LT_MYSQL_TYPE_TINY: case LT_MYSQL_TYPE_SHORT: case LT_MYSQL_TYPE_LONG: case LT_MYSQL_TYPE_NULL:
    case LT_MYSQL_TYPE_TIMESTAMP: case LT_MYSQL_TYPE_LONGLONG: case LT_MYSQL_TYPE_INT24: case LT_MYSQL_TYPE_DATE:
    case LT_MYSQL_TYPE_TIME: case LT_MYSQL_TYPE_DATETIME: case LT_MYSQL_TYPE_YEAR: case LT_MYSQL_TYPE_NEWDATE:
        need = 0;
        break;
    case LT_MYSQL_TYPE_FLOAT: case LT_MYSQL_TYPE_DOUBLE: case LT_MYSQL_TYPE_BLOB: case LT_MYSQL_TYPE_TINY_BLOB:
    case LT_MYSQL_TYPE_MEDIUM_BLOB: case LT_MYSQL_TYPE_LONG_BLOB: case LT_MYSQL_TYPE_GEOMETRY: case LT_MYSQL_TYPE_JSON:
    case LT_MYSQL_TYPE_TIMESTAMP2: case LT_MYSQL_TYPE_DATETIME2: case LT_MYSQL_TYPE_TIME2:
        need = 1;
        break;
    case LT_MYSQL_TYPE_VARCHAR: case LT_MYSQL_TYPE_VAR_STRING: case LT_MYSQL_TYPE_BIT: case LT_MYSQL_TYPE_NEWDECIMAL:
    case LT_MYSQL_TYPE_STRING: case LT_MYSQL_TYPE_ENUM: case LT_MYSQL_TYPE_SET:
        need = 2;
        break;
    default:
        return lt_fail(err, LT_ERR_RUNTIME, "unsupported column type %u in table map", type);
    }
    if (n < need)
        return lt_fail(err, LT_ERR_RUNTIME, "column metadata truncated for type %s", lt_mysql_type_name(type));
    *used = need;
    switch (type) {
    case LT_MYSQL_TYPE_FLOAT: case LT_MYSQL_TYPE_DOUBLE:
        col->meta = p[0];
        if (col->meta != (type == LT_MYSQL_TYPE_FLOAT ? 4 : 8))
            col->meta = type == LT_MYSQL_TYPE_FLOAT ? 4 : 8; /* the size is fixed by the type; metadata is advisory */
        break;
    case LT_MYSQL_TYPE_BLOB: case LT_MYSQL_TYPE_TINY_BLOB: case LT_MYSQL_TYPE_MEDIUM_BLOB: case LT_MYSQL_TYPE_LONG_BLOB:
    case LT_MYSQL_TYPE_GEOMETRY: case LT_MYSQL_TYPE_JSON:
        col->meta = p[0];
        if (col->meta < 1 || col->meta > 4)
            return lt_fail(err, LT_ERR_RUNTIME, "%s column has length-prefix size %u (expected 1-4)",
                           lt_mysql_type_name(type), p[0]);
        break;
    case LT_MYSQL_TYPE_TIMESTAMP2: case LT_MYSQL_TYPE_DATETIME2: case LT_MYSQL_TYPE_TIME2:
        col->meta = p[0];
        if (col->meta > 6)
            return lt_fail(err, LT_ERR_RUNTIME, "%s column has fractional precision %u (max 6)",
                           lt_mysql_type_name(type), p[0]);
        break;
    case LT_MYSQL_TYPE_VARCHAR: case LT_MYSQL_TYPE_VAR_STRING:
        col->meta = (uint16_t)lt_le16(p);
        break;
    case LT_MYSQL_TYPE_BIT:
        col->meta = (uint16_t)(p[1] * 8 + p[0]);
        if (p[0] > 7 || col->meta == 0 || col->meta > 64)
            return lt_fail(err, LT_ERR_RUNTIME, "BIT column metadata %u/%u out of range", p[0], p[1]);
        break;
    case LT_MYSQL_TYPE_NEWDECIMAL:
        col->meta = (uint16_t)(p[0] << 8 | p[1]);
        if (lt_my_decimal_size(p[0], p[1]) == 0)
            return lt_fail(err, LT_ERR_RUNTIME, "DECIMAL(%u,%u) out of range", p[0], p[1]);
        break;
    case LT_MYSQL_TYPE_STRING: case LT_MYSQL_TYPE_ENUM: case LT_MYSQL_TYPE_SET: {
        uint8_t real = p[0];
        uint32_t len = p[1];
        if (real != 0 && (real & 0x30) != 0x30) {
            /* CHAR longer than 255 bytes: bits 8-9 of the length are stored inverted in bits 4-5 of the type */
            len |= (uint32_t)((real & 0x30) ^ 0x30) << 4;
            real |= 0x30;
        }
        if (real == 0)
            real = type; /* some writers leave the real type out */
        if (real == LT_MYSQL_TYPE_ENUM) {
            if (len != 1 && len != 2)
                return lt_fail(err, LT_ERR_RUNTIME, "ENUM column has pack length %u (expected 1 or 2)", len);
        } else if (real == LT_MYSQL_TYPE_SET) {
            if (len < 1 || len > 8)
                return lt_fail(err, LT_ERR_RUNTIME, "SET column has pack length %u (expected 1-8)", len);
        } else if (real != LT_MYSQL_TYPE_STRING) {
            return lt_fail(err, LT_ERR_RUNTIME, "CHAR column has unknown real type %u", real);
        }
        col->type = real;
        col->meta = (uint16_t)len;
        break;
    }
    default:
        break;
    }
    return LT_OK;
}

enum lt_type lt_binlog_column_canonical_type(const struct lt_binlog_column *col, int *precision, int *scale)
{
    *precision = 0;
    *scale = 0;
    switch (col->type) {
    case LT_MYSQL_TYPE_TINY:
        return LT_TYPE_INT16;
    case LT_MYSQL_TYPE_SHORT:
        return col->is_unsigned ? LT_TYPE_INT32 : LT_TYPE_INT16;
    case LT_MYSQL_TYPE_INT24:
        return LT_TYPE_INT32;
    case LT_MYSQL_TYPE_LONG:
        return col->is_unsigned ? LT_TYPE_INT64 : LT_TYPE_INT32;
    case LT_MYSQL_TYPE_LONGLONG:
        if (col->is_unsigned) { /* does not fit int64: travels as DECIMAL(20,0) */
            *precision = 20;
            return LT_TYPE_DECIMAL;
        }
        return LT_TYPE_INT64;
    case LT_MYSQL_TYPE_YEAR:
        return LT_TYPE_INT16;
    case LT_MYSQL_TYPE_BIT:
        if (col->meta > 63) {
            *precision = 20;
            return LT_TYPE_DECIMAL;
        }
        return LT_TYPE_INT64;
    case LT_MYSQL_TYPE_FLOAT:
        return LT_TYPE_FLOAT32;
    case LT_MYSQL_TYPE_DOUBLE:
        return LT_TYPE_FLOAT64;
    case LT_MYSQL_TYPE_NEWDECIMAL:
        *precision = col->meta >> 8;
        *scale = col->meta & 0xff;
        return LT_TYPE_DECIMAL;
    case LT_MYSQL_TYPE_DATE: case LT_MYSQL_TYPE_NEWDATE:
        return LT_TYPE_DATE;
    case LT_MYSQL_TYPE_TIME: case LT_MYSQL_TYPE_TIME2:
        return LT_TYPE_TEXT; /* MySQL TIME is a duration (-838:59:59 .. 838:59:59), not a time of day */
    case LT_MYSQL_TYPE_DATETIME: case LT_MYSQL_TYPE_DATETIME2:
        return LT_TYPE_TIMESTAMP;
    case LT_MYSQL_TYPE_TIMESTAMP: case LT_MYSQL_TYPE_TIMESTAMP2:
        return LT_TYPE_TIMESTAMPTZ;
    case LT_MYSQL_TYPE_JSON:
        return LT_TYPE_JSON;
    case LT_MYSQL_TYPE_GEOMETRY:
        return LT_TYPE_BYTES;
    case LT_MYSQL_TYPE_STRING: case LT_MYSQL_TYPE_VARCHAR: case LT_MYSQL_TYPE_VAR_STRING: case LT_MYSQL_TYPE_BLOB:
    case LT_MYSQL_TYPE_TINY_BLOB: case LT_MYSQL_TYPE_MEDIUM_BLOB: case LT_MYSQL_TYPE_LONG_BLOB:
        return col->charset == LT_MYSQL_CHARSET_BINARY ? LT_TYPE_BYTES : LT_TYPE_TEXT;
    default:
        return LT_TYPE_TEXT;
    }
}

/* Bytes per character of a collation's charset, or 0 when not known here. */
static unsigned charset_mbmaxlen(unsigned cs)
{
    if (cs == LT_MYSQL_CHARSET_BINARY || lt_mysql_charset_is_latin1(cs) || cs == 11 || cs == 65)
        return 1;
    if (cs == 33 || cs == 83 || cs == 76 || (cs >= 192 && cs <= 215) || cs == 223)
        return 3;
    if (cs == 45 || cs == 46 || (cs >= 224 && cs <= 247) || (cs >= 255 && cs <= 323))
        return 4;
    return 0;
}

void lt_binlog_column_source_type(const struct lt_binlog_column *col, char *out, size_t size)
{
    static const char *const geometry[8] = {"geometry", "point", "linestring", "polygon", "multipoint",
                                            "multilinestring", "multipolygon", "geometrycollection"};
    const char *uns = col->is_unsigned ? " unsigned" : "";
    bool binary = col->charset == LT_MYSQL_CHARSET_BINARY;
    unsigned mb = charset_mbmaxlen(col->charset);
    unsigned chars = mb ? col->meta / mb : col->meta;
    switch (col->type) {
    case LT_MYSQL_TYPE_TINY: snprintf(out, size, "tinyint%s", uns); break;
    case LT_MYSQL_TYPE_SHORT: snprintf(out, size, "smallint%s", uns); break;
    case LT_MYSQL_TYPE_INT24: snprintf(out, size, "mediumint%s", uns); break;
    case LT_MYSQL_TYPE_LONG: snprintf(out, size, "int%s", uns); break;
    case LT_MYSQL_TYPE_LONGLONG: snprintf(out, size, "bigint%s", uns); break;
    case LT_MYSQL_TYPE_FLOAT: snprintf(out, size, "float%s", uns); break;
    case LT_MYSQL_TYPE_DOUBLE: snprintf(out, size, "double%s", uns); break;
    case LT_MYSQL_TYPE_NEWDECIMAL:
        snprintf(out, size, "decimal(%u,%u)%s", col->meta >> 8, col->meta & 0xff, uns);
        break;
    case LT_MYSQL_TYPE_YEAR: snprintf(out, size, "year"); break;
    case LT_MYSQL_TYPE_DATE: case LT_MYSQL_TYPE_NEWDATE: snprintf(out, size, "date"); break;
    case LT_MYSQL_TYPE_TIME: snprintf(out, size, "time"); break;
    case LT_MYSQL_TYPE_DATETIME: snprintf(out, size, "datetime"); break;
    case LT_MYSQL_TYPE_TIMESTAMP: snprintf(out, size, "timestamp"); break;
    case LT_MYSQL_TYPE_TIME2: case LT_MYSQL_TYPE_DATETIME2: case LT_MYSQL_TYPE_TIMESTAMP2: {
        const char *n = col->type == LT_MYSQL_TYPE_TIME2 ? "time"
                        : col->type == LT_MYSQL_TYPE_DATETIME2 ? "datetime" : "timestamp";
        if (col->meta)
            snprintf(out, size, "%s(%u)", n, col->meta);
        else
            snprintf(out, size, "%s", n);
        break;
    }
    case LT_MYSQL_TYPE_BIT: snprintf(out, size, "bit(%u)", col->meta); break;
    case LT_MYSQL_TYPE_VARCHAR: case LT_MYSQL_TYPE_VAR_STRING:
        snprintf(out, size, "%s(%u)", binary ? "varbinary" : "varchar", chars);
        break;
    case LT_MYSQL_TYPE_STRING: snprintf(out, size, "%s(%u)", binary ? "binary" : "char", chars); break;
    case LT_MYSQL_TYPE_ENUM: snprintf(out, size, "enum"); break;
    case LT_MYSQL_TYPE_SET: snprintf(out, size, "set"); break;
    case LT_MYSQL_TYPE_BLOB: case LT_MYSQL_TYPE_TINY_BLOB: case LT_MYSQL_TYPE_MEDIUM_BLOB:
    case LT_MYSQL_TYPE_LONG_BLOB: {
        static const char *const prefix[5] = {"", "tiny", "", "medium", "long"};
        snprintf(out, size, "%s%s", prefix[col->meta <= 4 ? col->meta : 0],
                 binary || col->charset == 0 ? "blob" : "text");
        break;
    }
    case LT_MYSQL_TYPE_JSON: snprintf(out, size, "json"); break;
    case LT_MYSQL_TYPE_GEOMETRY: snprintf(out, size, "%s", geometry[col->geometry_type & 7]); break;
    default: snprintf(out, size, "%s", lt_mysql_type_name(col->type)); break;
    }
}

/* ---- sizes ---- */

static int frac_bytes(unsigned fsp)
{
    return (int)(fsp + 1) / 2;
}

int lt_binlog_value_size(const struct lt_binlog_column *col, const uint8_t *p, size_t n, size_t *size,
                         struct lt_error *err)
{
    size_t sz = 0;
    switch (col->type) {
    case LT_MYSQL_TYPE_NULL: sz = 0; break;
    case LT_MYSQL_TYPE_TINY: case LT_MYSQL_TYPE_YEAR: sz = 1; break;
    case LT_MYSQL_TYPE_SHORT: sz = 2; break;
    case LT_MYSQL_TYPE_INT24: case LT_MYSQL_TYPE_DATE: case LT_MYSQL_TYPE_NEWDATE: case LT_MYSQL_TYPE_TIME:
        sz = 3;
        break;
    case LT_MYSQL_TYPE_LONG: case LT_MYSQL_TYPE_TIMESTAMP: sz = 4; break;
    case LT_MYSQL_TYPE_LONGLONG: case LT_MYSQL_TYPE_DATETIME: sz = 8; break;
    case LT_MYSQL_TYPE_FLOAT: sz = 4; break;
    case LT_MYSQL_TYPE_DOUBLE: sz = 8; break;
    case LT_MYSQL_TYPE_TIMESTAMP2: sz = 4 + (size_t)frac_bytes(col->meta); break;
    case LT_MYSQL_TYPE_DATETIME2: sz = 5 + (size_t)frac_bytes(col->meta); break;
    case LT_MYSQL_TYPE_TIME2: sz = 3 + (size_t)frac_bytes(col->meta); break;
    case LT_MYSQL_TYPE_BIT: sz = ((size_t)col->meta + 7) / 8; break;
    case LT_MYSQL_TYPE_NEWDECIMAL:
        sz = lt_my_decimal_size(col->meta >> 8, col->meta & 0xff);
        if (!sz)
            return lt_fail(err, LT_ERR_RUNTIME, "DECIMAL metadata out of range");
        break;
    case LT_MYSQL_TYPE_ENUM: case LT_MYSQL_TYPE_SET: sz = col->meta; break;
    case LT_MYSQL_TYPE_VARCHAR: case LT_MYSQL_TYPE_VAR_STRING: case LT_MYSQL_TYPE_STRING: {
        size_t pre = col->meta > 255 ? 2 : 1;
        if (n < pre)
            return lt_fail(err, LT_ERR_RUNTIME, "%s length truncated", lt_mysql_type_name(col->type));
        size_t len = pre == 1 ? p[0] : lt_le16(p);
        sz = pre + len;
        break;
    }
    case LT_MYSQL_TYPE_BLOB: case LT_MYSQL_TYPE_TINY_BLOB: case LT_MYSQL_TYPE_MEDIUM_BLOB: case LT_MYSQL_TYPE_LONG_BLOB:
    case LT_MYSQL_TYPE_GEOMETRY: case LT_MYSQL_TYPE_JSON: {
        size_t pre = col->meta;
        if (pre < 1 || pre > 4)
            return lt_fail(err, LT_ERR_RUNTIME, "%s length-prefix size %zu", lt_mysql_type_name(col->type), pre);
        if (n < pre)
            return lt_fail(err, LT_ERR_RUNTIME, "%s length truncated", lt_mysql_type_name(col->type));
        uint64_t len = 0;
        for (size_t i = 0; i < pre; i++)
            len |= (uint64_t)p[i] << (8 * i);
        sz = pre + (size_t)len;
        break;
    }
    default:
        return lt_fail(err, LT_ERR_RUNTIME, "unsupported column type %u", col->type);
    }
    if (sz > n)
        return lt_fail(err, LT_ERR_RUNTIME, "%s value of %zu bytes runs past the row data (%zu bytes left)",
                       lt_mysql_type_name(col->type), sz, n);
    *size = sz;
    return LT_OK;
}

/* ---- dates and times ---- */

static int append_fraction(struct lt_my_scratch *s, unsigned fsp, uint32_t usec, struct lt_error *err)
{
    static const uint32_t div[7] = {1000000, 100000, 10000, 1000, 100, 10, 1};
    if (fsp == 0)
        return LT_OK;
    if (usec > 999999)
        return lt_fail(err, LT_ERR_RUNTIME, "fraction %u out of range", usec);
    char buf[7];
    buf[0] = '.';
    lt_dec_fixed(usec / div[fsp], (int)fsp, buf + 1);
    return lt_my_scratch_append(s, buf, 1 + fsp, err);
}

/* Reads the (fsp+1)/2 fraction bytes of a TIMESTAMP2/DATETIME2 as microseconds (non-negative forms). */
static uint32_t read_fraction_usec(const uint8_t *p, unsigned fsp)
{
    switch (frac_bytes(fsp)) {
    case 1: return (uint32_t)p[0] * 10000;
    case 2: return (uint32_t)lt_be_n(p, 2) * 100;
    case 3: return (uint32_t)lt_be_n(p, 3);
    default: return 0;
    }
}

bool lt_mysql_date_is_canonical(unsigned y, unsigned m, unsigned d)
{
    if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1)
        return false;
    return d <= (unsigned)lt_days_in_month(y, (int)m);
}

static int zero_date(bool *is_null, unsigned *notes)
{
    *is_null = true;
    *notes |= LT_BINLOG_NOTE_ZERO_DATE;
    return LT_OK;
}

static int append_timestamp(struct lt_my_scratch *s, uint32_t secs, unsigned fsp, uint32_t usec,
                            struct lt_error *err)
{
    int64_t days = (int64_t)(secs / 86400);
    uint32_t rem = secs % 86400;
    int64_t y;
    int m, d;
    lt_civil_from_days(days, &y, &m, &d);
    int rc = append_date_time(s, (unsigned)y, (unsigned)m, (unsigned)d, true, rem / 3600, rem / 60 % 60, rem % 60, err);
    if (!rc)
        rc = append_fraction(s, fsp, usec, err);
    if (!rc)
        rc = lt_my_scratch_append(s, "+00:00", 6, err);
    return rc;
}

static int append_datetime(struct lt_my_scratch *s, unsigned y, unsigned mo, unsigned d, unsigned h, unsigned mi,
                           unsigned sec, unsigned fsp, uint32_t usec, struct lt_error *err)
{
    if (y > 9999 || mo > 12 || d > 31 || h > 23 || mi > 59 || sec > 59)
        return lt_fail(err, LT_ERR_RUNTIME, "DATETIME %u-%u-%u %u:%u:%u out of range", y, mo, d, h, mi, sec);
    int rc = append_date_time(s, y, mo, d, true, h, mi, sec, err);
    return rc ? rc : append_fraction(s, fsp, usec, err);
}

/* TIME2: 3 bytes BE int part (offset 0x800000) + fraction, per the server's my_time_packed_from_binary. */
static int time2_to_text(const uint8_t *p, unsigned fsp, struct lt_my_scratch *s, struct lt_error *err)
{
    int64_t packed;
    int64_t intpart = (int64_t)lt_be_n(p, 3) - 0x800000;
    switch (fsp) {
    case 1: case 2: {
        int64_t frac = p[3]; /* negative values store the fraction as 0x100 - |frac| */
        if (intpart < 0 && frac) {
            intpart++;
            frac -= 0x100;
        }
        packed = intpart * (1 << 24) + frac * 10000;
        break;
    }
    case 3: case 4: {
        int64_t frac = (int64_t)lt_be_n(p + 3, 2); /* negative: 0x10000 - |frac| */
        if (intpart < 0 && frac) {
            intpart++;
            frac -= 0x10000;
        }
        packed = intpart * (1 << 24) + frac * 100;
        break;
    }
    case 5: case 6:
        packed = (int64_t)lt_be_n(p, 6) - 0x800000000000LL;
        break;
    default:
        packed = intpart * (1 << 24);
        break;
    }
    bool neg = packed < 0;
    uint64_t a = neg ? (uint64_t)-packed : (uint64_t)packed;
    uint64_t hms = a >> 24;
    uint32_t usec = (uint32_t)(a % (1 << 24));
    unsigned h = (unsigned)((hms >> 12) % 1024), mi = (unsigned)((hms >> 6) % 64), sec = (unsigned)(hms % 64);
    if (mi > 59 || sec > 59 || usec > 999999)
        return lt_fail(err, LT_ERR_RUNTIME, "TIME2 value %u:%u:%u.%u out of range", h, mi, sec, usec);
    int rc = append_hms(s, neg, h, mi, sec, err);
    return rc ? rc : append_fraction(s, fsp, usec, err);
}

/* ---- strings ---- */

bool lt_mysql_charset_is_latin1(unsigned cs)
{
    if (cs >= 1024 && cs < 2048)
        cs -= 1024; /* MariaDB's NOPAD variants */
    switch (cs) {
    case 5: case 8: case 15: case 31: case 47: case 48: case 49: case 94:
        return true;
    default:
        return false;
    }
}

/* MySQL's latin1 is Windows-1252; its five undefined bytes map to the C1 controls of the same value. */
static const uint16_t cp1252_80[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D,
    0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A,
    0x0153, 0x009D, 0x017E, 0x0178};

size_t lt_binlog_latin1_to_utf8_buf(const uint8_t *p, size_t n, char *out)
{
    char *o = out;
    for (size_t i = 0; i < n; i++) {
        unsigned c = p[i];
        if (c >= 0x80 && c < 0xA0)
            c = cp1252_80[c - 0x80];
        if (c < 0x80) {
            *o++ = (char)c;
        } else if (c < 0x800) {
            *o++ = (char)(0xC0 | c >> 6);
            *o++ = (char)(0x80 | (c & 0x3F));
        } else {
            *o++ = (char)(0xE0 | c >> 12);
            *o++ = (char)(0x80 | ((c >> 6) & 0x3F));
            *o++ = (char)(0x80 | (c & 0x3F));
        }
    }
    return (size_t)(o - out);
}

static int latin1_to_utf8(const uint8_t *p, size_t n, struct lt_my_scratch *s, struct lt_error *err)
{
    if (n > ((size_t)-1) / 3)
        return lt_fail(err, LT_ERR_RUNTIME, "string too long");
    int rc = lt_my_scratch_reserve(s, 3 * n, err);
    if (rc)
        return rc;
    s->len += lt_binlog_latin1_to_utf8_buf(p, n, s->data + s->len);
    return LT_OK;
}

static int string_to_text(const struct lt_binlog_column *col, const uint8_t *p, size_t n, size_t pad_to,
                          struct lt_my_scratch *s, struct lt_error *err)
{
    if (col->charset == LT_MYSQL_CHARSET_BINARY) {
        if (pad_to > n) { /* BINARY(n) is stored without its trailing zero bytes */
            int rc = lt_my_hex_to_text(p, n, s, err);
            if (rc)
                return rc;
            rc = lt_my_scratch_reserve(s, 2 * (pad_to - n), err);
            if (rc)
                return rc;
            memset(s->data + s->len, '0', 2 * (pad_to - n));
            s->len += 2 * (pad_to - n);
            return LT_OK;
        }
        return lt_my_hex_to_text(p, n, s, err);
    }
    if (lt_mysql_charset_is_latin1(col->charset))
        return latin1_to_utf8(p, n, s, err);
    return lt_my_scratch_append(s, p, n, err);
}

static int enum_to_text(const struct lt_binlog_column *col, uint64_t v, struct lt_my_scratch *s,
                        struct lt_error *err)
{
    if (col->labels && v >= 1 && v <= col->nlabels)
        return lt_my_scratch_append(s, col->labels[v - 1], col->label_lens[v - 1], err);
    if (col->labels && v == 0)
        return LT_OK; /* the "error" value of an ENUM is the empty string */
    return append_u64(s, v, err);
}

static int set_to_text(const struct lt_binlog_column *col, uint64_t v, struct lt_my_scratch *s,
                       struct lt_error *err)
{
    if (!col->labels || (col->nlabels < 64 && (v >> col->nlabels) != 0))
        return append_u64(s, v, err);
    bool first = true;
    for (uint32_t i = 0; i < col->nlabels && i < 64; i++) {
        if (!(v >> i & 1))
            continue;
        int rc = first ? LT_OK : lt_my_scratch_append(s, ",", 1, err);
        if (!rc)
            rc = lt_my_scratch_append(s, col->labels[i], col->label_lens[i], err);
        if (rc)
            return rc;
        first = false;
    }
    return LT_OK;
}

/* ---- one value ---- */

static uint64_t le_n(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n && i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

int lt_binlog_value_to_text(const struct lt_binlog_column *col, const uint8_t *p, size_t size,
                            struct lt_my_scratch *s, bool *is_null, unsigned *notes, struct lt_error *err)
{
    *is_null = false;
    switch (col->type) {
    case LT_MYSQL_TYPE_TINY:
        return col->is_unsigned ? append_u64(s, p[0], err) : append_i64(s, (int8_t)p[0], err);
    case LT_MYSQL_TYPE_SHORT:
        return col->is_unsigned ? append_u64(s, lt_le16(p), err) : append_i64(s, (int16_t)lt_le16(p), err);
    case LT_MYSQL_TYPE_INT24: {
        uint32_t v = lt_le24(p);
        if (col->is_unsigned)
            return append_u64(s, v, err);
        return append_i64(s, (int32_t)(v & 0x800000 ? v | 0xFF000000u : v), err);
    }
    case LT_MYSQL_TYPE_LONG:
        return col->is_unsigned ? append_u64(s, lt_le32(p), err) : append_i64(s, (int32_t)lt_le32(p), err);
    case LT_MYSQL_TYPE_LONGLONG:
        return col->is_unsigned ? append_u64(s, lt_le64(p), err) : append_i64(s, (int64_t)lt_le64(p), err);
    case LT_MYSQL_TYPE_FLOAT: {
        float f;
        uint32_t u = lt_le32(p);
        memcpy(&f, &u, 4);
        return lt_my_float_to_text(f, s, err);
    }
    case LT_MYSQL_TYPE_DOUBLE: {
        double d;
        uint64_t u = lt_le64(p);
        memcpy(&d, &u, 8);
        return lt_my_double_to_text(d, s, err);
    }
    case LT_MYSQL_TYPE_NEWDECIMAL: {
        size_t used;
        return lt_my_decimal_to_text(p, size, col->meta >> 8, col->meta & 0xff, s, &used, err);
    }
    case LT_MYSQL_TYPE_YEAR:
        return p[0] ? append_u64(s, 1900u + p[0], err) : lt_my_scratch_append(s, "0000", 4, err);
    case LT_MYSQL_TYPE_BIT:
        return append_u64(s, lt_be_n(p, size), err);
    case LT_MYSQL_TYPE_DATE: case LT_MYSQL_TYPE_NEWDATE: {
        uint32_t v = lt_le24(p);
        unsigned d = v & 31, m = (v >> 5) & 15, y = v >> 9;
        if (m == 0 || d == 0 || (m <= 12 && y <= 9999 && !lt_mysql_date_is_canonical(y, m, d)))
            return zero_date(is_null, notes);
        if (m > 12 || y > 9999)
            return lt_fail(err, LT_ERR_RUNTIME, "DATE %u-%u-%u out of range", y, m, d);
        return append_date_time(s, y, m, d, false, 0, 0, 0, err);
    }
    case LT_MYSQL_TYPE_TIME: {
        uint32_t u = lt_le24(p);
        int32_t v = (int32_t)(u & 0x800000 ? u | 0xFF000000u : u);
        bool neg = v < 0;
        uint32_t a = neg ? (uint32_t)-v : (uint32_t)v;
        return append_hms(s, neg, a / 10000, a / 100 % 100, a % 100, err);
    }
    case LT_MYSQL_TYPE_DATETIME: {
        uint64_t v = lt_le64(p);
        uint64_t date = v / 1000000, tod = v % 1000000;
        unsigned y = (unsigned)(date / 10000 % 100000), m = (unsigned)(date / 100 % 100), d = (unsigned)(date % 100);
        if (m == 0 || d == 0 || (m <= 12 && d <= 31 && y <= 9999 && !lt_mysql_date_is_canonical(y, m, d)))
            return zero_date(is_null, notes);
        return append_datetime(s, y, m, d, (unsigned)(tod / 10000), (unsigned)(tod / 100 % 100),
                               (unsigned)(tod % 100), 0, 0, err);
    }
    case LT_MYSQL_TYPE_TIMESTAMP: {
        uint32_t secs = lt_le32(p);
        if (secs == 0)
            return zero_date(is_null, notes);
        return append_timestamp(s, secs, 0, 0, err);
    }
    case LT_MYSQL_TYPE_TIMESTAMP2: {
        uint32_t secs = (uint32_t)lt_be_n(p, 4);
        uint32_t usec = read_fraction_usec(p + 4, col->meta);
        if (secs == 0 && usec == 0)
            return zero_date(is_null, notes);
        return append_timestamp(s, secs, col->meta, usec, err);
    }
    case LT_MYSQL_TYPE_DATETIME2: {
        int64_t intpart = (int64_t)lt_be_n(p, 5) - 0x8000000000LL;
        uint32_t usec = read_fraction_usec(p + 5, col->meta);
        if (intpart < 0)
            return lt_fail(err, LT_ERR_RUNTIME, "negative DATETIME2 value");
        uint64_t ymdhms = (uint64_t)intpart;
        uint64_t ymd = ymdhms >> 17, hms = ymdhms & 0x1FFFF;
        uint64_t ym = ymd >> 5;
        unsigned y = (unsigned)(ym / 13), m = (unsigned)(ym % 13), d = (unsigned)(ymd & 31);
        if (m == 0 || d == 0 || (y <= 9999 && !lt_mysql_date_is_canonical(y, m, d)))
            return zero_date(is_null, notes);
        return append_datetime(s, y, m, d, (unsigned)(hms >> 12), (unsigned)((hms >> 6) & 63), (unsigned)(hms & 63),
                               col->meta, usec, err);
    }
    case LT_MYSQL_TYPE_TIME2:
        return time2_to_text(p, col->meta, s, err);
    case LT_MYSQL_TYPE_ENUM:
        return enum_to_text(col, le_n(p, size), s, err);
    case LT_MYSQL_TYPE_SET:
        return set_to_text(col, le_n(p, size), s, err);
    case LT_MYSQL_TYPE_VARCHAR: case LT_MYSQL_TYPE_VAR_STRING: case LT_MYSQL_TYPE_STRING: {
        size_t pre = col->meta > 255 ? 2 : 1;
        size_t pad = col->type == LT_MYSQL_TYPE_STRING ? col->meta : 0;
        return string_to_text(col, p + pre, size - pre, pad, s, err);
    }
    case LT_MYSQL_TYPE_BLOB: case LT_MYSQL_TYPE_TINY_BLOB: case LT_MYSQL_TYPE_MEDIUM_BLOB:
    case LT_MYSQL_TYPE_LONG_BLOB:
        return string_to_text(col, p + col->meta, size - col->meta, 0, s, err);
    case LT_MYSQL_TYPE_GEOMETRY:
        return lt_my_hex_to_text(p + col->meta, size - col->meta, s, err);
    case LT_MYSQL_TYPE_JSON:
        return lt_mysql_json_to_text(p + col->meta, size - col->meta, s, notes, err);
    case LT_MYSQL_TYPE_NULL:
        *is_null = true;
        return LT_OK;
    default:
        return lt_fail(err, LT_ERR_RUNTIME, "unsupported column type %u", col->type);
    }
}

bool lt_binlog_read_packed(const uint8_t *p, size_t n, uint64_t *v, size_t *used)
{
    if (n < 1)
        return false;
    if (p[0] < 251) {
        *v = p[0];
        *used = 1;
        return true;
    }
    size_t len;
    switch (p[0]) {
    case 252: len = 2; break;
    case 253: len = 3; break;
    case 254: len = 8; break;
    default: return false;
    }
    if (n < 1 + len)
        return false;
    uint64_t x = 0;
    for (size_t i = 0; i < len; i++)
        x |= (uint64_t)p[1 + i] << (8 * i);
    *v = x;
    *used = 1 + len;
    return true;
}
