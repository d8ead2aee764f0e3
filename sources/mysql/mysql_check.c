/* The MySQL/MariaDB pre-flight check (the `check` source op): the binlog settings change data capture needs
 * (log_bin, binlog_format=ROW, binlog_row_image=FULL), the user's privileges as SHOW GRANTS lists them (SELECT,
 * RELOAD for the snapshot, REPLICATION CLIENT and REPLICATION SLAVE for the binlog), a source.server_id that is
 * the server's own or another replica's, databases that do not exist, and selected views. A few queries on one
 * short connection; nothing is changed. */
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/table_mapping.h"
#include "sources/mysql/mysql_check.h"
#include "sources/mysql/mysql_internal.h"

/* ---- SHOW GRANTS ---- */

/* Reads an identifier at *p: `quoted` (`` inside is one `), 'quoted', or bare up to '.', ' ' or the end. */
static bool read_ident(const char **p, char *out, size_t n)
{
    const char *s = *p;
    size_t k = 0;
    if (*s == '`' || *s == '\'' || *s == '"') {
        char q = *s++;
        for (;; s++) {
            if (!*s)
                return false;
            if (*s == q) {
                if (s[1] != q)
                    break;
                s++;
            }
            if (k + 1 < n)
                out[k++] = *s;
        }
        s++;
    } else {
        while (*s && *s != '.' && *s != ' ') {
            if (k + 1 < n)
                out[k++] = *s;
            s++;
        }
        if (k == 0)
            return false;
    }
    out[k] = '\0';
    *p = s;
    return true;
}

static bool push(char ***list, int *n, const char *value)
{
    char **l = realloc(*list, (size_t)(*n + 1) * sizeof *l);
    if (!l)
        return false;
    *list = l;
    if (!(l[*n] = strdup(value)))
        return false;
    (*n)++;
    return true;
}

bool lt_my_grants_add_line(struct my_grants *g, const char *line)
{
    if (strncasecmp(line, "GRANT ", 6) != 0)
        return true;
    const char *privs = line + 6, *on = NULL;
    char quote = 0;
    int depth = 0;
    for (const char *q = privs; *q; q++) {
        if (quote) {
            if (*q == quote && q[1] == quote)
                q++;
            else if (*q == quote)
                quote = 0;
            continue;
        }
        if (*q == '`' || *q == '\'' || *q == '"')
            quote = *q;
        else if (*q == '(')
            depth++;
        else if (*q == ')')
            depth--;
        else if (depth == 0 && strncasecmp(q, " ON ", 4) == 0) {
            on = q;
            break;
        } else if (depth == 0 && strncasecmp(q, " TO ", 4) == 0)
            break;
    }
    if (!on) { /* GRANT `role` TO user */
        g->roles = true;
        return true;
    }
    bool all = false, select = false, reload = false, client = false, slave = false, showdb = false;
    for (const char *t = privs; t < on;) {
        while (t < on && (*t == ' ' || *t == ','))
            t++;
        const char *end = t;
        int d = 0;
        while (end < on && (d > 0 || *end != ',')) {
            d += *end == '(' ? 1 : *end == ')' ? -1 : 0;
            end++;
        }
        size_t len = (size_t)(end - t);
        while (len && t[len - 1] == ' ')
            len--;
#define TOKEN(name) (len == strlen(name) && strncasecmp(t, name, len) == 0)
        if (TOKEN("ALL") || TOKEN("ALL PRIVILEGES"))
            all = true;
        else if (TOKEN("SELECT")) /* not SELECT (col, ...): column privileges do not cover SELECT of every column */
            select = true;
        else if (TOKEN("RELOAD"))
            reload = true;
        else if (TOKEN("REPLICATION CLIENT") || TOKEN("BINLOG MONITOR") || TOKEN("SUPER"))
            client = true;
        else if (TOKEN("REPLICATION SLAVE") || TOKEN("REPLICATION REPLICA"))
            slave = true;
        else if (TOKEN("SHOW DATABASES"))
            showdb = true;
#undef TOKEN
        t = end;
    }
    const char *o = on + 4;
    if (strncasecmp(o, "TABLE ", 6) == 0)
        o += 6;
    else if (strncasecmp(o, "FUNCTION ", 9) == 0 || strncasecmp(o, "PROCEDURE ", 10) == 0 ||
             strncasecmp(o, "PACKAGE ", 8) == 0)
        return true;
    char db[256], table[256];
    if (*o == '*') {
        snprintf(db, sizeof db, "*");
        o++;
    } else if (!read_ident(&o, db, sizeof db)) {
        return true; /* PROXY ON ''@'%' and the like */
    }
    if (*o != '.')
        return true;
    o++;
    if (*o == '*') {
        snprintf(table, sizeof table, "*");
        o++;
    } else if (!read_ident(&o, table, sizeof table)) {
        return true;
    }
    if (strcmp(db, "*") == 0) {
        g->all |= all;
        g->select |= select;
        g->reload |= reload;
        g->replication_client |= client;
        g->replication_slave |= slave;
        g->show_databases |= showdb;
        return true;
    }
    if (!select && !all)
        return true;
    if (strcmp(table, "*") == 0)
        return push(&g->db_patterns, &g->ndb, db);
    /* table_dbs and table_names grow together: ntables counts the pairs both hold */
    int ndbs = g->ntables;
    if (!push(&g->table_dbs, &ndbs, db))
        return false;
    if (!push(&g->table_names, &g->ntables, table)) {
        free(g->table_dbs[ndbs - 1]);
        return false;
    }
    return true;
}

void lt_my_grants_free(struct my_grants *g)
{
    for (int i = 0; i < g->ndb; i++)
        free(g->db_patterns[i]);
    for (int i = 0; i < g->ntables; i++) {
        free(g->table_dbs[i]);
        free(g->table_names[i]);
    }
    free(g->db_patterns);
    free(g->table_dbs);
    free(g->table_names);
    memset(g, 0, sizeof *g);
}

/* A database-level grant's name is a LIKE pattern: % any run, _ one character, \ escapes the next. */
static bool like_match(const char *p, const char *s)
{
    for (; *p; p++, s++) {
        if (*p == '%') {
            for (const char *t = s;; t++) {
                if (like_match(p + 1, t))
                    return true;
                if (!*t)
                    return false;
            }
        }
        if (!*s)
            return false;
        if (*p == '\\' && p[1]) {
            p++;
            if (*p != *s)
                return false;
        } else if (*p != '_' && *p != *s) {
            return false;
        }
    }
    return *s == '\0';
}

bool lt_my_grants_select_db(const struct my_grants *g, const char *db)
{
    if (g->all || g->select)
        return true;
    for (int i = 0; i < g->ndb; i++)
        if (like_match(g->db_patterns[i], db))
            return true;
    return false;
}

bool lt_my_grants_select_table(const struct my_grants *g, const char *db, const char *table)
{
    if (lt_my_grants_select_db(g, db))
        return true;
    for (int i = 0; i < g->ntables; i++)
        if (strcmp(g->table_dbs[i], db) == 0 && strcmp(g->table_names[i], table) == 0)
            return true;
    return false;
}

/* ---- what it means for the task ---- */

static bool is_on(const char *v)
{
    return v && (strcmp(v, "1") == 0 || strcasecmp(v, "ON") == 0);
}

/* `name` with backquotes doubled, for a GRANT statement in a fix. */
static void backquote(const char *name, char *out, size_t n)
{
    size_t k = 0;
    if (n < 3)
        return;
    out[k++] = '`';
    for (const char *p = name; *p && k + 3 < n; p++) {
        if (*p == '`')
            out[k++] = '`';
        out[k++] = *p;
    }
    out[k++] = '`';
    out[k] = '\0';
}

static const char *table_type_name(const char *type)
{
    if (strcasecmp(type, "VIEW") == 0)
        return "a view";
    if (strcasecmp(type, "SYSTEM VIEW") == 0)
        return "a system view";
    if (strcasecmp(type, "SEQUENCE") == 0)
        return "a sequence";
    if (strcasecmp(type, "SYSTEM VERSIONED") == 0)
        return "a system-versioned table";
    return type;
}

static void check_binlog(const struct lt_task_config *cfg, const struct my_check_facts *f, struct lt_findings *out)
{
    if (!is_on(f->log_bin))
        lt_findings_add(out, LT_SEV_ERROR, "log_bin",
                        "start the server with log_bin (e.g. log_bin=mysql-bin in my.cnf), binlog_format=ROW and "
                        "binlog_row_image=FULL",
                        "is OFF; change data capture reads the binary log");
    if (!f->binlog_format || strcasecmp(f->binlog_format, "ROW") != 0)
        lt_findings_add(out, LT_SEV_ERROR, "binlog_format",
                        "SET GLOBAL binlog_format = 'ROW', and binlog_format=ROW in my.cnf",
                        "is %s; change data capture needs ROW (row images, not statements)",
                        f->binlog_format ? f->binlog_format : "unknown");
    if (!f->binlog_row_image || strcasecmp(f->binlog_row_image, "FULL") != 0)
        lt_findings_add(out, LT_SEV_ERROR, "binlog_row_image",
                        "SET GLOBAL binlog_row_image = 'FULL', and binlog_row_image=FULL in my.cnf",
                        "is %s; change data capture needs FULL (every column of every changed row)",
                        f->binlog_row_image ? f->binlog_row_image : "unknown");
    uint32_t id = cfg->source.server_id;
    char fix[512];
    snprintf(fix, sizeof fix,
             "set source.server_id to a number no server and no replica of this server uses (not %u)", id);
    if (id == f->server_id) {
        lt_findings_add(out, LT_SEV_ERROR, "source.server_id", fix,
                        "is %u, the server's own server_id: the binlog stream's replica id must differ from the "
                        "server's and from every other replica's", id);
        return;
    }
    for (int i = 0; f->replicas_listed && i < f->nreplicas; i++)
        if (f->replicas[i].server_id == id)
            lt_findings_add(out, LT_SEV_WARNING, "source.server_id", fix,
                            "is %u, the server_id of a replica connected now (SHOW SLAVE HOSTS: host %s, port %d): "
                            "unless that is this task's own earlier run, the two will keep disconnecting each other",
                            id, f->replicas[i].host && f->replicas[i].host[0] ? f->replicas[i].host : "(not reported)",
                            f->replicas[i].port);
    if (!f->replicas_listed)
        lt_findings_add(out, LT_SEV_INFO, "source.server_id", NULL,
                        "whether a connected replica already uses server_id %u was not checked: SHOW SLAVE HOSTS needs "
                        "REPLICATION MASTER ADMIN (MariaDB) or REPLICATION SLAVE (MySQL)", id);
}

void lt_my_check_evaluate(const struct lt_task_config *cfg, struct lt_check_scope scope,
                          const struct my_check_facts *f, struct lt_findings *out)
{
    const struct my_grants *g = f->grants;
    char user_object[300], fix[1024];
    snprintf(user_object, sizeof user_object, "user %s", f->user_q);
    if (scope.cdc)
        check_binlog(cfg, f, out);
    /* MariaDB lists the current role's grants too; MySQL does not: a privilege missing here may come from a role */
    enum lt_severity missing = g->roles ? LT_SEV_WARNING : LT_SEV_ERROR;
    const char *unless = g->roles ? " (unless one of its roles grants it)" : "";
    if (scope.full_load && !g->all && !g->reload) {
        snprintf(fix, sizeof fix, "GRANT RELOAD ON *.* TO %s", f->user_q);
        lt_findings_add(out, missing, user_object, fix,
                        "has no RELOAD privilege%s: the full load's consistent snapshot takes FLUSH TABLES WITH READ "
                        "LOCK for a moment", unless);
    }
    if (scope.cdc && !g->all && !g->replication_client) {
        snprintf(fix, sizeof fix, "GRANT REPLICATION CLIENT ON *.* TO %s (BINLOG MONITOR on MariaDB 10.5 and later)",
                 f->user_q);
        lt_findings_add(out, missing, user_object, fix,
                        "has no REPLICATION CLIENT privilege%s: reading the binlog position (SHOW MASTER STATUS) "
                        "needs it", unless);
    }
    if (scope.cdc && !g->all && !g->replication_slave) {
        snprintf(fix, sizeof fix, "GRANT REPLICATION SLAVE ON *.* TO %s", f->user_q);
        lt_findings_add(out, missing, user_object, fix,
                        "has no REPLICATION SLAVE privilege%s: reading the binlog as a replica needs it", unless);
    }
    bool sees_all = g->all || g->select || g->show_databases;
    bool all_visible = true;
    int captured = 0;
    for (int i = 0; cfg->source.databases && cfg->source.databases[i]; i++) {
        const char *db = cfg->source.databases[i];
        char object[300], qdb[300];
        snprintf(object, sizeof object, "database %s", db);
        backquote(db, qdb, sizeof qdb);
        if (!f->db_visible[i]) {
            all_visible = false;
            if (sees_all)
                lt_findings_add(out, LT_SEV_ERROR, object, "create it, or correct source.databases",
                                "does not exist");
            else {
                snprintf(fix, sizeof fix, "create it, or correct source.databases; or GRANT SELECT ON %s.* TO %s",
                         qdb, f->user_q);
                lt_findings_add(out, LT_SEV_ERROR, object, fix,
                                "does not exist, or %s has no privilege on it (the server does not show it)",
                                f->user_q);
            }
            continue;
        }
        bool db_select = lt_my_grants_select_db(g, db), table_grants = false;
        for (int k = 0; k < g->ntables; k++)
            table_grants |= strcmp(g->table_dbs[k], db) == 0;
        /* SELECT for the full load; for the change stream too, since information_schema shows a table's columns
         * (which the binlog decoder reads) only to users with a privilege on it */
        if (!db_select && !table_grants) {
            snprintf(fix, sizeof fix, "GRANT SELECT ON %s.* TO %s", qdb, f->user_q);
            lt_findings_add(out, missing, object, fix, "%s has no SELECT privilege on it%s: its tables cannot be read",
                            f->user_q, unless);
        }
        for (int k = 0; k < f->ntables; k++) {
            const struct my_check_table *t = &f->tables[k];
            bool view = strcasecmp(t->type, "VIEW") == 0;
            bool as_view = view && lt_rules_select_kind(cfg->rules, cfg->nrules, t->db, t->name, true);
            if (strcmp(t->db, db) != 0 || (!as_view && !lt_rules_select(cfg->rules, cfg->nrules, t->db, t->name)))
                continue;
            char tobject[600];
            snprintf(tobject, sizeof tobject, "%s.%s", t->db, t->name);
            if (strcasecmp(t->type, "BASE TABLE") != 0 && !as_view) { /* a view a table-type view rule selects is loaded */
                lt_findings_add(out, LT_SEV_WARNING, tobject, "exclude it in table_mappings to silence this warning",
                                "is %s, not a base table: it is not loaded", table_type_name(t->type));
                continue;
            }
            captured++;
            if (!db_select && table_grants && !lt_my_grants_select_table(g, t->db, t->name)) {
                char qt[300];
                backquote(t->name, qt, sizeof qt);
                snprintf(fix, sizeof fix, "GRANT SELECT ON %s.%s TO %s; or exclude it in table_mappings", qdb, qt,
                         f->user_q);
                lt_findings_add(out, missing, tobject, fix, "%s has no SELECT privilege on it%s: its load would fail",
                                f->user_q, unless);
            }
        }
    }
    if (scope.full_load && all_visible && captured == 0)
        lt_findings_add(out, LT_SEV_ERROR, "table_mappings",
                        "check the schema-name (a database of source.databases) and table-name patterns",
                        "no table matches the selection rules of table_mappings");
}

/* ---- what the server says ---- */

static MYSQL_RES *query(MYSQL *c, const char *sql, struct lt_error *err)
{
    MYSQL_RES *r = NULL;
    if (mysql_query(c, sql) || !(r = mysql_store_result(c)))
        lt_my_error(c, err, sql);
    else
        lt_my_log_warnings(c, "checking the source");
    return r;
}

/* "SELECT ... WHERE TABLE_SCHEMA IN ('a', 'b')" for the configured databases; NULL when out of memory. */
static char *in_databases_sql(MYSQL *c, const struct lt_task_config *cfg, const char *head, const char *tail)
{
    size_t cap = strlen(head) + strlen(tail) + 16;
    for (char **d = cfg->source.databases; d && *d; d++)
        cap += 2 * strlen(*d) + 4;
    char *sql = malloc(cap);
    if (!sql)
        return NULL;
    size_t len = (size_t)sprintf(sql, "%s", head);
    int ndb = 0;
    for (char **d = cfg->source.databases; d && *d; d++) {
        len += (size_t)sprintf(sql + len, "%s'", ndb++ ? ", " : "");
        len += mysql_real_escape_string(c, sql + len, *d, (unsigned long)strlen(*d));
        sql[len++] = '\'';
    }
    sprintf(sql + len, "%s%s", ndb ? "" : "NULL", tail);
    return sql;
}

/* CURRENT_USER()'s "user@host" as 'user'@'host'. */
static void quote_user(const char *current, char *out, size_t n)
{
    const char *at = strrchr(current, '@');
    size_t ulen = at ? (size_t)(at - current) : strlen(current);
    const char *host = at ? at + 1 : "%";
    size_t k = 0;
    for (int part = 0; part < 2 && k + 4 < n; part++) {
        const char *s = part ? host : current;
        size_t len = part ? strlen(host) : ulen;
        if (part)
            out[k++] = '@';
        out[k++] = '\'';
        for (size_t i = 0; i < len && k + 3 < n; i++) {
            if (s[i] == '\'')
                out[k++] = '\'';
            out[k++] = s[i];
        }
        out[k++] = '\'';
    }
    out[k] = '\0';
}

int lt_my_check(const struct lt_task_config *cfg, struct lt_check_scope scope, struct lt_findings *out,
                struct lt_error *err)
{
    MYSQL *c;
    int rc = lt_my_connect(cfg, &c, err);
    if (rc)
        return rc;
    struct my_grants grants = {0};
    MYSQL_RES *settings = NULL, *schemata = NULL, *tables = NULL, *replicas = NULL;
    struct my_check_table *tlist = NULL;
    struct my_check_replica *rlist = NULL;
    bool *visible = NULL;
    char *sql = NULL;
    struct my_check_facts f = {.grants = &grants};
    char user_q[600];
    MYSQL_ROW row;

    settings = query(c, "SELECT @@global.log_bin, @@global.binlog_format, @@global.binlog_row_image,"
                        " @@global.server_id, CURRENT_USER()", err);
    if (!settings || !(row = mysql_fetch_row(settings))) {
        rc = settings ? lt_fail(err, LT_ERR_RUNTIME, "mysql: check: the server's settings gave no row") : LT_ERR_RUNTIME;
        goto out;
    }
    f.log_bin = row[0];
    f.binlog_format = row[1];
    f.binlog_row_image = row[2];
    f.server_id = row[3] ? (uint32_t)strtoul(row[3], NULL, 10) : 0;
    quote_user(row[4] ? row[4] : "", user_q, sizeof user_q);
    f.user_q = user_q;

    MYSQL_RES *gr = query(c, "SHOW GRANTS", err);
    if (!gr) {
        rc = LT_ERR_RUNTIME;
        goto out;
    }
    while ((row = mysql_fetch_row(gr)) != NULL)
        if (row[0] && !lt_my_grants_add_line(&grants, row[0])) {
            rc = lt_fail(err, LT_ERR_RUNTIME, "out of memory");
            break;
        }
    mysql_free_result(gr);
    if (rc)
        goto out;

    int ndb = 0;
    while (cfg->source.databases && cfg->source.databases[ndb])
        ndb++;
    visible = calloc(ndb > 0 ? (size_t)ndb : 1, sizeof *visible);
    sql = in_databases_sql(c, cfg, "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME IN (", ")");
    if (!visible || !sql) {
        rc = lt_fail(err, LT_ERR_RUNTIME, "out of memory");
        goto out;
    }
    if (!(schemata = query(c, sql, err))) {
        rc = LT_ERR_RUNTIME;
        goto out;
    }
    while ((row = mysql_fetch_row(schemata)) != NULL)
        for (int i = 0; i < ndb; i++)
            if (row[0] && strcmp(row[0], cfg->source.databases[i]) == 0)
                visible[i] = true;
    f.db_visible = visible;
    free(sql);
    sql = in_databases_sql(c, cfg,
                           "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES"
                           " WHERE TABLE_SCHEMA IN (", ") ORDER BY TABLE_SCHEMA, TABLE_NAME");
    if (!sql) {
        rc = lt_fail(err, LT_ERR_RUNTIME, "out of memory");
        goto out;
    }
    if (!(tables = query(c, sql, err))) {
        rc = LT_ERR_RUNTIME;
        goto out;
    }
    int nt = (int)mysql_num_rows(tables);
    if (!(tlist = calloc(nt > 0 ? (size_t)nt : 1, sizeof *tlist))) {
        rc = lt_fail(err, LT_ERR_RUNTIME, "out of memory");
        goto out;
    }
    while ((row = mysql_fetch_row(tables)) != NULL && f.ntables < nt)
        if (row[0] && row[1] && row[2])
            tlist[f.ntables++] = (struct my_check_table){.db = row[0], .name = row[1], .type = row[2]};
    f.tables = tlist;

    if (scope.cdc) {
        /* a denied SHOW SLAVE HOSTS is not a failure: the check says it could not look */
        struct lt_error ignored;
        replicas = query(c, "SHOW SLAVE HOSTS", &ignored);
        if (!replicas)
            replicas = query(c, "SHOW REPLICAS", &ignored);
        if (replicas && mysql_num_fields(replicas) >= 3) {
            int nr = (int)mysql_num_rows(replicas);
            if (!(rlist = calloc(nr > 0 ? (size_t)nr : 1, sizeof *rlist))) {
                rc = lt_fail(err, LT_ERR_RUNTIME, "out of memory");
                goto out;
            }
            while ((row = mysql_fetch_row(replicas)) != NULL && f.nreplicas < nr)
                rlist[f.nreplicas++] = (struct my_check_replica){
                    .server_id = row[0] ? (uint32_t)strtoul(row[0], NULL, 10) : 0, .host = row[1],
                    .port = row[2] ? atoi(row[2]) : 0};
            f.replicas = rlist;
            f.replicas_listed = true;
        }
    }
    lt_my_check_evaluate(cfg, scope, &f, out);
out:
    free(sql);
    free(visible);
    free(tlist);
    free(rlist);
    if (replicas)
        mysql_free_result(replicas);
    if (tables)
        mysql_free_result(tables);
    if (schemata)
        mysql_free_result(schemata);
    if (settings)
        mysql_free_result(settings);
    lt_my_grants_free(&grants);
    mysql_close(c);
    return rc;
}
