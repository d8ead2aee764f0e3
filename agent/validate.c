/* The validate command (see validate.h). The snapshot side reads the newest snapshot file of a table back into
 * canonical text and sums md5 row fingerprints exactly as the source's SQL does. */
#include "agent/validate.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/data_file.h"
#include "agent/md5.h"
#include "agent/merge.h"
#include "agent/place.h"
#include "agent/schema_json.h"
#include "agent/source.h"
#include "state/state_store.h"

struct newest {
    char *path, *schema_json, *name, *pos;
};

static int take_newest(void *arg, const struct lt_snapshot_record *r)
{
    struct newest *n = arg;
    if (n->path)
        return 0;
    n->path = strdup(r->path);
    n->schema_json = strdup(r->schema_json);
    n->name = strdup(r->name);
    n->pos = strdup(r->pos);
    return 0;
}

static void format_i128(__int128 v, char out[64])
{
    char buf[64];
    int i = 63;
    buf[i] = '\0';
    bool neg = v < 0;
    unsigned __int128 u = neg ? (unsigned __int128)(-(v + 1)) + 1 : (unsigned __int128)v;
    do {
        buf[--i] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u);
    if (neg)
        buf[--i] = '-';
    snprintf(out, 64, "%s", buf + i);
}

/* A snapshot of a table the transformation rules change, as the source has it: the source table's names and, in
 * the snapshot's order, the columns whose values are the source column's (renamed ones under their source name);
 * cols[i] is the snapshot column of the i-th; `left_out` names the others (added by add-column, or converted by
 * change-data-type), which validate cannot compare with the source. NULL when out of memory. */
static struct lt_table_schema *source_side(const struct lt_table_schema *snap, int *cols, char *left_out, size_t n)
{
    struct lt_table_schema *src = lt_schema_new(snap->origin_schema, snap->origin_table, snap->ncols);
    if (!src)
        return NULL;
    int k = 0;
    size_t used = 0;
    left_out[0] = '\0';
    for (int i = 0; i < snap->ncols; i++) {
        const struct lt_column *c = &snap->cols[i];
        if (!c->origin || !*c->origin || c->converted) {
            used += (size_t)snprintf(left_out + used, used < n ? n - used : 0, "%s%s (%s)", used ? ", " : "",
                                     c->name, c->origin && *c->origin ? "converted" : "added");
            if (used >= n)
                used = n - 1;
            continue;
        }
        lt_schema_set_column(src, k, c->origin, c->type, c->precision, c->scale, c->is_key, c->nullable,
                             c->source_type);
        cols[k++] = i;
    }
    src->ncols = k;
    return src;
}

/* Count and checksum of a snapshot file, over the columns cols[0..ncols) of each row (all when cols is NULL). */
static int snapshot_checksum(const struct lt_task_config *cfg, struct lt_place *mp, const char *tmp_dir,
                             const struct newest *n, const struct lt_table_schema *s, const int *cols, int ncols,
                             int64_t *rows, char sum[64], struct lt_error *err)
{
    char path[4600];
    int64_t bytes;
    bool missing;
    if (lt_place_fetch(mp, n->path, tmp_dir, path, sizeof path, &bytes, &missing, err))
        return LT_ERR_RUNTIME;
    struct lt_data_file *f;
    if (lt_data_file_open(path, n->schema_json, s, &cfg->target, &f, err)) {
        lt_place_unfetch(mp, path);
        return LT_ERR_RUNTIME;
    }
    __int128 total = 0;
    int64_t count = 0;
    struct lt_row row;
    int got;
    while ((got = lt_data_file_next(f, &row, err)) == 1) {
        struct lt_md5 m;
        lt_md5_init(&m);
        int nv = cols ? ncols : row.nvals;
        for (int k = 0; k < nv; k++) {
            int i = cols ? cols[k] : k;
            if (k)
                lt_md5_update(&m, "\t", 1);
            if (row.vals[i].state == LT_VALUE_PRESENT)
                lt_md5_update(&m, row.vals[i].data, row.vals[i].len);
            else
                lt_md5_update(&m, "\\N", 2);
        }
        unsigned char d[16];
        lt_md5_final(&m, d);
        uint64_t u = 0;
        for (int i = 0; i < 8; i++)
            u = u << 8 | d[i];
        total += (int64_t)u;
        count++;
    }
    lt_data_file_close(f);
    lt_place_unfetch(mp, path);
    if (got < 0)
        return LT_ERR_RUNTIME;
    *rows = count;
    format_i128(total, sum);
    return LT_OK;
}


int lt_run_validate(const struct lt_task_config *cfg, struct lt_error *err)
{
    const struct logtap_source_ops *ops = lt_source_for(&cfg->source);
    if (!ops)
        return lt_fail(err, LT_ERR_CONFIG, "source engine \"%s\" is not supported by this build", cfg->source.engine);
    if (!ops->table_checksum)
        return lt_fail(err, LT_ERR_CONFIG, "validate is not available for %s sources yet", cfg->source.engine);
    if (lt_merge_check_cdc_ops(&cfg->target, "validate", err))
        return err->code;
    struct lt_state *st;
    if (lt_state_open_existing(cfg->state_path, &st, err))
        return LT_ERR_RUNTIME;
    /* snapshots in an object store are read from downloads of this process's own */
    char tmp_dir[4300];
    snprintf(tmp_dir, sizeof tmp_dir, "%s.validate-%d", cfg->state_path, (int)getpid());
    struct lt_place mp;
    int rc = lt_place_open(&mp, cfg->merge.path, tmp_dir, &cfg->target, err);
    if (rc) {
        lt_state_close(st);
        return lt_error_prefix(err, "merge.path: ");
    }
    struct lt_table_status *tables = NULL;
    int ntables = 0;
    rc = lt_state_list_tables(st, &tables, &ntables, err);
    struct lt_source *src = NULL;
    if (!rc)
        rc = ops->open(&src, cfg, err);
    int mismatches = 0, checked = 0;
    if (!rc)
        printf("%-40s %-18s %12s %12s  %s\n", "table", "snapshot", "rows", "source rows", "result");
    for (int i = 0; !rc && i < ntables; i++) {
        const struct lt_table_status *t = &tables[i];
        char name[520];
        snprintf(name, sizeof name, "%s.%s", t->schema_name, t->table_name);
        struct newest n = {0};
        if ((rc = lt_state_each_snapshot(st, t->id, take_newest, &n, err)))
            break;
        if (!strcmp(t->capture, "inserts")) {
            printf("%-40s %-18s %12s %12s  %s\n", name, n.name ? n.name : "-", "-", "-",
                   "skipped: captured for INSERT only (no key; source.tables_without_key), cannot equal the source");
        } else if (!n.path && !strcmp(t->state, "dropped")) {
            printf("%-40s %-18s %12s %12s  %s\n", name, "-", "-", "-", "skipped: dropped at the source (or no longer selected)");
        } else if (!n.path) {
            /* no snapshot: right only when the source table is empty too */
            struct lt_table_schema *s = lt_schema_new(t->schema_name, t->table_name, 0);
            int64_t src_rows = -1;
            char src_sum[64];
            struct lt_error terr = {0};
            int trc = s ? ops->table_checksum(src, s, &src_rows, src_sum, &terr) : lt_fail(&terr, LT_ERR_RUNTIME, "out of memory");
            lt_schema_free(s);
            checked++;
            if (trc || src_rows != 0) {
                mismatches++;
                if (trc)
                    printf("%-40s %-18s %12s %12s  ERROR: %s\n", name, "-", "-", "-", terr.msg);
                else
                    printf("%-40s %-18s %12s %12" PRId64 "  NO SNAPSHOT (%s; run logtap merge)\n", name, "-", "-",
                           src_rows, strcmp(t->state, "loaded") ? t->state : "not merged yet");
            } else {
                printf("%-40s %-18s %12d %12d  OK (empty, no snapshot)\n", name, "-", 0, 0);
            }
        } else {
            struct lt_table_schema *s = NULL;
            struct lt_file_columns extra;
            int64_t snap_rows = 0, src_rows = 0;
            char snap_sum[64], src_sum[64];
            struct lt_error terr = {0};
            int trc = lt_schema_from_json(n.schema_json, &s, &extra, &terr);
            struct lt_table_schema *origin = NULL;
            int *cols = NULL;
            char left_out[600] = "";
            if (!trc) {
                lt_file_columns_free(&extra);
                if (s->origin_schema) { /* transformation rules: compare what comes unchanged from the source */
                    cols = calloc((size_t)s->ncols + 1, sizeof *cols);
                    origin = cols ? source_side(s, cols, left_out, sizeof left_out) : NULL;
                    if (!origin)
                        trc = lt_fail(&terr, LT_ERR_RUNTIME, "out of memory");
                    else
                        printf("%-40s files: %s.%s; compared: %d of %d columns%s%s\n", name, s->schema_name,
                               s->table_name, origin->ncols, s->ncols, left_out[0] ? "; not compared: " : "",
                               left_out);
                }
            }
            if (!trc)
                trc = snapshot_checksum(cfg, &mp, tmp_dir, &n, s, cols, origin ? origin->ncols : 0, &snap_rows, snap_sum, &terr);
            if (!trc)
                trc = ops->table_checksum(src, origin ? origin : s, &src_rows, src_sum, &terr);
            lt_schema_free(origin);
            free(cols);
            checked++;
            if (trc) {
                mismatches++;
                printf("%-40s %-18s %12s %12s  ERROR: %s\n", name, n.name, "-", "-", terr.msg);
            } else {
                bool same = snap_rows == src_rows && strcmp(snap_sum, src_sum) == 0;
                mismatches += !same;
                printf("%-40s %-18s %12" PRId64 " %12" PRId64 "  %s\n", name, n.name, snap_rows, src_rows,
                       same ? "OK" : snap_rows != src_rows ? "MISMATCH (row count)" : "MISMATCH (checksum)");
            }
            lt_schema_free(s);
        }
        free(n.path);
        free(n.schema_json);
        free(n.name);
        free(n.pos);
    }
    if (src)
        ops->close(src);
    free(tables);
    lt_state_close(st);
    if (lt_place_remote(&mp))
        rmdir(tmp_dir);
    lt_place_close(&mp);
    if (rc)
        return rc;
    if (mismatches)
        return lt_fail(err, LT_ERR_RUNTIME, "%d of %d tables differ from the source (changes since the snapshot "
                                            "also count: merge right before validating a quiet source)",
                       mismatches, checked);
    printf("%d tables validated\n", checked);
    return LT_OK;
}
