/* State and helpers shared by the MySQL/MariaDB source's files (mysql_source.c: connections, snapshot, table
 * list and full load; mysql_cdc.c: the binlog change stream). Private to sources/mysql/.
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
#include "sources/mysql/mysql_position.h"

#define MY_MAX_WORKERS 64

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

struct my_cdc_table; /* mysql_cdc.c's per-table cache entry */

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

    /* change stream (mysql_cdc.c) */
    MYSQL *repl;
    void *rpl;                         /* MARIADB_RPL * */
    void *rpl_event;                   /* MARIADB_RPL_EVENT * (reused) */
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

/* mysql_check.c: the `check` source op */
int lt_my_check(const struct lt_task_config *cfg, struct lt_check_scope scope, struct lt_findings *out,
                struct lt_error *err);

/* mysql_cdc.c */
int lt_my_cdc_begin(struct lt_source *s, char checkpoint[LT_CHECKPOINT_MAX], struct lt_error *err);
int lt_my_stream_start(struct lt_source *s, const struct lt_stream_options *opt, struct lt_error *err);
int lt_my_stream_next(struct lt_source *s, struct lt_change_event *ev, int timeout_ms, struct lt_error *err);
int lt_my_stream_ack(struct lt_source *s, const char *checkpoint, struct lt_error *err);
/* SHOW MASTER STATUS, on MariaDB with the GTID position: exact (BINLOG_GTID_POS of that position) or the cheaper
 * @@gtid_binlog_pos read right after (for status and --until, which use the file position only). */
int lt_my_position(struct lt_source *s, bool exact_gtid, char out[LT_CHECKPOINT_MAX], struct lt_error *err);
int lt_my_current_position(struct lt_source *s, char out[LT_CHECKPOINT_MAX], struct lt_error *err);
void lt_my_cdc_close(struct lt_source *s);

#endif
