/* Where a task's files go: a local folder, or an object store (target.path or merge.path "s3://BUCKET/PREFIX").
 * Writers always write a local file (agent/file_sink.c); with an object store that file is a spool copy under a
 * local folder beside the state store, uploaded under the same relative path while it is written (its parts go as
 * they fill, and their bytes leave the spool file once sent). The object exists, complete, before the file is
 * reported (and so before the checkpoint that covers it commits); the spool copy goes then, or at the next start
 * (lt_place_recover), so local disk holds only the parts in flight of the open files. The agent sees files and
 * relative paths; the store plug-in (agent/object_store.h) does the rest. */
#ifndef LOGTAP_PLACE_H
#define LOGTAP_PLACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/config.h"
#include "agent/error.h"
#include "agent/object_store.h"

struct lt_place {
    char *path;                           /* as configured: a folder or a URI */
    char *root;                           /* the local folder files are written in: path itself, or the spool */
    const struct logtap_store_ops *ops;   /* NULL: a local folder */
    struct lt_store *store;
};

/* The spool folder of a task for one use ("spool": replicate, full-load and reload, under the task's lock;
 * "merge": the merge, under its own lock), beside the state store: "<state>.<use>". */
void lt_place_spool_dir(const struct lt_task_config *cfg, const char *use, char *out, size_t n);

/* Opens a place for path; a URI opens its store (no request yet) and uses spool as its local root, which it creates
 * (a local folder is created by whoever writes in it). */
int lt_place_open(struct lt_place *p, const char *path, const char *spool, const struct lt_target_config *t,
                  struct lt_error *err);
void lt_place_close(struct lt_place *p);

static inline bool lt_place_remote(const struct lt_place *p)
{
    return p->ops != NULL;
}

/* The target's place for a task (target.path, spooled in "<state>.spool"); its local root is created. */
int lt_place_open_target(struct lt_place *p, const struct lt_task_config *cfg, struct lt_error *err);

/* A runner's start, holding the lock that keeps other writers of this place away: checks the store answers (with
 * these credentials, this bucket), empties the spool folder of a run that did not finish, and aborts the unfinished
 * uploads mine() claims by relative key. A local place: no-op. */
int lt_place_recover(struct lt_place *p, bool (*mine)(void *ctx, const char *rel), void *ctx, struct lt_error *err);

struct lt_state;
/* lt_place_recover for the target of a task whose state store is st: the uploads under its tables' folders (not
 * their snapshot= folders, the merge's) and its transaction files' folder. */
int lt_place_recover_target(struct lt_place *p, const struct lt_task_config *cfg, struct lt_state *st,
                            struct lt_error *err);
/* ... and for the merge's place: the uploads of its tables' snapshot= folders. */
int lt_place_recover_merge(struct lt_place *p, const struct lt_task_config *cfg, struct lt_state *st,
                           struct lt_error *err);

/* An upload of the spool file root/rel while it is written (fd: that file, open for reading too): each block the
 * writer puts in it is then appended (object_store.h, upload_open); each range the store has sent is freed from the
 * spool file (a hole punched in it), so the spool holds only the parts not yet sent, whatever the file's size.
 * finish makes the object visible, whole, under rel, and says how many bytes the spool file held at most; abort
 * leaves no object. Both free u. */
struct lt_place_upload;
int lt_place_upload_open(struct lt_place *p, const char *rel, int fd, struct lt_place_upload **out,
                         struct lt_error *err);
int lt_place_upload_append(struct lt_place_upload *u, const void *data, size_t len, struct lt_error *err);
int lt_place_upload_finish(struct lt_place_upload *u, int64_t *spool_peak, struct lt_error *err);
void lt_place_upload_abort(struct lt_place_upload *u);

/* Uploads a local file under rel. */
int lt_place_publish_file(struct lt_place *p, const char *local_path, const char *rel, struct lt_error *err);
/* An empty marker object (a snapshot's _SUCCESS). */
int lt_place_put_marker(struct lt_place *p, const char *rel, struct lt_error *err);

/* A local path holding rel's content, for reading: the file itself in a local place; in a store, a download into
 * tmp_dir (the caller removes it with lt_place_unfetch). *bytes gets its size; a missing file or object is an
 * error (*missing set). */
int lt_place_fetch(struct lt_place *p, const char *rel, const char *tmp_dir, char *out, size_t outlen, int64_t *bytes,
                   bool *missing, struct lt_error *err);
void lt_place_unfetch(const struct lt_place *p, const char *local_path);

/* The files directly in folder rel_dir (not in its subfolders) whose names match: removed (fsyncing the folder when
 * sync). A store: the spool's copies, and the objects too when objects_too (temp files are never objects). */
int lt_place_remove_matching(struct lt_place *p, const char *rel_dir, int (*match)(const char *name), bool sync,
                             bool objects_too, struct lt_error *err);
/* The same for the files of rel_dir and of its direct sub-folders (a parallel load's segment and partition
 * folders), the folders fsynced, objects too. */
int lt_place_remove_matching_below(struct lt_place *p, const char *rel_dir, int (*match)(const char *name),
                                   struct lt_error *err);
/* Whether folder rel_dir holds a file, at any depth. */
int lt_place_holds_files(struct lt_place *p, const char *rel_dir, bool *holds, struct lt_error *err);
/* Moves folder rel_dir (every file under it) to to_rel_dir; nothing to do when it does not exist. */
int lt_place_move_tree(struct lt_place *p, const char *rel_dir, const char *to_rel_dir, struct lt_error *err);
/* Removes folder rel_dir and everything under it; in a store, first_name (e.g. "_SUCCESS") goes first, so readers
 * stop trusting the folder before any of its files disappears. */
int lt_place_remove_tree(struct lt_place *p, const char *rel_dir, const char *first_name, struct lt_error *err);

/* For `logtap check`, changing nothing: whether the object store path names answers (credentials, bucket, region,
 * permission to list); how it is reached goes in how. LT_OK at once for a local path. */
int lt_place_check_store(const char *path, const struct lt_target_config *t, char *how, size_t n,
                         struct lt_error *err);

/* The place's name for messages: the path, or the object's URI. */
void lt_place_uri(const struct lt_place *p, const char *rel, char *out, size_t n);

#endif
