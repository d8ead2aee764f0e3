/* Tables joining a running task: polling for them, their snapshot at a position of the stream, and the copy
 * thread that loads them (see table_join.h). */
#include "agent/table_join.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/full_load.h"
#include "agent/log.h"
#include "agent/progress.h"
#include "agent/signals.h"
#include "state/state_store.h"

#define JOIN_MAX_TABLES 256        /* tables taken into one join's snapshot; the rest join next */
#define JOIN_SCAN_INTERVAL_US 1000000
#define JOIN_RETRY_MAX_S 600

/* One join: its snapshot's source connection, the load prepared in it, the thread reading it. */
struct join_copy {
    const struct logtap_source_ops *source;
    struct lt_task_config cfg;     /* the task's config with rules naming exactly the joining tables */
    struct lt_selection_rule *rules;
    int nrules;
    struct lt_source *src;
    struct lt_load *load;
    pthread_t thread;
    bool thread_started;
    _Atomic bool done;
    _Atomic bool cancel;
    struct lt_full_load_options opt;
    int rc;
    struct lt_error err;
};

struct lt_joins {
    const struct lt_task_config *cfg;
    const struct logtap_source_ops *source;
    struct lt_state *state;
    bool backfill;
    lt_join_change_fn on_change;
    void *ctx;
    int64_t next_poll_us;
    int64_t next_scan_us;
    int64_t retry_after_us;
    int failures;
    struct join_copy *copy;
};

/* Waits for the copy thread, ends the snapshot, closes the connection. */
static void copy_free(struct join_copy *c)
{
    if (!c)
        return;
    if (c->thread_started) {
        atomic_store(&c->cancel, true);
        pthread_join(c->thread, NULL);
    }
    lt_load_free(c->load);
    if (c->src)
        c->source->close(c->src);
    for (int i = 0; i < c->nrules; i++) {
        free(c->rules[i].schema_pattern);
        free(c->rules[i].table_pattern);
    }
    free(c->rules);
    free(c);
}

static void *copy_main(void *arg)
{
    struct join_copy *c = arg;
    c->rc = lt_load_run(c->load, &c->err);
    atomic_store(&c->done, true);
    return NULL;
}

/* The ids of the tables left loading by an earlier run (collected first: the store is locked during the walk). */
struct unfinished {
    int64_t *ids;
    int n, cap;
    bool oom;
};

static int collect_unfinished(void *arg, const struct lt_table_status *t)
{
    struct unfinished *u = arg;
    if (strcmp(t->state, "loading") != 0)
        return 0;
    if (u->n == u->cap) {
        int cap = u->cap ? u->cap * 2 : 16;
        int64_t *ids = realloc(u->ids, (size_t)cap * sizeof *ids);
        if (!ids) {
            u->oom = true;
            return 1;
        }
        u->ids = ids;
        u->cap = cap;
    }
    u->ids[u->n++] = t->id;
    lt_log_info("table %s.%s: its load did not finish in an earlier run; it is loaded again", t->schema_name,
                t->table_name);
    return 0;
}

/* Tables left loading by an earlier run have lost their snapshot: they wait for a new load. */
static int mark_unfinished(struct lt_state *state, struct lt_error *err)
{
    struct unfinished u = {0};
    int rc = lt_state_each_table_to_load(state, collect_unfinished, &u, err);
    if (!rc && u.oom)
        rc = lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    for (int i = 0; !rc && i < u.n; i++)
        rc = lt_state_set_table_state(state, u.ids[i], "pending", "its load was interrupted; loading it again", err);
    free(u.ids);
    return rc;
}

int lt_joins_open(struct lt_joins **out, const struct lt_task_config *cfg, const struct logtap_source_ops *source,
                  struct lt_state *state, bool backfill, lt_join_change_fn on_change, void *ctx,
                  struct lt_error *err)
{
    *out = NULL;
    struct lt_joins *j = calloc(1, sizeof *j);
    if (!j)
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    j->cfg = cfg;
    j->source = source;
    j->state = state;
    j->backfill = backfill;
    j->on_change = on_change;
    j->ctx = ctx;
    if (mark_unfinished(state, err)) {
        free(j);
        return LT_ERR_RUNTIME;
    }
    *out = j;
    return LT_OK;
}

void lt_joins_wake(struct lt_joins *j)
{
    j->next_scan_us = 0;
}

bool lt_joins_busy(const struct lt_joins *j)
{
    return j->copy != NULL;
}

static void notify(struct lt_joins *j, int64_t id, const char *state, const char *load_pos)
{
    if (j->on_change)
        j->on_change(j->ctx, id, state, load_pos);
}

/* ---- polling the catalog ---- */

static const struct lt_table_ref *find_ref(const struct lt_table_refs *refs, const char *schema, const char *table)
{
    for (int i = 0; i < refs->n; i++)
        if (strcmp(refs->t[i].schema, schema) == 0 && strcmp(refs->t[i].table, table) == 0)
            return &refs->t[i];
    return NULL;
}

/* Compares the tables the rules select now with the state store: new ones wait for their join, tables created
 * again (another source id) load again, tables gone stop being followed. */
static int poll_catalog(struct lt_joins *j, struct lt_source *src, struct lt_error *err)
{
    struct lt_table_refs refs;
    struct lt_error perr = {0};
    if (j->source->selected_tables(src, &refs, &perr)) {
        lt_log_warn("looking for tables that joined the selection: %s", perr.msg);
        return LT_OK; /* the stream goes on; the next poll tries again */
    }
    struct lt_table_status *tables = NULL;
    int ntables = 0;
    int rc = lt_state_list_tables(j->state, &tables, &ntables, err);
    for (int i = 0; !rc && i < refs.n; i++) {
        const struct lt_table_ref *r = &refs.t[i];
        const struct lt_table_status *known = NULL;
        for (int k = 0; k < ntables; k++)
            if (strcmp(tables[k].schema_name, r->schema) == 0 && strcmp(tables[k].table_name, r->table) == 0)
                known = &tables[k];
        int64_t id;
        if (!known) {
            if (!(rc = lt_state_table_id(j->state, r->schema, r->table, &id, err)))
                lt_log_info("table %s.%s joined the selection: it %s", r->schema, r->table,
                            j->backfill ? "is loaded while the change stream goes on" : "is followed from now on");
            j->next_scan_us = 0;
        } else if (strcmp(known->state, "dropped") == 0 ||
                   (known->source_id[0] && r->source_id[0] && strcmp(known->source_id, r->source_id) != 0 &&
                    strcmp(known->state, "pending") != 0)) {
            const char *why = strcmp(known->state, "dropped") == 0 ? "is back in the source's selection"
                                                                    : "was dropped and created again at the source";
            lt_log_info("table %s.%s %s: it joins the task again", r->schema, r->table, why);
            if (!(rc = lt_state_set_table_state(j->state, known->id, "pending", why, err)))
                notify(j, known->id, "pending", "");
            j->next_scan_us = 0;
        }
    }
    for (int k = 0; !rc && k < ntables; k++) {
        const struct lt_table_status *t = &tables[k];
        if (strcmp(t->state, "dropped") == 0 || find_ref(&refs, t->schema_name, t->table_name))
            continue;
        if (j->copy && strcmp(t->state, "loading") == 0)
            continue; /* the join's own snapshot decides; the next poll sees it */
        lt_log_warn("table %s.%s is no longer in the source's selected tables (dropped at the source, or no longer "
                    "matched by table_mappings): it is not followed any more; its files stay",
                    t->schema_name, t->table_name);
        if (!(rc = lt_state_set_table_state(j->state, t->id, "dropped",
                                            "gone from the source (or from the selection); its files stay", err)))
            notify(j, t->id, "dropped", "");
    }
    free(tables);
    lt_table_refs_free(&refs);
    return rc;
}

/* ---- starting a join ---- */

struct waiting {
    struct lt_joins *j;
    struct lt_selection_rule *rules;
    int n;
    bool oom;
};

static int collect_waiting(void *arg, const struct lt_table_status *t)
{
    struct waiting *w = arg;
    bool wants = strcmp(t->state, "pending") == 0 || strcmp(t->state, "failed") == 0 || t->reload_requested;
    if (!w->j->backfill && strcmp(t->state, "failed") == 0 && !t->reload_requested)
        wants = false;
    if (!wants || w->n >= JOIN_MAX_TABLES)
        return 0;
    struct lt_selection_rule *r = &w->rules[w->n];
    r->schema_pattern = strdup(t->schema_name);
    r->table_pattern = strdup(t->table_name);
    r->include = true;
    r->explicit_only = true; /* names, not patterns */
    if (!r->schema_pattern || !r->table_pattern) {
        free(r->schema_pattern);
        free(r->table_pattern);
        w->oom = true;
        return 1;
    }
    w->n++;
    return 0;
}

static void join_failed(struct lt_joins *j, const char *what, const struct lt_error *e)
{
    j->failures++;
    int delay = 15;
    for (int i = 1; i < j->failures && delay < JOIN_RETRY_MAX_S; i++)
        delay *= 2;
    if (delay > JOIN_RETRY_MAX_S)
        delay = JOIN_RETRY_MAX_S;
    j->retry_after_us = lt_now_us() + (int64_t)delay * 1000000;
    lt_log_error("%s: %s; trying again in %d s", what, e->msg, delay);
}

/* Marks the tables of a join that could not start as failed, with the reason. */
static void fail_tables(struct lt_joins *j, const struct join_copy *c, const char *message)
{
    for (int i = 0; i < c->nrules; i++) {
        int64_t id;
        struct lt_error ignored;
        if (lt_state_table_id(j->state, c->rules[i].schema_pattern, c->rules[i].table_pattern, &id, &ignored) ==
                LT_OK &&
            lt_state_fail_table_load(j->state, id, message, &ignored) == LT_OK)
            notify(j, id, "failed", "");
    }
}

/* Takes the snapshot of the waiting tables (synchronously: the stream waits) and starts their copy. */
static int start_join(struct lt_joins *j, bool *started, struct lt_error *err)
{
    *started = false;
    struct join_copy *c = calloc(1, sizeof *c);
    struct lt_selection_rule *rules = calloc(JOIN_MAX_TABLES, sizeof *rules);
    if (!c || !rules) {
        free(c);
        free(rules);
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    }
    struct waiting w = {.j = j, .rules = rules};
    int rc = lt_state_each_table_to_load(j->state, collect_waiting, &w, err);
    c->source = j->source;
    c->rules = rules;
    c->nrules = w.n;
    if (rc || w.oom || w.n == 0) {
        copy_free(c);
        return rc ? rc : w.oom ? lt_fail(err, LT_ERR_RUNTIME, "out of memory") : LT_OK;
    }
    c->cfg = *j->cfg;
    c->cfg.rules = rules;
    c->cfg.nrules = w.n;
    c->opt = (struct lt_full_load_options){.progress_tty = false, .log_interval_s = 30, .cancel = &c->cancel};
    lt_log_info("%d table%s joining the task (first: %s.%s): taking a snapshot at the change stream's position", w.n,
                w.n > 1 ? "s" : "", rules[0].schema_pattern, rules[0].table_pattern);
    struct lt_error jerr = {0};
    if (j->source->open(&c->src, &c->cfg, &jerr) ||
        lt_load_prepare(&c->load, &c->cfg, &c->opt, j->source, c->src, j->state, LT_SNAPSHOT_JOIN, &jerr)) {
        fail_tables(j, c, jerr.msg);
        join_failed(j, "joining tables", &jerr);
        copy_free(c);
        return LT_OK;
    }
    const char *pos = lt_load_snapshot(c->load)->pos;
    /* tables the snapshot does not hold are gone since the poll */
    for (int i = 0; i < c->nrules; i++) {
        bool held = false;
        for (int k = 0; k < lt_load_table_count(c->load); k++) {
            const struct lt_table_schema *s = lt_load_table(c->load, k);
            held |= strcmp(s->schema_name, rules[i].schema_pattern) == 0 && strcmp(s->table_name, rules[i].table_pattern) == 0;
        }
        int64_t id;
        if (!held && lt_state_table_id(j->state, rules[i].schema_pattern, rules[i].table_pattern, &id, err) == LT_OK &&
            lt_state_set_table_state(j->state, id, "dropped", "gone from the source before it could be loaded", err) == LT_OK)
            notify(j, id, "dropped", "");
    }
    for (int k = 0; k < lt_load_table_count(c->load); k++) {
        const struct lt_table_schema *s = lt_load_table(c->load, k);
        int64_t id;
        if ((rc = lt_state_table_id(j->state, s->schema_name, s->table_name, &id, err)))
            break;
        if (!j->backfill && (rc = lt_state_set_table_state(j->state, id, "cdc", NULL, err)))
            break;
        notify(j, id, j->backfill ? "loading" : "cdc", pos);
    }
    if (rc || !j->backfill || lt_load_table_count(c->load) == 0) {
        if (!rc && !j->backfill)
            lt_log_info("%d table%s followed from %s", lt_load_table_count(c->load),
                        lt_load_table_count(c->load) == 1 ? "" : "s", pos);
        *started = !rc;
        copy_free(c);
        return rc;
    }
    if (pthread_create(&c->thread, NULL, copy_main, c) != 0) {
        struct lt_error e;
        lt_fail(&e, LT_ERR_RUNTIME, "cannot start the copy thread");
        fail_tables(j, c, e.msg);
        join_failed(j, "joining tables", &e);
        copy_free(c);
        return LT_OK;
    }
    c->thread_started = true;
    j->copy = c;
    *started = true;
    return LT_OK;
}

/* Collects a finished copy. */
static void finish_copy(struct lt_joins *j)
{
    struct join_copy *c = j->copy;
    pthread_join(c->thread, NULL);
    c->thread_started = false;
    j->copy = NULL;
    const char *pos = lt_load_snapshot(c->load)->pos;
    for (int k = 0; k < lt_load_table_count(c->load); k++) {
        const struct lt_table_schema *s = lt_load_table(c->load, k);
        int64_t id;
        struct lt_table_status t;
        struct lt_error ignored;
        if (lt_state_table_id(j->state, s->schema_name, s->table_name, &id, &ignored) == LT_OK &&
            lt_state_get_table(j->state, id, &t, &ignored) == LT_OK)
            notify(j, id, t.state, strcmp(t.state, "loaded") == 0 ? pos : "");
    }
    if (c->rc) {
        if (!lt_stop_requested())
            join_failed(j, "loading joining tables", &c->err);
    } else {
        j->failures = 0;
    }
    copy_free(c);
}

int lt_joins_tick(struct lt_joins *j, struct lt_source *stream_src, struct lt_error *err)
{
    if (j->copy && atomic_load(&j->copy->done))
        finish_copy(j);
    int64_t now = lt_now_us();
    if (stream_src && now >= j->next_poll_us) {
        j->next_poll_us = now + (int64_t)j->cfg->source.catalog_poll_s * 1000000;
        if (j->source->selected_tables && poll_catalog(j, stream_src, err))
            return LT_ERR_RUNTIME;
    }
    if (j->copy || now < j->next_scan_us || now < j->retry_after_us || lt_stop_requested())
        return LT_OK;
    j->next_scan_us = now + JOIN_SCAN_INTERVAL_US;
    bool started;
    return start_join(j, &started, err);
}

int lt_joins_settle(struct lt_joins *j, struct lt_source *stream_src, struct lt_error *err)
{
    j->next_poll_us = 0;
    for (;;) {
        if (j->copy) {
            while (!atomic_load(&j->copy->done) && !lt_stop_requested()) {
                struct timespec ts = {0, 50 * 1000 * 1000};
                nanosleep(&ts, NULL);
            }
            if (lt_stop_requested())
                return LT_OK;
            finish_copy(j);
        }
        int64_t now = lt_now_us();
        if (stream_src && j->next_poll_us == 0) {
            j->next_poll_us = now + (int64_t)j->cfg->source.catalog_poll_s * 1000000;
            if (j->source->selected_tables && poll_catalog(j, stream_src, err))
                return LT_ERR_RUNTIME;
        }
        bool started = false;
        if (now >= j->retry_after_us && !lt_stop_requested() && start_join(j, &started, err))
            return LT_ERR_RUNTIME;
        if (!started)
            return LT_OK;
    }
}

void lt_joins_close(struct lt_joins *j)
{
    if (!j)
        return;
    if (j->copy) {
        lt_log_info("stopping the load of joining tables: they are loaded again at the next start");
        copy_free(j->copy); /* cancels and waits; the tables are left failed or loading, loaded again next time */
    }
    free(j);
}
