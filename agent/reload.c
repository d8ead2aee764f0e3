/* The reload command (see reload.h). */
#include "agent/reload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/file_sink.h"
#include "agent/place.h"
#include "agent/full_load.h"
#include "agent/log.h"
#include "agent/progress.h"
#include "agent/signals.h"
#include "agent/source.h"
#include "agent/table_mapping.h"
#include "agent/task_lock.h"
#include "state/state_store.h"

/* Reads one name part at *p: a double-quoted identifier or the text up to `stop` (or the end). */
static char *name_part(const char **p, char stop)
{
    const char *s = *p;
    size_t n = strlen(s);
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    size_t len = 0;
    if (*s == '"') {
        s++;
        for (;;) {
            if (!*s) {
                free(out);
                return NULL; /* unterminated quote */
            }
            if (*s == '"' && s[1] == '"') {
                out[len++] = '"';
                s += 2;
            } else if (*s == '"') {
                s++;
                break;
            } else {
                out[len++] = *s++;
            }
        }
    } else {
        while (*s && *s != stop)
            out[len++] = *s++;
    }
    out[len] = '\0';
    *p = s;
    return out;
}

int lt_parse_table_name(const char *text, char **schema, char **table, struct lt_error *err)
{
    *schema = *table = NULL;
    const char *p = text;
    char *s = name_part(&p, '.');
    if (s && *p == '.') {
        p++;
        char *t = name_part(&p, '\0');
        if (t && !*p && *s && *t) {
            *schema = s;
            *table = t;
            return LT_OK;
        }
        free(t);
    }
    free(s);
    return lt_fail(err, LT_ERR_CONFIG,
                   "--table \"%s\" is not SCHEMA.TABLE (for MySQL/MariaDB: DATABASE.TABLE; quote a name holding a "
                   "dot: \"my.schema\".orders)",
                   text);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Hands the reload to the running replicate through the state store and waits for its outcome. */
static int reload_through_runner(const struct lt_task_config *cfg, const char *schema, const char *table,
                                 const char *holder, bool wait, struct lt_error *err)
{
    struct lt_state *st;
    if (lt_state_open(cfg->state_path, cfg->task, cfg->source.engine, &st, err))
        return LT_ERR_RUNTIME;
    int64_t id;
    int rc = lt_state_table_id(st, schema, table, &id, err);
    if (!rc)
        rc = lt_state_request_reload(st, id, err);
    if (rc) {
        lt_state_close(st);
        return rc;
    }
    printf("%s.%s: reload requested; replicate (%s) loads it while its change stream goes on\n", schema, table,
           holder);
    fflush(stdout);
    if (!wait) {
        lt_state_close(st);
        return LT_OK;
    }
    struct lt_table_status t;
    for (;;) {
        if ((rc = lt_state_get_table(st, id, &t, err)))
            break;
        if (!t.reload_requested && strcmp(t.state, "pending") != 0 && strcmp(t.state, "loading") != 0)
            break;
        char now_holder[128];
        if (!lt_task_lock_held(cfg, now_holder, sizeof now_holder)) {
            rc = lt_fail(err, LT_ERR_RUNTIME,
                         "replicate stopped before the reload of %s.%s finished; the request stays recorded and the "
                         "next `logtap replicate` loads the table",
                         schema, table);
            break;
        }
        if (lt_stop_requested()) {
            rc = lt_fail(err, LT_ERR_RUNTIME,
                         "interrupted while waiting; replicate goes on with the reload of %s.%s", schema, table);
            break;
        }
        sleep_ms(300);
    }
    lt_state_close(st);
    if (rc)
        return rc;
    if (strcmp(t.state, "loaded") != 0)
        return lt_fail(err, LT_ERR_RUNTIME, "the reload of %s.%s ended %s: %s (replicate tries again later)",
                       schema, table, t.state, t.last_error[0] ? t.last_error : "no reason recorded");
    printf("%s.%s reloaded: %lld rows from a snapshot at %s\n", schema, table, (long long)t.full_load_rows,
           t.load_pos);
    return LT_OK;
}

/* No runner: loads the table here, holding the task's lock. */
static int reload_here(const struct lt_task_config *cfg, const char *schema, const char *table, bool cdc,
                       struct lt_error *err)
{
    const struct logtap_source_ops *source = lt_source_for(&cfg->source);
    if (!source)
        return lt_fail(err, LT_ERR_CONFIG, "source engine \"%s\" is not supported by this build", cfg->source.engine);
    struct lt_task_lock *lock;
    if (lt_task_lock_acquire(cfg, "reload", &lock, err))
        return LT_ERR_RUNTIME;
    struct lt_state *st = NULL;
    int64_t id;
    struct lt_place place;
    int rc = lt_place_open_target(&place, cfg, err);
    if (!rc) {
        rc = lt_state_open(cfg->state_path, cfg->task, cfg->source.engine, &st, err);
        /* an object store: reachable, and what a killed run left cleaned (the task's lock is held) */
        if (!rc)
            rc = lt_place_recover_target(&place, cfg, st, err);
        lt_place_close(&place);
    }
    /* recorded first: if this process dies, the next replicate does the reload */
    if (!rc && !(rc = lt_state_table_id(st, schema, table, &id, err)))
        rc = lt_state_request_reload(st, id, err);
    if (!rc) {
        struct lt_selection_rule name = {.schema_pattern = (char *)schema, .table_pattern = (char *)table,
                                         .include = true, .explicit_only = true};
        struct lt_full_load_options opt = {.progress_tty = lt_progress_use_tty(), .log_interval_s = 10};
        rc = lt_load_named_tables(cfg, &opt, source, st, &name, 1, cdc ? LT_SNAPSHOT_JOIN : LT_SNAPSHOT_PLAIN, err);
    }
    struct lt_table_status t;
    if (!rc && !(rc = lt_state_get_table(st, id, &t, err)))
        printf("%s.%s reloaded: %lld rows from a snapshot at %s%s\n", schema, table, (long long)t.full_load_rows,
               t.load_pos, cdc ? "; replicate writes its changes after that position" : "");
    lt_state_close(st);
    lt_task_lock_release(lock);
    return rc;
}

/* The table must be one the source has now (a cheap catalog query). */
static int check_table_exists(const struct lt_task_config *cfg, const char *schema, const char *table,
                              struct lt_error *err)
{
    const struct logtap_source_ops *source = lt_source_for(&cfg->source);
    if (!source)
        return lt_fail(err, LT_ERR_CONFIG, "source engine \"%s\" is not supported by this build", cfg->source.engine);
    struct lt_source *src;
    struct lt_table_refs refs;
    int rc = source->open(&src, cfg, err);
    if (rc)
        return rc;
    if (!(rc = source->selected_tables(src, &refs, err))) {
        bool found = false;
        for (int i = 0; i < refs.n; i++)
            found |= !strcmp(refs.t[i].schema, schema) && !strcmp(refs.t[i].table, table);
        lt_table_refs_free(&refs);
        if (!found)
            rc = lt_fail(err, LT_ERR_CONFIG, "the source has no table %s.%s (that logtap can read)", schema, table);
    }
    source->close(src);
    return rc;
}

int lt_run_reload(const struct lt_task_config *cfg, const char *name, bool wait, struct lt_error *err)
{
    char *schema, *table;
    if (lt_parse_table_name(name, &schema, &table, err))
        return LT_ERR_CONFIG;
    int rc = LT_OK;
    if (!lt_rules_select(cfg->rules, cfg->nrules, schema, table))
        rc = lt_fail(err, LT_ERR_CONFIG, "%s.%s is not selected by the task's table_mappings: nothing to reload",
                     schema, table);
    else if (cfg->migration_type == LT_MIGRATE_CDC)
        rc = lt_fail(err, LT_ERR_CONFIG,
                     "migration_type is cdc: the task follows changes without loading tables, so there is nothing "
                     "to reload (use full-load-and-cdc)");
    bool cdc = cfg->migration_type == LT_MIGRATE_FULL_LOAD_AND_CDC;
    if (!rc && cdc) {
        /* before the task's first run, replicate loads every table anyway */
        struct lt_state *st = NULL;
        char checkpoint[LT_CHECKPOINT_MAX] = "";
        struct lt_error ignored;
        if (lt_state_open_existing(cfg->state_path, &st, &ignored) == LT_OK) {
            lt_state_get_meta(st, "checkpoint", checkpoint, sizeof checkpoint, &ignored);
            lt_state_close(st);
        }
        if (!checkpoint[0])
            rc = lt_fail(err, LT_ERR_CONFIG,
                         "task \"%s\" has not started yet: `logtap replicate` loads every table first", cfg->task);
    }
    if (!rc)
        rc = check_table_exists(cfg, schema, table, err);
    char holder[128];
    if (!rc && lt_task_lock_held(cfg, holder, sizeof holder)) {
        if (!strstr(holder, "replicate"))
            rc = lt_fail(err, LT_ERR_RUNTIME, "task \"%s\" is busy: %s holds it; try again when it ends", cfg->task,
                         holder);
        else
            rc = reload_through_runner(cfg, schema, table, holder, wait, err);
    } else if (!rc) {
        rc = reload_here(cfg, schema, table, cdc, err);
    }
    free(schema);
    free(table);
    return rc;
}
