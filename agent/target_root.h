/* Where a table's files go below the target root: "[BucketFolder/]<schema>/<table>", as DMS lays them out under
 * its bucket (BucketFolder is a prefix folder there; with a local path it is a folder below it). Every writer of
 * table files (full load, CDC, starting over) takes its folder from here, so any root (a local folder, or an object
 * store's bucket and prefix) gets the same layout. */
#ifndef LOGTAP_TARGET_ROOT_H
#define LOGTAP_TARGET_ROOT_H

#include <stddef.h>

#include "agent/config.h"
#include "agent/error.h"
#include "agent/path_escape.h"

#define LT_BUCKET_FOLDER_MAX 1024
/* Room for "[BucketFolder/]<schema>/<table>". */
#define LT_TABLE_DIR_MAX (LT_BUCKET_FOLDER_MAX + 2 * LT_PATH_COMPONENT_MAX + 2)

/* LT_ERR_CONFIG unless folder is a relative path that stays below the root: no leading "/", no "." or ".."
 * component, no empty component inside, no control character, at most LT_BUCKET_FOLDER_MAX bytes. A trailing "/"
 * is allowed (DMS users write "folder/"); "" means none. */
int lt_bucket_folder_check(const char *folder, struct lt_error *err);

/* A checked folder without its trailing slashes (malloc'd). */
char *lt_bucket_folder_normalize(const char *folder);

/* "[BucketFolder/]<schema>/<table>" relative to the target root, the names escaped (lt_path_table_dir). */
void lt_target_table_dir(const struct lt_target_config *t, const char *schema, const char *table, char *out,
                         size_t outlen);

#endif
