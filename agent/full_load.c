/* The full-load runner (see full_load.h): snapshot, table list, worker threads, per-table files and manifest. */
#include "agent/full_load.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/file_sink.h"
#include "agent/log.h"
#include "agent/path_escape.h"
#include "agent/progress.h"
#include "agent/schema_json.h"
#include "agent/signals.h"
#include "agent/source.h"
#include "agent/target.h"
#include "state/state_store.h"

struct load_job {
    const struct lt_task_config *cfg;
    const struct logtap_source_ops *source;
    const struct logtap_target_ops *target;
    struct lt_source *src;
    struct lt_state *state;
    struct lt_table_list tables;
    struct lt_snapshot_info snap;
    struct lt_progress_table *progress;
    _Atomic int next_table;
    _Atomic int failed_tables;
    pthread_mutex_t first_error_lock;
    struct lt_error first_error;
};

/* Per-table context for the row callback and the file callback. */
struct table_ctx {
    struct load_job *job;
    int64_t table_id;
    struct lt_file_sink *sink;
    struct lt_progress_table *progress;
    const char *schema_json;
    int64_t rows;
};

static int on_row(void *arg, const struct lt_row *row, struct lt_error *err)
{
    struct table_ctx *t = arg;
    if (lt_stop_requested())
        return lt_fail(err, LT_ERR_RUNTIME, "interrupted");
    if (lt_sink_write_load_row(t->sink, row, err))
        return LT_ERR_RUNTIME;
    t->rows++;
    if ((t->rows & 1023) == 0)
        atomic_store(&t->progress->rows, t->rows);
    return LT_OK;
}

static int on_file(void *arg, const struct lt_sink_file_info *info, struct lt_error *err)
{
    struct table_ctx *t = arg;
    struct lt_manifest_file f = {
        .table_id = t->table_id, .kind = LT_FILE_LOAD, .path = info->relpath, .rows = info->rows,
        .bytes = info->bytes, .first_pos = info->first_pos, .last_pos = info->last_pos,
        .schema_json = t->schema_json,
    };
    return lt_state_add_file(t->job->state, &f, err);
}

static int load_one_table(struct load_job *job, int worker, int index, struct lt_error *err)
{
    const struct lt_source_table *st = &job->tables.tables[index];
    const struct lt_table_schema *schema = st->schema;
    struct lt_progress_table *prog = &job->progress[index];
    char table_dir[2 * LT_PATH_COMPONENT_MAX + 2];
    lt_path_table_dir(schema->schema_name, schema->table_name, table_dir, sizeof table_dir);

    struct table_ctx t = {.job = job, .progress = prog};
    if (lt_state_table_id(job->state, schema->schema_name, schema->table_name, &t.table_id, err) ||
        lt_state_begin_table_load(job->state, t.table_id, err) ||
        lt_sink_remove_load_files(job->cfg->target.path, table_dir, err))
        return LT_ERR_RUNTIME;
    struct lt_file_columns extra = {.op = job->cfg->target.include_op_for_full_load,
                                    .ts_column = job->cfg->target.timestamp_column, .unchanged = false};
    char *schema_json = lt_schema_to_json(schema, &extra);
    if (!schema_json)
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    t.schema_json = schema_json;
    struct lt_sink_options so = {
        .target = job->target, .cfg = &job->cfg->target, .root = job->cfg->target.path, .table_dir = table_dir,
        .layout = {.schema = schema, .with_op = job->cfg->target.include_op_for_full_load,
                   .ts_column = job->cfg->target.timestamp_column, .with_unchanged = false},
        .max_bytes = (uint64_t)job->cfg->target.max_file_size_kb * 1024, .on_file = on_file, .ctx = &t,
    };
    int rc = lt_sink_open(&t.sink, &so, err);
    if (!rc) {
        atomic_store(&prog->started_us, lt_now_us());
        atomic_store(&prog->state, LT_PROGRESS_RUNNING);
        rc = job->source->load_table(job->src, worker, st, &job->snap, on_row, &t, err);
        if (!rc)
            rc = lt_sink_close_file(t.sink, err);
        lt_sink_free(t.sink);
    }
    atomic_store(&prog->rows, t.rows);
    atomic_store(&prog->finished_us, lt_now_us());
    free(schema_json);
    if (rc) {
        atomic_store(&prog->state, LT_PROGRESS_FAILED);
        struct lt_error ignored;
        lt_state_fail_table_load(job->state, t.table_id, err->msg, &ignored);
        return rc;
    }
    atomic_store(&prog->state, LT_PROGRESS_DONE);
    return lt_state_finish_table_load(job->state, t.table_id, t.rows, err);
}

struct worker_arg {
    struct load_job *job;
    int worker;
};

static void *worker_main(void *arg)
{
    struct worker_arg *wa = arg;
    struct load_job *job = wa->job;
    for (;;) {
        int i = atomic_fetch_add(&job->next_table, 1);
        if (i >= job->tables.n || lt_stop_requested())
            break;
        struct lt_error err = {0};
        const struct lt_table_schema *s = job->tables.tables[i].schema;
        if (load_one_table(job, wa->worker, i, &err)) {
            atomic_fetch_add(&job->failed_tables, 1);
            lt_log_error("table %s.%s failed: %s", s->schema_name, s->table_name, err.msg);
            pthread_mutex_lock(&job->first_error_lock);
            if (!job->first_error.code)
                lt_fail(&job->first_error, err.code ? err.code : LT_ERR_RUNTIME, "%s.%s: %s", s->schema_name,
                        s->table_name, err.msg);
            pthread_mutex_unlock(&job->first_error_lock);
        } else {
            const struct lt_progress_table *p = &job->progress[i];
            double secs = (atomic_load(&p->finished_us) - atomic_load(&p->started_us)) / 1e6;
            lt_log_info("table %s.%s loaded: %lld rows in %.1f s", s->schema_name, s->table_name,
                        (long long)atomic_load(&p->rows), secs);
        }
    }
    return NULL;
}

int lt_full_load_from_source(const struct lt_task_config *cfg, const struct lt_full_load_options *opt,
                             const struct logtap_source_ops *source, struct lt_source *src, struct lt_state *state,
                             bool for_cdc, struct lt_snapshot_info *snap_out, struct lt_error *err)
{
    struct load_job job;
    memset(&job, 0, sizeof job);
    job.cfg = cfg;
    job.source = source;
    job.src = src;
    job.state = state;
    job.target = lt_target_for(&cfg->target);
    if (!job.target)
        return lt_fail(err, LT_ERR_CONFIG, "target DataFormat is not supported by this build");
    int rc;
    if ((rc = job.source->snapshot_begin(job.src, for_cdc, &job.snap, err)) ||
        (rc = job.source->list_tables(job.src, &job.tables, err)))
        goto out_snapshot;
    if (job.tables.n == 0) {
        rc = lt_fail(err, LT_ERR_CONFIG, "no table matches the selection rules of table_mappings");
        goto out_tables;
    }
    char snap_time[32];
    snprintf(snap_time, sizeof snap_time, "%lld", (long long)job.snap.time_us);
    if ((rc = lt_state_set_meta(job.state, "full_load_snapshot_pos", job.snap.pos, err)) ||
        (rc = lt_state_set_meta(job.state, "full_load_snapshot_time_us", snap_time, err)) ||
        (rc = lt_state_set_meta(job.state, "full_load_finished", "", err)))
        goto out_tables;
    lt_log_info("full load of %d tables from snapshot at %s, %d in parallel", job.tables.n, job.snap.pos,
                cfg->target.max_full_load_subtasks < job.tables.n ? cfg->target.max_full_load_subtasks
                                                                   : job.tables.n);
    job.progress = calloc((size_t)job.tables.n, sizeof *job.progress);
    if (!job.progress) {
        rc = lt_fail(err, LT_ERR_RUNTIME, "out of memory");
        goto out_tables;
    }
    for (int i = 0; i < job.tables.n; i++) {
        const struct lt_source_table *t = &job.tables.tables[i];
        snprintf(job.progress[i].name, sizeof job.progress[i].name, "%s.%s", t->schema->schema_name,
                 t->schema->table_name);
        job.progress[i].estimated_rows = t->estimated_rows;
    }
    pthread_mutex_init(&job.first_error_lock, NULL);
    struct lt_progress *prog = lt_progress_start(job.progress, job.tables.n, opt->progress_tty, opt->log_interval_s);

    int nworkers = cfg->target.max_full_load_subtasks;
    if (nworkers > job.tables.n)
        nworkers = job.tables.n;
    pthread_t threads[64];
    struct worker_arg args[64];
    int started = 0;
    for (int i = 0; i < nworkers && i < 64; i++) {
        args[i] = (struct worker_arg){.job = &job, .worker = i};
        if (pthread_create(&threads[i], NULL, worker_main, &args[i]) != 0)
            break;
        started++;
    }
    if (started == 0)
        worker_main(&(struct worker_arg){.job = &job, .worker = 0});
    for (int i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    lt_progress_stop(prog);
    pthread_mutex_destroy(&job.first_error_lock);

    int failed = atomic_load(&job.failed_tables);
    if (lt_stop_requested() && !failed) {
        rc = lt_fail(err, LT_ERR_RUNTIME, "interrupted; the tables not finished will be reloaded by the next run");
    } else if (failed) {
        if (failed == 1)
            rc = lt_fail(err, LT_ERR_RUNTIME, "%s", job.first_error.msg);
        else
            rc = lt_fail(err, LT_ERR_RUNTIME, "%d tables failed; first: %s", failed, job.first_error.msg);
    } else {
        char now[32];
        lt_format_timestamp_us(lt_now_us(), now);
        if ((rc = lt_state_set_meta(job.state, "full_load_finished", now, err)) == LT_OK) {
            int64_t total = 0;
            for (int i = 0; i < job.tables.n; i++)
                total += atomic_load(&job.progress[i].rows);
            lt_log_info("full load finished: %d tables, %lld rows", job.tables.n, (long long)total);
        }
    }
    free(job.progress);
    if (!rc && snap_out)
        *snap_out = job.snap;
out_tables:
    lt_table_list_free(&job.tables);
out_snapshot:
    job.source->snapshot_end(job.src);
    return rc;
}

int lt_run_full_load(const struct lt_task_config *cfg, const struct lt_full_load_options *opt, struct lt_error *err)
{
    const struct logtap_source_ops *source = lt_source_for(&cfg->source);
    if (!source)
        return lt_fail(err, LT_ERR_CONFIG, "source engine \"%s\" is not supported by this build", cfg->source.engine);
    if (!lt_target_for(&cfg->target))
        return lt_fail(err, LT_ERR_CONFIG, "target DataFormat is not supported by this build");
    if (lt_mkdir_p(cfg->target.path, err))
        return lt_error_prefix(err, "target path: ");
    struct lt_state *state;
    if (lt_state_open(cfg->state_path, cfg->task, cfg->source.engine, &state, err))
        return LT_ERR_RUNTIME;
    struct lt_source *src;
    int rc = source->open(&src, cfg, err);
    if (!rc) {
        rc = lt_full_load_from_source(cfg, opt, source, src, state, false, NULL, err);
        source->close(src);
    }
    lt_state_close(state);
    return rc;
}
