/* Table folders below the target root, with DMS's BucketFolder (see target_root.h). */
#include "agent/target_root.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int lt_bucket_folder_check(const char *folder, struct lt_error *err)
{
    size_t n = strlen(folder);
    if (n > LT_BUCKET_FOLDER_MAX)
        return lt_fail(err, LT_ERR_CONFIG, "longer than %d bytes", LT_BUCKET_FOLDER_MAX);
    if (folder[0] == '/')
        return lt_fail(err, LT_ERR_CONFIG, "must be a relative folder below target.path (it starts with \"/\")");
    while (n > 0 && folder[n - 1] == '/')
        n--;
    const char *p = folder, *end = folder + n;
    while (p < end) {
        const char *slash = memchr(p, '/', (size_t)(end - p));
        const char *stop = slash ? slash : end;
        size_t len = (size_t)(stop - p);
        if (len == 0)
            return lt_fail(err, LT_ERR_CONFIG, "has an empty folder name (\"//\")");
        if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
            return lt_fail(err, LT_ERR_CONFIG, "must stay below target.path (it has a \"%.*s\" folder)", (int)len, p);
        for (const char *c = p; c < stop; c++)
            if ((unsigned char)*c < 0x20 || *c == 0x7f)
                return lt_fail(err, LT_ERR_CONFIG, "has a control character");
        p = stop + (slash ? 1 : 0);
    }
    return LT_OK;
}

char *lt_bucket_folder_normalize(const char *folder)
{
    size_t n = strlen(folder);
    while (n > 0 && folder[n - 1] == '/')
        n--;
    char *out = malloc(n + 1);
    if (out) {
        memcpy(out, folder, n);
        out[n] = '\0';
    }
    return out;
}

void lt_target_table_dir(const struct lt_target_config *t, const char *schema, const char *table, char *out,
                         size_t outlen)
{
    char rel[2 * LT_PATH_COMPONENT_MAX + 2];
    lt_path_table_dir(schema, table, rel, sizeof rel);
    if (t->bucket_folder && *t->bucket_folder)
        snprintf(out, outlen, "%s/%s", t->bucket_folder, rel);
    else
        snprintf(out, outlen, "%s", rel);
}
