/* MySQL/MariaDB positions and checkpoints as text: pure functions, no server, no allocation (the counterpart of
 * sources/postgres/repl_protocol.h). The stream and the full load use them to write positions and checkpoints;
 * the agent reaches the ones at the bottom through the source's ops table, to parse, compare and format the
 * positions users give (`replicate --until`, `merge --as-of`) and the ones `status` prints, without a connection.
 *
 * _logtap_pos (record.h, LT_POS_MAX wide): "FFFFFFFFFF:PPPPPPPPPPPP:RRRRRRRRRR", the binlog file's index (the number
 * after the last dot of its name, at most 4294967295), the event's start position in that file (at most
 * 999999999999) and the row's index inside the event (from 1; full-load rows carry the snapshot's file and
 * position with row 0), each zero-padded, so byte order is change order.
 *
 * Checkpoints: "<binlog file name>:<position>", the end of the last complete transaction, followed on MariaDB by
 * "@<GTID position>": the last GTID of each replication domain ("domain-server-sequence", comma-separated, by
 * domain) at that point, which the stream can resume from instead of the file position (source.use_gtid). A
 * checkpoint file:P includes every transaction that ended at or before P: their rows have event positions < P;
 * and the rows of a full load whose snapshot is exactly file:P (P, row 0). */
#ifndef LOGTAP_MYSQL_POSITION_H
#define LOGTAP_MYSQL_POSITION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/error.h"
#include "agent/record.h"
#include "agent/source.h"

#define MY_FILE_MAX 256
#define MY_GTID_MAX 224 /* a GTID position's text, NUL included (MY_FILE_MAX + 22 + MY_GTID_MAX < LT_CHECKPOINT_MAX) */
#define MY_POS_LEN 34   /* 10 + 1 + 12 + 1 + 10 */
#define MY_EVENT_POS_MAX 999999999999ull /* the largest event position a _logtap_pos holds (12 digits) */

/* The index of a binlog file (the digits after its last dot); 0 when the name has none. */
uint32_t lt_my_file_index(const char *file);
/* The same, strictly: false unless the name ends in a dot and 1 to 10 digits whose value fits 32 bits. */
bool lt_my_file_index_parse(const char *file, uint32_t *index);
void lt_my_format_pos(uint32_t file_index, uint64_t event_pos, uint32_t row, char out[LT_POS_MAX + 1]);
/* Parses a _logtap_pos exactly as lt_my_format_pos writes it; false on anything else. */
bool lt_my_parse_pos(const char *text, uint32_t *file_index, uint64_t *event_pos, uint32_t *row);

/* "file:pos", or "file:pos@gtid" when gtid is not NULL or empty, and back. The parse accepts either; gtid
 * (MY_GTID_MAX bytes, may be NULL) gets the GTID position or "" when there is none. */
void lt_my_format_checkpoint(const char *file, uint64_t pos, const char *gtid, char out[LT_CHECKPOINT_MAX]);
bool lt_my_parse_checkpoint(const char *cp, char file[MY_FILE_MAX], uint64_t *pos, char *gtid);

/* MariaDB GTID positions: "domain-server-sequence" entries, comma-separated, one per domain ("" is valid: no GTID
 * yet). lt_my_gtid_valid checks the first n bytes of text; lt_my_gtid_set makes (domain, server, seq) the domain's
 * entry, keeping the entries sorted by domain, and returns false (gtid unchanged) when the result would not fit. */
bool lt_my_gtid_valid(const char *text, size_t n);
bool lt_my_gtid_set(char gtid[MY_GTID_MAX], uint32_t domain, uint32_t server, uint64_t seq);

/* A binlog file as SHOW BINARY LOGS lists it. */
struct lt_my_binlog_file {
    const char *name;
    uint64_t size;
};
/* Bytes from (from_file, from_pos) to (to_file, to_pos): the rest of from_file, the files listed in between, and
 * to_pos (files in SHOW BINARY LOGS order). LT_ERR_RUNTIME when from_file is not listed or to_file not after it;
 * files may be NULL when both positions are in one file. */
int lt_my_binlog_distance(const struct lt_my_binlog_file *files, size_t n, const char *from_file, uint64_t from_pos,
                          const char *to_file, uint64_t to_pos, int64_t *bytes);

/* ---- the source's position operations (struct logtap_source_ops; see agent/source.h) ---- */

/* A checkpoint given by a user: file:position[@gtid] with a binlog file name (a numbered file) and a position a
 * _logtap_pos can hold; out (may be NULL) gets it back in canonical form. LT_ERR_CONFIG otherwise. */
int lt_my_checkpoint_check(const char *text, char out[LT_CHECKPOINT_MAX], struct lt_error *err);
/* Orders two checkpoints by (file index, position); the GTID part does not take part. */
int lt_my_checkpoint_compare(const char *a, const char *b, int *cmp, struct lt_error *err);
/* A checkpoint file:P gives (index, P, row 0); a _logtap_pos is itself. */
int lt_my_position_bound(const char *text, char pos[LT_POS_MAX + 1], struct lt_error *err);
/* The smallest checkpoint whose bound includes the change at pos: file:P for a full-load row (row 0), file:P+1 for
 * a change of the event at P. The file is named like the reference checkpoint's (its name up to the last dot and
 * as many digits, at least). */
int lt_my_position_checkpoint(const char *pos, const char *reference, char out[LT_CHECKPOINT_MAX],
                              struct lt_error *err);

#endif
