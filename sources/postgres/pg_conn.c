/* PostgreSQL connections with logtap's session settings, statements and queries with their errors on one line, and a
 * table's columns from the catalog: the helpers the full load (pg_source.c), the change stream (pg_cdc.c), the
 * publication (pg_publication.c) and the checks (pg_check.c) share. */
#include "sources/postgres/pg_conn.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/log.h"
#include "sources/postgres/pg_types.h"

const char lt_pg_session_setup[] =
    "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, MDY'; SET IntervalStyle = 'postgres';"
    " SET extra_float_digits = 1; SET bytea_output = 'hex'; SET client_encoding = 'UTF8';"
    " SET statement_timeout = 0; SET lock_timeout = 0; SET idle_in_transaction_session_timeout = 0;";

/* True when a line of libpq's error text starts a field of its own ("CONTEXT:  ", "QUERY:  ", "LINE 1: ",
 * "STATEMENT:  "...): upper-case letters, digits and spaces up to a colon. */
static bool starts_field(const char *line, size_t len)
{
    if (len == 0 || line[0] < 'A' || line[0] > 'Z')
        return false;
    for (size_t i = 1; i < len; i++) {
        if (line[i] == ':')
            return true;
        if (!((line[i] >= 'A' && line[i] <= 'Z') || (line[i] >= '0' && line[i] <= '9') || line[i] == ' '))
            return false;
    }
    return false;
}

static void append_text(char *buf, size_t n, size_t *k, const char *s, size_t len)
{
    while (len && *k + 1 < n) {
        char c = *s++;
        len--;
        buf[(*k)++] = c == '\n' || c == '\t' || c == '\r' ? ' ' : c;
    }
    buf[*k < n ? *k : n - 1] = '\0';
}

const char *lt_pg_first_line(const char *msg, char *buf, size_t n)
{
    size_t k = 0;
    if (n == 0)
        return buf;
    buf[0] = '\0';
    enum { KEEP, DROP } field = KEEP;
    const char *p = msg ? msg : "";
    for (bool first = true; *p; first = false) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        const char *line = p;
        p = eol ? eol + 1 : p + len;
        if (first) {
            append_text(buf, n, &k, line, len);
            continue;
        }
        if (len > 9 && strncmp(line, "DETAIL:  ", 9) == 0) {
            field = KEEP;
            append_text(buf, n, &k, "; DETAIL: ", 10);
            append_text(buf, n, &k, line + 9, len - 9);
        } else if (len > 7 && strncmp(line, "HINT:  ", 7) == 0) {
            field = KEEP;
            append_text(buf, n, &k, "; HINT: ", 8);
            append_text(buf, n, &k, line + 7, len - 7);
        } else if (starts_field(line, len)) {
            field = DROP;
        } else if (field == KEEP) { /* a message, detail or hint of several lines */
            while (len && (*line == ' ' || *line == '\t')) {
                line++;
                len--;
            }
            if (len) {
                append_text(buf, n, &k, " ", 1);
                append_text(buf, n, &k, line, len);
            }
        }
    }
    while (k > 0 && buf[k - 1] == ' ')
        buf[--k] = '\0';
    return buf;
}

const char *lt_pg_result_error(const PGresult *r, char *buf, size_t n)
{
    const char *primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (!primary) /* an error libpq made itself (connection lost...): its text */
        return lt_pg_first_line(r ? PQresultErrorMessage(r) : "no result from the server", buf, n);
    const char *severity = PQresultErrorField(r, PG_DIAG_SEVERITY);
    const char *detail = PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL);
    const char *hint = PQresultErrorField(r, PG_DIAG_MESSAGE_HINT);
    size_t k = 0;
    if (n == 0)
        return buf;
    buf[0] = '\0';
    if (severity) {
        append_text(buf, n, &k, severity, strlen(severity));
        append_text(buf, n, &k, ":  ", 3);
    }
    append_text(buf, n, &k, primary, strlen(primary));
    if (detail) {
        append_text(buf, n, &k, "; DETAIL: ", 10);
        append_text(buf, n, &k, detail, strlen(detail));
    }
    if (hint) {
        append_text(buf, n, &k, "; HINT: ", 8);
        append_text(buf, n, &k, hint, strlen(hint));
    }
    return buf;
}

int lt_pg_conn_error(PGconn *c, struct lt_error *err, const char *what)
{
    char line[768];
    return lt_fail(err, LT_ERR_RUNTIME, "postgres: %s: %s", what, lt_pg_first_line(PQerrorMessage(c), line, sizeof line));
}

int lt_pg_exec(PGconn *c, const char *sql, struct lt_error *err)
{
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        char line[768];
        lt_fail(err, LT_ERR_RUNTIME, "postgres: %s", lt_pg_result_error(r, line, sizeof line));
        PQclear(r);
        return LT_ERR_RUNTIME;
    }
    PQclear(r);
    return LT_OK;
}

PGresult *lt_pg_query(PGconn *c, const char *sql, int nparams, const char *const *params, struct lt_error *err)
{
    PGresult *r = nparams ? PQexecParams(c, sql, nparams, NULL, params, NULL, NULL, 0) : PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        char line[768];
        lt_fail(err, LT_ERR_RUNTIME, "postgres: %s", lt_pg_result_error(r, line, sizeof line));
        PQclear(r);
        return NULL;
    }
    return r;
}

/* Why a connection failed, classified: a conninfo libpq cannot parse is a config error whose message never shows
 * the conninfo's text (an unquoted password with a space would leak through it); a password, role, database or
 * pg_hba.conf the server refuses will not fix itself (LT_ERR_PERSISTENT); the rest (refused, timed out, the server
 * starting up) may pass. */
static int connect_failure(PGconn *c, bool replication, struct lt_error *err)
{
    const char *what = replication ? "cannot open a replication connection" : "cannot connect";
    const char *msg = PQerrorMessage(c);
    if (strstr(msg, "connection info string") || strstr(msg, "invalid URI") || strstr(msg, "invalid connection option")) {
        /* keep the message, drop what it quotes of the conninfo */
        char clean[512];
        size_t n = 0;
        bool quoted = false;
        for (const char *p = msg; *p && *p != '\n' && n + 4 < sizeof clean; p++) {
            if (*p == '"') {
                quoted = !quoted;
                if (quoted) {
                    memcpy(clean + n, "\"...\"", 5);
                    n += 5;
                }
                continue;
            }
            if (!quoted)
                clean[n++] = *p;
        }
        clean[n] = '\0';
        return lt_fail(err, LT_ERR_CONFIG, "source.conninfo: %s (its text is not shown: it may hold a password)", clean);
    }
    bool refused = PQconnectionNeedsPassword(c) || strstr(msg, "password authentication failed") ||
                   strstr(msg, "no pg_hba.conf entry") || strstr(msg, "does not exist") ||
                   strstr(msg, "permission denied") || strstr(msg, "must have replication") ||
                   strstr(msg, "authentication failed") || strstr(msg, "not permitted to log in") ||
                   strstr(msg, "certificate verify failed") || strstr(msg, "server certificate");
    lt_pg_conn_error(c, err, what);
    err->code = refused ? LT_ERR_PERSISTENT : LT_ERR_RUNTIME;
    return err->code;
}

/* libpq's notice receiver for every connection: the server's notices and warnings (and those libpq makes itself)
 * go into logtap's log at the matching level, instead of libpq's default, which prints them raw on stderr. */
static void pg_notice(void *arg, const PGresult *r)
{
    const bool *replication = arg;
    const char *sev = PQresultErrorField(r, PG_DIAG_SEVERITY_NONLOCALIZED);
    if (!sev)
        sev = PQresultErrorField(r, PG_DIAG_SEVERITY);
    enum lt_log_level level = !sev                           ? LT_LOG_INFO
                              : !strncmp(sev, "DEBUG", 5)    ? LT_LOG_DEBUG
                              : !strcmp(sev, "WARNING")      ? LT_LOG_WARN
                                                             : LT_LOG_INFO; /* LOG, INFO, NOTICE */
    if (!lt_log_enabled(level))
        return;
    char line[1024];
    lt_log_at(level, "postgres%s: %s", *replication ? " (replication connection)" : "",
              lt_pg_result_error(r, line, sizeof line));
}

int lt_pg_connect(const struct lt_task_config *cfg, bool replication, PGconn **out, struct lt_error *err)
{
    static const bool kinds[2] = {false, true};
    /* The user's conninfo, key=value or postgresql:// URI, is expanded as dbname; then replication=database for
     * the replication connection, and logtap/<task> as the application_name DBAs see in pg_stat_activity and
     * pg_stat_replication, unless the user set one (in the conninfo or PGAPPNAME). */
    char appname[80];
    snprintf(appname, sizeof appname, "logtap/%s", cfg->task);
    const char *keys[5] = {"dbname", "fallback_application_name", NULL, NULL, NULL};
    const char *values[5] = {cfg->source.conninfo, appname, NULL, NULL, NULL};
    int k = 2;
    if (replication) {
        keys[k] = "replication";
        values[k++] = "database";
    }
    /* source.password_env names the variable holding the password (after the conninfo: it wins) */
    if (cfg->source.password_env && cfg->source.password_env[0]) {
        const char *password = getenv(cfg->source.password_env);
        if (!password)
            return lt_fail(err, LT_ERR_CONFIG, "source.password_env: the environment variable %s is not set",
                           cfg->source.password_env);
        keys[k] = "password";
        values[k++] = password;
    }
    PGconn *c = PQconnectdbParams(keys, values, 1);
    if (!c)
        return lt_fail(err, LT_ERR_RUNTIME, "postgres: out of memory");
    if (PQstatus(c) != CONNECTION_OK) {
        int code = connect_failure(c, replication, err);
        PQfinish(c);
        return code;
    }
    PQsetNoticeReceiver(c, pg_notice, (void *)&kinds[replication]);
    /* every connection, the replication one included (pgoutput formats values with the walsender's settings),
     * gets the same UTC/ISO/hex session, whatever the server's or the database's defaults are */
    if (lt_pg_exec(c, lt_pg_session_setup, err)) {
        PQfinish(c);
        return replication ? lt_error_prefix(err, "replication connection: ") : LT_ERR_RUNTIME;
    }
    *out = c;
    return LT_OK;
}

static const char list_columns_sql[] =
    "SELECT a.attname,"
    "  CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE a.atttypid END,"
    "  CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END,"
    "  format_type(a.atttypid, a.atttypmod), NOT a.attnotnull,"
    "  COALESCE((SELECT a.attnum = ANY (i.indkey::int2[]) FROM pg_index i WHERE i.indrelid = a.attrelid"
    "     AND (i.indisprimary OR i.indisreplident) ORDER BY i.indisprimary DESC LIMIT 1), false)"
    " FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
    " WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''"
    " ORDER BY a.attnum";

int lt_pg_load_columns(PGconn *c, const char *oid, const char *schema, const char *table,
                        struct lt_table_schema **out, struct lt_error *err)
{
    const char *params[1] = {oid};
    PGresult *r = lt_pg_query(c, list_columns_sql, 1, params, err);
    if (!r)
        return lt_error_prefix(err, "reading the columns of %s.%s: ", schema, table);
    int n = PQntuples(r);
    struct lt_table_schema *t = lt_schema_new(schema, table, n);
    if (!t) {
        PQclear(r);
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    }
    for (int i = 0; i < n; i++) {
        int precision, scale;
        uint32_t type_oid = (uint32_t)strtoul(PQgetvalue(r, i, 1), NULL, 10);
        int32_t typmod = (int32_t)strtol(PQgetvalue(r, i, 2), NULL, 10);
        enum lt_type type = lt_pg_canonical_type(type_oid, typmod, &precision, &scale);
        lt_schema_set_column(t, i, PQgetvalue(r, i, 0), type, precision, scale, PQgetvalue(r, i, 5)[0] == 't',
                             PQgetvalue(r, i, 4)[0] == 't', PQgetvalue(r, i, 3));
    }
    PQclear(r);
    *out = t;
    return LT_OK;
}

