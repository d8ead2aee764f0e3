/* The task configuration (README, "Task config"): parsed from JSON with cJSON, validated, and turned into plain
 * structs the rest of the agent reads. Unknown keys, wrong types and missing fields are config errors (exit 2)
 * whose message names the field. Target settings use AWS DMS S3 endpoint setting names. */
#ifndef LOGTAP_CONFIG_H
#define LOGTAP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/error.h"

struct lt_mapping;

enum lt_migration_type { LT_MIGRATE_FULL_LOAD, LT_MIGRATE_CDC, LT_MIGRATE_FULL_LOAD_AND_CDC };
enum lt_data_format { LT_FORMAT_CSV, LT_FORMAT_PARQUET };
enum lt_compression { LT_COMPRESS_NONE, LT_COMPRESS_GZIP, LT_COMPRESS_SNAPPY, LT_COMPRESS_ZSTD };
enum lt_parquet_encoding { LT_ENC_RLE_DICTIONARY, LT_ENC_PLAIN, LT_ENC_PLAIN_DICTIONARY };
/* DMS's DatePartitionSequence and DatePartitionDelimiter (agent/date_partition.h). */
enum lt_date_sequence { LT_DATESEQ_YYYYMMDD, LT_DATESEQ_YYYYMMDDHH, LT_DATESEQ_YYYYMM, LT_DATESEQ_MMYYYYDD,
                        LT_DATESEQ_DDMMYYYY };
enum lt_date_delimiter { LT_DATEDELIM_SLASH, LT_DATEDELIM_UNDERSCORE, LT_DATEDELIM_DASH, LT_DATEDELIM_NONE };
/* Which CDC changes go into the files (DMS's CdcInsertsOnly and CdcInsertsAndUpdates). */
enum lt_cdc_ops { LT_CDC_ALL, LT_CDC_INSERTS_ONLY, LT_CDC_INSERTS_AND_UPDATES };

/* What to do with a selected PostgreSQL table that has neither a primary key nor a replica identity: publishing
 * its updates and deletes would make the application's UPDATE and DELETE on it fail. */
enum lt_nokey_policy {
    LT_NOKEY_REFUSE,        /* the task does not start; the message names each table and the fix */
    LT_NOKEY_INSERTS_ONLY,  /* such tables are published for INSERT and TRUNCATE only (a second publication) */
};

/* TLS to a MySQL/MariaDB source, as the MySQL client's --ssl-mode: PREFERRED (the default) encrypts when the
 * server offers TLS; REQUIRED refuses a server without it; VERIFY_CA also checks the server's certificate against
 * ssl_ca; VERIFY_IDENTITY also checks that it names the host connected to. */
enum lt_ssl_mode { LT_SSL_PREFERRED, LT_SSL_DISABLED, LT_SSL_REQUIRED, LT_SSL_VERIFY_CA, LT_SSL_VERIFY_IDENTITY };

struct lt_source_config {
    char *engine;         /* "postgres" or "mysql" */
    /* postgres */
    char *conninfo;
    char *slot;
    char *publication;
    enum lt_nokey_policy tables_without_key;
    int catalog_poll_s;   /* how often a running task looks for tables that joined the selection */
    int pgoutput_protocol; /* 1, 2 (transactions streamed while they run, PostgreSQL 14+); 0: 2 when the server
                            * has it, else 1 */
    /* mysql */
    char *host;
    int port;
    char *socket;
    char *user;
    char *password_env;
    char **databases;     /* NULL-terminated */
    uint32_t server_id;
    bool use_gtid;        /* resume the binlog stream by GTID (MariaDB) instead of file:position */
    enum lt_ssl_mode ssl_mode;
    char *ssl_ca, *ssl_cert, *ssl_key, *ssl_crl; /* PEM files (relative paths: from the config's folder) */
    char *tls_version;    /* e.g. "TLSv1.2,TLSv1.3"; NULL: the library's default */
};

struct lt_target_config {
    char *path;                   /* a local folder, or an object store's URI (s3://BUCKET/PREFIX) */
    char *endpoint_url;           /* an S3-compatible store's endpoint (endpoint_url); NULL: the AWS environment's */
    char *bucket_name;            /* DMS's BucketName: path s3://BucketName */
    enum lt_data_format format;
    enum lt_compression compression;
    bool compression_set;         /* CompressionType given explicitly */
    bool include_op_for_full_load;
    char *timestamp_column;       /* NULL when not set */
    bool add_column_name;
    char *csv_delimiter;
    char *csv_row_delimiter;
    char *csv_null_value;
    int64_t max_file_size_kb;
    int cdc_max_batch_interval_s;
    int64_t cdc_min_file_size_kb;
    bool date_partition_enabled;
    enum lt_date_sequence date_partition_sequence;
    enum lt_date_delimiter date_partition_delimiter;
    char *date_partition_timezone; /* an IANA zone name; NULL for UTC */
    enum lt_cdc_ops cdc_ops;
    bool cdc_op_column;           /* CDC files have the Op column (DMS's rules for the settings above) */
    bool use_csv_nosup_value;     /* UseCsvNoSupValue */
    char *csv_nosup_value;        /* written for columns the source did not send; NULL: CsvNullValue (DMS writes
                                   * it only when UseCsvNoSupValue is true too: else NULL here) */
    bool use_task_start_time_set_false; /* UseTaskStartTimeForFullLoadTimestamp given as false */
    char *bucket_folder;          /* folder under path that holds the tables' folders; NULL for none */
    bool preserve_transactions;   /* PreserveTransactions: also one transaction-ordered stream of every table */
    char *cdc_path;               /* CdcPath: its folder below [BucketFolder/] (set exactly when the above is) */
    int max_full_load_subtasks;
    bool logtap_columns;          /* LogtapColumns (logtap's, default true): files carry _logtap_pos and, CDC files,
                                   * _logtap_unchanged; false: exactly DMS's columns, the merge orders changes by the
                                   * manifest (file order, row order in a file) */
    /* Parquet */
    bool parquet_v2;
    enum lt_parquet_encoding encoding;
    int64_t dict_page_size_limit;
    int64_t row_group_length;     /* rows; 0 = size-based default */
    int64_t data_page_size;
    bool enable_statistics;
    bool parquet_timestamp_ms;
};

/* What a selection rule's object-locator.table-type selects (DMS: table, view or all). */
enum lt_table_kinds { LT_KINDS_TABLES = 0, LT_KINDS_VIEWS = 1, LT_KINDS_ALL = 2 };

/* One DMS selection rule. */
struct lt_selection_rule {
    char *schema_pattern;
    char *table_pattern;
    bool include;         /* include/explicit vs exclude */
    bool explicit_only;
    enum lt_table_kinds kinds;
    int load_order;       /* DMS load-order: tables of higher values start loading first (0: none) */
};

struct lt_merge_config {
    char *path;
    int keep;
    int memory_limit_mb;
};

/* Full-load policy: a table of at least 2 * part_min_mb is read as several parts in parallel (0: never split). */
struct lt_full_load_config {
    int part_min_mb;
};

struct lt_task_config {
    char *task;
    enum lt_migration_type migration_type;
    struct lt_source_config source;
    struct lt_target_config target;
    char *state_path;
    int nrules;
    struct lt_selection_rule *rules;
    struct lt_mapping *mapping; /* filters, transformations, table settings (agent/mapping.h); NULL when none */
    struct lt_merge_config merge;
    struct lt_full_load_config full_load;
    char *config_dir;     /* directory of the config file; relative paths resolve against it */
};

/* Parses and validates a task config. Returns LT_OK or LT_ERR_CONFIG with a message naming the field. */
int lt_config_parse(const char *json, size_t len, const char *config_dir, struct lt_task_config *cfg,
                    struct lt_error *err);
int lt_config_load_file(const char *path, struct lt_task_config *cfg, struct lt_error *err);
void lt_config_free(struct lt_task_config *cfg);

const char *lt_migration_type_name(enum lt_migration_type t);

#endif
