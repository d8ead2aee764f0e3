/* The merge job (see merge.h): per table, choose the base and the changes from the state store's manifest (never
 * from a directory listing), run the table merge (merge_engine.c), write the snapshot folder under a temp name,
 * fsync, rename, record it, then drop snapshots beyond merge.keep. One merge at a time (a lock file); safe while
 * `replicate` runs, since only committed manifest rows are read. With an object store (agent/place.h) the inputs
 * are downloaded one at a time into the merge's spool folder, and the snapshot is written there, then uploaded:
 * its part object first, then an empty "_SUCCESS" object marking it complete, then its record in the state store;
 * dropping a snapshot removes its _SUCCESS first. */
#include "agent/merge.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent/cli_position.h"
#include "agent/data_file.h"
#include "agent/file_crc.h"
#include "agent/file_sink.h"
#include "agent/log.h"
#include "agent/merge_engine.h"
#include "agent/path_escape.h"
#include "agent/place.h"
#include "agent/schema_json.h"
#include "agent/source.h"
#include "agent/target.h"
#include "agent/task_metrics.h"
#include "agent/utc_time.h"
#include "state/state_store.h"

/* One file of a chain: where it is, the manifest's record of its columns, and of its size and rows (the file is
 * checked against them: a file cut short or replaced is refused, never merged). */
struct chain_file {
    struct lt_place *place;
    char *rel;
    char *schema_json;
    int64_t rows, bytes;
    char first_pos[LT_POS_MAX + 1], last_pos[LT_POS_MAX + 1]; /* the manifest's */
    int64_t ts_first_us, ts_last_us;
    bool no_pos;               /* written without _logtap_pos (target.LogtapColumns false): merged whole */
    bool has_crc32;            /* the manifest's checksum of the content */
    uint32_t crc32;
};

/* Rows of several files in order, optionally limited to positions in (after, upto] and commit times <= ts. */
struct file_chain {
    struct chain_file *files;
    int n, cap, next;
    struct lt_data_file *cur;
    char cur_path[4600];       /* the current file's local path (a download, from an object store) */
    int64_t cur_rows;          /* rows read from the current file */
    const char *tmp_dir;       /* where downloads go */
    const struct lt_table_schema *schema;
    const struct lt_target_config *cfg;
    const char *after;
    const char *upto;
    int64_t until_us;
    /* Manifest order (some file has no _logtap_pos): each change gets the position "FFFFFFFFFF:RRRRRRRRRRRRRRRRRRRR",
     * its file's place in the chain and its row's place in the file (from 1), so the merge engine orders changes,
     * tells a key change's D and I apart (consecutive rows) and places TRUNCATEs (at row 0 of the file after
     * them) as it does with real positions. */
    bool manifest_order;
    /* what passed the filter */
    char last_pos[LT_POS_MAX + 1];
    int64_t last_ts_us;
    int64_t rows;
};

#define MANIFEST_POS_FORMAT "%010d:%020lld"

static int chain_add(struct file_chain *c, struct lt_place *place, const char *rel, const char *schema_json,
                     int64_t rows, int64_t bytes, struct lt_error *err);

/* A manifest row as a file of a chain: its positions and times too, and whether it has _logtap_pos. */
static int chain_add_file(struct file_chain *c, struct lt_place *place, const struct lt_manifest_file *f,
                          struct lt_error *err)
{
    if (chain_add(c, place, f->path, f->schema_json, f->rows, f->bytes, err))
        return LT_ERR_RUNTIME;
    struct chain_file *cf = &c->files[c->n - 1];
    snprintf(cf->first_pos, sizeof cf->first_pos, "%s", f->first_pos ? f->first_pos : "");
    snprintf(cf->last_pos, sizeof cf->last_pos, "%s", f->last_pos ? f->last_pos : "");
    cf->ts_first_us = f->commit_ts_first_us;
    cf->ts_last_us = f->commit_ts_last_us;
    cf->no_pos = f->schema_json && strstr(f->schema_json, "\"pos\":false") != NULL;
    cf->has_crc32 = f->has_crc32;
    cf->crc32 = f->crc32;
    return LT_OK;
}

static int chain_add(struct file_chain *c, struct lt_place *place, const char *rel, const char *schema_json,
                     int64_t rows, int64_t bytes, struct lt_error *err)
{
    if (c->n == c->cap) {
        int cap = c->cap ? c->cap * 2 : 16;
        struct chain_file *f = realloc(c->files, (size_t)cap * sizeof *f);
        if (!f)
            return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
        c->files = f;
        c->cap = cap;
    }
    char *path = strdup(rel);
    char *json = strdup(schema_json ? schema_json : "");
    if (!path || !json) {
        free(path);
        free(json);
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    }
    c->files[c->n++] = (struct chain_file){.place = place, .rel = path, .schema_json = json, .rows = rows,
                                           .bytes = bytes, .no_pos = strstr(json, "\"pos\":false") != NULL};
    return LT_OK;
}

static void chain_free(struct file_chain *c)
{
    lt_data_file_close(c->cur);
    if (c->cur)
        lt_place_unfetch(c->files[c->next - 1].place, c->cur_path);
    for (int i = 0; i < c->n; i++) {
        free(c->files[i].rel);
        free(c->files[i].schema_json);
    }
    free(c->files);
    memset(c, 0, sizeof *c);
}

static int chain_next(void *ctx, struct lt_row *row, struct lt_error *err)
{
    struct file_chain *c = ctx;
    for (;;) {
        if (!c->cur) {
            if (c->next >= c->n)
                return 0;
            struct chain_file *f = &c->files[c->next++];
            int64_t bytes = 0;
            bool missing;
            if (lt_place_fetch(f->place, f->rel, c->tmp_dir, c->cur_path, sizeof c->cur_path, &bytes, &missing,
                               err)) {
                lt_error_prefix(err, "%s", missing ? "a file the manifest records is missing: " : "");
                return -1;
            }
            if (f->bytes > 0 && bytes != f->bytes) {
                char name[1200];
                lt_place_uri(f->place, f->rel, name, sizeof name);
                lt_place_unfetch(f->place, c->cur_path);
                lt_fail(err, LT_ERR_RUNTIME,
                        "%s is %lld bytes, the manifest recorded %lld when it was written: it was cut short or "
                        "replaced; refusing to merge it",
                        name, (long long)bytes, (long long)f->bytes);
                return -1;
            }
            uint32_t crc = 0;
            if (f->has_crc32 && (lt_file_crc32(c->cur_path, &crc, err) || crc != f->crc32)) {
                char name[1200];
                lt_place_uri(f->place, f->rel, name, sizeof name);
                lt_place_unfetch(f->place, c->cur_path);
                if (crc != f->crc32)
                    lt_fail(err, LT_ERR_RUNTIME,
                            "%s has CRC-32 %08x, the manifest recorded %08x when it was written: its content changed "
                            "since; refusing to merge it",
                            name, crc, f->crc32);
                return -1;
            }
            if (lt_data_file_open(c->cur_path, f->schema_json, c->schema, c->cfg, &c->cur, err)) {
                lt_place_unfetch(f->place, c->cur_path);
                return -1;
            }
            c->cur_rows = 0;
        }
        int got = lt_data_file_next(c->cur, row, err);
        if (got < 0)
            return -1;
        if (got == 0) {
            const struct chain_file *f = &c->files[c->next - 1];
            lt_data_file_close(c->cur);
            c->cur = NULL;
            lt_place_unfetch(f->place, c->cur_path);
            if (f->rows >= 0 && c->cur_rows != f->rows) {
                char name[1200];
                lt_place_uri(f->place, f->rel, name, sizeof name);
                lt_fail(err, LT_ERR_RUNTIME,
                        "%s holds %lld rows, the manifest recorded %lld when it was written: refusing to merge it",
                        name, (long long)c->cur_rows, (long long)f->rows);
                return -1;
            }
            continue;
        }
        c->cur_rows++;
        const struct chain_file *f = &c->files[c->next - 1];
        if (f->no_pos) {
            /* a file without _logtap_pos is taken whole (merge_table checked it lies inside the point asked for):
             * its rows stand at the file's position (a load or a snapshot), or get their manifest order */
            snprintf(row->pos, sizeof row->pos, "%s", f->first_pos);
            snprintf(c->last_pos, sizeof c->last_pos, "%s", f->last_pos);
        } else {
            if (c->after && strcmp(row->pos, c->after) <= 0)
                continue;
            if (c->upto && strcmp(row->pos, c->upto) > 0)
                continue;
            if (c->until_us && row->commit_ts_us > c->until_us)
                continue;
            memcpy(c->last_pos, row->pos, sizeof c->last_pos);
        }
        if (c->manifest_order)
            snprintf(row->pos, sizeof row->pos, MANIFEST_POS_FORMAT, c->next, (long long)c->cur_rows);
        if (row->commit_ts_us > c->last_ts_us)
            c->last_ts_us = row->commit_ts_us;
        c->rows++;
        return 1;
    }
}

/* What a merge needs to know of one table. */
struct table_plan {
    int64_t table_id;
    char schema_name[256], table_name[256];
    char table_dir[2 * LT_PATH_COMPONENT_MAX + 2];
    struct lt_table_schema *schema;       /* the newest columns */
    char *base_snapshot_pos;              /* NULL: the base is the full load */
    int64_t base_ts_us;
    struct file_chain base, changes;
    char **truncates;
    int ntruncates, truncates_cap;
    int64_t max_file_ts_us;
    const struct lt_task_config *cfg;
    struct lt_place *target;              /* where the load and CDC files are */
    const char *upto;
    int64_t until_us;
    bool time_needs_rows;                 /* --as-of TIME cuts a file without a commit-time column */
    char *partial_file;                   /* a CDC file that leaves changes out (CdcInsertsOnly...), if any */
    const char *partial_ops;
};

struct plan_ctx {
    struct table_plan *plan;
    char *newest_json;
    char newest_first[LT_POS_MAX + 1];
    int rc;
};

static int pick_newest_schema(void *arg, const struct lt_manifest_file *f)
{
    struct plan_ctx *c = arg;
    /* the columns in effect at the requested point: files that start after it do not count */
    if (f->kind == LT_FILE_CDC && ((c->plan->upto && strcmp(f->first_pos, c->plan->upto) > 0) ||
                                   (c->plan->until_us && f->commit_ts_first_us > c->plan->until_us)))
        return 0;
    if (f->schema_json && (!c->newest_json || strcmp(f->first_pos, c->newest_first) >= 0)) {
        free(c->newest_json);
        c->newest_json = strdup(f->schema_json);
        snprintf(c->newest_first, sizeof c->newest_first, "%s", f->first_pos);
    }
    return 0;
}

/* The manifest's checksum of the file just added to a chain. */
static void chain_note_crc(struct file_chain *c, bool has_crc32, uint32_t crc32)
{
    c->files[c->n - 1].has_crc32 = has_crc32;
    c->files[c->n - 1].crc32 = crc32;
}

static int add_load_file(void *arg, const struct lt_manifest_file *f)
{
    struct table_plan *p = arg;
    struct lt_error err;
    return chain_add_file(&p->base, p->target, f, &err);
}

static int add_cdc_file(void *arg, const struct lt_manifest_file *f)
{
    struct table_plan *p = arg;
    struct lt_error err;
    if (p->upto && strcmp(f->first_pos, p->upto) > 0)
        return 0;
    if (p->until_us && f->commit_ts_first_us > p->until_us)
        return 0;
    if (p->until_us && f->commit_ts_last_us > p->until_us) {
        struct lt_table_schema *s;
        struct lt_file_columns extra;
        if (lt_schema_from_json(f->schema_json, &s, &extra, &err) == LT_OK) {
            if (!extra.ts_column)
                p->time_needs_rows = true;
            lt_schema_free(s);
            lt_file_columns_free(&extra);
        }
    }
    if (f->commit_ts_last_us > p->max_file_ts_us)
        p->max_file_ts_us = f->commit_ts_last_us;
    if (!p->partial_file && f->schema_json && strstr(f->schema_json, "\"cdc_ops\":")) {
        struct lt_table_schema *s;
        struct lt_file_columns extra;
        if (lt_schema_from_json(f->schema_json, &s, &extra, &err) == LT_OK) {
            if (extra.cdc_ops) {
                p->partial_file = strdup(f->path);
                p->partial_ops = extra.cdc_ops;
            }
            lt_schema_free(s);
            lt_file_columns_free(&extra);
        }
    }
    return chain_add_file(&p->changes, p->target, f, &err);
}

static int add_truncate(void *arg, const char *pos, int64_t ts)
{
    struct table_plan *p = arg;
    if ((p->upto && strcmp(pos, p->upto) > 0) || (p->until_us && ts > p->until_us))
        return 0;
    if (p->ntruncates == p->truncates_cap) {
        int cap = p->truncates_cap ? p->truncates_cap * 2 : 8;
        char **t = realloc(p->truncates, (size_t)cap * sizeof *t);
        if (!t)
            return 1;
        p->truncates = t;
        p->truncates_cap = cap;
    }
    p->truncates[p->ntruncates++] = strdup(pos);
    if (ts > p->max_file_ts_us)
        p->max_file_ts_us = ts;
    return 0;
}

struct snap_pick {
    const char *load_pos;      /* snapshots built before the table's current load are not a base */
    const char *upto;
    int64_t until_us;
    char *pos;
    char *path;
    char *schema_json;
    int64_t ts;
    int64_t rows, bytes;
    bool has_crc32;
    uint32_t crc32;
};

static int pick_snapshot(void *arg, const struct lt_snapshot_record *r)
{
    struct snap_pick *s = arg;
    if (s->pos)
        return 0;
    if ((s->upto && strcmp(r->pos, s->upto) > 0) || (s->until_us && r->commit_ts_us > s->until_us) ||
        (s->load_pos && strcmp(r->pos, s->load_pos) < 0))
        return 0;
    s->pos = strdup(r->pos);
    s->path = strdup(r->path);
    s->schema_json = strdup(r->schema_json);
    s->ts = r->commit_ts_us;
    s->rows = r->rows;
    s->bytes = r->bytes;
    s->has_crc32 = r->has_crc32;
    s->crc32 = r->crc32;
    return 0;
}

static void format_snapshot_name(int64_t us, char out[32])
{
    time_t secs = (time_t)(us / 1000000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    snprintf(out, 32, "%04d%02d%02dT%02d%02d%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec);
}

static int remove_tree(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return errno == ENOENT ? 0 : -1;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char p[4600];
        snprintf(p, sizeof p, "%s/%s", path, e->d_name);
        struct stat sb;
        if (lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
            remove_tree(p);
        else
            unlink(p);
    }
    closedir(d);
    return rmdir(path);
}

struct emit_ctx {
    struct lt_file_sink *sink;
};

static int emit_to_sink(void *arg, const struct lt_row *row, struct lt_error *err)
{
    struct emit_ctx *e = arg;
    return lt_sink_write_row(e->sink, row, err);
}

struct sink_result {
    int64_t rows, bytes;
    uint32_t crc32;
};

static int on_snapshot_file(void *arg, const struct lt_sink_file_info *info, struct lt_error *err)
{
    (void)err;
    struct sink_result *r = arg;
    r->rows = info->rows;
    r->bytes = info->bytes;
    r->crc32 = info->crc32;
    return LT_OK;
}

struct keep_ctx {
    int keep, seen;
    int64_t ids[4096];
    char *dirs[4096];          /* relative to merge.path */
    int ndrop;
};

static int collect_old(void *arg, const struct lt_snapshot_record *r)
{
    struct keep_ctx *k = arg;
    if (++k->seen <= k->keep || k->ndrop >= 4096)
        return 0;
    k->ids[k->ndrop] = r->id;
    char dir[4600];
    snprintf(dir, sizeof dir, "%s", r->path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    k->dirs[k->ndrop++] = strdup(dir);
    return 0;
}

/* Removes temp and set-aside folders a killed merge left in a table's snapshot folder (the lock is held). */
static void remove_stale_folders(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, ".snapshot-tmp-", 14) != 0 && strncmp(e->d_name, ".snapshot-old-", 14) != 0)
            continue;
        char p[4600];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        remove_tree(p);
    }
    closedir(d);
}

const char *lt_merge_skip_reason(const char *state)
{
    return !strcmp(state, "cdc")       ? "followed without a full load (migration_type cdc)"
           : !strcmp(state, "dropped") ? "dropped at the source (or no longer selected)"
                                       : "its load is not complete";
}

/* When a table's load was taken: the task's full-load snapshot time, or for a table that joined later (its load
 * at another position) the time its load started, "YYYY-MM-DDTHH:MM:SS.fffZ" in the state store. */
static int64_t table_load_time_us(struct lt_state *st, const struct lt_table_status *t, struct lt_error *err)
{
    char pos[LT_POS_MAX + 1], ts[32];
    int64_t us = 0;
    if (!lt_state_get_meta(st, "full_load_snapshot_pos", pos, sizeof pos, err) &&
        (!t->load_pos[0] || strcmp(pos, t->load_pos) == 0)) {
        if (!lt_state_get_meta(st, "full_load_snapshot_time_us", ts, sizeof ts, err))
            us = strtoll(ts, NULL, 10);
        return us;
    }
    char text[32];
    snprintf(text, sizeof text, "%s", t->full_load_started);
    size_t n = strlen(text);
    if (n > 10 && text[10] == 'T')
        text[10] = ' ';
    if (n && text[n - 1] == 'Z')
        text[--n] = '\0';
    return lt_utc_time_parse_column(text, n, &us) ? us : 0;
}

static void checkpoint_form(const struct logtap_source_ops *source, struct lt_state *st, const char *key,
                            const char *pos, char out[LT_CHECKPOINT_MAX]);

/* A position as the user gives it back: its checkpoint, else the _logtap_pos value itself. */
static void point_text(const struct logtap_source_ops *source, struct lt_state *st, const char *pos,
                       char out[LT_CHECKPOINT_MAX])
{
    checkpoint_form(source, st, NULL, pos, out);
    if (!out[0])
        snprintf(out, LT_CHECKPOINT_MAX, "%s", pos);
}

/* Files written without _logtap_pos (target.LogtapColumns false) say where their changes are only by the manifest's
 * first and last position of each file: they are merged whole, in the manifest's order (by first position), each
 * file's rows in their order, and the changes of the chain get positions of that order (MANIFEST_POS_FORMAT),
 * TRUNCATEs included (truncates_order). What that cannot do exactly is refused (LT_ERR_CONFIG, saying why and
 * which points work): a point (--as-of) inside such a file, a TRUNCATE inside a file, files that overlap. */
static int plan_manifest_order(const struct logtap_source_ops *source, struct lt_state *st,
                               const struct lt_table_status *t, struct table_plan *p, const char *after,
                               char ***truncates_order, struct lt_error *err)
{
    struct file_chain *c = &p->changes;
    bool any = false;
    for (int i = 0; i < c->n; i++)
        any |= c->files[i].no_pos;
    if (!any)
        return LT_OK;
    char a[LT_CHECKPOINT_MAX], b[LT_CHECKPOINT_MAX], prev[LT_CHECKPOINT_MAX];
    for (int i = 0; i < c->n; i++) {
        const struct chain_file *f = &c->files[i];
        const char *rel = f->rel;
        if (i > 0 && strcmp(f->first_pos, c->files[i - 1].last_pos) <= 0)
            return lt_fail(err, LT_ERR_CONFIG,
                           "merge: %s.%s: CDC files %s and %s overlap (%s..%s and %s..%s); without _logtap_pos in "
                           "them their changes cannot be put in order",
                           t->schema_name, t->table_name, c->files[i - 1].rel, rel, c->files[i - 1].first_pos,
                           c->files[i - 1].last_pos, f->first_pos, f->last_pos);
        if (!f->no_pos)
            continue;
        point_text(source, st, f->last_pos, b);
        char before[LT_CHECKPOINT_MAX];
        if (i > 0) {
            point_text(source, st, c->files[i - 1].last_pos, before);
            snprintf(prev, sizeof prev, "%s (the end of the file before it)", before);
        } else {
            snprintf(prev, sizeof prev, "a point before its first change");
        }
        if (after && strcmp(f->first_pos, after) <= 0) {
            point_text(source, st, after, a);
            return lt_fail(err, LT_ERR_CONFIG,
                           "merge: %s.%s: CDC file %s holds changes both in and after the base the merge starts "
                           "from (%s), and has no _logtap_pos (target.LogtapColumns false) to tell them apart; it "
                           "cannot be merged exactly",
                           t->schema_name, t->table_name, rel, a);
        }
        if (p->upto && strcmp(f->last_pos, p->upto) > 0)
            return lt_fail(err, LT_ERR_CONFIG,
                           "merge: %s.%s: the --as-of point falls inside CDC file %s (its changes run up to %s), "
                           "written without _logtap_pos (target.LogtapColumns false): such a file is merged whole, so "
                           "a point works only between files: give %s (the file's end) or %s (the file before it). "
                           "Without --as-of the merge goes to the checkpoint, which always works",
                           t->schema_name, t->table_name, rel, b, b, prev);
        if (p->until_us && f->ts_last_us > p->until_us) {
            char t1[LT_UTC_TIME_MAX], t2[LT_UTC_TIME_MAX];
            lt_utc_time_format(f->ts_first_us, t1);
            lt_utc_time_format(f->ts_last_us, t2);
            return lt_fail(err, LT_ERR_CONFIG,
                           "merge: %s.%s: the --as-of time falls inside CDC file %s (commits from %s to %s), "
                           "written without _logtap_pos (target.LogtapColumns false): such a file is merged whole, "
                           "so a time works only between files: give %s or a time before %s (or a checkpoint: %s, "
                           "%s). Without --as-of the merge goes to the checkpoint, which always works",
                           t->schema_name, t->table_name, rel, t1, t2, t2, t1, b, prev);
        }
    }
    /* TRUNCATEs between files get the position of row 0 of the file after them */
    char **order = calloc(p->ntruncates > 0 ? (size_t)p->ntruncates : 1, sizeof *order);
    if (!order)
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    for (int k = 0; k < p->ntruncates; k++) {
        const char *tp = p->truncates[k];
        int next = 0; /* index of the first file after it */
        while (next < c->n && strcmp(c->files[next].first_pos, tp) < 0)
            next++;
        if (next > 0 && strcmp(tp, c->files[next - 1].last_pos) < 0) {
            for (int j = 0; j < k; j++)
                free(order[j]);
            free(order);
            return lt_fail(err, LT_ERR_CONFIG,
                           "merge: %s.%s: a TRUNCATE at %s lies inside CDC file %s, and the files have no _logtap_pos "
                           "(target.LogtapColumns false) to place it among the file's changes",
                           t->schema_name, t->table_name, tp, c->files[next - 1].rel);
        }
        char pos[LT_POS_MAX + 1];
        snprintf(pos, sizeof pos, MANIFEST_POS_FORMAT, next + 1, 0LL);
        if (!(order[k] = strdup(pos))) {
            for (int j = 0; j < k; j++)
                free(order[j]);
            free(order);
            return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
        }
    }
    *truncates_order = order;
    c->manifest_order = true;
    return LT_OK;
}

/* Merges one table; *wrote tells whether a new snapshot was written. */
static int merge_table(const struct lt_task_config *cfg, const struct logtap_source_ops *source, struct lt_place *tp,
                       struct lt_place *mp, const char *inputs, struct lt_state *st, const struct lt_table_status *t,
                       const char *upto, int64_t until_us, bool explicit_point, bool *wrote, struct lt_error *err)
{
    char **truncates_order = NULL; /* TRUNCATEs in manifest order, when the changes are in it */
    *wrote = false;
    /* only a table whose load is complete has a base; its changes count after its load's position */
    if (strcmp(t->state, "loaded") != 0) {
        const char *why = lt_merge_skip_reason(t->state);
        lt_log_table(LT_LOG_INFO, t->schema_name, t->table_name, "%s.%s: no snapshot: %s (state %s)", t->schema_name,
                     t->table_name, why, t->state);
        printf("%s.%s: skipped, %s (state %s)\n", t->schema_name, t->table_name, why, t->state);
        return LT_OK;
    }
    const char *load_pos = t->load_pos[0] ? t->load_pos : NULL;
    if (load_pos && upto && strcmp(upto, load_pos) < 0) {
        lt_log_table(LT_LOG_INFO, t->schema_name, t->table_name,
                     "%s.%s: no snapshot as of that point: the table's load is at %s, after it", t->schema_name,
                    t->table_name, load_pos);
        printf("%s.%s: skipped, loaded at %s, after the %s point\n", t->schema_name, t->table_name, load_pos,
               explicit_point ? "--as-of" : "checkpoint's");
        return LT_OK;
    }
    const struct logtap_target_ops *target = lt_target_for(&cfg->target);
    struct table_plan p;
    memset(&p, 0, sizeof p);
    p.cfg = cfg;
    p.target = tp;
    p.table_id = t->id;
    p.upto = upto;
    p.until_us = until_us;
    p.base.tmp_dir = p.changes.tmp_dir = inputs; /* downloads of inputs from an object store */
    int rc = LT_OK;
    /* the newest columns: the newest file of the table */
    struct plan_ctx pc = {.plan = &p};
    if ((rc = lt_state_each_file(st, t->id, LT_FILE_LOAD, NULL, pick_newest_schema, &pc, err)) ||
        (rc = lt_state_each_file(st, t->id, LT_FILE_CDC, NULL, pick_newest_schema, &pc, err)))
        goto out;
    struct snap_pick sp = {.load_pos = load_pos, .upto = upto, .until_us = until_us};
    if ((rc = lt_state_each_snapshot(st, t->id, pick_snapshot, &sp, err)))
        goto out;
    if (!pc.newest_json && sp.schema_json)
        pc.newest_json = strdup(sp.schema_json);
    if (!pc.newest_json && (rc = lt_state_get_load_schema(st, t->id, &pc.newest_json, err)))
        goto out; /* an empty table: no file, but its load recorded the columns */
    if (!pc.newest_json) {
        lt_log_table(LT_LOG_INFO, t->schema_name, t->table_name, "%s.%s: no files yet, nothing to merge", t->schema_name,
                     t->table_name);
        goto out;
    }
    struct lt_file_columns extra;
    if ((rc = lt_schema_from_json(pc.newest_json, &p.schema, &extra, err)))
        goto out;
    lt_file_columns_free(&extra);
    /* the snapshot is named as the files are: a table the transformation rules rename has its new names */
    lt_path_table_dir(p.schema->schema_name, p.schema->table_name, p.table_dir, sizeof p.table_dir);
    char table_snap_dir[4600];
    snprintf(table_snap_dir, sizeof table_snap_dir, "%s/%s", mp->root, p.table_dir);
    remove_stale_folders(table_snap_dir);
    if (p.schema->origin_schema && (strcmp(p.schema->schema_name, t->schema_name) || strcmp(p.schema->table_name, t->table_name)))
        lt_log_table(LT_LOG_INFO, t->schema_name, t->table_name, "%s.%s: its files are %s.%s (table mapping)",
                     t->schema_name, t->table_name, p.schema->schema_name, p.schema->table_name);
    p.base.schema = p.changes.schema = p.schema;
    p.base.cfg = p.changes.cfg = &cfg->target;
    if (sp.pos) {
        p.base_snapshot_pos = sp.pos;
        p.base_ts_us = sp.ts;
        if ((rc = chain_add(&p.base, mp, sp.path, sp.schema_json, sp.rows, sp.bytes, err)))
            goto out;
        /* a snapshot without _logtap_pos: its rows stand at the snapshot's position */
        snprintf(p.base.files[0].first_pos, sizeof p.base.files[0].first_pos, "%s", sp.pos);
        snprintf(p.base.files[0].last_pos, sizeof p.base.files[0].last_pos, "%s", sp.pos);
        chain_note_crc(&p.base, sp.has_crc32, sp.crc32);
    } else {
        if ((rc = lt_state_each_file(st, t->id, LT_FILE_LOAD, NULL, add_load_file, &p, err)))
            goto out;
        p.base_ts_us = table_load_time_us(st, t, err);
    }
    /* changes after the base: after the snapshot, else after the load's position (the load holds the ones before) */
    const char *after = p.base_snapshot_pos ? p.base_snapshot_pos : load_pos;
    if ((rc = lt_state_each_file(st, t->id, LT_FILE_CDC, after, add_cdc_file, &p, err)) ||
        (rc = lt_state_each_event(st, t->id, after, add_truncate, &p, err)))
        goto out;
    if (p.partial_file) {
        rc = lt_fail(err, LT_ERR_CONFIG,
                     "merge: %s.%s: CDC file %s holds only %s (it was written with %s): it cannot give the table's "
                     "state; no snapshot is written",
                     t->schema_name, t->table_name, p.partial_file,
                     !strcmp(p.partial_ops, "I") ? "inserts" : !strcmp(p.partial_ops, "IU") ? "inserts and updates"
                                                                                            : "some changes",
                     !strcmp(p.partial_ops, "I") ? "CdcInsertsOnly" : "CdcInsertsAndUpdates");
        goto out;
    }
    if ((rc = plan_manifest_order(source, st, t, &p, after, &truncates_order, err)))
        goto out;
    if (p.time_needs_rows) {
        rc = lt_fail(err, LT_ERR_CONFIG,
                     "%s.%s: --as-of a time falls inside a CDC file without a commit-time column; give a position, "
                     "or set target.TimestampColumnName so files carry each change's commit time",
                     t->schema_name, t->table_name);
        goto out;
    }
    if (sp.pos && p.changes.n == 0 && p.ntruncates == 0) {
        lt_log_table(LT_LOG_INFO, t->schema_name, t->table_name, "%s.%s: snapshot at %s is up to date", t->schema_name,
                     t->table_name, sp.pos);
        goto out;
    }
    p.changes.after = after;
    p.changes.upto = upto;
    p.changes.until_us = until_us;

    /* the snapshot folder, under a temp name first */
    char tmpdir_rel[1024];
    snprintf(tmpdir_rel, sizeof tmpdir_rel, "%s/.snapshot-tmp-%d", p.table_dir, (int)getpid());
    char tmpdir[4600];
    snprintf(tmpdir, sizeof tmpdir, "%s/%s", mp->root, tmpdir_rel);
    remove_tree(tmpdir);
    struct sink_result res = {0};
    struct lt_file_sink *sink = NULL;
    struct lt_sink_options so = {
        .target = target, .cfg = &cfg->target, .root = mp->root, .table_dir = tmpdir_rel,
        .layout = {.schema = p.schema, .with_op = false, .ts_column = NULL, .with_unchanged = false,
                   .no_pos = !cfg->target.logtap_columns},
        .on_file = on_snapshot_file, .ctx = &res,
    };
    char part[64];
    snprintf(part, sizeof part, "part-00000.%s", target->extension);
    if ((rc = lt_sink_open(&sink, &so, err)) || (rc = lt_sink_begin_file(sink, part, err))) {
        lt_sink_free(sink);
        goto out;
    }
    struct lt_merge_input in = {
        .schema = p.schema,
        .base = {.next = chain_next, .ctx = &p.base},
        .changes = {.next = chain_next, .ctx = &p.changes},
        .truncates = (const char *const *)(truncates_order ? truncates_order : p.truncates),
        .ntruncates = p.ntruncates,
        .memory_limit = (uint64_t)cfg->merge.memory_limit_mb * 1024 * 1024 * 3 / 4,
        .spill_dir = mp->root,
    };
    for (int i = 0; i < p.changes.n; i++) { /* the engine sizes its partitions from these */
        in.changes_rows += p.changes.files[i].rows > 0 ? p.changes.files[i].rows : 0;
        in.changes_bytes += p.changes.files[i].bytes > 0 ? p.changes.files[i].bytes : 0;
    }
    struct emit_ctx ec = {.sink = sink};
    struct lt_merge_stats ms;
    rc = lt_merge_table(&in, emit_to_sink, &ec, &ms, err);
    if (!rc)
        rc = lt_sink_close_file(sink, err);
    lt_sink_free(sink);
    if (rc) {
        remove_tree(tmpdir);
        lt_error_prefix(err, "%s.%s: ", t->schema_name, t->table_name);
        goto out;
    }
    /* the point in time: the newest change included, else the base's */
    char last_pos[LT_POS_MAX + 1];
    int64_t ts_us = p.base_ts_us;
    snprintf(last_pos, sizeof last_pos, "%s", p.base_snapshot_pos ? p.base_snapshot_pos : "");
    if (p.changes.rows) {
        snprintf(last_pos, sizeof last_pos, "%s", p.changes.last_pos);
        ts_us = p.changes.last_ts_us ? p.changes.last_ts_us : p.max_file_ts_us;
    }
    for (int i = 0; i < p.ntruncates; i++)
        if (strcmp(p.truncates[i], last_pos) > 0)
            snprintf(last_pos, sizeof last_pos, "%s", p.truncates[i]);
    if (!last_pos[0] && load_pos)
        snprintf(last_pos, sizeof last_pos, "%s", load_pos);
    if (!last_pos[0]) { /* a load recorded before tables had their own position */
        char snap_pos[LT_POS_MAX + 1];
        lt_state_get_meta(st, "full_load_snapshot_pos", snap_pos, sizeof snap_pos, err);
        snprintf(last_pos, sizeof last_pos, "%s", snap_pos);
    }
    if (ts_us <= 0)
        ts_us = (int64_t)time(NULL) * 1000000;
    char name[32];
    format_snapshot_name(ts_us, name);
    char final_rel[1024];
    snprintf(final_rel, sizeof final_rel, "%s/snapshot=%s", p.table_dir, name);
    if (lt_place_remote(mp)) {
        /* the part object, then _SUCCESS: a reader that lists snapshot= folders with a _SUCCESS sees only complete
         * ones (a snapshot of the same name is replaced object by object, each PUT atomic) */
        char local_part[4700], part_rel[1200], marker_rel[1200];
        snprintf(local_part, sizeof local_part, "%s/%s", tmpdir, part);
        snprintf(part_rel, sizeof part_rel, "%s/%s", final_rel, part);
        snprintf(marker_rel, sizeof marker_rel, "%s/_SUCCESS", final_rel);
        rc = lt_place_publish_file(mp, local_part, part_rel, err);
        if (!rc)
            rc = lt_place_put_marker(mp, marker_rel, err);
        remove_tree(tmpdir);
        if (rc) {
            lt_error_prefix(err, "%s.%s: ", t->schema_name, t->table_name);
            goto out;
        }
    } else {
        char final_dir[4600], old_dir[4700];
        snprintf(final_dir, sizeof final_dir, "%s/%s", mp->root, final_rel);
        snprintf(old_dir, sizeof old_dir, "%s/%s/.snapshot-old-%d", mp->root, p.table_dir, (int)getpid());
        struct stat sb;
        bool replacing = stat(final_dir, &sb) == 0;
        if (replacing && rename(final_dir, old_dir) != 0) {
            rc = lt_fail(err, LT_ERR_RUNTIME, "cannot move %s aside: %s", final_dir, strerror(errno));
            remove_tree(tmpdir);
            goto out;
        }
        if (rename(tmpdir, final_dir) != 0) {
            rc = lt_fail(err, LT_ERR_RUNTIME, "cannot rename %s to %s: %s", tmpdir, final_dir, strerror(errno));
            if (replacing)
                rename(old_dir, final_dir);
            remove_tree(tmpdir);
            goto out;
        }
        char parent[4600];
        snprintf(parent, sizeof parent, "%s/%s", mp->root, p.table_dir);
        if ((rc = lt_fsync_dir(parent, err)))
            goto out;
        if (replacing)
            remove_tree(old_dir);
    }
    struct lt_file_columns snap_cols = {.op = false, .ts_column = NULL, .unchanged = false,
                                        .no_pos = !cfg->target.logtap_columns};
    char *json = lt_schema_to_json(p.schema, &snap_cols);
    char rel[1200];
    snprintf(rel, sizeof rel, "%s/%s", final_rel, part);
    struct lt_snapshot_record rec = {
        .table_id = t->id, .name = name, .path = rel, .pos = last_pos, .commit_ts_us = ts_us,
        .rows = res.rows, .bytes = res.bytes, .schema_json = json ? json : "{}", .has_crc32 = true,
        .crc32 = res.crc32,
    };
    rc = lt_state_add_snapshot(st, &rec, err);
    free(json);
    if (rc)
        goto out;
    *wrote = true;
    lt_task_metrics_file("snapshot", res.bytes);
    lt_task_metrics_poke();
    lt_log_table(LT_LOG_INFO, t->schema_name, t->table_name,
                 "%s.%s: snapshot=%s: %" PRId64 " rows (base %" PRId64 ", changes %" PRId64 ", partitions %d)%s%s",
                t->schema_name, t->table_name, name, ms.rows_out, ms.base_rows, ms.changes, ms.partitions,
                ms.unresolved ? " (some unchanged values had no earlier value: written as NULL)" : "",
                !strcmp(t->capture, "inserts") ? " (its INSERTs only: the table has no key, UPDATE and DELETE are not "
                                                 "captured)"
                                               : "");
    /* keep the newest merge.keep snapshots */
    struct keep_ctx *k = calloc(1, sizeof *k);
    if (k) {
        k->keep = cfg->merge.keep;
        if (!lt_state_each_snapshot(st, t->id, collect_old, k, err))
            for (int i = 0; i < k->ndrop; i++) {
                struct lt_error rerr = {0};
                if (k->dirs[i] && lt_place_remove_tree(mp, k->dirs[i], "_SUCCESS", &rerr))
                    lt_log_warn("%s.%s: an old snapshot stays: %s", t->schema_name, t->table_name, rerr.msg);
                else
                    lt_state_delete_snapshot(st, k->ids[i], err);
            }
        for (int i = 0; i < k->ndrop; i++)
            free(k->dirs[i]);
        free(k);
    }
out:
    free(pc.newest_json);
    free(sp.pos);
    free(sp.path);
    free(sp.schema_json);
    chain_free(&p.base);
    chain_free(&p.changes);
    for (int i = 0; i < p.ntruncates; i++) {
        free(p.truncates[i]);
        if (truncates_order)
            free(truncates_order[i]);
    }
    free(p.truncates);
    free(truncates_order);
    free(p.partial_file);
    lt_schema_free(p.schema);
    return rc;
}


/* A task-level fact as a checkpoint (the form users give back): the meta key holding it, else the checkpoint form
 * of a _logtap_pos (named like the task's checkpoint). "" when neither is known. */
static void checkpoint_form(const struct logtap_source_ops *source, struct lt_state *st, const char *key,
                            const char *pos, char out[LT_CHECKPOINT_MAX])
{
    struct lt_error err = {0};
    out[0] = '\0';
    if (key && lt_state_get_meta(st, key, out, LT_CHECKPOINT_MAX, &err) == LT_OK && out[0])
        return;
    char reference[LT_CHECKPOINT_MAX] = "";
    lt_state_get_meta(st, "checkpoint", reference, sizeof reference, &err);
    if (pos && pos[0] && source->position_checkpoint(pos, reference, out, &err) != LT_OK)
        out[0] = '\0';
}

/* An --as-of before the task's full load has no table content to start from (tables are merged only from their
 * load on): LT_ERR_CONFIG saying when that load's snapshot was. A task without a load (migration_type cdc) has no
 * snapshots to write either. */
static int check_not_before_load(const struct logtap_source_ops *source, struct lt_state *st, const char *text,
                                 const struct lt_as_of *as_of, struct lt_error *err)
{
    char pos[LT_POS_MAX + 1] = "", time_text[32] = "", cp[LT_CHECKPOINT_MAX], when[LT_UTC_TIME_MAX] = "";
    int rc;
    if ((rc = lt_state_get_meta(st, "full_load_snapshot_pos", pos, sizeof pos, err)) ||
        (rc = lt_state_get_meta(st, "full_load_snapshot_time_us", time_text, sizeof time_text, err)))
        return rc;
    if (!pos[0])
        return LT_OK;
    int64_t load_us = time_text[0] ? strtoll(time_text, NULL, 10) : 0;
    bool before = as_of->pos[0] ? strcmp(as_of->pos, pos) < 0 : load_us > 0 && as_of->time_us < load_us;
    if (!before)
        return LT_OK;
    checkpoint_form(source, st, "full_load_snapshot_checkpoint", pos, cp);
    if (load_us > 0)
        lt_utc_time_format(load_us, when);
    return lt_fail(err, LT_ERR_CONFIG, "--as-of %s is before the task's full load, whose snapshot is at %s%s%s%s: "
                   "there is no table content before it; give a point at or after it", text, cp[0] ? cp : pos,
                   when[0] ? " (" : "", when, when[0] ? ")" : "");
}

int lt_merge_check_cdc_ops(const struct lt_target_config *t, const char *command, struct lt_error *err)
{
    if (t->cdc_ops == LT_CDC_ALL)
        return LT_OK;
    bool only = t->cdc_ops == LT_CDC_INSERTS_ONLY;
    return lt_fail(err, LT_ERR_CONFIG,
                   "%s: target.%s is true: the CDC files hold only inserts%s (%s left out), so they cannot give the "
                   "tables' state; read them as a log of changes (ORDER BY _logtap_pos)",
                   command, only ? "CdcInsertsOnly" : "CdcInsertsAndUpdates", only ? "" : " and updates",
                   only ? "updates and deletes are" : "deletes are");
}

int lt_run_merge(const struct lt_task_config *cfg, const struct lt_merge_options *opt, struct lt_error *err)
{
    if (lt_merge_check_cdc_ops(&cfg->target, "merge", err))
        return err->code;
    const struct logtap_source_ops *source = lt_source_for(&cfg->source);
    if (!source)
        return lt_fail(err, LT_ERR_CONFIG, "source engine \"%s\" is not supported by this build", cfg->source.engine);
    if (!lt_target_for(&cfg->target))
        return lt_fail(err, LT_ERR_CONFIG, "target DataFormat is not supported by this build");
    struct lt_as_of as_of = {0};
    int rc;
    if (opt->as_of && (rc = lt_cli_parse_as_of(source, opt->as_of, &as_of, err)))
        return rc;
    /* where snapshots go, and where the files come from; an object store's are spooled beside the state store */
    char spool[4200], inputs[4300], lock_path[4300];
    lt_place_spool_dir(cfg, "merge", spool, sizeof spool);
    snprintf(inputs, sizeof inputs, "%s/inputs", spool);
    struct lt_place mp, tp;
    if ((rc = lt_place_open(&mp, cfg->merge.path, spool, &cfg->target, err)))
        return lt_error_prefix(err, "merge.path: ");
    if ((rc = lt_place_open(&tp, cfg->target.path, spool, &cfg->target, err))) {
        lt_place_close(&mp);
        return lt_error_prefix(err, "target path: ");
    }
    if (!lt_place_remote(&mp) && lt_mkdir_p(cfg->merge.path, err)) {
        lt_place_close(&mp);
        lt_place_close(&tp);
        return lt_error_prefix(err, "merge.path: ");
    }
    /* the lock: in the snapshots' folder, or beside the state store when they go to an object store */
    if (lt_place_remote(&mp))
        snprintf(lock_path, sizeof lock_path, "%s.merge.lock", cfg->state_path);
    else
        snprintf(lock_path, sizeof lock_path, "%s/.merge.lock", cfg->merge.path);
    int lock = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock < 0) {
        lt_place_close(&mp);
        lt_place_close(&tp);
        return lt_fail(err, LT_ERR_RUNTIME, "cannot open %s: %s", lock_path, strerror(errno));
    }
    if (flock(lock, LOCK_EX | LOCK_NB) != 0) {
        close(lock);
        lt_place_close(&mp);
        lt_place_close(&tp);
        return lt_fail(err, LT_ERR_RUNTIME, "another merge of this task is running (%s is locked)", lock_path);
    }
    remove_tree(inputs); /* downloads a killed merge left */
    /* the metrics file only now: a second merge, refused above, must not overwrite the running one's */
    if ((rc = lt_task_metrics_start(cfg, "merge", opt->metrics_file, err))) {
        close(lock);
        lt_place_close(&mp);
        lt_place_close(&tp);
        return rc;
    }
    struct lt_state *st = NULL;
    rc = lt_state_open_existing(cfg->state_path, &st, err);
    if (!rc)
        rc = lt_place_recover_merge(&mp, cfg, st, err);
    if (!rc && lt_place_remote(&tp) && !lt_place_remote(&mp) && tp.ops->check_access(tp.store, err))
        rc = lt_error_prefix(err, "target path %s: ", cfg->target.path);
    if (rc) {
        lt_task_metrics_error_code(rc);
        if (st)
            lt_state_close(st);
        close(lock);
        lt_place_close(&mp);
        lt_place_close(&tp);
        return rc;
    }
    /* The point: --as-of, else the checkpoint as it is now (every table of this run merged to the same point,
     * whatever `replicate` commits meanwhile). */
    char checkpoint[LT_CHECKPOINT_MAX] = "", durable[LT_POS_MAX + 1] = "";
    rc = lt_state_get_meta(st, "checkpoint", checkpoint, sizeof checkpoint, err);
    if (!rc && checkpoint[0] && (rc = source->position_bound(checkpoint, durable, err)))
        rc = lt_fail(err, LT_ERR_RUNTIME, "the state store's checkpoint \"%s\" is not a %s checkpoint", checkpoint,
                     source->name);
    if (!rc && opt->as_of)
        rc = check_not_before_load(source, st, opt->as_of, &as_of, err);
    if (!rc && !opt->as_of)
        snprintf(as_of.pos, sizeof as_of.pos, "%s", durable);
    else if (!rc && as_of.pos[0] && durable[0] && strcmp(as_of.pos, durable) > 0)
        lt_log_warn("--as-of %s is past the checkpoint %s: the snapshots hold what is durable so far", opt->as_of,
                    checkpoint);
    struct lt_table_status *tables = NULL;
    int ntables = 0;
    if (!rc)
        rc = lt_state_list_tables(st, &tables, &ntables, err);
    int written = 0, failed = 0;
    for (int i = 0; !rc && i < ntables; i++) {
        bool wrote;
        struct lt_error terr = {0};
        if (merge_table(cfg, source, &tp, &mp, inputs, st, &tables[i], as_of.pos[0] ? as_of.pos : NULL,
                        as_of.time_us, opt->as_of != NULL, &wrote, &terr)) {
            lt_log_error("%s", terr.msg);
            lt_task_metrics_error(LT_MERR_TABLE_MERGE);
            if (!failed)
                *err = terr;
            failed++;
            if (terr.code == LT_ERR_CONFIG)
                rc = LT_ERR_CONFIG;
        }
        written += wrote;
    }
    if (rc && !failed)
        lt_task_metrics_error_code(err->code ? err->code : rc);
    free(tables);
    lt_state_close(st);
    close(lock);
    lt_place_close(&mp);
    lt_place_close(&tp);
    if (!rc && failed)
        rc = LT_ERR_RUNTIME;
    if (!rc)
        lt_log_info("merge finished: %d new snapshots", written);
    return rc;
}
