/* State and helpers shared by the MySQL/MariaDB source's files (mysql_source.c: connections, snapshot, table
 * list and full load; mysql_cdc.c: the binlog change stream, whose state is its own). Private to sources/mysql/.
 *
 * Positions and checkpoints as text: mysql_position.h. */
#ifndef LOGTAP_MYSQL_INTERNAL_H
#define LOGTAP_MYSQL_INTERNAL_H

#include <mysql.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "agent/source.h"
#include "sources/mysql/binlog_event.h"
#include "sources/mysql/binlog_rows.h"
#include "sources/mysql/binlog_types.h"
#include "sources/mysql/mysql_cdc.h"
#include "sources/mysql/mysql_conn.h"
#include "sources/mysql/mysql_position.h"

#define MY_MAX_WORKERS 64

/* A selected table whose engine has no consistent snapshot (MyISAM, Aria, MEMORY...): it is read while the
 * snapshot's FLUSH TABLES WITH READ LOCK still holds. */
struct my_locked_table {
    char *db, *table;
    bool done;
};

struct lt_source {
    const struct lt_task_config *cfg;
    MYSQL *main;
    bool locked;                       /* main holds FLUSH TABLES WITH READ LOCK */
    pthread_mutex_t lock_mutex;        /* guards the lock fields (and the UNLOCK on main from a load worker) */
    struct my_locked_table *lock_tables; /* tables read under the lock; the last one done releases it */
    int n_lock_tables, n_lock_pending;
    MYSQL *workers[MY_MAX_WORKERS];    /* full-load workers, each inside its consistent snapshot */
    int nworkers;
    struct lt_table_list pending_list; /* listed under the lock in snapshot_begin, handed out by list_tables */
    bool have_list;

    bool is_mariadb;                   /* MariaDB (GTIDs are domain-server-sequence), not MySQL */

    struct my_cdc *cdc;                /* the change stream's state, private to mysql_cdc.c */
};

/* mysql_check.c: the `check` source op */
int lt_my_check(const struct lt_task_config *cfg, struct lt_check_scope scope, struct lt_findings *out,
                struct lt_error *err);

#endif
