/* Tests of the AWS DMS S3 endpoint settings (agent/dms_settings.c, agent/config.c): every setting of the table is
 * accepted with a valid value and refused (exit-2 config error naming it) with a refused one; defaults; DMS's Op
 * column rules for IncludeOpForFullLoad with CdcInsertsOnly / CdcInsertsAndUpdates; their mutual exclusion; "y"/"n"
 * booleans; date partition settings; CsvNoSupValue; BucketFolder; "did you mean"; and the README's "Coming from
 * DMS" table, which must list exactly the table's settings with the same status. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/config.h"
#include "agent/did_you_mean.h"
#include "agent/dms_settings.h"
#include "tests/unit/unit.h"

static struct lt_error err;

/* A config whose target object is {"path": "/lake", <target>}. */
static int parse_target(const char *target, struct lt_task_config *cfg)
{
    char json[4096];
    snprintf(json, sizeof json,
             "{\"task\": \"t\", \"source\": {\"engine\": \"postgres\", \"conninfo\": \"dbname=x\"},"
             " \"target\": {\"path\": \"/lake\"%s%s},"
             " \"table_mappings\": {\"rules\": [{\"rule-type\": \"selection\", \"rule-id\": \"1\", \"rule-name\": \"1\","
             " \"object-locator\": {\"schema-name\": \"public\", \"table-name\": \"%%\"}, \"rule-action\": \"include\"}]}}",
             *target ? ", " : "", target);
    lt_error_clear(&err);
    return lt_config_parse(json, strlen(json), "/etc/logtap", cfg, &err);
}

static void expect_ok(const char *target, int line)
{
    struct lt_task_config cfg;
    int rc = parse_target(target, &cfg);
    if (!unit_check_int(rc, LT_OK, "accepted", __FILE__, line))
        fprintf(stderr, "  %s: %s\n", target, err.msg);
    lt_config_free(&cfg);
}
#define EXPECT_OK(t) expect_ok((t), __LINE__)

/* A config error (exit 2) whose message holds both fragments. */
static void expect_refused(const char *target, const char *frag1, const char *frag2, int line)
{
    struct lt_task_config cfg;
    int rc = parse_target(target, &cfg);
    if (!unit_check_int(rc, LT_ERR_CONFIG, "refused", __FILE__, line))
        fprintf(stderr, "  for %s\n", target);
    if (!unit_check(strstr(err.msg, frag1) != NULL, "message names it", __FILE__, line))
        fprintf(stderr, "  message \"%s\" lacks \"%s\"\n", err.msg, frag1);
    if (frag2 && !unit_check(strstr(err.msg, frag2) != NULL, "message explains", __FILE__, line))
        fprintf(stderr, "  message \"%s\" lacks \"%s\"\n", err.msg, frag2);
    lt_config_free(&cfg);
}
#define EXPECT_REFUSED(t, f1, f2) expect_refused((t), (f1), (f2), __LINE__)

/* Every setting of the table: its sample is accepted, its refused sample refused naming it. */
static void test_every_setting(void)
{
    int n = 0;
    for (const struct lt_dms_setting *d = lt_dms_settings; d->name; d++, n++) {
        char target[512], field[128];
        snprintf(field, sizeof field, "target.%s", d->name);
        if (d->sample) {
            snprintf(target, sizeof target, "\"%s\": %s", d->name, d->sample);
            EXPECT_OK(target);
        } else {
            CHECK_INT(d->status, LT_DMS_REFUSED);
        }
        if (d->refused_sample) {
            /* with a timestamp column: UseTaskStartTimeForFullLoadTimestamp false is refused only with one */
            snprintf(target, sizeof target, "\"TimestampColumnName\": \"ts\", \"%s\": %s", d->name, d->refused_sample);
            EXPECT_REFUSED(target, field, NULL);
        } else {
            CHECK_INT(d->status, LT_DMS_S3_ONLY);
        }
        if (d->status == LT_DMS_REFUSED || d->status == LT_DMS_PARTIAL)
            CHECK(d->why != NULL);
        /* lower-case spellings (DMS extra connection attributes) are the same setting */
        if (d->sample) {
            char lower[64];
            size_t i = 0;
            for (; d->name[i] && i + 1 < sizeof lower; i++)
                lower[i] = (char)(d->name[i] >= 'A' && d->name[i] <= 'Z' ? d->name[i] + 32 : d->name[i]);
            lower[i] = '\0';
            snprintf(target, sizeof target, "\"%s\": %s", lower, d->sample);
            EXPECT_OK(target);
        }
    }
    CHECK_INT(n, 41); /* the S3Settings API's settings */
    CHECK(lt_dms_setting_find("cdcinsertsonly") == lt_dms_setting_find("CdcInsertsOnly"));
    CHECK(lt_dms_setting_find("MaxFullLoadSubTasks") == NULL);
}

static void test_defaults(void)
{
    struct lt_task_config cfg;
    CHECK_INT(parse_target("", &cfg), LT_OK);
    CHECK_INT(cfg.target.cdc_ops, LT_CDC_ALL);
    CHECK(cfg.target.cdc_op_column);
    CHECK_INT(cfg.target.date_partition_sequence, LT_DATESEQ_YYYYMMDD);
    CHECK_INT(cfg.target.date_partition_delimiter, LT_DATEDELIM_SLASH);
    CHECK(cfg.target.date_partition_timezone == NULL);
    CHECK(cfg.target.csv_nosup_value == NULL);
    CHECK(cfg.target.bucket_folder == NULL);
    lt_config_free(&cfg);
}

/* DMS user guide, "Indicating source DB operations in migrated S3 data": both tables, row by row. */
static void test_op_column_rules(void)
{
    static const struct {
        const char *settings;
        enum lt_cdc_ops ops;
        bool full_load_op, cdc_op;
    } rows[] = {
        {"\"IncludeOpForFullLoad\": true, \"CdcInsertsOnly\": true", LT_CDC_INSERTS_ONLY, true, true},
        {"\"IncludeOpForFullLoad\": false, \"CdcInsertsOnly\": false", LT_CDC_ALL, false, true},
        {"\"IncludeOpForFullLoad\": false, \"CdcInsertsOnly\": true", LT_CDC_INSERTS_ONLY, false, false},
        {"\"IncludeOpForFullLoad\": true, \"CdcInsertsOnly\": false", LT_CDC_ALL, true, true},
        {"\"CdcInsertsOnly\": \"y\"", LT_CDC_INSERTS_ONLY, false, false},
        {"\"IncludeOpForFullLoad\": true, \"CdcInsertsAndUpdates\": true", LT_CDC_INSERTS_AND_UPDATES, true, true},
        {"\"IncludeOpForFullLoad\": false, \"CdcInsertsAndUpdates\": false", LT_CDC_ALL, false, true},
        {"\"IncludeOpForFullLoad\": false, \"CdcInsertsAndUpdates\": true", LT_CDC_INSERTS_AND_UPDATES, false, true},
        {"\"IncludeOpForFullLoad\": true, \"CdcInsertsAndUpdates\": false", LT_CDC_ALL, true, true},
        {"\"CdcInsertsOnly\": false, \"CdcInsertsAndUpdates\": true", LT_CDC_INSERTS_AND_UPDATES, false, true},
        {"\"CdcInsertsOnly\": true, \"CdcInsertsAndUpdates\": \"n\"", LT_CDC_INSERTS_ONLY, false, false},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct lt_task_config cfg;
        if (!CHECK_INT(parse_target(rows[i].settings, &cfg), LT_OK))
            fprintf(stderr, "  %s: %s\n", rows[i].settings, err.msg);
        if (!CHECK_INT(cfg.target.cdc_ops, rows[i].ops) ||
            !CHECK_INT(cfg.target.include_op_for_full_load, rows[i].full_load_op) ||
            !CHECK_INT(cfg.target.cdc_op_column, rows[i].cdc_op))
            fprintf(stderr, "  for %s\n", rows[i].settings);
        lt_config_free(&cfg);
    }
    EXPECT_REFUSED("\"CdcInsertsOnly\": true, \"CdcInsertsAndUpdates\": true", "CdcInsertsOnly", "CdcInsertsAndUpdates");
    EXPECT_REFUSED("\"CdcInsertsAndUpdates\": \"Y\", \"cdcinsertsonly\": \"y\"", "CdcInsertsOnly", "both");
}

static void test_dms_booleans(void)
{
    static const char *const yes[] = {"true", "\"true\"", "\"TRUE\"", "\"y\"", "\"Y\"", NULL};
    static const char *const no[] = {"false", "\"false\"", "\"False\"", "\"n\"", "\"N\"", NULL};
    char t[128];
    for (int i = 0; yes[i]; i++) {
        struct lt_task_config cfg;
        snprintf(t, sizeof t, "\"AddColumnName\": %s, \"DatePartitionEnabled\": %s", yes[i], yes[i]);
        CHECK_INT(parse_target(t, &cfg), LT_OK);
        CHECK(cfg.target.add_column_name && cfg.target.date_partition_enabled);
        lt_config_free(&cfg);
    }
    for (int i = 0; no[i]; i++) {
        struct lt_task_config cfg;
        snprintf(t, sizeof t, "\"EnableStatistics\": %s, \"IncludeOpForFullLoad\": %s", no[i], no[i]);
        CHECK_INT(parse_target(t, &cfg), LT_OK);
        CHECK(!cfg.target.enable_statistics && !cfg.target.include_op_for_full_load);
        lt_config_free(&cfg);
    }
    EXPECT_REFUSED("\"AddColumnName\": \"yes\"", "target.AddColumnName", "\"y\" or \"n\"");
    EXPECT_REFUSED("\"ParquetTimestampInMillisecond\": 1", "target.ParquetTimestampInMillisecond", "true or false");
    EXPECT_REFUSED("\"Rfc4180\": \"n\"", "target.Rfc4180", "unquoted");
    EXPECT_OK("\"Rfc4180\": \"TRUE\", \"PreserveTransactions\": \"n\", \"GlueCatalogGeneration\": false,"
              " \"AddTrailingPaddingCharacter\": \"N\"");
    EXPECT_REFUSED("\"GlueCatalogGeneration\": true", "target.GlueCatalogGeneration", "Glue");
    EXPECT_REFUSED("\"GlueCatalogGeneration\": true", "target.GlueCatalogGeneration", "Glue");
    EXPECT_REFUSED("\"AddTrailingPaddingCharacter\": true", "target.AddTrailingPaddingCharacter", "padding");
    EXPECT_REFUSED("\"IgnoreHeaderRows\": 1", "target.IgnoreHeaderRows", "source endpoint");
}

static void test_date_partition_settings(void)
{
    static const char *const seqs[] = {"YYYYMMDD", "YYYYMMDDHH", "YYYYMM", "MMYYYYDD", "DDMMYYYY", NULL};
    static const char *const delims[] = {"SLASH", "UNDERSCORE", "DASH", "NONE", NULL};
    for (int i = 0; seqs[i]; i++)
        for (int j = 0; delims[j]; j++) {
            char t[256];
            struct lt_task_config cfg;
            snprintf(t, sizeof t, "\"DatePartitionEnabled\": true, \"DatePartitionSequence\": \"%s\","
                                  " \"DatePartitionDelimiter\": \"%s\"", seqs[i], delims[j]);
            CHECK_INT(parse_target(t, &cfg), LT_OK);
            CHECK_INT(cfg.target.date_partition_sequence, i);
            CHECK_INT(cfg.target.date_partition_delimiter, j);
            lt_config_free(&cfg);
        }
    struct lt_task_config cfg;
    CHECK_INT(parse_target("\"DatePartitionSequence\": \"yyyymmddhh\", \"DatePartitionTimezone\": \"Asia/Seoul\"", &cfg),
              LT_OK);
    CHECK_INT(cfg.target.date_partition_sequence, LT_DATESEQ_YYYYMMDDHH);
    CHECK_STR(cfg.target.date_partition_timezone, "Asia/Seoul");
    lt_config_free(&cfg);
    EXPECT_OK("\"DatePartitionTimezone\": \"UTC\"");
    EXPECT_OK("\"DatePartitionTimezone\": \"America/Argentina/Buenos_Aires\"");
    EXPECT_REFUSED("\"DatePartitionSequence\": \"YYYYMMD\"", "target.DatePartitionSequence", "did you mean YYYYMMDD?");
    EXPECT_REFUSED("\"DatePartitionSequence\": 8", "target.DatePartitionSequence", "YYYYMMDDHH");
    EXPECT_REFUSED("\"DatePartitionDelimiter\": \"SLASHES\"", "target.DatePartitionDelimiter", "did you mean SLASH?");
    EXPECT_REFUSED("\"DatePartitionTimezone\": \"Mars/Olympus\"", "target.DatePartitionTimezone", "tz database");
    EXPECT_REFUSED("\"DatePartitionTimezone\": \"../../etc/passwd\"", "target.DatePartitionTimezone", "not a time zone");
    EXPECT_REFUSED("\"DatePartitionTimezone\": \"/etc/localtime\"", "target.DatePartitionTimezone", "not a time zone");
    EXPECT_REFUSED("\"DatePartitionTimezone\": \"Europe/.\"", "target.DatePartitionTimezone", "not a time zone");
    EXPECT_REFUSED("\"DatePartitionTimezone\": \"CET \"", "target.DatePartitionTimezone", "not a time zone");
    EXPECT_REFUSED("\"DatePartitionTimezone\": \"\"", "target.DatePartitionTimezone", "Area/Location");
}

/* PreserveTransactions with CdcPath, and DMS's exclusions (DatePartitionEnabled, AddColumnName). */
static void test_preserve_transactions(void)
{
    struct lt_task_config cfg;
    CHECK_INT(parse_target("\"PreserveTransactions\": \"Y\", \"CdcPath\": \"txn/all/\"", &cfg), LT_OK);
    CHECK(cfg.target.preserve_transactions);
    CHECK_STR(cfg.target.cdc_path, "txn/all");
    lt_config_free(&cfg);
    CHECK_INT(parse_target("", &cfg), LT_OK);
    CHECK(!cfg.target.preserve_transactions && !cfg.target.cdc_path);
    lt_config_free(&cfg);
    EXPECT_REFUSED("\"PreserveTransactions\": \"y\"", "target.PreserveTransactions", "needs target.CdcPath");
    EXPECT_REFUSED("\"CdcPath\": \"txn\"", "target.CdcPath", "set PreserveTransactions true");
    EXPECT_REFUSED("\"CdcPath\": \"txn\", \"PreserveTransactions\": false", "target.CdcPath", "PreserveTransactions");
    EXPECT_REFUSED("\"PreserveTransactions\": true, \"CdcPath\": \"../txn\"", "target.CdcPath", "below");
    EXPECT_REFUSED("\"PreserveTransactions\": true, \"CdcPath\": \"\"", "target.CdcPath", "non-empty");
    EXPECT_REFUSED("\"PreserveTransactions\": true, \"CdcPath\": \"t\", \"DatePartitionEnabled\": true",
                   "target.PreserveTransactions", "DatePartitionEnabled");
    EXPECT_REFUSED("\"PreserveTransactions\": true, \"CdcPath\": \"t\", \"AddColumnName\": \"y\"",
                   "target.PreserveTransactions", "AddColumnName");
}

static void test_nosup_value(void)
{
    struct lt_task_config cfg;
    CHECK_INT(parse_target("\"UseCsvNoSupValue\": true, \"CsvNoSupValue\": \"NOSUP\"", &cfg), LT_OK);
    CHECK_STR(cfg.target.csv_nosup_value, "NOSUP");
    lt_config_free(&cfg);
    /* DMS: without UseCsvNoSupValue (or without a value) such columns hold the null value */
    CHECK_INT(parse_target("\"CsvNoSupValue\": \"NOSUP\"", &cfg), LT_OK);
    CHECK(cfg.target.csv_nosup_value == NULL);
    lt_config_free(&cfg);
    CHECK_INT(parse_target("\"UseCsvNoSupValue\": \"y\"", &cfg), LT_OK);
    CHECK(cfg.target.csv_nosup_value == NULL);
    lt_config_free(&cfg);
    EXPECT_REFUSED("\"UseCsvNoSupValue\": true, \"CsvNoSupValue\": \"x\", \"DataFormat\": \"parquet\"",
                   "target.UseCsvNoSupValue", "CSV");
    EXPECT_REFUSED("\"UseCsvNoSupValue\": true, \"CsvNoSupValue\": \"a,b\"", "target.CsvNoSupValue", "delimiters");
    EXPECT_REFUSED("\"UseCsvNoSupValue\": true, \"CsvNoSupValue\": \"\\\"\"", "target.CsvNoSupValue", "quotes");
    EXPECT_REFUSED("\"UseCsvNoSupValue\": true, \"CsvNoSupValue\": \"NULL\"", "target.CsvNoSupValue", "CsvNullValue");
    EXPECT_REFUSED("\"UseCsvNoSupValue\": true, \"CsvNoSupValue\": \"\"", "target.CsvNoSupValue", "non-empty");
    EXPECT_REFUSED("\"CsvNoSupValue\": 3", "target.CsvNoSupValue", "string");
}

static void test_bucket_folder(void)
{
    struct lt_task_config cfg;
    CHECK_INT(parse_target("\"BucketFolder\": \"raw/shop/\"", &cfg), LT_OK);
    CHECK_STR(cfg.target.bucket_folder, "raw/shop");
    CHECK_STR(cfg.target.path, "/lake");
    CHECK_STR(cfg.state_path, "/lake/_state/t.db");
    CHECK_STR(cfg.merge.path, "/lake/_snapshots");
    lt_config_free(&cfg);
    CHECK_INT(parse_target("\"BucketFolder\": \"\"", &cfg), LT_OK);
    CHECK(cfg.target.bucket_folder == NULL);
    lt_config_free(&cfg);
    EXPECT_REFUSED("\"BucketFolder\": \"/abs\"", "target.BucketFolder", "relative");
    EXPECT_REFUSED("\"BucketFolder\": \"a/../../b\"", "target.BucketFolder", "\"..\"");
    EXPECT_REFUSED("\"BucketFolder\": \"..\"", "target.BucketFolder", "below");
    EXPECT_REFUSED("\"BucketFolder\": \"a/./b\"", "target.BucketFolder", "\".\"");
    EXPECT_REFUSED("\"BucketFolder\": \"a//b\"", "target.BucketFolder", "empty");
    EXPECT_REFUSED("\"BucketFolder\": \"a\\nb\"", "target.BucketFolder", "control");
    EXPECT_REFUSED("\"BucketFolder\": true", "target.BucketFolder", "string");
}

static void test_task_start_time(void)
{
    EXPECT_OK("\"UseTaskStartTimeForFullLoadTimestamp\": true, \"TimestampColumnName\": \"ts\"");
    EXPECT_OK("\"UseTaskStartTimeForFullLoadTimestamp\": false");
    EXPECT_REFUSED("\"TimestampColumnName\": \"ts\", \"UseTaskStartTimeForFullLoadTimestamp\": \"n\"",
                   "target.UseTaskStartTimeForFullLoadTimestamp", "snapshot");
}

static void test_did_you_mean(void)
{
    static const char *const names[] = {"CdcInsertsOnly", "CdcInsertsAndUpdates", "CdcPath", NULL};
    CHECK_STR(lt_closest_name("CdcInsertOnly", names), "CdcInsertsOnly");
    CHECK_STR(lt_closest_name("cdcinsertsandupdate", names), "CdcInsertsAndUpdates");
    CHECK(lt_closest_name("Compression", names) == NULL);
    char out[64];
    lt_did_you_mean("CdcPth", names, out, sizeof out);
    CHECK_STR(out, "; did you mean CdcPath?");
    lt_did_you_mean("zzzzzzzz", names, out, sizeof out);
    CHECK_STR(out, "");
    EXPECT_REFUSED("\"CdcInsertOnly\": true", "target.CdcInsertOnly: unknown key: did you mean CdcInsertsOnly?", NULL);
    EXPECT_REFUSED("\"DatePartitionEnable\": true", "did you mean DatePartitionEnabled?", NULL);
    EXPECT_REFUSED("\"MaxFullLoadSubTask\": 2", "did you mean MaxFullLoadSubTasks?", NULL);
    EXPECT_REFUSED("\"pth\": \"/x\"", "did you mean path?", NULL);
    EXPECT_REFUSED("\"SomethingElse\": 1", "target.SomethingElse: unknown key", NULL);
    struct lt_task_config cfg;
    CHECK(parse_target("\"SomethingElse\": 1", &cfg) == LT_ERR_CONFIG && !strstr(err.msg, "did you mean"));
    lt_config_free(&cfg);
    /* outside the target too */
    const char *json = "{\"task\": \"t\", \"migraton_type\": \"cdc\", \"source\": {\"engine\": \"postgres\","
                       " \"conninf\": \"x\"}, \"target\": {\"path\": \"/x\"}, \"table_mappings\": {\"rules\": []}}";
    lt_error_clear(&err);
    CHECK_INT(lt_config_parse(json, strlen(json), "/", &cfg, &err), LT_ERR_CONFIG);
    CHECK(strstr(err.msg, "migraton_type: unknown key: did you mean migration_type?") != NULL);
    lt_config_free(&cfg);
    json = "{\"task\": \"t\", \"source\": {\"engine\": \"postgres\", \"conninf\": \"x\"}, \"target\": {\"path\": \"/x\"},"
           " \"table_mappings\": {\"rules\": []}}";
    lt_error_clear(&err);
    CHECK_INT(lt_config_parse(json, strlen(json), "/", &cfg, &err), LT_ERR_CONFIG);
    CHECK(strstr(err.msg, "source.conninf: unknown key: did you mean conninfo?") != NULL);
    lt_config_free(&cfg);
}

/* The README's "Coming from DMS" table lists every setting of lt_dms_settings, once, with its status. */
static void test_readme_table(void)
{
    const char *src = getenv("LOGTAP_SOURCE_DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/README.md", src && *src ? src : "..");
    size_t len;
    char *text = (char *)unit_read_file(path, &len);
    if (!CHECK(text != NULL)) {
        fprintf(stderr, "  cannot read %s (set LOGTAP_SOURCE_DIR)\n", path);
        return;
    }
    /* the table under the header "| setting | logtap | notes |" of the section, up to its first non-table line */
    char *sec = strstr(text, "\n## Coming from DMS");
    CHECK(sec != NULL);
    sec = sec ? strstr(sec, "\n| setting | logtap | notes |") : NULL;
    CHECK(sec != NULL);
    char *end = sec ? strstr(sec + 1, "\n\n") : NULL;
    if (end)
        *end = '\0';
    int seen[64] = {0}, rows = 0;
    for (char *line = sec; line && *line;) {
        char *nl = strchr(line + 1, '\n');
        if (nl)
            *nl = '\0';
        char name[64], status[64];
        /* | `Name` | status | notes | */
        if (line[0] == '\n')
            line++;
        if (sscanf(line, "| `%63[A-Za-z0-9]` | %63[^|]|", name, status) == 2) {
            size_t n = strlen(status);
            while (n && status[n - 1] == ' ')
                status[--n] = '\0';
            rows++;
            const struct lt_dms_setting *d = lt_dms_setting_find(name);
            if (!CHECK(d != NULL)) {
                fprintf(stderr, "  README lists %s, which the parser's table does not\n", name);
            } else {
                int i = (int)(d - lt_dms_settings);
                if (!CHECK_STR(status, lt_dms_status_name(d->status)))
                    fprintf(stderr, "  for %s\n", name);
                if (!CHECK_INT(seen[i]++, 0))
                    fprintf(stderr, "  %s listed twice\n", name);
            }
        }
        line = nl ? nl + 1 : NULL;
    }
    for (const struct lt_dms_setting *d = lt_dms_settings; d->name; d++)
        if (!CHECK_INT(seen[d - lt_dms_settings], 1))
            fprintf(stderr, "  README's \"Coming from DMS\" table lacks %s\n", d->name);
    CHECK(rows >= 41);
    free(text);
}

int main(void)
{
    RUN(test_every_setting);
    RUN(test_defaults);
    RUN(test_op_column_rules);
    RUN(test_dms_booleans);
    RUN(test_date_partition_settings);
    RUN(test_preserve_transactions);
    RUN(test_nosup_value);
    RUN(test_bucket_folder);
    RUN(test_task_start_time);
    RUN(test_did_you_mean);
    RUN(test_readme_table);
    return unit_report();
}
