/* MySQL/MariaDB connections (MariaDB Connector/C) with logtap's session settings, statements, SHOW MASTER STATUS and
 * the GTID position, and a table's columns and key from information_schema: the helpers both the full load
 * (mysql_source.c) and the change stream (mysql_cdc.c) use. */
#include "sources/mysql/mysql_conn.h"

#include <errno.h>
#include <inttypes.h>
#include <mysqld_error.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/digits.h"
#include "agent/log.h"

/* ---- connections ---- */

int lt_my_error(MYSQL *c, struct lt_error *err, const char *what)
{
    return lt_fail(err, LT_ERR_RUNTIME, "mysql: %s: %s (error %u)", what, mysql_error(c), mysql_errno(c));
}

/* MariaDB and MySQL keep a statement's warnings on the server until the next statement and never print them:
 * when the last statement left some (its OK or EOF packet says how many), one SHOW WARNINGS brings them into
 * logtap's log (Notes at debug, Warnings at warn, Errors at error), naming what logtap was doing. */
void lt_my_log_warnings(MYSQL *c, const char *what)
{
    if (mysql_warning_count(c) == 0 || mysql_query(c, "SHOW WARNINGS"))
        return;
    MYSQL_RES *r = mysql_store_result(c);
    if (!r)
        return;
    MYSQL_ROW row;
    while ((row = mysql_fetch_row(r)) != NULL && mysql_num_fields(r) >= 3) {
        const char *level = row[0] ? row[0] : "Warning";
        enum lt_log_level lv = !strcasecmp(level, "Note") ? LT_LOG_DEBUG
                               : !strcasecmp(level, "Error") ? LT_LOG_ERROR
                                                             : LT_LOG_WARN;
        lt_log_at(lv, "mysql: %s %s: %s (%s)", level, row[1] ? row[1] : "?", row[2] ? row[2] : "", what);
    }
    mysql_free_result(r);
}

int lt_my_exec(MYSQL *c, const char *sql, struct lt_error *err)
{
    if (mysql_query(c, sql))
        return lt_fail(err, LT_ERR_RUNTIME, "mysql: %s (error %u)", mysql_error(c), mysql_errno(c));
    MYSQL_RES *r = mysql_store_result(c);
    mysql_free_result(r);
    if (!r && mysql_field_count(c))
        return lt_fail(err, LT_ERR_RUNTIME, "mysql: %s (error %u)", mysql_error(c), mysql_errno(c));
    lt_my_log_warnings(c, sql);
    return LT_OK;
}

static const char session_setup[] =
    "SET time_zone = '+00:00', sql_mode = 'NO_ENGINE_SUBSTITUTION', NAMES utf8mb4,"
    " net_write_timeout = 3600, net_read_timeout = 3600, wait_timeout = 86400";

/* TLS as source.ssl_mode asks (see config.h). Connector/C verifies the server's certificate chain whenever a CA is
 * given, and its host name only with MYSQL_OPT_SSL_VERIFY_SERVER_CERT; mysql_ssl_set asks for TLS even without
 * files (PREFERRED: used when the server offers it). */
static void apply_tls(MYSQL *c, const struct lt_source_config *sc)
{
    if (sc->ssl_mode == LT_SSL_DISABLED)
        return;
    mysql_ssl_set(c, sc->ssl_key, sc->ssl_cert, sc->ssl_ca, NULL, NULL);
    if (sc->ssl_crl)
        mysql_optionsv(c, MYSQL_OPT_SSL_CRL, sc->ssl_crl);
    if (sc->tls_version)
        mysql_optionsv(c, MARIADB_OPT_TLS_VERSION, sc->tls_version);
    my_bool enforce = sc->ssl_mode >= LT_SSL_REQUIRED, verify_host = sc->ssl_mode == LT_SSL_VERIFY_IDENTITY;
    mysql_optionsv(c, MYSQL_OPT_SSL_ENFORCE, &enforce);
    mysql_optionsv(c, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify_host);
}

int lt_my_connect(const struct lt_task_config *cfg, MYSQL **out, struct lt_error *err)
{
    return lt_my_connect_timeout(cfg, 0, out, err);
}

int lt_my_connect_timeout(const struct lt_task_config *cfg, unsigned read_timeout_s, MYSQL **out,
                          struct lt_error *err)
{
    const struct lt_source_config *sc = &cfg->source;
    const char *password = NULL;
    if (sc->password_env && sc->password_env[0]) {
        password = getenv(sc->password_env);
        if (!password)
            return lt_fail(err, LT_ERR_CONFIG, "source.password_env: the environment variable %s is not set",
                           sc->password_env);
    }
    MYSQL *c = mysql_init(NULL);
    if (!c)
        return lt_fail(err, LT_ERR_RUNTIME, "mysql: out of memory");
    mysql_options(c, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    unsigned int timeout = 30;
    mysql_options(c, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
    if (read_timeout_s)
        mysql_options(c, MYSQL_OPT_READ_TIMEOUT, &read_timeout_s);
    /* rows and binlog events up to the server's own limit (1 GiB) */
    unsigned long max_packet = 1024UL * 1024 * 1024;
    mysql_options(c, MYSQL_OPT_MAX_ALLOWED_PACKET, &max_packet);
    char program[80];
    snprintf(program, sizeof program, "logtap/%s", cfg->task);
    mysql_optionsv(c, MYSQL_OPT_CONNECT_ATTR_ADD, "program_name", program);
    apply_tls(c, sc);
    const char *host = sc->host;
    if (!host && sc->socket)
        host = "localhost";
    if (!mysql_real_connect(c, host, sc->user, password, NULL, (unsigned)sc->port, sc->socket, 0)) {
        /* a refused password or privilege will not pass by itself (ER_DBACCESS_DENIED, ER_ACCESS_DENIED,
         * ER_ACCESS_DENIED_NO_PASSWORD), nor a TLS certificate refused; a server down or restarting may */
        unsigned e = mysql_errno(c);
        int code = e == 1044 || e == 1045 || e == 1698 || e == 2026 /* CR_SSL_CONNECTION_ERROR */ ? LT_ERR_PERSISTENT
                                                                                               : LT_ERR_RUNTIME;
        lt_fail(err, code, "mysql: cannot connect to %s: %s (error %u)",
                sc->socket && (!sc->host || strcmp(sc->host, "localhost") == 0) ? sc->socket : sc->host,
                mysql_error(c), e);
        mysql_close(c);
        return code;
    }
    /* Connector/C 3.3 connects without TLS to a server that offers none even when it is enforced: check */
    if (sc->ssl_mode >= LT_SSL_REQUIRED && !mysql_get_ssl_cipher(c)) {
        mysql_close(c);
        return lt_fail(err, LT_ERR_PERSISTENT,
                       "mysql: %s does not offer TLS, and source.ssl_mode %s requires it (configure ssl_cert and "
                       "ssl_key on the server, or lower ssl_mode)",
                       sc->socket && !sc->host ? sc->socket : sc->host,
                       sc->ssl_mode == LT_SSL_REQUIRED ? "REQUIRED" : sc->ssl_mode == LT_SSL_VERIFY_CA ? "VERIFY_CA"
                                                                                                       : "VERIFY_IDENTITY");
    }
    if (lt_my_exec(c, session_setup, err)) {
        mysql_close(c);
        return lt_error_prefix(err, "setting up the session: ");
    }
    *out = c;
    return LT_OK;
}

/* Runs a query and returns its first row's columns copied into out[] (each `len` bytes); *found = false when no row. */
int lt_my_query_row(MYSQL *c, const char *sql, int ncols, char (*out)[MY_FILE_MAX], bool *found,
                    struct lt_error *err)
{
    *found = false;
    if (mysql_query(c, sql))
        return lt_my_error(c, err, sql);
    MYSQL_RES *r = mysql_store_result(c);
    if (!r)
        return lt_my_error(c, err, sql);
    lt_my_log_warnings(c, sql);
    MYSQL_ROW row = mysql_fetch_row(r);
    if (row && (int)mysql_num_fields(r) >= ncols) {
        *found = true;
        for (int i = 0; i < ncols; i++)
            snprintf(out[i], MY_FILE_MAX, "%s", row[i] ? row[i] : "");
    }
    mysql_free_result(r);
    return LT_OK;
}

int lt_my_master_status(MYSQL *c, char file[MY_FILE_MAX], uint64_t *pos, struct lt_error *err)
{
    char cols[2][MY_FILE_MAX];
    bool found;
    /* MySQL 8.4 renamed it */
    if (lt_my_query_row(c, "SHOW MASTER STATUS", 2, cols, &found, err) &&
        lt_my_query_row(c, "SHOW BINARY LOG STATUS", 2, cols, &found, err))
        return LT_ERR_RUNTIME;
    if (!found || !cols[0][0])
        return lt_fail(err, LT_ERR_CONFIG, "mysql: the binary log is off (SHOW MASTER STATUS is empty): start the "
                       "server with log_bin (e.g. --log-bin=mysql-bin) and binlog_format=ROW");
    snprintf(file, MY_FILE_MAX, "%s", cols[0]);
    *pos = strtoull(cols[1], NULL, 10);
    return LT_OK;
}

int lt_my_binlog_gtid_pos(MYSQL *c, const char *file, uint64_t pos, char gtid[MY_GTID_MAX], bool *known,
                          struct lt_error *err)
{
    *known = false;
    gtid[0] = '\0';
    char *q = lt_my_quote_literal(c, file);
    if (!q)
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    char sql[2 * MY_FILE_MAX + 64];
    snprintf(sql, sizeof sql, "SELECT BINLOG_GTID_POS(%s, %" PRIu64 ")", q, pos);
    free(q);
    if (mysql_query(c, sql)) /* MySQL has no such function: unknown */
        return LT_OK;
    MYSQL_RES *r = mysql_store_result(c);
    if (!r)
        return lt_my_error(c, err, "BINLOG_GTID_POS");
    MYSQL_ROW row = mysql_fetch_row(r);
    /* NULL when the server cannot tell (a purged file); too long for a checkpoint: unknown as well */
    if (row && row[0] && lt_my_gtid_valid(row[0], strlen(row[0]))) {
        snprintf(gtid, MY_GTID_MAX, "%s", row[0]);
        *known = true;
    }
    mysql_free_result(r);
    return LT_OK;
}

/* The change stream needs a row-based binlog with full row images. */
/* ---- information_schema ---- */

char *lt_my_quote_literal(MYSQL *c, const char *v)
{
    size_t n = strlen(v);
    char *q = malloc(2 * n + 3);
    if (!q)
        return NULL;
    q[0] = '\'';
    unsigned long m = mysql_real_escape_string(c, q + 1, v, (unsigned long)n);
    q[1 + m] = '\'';
    q[2 + m] = '\0';
    return q;
}

void lt_my_table_info_free(struct my_table_info *t)
{
    if (!t)
        return;
    for (uint32_t i = 0; i < t->ncols; i++) {
        if (t->names)
            free(t->names[i]);
        if (t->labels && t->labels[i]) {
            for (uint32_t j = 0; j < t->cols[i].nlabels; j++)
                free(t->labels[i][j]);
            free(t->labels[i]);
        }
        if (t->label_lens)
            free(t->label_lens[i]);
    }
    free(t->names);
    free(t->labels);
    free(t->label_lens);
    free(t->cols);
    lt_schema_free(t->schema);
    free(t->db);
    free(t->table);
    free(t);
}

/* Parses the labels of "enum('a','b')" / "set('x','y')" (quotes doubled, backslashes escaped). */
static int parse_labels(const char *column_type, char ***labels, uint16_t **lens, uint32_t *n)
{
    *labels = NULL;
    *lens = NULL;
    *n = 0;
    const char *p = strchr(column_type, '(');
    if (!p)
        return 0;
    size_t cap = 0;
    for (p++; *p == '\'';) {
        size_t len = strlen(p);
        char *label = malloc(len + 1);
        if (!label)
            return -1;
        size_t k = 0;
        for (p++; *p; p++) {
            if (*p == '\'' && p[1] == '\'') {
                label[k++] = '\'';
                p++;
            } else if (*p == '\\' && p[1]) {
                label[k++] = *++p;
            } else if (*p == '\'') {
                p++;
                break;
            } else {
                label[k++] = *p;
            }
        }
        label[k] = '\0';
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            char **nl = realloc(*labels, cap * sizeof *nl);
            uint16_t *nn = nl ? realloc(*lens, cap * sizeof *nn) : NULL;
            if (nl)
                *labels = nl;
            if (!nn) {
                free(label);
                return -1;
            }
            *lens = nn;
        }
        (*labels)[*n] = label;
        (*lens)[*n] = (uint16_t)k;
        (*n)++;
        if (*p == ',')
            p++;
    }
    return 0;
}

static uint8_t geometry_type_code(const char *data_type)
{
    static const char *const names[8] = {"geometry", "point", "linestring", "polygon", "multipoint",
                                         "multilinestring", "multipolygon", "geometrycollection"};
    for (uint8_t i = 0; i < 8; i++)
        if (strcasecmp(data_type, names[i]) == 0)
            return i;
    return 255;
}

/* Fills a binlog column description from one information_schema.COLUMNS row. Returns false for a type this
 * source does not know. */
static bool column_from_info(struct lt_binlog_column *col, const char *data_type, const char *column_type,
                             const char *octets, const char *num_prec, const char *num_scale, const char *dt_prec,
                             const char *collation_id)
{
    unsigned long long oct = octets ? strtoull(octets, NULL, 10) : 0;
    unsigned prec = num_prec ? (unsigned)strtoul(num_prec, NULL, 10) : 0;
    unsigned scale = num_scale ? (unsigned)strtoul(num_scale, NULL, 10) : 0;
    unsigned fsp = dt_prec ? (unsigned)strtoul(dt_prec, NULL, 10) : 0;
    col->is_unsigned = strstr(column_type, "unsigned") != NULL;
    col->charset = collation_id ? (uint16_t)strtoul(collation_id, NULL, 10) : 0;
    const char *t = data_type;
#define IS(x) (strcasecmp(t, x) == 0)
    if (IS("tinyint")) col->type = LT_MYSQL_TYPE_TINY;
    else if (IS("smallint")) col->type = LT_MYSQL_TYPE_SHORT;
    else if (IS("mediumint")) col->type = LT_MYSQL_TYPE_INT24;
    else if (IS("int") || IS("integer")) col->type = LT_MYSQL_TYPE_LONG;
    else if (IS("bigint")) col->type = LT_MYSQL_TYPE_LONGLONG;
    else if (IS("float")) { col->type = LT_MYSQL_TYPE_FLOAT; col->meta = 4; }
    else if (IS("double") || IS("real") || IS("double precision")) { col->type = LT_MYSQL_TYPE_DOUBLE; col->meta = 8; }
    else if (IS("decimal") || IS("numeric")) { col->type = LT_MYSQL_TYPE_NEWDECIMAL; col->meta = (uint16_t)(prec << 8 | scale); }
    else if (IS("year")) col->type = LT_MYSQL_TYPE_YEAR;
    else if (IS("date")) col->type = LT_MYSQL_TYPE_DATE;
    else if (IS("time")) { col->type = LT_MYSQL_TYPE_TIME2; col->meta = (uint16_t)fsp; }
    else if (IS("datetime")) { col->type = LT_MYSQL_TYPE_DATETIME2; col->meta = (uint16_t)fsp; }
    else if (IS("timestamp")) { col->type = LT_MYSQL_TYPE_TIMESTAMP2; col->meta = (uint16_t)fsp; }
    else if (IS("bit")) { col->type = LT_MYSQL_TYPE_BIT; col->meta = (uint16_t)prec; }
    else if (IS("char") || IS("binary")) {
        col->type = LT_MYSQL_TYPE_STRING;
        col->meta = (uint16_t)oct;
        if (IS("binary"))
            col->charset = LT_MYSQL_CHARSET_BINARY;
    } else if (IS("varchar") || IS("varbinary")) {
        col->type = LT_MYSQL_TYPE_VARCHAR;
        col->meta = (uint16_t)oct;
        if (IS("varbinary"))
            col->charset = LT_MYSQL_CHARSET_BINARY;
    } else if (IS("tinytext") || IS("tinyblob")) { col->type = LT_MYSQL_TYPE_BLOB; col->meta = 1; }
    else if (IS("text") || IS("blob")) { col->type = LT_MYSQL_TYPE_BLOB; col->meta = 2; }
    else if (IS("mediumtext") || IS("mediumblob")) { col->type = LT_MYSQL_TYPE_BLOB; col->meta = 3; }
    else if (IS("longtext") || IS("longblob")) { col->type = LT_MYSQL_TYPE_BLOB; col->meta = 4; }
    else if (IS("json")) { col->type = LT_MYSQL_TYPE_JSON; col->meta = 4; }
    else if (IS("enum")) { col->type = LT_MYSQL_TYPE_ENUM; col->wire_type = LT_MYSQL_TYPE_STRING; }
    else if (IS("set")) { col->type = LT_MYSQL_TYPE_SET; col->wire_type = LT_MYSQL_TYPE_STRING; }
    else if (geometry_type_code(t) != 255) {
        col->type = LT_MYSQL_TYPE_GEOMETRY;
        col->meta = 4;
        col->geometry_type = geometry_type_code(t);
        col->charset = LT_MYSQL_CHARSET_BINARY;
    } else
        return false;
    if (IS("tinyblob") || IS("blob") || IS("mediumblob") || IS("longblob"))
        col->charset = LT_MYSQL_CHARSET_BINARY;
#undef IS
    if (!col->wire_type)
        col->wire_type = col->type;
    return true;
}

/* COLUMN_KEY 'PRI': the primary key, or (MariaDB, MySQL) the first UNIQUE NOT NULL key of a table without one,
 * which identifies rows just as well. */
static const char columns_sql[] =
    "SELECT c.COLUMN_NAME, c.DATA_TYPE, c.COLUMN_TYPE, c.IS_NULLABLE, c.CHARACTER_OCTET_LENGTH,"
    " c.NUMERIC_PRECISION, c.NUMERIC_SCALE, c.DATETIME_PRECISION, co.ID, c.COLUMN_KEY = 'PRI'"
    " FROM information_schema.COLUMNS c"
    " LEFT JOIN information_schema.COLLATIONS co ON co.COLLATION_NAME = c.COLLATION_NAME"
    " WHERE c.TABLE_SCHEMA = %s AND c.TABLE_NAME = %s ORDER BY c.ORDINAL_POSITION";

int lt_my_table_info_load(MYSQL *c, const char *db, const char *table, struct my_table_info **out,
                          struct lt_error *err)
{
    *out = NULL;
    char *qdb = lt_my_quote_literal(c, db), *qt = lt_my_quote_literal(c, table);
    size_t n = sizeof columns_sql + (qdb ? strlen(qdb) : 0) + (qt ? strlen(qt) : 0);
    char *sql = qdb && qt ? malloc(n) : NULL;
    if (!sql) {
        free(qdb);
        free(qt);
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    }
    snprintf(sql, n, columns_sql, qdb, qt);
    free(qdb);
    free(qt);
    int q = mysql_query(c, sql);
    free(sql);
    MYSQL_RES *r = q ? NULL : mysql_store_result(c);
    if (!r)
        return lt_fail(err, LT_ERR_RUNTIME, "mysql: reading the columns of %s.%s: %s (error %u)", db, table,
                       mysql_error(c), mysql_errno(c));
    lt_my_log_warnings(c, "reading the columns of a table");
    uint32_t nrows = (uint32_t)mysql_num_rows(r);
    if (nrows == 0) {
        mysql_free_result(r);
        return LT_OK;
    }
    struct my_table_info *t = calloc(1, sizeof *t);
    int rc = LT_OK;
    if (t) {
        t->db = strdup(db);
        t->table = strdup(table);
        t->ncols = nrows;
        t->cols = calloc(nrows, sizeof *t->cols);
        t->names = calloc(nrows, sizeof *t->names);
        t->labels = calloc(nrows, sizeof *t->labels);
        t->label_lens = calloc(nrows, sizeof *t->label_lens);
    }
    if (!t || !t->db || !t->table || !t->cols || !t->names || !t->labels || !t->label_lens) {
        mysql_free_result(r);
        lt_my_table_info_free(t);
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    }
    MYSQL_ROW row;
    for (uint32_t i = 0; i < nrows && (row = mysql_fetch_row(r)) != NULL; i++) {
        struct lt_binlog_column *col = &t->cols[i];
        if (!column_from_info(col, row[1], row[2], row[4], row[5], row[6], row[7], row[8])) {
            rc = lt_fail(err, LT_ERR_RUNTIME, "mysql: %s.%s column %s has type %s, which logtap does not know", db,
                         table, row[0], row[2]);
            break;
        }
        t->names[i] = strdup(row[0]);
        if (!t->names[i]) {
            rc = lt_fail(err, LT_ERR_RUNTIME, "out of memory");
            break;
        }
        col->name = t->names[i];
        col->name_len = (uint16_t)strlen(row[0]);
        col->nullable = strcmp(row[3], "YES") == 0;
        col->is_key = row[9] && strcmp(row[9], "1") == 0;
        if (col->type == LT_MYSQL_TYPE_ENUM || col->type == LT_MYSQL_TYPE_SET) {
            if (parse_labels(row[2], &t->labels[i], &t->label_lens[i], &col->nlabels)) {
                rc = lt_fail(err, LT_ERR_RUNTIME, "out of memory");
                break;
            }
            col->labels = (const char *const *)t->labels[i];
            col->label_lens = t->label_lens[i];
            if (col->type == LT_MYSQL_TYPE_ENUM)
                col->meta = col->nlabels > 255 ? 2 : 1;
            else
                col->meta = (uint16_t)((col->nlabels + 7) / 8 == 5 || (col->nlabels + 7) / 8 > 5 ? 8 : (col->nlabels + 7) / 8);
        }
    }
    mysql_free_result(r);
    if (!rc) {
        struct lt_binlog_table_map tm = {.db = t->db, .table = t->table, .ncols = t->ncols, .cols = t->cols};
        t->schema = lt_binlog_table_map_schema(&tm);
        if (!t->schema)
            rc = lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    }
    if (rc) {
        lt_my_table_info_free(t);
        return rc;
    }
    *out = t;
    return LT_OK;
}

/* ---- snapshot and table list ---- */
