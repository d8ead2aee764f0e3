/* The PostgreSQL source: connections, one exported snapshot shared by every load worker
 * (REPEATABLE READ + pg_export_snapshot / SET TRANSACTION SNAPSHOT), the selected tables as they are in that
 * snapshot (partitioned tables once, under their root; generated columns left out as pgoutput leaves them out),
 * and COPY ... TO STDOUT streaming of each table. Sessions use UTC, ISO dates, hex bytea and shortest-exact
 * floats, so values come out in PostgreSQL's canonical text form. */
#include <inttypes.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/utc_time.h"
#include "agent/log.h"
#include "agent/mapping.h"
#include "agent/load_segments.h"
#include "agent/row_filter.h"
#include "agent/table_transform.h"
#include "agent/source.h"
#include "agent/table_mapping.h"
#include "sources/postgres/pg_copy_text.h"
#include "sources/postgres/pg_internal.h"
#include "sources/postgres/pg_position.h"
#include "sources/postgres/pg_types.h"
#include "sources/postgres/repl_protocol.h"


static int pg_open(struct lt_source **out, const struct lt_task_config *cfg, struct lt_error *err)
{
    struct lt_source *s = calloc(1, sizeof *s);
    if (!s)
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    s->cfg = cfg;
    int rc = lt_pg_cdc_create(s, err);
    if (!rc)
        rc = lt_pg_connect(cfg, false, &s->main, err);
    if (rc) {
        lt_pg_cdc_close(s);
        free(s);
        return rc;
    }
    if (PQserverVersion(s->main) < 100000) {
        lt_fail(err, LT_ERR_RUNTIME, "postgres: server version %d is too old; logtap needs PostgreSQL 10 or newer",
                PQserverVersion(s->main));
        PQfinish(s->main);
        lt_pg_cdc_close(s);
        free(s);
        return LT_ERR_RUNTIME;
    }
    *out = s;
    return LT_OK;
}

/* Microseconds since 1970 from now()::text in a UTC session: "YYYY-MM-DD HH:MM:SS[.ffffff]+00". */
int64_t lt_pg_parse_utc_timestamp(const char *s)
{
    int64_t us = 0;
    return lt_utc_time_parse_column(s, strlen(s), &us) ? us : 0;
}

static int pg_snapshot_begin(struct lt_source *s, enum lt_snapshot_kind kind, struct lt_snapshot_info *info,
                             struct lt_error *err)
{
    s->snapshot_for_cdc = kind != LT_SNAPSHOT_PLAIN;
    if (kind != LT_SNAPSHOT_PLAIN) {
        /* A slot's exported snapshot (the task's slot, or a temporary one for tables joining the running stream):
         * the main connection joins it so listing sees the same catalog. */
        int rc = lt_pg_create_slot_with_snapshot(s, kind, info, err);
        if (rc)
            return rc;
        char sql[256];
        snprintf(sql, sizeof sql, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT '%s'",
                 s->snapshot_name);
        if (lt_pg_exec(s->main, sql, err))
            return lt_error_prefix(err, "joining the slot's snapshot: ");
        s->main_in_txn = true;
        return LT_OK;
    }
    if (lt_pg_exec(s->main, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err))
        return lt_error_prefix(err, "starting the snapshot: ");
    s->main_in_txn = true;
    PGresult *r = lt_pg_query(s->main, "SELECT pg_export_snapshot(), pg_current_wal_lsn()::text, now()::text", 0, NULL, err);
    if (!r)
        return lt_error_prefix(err, "exporting the snapshot: ");
    snprintf(s->snapshot_name, sizeof s->snapshot_name, "%s", PQgetvalue(r, 0, 0));
    uint64_t lsn = 0;
    if (!lt_pg_lsn_parse(PQgetvalue(r, 0, 1), &lsn)) {
        lt_fail(err, LT_ERR_RUNTIME, "postgres: unexpected LSN \"%s\"", PQgetvalue(r, 0, 1));
        PQclear(r);
        return LT_ERR_RUNTIME;
    }
    lt_pg_format_pos(lsn, 0, info->pos);
    lt_pg_lsn_format(lsn, info->checkpoint);
    info->time_us = lt_pg_parse_utc_timestamp(PQgetvalue(r, 0, 2));
    PQclear(r);
    return LT_OK;
}

static char *quote_ident(PGconn *c, const char *name)
{
    char *q = PQescapeIdentifier(c, name, strlen(name));
    char *out = q ? strdup(q) : NULL;
    PQfreemem(q);
    return out;
}

/* The table's columns as a quoted, comma-separated list; NULL when out of memory. */
static char *quoted_column_list(PGconn *c, const struct lt_table_schema *t)
{
    size_t cap = 256, len = 0;
    char *cols = malloc(cap);
    if (!cols)
        return NULL;
    cols[0] = '\0';
    for (int i = 0; i < t->ncols; i++) {
        char *q = quote_ident(c, t->cols[i].name);
        size_t need = len + (q ? strlen(q) : 0) + 3;
        if (q && need > cap) {
            cap = need * 2;
            char *nc = realloc(cols, cap);
            if (!nc) {
                free(q);
                q = NULL;
            } else {
                cols = nc;
            }
        }
        if (!q) {
            free(cols);
            return NULL;
        }
        len += (size_t)sprintf(cols + len, "%s%s", i ? ", " : "", q);
        free(q);
    }
    return cols;
}

/* Builds the COPY statement for a table (partitioned roots need the query form): with filter (the table's source
 * filter) and/or part (a part of the table: then over ONLY this table) as the query form with that condition. */
static char *build_copy_sql(PGconn *c, const struct lt_table_schema *t, bool partitioned, const char *filter,
                            const char *part)
{
    char *cols = quoted_column_list(c, t);
    char *qs = quote_ident(c, t->schema_name), *qt = quote_ident(c, t->table_name);
    size_t n = (cols ? strlen(cols) : 0) + (qs ? strlen(qs) : 0) + (qt ? strlen(qt) : 0) +
               (filter ? strlen(filter) : 0) + (part ? strlen(part) : 0) + 80;
    char *sql = cols && qs && qt ? malloc(n) : NULL;
    if (sql) {
        if (part || filter) /* ONLY: as COPY of the table reads it, without tables that inherit from it */
            snprintf(sql, n, "COPY (SELECT %s FROM %s%s.%s WHERE %s%s%s) TO STDOUT", cols,
                     partitioned ? "" : "ONLY ", qs, qt, part ? part : filter, part && filter ? " AND " : "",
                     part && filter ? filter : "");
        else if (partitioned || t->ncols == 0)
            snprintf(sql, n, "COPY (SELECT %s FROM %s.%s) TO STDOUT", cols, qs, qt);
        else
            snprintf(sql, n, "COPY %s.%s (%s) TO STDOUT", qs, qt, cols);
    }
    free(qs);
    free(qt);
    free(cols);
    return sql;
}

/* Splits a plain table into nparts ranges of heap pages (TID range scans, PostgreSQL 14+): part i reads the pages
 * [i * pages / nparts, (i + 1) * pages / nparts), the first part from page 0 and the last one to the end, so the
 * parts together read every row the snapshot sees even if the table grew since its size was read. */
static int split_by_pages(PGconn *c, struct lt_source_table *t, int nparts, int64_t pages, const char *filter)
{
    t->part_sql = calloc((size_t)nparts, sizeof *t->part_sql);
    if (!t->part_sql)
        return -1;
    t->nparts = nparts;
    for (int i = 0; i < nparts; i++) {
        int64_t lo = pages * i / nparts, hi = pages * (i + 1) / nparts;
        char where[128];
        if (i == 0)
            snprintf(where, sizeof where, "ctid < '(%lld,0)'::tid", (long long)hi);
        else if (i == nparts - 1)
            snprintf(where, sizeof where, "ctid >= '(%lld,0)'::tid", (long long)lo);
        else
            snprintf(where, sizeof where, "ctid >= '(%lld,0)'::tid AND ctid < '(%lld,0)'::tid", (long long)lo,
                     (long long)hi);
        if (!(t->part_sql[i] = build_copy_sql(c, t->schema, false, filter, where)))
            return -1;
    }
    return 0;
}

/* The segments of a table-settings ranges rule as the table's parts, their files in a folder per segment-name or
 * named SEGMENT<n>_LOAD... (DMS's layout). */
static int split_by_ranges(PGconn *c, struct lt_source_table *t, const struct lt_table_settings *ts, bool partitioned,
                           const char *filter, struct lt_error *err)
{
    char **conds;
    int n;
    int rc = lt_segments_ranges(ts, t->schema, LT_SQL_POSTGRES, &conds, &n, err);
    if (rc)
        return rc;
    t->part_sql = calloc((size_t)n, sizeof *t->part_sql);
    t->part_names = ts->nsegment_names ? calloc((size_t)n, sizeof *t->part_names) : NULL;
    rc = t->part_sql && (!ts->nsegment_names || t->part_names) ? LT_OK : lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    if (!rc)
        t->nparts = n;
    for (int i = 0; i < n; i++) {
        if (!rc && !(t->part_sql[i] = build_copy_sql(c, t->schema, partitioned, filter, conds[i])))
            rc = lt_fail(err, LT_ERR_RUNTIME, "out of memory");
        if (!rc && t->part_names && !(t->part_names[i] = strdup(ts->segment_names[i])))
            rc = lt_fail(err, LT_ERR_RUNTIME, "out of memory");
        free(conds[i]);
    }
    free(conds);
    t->part_layout = ts->nsegment_names ? LT_PARTS_FOLDERS : LT_PARTS_PREFIX;
    if (rc)
        lt_source_table_free_parts(t);
    return rc;
}

/* Candidate tables: plain and partitioned tables that are not partitions (a partitioned table is read through its
 * root). Unlogged tables (relpersistence 'u') have no changes in the WAL: they are never published, and a load
 * that CDC continues skips them (the pre-flight check warns about each, or refuses one named explicitly). */
#define LIST_RELATIONS_SQL(KINDS) \
    "SELECT c.oid, n.nspname, c.relname, c.relkind," \
    "  CASE WHEN c.relkind = 'p' THEN" \
    "    (SELECT COALESCE(SUM(GREATEST(pc.reltuples, 0)), -1)::bigint FROM pg_partition_tree(c.oid) pt" \
    "       JOIN pg_class pc ON pc.oid = pt.relid WHERE pt.isleaf)" \
    "  ELSE c.reltuples::bigint END," \
    "  CASE WHEN c.relkind = 'p' THEN" \
    "    (SELECT COALESCE(SUM(pg_relation_size(pt.relid)), 0) FROM pg_partition_tree(c.oid) pt WHERE pt.isleaf)" \
    "  ELSE pg_relation_size(c.oid) END," \
    "  current_setting('block_size')::bigint, c.relpersistence" \
    " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace" \
    " WHERE c.relkind IN " KINDS " AND NOT c.relispartition" \
    "   AND n.nspname NOT IN ('pg_catalog', 'information_schema')" \
    "   AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'" \
    " ORDER BY n.nspname, c.relname"
static const char list_tables_sql[] = LIST_RELATIONS_SQL("('r', 'p')");
/* with views (and materialized views) too, for selection rules whose table-type is view or all (full load only) */
static const char list_relations_sql[] = LIST_RELATIONS_SQL("('r', 'p', 'v', 'm')");

static int list_tables(struct lt_source *s, struct lt_table_list *out, struct lt_error *err);

/* Marks the listed tables that the task's inserts-only publication lists (source.tables_without_key). */
static int mark_inserts_only(struct lt_source *s, struct lt_table_list *list, struct lt_error *err)
{
    char ins[128];
    lt_pg_inserts_publication(s, ins);
    const char *params[1] = {ins};
    PGresult *r = lt_pg_query(s->main,
                              "SELECT pr.prrelid::text FROM pg_publication_rel pr JOIN pg_publication p"
                              " ON p.oid = pr.prpubid WHERE p.pubname = $1",
                              1, params, err);
    if (!r)
        return lt_error_prefix(err, "reading publication %s: ", ins);
    for (int i = 0; i < PQntuples(r); i++)
        for (int k = 0; k < list->n; k++)
            if (strcmp(list->tables[k].source_id, PQgetvalue(r, i, 0)) == 0)
                list->tables[k].inserts_only = true;
    PQclear(r);
    return LT_OK;
}

static int pg_list_tables(struct lt_source *s, struct lt_table_list *out, struct lt_error *err)
{
    int rc = list_tables(s, out, err);
    if (!rc && (rc = mark_inserts_only(s, out, err)))
        lt_table_list_free(out);
    return rc;
}

static int list_tables(struct lt_source *s, struct lt_table_list *out, struct lt_error *err)
{
    memset(out, 0, sizeof *out);
    bool views = s->cfg->mapping && s->cfg->mapping->wants_views;
    PGresult *r = lt_pg_query(s->main, views ? list_relations_sql : list_tables_sql, 0, NULL, err);
    if (!r)
        return lt_error_prefix(err, "listing tables: ");
    int n = PQntuples(r);
    out->tables = calloc(n > 0 ? (size_t)n : 1, sizeof *out->tables);
    if (!out->tables) {
        PQclear(r);
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    }
    for (int i = 0; i < n; i++) {
        const char *schema = PQgetvalue(r, i, 1), *table = PQgetvalue(r, i, 2);
        char kind = PQgetvalue(r, i, 3)[0];
        bool is_view = kind == 'v' || kind == 'm';
        if (!lt_rules_select_kind(s->cfg->rules, s->cfg->nrules, schema, table, is_view) ||
            (s->snapshot_for_cdc && PQgetvalue(r, i, 7)[0] == 'u'))
            continue;
        struct lt_source_table *t = &out->tables[out->n];
        int rc = lt_pg_load_columns(s->main, PQgetvalue(r, i, 0), schema, table, &t->schema, err);
        if (!rc)
            rc = lt_mapping_apply_key(s->cfg, t->schema, err);
        if (rc) {
            PQclear(r);
            if (t->schema) /* counted, so that it is freed */
                out->n++;
            lt_table_list_free(out);
            return rc;
        }
        bool partitioned = kind == 'p' || is_view; /* read with the query form, never split by pages */
        snprintf(t->source_id, sizeof t->source_id, "%s", PQgetvalue(r, i, 0));
        t->estimated_rows = strtoll(PQgetvalue(r, i, 4), NULL, 10);
        t->estimated_bytes = strtoll(PQgetvalue(r, i, 5), NULL, 10);
        out->n++;
        char *filter = NULL;
        int frc = lt_row_filter_where(s->cfg, t->schema, LT_SQL_POSTGRES, &filter, err);
        if (frc) {
            PQclear(r);
            lt_table_list_free(out);
            return frc;
        }
        t->copy_sql = build_copy_sql(s->main, t->schema, partitioned, filter, NULL);
        t->load_order = lt_load_order_of(s->cfg, schema, table);
        const struct lt_table_settings *ts = lt_mapping_settings(s->cfg->mapping, schema, table);
        int nparts = lt_load_parts_wanted(s->cfg, t->estimated_bytes);
        int64_t block_size = strtoll(PQgetvalue(r, i, 6), NULL, 10);
        if (ts) { /* a table-settings rule decides: DMS's segments, or none */
            t->parts_fixed = true;
            if (t->copy_sql && ts->type == LT_PL_RANGES && split_by_ranges(s->main, t, ts, partitioned, filter, err)) {
                free(filter);
                PQclear(r);
                lt_table_list_free(out);
                return err->code;
            }
        } else if (t->copy_sql && nparts > 1 && !partitioned && t->schema->ncols > 0 && block_size > 0 &&
                   split_by_pages(s->main, t, nparts, t->estimated_bytes / block_size, filter) != 0) {
            free(t->copy_sql);
            t->copy_sql = NULL;
        }
        free(filter);
        if (!t->copy_sql) {
            PQclear(r);
            lt_table_list_free(out);
            return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
        }
    }
    PQclear(r);
    return LT_OK;
}

/* Logged tables and partitioned roots outside the system schemas, by name (no sizes: cheap enough to poll). */
static const char table_names_sql[] =
    "SELECT c.oid, n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relpersistence = 'p'"
    "   AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
    "   AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'"
    " ORDER BY n.nspname, c.relname";

static int pg_selected_tables(struct lt_source *s, struct lt_table_refs *out, struct lt_error *err)
{
    memset(out, 0, sizeof *out);
    PGresult *r = lt_pg_query(s->main, table_names_sql, 0, NULL, err);
    if (!r)
        return lt_error_prefix(err, "listing tables: ");
    int rc = LT_OK;
    for (int i = 0; !rc && i < PQntuples(r); i++)
        if (lt_rules_select(s->cfg->rules, s->cfg->nrules, PQgetvalue(r, i, 1), PQgetvalue(r, i, 2)))
            rc = lt_table_refs_add(out, PQgetvalue(r, i, 1), PQgetvalue(r, i, 2), PQgetvalue(r, i, 0), err);
    PQclear(r);
    if (rc)
        lt_table_refs_free(out);
    return rc;
}

static int worker_connection(struct lt_source *s, int worker, PGconn **out, struct lt_error *err)
{
    if (worker < 0 || worker >= PG_MAX_WORKERS)
        return lt_fail(err, LT_ERR_RUNTIME, "worker %d out of range", worker);
    if (!s->workers[worker]) {
        PGconn *c = NULL;
        if (lt_pg_connect(s->cfg, false, &c, err))
            return LT_ERR_RUNTIME;
        char sql[256];
        snprintf(sql, sizeof sql, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT '%s'",
                 s->snapshot_name);
        if (lt_pg_exec(c, sql, err)) {
            PQfinish(c);
            return lt_error_prefix(err, "joining the snapshot: ");
        }
        s->workers[worker] = c;
    }
    *out = s->workers[worker];
    return LT_OK;
}

static int pg_load_table(struct lt_source *s, int worker, const struct lt_source_table *t, int part,
                         const struct lt_snapshot_info *snap, lt_row_fn fn, void *ctx, struct lt_error *err)
{
    PGconn *c = NULL;
    if (worker_connection(s, worker, &c, err))
        return LT_ERR_RUNTIME;
    PGresult *r = PQexec(c, lt_source_table_sql(t, part));
    if (PQresultStatus(r) != PGRES_COPY_OUT) {
        char line[768];
        lt_fail(err, LT_ERR_RUNTIME, "postgres: %s", lt_pg_result_error(r, line, sizeof line));
        PQclear(r);
        return LT_ERR_RUNTIME;
    }
    PQclear(r);
    int ncols = t->schema->ncols;
    struct lt_value *vals = calloc(ncols > 0 ? (size_t)ncols : 1, sizeof *vals);
    if (!vals)
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    struct lt_row row = {.op = 'I', .commit_ts_us = snap->time_us, .nvals = ncols, .vals = vals};
    memcpy(row.pos, snap->pos, sizeof row.pos);
    int rc = LT_OK;
    bool cancelled = false;
    char *buf;
    int len;
    while ((len = PQgetCopyData(c, &buf, 0)) > 0) {
        if (!rc)
            rc = lt_pg_copy_parse_row(buf, (size_t)len, vals, ncols, err);
        if (!rc)
            rc = fn(ctx, &row, err);
        PQfreemem(buf);
        if (rc && !cancelled) {
            /* Stop the server sending: one cancel request, then drain what is in flight. */
            cancelled = true;
            PGcancel *cancel = PQgetCancel(c);
            char ebuf[256];
            if (cancel) {
                PQcancel(cancel, ebuf, sizeof ebuf);
                PQfreeCancel(cancel);
            }
        }
    }
    if (len == -2 && !rc)
        rc = lt_pg_conn_error(c, err, "reading COPY data");
    while ((r = PQgetResult(c)) != NULL) {
        if (!rc && PQresultStatus(r) != PGRES_COMMAND_OK) {
            char line[768];
            rc = lt_fail(err, LT_ERR_RUNTIME, "postgres: %s", lt_pg_result_error(r, line, sizeof line));
        }
        PQclear(r);
    }
    free(vals);
    if (rc && s->workers[worker]) {
        /* The snapshot transaction is broken after a cancel; this worker cannot be reused. */
        PQfinish(s->workers[worker]);
        s->workers[worker] = NULL;
    }
    return rc;
}

/* The source filter of a table as a WHERE condition (*where NULL when it has none), compiled against the table's
 * columns as the catalog has them now (the schema validate gives may list only some). */
static int checksum_filter(struct lt_source *s, const struct lt_table_schema *t, char **where, struct lt_error *err)
{
    *where = NULL;
    if (!lt_mapping_filter(s->cfg->mapping, t->schema_name, t->table_name))
        return LT_OK;
    const char *params[2] = {t->schema_name, t->table_name};
    PGresult *r = lt_pg_query(s->main,
                              "SELECT c.oid::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                              " WHERE n.nspname = $1 AND c.relname = $2",
                              2, params, err);
    if (!r)
        return lt_error_prefix(err, "reading %s.%s: ", t->schema_name, t->table_name);
    if (PQntuples(r) != 1) {
        PQclear(r);
        return lt_fail(err, LT_ERR_RUNTIME, "postgres: %s.%s does not exist", t->schema_name, t->table_name);
    }
    struct lt_table_schema *full = NULL;
    int rc = lt_pg_load_columns(s->main, PQgetvalue(r, 0, 0), t->schema_name, t->table_name, &full, err);
    PQclear(r);
    if (!rc)
        rc = lt_row_filter_where(s->cfg, full, LT_SQL_POSTGRES, where, err);
    lt_schema_free(full);
    return rc;
}

static int pg_table_checksum(struct lt_source *s, const struct lt_table_schema *t, int64_t *rows, char sum[64],
                             struct lt_error *err)
{
    char *filter = NULL;
    int rc = checksum_filter(s, t, &filter, err);
    if (rc)
        return rc;
    size_t cap = 256, len = 0;
    char *expr = malloc(cap);
    if (!expr) {
        free(filter);
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    }
    expr[0] = '\0';
    for (int i = 0; i < t->ncols; i++) {
        char *q = quote_ident(s->main, t->cols[i].name);
        size_t need = len + 2 * (q ? strlen(q) : 0) + 96;
        if (need > cap) {
            cap = need * 2;
            char *n = realloc(expr, cap);
            if (!n) {
                free(q);
                free(expr);
                free(filter);
                return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
            }
            expr = n;
        }
        /* format('%s') is the type's output function, as COPY writes it (a cast to text is not: bool gives
         * "true", inet adds /32); Parquet files in milliseconds hold timestamps cut to the millisecond (floor, as
         * date_trunc does) */
        bool ms = s->cfg->target.format == LT_FORMAT_PARQUET && s->cfg->target.parquet_timestamp_ms &&
                  (t->cols[i].type == LT_TYPE_TIMESTAMP || t->cols[i].type == LT_TYPE_TIMESTAMPTZ);
        len += (size_t)sprintf(expr + len, "%sCASE WHEN %s IS NULL THEN E'\\\\N' ELSE format('%%s', %s%s%s) END",
                               i ? ", E'\\t', " : "", q ? q : "\"\"", ms ? "date_trunc('milliseconds', " : "",
                               q ? q : "\"\"", ms ? ")" : "");
        free(q);
    }
    char *qs = quote_ident(s->main, t->schema_name), *qt = quote_ident(s->main, t->table_name);
    size_t n = len + (qs ? strlen(qs) : 0) + (qt ? strlen(qt) : 0) + (filter ? strlen(filter) : 0) + 256;
    char *sql = malloc(n);
    if (sql)
        snprintf(sql, n,
                 "SELECT count(*), COALESCE(sum(('x' || substr(md5(concat(%s)), 1, 16))::bit(64)::bigint::numeric), 0)::text"
                 " FROM %s.%s%s%s",
                 t->ncols ? expr : "''", qs, qt, filter ? " WHERE " : "", filter ? filter : "");
    free(expr);
    free(filter);
    free(qs);
    free(qt);
    if (!sql)
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    PGresult *r = lt_pg_query(s->main, sql, 0, NULL, err);
    free(sql);
    if (!r)
        return lt_error_prefix(err, "checksum of %s.%s: ", t->schema_name, t->table_name);
    *rows = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    snprintf(sum, 64, "%s", PQgetvalue(r, 0, 1));
    PQclear(r);
    return LT_OK;
}

static int pg_lag_bytes(struct lt_source *s, const char *from, const char *to, int64_t *bytes, struct lt_error *err)
{
    (void)s;
    uint64_t a, b;
    if (!lt_pg_lsn_parse(from, &a) || !lt_pg_lsn_parse(to, &b))
        return lt_fail(err, LT_ERR_RUNTIME, "\"%s\" or \"%s\" is not an LSN", from, to);
    *bytes = b > a ? (int64_t)(b - a) : 0;
    return LT_OK;
}

static void pg_snapshot_end(struct lt_source *s)
{
    for (int i = 0; i < PG_MAX_WORKERS; i++) {
        if (s->workers[i]) {
            PQfinish(s->workers[i]);
            s->workers[i] = NULL;
        }
    }
    if (s->main && s->main_in_txn)
        lt_pg_exec(s->main, "COMMIT", NULL);
    s->main_in_txn = false;
}

static void pg_close(struct lt_source *s)
{
    if (!s)
        return;
    pg_snapshot_end(s);
    lt_pg_cdc_close(s);
    PQfinish(s->main);
    free(s);
}

const struct logtap_source_ops lt_postgres_source = {
    .name = "postgres",
    .check = lt_pg_check,
    .open = pg_open,
    .snapshot_begin = pg_snapshot_begin,
    .selected_tables = pg_selected_tables,
    .list_tables = pg_list_tables,
    .load_table = pg_load_table,
    .snapshot_end = pg_snapshot_end,
    .close = pg_close,
    .cdc_begin = lt_pg_cdc_begin,
    .stream_start = lt_pg_stream_start,
    .stream_next = lt_pg_stream_next,
    .stream_server_position = lt_pg_stream_server_position,
    .stream_ack = lt_pg_stream_ack,
    .current_position = lt_pg_current_position,
    .retire = lt_pg_retire,
    .slot_status = lt_pg_slot_status,
    .table_checksum = pg_table_checksum,
    .lag_bytes = pg_lag_bytes,
    .checkpoint_check = lt_pg_checkpoint_check,
    .checkpoint_compare = lt_pg_checkpoint_compare,
    .position_bound = lt_pg_position_bound,
    .position_checkpoint = lt_pg_position_checkpoint,
};
