/* Decimal and hexadecimal digits without printf: the per-row formatting of positions and of binlog integers,
 * dates and times (printf's format parsing was most of the MySQL CDC profile). */
#ifndef LOGTAP_DIGITS_H
#define LOGTAP_DIGITS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Longest decimal text of a 64-bit integer, sign included. */
#define LT_DEC_MAX 20

/* Writes v in decimal (a '-' first when negative) to out, which has room for LT_DEC_MAX bytes; returns the length. */
size_t lt_dec_u64(uint64_t v, char *out);
size_t lt_dec_i64(int64_t v, char *out);

/* "00" "01" ... "99" */
extern const char lt_two_digits[201];

/* Writes the last `width` decimal digits of v, zero-padded, to out (no terminator). Inline: with a constant
 * width (dates, times, positions) it compiles to a few stores. */
static inline void lt_dec_fixed(uint64_t v, int width, char *out)
{
    char *p = out + width;
    while (v && p - out >= 2) {
        p -= 2;
        memcpy(p, lt_two_digits + 2 * (v % 100), 2);
        v /= 100;
    }
    if (v && p > out)
        *--p = (char)('0' + v % 10);
    memset(out, '0', (size_t)(p - out)); /* positions are mostly leading zeros */
}

/* Writes v as 8 upper-case hex digits to out (no terminator). */
void lt_hex8(uint32_t v, char *out);

#endif
