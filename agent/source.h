/* The source plug-in interface: a table of function pointers per database engine (PostgreSQL, MySQL/MariaDB).
 * The agent drives a full load through it: take one consistent snapshot, list the selected tables inside it,
 * then copy tables in parallel, each worker on its own connection inside the same snapshot; then the change
 * stream. The source also owns its positions: the agent parses, compares and formats them only through it. */
#ifndef LOGTAP_SOURCE_H
#define LOGTAP_SOURCE_H

#include <stdbool.h>
#include <stdint.h>

#include "agent/config.h"
#include "agent/error.h"
#include "agent/findings.h"
#include "agent/record.h"

struct lt_source; /* opaque, owned by the plug-in */

struct lt_source_table {
    struct lt_table_schema *schema;
    char source_id[32];      /* the source's identity of the table (PostgreSQL: its OID), "" when it has none */
    bool inserts_only;       /* only its INSERTs are captured (a table without a key, source.tables_without_key) */
    int64_t estimated_rows;  /* -1 when unknown */
    int64_t estimated_bytes; /* the table's size on the source, -1 when unknown */
    bool read_first;         /* start it before the others (MySQL: read under the snapshot's lock), never split */
    char *copy_sql;          /* the statement a worker runs to read the whole table (source-specific) */
    bool filtered;           /* copy_sql reads only the rows of the table's source filter (a WHERE condition) */
    int nparts;              /* > 1: the table is read as this many disjoint parts, in parallel */
    char **part_sql;         /* nparts statements that together read exactly the rows of copy_sql */
    /* Parts a table-settings parallel-load rule defines (DMS's segments): their files go in a sub-folder each
     * (part_names: ranges with segment-names, partitions), or are named SEGMENT<n>_LOAD... (ranges without names).
     * Parts logtap makes itself (big tables) are none of these: their files are the table's LOAD files. */
    enum lt_part_layout { LT_PARTS_PLAIN, LT_PARTS_PREFIX, LT_PARTS_FOLDERS } part_layout;
    char **part_names;       /* LT_PARTS_FOLDERS: nparts folder names */
    bool parts_fixed;        /* a table-settings rule decides the parts (or that there are none) */
    int load_order;          /* DMS load-order: tables of higher values start first */
};

/* How many parts a table of estimated_bytes should be read in (1 = whole): big tables are split into parts of at
 * least full_load.part_min_mb, at most one per worker (MaxFullLoadSubTasks), so several workers read it at once. */
int lt_load_parts_wanted(const struct lt_task_config *cfg, int64_t estimated_bytes);

/* The statement that reads part `part` of a table (the whole table when it is not split). */
static inline const char *lt_source_table_sql(const struct lt_source_table *t, int part)
{
    return t->nparts > 1 ? t->part_sql[part] : t->copy_sql;
}

struct lt_table_list {
    int n;
    struct lt_source_table *tables;
};

void lt_table_list_free(struct lt_table_list *list);

/* A selected table by name, as a running task polls for tables that joined or left its selection. */
struct lt_table_ref {
    char *schema, *table;
    char source_id[32];      /* as in lt_source_table */
};
struct lt_table_refs {
    int n, cap;
    struct lt_table_ref *t;
};
/* Appends a copy of the names; LT_ERR_RUNTIME when out of memory. */
int lt_table_refs_add(struct lt_table_refs *refs, const char *schema, const char *table, const char *source_id,
                      struct lt_error *err);
void lt_table_refs_free(struct lt_table_refs *refs);
/* Frees a table's part statements (it is then read whole). */
void lt_source_table_free_parts(struct lt_source_table *t);

/* Called for every row a worker reads; a non-zero return stops the copy with that error. */
typedef int (*lt_row_fn)(void *ctx, const struct lt_row *row, struct lt_error *err);

/* A checkpoint's text, NUL included (MySQL/MariaDB: a binlog file name up to 255 bytes, its position and a GTID
 * position). */
#define LT_CHECKPOINT_MAX 512

/* What a snapshot is for. */
enum lt_snapshot_kind {
    LT_SNAPSHOT_PLAIN,      /* a full load and nothing else */
    LT_SNAPSHOT_CDC_START,  /* the task's first load: the change stream starts exactly where it ends (PostgreSQL: the
                             * replication slot's exported snapshot) */
    LT_SNAPSHOT_JOIN,       /* tables joining a running change stream: a snapshot at a position P of that stream,
                             * holding exactly the changes at or before P (PostgreSQL: a temporary slot's exported
                             * snapshot, the tables first added to the publication) */
};

struct lt_snapshot_info {
    char pos[LT_POS_MAX + 1];    /* position of the snapshot: full-load rows carry it */
    int64_t time_us;             /* the source's clock when the snapshot was taken */
    char checkpoint[LT_CHECKPOINT_MAX]; /* where CDC starts so that it continues this snapshot exactly */
};

/* What the change stream yields. */
enum lt_event_kind {
    LT_EV_NONE,      /* nothing arrived before the timeout */
    LT_EV_ROW,       /* a change: schema, row (op, values, position, commit time) */
    LT_EV_TRUNCATE,  /* the table was emptied at row.pos */
    LT_EV_COMMIT,    /* a transaction ended; everything up to `checkpoint` is complete */
    LT_EV_IDLE,      /* no transaction is open and the source has moved on to `checkpoint` without changes for us */
    LT_EV_END,       /* the --until position is reached and no transaction is open */
};

struct lt_change_event {
    enum lt_event_kind kind;
    const struct lt_table_schema *schema; /* ROW, TRUNCATE: the table's schema for this change */
    void **agent_slot;                    /* ROW, TRUNCATE: a per-table pointer the agent may keep its state in */
    struct lt_row row;                    /* ROW, TRUNCATE (pos, commit time) */
    char checkpoint[LT_CHECKPOINT_MAX];   /* COMMIT, IDLE */
    bool in_transaction;                  /* a transaction is open (its rows are not complete yet) */
    bool from_update;                     /* ROW: the D or the I of an UPDATE written as D of the old row then I
                                           * of the new one (a key change, or a table without a key) */
    const struct lt_value *old_vals;      /* ROW with op U: the old row as the source sent it (values it did not
                                           * send marked unchanged), NULL when it sent none */
};

/* Where the stream starts and (optionally) stops. */
struct lt_stream_options {
    const char *checkpoint;   /* resume point (from the state store or the snapshot) */
    const char *until;        /* NULL, "now" (the source's position when the stream started) or a position */
    /* Called for each selected table the source starts streaming only now (PostgreSQL: added to the publication at
     * this start): its changes since the checkpoint are not in the stream, so it must be loaded again. */
    void (*on_table_added)(void *ctx, const char *schema, const char *table);
    void *ctx;
};

/* What the task holds on the source to keep its change stream (PostgreSQL: the replication slot), for status. */
struct lt_slot_status {
    bool exists;
    bool active;              /* a connection streams from it now */
    int active_pid;           /* the server process doing so, 0 when none */
    int64_t retained_bytes;   /* log the source keeps for it (current position - the slot's restart point), -1 unknown */
    char confirmed[LT_CHECKPOINT_MAX]; /* the position it was last told is durable */
    char wal_status[32];      /* PostgreSQL's wal_status: reserved, extended, unreserved, lost */
};

/* What a run will do, so that a pre-flight check asks only for what that needs. */
struct lt_check_scope {
    bool full_load;  /* a full load will run (a snapshot, SELECT on the tables) */
    bool cdc;        /* changes will be streamed (PostgreSQL: publication and slot; MySQL: the binlog) */
};

/* The scope of a task's migration_type. */
struct lt_check_scope lt_check_scope_of(const struct lt_task_config *cfg);

struct logtap_source_ops {
    const char *name;
    /* Pre-flight: finds every problem that would stop or harm a run of this scope (source settings, privileges,
     * tables logtap cannot capture...) and adds each to out, changing nothing on the source (no publication, no
     * slot; a few catalog queries on one short connection of its own). Returns LT_OK when the checks ran,
     * whatever they found; an error when they could not (the source is unreachable). */
    int (*check)(const struct lt_task_config *cfg, struct lt_check_scope scope, struct lt_findings *out,
                 struct lt_error *err);
    /* Connects and checks the source; does not start a snapshot. */
    int (*open)(struct lt_source **out, const struct lt_task_config *cfg, struct lt_error *err);
    /* Takes the consistent snapshot every load worker will share (see enum lt_snapshot_kind). */
    int (*snapshot_begin)(struct lt_source *src, enum lt_snapshot_kind kind, struct lt_snapshot_info *info,
                          struct lt_error *err);
    /* The tables the selection rules select now, names only (a cheap catalog query, no snapshot): a running task
     * compares them with its state store to notice tables that joined or left. */
    int (*selected_tables)(struct lt_source *src, struct lt_table_refs *out, struct lt_error *err);
    /* Lists the tables the selection rules select, as they are in the snapshot. */
    int (*list_tables)(struct lt_source *src, struct lt_table_list *out, struct lt_error *err);
    /* Streams the rows of part `part` of a table (0 when it is not split; op 'I', position = snapshot position) on
     * worker connection `worker` (0 <= worker < MaxFullLoadSubTasks). Thread-safe across distinct workers. */
    int (*load_table)(struct lt_source *src, int worker, const struct lt_source_table *t, int part,
                      const struct lt_snapshot_info *snap, lt_row_fn fn, void *ctx, struct lt_error *err);
    /* Ends the snapshot and closes the worker connections. */
    void (*snapshot_end)(struct lt_source *src);
    void (*close)(struct lt_source *src);

    /* CDC without a full load: prepares the stream (PostgreSQL: publication and slot) and returns its start. */
    int (*cdc_begin)(struct lt_source *src, char checkpoint[LT_CHECKPOINT_MAX], struct lt_error *err);
    /* Starts streaming changes committed after opt->checkpoint. */
    int (*stream_start)(struct lt_source *src, const struct lt_stream_options *opt, struct lt_error *err);
    /* Waits up to timeout_ms for the next event. Event data stays valid until the next call. */
    int (*stream_next)(struct lt_source *src, struct lt_change_event *ev, int timeout_ms, struct lt_error *err);
    /* The source's own position as the stream last reported it, without asking (PostgreSQL: the WAL end the
     * walsender sends with its data and keepalives), for the lag in bytes; LT_ERR_RUNTIME while it is not known.
     * NULL when the stream does not report it. */
    int (*stream_server_position)(struct lt_source *src, char out[LT_CHECKPOINT_MAX]);
    /* Tells the source everything up to checkpoint is durable (it may release its log). */
    int (*stream_ack)(struct lt_source *src, const char *checkpoint, struct lt_error *err);
    /* Row count and order-independent checksum of a table's rows as they are now: the sum, as a signed decimal,
     * of the first 8 bytes (big-endian, signed) of md5(the row's columns as canonical text, NULL as \N, joined
     * by tabs), over the given columns. NULL when the source cannot compute it. */
    int (*table_checksum)(struct lt_source *src, const struct lt_table_schema *t, int64_t *rows, char sum[64],
                          struct lt_error *err);
    /* Bytes of source log between two checkpoints (from earlier than to), for status; may ask the source (MySQL:
     * the sizes of the binlog files in between). NULL when not measurable. */
    int (*lag_bytes)(struct lt_source *src, const char *from, const char *to, int64_t *bytes, struct lt_error *err);
    /* Retiring a task: removes what the task holds on the source (PostgreSQL: its replication slot, which pins WAL,
     * and its publications), calling fn with a line for each thing removed (or, with dry_run, that would be). NULL
     * when the source holds nothing for a task. */
    int (*retire)(struct lt_source *src, bool dry_run, void (*fn)(void *ctx, const char *what), void *ctx,
                  struct lt_error *err);
    /* Which server this is, as text (MySQL: its server_uuid; MariaDB, which has none: host name, port, server_id
     * and GTID domain): a binlog file and position mean something only on the server they were read from. NULL
     * when the source's own checks cover it (PostgreSQL: the slot lives on the server). */
    int (*server_identity)(struct lt_source *src, char out[256], struct lt_error *err);
    /* The state of the task's slot, for status. NULL when the source keeps no slot. */
    int (*slot_status)(struct lt_source *src, struct lt_slot_status *out, struct lt_error *err);
    /* The source's current position, for status and lag. */
    int (*current_position)(struct lt_source *src, char out[LT_CHECKPOINT_MAX], struct lt_error *err);

    /* ---- Positions, without a connection ----
     * A source owns two forms of position: its checkpoints (what `status` prints, what `replicate --until` and
     * `merge --as-of` take: a PostgreSQL LSN like 0/16B3748, a MySQL/MariaDB file:position[@gtid]) and _logtap_pos
     * (record.h: fixed width, byte order = change order). These are pure functions: they never connect and need no
     * `open`. Bad input is LT_ERR_CONFIG, with a message naming the forms the source takes. */
    /* Checks a checkpoint; out (may be NULL) gets it in canonical form. */
    int (*checkpoint_check)(const char *text, char out[LT_CHECKPOINT_MAX], struct lt_error *err);
    /* *cmp < 0, 0 or > 0 as checkpoint a is before, at or after checkpoint b. */
    int (*checkpoint_compare)(const char *a, const char *b, int *cmp, struct lt_error *err);
    /* The _logtap_pos of the last change a point includes: rows whose pos is <= it (strcmp) are the ones the point
     * includes. For a checkpoint, every change of the transactions that ended at or before it, and the rows of a
     * full load whose snapshot is exactly there, so `merge --as-of` a checkpoint `status` printed keeps exactly
     * what was durable then; a _logtap_pos value stands for itself. */
    int (*position_bound)(const char *text, char pos[LT_POS_MAX + 1], struct lt_error *err);
    /* The smallest checkpoint whose position_bound includes the change at pos (`merge --as-of` it reproduces a
     * snapshot whose last change is pos). reference: a checkpoint of the same task, for a source whose checkpoints
     * name what its positions only number (MySQL: the binlog file); may be NULL otherwise. */
    int (*position_checkpoint)(const char *pos, const char *reference, char out[LT_CHECKPOINT_MAX],
                               struct lt_error *err);
};

extern const struct logtap_source_ops lt_postgres_source;
extern const struct logtap_source_ops lt_mysql_source;

/* The source for a config's engine, or NULL. */
const struct logtap_source_ops *lt_source_for(const struct lt_source_config *cfg);
/* The i-th source of this build (0, 1, ...), NULL past the last. */
const struct logtap_source_ops *lt_source_at(int i);

#endif
