/* SigV4 signing (see sigv4.h). */
#include "stores/s3/sigv4.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

void lt_hex(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

void lt_sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char d[32];
    unsigned int n = 0;
    EVP_Digest(data, len, d, &n, EVP_sha256(), NULL);
    lt_hex(d, 32, out);
}

static void hmac(const unsigned char *key, size_t keylen, const char *msg, unsigned char out[32])
{
    unsigned int n = 32;
    HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)msg, strlen(msg), out, &n);
}

static bool unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~';
}

void lt_sigv4_uri_encode(struct strbuf *out, const char *s, size_t n, bool keep_slash)
{
    static const char digits[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (unreserved(c) || (keep_slash && c == '/')) {
            sb_putc(out, (char)c);
        } else {
            char e[3] = {'%', digits[c >> 4], digits[c & 15]};
            sb_append(out, e, 3);
        }
    }
}

/* The path with "." and empty segments dropped and ".." resolved (a trailing slash kept). */
static void normalized_path(const char *path, struct strbuf *out)
{
    size_t n = strlen(path);
    /* segment starts and lengths on a stack as long as the path has segments */
    size_t *starts = malloc((n / 2 + 2) * sizeof *starts), *lens = malloc((n / 2 + 2) * sizeof *lens);
    if (!starts || !lens) {
        free(starts);
        free(lens);
        out->oom = true;
        return;
    }
    int depth = 0;
    for (size_t i = 0; i < n;) {
        while (i < n && path[i] == '/')
            i++;
        size_t j = i;
        while (j < n && path[j] != '/')
            j++;
        size_t len = j - i;
        if (len == 0 || (len == 1 && path[i] == '.')) {
            /* nothing */
        } else if (len == 2 && path[i] == '.' && path[i + 1] == '.') {
            if (depth > 0)
                depth--;
        } else {
            starts[depth] = i;
            lens[depth++] = len;
        }
        i = j;
    }
    sb_putc(out, '/');
    for (int d = 0; d < depth; d++) {
        if (d)
            sb_putc(out, '/');
        sb_append(out, path + starts[d], lens[d]);
    }
    if (depth > 0 && n > 0 && path[n - 1] == '/')
        sb_putc(out, '/');
    free(starts);
    free(lens);
}

struct enc_pair {
    char *name, *value;
    int order;
};

static int compare_pairs(const void *pa, const void *pb)
{
    const struct enc_pair *a = pa, *b = pb;
    int c = strcmp(a->name, b->name);
    if (c)
        return c;
    c = strcmp(a->value, b->value);
    return c ? c : (a->order > b->order) - (a->order < b->order);
}

static int compare_headers(const void *pa, const void *pb)
{
    const struct enc_pair *a = pa, *b = pb;
    int c = strcmp(a->name, b->name);
    return c ? c : (a->order > b->order) - (a->order < b->order); /* duplicates keep their order */
}

static char *dup_sb(struct strbuf *b)
{
    char *s = strdup(sb_str(b));
    sb_reset(b);
    return s;
}

/* A header value trimmed, with every run of white space (folded lines included) made one space. */
static char *header_value(const char *v)
{
    size_t n = strlen(v);
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    size_t k = 0;
    bool space = false;
    for (size_t i = 0; i < n; i++) {
        if (isspace((unsigned char)v[i])) {
            space = k > 0;
            continue;
        }
        if (space)
            out[k++] = ' ';
        space = false;
        out[k++] = v[i];
    }
    out[k] = '\0';
    return out;
}

static void free_pairs(struct enc_pair *p, int n)
{
    for (int i = 0; p && i < n; i++) {
        free(p[i].name);
        free(p[i].value);
    }
    free(p);
}

void lt_sigv4_canonical_request(const struct lt_sigv4_request *r, struct strbuf *out, struct strbuf *signed_headers)
{
    sb_reset(out);
    sb_reset(signed_headers);
    sb_puts(out, r->method);
    sb_putc(out, '\n');
    if (r->normalize_path) {
        struct strbuf p = {0};
        normalized_path(r->path, &p);
        if (p.oom)
            out->oom = true;
        lt_sigv4_uri_encode(out, sb_str(&p), p.len, true);
        sb_free(&p);
    } else {
        lt_sigv4_uri_encode(out, r->path, strlen(r->path), true);
    }
    sb_putc(out, '\n');

    struct strbuf tmp = {0};
    struct enc_pair *q = calloc((size_t)r->nquery + 1, sizeof *q);
    if (!q)
        out->oom = true;
    for (int i = 0; q && i < r->nquery; i++) {
        lt_sigv4_uri_encode(&tmp, r->query[i].name, strlen(r->query[i].name), false);
        q[i].name = dup_sb(&tmp);
        const char *v = r->query[i].value ? r->query[i].value : "";
        lt_sigv4_uri_encode(&tmp, v, strlen(v), false);
        q[i].value = dup_sb(&tmp);
        q[i].order = i;
        if (!q[i].name || !q[i].value)
            out->oom = true;
    }
    if (q && !out->oom) {
        qsort(q, (size_t)r->nquery, sizeof *q, compare_pairs);
        for (int i = 0; i < r->nquery; i++) {
            if (i)
                sb_putc(out, '&');
            sb_puts(out, q[i].name);
            sb_putc(out, '=');
            sb_puts(out, q[i].value);
        }
    }
    free_pairs(q, r->nquery);
    sb_putc(out, '\n');

    struct enc_pair *h = calloc((size_t)r->nheaders + 1, sizeof *h);
    if (!h)
        out->oom = true;
    for (int i = 0; h && i < r->nheaders; i++) {
        h[i].name = strdup(r->headers[i].name);
        h[i].value = header_value(r->headers[i].value ? r->headers[i].value : "");
        h[i].order = i;
        if (!h[i].name || !h[i].value) {
            out->oom = true;
            continue;
        }
        for (char *c = h[i].name; *c; c++)
            *c = (char)tolower((unsigned char)*c);
    }
    if (h && !out->oom) {
        qsort(h, (size_t)r->nheaders, sizeof *h, compare_headers);
        for (int i = 0; i < r->nheaders; i++) {
            bool same = i > 0 && strcmp(h[i].name, h[i - 1].name) == 0;
            if (same) {
                sb_putc(out, ',');
            } else {
                if (i) {
                    sb_putc(out, '\n');
                    sb_putc(signed_headers, ';');
                }
                sb_puts(out, h[i].name);
                sb_putc(out, ':');
                sb_puts(signed_headers, h[i].name);
            }
            sb_puts(out, h[i].value);
        }
        if (r->nheaders)
            sb_putc(out, '\n');
    }
    free_pairs(h, r->nheaders);
    sb_free(&tmp);
    sb_putc(out, '\n');
    sb_puts(out, sb_str(signed_headers));
    sb_putc(out, '\n');
    sb_puts(out, r->payload_sha256);
    if (signed_headers->oom)
        out->oom = true;
}

void lt_sigv4_string_to_sign(const struct lt_sigv4_key *k, const char *canonical_request, struct strbuf *out)
{
    char hash[65];
    lt_sha256_hex(canonical_request, strlen(canonical_request), hash);
    sb_reset(out);
    sb_printf(out, "AWS4-HMAC-SHA256\n%s\n%.8s/%s/%s/aws4_request\n%s", k->amz_date, k->amz_date, k->region,
              k->service, hash);
}

void lt_sigv4_signing_key(const char *secret, const char *date8, const char *region, const char *service,
                          unsigned char key[32])
{
    size_t n = strlen(secret);
    unsigned char *k0 = malloc(n + 5);
    unsigned char a[32], b[32];
    if (!k0) {
        memset(key, 0, 32);
        return;
    }
    memcpy(k0, "AWS4", 4);
    memcpy(k0 + 4, secret, n);
    char date[9];
    snprintf(date, sizeof date, "%.8s", date8);
    hmac(k0, n + 4, date, a);
    OPENSSL_cleanse(k0, n + 4);
    free(k0);
    hmac(a, 32, region, b);
    hmac(b, 32, service, a);
    hmac(a, 32, "aws4_request", key);
    OPENSSL_cleanse(a, sizeof a);
    OPENSSL_cleanse(b, sizeof b);
}

bool lt_sigv4_sign(const struct lt_sigv4_request *r, const struct lt_sigv4_key *k, char signature[65],
                   struct strbuf *authorization)
{
    struct strbuf creq = {0}, signed_headers = {0}, sts = {0};
    lt_sigv4_canonical_request(r, &creq, &signed_headers);
    lt_sigv4_string_to_sign(k, sb_str(&creq), &sts);
    bool ok = !creq.oom && !signed_headers.oom && !sts.oom;
    unsigned char key[32], sig[32];
    lt_sigv4_signing_key(k->secret_access_key, k->amz_date, k->region, k->service, key);
    hmac(key, 32, sb_str(&sts), sig);
    OPENSSL_cleanse(key, sizeof key);
    lt_hex(sig, 32, signature);
    sb_reset(authorization);
    sb_printf(authorization, "AWS4-HMAC-SHA256 Credential=%s/%.8s/%s/%s/aws4_request, SignedHeaders=%s, Signature=%s",
              k->access_key_id, k->amz_date, k->region, k->service, sb_str(&signed_headers), signature);
    ok = ok && !authorization->oom;
    sb_free(&creq);
    sb_free(&signed_headers);
    sb_free(&sts);
    return ok;
}
