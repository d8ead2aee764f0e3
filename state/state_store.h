/* The state store: one SQLite database per task (WAL mode, synchronous=FULL) holding the tables and their
 * full-load status, the file manifest, per-table statistics and the CDC checkpoint. A file's manifest row is
 * committed only after the file itself is durable; readers (status, merge) see only committed rows.
 * The schema is versioned through PRAGMA user_version and migrated forward on open. Thread-safe. */
#ifndef LOGTAP_STATE_STORE_H
#define LOGTAP_STATE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/error.h"

struct lt_state;

enum lt_file_kind { LT_FILE_LOAD, LT_FILE_CDC };

struct lt_manifest_file {
    int64_t table_id;
    enum lt_file_kind kind;
    const char *path;        /* relative to the target path */
    int64_t rows;
    int64_t bytes;
    const char *first_pos;
    const char *last_pos;
    const char *schema_json; /* the file's columns, as written */
    int64_t commit_ts_first_us; /* CDC files: commit times of the first and last change */
    int64_t commit_ts_last_us;
    bool has_crc32;          /* the content's CRC-32 was recorded (files written before it was are not) */
    uint32_t crc32;
};

/* Statistics to add to a table. */
struct lt_table_delta {
    int64_t table_id;
    int64_t inserts, updates, deletes, truncates, ddls;
};

/* A table-level event (TRUNCATE) at a position. */
struct lt_table_event {
    int64_t table_id;
    const char *pos;
    int64_t commit_ts_us;
};

/* What one CDC flush records, in one transaction: the files it made durable, the statistics, the events, and the
 * new checkpoint (NULL to keep the old one). */
struct lt_cdc_batch {
    const struct lt_manifest_file *files;
    int nfiles;
    const struct lt_table_delta *stats;
    int nstats;
    const struct lt_table_event *events;
    int nevents;
    const char *checkpoint;
    int64_t checkpoint_time_us;
    int64_t last_commit_ts_us;
    const char *meta_key;       /* optional: one more meta value recorded with the checkpoint (NULL: none) */
    const char *meta_value;
};

struct lt_table_status {
    int64_t id;
    char schema_name[256];
    char table_name[256];
    char state[16];          /* pending, loading, loaded, failed */
    int64_t full_load_rows;
    int64_t inserts, updates, deletes, truncates, ddls;
    int64_t files, bytes;
    char full_load_started[32], full_load_finished[32];
    char last_error[512];
    char load_pos[64];       /* the position of its current load: its changes at or before it are in the load
                              * ("" before the first load) */
    char capture[16];        /* "all", or "inserts" (a table without a key captured for inserts only) */
    bool reload_requested;   /* `logtap reload` asked for a new load */
    char source_id[64];      /* the source's identity of the table (PostgreSQL: its OID), "" when unknown */
};

/* Opens (creating the file and its directory when missing) and migrates the store. A store made for another
 * task or source engine is refused. */
int lt_state_open(const char *path, const char *task, const char *engine, struct lt_state **out,
                  struct lt_error *err);
/* Opens an existing store read-only for reporting; a missing file is an error. */
int lt_state_open_existing(const char *path, struct lt_state **out, struct lt_error *err);
void lt_state_close(struct lt_state *st);

int lt_state_schema_version(struct lt_state *st);

/* The table row's id, 0 when the store does not know the table (nothing is created). */
int lt_state_find_table(struct lt_state *st, const char *schema, const char *table, int64_t *id, struct lt_error *err);

/* Finds or creates the table row. */
int lt_state_table_id(struct lt_state *st, const char *schema, const char *table, int64_t *id, struct lt_error *err);

/* Starts (or restarts) a table's full load from a snapshot at load_pos with the load files' columns (schema_json):
 * state 'loading', counters reset, a reload request cleared, its previous load files dropped from the manifest.
 * The caller removes the files themselves afterwards. */
int lt_state_begin_table_load(struct lt_state *st, int64_t table_id, const char *load_pos, const char *schema_json,
                              struct lt_error *err);
/* The columns of a table's current load (a malloc'd JSON text, NULL when none was recorded). */
int lt_state_get_load_schema(struct lt_state *st, int64_t table_id, char **out, struct lt_error *err);
int lt_state_finish_table_load(struct lt_state *st, int64_t table_id, int64_t rows, struct lt_error *err);
/* Records a table's load as failed; the files its attempt had finished leave the manifest with it (a failed table
 * has no load in the lake; its next load replaces them). */
int lt_state_fail_table_load(struct lt_state *st, int64_t table_id, const char *message, struct lt_error *err);
/* Table states: pending (selected, not loaded yet), loading, loaded, failed, cdc (followed without a load:
 * migration_type cdc), dropped (gone from the source or from the selection; its files stay). The note (may be
 * NULL) is shown as the table's last message. */
int lt_state_set_table_state(struct lt_state *st, int64_t table_id, const char *state, const char *note,
                             struct lt_error *err);
/* "all" or "inserts". */
int lt_state_set_table_capture(struct lt_state *st, int64_t table_id, const char *capture, struct lt_error *err);
int lt_state_set_table_source_id(struct lt_state *st, int64_t table_id, const char *source_id, struct lt_error *err);
/* Marks a table for a new load (`logtap reload`); the runner clears it when the load begins. */
int lt_state_request_reload(struct lt_state *st, int64_t table_id, struct lt_error *err);

/* Records a durable file. */
int lt_state_add_file(struct lt_state *st, const struct lt_manifest_file *f, struct lt_error *err);

int lt_state_commit_cdc_batch(struct lt_state *st, const struct lt_cdc_batch *batch, struct lt_error *err);

/* The path of a table's newest CDC file ("" when none). */
int lt_state_last_cdc_file(struct lt_state *st, int64_t table_id, char *out, size_t outlen, struct lt_error *err);

/* Calls fn for a table's files of one kind, in position order; after_pos (may be NULL) keeps only files
 * whose last position is after it. Strings are valid during the call only. */
int lt_state_each_file(struct lt_state *st, int64_t table_id, enum lt_file_kind kind, const char *after_pos,
                       int (*fn)(void *ctx, const struct lt_manifest_file *f), void *ctx, struct lt_error *err);
/* Calls fn for a table's TRUNCATE events after after_pos (may be NULL), in position order. */
int lt_state_each_event(struct lt_state *st, int64_t table_id, const char *after_pos,
                        int (*fn)(void *ctx, const char *pos, int64_t commit_ts_us), void *ctx, struct lt_error *err);

/* A point-in-time snapshot written by the merge. */
struct lt_snapshot_record {
    int64_t id;
    int64_t table_id;
    const char *name;        /* "YYYYMMDDTHHMMSSZ" */
    const char *path;        /* the part file, relative to merge.path */
    const char *pos;         /* the last change it includes */
    int64_t commit_ts_us;    /* that change's commit time */
    int64_t rows;
    int64_t bytes;
    const char *schema_json;
    bool has_crc32;          /* as in lt_manifest_file */
    uint32_t crc32;
};
int lt_state_add_snapshot(struct lt_state *st, const struct lt_snapshot_record *r, struct lt_error *err);
int lt_state_delete_snapshot(struct lt_state *st, int64_t id, struct lt_error *err);
/* Calls fn for a table's snapshots, newest (by position) first. */
int lt_state_each_snapshot(struct lt_state *st, int64_t table_id,
                           int (*fn)(void *ctx, const struct lt_snapshot_record *r), void *ctx, struct lt_error *err);

/* Key/value facts about the task (snapshot position, last full load time, ...). Returns LT_OK and an empty
 * string when the key is absent. */
int lt_state_set_meta(struct lt_state *st, const char *key, const char *value, struct lt_error *err);
int lt_state_get_meta(struct lt_state *st, const char *key, char *out, size_t outlen, struct lt_error *err);

/* Every table, ordered by schema and name, in a malloc'd array (the caller frees it); for callers that query the
 * store again per table, which they cannot do inside lt_state_each_table. */
int lt_state_list_tables(struct lt_state *st, struct lt_table_status **out, int *n, struct lt_error *err);

/* One table's row. */
int lt_state_get_table(struct lt_state *st, int64_t table_id, struct lt_table_status *out, struct lt_error *err);

/* Calls fn for each table that waits for a load (pending, failed, loading, or a reload requested). */
int lt_state_each_table_to_load(struct lt_state *st, int (*fn)(void *ctx, const struct lt_table_status *t), void *ctx,
                                struct lt_error *err);

/* Calls fn for each table, ordered by schema and name. */
int lt_state_each_table(struct lt_state *st, int (*fn)(void *ctx, const struct lt_table_status *t), void *ctx,
                        struct lt_error *err);

#endif
