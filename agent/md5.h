/* MD5 (RFC 1321), used only as a stable row fingerprint that SQL engines can compute too (PostgreSQL's and
 * MySQL's md5()), for `logtap validate`; not for security. */
#ifndef LOGTAP_MD5_H
#define LOGTAP_MD5_H

#include <stddef.h>
#include <stdint.h>

struct lt_md5 {
    uint32_t state[4];
    uint64_t length;
    unsigned char block[64];
    size_t used;
};

void lt_md5_init(struct lt_md5 *m);
void lt_md5_update(struct lt_md5 *m, const void *data, size_t len);
void lt_md5_final(struct lt_md5 *m, unsigned char digest[16]);

#endif
