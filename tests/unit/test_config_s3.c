/* Task configs with an object-store target or merge path: s3:// URIs and DMS's BucketName, the state store kept
 * local, endpoint_url, and malformed URIs refused (exit 2) before anything runs. */
#include <stdio.h>
#include <string.h>

#include "agent/config.h"
#include "unit.h"

static struct lt_error err;

#define SOURCE "\"source\": {\"engine\": \"postgres\", \"conninfo\": \"dbname=x\"}"
#define RULES                                                                                                          \
    "\"table_mappings\": {\"rules\": [{\"rule-type\": \"selection\", \"rule-id\": \"1\", \"rule-name\": \"1\","        \
    " \"object-locator\": {\"schema-name\": \"%\", \"table-name\": \"%\"}, \"rule-action\": \"include\"}]}"

static int parse(const char *target, const char *extra, struct lt_task_config *cfg)
{
    char json[4096];
    snprintf(json, sizeof json, "{\"task\": \"t\", %s, \"target\": %s, %s%s%s}", SOURCE, target, RULES,
             extra ? ", " : "", extra ? extra : "");
    lt_error_clear(&err);
    return lt_config_parse(json, strlen(json), "/etc/logtap", cfg, &err);
}

static void expect_error(const char *target, const char *extra, const char *frag, int line)
{
    struct lt_task_config cfg;
    int rc = parse(target, extra, &cfg);
    unit_check_int(rc, LT_ERR_CONFIG, "config error", __FILE__, line);
    if (!unit_check(strstr(err.msg, frag) != NULL, "message", __FILE__, line))
        fprintf(stderr, "  message \"%s\" lacks \"%s\"\n", err.msg, frag);
    lt_config_free(&cfg);
}
#define EXPECT_ERROR(t, e, f) expect_error((t), (e), (f), __LINE__)

static void test_s3_target(void)
{
    struct lt_task_config cfg;
    CHECK_INT(parse("{\"path\": \"s3://my-bucket/lake/\", \"endpoint_url\": \"http://127.0.0.1:9000\"}",
                    "\"state\": \"state/t.db\"", &cfg),
              LT_OK);
    CHECK_STR(cfg.target.path, "s3://my-bucket/lake/"); /* a URI is not resolved against the config's folder */
    CHECK_STR(cfg.target.endpoint_url, "http://127.0.0.1:9000");
    CHECK_STR(cfg.state_path, "/etc/logtap/state/t.db");
    CHECK_STR(cfg.merge.path, "s3://my-bucket/lake/_snapshots");
    lt_config_free(&cfg);
    /* a local merge path beside an s3:// target, and the other way round */
    CHECK_INT(parse("{\"path\": \"s3://b-1\"}", "\"state\": \"/s/t.db\", \"merge\": {\"path\": \"snap\"}", &cfg),
              LT_OK);
    CHECK_STR(cfg.merge.path, "/etc/logtap/snap");
    lt_config_free(&cfg);
    CHECK_INT(parse("{\"path\": \"lake\", \"endpoint_url\": \"https://s3.example.com\"}",
                    "\"merge\": {\"path\": \"s3://b-1/snap\"}", &cfg),
              LT_OK);
    CHECK_STR(cfg.target.path, "/etc/logtap/lake");
    CHECK_STR(cfg.merge.path, "s3://b-1/snap");
    lt_config_free(&cfg);
}

static void test_bucket_name(void)
{
    struct lt_task_config cfg;
    /* DMS's BucketName alone names the bucket's root */
    CHECK_INT(parse("{\"BucketName\": \"dms-bucket\"}", "\"state\": \"t.db\"", &cfg), LT_OK);
    CHECK_STR(cfg.target.path, "s3://dms-bucket");
    lt_config_free(&cfg);
    /* with a path, it must name the same bucket */
    CHECK_INT(parse("{\"BucketName\": \"b-1\", \"path\": \"s3://b-1/x\"}", "\"state\": \"t.db\"", &cfg), LT_OK);
    lt_config_free(&cfg);
    EXPECT_ERROR("{\"BucketName\": \"b-1\", \"path\": \"s3://b-12/x\"}", "\"state\": \"t.db\"", "target.BucketName");
    /* with a local path it is about S3 only: ignored, as DMS's other S3-only settings */
    CHECK_INT(parse("{\"BucketName\": \"b-1\", \"path\": \"/lake\"}", NULL, &cfg), LT_OK);
    CHECK_STR(cfg.target.path, "/lake");
    lt_config_free(&cfg);
    /* BucketFolder is the folder below the bucket, as DMS lays objects out */
    CHECK_INT(parse("{\"BucketName\": \"b-1\", \"BucketFolder\": \"raw/shop/\"}", "\"state\": \"t.db\"", &cfg), LT_OK);
    CHECK_STR(cfg.target.path, "s3://b-1");
    CHECK_STR(cfg.target.bucket_folder, "raw/shop");
    lt_config_free(&cfg);
    EXPECT_ERROR("{\"BucketName\": \"\"}", "\"state\": \"t.db\"", "target.BucketName");
}

static void test_state_stays_local(void)
{
    EXPECT_ERROR("{\"path\": \"s3://b-1/x\"}", NULL, "state: missing required field");
    EXPECT_ERROR("{\"path\": \"/lake\"}", "\"state\": \"s3://b-1/state.db\"", "state: must be a local file");
}

static void test_bad_uris(void)
{
    EXPECT_ERROR("{\"path\": \"gs://b/x\"}", "\"state\": \"t.db\"", "target.path");
    EXPECT_ERROR("{\"path\": \"s3://\"}", "\"state\": \"t.db\"", "bucket name");
    EXPECT_ERROR("{\"path\": \"s3:///x\"}", "\"state\": \"t.db\"", "bucket name");
    EXPECT_ERROR("{\"path\": \"s3://b-1/a//b\"}", "\"state\": \"t.db\"", "empty folder name");
    EXPECT_ERROR("{\"path\": \"s3://b-1/a/../b\"}", "\"state\": \"t.db\"", "\"..\" folder");
    EXPECT_ERROR("{\"path\": \"/lake\"}", "\"merge\": {\"path\": \"s3://b-1/./s\"}", "merge.path");
    EXPECT_ERROR("{\"path\": \"/lake\", \"endpoint_url\": \"http://x\"}", NULL, "target.endpoint_url");
    EXPECT_ERROR("{\"path\": \"s3://b-1\", \"endpoint_url\": 5}", "\"state\": \"t.db\"", "target.endpoint_url");
}

int main(void)
{
    RUN(test_s3_target);
    RUN(test_bucket_name);
    RUN(test_state_stays_local);
    RUN(test_bad_uris);
    return unit_report();
}
