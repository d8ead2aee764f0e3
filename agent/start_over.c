/* Starting a task over, only on purpose (see start_over.h). */
#include "agent/start_over.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "agent/file_sink.h"
#include "agent/log.h"
#include "agent/path_escape.h"
#include "agent/place.h"
#include "agent/target_root.h"
#include "agent/txn_stream.h"
#include "state/state_store.h"

/* "_replaced-YYYYMMDDTHHMMSSZ" for now, the same for every move of one run. */
static const char *replaced_name(void)
{
    static char name[40];
    if (!name[0]) {
        time_t t = time(NULL);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(name, sizeof name, "_replaced-%Y%m%dT%H%M%SZ", &tm);
    }
    return name;
}

int lt_start_over_state(const struct lt_task_config *cfg, struct lt_error *err)
{
    static const char *const suffixes[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        char from[4200], to[4300];
        snprintf(from, sizeof from, "%s%s", cfg->state_path, suffixes[i]);
        struct stat sb;
        if (stat(from, &sb) != 0)
            continue;
        snprintf(to, sizeof to, "%s.%s%s", cfg->state_path, replaced_name() + 1, suffixes[i]);
        if (rename(from, to) != 0)
            return lt_fail_errno(err, errno, "cannot move the state store %s aside", from);
        if (i == 0)
            lt_log_info("starting over: the state store %s is moved aside to %s", from, to);
    }
    return LT_OK;
}

int lt_start_over_check(const struct lt_task_config *cfg, const struct logtap_source_ops *source,
                        struct lt_source *src, struct lt_state *state, bool start_over, struct lt_error *err)
{
    char created[8];
    if (lt_state_get_meta(state, LT_META_SLOT_CREATED, created, sizeof created, err))
        return LT_ERR_RUNTIME;
    if (created[0] && !start_over)
        return LT_OK; /* this store began the task: a first run that did not finish is simply done again */
    struct lt_slot_status slot = {0};
    struct lt_error ignored;
    if (source->slot_status && source->slot_status(src, &slot, &ignored) != LT_OK)
        slot.exists = false;
    struct lt_table_refs refs;
    if (source->selected_tables(src, &refs, err))
        return LT_ERR_RUNTIME;
    /* the target's and the merge's places: folders, or object stores (where moving aside copies the objects) */
    struct lt_place target, merge;
    char merge_spool[4200];
    lt_place_spool_dir(cfg, "merge", merge_spool, sizeof merge_spool);
    int rc = lt_place_open_target(&target, cfg, err);
    if (rc) {
        lt_table_refs_free(&refs);
        return rc;
    }
    if ((rc = lt_place_open(&merge, cfg->merge.path, merge_spool, &cfg->target, err))) {
        lt_place_close(&target);
        lt_table_refs_free(&refs);
        return rc;
    }
    int with_files = 0;
    char first[1300] = "";
    for (int i = 0; !rc && i < refs.n; i++) {
        char rel[LT_TABLE_DIR_MAX], snap_rel[2 * LT_PATH_COMPONENT_MAX + 2], aside[LT_TABLE_DIR_MAX + 64],
            snap_aside[2 * LT_PATH_COMPONENT_MAX + 64];
        lt_target_table_dir(&cfg->target, refs.t[i].schema, refs.t[i].table, rel, sizeof rel);
        lt_path_table_dir(refs.t[i].schema, refs.t[i].table, snap_rel, sizeof snap_rel);
        snprintf(aside, sizeof aside, "%s/%s", replaced_name(), rel);
        snprintf(snap_aside, sizeof snap_aside, "%s/%s", replaced_name(), snap_rel);
        int64_t known = 0;
        bool holds = false;
        if (start_over) {
            rc = lt_place_move_tree(&target, rel, aside, err);
            if (!rc)
                rc = lt_place_move_tree(&merge, snap_rel, snap_aside, err);
        } else if (!(rc = lt_state_find_table(state, refs.t[i].schema, refs.t[i].table, &known, err)) && !known &&
                   !(rc = lt_place_holds_files(&target, rel, &holds, err)) && holds && with_files++ == 0) {
            /* files of a table this store does not know (its own, from an earlier load, it replaces) */
            lt_place_uri(&target, rel, first, sizeof first);
        }
    }
    lt_table_refs_free(&refs);
    if (!rc && start_over && cfg->target.preserve_transactions) { /* the transaction files go aside too */
        char txn[LT_TABLE_DIR_MAX], txn_aside[LT_TABLE_DIR_MAX + 64];
        lt_txn_dir(&cfg->target, txn, sizeof txn);
        snprintf(txn_aside, sizeof txn_aside, "%s/%s", replaced_name(), txn);
        rc = lt_place_move_tree(&target, txn, txn_aside, err);
    }
    lt_place_close(&target);
    lt_place_close(&merge);
    if (rc || start_over)
        return rc;
    if (!slot.exists && !with_files)
        return LT_OK;
    char what[1600];
    if (slot.exists && with_files)
        snprintf(what, sizeof what, "its replication slot %s exists (this state store did not create it) and %d of "
                 "its tables' folders hold files (%s%s)", cfg->source.slot, with_files, first,
                 with_files > 1 ? ", ..." : "");
    else if (slot.exists)
        snprintf(what, sizeof what, "its replication slot %s exists and this state store did not create it",
                 cfg->source.slot);
    else
        snprintf(what, sizeof what, "%d of its tables' folders hold files (%s%s)", with_files, first,
                 with_files > 1 ? ", ..." : "");
    return lt_fail(err, LT_ERR_RUNTIME,
                   "task \"%s\" has no checkpoint in its state store %s, but %s: the task ran before, and its state "
                   "store was lost, emptied or replaced. Starting from scratch would drop the slot and leave old "
                   "files beside the new load. Restore the state store, or run `logtap replicate --start-over` to "
                   "start the task over on purpose (a new full load; the old files and the state store are moved "
                   "aside to %s folders, not deleted)",
                   cfg->task, cfg->state_path, what, replaced_name());
}
