/* Where the S3 client's credentials, region and endpoint come from, as the AWS CLI and SDKs look for them:
 *   credentials: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN); else the profile (AWS_PROFILE, else
 *     "default") in the shared credentials file (AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials), then in the
 *     config file (AWS_CONFIG_FILE, else ~/.aws/config, section [profile NAME] or [default]); else the container's
 *     credentials (ECS: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI), else the EC2 instance's role (IMDSv2),
 *     both fetched by the S3 client (aws_instance.c);
 *   region: AWS_REGION, AWS_DEFAULT_REGION, the profile's region, else us-east-1;
 *   endpoint: the task's endpoint_url setting, else AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile's endpoint_url
 *     (the environment and the files are skipped when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true); else AWS itself.
 * Secrets are kept here and in the signer only: no message ever holds one. */
#ifndef LOGTAP_S3_AWS_CONFIG_H
#define LOGTAP_S3_AWS_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "agent/error.h"

#define LT_AWS_SECRET_MAX 256
#define LT_AWS_TOKEN_MAX 4096

struct lt_aws_credentials {
    char access_key_id[LT_AWS_SECRET_MAX];
    char secret_access_key[LT_AWS_SECRET_MAX];
    char session_token[LT_AWS_TOKEN_MAX];
    char source[512];         /* where they came from, for messages: "the environment", "profile x in FILE" */
    int64_t expires_us;       /* 0: they do not expire (static keys) */
};

enum lt_aws_instance_kind { LT_AWS_NO_INSTANCE, LT_AWS_ECS, LT_AWS_EC2 };

struct lt_aws_config {
    char profile[128];
    char region[64];
    char endpoint[1024];      /* "" for AWS */
    char ca_bundle[1024];     /* AWS_CA_BUNDLE, or the profile's ca_bundle */
    bool have_credentials;    /* static credentials found (else the instance provider) */
    struct lt_aws_credentials credentials;
    enum lt_aws_instance_kind instance;
    char instance_endpoint[1024];   /* ECS: the full credentials URI; EC2: the metadata service's base URL */
    char instance_token[LT_AWS_TOKEN_MAX]; /* ECS: the Authorization header's value, when one is configured */
};

/* Resolves everything from the environment and the AWS files; endpoint_override (the task's setting) may be NULL.
 * LT_ERR_CONFIG when a file cannot be parsed or the profile asks for what logtap does not do (SSO, assumed roles,
 * credential_process), naming the file, profile and key but never a value. */
int lt_aws_config_load(struct lt_aws_config *c, const char *endpoint_override, struct lt_error *err);

/* Overwrites the secrets in memory. */
void lt_aws_config_wipe(struct lt_aws_config *c);

#endif
