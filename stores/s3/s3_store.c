/* The s3:// object-store plug-in (agent/object_store.h) over the S3 client: "s3://BUCKET/PREFIX" holds each file at
 * "PREFIX/<relative path>". Every operation is one or a few S3 requests (s3_client.c); nothing is cached, so
 * several processes of one task (replicate and merge) share a bucket safely. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/object_store.h"
#include "stores/s3/s3_client.h"
#include "stores/s3/strbuf.h"

#define PREFIX_MAX 900

struct lt_store {
    struct lt_s3_client *client;
    void (*on_retry)(const char *msg);
    char bucket[64];
    char prefix[PREFIX_MAX + 2]; /* "" or "folder/sub/" (with the slash) */
};

/* Splits "s3://bucket/pre/fix/" into bucket and "pre/fix/" (LT_ERR_CONFIG when malformed). */
static int parse_uri(const char *uri, char bucket[64], char prefix[PREFIX_MAX + 2], struct lt_error *err)
{
    if (strncmp(uri, "s3://", 5) != 0)
        return lt_fail(err, LT_ERR_CONFIG, "\"%s\" is not an s3:// URI", uri);
    const char *b = uri + 5;
    const char *slash = strchr(b, '/');
    size_t blen = slash ? (size_t)(slash - b) : strlen(b);
    if (blen == 0 || blen > 63)
        return lt_fail(err, LT_ERR_CONFIG, "%s: the bucket name must be 1 to 63 characters (s3://BUCKET/PREFIX)", uri);
    memcpy(bucket, b, blen);
    bucket[blen] = '\0';
    const char *p = slash ? slash + 1 : "";
    size_t n = strlen(p);
    while (n && p[n - 1] == '/')
        n--;
    if (n > PREFIX_MAX)
        return lt_fail(err, LT_ERR_CONFIG, "%s: the prefix is longer than %d bytes", uri, PREFIX_MAX);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && p[j] != '/')
            j++;
        size_t len = j - i;
        if (len == 0)
            return lt_fail(err, LT_ERR_CONFIG, "%s: the prefix has an empty folder name (\"//\")", uri);
        if ((len == 1 && p[i] == '.') || (len == 2 && p[i] == '.' && p[i + 1] == '.'))
            return lt_fail(err, LT_ERR_CONFIG, "%s: the prefix has a \"%.*s\" folder", uri, (int)len, p + i);
        i = j + 1;
    }
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
            return lt_fail(err, LT_ERR_CONFIG, "%s: the prefix has a control character", uri);
    snprintf(prefix, PREFIX_MAX + 2, "%.*s%s", (int)n, p, n ? "/" : "");
    return LT_OK;
}

static int s3_check_uri(const char *uri, struct lt_error *err)
{
    char bucket[64], prefix[PREFIX_MAX + 2];
    return parse_uri(uri, bucket, prefix, err);
}

static void tell_retry(void *ctx, const char *msg)
{
    struct lt_store *st = ctx;
    st->on_retry(msg);
}

static int s3_open(struct lt_store **out, const char *uri, const struct lt_store_options *opt, struct lt_error *err)
{
    *out = NULL;
    struct lt_store *st = calloc(1, sizeof *st);
    if (!st)
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    int rc = parse_uri(uri, st->bucket, st->prefix, err);
    if (!rc) {
        struct lt_s3_client_options co = {.bucket = st->bucket, .endpoint_url = opt ? opt->endpoint_url : NULL};
        if (opt && opt->on_retry) {
            st->on_retry = opt->on_retry;
            co.on_retry = tell_retry;
            co.retry_ctx = st;
        }
        rc = lt_s3_client_open(&st->client, &co, err);
    }
    if (rc) {
        free(st);
        return rc;
    }
    *out = st;
    return LT_OK;
}

static void s3_close(struct lt_store *st)
{
    if (!st)
        return;
    lt_s3_client_close(st->client);
    free(st);
}

static void s3_describe(const struct lt_store *st, char *out, size_t n)
{
    char how[1400];
    lt_s3_describe(st->client, how, sizeof how);
    snprintf(out, n, "s3://%s/%s: %s", st->bucket, st->prefix, how);
}

/* The full key of a relative path (malloc'd). */
static char *key_of(const struct lt_store *st, const char *rel)
{
    size_t n = strlen(st->prefix) + strlen(rel) + 1;
    char *k = malloc(n);
    if (k)
        snprintf(k, n, "%s%s", st->prefix, rel);
    return k;
}

static void s3_uri_of(const struct lt_store *st, const char *rel, char *out, size_t n)
{
    snprintf(out, n, "s3://%s/%s%s", st->bucket, st->prefix, rel);
}

struct first {
    int seen;
};

static int stop_at_first(void *ctx, const char *key, int64_t size)
{
    (void)key;
    (void)size;
    ((struct first *)ctx)->seen++;
    return 1;
}

static int s3_check_access(struct lt_store *st, struct lt_error *err)
{
    struct first f = {0};
    return lt_s3_list(st->client, st->prefix, stop_at_first, &f, err);
}

#define WITH_KEY(rel, body)                                                                                            \
    do {                                                                                                               \
        char *key = key_of(st, rel);                                                                                   \
        if (!key)                                                                                                      \
            return lt_fail(err, LT_ERR_RUNTIME, "out of memory");                                                      \
        int rc_ = (body);                                                                                              \
        free(key);                                                                                                     \
        return rc_;                                                                                                    \
    } while (0)

static int s3_put_file(struct lt_store *st, const char *rel, const char *local_path, struct lt_error *err)
{
    WITH_KEY(rel, lt_s3_put_file(st->client, key, local_path, err));
}

static int s3_upload_open(struct lt_store *st, const char *rel, int fd,
                          void (*sent)(void *ctx, int64_t off, int64_t len), void *ctx, struct lt_store_upload **out,
                          struct lt_error *err)
{
    struct lt_s3_stream *s = NULL;
    char *key = key_of(st, rel);
    if (!key)
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    int rc = lt_s3_stream_open(st->client, key, fd, sent, ctx, &s, err);
    free(key);
    *out = (struct lt_store_upload *)s;
    return rc;
}

static int s3_upload_append(struct lt_store_upload *up, const void *data, size_t len, struct lt_error *err)
{
    return lt_s3_stream_append((struct lt_s3_stream *)up, data, len, err);
}

static int s3_upload_finish(struct lt_store_upload *up, struct lt_error *err)
{
    return lt_s3_stream_finish((struct lt_s3_stream *)up, err);
}

static void s3_upload_abort(struct lt_store_upload *up)
{
    lt_s3_stream_abort((struct lt_s3_stream *)up);
}

static int s3_put_bytes(struct lt_store *st, const char *rel, const void *data, size_t len, struct lt_error *err)
{
    WITH_KEY(rel, lt_s3_put_bytes(st->client, key, data, len, err));
}

static int s3_get_file(struct lt_store *st, const char *rel, const char *local_path, int64_t *bytes, bool *missing,
                       struct lt_error *err)
{
    WITH_KEY(rel, lt_s3_get_file(st->client, key, local_path, bytes, missing, err));
}

static int s3_remove(struct lt_store *st, const char *rel, struct lt_error *err)
{
    WITH_KEY(rel, lt_s3_delete(st->client, key, err));
}

static int s3_copy(struct lt_store *st, const char *from_rel, const char *to_rel, int64_t size, struct lt_error *err)
{
    char *from = key_of(st, from_rel), *to = key_of(st, to_rel);
    int rc = from && to ? lt_s3_copy(st->client, from, to, size, err) : lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    free(from);
    free(to);
    return rc;
}

struct list_ctx {
    const struct lt_store *st;
    lt_store_list_fn fn;
    void *ctx;
};

static int relative(void *arg, const char *key, int64_t size)
{
    struct list_ctx *l = arg;
    size_t n = strlen(l->st->prefix);
    return strncmp(key, l->st->prefix, n) == 0 ? l->fn(l->ctx, key + n, size) : 0;
}

static int s3_list(struct lt_store *st, const char *rel_prefix, lt_store_list_fn fn, void *ctx, struct lt_error *err)
{
    struct list_ctx l = {.st = st, .fn = fn, .ctx = ctx};
    WITH_KEY(rel_prefix, lt_s3_list(st->client, key, relative, &l, err));
}

struct abort_ctx {
    struct lt_store *st;
    bool (*mine)(void *ctx, const char *rel);
    void *ctx;
    int aborted;
    int rc;
    struct lt_error *err;
};

static int abort_matching(void *arg, const char *key, const char *upload_id)
{
    struct abort_ctx *a = arg;
    size_t n = strlen(a->st->prefix);
    if (strncmp(key, a->st->prefix, n) != 0)
        return 0;
    if (!a->mine(a->ctx, key + n))
        return 0;
    if ((a->rc = lt_s3_abort_upload(a->st->client, key, upload_id, a->err)))
        return 1;
    a->aborted++;
    return 0;
}

static int s3_abort_uploads(struct lt_store *st, bool (*mine)(void *ctx, const char *rel), void *ctx, int *aborted,
                            struct lt_error *err)
{
    struct abort_ctx a = {.st = st, .mine = mine, .ctx = ctx, .err = err};
    *aborted = 0;
    int rc = lt_s3_list_uploads(st->client, st->prefix, abort_matching, &a, err);
    *aborted = a.aborted;
    return rc ? rc : a.rc;
}

const struct logtap_store_ops lt_s3_store = {
    .scheme = "s3",
    .check_uri = s3_check_uri,
    .open = s3_open,
    .close = s3_close,
    .describe = s3_describe,
    .uri_of = s3_uri_of,
    .check_access = s3_check_access,
    .put_file = s3_put_file,
    .put_bytes = s3_put_bytes,
    .upload_open = s3_upload_open,
    .upload_append = s3_upload_append,
    .upload_finish = s3_upload_finish,
    .upload_abort = s3_upload_abort,
    .get_file = s3_get_file,
    .remove = s3_remove,
    .copy = s3_copy,
    .list = s3_list,
    .abort_uploads = s3_abort_uploads,
};
