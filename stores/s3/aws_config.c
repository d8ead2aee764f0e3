/* The AWS CLI's and SDKs' configuration chain for the S3 client (see aws_config.h). */
#include "stores/s3/aws_config.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static bool env_true(const char *name)
{
    const char *v = env(name);
    return v && !strcasecmp(v, "true");
}

/* The values of one profile that logtap reads, from one file. */
struct profile_values {
    bool found;               /* the file has the profile's section */
    char access_key_id[LT_AWS_SECRET_MAX];
    char secret_access_key[LT_AWS_SECRET_MAX];
    char session_token[LT_AWS_TOKEN_MAX];
    char region[64];
    char endpoint[1024];
    char ca_bundle[1024];
    char unsupported[64];     /* the first key asking for a way to get credentials logtap does not have */
};

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

/* Whether a section header names the profile: "[name]" in the credentials file; "[profile name]" (or "[default]")
 * in the config file. */
static bool section_is(const char *section, const char *profile, bool config_file)
{
    if (!config_file)
        return strcmp(section, profile) == 0;
    if (!strcmp(profile, "default") && !strcmp(section, "default"))
        return true;
    if (strncmp(section, "profile", 7) != 0 || !isspace((unsigned char)section[7]))
        return false;
    const char *name = section + 8;
    while (isspace((unsigned char)*name))
        name++;
    return strcmp(name, profile) == 0;
}

static int copy_value(char *dst, size_t n, const char *value, const char *file, const char *profile, const char *key,
                      struct lt_error *err)
{
    if (strlen(value) >= n)
        return lt_fail(err, LT_ERR_CONFIG, "%s: profile %s: %s is too long", file, profile, key);
    snprintf(dst, n, "%s", value);
    return LT_OK;
}

/* Reads the profile's values from an INI file; a missing file is no error (found stays false). */
static int read_profile(const char *file, const char *profile, bool config_file, struct profile_values *v,
                        struct lt_error *err)
{
    memset(v, 0, sizeof *v);
    FILE *f = fopen(file, "r");
    if (!f)
        return errno == ENOENT || errno == ENOTDIR ? LT_OK
                                                   : lt_fail(err, LT_ERR_CONFIG, "cannot read %s: %s", file,
                                                             strerror(errno));
    char line[8192];
    bool in = false;
    int rc = LT_OK, lineno = 0;
    while (!rc && fgets(line, sizeof line, f)) {
        lineno++;
        if (line[0] == ' ' || line[0] == '\t')
            continue; /* a sub-setting ("s3 =" then indented keys): none that logtap reads */
        char *s = trim(line);
        if (!*s || *s == '#' || *s == ';')
            continue;
        if (*s == '[') {
            char *end = strchr(s, ']');
            if (!end) {
                rc = lt_fail(err, LT_ERR_CONFIG, "%s line %d: a section header without ']'", file, lineno);
                break;
            }
            *end = '\0';
            in = section_is(trim(s + 1), profile, config_file);
            v->found |= in;
            continue;
        }
        if (!in)
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            rc = lt_fail(err, LT_ERR_CONFIG, "%s line %d (profile %s): expected key = value", file, lineno, profile);
            break;
        }
        *eq = '\0';
        char *key = trim(s), *value = trim(eq + 1);
        for (char *c = key; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        if (!strcmp(key, "aws_access_key_id"))
            rc = copy_value(v->access_key_id, sizeof v->access_key_id, value, file, profile, key, err);
        else if (!strcmp(key, "aws_secret_access_key"))
            rc = copy_value(v->secret_access_key, sizeof v->secret_access_key, value, file, profile, key, err);
        else if (!strcmp(key, "aws_session_token"))
            rc = copy_value(v->session_token, sizeof v->session_token, value, file, profile, key, err);
        else if (!strcmp(key, "region"))
            rc = copy_value(v->region, sizeof v->region, value, file, profile, key, err);
        else if (!strcmp(key, "endpoint_url"))
            rc = copy_value(v->endpoint, sizeof v->endpoint, value, file, profile, key, err);
        else if (!strcmp(key, "ca_bundle"))
            rc = copy_value(v->ca_bundle, sizeof v->ca_bundle, value, file, profile, key, err);
        else if (!v->unsupported[0] &&
                 (!strcmp(key, "role_arn") || !strcmp(key, "credential_process") || !strcmp(key, "sso_session") ||
                  !strcmp(key, "sso_start_url") || !strcmp(key, "web_identity_token_file")))
            snprintf(v->unsupported, sizeof v->unsupported, "%s", key);
    }
    OPENSSL_cleanse(line, sizeof line);
    fclose(f);
    return rc;
}

static void home_file(char *out, size_t n, const char *override_env, const char *name)
{
    const char *o = env(override_env);
    if (o) {
        snprintf(out, n, "%s", o);
        return;
    }
    const char *home = env("HOME");
    snprintf(out, n, "%s/.aws/%s", home ? home : "", name);
}

static int check_region(const char *region, const char *from, struct lt_error *err)
{
    if (!*region || strlen(region) > 40)
        return lt_fail(err, LT_ERR_CONFIG, "%s: the region must be 1 to 40 characters", from);
    for (const char *p = region; *p; p++)
        if (!(isalnum((unsigned char)*p) || *p == '-'))
            return lt_fail(err, LT_ERR_CONFIG, "%s: the region \"%s\" may hold only letters, digits and '-'", from,
                           region);
    return LT_OK;
}

static int check_endpoint(const char *url, const char *from, struct lt_error *err)
{
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
        return lt_fail(err, LT_ERR_CONFIG, "%s: the endpoint URL must start with http:// or https://", from);
    const char *host = strstr(url, "://") + 3;
    if (!*host || *host == '/')
        return lt_fail(err, LT_ERR_CONFIG, "%s: the endpoint URL has no host", from);
    if (strchr(host, '?') || strchr(host, '#') || strchr(host, '@'))
        return lt_fail(err, LT_ERR_CONFIG, "%s: the endpoint URL must be scheme://host[:port][/path]", from);
    for (const char *p = url; *p; p++)
        if ((unsigned char)*p <= ' ')
            return lt_fail(err, LT_ERR_CONFIG, "%s: the endpoint URL holds a space or a control character", from);
    return LT_OK;
}

/* The instance credential providers, when no static credentials were found. */
static int pick_instance_provider(struct lt_aws_config *c, struct lt_error *err)
{
    const char *rel = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    const char *full = env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    if (rel || full) {
        c->instance = LT_AWS_ECS;
        if (rel)
            snprintf(c->instance_endpoint, sizeof c->instance_endpoint, "http://169.254.170.2%s%s",
                     rel[0] == '/' ? "" : "/", rel);
        else
            snprintf(c->instance_endpoint, sizeof c->instance_endpoint, "%s", full);
        const char *token_file = env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
        const char *token = env("AWS_CONTAINER_AUTHORIZATION_TOKEN");
        if (token_file) {
            FILE *f = fopen(token_file, "r");
            if (!f)
                return lt_fail(err, LT_ERR_CONFIG, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: cannot read %s: %s",
                               token_file, strerror(errno));
            size_t n = fread(c->instance_token, 1, sizeof c->instance_token - 1, f);
            fclose(f);
            c->instance_token[n] = '\0';
            snprintf(c->instance_token, sizeof c->instance_token, "%s", trim(c->instance_token));
        } else if (token) {
            snprintf(c->instance_token, sizeof c->instance_token, "%s", token);
        }
        return check_endpoint(c->instance_endpoint, "the container credentials URI", err);
    }
    if (env_true("AWS_EC2_METADATA_DISABLED")) {
        c->instance = LT_AWS_NO_INSTANCE;
        return LT_OK;
    }
    c->instance = LT_AWS_EC2;
    const char *ep = env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    snprintf(c->instance_endpoint, sizeof c->instance_endpoint, "%s", ep ? ep : "http://169.254.169.254");
    size_t n = strlen(c->instance_endpoint);
    if (n && c->instance_endpoint[n - 1] == '/')
        c->instance_endpoint[n - 1] = '\0';
    return check_endpoint(c->instance_endpoint, "AWS_EC2_METADATA_SERVICE_ENDPOINT", err);
}

int lt_aws_config_load(struct lt_aws_config *c, const char *endpoint_override, struct lt_error *err)
{
    memset(c, 0, sizeof *c);
    const char *profile = env("AWS_PROFILE");
    if (!profile)
        profile = env("AWS_DEFAULT_PROFILE");
    snprintf(c->profile, sizeof c->profile, "%s", profile ? profile : "default");
    bool profile_named = profile != NULL;
    char cred_file[1024], config_file[1024];
    home_file(cred_file, sizeof cred_file, "AWS_SHARED_CREDENTIALS_FILE", "credentials");
    home_file(config_file, sizeof config_file, "AWS_CONFIG_FILE", "config");
    struct profile_values *cv = malloc(sizeof *cv), *fv = malloc(sizeof *fv);
    int rc = LT_OK;
    if (!cv || !fv) {
        rc = lt_fail(err, LT_ERR_RUNTIME, "out of memory");
        goto out;
    }
    if ((rc = read_profile(cred_file, c->profile, false, cv, err)) ||
        (rc = read_profile(config_file, c->profile, true, fv, err)))
        goto out;
    if (profile_named && !cv->found && !fv->found) {
        rc = lt_fail(err, LT_ERR_CONFIG, "AWS_PROFILE: the profile \"%s\" is in neither %s nor %s", c->profile,
                     cred_file, config_file);
        goto out;
    }

    /* credentials */
    const char *key = env("AWS_ACCESS_KEY_ID"), *secret = env("AWS_SECRET_ACCESS_KEY");
    struct lt_aws_credentials *cr = &c->credentials;
    if (key || secret) {
        if (!key || !secret) {
            rc = lt_fail(err, LT_ERR_CONFIG, "%s is set but %s is not: set both (or neither, to use a profile)",
                         key ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                         key ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
            goto out;
        }
        const char *token = env("AWS_SESSION_TOKEN");
        if (strlen(key) >= sizeof cr->access_key_id || strlen(secret) >= sizeof cr->secret_access_key ||
            (token && strlen(token) >= sizeof cr->session_token)) {
            rc = lt_fail(err, LT_ERR_CONFIG, "the AWS credentials in the environment are too long");
            goto out;
        }
        snprintf(cr->access_key_id, sizeof cr->access_key_id, "%s", key);
        snprintf(cr->secret_access_key, sizeof cr->secret_access_key, "%s", secret);
        snprintf(cr->session_token, sizeof cr->session_token, "%s", token ? token : "");
        snprintf(cr->source, sizeof cr->source, "the environment (AWS_ACCESS_KEY_ID)");
        c->have_credentials = true;
    } else {
        const struct profile_values *v = cv->access_key_id[0] || cv->secret_access_key[0] ? cv
                                         : fv->access_key_id[0] || fv->secret_access_key[0] ? fv
                                                                                             : NULL;
        const char *file = v == cv ? cred_file : config_file;
        if (v) {
            if (!v->access_key_id[0] || !v->secret_access_key[0]) {
                rc = lt_fail(err, LT_ERR_CONFIG, "%s: profile %s has %s but not %s", file, c->profile,
                             v->access_key_id[0] ? "aws_access_key_id" : "aws_secret_access_key",
                             v->access_key_id[0] ? "aws_secret_access_key" : "aws_access_key_id");
                goto out;
            }
            memcpy(cr->access_key_id, v->access_key_id, sizeof cr->access_key_id);
            memcpy(cr->secret_access_key, v->secret_access_key, sizeof cr->secret_access_key);
            memcpy(cr->session_token, v->session_token, sizeof cr->session_token);
            snprintf(cr->source, sizeof cr->source, "profile %s in %s", c->profile, file);
            c->have_credentials = true;
        } else if (cv->unsupported[0] || fv->unsupported[0]) {
            rc = lt_fail(err, LT_ERR_CONFIG,
                         "%s: profile %s gets its credentials with %s, which logtap does not do (it reads static keys, "
                         "the environment, or the container's or EC2 instance's role): give the profile "
                         "aws_access_key_id and aws_secret_access_key, or export temporary credentials "
                         "(`aws configure export-credentials --format env`)",
                         cv->unsupported[0] ? cred_file : config_file, c->profile,
                         cv->unsupported[0] ? cv->unsupported : fv->unsupported);
            goto out;
        } else if (env("AWS_WEB_IDENTITY_TOKEN_FILE")) {
            rc = lt_fail(err, LT_ERR_CONFIG,
                         "AWS_WEB_IDENTITY_TOKEN_FILE is set (web identity, e.g. EKS service accounts), which logtap "
                         "does not do: give static keys or export temporary credentials");
            goto out;
        } else if ((rc = pick_instance_provider(c, err))) {
            goto out;
        }
    }

    /* region */
    const char *region = env("AWS_REGION");
    const char *region_from = "AWS_REGION";
    if (!region) {
        region = env("AWS_DEFAULT_REGION");
        region_from = "AWS_DEFAULT_REGION";
    }
    if (!region && fv->region[0]) {
        region = fv->region;
        region_from = config_file;
    }
    if (!region && cv->region[0]) {
        region = cv->region;
        region_from = cred_file;
    }
    snprintf(c->region, sizeof c->region, "%s", region ? region : "us-east-1");
    if ((rc = check_region(c->region, region_from, err)))
        goto out;

    /* endpoint */
    const char *ep = endpoint_override && *endpoint_override ? endpoint_override : NULL;
    const char *ep_from = "target.endpoint_url";
    if (!ep && !env_true("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")) {
        if ((ep = env("AWS_ENDPOINT_URL_S3")))
            ep_from = "AWS_ENDPOINT_URL_S3";
        else if ((ep = env("AWS_ENDPOINT_URL")))
            ep_from = "AWS_ENDPOINT_URL";
        else if (fv->endpoint[0]) {
            ep = fv->endpoint;
            ep_from = config_file;
        }
    }
    if (ep) {
        if (strlen(ep) >= sizeof c->endpoint) {
            rc = lt_fail(err, LT_ERR_CONFIG, "%s: the endpoint URL is too long", ep_from);
            goto out;
        }
        snprintf(c->endpoint, sizeof c->endpoint, "%s", ep);
        size_t n = strlen(c->endpoint);
        while (n && c->endpoint[n - 1] == '/')
            c->endpoint[--n] = '\0';
        if ((rc = check_endpoint(c->endpoint, ep_from, err)))
            goto out;
    }
    const char *ca = env("AWS_CA_BUNDLE");
    snprintf(c->ca_bundle, sizeof c->ca_bundle, "%s", ca ? ca : fv->ca_bundle);
out:
    if (cv)
        OPENSSL_cleanse(cv, sizeof *cv);
    if (fv)
        OPENSSL_cleanse(fv, sizeof *fv);
    free(cv);
    free(fv);
    if (rc)
        lt_aws_config_wipe(c);
    return rc;
}

void lt_aws_config_wipe(struct lt_aws_config *c)
{
    OPENSSL_cleanse(&c->credentials, sizeof c->credentials);
    OPENSSL_cleanse(c->instance_token, sizeof c->instance_token);
}
