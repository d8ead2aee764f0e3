/* agent/file_out.c: the bytes reach the file whole, their CRC-32 is zlib's over the file, the tap is told of each
 * block after it is in the file (in order, every byte once), a tap's failure fails the write with its message, and
 * a write that cannot happen fails with the system's reason. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "agent/file_crc.h"
#include "agent/file_out.h"
#include "tests/unit/unit.h"

struct tapped {
    int fd;
    unsigned char copy[1 << 20];
    size_t len;
    int calls;
    bool in_file;   /* each block was already in the file when the tap was told */
    int fail_at;    /* fail the tap's call with this 1-based number (0: never) */
};

static int tap(void *ctx, const void *data, size_t len, struct lt_error *err)
{
    struct tapped *t = ctx;
    t->calls++;
    off_t end = lseek(t->fd, 0, SEEK_CUR);
    if (end < (off_t)(t->len + len))
        t->in_file = false;
    if (t->len + len <= sizeof t->copy) {
        memcpy(t->copy + t->len, data, len);
        t->len += len;
    }
    if (t->fail_at == t->calls)
        return lt_fail(err, LT_ERR_RUNTIME, "the upload failed (test)");
    return LT_OK;
}

static void test_crc_and_tap(void)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/out.bin", unit_tmpdir("file_out"));
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    static struct tapped t;
    memset(&t, 0, sizeof t);
    t.fd = fd;
    t.in_file = true;
    struct lt_out out;
    lt_out_init(&out, fd);
    CHECK_INT(out.crc32, crc32(0L, Z_NULL, 0));
    out.tap = tap;
    out.tap_ctx = &t;
    struct lt_error err = {0};
    /* blocks of many sizes, 0 included */
    unsigned char *buf = malloc(300000);
    for (int i = 0; i < 300000; i++)
        buf[i] = (unsigned char)(i * 7 + i / 251);
    size_t sizes[] = {1, 0, 4095, 65536, 100000, 3, 130365}, off = 0;
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        CHECK_INT(lt_out_write(&out, buf + off, sizes[k], &err), LT_OK);
        off += sizes[k];
    }
    CHECK_INT(off, 300000);
    CHECK_INT(out.bytes, 300000);
    CHECK_INT(t.calls, 7);
    CHECK(t.in_file);
    CHECK_MEM(t.copy, t.len, buf, 300000);
    uint32_t crc = 0;
    CHECK_INT(lt_file_crc32(path, &crc, &err), LT_OK);
    CHECK_INT(out.crc32, crc);
    CHECK_INT(out.crc32, crc32(0L, buf, 300000));

    /* the tap's failure is the write's, with its message; the bytes are in the file all the same */
    t.fail_at = t.calls + 1;
    CHECK_INT(lt_out_write(&out, buf, 10, &err), LT_ERR_RUNTIME);
    CHECK(strstr(err.msg, "the upload failed (test)") != NULL);
    CHECK_INT(out.bytes, 300010);
    close(fd);

    /* a file that cannot be written: the system's reason, the tap not told */
    int calls = t.calls;
    lt_out_init(&out, fd);
    out.tap = tap;
    out.tap_ctx = &t;
    lt_error_clear(&err);
    CHECK_INT(lt_out_write(&out, buf, 10, &err) != LT_OK, 1);
    CHECK(strstr(err.msg, "cannot write") != NULL);
    CHECK_INT(t.calls, calls);
    CHECK_INT(out.bytes, 0);
    free(buf);
}

int main(void)
{
    RUN(test_crc_and_tap);
    return unit_report();
}
