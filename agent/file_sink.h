/* Durable files for one table: rows go through a target plug-in into a temp file (its CRC-32 taken as the bytes
 * pass, agent/file_out.h); closing a file fsyncs it, renames it to its final name, fsyncs the directory, and only
 * then reports it (so the caller can record it in the manifest). With an object store the temp file is a spool
 * copy whose parts are uploaded under the file's final key while it is written (no temporary object name is ever
 * visible); closing it completes the upload, removes the spool copy, and only then reports it. Full-load files roll over at a size limit and are numbered
 * LOAD00000001, LOAD00000002, ... in 8 hex digits as DMS does. */
#ifndef LOGTAP_FILE_SINK_H
#define LOGTAP_FILE_SINK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "agent/error.h"
#include "agent/place.h"
#include "agent/record.h"
#include "agent/target.h"

struct lt_file_sink;

/* What the sink reports for each durable file. */
struct lt_sink_file_info {
    const char *relpath;      /* relative to the target root */
    int64_t rows;
    int64_t bytes;
    const char *first_pos;
    const char *last_pos;
    int64_t first_ts_us;      /* commit times of the first and last row */
    int64_t last_ts_us;
    uint32_t crc32;           /* the content's CRC-32 (file_crc.h) */
};

typedef int (*lt_sink_file_done_fn)(void *ctx, const struct lt_sink_file_info *info, struct lt_error *err);

struct lt_sink_options {
    const struct logtap_target_ops *target;
    const struct lt_target_config *cfg;
    const char *root;             /* the local folder files are written in (a place's root) */
    struct lt_place *place;       /* where they go: NULL or a local place when root is all there is; an object
                                   * store: each file is uploaded while it is written, complete before it is
                                   * reported, and its spool copy removed */
    const char *table_dir;        /* escaped "<schema>/<table>" */
    struct lt_file_layout layout;
    uint64_t max_bytes;           /* roll over after this many bytes; 0 = never */
    _Atomic uint32_t *load_number; /* LOAD file numbers shared by several sinks of one table; NULL: from 1 */
    const char *load_prefix;      /* before LOAD in the names of full-load files ("SEGMENT2_"), NULL for none */
    lt_sink_file_done_fn on_file; /* called after each file is durable */
    void *ctx;
};

int lt_sink_open(struct lt_file_sink **out, const struct lt_sink_options *opt, struct lt_error *err);

/* Writes a full-load row: opens the next LOAD file when none is open, rolls over at max_bytes. */
int lt_sink_write_load_row(struct lt_file_sink *s, const struct lt_row *row, struct lt_error *err);

/* Starts a file with a given name relative to the table folder (may hold subfolders, e.g. date partitions). */
int lt_sink_begin_file(struct lt_file_sink *s, const char *name, struct lt_error *err);
/* Appends a row to the open file (no rollover). */
int lt_sink_write_row(struct lt_file_sink *s, const struct lt_row *row, struct lt_error *err);
bool lt_sink_is_open(const struct lt_file_sink *s);
uint64_t lt_sink_size(const struct lt_file_sink *s);

/* Closes the open file durably (no-op when none is open). */
int lt_sink_close_file(struct lt_file_sink *s, struct lt_error *err);

/* Removes the open temp file without publishing it. */
void lt_sink_abort(struct lt_file_sink *s);

void lt_sink_free(struct lt_file_sink *s);

/* Creates every missing directory of path (like mkdir -p). */
int lt_mkdir_p(const char *path, struct lt_error *err);

/* fsyncs a directory so a rename inside it is durable. */
int lt_fsync_dir(const char *dir, struct lt_error *err);

/* Removes leftover temp files (".<name>.tmp") of CDC files of an interrupted run from a table folder (a load's
 * temp files are left to lt_sink_remove_load_files: a table's load may run beside its change stream). */
int lt_sink_remove_cdc_temp_files(struct lt_place *place, const char *table_dir, struct lt_error *err);

/* Removes LOAD* files (also SEGMENT<n>_LOAD*; objects, in a store) and leftover temp files of earlier runs from a
 * table folder and from its sub-folders (DMS's segment and partition folders). */
int lt_sink_remove_load_files(struct lt_place *place, const char *table_dir, struct lt_error *err);

#endif
