/* The MySQL/MariaDB source: connections (MariaDB Connector/C), one consistent snapshot shared by every load
 * worker, the selected tables with their columns from information_schema, and streaming SELECTs of each table.
 *
 * Snapshot: the main connection takes FLUSH TABLES WITH READ LOCK; while writes are blocked it lists the tables
 * (one query), opens the worker connections, each running START TRANSACTION WITH CONSISTENT SNAPSHOT, and reads the
 * binlog coordinates (SHOW MASTER STATUS, and on MariaDB the GTID position @@gtid_binlog_pos); then it unlocks, and
 * reads the tables' columns. Every worker therefore sees the database exactly as of those coordinates, where the
 * change stream continues. Tables of engines without consistent snapshots (MyISAM, Aria...) are listed first and
 * the lock holds until the workers have read them (the last one done unlocks).
 *
 * Values: the text protocol with the session in UTC and utf8mb4, each value then put in the canonical text form
 * (README, "MySQL / MariaDB source") with the binlog decoder's own helpers, so a full-load row and a change-stream
 * row of the same values are byte-identical: FLOAT is read as CAST(.. AS DOUBLE) (exact) and written as the shortest float text,
 * DOUBLE as the shortest double text, BIT as col+0, TIMESTAMP gets "+00:00", binary strings, BLOB and GEOMETRY
 * become \x + hex, and zero dates (month or day 00) become NULL, as in the decoder. */
#include <errno.h>
#include <inttypes.h>
#include <mysql.h>
#include <mysqld_error.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/digits.h"
#include "agent/log.h"
#include "agent/md5.h"
#include "agent/load_segments.h"
#include "agent/mapping_rules.h"
#include "agent/row_filter.h"
#include "agent/table_mapping.h"
#include "agent/table_transform.h"
#include "sources/mysql/binlog_rows.h"
#include "sources/mysql/mysql_internal.h"

static int check_binlog_settings(MYSQL *c, struct lt_error *err)
{
    char v[3][MY_FILE_MAX];
    bool found;
    if (lt_my_query_row(c, "SELECT @@global.log_bin, @@global.binlog_format, @@global.binlog_row_image", 3, v, &found, err))
        return LT_ERR_RUNTIME;
    if (!found)
        return lt_fail(err, LT_ERR_RUNTIME, "mysql: cannot read the binlog settings");
    if (strcmp(v[0], "1") != 0 && strcasecmp(v[0], "ON") != 0)
        return lt_fail(err, LT_ERR_CONFIG, "mysql: log_bin is OFF; change data capture needs the binary log: start "
                       "the server with log_bin (e.g. log_bin=mysql-bin in my.cnf), binlog_format=ROW and "
                       "binlog_row_image=FULL");
    if (strcasecmp(v[1], "ROW") != 0)
        return lt_fail(err, LT_ERR_CONFIG, "mysql: binlog_format is %s; change data capture needs binlog_format=ROW "
                       "(SET GLOBAL binlog_format = 'ROW' and in my.cnf)", v[1]);
    if (strcasecmp(v[2], "FULL") != 0)
        return lt_fail(err, LT_ERR_CONFIG, "mysql: binlog_row_image is %s; change data capture needs "
                       "binlog_row_image=FULL (SET GLOBAL binlog_row_image = 'FULL' and in my.cnf)", v[2]);
    return LT_OK;
}

static int my_open(struct lt_source **out, const struct lt_task_config *cfg, struct lt_error *err)
{
    struct lt_source *s = calloc(1, sizeof *s);
    if (!s)
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    s->cfg = cfg;
    pthread_mutex_init(&s->lock_mutex, NULL);
    int rc = lt_my_cdc_create(s, err);
    if (!rc)
        rc = lt_my_connect(cfg, &s->main, err);
    if (!rc) {
        const char *v = mysql_get_server_info(s->main);
        s->is_mariadb = v && strstr(v, "MariaDB") != NULL;
    }
    if (!rc && cfg->migration_type != LT_MIGRATE_FULL_LOAD)
        rc = check_binlog_settings(s->main, err);
    if (!rc && cfg->source.use_gtid && cfg->migration_type != LT_MIGRATE_FULL_LOAD && !s->is_mariadb)
        rc = lt_fail(err, LT_ERR_CONFIG, "source.use_gtid: resuming by GTID needs a MariaDB server; this is MySQL %s "
                     "(remove use_gtid to resume by binlog file and position)", mysql_get_server_info(s->main));
    if (rc) {
        if (s->main)
            mysql_close(s->main);
        pthread_mutex_destroy(&s->lock_mutex);
        lt_my_cdc_close(s);
        free(s);
        return rc;
    }
    *out = s;
    return LT_OK;
}

static int my_server_identity(struct lt_source *s, char out[256], struct lt_error *err)
{
    const char *sql = s->is_mariadb
                          ? "SELECT CONCAT('mariadb host=', @@hostname, ' port=', @@port, ' server_id=', @@server_id,"
                            " ' gtid_domain_id=', @@gtid_domain_id)"
                          : "SELECT CONCAT('mysql server_uuid=', @@server_uuid)";
    char v[1][MY_FILE_MAX];
    bool found;
    if (lt_my_query_row(s->main, sql, 1, v, &found, err))
        return lt_error_prefix(err, "reading the server's identity: ");
    snprintf(out, 256, "%s", found ? v[0] : "");
    return LT_OK;
}

/* `name` with backquotes doubled, appended to buf at *len (cap bytes; caller made room: 2 * strlen + 3). */
static void append_ident(char *buf, size_t *len, const char *name)
{
    buf[(*len)++] = '`';
    for (const char *p = name; *p; p++) {
        if (*p == '`')
            buf[(*len)++] = '`';
        buf[(*len)++] = *p;
    }
    buf[(*len)++] = '`';
    buf[*len] = '\0';
}


static void format_int128(__int128 v, char out[64])
{
    char tmp[64];
    int n = 0;
    bool neg = v < 0;
    unsigned __int128 u = neg ? (unsigned __int128)(-(v + 1)) + 1 : (unsigned __int128)v;
    do {
        tmp[n++] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u);
    int k = 0;
    if (neg)
        out[k++] = '-';
    while (n)
        out[k++] = tmp[--n];
    out[k] = '\0';
}


/* The SELECT a worker runs: values in a form the canonical text can be made from. */
static char *build_select(const struct my_table_info *t)
{
    size_t cap = 64 + 2 * strlen(t->db) + 2 * strlen(t->table);
    for (uint32_t i = 0; i < t->ncols; i++)
        cap += 2 * strlen(t->names[i]) + 32;
    char *sql = malloc(cap);
    if (!sql)
        return NULL;
    size_t len = (size_t)sprintf(sql, "SELECT ");
    for (uint32_t i = 0; i < t->ncols; i++) {
        if (i)
            len += (size_t)sprintf(sql + len, ", ");
        uint8_t type = t->cols[i].type;
        if (type == LT_MYSQL_TYPE_FLOAT) {
            len += (size_t)sprintf(sql + len, "CAST(");
            append_ident(sql, &len, t->names[i]);
            len += (size_t)sprintf(sql + len, " AS DOUBLE)");
        } else if (type == LT_MYSQL_TYPE_BIT) {
            append_ident(sql, &len, t->names[i]);
            len += (size_t)sprintf(sql + len, " + 0");
        } else {
            append_ident(sql, &len, t->names[i]);
        }
    }
    if (t->ncols == 0)
        len += (size_t)sprintf(sql + len, "1");
    len += (size_t)sprintf(sql + len, " FROM ");
    append_ident(sql, &len, t->db);
    sql[len++] = '.';
    append_ident(sql, &len, t->table);
    return sql;
}

/* The parts a table-settings rule gives a table (DMS's segments: ranges, or partitions), in segs; its load-order. */
static int segments(const struct lt_task_config *cfg, MYSQL *c, const struct my_table_info *info, const char *sql,
                    const char *filter, struct lt_source_table *segs, struct lt_error *err)
{
    segs->load_order = lt_load_order_of(cfg, info->db, info->table);
    const struct lt_table_settings *ts = lt_mapping_settings(cfg->mapping, info->db, info->table);
    if (!ts || !sql)
        return LT_OK;
    segs->parts_fixed = true;
    char **conds = NULL, **names = NULL;
    int n = 0, rc = LT_OK;
    if (ts->type == LT_PL_NONE)
        return LT_OK;
    if (ts->type == LT_PL_RANGES) {
        if ((rc = lt_segments_ranges(ts, info->schema, LT_SQL_MYSQL, &conds, &n, err)))
            return rc;
    } else { /* partitions: the table's, in order, or those of the list (each must exist) */
        char *qdb = lt_my_quote_literal(c, info->db), *qt = lt_my_quote_literal(c, info->table);
        char q[1024];
        snprintf(q, sizeof q, "SELECT DISTINCT PARTITION_NAME, PARTITION_ORDINAL_POSITION FROM information_schema.PARTITIONS"
                 " WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s AND PARTITION_NAME IS NOT NULL"
                 " ORDER BY PARTITION_ORDINAL_POSITION", qdb ? qdb : "''", qt ? qt : "''");
        free(qdb);
        free(qt);
        MYSQL_RES *r = mysql_query(c, q) ? NULL : mysql_store_result(c);
        if (!r)
            return lt_my_error(c, err, "listing partitions");
        int np = (int)mysql_num_rows(r);
        char **have = calloc(np > 0 ? (size_t)np : 1, sizeof *have);
        MYSQL_ROW row;
        for (int k = 0; have && k < np && (row = mysql_fetch_row(r)); k++)
            have[k] = strdup(row[0]);
        mysql_free_result(r);
        if (!have)
            return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
        if (np == 0)
            rc = lt_rule_fail(err, &ts->ref, "parallel-load %s: %s.%s has no partitions",
                              ts->type == LT_PL_PARTITIONS_AUTO ? "partitions-auto" : "partitions-list", info->db,
                              info->table);
        for (int k = 0; !rc && ts->type == LT_PL_PARTITIONS_LIST && k < ts->npartitions; k++) {
            bool found = false;
            for (int j = 0; j < np; j++)
                found |= have[j] && !strcmp(have[j], ts->partitions[k]);
            if (!found)
                rc = lt_rule_fail(err, &ts->ref, "parallel-load.partitions: %s.%s has no partition %s", info->db,
                                  info->table, ts->partitions[k]);
        }
        if (!rc && ts->type == LT_PL_PARTITIONS_LIST && ts->npartitions < np)
            rc = lt_rule_fail(err, &ts->ref, "parallel-load.partitions: %s.%s has %d partitions and the list names %d: "
                              "DMS would load only those, leaving the others' rows out of the table's files; list "
                              "them all, or use partitions-auto", info->db, info->table, np, ts->npartitions);
        if (!rc) {
            n = ts->type == LT_PL_PARTITIONS_LIST ? ts->npartitions : np;
            names = calloc((size_t)n, sizeof *names);
            conds = calloc((size_t)n, sizeof *conds);
            for (int k = 0; names && conds && k < n; k++)
                names[k] = strdup(ts->type == LT_PL_PARTITIONS_LIST ? ts->partitions[k] : have[k]);
            if (!names || !conds)
                rc = lt_fail(err, LT_ERR_RUNTIME, "out of memory");
        }
        for (int j = 0; j < np; j++)
            free(have[j]);
        free(have);
        if (rc) {
            for (int k = 0; names && k < n; k++)
                free(names[k]);
            free(names);
            free(conds);
            return rc;
        }
    }
    segs->part_sql = calloc((size_t)n, sizeof *segs->part_sql);
    if (!segs->part_sql)
        rc = lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    else
        segs->nparts = n;
    for (int k = 0; k < n; k++) {
        char *p = NULL;
        if (!rc && conds[k]) { /* a range: the table's SELECT and the segment's condition */
            size_t len = strlen(sql) + strlen(conds[k]) + 16;
            if ((p = malloc(len)))
                snprintf(p, len, "%s %s %s", sql, filter ? "AND" : "WHERE", conds[k]);
        } else if (!rc) { /* a partition: SELECT ... FROM db.t PARTITION (p) [WHERE filter] */
            char *base = build_select(info);
            size_t len = (base ? strlen(base) : 0) + 2 * strlen(names[k]) + (filter ? strlen(filter) : 0) + 32;
            if (base && (p = malloc(len))) {
                size_t at = (size_t)snprintf(p, len, "%s PARTITION (", base);
                append_ident(p, &at, names[k]);
                snprintf(p + at, len - at, ")%s%s", filter ? " WHERE " : "", filter ? filter : "");
            }
            free(base);
        }
        if (!rc && !(segs->part_sql[k] = p))
            rc = lt_fail(err, LT_ERR_RUNTIME, "out of memory");
        free(conds[k]);
    }
    free(conds);
    segs->part_names = names;
    segs->part_layout = ts->type == LT_PL_RANGES ? (ts->nsegment_names ? LT_PARTS_FOLDERS : LT_PARTS_PREFIX)
                                                 : LT_PARTS_FOLDERS;
    if (!rc && ts->type == LT_PL_RANGES && ts->nsegment_names) {
        if (!(segs->part_names = calloc((size_t)n, sizeof *segs->part_names)))
            rc = lt_fail(err, LT_ERR_RUNTIME, "out of memory");
        for (int k = 0; !rc && k < n; k++)
            if (!(segs->part_names[k] = strdup(ts->segment_names[k])))
                rc = lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    }
    return rc;
}

/* build_select with the table's source filter, if any. */
static char *build_select_where(const struct my_table_info *t, const char *filter)
{
    char *sql = build_select(t);
    if (!sql || !filter)
        return sql;
    size_t n = strlen(sql) + strlen(filter) + 16;
    char *out = malloc(n);
    if (out)
        snprintf(out, n, "%s WHERE %s", sql, filter);
    free(sql);
    return out;
}

static void free_list(struct lt_table_list *l)
{
    lt_table_list_free(l);
}

/* 1 for the engines whose START TRANSACTION WITH CONSISTENT SNAPSHOT covers their tables, 0 for the others. */
#define SNAPSHOT_ENGINE "COALESCE(UPPER(ENGINE) IN ('INNODB', 'ROCKSDB', 'TOKUDB'), 0)"

static void free_lock_tables(struct lt_source *s)
{
    for (int i = 0; i < s->n_lock_tables; i++) {
        free(s->lock_tables[i].db);
        free(s->lock_tables[i].table);
    }
    free(s->lock_tables);
    s->lock_tables = NULL;
    s->n_lock_tables = s->n_lock_pending = 0;
}

/* Lists the selected base tables of the configured databases (on c): names and row estimates only, the schemas
 * still without columns (complete_tables adds them), so the snapshot's lock is held for one query. Tables of
 * engines without consistent snapshots come first; with `note_locked` they are also kept in s->lock_tables. */
static int list_selected_tables(struct lt_source *s, MYSQL *c, bool note_locked, struct lt_table_list *out,
                                struct lt_error *err)
{
    memset(out, 0, sizeof *out);
    size_t cap = 512;
    for (char **d = s->cfg->source.databases; d && *d; d++)
        cap += 2 * strlen(*d) + 8;
    char *sql = malloc(cap);
    if (!sql)
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    bool views = s->cfg->mapping && s->cfg->mapping->wants_views; /* table-type view or all (full load only) */
    size_t len = (size_t)sprintf(sql, "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_ROWS, DATA_LENGTH, " SNAPSHOT_ENGINE
                                      ", TABLE_TYPE = 'VIEW' FROM information_schema.TABLES"
                                      " WHERE TABLE_TYPE IN ('BASE TABLE'%s) AND TABLE_SCHEMA IN (",
                                 views ? ", 'VIEW'" : "");
    int ndb = 0;
    for (char **d = s->cfg->source.databases; d && *d; d++) {
        char *q = lt_my_quote_literal(c, *d);
        if (!q) {
            free(sql);
            return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
        }
        len += (size_t)sprintf(sql + len, "%s%s", ndb++ ? ", " : "", q);
        free(q);
    }
    len += (size_t)sprintf(sql + len, "%s) ORDER BY 5, TABLE_SCHEMA, TABLE_NAME", ndb ? "" : "NULL");
    int q = mysql_query(c, sql);
    free(sql);
    MYSQL_RES *r = q ? NULL : mysql_store_result(c);
    if (!r)
        return lt_my_error(c, err, "listing tables");
    lt_my_log_warnings(c, "listing tables");
    int n = (int)mysql_num_rows(r);
    out->tables = calloc(n > 0 ? (size_t)n : 1, sizeof *out->tables);
    if (!out->tables) {
        mysql_free_result(r);
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    }
    MYSQL_ROW row;
    int rc = LT_OK;
    while (!rc && (row = mysql_fetch_row(r)) != NULL) {
        bool is_view = row[5] && strcmp(row[5], "1") == 0;
        if (!lt_rules_select_kind(s->cfg->rules, s->cfg->nrules, row[0], row[1], is_view))
            continue;
        struct lt_source_table *t = &out->tables[out->n];
        t->schema = lt_schema_new(row[0], row[1], 0);
        t->estimated_rows = row[2] ? strtoll(row[2], NULL, 10) : -1;
        t->estimated_bytes = row[3] ? strtoll(row[3], NULL, 10) : -1;
        out->n++;
        if (!t->schema)
            rc = lt_fail(err, LT_ERR_RUNTIME, "out of memory");
        t->read_first = !is_view && row[4] && strcmp(row[4], "0") == 0; /* read under the snapshot's lock */
        if (!rc && note_locked && t->read_first) {
            if (!s->lock_tables && !(s->lock_tables = calloc((size_t)n, sizeof *s->lock_tables)))
                rc = lt_fail(err, LT_ERR_RUNTIME, "out of memory");
            struct my_locked_table *l = rc ? NULL : &s->lock_tables[s->n_lock_tables];
            if (l && (!(l->db = strdup(row[0])) || !(l->table = strdup(row[1]))))
                rc = lt_fail(err, LT_ERR_RUNTIME, "out of memory");
            if (l)
                s->n_lock_tables++;
        }
    }
    mysql_free_result(r);
    if (rc) {
        free_list(out);
        free_lock_tables(s);
    }
    return rc;
}

/* Reads the columns of the listed tables (after the snapshot's lock: a DDL since the snapshot makes the worker's
 * SELECT fail with "table definition has changed", never read other columns). A table dropped since is left out
 * (its SELECT could not run either). */
static int complete_tables(const struct lt_task_config *cfg, MYSQL *c, struct lt_table_list *list,
                           struct lt_error *err)
{
    int kept = 0;
    for (int i = 0; i < list->n; i++) {
        struct lt_source_table *t = &list->tables[i];
        struct my_table_info *info = NULL;
        if (lt_my_table_info_load(c, t->schema->schema_name, t->schema->table_name, &info, err)) {
            for (int j = i; j < list->n; j++) { /* [kept, i) were moved or freed already */
                lt_schema_free(list->tables[j].schema);
                free(list->tables[j].copy_sql);
            }
            list->n = kept;
            return LT_ERR_RUNTIME;
        }
        if (!info) {
            lt_schema_free(t->schema);
            free(t->copy_sql);
            continue;
        }
        struct lt_table_schema *schema = lt_schema_copy(info->schema);
        char *filter = NULL;
        int frc = schema ? lt_mapping_apply_key(cfg, schema, err) : LT_OK;
        if (!frc)
            frc = lt_row_filter_where(cfg, info->schema, LT_SQL_MYSQL, &filter, err);
        if (frc) {
            lt_schema_free(schema);
            lt_my_table_info_free(info);
            for (int j = i; j < list->n; j++) {
                lt_schema_free(list->tables[j].schema);
                free(list->tables[j].copy_sql);
            }
            list->n = kept;
            return frc;
        }
        char *sql = build_select_where(info, filter);
        bool filtered = filter != NULL;
        struct lt_source_table segs = {0};
        int src = segments(cfg, c, info, sql, filter, &segs, err);
        free(filter);
        lt_my_table_info_free(info);
        if (src) {
            free(sql);
            lt_schema_free(schema);
            lt_source_table_free_parts(&segs);
            for (int j = i; j < list->n; j++) {
                lt_schema_free(list->tables[j].schema);
                free(list->tables[j].copy_sql);
            }
            list->n = kept;
            return src;
        }
        lt_schema_free(t->schema);
        free(t->copy_sql);
        list->tables[kept] = (struct lt_source_table){.schema = schema, .estimated_rows = t->estimated_rows,
                                                      .estimated_bytes = t->estimated_bytes,
                                                      .read_first = t->read_first, .copy_sql = sql,
                                                      .filtered = filtered, .nparts = segs.nparts,
                                                      .part_sql = segs.part_sql, .part_names = segs.part_names,
                                                      .part_layout = segs.part_layout, .parts_fixed = segs.parts_fixed,
                                                      .load_order = segs.load_order};
        kept++;
        if (!schema || !sql) {
            for (int j = i + 1; j < list->n; j++) {
                lt_schema_free(list->tables[j].schema);
                free(list->tables[j].copy_sql);
            }
            list->n = kept;
            return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
        }
    }
    list->n = kept;
    return LT_OK;
}

/* Parses the decimal text of an integer (MIN/MAX of a key); false when it is not one. */
static bool parse_int128(const char *v, __int128 *out)
{
    bool neg = *v == '-';
    const char *p = v + (neg || *v == '+');
    if (!*p || strlen(p) > 20)
        return false;
    __int128 n = 0;
    for (; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        n = n * 10 + (*p - '0');
    }
    *out = neg ? -n : n;
    return true;
}

/* The index of a table's only key column when it is an integer (BIGINT UNSIGNED travels as DECIMAL(20,0)), else
 * -1: such a table can be read in ranges of its key. */
static int integer_key_column(const struct lt_table_schema *t)
{
    int key = -1;
    for (int i = 0; i < t->ncols; i++) {
        if (!t->cols[i].is_key)
            continue;
        if (key >= 0)
            return -1;
        key = i;
    }
    if (key < 0 || t->cols[key].nullable) /* ranges of a column never hold its NULLs */
        return -1;
    enum lt_type ty = t->cols[key].type;
    bool integer = ty == LT_TYPE_INT16 || ty == LT_TYPE_INT32 || ty == LT_TYPE_INT64 ||
                   (ty == LT_TYPE_DECIMAL && t->cols[key].scale == 0 && t->cols[key].precision <= 20);
    return integer ? key : -1;
}

/* Splits a big table with an integer key into nparts ranges of equal key width between the snapshot's MIN and MAX
 * of the key (read on c, a worker inside the snapshot): the first part reads every key below the first bound, the
 * last every key from the last bound up, so the parts read exactly the rows of the whole-table SELECT. A table
 * whose key range is too narrow to split stays whole. */
static int split_by_key_range(MYSQL *c, struct lt_source_table *t, int nparts, struct lt_error *err)
{
    int key = integer_key_column(t->schema);
    if (key < 0)
        return LT_OK;
    size_t cap = 64 + 4 * strlen(t->schema->cols[key].name) + 2 * strlen(t->schema->schema_name) +
                 2 * strlen(t->schema->table_name);
    char *sql = malloc(cap);
    if (!sql)
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    size_t len = (size_t)sprintf(sql, "SELECT MIN(");
    append_ident(sql, &len, t->schema->cols[key].name);
    len += (size_t)sprintf(sql + len, "), MAX(");
    append_ident(sql, &len, t->schema->cols[key].name);
    len += (size_t)sprintf(sql + len, ") FROM ");
    append_ident(sql, &len, t->schema->schema_name);
    sql[len++] = '.';
    append_ident(sql, &len, t->schema->table_name);
    char v[2][MY_FILE_MAX];
    bool found;
    int rc = lt_my_query_row(c, sql, 2, v, &found, err);
    free(sql);
    if (rc)
        return lt_error_prefix(err, "reading the key range of %s.%s: ", t->schema->schema_name,
                               t->schema->table_name);
    __int128 lo, hi;
    if (!found || !parse_int128(v[0], &lo) || !parse_int128(v[1], &hi) || hi - lo + 1 < nparts)
        return LT_OK;
    if (!(t->part_sql = calloc((size_t)nparts, sizeof *t->part_sql)))
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    t->nparts = nparts;
    size_t base = strlen(t->copy_sql);
    for (int i = 0; i < nparts; i++) {
        char from[64], to[64];
        format_int128(lo + (hi - lo + 1) * i / nparts, from);
        format_int128(lo + (hi - lo + 1) * (i + 1) / nparts, to);
        char *p = malloc(base + 2 * strlen(t->schema->cols[key].name) + 160);
        if (!(t->part_sql[i] = p))
            return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
        len = (size_t)sprintf(p, "%s %s ", t->copy_sql, t->filtered ? "AND" : "WHERE");
        if (i > 0) {
            append_ident(p, &len, t->schema->cols[key].name);
            len += (size_t)sprintf(p + len, " >= %s%s", from, i < nparts - 1 ? " AND " : "");
        }
        if (i < nparts - 1) {
            append_ident(p, &len, t->schema->cols[key].name);
            len += (size_t)sprintf(p + len, " < %s", to);
        }
    }
    return LT_OK;
}

/* How many parts a table should be read in: tables read under the snapshot's lock are read whole. */
static int parts_wanted(const struct lt_source *s, const struct lt_source_table *t)
{
    return t->read_first ? 1 : lt_load_parts_wanted(s->cfg, t->estimated_bytes);
}

/* Splits the big tables of the list into parts (parts_wanted), reading key ranges on worker 0. */
static int split_big_tables(struct lt_source *s, struct lt_table_list *list, struct lt_error *err)
{
    for (int i = 0; i < list->n; i++) {
        struct lt_source_table *t = &list->tables[i];
        int nparts = t->parts_fixed ? 1 : parts_wanted(s, t);
        if (nparts > 1 && s->nworkers > 1 && split_by_key_range(s->workers[0], t, nparts, err)) {
            lt_source_table_free_parts(t);
            return LT_ERR_RUNTIME;
        }
    }
    return LT_OK;
}

static int my_snapshot_begin(struct lt_source *s, enum lt_snapshot_kind kind, struct lt_snapshot_info *info,
                             struct lt_error *err)
{
    /* The task's first load and a table joining the running stream both need the binlog coordinates of exactly
     * this snapshot (taken under the lock); a plain full load works without a binlog. */
    bool for_cdc = kind != LT_SNAPSHOT_PLAIN;
    memset(info, 0, sizeof *info);
    int rc;
    /* Writers wait at most this long on the lock; FTWRL itself gives up after lock_wait_timeout. */
    if ((rc = lt_my_exec(s->main, "SET SESSION lock_wait_timeout = 60", err)))
        return rc;
    if (lt_my_exec(s->main, "FLUSH TABLES WITH READ LOCK", err))
        return lt_error_prefix(err, "taking the snapshot (the user needs the RELOAD privilege): ");
    s->locked = true;
    free_lock_tables(s);
    rc = list_selected_tables(s, s->main, true, &s->pending_list, err);
    if (!rc)
        s->have_list = true;
    /* One connection per table or table part, at most MaxFullLoadSubTasks. */
    int units = 0;
    for (int i = 0; !rc && i < s->pending_list.n; i++) {
        const struct lt_source_table *t = &s->pending_list.tables[i];
        /* a table-settings rule's segments are known only with the table's columns: as many as can run */
        units += lt_mapping_settings(s->cfg->mapping, t->schema->schema_name, t->schema->table_name)
                     ? MY_MAX_WORKERS
                     : parts_wanted(s, t);
    }
    int want = s->cfg->target.max_full_load_subtasks;
    if (!rc && want > units)
        want = units;
    if (want < 1)
        want = 1;
    if (want > MY_MAX_WORKERS)
        want = MY_MAX_WORKERS;
    for (int i = 0; !rc && i < want; i++) {
        if ((rc = lt_my_connect(s->cfg, &s->workers[i], err)))
            break;
        s->nworkers = i + 1;
        if ((rc = lt_my_exec(s->workers[i], "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ", err)) ||
            (rc = lt_my_exec(s->workers[i], "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY", err)))
            lt_error_prefix(err, "starting a worker's snapshot: ");
    }
    char file[MY_FILE_MAX] = "";
    uint64_t pos = 0;
    if (!rc) {
        char v[1][MY_FILE_MAX];
        bool found;
        rc = lt_my_query_row(s->main, "SELECT CAST(UNIX_TIMESTAMP(NOW(6)) * 1000000 AS SIGNED)", 1, v, &found, err);
        if (!rc)
            info->time_us = strtoll(v[0], NULL, 10);
    }
    char gtid[MY_GTID_MAX] = "";
    if (!rc) {
        rc = lt_my_master_status(s->main, file, &pos, err);
        if (rc && !for_cdc) { /* a plain full load works without a binlog: position 0 */
            rc = LT_OK;
            file[0] = '\0';
            pos = 0;
        }
    }
    if (!rc && file[0] && s->is_mariadb) { /* under the lock: the GTID position of exactly these coordinates */
        char v[1][MY_FILE_MAX];
        bool found;
        rc = lt_my_query_row(s->main, "SELECT @@global.gtid_binlog_pos", 1, v, &found, err);
        if (!rc && found && lt_my_gtid_valid(v[0], strlen(v[0])))
            snprintf(gtid, sizeof gtid, "%s", v[0]);
    }
    /* Tables without consistent snapshots are read under the lock (the load workers take them first, and the
     * last one done unlocks, see lock_table_done); without such tables the lock ends here. */
    s->n_lock_pending = rc ? 0 : s->n_lock_tables;
    struct lt_error ignored;
    if (s->n_lock_pending == 0 && lt_my_exec(s->main, "UNLOCK TABLES", &ignored) == LT_OK)
        s->locked = false;
    if (!rc && s->have_list)
        rc = complete_tables(s->cfg, s->main, &s->pending_list, err);
    if (!rc && s->have_list)
        rc = split_big_tables(s, &s->pending_list, err);
    if (rc)
        return rc;
    lt_my_format_pos(file[0] ? lt_my_file_index(file) : 0, pos, 0, info->pos);
    if (file[0])
        lt_my_format_checkpoint(file, pos, gtid, info->checkpoint);
    return LT_OK;
}

static int my_selected_tables(struct lt_source *s, struct lt_table_refs *out, struct lt_error *err)
{
    memset(out, 0, sizeof *out);
    struct lt_table_list list;
    int rc = list_selected_tables(s, s->main, false, &list, err);
    if (rc)
        return rc;
    for (int i = 0; !rc && i < list.n; i++)
        rc = lt_table_refs_add(out, list.tables[i].schema->schema_name, list.tables[i].schema->table_name, "", err);
    free_list(&list);
    if (rc)
        lt_table_refs_free(out);
    return rc;
}

static int my_list_tables(struct lt_source *s, struct lt_table_list *out, struct lt_error *err)
{
    if (s->have_list) {
        *out = s->pending_list;
        memset(&s->pending_list, 0, sizeof s->pending_list);
        s->have_list = false;
        return LT_OK;
    }
    int rc = list_selected_tables(s, s->main, false, out, err);
    if (!rc && (rc = complete_tables(s->cfg, s->main, out, err)))
        free_list(out);
    return rc;
}

/* ---- full load ---- */

static bool is_zero_date(const char *v, unsigned long len)
{
    /* "YYYY-MM-DD..." with month or day 00, year 0000 or a day past the month's end has no canonical form (the binlog
     * decoder writes NULL too) */
    unsigned n[8];
    static const int at[8] = {0, 1, 2, 3, 5, 6, 8, 9};
    if (len < 10)
        return false;
    for (int i = 0; i < 8; i++) {
        if (v[at[i]] < '0' || v[at[i]] > '9')
            return false;
        n[i] = (unsigned)(v[at[i]] - '0');
    }
    return !lt_mysql_date_is_canonical(n[0] * 1000 + n[1] * 100 + n[2] * 10 + n[3], n[4] * 10 + n[5], n[6] * 10 + n[7]);
}

/* Appends the canonical text of one value (not NULL) of col to s; *is_null when it must become NULL. */
static int value_text(const struct lt_column *lc, const struct lt_binlog_column *col, const char *v,
                      unsigned long len, struct lt_my_scratch *s, bool *is_null, struct lt_error *err)
{
    (void)lc;
    *is_null = false;
    switch (col->type) {
    case LT_MYSQL_TYPE_FLOAT: {
        char buf[64];
        snprintf(buf, sizeof buf, "%.*s", (int)(len < 63 ? len : 63), v);
        return lt_my_float_to_text((float)strtod(buf, NULL), s, err);
    }
    case LT_MYSQL_TYPE_DOUBLE: {
        char buf[64];
        snprintf(buf, sizeof buf, "%.*s", (int)(len < 63 ? len : 63), v);
        return lt_my_double_to_text(strtod(buf, NULL), s, err);
    }
    case LT_MYSQL_TYPE_DATE: case LT_MYSQL_TYPE_DATETIME2:
        if (is_zero_date(v, len)) {
            *is_null = true;
            return LT_OK;
        }
        return lt_my_scratch_append(s, v, len, err);
    case LT_MYSQL_TYPE_TIMESTAMP2:
        if (is_zero_date(v, len)) {
            *is_null = true;
            return LT_OK;
        }
        if (lt_my_scratch_append(s, v, len, err))
            return LT_ERR_RUNTIME;
        return lt_my_scratch_append(s, "+00:00", 6, err);
    case LT_MYSQL_TYPE_GEOMETRY:
        return lt_my_hex_to_text((const uint8_t *)v, len, s, err);
    case LT_MYSQL_TYPE_STRING: case LT_MYSQL_TYPE_VARCHAR: case LT_MYSQL_TYPE_BLOB:
        if (col->charset == LT_MYSQL_CHARSET_BINARY)
            return lt_my_hex_to_text((const uint8_t *)v, len, s, err);
        return lt_my_scratch_append(s, v, len, err);
    default:
        return lt_my_scratch_append(s, v, len, err);
    }
}

/* True when value_text would copy the server's text unchanged (zero dates aside). */
static bool value_is_passthrough(const struct lt_binlog_column *col)
{
    switch (col->type) {
    case LT_MYSQL_TYPE_FLOAT: case LT_MYSQL_TYPE_DOUBLE: case LT_MYSQL_TYPE_TIMESTAMP2: case LT_MYSQL_TYPE_GEOMETRY:
        return false;
    case LT_MYSQL_TYPE_STRING: case LT_MYSQL_TYPE_VARCHAR: case LT_MYSQL_TYPE_BLOB:
        return col->charset != LT_MYSQL_CHARSET_BINARY;
    default:
        return true;
    }
}

/* A table read under the snapshot's lock is done (loaded or failed): the last one releases the lock. */
static void lock_table_done(struct lt_source *s, const struct lt_table_schema *t)
{
    pthread_mutex_lock(&s->lock_mutex);
    for (int i = 0; i < s->n_lock_tables; i++) {
        struct my_locked_table *l = &s->lock_tables[i];
        if (!l->done && strcmp(l->db, t->schema_name) == 0 && strcmp(l->table, t->table_name) == 0) {
            l->done = true;
            if (--s->n_lock_pending == 0 && s->locked) {
                struct lt_error ignored;
                if (lt_my_exec(s->main, "UNLOCK TABLES", &ignored) == LT_OK)
                    s->locked = false;
            }
            break;
        }
    }
    pthread_mutex_unlock(&s->lock_mutex);
}

static int load_table(struct lt_source *s, int worker, const struct lt_source_table *t, int part,
                      const struct lt_snapshot_info *snap, lt_row_fn fn, void *ctx, struct lt_error *err);

static int my_load_table(struct lt_source *s, int worker, const struct lt_source_table *t, int part,
                         const struct lt_snapshot_info *snap, lt_row_fn fn, void *ctx, struct lt_error *err)
{
    int rc = load_table(s, worker, t, part, snap, fn, ctx, err);
    if (s->n_lock_tables)
        lock_table_done(s, t->schema);
    return rc;
}

static int load_table(struct lt_source *s, int worker, const struct lt_source_table *t, int part,
                      const struct lt_snapshot_info *snap, lt_row_fn fn, void *ctx, struct lt_error *err)
{
    if (worker < 0 || worker >= s->nworkers || !s->workers[worker])
        return lt_fail(err, LT_ERR_RUNTIME, "mysql: worker %d has no snapshot connection", worker);
    MYSQL *c = s->workers[worker];
    /* The column details (binary or text, FLOAT, TIMESTAMP...) as the snapshot sees them. */
    struct my_table_info *info;
    if (lt_my_table_info_load(c, t->schema->schema_name, t->schema->table_name, &info, err))
        return LT_ERR_RUNTIME;
    if (!info || (int)info->ncols != t->schema->ncols) {
        lt_my_table_info_free(info);
        return lt_fail(err, LT_ERR_RUNTIME, "mysql: %s.%s changed while the snapshot was taken",
                       t->schema->schema_name, t->schema->table_name);
    }
    int ncols = t->schema->ncols;
    struct lt_value *vals = calloc(ncols > 0 ? (size_t)ncols : 1, sizeof *vals);
    size_t *offs = calloc(ncols > 0 ? (size_t)ncols : 1, sizeof *offs);
    if (!vals || !offs) {
        free(vals);
        free(offs);
        lt_my_table_info_free(info);
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    }
    /* columns whose text is the server's own bytes: no conversion, no copy */
    bool *passthrough = calloc(ncols > 0 ? (size_t)ncols : 1, sizeof *passthrough);
    if (!passthrough) {
        free(vals);
        free(offs);
        lt_my_table_info_free(info);
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    }
    for (int i = 0; i < ncols; i++)
        passthrough[i] = value_is_passthrough(&info->cols[i]);
    struct lt_my_scratch scratch = {0};
    struct lt_row row = {.op = 'I', .commit_ts_us = snap->time_us, .nvals = ncols, .vals = vals};
    memcpy(row.pos, snap->pos, sizeof row.pos);
    int rc = LT_OK;
    MYSQL_RES *r = NULL;
    const char *sql = lt_source_table_sql(t, part);
    if (mysql_query(c, sql) || !(r = mysql_use_result(c))) {
        rc = lt_my_error(c, err, "reading the table");
    } else {
        if ((int)mysql_num_fields(r) != (ncols ? ncols : 1))
            rc = lt_fail(err, LT_ERR_RUNTIME, "mysql: unexpected column count from %s", sql);
        MYSQL_ROW mrow;
        while (!rc && (mrow = mysql_fetch_row(r)) != NULL) {
            unsigned long *lens = mysql_fetch_lengths(r);
            lt_my_scratch_reset(&scratch);
            for (int i = 0; i < ncols && !rc; i++) {
                offs[i] = SIZE_MAX; /* the value is the server's own bytes (or NULL) */
                if (!mrow[i]) {
                    vals[i].state = LT_VALUE_NULL;
                    continue;
                }
                uint8_t type = info->cols[i].type;
                if (passthrough[i]) {
                    bool zero = (type == LT_MYSQL_TYPE_DATE || type == LT_MYSQL_TYPE_DATETIME2) &&
                                is_zero_date(mrow[i], lens[i]);
                    vals[i].state = zero ? LT_VALUE_NULL : LT_VALUE_PRESENT;
                    vals[i].data = mrow[i];
                    vals[i].len = zero ? 0 : (uint32_t)lens[i];
                    continue;
                }
                offs[i] = scratch.len;
                bool is_null;
                rc = value_text(&t->schema->cols[i], &info->cols[i], mrow[i], lens[i], &scratch, &is_null, err);
                vals[i].state = is_null ? LT_VALUE_NULL : LT_VALUE_PRESENT;
                vals[i].len = is_null ? 0 : (uint32_t)(scratch.len - offs[i]);
            }
            if (rc)
                break;
            for (int i = 0; i < ncols; i++)
                if (offs[i] != SIZE_MAX)
                    vals[i].data = scratch.data ? scratch.data + offs[i] : "";
            rc = fn(ctx, &row, err);
        }
        if (!rc && mysql_errno(c))
            rc = lt_my_error(c, err, "reading the table");
    }
    if (r) {
        if (rc) {
            /* Leave this connection: draining a large table would take as long as reading it. */
            r->handle = NULL;
            mysql_free_result(r);
            mysql_close(s->workers[worker]);
            s->workers[worker] = NULL;
        } else {
            mysql_free_result(r);
            lt_my_log_warnings(c, "reading a table");
        }
    }
    lt_my_scratch_free(&scratch);
    free(passthrough);
    free(vals);
    free(offs);
    lt_my_table_info_free(info);
    return rc;
}

/* ---- validate and status ---- */

/* Streams the table on the main connection and fingerprints each row's canonical text (the same text the full
 * load writes), so the sum matches what the agent computes from the files. */
static int my_table_checksum(struct lt_source *s, const struct lt_table_schema *t, int64_t *rows, char sum[64],
                             struct lt_error *err)
{
    struct my_table_info *info;
    if (lt_my_table_info_load(s->main, t->schema_name, t->table_name, &info, err))
        return LT_ERR_RUNTIME;
    if (!info)
        return lt_fail(err, LT_ERR_RUNTIME, "mysql: %s.%s does not exist", t->schema_name, t->table_name);
    char *filter = NULL;
    int rc = lt_row_filter_where(s->cfg, info->schema, LT_SQL_MYSQL, &filter, err);
    int *map = calloc(t->ncols > 0 ? (size_t)t->ncols : 1, sizeof *map);
    char *sql = rc ? NULL : build_select_where(info, filter);
    free(filter);
    if (!rc && (!map || !sql))
        rc = lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    for (int j = 0; !rc && j < t->ncols; j++) {
        map[j] = -1;
        for (uint32_t i = 0; i < info->ncols; i++)
            if (strcmp(info->names[i], t->cols[j].name) == 0)
                map[j] = (int)i;
        if (map[j] < 0)
            rc = lt_fail(err, LT_ERR_RUNTIME, "mysql: %s.%s has no column %s now", t->schema_name, t->table_name,
                         t->cols[j].name);
    }
    MYSQL_RES *r = NULL;
    if (!rc && (mysql_query(s->main, sql) || !(r = mysql_use_result(s->main))))
        rc = lt_my_error(s->main, err, "checksum");
    struct lt_my_scratch text = {0};
    __int128 total = 0;
    int64_t n = 0;
    MYSQL_ROW mrow;
    while (!rc && (mrow = mysql_fetch_row(r)) != NULL) {
        unsigned long *lens = mysql_fetch_lengths(r);
        lt_my_scratch_reset(&text);
        for (int j = 0; !rc && j < t->ncols; j++) {
            int i = map[j];
            if (j)
                rc = lt_my_scratch_append(&text, "\t", 1, err);
            bool is_null = !mrow[i];
            size_t mark = text.len;
            if (!rc && !is_null)
                rc = value_text(&t->cols[j], &info->cols[i], mrow[i], lens[i], &text, &is_null, err);
            if (!rc && is_null) {
                text.len = mark;
                rc = lt_my_scratch_append(&text, "\\N", 2, err);
            }
        }
        if (rc)
            break;
        struct lt_md5 m;
        unsigned char d[16];
        lt_md5_init(&m);
        lt_md5_update(&m, text.data ? text.data : "", text.len);
        lt_md5_final(&m, d);
        uint64_t u = 0;
        for (int k = 0; k < 8; k++)
            u = u << 8 | d[k];
        total += (int64_t)u;
        n++;
    }
    if (!rc && r && mysql_errno(s->main))
        rc = lt_my_error(s->main, err, "checksum");
    if (r)
        mysql_free_result(r);
    if (!rc)
        lt_my_log_warnings(s->main, "checksum");
    lt_my_scratch_free(&text);
    free(map);
    free(sql);
    lt_my_table_info_free(info);
    if (rc)
        return rc;
    *rows = n;
    format_int128(total, sum);
    return LT_OK;
}

/* Bytes of binlog between two checkpoints: within one file the difference, across files with the sizes from
 * SHOW BINARY LOGS of the files in between. */
static int my_lag_bytes(struct lt_source *s, const char *from, const char *to, int64_t *bytes, struct lt_error *err)
{
    char fa[MY_FILE_MAX], fb[MY_FILE_MAX];
    uint64_t a, b;
    if (!lt_my_parse_checkpoint(from, fa, &a, NULL) || !lt_my_parse_checkpoint(to, fb, &b, NULL))
        return lt_fail(err, LT_ERR_RUNTIME, "\"%s\" or \"%s\" is not a binlog position", from, to);
    if (strcmp(fa, fb) == 0)
        return lt_my_binlog_distance(NULL, 0, fa, a, fb, b, bytes);
    if (mysql_query(s->main, "SHOW BINARY LOGS"))
        return lt_my_error(s->main, err, "SHOW BINARY LOGS");
    MYSQL_RES *r = mysql_store_result(s->main);
    if (!r)
        return lt_my_error(s->main, err, "SHOW BINARY LOGS");
    size_t n = (size_t)mysql_num_rows(r);
    struct lt_my_binlog_file *files = calloc(n ? n : 1, sizeof *files);
    if (!files) {
        mysql_free_result(r);
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    }
    MYSQL_ROW row;
    size_t k = 0;
    while (k < n && (row = mysql_fetch_row(r)) != NULL && mysql_num_fields(r) >= 2) {
        files[k].name = row[0] ? row[0] : "";
        files[k].size = row[1] ? strtoull(row[1], NULL, 10) : 0;
        k++;
    }
    int rc = lt_my_binlog_distance(files, k, fa, a, fb, b, bytes);
    free(files);
    mysql_free_result(r);
    if (rc)
        return lt_fail(err, LT_ERR_RUNTIME, "binlog %s is not listed before %s by SHOW BINARY LOGS (purged?)", fa, fb);
    return LT_OK;
}

static void my_snapshot_end(struct lt_source *s)
{
    for (int i = 0; i < MY_MAX_WORKERS; i++) {
        if (s->workers[i]) {
            mysql_close(s->workers[i]);
            s->workers[i] = NULL;
        }
    }
    s->nworkers = 0;
    if (s->locked && s->main) {
        struct lt_error ignored;
        lt_my_exec(s->main, "UNLOCK TABLES", &ignored);
        s->locked = false;
    }
    free_lock_tables(s);
    if (s->have_list) {
        free_list(&s->pending_list);
        s->have_list = false;
    }
}

static void my_close(struct lt_source *s)
{
    if (!s)
        return;
    my_snapshot_end(s);
    lt_my_cdc_close(s);
    if (s->main)
        mysql_close(s->main);
    pthread_mutex_destroy(&s->lock_mutex);
    free(s);
}

const struct logtap_source_ops lt_mysql_source = {
    .name = "mysql",
    .check = lt_my_check,
    .open = my_open,
    .snapshot_begin = my_snapshot_begin,
    .server_identity = my_server_identity,
    .selected_tables = my_selected_tables,
    .list_tables = my_list_tables,
    .load_table = my_load_table,
    .snapshot_end = my_snapshot_end,
    .close = my_close,
    .cdc_begin = lt_my_cdc_begin,
    .stream_start = lt_my_stream_start,
    .stream_next = lt_my_stream_next,
    .stream_ack = lt_my_stream_ack,
    .table_checksum = my_table_checksum,
    .lag_bytes = my_lag_bytes,
    .current_position = lt_my_current_position,
    .checkpoint_check = lt_my_checkpoint_check,
    .checkpoint_compare = lt_my_checkpoint_compare,
    .position_bound = lt_my_position_bound,
    .position_checkpoint = lt_my_position_checkpoint,
};
