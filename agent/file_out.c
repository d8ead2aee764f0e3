/* Writing a file's bytes once, checksummed as they pass (see file_out.h). */
#include "agent/file_out.h"

#include <errno.h>
#include <unistd.h>
#include <zlib.h>

void lt_out_init(struct lt_out *o, int fd)
{
    *o = (struct lt_out){.fd = fd, .crc32 = (uint32_t)crc32(0L, Z_NULL, 0)};
}

int lt_out_write(struct lt_out *o, const void *data, size_t len, struct lt_error *err)
{
    const unsigned char *p = data;
    for (size_t off = 0; off < len;) {
        ssize_t n = write(o->fd, p + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return lt_fail_errno(err, errno, "cannot write the file");
        off += (size_t)n;
    }
    /* zlib's crc32 takes a uInt length: blocks past 4 GiB go in pieces */
    uLong crc = o->crc32;
    for (size_t off = 0; off < len;) {
        size_t k = len - off > (1u << 30) ? (1u << 30) : len - off;
        crc = crc32(crc, p + off, (uInt)k);
        off += k;
    }
    o->crc32 = (uint32_t)crc;
    o->bytes += len;
    return o->tap ? o->tap(o->tap_ctx, data, len, err) : LT_OK;
}
