/* Turning schema and table names into safe path components: nothing a source names can escape the target path. */
#ifndef LOGTAP_PATH_ESCAPE_H
#define LOGTAP_PATH_ESCAPE_H

#include <stddef.h>

/* Escapes name into one path component: letters, digits, '_', '-', '.', and UTF-8 bytes stay; every other byte
 * becomes %XX; a leading '.' is escaped (so "." and ".." cannot occur); an empty name becomes "%"; a result over
 * 240 bytes is cut and ends in "~" plus a hash of the whole name. out needs LT_PATH_COMPONENT_MAX bytes. */
#define LT_PATH_COMPONENT_MAX 256
void lt_path_escape_component(const char *name, char out[LT_PATH_COMPONENT_MAX]);

/* "<schema>/<table>" with both parts escaped. */
void lt_path_table_dir(const char *schema, const char *table, char *out, size_t outlen);

#endif
