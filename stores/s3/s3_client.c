/* The S3 client (see s3_client.h): URLs and addressing, signing each try, retries, uploads, downloads, listings. */
#include "stores/s3/s3_client.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "stores/s3/aws_config.h"
#include "stores/s3/aws_instance.h"
#include "stores/s3/s3_xml.h"
#include "stores/s3/sigv4.h"
#include "stores/s3/strbuf.h"

#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
#define MIN_PART (5ULL << 20)
#define MAX_PARTS 10000
#define MAX_SINGLE_COPY (5ULL << 30)
#define POOL_MAX 16
#define BODY_MAX (4u << 20)   /* an XML answer (a list page is well under 1 MiB) */
#define HASH_CHUNK (1u << 20)
#define PART_THREADS 3        /* more senders of one multipart upload besides the caller */
#define STREAM_SENDERS 4      /* the senders of the parts of streamed uploads, shared by all of them */

struct lt_s3_client {
    struct lt_aws_config cfg;
    char bucket[64];
    char origin[1100];        /* "https://host[:port]" */
    char host[1024];          /* the Host header */
    char base_path[1200];     /* "" (virtual-hosted) or the endpoint's path + "/bucket" (path-style) */
    bool path_style;
    uint64_t part_size;
    int max_attempts;
    void (*on_retry)(void *ctx, const char *msg);
    void *retry_ctx;
    pthread_mutex_t lock;     /* the pool and the credentials */
    CURL *pool[POOL_MAX];
    int npool;
    pthread_mutex_t qlock;    /* the parts streamed uploads queue for the senders (started at the first) */
    pthread_cond_t qcond;
    struct stream_part *qhead, *qtail;
    pthread_t senders[STREAM_SENDERS];
    int nsenders;
    bool stopping;
    _Atomic int64_t retries;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void init_curl(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ---- addressing ---- */

/* S3's bucket naming rules (3-63 of a-z 0-9 . -, starting and ending with a letter or digit). */
static bool bucket_name_ok(const char *b)
{
    size_t n = strlen(b);
    if (n < 3 || n > 63 || !isalnum((unsigned char)b[0]) || !isalnum((unsigned char)b[n - 1]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(islower((unsigned char)b[i]) || isdigit((unsigned char)b[i]) || b[i] == '.' || b[i] == '-'))
            return false;
    return true;
}

static int set_addressing(struct lt_s3_client *c, struct lt_error *err)
{
    if (c->cfg.endpoint[0]) {
        /* an S3-compatible store: path-style, "<endpoint>/<bucket>/<key>" */
        const char *host = strstr(c->cfg.endpoint, "://") + 3;
        const char *slash = strchr(host, '/');
        size_t origin_len = slash ? (size_t)(slash - c->cfg.endpoint) : strlen(c->cfg.endpoint);
        snprintf(c->origin, sizeof c->origin, "%.*s", (int)origin_len, c->cfg.endpoint);
        size_t hlen = slash ? (size_t)(slash - host) : strlen(host);
        bool https = !strncmp(c->cfg.endpoint, "https://", 8);
        /* the Host header curl sends: the port only when it is not the scheme's default */
        snprintf(c->host, sizeof c->host, "%.*s", (int)hlen, host);
        char *colon = strrchr(c->host, ':');
        if (colon && !strchr(colon, ']') && ((https && !strcmp(colon, ":443")) || (!https && !strcmp(colon, ":80"))))
            *colon = '\0';
        snprintf(c->base_path, sizeof c->base_path, "%s/%s", slash ? slash : "", c->bucket);
        c->path_style = true;
        return LT_OK;
    }
    const char *suffix = !strncmp(c->cfg.region, "cn-", 3) ? "amazonaws.com.cn" : "amazonaws.com";
    if (strchr(c->bucket, '.')) {
        /* a dotted name breaks the TLS certificate's wildcard: path-style, as the SDKs do */
        snprintf(c->host, sizeof c->host, "s3.%s.%s", c->cfg.region, suffix);
        snprintf(c->base_path, sizeof c->base_path, "/%s", c->bucket);
        c->path_style = true;
    } else {
        snprintf(c->host, sizeof c->host, "%s.s3.%s.%s", c->bucket, c->cfg.region, suffix);
        c->base_path[0] = '\0';
        c->path_style = false;
    }
    snprintf(c->origin, sizeof c->origin, "https://%s", c->host);
    (void)err;
    return LT_OK;
}

int lt_s3_client_open(struct lt_s3_client **out, const struct lt_s3_client_options *opt, struct lt_error *err)
{
    *out = NULL;
    pthread_once(&curl_once, init_curl);
    if (curl_init_rc != CURLE_OK)
        return lt_fail(err, LT_ERR_RUNTIME, "libcurl: %s", curl_easy_strerror(curl_init_rc));
    if (!bucket_name_ok(opt->bucket))
        return lt_fail(err, LT_ERR_CONFIG,
                       "\"%s\" is not a valid S3 bucket name (3 to 63 lowercase letters, digits, '.' and '-')",
                       opt->bucket);
    struct lt_s3_client *c = calloc(1, sizeof *c);
    if (!c)
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    snprintf(c->bucket, sizeof c->bucket, "%s", opt->bucket);
    c->part_size = opt->part_size ? opt->part_size : 8ULL << 20;
    if (c->part_size < MIN_PART)
        c->part_size = MIN_PART;
    c->max_attempts = opt->max_attempts > 0 ? opt->max_attempts : 10;
    c->on_retry = opt->on_retry;
    c->retry_ctx = opt->retry_ctx;
    int rc = lt_aws_config_load(&c->cfg, opt->endpoint_url, err);
    if (!rc)
        rc = set_addressing(c, err);
    if (rc) {
        lt_aws_config_wipe(&c->cfg);
        free(c);
        return rc;
    }
    pthread_mutex_init(&c->lock, NULL);
    pthread_mutex_init(&c->qlock, NULL);
    pthread_cond_init(&c->qcond, NULL);
    *out = c;
    return LT_OK;
}

void lt_s3_client_close(struct lt_s3_client *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->qlock);
    c->stopping = true;
    pthread_cond_broadcast(&c->qcond);
    pthread_mutex_unlock(&c->qlock);
    for (int i = 0; i < c->nsenders; i++)
        pthread_join(c->senders[i], NULL);
    pthread_mutex_destroy(&c->qlock);
    pthread_cond_destroy(&c->qcond);
    for (int i = 0; i < c->npool; i++)
        curl_easy_cleanup(c->pool[i]);
    pthread_mutex_destroy(&c->lock);
    lt_aws_config_wipe(&c->cfg);
    free(c);
}

void lt_s3_uri(const struct lt_s3_client *c, const char *key, char *out, size_t n)
{
    snprintf(out, n, "s3://%s/%s", c->bucket, key ? key : "");
}

void lt_s3_describe(const struct lt_s3_client *c, char *out, size_t n)
{
    const char *creds = c->cfg.have_credentials                 ? c->cfg.credentials.source
                        : c->cfg.instance == LT_AWS_ECS         ? "the container credentials endpoint"
                        : c->cfg.instance == LT_AWS_EC2         ? "the EC2 instance role"
                                                                : "none found";
    snprintf(out, n, "bucket %s at %s (%s addressing, region %s), credentials from %s", c->bucket, c->origin,
             c->path_style ? "path-style" : "virtual-hosted", c->cfg.region, creds);
}

int64_t lt_s3_retries(const struct lt_s3_client *c)
{
    return atomic_load(&((struct lt_s3_client *)c)->retries);
}

/* ---- one request ---- */

enum body_kind { BODY_NONE, BODY_MEM, BODY_FILE };

struct req {
    const char *method;
    const char *key;                  /* NULL: the bucket itself */
    struct lt_sigv4_pair query[8];
    int nquery;
    struct lt_sigv4_pair extra[4];    /* more headers to send and sign */
    int nextra;
    enum body_kind body;
    const char *mem;
    size_t mem_len;
    int fd;
    int64_t off, len;
    const char *sha256;               /* the body's SHA-256 (hex) */
    const char *md5_b64;              /* Content-MD5, or NULL */
    int out_fd;                       /* >= 0: a 2xx answer's body goes to this file */
    bool head;
};

struct resp {
    CURL *h;
    long status;
    struct strbuf body;
    char etag[130];
    char bucket_region[64];
    int64_t written;
    int out_fd;
    bool write_failed;
    int write_errno;
    /* the request body's read position */
    const struct req *rq;
    int64_t pos;
    bool read_failed;
    int read_errno;
};

static size_t on_write(char *data, size_t size, size_t n, void *arg)
{
    struct resp *r = arg;
    size_t total = size * n;
    if (!r->status)
        curl_easy_getinfo(r->h, CURLINFO_RESPONSE_CODE, &r->status);
    if (r->out_fd >= 0 && r->status >= 200 && r->status < 300) {
        for (size_t done = 0; done < total;) {
            ssize_t w = write(r->out_fd, data + done, total - done);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                r->write_failed = true;
                r->write_errno = w < 0 ? errno : EIO;
                return 0;
            }
            done += (size_t)w;
        }
        r->written += (int64_t)total;
        return total;
    }
    if (r->body.len + total > BODY_MAX)
        return 0;
    sb_append(&r->body, data, total);
    return total;
}

static void header_value(const char *line, size_t n, const char *name, char *out, size_t outlen)
{
    size_t k = strlen(name);
    if (n <= k + 1 || strncasecmp(line, name, k) != 0 || line[k] != ':')
        return;
    const char *v = line + k + 1;
    const char *end = line + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    snprintf(out, outlen, "%.*s", (int)(end - v), v);
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
    struct resp *r = arg;
    size_t total = size * n;
    if (total > 5 && !strncmp(data, "HTTP/", 5)) { /* a new answer (after "100 Continue"): forget the last one's */
        r->etag[0] = '\0';
        r->status = 0;
    }
    header_value(data, total, "ETag", r->etag, sizeof r->etag);
    header_value(data, total, "x-amz-bucket-region", r->bucket_region, sizeof r->bucket_region);
    return total;
}

static size_t on_read(char *buf, size_t size, size_t n, void *arg)
{
    struct resp *r = arg;
    const struct req *q = r->rq;
    int64_t left = q->len - r->pos;
    size_t want = size * n;
    if (left <= 0)
        return 0;
    if ((int64_t)want > left)
        want = (size_t)left;
    if (q->body == BODY_MEM) {
        memcpy(buf, q->mem + r->pos, want);
        r->pos += (int64_t)want;
        return want;
    }
    ssize_t got;
    do
        got = pread(q->fd, buf, want, q->off + r->pos);
    while (got < 0 && errno == EINTR);
    if (got <= 0) {
        r->read_failed = true;
        r->read_errno = got < 0 ? errno : EIO;
        return CURL_READFUNC_ABORT;
    }
    r->pos += got;
    return (size_t)got;
}

static int on_seek(void *arg, curl_off_t offset, int origin)
{
    struct resp *r = arg;
    if (origin != SEEK_SET || offset < 0 || offset > r->rq->len)
        return CURL_SEEKFUNC_CANTSEEK;
    r->pos = offset;
    return CURL_SEEKFUNC_OK;
}

static CURL *take_handle(struct lt_s3_client *c)
{
    pthread_mutex_lock(&c->lock);
    CURL *h = c->npool ? c->pool[--c->npool] : NULL;
    pthread_mutex_unlock(&c->lock);
    if (h)
        curl_easy_reset(h); /* keeps the connection cache: the next request reuses the connection */
    else
        h = curl_easy_init();
    return h;
}

static void give_handle(struct lt_s3_client *c, CURL *h, bool reuse)
{
    if (reuse) {
        pthread_mutex_lock(&c->lock);
        if (c->npool < POOL_MAX) {
            c->pool[c->npool++] = h;
            h = NULL;
        }
        pthread_mutex_unlock(&c->lock);
    }
    if (h)
        curl_easy_cleanup(h);
}

/* Current credentials (instance ones fetched, or fetched again 5 minutes before they expire), copied to out. */
static int credentials(struct lt_s3_client *c, bool force_refresh, struct lt_aws_credentials *out,
                       struct lt_error *err)
{
    int rc = LT_OK;
    pthread_mutex_lock(&c->lock);
    struct lt_aws_credentials *cr = &c->cfg.credentials;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t now_us = (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
    bool instance = !c->cfg.have_credentials;
    if (instance && (force_refresh || !cr->access_key_id[0] ||
                     (cr->expires_us && cr->expires_us - now_us < 300 * 1000000LL))) {
        if (c->cfg.instance == LT_AWS_NO_INSTANCE)
            rc = lt_fail(err, LT_ERR_PERSISTENT,
                         "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a profile in "
                         "~/.aws/credentials (AWS_PROFILE); the instance metadata service is disabled "
                         "(AWS_EC2_METADATA_DISABLED)");
        else if ((rc = lt_aws_instance_credentials(&c->cfg, cr, err)))
            lt_error_prefix(err, "no AWS credentials in the environment or ~/.aws, and none from the %s: ",
                            c->cfg.instance == LT_AWS_ECS ? "container" : "EC2 instance");
    }
    if (!rc)
        *out = *cr;
    pthread_mutex_unlock(&c->lock);
    return rc;
}

/* The request's path as signed (raw) and as sent (encoded). */
static void request_path(const struct lt_s3_client *c, const char *key, struct strbuf *raw)
{
    sb_puts(raw, c->base_path);
    if (key) {
        sb_putc(raw, '/');
        sb_puts(raw, key);
    } else if (!c->path_style || !c->base_path[0]) {
        sb_putc(raw, '/');
    }
}

static void amz_now(char out[17])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

/* One try: signs with the current time and credentials, sends, and fills resp; *cc gets curl's result. */
static int perform_once(struct lt_s3_client *c, const struct req *q, struct resp *r, CURLcode *cc, char *errbuf,
                        bool refresh, struct lt_error *err)
{
    struct lt_aws_credentials cr;
    int rc = credentials(c, refresh, &cr, err);
    if (rc)
        return rc;
    struct strbuf path = {0}, url = {0}, auth = {0};
    request_path(c, q->key, &path);
    sb_puts(&url, c->origin);
    lt_sigv4_uri_encode(&url, path.s, path.len, true);
    for (int i = 0; i < q->nquery; i++) {
        sb_putc(&url, i ? '&' : '?');
        lt_sigv4_uri_encode(&url, q->query[i].name, strlen(q->query[i].name), false);
        if (q->query[i].value[0]) {
            sb_putc(&url, '=');
            lt_sigv4_uri_encode(&url, q->query[i].value, strlen(q->query[i].value), false);
        }
    }
    char date[17];
    amz_now(date);
    struct lt_sigv4_pair h[12];
    int nh = 0;
    h[nh++] = (struct lt_sigv4_pair){"host", c->host};
    h[nh++] = (struct lt_sigv4_pair){"x-amz-date", date};
    h[nh++] = (struct lt_sigv4_pair){"x-amz-content-sha256", q->sha256};
    if (cr.session_token[0])
        h[nh++] = (struct lt_sigv4_pair){"x-amz-security-token", cr.session_token};
    if (q->md5_b64)
        h[nh++] = (struct lt_sigv4_pair){"content-md5", q->md5_b64};
    for (int i = 0; i < q->nextra; i++)
        h[nh++] = q->extra[i];
    struct lt_sigv4_request sr = {.method = q->method, .path = sb_str(&path), .query = q->query, .nquery = q->nquery,
                                  .headers = h, .nheaders = nh, .payload_sha256 = q->sha256};
    struct lt_sigv4_key k = {.access_key_id = cr.access_key_id, .secret_access_key = cr.secret_access_key,
                             .region = c->cfg.region, .service = "s3", .amz_date = date};
    char sig[65];
    bool signed_ok = lt_sigv4_sign(&sr, &k, sig, &auth);
    struct curl_slist *headers = NULL;
    struct strbuf line = {0};
    for (int i = 0; i < nh; i++) {
        sb_reset(&line);
        sb_printf(&line, "%s: %s", h[i].name, h[i].value);
        headers = curl_slist_append(headers, sb_str(&line));
    }
    sb_reset(&line);
    sb_printf(&line, "Authorization: %s", sb_str(&auth));
    headers = curl_slist_append(headers, sb_str(&line));
    if (!strcmp(q->method, "POST")) /* else curl says form data: an initiated upload's object would keep it */
        headers = curl_slist_append(headers, q->body == BODY_MEM ? "Content-Type: application/xml"
                                                                  : "Content-Type: binary/octet-stream");
    OPENSSL_cleanse(&cr, sizeof cr);
    if (line.s)
        OPENSSL_cleanse(line.s, line.cap);
    if (!signed_ok || path.oom || url.oom || line.oom || !headers) {
        rc = lt_fail(err, LT_ERR_RUNTIME, "out of memory");
        goto out;
    }
    CURL *hd = r->h;
    curl_easy_setopt(hd, CURLOPT_URL, sb_str(&url));
    curl_easy_setopt(hd, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(hd, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(hd, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(hd, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    /* a connection that stalls (under 1 KiB/s for 30 s) is given up and tried again */
    curl_easy_setopt(hd, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(hd, CURLOPT_LOW_SPEED_TIME, 30L);
    curl_easy_setopt(hd, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(hd, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(hd, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(hd, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(hd, CURLOPT_PROTOCOLS_STR, "http,https");
    if (c->cfg.ca_bundle[0])
        curl_easy_setopt(hd, CURLOPT_CAINFO, c->cfg.ca_bundle);
    if (q->head) {
        curl_easy_setopt(hd, CURLOPT_NOBODY, 1L);
    } else if (!strcmp(q->method, "PUT")) {
        curl_easy_setopt(hd, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(hd, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(hd, CURLOPT_READDATA, r);
        curl_easy_setopt(hd, CURLOPT_SEEKFUNCTION, on_seek);
        curl_easy_setopt(hd, CURLOPT_SEEKDATA, r);
        curl_easy_setopt(hd, CURLOPT_INFILESIZE_LARGE, (curl_off_t)(q->body == BODY_NONE ? 0 : q->len));
    } else if (!strcmp(q->method, "POST")) {
        curl_easy_setopt(hd, CURLOPT_POST, 1L);
        curl_easy_setopt(hd, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(q->body == BODY_MEM ? q->mem_len : 0));
        curl_easy_setopt(hd, CURLOPT_POSTFIELDS, q->body == BODY_MEM ? q->mem : "");
    } else if (strcmp(q->method, "GET") != 0) {
        curl_easy_setopt(hd, CURLOPT_CUSTOMREQUEST, q->method);
    }
    *cc = curl_easy_perform(hd);
    curl_easy_getinfo(hd, CURLINFO_RESPONSE_CODE, &r->status);
out:
    curl_slist_free_all(headers);
    sb_free(&line);
    if (auth.s)
        OPENSSL_cleanse(auth.s, auth.cap);
    sb_free(&auth);
    sb_free(&path);
    sb_free(&url);
    return rc;
}

/* Whether S3's answer may succeed when sent again. */
static bool status_retryable(long status, const char *code)
{
    if (status == 429 || (status >= 500 && status != 501))
        return true;
    if (status == 400 && (!strcmp(code, "RequestTimeout") || !strcmp(code, "BadDigest") ||
                          !strcmp(code, "IncompleteBody") || !strcmp(code, "RequestTimeTooSkewed")))
        return true;
    if (status == 409 && !strcmp(code, "OperationAborted"))
        return true;
    return status >= 200 && status < 300 && code[0]; /* an error inside a 200 (CompleteMultipartUpload, Copy) */
}

static bool curl_retryable(CURLcode cc)
{
    switch (cc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_WEIRD_SERVER_REPLY:
        return true;
    default:
        return false;
    }
}

/* How long to wait before try attempt + 1: capped exponential (100 ms doubling, at most 10 s) with jitter, half
 * fixed, half random, so that writers failing together do not come back together. */
static int64_t backoff_ms(int attempt)
{
    int64_t cap_ms = 100LL << (attempt - 1 < 7 ? attempt - 1 : 7);
    if (cap_ms > 10000)
        cap_ms = 10000;
    return cap_ms / 2 + random() % (cap_ms / 2 + 1);
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Sends a request until it succeeds, fails for good, or runs out of tries. On success resp holds the answer. */
static int request(struct lt_s3_client *c, const struct req *q, struct resp *r, struct lt_error *err)
{
    char uri[1200];
    lt_s3_uri(c, q->key, uri, sizeof uri);
    if (!q->key)
        uri[strlen(uri) - 1] = '\0'; /* the bucket: "s3://b" */
    CURL *h = take_handle(c);
    if (!h)
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    int rc = LT_OK;
    bool refresh = false;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int attempt = 1;; attempt++) {
        sb_free(&r->body);
        r->h = h;
        r->status = 0;
        r->etag[0] = r->bucket_region[0] = '\0';
        r->written = 0;
        r->out_fd = q->out_fd;
        r->write_failed = r->read_failed = false;
        r->rq = q;
        r->pos = 0;
        if (q->out_fd >= 0 && (ftruncate(q->out_fd, 0) != 0 || lseek(q->out_fd, 0, SEEK_SET) != 0)) {
            rc = lt_fail_errno(err, errno, "%s: cannot truncate the download's local file", uri);
            break;
        }
        char errbuf[CURL_ERROR_SIZE] = "";
        CURLcode cc = CURLE_OK;
        if ((rc = perform_once(c, q, r, &cc, errbuf, refresh, err)))
            break;
        refresh = false;
        char code[128] = "", msg[600] = "";
        if (r->body.len) {
            lt_xml_text(sb_str(&r->body), r->body.len, "Code", code, sizeof code);
            lt_xml_text(sb_str(&r->body), r->body.len, "Message", msg, sizeof msg);
        }
        bool ok = cc == CURLE_OK && r->status >= 200 && r->status < 300 &&
                  !(q->out_fd < 0 && r->body.len && strstr(sb_str(&r->body), "<Error>"));
        if (ok)
            break;
        bool again;
        struct timespec t1;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
        if (cc != CURLE_OK) {
            again = curl_retryable(cc) && !r->read_failed && !r->write_failed;
            if (r->read_failed)
                rc = lt_fail_errno(err, r->read_errno, "%s %s: cannot read the local file being uploaded", q->method,
                                   uri);
            else if (r->write_failed)
                rc = lt_fail_errno(err, r->write_errno, "%s %s: cannot write the downloaded file", q->method, uri);
            else
                rc = lt_fail(err, cc == CURLE_PEER_FAILED_VERIFICATION ? LT_ERR_PERSISTENT : LT_ERR_RUNTIME,
                             "%s %s: %s (%s) after %d %s over %.1f s", q->method, uri,
                             errbuf[0] ? errbuf : curl_easy_strerror(cc), c->origin, attempt,
                             attempt == 1 ? "try" : "tries", secs);
        } else {
            if (!code[0] && r->status >= 300)
                snprintf(code, sizeof code, "%s", r->status == 404 ? "NotFound" : "");
            again = status_retryable(r->status, code);
            /* expired instance credentials: fetch them again once */
            if (!c->cfg.have_credentials && (!strcmp(code, "ExpiredToken") || !strcmp(code, "InvalidToken") ||
                                             !strcmp(code, "TokenRefreshRequired")))
                again = refresh = true;
            bool forbidden = r->status == 403 || r->status == 401;
            bool wrong_region = r->status == 301 || !strcmp(code, "AuthorizationHeaderMalformed") ||
                                !strcmp(code, "PermanentRedirect");
            char hint[512] = "";
            if (!strcmp(code, "SignatureDoesNotMatch") || !strcmp(code, "InvalidAccessKeyId"))
                snprintf(hint, sizeof hint, " (the credentials came from %s)",
                         c->cfg.have_credentials ? c->cfg.credentials.source : "the instance");
            else if (wrong_region && r->bucket_region[0])
                snprintf(hint, sizeof hint, " (the bucket is in region %s: set AWS_REGION=%s)", r->bucket_region,
                         r->bucket_region);
            else if (wrong_region)
                snprintf(hint, sizeof hint, " (the bucket is in another region than %s: set AWS_REGION)",
                         c->cfg.region);
            int ecode = forbidden || wrong_region || !strcmp(code, "NoSuchBucket") ? LT_ERR_PERSISTENT
                                                                                   : LT_ERR_RUNTIME;
            rc = lt_fail(err, ecode, "%s %s: HTTP %ld%s%s%s%s%s%s", q->method, uri, r->status, code[0] ? " " : "",
                         code, msg[0] ? ": " : "", msg, hint,
                         attempt > 1 ? " (after several tries)" : "");
        }
        if (!again || attempt >= c->max_attempts)
            break;
        atomic_fetch_add(&c->retries, 1);
        int64_t wait = refresh ? 0 : backoff_ms(attempt);
        if (c->on_retry) {
            char note[1200];
            snprintf(note, sizeof note, "%s; trying again in %.1f s (try %d of %d)", err->msg, wait / 1000.0,
                     attempt + 1, c->max_attempts);
            c->on_retry(c->retry_ctx, note);
        }
        sleep_ms(wait);
        rc = LT_OK;
    }
    /* a connection that failed is not reused */
    give_handle(c, h, rc == LT_OK);
    return rc;
}

static void free_resp(struct resp *r)
{
    sb_free(&r->body);
}

/* ---- uploads ---- */

/* MD5 of a file range: base64 for Content-MD5, raw for the multipart ETag.
 *
 * A file's body is sent as UNSIGNED-PAYLOAD (what the AWS SDKs send for S3 uploads) with a signed Content-MD5: the
 * server checks the body against the MD5 and the signature covers the MD5, so the body cannot change on the way,
 * over plain HTTP too, and neither side spends a SHA-256 pass over every byte (the store's CPU is what limits an
 * upload on loopback, see bench/RESULTS.md). */
static int hash_range(int fd, int64_t off, int64_t len, unsigned char *buf, char md5_b64[32], unsigned char md5[16],
                      const char *path, struct lt_error *err)
{
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    int rc = LT_OK;
    if (!m || !EVP_DigestInit_ex(m, EVP_md5(), NULL)) {
        rc = lt_fail(err, LT_ERR_RUNTIME, "libcrypto: cannot start MD5");
        goto out;
    }
    for (int64_t done = 0; done < len;) {
        size_t want = len - done > HASH_CHUNK ? HASH_CHUNK : (size_t)(len - done);
        ssize_t got = pread(fd, buf, want, off + done);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            rc = lt_fail_errno(err, got < 0 ? errno : EIO, "cannot read %s", path);
            goto out;
        }
        EVP_DigestUpdate(m, buf, (size_t)got);
        done += got;
    }
    unsigned int n;
    EVP_DigestFinal_ex(m, md5, &n);
    EVP_EncodeBlock((unsigned char *)md5_b64, md5, 16);
out:
    EVP_MD_CTX_free(m);
    return rc;
}

static int put_single(struct lt_s3_client *c, const char *key, int fd, int64_t size, unsigned char *buf,
                      const char *path, struct lt_error *err)
{
    char md5_b64[32];
    unsigned char md5[16];
    int rc = hash_range(fd, 0, size, buf, md5_b64, md5, path, err);
    if (rc)
        return rc;
    struct req q = {.method = "PUT", .key = key, .body = BODY_FILE, .fd = fd, .off = 0, .len = size,
                    .sha256 = UNSIGNED_PAYLOAD, .md5_b64 = md5_b64, .out_fd = -1};
    struct resp r = {0};
    rc = request(c, &q, &r, err);
    free_resp(&r);
    return rc;
}

/* The ETag S3 gives a completed multipart upload: the hex MD5 of the parts' binary MD5s, "-", the part count. */
static void multipart_etag(const unsigned char *md5s, int nparts, char out[64])
{
    unsigned char d[16];
    unsigned int n;
    EVP_Digest(md5s, (size_t)nparts * 16, d, &n, EVP_md5(), NULL);
    char hex[33];
    lt_hex(d, 16, hex);
    snprintf(out, 64, "\"%s-%d\"", hex, nparts);
}

static int abort_quietly(struct lt_s3_client *c, const char *key, const char *upload_id)
{
    struct lt_error ignored;
    return lt_s3_abort_upload(c, key, upload_id, &ignored);
}

static int initiate(struct lt_s3_client *c, const char *key, char upload_id[1024], struct lt_error *err)
{
    struct req q = {.method = "POST", .key = key, .query = {{"uploads", ""}}, .nquery = 1, .sha256 = EMPTY_SHA256,
                    .out_fd = -1};
    struct resp r = {0};
    int rc = request(c, &q, &r, err);
    if (!rc && !lt_xml_text(sb_str(&r.body), r.body.len, "UploadId", upload_id, 1024)) {
        char uri[1200];
        lt_s3_uri(c, key, uri, sizeof uri);
        rc = lt_fail(err, LT_ERR_RUNTIME, "POST %s?uploads: the answer has no UploadId", uri);
    }
    free_resp(&r);
    return rc;
}

/* Completes a multipart upload from the parts' ETags. A retried completion that finds the upload gone (the first
 * try completed it, its answer was lost) checks the object's ETag instead. */
static int complete(struct lt_s3_client *c, const char *key, const char *upload_id, char (*etags)[130], int nparts,
                    const char *expected_etag, struct lt_error *err)
{
    struct strbuf x = {0};
    sb_puts(&x, "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
    for (int i = 0; i < nparts; i++)
        sb_printf(&x, "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>", i + 1, etags[i]);
    sb_puts(&x, "</CompleteMultipartUpload>");
    if (x.oom) {
        sb_free(&x);
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    }
    char sha[65];
    lt_sha256_hex(x.s, x.len, sha);
    struct req q = {.method = "POST", .key = key, .query = {{"uploadId", upload_id}}, .nquery = 1, .body = BODY_MEM,
                    .mem = x.s, .mem_len = x.len, .len = (int64_t)x.len, .sha256 = sha, .out_fd = -1};
    struct resp r = {0};
    int rc = request(c, &q, &r, err);
    if (rc && strstr(err->msg, "NoSuchUpload") && strstr(err->msg, "after several tries")) {
        struct req h = {.method = "HEAD", .key = key, .sha256 = EMPTY_SHA256, .out_fd = -1, .head = true};
        struct resp hr = {0};
        struct lt_error herr;
        if (request(c, &h, &hr, &herr) == LT_OK && !strcmp(hr.etag, expected_etag)) {
            lt_error_clear(err);
            rc = LT_OK;
        }
        free_resp(&hr);
    }
    free_resp(&r);
    sb_free(&x);
    return rc;
}

/* The parts of one multipart upload, sent by a few threads at once (each reading its part from the file, so memory
 * stays a hash buffer per thread). */
struct parts_job {
    struct lt_s3_client *c;
    const char *key, *path, *upload_id;
    int fd;
    int64_t size;
    uint64_t part;
    int nparts;
    char (*etags)[130];
    unsigned char *md5s;
    _Atomic int next;
    _Atomic bool failed;
    pthread_mutex_t lock;
    int rc;                 /* the first failure (under lock) */
    struct lt_error err;
};

static int send_part(struct parts_job *j, int i, unsigned char *buf, struct lt_error *err)
{
    int64_t off = (int64_t)j->part * i;
    int64_t len = j->size - off < (int64_t)j->part ? j->size - off : (int64_t)j->part;
    char md5_b64[32], number[16];
    int rc = hash_range(j->fd, off, len, buf, md5_b64, j->md5s + 16 * i, j->path, err);
    if (rc)
        return rc;
    snprintf(number, sizeof number, "%d", i + 1);
    struct req q = {.method = "PUT", .key = j->key, .query = {{"partNumber", number}, {"uploadId", j->upload_id}},
                    .nquery = 2, .body = BODY_FILE, .fd = j->fd, .off = off, .len = len, .sha256 = UNSIGNED_PAYLOAD,
                    .md5_b64 = md5_b64, .out_fd = -1};
    struct resp r = {0};
    rc = request(j->c, &q, &r, err);
    if (!rc && !r.etag[0]) {
        char uri[1200];
        lt_s3_uri(j->c, j->key, uri, sizeof uri);
        rc = lt_fail(err, LT_ERR_RUNTIME, "PUT %s part %d: the answer has no ETag", uri, i + 1);
    }
    if (!rc)
        snprintf(j->etags[i], sizeof j->etags[i], "%s", r.etag);
    free_resp(&r);
    return rc;
}

static void *parts_worker(void *arg)
{
    struct parts_job *j = arg;
    unsigned char *buf = malloc(HASH_CHUNK);
    struct lt_error err = {0};
    int rc = buf ? LT_OK : lt_fail(&err, LT_ERR_RUNTIME, "out of memory");
    for (int i; !rc && !atomic_load(&j->failed) && (i = atomic_fetch_add(&j->next, 1)) < j->nparts;)
        rc = send_part(j, i, buf, &err);
    if (rc) {
        pthread_mutex_lock(&j->lock);
        if (!j->rc) {
            j->rc = rc;
            j->err = err;
        }
        pthread_mutex_unlock(&j->lock);
        atomic_store(&j->failed, true);
    }
    free(buf);
    return NULL;
}

static int put_multipart(struct lt_s3_client *c, const char *key, int fd, int64_t size, const char *path,
                         struct lt_error *err)
{
    /* parts of the configured size, larger when the file would need more than S3's 10000 parts */
    uint64_t part = c->part_size;
    if ((uint64_t)size / part >= MAX_PARTS)
        part = (((uint64_t)size / (MAX_PARTS - 1) >> 20) + 1) << 20;
    int nparts = (int)(((uint64_t)size + part - 1) / part);
    struct parts_job j = {.c = c, .key = key, .path = path, .fd = fd, .size = size, .part = part, .nparts = nparts,
                          .etags = calloc((size_t)nparts, sizeof *j.etags), .md5s = calloc((size_t)nparts, 16)};
    char upload_id[1024];
    if (!j.etags || !j.md5s) {
        free(j.etags);
        free(j.md5s);
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    }
    int rc = initiate(c, key, upload_id, err);
    if (rc)
        goto out;
    j.upload_id = upload_id;
    pthread_mutex_init(&j.lock, NULL);
    pthread_t threads[PART_THREADS];
    int started = 0;
    for (int i = 0; i < PART_THREADS && i < nparts - 1; i++) /* the calling thread is one of the senders */
        if (pthread_create(&threads[started], NULL, parts_worker, &j) == 0)
            started++;
    parts_worker(&j);
    for (int i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    pthread_mutex_destroy(&j.lock);
    if ((rc = j.rc)) {
        *err = j.err;
    } else {
        char expected[64];
        multipart_etag(j.md5s, nparts, expected);
        rc = complete(c, key, upload_id, j.etags, nparts, expected, err);
    }
    if (rc)
        abort_quietly(c, key, upload_id); /* no part is left behind, billed and invisible */
out:
    free(j.etags);
    free(j.md5s);
    return rc;
}

/* ---- uploads streamed while the file is written ----
 *
 * The caller appends each block to its file and then tells the stream (lt_s3_stream_append), which takes the MD5 of
 * the part being filled from those bytes as they pass (the file is never read to hash it). Once a part is full and
 * more bytes come, it is handed to the client's senders (STREAM_SENDERS threads shared by every streamed upload),
 * which read it from the file (the page cache, just written) and send it; at most STREAM_IN_FLIGHT parts of one
 * upload wait or go at a time, so the caller waits when the store is slower than the writer, and the file needs to
 * hold only those parts (the caller is told of each range sent, and may free its disk). A file that never fills
 * a part goes as one PUT at the end. Parts are the client's part size, doubled every STREAM_TIER parts, so a file
 * of any size fits S3's 10000 parts without knowing its size in advance. */

#define STREAM_IN_FLIGHT 4
#define STREAM_TIER 1000
#define MAX_PART (5ULL << 30)

struct stream_part {
    struct lt_s3_stream *s;
    int number;                /* 1-based */
    int64_t off, len;
    char md5_b64[32];
    struct stream_part *next;
};

struct lt_s3_stream {
    struct lt_s3_client *c;
    char *key;
    int fd;
    void (*sent)(void *ctx, int64_t off, int64_t len);
    void *ctx;
    EVP_MD_CTX *md5;           /* of the part being filled */
    int64_t size;              /* bytes appended */
    int64_t part_off;          /* where the part being filled starts */
    int nparts;                /* parts handed to the senders */
    char upload_id[1024];      /* "" until the first part is handed off */
    pthread_mutex_t lock;      /* what follows; cond: in_flight went down */
    pthread_cond_t cond;
    int in_flight;
    int cap;
    char (*etags)[130];
    unsigned char *md5s;       /* 16 bytes a part, for the completed object's ETag */
    bool failed;
    struct lt_error err;       /* the first failure */
};

static uint64_t stream_part_size(const struct lt_s3_client *c, int index)
{
    int tier = index / STREAM_TIER;
    uint64_t size = tier >= 10 ? MAX_PART : c->part_size << tier;
    return size > MAX_PART ? MAX_PART : size;
}

static int stream_fail(struct lt_s3_stream *s, int rc, const struct lt_error *e)
{
    pthread_mutex_lock(&s->lock);
    if (!s->failed) {
        s->failed = true;
        s->err = *e;
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

static void *stream_sender(void *arg)
{
    struct lt_s3_client *c = arg;
    for (;;) {
        pthread_mutex_lock(&c->qlock);
        while (!c->qhead && !c->stopping)
            pthread_cond_wait(&c->qcond, &c->qlock);
        struct stream_part *p = c->qhead;
        if (!p) {
            pthread_mutex_unlock(&c->qlock);
            return NULL;
        }
        c->qhead = p->next;
        if (!c->qhead)
            c->qtail = NULL;
        pthread_mutex_unlock(&c->qlock);

        struct lt_s3_stream *s = p->s;
        pthread_mutex_lock(&s->lock);
        bool skip = s->failed; /* an earlier part failed, or the upload is aborted: nothing more goes */
        pthread_mutex_unlock(&s->lock);
        struct lt_error err = {0};
        int rc = LT_OK;
        struct resp r = {0};
        if (!skip) {
            char number[16];
            snprintf(number, sizeof number, "%d", p->number);
            struct req q = {.method = "PUT", .key = s->key,
                            .query = {{"partNumber", number}, {"uploadId", s->upload_id}}, .nquery = 2,
                            .body = BODY_FILE, .fd = s->fd, .off = p->off, .len = p->len, .sha256 = UNSIGNED_PAYLOAD,
                            .md5_b64 = p->md5_b64, .out_fd = -1};
            rc = request(c, &q, &r, &err);
            if (!rc && !r.etag[0]) {
                char uri[1200];
                lt_s3_uri(c, s->key, uri, sizeof uri);
                rc = lt_fail(&err, LT_ERR_RUNTIME, "PUT %s part %d: the answer has no ETag", uri, p->number);
            }
            if (!rc && s->sent)
                s->sent(s->ctx, p->off, p->len);
        }
        pthread_mutex_lock(&s->lock);
        if (!skip && !rc)
            snprintf(s->etags[p->number - 1], sizeof s->etags[0], "%s", r.etag);
        else if (!skip && !s->failed) {
            s->failed = true;
            s->err = err;
        }
        s->in_flight--;
        pthread_cond_broadcast(&s->cond);
        pthread_mutex_unlock(&s->lock); /* s may be gone from here on */
        free_resp(&r);
        free(p);
    }
}

/* Queues a part for the senders, starting them the first time. */
static int enqueue_part(struct lt_s3_client *c, struct stream_part *p, struct lt_error *err)
{
    pthread_mutex_lock(&c->qlock);
    int rc = LT_OK;
    if (c->nsenders == 0) {
        for (int i = 0; i < STREAM_SENDERS; i++)
            if (pthread_create(&c->senders[c->nsenders], NULL, stream_sender, c) == 0)
                c->nsenders++;
        if (c->nsenders == 0)
            rc = lt_fail(err, LT_ERR_RUNTIME, "cannot start a thread to send uploads");
    }
    if (!rc) {
        p->next = NULL;
        if (c->qtail)
            c->qtail->next = p;
        else
            c->qhead = p;
        c->qtail = p;
        pthread_cond_signal(&c->qcond);
    }
    pthread_mutex_unlock(&c->qlock);
    return rc;
}

int lt_s3_stream_open(struct lt_s3_client *c, const char *key, int fd, void (*sent)(void *ctx, int64_t off,
                      int64_t len), void *ctx, struct lt_s3_stream **out, struct lt_error *err)
{
    *out = NULL;
    struct lt_s3_stream *s = calloc(1, sizeof *s);
    if (!s || !(s->key = strdup(key)) || !(s->md5 = EVP_MD_CTX_new()) ||
        !EVP_DigestInit_ex(s->md5, EVP_md5(), NULL)) {
        if (s) {
            EVP_MD_CTX_free(s->md5);
            free(s->key);
        }
        free(s);
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory (or libcrypto cannot start MD5)");
    }
    s->c = c;
    s->fd = fd;
    s->sent = sent;
    s->ctx = ctx;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    *out = s;
    return LT_OK;
}

static void stream_free(struct lt_s3_stream *s)
{
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cond);
    EVP_MD_CTX_free(s->md5);
    free(s->etags);
    free(s->md5s);
    free(s->key);
    free(s);
}

/* The failure a sender recorded, as this call's error. */
static int stream_error(struct lt_s3_stream *s, struct lt_error *err)
{
    pthread_mutex_lock(&s->lock);
    *err = s->err;
    pthread_mutex_unlock(&s->lock);
    return err->code ? err->code : LT_ERR_RUNTIME;
}

/* The part being filled is complete: its MD5 is kept, and it goes to the senders (after a wait while
 * STREAM_IN_FLIGHT parts of this upload are queued or going). The first part starts the multipart upload. */
static int hand_off(struct lt_s3_stream *s, struct lt_error *err)
{
    int64_t len = s->size - s->part_off;
    struct stream_part *p = calloc(1, sizeof *p);
    if (!p)
        return stream_fail(s, lt_fail(err, LT_ERR_RUNTIME, "out of memory"), err);
    if (!s->upload_id[0] && initiate(s->c, s->key, s->upload_id, err)) {
        s->upload_id[0] = '\0';
        free(p);
        return stream_fail(s, err->code ? err->code : LT_ERR_RUNTIME, err);
    }
    pthread_mutex_lock(&s->lock);
    if (s->nparts == s->cap) {
        int cap = s->cap ? s->cap * 2 : 16;
        char (*e)[130] = realloc(s->etags, (size_t)cap * sizeof *e);
        if (e)
            s->etags = e;
        unsigned char *m = e ? realloc(s->md5s, (size_t)cap * 16) : NULL;
        if (m)
            s->md5s = m;
        if (!e || !m) {
            pthread_mutex_unlock(&s->lock);
            free(p);
            return stream_fail(s, lt_fail(err, LT_ERR_RUNTIME, "out of memory"), err);
        }
        s->cap = cap;
    }
    unsigned char *md5 = s->md5s + 16 * s->nparts;
    unsigned int n;
    EVP_DigestFinal_ex(s->md5, md5, &n);
    EVP_DigestInit_ex(s->md5, EVP_md5(), NULL);
    EVP_EncodeBlock((unsigned char *)p->md5_b64, md5, 16);
    s->etags[s->nparts][0] = '\0';
    while (s->in_flight >= STREAM_IN_FLIGHT && !s->failed)
        pthread_cond_wait(&s->cond, &s->lock);
    bool failed = s->failed;
    if (!failed)
        s->in_flight++;
    pthread_mutex_unlock(&s->lock);
    if (failed) {
        free(p);
        return stream_error(s, err);
    }
    p->s = s;
    p->number = ++s->nparts;
    p->off = s->part_off;
    p->len = len;
    s->part_off = s->size;
    if (enqueue_part(s->c, p, err)) {
        pthread_mutex_lock(&s->lock);
        s->in_flight--;
        pthread_mutex_unlock(&s->lock);
        free(p);
        return stream_fail(s, LT_ERR_RUNTIME, err);
    }
    return LT_OK;
}

int lt_s3_stream_append(struct lt_s3_stream *s, const void *data, size_t len, struct lt_error *err)
{
    const unsigned char *b = data;
    pthread_mutex_lock(&s->lock);
    bool failed = s->failed;
    pthread_mutex_unlock(&s->lock);
    if (failed)
        return stream_error(s, err);
    while (len > 0) {
        uint64_t part = stream_part_size(s->c, s->nparts);
        uint64_t filled = (uint64_t)(s->size - s->part_off);
        if (filled == part) { /* full, and more comes: it goes */
            if (hand_off(s, err))
                return err->code ? err->code : LT_ERR_RUNTIME;
            continue;
        }
        size_t take = part - filled < len ? (size_t)(part - filled) : len;
        EVP_DigestUpdate(s->md5, b, take);
        s->size += (int64_t)take;
        b += take;
        len -= take;
    }
    return LT_OK;
}

/* Waits until no part of the upload is queued or going. */
static void stream_drain(struct lt_s3_stream *s)
{
    pthread_mutex_lock(&s->lock);
    while (s->in_flight > 0)
        pthread_cond_wait(&s->cond, &s->lock);
    pthread_mutex_unlock(&s->lock);
}

void lt_s3_stream_abort(struct lt_s3_stream *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    if (!s->failed) {
        s->failed = true; /* parts still queued are not sent */
        lt_fail(&s->err, LT_ERR_RUNTIME, "the upload was abandoned");
    }
    pthread_mutex_unlock(&s->lock);
    stream_drain(s);
    if (s->upload_id[0])
        abort_quietly(s->c, s->key, s->upload_id); /* no part is left behind, billed and invisible */
    stream_free(s);
}

int lt_s3_stream_finish(struct lt_s3_stream *s, struct lt_error *err)
{
    int rc = LT_OK;
    pthread_mutex_lock(&s->lock);
    bool failed = s->failed;
    pthread_mutex_unlock(&s->lock);
    if (failed) {
        rc = stream_error(s, err);
        stream_drain(s);
        if (s->upload_id[0])
            abort_quietly(s->c, s->key, s->upload_id);
    } else if (!s->upload_id[0]) {
        /* under one part: one PUT, its MD5 taken as the bytes came */
        unsigned char md5[16];
        unsigned int n;
        char md5_b64[32];
        EVP_DigestFinal_ex(s->md5, md5, &n);
        EVP_EncodeBlock((unsigned char *)md5_b64, md5, 16);
        struct req q = {.method = "PUT", .key = s->key, .body = BODY_FILE, .fd = s->fd, .off = 0, .len = s->size,
                        .sha256 = UNSIGNED_PAYLOAD, .md5_b64 = md5_b64, .out_fd = -1};
        struct resp r = {0};
        rc = request(s->c, &q, &r, err);
        free_resp(&r);
    } else {
        if (s->size > s->part_off)
            rc = hand_off(s, err); /* the last part */
        stream_drain(s);
        pthread_mutex_lock(&s->lock);
        failed = s->failed;
        pthread_mutex_unlock(&s->lock);
        if (!rc && failed)
            rc = stream_error(s, err);
        if (!rc) {
            char expected[64];
            multipart_etag(s->md5s, s->nparts, expected);
            rc = complete(s->c, s->key, s->upload_id, s->etags, s->nparts, expected, err);
        }
        if (rc)
            abort_quietly(s->c, s->key, s->upload_id);
    }
    stream_free(s);
    return rc;
}

int lt_s3_put_file(struct lt_s3_client *c, const char *key, const char *path, struct lt_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return lt_fail_errno(err, errno, "cannot open %s for upload", path);
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        return lt_fail_errno(err, e, "cannot stat %s", path);
    }
    unsigned char *buf = malloc(HASH_CHUNK);
    int rc;
    if (!buf)
        rc = lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    else if ((uint64_t)sb.st_size <= c->part_size)
        rc = put_single(c, key, fd, sb.st_size, buf, path, err);
    else
        rc = put_multipart(c, key, fd, sb.st_size, path, err);
    free(buf);
    close(fd);
    return rc;
}

int lt_s3_put_bytes(struct lt_s3_client *c, const char *key, const void *data, size_t len, struct lt_error *err)
{
    unsigned char md5[16];
    unsigned int n;
    char md5_b64[32], sha[65];
    EVP_Digest(data, len, md5, &n, EVP_md5(), NULL);
    EVP_EncodeBlock((unsigned char *)md5_b64, md5, 16);
    lt_sha256_hex(data, len, sha);
    struct req q = {.method = "PUT", .key = key, .body = BODY_MEM, .mem = data, .mem_len = len, .len = (int64_t)len,
                    .sha256 = sha, .md5_b64 = md5_b64, .out_fd = -1};
    struct resp r = {0};
    int rc = request(c, &q, &r, err);
    free_resp(&r);
    return rc;
}

/* ---- downloads, deletes, copies ---- */

int lt_s3_get_file(struct lt_s3_client *c, const char *key, const char *path, int64_t *bytes, bool *missing,
                   struct lt_error *err)
{
    if (missing)
        *missing = false;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return lt_fail_errno(err, errno, "cannot create %s", path);
    struct req q = {.method = "GET", .key = key, .sha256 = EMPTY_SHA256, .out_fd = fd};
    struct resp r = {0};
    int rc = request(c, &q, &r, err);
    if (rc && missing && r.status == 404 && strstr(err->msg, "NoSuchKey"))
        *missing = true;
    if (close(fd) != 0 && !rc)
        rc = lt_fail_errno(err, errno, "cannot write %s", path);
    if (!rc)
        *bytes = r.written;
    free_resp(&r);
    return rc;
}

int lt_s3_delete(struct lt_s3_client *c, const char *key, struct lt_error *err)
{
    struct req q = {.method = "DELETE", .key = key, .sha256 = EMPTY_SHA256, .out_fd = -1};
    struct resp r = {0};
    int rc = request(c, &q, &r, err);
    if (rc && r.status == 404) {
        lt_error_clear(err);
        rc = LT_OK;
    }
    free_resp(&r);
    return rc;
}

int lt_s3_copy(struct lt_s3_client *c, const char *from_key, const char *to_key, int64_t size, struct lt_error *err)
{
    struct strbuf src = {0}, raw = {0};
    sb_printf(&raw, "%s/%s", c->bucket, from_key);
    sb_putc(&src, '/');
    lt_sigv4_uri_encode(&src, raw.s, raw.len, true);
    sb_free(&raw);
    if (src.oom)
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    int rc = LT_OK;
    if ((uint64_t)size <= MAX_SINGLE_COPY) {
        struct req q = {.method = "PUT", .key = to_key, .extra = {{"x-amz-copy-source", src.s}}, .nextra = 1,
                        .sha256 = EMPTY_SHA256, .out_fd = -1};
        struct resp r = {0};
        rc = request(c, &q, &r, err);
        free_resp(&r);
        sb_free(&src);
        return rc;
    }
    /* over 5 GiB: a multipart upload whose parts are copied from ranges of the source */
    uint64_t part = 1ULL << 30;
    int nparts = (int)(((uint64_t)size + part - 1) / part);
    char (*etags)[130] = calloc((size_t)nparts, sizeof *etags);
    char upload_id[1024] = "";
    if (!etags) {
        sb_free(&src);
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    }
    rc = initiate(c, to_key, upload_id, err);
    for (int i = 0; !rc && i < nparts; i++) {
        int64_t off = (int64_t)part * i, last = off + (int64_t)part - 1 < size - 1 ? off + (int64_t)part - 1 : size - 1;
        char number[16], range[64];
        snprintf(number, sizeof number, "%d", i + 1);
        snprintf(range, sizeof range, "bytes=%" PRId64 "-%" PRId64, off, last);
        struct req q = {.method = "PUT", .key = to_key, .query = {{"partNumber", number}, {"uploadId", upload_id}},
                        .nquery = 2, .extra = {{"x-amz-copy-source", src.s}, {"x-amz-copy-source-range", range}},
                        .nextra = 2, .sha256 = EMPTY_SHA256, .out_fd = -1};
        struct resp r = {0};
        rc = request(c, &q, &r, err);
        if (!rc && !lt_xml_text(sb_str(&r.body), r.body.len, "ETag", etags[i], sizeof etags[i]))
            rc = lt_fail(err, LT_ERR_RUNTIME, "UploadPartCopy of %s: the answer has no ETag", from_key);
        free_resp(&r);
    }
    if (!rc)
        rc = complete(c, to_key, upload_id, etags, nparts, "", err);
    else if (upload_id[0])
        abort_quietly(c, to_key, upload_id);
    free(etags);
    sb_free(&src);
    return rc;
}

/* ---- listings ---- */

int lt_s3_list(struct lt_s3_client *c, const char *prefix, lt_s3_list_fn fn, void *ctx, struct lt_error *err)
{
    char token[1024] = "";
    char *key = malloc(2048);
    if (!key)
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    int rc = LT_OK, stop = 0;
    do {
        struct req q = {.method = "GET", .query = {{"list-type", "2"}, {"prefix", prefix}}, .nquery = 2,
                        .sha256 = EMPTY_SHA256, .out_fd = -1};
        if (token[0])
            q.query[q.nquery++] = (struct lt_sigv4_pair){"continuation-token", token};
        struct resp r = {0};
        if ((rc = request(c, &q, &r, err))) {
            free_resp(&r);
            break;
        }
        const char *at = sb_str(&r.body), *end = at + r.body.len, *inner;
        size_t len;
        while (!stop && lt_xml_next(&at, end, "Contents", &inner, &len)) {
            char size[32] = "0";
            if (!lt_xml_text(inner, len, "Key", key, 2048)) {
                rc = lt_fail(err, LT_ERR_RUNTIME, "ListObjectsV2 of s3://%s/%s: an entry without a readable Key",
                             c->bucket, prefix);
                break;
            }
            lt_xml_text(inner, len, "Size", size, sizeof size);
            stop = fn(ctx, key, strtoll(size, NULL, 10));
        }
        char truncated[8] = "";
        lt_xml_text(sb_str(&r.body), r.body.len, "IsTruncated", truncated, sizeof truncated);
        token[0] = '\0';
        if (!rc && !stop && !strcmp(truncated, "true") &&
            !lt_xml_text(sb_str(&r.body), r.body.len, "NextContinuationToken", token, sizeof token))
            rc = lt_fail(err, LT_ERR_RUNTIME, "ListObjectsV2 of s3://%s/%s: truncated without a continuation token",
                         c->bucket, prefix);
        free_resp(&r);
    } while (!rc && !stop && token[0]);
    free(key);
    return rc;
}

int lt_s3_list_uploads(struct lt_s3_client *c, const char *prefix, lt_s3_upload_fn fn, void *ctx,
                       struct lt_error *err)
{
    char key_marker[2048] = "", id_marker[1024] = "";
    char *key = malloc(2048), *id = malloc(1024);
    int rc = LT_OK, stop = 0;
    if (!key || !id)
        rc = lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    bool more = true;
    while (!rc && !stop && more) {
        struct req q = {.method = "GET", .query = {{"uploads", ""}, {"prefix", prefix}}, .nquery = 2,
                        .sha256 = EMPTY_SHA256, .out_fd = -1};
        if (key_marker[0]) {
            q.query[q.nquery++] = (struct lt_sigv4_pair){"key-marker", key_marker};
            q.query[q.nquery++] = (struct lt_sigv4_pair){"upload-id-marker", id_marker};
        }
        struct resp r = {0};
        if ((rc = request(c, &q, &r, err))) {
            free_resp(&r);
            break;
        }
        const char *at = sb_str(&r.body), *end = at + r.body.len, *inner;
        size_t len;
        while (!stop && lt_xml_next(&at, end, "Upload", &inner, &len))
            if (lt_xml_text(inner, len, "Key", key, 2048) && lt_xml_text(inner, len, "UploadId", id, 1024))
                stop = fn(ctx, key, id);
        char truncated[8] = "";
        lt_xml_text(sb_str(&r.body), r.body.len, "IsTruncated", truncated, sizeof truncated);
        more = !strcmp(truncated, "true") &&
               lt_xml_text(sb_str(&r.body), r.body.len, "NextKeyMarker", key_marker, sizeof key_marker) &&
               lt_xml_text(sb_str(&r.body), r.body.len, "NextUploadIdMarker", id_marker, sizeof id_marker) &&
               key_marker[0];
        free_resp(&r);
    }
    free(key);
    free(id);
    return rc;
}

int lt_s3_abort_upload(struct lt_s3_client *c, const char *key, const char *upload_id, struct lt_error *err)
{
    struct req q = {.method = "DELETE", .key = key, .query = {{"uploadId", upload_id}}, .nquery = 1,
                    .sha256 = EMPTY_SHA256, .out_fd = -1};
    struct resp r = {0};
    int rc = request(c, &q, &r, err);
    if (rc && r.status == 404) { /* already gone */
        lt_error_clear(err);
        rc = LT_OK;
    }
    free_resp(&r);
    return rc;
}
