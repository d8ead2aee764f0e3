/* The object-store plug-in interface: a table of function pointers, as for sources and targets (ARCHITECTURE.md).
 * A target or merge path "scheme://..." (s3://BUCKET/PREFIX) names a store; the agent keeps writing each file
 * locally (into a spool folder) and has the store hold it under a key relative to the URI's prefix,
 * "<schema>/<table>/LOAD00000001.csv": streamed while the file is written (upload_open), or from a finished file
 * (put_file). The agent never sees HTTP, credentials or
 * retries: a store's operation succeeds or returns an lt_error (LT_ERR_CONFIG for a bad URI or setting,
 * LT_ERR_PERSISTENT for what retrying cannot fix: refused credentials, a missing bucket). Operations are
 * thread-safe. A put is atomic: the key shows the whole new content or the old one, never a part. */
#ifndef LOGTAP_OBJECT_STORE_H
#define LOGTAP_OBJECT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/error.h"

struct lt_store;
struct lt_store_upload;

struct lt_store_options {
    const char *endpoint_url;   /* target.endpoint_url, or NULL */
    void (*on_retry)(const char *msg); /* a failed request that will be tried again: for a log line */
};

/* Called for each object under a prefix, with its key relative to the store's prefix; non-zero stops the walk. */
typedef int (*lt_store_list_fn)(void *ctx, const char *rel, int64_t size);

struct logtap_store_ops {
    const char *scheme;   /* "s3" */
    /* LT_ERR_CONFIG when the URI is malformed (no request made) */
    int (*check_uri)(const char *uri, struct lt_error *err);
    int (*open)(struct lt_store **out, const char *uri, const struct lt_store_options *opt, struct lt_error *err);
    void (*close)(struct lt_store *st);
    /* where it is and how it is reached, for a log line (never a secret) */
    void (*describe)(const struct lt_store *st, char *out, size_t n);
    /* the URI of a key, for messages */
    void (*uri_of)(const struct lt_store *st, const char *rel, char *out, size_t n);
    /* a cheap request that fails as the store would (credentials, bucket, permission to list) */
    int (*check_access)(struct lt_store *st, struct lt_error *err);
    int (*put_file)(struct lt_store *st, const char *rel, const char *local_path, struct lt_error *err);
    /* An upload that streams a file while it is written: the file (fd, append-only, readable) gets each block
     * at its end and then upload_append is told of it; the store sends what it can as it comes (a part as soon as
     * one is full, in the background, a bounded number in flight: upload_append waits when they are all busy) and
     * calls sent(ctx, off, len) for each byte range it no longer needs (from any thread: the caller may free its
     * disk). upload_finish sends the rest and makes the object visible, whole, under rel; until then nothing is
     * visible. upload_abort (after a failure, or instead of finishing) stops it and leaves no object; both free
     * up. An error of a part sent in the background is returned by the next append or by finish. */
    int (*upload_open)(struct lt_store *st, const char *rel, int fd, void (*sent)(void *ctx, int64_t off, int64_t len),
                       void *ctx, struct lt_store_upload **out, struct lt_error *err);
    int (*upload_append)(struct lt_store_upload *up, const void *data, size_t len, struct lt_error *err);
    int (*upload_finish)(struct lt_store_upload *up, struct lt_error *err);
    void (*upload_abort)(struct lt_store_upload *up);
    int (*put_bytes)(struct lt_store *st, const char *rel, const void *data, size_t len, struct lt_error *err);
    /* downloads rel into local_path; *missing is set when there is no such object */
    int (*get_file)(struct lt_store *st, const char *rel, const char *local_path, int64_t *bytes, bool *missing,
                    struct lt_error *err);
    int (*remove)(struct lt_store *st, const char *rel, struct lt_error *err);
    int (*copy)(struct lt_store *st, const char *from_rel, const char *to_rel, int64_t size, struct lt_error *err);
    /* every object whose relative key starts with rel_prefix */
    int (*list)(struct lt_store *st, const char *rel_prefix, lt_store_list_fn fn, void *ctx, struct lt_error *err);
    /* aborts the unfinished uploads (a killed run's) under the store's prefix that mine() claims, by relative
     * key; *aborted counts them */
    int (*abort_uploads)(struct lt_store *st, bool (*mine)(void *ctx, const char *rel), void *ctx, int *aborted,
                         struct lt_error *err);
};

extern const struct logtap_store_ops lt_s3_store;

/* Whether a path is a URI ("scheme://..."), and the store plug-in for it (NULL: a local path, or a scheme no
 * plug-in serves). */
bool lt_path_is_uri(const char *path);
const struct logtap_store_ops *lt_store_for(const char *path);

#endif
