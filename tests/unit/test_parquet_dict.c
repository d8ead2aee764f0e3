/* The Parquet writer's column-chunk dictionary (targets/parquet/parquet_dict.h): indices are stable and dense,
 * values differing only in length or in one byte stay apart, the dictionary page body is the PLAIN encoding, it
 * grows past many table resizes and is reusable after a clear; the rule that decides whether a dictionary pays
 * off; the index bit width; the single RLE run used for all-1 definition levels. */
#include <inttypes.h>
#include <stdlib.h>

#include "targets/parquet/parquet_dict.h"
#include "targets/parquet/parquet_rle.h"
#include "tests/unit/unit.h"

static void test_indices_and_entries(void)
{
    struct pq_dict d;
    pq_dict_init(&d, true);
    static const char *vals[] = {"apple", "", "apple\0", "applf", "a", "apple", "", "a"};
    static const uint32_t lens[] = {5, 0, 6, 5, 1, 5, 0, 1};
    static const uint32_t want_idx[] = {0, 1, 2, 3, 4, 0, 1, 4};
    static const int want_added[] = {1, 1, 1, 1, 1, 0, 0, 0};
    for (int i = 0; i < 8; i++) {
        uint32_t idx = 99;
        CHECK_INT(pq_dict_index(&d, (const uint8_t *)vals[i], lens[i], &idx), want_added[i]);
        CHECK_INT(idx, want_idx[i]);
    }
    CHECK_INT(d.count, 5);
    /* the page body: u32le length then the bytes, in insertion order */
    static const uint8_t body[] = {5, 0, 0, 0, 'a', 'p', 'p', 'l', 'e', 0, 0, 0, 0, 6, 0, 0, 0, 'a', 'p', 'p', 'l',
                                   'e', 0, 5, 0, 0, 0, 'a', 'p', 'p', 'l', 'f', 1, 0, 0, 0, 'a'};
    CHECK_MEM(d.data.data, d.data.len, body, sizeof body);
    const uint8_t *p;
    uint32_t len;
    pq_dict_entry(&d, 2, &p, &len);
    CHECK_MEM(p, len, "apple\0", 6);
    pq_dict_entry(&d, 1, &p, &len);
    CHECK_INT(len, 0);

    /* after a clear the same memory serves a new chunk, indices start at 0 again */
    pq_dict_clear(&d);
    CHECK_INT(d.count, 0);
    CHECK_INT(d.data.len, 0);
    uint32_t idx = 99;
    CHECK_INT(pq_dict_index(&d, (const uint8_t *)"applf", 5, &idx), 1);
    CHECK_INT(idx, 0);
    CHECK_INT(pq_dict_index(&d, (const uint8_t *)"apple", 5, &idx), 1);
    CHECK_INT(idx, 1);
    pq_dict_free(&d);
}

/* Fixed-width values (no length prefix), many of them: the table grows many times, every value keeps its index. */
static void test_many_fixed_values(void)
{
    struct pq_dict d;
    pq_dict_init(&d, false);
    const uint32_t N = 200000;
    int bad = 0;
    for (int round = 0; round < 2; round++)
        for (uint32_t i = 0; i < N; i++) {
            /* values that differ in their high bytes only, and a second round in another order */
            uint32_t k = round ? N - 1 - i : i;
            int64_t v = (int64_t)((uint64_t)k << 40);
            uint8_t le[8];
            for (int b = 0; b < 8; b++)
                le[b] = (uint8_t)((uint64_t)v >> (8 * b));
            uint32_t idx;
            int added = pq_dict_index(&d, le, 8, &idx);
            if (added != (round == 0) || idx != k)
                bad++;
        }
    CHECK_INT(bad, 0);
    CHECK_INT(d.count, N);
    CHECK_INT(d.data.len, (size_t)N * 8);
    CHECK(d.cap >= 2 * N);
    /* entry k holds value k, little-endian */
    const uint8_t *p;
    uint32_t len;
    pq_dict_entry(&d, 12345, &p, &len);
    CHECK_INT(len, 8);
    uint64_t got = 0;
    for (int b = 0; b < 8; b++)
        got |= (uint64_t)p[b] << (8 * b);
    CHECK_INT(got >> 40, 12345);
    pq_dict_free(&d);
}

static void test_bit_width(void)
{
    CHECK_INT(pq_dict_index_bit_width(0), 1);
    CHECK_INT(pq_dict_index_bit_width(1), 1);
    CHECK_INT(pq_dict_index_bit_width(2), 1);
    CHECK_INT(pq_dict_index_bit_width(3), 2);
    CHECK_INT(pq_dict_index_bit_width(256), 8);
    CHECK_INT(pq_dict_index_bit_width(257), 9);
    CHECK_INT(pq_bit_width(0), 0);
    CHECK_INT(pq_bit_width(UINT32_MAX), 32);
    CHECK_INT(pq_bit_width(0x80000000u), 32);
    CHECK_INT(pq_bit_width(0x7fffffffu), 31);
}

static void test_pays_off(void)
{
    /* nearly unique keys / timestamps: 20000 distinct int64 of 20000 values */
    CHECK(!pq_dict_pays_off(20000, 20000 * 8, 20000, 20000 * 8));
    /* unique 37-byte strings (with the 4-byte length of PLAIN byte arrays) */
    CHECK(!pq_dict_pays_off(6000, 6000 * 41, 6000, 6000 * 41));
    /* half distinct int64: 80000 + 20000*14/8 = 115000 < 160000 */
    CHECK(pq_dict_pays_off(20000, 160000, 10000, 80000));
    /* 1000 distinct int32 over 20000 values */
    CHECK(pq_dict_pays_off(20000, 80000, 1000, 4000));
    /* a constant string column (a position, an Op) */
    CHECK(pq_dict_pays_off(20000, 20000 * 42, 1, 42));
    /* exactly as large as PLAIN: not worth it (8 values of 1 bit = 1 byte, dictionary 7 bytes, plain 8) */
    CHECK(!pq_dict_pays_off(8, 8, 2, 7));
    CHECK(pq_dict_pays_off(8, 8, 2, 6));
    /* booleans-like tiny values: 1-byte values with 200 distinct never pay (indices alone are as large) */
    CHECK(!pq_dict_pays_off(20000, 20000, 200, 200));
    /* nothing seen yet */
    CHECK(!pq_dict_pays_off(0, 0, 0, 0));
}

static void test_rle_run(void)
{
    struct byte_buffer b = {0};
    pq_rle_encode_run(1, 1000000, 1, &b);
    /* varint(1000000 << 1) = 3 bytes, then the value in one byte */
    CHECK_INT(b.len, 4);
    struct pq_rle_decoder d;
    CHECK_INT(pq_rle_init(&d, b.data, b.len, 1), 0);
    uint32_t v;
    int bad = 0;
    for (int i = 0; i < 1000000; i++)
        if (pq_rle_next(&d, &v) != 0 || v != 1)
            bad++;
    CHECK_INT(bad, 0);
    CHECK_INT(pq_rle_next(&d, &v), -1);
    bb_reset(&b);
    pq_rle_encode_run(300, 9, 9, &b);
    CHECK_INT(pq_rle_init(&d, b.data, b.len, 9), 0);
    for (int i = 0; i < 9; i++)
        if (pq_rle_next(&d, &v) != 0 || v != 300)
            bad++;
    CHECK_INT(bad, 0);
    bb_free(&b);
}

int main(void)
{
    RUN(test_indices_and_entries);
    RUN(test_many_fixed_values);
    RUN(test_bit_width);
    RUN(test_pays_off);
    RUN(test_rle_run);
    return unit_report();
}
