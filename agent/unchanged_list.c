/* The _logtap_unchanged list's encoding (see unchanged_list.h). */
#include "agent/unchanged_list.h"

#include <string.h>

static bool needs_quotes(const char *name)
{
    return name[0] == '\0' || name[0] == '"' || strchr(name, ',') != NULL;
}

size_t lt_unchanged_item(char *out, const char *name, bool first)
{
    size_t n = 0;
    if (!first) {
        if (out)
            out[n] = ',';
        n++;
    }
    if (!needs_quotes(name)) {
        size_t len = strlen(name);
        if (out)
            memcpy(out + n, name, len);
        return n + len;
    }
    if (out)
        out[n] = '"';
    n++;
    for (const char *c = name; *c; c++) {
        if (*c == '"') {
            if (out)
                out[n] = '"';
            n++;
        }
        if (out)
            out[n] = *c;
        n++;
    }
    if (out)
        out[n] = '"';
    return n + 1;
}

int lt_unchanged_next(const char **p, const char *end, char *name, size_t cap, size_t *len)
{
    const char *s = *p;
    if (s >= end)
        return 0;
    size_t n = 0;
    if (*s == '"') {
        s++;
        for (;;) {
            if (s >= end)
                return -1;
            if (*s == '"') {
                if (s + 1 < end && s[1] == '"') {
                    if (n + 1 < cap)
                        name[n++] = '"';
                    s += 2;
                    continue;
                }
                s++;
                break;
            }
            if (n + 1 < cap)
                name[n++] = *s;
            s++;
        }
        if (s < end && *s != ',')
            return -1;
    } else {
        while (s < end && *s != ',') {
            if (n + 1 < cap)
                name[n++] = *s;
            s++;
        }
    }
    if (s < end) /* the comma; a list never ends with one */
        s++;
    name[n] = '\0';
    *len = n;
    *p = s;
    return 1;
}
