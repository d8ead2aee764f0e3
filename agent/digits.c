/* Decimal and hexadecimal digits without printf (see digits.h): two decimal digits per division step. */
#include "agent/digits.h"

#include <string.h>

const char lt_two_digits[201] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                                    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                                    "8081828384858687888990919293949596979899";

/* Writes v in decimal ending just before `end`; returns where the digits start. */
static char *dec_u64_backwards(uint64_t v, char *end)
{
    char *p = end;
    while (v >= 100) {
        unsigned r = (unsigned)(v % 100);
        v /= 100;
        p -= 2;
        memcpy(p, lt_two_digits + 2 * r, 2);
    }
    if (v >= 10) {
        p -= 2;
        memcpy(p, lt_two_digits + 2 * v, 2);
    } else {
        *--p = (char)('0' + v);
    }
    return p;
}

size_t lt_dec_u64(uint64_t v, char *out)
{
    char buf[LT_DEC_MAX];
    char *start = dec_u64_backwards(v, buf + sizeof buf);
    size_t n = (size_t)(buf + sizeof buf - start);
    memcpy(out, start, n);
    return n;
}

size_t lt_dec_i64(int64_t v, char *out)
{
    if (v >= 0)
        return lt_dec_u64((uint64_t)v, out);
    out[0] = '-';
    return 1 + lt_dec_u64(~(uint64_t)v + 1, out + 1); /* the magnitude, also of INT64_MIN */
}

void lt_hex8(uint32_t v, char *out)
{
    static const char hex[] = "0123456789ABCDEF";
    for (int i = 7; i >= 0; i--) {
        out[i] = hex[v & 15];
        v >>= 4;
    }
}
