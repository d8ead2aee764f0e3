/* The full-load runner (see full_load.h): snapshot, table list, worker threads, per-table files and manifest. */
#include "agent/full_load.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agent/check.h"
#include "agent/file_sink.h"
#include "agent/log.h"
#include "agent/path_escape.h"
#include "agent/place.h"
#include "agent/progress.h"
#include "agent/schema_json.h"
#include "agent/signals.h"
#include "agent/source.h"
#include "agent/target.h"
#include "agent/table_transform.h"
#include "agent/target_root.h"
#include "agent/task_metrics.h"
#include "state/state_store.h"

int lt_load_parts_wanted(const struct lt_task_config *cfg, int64_t estimated_bytes)
{
    int64_t part_min = (int64_t)cfg->full_load.part_min_mb * 1024 * 1024;
    int workers = cfg->target.max_full_load_subtasks;
    if (workers <= 1 || part_min <= 0 || estimated_bytes < 2 * part_min)
        return 1;
    int64_t parts = estimated_bytes / part_min;
    return parts < workers ? (int)parts : workers;
}

/* One table of the load; its parts may be read by several workers at once. */
struct table_load {
    const struct lt_source_table *st;
    const struct lt_table_map *map;    /* its transformation rules (the files' schema) */
    struct lt_progress_table *progress;
    pthread_mutex_t lock;          /* guards started and error */
    bool begun;                    /* the state store and folder are ready for this load */
    bool started;                  /* a part has started */
    int64_t table_id;
    char *schema_json;
    _Atomic int parts_left;
    _Atomic bool failed;
    _Atomic int64_t rows;
    _Atomic uint32_t next_file;    /* LOAD file numbers, shared by the parts */
    _Atomic uint32_t *part_files;  /* a table-settings rule's parts in folders: each folder's own numbers */
    struct lt_error error;         /* the first part's error (under lock) */
};

/* A unit of work: one part of one table. */
struct load_unit {
    int table;
    int part;
    int64_t bytes; /* estimated */
    bool first;    /* the source wants it read before the others */
    int order;     /* DMS load-order: higher first */
};

struct lt_load {
    const struct lt_task_config *cfg;
    const struct lt_full_load_options *opt;
    enum lt_snapshot_kind kind;
    const struct logtap_source_ops *source;
    const struct logtap_target_ops *target;
    struct lt_source *src;
    struct lt_state *state;
    struct lt_place place;         /* where the files go */
    bool place_open;
    struct lt_table_list tables;
    struct lt_snapshot_info snap;
    struct lt_progress_table *progress;
    struct table_load *loads;
    struct load_unit *units;
    int nunits;
    struct lt_table_map **maps;    /* per table */
    _Atomic int next_unit;
    _Atomic int failed_tables;
    pthread_mutex_t first_error_lock;
    struct lt_error first_error;
    bool snapshot_open;
};

/* Per-part context for the row callback and the file callback. */
struct part_ctx {
    struct lt_load *job;
    struct table_load *tl;
    struct lt_file_sink *sink;
    struct lt_map_scratch scratch;
    int64_t rows, rows_reported;
};

static int on_row(void *arg, const struct lt_row *row, struct lt_error *err)
{
    struct part_ctx *p = arg;
    if (lt_stop_requested() || (p->job->opt->cancel && atomic_load(p->job->opt->cancel)))
        return lt_fail(err, LT_ERR_RUNTIME, "interrupted");
    struct lt_row mapped;
    if (!(row = lt_table_map_row(p->tl->map, row, &p->scratch, &mapped, err)))
        return LT_ERR_RUNTIME;
    if (lt_sink_write_load_row(p->sink, row, err))
        return LT_ERR_RUNTIME;
    if ((++p->rows & 1023) == 0) {
        atomic_fetch_add(&p->tl->progress->rows, p->rows - p->rows_reported);
        p->rows_reported = p->rows;
        if (atomic_load(&p->tl->failed))
            return lt_fail(err, LT_ERR_RUNTIME, "stopped: another part of the table failed");
    }
    return LT_OK;
}

static int on_file(void *arg, const struct lt_sink_file_info *info, struct lt_error *err)
{
    struct part_ctx *p = arg;
    struct lt_manifest_file f = {
        .table_id = p->tl->table_id, .kind = LT_FILE_LOAD, .path = info->relpath, .rows = info->rows,
        .bytes = info->bytes, .first_pos = info->first_pos, .last_pos = info->last_pos,
        .schema_json = p->tl->schema_json, .has_crc32 = true, .crc32 = info->crc32,
    };
    if (lt_state_add_file(p->job->state, &f, err))
        return LT_ERR_RUNTIME;
    lt_task_metrics_file("load", info->bytes);
    return LT_OK;
}

/* Records the start of a table's load from the snapshot (state 'loading' at the snapshot's position, its earlier
 * load files gone), before any part is read: a table joining a running stream is followed from that position on
 * as soon as the snapshot is taken. */
static int begin_table(struct lt_load *job, struct table_load *tl, struct lt_error *err)
{
    const struct lt_table_schema *schema = tl->st->schema, *files = lt_table_map_schema(tl->map);
    char table_dir[LT_TABLE_DIR_MAX];
    lt_target_table_dir(&job->cfg->target, files->schema_name, files->table_name, table_dir, sizeof table_dir);
    struct lt_file_columns extra = {.op = job->cfg->target.include_op_for_full_load,
                                    .ts_column = job->cfg->target.timestamp_column, .unchanged = false,
                                    .no_pos = !job->cfg->target.logtap_columns};
    if (!(tl->schema_json = lt_schema_to_json(files, &extra)))
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    if (lt_state_table_id(job->state, schema->schema_name, schema->table_name, &tl->table_id, err) ||
        lt_state_begin_table_load(job->state, tl->table_id, job->snap.pos, tl->schema_json, err) ||
        (tl->st->source_id[0] && lt_state_set_table_source_id(job->state, tl->table_id, tl->st->source_id, err)) ||
        lt_state_set_table_capture(job->state, tl->table_id, tl->st->inserts_only ? "inserts" : "all", err) ||
        lt_sink_remove_load_files(&job->place, table_dir, err))
        return LT_ERR_RUNTIME;
    tl->begun = true;
    return LT_OK;
}

/* Marks the table running when its first part starts. */
static int start_table(struct table_load *tl, struct lt_error *err)
{
    pthread_mutex_lock(&tl->lock);
    int rc = LT_OK;
    if (atomic_load(&tl->failed)) {
        rc = lt_fail(err, LT_ERR_RUNTIME, "stopped: another part of the table failed");
    } else if (!tl->started) {
        tl->started = true;
        atomic_store(&tl->progress->started_us, lt_now_us());
        atomic_store(&tl->progress->state, LT_PROGRESS_RUNNING);
    }
    pthread_mutex_unlock(&tl->lock);
    return rc;
}

static int load_one_part(struct lt_load *job, int worker, struct table_load *tl, int part, struct lt_error *err)
{
    const struct lt_table_schema *schema = lt_table_map_schema(tl->map);
    char table_dir[LT_TABLE_DIR_MAX + LT_PATH_COMPONENT_MAX + 1], prefix[32] = "";
    lt_target_table_dir(&job->cfg->target, schema->schema_name, schema->table_name, table_dir, sizeof table_dir);
    _Atomic uint32_t *numbers = &tl->next_file;
    /* DMS's layout of a parallel load's segments: a folder each, or SEGMENT<n>_ before the file names */
    if (tl->st->part_layout == LT_PARTS_FOLDERS && tl->st->nparts > 1) {
        char part_dir[LT_PATH_COMPONENT_MAX];
        lt_path_escape_component(tl->st->part_names[part], part_dir);
        size_t n = strlen(table_dir);
        snprintf(table_dir + n, sizeof table_dir - n, "/%s", part_dir);
        numbers = &tl->part_files[part];
    } else if (tl->st->part_layout == LT_PARTS_PREFIX && tl->st->nparts > 1) {
        snprintf(prefix, sizeof prefix, "SEGMENT%d_", part + 1);
    }
    if (start_table(tl, err))
        return LT_ERR_RUNTIME;
    struct part_ctx p = {.job = job, .tl = tl};
    struct lt_sink_options so = {
        .target = job->target, .cfg = &job->cfg->target, .root = job->place.root, .place = &job->place,
        .table_dir = table_dir,
        .layout = {.schema = schema, .with_op = job->cfg->target.include_op_for_full_load,
                   .ts_column = job->cfg->target.timestamp_column, .with_unchanged = false,
                   .no_pos = !job->cfg->target.logtap_columns},
        .max_bytes = (uint64_t)job->cfg->target.max_file_size_kb * 1024, .load_number = numbers,
        .load_prefix = prefix[0] ? prefix : NULL,
        .on_file = on_file, .ctx = &p,
    };
    int rc = lt_sink_open(&p.sink, &so, err);
    if (!rc) {
        rc = job->source->load_table(job->src, worker, tl->st, part, &job->snap, on_row, &p, err);
        if (!rc)
            rc = lt_sink_close_file(p.sink, err);
        lt_sink_free(p.sink);
    }
    lt_map_scratch_free(&p.scratch);
    atomic_fetch_add(&tl->progress->rows, p.rows - p.rows_reported);
    atomic_fetch_add(&tl->rows, p.rows);
    return rc;
}

/* Records the end of a table's last part: loaded, or failed with the first part's error. */
/* A stop (SIGINT/SIGTERM) or a cancel: tables not finished are left pending, not failed. */
static bool load_cancelled(const struct lt_load *job)
{
    return lt_stop_requested() || (job->opt->cancel && atomic_load(job->opt->cancel));
}

static void finish_table(struct lt_load *job, struct table_load *tl)
{
    const struct lt_table_schema *s = tl->st->schema;
    struct lt_progress_table *prog = tl->progress;
    atomic_store(&prog->finished_us, lt_now_us());
    struct lt_error err = {0};
    if (!atomic_load(&tl->failed) &&
        lt_state_finish_table_load(job->state, tl->table_id, atomic_load(&tl->rows), &err) != LT_OK) {
        atomic_store(&tl->failed, true);
        tl->error = err;
    }
    if (atomic_load(&tl->failed)) {
        atomic_store(&prog->state, LT_PROGRESS_FAILED);
        struct lt_error ignored;
        atomic_fetch_add(&job->failed_tables, 1);
        if (load_cancelled(job)) {
            if (tl->begun)
                lt_state_set_table_state(job->state, tl->table_id, "pending", "its load was interrupted", &ignored);
            lt_log_table(LT_LOG_INFO, s->schema_name, s->table_name, "table %s.%s: load interrupted; it stays pending",
                         s->schema_name, s->table_name);
            return;
        }
        if (tl->begun)
            lt_state_fail_table_load(job->state, tl->table_id, tl->error.msg, &ignored);
        lt_task_metrics_error(LT_MERR_TABLE_LOAD);
        lt_log_table(LT_LOG_ERROR, s->schema_name, s->table_name, "table %s.%s failed: %s", s->schema_name,
                     s->table_name, tl->error.msg);
        pthread_mutex_lock(&job->first_error_lock);
        if (!job->first_error.code)
            lt_fail(&job->first_error, tl->error.code ? tl->error.code : LT_ERR_RUNTIME, "%s.%s: %s",
                    s->schema_name, s->table_name, tl->error.msg);
        pthread_mutex_unlock(&job->first_error_lock);
        return;
    }
    atomic_store(&prog->state, LT_PROGRESS_DONE);
    lt_task_metrics_poke();
    double secs = (atomic_load(&prog->finished_us) - atomic_load(&prog->started_us)) / 1e6;
    lt_log_table(LT_LOG_INFO, s->schema_name, s->table_name, "table %s.%s loaded: %lld rows in %.1f s%s",
                 s->schema_name, s->table_name,
                (long long)atomic_load(&tl->rows), secs, tl->st->nparts > 1 ? " (read in parts)" : "");
}

struct worker_arg {
    struct lt_load *job;
    int worker;
};

static void *worker_main(void *arg)
{
    struct worker_arg *wa = arg;
    struct lt_load *job = wa->job;
    for (;;) {
        int u = atomic_fetch_add(&job->next_unit, 1);
        if (u >= job->nunits || lt_stop_requested() || (job->opt->cancel && atomic_load(job->opt->cancel)))
            break;
        struct table_load *tl = &job->loads[job->units[u].table];
        struct lt_error err = {0};
        if (load_one_part(job, wa->worker, tl, job->units[u].part, &err)) {
            pthread_mutex_lock(&tl->lock);
            if (!atomic_load(&tl->failed)) {
                tl->error = err;
                atomic_store(&tl->failed, true);
            }
            pthread_mutex_unlock(&tl->lock);
        }
        if (atomic_fetch_sub(&tl->parts_left, 1) == 1)
            finish_table(job, tl);
    }
    return NULL;
}

/* Tables the source wants read first (MySQL: non-transactional tables, read while the snapshot's lock blocks
 * writers), then by DMS load-order (higher first), then the biggest units first, so the last ones to finish are
 * small; ties keep table order. */
static int compare_units(const void *pa, const void *pb)
{
    const struct load_unit *a = pa, *b = pb;
    if (a->first != b->first)
        return a->first ? -1 : 1;
    if (a->order != b->order)
        return a->order > b->order ? -1 : 1;
    if (a->bytes != b->bytes)
        return a->bytes > b->bytes ? -1 : 1;
    if (a->table != b->table)
        return a->table < b->table ? -1 : 1;
    return a->part < b->part ? -1 : a->part > b->part;
}

/* The work list: every part of every table, and each table's bookkeeping. */
static int plan_units(struct lt_load *job, struct lt_error *err)
{
    int n = job->tables.n, nunits = 0;
    for (int i = 0; i < n; i++)
        nunits += job->tables.tables[i].nparts > 1 ? job->tables.tables[i].nparts : 1;
    job->loads = calloc(n > 0 ? (size_t)n : 1, sizeof *job->loads);
    job->units = calloc(nunits > 0 ? (size_t)nunits : 1, sizeof *job->units);
    if (!job->loads || !job->units)
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    for (int i = 0; i < n; i++) {
        struct table_load *tl = &job->loads[i];
        const struct lt_source_table *t = &job->tables.tables[i];
        int parts = t->nparts > 1 ? t->nparts : 1;
        tl->st = t;
        tl->map = job->maps[i];
        tl->progress = &job->progress[i];
        pthread_mutex_init(&tl->lock, NULL);
        atomic_init(&tl->parts_left, parts);
        atomic_init(&tl->next_file, 1);
        if (t->part_layout == LT_PARTS_FOLDERS && parts > 1) {
            if (!(tl->part_files = calloc((size_t)parts, sizeof *tl->part_files)))
                return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
            for (int p = 0; p < parts; p++)
                atomic_init(&tl->part_files[p], 1);
        }
        for (int p = 0; p < parts; p++)
            job->units[job->nunits++] = (struct load_unit){.table = i, .part = p, .bytes = t->estimated_bytes / parts,
                                                                .first = t->read_first, .order = t->load_order};
    }
    qsort(job->units, (size_t)job->nunits, sizeof *job->units, compare_units);
    return LT_OK;
}

static void free_units(struct lt_load *job)
{
    for (int i = 0; job->loads && i < job->tables.n; i++) {
        pthread_mutex_destroy(&job->loads[i].lock);
        free(job->loads[i].schema_json);
        free(job->loads[i].part_files);
    }
    free(job->loads);
    free(job->units);
    for (int i = 0; job->maps && i < job->tables.n; i++)
        lt_table_map_free(job->maps[i]);
    free(job->maps);
}

void lt_load_free(struct lt_load *job)
{
    if (!job)
        return;
    free_units(job);
    free(job->progress);
    lt_table_list_free(&job->tables);
    if (job->snapshot_open)
        job->source->snapshot_end(job->src);
    if (job->place_open)
        lt_place_close(&job->place);
    free(job);
}

/* The transformation rules of every table, and no two tables whose files would go to one folder. */
static int build_maps(struct lt_load *job, struct lt_error *err)
{
    int n = job->tables.n;
    if (!(job->maps = calloc(n > 0 ? (size_t)n : 1, sizeof *job->maps)))
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    for (int i = 0; i < n; i++) {
        if (lt_table_map_build(job->cfg, job->tables.tables[i].schema, &job->maps[i], err))
            return err->code;
        const struct lt_table_schema *a = lt_table_map_schema(job->maps[i]);
        for (int k = 0; k < i; k++) {
            const struct lt_table_schema *b = lt_table_map_schema(job->maps[k]);
            if (!strcmp(a->schema_name, b->schema_name) && !strcmp(a->table_name, b->table_name))
                return lt_fail(err, LT_ERR_CONFIG, "config: table mapping: %s.%s and %s.%s would both be written "
                               "as %s.%s (DMS does not replicate two tables to one either)",
                               job->tables.tables[k].schema->schema_name, job->tables.tables[k].schema->table_name,
                               job->tables.tables[i].schema->schema_name, job->tables.tables[i].schema->table_name,
                               a->schema_name, a->table_name);
        }
    }
    return LT_OK;
}

/* Whether a snapshot kind is the task's own load (its position and finish time go into the task's facts), not
 * a table joining a running stream. */
static bool is_task_load(enum lt_snapshot_kind kind)
{
    return kind != LT_SNAPSHOT_JOIN;
}

int lt_load_prepare(struct lt_load **out, const struct lt_task_config *cfg, const struct lt_full_load_options *opt,
                    const struct logtap_source_ops *source, struct lt_source *src, struct lt_state *state,
                    enum lt_snapshot_kind kind, struct lt_error *err)
{
    *out = NULL;
    struct lt_load *job = calloc(1, sizeof *job);
    if (!job)
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    job->cfg = cfg;
    job->opt = opt;
    job->kind = kind;
    job->source = source;
    job->src = src;
    job->state = state;
    job->target = lt_target_for(&cfg->target);
    int rc;
    if (!job->target) {
        rc = lt_fail(err, LT_ERR_CONFIG, "target DataFormat is not supported by this build");
        goto fail;
    }
    if ((rc = lt_place_open_target(&job->place, cfg, err)))
        goto fail;
    job->place_open = true;
    if ((rc = source->snapshot_begin(src, kind, &job->snap, err)))
        goto fail;
    job->snapshot_open = true;
    if ((rc = source->list_tables(src, &job->tables, err)))
        goto fail;
    if (job->tables.n == 0 && is_task_load(kind)) {
        rc = lt_fail(err, LT_ERR_CONFIG, "no table matches the selection rules of table_mappings");
        goto fail;
    }
    if (is_task_load(kind)) {
        char snap_time[32];
        snprintf(snap_time, sizeof snap_time, "%lld", (long long)job->snap.time_us);
        if ((rc = lt_state_set_meta(state, "full_load_snapshot_pos", job->snap.pos, err)) ||
            (rc = lt_state_set_meta(state, "full_load_snapshot_time_us", snap_time, err)) ||
            (rc = lt_state_set_meta(state, "full_load_snapshot_checkpoint", job->snap.checkpoint, err)) ||
            (rc = lt_state_set_meta(state, "full_load_finished", "", err)))
            goto fail;
    }
    job->progress = calloc(job->tables.n > 0 ? (size_t)job->tables.n : 1, sizeof *job->progress);
    if (!job->progress) {
        rc = lt_fail(err, LT_ERR_RUNTIME, "out of memory");
        goto fail;
    }
    for (int i = 0; i < job->tables.n; i++) {
        const struct lt_source_table *t = &job->tables.tables[i];
        snprintf(job->progress[i].name, sizeof job->progress[i].name, "%s.%s", t->schema->schema_name,
                 t->schema->table_name);
        job->progress[i].schema = t->schema->schema_name;
        job->progress[i].table = t->schema->table_name;
        job->progress[i].estimated_rows = t->estimated_rows;
    }
    if ((rc = build_maps(job, err)))
        goto fail;
    for (int i = 0; i < job->tables.n; i++) {
        /* the names of the columns logtap adds, in the load files and in the CDC files that follow */
        struct lt_file_columns extra = {.op = true, .ts_column = cfg->target.timestamp_column,
                                        .unchanged = cfg->target.logtap_columns,
                                        .no_pos = !cfg->target.logtap_columns};
        char warning[256];
        if ((rc = lt_file_columns_check(lt_table_map_schema(job->maps[i]), &extra, warning, err)))
            goto fail;
        if (warning[0])
            lt_log_warn("%s", warning);
    }
    if ((rc = plan_units(job, err)))
        goto fail;
    for (int i = 0; i < job->tables.n; i++)
        if ((rc = begin_table(job, &job->loads[i], err)))
            goto fail;
    *out = job;
    return LT_OK;
fail:
    lt_load_free(job);
    return rc ? rc : LT_ERR_RUNTIME;
}

const struct lt_snapshot_info *lt_load_snapshot(const struct lt_load *job)
{
    return &job->snap;
}

int lt_load_table_count(const struct lt_load *job)
{
    return job->tables.n;
}

const struct lt_table_schema *lt_load_table(const struct lt_load *job, int i)
{
    return job->tables.tables[i].schema;
}

int lt_load_run(struct lt_load *job, struct lt_error *err)
{
    int rc = LT_OK;
    pthread_mutex_init(&job->first_error_lock, NULL);
    struct lt_progress *prog =
        lt_progress_start(job->progress, job->tables.n, job->opt->progress_tty, job->opt->log_interval_s);
    lt_task_metrics_load_begin(job->progress, job->tables.n);
    int nworkers = job->cfg->target.max_full_load_subtasks;
    if (nworkers > job->nunits)
        nworkers = job->nunits;
    if (nworkers > 64)
        nworkers = 64;
    const char *what = is_task_load(job->kind) ? "full load" : "load of joining tables:";
    if (job->nunits > job->tables.n)
        lt_log_info("%s %d tables (%d parts: big tables are read in parts) from snapshot at %s, %d in parallel",
                    what, job->tables.n, job->nunits, job->snap.pos, nworkers);
    else
        lt_log_info("%s %d tables from snapshot at %s, %d in parallel", what, job->tables.n, job->snap.pos,
                    nworkers);
    pthread_t threads[64];
    struct worker_arg args[64];
    int started = 0;
    for (int i = 0; i < nworkers && i < 64; i++) {
        args[i] = (struct worker_arg){.job = job, .worker = i};
        if (pthread_create(&threads[i], NULL, worker_main, &args[i]) != 0)
            break;
        started++;
    }
    if (started == 0 && job->nunits > 0)
        worker_main(&(struct worker_arg){.job = job, .worker = 0});
    for (int i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    lt_progress_stop(prog);
    lt_task_metrics_load_end(job->progress);
    pthread_mutex_destroy(&job->first_error_lock);
    /* parts never started (a stop): their tables are not loaded */
    for (int i = 0; i < job->tables.n; i++) {
        struct table_load *tl = &job->loads[i];
        if (atomic_load(&tl->parts_left) > 0) {
            struct lt_error ignored;
            lt_state_set_table_state(job->state, tl->table_id, "pending", "its load was interrupted", &ignored);
        }
    }

    int failed = atomic_load(&job->failed_tables);
    bool cancelled = load_cancelled(job);
    if (cancelled) {
        rc = lt_fail(err, LT_ERR_RUNTIME, "interrupted; the tables not finished will be reloaded by the next run");
    } else if (failed) {
        if (failed == 1)
            rc = lt_fail(err, job->first_error.code ? job->first_error.code : LT_ERR_RUNTIME, "%s",
                         job->first_error.msg);
        else
            rc = lt_fail(err, LT_ERR_RUNTIME, "%d tables failed; first: %s", failed, job->first_error.msg);
    } else {
        int64_t total = 0;
        for (int i = 0; i < job->tables.n; i++)
            total += atomic_load(&job->progress[i].rows);
        if (is_task_load(job->kind)) {
            char now[32];
            lt_format_timestamp_us(lt_now_us(), now);
            if ((rc = lt_state_set_meta(job->state, "full_load_finished", now, err)) == LT_OK)
                lt_log_info("full load finished: %d tables, %lld rows", job->tables.n, (long long)total);
        } else {
            lt_log_info("load of joining tables finished: %d tables, %lld rows, from snapshot at %s",
                        job->tables.n, (long long)total, job->snap.pos);
        }
    }
    return rc;
}

int lt_full_load_from_source(const struct lt_task_config *cfg, const struct lt_full_load_options *opt,
                             const struct logtap_source_ops *source, struct lt_source *src, struct lt_state *state,
                             enum lt_snapshot_kind kind, struct lt_snapshot_info *snap_out, struct lt_error *err)
{
    struct lt_load *job;
    int rc = lt_load_prepare(&job, cfg, opt, source, src, state, kind, err);
    if (rc)
        return rc;
    rc = lt_load_run(job, err);
    if (!rc && snap_out)
        *snap_out = job->snap;
    lt_load_free(job);
    return rc;
}

int lt_load_named_tables(const struct lt_task_config *cfg, const struct lt_full_load_options *opt,
                         const struct logtap_source_ops *source, struct lt_state *state,
                         const struct lt_selection_rule *names, int nnames, enum lt_snapshot_kind kind,
                         struct lt_error *err)
{
    struct lt_task_config only = *cfg;
    only.rules = (struct lt_selection_rule *)names;
    only.nrules = nnames;
    struct lt_source *src;
    int rc = source->open(&src, &only, err);
    if (rc)
        return rc;
    struct lt_load *job;
    if (!(rc = lt_load_prepare(&job, &only, opt, source, src, state, kind, err))) {
        if (lt_load_table_count(job) == 0)
            rc = lt_fail(err, LT_ERR_CONFIG, "%s.%s is not a table of the source (or not one logtap can read)",
                         names[0].schema_pattern, names[0].table_pattern);
        else
            rc = lt_load_run(job, err);
        lt_load_free(job);
    }
    source->close(src);
    return rc;
}

int lt_run_full_load(const struct lt_task_config *cfg, const struct lt_full_load_options *opt, struct lt_error *err)
{
    const struct logtap_source_ops *source = lt_source_for(&cfg->source);
    if (!source)
        return lt_fail(err, LT_ERR_CONFIG, "source engine \"%s\" is not supported by this build", cfg->source.engine);
    if (!lt_target_for(&cfg->target))
        return lt_fail(err, LT_ERR_CONFIG, "target DataFormat is not supported by this build");
    /* A task whose change stream has started: the new load is taken at a position of that stream (as tables
     * joining it are), so replicate goes on exactly, writing each table's changes after its new load. Such a load
     * puts its tables in the publication and takes a temporary slot, so the pre-flight checks what the change
     * stream needs too; it reads the checkpoint without creating the state store. */
    char checkpoint[LT_CHECKPOINT_MAX] = "";
    struct stat sb;
    if (cfg->migration_type != LT_MIGRATE_FULL_LOAD && stat(cfg->state_path, &sb) == 0) {
        struct lt_state *existing = NULL;
        int mrc = lt_state_open_existing(cfg->state_path, &existing, err);
        if (!mrc)
            mrc = lt_state_get_meta(existing, "checkpoint", checkpoint, sizeof checkpoint, err);
        lt_state_close(existing);
        if (mrc)
            return LT_ERR_RUNTIME;
    }
    bool joins_stream = checkpoint[0] != '\0';
    /* before anything is written or created: a task that cannot run stops here, leaving everything as it was */
    int rc = lt_preflight(cfg, (struct lt_check_scope){.full_load = true, .cdc = joins_stream}, err);
    if (rc)
        return rc;
    struct lt_place place;
    if (lt_place_open_target(&place, cfg, err))
        return err->code;
    struct lt_state *state;
    if (lt_state_open(cfg->state_path, cfg->task, cfg->source.engine, &state, err)) {
        lt_place_close(&place);
        return LT_ERR_RUNTIME;
    }
    /* an object store: reachable, and what a killed run left cleaned, before the source is touched */
    rc = lt_place_recover_target(&place, cfg, state, err);
    lt_place_close(&place);
    if (rc) {
        lt_state_close(state);
        return rc;
    }
    enum lt_snapshot_kind kind = joins_stream ? LT_SNAPSHOT_JOIN : LT_SNAPSHOT_PLAIN;
    if (joins_stream)
        lt_log_info("task \"%s\" has a change stream (checkpoint %s): the new load is taken at a position of that "
                    "stream; `logtap replicate` then writes each table's changes after its new load",
                    cfg->task, checkpoint);
    else if (cfg->migration_type == LT_MIGRATE_FULL_LOAD_AND_CDC)
        lt_log_info("task \"%s\" is full-load-and-cdc and has not started its change stream: this load is a "
                    "one-off; `logtap replicate` loads every table again from its replication slot's snapshot",
                    cfg->task);
    struct lt_source *src;
    rc = source->open(&src, cfg, err);
    if (!rc) {
        rc = lt_full_load_from_source(cfg, opt, source, src, state, kind, NULL, err);
        source->close(src);
    }
    lt_state_close(state);
    return rc;
}
