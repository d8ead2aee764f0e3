/* The PostgreSQL change stream: publication and logical replication slot (pgoutput), the CopyBoth stream of
 * START_REPLICATION, and pgoutput messages turned into change events.
 *
 * Positions: a change's position is its transaction's commit LSN and its sequence inside the transaction (from 1;
 * full-load rows use the snapshot's LSN with 0). The checkpoint is an LSN: the end of the last transaction whose
 * changes are durable, or an idle keepalive position when nothing is pending. Restarting from a checkpoint skips
 * every transaction whose commit ends at or before it, so nothing is doubled and nothing is lost.
 *
 * UPDATE: a changed key (old key tuple 'K', or old full tuple 'O' whose key columns differ) becomes D of the old
 * key then I of the new row at consecutive positions; on a table without a key, with full row images, every
 * update becomes D of the old row then I of the new one, so a replay by position stays exact. An 'n' in an old
 * key tuple means "not part of the key": such columns are marked unchanged (not NULL). Unchanged TOAST ('u')
 * values are marked unchanged, unless a full old row (REPLICA IDENTITY FULL) gives them. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#include "agent/mapping.h"
#include "agent/mapping_rules.h"
#include "agent/table_mapping.h"
#include "agent/table_transform.h"
#include "sources/postgres/pg_internal.h"
#include "sources/postgres/pg_spool.h"
#include "sources/postgres/pg_types.h"
#include "sources/postgres/pgoutput.h"
#include "sources/postgres/repl_protocol.h"

enum { PENDING_NONE, PENDING_INSERT_AFTER_DELETE, PENDING_TRUNCATE };

/* The change stream's state: none of it is used by the full load. */
struct pg_cdc {
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

struct pg_relation {
    struct pg_relation *next;
    uint32_t relid;
    bool selected;
    struct lt_table_schema *schema;
    void *agent_data;
};

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The replication=database connection, with the same session settings and application_name as the others
 * (lt_pg_connect): pgoutput formats values with the walsender's settings. */
static int connect_replication(struct lt_source *s, struct lt_error *err)
{
    if (s->cdc->repl)
        return LT_OK;
    return lt_pg_connect(s->cfg, true, &s->cdc->repl, err);
}

/* Runs a query on the main connection that returns one row; copies column 0. Empty out when no row. */
static int query_one(struct lt_source *s, const char *sql, int nparams, const char *const *params, char *out,
                     size_t outlen, struct lt_error *err)
{
    PGresult *r = lt_pg_query(s->main, sql, nparams, params, err);
    if (!r)
        return LT_ERR_RUNTIME;
    out[0] = '\0';
    if (PQntuples(r) > 0)
        snprintf(out, outlen, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    return LT_OK;
}

/* Checks the slot: "" when missing, its plugin otherwise. */
static int slot_plugin(struct lt_source *s, char *plugin, size_t n, struct lt_error *err)
{
    const char *params[1] = {s->cfg->source.slot};
    return query_one(s, "SELECT COALESCE(plugin, 'physical') FROM pg_replication_slots WHERE slot_name = $1", 1,
                     params, plugin, n, err);
}

static int drop_slot(struct lt_source *s, struct lt_error *err)
{
    const char *params[1] = {s->cfg->source.slot};
    char ignored[8];
    return query_one(s, "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1",
                     1, params, ignored, sizeof ignored, err);
}

/* A slot left unfinished (no checkpoint of this task is on it) can still be held by the server process of the run
 * that began it: a runner killed while CREATE_REPLICATION_SLOT waited for running transactions leaves a walsender
 * that goes on waiting, possibly for as long as the oldest transaction runs. The task lock says no other runner of
 * this task is alive here, so such a holder is a leftover of ours when it is a walsender of our own role: it is
 * ended (pg_terminate_backend) and the slot waited for, up to 10 s. A holder of another role is refused. */
static int release_unfinished_slot(struct lt_source *s, struct lt_error *err)
{
    const char *params[1] = {s->cfg->source.slot};
    char holder[64];
    if (query_one(s,
                  "SELECT r.active_pid::text || CASE WHEN a.backend_type = 'walsender' AND a.usename = current_user"
                  " THEN '' ELSE ' ' || COALESCE(a.usename::text, '?') END FROM pg_replication_slots r"
                  " LEFT JOIN pg_stat_activity a ON a.pid = r.active_pid WHERE r.slot_name = $1 AND r.active",
                  1, params, holder, sizeof holder, err))
        return LT_ERR_RUNTIME;
    if (!holder[0])
        return LT_OK;
    if (strchr(holder, ' '))
        return lt_fail(err, LT_ERR_RUNTIME,
                       "replication slot %s is held by server process %s (role %s), not by a connection of this "
                       "task: stop that reader first",
                       s->cfg->source.slot, holder, strchr(holder, ' ') + 1);
    const char *pid[1] = {holder};
    char ignored[8];
    if (query_one(s, "SELECT pg_terminate_backend($1::int)", 1, pid, ignored, sizeof ignored, err))
        return lt_error_prefix(err, "ending server process %s, which still holds the unfinished slot %s: ", holder,
                               s->cfg->source.slot);
    for (int i = 0; i < 100; i++) {
        char active[8];
        if (query_one(s, "SELECT 1 FROM pg_replication_slots WHERE slot_name = $1 AND active", 1, params, active,
                      sizeof active, err))
            return LT_ERR_RUNTIME;
        if (!active[0])
            return LT_OK;
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return lt_fail(err, LT_ERR_RUNTIME, "replication slot %s is still held by server process %s 10 s after it was "
                   "asked to end", s->cfg->source.slot, holder);
}

/* CREATE_REPLICATION_SLOT on the replication connection; fills the consistent point and snapshot name. A temporary
 * slot (a table joining the task) has a name of its own and disappears with the connection. */
static int create_slot(struct lt_source *s, bool export_snapshot, bool temporary, uint64_t *consistent,
                       struct lt_error *err)
{
    char name[64];
    static unsigned joins;
    if (temporary) {
        snprintf(name, sizeof name, "logtap_join_%d_%u", (int)getpid(), ++joins);
    } else {
        snprintf(name, sizeof name, "%s", s->cfg->source.slot);
        char plugin[64];
        if (slot_plugin(s, plugin, sizeof plugin, err))
            return LT_ERR_RUNTIME;
        if (plugin[0]) {
            if (strcmp(plugin, "pgoutput") != 0)
                return lt_fail(err, LT_ERR_CONFIG,
                               "replication slot \"%s\" exists with plugin \"%s\"; logtap needs pgoutput: choose "
                               "another source.slot or drop that slot",
                               s->cfg->source.slot, plugin);
            /* A slot left by a full load that did not finish: its snapshot is gone, start over. */
            if (release_unfinished_slot(s, err) || drop_slot(s, err))
                return lt_error_prefix(err, "dropping the unfinished slot %s: ", s->cfg->source.slot);
        }
    }
    if (connect_replication(s, err))
        return LT_ERR_RUNTIME;
    char sql[256];
    snprintf(sql, sizeof sql, "CREATE_REPLICATION_SLOT \"%s\"%s LOGICAL pgoutput (SNAPSHOT '%s')", name,
             temporary ? " TEMPORARY" : "", export_snapshot ? "export" : "nothing");
    PGresult *r = PQexec(s->cdc->repl, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        char line[512];
        lt_fail(err, LT_ERR_RUNTIME, "postgres: creating replication slot %s: %s", name,
                lt_pg_first_line(PQresultErrorMessage(r), line, sizeof line));
        PQclear(r);
        return LT_ERR_RUNTIME;
    }
    if (!lt_pg_lsn_parse(PQgetvalue(r, 0, 1), consistent)) {
        PQclear(r);
        return lt_fail(err, LT_ERR_RUNTIME, "postgres: unexpected consistent point from CREATE_REPLICATION_SLOT");
    }
    if (export_snapshot)
        snprintf(s->snapshot_name, sizeof s->snapshot_name, "%s", PQgetvalue(r, 0, 2));
    PQclear(r);
    return LT_OK;
}

int lt_pg_create_slot_with_snapshot(struct lt_source *s, enum lt_snapshot_kind kind, struct lt_snapshot_info *info,
                                    struct lt_error *err)
{
    uint64_t consistent;
    bool join = kind == LT_SNAPSHOT_JOIN;
    /* the tables are published before the slot's consistent point, so every change after it is streamed */
    if (lt_pg_publication_sync(s, !join, NULL, NULL, err) || create_slot(s, true, join, &consistent, err))
        return LT_ERR_RUNTIME;
    lt_pg_format_pos(consistent, 0, info->pos);
    lt_pg_lsn_format(consistent, info->checkpoint);
    info->time_us = now_us();
    return LT_OK;
}

int lt_pg_cdc_begin(struct lt_source *s, char checkpoint[LT_CHECKPOINT_MAX], struct lt_error *err)
{
    uint64_t consistent;
    if (lt_pg_publication_sync(s, true, NULL, NULL, err) || create_slot(s, false, false, &consistent, err))
        return LT_ERR_RUNTIME;
    lt_pg_lsn_format(consistent, checkpoint);
    return LT_OK;
}

int lt_pg_slot_status(struct lt_source *s, struct lt_slot_status *out, struct lt_error *err)
{
    memset(out, 0, sizeof *out);
    out->retained_bytes = -1;
    const char *params[1] = {s->cfg->source.slot};
    PGresult *r = lt_pg_query(s->main,
                              "SELECT active, COALESCE(active_pid, 0), COALESCE(pg_wal_lsn_diff(pg_current_wal_lsn(),"
                              " restart_lsn)::bigint, -1), COALESCE(confirmed_flush_lsn::text, ''),"
                              " COALESCE(wal_status, '') FROM pg_replication_slots WHERE slot_name = $1",
                              1, params, err);
    if (!r)
        return lt_error_prefix(err, "reading replication slot %s: ", s->cfg->source.slot);
    if (PQntuples(r) == 1) {
        out->exists = true;
        out->active = PQgetvalue(r, 0, 0)[0] == 't';
        out->active_pid = atoi(PQgetvalue(r, 0, 1));
        out->retained_bytes = strtoll(PQgetvalue(r, 0, 2), NULL, 10);
        snprintf(out->confirmed, sizeof out->confirmed, "%s", PQgetvalue(r, 0, 3));
        snprintf(out->wal_status, sizeof out->wal_status, "%s", PQgetvalue(r, 0, 4));
    }
    PQclear(r);
    return LT_OK;
}

int lt_pg_retire(struct lt_source *s, bool dry_run, void (*fn)(void *ctx, const char *what), void *ctx,
                 struct lt_error *err)
{
    char plugin[64], line[400];
    if (slot_plugin(s, plugin, sizeof plugin, err))
        return LT_ERR_RUNTIME;
    if (plugin[0]) {
        const char *params[1] = {s->cfg->source.slot};
        char active[16];
        if (query_one(s, "SELECT COALESCE(active_pid::text, '') FROM pg_replication_slots WHERE slot_name = $1", 1,
                      params, active, sizeof active, err))
            return LT_ERR_RUNTIME;
        if (active[0])
            return lt_fail(err, LT_ERR_RUNTIME,
                           "replication slot %s is in use by server process %s (a replicate still running "
                           "elsewhere?): stop it first",
                           s->cfg->source.slot, active);
        if (!dry_run && drop_slot(s, err))
            return lt_error_prefix(err, "dropping replication slot %s: ", s->cfg->source.slot);
        snprintf(line, sizeof line, "replication slot %s (plugin %s)", s->cfg->source.slot, plugin);
        fn(ctx, line);
    }
    char ins[128];
    lt_pg_inserts_publication(s, ins);
    const char *pubs[2] = {s->cfg->source.publication, ins};
    for (int i = 0; i < 2; i++) {
        const char *params[1] = {pubs[i]};
        char found[8];
        if (query_one(s, "SELECT 1 FROM pg_publication WHERE pubname = $1", 1, params, found, sizeof found, err))
            return LT_ERR_RUNTIME;
        if (!found[0])
            continue;
        if (!dry_run) {
            char *q = PQescapeIdentifier(s->main, pubs[i], strlen(pubs[i]));
            char sql[300];
            snprintf(sql, sizeof sql, "DROP PUBLICATION %s", q ? q : "\"\"");
            PQfreemem(q);
            if (lt_pg_exec(s->main, sql, err))
                return lt_error_prefix(err, "dropping publication %s: ", pubs[i]);
        }
        snprintf(line, sizeof line, "publication %s", pubs[i]);
        fn(ctx, line);
    }
    return LT_OK;
}

/* The insert position: pg_current_wal_lsn() is where WAL is written up to, which lags commits that already
 * returned when synchronous_commit is off. */
int lt_pg_current_position(struct lt_source *s, char out[LT_CHECKPOINT_MAX], struct lt_error *err)
{
    return query_one(s, "SELECT pg_current_wal_insert_lsn()::text", 0, NULL, out, LT_CHECKPOINT_MAX, err);
}

static int send_status(struct lt_source *s, bool reply_requested, struct lt_error *err)
{
    uint8_t msg[LT_PG_STANDBY_STATUS_LEN];
    uint64_t written = s->cdc->received_lsn > s->cdc->acked_lsn ? s->cdc->received_lsn : s->cdc->acked_lsn;
    size_t n = lt_pg_encode_standby_status(msg, sizeof msg, written, s->cdc->acked_lsn, s->cdc->acked_lsn,
                                           lt_pg_time_from_unix_us(now_us()), reply_requested);
    if (PQputCopyData(s->cdc->repl, (const char *)msg, (int)n) != 1 || PQflush(s->cdc->repl) != 0)
        return lt_pg_conn_error(s->cdc->repl, err, "sending standby status");
    s->cdc->last_status_us = now_us();
    return LT_OK;
}

int lt_pg_stream_start(struct lt_source *s, const struct lt_stream_options *opt, struct lt_error *err)
{
    if (!lt_pg_lsn_parse(opt->checkpoint, &s->cdc->start_lsn))
        return lt_fail(err, LT_ERR_RUNTIME, "postgres: checkpoint \"%s\" is not an LSN", opt->checkpoint);
    char plugin[64];
    if (slot_plugin(s, plugin, sizeof plugin, err))
        return LT_ERR_RUNTIME;
    if (!plugin[0])
        return lt_fail(err, LT_ERR_FATAL,
                       "replication slot \"%s\" does not exist (dropped?): changes since the checkpoint %s are lost; "
                       "start the task over with a new full load (`logtap replicate --start-over`; state store %s)",
                       s->cfg->source.slot, opt->checkpoint, s->cfg->state_path);
    if (strcmp(plugin, "pgoutput") != 0)
        return lt_fail(err, LT_ERR_CONFIG, "replication slot \"%s\" uses plugin \"%s\", not pgoutput",
                       s->cfg->source.slot, plugin);
    /* logtap tells the slot a position only after it is durable in the state store, so a slot that is past the
     * checkpoint was moved by someone else, or created again, or the state store is older than the slot (restored
     * from a backup): the changes in between are in no file */
    const char *params[1] = {s->cfg->source.slot};
    char confirmed[LT_CHECKPOINT_MAX];
    uint64_t confirmed_lsn;
    if (query_one(s, "SELECT COALESCE(confirmed_flush_lsn::text, '') FROM pg_replication_slots WHERE slot_name = $1", 1,
                  params, confirmed, sizeof confirmed, err))
        return LT_ERR_RUNTIME;
    if (confirmed[0] && lt_pg_lsn_parse(confirmed, &confirmed_lsn) && confirmed_lsn > s->cdc->start_lsn)
        return lt_fail(err, LT_ERR_FATAL,
                       "replication slot \"%s\" is at %s, past this task's checkpoint %s: it was advanced by another "
                       "consumer, or created again, or the state store %s is older than the slot (restored from a "
                       "backup?). The changes in between are in no file: start over with a new full load",
                       s->cfg->source.slot, confirmed, opt->checkpoint, s->cfg->state_path);
    int prc = lt_pg_publication_sync(s, true, opt->on_table_added, opt->ctx, err);
    if (prc)
        return prc;
    s->cdc->until_lsn = 0;
    if (opt->until) {
        char now[LT_CHECKPOINT_MAX];
        const char *target = opt->until;
        if (strcmp(opt->until, "now") == 0) {
            if (lt_pg_current_position(s, now, err))
                return LT_ERR_RUNTIME;
            target = now;
        }
        if (!lt_pg_lsn_parse(target, &s->cdc->until_lsn))
            return lt_fail(err, LT_ERR_CONFIG, "--until: \"%s\" is not an LSN (like 0/16B3748) or \"now\"", target);
    }
    if (connect_replication(s, err))
        return LT_ERR_RUNTIME;
    char pubs[300];
    if (lt_pg_publication_names(s, pubs, sizeof pubs, err))
        return LT_ERR_RUNTIME;
    /* protocol 2 streams a large transaction while it runs (PostgreSQL 14+), instead of decoding it to the
     * server's disk and sending it only at its commit */
    int server = PQserverVersion(s->cdc->repl);
    s->cdc->proto = s->cfg->source.pgoutput_protocol ? s->cfg->source.pgoutput_protocol : server >= 140000 ? 2 : 1;
    if (s->cdc->proto == 2 && server < 140000)
        return lt_fail(err, LT_ERR_CONFIG,
                       "source.pgoutput_protocol 2 streams transactions in progress, which needs PostgreSQL 14 or "
                       "newer; this server is %d (set it to 1)",
                       server);
    s->cdc->in_stream = s->cdc->replaying = false;
    lt_pg_spool_close(s->cdc->spool);
    s->cdc->spool = NULL;
    if (s->cdc->proto == 2) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s", s->cfg->state_path);
        char *slash = strrchr(dir, '/');
        if (slash)
            *slash = '\0';
        else
            snprintf(dir, sizeof dir, ".");
        if (lt_pg_spool_open(&s->cdc->spool, dir, err))
            return LT_ERR_RUNTIME;
    }
    char sql[1024];
    snprintf(sql, sizeof sql, "START_REPLICATION SLOT \"%s\" LOGICAL %s (proto_version '%d'%s, publication_names '%s')",
             s->cfg->source.slot, opt->checkpoint, s->cdc->proto, s->cdc->proto == 2 ? ", streaming 'on'" : "", pubs);
    PGresult *r = PQexec(s->cdc->repl, sql);
    if (PQresultStatus(r) != PGRES_COPY_BOTH) {
        char line[512];
        const char *msg = lt_pg_first_line(PQresultErrorMessage(r), line, sizeof line);
        const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        bool gone = strstr(msg, "has already been removed") || (state && !strcmp(state, "58P01"));
        lt_fail(err, gone ? LT_ERR_FATAL : LT_ERR_RUNTIME, "postgres: START_REPLICATION: %s%s", msg,
                gone ? " (the WAL since the checkpoint is gone: run a new full load)" : "");
        PQclear(r);
        return err->code;
    }
    PQclear(r);
    s->cdc->streaming = true;
    s->cdc->acked_lsn = s->cdc->start_lsn;
    s->cdc->received_lsn = s->cdc->start_lsn;
    s->cdc->server_wal_end = 0;
    s->cdc->last_data_us = now_us();
    s->cdc->end_reported = false;
    return send_status(s, false, err);
}

static struct pg_relation *find_relation(struct lt_source *s, uint32_t relid)
{
    for (struct pg_relation *r = s->cdc->relations; r; r = r->next)
        if (r->relid == relid)
            return r;
    return NULL;
}

/* Builds a relation's schema from its Relation message, with types and keys from the catalog. */
static int update_relation(struct lt_source *s, const struct lt_pgo_msg *m, struct lt_error *err)
{
    const struct lt_pgo_relation *rel = &m->u.relation;
    struct pg_relation *r = find_relation(s, rel->relid);
    if (!r) {
        r = calloc(1, sizeof *r);
        if (!r)
            return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
        r->relid = rel->relid;
        r->next = s->cdc->relations;
        s->cdc->relations = r;
    }
    char oid[16];
    snprintf(oid, sizeof oid, "%u", rel->relid);
    struct lt_table_schema *catalog = NULL;
    if (lt_pg_load_columns(s->main, oid, rel->nspname.ptr, rel->relname.ptr, &catalog, err))
        return LT_ERR_RUNTIME;
    struct lt_table_schema *schema = lt_schema_new(rel->nspname.ptr, rel->relname.ptr, rel->ncols);
    if (!schema) {
        lt_schema_free(catalog);
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    }
    bool catalog_has_key = false;
    for (int j = 0; j < catalog->ncols; j++)
        catalog_has_key |= catalog->cols[j].is_key;
    struct lt_pgo_relcol_iter it;
    struct lt_pgo_relcol col;
    lt_pgo_relcol_iter_init(&it, rel);
    for (int i = 0; lt_pgo_relcol_next(&it, &col); i++) {
        const struct lt_column *cc = NULL;
        for (int j = 0; j < catalog->ncols; j++)
            if (strcmp(catalog->cols[j].name, col.name.ptr) == 0)
                cc = &catalog->cols[j];
        int precision, scale;
        enum lt_type type = lt_pg_canonical_type(col.type_oid, col.typmod, &precision, &scale);
        if (cc && (col.type_oid >= 16384 || cc->type == type)) { /* domains and user types: the catalog knows */
            type = cc->type;
            precision = cc->precision;
            scale = cc->scale;
        }
        /* Under REPLICA IDENTITY FULL pgoutput flags every column; the primary key is the key we want. */
        bool key = catalog_has_key ? (cc && cc->is_key) : (rel->replident != LT_PGO_REPLIDENT_FULL && col.is_key);
        lt_schema_set_column(schema, i, col.name.ptr, type, precision, scale, key, cc ? cc->nullable : true,
                             cc ? cc->source_type : NULL);
    }
    lt_schema_free(catalog);
    if (lt_rules_select(s->cfg->rules, s->cfg->nrules, schema->schema_name, schema->table_name)) {
        /* define-primary-key: the key the UPDATE logic and the files use. Without REPLICA IDENTITY FULL an UPDATE
         * carries the old values of the replica identity only: a key of other columns could change unseen. */
        bool identity[schema->ncols > 0 ? schema->ncols : 1];
        for (int i = 0; i < schema->ncols; i++)
            identity[i] = schema->cols[i].is_key;
        const struct lt_transform_rule *pk = lt_mapping_primary_key(s->cfg->mapping, schema->schema_name,
                                                                    schema->table_name);
        int rc = lt_mapping_apply_key(s->cfg, schema, err);
        for (int i = 0; !rc && pk && rel->replident != LT_PGO_REPLIDENT_FULL && i < schema->ncols; i++)
            if (schema->cols[i].is_key && !identity[i])
                rc = lt_rule_fail(err, &pk->ref, "define-primary-key: column %s of %s.%s is not in the table's replica "
                                  "identity, so an UPDATE does not say its old value: ALTER TABLE %s.%s REPLICA "
                                  "IDENTITY FULL", schema->cols[i].name, schema->schema_name, schema->table_name,
                                  schema->schema_name, schema->table_name);
        if (rc) {
            lt_schema_free(schema);
            return rc;
        }
    }
    lt_schema_free(r->schema);
    r->schema = schema;
    r->selected = lt_rules_select(s->cfg->rules, s->cfg->nrules, schema->schema_name, schema->table_name);
    return LT_OK;
}

static int ensure_value_arrays(struct lt_source *s, int n, struct lt_error *err)
{
    if (n <= s->cdc->vals_cap)
        return LT_OK;
    struct lt_value *a = realloc(s->cdc->vals_old, (size_t)n * sizeof *a);
    if (!a)
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    s->cdc->vals_old = a;
    struct lt_value *b = realloc(s->cdc->vals_new, (size_t)n * sizeof *b);
    if (!b)
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    s->cdc->vals_new = b;
    s->cdc->vals_cap = n;
    return LT_OK;
}

static void fill_row_event(struct lt_source *s, struct pg_relation *r, char op, const struct lt_value *vals,
                           struct lt_change_event *ev)
{
    ev->kind = LT_EV_ROW;
    ev->schema = r->schema;
    ev->agent_slot = &r->agent_data;
    ev->row.op = op;
    ev->row.commit_ts_us = s->cdc->txn_ts_us;
    ev->row.nvals = r->schema->ncols;
    ev->row.vals = vals;
    lt_pg_format_pos(s->cdc->txn_lsn, ++s->cdc->txn_seq, ev->row.pos);
    ev->in_transaction = true;
}

static bool has_key(const struct lt_table_schema *t)
{
    for (int i = 0; i < t->ncols; i++)
        if (t->cols[i].is_key)
            return true;
    return false;
}

static bool key_changed(const struct lt_table_schema *t, const struct lt_value *old, const struct lt_value *new)
{
    for (int i = 0; i < t->ncols; i++) {
        if (!t->cols[i].is_key || new[i].state == LT_VALUE_UNCHANGED)
            continue;
        if (old[i].state != new[i].state || old[i].len != new[i].len ||
            (old[i].len && memcmp(old[i].data, new[i].data, old[i].len) != 0))
            return true;
    }
    return false;
}

/* Decodes a change message (I/U/D) into one event, queuing a second when it needs two. */
static int change_event(struct lt_source *s, const struct lt_pgo_msg *m, struct lt_change_event *ev, bool *emitted,
                        struct lt_error *err)
{
    *emitted = false;
    struct pg_relation *r = find_relation(s, m->u.change.relid);
    if (!r)
        return lt_fail(err, LT_ERR_RUNTIME, "pgoutput: change for relation %u before its Relation message",
                       m->u.change.relid);
    if (!r->selected || s->cdc->skip_txn)
        return LT_OK;
    int n = r->schema->ncols;
    if (ensure_value_arrays(s, n > 0 ? n : 1, err))
        return LT_ERR_RUNTIME;
    bool has_old = m->u.change.old_kind != 0;
    if (has_old && lt_pgo_tuple_values(&m->u.change.oldtup, n, s->cdc->vals_old, n, err))
        return LT_ERR_RUNTIME;
    if (m->type != LT_PGO_DELETE && lt_pgo_tuple_values(&m->u.change.newtup, n, s->cdc->vals_new, n, err))
        return LT_ERR_RUNTIME;
    if (has_old && m->u.change.old_kind == 'K') /* 'n' in a key tuple: not part of the key, not NULL */
        for (int i = 0; i < n; i++)
            if (!r->schema->cols[i].is_key && s->cdc->vals_old[i].state == LT_VALUE_NULL)
                s->cdc->vals_old[i].state = LT_VALUE_UNCHANGED;
    /* A full old row ('O', REPLICA IDENTITY FULL: the server flattens its TOASTed values into it) has the values an
     * UPDATE's new row did not send (its unchanged TOASTed values): such a table's changes never leave one out. */
    if (has_old && m->u.change.old_kind == 'O' && m->type == LT_PGO_UPDATE)
        for (int i = 0; i < n; i++)
            if (s->cdc->vals_new[i].state == LT_VALUE_UNCHANGED && s->cdc->vals_old[i].state != LT_VALUE_UNCHANGED)
                s->cdc->vals_new[i] = s->cdc->vals_old[i];
    switch (m->type) {
    case LT_PGO_INSERT:
        fill_row_event(s, r, 'I', s->cdc->vals_new, ev);
        break;
    case LT_PGO_DELETE:
        fill_row_event(s, r, 'D', s->cdc->vals_old, ev);
        break;
    case LT_PGO_UPDATE:
        if (has_old && (!has_key(r->schema) || key_changed(r->schema, s->cdc->vals_old, s->cdc->vals_new))) {
            fill_row_event(s, r, 'D', s->cdc->vals_old, ev);
            ev->from_update = true;
            s->cdc->pending_kind = PENDING_INSERT_AFTER_DELETE;
            s->cdc->pending_rel = r;
            /* without a full old row, the new tuple's unchanged TOAST values are restored by the merge (from the
             * row the D removed) */
        } else {
            fill_row_event(s, r, 'U', s->cdc->vals_new, ev);
            ev->old_vals = has_old ? s->cdc->vals_old : NULL;
        }
        break;
    default:
        return lt_fail(err, LT_ERR_RUNTIME, "pgoutput: unexpected change type %c", m->type);
    }
    *emitted = true;
    return LT_OK;
}

/* The next TRUNCATE event of a queued Truncate message, if any. */
static bool next_truncate(struct lt_source *s, struct lt_change_event *ev)
{
    const struct lt_pgo_msg *m = &s->cdc->pending_truncate;
    while (s->cdc->pending_next_relid < m->u.truncate.nrels) {
        uint32_t relid = lt_pgo_truncate_relid(m, s->cdc->pending_next_relid++);
        struct pg_relation *r = find_relation(s, relid);
        if (!r || !r->selected)
            continue;
        ev->kind = LT_EV_TRUNCATE;
        ev->schema = r->schema;
        ev->agent_slot = &r->agent_data;
        ev->row.op = 'T';
        ev->row.commit_ts_us = s->cdc->txn_ts_us;
        ev->row.nvals = 0;
        ev->row.vals = NULL;
        lt_pg_format_pos(s->cdc->txn_lsn, ++s->cdc->txn_seq, ev->row.pos);
        ev->in_transaction = true;
        return true;
    }
    s->cdc->pending_kind = PENDING_NONE;
    return false;
}

static int end_transaction(struct lt_source *s, uint64_t end_lsn, int64_t commit_ts_us, struct lt_change_event *ev,
                           bool *emitted);

/* Handles one decoded message of a transaction (received whole, or read back from the spool at its Stream
 * Commit); sets *emitted when ev was filled. */
static int handle_message(struct lt_source *s, const struct lt_pgo_msg *m, struct lt_change_event *ev, bool *emitted,
                          struct lt_error *err)
{
    *emitted = false;
    switch (m->type) {
    case LT_PGO_BEGIN:
        s->cdc->in_txn = true;
        s->cdc->txn_lsn = m->u.begin.final_lsn;
        s->cdc->txn_ts_us = m->u.begin.commit_ts_us;
        s->cdc->txn_seq = 0;
        s->cdc->skip_txn = m->u.begin.final_lsn < s->cdc->start_lsn; /* already durable before the restart */
        return LT_OK;
    case LT_PGO_COMMIT:
        return end_transaction(s, m->u.commit.end_lsn, m->u.commit.commit_ts_us, ev, emitted);
    case LT_PGO_RELATION:
        return update_relation(s, m, err);
    case LT_PGO_INSERT:
    case LT_PGO_UPDATE:
    case LT_PGO_DELETE:
        return change_event(s, m, ev, emitted, err);
    case LT_PGO_TRUNCATE:
        if (s->cdc->skip_txn)
            return LT_OK;
        s->cdc->pending_truncate = *m;
        s->cdc->pending_next_relid = 0;
        s->cdc->pending_kind = PENDING_TRUNCATE;
        *emitted = next_truncate(s, ev);
        return LT_OK;
    default: /* Origin, Type, Message: nothing to record */
        return LT_OK;
    }
}

int lt_pg_stream_server_position(struct lt_source *s, char out[LT_CHECKPOINT_MAX])
{
    if (!s->cdc->server_wal_end)
        return LT_ERR_RUNTIME;
    lt_pg_lsn_format(s->cdc->server_wal_end, out);
    return LT_OK;
}

/* A transaction's end: the COMMIT event (nothing when it was already durable before the restart). */
static int end_transaction(struct lt_source *s, uint64_t end_lsn, int64_t commit_ts_us, struct lt_change_event *ev,
                           bool *emitted)
{
    s->cdc->in_txn = false;
    if (end_lsn > s->cdc->received_lsn)
        s->cdc->received_lsn = end_lsn;
    if (s->cdc->skip_txn) {
        s->cdc->skip_txn = false;
        return LT_OK;
    }
    ev->kind = LT_EV_COMMIT;
    ev->in_transaction = false;
    lt_pg_lsn_format(end_lsn, ev->checkpoint);
    ev->row.commit_ts_us = commit_ts_us;
    *emitted = true;
    return LT_OK;
}

/* Protocol 2 with streaming: a transaction in progress comes in chunks between Stream Start and Stream Stop; its
 * messages go to the spool, and at its Stream Commit it is read back and handled like a transaction received
 * whole (stream_next reads the spool before the socket while s->cdc->replaying). */
static int handle_stream_message(struct lt_source *s, const struct lt_pgo_msg *m, const uint8_t *raw, size_t len,
                                 struct lt_error *err)
{
    switch (m->type) {
    case LT_PGO_STREAM_START:
        s->cdc->in_stream = true;
        s->cdc->stream_xid = m->xid;
        return LT_OK;
    case LT_PGO_STREAM_STOP:
        s->cdc->in_stream = false;
        return LT_OK;
    case LT_PGO_STREAM_ABORT:
        return lt_pg_spool_abort(s->cdc->spool, m->xid, m->u.stream_abort.subxid, err);
    case LT_PGO_STREAM_COMMIT:
        if (s->cdc->replaying) /* stream_next reads a committed transaction back before the next message */
            return lt_fail(err, LT_ERR_RUNTIME, "pgoutput: a Stream Commit while another one is being read back");
        if (lt_pg_spool_replay_begin(s->cdc->spool, m->xid, err))
            return LT_ERR_RUNTIME;
        s->cdc->in_txn = true;
        s->cdc->replaying = true;
        s->cdc->txn_lsn = m->u.commit.commit_lsn;
        s->cdc->txn_ts_us = m->u.commit.commit_ts_us;
        s->cdc->txn_seq = 0;
        s->cdc->skip_txn = m->u.commit.commit_lsn < s->cdc->start_lsn; /* already durable before the restart */
        s->cdc->replay_end_lsn = m->u.commit.end_lsn;
        return LT_OK;
    default: /* a change of the streamed transaction */
        return lt_pg_spool_append(s->cdc->spool, s->cdc->stream_xid, m->xid, raw, len, err);
    }
}

/* Handles one XLogData payload; sets *emitted when ev was filled. */
static int handle_xlogdata(struct lt_source *s, const struct lt_pg_xlogdata *x, struct lt_change_event *ev,
                           bool *emitted, struct lt_error *err)
{
    struct lt_pgo_msg m;
    *emitted = false;
    /* x->wal_end is the server's WAL end, not how far the stream has sent: it must not move received_lsn */
    if (x->wal_end > s->cdc->server_wal_end)
        s->cdc->server_wal_end = x->wal_end;
    if (lt_pgo_decode(x->payload, x->payload_len, s->cdc->proto, s->cdc->in_stream, &m, err)) {
        err->code = LT_ERR_FATAL; /* the same bytes would come again */
        return LT_ERR_FATAL;
    }
    if (s->cdc->in_stream || m.type == LT_PGO_STREAM_START || m.type == LT_PGO_STREAM_COMMIT ||
        m.type == LT_PGO_STREAM_ABORT)
        return handle_stream_message(s, &m, x->payload, x->payload_len, err);
    return handle_message(s, &m, ev, emitted, err);
}

/* Reads the spooled messages of the committed streamed transaction back, up to the next event. */
static int replay_next(struct lt_source *s, struct lt_change_event *ev, bool *emitted, struct lt_error *err)
{
    *emitted = false;
    while (!*emitted) {
        const uint8_t *raw;
        size_t len;
        int got = lt_pg_spool_replay_next(s->cdc->spool, &raw, &len, err);
        if (got < 0)
            return LT_ERR_RUNTIME;
        if (got == 0) {
            s->cdc->replaying = false;
            return end_transaction(s, s->cdc->replay_end_lsn, s->cdc->txn_ts_us, ev, emitted);
        }
        struct lt_pgo_msg m;
        if (lt_pgo_decode(raw, len, 2, true, &m, err))
            return lt_error_prefix(err, "a spooled message: ");
        if (handle_message(s, &m, ev, emitted, err))
            return LT_ERR_RUNTIME;
    }
    return LT_OK;
}

int lt_pg_stream_next(struct lt_source *s, struct lt_change_event *ev, int timeout_ms, struct lt_error *err)
{
    memset(ev, 0, sizeof *ev);
    ev->kind = LT_EV_NONE;
    ev->in_transaction = s->cdc->in_txn;
    if (!s->cdc->streaming)
        return lt_fail(err, LT_ERR_RUNTIME, "postgres: the change stream is not started");
    if (s->cdc->pending_kind == PENDING_INSERT_AFTER_DELETE) {
        s->cdc->pending_kind = PENDING_NONE;
        fill_row_event(s, s->cdc->pending_rel, 'I', s->cdc->vals_new, ev);
        ev->from_update = true;
        return LT_OK;
    }
    if (s->cdc->pending_kind == PENDING_TRUNCATE && next_truncate(s, ev))
        return LT_OK;
    if (s->cdc->replaying) {
        bool emitted;
        if (replay_next(s, ev, &emitted, err))
            return LT_ERR_RUNTIME;
        ev->in_transaction = s->cdc->in_txn;
        return LT_OK;
    }
    int64_t deadline = now_us() + (int64_t)timeout_ms * 1000;
    for (;;) {
        if (s->cdc->copybuf) {
            PQfreemem(s->cdc->copybuf);
            s->cdc->copybuf = NULL;
        }
        int len = PQgetCopyData(s->cdc->repl, &s->cdc->copybuf, 1);
        if (len > 0) {
            struct lt_pg_copy_msg cm;
            if (lt_pg_copy_decode((const uint8_t *)s->cdc->copybuf, (size_t)len, &cm, err))
                return LT_ERR_RUNTIME;
            if (cm.type == LT_PG_COPY_KEEPALIVE) {
                if (cm.u.keepalive.wal_end > s->cdc->received_lsn)
                    s->cdc->received_lsn = cm.u.keepalive.wal_end;
                if (cm.u.keepalive.wal_end > s->cdc->server_wal_end)
                    s->cdc->server_wal_end = cm.u.keepalive.wal_end;
                if (cm.u.keepalive.reply_requested && send_status(s, false, err))
                    return LT_ERR_RUNTIME;
                if (!s->cdc->in_txn) {
                    if (s->cdc->until_lsn && s->cdc->received_lsn >= s->cdc->until_lsn) {
                        ev->kind = LT_EV_END;
                        lt_pg_lsn_format(s->cdc->received_lsn, ev->checkpoint);
                        return LT_OK;
                    }
                    if (cm.u.keepalive.wal_end > s->cdc->acked_lsn) {
                        ev->kind = LT_EV_IDLE;
                        lt_pg_lsn_format(cm.u.keepalive.wal_end, ev->checkpoint);
                        return LT_OK;
                    }
                }
                continue;
            }
            if (cm.type != LT_PG_COPY_XLOGDATA)
                continue;
            s->cdc->last_data_us = now_us();
            bool emitted;
            if (handle_xlogdata(s, &cm.u.xlog, ev, &emitted, err))
                return LT_ERR_RUNTIME;
            if (!emitted && s->cdc->replaying) { /* a Stream Commit: its spool is read back before the next message */
                if (replay_next(s, ev, &emitted, err))
                    return LT_ERR_RUNTIME;
                ev->in_transaction = s->cdc->in_txn;
                return LT_OK;
            }
            if (emitted) {
                ev->in_transaction = s->cdc->in_txn;
                return LT_OK;
            }
            continue;
        }
        if (len == -1) {
            PGresult *r = PQgetResult(s->cdc->repl);
            char line[512];
            const char *why = r ? lt_pg_first_line(PQresultErrorMessage(r), line, sizeof line) : "";
            if (!*why) /* a CopyDone without an error: the walsender ended it (shutdown, or the slot dropped) */
                why = r ? (PQresultStatus(r) == PGRES_COMMAND_OK ? "the server ended the copy (no error given: a "
                                                                   "shutdown, or the walsender stopped)"
                                                                 : PQresStatus(PQresultStatus(r)))
                        : "the connection closed without a reason";
            lt_fail(err, LT_ERR_RUNTIME, "postgres: the server ended the replication stream: %s", why);
            PQclear(r);
            s->cdc->streaming = false;
            return LT_ERR_RUNTIME;
        }
        if (len == -2)
            return lt_pg_conn_error(s->cdc->repl, err, "reading the replication stream");
        /* Nothing buffered: keep the server informed, ask for a keepalive when waiting for --until, then wait. */
        int64_t now = now_us();
        if (now - s->cdc->last_status_us > 10 * 1000000 && send_status(s, false, err))
            return LT_ERR_RUNTIME;
        if (s->cdc->until_lsn && !s->cdc->in_txn && now - s->cdc->last_data_us > 100000 &&
            now - s->cdc->last_reply_request_us > 200000) {
            s->cdc->last_reply_request_us = now;
            if (send_status(s, true, err))
                return LT_ERR_RUNTIME;
        }
        if (now >= deadline)
            return LT_OK;
        int64_t wait = deadline - now;
        if (wait > 100000)
            wait = 100000;
        fd_set rfds;
        FD_ZERO(&rfds);
        int fd = PQsocket(s->cdc->repl);
        if (fd < 0)
            return lt_fail(err, LT_ERR_RUNTIME, "postgres: the replication connection is closed");
        FD_SET(fd, &rfds);
        struct timeval tv = {.tv_sec = (time_t)(wait / 1000000), .tv_usec = (suseconds_t)(wait % 1000000)};
        int sel = select(fd + 1, &rfds, NULL, NULL, &tv);
        if (sel < 0 && errno != EINTR)
            return lt_fail(err, LT_ERR_RUNTIME, "postgres: waiting for the replication stream: %s", strerror(errno));
        if (sel < 0)
            return LT_OK; /* a signal: let the caller look at its stop flag */
        if (sel > 0 && !PQconsumeInput(s->cdc->repl))
            return lt_pg_conn_error(s->cdc->repl, err, "reading the replication stream");
    }
}

int lt_pg_stream_ack(struct lt_source *s, const char *checkpoint, struct lt_error *err)
{
    uint64_t lsn;
    if (!lt_pg_lsn_parse(checkpoint, &lsn))
        return lt_fail(err, LT_ERR_RUNTIME, "postgres: checkpoint \"%s\" is not an LSN", checkpoint);
    if (lsn > s->cdc->acked_lsn)
        s->cdc->acked_lsn = lsn;
    return s->cdc->streaming ? send_status(s, false, err) : LT_OK;
}

int lt_pg_cdc_create(struct lt_source *s, struct lt_error *err)
{
    if (!(s->cdc = calloc(1, sizeof *s->cdc)))
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    return LT_OK;
}

void lt_pg_cdc_close(struct lt_source *s)
{
    if (!s->cdc)
        return;
    lt_pg_spool_close(s->cdc->spool);
    s->cdc->spool = NULL;
    if (s->cdc->copybuf)
        PQfreemem(s->cdc->copybuf);
    s->cdc->copybuf = NULL;
    if (s->cdc->repl) {
        if (s->cdc->streaming) {
            struct lt_error ignored;
            send_status(s, false, &ignored);
            PQputCopyEnd(s->cdc->repl, NULL);
            PQflush(s->cdc->repl);
        }
        PQfinish(s->cdc->repl);
        s->cdc->repl = NULL;
    }
    s->cdc->streaming = false;
    while (s->cdc->relations) {
        struct pg_relation *r = s->cdc->relations;
        s->cdc->relations = r->next;
        lt_schema_free(r->schema);
        free(r);
    }
    free(s->cdc->vals_old);
    free(s->cdc->vals_new);
    free(s->cdc);
    s->cdc = NULL;
}
