/* The running command's metrics file (see task_metrics.h). */
#include "agent/task_metrics.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent/log.h"
#include "agent/metrics.h"
#include "agent/version.h"
#include "state/state_store.h"

#define WRITE_EVERY_US (15 * 1000000LL) /* at least this often */
#define POKE_GAP_US 1000000LL           /* at most this often */
#define MAX_LOADS 8

static const char *const error_kinds[LT_MERR_COUNT] = {"transient", "persistent", "fatal", "config",
                                                       "table_load", "table_merge", "metrics_file"};
static const char *const file_kinds[] = {"load", "cdc", "transaction", "snapshot"};
#define NFILE_KINDS 4
static const char *const table_states[] = {"pending", "loading", "loaded", "failed", "cdc", "dropped"};
#define NTABLE_STATES 6

struct load_ref {
    struct lt_progress_table *tables;
    int n;
};

struct task_metrics {
    const struct lt_task_config *cfg;
    char command[16];
    char *path;
    int64_t started_us;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    /* under mu */
    bool stop, poked, stopped_written;
    int exit_code;
    int64_t errors[LT_MERR_COUNT];
    int64_t files[NFILE_KINDS], bytes[NFILE_KINDS];
    bool have_stream;            /* replicate's stream reported a checkpoint */
    int64_t checkpoint_commit_us; /* commit time of the checkpoint's last transaction (0 unknown) */
    bool caught_up;
    int64_t source_lag_bytes;    /* -1 unknown */
    struct load_ref loads[MAX_LOADS];
    /* the writer's own */
    struct lt_metrics *text;
    bool failing_logged;
};

static _Atomic(struct task_metrics *) current;

int lt_task_metrics_check_path(const char *path, struct lt_error *err)
{
    if (!path || !*path)
        return lt_fail(err, LT_ERR_CONFIG, "--metrics-file needs a file name");
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else if (slash)
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    else
        snprintf(dir, sizeof dir, ".");
    struct stat sb;
    if (slash && !slash[1])
        return lt_fail(err, LT_ERR_CONFIG, "--metrics-file %s: a file name is needed, not a folder", path);
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return lt_fail(err, LT_ERR_CONFIG, "--metrics-file %s: folder %s does not exist", path, dir);
    if (access(dir, W_OK | X_OK) != 0)
        return lt_fail(err, LT_ERR_CONFIG, "--metrics-file %s: folder %s is not writable: %s", path, dir,
                       strerror(errno));
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
        return lt_fail(err, LT_ERR_CONFIG, "--metrics-file %s is a folder", path);
    return LT_OK;
}

/* ---- building the text ---- */

static void sample1(struct task_metrics *t, const char *name, double v)
{
    const char *l[] = {"task", t->cfg->task, "command", t->command, NULL};
    lt_metrics_sample(t->text, name, l, v);
}

static void sample2(struct task_metrics *t, const char *name, const char *k, const char *val, double v)
{
    const char *l[] = {"task", t->cfg->task, "command", t->command, k, val, NULL};
    lt_metrics_sample(t->text, name, l, v);
}

static void sample_table(struct task_metrics *t, const char *name, const char *schema, const char *table,
                         const char *k, const char *val, double v)
{
    const char *l[] = {"task", t->cfg->task, "command", t->command, "schema", schema, "table", table, k, val, NULL};
    lt_metrics_sample(t->text, name, l, v);
}

static double seconds(int64_t us)
{
    return (double)us / 1e6;
}

/* "time|tries|message" while replicate keeps failing (see cdc.c); false when it is not */
static bool parse_failing(char *value, char **since, int *tries, char **msg)
{
    char *bar1 = strchr(value, '|'), *bar2 = bar1 ? strchr(bar1 + 1, '|') : NULL;
    if (!bar1 || !bar2)
        return false;
    *bar1 = *bar2 = '\0';
    *since = value;
    *tries = atoi(bar1 + 1);
    *msg = bar2 + 1;
    return true;
}

/* A time the state store keeps as "YYYY-MM-DD HH:MM:SS.ffffff" or "YYYY-MM-DDTHH:MM:SS.fffZ": seconds, 0 unknown */
static double text_time(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    int frac_pos = 0;
    if (sscanf(s, "%4d-%2d-%2d%*c%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
               &tm.tm_sec, &frac_pos) != 6)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    double frac = s[frac_pos] == '.' ? atof(s + frac_pos) : 0;
    return (double)timegm(&tm) + frac;
}

struct snap_newest {
    bool found;
    int64_t rows, ts_us;
};

static int newest_snapshot(void *arg, const struct lt_snapshot_record *r)
{
    struct snap_newest *s = arg;
    if (!s->found) {
        s->found = true;
        s->rows = r->rows;
        s->ts_us = r->commit_ts_us;
    }
    return 0;
}

/* What the state store says: tables, their rows by operation, files, the checkpoint, the failure, snapshots. */
static void state_families(struct task_metrics *t, struct lt_state *st, bool *failing_out, char *cause, size_t cn,
                           int *tries, double *since)
{
    struct lt_error err = {0};
    struct lt_table_status *tables = NULL;
    int n = 0;
    if (lt_state_list_tables(st, &tables, &n, &err) != LT_OK)
        n = 0;
    bool merge = !strcmp(t->command, "merge");
    if (!merge) {
        lt_metrics_family(t->text, "logtap_rows_total", "counter",
                          "Rows written per table and operation: load (the table's current full load), insert, "
                          "update, delete (CDC); from the state store, as status shows them");
        static const char *const ops[] = {"load", "insert", "update", "delete"};
        for (int i = 0; i < n; i++) {
            const struct lt_table_status *x = &tables[i];
            int64_t v[4] = {x->full_load_rows, x->inserts, x->updates, x->deletes};
            for (int k = 0; k < 4; k++)
                sample_table(t, "logtap_rows_total", x->schema_name, x->table_name, "op", ops[k], (double)v[k]);
        }
        lt_metrics_family(t->text, "logtap_truncates_total", "counter", "TRUNCATEs recorded per table");
        for (int i = 0; i < n; i++)
            sample_table(t, "logtap_truncates_total", tables[i].schema_name, tables[i].table_name, NULL, NULL,
                         (double)tables[i].truncates);
        lt_metrics_family(t->text, "logtap_schema_changes_total", "counter",
                          "Schema changes (new columns in the change stream) per table");
        for (int i = 0; i < n; i++)
            sample_table(t, "logtap_schema_changes_total", tables[i].schema_name, tables[i].table_name, NULL, NULL,
                         (double)tables[i].ddls);
        lt_metrics_family(t->text, "logtap_manifest_files", "gauge",
                          "Files of each table the state store's manifest lists (its current load and its CDC files)");
        for (int i = 0; i < n; i++)
            sample_table(t, "logtap_manifest_files", tables[i].schema_name, tables[i].table_name, NULL, NULL,
                         (double)tables[i].files);
        lt_metrics_family(t->text, "logtap_manifest_bytes", "gauge", "Bytes of those files");
        for (int i = 0; i < n; i++)
            sample_table(t, "logtap_manifest_bytes", tables[i].schema_name, tables[i].table_name, NULL, NULL,
                         (double)tables[i].bytes);
        lt_metrics_family(t->text, "logtap_tables", "gauge",
                          "Tables of the task by state: pending and loading are the tables joining it (waiting for "
                          "their load, being loaded)");
        for (int s = 0; s < NTABLE_STATES; s++) {
            int count = 0;
            for (int i = 0; i < n; i++)
                count += !strcmp(tables[i].state, table_states[s]);
            sample2(t, "logtap_tables", "state", table_states[s], count);
        }
        char cp[512] = "", cp_time[32] = "", commit[32] = "";
        lt_state_get_meta(st, "checkpoint", cp, sizeof cp, &err);
        lt_state_get_meta(st, "checkpoint_time_us", cp_time, sizeof cp_time, &err);
        lt_state_get_meta(st, "last_commit_ts_us", commit, sizeof commit, &err);
        if (cp[0] && cp_time[0]) {
            lt_metrics_family(t->text, "logtap_checkpoint_timestamp_seconds", "gauge",
                              "When the CDC checkpoint was last recorded (Unix time)");
            sample1(t, "logtap_checkpoint_timestamp_seconds", seconds(strtoll(cp_time, NULL, 10)));
        }
        if (cp[0] && commit[0] && strtoll(commit, NULL, 10) > 0) {
            lt_metrics_family(t->text, "logtap_checkpoint_commit_timestamp_seconds", "gauge",
                              "The source's commit time of the last transaction the checkpoint includes (Unix time)");
            sample1(t, "logtap_checkpoint_commit_timestamp_seconds", seconds(strtoll(commit, NULL, 10)));
            pthread_mutex_lock(&t->mu);
            if (!t->checkpoint_commit_us)
                t->checkpoint_commit_us = strtoll(commit, NULL, 10);
            pthread_mutex_unlock(&t->mu);
        }
        char failing[1100] = "", *since_text, *msg;
        lt_state_get_meta(st, "stream_error", failing, sizeof failing, &err);
        if (!strcmp(t->command, "replicate") && parse_failing(failing, &since_text, tries, &msg)) {
            *failing_out = true;
            snprintf(cause, cn, "%s", msg);
            *since = text_time(since_text);
        }
    } else {
        lt_metrics_family(t->text, "logtap_snapshot_rows", "gauge", "Rows of each table's newest snapshot");
        struct snap_newest *snaps = calloc(n > 0 ? (size_t)n : 1, sizeof *snaps);
        for (int i = 0; snaps && i < n; i++) {
            if (lt_state_each_snapshot(st, tables[i].id, newest_snapshot, &snaps[i], &err) == LT_OK && snaps[i].found)
                sample_table(t, "logtap_snapshot_rows", tables[i].schema_name, tables[i].table_name, NULL, NULL,
                             (double)snaps[i].rows);
        }
        lt_metrics_family(t->text, "logtap_snapshot_timestamp_seconds", "gauge",
                          "The point in time of each table's newest snapshot: the commit time of its last change "
                          "(Unix time)");
        for (int i = 0; snaps && i < n; i++)
            if (snaps[i].found && snaps[i].ts_us > 0)
                sample_table(t, "logtap_snapshot_timestamp_seconds", tables[i].schema_name, tables[i].table_name,
                             NULL, NULL, seconds(snaps[i].ts_us));
        free(snaps);
    }
    free(tables);
}

static void build(struct task_metrics *t, bool stopped, int exit_code)
{
    lt_metrics_reset(t->text);
    int64_t now = lt_now_us();
    const struct lt_task_config *cfg = t->cfg;
    lt_metrics_family(t->text, "logtap_info", "gauge", "The task and the logtap that runs it (always 1)");
    const char *il[] = {"task", cfg->task, "command", t->command, "engine", cfg->source.engine, "migration_type",
                        lt_migration_type_name(cfg->migration_type), "version", LOGTAP_VERSION, NULL};
    lt_metrics_sample(t->text, "logtap_info", il, 1);
    lt_metrics_family(t->text, "logtap_start_time_seconds", "gauge", "When this command started (Unix time)");
    sample1(t, "logtap_start_time_seconds", seconds(t->started_us));
    lt_metrics_family(t->text, "logtap_metrics_updated_timestamp_seconds", "gauge",
                      "When this file was written (Unix time): a file that stops changing means a stuck or "
                      "killed process");
    sample1(t, "logtap_metrics_updated_timestamp_seconds", seconds(now));

    bool failing = false;
    char cause[1100] = "";
    int tries = 0;
    double since = 0;
    struct lt_state *st = NULL;
    struct lt_error err = {0};
    struct stat sb;
    /* opened each time: `replicate --start-over` moves the store aside and makes a new one */
    if (stat(cfg->state_path, &sb) == 0 && lt_state_open_existing(cfg->state_path, &st, &err) == LT_OK) {
        state_families(t, st, &failing, cause, sizeof cause, &tries, &since);
        lt_state_close(st);
    }

    pthread_mutex_lock(&t->mu);
    if (failing && !stopped)
        t->caught_up = false;
    lt_metrics_family(t->text, "logtap_task_state", "gauge",
                      "The command's state: running, failing (replicate keeps retrying a failure; see "
                      "logtap_failing_info) or stopped (see logtap_exit_code); 1 for the current one");
    static const char *const states[] = {"running", "failing", "stopped"};
    const char *state = stopped ? "stopped" : failing ? "failing" : "running";
    for (int i = 0; i < 3; i++)
        sample2(t, "logtap_task_state", "state", states[i], !strcmp(state, states[i]));
    if (!strcmp(t->command, "replicate")) {
        lt_metrics_family(t->text, "logtap_failing", "gauge",
                          "1 while replicate keeps failing (status shows FAILING), 0 otherwise");
        sample1(t, "logtap_failing", failing && !stopped);
        if (failing && !stopped) {
            lt_metrics_family(t->text, "logtap_failing_info", "gauge", "Why replicate is failing (always 1)");
            sample2(t, "logtap_failing_info", "cause", cause, 1);
            lt_metrics_family(t->text, "logtap_failing_tries", "gauge", "Tries since the failure began");
            sample1(t, "logtap_failing_tries", tries);
            if (since > 0) {
                lt_metrics_family(t->text, "logtap_failing_since_timestamp_seconds", "gauge",
                                  "When the failure began (Unix time)");
                sample1(t, "logtap_failing_since_timestamp_seconds", since);
            }
        }
        if (t->have_stream && !stopped) {
            int64_t lag_us = t->caught_up ? 0 : t->checkpoint_commit_us > 0 ? now - t->checkpoint_commit_us : -1;
            if (lag_us >= 0) {
                lt_metrics_family(t->text, "logtap_lag_seconds", "gauge",
                                  "How far the durable files are behind the source: now minus the commit time of "
                                  "the checkpoint's last transaction, 0 when the source has nothing newer");
                sample1(t, "logtap_lag_seconds", lag_us > 0 ? seconds(lag_us) : 0);
            }
            int64_t lag_bytes = t->caught_up ? 0 : t->source_lag_bytes;
            if (lag_bytes >= 0) {
                lt_metrics_family(t->text, "logtap_lag_bytes", "gauge",
                                  "Bytes of the source's log between the checkpoint and the source's position as "
                                  "the stream last reported it (PostgreSQL: the WAL end; MySQL/MariaDB: 0 when "
                                  "caught up, else absent)");
                sample1(t, "logtap_lag_bytes", (double)lag_bytes);
            }
        }
    }
    if (stopped) {
        lt_metrics_family(t->text, "logtap_exit_code", "gauge",
                          "The command's exit code once it stopped (0 ok, 1 runtime failure, 2 usage or config)");
        sample1(t, "logtap_exit_code", exit_code);
    }
    lt_metrics_family(t->text, "logtap_errors_total", "counter",
                      "Errors since the command started, by kind: transient (retried), persistent (needs an "
                      "operator), fatal, config, table_load, table_merge, metrics_file");
    for (int k = 0; k < LT_MERR_COUNT; k++)
        sample2(t, "logtap_errors_total", "kind", error_kinds[k], (double)t->errors[k]);
    lt_metrics_family(t->text, "logtap_files_written_total", "counter",
                      "Files written durably since the command started, by kind: load, cdc, transaction "
                      "(PreserveTransactions), snapshot");
    for (int k = 0; k < NFILE_KINDS; k++)
        sample2(t, "logtap_files_written_total", "kind", file_kinds[k], (double)t->files[k]);
    lt_metrics_family(t->text, "logtap_bytes_written_total", "counter", "Bytes of those files");
    for (int k = 0; k < NFILE_KINDS; k++)
        sample2(t, "logtap_bytes_written_total", "kind", file_kinds[k], (double)t->bytes[k]);
    bool loads = false;
    for (int i = 0; i < MAX_LOADS; i++)
        loads |= t->loads[i].tables != NULL;
    if (loads) {
        lt_metrics_family(t->text, "logtap_load_rows", "gauge", "Rows read so far by each table's load under way");
        for (int i = 0; i < MAX_LOADS; i++)
            for (int k = 0; t->loads[i].tables && k < t->loads[i].n; k++) {
                struct lt_progress_table *p = &t->loads[i].tables[k];
                if (atomic_load(&p->state) == LT_PROGRESS_RUNNING)
                    sample_table(t, "logtap_load_rows", p->schema, p->table, NULL, NULL,
                                 (double)atomic_load(&p->rows));
            }
    }
    pthread_mutex_unlock(&t->mu);
}

static void write_now(struct task_metrics *t, bool stopped, int exit_code)
{
    build(t, stopped, exit_code);
    struct lt_error err = {0};
    if (lt_metrics_write_file(t->text, t->path, &err) != LT_OK) {
        pthread_mutex_lock(&t->mu);
        t->errors[LT_MERR_METRICS]++;
        bool first = !t->failing_logged;
        t->failing_logged = true;
        pthread_mutex_unlock(&t->mu);
        if (first)
            lt_log_warn("%s (the metrics file is not up to date until it can be written)", err.msg);
    } else if (t->failing_logged) {
        t->failing_logged = false;
        lt_log_info("metrics file %s written again", t->path);
    }
}

static void *writer_main(void *arg)
{
    struct task_metrics *t = arg;
    int64_t last = lt_now_us();
    pthread_mutex_lock(&t->mu);
    for (;;) {
        int64_t now = lt_now_us();
        int64_t due = t->poked ? last + POKE_GAP_US : last + WRITE_EVERY_US;
        if (!t->stop && now < due) {
            struct timespec ts = {.tv_sec = (time_t)(due / 1000000), .tv_nsec = (long)(due % 1000000) * 1000};
            pthread_cond_timedwait(&t->cond, &t->mu, &ts);
            continue;
        }
        bool stop = t->stop;
        int code = t->exit_code;
        t->poked = false;
        pthread_mutex_unlock(&t->mu);
        write_now(t, stop, code);
        last = lt_now_us();
        pthread_mutex_lock(&t->mu);
        if (stop)
            break;
    }
    pthread_mutex_unlock(&t->mu);
    return NULL;
}

int lt_task_metrics_start(const struct lt_task_config *cfg, const char *command, const char *path,
                          struct lt_error *err)
{
    if (!path)
        return LT_OK;
    if (lt_task_metrics_check_path(path, err))
        return LT_ERR_CONFIG;
    struct task_metrics *t = calloc(1, sizeof *t);
    if (!t || !(t->path = strdup(path)) || !(t->text = lt_metrics_new())) {
        if (t) {
            free(t->path);
            free(t);
        }
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    }
    t->cfg = cfg;
    snprintf(t->command, sizeof t->command, "%s", command);
    t->started_us = lt_now_us();
    t->source_lag_bytes = -1;
    pthread_mutex_init(&t->mu, NULL);
    pthread_cond_init(&t->cond, NULL);
    /* the first file at once: a path that cannot be written is said now, not 15 s later */
    build(t, false, 0);
    int rc = lt_metrics_write_file(t->text, t->path, err);
    if (!rc && pthread_create(&t->thread, NULL, writer_main, t) != 0)
        rc = lt_fail(err, LT_ERR_RUNTIME, "cannot start the metrics thread");
    if (rc) {
        pthread_cond_destroy(&t->cond);
        pthread_mutex_destroy(&t->mu);
        lt_metrics_free(t->text);
        free(t->path);
        free(t);
        return rc == LT_ERR_RUNTIME ? rc : LT_ERR_CONFIG;
    }
    atomic_store(&current, t);
    return LT_OK;
}

void lt_task_metrics_stop(int exit_code)
{
    struct task_metrics *t = atomic_exchange(&current, NULL);
    if (!t)
        return;
    pthread_mutex_lock(&t->mu);
    t->stop = true;
    t->exit_code = exit_code;
    pthread_cond_signal(&t->cond);
    pthread_mutex_unlock(&t->mu);
    pthread_join(t->thread, NULL);
    pthread_cond_destroy(&t->cond);
    pthread_mutex_destroy(&t->mu);
    lt_metrics_free(t->text);
    free(t->path);
    free(t);
}

/* Runs `body` with t locked when metrics are on. */
#define WITH_METRICS(...)                                                                                          \
    do {                                                                                                            \
        struct task_metrics *t = atomic_load(&current);                                                             \
        if (!t)                                                                                                     \
            return;                                                                                                 \
        pthread_mutex_lock(&t->mu);                                                                                 \
        __VA_ARGS__;                                                                                                \
        pthread_mutex_unlock(&t->mu);                                                                               \
    } while (0)

void lt_task_metrics_poke(void)
{
    WITH_METRICS({
        t->poked = true;
        pthread_cond_signal(&t->cond);
    });
}

void lt_task_metrics_error(enum lt_metrics_error_kind kind)
{
    WITH_METRICS({
        if (kind >= 0 && kind < LT_MERR_COUNT)
            t->errors[kind]++;
        if (kind <= LT_MERR_FATAL)
            t->caught_up = false;
        t->poked = true;
        pthread_cond_signal(&t->cond);
    });
}

void lt_task_metrics_error_code(int code)
{
    lt_task_metrics_error(code == LT_ERR_PERSISTENT ? LT_MERR_PERSISTENT
                          : code == LT_ERR_FATAL    ? LT_MERR_FATAL
                          : code == LT_ERR_CONFIG   ? LT_MERR_CONFIG
                                                    : LT_MERR_TRANSIENT);
}

void lt_task_metrics_file(const char *kind, int64_t bytes)
{
    WITH_METRICS({
        for (int k = 0; k < NFILE_KINDS; k++)
            if (!strcmp(kind, file_kinds[k])) {
                t->files[k]++;
                t->bytes[k] += bytes;
            }
    });
}

void lt_task_metrics_checkpoint(int64_t commit_ts_us, bool caught_up)
{
    WITH_METRICS({
        t->have_stream = true;
        if (commit_ts_us > 0)
            t->checkpoint_commit_us = commit_ts_us;
        t->caught_up = caught_up;
        t->poked = true;
        pthread_cond_signal(&t->cond);
    });
}

void lt_task_metrics_pending(void)
{
    WITH_METRICS({ t->caught_up = false; });
}

void lt_task_metrics_source_lag_bytes(int64_t bytes)
{
    WITH_METRICS({ t->source_lag_bytes = bytes; });
}

void lt_task_metrics_load_begin(struct lt_progress_table *tables, int n)
{
    WITH_METRICS({
        for (int i = 0; i < MAX_LOADS; i++)
            if (!t->loads[i].tables) {
                t->loads[i] = (struct load_ref){tables, n};
                break;
            }
    });
}

void lt_task_metrics_load_end(struct lt_progress_table *tables)
{
    WITH_METRICS({
        for (int i = 0; i < MAX_LOADS; i++)
            if (t->loads[i].tables == tables)
                t->loads[i] = (struct load_ref){NULL, 0};
        t->poked = true;
        pthread_cond_signal(&t->cond);
    });
}
