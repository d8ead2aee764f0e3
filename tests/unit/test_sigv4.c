/* SigV4 against AWS's published Signature Version 4 test suite (sigv4_vectors.h: every case's canonical request,
 * string to sign and signature) and the S3 example of AWS's "Signature Calculations for the Authorization Header"
 * page (a GET with a Range header, signed payload hash of the empty body). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sigv4_vectors.h"
#include "stores/s3/sigv4.h"
#include "unit.h"

#define MAX_PAIRS 32

static char *percent_decode(const char *s, size_t n)
{
    char *out = malloc(n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (s[i] == '%' && i + 2 < n + 1 && sscanf(s + i + 1, "%2x", &v) == 1) {
            out[k++] = (char)v;
            i += 2;
        } else {
            out[k++] = s[i];
        }
    }
    out[k] = '\0';
    return out;
}

struct parsed {
    char *method, *path, *body;
    struct lt_sigv4_pair query[MAX_PAIRS], headers[MAX_PAIRS];
    char *owned[4 * MAX_PAIRS];
    int nquery, nheaders, nowned;
};

static char *own(struct parsed *p, char *s)
{
    p->owned[p->nowned++] = s;
    return s;
}

/* Parses the raw request of a test case: request line, headers (folded lines joined), body. */
static void parse_request(const char *raw, struct parsed *p)
{
    memset(p, 0, sizeof *p);
    const char *eol = strchr(raw, '\n');
    const char *sp = strchr(raw, ' ');
    const char *http = strstr(raw, " HTTP/1.1");
    p->method = own(p, strndup(raw, (size_t)(sp - raw)));
    const char *target = sp + 1;
    const char *q = memchr(target, '?', (size_t)(http - target));
    p->path = own(p, strndup(target, (size_t)((q ? q : http) - target)));
    if (q) {
        const char *a = q + 1;
        while (a < http) {
            const char *amp = memchr(a, '&', (size_t)(http - a));
            const char *end = amp ? amp : http;
            const char *eq = memchr(a, '=', (size_t)(end - a));
            struct lt_sigv4_pair *x = &p->query[p->nquery++];
            x->name = own(p, percent_decode(a, (size_t)((eq ? eq : end) - a)));
            x->value = own(p, eq ? percent_decode(eq + 1, (size_t)(end - eq - 1)) : strdup(""));
            a = end + 1;
        }
    }
    const char *line = eol + 1;
    char *value = NULL;
    while (*line && *line != '\n') {
        const char *end = strchr(line, '\n');
        size_t n = end ? (size_t)(end - line) : strlen(line);
        if (line[0] == ' ' || line[0] == '\t') { /* a folded line continues the previous header */
            size_t old = strlen(value);
            value = realloc(value, old + n + 2);
            value[old] = '\n';
            memcpy(value + old + 1, line, n);
            value[old + 1 + n] = '\0';
            p->owned[p->nowned - 1] = value;
            p->headers[p->nheaders - 1].value = value;
        } else {
            const char *colon = memchr(line, ':', n);
            struct lt_sigv4_pair *h = &p->headers[p->nheaders++];
            h->name = own(p, strndup(line, (size_t)(colon - line)));
            value = own(p, strndup(colon + 1, n - (size_t)(colon + 1 - line)));
            h->value = value;
        }
        line = end ? end + 1 : line + n;
    }
    p->body = own(p, strdup(*line == '\n' ? line + 1 : ""));
}

static void free_parsed(struct parsed *p)
{
    for (int i = 0; i < p->nowned; i++)
        free(p->owned[i]);
}

static void test_aws_suite(void)
{
    int n = (int)(sizeof sigv4_vectors / sizeof sigv4_vectors[0]);
    CHECK(n >= 38);
    for (int i = 0; i < n; i++) {
        const struct sigv4_vector *v = &sigv4_vectors[i];
        struct parsed p;
        parse_request(v->request, &p);
        p.headers[p.nheaders++] = (struct lt_sigv4_pair){"X-Amz-Date", "20150830T123600Z"};
        if (v->token && !v->omit_token)
            p.headers[p.nheaders++] = (struct lt_sigv4_pair){"X-Amz-Security-Token", v->token};
        char payload[65];
        lt_sha256_hex(p.body, strlen(p.body), payload);
        if (v->sign_body)
            p.headers[p.nheaders++] = (struct lt_sigv4_pair){"X-Amz-Content-Sha256", payload};
        struct lt_sigv4_request r = {
            .method = p.method, .path = p.path, .normalize_path = v->normalize, .query = p.query,
            .nquery = p.nquery, .headers = p.headers, .nheaders = p.nheaders, .payload_sha256 = payload,
        };
        struct lt_sigv4_key k = {.access_key_id = "AKIDEXAMPLE",
                                 .secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                 .region = "us-east-1", .service = "service", .amz_date = "20150830T123600Z"};
        struct strbuf creq = {0}, signed_headers = {0}, sts = {0}, auth = {0};
        lt_sigv4_canonical_request(&r, &creq, &signed_headers);
        lt_sigv4_string_to_sign(&k, sb_str(&creq), &sts);
        char sig[65];
        CHECK(lt_sigv4_sign(&r, &k, sig, &auth));
        bool ok = CHECK_STR(sb_str(&creq), v->canonical_request);
        ok &= CHECK_STR(sb_str(&sts), v->string_to_sign);
        ok &= CHECK_STR(sig, v->signature);
        char want_auth[512];
        snprintf(want_auth, sizeof want_auth,
                 "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=%s, "
                 "Signature=%s",
                 sb_str(&signed_headers), v->signature);
        ok &= CHECK_STR(sb_str(&auth), want_auth);
        if (!ok)
            printf("  in case %s\n", v->name);
        sb_free(&creq);
        sb_free(&signed_headers);
        sb_free(&sts);
        sb_free(&auth);
        free_parsed(&p);
    }
}

static void test_s3_get_object_example(void)
{
    static const struct lt_sigv4_pair headers[] = {
        {"Host", "examplebucket.s3.amazonaws.com"},
        {"Range", "bytes=0-9"},
        {"x-amz-content-sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"x-amz-date", "20130524T000000Z"},
    };
    struct lt_sigv4_request r = {.method = "GET", .path = "/test.txt", .headers = headers, .nheaders = 4,
                                 .payload_sha256 = headers[2].value};
    struct lt_sigv4_key k = {.access_key_id = "AKIAIOSFODNN7EXAMPLE",
                             .secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", .region = "us-east-1",
                             .service = "s3", .amz_date = "20130524T000000Z"};
    struct strbuf creq = {0}, signed_headers = {0}, auth = {0};
    lt_sigv4_canonical_request(&r, &creq, &signed_headers);
    CHECK_STR(sb_str(&creq), "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
                             "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
                             "x-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n"
                             "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    char sig[65];
    CHECK(lt_sigv4_sign(&r, &k, sig, &auth));
    CHECK_STR(sig, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    sb_free(&creq);
    sb_free(&signed_headers);
    sb_free(&auth);
}

static void test_uri_encode(void)
{
    struct strbuf b = {0};
    const char *s = "a b/c~d.e_f-g+h=i&j%k\xc3\xa9";
    lt_sigv4_uri_encode(&b, s, strlen(s), true);
    CHECK_STR(sb_str(&b), "a%20b/c~d.e_f-g%2Bh%3Di%26j%25k%C3%A9");
    sb_reset(&b);
    lt_sigv4_uri_encode(&b, s, strlen(s), false);
    CHECK_STR(sb_str(&b), "a%20b%2Fc~d.e_f-g%2Bh%3Di%26j%25k%C3%A9");
    sb_free(&b);
}

int main(void)
{
    RUN(test_aws_suite);
    RUN(test_s3_get_object_example);
    RUN(test_uri_encode);
    return unit_report();
}
