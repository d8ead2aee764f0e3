/* The MySQL/MariaDB change stream: COM_BINLOG_DUMP through Connector/C's mariadb_rpl API, each event's raw bytes
 * decoded by our own binlog decoder (binlog_event.h, binlog_rows.h), rows turned into change events.
 *
 * Transactions: a MariaDB GTID event without the standalone flag, or a QUERY "BEGIN", opens one; XID or QUERY
 * "COMMIT"/"ROLLBACK" ends it, and the checkpoint becomes "<file>:<end of that event>". Any other QUERY outside a
 * transaction is DDL: it ends at its own end (a checkpoint too), and the schemas of the tables are read again from
 * information_schema at their next TABLE_MAP (the agent compares the columns of each change with its table's
 * file and starts a new file when they differ). The stream always starts at a checkpoint, i.e. at a transaction
 * boundary, so nothing is skipped or doubled.
 *
 * Rows: a position is (binlog file index, the rows event's start, row index inside the event from 1). An UPDATE
 * whose primary key changes, or any UPDATE of a table without a primary key, becomes D of the before-image then I
 * of the after-image at consecutive row indexes. A MySQL 8 TRANSACTION_PAYLOAD (binlog_transaction_compression=ON)
 * holds a whole transaction: its rows events all take the payload event's start as their position, with row
 * indexes continuing across them, and the transaction ends at the payload event's end. A table map whose columns
 * differ from the table's current ones (changes logged before a later ALTER) gives the schema itself when it
 * carries column names (binlog_row_metadata=FULL).
 *
 * GTIDs (MariaDB): each checkpoint carries the GTID position at its file position (lt_my_format_checkpoint): the
 * one the stream started from (the checkpoint's, or BINLOG_GTID_POS), moved by the GTID event of every event group
 * when the group ends. With source.use_gtid the stream opens by that GTID position (@slave_connect_state) instead:
 * the server skips silently to the first group after it, so the file position is known again only from that
 * group's GTID event, or from a heartbeat (sent once everything before its position was sent or skipped); until
 * then no checkpoint is reported.
 *
 * Waiting: stream_next returns within its timeout (source.h): before each fetch, unless Connector/C already holds
 * bytes it read (its read-ahead cache, or what OpenSSL decrypted), the socket is polled for the time left, so the
 * agent sees its stop flag and closes files on time even when nothing arrives. The server sends a HEARTBEAT after
 * 250 ms without events (@master_heartbeat_period), which also moves --until and IDLE checkpoints; a read timeout
 * (20 s) catches a stream that went silent in the middle of an event (a killed dump thread may stop sending without
 * closing). A lost connection ends the stream: the agent reconnects and resumes at the last transaction boundary. */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
/* mariadb_rpl.h needs mysql.h first */
#include <mysql.h>
#include <mariadb_rpl.h>
#include <mysqld_error.h>
#include <errmsg.h>
/* the client's read-ahead cache and TLS session (struct st_ma_pvio): bytes already read are not on the socket */
typedef unsigned char uchar; /* (ma_tls.h uses it before ma_pvio.h defines it) */
#define HAVE_TLS
#include <ma_pvio.h>
#undef HAVE_TLS
#include <openssl/ssl.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "agent/table_mapping.h"
#include "agent/table_transform.h"
#include "sources/mysql/binlog_rows.h"
#include "sources/mysql/mysql_internal.h"

/* The change stream's state: none of it is used by the full load. */
struct my_cdc {
    MYSQL *repl;
    void *rpl;                         /* MARIADB_RPL * */
    void *rpl_event;                   /* MARIADB_RPL_EVENT * (reused) */
    bool tls_openssl;                  /* Connector/C's TLS library is OpenSSL (its buffers can be asked) */
    struct lt_binlog_reader reader;
    char file[MY_FILE_MAX];            /* the binlog file being read */
    uint32_t file_index;
    uint64_t start_pos;                /* stream start in `file` */
    uint64_t next_pos;                 /* end of the last event read in `file` */
    char until_file[MY_FILE_MAX];      /* --until: stop once this position is reached */
    uint64_t until_pos;
    bool have_until;
    bool streaming;
    bool in_txn;
    int64_t txn_ts_us;
    char gtid[MY_GTID_MAX];            /* MariaDB: the GTID position after the last complete transaction */
    bool gtid_known;                   /* gtid is valid (it may be "": no GTID before this point) */
    bool have_txn_gtid;                /* the open transaction's GTID (from its GTID event) */
    uint32_t txn_gtid_domain, txn_gtid_server;
    uint64_t txn_gtid_seq;
    bool pos_unknown;                  /* opened by GTID: the file position is known from the first GTID event or
                                        * heartbeat on (the server skips the events before the GTID silently) */
    char last_checkpoint[LT_CHECKPOINT_MAX]; /* end of the last transaction */
    char reported[LT_CHECKPOINT_MAX];  /* the last checkpoint given to the agent (COMMIT or IDLE) */
    char acked[LT_CHECKPOINT_MAX];    /* the last checkpoint the agent made durable (for messages) */
    struct my_cdc_table *tables;       /* captured tables by name (linked list: a task has few tables) */
    void *cursor_ids;                  /* the transaction's table ids (struct my_table_id list) */
    unsigned schema_stale_gen;         /* bumped at every DDL: schemas are read again at their next table map */
    struct my_cdc_table *cur;          /* the table of the rows event being returned */
    const struct lt_table_schema *cur_schema; /* and its schema */
    struct lt_binlog_event rows_ev;    /* the rows event being returned, row by row */
    struct lt_binlog_row_cursor cursor;
    bool in_rows;
    uint64_t rows_event_pos;           /* the rows event's start position */
    uint32_t row_index;
    bool pending_insert;               /* key change: the I after the D */
    struct lt_my_scratch scratch;  /* row values */
    struct lt_my_scratch inflate;  /* decompressed events */
    bool in_payload;                   /* walking a MySQL TRANSACTION_PAYLOAD's events */
    struct lt_binlog_event payload_ev; /* the payload event (points into the fetched event) */
    struct lt_my_scratch payload_buf; /* its inflated events */
    size_t payload_pos;
    struct lt_value *before, *after;
    uint32_t vals_cap;
    uint64_t zero_dates;               /* zero dates written as NULL */
    char last_emitted[LT_POS_MAX + 1]; /* position of the last row given to the agent */
    uint64_t txn_rows;                 /* rows of the open transaction given to the agent */
    int64_t last_idle_us;              /* when a transaction without rows for us was last reported as IDLE */
};

/* A captured table (by name): its schema and the agent's slot. */
struct my_cdc_table {
    struct my_cdc_table *next;
    char *db, *table;
    bool selected;
    struct my_table_info *info;  /* NULL when not selected */
    unsigned info_gen;           /* schema_stale_gen when info was read */
    void *agent_data;
};

/* A table id of the current transaction's TABLE_MAP events (cleared at every transaction end). */
struct my_table_id {
    struct my_table_id *next;
    struct lt_binlog_table_map tm;
    struct my_cdc_table *t;
    struct lt_table_schema *own_schema; /* the table as the binlog describes it, when that differs from now */
};

static struct my_table_id *table_ids(struct lt_source *s)
{
    return (struct my_table_id *)s->cdc->cursor_ids;
}

static void clear_table_ids(struct lt_source *s)
{
    struct my_table_id *id = table_ids(s);
    while (id) {
        struct my_table_id *next = id->next;
        lt_binlog_table_map_free(&id->tm);
        lt_schema_free(id->own_schema);
        free(id);
        id = next;
    }
    s->cdc->cursor_ids = NULL;
}

static int64_t monotonic_us(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
}

/* A decoding failure: the same bytes come again after a reconnect, so the run ends (LT_ERR_FATAL). */
static int fatal(struct lt_error *err, const char *prefix, const char *file)
{
    lt_error_prefix(err, prefix, file);
    err->code = LT_ERR_FATAL;
    return LT_ERR_FATAL;
}

static bool db_configured(const struct lt_source *s, const char *db)
{
    for (char **d = s->cfg->source.databases; d && *d; d++)
        if (strcmp(*d, db) == 0)
            return true;
    return false;
}

static struct my_cdc_table *find_table(struct lt_source *s, const char *db, const char *table)
{
    for (struct my_cdc_table *t = s->cdc->tables; t; t = t->next)
        if (strcmp(t->db, db) == 0 && strcmp(t->table, table) == 0)
            return t;
    return NULL;
}

/* The table map's column names (when it has them) are the table's columns now. */
static bool names_match(const struct lt_binlog_table_map *tm, const struct my_table_info *info)
{
    for (uint32_t i = 0; i < tm->ncols; i++) {
        const struct lt_binlog_column *a = &tm->cols[i], *b = &info->cols[i];
        if (!a->name || a->name_len != b->name_len || strncasecmp(a->name, b->name, a->name_len) != 0)
            return false;
    }
    return true;
}

/* The table of a TABLE_MAP, with its schema (re)read from information_schema when new or after a DDL. When the
 * table has other columns now than when these changes were logged (a restart replaying changes from before an
 * ALTER), the table map's own column names and types give the schema (*own), if it carries them
 * (binlog_row_metadata=FULL); otherwise there is no telling what the values mean. */
static int table_for_map(struct lt_source *s, const struct lt_binlog_table_map *tm, struct my_cdc_table **out,
                         struct lt_table_schema **own, struct lt_error *err)
{
    *own = NULL;
    struct my_cdc_table *t = find_table(s, tm->db, tm->table);
    if (!t) {
        t = calloc(1, sizeof *t);
        if (!t || !(t->db = strdup(tm->db)) || !(t->table = strdup(tm->table))) {
            if (t)
                free(t->db);
            free(t);
            return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
        }
        t->selected = db_configured(s, tm->db) && lt_rules_select(s->cfg->rules, s->cfg->nrules, tm->db, tm->table);
        t->next = s->cdc->tables;
        s->cdc->tables = t;
    } else if (t->selected && s->cdc->schema_stale_gen != t->info_gen) {
        lt_my_table_info_free(t->info);
        t->info = NULL;
    }
    if (t->selected && (!t->info || t->info->ncols != tm->ncols)) {
        struct my_table_info *info = NULL;
        if (lt_my_table_info_load(s->main, tm->db, tm->table, &info, err))
            return LT_ERR_RUNTIME;
        if (!info || info->ncols != tm->ncols) {
            uint32_t n = info ? info->ncols : 0;
            lt_my_table_info_free(info);
            if (tm->has_column_names) {
                if (!(*own = lt_binlog_table_map_schema(tm)))
                    return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
                *out = t;
                return lt_mapping_apply_key(s->cfg, *own, err);
            }
            return lt_fail(err, LT_ERR_FATAL, "mysql: the binlog has %u columns for %s.%s but the table has %u now "
                           "(its definition changed since these changes were logged); run a new full load",
                           tm->ncols, tm->db, tm->table, n);
        }
        lt_my_table_info_free(t->info);
        t->info = info;
        /* define-primary-key: the key the UPDATE logic and the files use */
        int rc = lt_mapping_apply_key(s->cfg, info->schema, err);
        if (rc)
            return rc;
    }
    t->info_gen = s->cdc->schema_stale_gen;
    if (t->selected && tm->has_column_names && !names_match(tm, t->info) &&
        !(*own = lt_binlog_table_map_schema(tm)))
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    *out = t;
    return *own ? lt_mapping_apply_key(s->cfg, *own, err) : LT_OK;
}

/* Fills what the table map lacks (servers logging no optional metadata) from information_schema. */
static void complete_table_map(struct lt_binlog_table_map *tm, const struct my_table_info *info)
{
    for (uint32_t i = 0; i < tm->ncols && i < info->ncols; i++) {
        struct lt_binlog_column *c = &tm->cols[i];
        const struct lt_binlog_column *ic = &info->cols[i];
        if (!tm->has_signedness)
            c->is_unsigned = ic->is_unsigned;
        if (!tm->has_charsets && lt_mysql_type_is_character(c->type))
            c->charset = ic->charset;
        if (!tm->has_enum_set_labels && (c->type == LT_MYSQL_TYPE_ENUM || c->type == LT_MYSQL_TYPE_SET)) {
            c->labels = ic->labels;
            c->label_lens = ic->label_lens;
            c->nlabels = ic->nlabels;
        }
        if (!tm->has_column_names) {
            c->name = ic->name;
            c->name_len = ic->name_len;
        }
    }
}

/* ---- connection ---- */

int lt_my_position(struct lt_source *s, bool exact_gtid, char out[LT_CHECKPOINT_MAX], struct lt_error *err)
{
    char file[MY_FILE_MAX], gtid[MY_GTID_MAX] = "";
    uint64_t pos;
    if (lt_my_master_status(s->main, file, &pos, err))
        return LT_ERR_RUNTIME;
    if (s->is_mariadb && exact_gtid) {
        bool known;
        if (lt_my_binlog_gtid_pos(s->main, file, pos, gtid, &known, err))
            return LT_ERR_RUNTIME;
    } else if (s->is_mariadb && mysql_query(s->main, "SELECT @@global.gtid_binlog_pos") == 0) {
        MYSQL_RES *r = mysql_store_result(s->main);
        MYSQL_ROW row = r ? mysql_fetch_row(r) : NULL;
        if (row && row[0] && lt_my_gtid_valid(row[0], strlen(row[0])))
            snprintf(gtid, sizeof gtid, "%s", row[0]);
        mysql_free_result(r);
    }
    lt_my_format_checkpoint(file, pos, gtid, out);
    return LT_OK;
}

int lt_my_current_position(struct lt_source *s, char out[LT_CHECKPOINT_MAX], struct lt_error *err)
{
    return lt_my_position(s, false, out, err);
}

int lt_my_cdc_begin(struct lt_source *s, char checkpoint[LT_CHECKPOINT_MAX], struct lt_error *err)
{
    return lt_my_position(s, true, checkpoint, err);
}

/* The stream resumes by GTID: configured, and the checkpoint has a GTID position. */
static bool by_gtid(const struct lt_source *s)
{
    return s->cfg->source.use_gtid && s->cdc->gtid_known && s->cdc->gtid[0];
}

static int purged_error(struct lt_source *s, struct lt_error *err, const char *msg)
{
    char cp[LT_CHECKPOINT_MAX];
    lt_my_format_checkpoint(s->cdc->file, s->cdc->start_pos, by_gtid(s) ? s->cdc->gtid : NULL, cp);
    if (by_gtid(s))
        return lt_fail(err, LT_ERR_FATAL,
                       "mysql: the server cannot send the binlog after GTID position %s (checkpoint %s): %s; its binlog "
                       "no longer holds that position (purged, or a server that never had these transactions), so "
                       "changes since the checkpoint are lost; start the task over with a new full load (`logtap "
                       "replicate --start-over`; state store %s), and keep binlogs longer (binlog_expire_logs_seconds)",
                       s->cdc->gtid, cp, msg, s->cfg->state_path ? s->cfg->state_path : "");
    return lt_fail(err, LT_ERR_FATAL,
                   "mysql: the binlog from checkpoint %s is no longer on the server (%s): changes since "
                   "the checkpoint are lost; start the task over with a new full load (`logtap replicate --start-over`; "
                   "state store %s), and keep binlogs longer (binlog_expire_logs_seconds / expire_logs_days)",
                   cp, msg, s->cfg->state_path ? s->cfg->state_path : "");
}

static int open_stream(struct lt_source *s, struct lt_error *err)
{
    /* Heartbeats come every 250 ms: 20 s of silence means a dead connection (then: reconnect). */
    if (lt_my_connect_timeout(s->cfg, 20, &s->cdc->repl, err))
        return lt_error_prefix(err, "binlog stream: ");
    char v[MY_FILE_MAX] = "";
    if (mysql_query(s->cdc->repl, "SELECT @@global.binlog_checksum") == 0) {
        MYSQL_RES *r = mysql_store_result(s->cdc->repl);
        MYSQL_ROW row = r ? mysql_fetch_row(r) : NULL;
        if (row && row[0])
            snprintf(v, sizeof v, "%s", row[0]);
        mysql_free_result(r);
    }
    const char *tls_library = NULL;
    s->cdc->tls_openssl = mariadb_get_infov(s->cdc->repl, MARIADB_TLS_LIBRARY, &tls_library) == 0 && tls_library &&
                          strncmp(tls_library, "OpenSSL", 7) == 0;
    lt_binlog_reader_init(&s->cdc->reader);
    s->cdc->reader.checksum_before_fde = strcasecmp(v, "CRC32") == 0 ? 1 : v[0] ? 0 : -1;
    if (lt_my_exec(s->cdc->repl, "SET @master_binlog_checksum = @@global.binlog_checksum", err) ||
        lt_my_exec(s->cdc->repl, "SET @mariadb_slave_capability = 4", err) ||
        lt_my_exec(s->cdc->repl, "SET @master_heartbeat_period = 250000000", err))
        return lt_error_prefix(err, "binlog stream: ");
    /* By GTID (MariaDB): the server starts after the GTID position's transactions, in whatever file holds them
     * (a fake ROTATE names it). The text was validated: digits, '-' and ','. */
    bool gtid_mode = by_gtid(s);
    if (gtid_mode) {
        char sql[MY_GTID_MAX + 128];
        snprintf(sql, sizeof sql, "SET @slave_connect_state = '%s', @slave_gtid_strict_mode = 0,"
                 " @slave_gtid_ignore_duplicates = 0", s->cdc->gtid);
        if (lt_my_exec(s->cdc->repl, sql, err))
            return lt_error_prefix(err, "binlog stream by GTID: ");
    }
    s->cdc->pos_unknown = gtid_mode;
    MARIADB_RPL *rpl = mariadb_rpl_init(s->cdc->repl);
    if (!rpl)
        return lt_fail(err, LT_ERR_RUNTIME, "mysql: mariadb_rpl_init failed (Connector/C without replication API?)");
    s->cdc->rpl = rpl;
    uint32_t server_id = s->cfg->source.server_id;
    if (mariadb_rpl_optionsv(rpl, MARIADB_RPL_SERVER_ID, server_id) ||
        mariadb_rpl_optionsv(rpl, MARIADB_RPL_FILENAME, gtid_mode ? "" : s->cdc->file, gtid_mode ? 0 : strlen(s->cdc->file)) ||
        mariadb_rpl_optionsv(rpl, MARIADB_RPL_START, gtid_mode ? 4UL : (unsigned long)s->cdc->start_pos) ||
        mariadb_rpl_optionsv(rpl, MARIADB_RPL_FLAGS, 0))
        return lt_fail(err, LT_ERR_RUNTIME, "mysql: setting up the binlog stream: %s", mariadb_rpl_error(rpl));
    if (mariadb_rpl_open(rpl)) {
        if (mysql_errno(s->cdc->repl) == ER_MASTER_FATAL_ERROR_READING_BINLOG)
            return purged_error(s, err, mysql_error(s->cdc->repl));
        return lt_fail(err, LT_ERR_RUNTIME, "mysql: starting the binlog stream at %s:%" PRIu64 "%s%s: %s (error %u)",
                       s->cdc->file, s->cdc->start_pos, gtid_mode ? ", GTID " : "", gtid_mode ? s->cdc->gtid : "",
                       mysql_errno(s->cdc->repl) ? mysql_error(s->cdc->repl) : mariadb_rpl_error(rpl), mysql_errno(s->cdc->repl));
    }
    s->cdc->streaming = true;
    return LT_OK;
}

static void close_stream(struct lt_source *s)
{
    if (s->cdc->rpl_event)
        mariadb_free_rpl_event(s->cdc->rpl_event);
    s->cdc->rpl_event = NULL;
    if (s->cdc->rpl)
        mariadb_rpl_close(s->cdc->rpl);
    s->cdc->rpl = NULL;
    if (s->cdc->repl)
        mysql_close(s->cdc->repl);
    s->cdc->repl = NULL;
    s->cdc->streaming = false;
}

int lt_my_stream_start(struct lt_source *s, const struct lt_stream_options *opt, struct lt_error *err)
{
    if (!lt_my_parse_checkpoint(opt->checkpoint, s->cdc->file, &s->cdc->start_pos, s->cdc->gtid))
        return lt_fail(err, LT_ERR_FATAL, "mysql: checkpoint \"%s\" is not a binlog position (file:position)",
                       opt->checkpoint ? opt->checkpoint : "");
    /* The GTID position at the checkpoint, so the checkpoints carry it: from the checkpoint, or asked from MariaDB
     * (a checkpoint written without it); unknown otherwise (MySQL), and then checkpoints are file:position only. */
    s->cdc->gtid_known = s->cdc->gtid[0] != '\0';
    if (!s->cdc->gtid_known && s->is_mariadb &&
        lt_my_binlog_gtid_pos(s->main, s->cdc->file, s->cdc->start_pos, s->cdc->gtid, &s->cdc->gtid_known, err))
        return LT_ERR_RUNTIME;
    s->cdc->have_txn_gtid = false;
    s->cdc->file_index = lt_my_file_index(s->cdc->file);
    s->cdc->next_pos = s->cdc->start_pos;
    s->cdc->have_until = false;
    if (opt->until) {
        char now[LT_CHECKPOINT_MAX];
        const char *target = opt->until;
        if (strcmp(opt->until, "now") == 0) {
            if (lt_my_current_position(s, now, err))
                return LT_ERR_RUNTIME;
            target = now;
        }
        if (!lt_my_parse_checkpoint(target, s->cdc->until_file, &s->cdc->until_pos, NULL))
            return lt_fail(err, LT_ERR_CONFIG, "--until: \"%s\" is not a binlog position (like mysql-bin.000003:1234) "
                           "or \"now\"", target);
        s->cdc->have_until = true;
    }
    lt_my_format_checkpoint(s->cdc->file, s->cdc->start_pos, s->cdc->gtid_known ? s->cdc->gtid : NULL, s->cdc->last_checkpoint);
    snprintf(s->cdc->reported, sizeof s->cdc->reported, "%s", s->cdc->last_checkpoint);
    s->cdc->in_txn = false;
    return open_stream(s, err);
}

/* ---- events ---- */

static int ensure_values(struct lt_source *s, uint32_t n, struct lt_error *err)
{
    if (n <= s->cdc->vals_cap)
        return LT_OK;
    struct lt_value *a = realloc(s->cdc->before, n * sizeof *a);
    if (!a)
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    s->cdc->before = a;
    struct lt_value *b = realloc(s->cdc->after, n * sizeof *b);
    if (!b)
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    s->cdc->after = b;
    s->cdc->vals_cap = n;
    return LT_OK;
}

static bool has_key(const struct lt_table_schema *t)
{
    for (int i = 0; i < t->ncols; i++)
        if (t->cols[i].is_key)
            return true;
    return false;
}

static bool key_changed(const struct lt_table_schema *t, const struct lt_value *a, const struct lt_value *b)
{
    for (int i = 0; i < t->ncols; i++) {
        if (!t->cols[i].is_key)
            continue;
        if (a[i].state != b[i].state || a[i].len != b[i].len || (a[i].len && memcmp(a[i].data, b[i].data, a[i].len)))
            return true;
    }
    return false;
}

static void fill_row(struct lt_source *s, char op, const struct lt_value *vals, struct lt_change_event *ev)
{
    struct my_cdc_table *t = s->cdc->cur;
    ev->kind = LT_EV_ROW;
    ev->schema = s->cdc->cur_schema;
    ev->agent_slot = &t->agent_data;
    ev->row.op = op;
    ev->row.commit_ts_us = s->cdc->txn_ts_us;
    ev->row.nvals = s->cdc->cur_schema->ncols;
    ev->row.vals = vals;
    lt_my_format_pos(s->cdc->file_index, s->cdc->rows_event_pos, ++s->cdc->row_index, ev->row.pos);
    ev->in_transaction = true;
}

/* Notes a row given to the agent. */
static void note_emitted(struct lt_source *s, const struct lt_change_event *ev)
{
    memcpy(s->cdc->last_emitted, ev->row.pos, sizeof s->cdc->last_emitted);
    s->cdc->txn_rows++;
}

/* The next row of the rows event being read; *emitted false at its end. */
static int next_row(struct lt_source *s, struct lt_change_event *ev, bool *emitted, struct lt_error *err)
{
    *emitted = false;
    bool done;
    struct lt_binlog_row_cursor *c = &s->cdc->cursor;
    if (lt_binlog_rows_next(c, &s->cdc->scratch, s->cdc->before, s->cdc->after, &done, err))
        return fatal(err, "mysql: binlog %s: ", s->cdc->file);
    if (done) {
        s->cdc->in_rows = false;
        return LT_OK;
    }
    if (c->notes & LT_BINLOG_NOTE_ZERO_DATE)
        s->cdc->zero_dates++;
    const struct lt_table_schema *schema = s->cdc->cur_schema;
    switch (c->ev->op) {
    case 'I':
        fill_row(s, 'I', s->cdc->after, ev);
        break;
    case 'D':
        fill_row(s, 'D', s->cdc->before, ev);
        break;
    default:
        if (!has_key(schema) || key_changed(schema, s->cdc->before, s->cdc->after)) {
            fill_row(s, 'D', s->cdc->before, ev);
            ev->from_update = true;
            s->cdc->pending_insert = true;
        } else {
            fill_row(s, 'U', s->cdc->after, ev);
            ev->old_vals = s->cdc->before;
        }
    }
    note_emitted(s, ev);
    *emitted = true;
    return LT_OK;
}

/* The GTID position moves past the transaction that just ended (when it had a GTID and the position is known). */
static int advance_gtid(struct lt_source *s, struct lt_error *err)
{
    if (!s->cdc->have_txn_gtid)
        return LT_OK;
    s->cdc->have_txn_gtid = false;
    if (!s->cdc->gtid_known || lt_my_gtid_set(s->cdc->gtid, s->cdc->txn_gtid_domain, s->cdc->txn_gtid_server, s->cdc->txn_gtid_seq))
        return LT_OK;
    if (s->cfg->source.use_gtid)
        return lt_fail(err, LT_ERR_FATAL, "mysql: the GTID position %s plus %" PRIu32 "-%" PRIu32 "-%" PRIu64
                       " is longer than %d bytes (too many replication domains) for resuming by GTID; remove "
                       "source.use_gtid", s->cdc->gtid, s->cdc->txn_gtid_domain, s->cdc->txn_gtid_server, s->cdc->txn_gtid_seq,
                       MY_GTID_MAX - 1);
    s->cdc->gtid_known = false; /* too long to carry: checkpoints are file:position only from here on */
    s->cdc->gtid[0] = '\0';
    return LT_OK;
}

static int end_transaction(struct lt_source *s, const struct lt_binlog_event *bev, struct lt_change_event *ev,
                           struct lt_error *err)
{
    s->cdc->in_txn = false;
    clear_table_ids(s);
    if (advance_gtid(s, err))
        return LT_ERR_FATAL;
    /* inside a MySQL TRANSACTION_PAYLOAD the transaction ends where the payload event ends */
    lt_my_format_checkpoint(s->cdc->file, s->cdc->in_payload ? s->cdc->payload_ev.h.log_pos : bev->h.log_pos,
                            s->cdc->gtid_known ? s->cdc->gtid : NULL, s->cdc->last_checkpoint);
    snprintf(s->cdc->reported, sizeof s->cdc->reported, "%s", s->cdc->last_checkpoint);
    ev->kind = LT_EV_COMMIT;
    /* A transaction with nothing for us (other tables, other databases) moves the durable checkpoint too, at most
     * once a second, so a busy server's binlog is not re-read from far behind after a restart. */
    int64_t now_us = monotonic_us();
    if (s->cdc->txn_rows == 0 && now_us - s->cdc->last_idle_us >= 1000000) {
        ev->kind = LT_EV_IDLE;
        s->cdc->last_idle_us = now_us;
    }
    s->cdc->txn_rows = 0;
    ev->in_transaction = false;
    snprintf(ev->checkpoint, sizeof ev->checkpoint, "%s", s->cdc->last_checkpoint);
    ev->row.commit_ts_us = (int64_t)bev->h.timestamp * 1000000;
    return LT_OK;
}

/* The whole statement is `word` (BEGIN/COMMIT/ROLLBACK, maybe with spaces or a ';'), not "ROLLBACK TO x". */
static bool sql_is_exactly(const char *sql, size_t n, const char *word)
{
    while (n && (*sql == ' ' || *sql == '\n' || *sql == '\t')) {
        sql++;
        n--;
    }
    while (n && (sql[n - 1] == ' ' || sql[n - 1] == '\n' || sql[n - 1] == '\t' || sql[n - 1] == ';'))
        n--;
    return n == strlen(word) && strncasecmp(sql, word, n) == 0;
}

static int handle_table_map(struct lt_source *s, const struct lt_binlog_event *bev, struct lt_error *err)
{
    struct my_table_id *id = calloc(1, sizeof *id);
    if (!id)
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    if (lt_binlog_table_map_decode(bev, &id->tm, err)) {
        free(id);
        return fatal(err, "mysql: binlog %s: ", s->cdc->file);
    }
    id->next = table_ids(s);
    s->cdc->cursor_ids = id;
    struct my_cdc_table *t = NULL;
    if (table_for_map(s, &id->tm, &t, &id->own_schema, err))
        return LT_ERR_RUNTIME;
    id->t = t;
    if (t->selected && !id->own_schema)
        complete_table_map(&id->tm, t->info);
    return LT_OK;
}

static int start_rows(struct lt_source *s, struct lt_binlog_event *bev, struct lt_error *err)
{
    struct my_table_id *id = table_ids(s);
    while (id && id->tm.table_id != bev->u.rows.table_id)
        id = id->next;
    if (!id)
        return lt_fail(err, LT_ERR_RUNTIME, "mysql: rows event at %s:%" PRIu64 " for table id %" PRIu64
                       " without its TABLE_MAP", s->cdc->file, bev->offset, bev->u.rows.table_id);
    if (!id->t->selected)
        return LT_OK;
    if (lt_binlog_event_decompress(bev, &s->cdc->inflate, err))
        return LT_ERR_RUNTIME;
    if (ensure_values(s, id->tm.ncols ? id->tm.ncols : 1, err))
        return LT_ERR_RUNTIME;
    s->cdc->rows_ev = *bev;
    if (lt_binlog_rows_begin(&s->cdc->cursor, &s->cdc->rows_ev.u.rows, &id->tm, err))
        return fatal(err, "mysql: binlog %s: ", s->cdc->file);
    s->cdc->cur = id->t;
    s->cdc->cur_schema = id->own_schema ? id->own_schema : id->t->info->schema;
    s->cdc->rows_event_pos = bev->offset;
    if (!s->cdc->in_payload)
        s->cdc->row_index = 0; /* inside a payload every rows event has the payload's position: indexes continue */
    s->cdc->in_rows = true;
    return LT_OK;
}

/* Compares (file, pos) with the --until position. */
static bool until_reached(const struct lt_source *s)
{
    if (!s->cdc->have_until || s->cdc->pos_unknown)
        return false;
    uint32_t ui = lt_my_file_index(s->cdc->until_file);
    return s->cdc->file_index > ui || (s->cdc->file_index == ui && s->cdc->next_pos >= s->cdc->until_pos);
}

static int handle_parsed(struct lt_source *s, struct lt_binlog_event *bevp, struct lt_change_event *ev, bool *emitted,
                         struct lt_error *err);

/* One raw event from the server: decoded, state updated, *emitted when ev was filled. */
static int handle_event(struct lt_source *s, const uint8_t *p, size_t n, struct lt_change_event *ev, bool *emitted,
                        struct lt_error *err)
{
    *emitted = false;
    struct lt_binlog_event bev;
    uint64_t offset = 0;
    if (n >= LT_BINLOG_HEADER_LEN) {
        uint32_t size = lt_le32(p + 9), next = lt_le32(p + 13);
        if (next >= size)
            offset = next - size;
    }
    if (lt_binlog_parse_event(&s->cdc->reader, p, n, offset, &bev, err))
        return fatal(err, "mysql: binlog %s: ", s->cdc->file); /* undecodable bytes: retrying cannot help */
    return handle_parsed(s, &bev, ev, emitted, err);
}

/* One decoded event (from the stream, or from inside a TRANSACTION_PAYLOAD when s->cdc->in_payload). */
static int handle_parsed(struct lt_source *s, struct lt_binlog_event *bevp, struct lt_change_event *ev, bool *emitted,
                         struct lt_error *err)
{
    *emitted = false;
    struct lt_binlog_event bev = *bevp;
    bool artificial = (bev.h.flags & LT_BINLOG_F_ARTIFICIAL) || bev.h.log_pos == 0;
    switch (bev.h.type) {
    case LT_BINLOG_ROTATE_EVENT:
        if (bev.u.rotate.name_len >= MY_FILE_MAX)
            return lt_fail(err, LT_ERR_RUNTIME, "mysql: binlog file name too long");
        memcpy(s->cdc->file, bev.u.rotate.name, bev.u.rotate.name_len);
        s->cdc->file[bev.u.rotate.name_len] = '\0';
        s->cdc->file_index = lt_my_file_index(s->cdc->file);
        s->cdc->next_pos = bev.u.rotate.position;
        return LT_OK;
    case LT_BINLOG_HEARTBEAT_EVENT:
    case LT_BINLOG_HEARTBEAT_EVENT_V2:
        return LT_OK;
    default:
        break;
    }
    /* (the FORMAT_DESCRIPTION and GTID_LIST the server sends first carry positions from the file's start) */
    if (s->cdc->pos_unknown && !artificial && bev.h.type == LT_BINLOG_MARIADB_GTID_EVENT) {
        /* resumed by GTID: the first event group the server sends follows the GTID position */
        s->cdc->pos_unknown = false;
        s->cdc->next_pos = bev.h.log_pos;
    }
    if (!artificial && !s->cdc->in_payload && !s->cdc->pos_unknown && bev.h.log_pos > s->cdc->next_pos)
        s->cdc->next_pos = bev.h.log_pos;
    switch (bev.h.type) {
    case LT_BINLOG_MARIADB_GTID_EVENT:
        if (!(bev.u.mariadb_gtid.flags & 1)) { /* FL_STANDALONE: a DDL follows, not a transaction */
            s->cdc->in_txn = true;
            s->cdc->txn_ts_us = (int64_t)bev.h.timestamp * 1000000;
        }
        /* the GTID of the event group it starts (a transaction, or the DDL that follows) */
        s->cdc->have_txn_gtid = true;
        s->cdc->txn_gtid_domain = bev.u.mariadb_gtid.domain_id;
        s->cdc->txn_gtid_server = bev.h.server_id;
        s->cdc->txn_gtid_seq = bev.u.mariadb_gtid.seq_no;
        return LT_OK;
    case LT_BINLOG_QUERY_EVENT:
    case LT_BINLOG_MARIADB_QUERY_COMPRESSED_EVENT: {
        if (lt_binlog_event_decompress(&bev, &s->cdc->inflate, err))
            return LT_ERR_RUNTIME;
        const char *sql = bev.u.query.sql;
        size_t len = bev.u.query.sql_len;
        if (sql_is_exactly(sql, len, "BEGIN")) {
            s->cdc->in_txn = true;
            s->cdc->txn_ts_us = (int64_t)bev.h.timestamp * 1000000;
            return LT_OK;
        }
        bool ends = sql_is_exactly(sql, len, "COMMIT") || sql_is_exactly(sql, len, "ROLLBACK");
        if (ends || !s->cdc->in_txn) {
            if (!ends)
                s->cdc->schema_stale_gen++; /* DDL: read the schemas again */
            if (end_transaction(s, &bev, ev, err))
                return LT_ERR_FATAL;
            *emitted = true;
        }
        return LT_OK;
    }
    case LT_BINLOG_XID_EVENT:
        if (end_transaction(s, &bev, ev, err))
            return LT_ERR_FATAL;
        *emitted = true;
        return LT_OK;
    case LT_BINLOG_TABLE_MAP_EVENT:
        return handle_table_map(s, &bev, err);
    case LT_BINLOG_TRANSACTION_PAYLOAD_EVENT:
        /* MySQL 8 binlog_transaction_compression: the whole transaction (BEGIN ... XID) inside, zstd-compressed */
        if (lt_binlog_payload_inflate(&bev, &s->cdc->payload_buf, err))
            return fatal(err, "mysql: binlog %s: ", s->cdc->file);
        s->cdc->payload_ev = bev;
        s->cdc->payload_pos = 0;
        s->cdc->in_payload = true;
        s->cdc->row_index = 0;
        return LT_OK;
    default:
        if (lt_binlog_event_is_rows(bev.h.type))
            return start_rows(s, &bev, err);
        return LT_OK;
    }
}

/* A heartbeat says where the server's dump is: the file it reads (the body) and the position it reached (the
 * header's log_pos); it comes only when the server has sent everything before that. */
static bool heartbeat_position(struct lt_source *s, const uint8_t *p, size_t n)
{
    struct lt_binlog_event bev;
    struct lt_error ignored;
    if (n < LT_BINLOG_HEADER_LEN || lt_binlog_parse_event(&s->cdc->reader, p, n, 0, &bev, &ignored) ||
        bev.u.checkpoint.name_len == 0 || bev.u.checkpoint.name_len >= MY_FILE_MAX || bev.h.log_pos < 4)
        return false;
    memcpy(s->cdc->file, bev.u.checkpoint.name, bev.u.checkpoint.name_len);
    s->cdc->file[bev.u.checkpoint.name_len] = '\0';
    s->cdc->file_index = lt_my_file_index(s->cdc->file);
    s->cdc->next_pos = bev.h.log_pos;
    return true;
}

static bool past_reported(const struct lt_source *s)
{
    char cp[LT_CHECKPOINT_MAX];
    lt_my_format_checkpoint(s->cdc->file, s->cdc->next_pos, s->cdc->gtid_known ? s->cdc->gtid : NULL, cp);
    return strcmp(cp, s->cdc->reported) != 0;
}

/* Connector/C may already hold bytes of the stream it read from the socket: in its read-ahead cache, or (TLS) in
 * OpenSSL's buffers. A fetch then returns without the socket: polling it would wait for nothing. With a TLS library
 * other than OpenSSL there is no asking, so it is taken as holding some (the fetch waits, bounded by heartbeats). */
static bool client_holds_bytes(const struct lt_source *s)
{
    const MARIADB_PVIO *pvio = s->cdc->repl->net.pvio;
    if (!pvio || s->cdc->repl->net.compress)
        return true; /* (no compression is asked for; its buffer would be another place to look) */
    if (pvio->cache && pvio->cache_pos < pvio->cache + pvio->cache_size)
        return true;
    if (pvio->ctls) {
        SSL *ssl = s->cdc->tls_openssl ? pvio->ctls->ssl : NULL;
        return !ssl || SSL_pending(ssl) > 0 || SSL_has_pending(ssl);
    }
    return false;
}

/* Whether a fetch may go ahead before the deadline: the client holds bytes, or the socket has some (or an error or
 * hang-up, which the fetch reports). False when the time ran out or a signal came (the agent looks at its flag). */
static bool stream_readable(const struct lt_source *s, int64_t deadline_us)
{
    if (client_holds_bytes(s))
        return true;
    int64_t left_us = deadline_us - monotonic_us();
    struct pollfd p = {.fd = mysql_get_socket(s->cdc->repl), .events = POLLIN};
    int rc = poll(&p, 1, left_us > 0 ? (int)((left_us + 999) / 1000) : 0);
    return rc > 0 || (rc < 0 && errno != EINTR);
}

int lt_my_stream_next(struct lt_source *s, struct lt_change_event *ev, int timeout_ms, struct lt_error *err)
{
    int64_t deadline_us = monotonic_us() + (int64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000;
    memset(ev, 0, sizeof *ev);
    ev->kind = LT_EV_NONE;
    ev->in_transaction = s->cdc->in_txn;
    if (!s->cdc->streaming)
        return lt_fail(err, LT_ERR_RUNTIME, "mysql: the change stream is not started");
    if (s->cdc->pending_insert) {
        s->cdc->pending_insert = false;
        fill_row(s, 'I', s->cdc->after, ev);
        ev->from_update = true;
        note_emitted(s, ev);
        return LT_OK;
    }
    for (;;) {
        bool emitted;
        if (s->cdc->in_rows) {
            if (next_row(s, ev, &emitted, err))
                return LT_ERR_RUNTIME;
            if (emitted)
                return LT_OK;
            continue;
        }
        if (s->cdc->in_payload) {
            struct lt_binlog_event inner;
            bool done;
            if (lt_binlog_payload_next(&s->cdc->reader, &s->cdc->payload_ev, &s->cdc->payload_buf, &s->cdc->payload_pos, &inner, &done,
                                       err))
                return fatal(err, "mysql: binlog %s: ", s->cdc->file);
            if (done) {
                s->cdc->in_payload = false;
                continue;
            }
            if (handle_parsed(s, &inner, ev, &emitted, err))
                return LT_ERR_RUNTIME;
            if (emitted)
                return LT_OK;
            continue;
        }
        if (!s->cdc->in_txn && until_reached(s)) {
            ev->kind = LT_EV_END;
            lt_my_format_checkpoint(s->cdc->file, s->cdc->next_pos, s->cdc->gtid_known ? s->cdc->gtid : NULL, ev->checkpoint);
            ev->in_transaction = false;
            return LT_OK;
        }
        if (!stream_readable(s, deadline_us)) {
            ev->in_transaction = s->cdc->in_txn;
            return LT_OK; /* LT_EV_NONE */
        }
        /* A fresh event each time: after a failed fetch the library may have released the one it was given. */
        if (s->cdc->rpl_event)
            mariadb_free_rpl_event(s->cdc->rpl_event);
        s->cdc->rpl_event = NULL;
        MARIADB_RPL_EVENT *e = mariadb_rpl_fetch(s->cdc->rpl, NULL);
        if (!e) {
            unsigned code = mysql_errno(s->cdc->repl);
            if (code == ER_MASTER_FATAL_ERROR_READING_BINLOG)
                return purged_error(s, err, mysql_error(s->cdc->repl));
            /* a lost connection ends the stream: the agent reconnects (logged, with its backoff, listening for a
             * stop) and resumes from the checkpoint; the open transaction comes again whole */
            return lt_fail(err, LT_ERR_RUNTIME, "mysql: reading the binlog stream at %s:%" PRIu64 ": %s (error %u)",
                           s->cdc->file, s->cdc->next_pos, code ? mysql_error(s->cdc->repl) : mariadb_rpl_error(s->cdc->rpl), code);
        }
        s->cdc->rpl_event = e;
        const uint8_t *p = e->raw_data;
        size_t n = e->raw_data_size;
        /* the packet's leading OK byte may still be there */
        if (n > LT_BINLOG_HEADER_LEN && p[0] == 0 && lt_le32(p + 1 + 9) == n - 1) {
            p++;
            n--;
        }
        if (e->event_type == HEARTBEAT_LOG_EVENT) {
            if (s->cdc->pos_unknown && !s->cdc->in_txn && heartbeat_position(s, p, n))
                s->cdc->pos_unknown = false; /* resumed by GTID, and nothing after the GTID position yet */
            if (!s->cdc->in_txn && !s->cdc->pos_unknown && !s->cdc->have_txn_gtid) { /* (between a DDL's GTID and its query: wait) */
                if (until_reached(s)) {
                    ev->kind = LT_EV_END;
                    lt_my_format_checkpoint(s->cdc->file, s->cdc->next_pos, s->cdc->gtid_known ? s->cdc->gtid : NULL, ev->checkpoint);
                    return LT_OK;
                }
                if (past_reported(s)) {
                    lt_my_format_checkpoint(s->cdc->file, s->cdc->next_pos, s->cdc->gtid_known ? s->cdc->gtid : NULL, s->cdc->reported);
                    ev->kind = LT_EV_IDLE;
                    snprintf(ev->checkpoint, sizeof ev->checkpoint, "%s", s->cdc->reported);
                    return LT_OK;
                }
            }
            return LT_OK; /* let the agent look at its clock and stop flag */
        }
        if (handle_event(s, p, n, ev, &emitted, err))
            return LT_ERR_RUNTIME;
        if (emitted)
            return LT_OK;
    }
}

int lt_my_stream_ack(struct lt_source *s, const char *checkpoint, struct lt_error *err)
{
    (void)err;
    /* MySQL keeps no replica position for us: the state store's checkpoint is the only record. */
    snprintf(s->cdc->acked, sizeof s->cdc->acked, "%s", checkpoint);
    return LT_OK;
}

int lt_my_cdc_create(struct lt_source *s, struct lt_error *err)
{
    if (!(s->cdc = calloc(1, sizeof *s->cdc)))
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    return LT_OK;
}

void lt_my_cdc_close(struct lt_source *s)
{
    if (!s->cdc)
        return;
    close_stream(s);
    clear_table_ids(s);
    while (s->cdc->tables) {
        struct my_cdc_table *t = s->cdc->tables;
        s->cdc->tables = t->next;
        lt_my_table_info_free(t->info);
        free(t->db);
        free(t->table);
        free(t);
    }
    lt_my_scratch_free(&s->cdc->scratch);
    lt_my_scratch_free(&s->cdc->inflate);
    lt_my_scratch_free(&s->cdc->payload_buf);
    free(s->cdc->before);
    free(s->cdc->after);
    free(s->cdc);
    s->cdc = NULL;
}
