/* CRC-32 of a file's content (see file_crc.h): zlib's crc32 over 256 KB reads. */
#include "agent/file_crc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

int lt_file_crc32(const char *path, uint32_t *out, struct lt_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return lt_fail_errno(err, errno, "cannot open %s", path);
    enum { BLOCK = 256 * 1024 };
    unsigned char *buf = malloc(BLOCK);
    if (!buf) {
        close(fd);
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    }
    uLong crc = crc32(0L, Z_NULL, 0);
    for (;;) {
        ssize_t n = read(fd, buf, BLOCK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            free(buf);
            close(fd);
            return lt_fail_errno(err, e, "cannot read %s", path);
        }
        if (n == 0)
            break;
        crc = crc32(crc, buf, (uInt)n);
    }
    free(buf);
    close(fd);
    *out = (uint32_t)crc;
    return LT_OK;
}
