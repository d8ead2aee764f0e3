/* The change-stream runner behind `logtap replicate` (see cdc.h).
 *
 * Rows of each table go straight into that table's open CDC file as they arrive (memory stays bounded whatever
 * the transaction size). A flush happens only between transactions: it closes every open file durably (fsync,
 * rename, directory fsync; with an object store, the upload under its final name completes instead, streamed while
 * the file was written), then records the files, the statistics, the TRUNCATE events and the new checkpoint in one
 * SQLite transaction, and only then acknowledges the position to the source. A crash at any moment leaves
 * the checkpoint at the last flush: the source re-sends what follows, and files are named from their first
 * change's commit time (kept strictly increasing per table), so a re-written file replaces its half-recorded twin.
 * Stopping (SIGINT/SIGTERM) flushes and exits; inside a transaction it drops the open files instead, since the
 * source re-sends them from the checkpoint. */
#include "agent/cdc.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <time.h>

#include "agent/check.h"
#include "agent/cli_position.h"
#include "agent/date_partition.h"
#include "agent/file_sink.h"
#include "agent/log.h"
#include "agent/path_escape.h"
#include "agent/place.h"
#include "agent/progress.h"
#include "agent/row_filter.h"
#include "agent/schema_json.h"
#include "agent/signals.h"
#include "agent/source.h"
#include "agent/start_over.h"
#include "agent/table_join.h"
#include "agent/table_transform.h"
#include "agent/target.h"
#include "agent/target_root.h"
#include "agent/task_metrics.h"
#include "agent/txn_stream.h"
#include "state/state_store.h"

/* Whether the stream writes a table's changes: after the position of its load, or not at all while it waits to
 * join (a snapshot taken later holds them). */
enum follow_mode { FOLLOW_WRITE, FOLLOW_DROP };

struct cdc_table {
    struct cdc_table *next;
    int64_t table_id;
    enum follow_mode follow;
    char load_pos[LT_POS_MAX + 1];              /* changes at or before it are in the table's load ("" none) */
    char table_dir[LT_TABLE_DIR_MAX];
    struct lt_table_schema *schema;             /* the open file's schema */
    struct lt_table_schema *src_schema;         /* the source schema the mapping below was made for */
    struct lt_row_filter *filter;               /* its source filter, NULL when none */
    struct lt_table_map *map;                   /* its transformation rules */
    struct lt_map_scratch scratch;
    char *schema_json;
    struct lt_file_sink *sink;
    int64_t last_name_ms;                       /* the newest file name's time, so names only grow */
    char partition[32];                         /* the open file's date partition folder ("" without) */
    int64_t partition_checked_us;               /* the last commit time found to be in that partition */
    uint64_t last_write;                        /* when its file was last written (the run's row count) */
    bool cut;                                   /* its open file closes before its next row (see cut_for_order) */
    struct lt_table_delta delta;
};

struct cdc_run {
    const struct lt_task_config *cfg;
    const struct logtap_source_ops *source;
    const struct logtap_target_ops *target;
    struct lt_source *src;
    struct lt_state *state;
    struct lt_place place;      /* where the files go (a folder, or an object store through a local spool) */
    struct cdc_table *tables;
    /* what the next flush records */
    struct lt_manifest_file *files;
    char **file_paths;      /* owned copies of the strings in files[] */
    int nfiles, files_cap;
    struct lt_table_event *events;
    char **event_pos;
    int nevents, events_cap;
    bool have_data;         /* rows or events written since the last flush */
    int64_t batch_started_us;
    char last_commit[LT_CHECKPOINT_MAX];
    int64_t last_commit_ts_us;
    char checkpoint[LT_CHECKPOINT_MAX];
    int64_t rows_since_log;
    uint64_t rows_written;      /* rows written by this run, a clock for the least recently written file */
    struct lt_joins *joins;     /* tables joining the running task */
    struct lt_txn_stream *txn;  /* PreserveTransactions: the transaction-ordered files, else NULL */
    bool stream_error_recorded; /* the state store holds a failure of this run; the next flush clears it */
    int64_t last_tick_us;
    int64_t last_lag_us;
    int64_t idle_commit_ts_us;  /* for the flush of an IDLE event: the commit time it moves to (0: the source said
                                 * nothing newer exists, the task is caught up); -1 for other flushes */
};

static int64_t parse_name_ms(const char *path)
{
    /* ".../YYYYMMDD-HHMMSSmmm.ext" */
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    int ms;
    if (sscanf(base, "%4d%2d%2d-%2d%2d%2d%3d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
               &tm.tm_sec, &ms) != 7)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t)timegm(&tm) * 1000 + ms;
}

/* A CDC file's name from the wall-clock time (in the partition zone, UTC by default) it is named after, in its
 * partition folder when there is one. */
static void format_name(const struct cdc_run *run, int64_t ms, const char *partition, char *out, size_t n)
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char base[64];
    snprintf(base, sizeof base, "%04d%02d%02d-%02d%02d%02d%03d.%s", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000), run->target->extension);
    if (partition[0])
        snprintf(out, n, "%s/%s", partition, base);
    else
        snprintf(out, n, "%s", base);
}

/* The date partition folder of a commit time ("" when partitions are off). */
static int partition_of(const struct cdc_run *run, int64_t commit_ts_us, char out[32], struct lt_error *err)
{
    const struct lt_target_config *t = &run->cfg->target;
    out[0] = '\0';
    if (!t->date_partition_enabled)
        return LT_OK;
    int64_t wall;
    if (lt_zone_wall_ms(lt_date_partition_zone(t), commit_ts_us / 1000, &wall, err))
        return LT_ERR_RUNTIME;
    lt_date_partition_folder(t->date_partition_sequence, t->date_partition_delimiter, wall, out, 32);
    return LT_OK;
}

static int remember_file(void *arg, const struct lt_sink_file_info *info, struct lt_error *err);

/* How the stream treats a table it meets, from the table's state: loaded or loading (its load's position is
 * known) or followed without a load: its changes after that position; otherwise it waits for its join, and the
 * stream drops its changes until then. */
static int decide_follow(struct cdc_run *run, struct cdc_table *t, struct lt_error *err)
{
    struct lt_table_status st;
    if (lt_state_get_table(run->state, t->table_id, &st, err))
        return LT_ERR_RUNTIME;
    snprintf(t->load_pos, sizeof t->load_pos, "%s", st.load_pos);
    if (!strcmp(st.state, "loaded") || !strcmp(st.state, "loading") || !strcmp(st.state, "cdc")) {
        t->follow = FOLLOW_WRITE;
        return LT_OK;
    }
    t->follow = FOLLOW_DROP;
    if (!strcmp(st.state, "dropped") &&
        lt_state_set_table_state(run->state, t->table_id, "pending", "changes arrive again: it joins the task again",
                                 err))
        return LT_ERR_RUNTIME;
    if (run->joins)
        lt_joins_wake(run->joins);
    return LT_OK;
}

/* A table's state changed (see lt_join_change_fn): the cached table follows it. */
static void on_table_change(void *arg, int64_t table_id, const char *state, const char *load_pos)
{
    struct cdc_run *run = arg;
    for (struct cdc_table *t = run->tables; t; t = t->next) {
        if (t->table_id != table_id)
            continue;
        if (!strcmp(state, "loaded") || !strcmp(state, "loading") || !strcmp(state, "cdc")) {
            t->follow = FOLLOW_WRITE;
            if (load_pos && *load_pos && strcmp(load_pos, t->load_pos) != 0) {
                snprintf(t->load_pos, sizeof t->load_pos, "%s", load_pos);
                t->cut = !run->cfg->target.logtap_columns;
            }
        } else {
            t->follow = FOLLOW_DROP;
        }
    }
}

static struct cdc_table *table_for(struct cdc_run *run, const struct lt_change_event *ev, struct lt_error *err)
{
    struct cdc_table *t = *ev->agent_slot;
    if (t)
        return t;
    t = calloc(1, sizeof *t);
    if (!t) {
        lt_fail(err, LT_ERR_RUNTIME, "out of memory");
        return NULL;
    }
    const struct lt_table_schema *s = ev->schema;
    char *files_schema = NULL, *files_table = NULL; /* the names its files have (transformation rules) */
    lt_mapping_target_names(run->cfg->mapping, s->schema_name, s->table_name, &files_schema, &files_table);
    if (!files_schema || !files_table) {
        free(files_schema);
        free(files_table);
        free(t);
        lt_fail(err, LT_ERR_RUNTIME, "out of memory");
        return NULL;
    }
    lt_target_table_dir(&run->cfg->target, files_schema, files_table, t->table_dir, sizeof t->table_dir);
    free(files_schema);
    free(files_table);
    for (struct cdc_table *x = run->tables; x; x = x->next)
        if (!strcmp(x->table_dir, t->table_dir)) {
            lt_fail(err, LT_ERR_CONFIG, "config: table mapping: %s.%s and another table would both be written in %s "
                    "(DMS does not replicate two tables to one either)", s->schema_name, s->table_name, t->table_dir);
            free(t);
            return NULL;
        }
    char last[4096];
    if (lt_state_table_id(run->state, s->schema_name, s->table_name, &t->table_id, err) ||
        lt_state_last_cdc_file(run->state, t->table_id, last, sizeof last, err) ||
        lt_sink_remove_cdc_temp_files(&run->place, t->table_dir, err)) {
        free(t);
        return NULL;
    }
    t->last_name_ms = parse_name_ms(last);
    t->delta.table_id = t->table_id;
    if (decide_follow(run, t, err)) {
        free(t);
        return NULL;
    }
    t->next = run->tables;
    run->tables = t;
    *ev->agent_slot = t;
    return t;
}

/* At most this many CDC files are open at once (each holds a descriptor and a write buffer): a batch touching
 * more tables than that closes the least recently written one early. Its file is durable at once and recorded with
 * the batch; the table's next rows start a new file. Names stay deterministic: after a crash the same changes from
 * the same checkpoint open and close the same files in the same order. */
static int open_files_limit(void)
{
    static int limit;
    if (!limit) {
        struct rlimit rl;
        long fds = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY ? (long)rl.rlim_cur : 1024;
        long n = (fds - 64) / 2; /* the rest for connections, the state store, a joining table's load */
        limit = n < 8 ? 8 : n > 256 ? 256 : (int)n;
    }
    return limit;
}

static int make_room_for_a_file(struct cdc_run *run, struct lt_error *err)
{
    int open = 0;
    struct cdc_table *oldest = NULL;
    for (struct cdc_table *t = run->tables; t; t = t->next) {
        if (!t->sink || !lt_sink_is_open(t->sink))
            continue;
        open++;
        if (!oldest || t->last_write < oldest->last_write)
            oldest = t;
    }
    if (open < open_files_limit() || !oldest)
        return LT_OK;
    return lt_sink_close_file(oldest->sink, err) ? lt_error_prefix(err, "closing %s early: ", oldest->table_dir)
                                                 : LT_OK;
}

/* Opens the table's next CDC file for a row with this schema. */
static int open_table_file(struct cdc_run *run, struct cdc_table *t, const struct lt_table_schema *schema,
                           int64_t commit_ts_us, struct lt_error *err)
{
    if (!t->schema || !lt_schema_equal(t->schema, schema)) {
        const struct lt_target_config *tc = &run->cfg->target;
        struct lt_file_columns extra = {.op = tc->cdc_op_column, .ts_column = tc->timestamp_column,
                                        .unchanged = tc->logtap_columns, .cdc_ops = lt_cdc_ops_letters(tc->cdc_ops),
                                        .no_pos = !tc->logtap_columns, .nosup = tc->csv_nosup_value};
        if (lt_file_columns_check(schema, &extra, NULL, err))
            return err->code;
        struct lt_table_schema *copy = lt_schema_copy(schema);
        char *json = copy ? lt_schema_to_json(copy, &extra) : NULL;
        if (!json) {
            lt_schema_free(copy);
            return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
        }
        /* a file still open has the old columns: it is closed (durably), never dropped */
        if (t->sink && lt_sink_is_open(t->sink) && lt_sink_close_file(t->sink, err)) {
            lt_schema_free(copy);
            free(json);
            return LT_ERR_RUNTIME;
        }
        lt_schema_free(t->schema);
        free(t->schema_json);
        t->schema = copy;
        t->schema_json = json;
        lt_sink_free(t->sink);
        t->sink = NULL;
    }
    if (!t->sink) {
        struct lt_sink_options so = {
            .target = run->target, .cfg = &run->cfg->target, .root = run->place.root, .place = &run->place,
            .table_dir = t->table_dir,
            .layout = {.schema = t->schema, .with_op = run->cfg->target.cdc_op_column,
                       .ts_column = run->cfg->target.timestamp_column,
                       .with_unchanged = run->cfg->target.logtap_columns,
                       .no_pos = !run->cfg->target.logtap_columns},
            .on_file = remember_file, .ctx = run,
        };
        if (lt_sink_open(&t->sink, &so, err))
            return LT_ERR_RUNTIME;
    }
    if (make_room_for_a_file(run, err))
        return LT_ERR_RUNTIME;
    /* named after the wall-clock time of its first change in the partition zone (DMS names CDC files in
     * DatePartitionTimezone too), kept strictly increasing: names never repeat, even when DST sets clocks back */
    int64_t ms;
    if (lt_zone_wall_ms(lt_date_partition_zone(&run->cfg->target), commit_ts_us / 1000, &ms, err) ||
        partition_of(run, commit_ts_us, t->partition, err))
        return LT_ERR_RUNTIME;
    t->partition_checked_us = commit_ts_us;
    if (ms <= t->last_name_ms)
        ms = t->last_name_ms + 1;
    t->last_name_ms = ms;
    char name[256];
    format_name(run, ms, t->partition, name, sizeof name);
    return lt_sink_begin_file(t->sink, name, err);
}

/* The sink's callback: a file is durable; keep its manifest row for the next flush. */
static int remember_file(void *arg, const struct lt_sink_file_info *info, struct lt_error *err)
{
    struct cdc_run *run = arg;
    struct cdc_table *t = NULL;
    for (struct cdc_table *x = run->tables; x; x = x->next)
        if (strncmp(info->relpath, x->table_dir, strlen(x->table_dir)) == 0 && info->relpath[strlen(x->table_dir)] == '/')
            t = x;
    if (!t)
        return lt_fail(err, LT_ERR_RUNTIME, "internal: a file for an unknown table: %s", info->relpath);
    if (run->nfiles == run->files_cap) {
        int cap = run->files_cap ? run->files_cap * 2 : 16;
        struct lt_manifest_file *f = realloc(run->files, (size_t)cap * sizeof *f);
        char **p = f ? realloc(run->file_paths, (size_t)cap * 4 * sizeof *p) : NULL;
        if (!f || !p) {
            if (f)
                run->files = f;
            return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
        }
        run->files = f;
        run->file_paths = p;
        run->files_cap = cap;
    }
    char **owned = &run->file_paths[run->nfiles * 4];
    owned[0] = strdup(info->relpath);
    owned[1] = strdup(info->first_pos);
    owned[2] = strdup(info->last_pos);
    owned[3] = strdup(t->schema_json);
    run->files[run->nfiles++] = (struct lt_manifest_file){
        .table_id = t->table_id, .kind = LT_FILE_CDC, .path = owned[0], .rows = info->rows, .bytes = info->bytes,
        .first_pos = owned[1], .last_pos = owned[2], .schema_json = owned[3],
        .commit_ts_first_us = info->first_ts_us, .commit_ts_last_us = info->last_ts_us,
        .has_crc32 = true, .crc32 = info->crc32,
    };
    return LT_OK;
}

static void clear_batch(struct cdc_run *run)
{
    for (int i = 0; i < run->nfiles * 4; i++)
        free(run->file_paths[i]);
    run->nfiles = 0;
    for (int i = 0; i < run->nevents; i++)
        free(run->event_pos[i]);
    run->nevents = 0;
    for (struct cdc_table *t = run->tables; t; t = t->next) {
        int64_t id = t->table_id;
        memset(&t->delta, 0, sizeof t->delta);
        t->delta.table_id = id;
    }
    run->have_data = false;
}

/* How far the checkpoint is behind the source's position as the stream last reported it (PostgreSQL), for the
 * metrics; nothing to do for a source whose stream does not report it. */
static void note_source_lag(struct cdc_run *run)
{
    char pos[LT_CHECKPOINT_MAX];
    int64_t bytes;
    struct lt_error ignored;
    if (run->source->stream_server_position && run->source->lag_bytes && run->src && run->checkpoint[0] &&
        run->source->stream_server_position(run->src, pos) == LT_OK &&
        run->source->lag_bytes(run->src, run->checkpoint, pos, &bytes, &ignored) == LT_OK)
        lt_task_metrics_source_lag_bytes(bytes);
}

/* Closes every open file, records files + statistics + events + checkpoint in one transaction, then acks. */
static int flush(struct cdc_run *run, const char *checkpoint, struct lt_error *err)
{
    for (struct cdc_table *t = run->tables; t; t = t->next)
        if (t->sink && lt_sink_close_file(t->sink, err))
            return lt_error_prefix(err, "closing %s: ", t->table_dir);
    const char *txn_file = NULL;
    int64_t txn_bytes = 0;
    if (run->txn && lt_txn_stream_close(run->txn, &txn_file, &txn_bytes, err))
        return LT_ERR_RUNTIME;
    struct lt_table_delta deltas[256];
    int ndeltas = 0;
    int rc = LT_OK;
    struct lt_table_delta *dyn = NULL;
    int ntables = 0;
    for (struct cdc_table *t = run->tables; t; t = t->next)
        ntables++;
    struct lt_table_delta *d = ntables <= 256 ? deltas : (dyn = calloc((size_t)ntables, sizeof *dyn));
    if (!d)
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    for (struct cdc_table *t = run->tables; t; t = t->next)
        if (t->delta.inserts || t->delta.updates || t->delta.deletes || t->delta.truncates || t->delta.ddls)
            d[ndeltas++] = t->delta;
    struct lt_cdc_batch batch = {
        .files = run->files, .nfiles = run->nfiles, .stats = d, .nstats = ndeltas, .events = run->events,
        .nevents = run->nevents, .checkpoint = checkpoint, .checkpoint_time_us = lt_now_us(),
        .last_commit_ts_us = run->last_commit_ts_us,
        .meta_key = txn_file ? LT_META_TXN_LAST_FILE : NULL, .meta_value = txn_file,
    };
    rc = lt_state_commit_cdc_batch(run->state, &batch, err);
    free(dyn);
    if (rc)
        return lt_error_prefix(err, "recording the checkpoint: ");
    for (int i = 0; i < run->nfiles; i++)
        lt_task_metrics_file("cdc", run->files[i].bytes);
    if (txn_file) /* durable and recorded */
        lt_task_metrics_file("transaction", txn_bytes);
    bool caught_up = run->idle_commit_ts_us == 0;
    lt_task_metrics_checkpoint(run->idle_commit_ts_us > 0 ? run->idle_commit_ts_us : run->last_commit_ts_us,
                               caught_up);
    run->idle_commit_ts_us = -1;
    lt_log_debug("checkpoint %s recorded: %d files, %d truncates%s", checkpoint, run->nfiles, run->nevents,
                 caught_up ? "; the source has nothing newer" : "");
    if (run->txn)
        lt_txn_stream_committed(run->txn);
    if (run->nfiles)
        lt_log_info("checkpoint %s: %d files", checkpoint, run->nfiles);
    snprintf(run->checkpoint, sizeof run->checkpoint, "%s", checkpoint);
    clear_batch(run);
    struct lt_error ignored;
    if (run->stream_error_recorded && lt_state_set_meta(run->state, "stream_error", "", &ignored) == LT_OK)
        run->stream_error_recorded = false;
    return run->source->stream_ack(run->src, checkpoint, err);
}

/* Without _logtap_pos in the files (target.LogtapColumns false), the merge knows where a change is only from its
 * file's first and last position in the manifest: a file must never hold changes from both sides of a position the
 * merge cuts at. So a table's open file closes (durably, recorded with the batch) at its TRUNCATEs and when its
 * load position moves (a reload: the changes before the new load are inside it), as it does at a schema change. */
static int cut_for_order(struct cdc_table *t, struct lt_error *err)
{
    t->cut = false;
    return t->sink && lt_sink_is_open(t->sink) && lt_sink_close_file(t->sink, err) ? LT_ERR_RUNTIME : LT_OK;
}

/* Without _logtap_unchanged (target.LogtapColumns false) and without CsvNoSupValue to mark them, a value the source
 * did not send (PostgreSQL: an unchanged TOASTed value under the default replica identity) would read back as
 * NULL: the run stops rather than write it (the pre-flight check refuses such tables; one that joined later is
 * caught here). */
static int check_unchanged(const struct cdc_run *run, const struct lt_change_event *ev,
                           const struct lt_table_schema *files, const struct lt_row *row, struct lt_error *err)
{
    if (row->op == 'D' || run->cfg->target.csv_nosup_value)
        return LT_OK;
    for (int i = 0; i < row->nvals; i++)
        if (row->vals[i].state == LT_VALUE_UNCHANGED)
            return lt_fail(err, LT_ERR_FATAL,
                           "table %s.%s: an UPDATE left column %s unchanged without sending its value (a TOASTed "
                           "value); with target.LogtapColumns false the files have no _logtap_unchanged column, so it "
                           "would read back as NULL. Set REPLICA IDENTITY FULL on the table (its old row then gives "
                           "the value), or UseCsvNoSupValue with CsvNoSupValue (CSV), or LogtapColumns true; then "
                           "replicate again (it resumes from checkpoint %s)",
                           ev->schema->schema_name, ev->schema->table_name, files->cols[i].name,
                           run->checkpoint);
    return LT_OK;
}

static int add_event(struct cdc_run *run, struct cdc_table *t, const struct lt_row *row, struct lt_error *err)
{
    if (!run->cfg->target.logtap_columns && cut_for_order(t, err))
        return LT_ERR_RUNTIME;
    if (run->nevents == run->events_cap) {
        int cap = run->events_cap ? run->events_cap * 2 : 8;
        struct lt_table_event *e = realloc(run->events, (size_t)cap * sizeof *e);
        if (!e)
            return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
        run->events = e;
        char **p = realloc(run->event_pos, (size_t)cap * sizeof *p);
        if (!p)
            return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
        run->event_pos = p;
        run->events_cap = cap;
    }
    run->event_pos[run->nevents] = strdup(row->pos);
    run->events[run->nevents] = (struct lt_table_event){
        .table_id = t->table_id, .pos = run->event_pos[run->nevents], .commit_ts_us = row->commit_ts_us};
    run->nevents++;
    t->delta.truncates++;
    return LT_OK;
}

/* Compiles the table's mapping (its source filter) for the schema of a change, when it is not for that one yet. */
static int map_table(struct cdc_run *run, struct cdc_table *t, const struct lt_table_schema *schema,
                     struct lt_error *err)
{
    if (t->src_schema && lt_schema_equal(t->src_schema, schema))
        return LT_OK;
    struct lt_row_filter *filter = NULL;
    struct lt_table_map *map = NULL;
    struct lt_table_schema *copy = lt_schema_copy(schema);
    if (!copy)
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    if (lt_row_filter_for(run->cfg, schema, &filter, err) || lt_table_map_build(run->cfg, schema, &map, err)) {
        lt_row_filter_free(filter);
        lt_schema_free(copy);
        return err->code;
    }
    lt_row_filter_free(t->filter);
    lt_table_map_free(t->map);
    lt_schema_free(t->src_schema);
    t->filter = filter;
    t->map = map;
    t->src_schema = copy;
    return LT_OK;
}

static int write_change(struct cdc_run *run, const struct lt_change_event *ev, struct lt_error *err)
{
    struct cdc_table *t = table_for(run, ev, err);
    if (!t)
        return LT_ERR_RUNTIME;
    /* a table waiting to join, or a change its load already holds */
    if (t->follow == FOLLOW_DROP || (t->load_pos[0] && strcmp(ev->row.pos, t->load_pos) <= 0))
        return LT_OK;
    if (!run->have_data) {
        run->batch_started_us = lt_now_us();
        lt_task_metrics_pending();
    }
    run->have_data = true;
    if (ev->kind == LT_EV_TRUNCATE)
        return add_event(run, t, &ev->row, err);
    /* a change of the source's columns: the open file keeps its columns; the next rows start a new file */
    bool changed = t->src_schema && !lt_schema_equal(t->src_schema, ev->schema);
    if (map_table(run, t, ev->schema, err))
        return err->code ? err->code : LT_ERR_RUNTIME;
    /* CdcInsertsOnly / CdcInsertsAndUpdates: the other changes are dropped here, after the checks above, so the
     * checkpoint moves past them as past any change the files do not hold */
    struct lt_row filtered;
    const struct lt_row *row = &ev->row;
    char op = ev->row.op;
    if (run->cfg->target.cdc_ops != LT_CDC_ALL) {
        if (ev->from_update) { /* an UPDATE written as D of the old row and I of the new one */
            if (op == 'D')
                return LT_OK;
            op = 'U';
        }
        if (op == 'D' || (op == 'U' && run->cfg->target.cdc_ops == LT_CDC_INSERTS_ONLY))
            return LT_OK;
    }
    /* the source filter, on the source's own operation (row_filter.h says what an UPDATE across it becomes) */
    const struct lt_value *vals = ev->row.vals;
    if (t->filter) {
        switch (lt_row_filter_change(t->filter, ev->schema, ev->row.op, ev->row.vals, ev->old_vals)) {
        case LT_FW_DROP: return LT_OK;
        case LT_FW_AS_IS: break;
        case LT_FW_INSERT: op = 'I'; break;
        case LT_FW_DELETE_OLD: vals = ev->old_vals; /* fall through */
        case LT_FW_DELETE_NEW:
            if (run->cfg->target.cdc_ops != LT_CDC_ALL)
                return LT_OK; /* those files hold no deletes */
            op = 'D';
            break;
        }
    }
    if (op != ev->row.op || vals != ev->row.vals) {
        filtered = ev->row;
        filtered.op = op;
        filtered.vals = vals;
        row = &filtered;
    }
    /* the transformation rules: the row as the files hold it */
    struct lt_row mapped;
    if (!(row = lt_table_map_row(t->map, row, &t->scratch, &mapped, err)))
        return LT_ERR_RUNTIME;
    const struct lt_table_schema *files = lt_table_map_schema(t->map);
    if (!run->cfg->target.logtap_columns &&
        (check_unchanged(run, ev, files, row, err) || (t->cut && cut_for_order(t, err))))
        return err->code ? err->code : LT_ERR_RUNTIME;
    /* Compared by content, not by pointer: a source may free a table's old schema and get the same address for
     * its new one (that once dropped the rows before a DDL when two runs' schemas met at one address). */
    changed = changed || (t->schema && !lt_schema_equal(t->schema, files));
    if (changed) {
        /* A schema change: the open file keeps its columns; the next rows start a new file. */
        if (t->sink && lt_sink_close_file(t->sink, err))
            return LT_ERR_RUNTIME;
        t->delta.ddls++;
    }
    /* a file never spans two date partitions: a change of another one closes it (checked once per commit time) */
    if (!changed && run->cfg->target.date_partition_enabled && t->sink && lt_sink_is_open(t->sink) &&
        row->commit_ts_us != t->partition_checked_us) {
        char part[32];
        if (partition_of(run, row->commit_ts_us, part, err))
            return LT_ERR_RUNTIME;
        t->partition_checked_us = row->commit_ts_us;
        if (strcmp(part, t->partition) != 0 && lt_sink_close_file(t->sink, err))
            return LT_ERR_RUNTIME;
    }
    if (!t->sink || !lt_sink_is_open(t->sink) || changed)
        if (open_table_file(run, t, files, row->commit_ts_us, err))
            return LT_ERR_RUNTIME;
    if (lt_sink_write_row(t->sink, row, err))
        return LT_ERR_RUNTIME;
    if (run->txn) {
        struct lt_row trow = *row;
        trow.schema = files;
        if (lt_txn_stream_write(run->txn, &trow, err))
            return LT_ERR_RUNTIME;
    }
    t->last_write = ++run->rows_written;
    switch (row->op) {
    case 'I': t->delta.inserts++; break;
    case 'U': t->delta.updates++; break;
    case 'D': t->delta.deletes++; break;
    }
    run->rows_since_log++;
    return LT_OK;
}

static bool flush_due(const struct cdc_run *run)
{
    if (!run->have_data)
        return false;
    if (lt_now_us() - run->batch_started_us >= (int64_t)run->cfg->target.cdc_max_batch_interval_s * 1000000)
        return true;
    uint64_t limit = (uint64_t)run->cfg->target.cdc_min_file_size_kb * 1024;
    for (const struct cdc_table *t = run->tables; t; t = t->next)
        if (t->sink && lt_sink_size(t->sink) >= limit)
            return true;
    return false;
}

/* Drops the open files of an unfinished batch (the source re-sends it from the checkpoint). */
static void drop_batch(struct cdc_run *run)
{
    for (struct cdc_table *t = run->tables; t; t = t->next)
        if (t->sink)
            lt_sink_abort(t->sink);
    if (run->txn)
        lt_txn_stream_abort(run->txn);
    clear_batch(run);
}

static int stream_loop(struct cdc_run *run, struct lt_error *err)
{
    bool in_txn = false;
    int64_t now = lt_now_us(), last_log = now;
    unsigned rows_in_a_row = 0;
    for (;;) {
        if (lt_stop_requested()) {
            if (in_txn) {
                lt_log_warn("stopping inside a transaction: its changes will be read again from checkpoint %s",
                            run->checkpoint);
                drop_batch(run);
                return LT_OK;
            }
            return run->have_data ? flush(run, run->last_commit, err) : LT_OK;
        }
        if (run->joins && now - run->last_tick_us >= 200000) {
            run->last_tick_us = now;
            if (lt_joins_tick(run->joins, run->src, err))
                return LT_ERR_RUNTIME;
        }
        /* wait no longer than until the open batch is due, so files close on time */
        int wait_ms = 200;
        if (run->have_data) {
            int64_t due = run->batch_started_us + (int64_t)run->cfg->target.cdc_max_batch_interval_s * 1000000 -
                          now;
            wait_ms = due <= 1000 ? 1 : due / 1000 < 200 ? (int)(due / 1000) : 200;
        }
        struct lt_change_event ev;
        if (run->source->stream_next(run->src, &ev, wait_ms, err))
            return LT_ERR_RUNTIME;
        in_txn = ev.in_transaction;
        switch (ev.kind) {
        case LT_EV_ROW:
        case LT_EV_TRUNCATE:
            if (write_change(run, &ev, err))
                return LT_ERR_RUNTIME;
            break;
        case LT_EV_COMMIT:
            snprintf(run->last_commit, sizeof run->last_commit, "%s", ev.checkpoint);
            run->last_commit_ts_us = ev.row.commit_ts_us;
            if (!run->have_data) /* a transaction with nothing for us still moves the checkpoint */
                break;
            if (flush_due(run) && flush(run, ev.checkpoint, err))
                return LT_ERR_RUNTIME;
            break;
        case LT_EV_IDLE:
            /* nothing newer for the task than this: caught up, or (MySQL, a transaction of other tables) as far
             * as its commit time */
            if (!run->have_data || flush_due(run)) {
                run->idle_commit_ts_us = ev.row.commit_ts_us > 0 ? ev.row.commit_ts_us : 0;
                if (flush(run, ev.checkpoint, err))
                    return LT_ERR_RUNTIME;
                note_source_lag(run);
            }
            break;
        case LT_EV_END:
            lt_log_info("reached the --until position (%s)", ev.checkpoint);
            if (flush(run, ev.checkpoint, err))
                return LT_ERR_RUNTIME;
            return run->joins ? lt_joins_settle(run->joins, run->src, err) : LT_OK;
        case LT_EV_NONE:
            if (!in_txn && flush_due(run) && flush(run, run->last_commit, err))
                return LT_ERR_RUNTIME;
            break;
        }
        /* the clock is read after every event but a run of rows, where once per 64 rows is soon enough */
        rows_in_a_row = ev.kind == LT_EV_ROW ? rows_in_a_row + 1 : 0;
        if ((rows_in_a_row & 63) == 0)
            now = lt_now_us();
        if (now - run->last_lag_us > 5 * 1000000) {
            run->last_lag_us = now;
            note_source_lag(run);
        }
        if (now - last_log > 30 * 1000000) {
            if (run->rows_since_log)
                lt_log_info("%" PRId64 " changes in the last %.0f s; checkpoint %s", run->rows_since_log,
                            (now - last_log) / 1e6, run->checkpoint);
            run->rows_since_log = 0;
            last_log = now;
        }
    }
}

static void free_tables(struct cdc_run *run);

static void free_run(struct cdc_run *run)
{
    clear_batch(run);
    free_tables(run);
    lt_txn_stream_free(run->txn);
    free(run->files);
    free(run->file_paths);
    free(run->events);
    free(run->event_pos);
}

/* Frees the per-table state (the source's relation cache, which points at it, is gone after a reconnect). */
static void free_tables(struct cdc_run *run)
{
    while (run->tables) {
        struct cdc_table *t = run->tables;
        run->tables = t->next;
        lt_sink_free(t->sink);
        lt_schema_free(t->schema);
        lt_schema_free(t->src_schema);
        lt_row_filter_free(t->filter);
        lt_table_map_free(t->map);
        lt_map_scratch_free(&t->scratch);
        free(t->schema_json);
        free(t);
    }
}

#define PERSISTENT_TRIES 5 /* 1 + 2 + 4 + 8 s of backoff between them */
#define UNTIL_TRIES 10

/* Keeps the reason a running task is failing in the state store, for status (cleared by the next flush). */
static void record_stream_error(struct cdc_run *run, const char *msg, int tries)
{
    char value[1100], now[32];
    lt_format_timestamp_us(lt_now_us(), now);
    snprintf(value, sizeof value, "%s|%d|%s", now, tries, msg);
    struct lt_error ignored;
    if (lt_state_set_meta(run->state, "stream_error", value, &ignored) == LT_OK)
        run->stream_error_recorded = true;
}

/* Sleeps up to seconds, waking early when a stop is requested. */
static void backoff_sleep(int seconds)
{
    for (int i = 0; i < seconds * 10 && !lt_stop_requested(); i++) {
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

/* The source starts streaming a table only now (PostgreSQL: it was missing from the publication): its changes
 * since the checkpoint are not in the stream, so it joins again (loaded again, or followed from now on). */
static void on_table_added(void *arg, const char *schema, const char *table)
{
    struct cdc_run *run = arg;
    int64_t id;
    struct lt_table_status t;
    struct lt_error err = {0};
    if (lt_state_table_id(run->state, schema, table, &id, &err) || lt_state_get_table(run->state, id, &t, &err)) {
        lt_log_warn("table %s.%s: %s", schema, table, err.msg);
        return;
    }
    if (!strcmp(t.state, "pending"))
        return; /* new: it joins anyway */
    lt_log_warn("table %s.%s was not in the publication: its changes since checkpoint %s were not streamed; %s",
                schema, table, run->checkpoint,
                run->cfg->migration_type == LT_MIGRATE_FULL_LOAD_AND_CDC ? "it is loaded again"
                                                                           : "it is followed from now on");
    if (lt_state_set_table_state(run->state, id, "pending", "was missing from the publication; joins again", &err))
        lt_log_warn("table %s.%s: %s", schema, table, err.msg);
    else
        on_table_change(run, id, "pending", "");
}

/* A checkpoint's log position means something only on the server it was read from: resuming on another one (a
 * failover, a restored server, another host behind the same name) would read other changes, or none, silently.
 * Resuming by GTID (source.use_gtid) is how another server is followed, so it is not checked then. */
static int check_same_server(struct cdc_run *run, struct lt_error *err)
{
    char was[256], now[256];
    if (!run->source->server_identity || run->cfg->source.use_gtid)
        return LT_OK;
    if (lt_state_get_meta(run->state, "source_identity", was, sizeof was, err))
        return LT_ERR_RUNTIME;
    if (!was[0]) /* recorded by an earlier logtap: record it now */
        return run->source->server_identity(run->src, now, err) ||
                       lt_state_set_meta(run->state, "source_identity", now, err)
                   ? LT_ERR_RUNTIME
                   : LT_OK;
    if (run->source->server_identity(run->src, now, err))
        return LT_ERR_RUNTIME;
    if (strcmp(was, now) != 0)
        return lt_fail(err, LT_ERR_FATAL,
                       "the source is not the server this task's checkpoint %s was read from (now: %s; then: %s): a "
                       "binlog file and position mean nothing on another server. Point the task back at that server, "
                       "or follow the new one by GTID (source.use_gtid, MariaDB), or start over with a new full load "
                       "(`logtap replicate --start-over`)",
                       run->checkpoint, now, was);
    return LT_OK;
}

/* Sets up CDC on a first run: the full load in the slot's snapshot, or just the slot; records the start. */
static int begin_first_run(struct cdc_run *run, const struct lt_replicate_options *opt, struct lt_error *err)
{
    char start[LT_CHECKPOINT_MAX];
    /* this store begins the task (and creates its slot): a first run that does not finish is done again */
    if (lt_state_set_meta(run->state, LT_META_SLOT_CREATED, "1", err))
        return LT_ERR_RUNTIME;
    if (run->cfg->migration_type == LT_MIGRATE_FULL_LOAD_AND_CDC) {
        struct lt_snapshot_info snap;
        if (lt_full_load_from_source(run->cfg, &opt->load, run->source, run->src, run->state,
                                     LT_SNAPSHOT_CDC_START, &snap, err))
            return err->code ? err->code : LT_ERR_RUNTIME;
        snprintf(start, sizeof start, "%s", snap.checkpoint);
    } else {
        if (run->source->cdc_begin(run->src, start, err))
            return err->code ? err->code : LT_ERR_RUNTIME;
        /* migration_type cdc: the tables selected now are followed from the stream's start, without a load */
        struct lt_table_refs refs;
        if (run->source->selected_tables(run->src, &refs, err))
            return err->code ? err->code : LT_ERR_RUNTIME;
        int rc = LT_OK;
        for (int i = 0; !rc && i < refs.n; i++) {
            int64_t id;
            if (!(rc = lt_state_table_id(run->state, refs.t[i].schema, refs.t[i].table, &id, err)) &&
                !(rc = lt_state_set_table_state(run->state, id, "cdc", NULL, err)) && refs.t[i].source_id[0])
                rc = lt_state_set_table_source_id(run->state, id, refs.t[i].source_id, err);
        }
        lt_table_refs_free(&refs);
        if (rc)
            return rc;
    }
    char identity[256] = "";
    if (run->source->server_identity && (run->source->server_identity(run->src, identity, err) ||
                                         lt_state_set_meta(run->state, "source_identity", identity, err)))
        return LT_ERR_RUNTIME;
    struct lt_cdc_batch first = {.checkpoint = start, .checkpoint_time_us = lt_now_us()};
    int rc = lt_state_commit_cdc_batch(run->state, &first, err);
    if (!rc)
        rc = lt_state_set_meta(run->state, "cdc_start", start, err);
    if (rc)
        return rc;
    snprintf(run->checkpoint, sizeof run->checkpoint, "%s", start);
    lt_log_info("change data capture starts at %s", start);
    return LT_OK;
}

/* --until at or before the checkpoint: all of it is durable already, nothing to stream. */
static bool until_durable(const struct cdc_run *run, const char *until, struct lt_error *err)
{
    int cmp;
    if (!until || !strcmp(until, "now") || !run->checkpoint[0] ||
        run->source->checkpoint_compare(until, run->checkpoint, &cmp, err) != LT_OK || cmp > 0)
        return false;
    lt_log_info("--until %s is already durable (checkpoint %s): nothing to stream", until, run->checkpoint);
    return true;
}

int lt_replicate_check_options(const struct lt_task_config *cfg, const struct lt_replicate_options *opt,
                               char until[LT_CHECKPOINT_MAX], struct lt_error *err)
{
    const struct logtap_source_ops *source = lt_source_for(&cfg->source);
    until[0] = '\0';
    if (!opt->until)
        return LT_OK;
    if (cfg->migration_type == LT_MIGRATE_FULL_LOAD)
        return lt_fail(err, LT_ERR_CONFIG, "--until: this task's migration_type is full-load, which has no change "
                       "stream to stop (use cdc or full-load-and-cdc)");
    if (!source)
        return lt_fail(err, LT_ERR_CONFIG, "source engine \"%s\" is not supported by this build", cfg->source.engine);
    return lt_cli_parse_until(source, opt->until, until, err);
}

int lt_run_replicate(const struct lt_task_config *cfg, const struct lt_replicate_options *opt, struct lt_error *err)
{
    const struct logtap_source_ops *source = lt_source_for(&cfg->source);
    char until[LT_CHECKPOINT_MAX];
    int rc = lt_replicate_check_options(cfg, opt, until, err);
    if (rc)
        return rc;
    if (cfg->migration_type == LT_MIGRATE_FULL_LOAD)
        return lt_run_full_load(cfg, &opt->load, err);
    /* the partition zone is set for the process now, before any thread starts */
    if (lt_zone_activate(lt_date_partition_zone(&cfg->target), err))
        return err->code;
    struct cdc_run run;
    memset(&run, 0, sizeof run);
    run.cfg = cfg;
    run.source = source;
    run.stream_error_recorded = true; /* an earlier run's failure, if any, is cleared by this run's first checkpoint */
    run.idle_commit_ts_us = -1;
    run.target = lt_target_for(&cfg->target);
    if (!run.source || !run.source->stream_start)
        return lt_fail(err, LT_ERR_CONFIG, "source engine \"%s\" has no change stream in this build", cfg->source.engine);
    if (!run.target)
        return lt_fail(err, LT_ERR_CONFIG, "target DataFormat is not supported by this build");
    /* The pre-flight: a task that cannot run (or would make the application's writes fail) stops before the
     * publication, the slot or any file. A new task runs it before its state store is created; a task that has one
     * runs it after reading its checkpoint, so that an --until already durable exits at once, connecting nowhere. */
    if (opt->start_over && lt_start_over_state(cfg, err))
        return err->code;
    struct stat sb;
    bool fresh = stat(cfg->state_path, &sb) != 0;
    if (fresh && lt_preflight(cfg, lt_check_scope_of(cfg), err))
        return err->code;
    if (lt_place_open_target(&run.place, cfg, err))
        return err->code;
    if (lt_state_open(cfg->state_path, cfg->task, cfg->source.engine, &run.state, err)) {
        lt_place_close(&run.place);
        return LT_ERR_RUNTIME;
    }
    char retired[32] = "";
    /* an object store: reachable with these credentials, and what a killed run left (spool files, unfinished
     * uploads) cleaned, before the source is touched */
    rc = lt_place_recover_target(&run.place, cfg, run.state, err);
    if (!rc)
        rc = lt_state_get_meta(run.state, "checkpoint", run.checkpoint, sizeof run.checkpoint, err);
    if (!rc)
        rc = lt_state_get_meta(run.state, "retired", retired, sizeof retired, err);
    if (!rc && retired[0])
        rc = lt_fail(err, LT_ERR_RUNTIME,
                     "task \"%s\" was retired by `logtap drop` at %s: its slot is gone; start over with a new state path",
                     cfg->task, retired);
    if (!rc)
        rc = lt_txn_stream_open(&run.txn, &cfg->target, &run.place, run.state, err);
    bool first_run = !rc && !run.checkpoint[0];
    if (!rc && until_durable(&run, until, err)) {
        lt_txn_stream_free(run.txn);
        lt_state_close(run.state);
        lt_place_close(&run.place);
        return LT_OK;
    }
    if (!rc && !fresh)
        rc = lt_preflight(cfg, lt_check_scope_of(cfg), err);
    int backoff = 1, tries = 0, persistent_tries = 0;
    char failed_at[LT_CHECKPOINT_MAX] = "";
    /* Connection losses and other transient failures reconnect with a capped exponential backoff and resume from
     * the checkpoint; persistent ones (no space, permissions, a password refused) end the run after a few tries,
     * as does any failure of an --until run that makes no progress; configuration errors and fatal ones (slot
     * dropped, WAL gone) end it at once. */
    while (!rc) {
        rc = run.source->open(&run.src, cfg, err);
        if (!rc && first_run) {
            rc = lt_start_over_check(cfg, run.source, run.src, run.state, opt->start_over, err);
            if (!rc)
                rc = begin_first_run(&run, opt, err);
            if (rc) { /* a failed full load is not retried here: the next run starts over */
                run.source->close(run.src);
                run.src = NULL;
                break;
            }
            first_run = false;
            if (until_durable(&run, until, err)) {
                run.source->close(run.src);
                run.src = NULL;
                break;
            }
        } else if (!rc) {
            rc = check_same_server(&run, err);
            if (!rc)
                lt_log_info("resuming change data capture from checkpoint %s", run.checkpoint);
        }
        if (!rc) {
            snprintf(run.last_commit, sizeof run.last_commit, "%s", run.checkpoint);
            if (!run.joins)
                rc = lt_joins_open(&run.joins, cfg, run.source, run.state,
                                   cfg->migration_type == LT_MIGRATE_FULL_LOAD_AND_CDC, on_table_change, &run, err);
        }
        if (!rc) {
            struct lt_stream_options so = {.checkpoint = run.checkpoint, .until = until[0] ? until : NULL,
                                           .on_table_added = on_table_added, .ctx = &run};
            rc = run.source->stream_start(run.src, &so, err);
            if (!rc)
                rc = stream_loop(&run, err);
        }
        if (rc) {
            drop_batch(&run); /* what is not durable is read again from the checkpoint */
            free_tables(&run);
        }
        if (run.src)
            run.source->close(run.src);
        run.src = NULL;
        if (!rc) {
            lt_log_info("stopped at checkpoint %s", run.checkpoint);
            break;
        }
        int code = err->code ? err->code : rc;
        lt_task_metrics_error_code(code);
        if ((code != LT_ERR_RUNTIME && code != LT_ERR_PERSISTENT) || first_run || lt_stop_requested())
            break; /* a first run that never connected fails at once: the config is more likely wrong */
        /* tries are counted since the checkpoint last moved: progress starts the backoff and the count over */
        if (strcmp(run.checkpoint, failed_at) != 0) {
            snprintf(failed_at, sizeof failed_at, "%s", run.checkpoint);
            backoff = 1;
            tries = persistent_tries = 0;
        }
        tries++;
        persistent_tries += code == LT_ERR_PERSISTENT;
        record_stream_error(&run, err->msg, tries);
        if (persistent_tries >= PERSISTENT_TRIES) {
            lt_log_error("%s; giving up after %d tries (it needs an operator: space, permissions, a password or a "
                         "setting); checkpoint %s",
                         err->msg, tries, run.checkpoint);
            break;
        }
        if (until[0] && tries >= UNTIL_TRIES) {
            lt_log_error("%s; giving up --until after %d tries without progress; checkpoint %s", err->msg, tries,
                         run.checkpoint);
            break;
        }
        lt_log_warn("%s; reconnecting in %d s (checkpoint %s)", err->msg, backoff, run.checkpoint);
        backoff_sleep(backoff);
        backoff = backoff * 2 > 60 ? 60 : backoff * 2;
        if (lt_stop_requested()) {
            rc = LT_OK;
            break;
        }
        lt_error_clear(err);
        rc = LT_OK;
    }
    lt_joins_close(run.joins);
    free_run(&run);
    lt_state_close(run.state);
    lt_place_close(&run.place);
    return rc;
}
