/* An S3 client over libcurl: the few S3 operations logtap needs, each request signed with SigV4 (sigv4.c), retried
 * with a capped exponential backoff and jitter on what can pass (connection refused or reset, timeouts, 5xx, 503
 * SlowDown, 429, RequestTimeout), and failing at once, with S3's error code and message, on what cannot (403, a
 * missing bucket, a wrong region). Uploads read a local file: one PUT with Content-MD5 up to the part size, else a
 * multipart upload whose parts are read from the file, four at a time (memory stays a 1 MiB hash buffer per
 * sender; an upload that fails is aborted); or a stream (lt_s3_stream_*) sends a file's parts while it is written. Thread-safe: each request takes a connection from a small pool.
 * Messages never hold a secret. */
#ifndef LOGTAP_S3_CLIENT_H
#define LOGTAP_S3_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/error.h"

struct lt_s3_client;

struct lt_s3_client_options {
    const char *bucket;
    const char *endpoint_url;     /* the task's setting, or NULL (then the AWS environment and files decide) */
    uint64_t part_size;           /* multipart part size (>= 5 MiB); 0: 8 MiB */
    int max_attempts;             /* tries per request; 0: 10 (about 15 to 30 s of backoff in all) */
    /* told about each failed try that will be tried again (the message names the request and S3's answer) */
    void (*on_retry)(void *ctx, const char *msg);
    void *retry_ctx;
};

/* Reads the AWS configuration (aws_config.h) and prepares the client; LT_ERR_CONFIG when it is wrong. No request
 * is made. */
int lt_s3_client_open(struct lt_s3_client **out, const struct lt_s3_client_options *opt, struct lt_error *err);
void lt_s3_client_close(struct lt_s3_client *c);

/* "s3://bucket/key" for messages. */
void lt_s3_uri(const struct lt_s3_client *c, const char *key, char *out, size_t n);
/* Where the endpoint and the credentials came from, for a log line (no secret). */
void lt_s3_describe(const struct lt_s3_client *c, char *out, size_t n);

/* Uploads the local file as the object key (one PUT, or a multipart upload for a file over the part size). */
int lt_s3_put_file(struct lt_s3_client *c, const char *key, const char *path, struct lt_error *err);
/* An upload streamed while its local file is written (the store's upload_open, agent/object_store.h): each block
 * appended to the file (fd, open for reading too) is then passed to append, which hashes it into the part being
 * filled and hands a full part to the client's senders (4 threads shared by every stream; at most 4 parts of one
 * upload waiting or going, append waits past that), which read it back from the file and send it, then call
 * sent(ctx, off, len). finish sends the rest (one PUT with Content-MD5 when the file never filled a part) and
 * completes the upload: only then is the object visible. A failure (a part's, returned by the next append or by
 * finish) or abort leaves no object and no upload. finish and abort free the stream. */
struct lt_s3_stream;
int lt_s3_stream_open(struct lt_s3_client *c, const char *key, int fd,
                      void (*sent)(void *ctx, int64_t off, int64_t len), void *ctx, struct lt_s3_stream **out,
                      struct lt_error *err);
int lt_s3_stream_append(struct lt_s3_stream *s, const void *data, size_t len, struct lt_error *err);
int lt_s3_stream_finish(struct lt_s3_stream *s, struct lt_error *err);
void lt_s3_stream_abort(struct lt_s3_stream *s);

/* Uploads a small buffer as the object key. */
int lt_s3_put_bytes(struct lt_s3_client *c, const char *key, const void *data, size_t len, struct lt_error *err);
/* Downloads the object key into the local file path (created or truncated); *bytes gets its size. A missing object
 * is LT_ERR_RUNTIME with "NoSuchKey" in the message and *missing set (when not NULL). */
int lt_s3_get_file(struct lt_s3_client *c, const char *key, const char *path, int64_t *bytes, bool *missing,
                   struct lt_error *err);
/* Removes the object key (no error when it does not exist). */
int lt_s3_delete(struct lt_s3_client *c, const char *key, struct lt_error *err);
/* Copies an object inside the bucket (server-side; multipart copy above 5 GiB). */
int lt_s3_copy(struct lt_s3_client *c, const char *from_key, const char *to_key, int64_t size, struct lt_error *err);

/* Calls fn for each object whose key starts with prefix, in key order; fn returns non-zero to stop early. */
typedef int (*lt_s3_list_fn)(void *ctx, const char *key, int64_t size);
int lt_s3_list(struct lt_s3_client *c, const char *prefix, lt_s3_list_fn fn, void *ctx, struct lt_error *err);

/* Calls fn for each unfinished multipart upload whose key starts with prefix. */
typedef int (*lt_s3_upload_fn)(void *ctx, const char *key, const char *upload_id);
int lt_s3_list_uploads(struct lt_s3_client *c, const char *prefix, lt_s3_upload_fn fn, void *ctx,
                       struct lt_error *err);
int lt_s3_abort_upload(struct lt_s3_client *c, const char *key, const char *upload_id, struct lt_error *err);

/* Requests since the client opened that were tried again, for tests and logs. */
int64_t lt_s3_retries(const struct lt_s3_client *c);

#endif
