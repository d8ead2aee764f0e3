/* Escaping source names into path components (see path_escape.h). */
#include "agent/path_escape.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int keeps_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c == '.' || c >= 0x80;
}

void lt_path_escape_component(const char *name, char out[LT_PATH_COMPONENT_MAX])
{
    static const char hex[] = "0123456789ABCDEF";
    const size_t limit = 240;
    size_t j = 0;
    if (!*name) {
        out[0] = '%';
        out[1] = '\0';
        return;
    }
    for (size_t i = 0; name[i] && j < limit; i++) {
        unsigned char c = (unsigned char)name[i];
        if (keeps_byte(c) && !(i == 0 && c == '.')) {
            out[j++] = (char)c;
        } else if (j + 3 <= limit) {
            out[j++] = '%';
            out[j++] = hex[c >> 4];
            out[j++] = hex[c & 15];
        } else {
            break;
        }
    }
    out[j] = '\0';
    size_t consumed_all = 1;
    {
        /* Re-escape length check: did everything fit? */
        size_t need = 0;
        for (size_t i = 0; name[i]; i++) {
            unsigned char c = (unsigned char)name[i];
            need += (keeps_byte(c) && !(i == 0 && c == '.')) ? 1 : 3;
        }
        consumed_all = need <= limit;
    }
    if (!consumed_all) {
        uint32_t h = 2166136261u; /* FNV-1a of the whole name keeps cut names distinct */
        for (const unsigned char *p = (const unsigned char *)name; *p; p++)
            h = (h ^ *p) * 16777619u;
        /* do not cut inside a %XX escape or a UTF-8 sequence */
        size_t cut = j > 230 ? 230 : j;
        while (cut > 0 && ((unsigned char)out[cut] & 0xC0) == 0x80)
            cut--;
        if (cut >= 1 && out[cut - 1] == '%')
            cut -= 1;
        else if (cut >= 2 && out[cut - 2] == '%')
            cut -= 2;
        snprintf(out + cut, LT_PATH_COMPONENT_MAX - cut, "~%08x", h);
    }
}

void lt_path_table_dir(const char *schema, const char *table, char *out, size_t outlen)
{
    char s[LT_PATH_COMPONENT_MAX], t[LT_PATH_COMPONENT_MAX];
    lt_path_escape_component(schema, s);
    lt_path_escape_component(table, t);
    snprintf(out, outlen, "%s/%s", s, t);
}
