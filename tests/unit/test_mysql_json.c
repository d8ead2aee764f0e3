/* MySQL binary JSON to text, on vectors built by hand from the format's description (mysql_json.h): scalars,
 * strings with escapes and multi-byte lengths, small and large objects and arrays (inline and offset values,
 * nesting), opaque DATETIME/DATE/TIME/DECIMAL and other opaque types, zero dates; then malformed documents
 * (every truncation of every vector, bad offsets, a nesting bomb) must fail cleanly. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sources/mysql/mysql_json.h"
#include "sources/mysql/mysql_type_codes.h"
#include "tests/unit/unit.h"

struct vec {
    uint8_t d[512];
    size_t n;
};

static void p8(struct vec *v, unsigned x) { v->d[v->n++] = (uint8_t)x; }
static void ple(struct vec *v, uint64_t x, int n)
{
    for (int i = 0; i < n; i++)
        p8(v, (unsigned)(x >> (8 * i)) & 0xff);
}
static void pmem(struct vec *v, const void *p, size_t n)
{
    memcpy(v->d + v->n, p, n);
    v->n += n;
}

/* Decodes in an exactly sized heap copy (so ASan sees any overread); returns rc, text in out. */
static int decode(const uint8_t *p, size_t n, char *out, size_t outcap, unsigned *notes)
{
    uint8_t *copy = malloc(n ? n : 1);
    if (n)
        memcpy(copy, p, n);
    struct lt_my_scratch s = {0};
    struct lt_error err = {0};
    *notes = 0;
    int rc = lt_mysql_json_to_text(copy, n, &s, notes, &err);
    if (rc == 0)
        snprintf(out, outcap, "%.*s", (int)s.len, s.len ? s.data : "");
    else
        snprintf(out, outcap, "ERROR: %.200s", err.msg);
    lt_my_scratch_free(&s);
    free(copy);
    return rc;
}

static void check_json(const struct vec *v, const char *want)
{
    char out[2048];
    unsigned notes;
    int rc = decode(v->d, v->n, out, sizeof out, &notes);
    CHECK_INT(rc, 0);
    CHECK_STR(out, want);
    /* every strict prefix must fail cleanly or decode (never crash) */
    for (size_t cut = 0; cut < v->n; cut++)
        (void)decode(v->d, cut, out, sizeof out, &notes);
}

static struct vec V;
#define START() (V.n = 0, &V)

static void test_scalars(void)
{
    struct vec *v;
    v = START(); p8(v, 0x04); p8(v, 0); check_json(v, "null");
    v = START(); p8(v, 0x04); p8(v, 1); check_json(v, "true");
    v = START(); p8(v, 0x04); p8(v, 2); check_json(v, "false");
    v = START(); p8(v, 0x05); ple(v, 0xffff, 2); check_json(v, "-1");
    v = START(); p8(v, 0x06); ple(v, 0xffff, 2); check_json(v, "65535");
    v = START(); p8(v, 0x07); ple(v, 0x80000000u, 4); check_json(v, "-2147483648");
    v = START(); p8(v, 0x08); ple(v, 0xffffffffu, 4); check_json(v, "4294967295");
    v = START(); p8(v, 0x09); ple(v, 0x8000000000000000ull, 8); check_json(v, "-9223372036854775808");
    v = START(); p8(v, 0x0a); ple(v, UINT64_MAX, 8); check_json(v, "18446744073709551615");
    double d = 3.14;
    uint64_t u;
    memcpy(&u, &d, 8);
    v = START(); p8(v, 0x0b); ple(v, u, 8); check_json(v, "3.14");
    d = -1e-7;
    memcpy(&u, &d, 8);
    v = START(); p8(v, 0x0b); ple(v, u, 8); check_json(v, "-1e-07");
    /* an empty value is the JSON null */
    char out[64];
    unsigned notes;
    CHECK_INT(decode(NULL, 0, out, sizeof out, &notes), 0);
    CHECK_STR(out, "null");
}

static void test_strings(void)
{
    struct vec *v = START();
    p8(v, 0x0c);
    p8(v, 5);
    pmem(v, "hello", 5);
    check_json(v, "\"hello\"");
    v = START();
    p8(v, 0x0c);
    p8(v, 9);
    pmem(v, "a\"b\\c\n\x01\xc3\xa9", 9);
    check_json(v, "\"a\\\"b\\\\c\\n\\u0001\xc3\xa9\"");
    /* 200 bytes: length 200 = 0xC8 0x01 in 7-bit groups */
    v = START();
    p8(v, 0x0c);
    p8(v, 0xc8);
    p8(v, 0x01);
    char want[256] = "\"";
    for (int i = 0; i < 200; i++) {
        p8(v, 'a' + i % 26);
        want[1 + i] = (char)('a' + i % 26);
    }
    strcat(want, "\"");
    check_json(v, want);
}

static void test_containers(void)
{
    /* [1, "ab", true, null, []] as a small array: header 4 + 5 entries x 3 = 19 */
    struct vec *v = START();
    p8(v, 0x02);
    ple(v, 5, 2);
    ple(v, 26, 2);
    p8(v, 0x05); ple(v, 1, 2);       /* int16 inline */
    p8(v, 0x0c); ple(v, 19, 2);      /* string at 19 */
    p8(v, 0x04); ple(v, 1, 2);       /* true inline */
    p8(v, 0x04); ple(v, 0, 2);       /* null inline */
    p8(v, 0x02); ple(v, 22, 2);      /* array at 22 */
    p8(v, 2); pmem(v, "ab", 2);      /* 19..21 */
    ple(v, 0, 2); ple(v, 4, 2);      /* 22..25: empty array */
    check_json(v, "[1, \"ab\", true, null, []]");

    /* {"a": "x", "b": {"c": 2.5}}: header 4 + 2 keys x 4 + 2 values x 3 = 18 */
    v = START();
    p8(v, 0x00);
    ple(v, 2, 2);
    ple(v, 42, 2);
    ple(v, 18, 2); ple(v, 1, 2);     /* key "a" */
    ple(v, 19, 2); ple(v, 1, 2);     /* key "b" */
    p8(v, 0x0c); ple(v, 20, 2);      /* "x" at 20 */
    p8(v, 0x00); ple(v, 22, 2);      /* object at 22 */
    pmem(v, "ab", 2);                /* 18, 19 */
    p8(v, 1); p8(v, 'x');            /* 20, 21 */
    ple(v, 1, 2); ple(v, 20, 2);     /* 22: nested object, count 1, size 20 */
    ple(v, 11, 2); ple(v, 1, 2);     /* key "c" at nested 11 */
    p8(v, 0x0b); ple(v, 12, 2);      /* double at nested 12 */
    p8(v, 'c');
    double d = 2.5;
    uint64_t u;
    memcpy(&u, &d, 8);
    ple(v, u, 8);
    CHECK_INT(v->n, 43);
    check_json(v, "{\"a\": \"x\", \"b\": {\"c\": 2.5}}");

    /* large object {"k": -5}: int32 inline in a large container; header 8 + 6 + 5 = 19 */
    v = START();
    p8(v, 0x01);
    ple(v, 1, 4);
    ple(v, 20, 4);
    ple(v, 19, 4); ple(v, 1, 2);
    p8(v, 0x07); ple(v, (uint32_t)-5, 4);
    p8(v, 'k');
    check_json(v, "{\"k\": -5}");

    /* large array [4000000000, "s"] */
    v = START();
    p8(v, 0x03);
    ple(v, 2, 4);
    ple(v, 20, 4);
    p8(v, 0x08); ple(v, 4000000000u, 4);
    p8(v, 0x0c); ple(v, 18, 4);
    p8(v, 1); p8(v, 's');
    check_json(v, "[4000000000, \"s\"]");
}

static uint64_t packed_datetime(unsigned y, unsigned mo, unsigned d, unsigned h, unsigned mi, unsigned s,
                                uint32_t usec)
{
    uint64_t ymd = ((uint64_t)(y * 13 + mo) << 5) | d;
    uint64_t hms = (uint64_t)h << 12 | mi << 6 | s;
    return ((ymd << 17 | hms) << 24) + usec;
}

static void opaque(struct vec *v, unsigned ftype, const void *p, size_t n)
{
    p8(v, 0x0f);
    p8(v, ftype);
    p8(v, (unsigned)n);
    pmem(v, p, n);
}

static void test_opaque(void)
{
    uint8_t b[8];
    uint64_t x = packed_datetime(2015, 1, 15, 23, 24, 25, 0);
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(x >> (8 * i));
    struct vec *v = START();
    opaque(v, 12, b, 8);
    check_json(v, "\"2015-01-15 23:24:25.000000\"");
    v = START();
    opaque(v, 7, b, 8); /* TIMESTAMP */
    check_json(v, "\"2015-01-15 23:24:25.000000\"");
    x = packed_datetime(2015, 1, 15, 0, 0, 0, 0);
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(x >> (8 * i));
    v = START();
    opaque(v, 10, b, 8);
    check_json(v, "\"2015-01-15\"");
    int64_t t = -(int64_t)((((uint64_t)12 << 12) << 24) + 500000);
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)((uint64_t)t >> (8 * i));
    v = START();
    opaque(v, 11, b, 8);
    check_json(v, "\"-12:00:00.500000\"");
    /* DECIMAL(5,2) 123.45: precision, scale, then 3 integer digits in 2 bytes and 2 fraction digits in 1 */
    static const uint8_t dec[] = {5, 2, 0x80, 0x7b, 0x2d};
    v = START();
    opaque(v, 246, dec, sizeof dec);
    check_json(v, "123.45");
    /* other field types: base64, as MySQL prints them */
    v = START();
    opaque(v, 252, "ab", 2);
    check_json(v, "\"base64:type252:YWI=\"");
    /* inside an array, next to a zero date: the zero date becomes null with a note */
    memset(b, 0, 8);
    v = START();
    opaque(v, 12, b, 8);
    char out[128];
    unsigned notes;
    CHECK_INT(decode(v->d, v->n, out, sizeof out, &notes), 0);
    CHECK_STR(out, "null");
    CHECK(notes & LT_BINLOG_NOTE_ZERO_DATE);
}

static void test_malformed(void)
{
    char out[256];
    unsigned notes;
    struct vec *v;
    /* unknown type, unknown literal */
    CHECK(decode((const uint8_t *)"\x0d\x00", 2, out, sizeof out, &notes) != 0);
    CHECK(decode((const uint8_t *)"\x04\x07", 2, out, sizeof out, &notes) != 0);
    CHECK(strstr(out, "malformed binary JSON") != NULL);
    /* value offset beyond the container's size */
    static const uint8_t bad_off[] = {0x02, 0x01, 0x00, 0x07, 0x00, 0x0c, 0x40, 0x00};
    CHECK(decode(bad_off, sizeof bad_off, out, sizeof out, &notes) != 0);
    /* declared size larger than the data */
    static const uint8_t bad_size[] = {0x02, 0x00, 0x00, 0xff, 0x00};
    CHECK(decode(bad_size, sizeof bad_size, out, sizeof out, &notes) != 0);
    /* count so large the entries cannot fit */
    static const uint8_t bad_count[] = {0x02, 0xff, 0x7f, 0x08, 0x00, 0, 0, 0};
    CHECK(decode(bad_count, sizeof bad_count, out, sizeof out, &notes) != 0);
    /* a packed DATETIME of INT64_MIN: refused as a negative date (its negation overflowed; found by
     * fuzz_mysql_json under UBSan) */
    static const uint8_t min_datetime[] = {0x0f, 0x0c, 0x08, 0, 0, 0, 0, 0, 0, 0, 0x80};
    CHECK(decode(min_datetime, sizeof min_datetime, out, sizeof out, &notes) != 0);
    CHECK(strstr(out, "negative date") != NULL);
    /* NaN and infinities: MySQL's JSON cannot hold them and JSON text cannot spell them (found by fuzz_mysql_json,
     * which decoded a NaN double to the text NaN) */
    static const double nonfinite[3] = {NAN, INFINITY, -INFINITY};
    for (int i = 0; i < 3; i++) {
        uint64_t u;
        memcpy(&u, &nonfinite[i], 8);
        v = START();
        p8(v, 0x0b);
        ple(v, u, 8);
        CHECK(decode(v->d, v->n, out, sizeof out, &notes) != 0);
        CHECK(strstr(out, "NaN or infinite") != NULL);
        v = START(); /* inside an array: [1.5, NaN] */
        p8(v, 0x02); ple(v, 2, 2); ple(v, 26, 2);
        p8(v, 0x0b); ple(v, 10, 2);
        p8(v, 0x0b); ple(v, 18, 2);
        double ok = 1.5;
        uint64_t okbits;
        memcpy(&okbits, &ok, 8);
        ple(v, okbits, 8);
        ple(v, u, 8);
        CHECK(decode(v->d, v->n, out, sizeof out, &notes) != 0);
    }
    /* string length runs past the document; 6-byte varlen */
    CHECK(decode((const uint8_t *)"\x0c\x05" "ab", 4, out, sizeof out, &notes) != 0);
    CHECK(decode((const uint8_t *)"\x0c\xff\xff\xff\xff\xff\x01", 7, out, sizeof out, &notes) != 0);
    /* a nesting bomb: 300 arrays each holding the next one at offset 7 */
    v = START();
    for (int i = 0; i < 70; i++) {
        size_t remaining = 70 - (size_t)i;
        if (i == 0)
            p8(v, 0x02);
        ple(v, 1, 2);
        ple(v, remaining * 7, 2);
        p8(v, 0x02);
        ple(v, 7, 2);
    }
    /* 70 levels is within the limit but the innermost offset points past the end: must fail, not crash */
    CHECK(decode(v->d, v->n, out, sizeof out, &notes) != 0);
    /* nested arrays [[[...[null]...]]]: within the limit they decode, beyond it they fail cleanly */
    static uint8_t deep[1 + 150 * 7];
    for (int levels = 50; levels <= 150; levels += 100) {
        size_t n = 0;
        deep[n++] = 0x02;
        for (int i = 0; i < levels; i++) {
            size_t size = (size_t)(levels - i) * 7;
            bool last = i == levels - 1;
            deep[n++] = 1;
            deep[n++] = 0;
            deep[n++] = (uint8_t)(size & 0xff);
            deep[n++] = (uint8_t)(size >> 8);
            deep[n++] = last ? 0x04 : 0x02;
            deep[n++] = last ? 0 : 7;
            deep[n++] = 0;
        }
        char big[1024];
        int rc = decode(deep, n, big, sizeof big, &notes);
        if (levels == 50) {
            CHECK_INT(rc, 0);
            CHECK_INT(strlen(big), 50 * 2 + 4);
        } else {
            CHECK(rc != 0);
            CHECK(strstr(big, "nesting") != NULL);
        }
    }
    /* "billion laughs": 60 nested arrays whose two entries share one child - 2^60 leaves of text from a few
     * hundred bytes - must be refused quickly, not expanded */
    static uint8_t laughs[1 + 60 * 10 + 4];
    size_t ln = 0;
    laughs[ln++] = 0x02;
    for (int i = 0; i < 60; i++) {
        size_t size = (size_t)(60 - i) * 10 + 4;
        laughs[ln++] = 2;
        laughs[ln++] = 0;
        laughs[ln++] = (uint8_t)(size & 0xff);
        laughs[ln++] = (uint8_t)(size >> 8);
        laughs[ln++] = 0x02; laughs[ln++] = 10; laughs[ln++] = 0; /* both entries -> the child at 10 */
        laughs[ln++] = 0x02; laughs[ln++] = 10; laughs[ln++] = 0;
    }
    laughs[ln++] = 0; laughs[ln++] = 0; laughs[ln++] = 4; laughs[ln++] = 0; /* innermost: [] */
    CHECK(decode(laughs, ln, out, sizeof out, &notes) != 0);
    CHECK(strstr(out, "exceed") != NULL);
    /* byte flips of a valid document: no crash */
    struct vec *ok = START();
    p8(ok, 0x00);
    ple(ok, 2, 2);
    ple(ok, 42, 2);
    ple(ok, 18, 2); ple(ok, 1, 2);
    ple(ok, 19, 2); ple(ok, 1, 2);
    p8(ok, 0x0c); ple(ok, 20, 2);
    p8(ok, 0x00); ple(ok, 22, 2);
    pmem(ok, "ab", 2);
    p8(ok, 1); p8(ok, 'x');
    ple(ok, 1, 2); ple(ok, 20, 2);
    ple(ok, 11, 2); ple(ok, 1, 2);
    p8(ok, 0x0b); ple(ok, 12, 2);
    p8(ok, 'c');
    ple(ok, 0, 8);
    struct vec m;
    for (size_t i = 0; i < ok->n; i++) {
        for (unsigned bit = 0; bit < 8; bit++) {
            m = *ok;
            m.d[i] ^= (uint8_t)(1u << bit);
            (void)decode(m.d, m.n, out, sizeof out, &notes);
        }
    }
    CHECK(1);
}

int main(void)
{
    RUN(test_scalars);
    RUN(test_strings);
    RUN(test_containers);
    RUN(test_opaque);
    RUN(test_malformed);
    return unit_report();
}
