/* MySQL/MariaDB connections, statements, binlog coordinates and information_schema columns (mysql_conn.c): the
 * helpers the full load and the change stream share. Private to sources/mysql/. */
#ifndef LOGTAP_MYSQL_CONN_H
#define LOGTAP_MYSQL_CONN_H

#include <mysql.h>
#include <stdbool.h>
#include <stdint.h>

#include "agent/config.h"
#include "agent/error.h"
#include "sources/mysql/binlog_event.h"
#include "sources/mysql/binlog_rows.h"
#include "sources/mysql/binlog_types.h"
#include "sources/mysql/mysql_position.h"

/* What information_schema says about a table's columns, kept so the binlog decoder gets what a table map may
 * lack (signedness, charsets, ENUM/SET labels) and so full load and change stream build the same schema. */
struct my_table_info {
    char *db, *table;
    uint32_t ncols;
    struct lt_binlog_column *cols;    /* names and labels point into the strings below */
    char **names;
    char ***labels;                   /* per column, NULL when not ENUM/SET */
    uint16_t **label_lens;
    struct lt_table_schema *schema;   /* the change-record schema (lt_binlog_table_map_schema of cols) */
};

/* Connects with the task's settings and the logtap session settings (UTC, utf8mb4, plain sql_mode); the
 * connection's program_name attribute is logtap/<task>, so DBAs see who is connected (performance_schema
 * session_connect_attrs). */
int lt_my_connect(const struct lt_task_config *cfg, MYSQL **out, struct lt_error *err);
/* The same, with reads failing after read_timeout_s seconds without data (0 = wait forever). */
int lt_my_connect_timeout(const struct lt_task_config *cfg, unsigned read_timeout_s, MYSQL **out,
                          struct lt_error *err);
/* Runs a statement that returns no rows (or whose rows are discarded). */
int lt_my_exec(MYSQL *c, const char *sql, struct lt_error *err);
/* Logs the warnings the last statement on c left (one SHOW WARNINGS, only when there are some). */
void lt_my_log_warnings(MYSQL *c, const char *what);
int lt_my_error(MYSQL *c, struct lt_error *err, const char *what);
/* SHOW MASTER STATUS: file and position. */
int lt_my_master_status(MYSQL *c, char file[MY_FILE_MAX], uint64_t *pos, struct lt_error *err);

/* Reads a table's columns and primary key from information_schema on c. *out is NULL when the table is gone. */
int lt_my_table_info_load(MYSQL *c, const char *db, const char *table, struct my_table_info **out,
                          struct lt_error *err);
void lt_my_table_info_free(struct my_table_info *t);

/* MariaDB: BINLOG_GTID_POS(file, pos), the GTID position at that binlog position; *known false when the server
 * cannot tell (the file was purged, or MySQL). */
int lt_my_binlog_gtid_pos(MYSQL *c, const char *file, uint64_t pos, char gtid[MY_GTID_MAX], bool *known,
                          struct lt_error *err);

/* Runs a query and copies its first row's first ncols columns into out[]; *found false when there is no row. */
int lt_my_query_row(MYSQL *c, const char *sql, int ncols, char (*out)[MY_FILE_MAX], bool *found,
                    struct lt_error *err);
/* v as a quoted SQL string literal (malloc'd), NULL when memory runs out. */
char *lt_my_quote_literal(MYSQL *c, const char *v);

#endif
