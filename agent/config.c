/* Task config parsing and validation (DESIGN.md section 5). Every field is checked for type and range; unknown
 * keys are errors, except AWS DMS S3 settings that have no meaning for local files, which are accepted so a
 * DMS user can paste their endpoint settings. Target setting names match case-insensitively, as DMS's extra
 * connection attributes do. */
#include "agent/config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/object_store.h"
#include "agent/table_mapping.h"

/* DMS S3 endpoint settings accepted and ignored: they concern S3 itself, not the files. */
static const char *const ignored_dms_settings[] = {
    "BucketFolder", "ServiceAccessRoleArn", "ExpectedBucketOwner", "CannedAclForObjects",
    "EncryptionMode", "ServerSideEncryptionKmsKeyId", "ExternalTableDefinition", "GlueCatalogGeneration",
    "AddTrailingPaddingCharacter", "Rfc4180", "CdcInsertsOnly", "CdcInsertsAndUpdates", "PreserveTransactions",
    "CdcPath", "UseCsvNoSupValue", "CsvNoSupValue", "UseTaskStartTimeForFullLoadTimestamp",
    "DatePartitionSequence", "DatePartitionDelimiter", "DatePartitionTimezone", "IgnoreHeaderRows", NULL,
};


static int field_error(struct lt_error *err, const char *field, const char *what)
{
    return lt_fail(err, LT_ERR_CONFIG, "config: %s: %s", field, what);
}

static char *xstrdup(const char *s)
{
    char *d = strdup(s);
    if (!d) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    return d;
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

static int check_keys(const cJSON *obj, const char *path, const char *const *allowed, struct lt_error *err)
{
    for (const cJSON *c = obj->child; c; c = c->next) {
        bool ok = false;
        for (int i = 0; allowed[i]; i++)
            if (strcmp(c->string, allowed[i]) == 0)
                ok = true;
        if (!ok) {
            char field[256];
            snprintf(field, sizeof field, "%s%s", path, c->string);
            return field_error(err, field, "unknown key");
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

static int parse_source(const cJSON *src, struct lt_source_config *s, const char *task, struct lt_error *err)
{
    int rc;
    if ((rc = expect_object(src, "source", err)))
        return rc;
    if ((rc = get_string(src, "engine", "source.", true, &s->engine, err)))
        return rc;
    if (strcmp(s->engine, "postgres") == 0 || strcmp(s->engine, "postgresql") == 0) {
        static const char *const keys[] = {"engine", "conninfo", "slot", "publication", "tables_without_key",
                                           "catalog_poll_s", NULL};
        free(s->engine);
        s->engine = xstrdup("postgres");
        char *nokey = NULL;
        if ((rc = check_keys(src, "source.", keys, err)) || (rc = get_string(src, "conninfo", "source.", true,
                                                                              &s->conninfo, err)) ||
            (rc = get_string(src, "slot", "source.", false, &s->slot, err)) ||
            (rc = get_string(src, "publication", "source.", false, &s->publication, err)) ||
            (rc = get_string(src, "tables_without_key", "source.", false, &nokey, err)))
            return rc;
        s->tables_without_key = LT_NOKEY_REFUSE;
        if (nokey && strcmp(nokey, "inserts-only") == 0)
            s->tables_without_key = LT_NOKEY_INSERTS_ONLY;
        else if (nokey && strcmp(nokey, "refuse") != 0)
            rc = field_error(err, "source.tables_without_key", "must be \"refuse\" or \"inserts-only\"");
        free(nokey);
        if (rc)
            return rc;
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
                                           "database", "databases", "server_id", "use_gtid", NULL};
        free(s->engine);
        s->engine = xstrdup("mysql");
        if ((rc = check_keys(src, "source.", keys, err)) ||
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
    return field_error(err, "source.engine", "must be \"postgres\" or \"mysql\"");
}

static bool is_ignored_dms_setting(const char *key)
{
    for (int i = 0; ignored_dms_settings[i]; i++)
        if (strcasecmp(key, ignored_dms_settings[i]) == 0)
            return true;
    return false;
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
        return get_bool(v, field, &t->include_op_for_full_load, err);
    } else if (IS("AddColumnName")) {
        return get_bool(v, field, &t->add_column_name, err);
    } else if (IS("DatePartitionEnabled")) {
        return get_bool(v, field, &t->date_partition_enabled, err);
    } else if (IS("EnableStatistics")) {
        return get_bool(v, field, &t->enable_statistics, err);
    } else if (IS("ParquetTimestampInMillisecond")) {
        return get_bool(v, field, &t->parquet_timestamp_ms, err);
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
    } else if (is_ignored_dms_setting(k)) {
        return LT_OK;
    } else {
        return field_error(err, field, "unknown key");
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
    t->encoding = LT_ENC_RLE_DICTIONARY;
    t->dict_page_size_limit = 1024000;
    t->row_group_length = 0;
    t->data_page_size = 1024000;
    t->enable_statistics = true;
    for (const cJSON *c = tgt->child; c; c = c->next)
        if ((rc = parse_target_setting(c, t, err)))
            return rc;
    if (t->bucket_name) {
        /* DMS's BucketName names the same place as path s3://BucketName */
        size_t n = strlen(t->bucket_name);
        if (!t->path) {
            t->path = malloc(n + 6);
            snprintf(t->path, n + 6, "s3://%s", t->bucket_name);
        } else if (strncmp(t->path, "s3://", 5) != 0 || strncmp(t->path + 5, t->bucket_name, n) != 0 ||
                   (t->path[5 + n] != '\0' && t->path[5 + n] != '/')) {
            return field_error(err, "target.BucketName", "names another place than target.path: give one of them "
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
    if (!strcmp(t->csv_delimiter, t->csv_row_delimiter))
        return field_error(err, "target.CsvDelimiter", "must differ from CsvRowDelimiter");
    if (strpbrk(t->csv_null_value, "\"") || strstr(t->csv_null_value, t->csv_delimiter) ||
        strstr(t->csv_null_value, t->csv_row_delimiter))
        return field_error(err, "target.CsvNullValue", "must not contain quotes or delimiters");
    return LT_OK;
}

static int parse_rules(const cJSON *tm, struct lt_task_config *cfg, struct lt_error *err)
{
    int rc;
    if ((rc = expect_object(tm, "table_mappings", err)))
        return rc;
    static const char *const keys[] = {"rules", NULL};
    if ((rc = check_keys(tm, "table_mappings.", keys, err)))
        return rc;
    const cJSON *rules = cJSON_GetObjectItemCaseSensitive(tm, "rules");
    if (!rules)
        return field_error(err, "table_mappings.rules", "missing required field");
    if (!cJSON_IsArray(rules))
        return field_error(err, "table_mappings.rules", "must be an array");
    int n = cJSON_GetArraySize(rules);
    cfg->rules = calloc((size_t)n + 1, sizeof *cfg->rules);
    int nsel = 0;
    for (int i = 0; i < n; i++) {
        const cJSON *r = cJSON_GetArrayItem(rules, i);
        char path[64];
        snprintf(path, sizeof path, "table_mappings.rules[%d]", i);
        if ((rc = expect_object(r, path, err)))
            return rc;
        static const char *const rkeys[] = {"rule-type", "rule-id", "rule-name", "object-locator", "rule-action",
                                            "filters", "load-order", "rule-target", "value", "old-value",
                                            "expression", "data-type", "primary-key-def", "before-image-def",
                                            "parallel-load", NULL};
        char prefix[80];
        snprintf(prefix, sizeof prefix, "%s.", path);
        if ((rc = check_keys(r, prefix, rkeys, err)))
            return rc;
        char *type = NULL, *action = NULL;
        if ((rc = get_string(r, "rule-type", prefix, true, &type, err)))
            return rc;
        if (strcmp(type, "selection") != 0) {
            char msg[160];
            snprintf(msg, sizeof msg, "rule-type \"%s\" is not supported (only \"selection\" rules are)", type);
            free(type);
            return field_error(err, path, msg);
        }
        free(type);
        if ((rc = get_string(r, "rule-action", prefix, true, &action, err)))
            return rc;
        struct lt_selection_rule *sr = &cfg->rules[nsel];
        cfg->nrules = nsel + 1; /* counted now so lt_config_free frees its strings on any error below */
        if (!strcmp(action, "include") || !strcmp(action, "explicit")) {
            sr->include = true;
            sr->explicit_only = !strcmp(action, "explicit");
        } else if (!strcmp(action, "exclude")) {
            sr->include = false;
        } else {
            free(action);
            char field[96];
            snprintf(field, sizeof field, "%srule-action", prefix);
            return field_error(err, field, "must be include, exclude or explicit");
        }
        free(action);
        if (cJSON_GetObjectItemCaseSensitive(r, "filters") &&
            cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r, "filters")) > 0) {
            char field[96];
            snprintf(field, sizeof field, "%sfilters", prefix);
            return field_error(err, field, "source filters are not supported");
        }
        const cJSON *loc = cJSON_GetObjectItemCaseSensitive(r, "object-locator");
        char lpath[96];
        snprintf(lpath, sizeof lpath, "%sobject-locator", prefix);
        if ((rc = expect_object(loc, lpath, err)))
            return rc;
        static const char *const lkeys[] = {"schema-name", "table-name", "table-type", NULL};
        snprintf(lpath, sizeof lpath, "%sobject-locator.", prefix);
        if ((rc = check_keys(loc, lpath, lkeys, err)) ||
            (rc = get_string(loc, "schema-name", lpath, true, &sr->schema_pattern, err)) ||
            (rc = get_string(loc, "table-name", lpath, true, &sr->table_pattern, err)))
            return rc;
        char *why = NULL;
        if (!lt_pattern_valid(sr->schema_pattern, &why) || !lt_pattern_valid(sr->table_pattern, &why)) {
            char field[128];
            snprintf(field, sizeof field, "%sobject-locator", prefix);
            return field_error(err, field, why);
        }
        nsel++;
    }
    if (nsel == 0 || !lt_rules_have_include(cfg->rules, nsel))
        return field_error(err, "table_mappings.rules", "needs at least one selection rule with rule-action include");
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
        else
            rc = field_error(err, "migration_type", "must be full-load, cdc or full-load-and-cdc");
        free(mt);
        if (rc)
            goto out;
    }
    if ((rc = parse_source(cJSON_GetObjectItemCaseSensitive(root, "source"), &cfg->source, cfg->task, err)) ||
        (rc = parse_target(cJSON_GetObjectItemCaseSensitive(root, "target"), &cfg->target, err)) ||
        (rc = parse_rules(cJSON_GetObjectItemCaseSensitive(root, "table_mappings"), cfg, err)))
        goto out;
    char *p = resolve_path(config_dir, cfg->target.path);
    free(cfg->target.path);
    cfg->target.path = p;

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
    for (int i = 0; cfg->rules && i < cfg->nrules; i++) {
        free(cfg->rules[i].schema_pattern);
        free(cfg->rules[i].table_pattern);
    }
    free(cfg->rules);
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
