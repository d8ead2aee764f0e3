/* The content checksum the manifest records for every file it lists (CRC-32, as zlib and gzip compute it), so
 * that a reader can tell a file cut short, replaced or damaged in place from the one that was written. */
#ifndef LOGTAP_FILE_CRC_H
#define LOGTAP_FILE_CRC_H

#include <stdint.h>

#include "agent/error.h"

/* CRC-32 of the whole file at path, read in blocks. */
int lt_file_crc32(const char *path, uint32_t *out, struct lt_error *err);

#endif
