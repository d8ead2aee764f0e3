/* The byte path from a target writer to its file: each block is written to the file descriptor, its CRC-32 (the
 * manifest's, file_crc.h) is taken as it passes, and a tap, when set, is told of it once it is in the file (an
 * object-store upload that streams the file's parts while it is written, agent/file_sink.c). One pass over the
 * bytes: nothing reads the file back to checksum it. */
#ifndef LOGTAP_FILE_OUT_H
#define LOGTAP_FILE_OUT_H

#include <stddef.h>
#include <stdint.h>

#include "agent/error.h"

struct lt_out {
    int fd;
    uint64_t bytes;   /* written so far */
    uint32_t crc32;   /* of those bytes */
    /* told of each block after it is in the file; non-zero fails the write (err set) */
    int (*tap)(void *ctx, const void *data, size_t len, struct lt_error *err);
    void *tap_ctx;
};

/* An output on fd (positioned at 0, empty), without a tap. */
void lt_out_init(struct lt_out *o, int fd);

/* Writes all of data (retrying short writes and EINTR), then tells the tap. */
int lt_out_write(struct lt_out *o, const void *data, size_t len, struct lt_error *err);

#endif
