/* Tests of agent/digits.c: every formatter against snprintf over edge values and a sweep of random ones. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/digits.h"
#include "unit.h"

static void check_u64(uint64_t v)
{
    char got[LT_DEC_MAX + 1], want[32];
    got[lt_dec_u64(v, got)] = '\0';
    snprintf(want, sizeof want, "%" PRIu64, v);
    CHECK_STR(got, want);
}

static void check_i64(int64_t v)
{
    char got[LT_DEC_MAX + 1], want[32];
    got[lt_dec_i64(v, got)] = '\0';
    snprintf(want, sizeof want, "%" PRId64, v);
    CHECK_STR(got, want);
}

static void check_fixed(uint64_t v, int width)
{
    char got[32], want[64];
    lt_dec_fixed(v, width, got);
    got[width] = '\0';
    snprintf(want, sizeof want, "%0*" PRIu64, width, v);
    CHECK_STR(got, want + strlen(want) - (size_t)width); /* the last `width` digits */
}

static void test_edges(void)
{
    static const uint64_t u[] = {0, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 4294967295u, 4294967296u,
                                 999999999999999999u, 1000000000000000000u, 9999999999999999999u, UINT64_MAX};
    for (size_t i = 0; i < sizeof u / sizeof u[0]; i++)
        check_u64(u[i]);
    static const int64_t s[] = {0, -1, 1, -9, -10, -99, -100, 127, -128, INT32_MIN, INT32_MAX, INT64_MAX, INT64_MIN,
                                INT64_MIN + 1};
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
        check_i64(s[i]);
    for (int w = 1; w <= 20; w++) {
        check_fixed(0, w);
        check_fixed(7, w);
        check_fixed(123456789, w);
        check_fixed(UINT64_MAX, w);
    }
    char hex[9] = {0};
    lt_hex8(0, hex);
    CHECK_STR(hex, "00000000");
    lt_hex8(0xDEADBEEF, hex);
    CHECK_STR(hex, "DEADBEEF");
    lt_hex8(0x0A0B0C0D, hex);
    CHECK_STR(hex, "0A0B0C0D");
}

static void test_random_sweep(void)
{
    uint64_t x = 0x9E3779B97F4A7C15u;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        uint64_t v = x >> (x % 64); /* all magnitudes */
        check_u64(v);
        check_i64((int64_t)v);
        check_i64(-(int64_t)(v >> 1));
        check_fixed(v, (int)(v % 20) + 1);
        char hex[9] = {0}, want[9];
        lt_hex8((uint32_t)v, hex);
        snprintf(want, sizeof want, "%08X", (unsigned)(uint32_t)v);
        CHECK_STR(hex, want);
    }
}

int main(void)
{
    RUN(test_edges);
    RUN(test_random_sweep);
    return unit_report();
}
