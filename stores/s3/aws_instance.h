/* Credentials of the machine logtap runs on, when none are configured: the ECS container's credentials endpoint
 * (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI, with AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE]), or the EC2
 * instance's role through the instance metadata service, IMDSv2 (a session token first, then the role's
 * credentials). They expire: the S3 client fetches them again before they do. */
#ifndef LOGTAP_S3_AWS_INSTANCE_H
#define LOGTAP_S3_AWS_INSTANCE_H

#include <stddef.h>

#include "agent/error.h"
#include "stores/s3/aws_config.h"

/* Fetches the credentials cfg->instance says where to find, into out. */
int lt_aws_instance_credentials(const struct lt_aws_config *cfg, struct lt_aws_credentials *out,
                                struct lt_error *err);

/* Parses the JSON both services answer with ({"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}). */
int lt_aws_parse_instance_json(const char *json, size_t len, struct lt_aws_credentials *out, struct lt_error *err);

#endif
