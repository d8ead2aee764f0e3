/* State and helpers shared by the PostgreSQL source's files (pg_source.c: snapshot and full load; pg_cdc.c:
 * publication, slot and change stream). Private to sources/postgres/. */
#ifndef LOGTAP_PG_INTERNAL_H
#define LOGTAP_PG_INTERNAL_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "agent/source.h"
#include "sources/postgres/pg_cdc.h"
#include "sources/postgres/pg_conn.h"
#include "sources/postgres/pgoutput.h"

#define PG_MAX_WORKERS 64

struct lt_source {
    const struct lt_task_config *cfg;
    PGconn *main;                      /* catalog queries, snapshot leader for a plain full load */
    char snapshot_name[128];
    bool main_in_txn;                  /* main holds the snapshot transaction */
    bool snapshot_for_cdc;             /* the snapshot is the slot's: the load is followed by CDC */
    PGconn *workers[PG_MAX_WORKERS];   /* full-load workers inside the snapshot */

    struct pg_cdc *cdc;                /* the change stream's state, private to pg_cdc.c */
};

/* "YYYY-MM-DD HH:MM:SS[.ffffff]+00" to microseconds since 1970. */
int64_t lt_pg_parse_utc_timestamp(const char *s);

/* pg_check.c: the `check` source op */
int lt_pg_check(const struct lt_task_config *cfg, struct lt_check_scope scope, struct lt_findings *out,
                struct lt_error *err);

/* pg_publication.c */
/* Called for each table the sync added to a publication (its changes before now were not published). */
typedef void (*lt_pg_table_added_fn)(void *ctx, const char *schema, const char *table);
/* Makes the task's publications list exactly the selected tables (only adds, with remove_others false: a table
 * joining a running task); refuses (LT_ERR_CONFIG, before changing anything) selected tables without a key or
 * replica identity unless source.tables_without_key is inserts-only. */
int lt_pg_publication_sync(struct lt_source *s, bool remove_others, lt_pg_table_added_fn on_added, void *ctx,
                           struct lt_error *err);
/* The value of START_REPLICATION's publication_names option: the task's publication(s), quoted. */
int lt_pg_publication_names(struct lt_source *s, char *out, size_t n, struct lt_error *err);
void lt_pg_inserts_publication(const struct lt_source *s, char out[128]);

#endif
