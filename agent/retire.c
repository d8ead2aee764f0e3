/* The drop command (see retire.h). */
#include "agent/retire.h"

#include <stdio.h>

#include "agent/progress.h"
#include "agent/record.h"
#include "agent/source.h"
#include "agent/task_lock.h"
#include "state/state_store.h"

struct removed {
    bool dry_run;
    int n;
};

static void print_removed(void *arg, const char *what)
{
    struct removed *r = arg;
    r->n++;
    printf("%s %s\n", r->dry_run ? "would remove" : "removed", what);
}

int lt_run_drop(const struct lt_task_config *cfg, bool confirm, struct lt_error *err)
{
    const struct logtap_source_ops *source = lt_source_for(&cfg->source);
    if (!source)
        return lt_fail(err, LT_ERR_CONFIG, "source engine \"%s\" is not supported by this build", cfg->source.engine);
    struct lt_task_lock *lock;
    if (lt_task_lock_acquire(cfg, "drop", &lock, err))
        return LT_ERR_RUNTIME;
    int rc = LT_OK;
    struct removed r = {.dry_run = !confirm};
    if (!source->retire) {
        printf("task \"%s\": a %s source holds nothing for a task (the binlog position lives in the state store "
               "only); nothing to remove\n",
               cfg->task, cfg->source.engine);
    } else {
        struct lt_source *src;
        if (!(rc = source->open(&src, cfg, err))) {
            rc = source->retire(src, !confirm, print_removed, &r, err);
            source->close(src);
        }
        if (!rc && r.n == 0)
            printf("task \"%s\": nothing of it is left on the source\n", cfg->task);
    }
    if (!rc && confirm) {
        struct lt_state *st;
        struct lt_error ignored;
        if (lt_state_open_existing(cfg->state_path, &st, &ignored) == LT_OK) {
            char now[32];
            lt_format_timestamp_us(lt_now_us(), now);
            rc = lt_state_set_meta(st, "retired", now, err);
            lt_state_close(st);
        }
        if (!rc)
            printf("task \"%s\" retired: its files and its state store (%s) stay; `logtap replicate` cannot resume "
                   "it (start over with a new state path and a full load)\n",
                   cfg->task, cfg->state_path);
    } else if (!rc && r.n) {
        rc = lt_fail(err, LT_ERR_CONFIG, "nothing was removed: run `logtap drop --config ... --confirm` to remove it");
    }
    lt_task_lock_release(lock);
    return rc;
}
