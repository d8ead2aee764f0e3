/* The AWS configuration chain of the S3 client (stores/s3/aws_config.c): environment over files, profiles in the
 * credentials and config files, region and endpoint precedence, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS, what logtap
 * refuses (assumed roles, SSO, credential_process, half a key pair), the instance providers, and no secret in any
 * message. Also the instance credentials' JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stores/s3/aws_config.h"
#include "stores/s3/aws_instance.h"
#include "unit.h"

static struct lt_error err;
static char dir[4096];

static const char *const vars[] = {
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
    "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "AWS_CA_BUNDLE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "AWS_EC2_METADATA_DISABLED",
    "AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_WEB_IDENTITY_TOKEN_FILE", NULL,
};

/* A clean environment whose AWS files are credentials and config in the test folder (written when not NULL). */
static void setup(const char *credentials, const char *config)
{
    for (int i = 0; vars[i]; i++)
        unsetenv(vars[i]);
    char path[4200];
    snprintf(path, sizeof path, "%s/credentials", dir);
    remove(path);
    if (credentials) {
        FILE *f = fopen(path, "w");
        fputs(credentials, f);
        fclose(f);
    }
    setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
    snprintf(path, sizeof path, "%s/config", dir);
    remove(path);
    if (config) {
        FILE *f = fopen(path, "w");
        fputs(config, f);
        fclose(f);
    }
    setenv("AWS_CONFIG_FILE", path, 1);
    lt_error_clear(&err);
}

static void test_environment_first(void)
{
    setup("[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = filesecret\n", "[default]\nregion = eu-west-3\n");
    setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
    setenv("AWS_SESSION_TOKEN", "envtoken", 1);
    struct lt_aws_config c;
    CHECK_INT(lt_aws_config_load(&c, NULL, &err), LT_OK);
    CHECK_STR(c.credentials.access_key_id, "ENVKEY");
    CHECK_STR(c.credentials.secret_access_key, "envsecret");
    CHECK_STR(c.credentials.session_token, "envtoken");
    CHECK_STR(c.credentials.source, "the environment (AWS_ACCESS_KEY_ID)");
    CHECK_STR(c.region, "eu-west-3"); /* the profile's region still counts */
    CHECK_STR(c.endpoint, "");
    setenv("AWS_DEFAULT_REGION", "us-west-2", 1);
    CHECK_INT(lt_aws_config_load(&c, NULL, &err), LT_OK);
    CHECK_STR(c.region, "us-west-2");
    setenv("AWS_REGION", "ap-south-1", 1);
    CHECK_INT(lt_aws_config_load(&c, NULL, &err), LT_OK);
    CHECK_STR(c.region, "ap-south-1");
    /* half a key pair is an error that names what is missing, never a value */
    unsetenv("AWS_SECRET_ACCESS_KEY");
    CHECK_INT(lt_aws_config_load(&c, NULL, &err), LT_ERR_CONFIG);
    CHECK(strstr(err.msg, "AWS_SECRET_ACCESS_KEY") != NULL);
    CHECK(strstr(err.msg, "ENVKEY") == NULL);
}

static void test_profiles(void)
{
    setup("# comment\n[default]\naws_access_key_id = DEFKEY\naws_secret_access_key = defsecret\n\n"
          "[work]\naws_access_key_id=WORKKEY  \naws_secret_access_key= worksecret\naws_session_token = worktoken\n",
          "[default]\nregion = us-east-2\n[profile work]\nregion = eu-central-1\nendpoint_url = http://minio.local:9000/\n"
          "s3 =\n  addressing_style = path\n[profile other]\naws_access_key_id = CFGKEY\naws_secret_access_key = cfgsecret\n"
          "ca_bundle = /etc/ssl/x.pem\n");
    struct lt_aws_config c;
    CHECK_INT(lt_aws_config_load(&c, NULL, &err), LT_OK);
    CHECK_STR(c.profile, "default");
    CHECK_STR(c.credentials.access_key_id, "DEFKEY");
    CHECK_STR(c.region, "us-east-2");
    CHECK(strstr(c.credentials.source, "profile default in ") != NULL);
    CHECK(strstr(c.credentials.source, "/credentials") != NULL);
    setenv("AWS_PROFILE", "work", 1);
    CHECK_INT(lt_aws_config_load(&c, NULL, &err), LT_OK);
    CHECK_STR(c.credentials.access_key_id, "WORKKEY");
    CHECK_STR(c.credentials.secret_access_key, "worksecret");
    CHECK_STR(c.credentials.session_token, "worktoken");
    CHECK_STR(c.region, "eu-central-1");
    CHECK_STR(c.endpoint, "http://minio.local:9000"); /* the trailing slash goes */
    /* the environment's endpoints come before the profile's, the task's setting before all */
    setenv("AWS_ENDPOINT_URL", "http://generic:1", 1);
    CHECK_INT(lt_aws_config_load(&c, NULL, &err), LT_OK);
    CHECK_STR(c.endpoint, "http://generic:1");
    setenv("AWS_ENDPOINT_URL_S3", "https://s3-only:2", 1);
    CHECK_INT(lt_aws_config_load(&c, NULL, &err), LT_OK);
    CHECK_STR(c.endpoint, "https://s3-only:2");
    CHECK_INT(lt_aws_config_load(&c, "http://task:3", &err), LT_OK);
    CHECK_STR(c.endpoint, "http://task:3");
    setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true", 1);
    CHECK_INT(lt_aws_config_load(&c, NULL, &err), LT_OK);
    CHECK_STR(c.endpoint, "");
    CHECK_INT(lt_aws_config_load(&c, "http://task:3", &err), LT_OK);
    CHECK_STR(c.endpoint, "http://task:3");
    /* keys in the config file's profile */
    setenv("AWS_PROFILE", "other", 1);
    CHECK_INT(lt_aws_config_load(&c, NULL, &err), LT_OK);
    CHECK_STR(c.credentials.access_key_id, "CFGKEY");
    CHECK_STR(c.ca_bundle, "/etc/ssl/x.pem");
    CHECK(strstr(c.credentials.source, "/config") != NULL);
    /* a profile nowhere */
    setenv("AWS_PROFILE", "nosuch", 1);
    CHECK_INT(lt_aws_config_load(&c, NULL, &err), LT_ERR_CONFIG);
    CHECK(strstr(err.msg, "\"nosuch\"") != NULL);
}

static void test_refused(void)
{
    struct lt_aws_config c;
    setup(NULL, "[profile sso]\nsso_session = corp\nregion = us-east-1\n[profile role]\nrole_arn = arn:aws:iam::1:role/r\n"
                "source_profile = default\n[profile half]\naws_access_key_id = HALFKEY\n");
    setenv("AWS_PROFILE", "sso", 1);
    CHECK_INT(lt_aws_config_load(&c, NULL, &err), LT_ERR_CONFIG);
    CHECK(strstr(err.msg, "sso_session") != NULL);
    setenv("AWS_PROFILE", "role", 1);
    CHECK_INT(lt_aws_config_load(&c, NULL, &err), LT_ERR_CONFIG);
    CHECK(strstr(err.msg, "role_arn") != NULL);
    setenv("AWS_PROFILE", "half", 1);
    CHECK_INT(lt_aws_config_load(&c, NULL, &err), LT_ERR_CONFIG);
    CHECK(strstr(err.msg, "aws_secret_access_key") != NULL);
    CHECK(strstr(err.msg, "HALFKEY") == NULL);
    setup(NULL, NULL);
    setenv("AWS_REGION", "us east", 1);
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    CHECK_INT(lt_aws_config_load(&c, NULL, &err), LT_ERR_CONFIG);
    CHECK(strstr(err.msg, "AWS_REGION") != NULL);
    setup(NULL, NULL);
    setenv("AWS_ENDPOINT_URL_S3", "ftp://x", 1);
    CHECK_INT(lt_aws_config_load(&c, NULL, &err), LT_ERR_CONFIG);
    CHECK(strstr(err.msg, "AWS_ENDPOINT_URL_S3") != NULL);
    setup("[default]\naws_access_key_id\n", NULL);
    CHECK_INT(lt_aws_config_load(&c, NULL, &err), LT_ERR_CONFIG);
    CHECK(strstr(err.msg, "line 2") != NULL);
}

static void test_instance_providers(void)
{
    struct lt_aws_config c;
    setup(NULL, NULL);
    CHECK_INT(lt_aws_config_load(&c, NULL, &err), LT_OK);
    CHECK(!c.have_credentials);
    CHECK_INT(c.instance, LT_AWS_EC2);
    CHECK_STR(c.instance_endpoint, "http://169.254.169.254");
    CHECK_STR(c.region, "us-east-1");
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:8111/", 1);
    CHECK_INT(lt_aws_config_load(&c, NULL, &err), LT_OK);
    CHECK_STR(c.instance_endpoint, "http://127.0.0.1:8111");
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    CHECK_INT(lt_aws_config_load(&c, NULL, &err), LT_OK);
    CHECK_INT(c.instance, LT_AWS_NO_INSTANCE);
    setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/abc", 1);
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "Bearer t0k", 1);
    CHECK_INT(lt_aws_config_load(&c, NULL, &err), LT_OK);
    CHECK_INT(c.instance, LT_AWS_ECS);
    CHECK_STR(c.instance_endpoint, "http://169.254.170.2/v2/credentials/abc");
    CHECK_STR(c.instance_token, "Bearer t0k");
    setenv("AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/token", 1);
    unsetenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    CHECK_INT(lt_aws_config_load(&c, NULL, &err), LT_ERR_CONFIG);
    CHECK(strstr(err.msg, "AWS_WEB_IDENTITY_TOKEN_FILE") != NULL);
}

static void test_instance_json(void)
{
    struct lt_aws_credentials cr;
    const char *ok = "{\"Code\": \"Success\", \"Type\": \"AWS-HMAC\", \"AccessKeyId\": \"ASIAKEY\", "
                     "\"SecretAccessKey\": \"s3cr3t\", \"Token\": \"tok\", \"Expiration\": \"2030-01-02T03:04:05Z\"}";
    CHECK_INT(lt_aws_parse_instance_json(ok, strlen(ok), &cr, &err), LT_OK);
    CHECK_STR(cr.access_key_id, "ASIAKEY");
    CHECK_STR(cr.secret_access_key, "s3cr3t");
    CHECK_STR(cr.session_token, "tok");
    CHECK_INT(cr.expires_us, 1893553445LL * 1000000);
    const char *failed = "{\"Code\": \"AssumeRoleUnauthorizedAccess\"}";
    CHECK_INT(lt_aws_parse_instance_json(failed, strlen(failed), &cr, &err), LT_ERR_PERSISTENT);
    CHECK(strstr(err.msg, "AssumeRoleUnauthorizedAccess") != NULL);
    const char *half = "{\"AccessKeyId\": \"K\"}";
    CHECK_INT(lt_aws_parse_instance_json(half, strlen(half), &cr, &err), LT_ERR_RUNTIME);
    CHECK_INT(lt_aws_parse_instance_json("nope", 4, &cr, &err), LT_ERR_RUNTIME);
}

int main(void)
{
    snprintf(dir, sizeof dir, "%s", unit_tmpdir("aws_config"));
    RUN(test_environment_first);
    RUN(test_profiles);
    RUN(test_refused);
    RUN(test_instance_providers);
    RUN(test_instance_json);
    return unit_report();
}
