/* libFuzzer target for the CSV reader (targets/csv/csv_reader.h), which the merge uses to read back the files logtap
 * wrote. The reader reads a path, so every run writes its input to a file in a private temporary folder.
 * Input: one byte of options, then the file's bytes. Options bits 0-3 pick the delimiters and null marker from a
 * small table of settings the task config accepts (checked with lt_config_parse at start-up); bit 6: the file is
 * read as .csv.gz (so the bytes go through the gzip inflater); bit 7: the round trip below writes .csv.gz.
 * Asserts: no read outside the buffers, no leak, a clean error (never a crash) on bad input; every value points
 * inside its record; and the round trip: the records read, written again by logtap's own CSV writer (a transaction
 * file: op, table, schema, the values, _logtap_pos, _logtap_unchanged, any field count) and read back, give the
 * same values - NULL stays NULL, text stays the same bytes. Build like fuzz_parquet_reader.c. */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "agent/config.h"
#include "agent/target.h"
#include "targets/csv/csv_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_RECORDS 4096

/* CsvDelimiter, CsvRowDelimiter, CsvNullValue: DMS's defaults and other settings a task may use (16 entries). */
static const char *const settings[16][3] = {
    {",", "\n", "NULL"},
    {",", "\n", ""},
    {"|", "\r\n", "\\N"},
    {"\t", "\n", "NULL"},
    {";", "\n", "null"},
    {",", "\r\n", ""},
    {"||", "\n", "N"},
    {"::", ";", "NULL"},
    {";;", "\n", "-"},
    {",", "\n", "\r"},
    {"ab", "ba", "c"},
    {"<field-separator>", "\n", "NULL"},
    {",", "<end-of-record>\n", "NULL"},
    {"\x01", "\x02", "\x03"},
    {" ", "\n", "NA"},
    {",", ";\n", "NULL"},
};

static char dir[4096], in_csv[4200], in_gz[4200], out_csv[4200], out_gz[4200];

static void cleanup(void)
{
    unlink(in_csv);
    unlink(in_gz);
    unlink(out_csv);
    unlink(out_gz);
    rmdir(dir);
}

/* Every setting of the table is one the task config accepts. */
static void check_settings(void)
{
    for (int i = 0; i < 16; i++) {
        cJSON *doc = cJSON_CreateObject(), *src = cJSON_AddObjectToObject(doc, "source");
        cJSON *tgt = cJSON_AddObjectToObject(doc, "target");
        cJSON_AddStringToObject(doc, "task", "fuzz");
        cJSON_AddStringToObject(src, "engine", "postgres");
        cJSON_AddStringToObject(src, "conninfo", "dbname=x");
        cJSON_AddStringToObject(tgt, "path", "/x");
        cJSON_AddStringToObject(tgt, "CsvDelimiter", settings[i][0]);
        cJSON_AddStringToObject(tgt, "CsvRowDelimiter", settings[i][1]);
        cJSON_AddStringToObject(tgt, "CsvNullValue", settings[i][2]);
        cJSON *rules = cJSON_AddArrayToObject(cJSON_AddObjectToObject(doc, "table_mappings"), "rules");
        cJSON *rule = cJSON_CreateObject();
        cJSON_AddItemToArray(rules, rule);
        cJSON_AddStringToObject(rule, "rule-type", "selection");
        cJSON_AddStringToObject(rule, "rule-id", "1");
        cJSON_AddStringToObject(rule, "rule-name", "1");
        cJSON *loc = cJSON_AddObjectToObject(rule, "object-locator");
        cJSON_AddStringToObject(loc, "schema-name", "%");
        cJSON_AddStringToObject(loc, "table-name", "%");
        cJSON_AddStringToObject(rule, "rule-action", "include");
        char *json = cJSON_PrintUnformatted(doc);
        struct lt_task_config cfg;
        struct lt_error err = {0};
        int rc = lt_config_parse(json, strlen(json), "/", &cfg, &err);
        if (rc != LT_OK) {
            fprintf(stderr, "setting %d is not a valid config: %s\n", i, err.msg);
            abort();
        }
        if (strcmp(cfg.target.csv_delimiter, settings[i][0]) || strcmp(cfg.target.csv_row_delimiter, settings[i][1]) ||
            strcmp(cfg.target.csv_null_value, settings[i][2])) {
            fprintf(stderr, "setting %d reads back otherwise from the config\n", i);
            abort();
        }
        lt_config_free(&cfg);
        cJSON_free(json);
        cJSON_Delete(doc);
    }
}

static bool setup(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/fuzz_csv_reader.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir))
        return false;
    snprintf(in_csv, sizeof in_csv, "%s/in.csv", dir);
    snprintf(in_gz, sizeof in_gz, "%s/in.csv.gz", dir);
    snprintf(out_csv, sizeof out_csv, "%s/out.csv", dir);
    snprintf(out_gz, sizeof out_gz, "%s/out.csv.gz", dir);
    atexit(cleanup);
    check_settings();
    return true;
}

static bool write_file(const char *path, const uint8_t *data, size_t size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return false;
    size_t off = 0;
    while (off < size) {
        ssize_t n = write(fd, data + off, size - off);
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    close(fd);
    return off == size;
}

struct record {
    int n;
    struct lt_value *vals; /* data copied */
};

static void free_records(struct record *recs, int n)
{
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < recs[i].n; k++)
            free((void *)recs[i].vals[k].data);
        free(recs[i].vals);
    }
    free(recs);
}

/* Writes the records as a transaction file with logtap's CSV writer; returns false when the writer refuses. */
static bool write_records(const char *path, bool gzip, const char *const *s, const struct record *recs, int nrecs)
{
    struct lt_target_config cfg = {0};
    cfg.format = LT_FORMAT_CSV;
    cfg.compression = gzip ? LT_COMPRESS_GZIP : LT_COMPRESS_NONE;
    cfg.csv_delimiter = (char *)s[0];
    cfg.csv_row_delimiter = (char *)s[1];
    cfg.csv_null_value = (char *)s[2];
    const struct logtap_target_ops *ops = gzip ? &lt_csv_gzip_target : &lt_csv_target;
    struct lt_file_layout layout = {.txn = true};
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return false;
    struct lt_target_writer *w;
    struct lt_error err = {0};
    struct lt_out out;
    lt_out_init(&out, fd);
    if (ops->open(&w, &out, &cfg, &layout, &err) != LT_OK) {
        close(fd);
        return false;
    }
    bool ok = true;
    for (int i = 0; i < nrecs && ok; i++) {
        struct lt_table_schema *schema = lt_schema_new("s", "t", recs[i].n);
        if (!schema) {
            ok = false;
            break;
        }
        for (int k = 0; k < recs[i].n; k++) {
            char name[16];
            snprintf(name, sizeof name, "c%d", k + 1);
            lt_schema_set_column(schema, k, name, LT_TYPE_TEXT, 0, 0, false, true, "text");
        }
        struct lt_row row = {.op = 'I', .nvals = recs[i].n, .vals = recs[i].vals, .schema = schema};
        snprintf(row.pos, sizeof row.pos, "%08d", i);
        if (ops->write_row(w, &row, &err) != LT_OK) {
            fprintf(stderr, "the CSV writer refused record %d: %s\n", i + 1, err.msg);
            abort();
        }
        lt_schema_free(schema);
    }
    if (ops->finish(w, &err) != LT_OK)
        ok = false;
    close(fd);
    return ok;
}

static bool same(const struct lt_value *a, const struct lt_value *b)
{
    if (a->state != b->state)
        return false;
    return a->state != LT_VALUE_PRESENT || (a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    if (!ready) {
        if (!setup()) {
            fprintf(stderr, "cannot make a temporary folder\n");
            abort();
        }
        ready = true;
    }
    if (size < 1)
        return 0;
    uint8_t opts = data[0];
    const char *const *s = settings[opts & 15];
    const char *path = opts & 0x40 ? in_gz : in_csv;
    if (!write_file(path, data + 1, size - 1))
        return 0;

    struct lt_csv_reader *r;
    struct lt_error err = {0};
    if (lt_csv_reader_open(path, s[0], s[1], s[2], &r, &err) != LT_OK) {
        fprintf(stderr, "cannot open the file just written: %s\n", err.msg);
        abort();
    }
    struct record *recs = calloc(MAX_RECORDS, sizeof *recs);
    int nrecs = 0, rc;
    const struct lt_value *vals;
    int n;
    bool complete = false;
    while (recs && nrecs < MAX_RECORDS) {
        rc = lt_csv_reader_next(r, &vals, &n, &err);
        if (rc <= 0) {
            if (rc < 0 && !err.msg[0])
                abort();
            complete = rc == 0;
            break;
        }
        if (n < 1)
            abort(); /* a record has at least one field */
        struct record *rec = &recs[nrecs++];
        rec->vals = calloc((size_t)n, sizeof *rec->vals);
        if (!rec->vals)
            break;
        rec->n = n;
        for (int k = 0; k < n; k++) {
            if (vals[k].state != LT_VALUE_NULL && vals[k].state != LT_VALUE_PRESENT)
                abort();
            rec->vals[k].state = vals[k].state;
            rec->vals[k].len = vals[k].len;
            if (vals[k].state == LT_VALUE_PRESENT) {
                if (!vals[k].data)
                    abort();
                char *copy = malloc(vals[k].len ? vals[k].len : 1);
                if (!copy)
                    abort();
                memcpy(copy, vals[k].data, vals[k].len);
                rec->vals[k].data = copy;
            }
        }
    }
    lt_csv_reader_close(r);

    /* the round trip: written by logtap's writer, read back the same */
    if (recs && complete) {
        bool gzip = opts & 0x80;
        const char *out = gzip ? out_gz : out_csv;
        if (write_records(out, gzip, s, recs, nrecs)) {
            if (lt_csv_reader_open(out, s[0], s[1], s[2], &r, &err) != LT_OK)
                abort();
            for (int i = 0; i <= nrecs; i++) {
                rc = lt_csv_reader_next(r, &vals, &n, &err);
                if (i == nrecs) {
                    if (rc != 0) {
                        fprintf(stderr, "%d records written, more read back (%s)\n", nrecs, rc < 0 ? err.msg : "");
                        abort();
                    }
                    break;
                }
                if (rc != 1 || n != recs[i].n + 5) {
                    fprintf(stderr, "record %d of %d fields written, read back as %s %d fields (%s)\n", i + 1,
                            recs[i].n, rc == 1 ? "" : "no record,", rc == 1 ? n : 0, rc < 0 ? err.msg : "");
                    abort();
                }
                for (int k = 0; k < recs[i].n; k++) {
                    if (!same(&recs[i].vals[k], &vals[3 + k])) {
                        fprintf(stderr, "record %d field %d: \"%.*s\" (%s) reads back as \"%.*s\" (%s)\n", i + 1, k + 1,
                                (int)recs[i].vals[k].len, recs[i].vals[k].data ? recs[i].vals[k].data : "",
                                recs[i].vals[k].state == LT_VALUE_NULL ? "NULL" : "text", (int)vals[3 + k].len,
                                vals[3 + k].data ? vals[3 + k].data : "",
                                vals[3 + k].state == LT_VALUE_NULL ? "NULL" : "text");
                        abort();
                    }
                }
            }
            lt_csv_reader_close(r);
        }
    }
    if (recs)
        free_records(recs, nrecs);
    return 0;
}
