/* Task config parsing and validation (README, "Task config"). Every field is checked for type and range; unknown
 * keys are errors naming the closest valid key. AWS DMS S3 settings are implemented with DMS's meaning, or refused,
 * or (settings about the S3 bucket itself) accepted and ignored, as agent/dms_settings.c lists. Target setting
 * names match case-insensitively, as DMS's extra connection attributes do. */
#include "agent/config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <strings.h>

#include "agent/date_partition.h"
#include "agent/did_you_mean.h"
#include "agent/dms_settings.h"
#include "agent/mapping_rules.h"
#include "agent/object_store.h"
#include "agent/table_mapping.h"
#include "agent/target_root.h"
#include "agent/xmalloc.h"


static int field_error(struct lt_error *err, const char *field, const char *what)
{
    return lt_fail(err, LT_ERR_CONFIG, "config: %s: %s", field, what);
}

static int get_string(const cJSON *obj, const char *key, const char *path, bool required, char **out,
                      struct lt_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    char field[256];
    snprintf(field, sizeof field, "%s%s", path, key);
    if (!v || cJSON_IsNull(v)) {
        if (required)
            return field_error(err, field, "missing required field");
        return LT_OK;
    }
    if (!cJSON_IsString(v))
        return field_error(err, field, "must be a string");
    free(*out);
    *out = xstrdup(v->valuestring);
    return LT_OK;
}

static int get_bool(const cJSON *v, const char *field, bool *out, struct lt_error *err)
{
    if (cJSON_IsBool(v)) {
        *out = cJSON_IsTrue(v);
        return LT_OK;
    }
    if (cJSON_IsString(v) && (!strcasecmp(v->valuestring, "true") || !strcasecmp(v->valuestring, "false"))) {
        *out = !strcasecmp(v->valuestring, "true");
        return LT_OK;
    }
    return field_error(err, field, "must be true or false");
}

/* A DMS boolean: JSON true/false, or the strings "true", "false", "y", "n" in any case, as DMS accepts them. */
static int get_dms_bool(const cJSON *v, const char *field, bool *out, struct lt_error *err)
{
    if (cJSON_IsString(v) && (!strcasecmp(v->valuestring, "y") || !strcasecmp(v->valuestring, "n"))) {
        *out = !strcasecmp(v->valuestring, "y");
        return LT_OK;
    }
    if (!cJSON_IsBool(v) && !(cJSON_IsString(v) && (!strcasecmp(v->valuestring, "true") ||
                                                    !strcasecmp(v->valuestring, "false"))))
        return field_error(err, field, "must be true or false (or \"y\" or \"n\")");
    return get_bool(v, field, out, err);
}

/* One of a list of names (case-insensitive): its index, or a config error listing them (and the closest). */
static int get_enum(const cJSON *v, const char *field, const char *const *names, int *out, struct lt_error *err)
{
    char msg[512];
    size_t n = (size_t)snprintf(msg, sizeof msg, "must be one of");
    for (int i = 0; names[i] && n < sizeof msg; i++)
        n += (size_t)snprintf(msg + n, sizeof msg - n, "%s %s", i ? "," : "", names[i]);
    if (!cJSON_IsString(v))
        return field_error(err, field, msg);
    for (int i = 0; names[i]; i++)
        if (!strcasecmp(v->valuestring, names[i])) {
            *out = i;
            return LT_OK;
        }
    if (n < sizeof msg)
        lt_did_you_mean(v->valuestring, names, msg + n, sizeof msg - n);
    return field_error(err, field, msg);
}

static int get_int(const cJSON *v, const char *field, long long min, long long max, long long *out,
                   struct lt_error *err)
{
    long long n;
    if (cJSON_IsNumber(v)) {
        if (v->valuedouble != (double)(long long)v->valuedouble)
            return field_error(err, field, "must be a whole number");
        n = (long long)v->valuedouble;
    } else if (cJSON_IsString(v)) {
        char *end;
        errno = 0;
        n = strtoll(v->valuestring, &end, 10);
        if (errno || end == v->valuestring || *end)
            return field_error(err, field, "must be a whole number");
    } else {
        return field_error(err, field, "must be a number");
    }
    if (n < min || n > max) {
        char msg[128];
        snprintf(msg, sizeof msg, "must be between %lld and %lld (got %lld)", min, max, n);
        return field_error(err, field, msg);
    }
    *out = n;
    return LT_OK;
}

/* Keys of the other engine, or of other tools, a user may well put in source: where their setting goes instead. */
static const char *other_engine_key(const char *engine, const char *key)
{
    static const char *const pg_conn[] = {"host", "hostaddr", "port", "socket", "user", "username", "dbname",
                                          "database", "databases", "sslmode", "sslrootcert", "ssl_mode", "ssl_ca",
                                          NULL};
    if (!strcmp(engine, "postgres")) {
        if (!strcasecmp(key, "password") || !strcasecmp(key, "passwd") || !strcasecmp(key, "pass"))
            return "a password never goes in the config: libpq reads it from PGPASSWORD or ~/.pgpass (PGPASSFILE), "
                   "or name the environment variable that holds it in source.password_env";
        for (int i = 0; pg_conn[i]; i++)
            if (!strcasecmp(key, pg_conn[i]))
                return "a PostgreSQL source is reached through source.conninfo, a libpq connection string (\"host=db "
                       "port=5432 dbname=shop user=logtap sslmode=verify-full\") or a postgresql:// URI; the password "
                       "comes from PGPASSWORD, ~/.pgpass or source.password_env";
        return NULL;
    }
    if (!strcasecmp(key, "conninfo") || !strcasecmp(key, "dsn") || !strcasecmp(key, "url") ||
        !strcasecmp(key, "uri"))
        return "a MySQL/MariaDB source takes host and port (or socket), user, password_env and database (or "
               "databases), not a connection string";
    if (!strcasecmp(key, "password") || !strcasecmp(key, "passwd") || !strcasecmp(key, "pass"))
        return "a password never goes in the config: name the environment variable that holds it in "
               "source.password_env";
    if (!strcasecmp(key, "dbname") || !strcasecmp(key, "db") || !strcasecmp(key, "schema"))
        return "the database to read is source.database (or a list, source.databases)";
    if (!strcasecmp(key, "slot") || !strcasecmp(key, "publication"))
        return "a MySQL/MariaDB source has no replication slot or publication: it reads the binlog as a replica "
               "(source.server_id)";
    return NULL;
}

static int check_source_keys(const cJSON *src, const char *engine, const char *const *allowed, struct lt_error *err)
{
    for (const cJSON *c = src->child; c; c = c->next) {
        bool ok = false;
        for (int i = 0; allowed[i]; i++)
            ok |= strcmp(c->string, allowed[i]) == 0;
        const char *where = ok ? NULL : other_engine_key(engine, c->string);
        if (where) {
            char field[256];
            snprintf(field, sizeof field, "source.%s", c->string);
            return field_error(err, field, where);
        }
    }
    return LT_OK;
}

static int check_keys(const cJSON *obj, const char *path, const char *const *allowed, struct lt_error *err)
{
    for (const cJSON *c = obj->child; c; c = c->next) {
        bool ok = false;
        for (int i = 0; allowed[i]; i++)
            if (strcmp(c->string, allowed[i]) == 0)
                ok = true;
        if (!ok) {
            char field[256], msg[160];
            snprintf(field, sizeof field, "%s%s", path, c->string);
            snprintf(msg, sizeof msg, "unknown key");
            lt_did_you_mean(c->string, allowed, msg + strlen(msg), sizeof msg - strlen(msg));
            if (msg[strlen("unknown key")] == ';')
                msg[strlen("unknown key")] = ':'; /* "unknown key: did you mean X?" */
            return field_error(err, field, msg);
        }
    }
    return LT_OK;
}

static int expect_object(const cJSON *v, const char *field, struct lt_error *err)
{
    if (!v)
        return field_error(err, field, "missing required field");
    if (!cJSON_IsObject(v))
        return field_error(err, field, "must be an object");
    return LT_OK;
}

/* ssl_mode and its files, named as the MySQL client's options. */
static int parse_mysql_tls(const cJSON *src, struct lt_source_config *s, struct lt_error *err)
{
    static const char *const modes[] = {"PREFERRED", "DISABLED", "REQUIRED", "VERIFY_CA", "VERIFY_IDENTITY", NULL};
    char *mode = NULL;
    int rc;
    if ((rc = get_string(src, "ssl_mode", "source.", false, &mode, err)) ||
        (rc = get_string(src, "ssl_ca", "source.", false, &s->ssl_ca, err)) ||
        (rc = get_string(src, "ssl_cert", "source.", false, &s->ssl_cert, err)) ||
        (rc = get_string(src, "ssl_key", "source.", false, &s->ssl_key, err)) ||
        (rc = get_string(src, "ssl_crl", "source.", false, &s->ssl_crl, err)) ||
        (rc = get_string(src, "tls_version", "source.", false, &s->tls_version, err))) {
        free(mode);
        return rc;
    }
    s->ssl_mode = LT_SSL_PREFERRED;
    if (mode) {
        int found = -1;
        for (int i = 0; modes[i]; i++)
            if (strcasecmp(mode, modes[i]) == 0)
                found = i;
        if (found < 0) {
            char msg[200] = "must be DISABLED, PREFERRED, REQUIRED, VERIFY_CA or VERIFY_IDENTITY";
            lt_did_you_mean(mode, modes, msg + strlen(msg), sizeof msg - strlen(msg));
            free(mode);
            return field_error(err, "source.ssl_mode", msg);
        }
        free(mode);
        s->ssl_mode = (enum lt_ssl_mode)found;
    }
    if ((s->ssl_mode == LT_SSL_VERIFY_CA || s->ssl_mode == LT_SSL_VERIFY_IDENTITY) && !s->ssl_ca)
        return field_error(err, "source.ssl_ca", "is required by ssl_mode VERIFY_CA and VERIFY_IDENTITY (the CA "
                                                 "certificate the server's certificate must be signed by)");
    if (!s->ssl_cert != !s->ssl_key)
        return field_error(err, s->ssl_cert ? "source.ssl_key" : "source.ssl_cert",
                           "ssl_cert and ssl_key go together (the client certificate and its key)");
    if (s->ssl_mode == LT_SSL_DISABLED && (s->ssl_ca || s->ssl_cert || s->ssl_crl || s->tls_version))
        return field_error(err, "source.ssl_mode", "is DISABLED while TLS files or tls_version are given");
    return LT_OK;
}

static int parse_source(const cJSON *src, struct lt_source_config *s, const char *task, struct lt_error *err)
{
    int rc;
    if ((rc = expect_object(src, "source", err)))
        return rc;
    if ((rc = get_string(src, "engine", "source.", true, &s->engine, err)))
        return rc;
    if (strcmp(s->engine, "postgres") == 0 || strcmp(s->engine, "postgresql") == 0) {
        static const char *const keys[] = {"engine", "conninfo", "password_env", "slot", "publication",
                                           "tables_without_key", "catalog_poll_s", "pgoutput_protocol", NULL};
        free(s->engine);
        s->engine = xstrdup("postgres");
        if ((rc = check_source_keys(src, "postgres", keys, err)) || (rc = check_keys(src, "source.", keys, err)) ||
            (rc = get_string(src, "conninfo", "source.", true, &s->conninfo, err)) ||
            (rc = get_string(src, "password_env", "source.", false, &s->password_env, err)) ||
            (rc = get_string(src, "slot", "source.", false, &s->slot, err)) ||
            (rc = get_string(src, "publication", "source.", false, &s->publication, err)))
            return rc;
        s->tables_without_key = LT_NOKEY_REFUSE;
        const cJSON *nokey = cJSON_GetObjectItemCaseSensitive(src, "tables_without_key");
        static const char *const policies[] = {"refuse", "inserts-only", NULL};
        int policy = 0;
        if (nokey && (rc = get_enum(nokey, "source.tables_without_key", policies, &policy, err)))
            return rc;
        s->tables_without_key = policy == 1 ? LT_NOKEY_INSERTS_ONLY : LT_NOKEY_REFUSE;
        const cJSON *proto = cJSON_GetObjectItemCaseSensitive(src, "pgoutput_protocol");
        if (proto) {
            long long n;
            if ((rc = get_int(proto, "source.pgoutput_protocol", 1, 2, &n, err)))
                return rc;
            s->pgoutput_protocol = (int)n;
        }
        s->catalog_poll_s = 10;
        const cJSON *poll = cJSON_GetObjectItemCaseSensitive(src, "catalog_poll_s");
        if (poll) {
            long long n;
            if ((rc = get_int(poll, "source.catalog_poll_s", 1, 86400, &n, err)))
                return rc;
            s->catalog_poll_s = (int)n;
        }
        char def[256];
        snprintf(def, sizeof def, "logtap_%s", task);
        for (char *p = def; *p; p++)
            if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
                *p = (*p >= 'A' && *p <= 'Z') ? (char)(*p - 'A' + 'a') : '_';
        if (!s->slot)
            s->slot = xstrdup(def);
        if (!s->publication)
            s->publication = xstrdup(def);
        for (const char *p = s->slot; *p; p++)
            if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
                return field_error(err, "source.slot",
                                   "replication slot names may contain only lower case letters, digits and _");
        return LT_OK;
    }
    if (strcmp(s->engine, "mysql") == 0 || strcmp(s->engine, "mariadb") == 0) {
        static const char *const keys[] = {"engine", "host", "port", "socket", "user", "password_env",
                                           "database", "databases", "server_id", "use_gtid", "ssl_mode",
                                           "ssl_ca", "ssl_cert", "ssl_key", "ssl_crl", "tls_version", NULL};
        free(s->engine);
        s->engine = xstrdup("mysql");
        if ((rc = check_source_keys(src, "mysql", keys, err)) || (rc = check_keys(src, "source.", keys, err)) ||
            (rc = get_string(src, "host", "source.", false, &s->host, err)) ||
            (rc = get_string(src, "socket", "source.", false, &s->socket, err)) ||
            (rc = get_string(src, "user", "source.", true, &s->user, err)) ||
            (rc = get_string(src, "password_env", "source.", false, &s->password_env, err)))
            return rc;
        long long n;
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(src, "port");
        s->port = 3306;
        if (v) {
            if ((rc = get_int(v, "source.port", 1, 65535, &n, err)))
                return rc;
            s->port = (int)n;
        }
        v = cJSON_GetObjectItemCaseSensitive(src, "server_id");
        if (!v)
            return field_error(err, "source.server_id", "missing required field");
        if ((rc = get_int(v, "source.server_id", 1, 4294967295LL, &n, err)))
            return rc;
        s->server_id = (uint32_t)n;
        v = cJSON_GetObjectItemCaseSensitive(src, "use_gtid");
        if (v && (rc = get_bool(v, "source.use_gtid", &s->use_gtid, err)))
            return rc;
        if ((rc = parse_mysql_tls(src, s, err)))
            return rc;
        if (!s->host && !s->socket)
            return field_error(err, "source.host", "missing required field (or give source.socket)");
        const cJSON *db = cJSON_GetObjectItemCaseSensitive(src, "database");
        const cJSON *dbs = cJSON_GetObjectItemCaseSensitive(src, "databases");
        if (db && dbs)
            return field_error(err, "source.databases", "give either database or databases, not both");
        if (db) {
            if (!cJSON_IsString(db))
                return field_error(err, "source.database", "must be a string");
            s->databases = calloc(2, sizeof *s->databases);
            s->databases[0] = xstrdup(db->valuestring);
        } else if (dbs) {
            if (!cJSON_IsArray(dbs) || cJSON_GetArraySize(dbs) == 0)
                return field_error(err, "source.databases", "must be a non-empty array of strings");
            int n2 = cJSON_GetArraySize(dbs);
            s->databases = calloc((size_t)n2 + 1, sizeof *s->databases);
            for (int i = 0; i < n2; i++) {
                const cJSON *e = cJSON_GetArrayItem(dbs, i);
                if (!cJSON_IsString(e))
                    return field_error(err, "source.databases", "must be a non-empty array of strings");
                s->databases[i] = xstrdup(e->valuestring);
            }
        } else {
            return field_error(err, "source.database", "missing required field (or give source.databases)");
        }
        return LT_OK;
    }
    static const char *const engines[] = {"postgres", "postgresql", "mysql", "mariadb", NULL};
    char msg[160] = "must be \"postgres\" or \"mysql\" (or \"mariadb\")";
    lt_did_you_mean(s->engine, engines, msg + strlen(msg), sizeof msg - strlen(msg));
    return field_error(err, "source.engine", msg);
}

/* Every target key logtap knows: "path", the task setting MaxFullLoadSubTasks, logtap's LogtapColumns and every DMS
 * S3 setting. */
static const char *const *target_keys(void)
{
    static const char *keys[64];
    if (!keys[0]) {
        int n = 0;
        keys[n++] = "path";
        keys[n++] = "endpoint_url";
        keys[n++] = "MaxFullLoadSubTasks";
        keys[n++] = "LogtapColumns";
        for (const struct lt_dms_setting *d = lt_dms_settings; d->name && n < 63; d++)
            keys[n++] = d->name;
        keys[n] = NULL;
    }
    return keys;
}

/* One target setting: name, and how to store it. */
static int parse_target_setting(const cJSON *v, struct lt_target_config *t, struct lt_error *err)
{
    const char *k = v->string;
    char field[256];
    snprintf(field, sizeof field, "target.%s", k);
    long long n;
    int rc;
#define IS(name) (strcasecmp(k, name) == 0)
    if (IS("path")) {
        if (!cJSON_IsString(v) || !*v->valuestring)
            return field_error(err, field, "must be a non-empty string");
        free(t->path);
        t->path = xstrdup(v->valuestring);
    } else if (IS("endpoint_url")) {
        if (!cJSON_IsString(v) || !*v->valuestring)
            return field_error(err, field, "must be a non-empty string (an http:// or https:// URL)");
        free(t->endpoint_url);
        t->endpoint_url = xstrdup(v->valuestring);
    } else if (IS("BucketName")) {
        if (!cJSON_IsString(v) || !*v->valuestring)
            return field_error(err, field, "must be a non-empty string");
        free(t->bucket_name);
        t->bucket_name = xstrdup(v->valuestring);
    } else if (IS("DataFormat")) {
        if (!cJSON_IsString(v))
            return field_error(err, field, "must be a string");
        if (!strcasecmp(v->valuestring, "csv"))
            t->format = LT_FORMAT_CSV;
        else if (!strcasecmp(v->valuestring, "parquet"))
            t->format = LT_FORMAT_PARQUET;
        else
            return field_error(err, field, "must be \"csv\" or \"parquet\"");
    } else if (IS("CompressionType")) {
        if (!cJSON_IsString(v))
            return field_error(err, field, "must be a string");
        const char *c = v->valuestring;
        if (!strcasecmp(c, "NONE") || !strcasecmp(c, "UNCOMPRESSED"))
            t->compression = LT_COMPRESS_NONE;
        else if (!strcasecmp(c, "GZIP"))
            t->compression = LT_COMPRESS_GZIP;
        else if (!strcasecmp(c, "SNAPPY"))
            t->compression = LT_COMPRESS_SNAPPY;
        else if (!strcasecmp(c, "ZSTD"))
            t->compression = LT_COMPRESS_ZSTD;
        else
            return field_error(err, field, "must be NONE, GZIP, SNAPPY or ZSTD");
        t->compression_set = true;
    } else if (IS("IncludeOpForFullLoad")) {
        return get_dms_bool(v, field, &t->include_op_for_full_load, err);
    } else if (IS("AddColumnName")) {
        return get_dms_bool(v, field, &t->add_column_name, err);
    } else if (IS("DatePartitionEnabled")) {
        return get_dms_bool(v, field, &t->date_partition_enabled, err);
    } else if (IS("EnableStatistics")) {
        return get_dms_bool(v, field, &t->enable_statistics, err);
    } else if (IS("ParquetTimestampInMillisecond")) {
        return get_dms_bool(v, field, &t->parquet_timestamp_ms, err);
    } else if (IS("TimestampColumnName")) {
        if (!cJSON_IsString(v))
            return field_error(err, field, "must be a string");
        free(t->timestamp_column);
        t->timestamp_column = *v->valuestring ? xstrdup(v->valuestring) : NULL;
    } else if (IS("CsvDelimiter") || IS("CsvRowDelimiter") || IS("CsvNullValue")) {
        if (!cJSON_IsString(v))
            return field_error(err, field, "must be a string");
        char **dst = IS("CsvDelimiter") ? &t->csv_delimiter : IS("CsvRowDelimiter") ? &t->csv_row_delimiter
                                                                                     : &t->csv_null_value;
        /* DMS users write "\\n" in JSON for a newline; accept both spellings. */
        const char *s = v->valuestring;
        char buf[64];
        size_t j = 0;
        for (size_t i = 0; s[i] && j + 1 < sizeof buf; i++) {
            if (s[i] == '\\' && (s[i + 1] == 'n' || s[i + 1] == 'r' || s[i + 1] == 't')) {
                buf[j++] = s[i + 1] == 'n' ? '\n' : s[i + 1] == 'r' ? '\r' : '\t';
                i++;
            } else {
                buf[j++] = s[i];
            }
        }
        buf[j] = '\0';
        if (strlen(s) >= sizeof buf)
            return field_error(err, field, "is too long");
        if (!IS("CsvNullValue") && j == 0)
            return field_error(err, field, "must not be empty");
        if (!IS("CsvNullValue") && strpbrk(buf, "\""))
            return field_error(err, field, "must not contain a double quote");
        free(*dst);
        *dst = xstrdup(buf);
    } else if (IS("MaxFileSize")) {
        if ((rc = get_int(v, field, 1, 1048576, &n, err)))
            return rc;
        t->max_file_size_kb = n;
    } else if (IS("CdcMaxBatchInterval")) {
        if ((rc = get_int(v, field, 1, 86400, &n, err)))
            return rc;
        t->cdc_max_batch_interval_s = (int)n;
    } else if (IS("CdcMinFileSize")) {
        if ((rc = get_int(v, field, 1, 1048576, &n, err)))
            return rc;
        t->cdc_min_file_size_kb = n;
    } else if (IS("LogtapColumns")) {
        return get_dms_bool(v, field, &t->logtap_columns, err);
    } else if (IS("MaxFullLoadSubTasks")) {
        if ((rc = get_int(v, field, 1, 49, &n, err)))
            return rc;
        t->max_full_load_subtasks = (int)n;
    } else if (IS("ParquetVersion")) {
        if (!cJSON_IsString(v))
            return field_error(err, field, "must be a string");
        if (!strcasecmp(v->valuestring, "PARQUET_1_0") || !strcasecmp(v->valuestring, "parquet-1-0"))
            t->parquet_v2 = false;
        else if (!strcasecmp(v->valuestring, "PARQUET_2_0") || !strcasecmp(v->valuestring, "parquet-2-0"))
            t->parquet_v2 = true;
        else
            return field_error(err, field, "must be PARQUET_1_0 or PARQUET_2_0");
    } else if (IS("EncodingType")) {
        if (!cJSON_IsString(v))
            return field_error(err, field, "must be a string");
        if (!strcasecmp(v->valuestring, "rle-dictionary") || !strcasecmp(v->valuestring, "rle_dictionary"))
            t->encoding = LT_ENC_RLE_DICTIONARY;
        else if (!strcasecmp(v->valuestring, "plain"))
            t->encoding = LT_ENC_PLAIN;
        else if (!strcasecmp(v->valuestring, "plain-dictionary") ||
                 !strcasecmp(v->valuestring, "plain_dictionary"))
            t->encoding = LT_ENC_PLAIN_DICTIONARY;
        else
            return field_error(err, field, "must be rle-dictionary, plain or plain-dictionary");
    } else if (IS("DictPageSizeLimit")) {
        if ((rc = get_int(v, field, 1024, 1LL << 30, &n, err)))
            return rc;
        t->dict_page_size_limit = n;
    } else if (IS("RowGroupLength")) {
        if ((rc = get_int(v, field, 1, 1LL << 31, &n, err)))
            return rc;
        t->row_group_length = n;
    } else if (IS("DataPageSize")) {
        if ((rc = get_int(v, field, 1024, 1LL << 30, &n, err)))
            return rc;
        t->data_page_size = n;
    } else if (IS("CdcInsertsOnly") || IS("CdcInsertsAndUpdates")) {
        bool on;
        if ((rc = get_dms_bool(v, field, &on, err)))
            return rc;
        enum lt_cdc_ops want = IS("CdcInsertsOnly") ? LT_CDC_INSERTS_ONLY : LT_CDC_INSERTS_AND_UPDATES;
        if (on && t->cdc_ops != LT_CDC_ALL && t->cdc_ops != want)
            return field_error(err, "target.CdcInsertsOnly",
                               "CdcInsertsOnly and CdcInsertsAndUpdates cannot both be true (DMS refuses it too)");
        if (on)
            t->cdc_ops = want;
    } else if (IS("DatePartitionSequence")) {
        static const char *const names[] = {"YYYYMMDD", "YYYYMMDDHH", "YYYYMM", "MMYYYYDD", "DDMMYYYY", NULL};
        int i;
        if ((rc = get_enum(v, field, names, &i, err)))
            return rc;
        t->date_partition_sequence = (enum lt_date_sequence)i;
    } else if (IS("DatePartitionDelimiter")) {
        static const char *const names[] = {"SLASH", "UNDERSCORE", "DASH", "NONE", NULL};
        int i;
        if ((rc = get_enum(v, field, names, &i, err)))
            return rc;
        t->date_partition_delimiter = (enum lt_date_delimiter)i;
    } else if (IS("DatePartitionTimezone")) {
        if (!cJSON_IsString(v) || !*v->valuestring)
            return field_error(err, field, "must be a time zone name (Area/Location, e.g. Europe/Paris)");
        if ((rc = lt_zone_check(v->valuestring, err)))
            return lt_error_prefix(err, "config: %s: ", field);
        free(t->date_partition_timezone);
        t->date_partition_timezone = xstrdup(v->valuestring);
    } else if (IS("UseCsvNoSupValue")) {
        return get_dms_bool(v, field, &t->use_csv_nosup_value, err);
    } else if (IS("CsvNoSupValue")) {
        if (!cJSON_IsString(v))
            return field_error(err, field, "must be a string");
        if (strlen(v->valuestring) > 63) /* the CSV reader keeps 63 bytes, as for the other CSV texts */
            return field_error(err, field, "is too long (at most 63 bytes)");
        free(t->csv_nosup_value);
        t->csv_nosup_value = xstrdup(v->valuestring);
    } else if (IS("BucketFolder")) {
        if (!cJSON_IsString(v))
            return field_error(err, field, "must be a string");
        if ((rc = lt_bucket_folder_check(v->valuestring, err)))
            return lt_error_prefix(err, "config: %s: ", field);
        free(t->bucket_folder);
        t->bucket_folder = *v->valuestring ? lt_bucket_folder_normalize(v->valuestring) : NULL;
    } else if (IS("PreserveTransactions")) {
        return get_dms_bool(v, field, &t->preserve_transactions, err);
    } else if (IS("CdcPath")) {
        if (!cJSON_IsString(v) || !*v->valuestring)
            return field_error(err, field, "must be a non-empty folder name");
        if ((rc = lt_bucket_folder_check(v->valuestring, err)))
            return lt_error_prefix(err, "config: %s: ", field);
        free(t->cdc_path);
        t->cdc_path = lt_bucket_folder_normalize(v->valuestring);
    } else if (IS("UseTaskStartTimeForFullLoadTimestamp")) {
        if ((rc = get_dms_bool(v, field, &t->use_task_start_time_set_false, err)))
            return rc;
        t->use_task_start_time_set_false = !t->use_task_start_time_set_false;
    } else {
        const struct lt_dms_setting *d = lt_dms_setting_find(k);
        if (!d) {
            char msg[160] = "unknown key";
            lt_did_you_mean(k, target_keys(), msg + strlen(msg), sizeof msg - strlen(msg));
            if (msg[11] == ';')
                msg[11] = ':';
            return field_error(err, field, msg);
        }
        if (d->status == LT_DMS_S3_ONLY) {
            if (!cJSON_IsString(v))
                return field_error(err, field, "must be a string");
            return LT_OK; /* about the S3 bucket itself: nothing to do for files */
        }
        if (d->status == LT_DMS_PARTIAL) {
            /* the boolean settings supported only as false (Rfc4180: only as true) */
            bool on;
            if ((rc = get_dms_bool(v, field, &on, err)))
                return rc;
            bool supported = strcasecmp(d->name, "Rfc4180") == 0 ? on : !on;
            if (supported)
                return LT_OK;
        }
        char msg[600];
        snprintf(msg, sizeof msg, "%s is not supported: %s", d->status == LT_DMS_PARTIAL ? "this value" : "this setting",
                 d->why);
        return field_error(err, field, msg);
    }
#undef IS
    return LT_OK;
}

/* A path that is a URI must name an object store of this build, well formed. */
static int check_place(const char *path, const char *field, struct lt_error *err)
{
    if (!lt_path_is_uri(path))
        return LT_OK;
    const struct logtap_store_ops *store = lt_store_for(path);
    if (!store)
        return field_error(err, field, "this kind of URI is not supported (an object store is s3://BUCKET/PREFIX)");
    if (store->check_uri(path, err))
        return lt_error_prefix(err, "config: %s: ", field);
    return LT_OK;
}

static int parse_target(const cJSON *tgt, struct lt_target_config *t, struct lt_error *err)
{
    int rc;
    if ((rc = expect_object(tgt, "target", err)))
        return rc;
    t->format = LT_FORMAT_CSV;
    t->compression = LT_COMPRESS_NONE;
    t->csv_delimiter = xstrdup(",");
    t->csv_row_delimiter = xstrdup("\n");
    t->csv_null_value = xstrdup("NULL");
    t->max_file_size_kb = 1048576;
    t->cdc_max_batch_interval_s = 60;
    t->cdc_min_file_size_kb = 32000;
    t->max_full_load_subtasks = 8;
    t->logtap_columns = true;
    t->encoding = LT_ENC_RLE_DICTIONARY;
    t->dict_page_size_limit = 1024000;
    t->row_group_length = 0;
    t->data_page_size = 1024000;
    t->enable_statistics = true;
    for (const cJSON *c = tgt->child; c; c = c->next)
        if ((rc = parse_target_setting(c, t, err)))
            return rc;
    if (t->bucket_name) {
        /* DMS's BucketName names the place path s3://BucketName does (then BucketFolder is the folder below it); with
         * a local path it is about S3 itself, ignored like DMS's other S3-only settings */
        size_t n = strlen(t->bucket_name);
        if (!t->path) {
            t->path = malloc(n + 6);
            snprintf(t->path, n + 6, "s3://%s", t->bucket_name);
        } else if (lt_path_is_uri(t->path) &&
                   (strncmp(t->path, "s3://", 5) != 0 || strncmp(t->path + 5, t->bucket_name, n) != 0 ||
                    (t->path[5 + n] != '\0' && t->path[5 + n] != '/'))) {
            return field_error(err, "target.BucketName", "names another bucket than target.path: give one of them "
                                                         "(BucketName b is path s3://b)");
        }
    }
    if (!t->path)
        return field_error(err, "target.path", "missing required field");
    if ((rc = check_place(t->path, "target.path", err)))
        return rc;
    if (t->format == LT_FORMAT_PARQUET && !t->compression_set)
        t->compression = LT_COMPRESS_SNAPPY;
    if (t->format == LT_FORMAT_CSV && t->compression != LT_COMPRESS_NONE && t->compression != LT_COMPRESS_GZIP)
        return field_error(err, "target.CompressionType", "CSV files take NONE or GZIP");
    /* A reader matches the delimiters where they begin: one starting the other (",", ",\n") could not be told
     * apart. The null and no-sup values are written unquoted, so like any unquoted value they must hold no byte
     * of a delimiter (with "a;" and ";;", "a;" + ";;" would read as "a" + ";;" + ";"). */
    size_t dl = strlen(t->csv_delimiter), rl = strlen(t->csv_row_delimiter);
    if (!strncmp(t->csv_delimiter, t->csv_row_delimiter, dl < rl ? dl : rl))
        return field_error(err, "target.CsvDelimiter", "must differ from CsvRowDelimiter, and neither may begin the "
                                                       "other");
    if (strpbrk(t->csv_null_value, "\"") || strpbrk(t->csv_null_value, t->csv_delimiter) ||
        strpbrk(t->csv_null_value, t->csv_row_delimiter))
        return field_error(err, "target.CsvNullValue", "must not contain quotes or delimiters (any of their "
                                                       "characters)");
    /* DMS writes CsvNoSupValue only when UseCsvNoSupValue is true too; otherwise such columns hold the null value */
    if (t->use_csv_nosup_value && t->csv_nosup_value) {
        if (t->format != LT_FORMAT_CSV)
            return field_error(err, "target.UseCsvNoSupValue", "applies to CSV files only (DataFormat csv)");
        if (strpbrk(t->csv_nosup_value, "\"\r\n") || strpbrk(t->csv_nosup_value, t->csv_delimiter) ||
            strpbrk(t->csv_nosup_value, t->csv_row_delimiter))
            return field_error(err, "target.CsvNoSupValue", "must not contain quotes, line breaks or delimiters (any "
                                                            "of their characters)");
        if (!*t->csv_nosup_value || !strcmp(t->csv_nosup_value, t->csv_null_value))
            return field_error(err, "target.CsvNoSupValue",
                               "must be a non-empty text other than CsvNullValue (else a column the source did not "
                               "send reads as NULL or as empty text)");
    } else {
        free(t->csv_nosup_value);
        t->csv_nosup_value = NULL;
    }
    /* DMS: PreserveTransactions writes under CdcPath, and neither goes with DatePartitionEnabled or AddColumnName */
    if (t->preserve_transactions && !t->cdc_path)
        return field_error(err, "target.PreserveTransactions", "needs target.CdcPath, the folder of the transaction files");
    if (t->cdc_path && !t->preserve_transactions)
        return field_error(err, "target.CdcPath", "is where PreserveTransactions writes: set PreserveTransactions true");
    if (t->preserve_transactions && t->date_partition_enabled)
        return field_error(err, "target.PreserveTransactions",
                           "cannot be used with DatePartitionEnabled (DMS refuses it too)");
    if (t->preserve_transactions && t->add_column_name)
        return field_error(err, "target.PreserveTransactions", "cannot be used with AddColumnName (DMS refuses it too)");
    if (t->use_task_start_time_set_false && t->timestamp_column)
        return field_error(err, "target.UseTaskStartTimeForFullLoadTimestamp",
                           "false is not supported with TimestampColumnName: logtap's full-load rows carry the time "
                           "of the snapshot they were read in (the task's start for its first load), DMS's true");
    /* DMS's Op column rules ("Indicating source DB operations in migrated S3 data"): with CdcInsertsOnly the CDC
     * rows follow IncludeOpForFullLoad (no Op column when it is false); with CdcInsertsAndUpdates or neither, the
     * CDC files always have it. */
    t->cdc_op_column = t->cdc_ops != LT_CDC_INSERTS_ONLY || t->include_op_for_full_load;
    return LT_OK;
}

static char *resolve_path(const char *dir, const char *p)
{
    if (p[0] == '/' || !dir || !*dir || lt_path_is_uri(p))
        return xstrdup(p);
    size_t n = strlen(dir) + strlen(p) + 2;
    char *out = malloc(n);
    snprintf(out, n, "%s/%s", dir, p);
    return out;
}

static int line_of(const char *json, size_t len, const char *at)
{
    int line = 1;
    for (const char *p = json; p < at && p < json + len; p++)
        if (*p == '\n')
            line++;
    return line;
}

int lt_config_parse(const char *json, size_t len, const char *config_dir, struct lt_task_config *cfg,
                    struct lt_error *err)
{
    memset(cfg, 0, sizeof *cfg);
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(json, len, &end, false);
    if (!root) {
        const char *at = cJSON_GetErrorPtr();
        if (!at || at < json || at > json + len)
            at = json + len;
        int near = (int)(json + len - at) < 20 ? (int)(json + len - at) : 20;
        return lt_fail(err, LT_ERR_CONFIG, "config: invalid JSON at line %d near \"%.*s\"", line_of(json, len, at),
                       near, at);
    }
    int rc = LT_OK;
    if (!cJSON_IsObject(root)) {
        rc = field_error(err, "(top level)", "must be a JSON object");
        goto out;
    }
    static const char *const keys[] = {"task", "migration_type", "source", "target", "state", "table_mappings",
                                       "merge", "full_load", "description", NULL};
    if ((rc = check_keys(root, "", keys, err)))
        goto out;
    cfg->config_dir = config_dir ? xstrdup(config_dir) : NULL;
    if ((rc = get_string(root, "task", "", true, &cfg->task, err)))
        goto out;
    if (!*cfg->task || strlen(cfg->task) > 63 || strpbrk(cfg->task, "/\\ \t\n")) {
        rc = field_error(err, "task", "must be 1-63 characters without slashes or spaces");
        goto out;
    }
    char *mt = NULL;
    if ((rc = get_string(root, "migration_type", "", false, &mt, err)))
        goto out;
    cfg->migration_type = LT_MIGRATE_FULL_LOAD;
    if (mt) {
        if (!strcmp(mt, "full-load"))
            cfg->migration_type = LT_MIGRATE_FULL_LOAD;
        else if (!strcmp(mt, "cdc"))
            cfg->migration_type = LT_MIGRATE_CDC;
        else if (!strcmp(mt, "full-load-and-cdc"))
            cfg->migration_type = LT_MIGRATE_FULL_LOAD_AND_CDC;
        else {
            static const char *const types[] = {"full-load", "cdc", "full-load-and-cdc", NULL};
            char msg[160] = "must be full-load, cdc or full-load-and-cdc";
            lt_did_you_mean(mt, types, msg + strlen(msg), sizeof msg - strlen(msg));
            rc = field_error(err, "migration_type", msg);
        }
        free(mt);
        if (rc)
            goto out;
    }
    if ((rc = parse_source(cJSON_GetObjectItemCaseSensitive(root, "source"), &cfg->source, cfg->task, err)) ||
        (rc = parse_target(cJSON_GetObjectItemCaseSensitive(root, "target"), &cfg->target, err)) ||
        (rc = lt_mapping_parse(cJSON_GetObjectItemCaseSensitive(root, "table_mappings"), cfg, err)))
        goto out;
    char *p = resolve_path(config_dir, cfg->target.path);
    free(cfg->target.path);
    cfg->target.path = p;
    char **tls_files[4] = {&cfg->source.ssl_ca, &cfg->source.ssl_cert, &cfg->source.ssl_key, &cfg->source.ssl_crl};
    static const char *const tls_names[4] = {"source.ssl_ca", "source.ssl_cert", "source.ssl_key", "source.ssl_crl"};
    for (int i = 0; i < 4; i++) {
        if (!*tls_files[i])
            continue;
        p = resolve_path(config_dir, *tls_files[i]);
        free(*tls_files[i]);
        *tls_files[i] = p;
        if (access(p, R_OK) != 0) {
            char why[300];
            snprintf(why, sizeof why, "cannot read %s: %s", p, strerror(errno));
            rc = field_error(err, tls_names[i], why);
            goto out;
        }
    }

    char *state = NULL;
    if ((rc = get_string(root, "state", "", false, &state, err)))
        goto out;
    if (state && lt_path_is_uri(state)) {
        free(state);
        rc = field_error(err, "state", "must be a local file: the state store is a SQLite database, whatever the "
                                       "target is");
        goto out;
    }
    if (state) {
        cfg->state_path = resolve_path(config_dir, state);
        free(state);
    } else if (lt_path_is_uri(cfg->target.path)) {
        rc = field_error(err, "state", "missing required field: with an object-store target the state store must "
                                       "be given, as a local file (e.g. \"state\": \"./state/task.db\")");
        goto out;
    } else {
        size_t n = strlen(cfg->target.path) + strlen(cfg->task) + 32;
        cfg->state_path = malloc(n);
        snprintf(cfg->state_path, n, "%s/_state/%s.db", cfg->target.path, cfg->task);
    }

    cfg->merge.keep = 7;
    cfg->merge.memory_limit_mb = 256;
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(root, "merge");
    if (m) {
        static const char *const mkeys[] = {"path", "keep", "memory_limit_mb", NULL};
        long long n;
        if ((rc = expect_object(m, "merge", err)) || (rc = check_keys(m, "merge.", mkeys, err)) ||
            (rc = get_string(m, "path", "merge.", false, &cfg->merge.path, err)))
            goto out;
        const cJSON *v;
        if ((v = cJSON_GetObjectItemCaseSensitive(m, "keep"))) {
            if ((rc = get_int(v, "merge.keep", 1, 100000, &n, err)))
                goto out;
            cfg->merge.keep = (int)n;
        }
        if ((v = cJSON_GetObjectItemCaseSensitive(m, "memory_limit_mb"))) {
            if ((rc = get_int(v, "merge.memory_limit_mb", 8, 1 << 20, &n, err)))
                goto out;
            cfg->merge.memory_limit_mb = (int)n;
        }
    }
    cfg->full_load.part_min_mb = 32;
    const cJSON *fl = cJSON_GetObjectItemCaseSensitive(root, "full_load");
    if (fl) {
        static const char *const fkeys[] = {"part_min_mb", NULL};
        long long n;
        if ((rc = expect_object(fl, "full_load", err)) || (rc = check_keys(fl, "full_load.", fkeys, err)))
            goto out;
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(fl, "part_min_mb");
        if (v) {
            if ((rc = get_int(v, "full_load.part_min_mb", 0, 1 << 20, &n, err)))
                goto out;
            cfg->full_load.part_min_mb = (int)n;
        }
    }
    if (cfg->merge.path && (rc = check_place(cfg->merge.path, "merge.path", err)))
        goto out;
    if (cfg->target.endpoint_url && !lt_path_is_uri(cfg->target.path) && !(cfg->merge.path &&
                                                                            lt_path_is_uri(cfg->merge.path))) {
        rc = field_error(err, "target.endpoint_url", "applies to an object store (s3://...), and neither target.path "
                                                     "nor merge.path is one");
        goto out;
    }
    if (cfg->merge.path) {
        p = resolve_path(config_dir, cfg->merge.path);
        free(cfg->merge.path);
        cfg->merge.path = p;
    } else {
        size_t n = strlen(cfg->target.path) + 16, len = strlen(cfg->target.path);
        while (len > 1 && cfg->target.path[len - 1] == '/')
            len--;
        cfg->merge.path = malloc(n);
        snprintf(cfg->merge.path, n, "%.*s/_snapshots", (int)len, cfg->target.path);
    }
out:
    cJSON_Delete(root);
    return rc;
}

int lt_config_load_file(const char *path, struct lt_task_config *cfg, struct lt_error *err)
{
    memset(cfg, 0, sizeof *cfg);
    FILE *f = fopen(path, "rb");
    if (!f)
        return lt_fail(err, LT_ERR_CONFIG, "config: cannot open %s: %s", path, strerror(errno));
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4096 > cap) {
            cap = cap ? cap * 2 : 8192;
            if (cap > (64u << 20)) {
                free(buf);
                fclose(f);
                return lt_fail(err, LT_ERR_CONFIG, "config: %s is larger than 64 MB", path);
            }
            buf = realloc(buf, cap);
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        if (got == 0)
            break;
        len += got;
    }
    bool failed = ferror(f);
    fclose(f);
    if (failed) {
        free(buf);
        return lt_fail(err, LT_ERR_CONFIG, "config: cannot read %s", path);
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    int rc = lt_config_parse(buf, len, dir, cfg, err);
    free(buf);
    if (rc)
        lt_error_prefix(err, "%s: ", path);
    return rc;
}

void lt_config_free(struct lt_task_config *cfg)
{
    struct lt_source_config *s = &cfg->source;
    free(s->engine);
    free(s->conninfo);
    free(s->slot);
    free(s->publication);
    free(s->host);
    free(s->socket);
    free(s->user);
    free(s->password_env);
    free(s->ssl_ca);
    free(s->ssl_cert);
    free(s->ssl_key);
    free(s->ssl_crl);
    free(s->tls_version);
    for (int i = 0; s->databases && s->databases[i]; i++)
        free(s->databases[i]);
    free(s->databases);
    struct lt_target_config *t = &cfg->target;
    free(t->path);
    free(t->endpoint_url);
    free(t->bucket_name);
    free(t->timestamp_column);
    free(t->csv_delimiter);
    free(t->csv_row_delimiter);
    free(t->csv_null_value);
    free(t->csv_nosup_value);
    free(t->date_partition_timezone);
    free(t->bucket_folder);
    free(t->cdc_path);
    for (int i = 0; cfg->rules && i < cfg->nrules; i++) {
        free(cfg->rules[i].schema_pattern);
        free(cfg->rules[i].table_pattern);
    }
    free(cfg->rules);
    lt_mapping_free(cfg->mapping);
    free(cfg->task);
    free(cfg->state_path);
    free(cfg->merge.path);
    free(cfg->config_dir);
    memset(cfg, 0, sizeof *cfg);
}

const char *lt_migration_type_name(enum lt_migration_type t)
{
    switch (t) {
    case LT_MIGRATE_FULL_LOAD: return "full-load";
    case LT_MIGRATE_CDC: return "cdc";
    case LT_MIGRATE_FULL_LOAD_AND_CDC: return "full-load-and-cdc";
    }
    return "?";
}
