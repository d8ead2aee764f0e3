/* COPY text-format row parsing (see pg_copy_text.h for the layout). */
#include "sources/postgres/pg_copy_text.h"

#include <string.h>

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Unescapes [p, end) in place; returns the new length. */
static size_t unescape(char *p, const char *end)
{
    char *out = p;
    const char *in = p;
    while (in < end) {
        if (*in != '\\' || in + 1 >= end) {
            *out++ = *in++;
            continue;
        }
        char c = in[1];
        in += 2;
        switch (c) {
        case 'b': *out++ = '\b'; break;
        case 'f': *out++ = '\f'; break;
        case 'n': *out++ = '\n'; break;
        case 'r': *out++ = '\r'; break;
        case 't': *out++ = '\t'; break;
        case 'v': *out++ = '\v'; break;
        case 'x': {
            int v = 0, digits = 0, h;
            while (digits < 2 && in < end && (h = hexval(*in)) >= 0) {
                v = v * 16 + h;
                in++;
                digits++;
            }
            if (digits == 0)
                *out++ = 'x';
            else
                *out++ = (char)v;
            break;
        }
        default:
            if (c >= '0' && c <= '7') {
                int v = c - '0', digits = 1;
                while (digits < 3 && in < end && *in >= '0' && *in <= '7') {
                    v = v * 8 + (*in - '0');
                    in++;
                    digits++;
                }
                *out++ = (char)v;
            } else {
                *out++ = c;
            }
        }
    }
    return (size_t)(out - p);
}

int lt_pg_copy_parse_row(char *buf, size_t len, struct lt_value *vals, int nvals, struct lt_error *err)
{
    if (len > 0 && buf[len - 1] == '\n')
        len--;
    if (nvals == 0)
        return len == 0 ? LT_OK : lt_fail(err, LT_ERR_RUNTIME, "COPY row has fields, expected none");
    char *p = buf, *end = buf + len;
    int i = 0;
    for (;;) {
        char *tab = memchr(p, '\t', (size_t)(end - p));
        char *fend = tab ? tab : end;
        if (i >= nvals)
            return lt_fail(err, LT_ERR_RUNTIME, "COPY row has more than the %d expected fields", nvals);
        struct lt_value *v = &vals[i++];
        if (fend - p == 2 && p[0] == '\\' && p[1] == 'N') {
            v->state = LT_VALUE_NULL;
            v->data = NULL;
            v->len = 0;
        } else {
            v->state = LT_VALUE_PRESENT;
            v->data = p;
            v->len = memchr(p, '\\', (size_t)(fend - p)) ? (uint32_t)unescape(p, fend) : (uint32_t)(fend - p);
        }
        if (!tab)
            break;
        p = tab + 1;
    }
    if (i != nvals)
        return lt_fail(err, LT_ERR_RUNTIME, "COPY row has %d fields, expected %d", i, nvals);
    return LT_OK;
}
