/* Element lookup in S3's XML answers (see s3_xml.h). */
#include "stores/s3/s3_xml.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The next start tag "<name>", "<name ...>" or "<name/>" in [p, end): where it starts, NULL when none. */
static const char *find_start(const char *p, const char *end, const char *name, size_t nlen)
{
    while (p < end) {
        const char *lt = memchr(p, '<', (size_t)(end - p));
        if (!lt || (size_t)(end - lt) < nlen + 2)
            return NULL;
        if (memcmp(lt + 1, name, nlen) == 0) {
            char c = lt[1 + nlen];
            if (c == '>' || c == ' ' || c == '/' || c == '\t' || c == '\r' || c == '\n')
                return lt;
        }
        p = lt + 1;
    }
    return NULL;
}

bool lt_xml_next(const char **at, const char *end, const char *name, const char **inner, size_t *len)
{
    size_t nlen = strlen(name);
    const char *lt = find_start(*at, end, name, nlen);
    if (!lt)
        return false;
    const char *gt = memchr(lt, '>', (size_t)(end - lt));
    if (!gt)
        return false;
    if (gt[-1] == '/') { /* <Name/> */
        *inner = gt + 1;
        *len = 0;
        *at = gt + 1;
        return true;
    }
    const char *content = gt + 1;
    /* the matching end tag: S3's elements do not nest an element inside one of the same name */
    for (const char *p = content; p < end;) {
        const char *close = memchr(p, '<', (size_t)(end - p));
        if (!close || (size_t)(end - close) < nlen + 3)
            return false;
        if (close[1] == '/' && memcmp(close + 2, name, nlen) == 0 && close[2 + nlen] == '>') {
            *inner = content;
            *len = (size_t)(close - content);
            *at = close + nlen + 3;
            return true;
        }
        p = close + 1;
    }
    return false;
}

static void put_utf8(uint32_t cp, char *out, size_t *k)
{
    if (cp < 0x80) {
        out[(*k)++] = (char)cp;
    } else if (cp < 0x800) {
        out[(*k)++] = (char)(0xC0 | (cp >> 6));
        out[(*k)++] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out[(*k)++] = (char)(0xE0 | (cp >> 12));
        out[(*k)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[(*k)++] = (char)(0x80 | (cp & 0x3F));
    } else {
        out[(*k)++] = (char)(0xF0 | (cp >> 18));
        out[(*k)++] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[(*k)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[(*k)++] = (char)(0x80 | (cp & 0x3F));
    }
}

bool lt_xml_decode(const char *s, size_t n, char *out, size_t outlen)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k + 5 > outlen)
            return false;
        if (s[i] != '&') {
            out[k++] = s[i];
            continue;
        }
        const char *semi = memchr(s + i, ';', n - i);
        if (!semi || semi - (s + i) > 12)
            return false;
        size_t elen = (size_t)(semi - (s + i)) + 1;
        const char *e = s + i;
        if (elen == 5 && !memcmp(e, "&amp;", 5))
            out[k++] = '&';
        else if (elen == 4 && !memcmp(e, "&lt;", 4))
            out[k++] = '<';
        else if (elen == 4 && !memcmp(e, "&gt;", 4))
            out[k++] = '>';
        else if (elen == 6 && !memcmp(e, "&quot;", 6))
            out[k++] = '"';
        else if (elen == 6 && !memcmp(e, "&apos;", 6))
            out[k++] = '\'';
        else if (elen > 3 && e[1] == '#') {
            char num[16];
            bool hexa = e[2] == 'x' || e[2] == 'X';
            size_t digits = elen - 3 - (hexa ? 1 : 0);
            if (digits == 0 || digits >= sizeof num)
                return false;
            memcpy(num, e + 2 + (hexa ? 1 : 0), digits);
            num[digits] = '\0';
            char *stop;
            unsigned long cp = strtoul(num, &stop, hexa ? 16 : 10);
            if (*stop || cp == 0 || cp > 0x10FFFF)
                return false;
            put_utf8((uint32_t)cp, out, &k);
        } else {
            return false;
        }
        i += elen - 1;
    }
    if (k >= outlen)
        return false;
    out[k] = '\0';
    return true;
}

bool lt_xml_text(const char *doc, size_t n, const char *name, char *out, size_t outlen)
{
    const char *at = doc, *inner;
    size_t len;
    if (outlen)
        out[0] = '\0';
    if (!lt_xml_next(&at, doc + n, name, &inner, &len))
        return false;
    return lt_xml_decode(inner, len, out, outlen);
}
