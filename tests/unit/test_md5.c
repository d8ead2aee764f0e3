/* MD5 against the RFC 1321 test suite, and streaming in odd-sized pieces. */
#include <stdio.h>
#include <string.h>

#include "agent/md5.h"
#include "unit.h"

static void hex(const char *s, size_t len, char out[33])
{
    struct lt_md5 m;
    unsigned char d[16];
    lt_md5_init(&m);
    lt_md5_update(&m, s, len);
    lt_md5_final(&m, d);
    for (int i = 0; i < 16; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
}

static void test_rfc1321_suite(void)
{
    static const char *const cases[][2] = {
        {"", "d41d8cd98f00b204e9800998ecf8427e"},
        {"a", "0cc175b9c0f1b6a831c399e269772661"},
        {"abc", "900150983cd24fb0d6963f7d28e17f72"},
        {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
        {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
        {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"},
        {"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
         "57edf4a22be3c955ac49da2e2107b67a"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[33];
        hex(cases[i][0], strlen(cases[i][0]), out);
        CHECK_STR(out, cases[i][1]);
    }
}

static void test_streaming_equals_one_shot(void)
{
    char buf[1000];
    for (int i = 0; i < 1000; i++)
        buf[i] = (char)(i * 7 + 3);
    char one[33], pieces[33];
    hex(buf, sizeof buf, one);
    struct lt_md5 m;
    unsigned char d[16];
    lt_md5_init(&m);
    for (size_t off = 0, step = 1; off < sizeof buf; off += step, step = step % 67 + 1)
        lt_md5_update(&m, buf + off, off + step > sizeof buf ? sizeof buf - off : step);
    lt_md5_final(&m, d);
    for (int i = 0; i < 16; i++)
        sprintf(pieces + 2 * i, "%02x", d[i]);
    CHECK_STR(pieces, one);
}

int main(void)
{
    RUN(test_rfc1321_suite);
    RUN(test_streaming_equals_one_shot);
    return unit_report();
}
