/* The target plug-in interface: a table of function pointers, like curl's TLS back ends. A target turns rows into
 * one file's bytes, written through an output the agent opened (agent/file_out.h: the file, its checksum, an
 * upload's stream); the agent (agent/file_sink.c) owns naming, temp files,
 * fsync, rename, rollover and the manifest, so every format gets the same durability for free. */
#ifndef LOGTAP_TARGET_H
#define LOGTAP_TARGET_H

#include <stdbool.h>
#include <stdint.h>

#include "agent/config.h"
#include "agent/error.h"
#include "agent/file_out.h"
#include "agent/record.h"

/* What goes into one file besides the table's own columns (README, "Files": the columns). */
struct lt_file_layout {
    const struct lt_table_schema *schema;
    bool with_op;              /* leading Op column */
    const char *ts_column;     /* name of the commit-time column, or NULL */
    bool with_unchanged;       /* trailing _logtap_unchanged column (CDC files) */
    bool txn;                  /* a transaction file (PreserveTransactions, CSV only): rows of any table, each
                                * "Op,table_name,schema_name,[time,]values...,_logtap_pos,_logtap_unchanged" with
                                * its table in row->schema; schema is NULL */
    bool no_pos;               /* no _logtap_pos column (target.LogtapColumns false: exactly DMS's columns; a
                                * transaction file then ends with the values too) */
};

struct lt_target_writer; /* opaque, owned by the target */
struct lt_target_reader; /* opaque, owned by the target */

struct logtap_target_ops {
    const char *name;       /* "csv", "parquet" */
    const char *extension;  /* file extension without the dot */
    /* Starts a file on out (empty); every byte goes through lt_out_write. */
    int (*open)(struct lt_target_writer **w, struct lt_out *out, const struct lt_target_config *cfg,
                const struct lt_file_layout *layout, struct lt_error *err);
    int (*write_row)(struct lt_target_writer *w, const struct lt_row *row, struct lt_error *err);
    /* Bytes the file will have so far (written plus buffered), for rollover decisions. */
    uint64_t (*size)(const struct lt_target_writer *w);
    /* Writes everything still buffered and the file's footer; does not fsync or close the file. Frees w. */
    int (*finish)(struct lt_target_writer *w, struct lt_error *err);
    /* Drops the file's state without writing anything more. Frees w. */
    void (*discard)(struct lt_target_writer *w);

    /* The reader side (the merge and validate read files back, agent/data_file.c). Opens the file at path, written
     * with cfg's settings, whose manifest says it has ncols columns (a file that does not is an error); nosup: the
     * CsvNoSupValue it was written with, or NULL. */
    int (*reader_open)(struct lt_target_reader **r, const char *path, const struct lt_target_config *cfg, int ncols,
                       const char *nosup, struct lt_error *err);
    /* Next row: 1 with *vals pointing at ncols values (valid until the next call), 0 at the end, -1 with err set
     * (the caller prefixes the file's name). */
    int (*reader_next)(struct lt_target_reader *r, const struct lt_value **vals, struct lt_error *err);
    void (*reader_close)(struct lt_target_reader *r);
};

extern const struct logtap_target_ops lt_csv_target;
extern const struct logtap_target_ops lt_csv_gzip_target; /* CompressionType GZIP: .csv.gz */
extern const struct logtap_target_ops lt_parquet_target;

/* The target for a config's DataFormat. */
const struct logtap_target_ops *lt_target_for(const struct lt_target_config *cfg);
/* The target that reads a file of this name: the one whose extension ends it (the longest), or NULL. */
const struct logtap_target_ops *lt_target_for_file(const char *path);

/* The name of the position column and the unchanged-columns column files carry (unless LogtapColumns is false). */
#define LT_POS_COLUMN "_logtap_pos"
#define LT_UNCHANGED_COLUMN "_logtap_unchanged"

#endif
