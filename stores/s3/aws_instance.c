/* Container and EC2 instance credentials (see aws_instance.h). */
#include "stores/s3/aws_instance.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "stores/s3/strbuf.h"

static size_t collect(char *data, size_t size, size_t n, void *arg)
{
    struct strbuf *b = arg;
    if (b->len + size * n > 64 * 1024)
        return 0; /* no credentials document is that long */
    sb_append(b, data, size * n);
    return size * n;
}

/* One HTTP request to the metadata service; the body goes to out. */
static int fetch(const char *method, const char *url, const char *header, struct strbuf *out, const char *what,
                 struct lt_error *err)
{
    CURL *h = curl_easy_init();
    if (!h)
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    struct curl_slist *headers = header ? curl_slist_append(NULL, header) : NULL;
    char errbuf[CURL_ERROR_SIZE] = "";
    sb_reset(out);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(h, CURLOPT_PROXY, ""); /* the metadata service is never behind a proxy */
    if (!strcmp(method, "PUT")) {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PUT");
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
    }
    if (headers)
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    CURLcode cc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(h);
    if (cc != CURLE_OK)
        return lt_fail(err, LT_ERR_RUNTIME, "%s: %s", what, errbuf[0] ? errbuf : curl_easy_strerror(cc));
    if (status != 200)
        return lt_fail(err, status == 401 || status == 403 || status == 404 ? LT_ERR_PERSISTENT : LT_ERR_RUNTIME,
                       "%s: HTTP %ld", what, status);
    if (out->oom)
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    return LT_OK;
}

static int64_t parse_iso8601_us(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
               &tm.tm_sec) != 6)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t)timegm(&tm) * 1000000;
}

int lt_aws_parse_instance_json(const char *json, size_t len, struct lt_aws_credentials *out, struct lt_error *err)
{
    cJSON *root = cJSON_ParseWithLength(json, len);
    if (!root)
        return lt_fail(err, LT_ERR_RUNTIME, "the instance credentials are not JSON");
    const cJSON *key = cJSON_GetObjectItemCaseSensitive(root, "AccessKeyId");
    const cJSON *secret = cJSON_GetObjectItemCaseSensitive(root, "SecretAccessKey");
    const cJSON *token = cJSON_GetObjectItemCaseSensitive(root, "Token");
    const cJSON *exp = cJSON_GetObjectItemCaseSensitive(root, "Expiration");
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(root, "Code");
    int rc = LT_OK;
    if (cJSON_IsString(code) && strcmp(code->valuestring, "Success") != 0)
        rc = lt_fail(err, LT_ERR_PERSISTENT, "the instance credentials are not available (Code %.64s)",
                     code->valuestring);
    else if (!cJSON_IsString(key) || !cJSON_IsString(secret) || strlen(key->valuestring) >= sizeof out->access_key_id ||
             strlen(secret->valuestring) >= sizeof out->secret_access_key ||
             (cJSON_IsString(token) && strlen(token->valuestring) >= sizeof out->session_token))
        rc = lt_fail(err, LT_ERR_RUNTIME, "the instance credentials lack AccessKeyId or SecretAccessKey");
    if (!rc) {
        snprintf(out->access_key_id, sizeof out->access_key_id, "%s", key->valuestring);
        snprintf(out->secret_access_key, sizeof out->secret_access_key, "%s", secret->valuestring);
        snprintf(out->session_token, sizeof out->session_token, "%s",
                 cJSON_IsString(token) ? token->valuestring : "");
        out->expires_us = cJSON_IsString(exp) ? parse_iso8601_us(exp->valuestring) : 0;
    }
    /* the parsed tree holds the secret: wipe it before it goes */
    if (cJSON_IsString(secret))
        OPENSSL_cleanse(secret->valuestring, strlen(secret->valuestring));
    if (cJSON_IsString(token))
        OPENSSL_cleanse(token->valuestring, strlen(token->valuestring));
    cJSON_Delete(root);
    return rc;
}

int lt_aws_instance_credentials(const struct lt_aws_config *cfg, struct lt_aws_credentials *out,
                                struct lt_error *err)
{
    struct strbuf body = {0};
    char url[1400], header[LT_AWS_TOKEN_MAX + 64];
    int rc;
    if (cfg->instance == LT_AWS_ECS) {
        if (cfg->instance_token[0])
            snprintf(header, sizeof header, "Authorization: %s", cfg->instance_token);
        rc = fetch("GET", cfg->instance_endpoint, cfg->instance_token[0] ? header : NULL, &body,
                   "the container credentials endpoint", err);
        if (!rc)
            rc = lt_aws_parse_instance_json(sb_str(&body), body.len, out, err);
        if (!rc)
            snprintf(out->source, sizeof out->source, "the container credentials endpoint");
    } else if (cfg->instance == LT_AWS_EC2) {
        char token[256] = "", role[256];
        snprintf(url, sizeof url, "%s/latest/api/token", cfg->instance_endpoint);
        rc = fetch("PUT", url, "X-aws-ec2-metadata-token-ttl-seconds: 21600", &body,
                   "the EC2 instance metadata service (IMDSv2 token)", err);
        if (!rc)
            snprintf(token, sizeof token, "%.255s", sb_str(&body));
        snprintf(header, sizeof header, "X-aws-ec2-metadata-token: %s", token);
        snprintf(url, sizeof url, "%s/latest/meta-data/iam/security-credentials/", cfg->instance_endpoint);
        if (!rc)
            rc = fetch("GET", url, header, &body, "the EC2 instance metadata service (role name)", err);
        if (!rc) {
            snprintf(role, sizeof role, "%.255s", sb_str(&body));
            role[strcspn(role, "\r\n")] = '\0';
            if (!role[0] || strchr(role, '/'))
                rc = lt_fail(err, LT_ERR_PERSISTENT, "the EC2 instance has no IAM role");
        }
        if (!rc) {
            snprintf(url, sizeof url, "%s/latest/meta-data/iam/security-credentials/%s", cfg->instance_endpoint, role);
            rc = fetch("GET", url, header, &body, "the EC2 instance metadata service (role credentials)", err);
        }
        if (!rc)
            rc = lt_aws_parse_instance_json(sb_str(&body), body.len, out, err);
        if (!rc)
            snprintf(out->source, sizeof out->source, "the EC2 instance role %s", role);
        OPENSSL_cleanse(token, sizeof token);
        OPENSSL_cleanse(header, sizeof header);
    } else {
        rc = lt_fail(err, LT_ERR_PERSISTENT, "no credentials");
    }
    if (body.s)
        OPENSSL_cleanse(body.s, body.cap);
    sb_free(&body);
    return rc;
}
