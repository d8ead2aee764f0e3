/* AWS Signature Version 4, as a pure function of a request: the canonical request, the string to sign, the
 * signing key and the Authorization header (AWS's "Signature Version 4 signing process"). Nothing here does I/O or
 * reads a clock: the caller passes the time, so the whole module is checked against AWS's published SigV4 test
 * suite (tests/unit/test_sigv4.c). Hashes and HMACs come from OpenSSL's libcrypto. */
#ifndef LOGTAP_S3_SIGV4_H
#define LOGTAP_S3_SIGV4_H

#include <stdbool.h>
#include <stddef.h>

#include "stores/s3/strbuf.h"

struct lt_sigv4_pair {
    const char *name;
    const char *value;  /* a query parameter without '=' has the value "" */
};

struct lt_sigv4_request {
    const char *method;                    /* "GET", "PUT", ... */
    const char *path;                      /* the path as sent, not yet URI-encoded ("/bucket/a key") */
    bool normalize_path;                   /* drop "." and empty segments, resolve ".."; S3 never does */
    const struct lt_sigv4_pair *query;     /* raw (decoded) names and values, any order */
    int nquery;
    const struct lt_sigv4_pair *headers;   /* every header to sign, host included, any case and order */
    int nheaders;
    const char *payload_sha256;            /* lowercase hex of the body's SHA-256, or "UNSIGNED-PAYLOAD" */
};

struct lt_sigv4_key {
    const char *access_key_id;
    const char *secret_access_key;
    const char *region;
    const char *service;                   /* "s3" */
    const char *amz_date;                  /* "YYYYMMDDTHHMMSSZ", the x-amz-date header's value */
};

/* RFC 3986 percent-encoding as SigV4 wants it: A-Z a-z 0-9 - . _ ~ stay, every other byte becomes %XX (uppercase
 * hex); '/' stays when keep_slash (paths), else it is encoded too (query names and values). */
void lt_sigv4_uri_encode(struct strbuf *out, const char *s, size_t n, bool keep_slash);

/* The canonical request; signed_headers gets "host;x-amz-date;..." (lowercase, sorted). */
void lt_sigv4_canonical_request(const struct lt_sigv4_request *r, struct strbuf *out, struct strbuf *signed_headers);

/* "AWS4-HMAC-SHA256\n<amz_date>\n<date>/<region>/<service>/aws4_request\n<hex sha256 of the canonical request>". */
void lt_sigv4_string_to_sign(const struct lt_sigv4_key *k, const char *canonical_request, struct strbuf *out);

/* HMAC chain "AWS4"+secret -> date -> region -> service -> "aws4_request". */
void lt_sigv4_signing_key(const char *secret, const char *date8, const char *region, const char *service,
                          unsigned char key[32]);

/* The lowercase hex signature (64 characters + NUL) and the Authorization header's value
 * ("AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=..."); false when memory ran out. */
bool lt_sigv4_sign(const struct lt_sigv4_request *r, const struct lt_sigv4_key *k, char signature[65],
                   struct strbuf *authorization);

/* Lowercase hex SHA-256 of a buffer (65 bytes with the NUL). */
void lt_sha256_hex(const void *data, size_t len, char out[65]);
void lt_hex(const unsigned char *in, size_t n, char *out);

#endif
