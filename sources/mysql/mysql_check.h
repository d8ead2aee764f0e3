/* The MySQL/MariaDB pre-flight check, split in two: what the server says (a few queries, in mysql_check.c) and
 * what that means for the task (lt_my_check_evaluate, a pure function of those facts, unit-tested with settings a
 * test server does not have), with the parser of SHOW GRANTS it needs. Private to sources/mysql/. */
#ifndef LOGTAP_MYSQL_CHECK_H
#define LOGTAP_MYSQL_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "agent/config.h"
#include "agent/findings.h"
#include "agent/source.h"

/* What SHOW GRANTS gives the current user (and its current role). */
struct my_grants {
    bool all;             /* ALL PRIVILEGES ON *.* */
    bool select, reload, replication_client, replication_slave, show_databases; /* ON *.* */
    int ndb;              /* SELECT (or ALL) ON `db`.*: database name patterns (LIKE: % and _, \ escapes) */
    char **db_patterns;
    int ntables;          /* SELECT (or ALL) ON `db`.`table` */
    char **table_dbs, **table_names;
    bool roles;           /* roles are granted (their privileges may not be listed, as on MySQL) */
};

/* Adds one line of SHOW GRANTS to g; lines it does not understand (PROXY, REVOKE, SET DEFAULT ROLE) are left out.
 * Returns false when out of memory. */
bool lt_my_grants_add_line(struct my_grants *g, const char *line);
void lt_my_grants_free(struct my_grants *g);
/* Whether the grants allow SELECT on every table of db, or on db.table. */
bool lt_my_grants_select_db(const struct my_grants *g, const char *db);
bool lt_my_grants_select_table(const struct my_grants *g, const char *db, const char *table);

struct my_check_table {
    const char *db, *name, *type; /* TABLE_TYPE: BASE TABLE, VIEW, SYSTEM VERSIONED, SEQUENCE... */
};

struct my_check_replica {
    uint32_t server_id;
    const char *host;
    int port;
};

struct my_check_facts {
    const char *log_bin, *binlog_format, *binlog_row_image;
    uint32_t server_id;           /* the server's own @@server_id */
    const char *user_q;           /* the current user as 'user'@'host' */
    const struct my_grants *grants;
    const bool *db_visible;       /* per cfg->source.databases: listed by information_schema.SCHEMATA */
    const struct my_check_table *tables; /* the tables of those databases, as information_schema.TABLES lists them */
    int ntables;
    bool replicas_listed;         /* SHOW SLAVE HOSTS answered (it needs REPLICATION MASTER ADMIN on MariaDB) */
    const struct my_check_replica *replicas;
    int nreplicas;
};

void lt_my_check_evaluate(const struct lt_task_config *cfg, struct lt_check_scope scope,
                          const struct my_check_facts *f, struct lt_findings *out);

#endif
