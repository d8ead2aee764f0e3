/* State and helpers shared by the PostgreSQL source's files (pg_source.c: snapshot and full load; pg_cdc.c:
 * publication, slot and change stream). Private to sources/postgres/. */
#ifndef LOGTAP_PG_INTERNAL_H
#define LOGTAP_PG_INTERNAL_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "agent/source.h"
#include "sources/postgres/pgoutput.h"

#define PG_MAX_WORKERS 64

struct pg_relation; /* pg_cdc.c's relation cache entry */

struct lt_source {
    const struct lt_task_config *cfg;
    PGconn *main;                      /* catalog queries, snapshot leader for a plain full load */
    char snapshot_name[128];
    bool main_in_txn;                  /* main holds the snapshot transaction */
    bool snapshot_for_cdc;             /* the snapshot is the slot's: the load is followed by CDC */
    PGconn *workers[PG_MAX_WORKERS];   /* full-load workers inside the snapshot */

    /* change stream (pg_cdc.c) */
    PGconn *repl;                      /* replication=database connection */
    bool streaming;
    uint64_t start_lsn;                /* resume point: transactions ending at or before it are skipped */
    uint64_t until_lsn;                /* 0 = run until stopped */
    uint64_t received_lsn;             /* how far the stream is complete: keepalive positions, commit ends */
    uint64_t server_wal_end;           /* the server's WAL end as the stream last reported it (0 unknown) */
    uint64_t acked_lsn;                /* last position reported flushed */
    int64_t last_status_us;
    int64_t last_data_us;
    int64_t last_reply_request_us;
    char *copybuf;                     /* libpq buffer of the current message, freed on the next read */
    bool in_txn;
    bool skip_txn;
    uint64_t txn_lsn;                  /* commit LSN of the open transaction */
    int64_t txn_ts_us;
    uint64_t txn_seq;
    struct pg_relation *relations;     /* linked list (a task has few tables) */
    /* a second event queued by one message (key-changing UPDATE: D then I; TRUNCATE of several tables) */
    int pending_kind;
    struct pg_relation *pending_rel;
    uint32_t pending_next_relid;       /* TRUNCATE: index of the next relid */
    struct lt_pgo_msg pending_truncate; /* TRUNCATE: the decoded message (points into copybuf) */
    struct lt_value *vals_old, *vals_new;
    int vals_cap;
    bool end_reported;
    /* protocol 2: transactions streamed while they run (pg_spool.h) */
    int proto;                         /* pgoutput protocol version in use */
    struct lt_pg_spool *spool;
    bool in_stream;                    /* between Stream Start and Stream Stop */
    uint32_t stream_xid;               /* the streamed chunk's top-level transaction */
    bool replaying;                    /* reading a committed streamed transaction back from the spool */
    uint64_t replay_end_lsn;
};

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
/* Reads a table's columns (by relation OID text) as they are now, on s->main. */
int lt_pg_load_columns(struct lt_source *s, const char *oid, const char *schema, const char *table,
                       struct lt_table_schema **out, struct lt_error *err);
/* The selected tables' quoted names, comma-separated (for CREATE PUBLICATION), on s->main; unlogged tables are left
 * out (nothing of them is in the WAL, and PostgreSQL refuses them in a publication). NULL when none. */
int lt_pg_selected_table_names(struct lt_source *s, char **out, struct lt_error *err);

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

/* pg_cdc.c */
/* The task's slot (kind CDC_START) or a temporary one (kind JOIN), with an exported snapshot. */
int lt_pg_create_slot_with_snapshot(struct lt_source *s, enum lt_snapshot_kind kind, struct lt_snapshot_info *info,
                                    struct lt_error *err);
int lt_pg_cdc_begin(struct lt_source *s, char checkpoint[LT_CHECKPOINT_MAX], struct lt_error *err);
int lt_pg_stream_start(struct lt_source *s, const struct lt_stream_options *opt, struct lt_error *err);
int lt_pg_stream_next(struct lt_source *s, struct lt_change_event *ev, int timeout_ms, struct lt_error *err);
int lt_pg_stream_server_position(struct lt_source *s, char out[LT_CHECKPOINT_MAX]);
int lt_pg_stream_ack(struct lt_source *s, const char *checkpoint, struct lt_error *err);
int lt_pg_current_position(struct lt_source *s, char out[LT_CHECKPOINT_MAX], struct lt_error *err);
void lt_pg_cdc_close(struct lt_source *s);
int lt_pg_slot_status(struct lt_source *s, struct lt_slot_status *out, struct lt_error *err);
int lt_pg_retire(struct lt_source *s, bool dry_run, void (*fn)(void *ctx, const char *what), void *ctx,
                 struct lt_error *err);

#endif
