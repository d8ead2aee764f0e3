/* PostgreSQL connections, statements, error text and catalog columns (pg_conn.c), shared by the source's files.
 * Private to sources/postgres/. */
#ifndef LOGTAP_PG_CONN_H
#define LOGTAP_PG_CONN_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#include "agent/config.h"
#include "agent/error.h"
#include "agent/record.h"

extern const char lt_pg_session_setup[];

/* libpq's error text (PQerrorMessage, PQresultErrorMessage) on one line: the message, then "; DETAIL: ..." and
 * "; HINT: ..." when it has them (a message, detail or hint of several lines joined with spaces); the other fields
 * (CONTEXT, QUERY, LINE n, STATEMENT) are left out. */
const char *lt_pg_first_line(const char *msg, char *buf, size_t n);
/* A failed result's error on one line, from its fields: "SEVERITY:  message; DETAIL: ...; HINT: ..." (libpq's own
 * errors, which have no fields, as lt_pg_first_line gives them). */
const char *lt_pg_result_error(const PGresult *r, char *buf, size_t n);
int lt_pg_conn_error(PGconn *c, struct lt_error *err, const char *what);
int lt_pg_exec(PGconn *c, const char *sql, struct lt_error *err);
/* Connects with the task's conninfo (a key=value string or a postgresql:// URI), application_name logtap/<task>
 * unless the user set one, and logtap's session settings; with replication, a replication=database connection. */
int lt_pg_connect(const struct lt_task_config *cfg, bool replication, PGconn **out, struct lt_error *err);
/* Runs a query expected to return rows; NULL (with err set) when it fails. */
PGresult *lt_pg_query(PGconn *c, const char *sql, int nparams, const char *const *params, struct lt_error *err);
/* Reads a table's columns (by relation OID text) as they are now, on c. */
int lt_pg_load_columns(PGconn *c, const char *oid, const char *schema, const char *table,
                       struct lt_table_schema **out, struct lt_error *err);

#endif
