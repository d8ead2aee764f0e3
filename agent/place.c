/* Local folders and object stores behind one set of file operations (see place.h). */
#include "agent/place.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/file_sink.h"
#include "agent/log.h"
#include "agent/path_escape.h"
#include "agent/target_root.h"
#include "agent/txn_stream.h"
#include "state/state_store.h"

void lt_place_spool_dir(const struct lt_task_config *cfg, const char *use, char *out, size_t n)
{
    snprintf(out, n, "%s.%s", cfg->state_path, use);
}

static void log_retry(const char *msg)
{
    lt_log_warn("%s", msg);
}

int lt_place_open(struct lt_place *p, const char *path, const char *spool, const struct lt_target_config *t,
                  struct lt_error *err)
{
    memset(p, 0, sizeof *p);
    if (lt_path_is_uri(path)) {
        p->ops = lt_store_for(path);
        if (!p->ops)
            return lt_fail(err, LT_ERR_CONFIG, "%s: no object store of this build serves that scheme (s3:// does)",
                           path);
        struct lt_store_options so = {.endpoint_url = t ? t->endpoint_url : NULL, .on_retry = log_retry};
        int rc = p->ops->open(&p->store, path, &so, err);
        if (rc) {
            p->ops = NULL;
            return rc;
        }
    }
    p->path = strdup(path);
    p->root = strdup(p->ops ? spool : path);
    if (!p->path || !p->root) {
        lt_place_close(p);
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    }
    if (p->ops && lt_mkdir_p(p->root, err)) { /* the spool; a local folder is made by whoever writes in it */
        lt_place_close(p);
        return LT_ERR_RUNTIME;
    }
    return LT_OK;
}

int lt_place_open_target(struct lt_place *p, const struct lt_task_config *cfg, struct lt_error *err)
{
    char spool[4200];
    lt_place_spool_dir(cfg, "spool", spool, sizeof spool);
    int rc = lt_place_open(p, cfg->target.path, spool, &cfg->target, err);
    if (!rc && lt_mkdir_p(p->root, err)) {
        lt_place_close(p);
        rc = LT_ERR_RUNTIME;
    }
    return rc ? lt_error_prefix(err, "target path: ") : LT_OK;
}

void lt_place_close(struct lt_place *p)
{
    if (p->ops && p->store)
        p->ops->close(p->store);
    free(p->path);
    free(p->root);
    memset(p, 0, sizeof *p);
}

int lt_place_check_store(const char *path, const struct lt_target_config *t, char *how, size_t n,
                         struct lt_error *err)
{
    how[0] = '\0';
    const struct logtap_store_ops *ops = lt_path_is_uri(path) ? lt_store_for(path) : NULL;
    if (!ops)
        return LT_OK;
    struct lt_store *st;
    struct lt_store_options so = {.endpoint_url = t ? t->endpoint_url : NULL, .on_retry = log_retry};
    int rc = ops->open(&st, path, &so, err);
    if (rc)
        return rc;
    ops->describe(st, how, n);
    rc = ops->check_access(st, err);
    ops->close(st);
    return rc;
}

void lt_place_uri(const struct lt_place *p, const char *rel, char *out, size_t n)
{
    if (p->ops)
        p->ops->uri_of(p->store, rel, out, n);
    else
        snprintf(out, n, "%s/%s", p->path, rel);
}

/* Removes everything under a local folder (the folder itself too when keep_top is false). */
static int remove_local_tree(const char *path, bool keep_top)
{
    DIR *d = opendir(path);
    if (!d)
        return errno == ENOENT ? 0 : -1;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char p[4600];
        snprintf(p, sizeof p, "%s/%s", path, e->d_name);
        struct stat sb;
        if (lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
            rc |= remove_local_tree(p, false);
        else if (unlink(p) != 0 && errno != ENOENT)
            rc = -1;
    }
    closedir(d);
    if (!keep_top && rmdir(path) != 0 && errno != ENOENT)
        rc = -1;
    return rc;
}

int lt_place_recover(struct lt_place *p, bool (*mine)(void *ctx, const char *rel), void *ctx, struct lt_error *err)
{
    if (!p->ops)
        return LT_OK;
    char uri[1200];
    lt_place_uri(p, "", uri, sizeof uri);
    if (p->ops->check_access(p->store, err))
        return lt_error_prefix(err, "%s: ", uri);
    char how[2000];
    p->ops->describe(p->store, how, sizeof how);
    lt_log_info("%s", how);
    if (remove_local_tree(p->root, true) != 0)
        return lt_fail_errno(err, errno, "cannot empty the spool folder %s", p->root);
    int aborted = 0;
    struct lt_error e = {0};
    if (p->ops->abort_uploads(p->store, mine, ctx, &aborted, &e)) {
        /* a store that lets a task write but not list its uploads: they stay until a lifecycle rule ends them */
        lt_log_warn("%s: cannot clean up unfinished uploads of an earlier run: %s", uri, e.msg);
    } else if (aborted) {
        lt_log_info("%s: aborted %d unfinished upload%s of an earlier run", uri, aborted, aborted == 1 ? "" : "s");
    }
    return LT_OK;
}

/* The task's table folders ("[BucketFolder/]schema/table/"), to tell its uploads from others'. */
struct table_dirs {
    char (*dir)[LT_TABLE_DIR_MAX + 1];
    int n;
    bool snapshots; /* the merge's: only "<dir>snapshot=..." */
};

static bool claims(void *arg, const char *rel)
{
    const struct table_dirs *t = arg;
    for (int i = 0; i < t->n; i++) {
        size_t n = strlen(t->dir[i]);
        if (strncmp(rel, t->dir[i], n) != 0)
            continue;
        bool snapshot = strncmp(rel + n, "snapshot=", 9) == 0;
        if (snapshot == t->snapshots)
            return true;
    }
    return false;
}

static int recover_task(struct lt_place *p, const struct lt_task_config *cfg, struct lt_state *st, bool snapshots,
                        struct lt_error *err)
{
    if (!p->ops)
        return LT_OK;
    struct lt_table_status *tables = NULL;
    int n = 0;
    if (lt_state_list_tables(st, &tables, &n, err))
        return LT_ERR_RUNTIME;
    struct table_dirs t = {.dir = calloc((size_t)n + 1, sizeof *t.dir), .snapshots = snapshots};
    int rc;
    if (!t.dir) {
        rc = lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    } else {
        for (int i = 0; i < n; i++) {
            /* snapshots stay in "<schema>/<table>" below merge.path; the target's folders may have a BucketFolder */
            if (snapshots)
                lt_path_table_dir(tables[i].schema_name, tables[i].table_name, t.dir[i], sizeof t.dir[i] - 1);
            else
                lt_target_table_dir(&cfg->target, tables[i].schema_name, tables[i].table_name, t.dir[i],
                                    sizeof t.dir[i] - 1);
            strcat(t.dir[i], "/");
        }
        t.n = n;
        if (!snapshots && cfg->target.preserve_transactions) { /* the transaction files' folder */
            lt_txn_dir(&cfg->target, t.dir[n], sizeof t.dir[n] - 1);
            strcat(t.dir[n], "/");
            t.n++;
        }
        rc = lt_place_recover(p, claims, &t, err);
    }
    free(t.dir);
    free(tables);
    return rc;
}

int lt_place_recover_target(struct lt_place *p, const struct lt_task_config *cfg, struct lt_state *st,
                            struct lt_error *err)
{
    return recover_task(p, cfg, st, false, err);
}

int lt_place_recover_merge(struct lt_place *p, const struct lt_task_config *cfg, struct lt_state *st,
                           struct lt_error *err)
{
    return recover_task(p, cfg, st, true, err);
}

int lt_place_publish_file(struct lt_place *p, const char *local_path, const char *rel, struct lt_error *err)
{
    if (!p->ops)
        return LT_OK;
    return p->ops->put_file(p->store, rel, local_path, err);
}

struct lt_place_upload {
    const struct logtap_store_ops *ops;
    struct lt_store_upload *up;
    int fd;
    int64_t written;
    int64_t peak;              /* the most the spool file held: written minus freed, at each append */
    _Atomic int64_t freed;     /* bytes sent and punched out of the spool file */
};

/* The store sent [off, off + len): those bytes leave the spool file (its size stays; a file system that cannot
 * punch holes keeps them until the file goes). Called from the store's sender threads. */
static void spool_sent(void *ctx, int64_t off, int64_t len)
{
    struct lt_place_upload *u = ctx;
    if (fallocate(u->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len) == 0)
        atomic_fetch_add(&u->freed, len);
}

int lt_place_upload_open(struct lt_place *p, const char *rel, int fd, struct lt_place_upload **out,
                         struct lt_error *err)
{
    *out = NULL;
    struct lt_place_upload *u = calloc(1, sizeof *u);
    if (!u)
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    u->ops = p->ops;
    u->fd = fd;
    int rc = p->ops->upload_open(p->store, rel, fd, spool_sent, u, &u->up, err);
    if (rc) {
        free(u);
        return rc;
    }
    *out = u;
    return LT_OK;
}

int lt_place_upload_append(struct lt_place_upload *u, const void *data, size_t len, struct lt_error *err)
{
    u->written += (int64_t)len;
    int64_t held = u->written - atomic_load(&u->freed);
    if (held > u->peak)
        u->peak = held;
    return u->ops->upload_append(u->up, data, len, err);
}

int lt_place_upload_finish(struct lt_place_upload *u, int64_t *spool_peak, struct lt_error *err)
{
    int rc = u->ops->upload_finish(u->up, err);
    *spool_peak = u->peak;
    free(u);
    return rc;
}

void lt_place_upload_abort(struct lt_place_upload *u)
{
    if (!u)
        return;
    u->ops->upload_abort(u->up);
    free(u);
}

int lt_place_put_marker(struct lt_place *p, const char *rel, struct lt_error *err)
{
    if (!p->ops) {
        char local[4600];
        snprintf(local, sizeof local, "%s/%s", p->root, rel);
        FILE *f = fopen(local, "w");
        if (!f || fclose(f) != 0)
            return lt_fail_errno(err, errno, "cannot create %s", local);
        return LT_OK;
    }
    return p->ops->put_bytes(p->store, rel, "", 0, err);
}

int lt_place_fetch(struct lt_place *p, const char *rel, const char *tmp_dir, char *out, size_t outlen, int64_t *bytes,
                   bool *missing, struct lt_error *err)
{
    *missing = false;
    if (!p->ops) {
        snprintf(out, outlen, "%s/%s", p->root, rel);
        struct stat sb;
        if (stat(out, &sb) != 0) {
            *missing = errno == ENOENT;
            return lt_fail(err, LT_ERR_RUNTIME, "%s: %s", out, strerror(errno));
        }
        *bytes = sb.st_size;
        return LT_OK;
    }
    /* a download of its own name, keeping the file's name (readers go by its extension) */
    static _Atomic unsigned counter;
    const char *base = strrchr(rel, '/');
    snprintf(out, outlen, "%s/fetch-%d-%u-%s", tmp_dir, (int)getpid(), atomic_fetch_add(&counter, 1),
             base ? base + 1 : rel);
    if (lt_mkdir_p(tmp_dir, err))
        return LT_ERR_RUNTIME;
    int rc = p->ops->get_file(p->store, rel, out, bytes, missing, err);
    if (rc)
        unlink(out);
    return rc;
}

void lt_place_unfetch(const struct lt_place *p, const char *local_path)
{
    if (p->ops)
        unlink(local_path);
}

/* Objects of a store folder, collected for a second pass (removing while listing would skip keys). */
struct key_list {
    char **rel;
    int64_t *size;
    int n, cap;
    bool oom;
    const char *dir;              /* "rel_dir/" */
    int (*match)(const char *name); /* direct children only, by name; NULL: every object */
    bool one_level_below;           /* match also the files of rel_dir's direct sub-folders */
    bool stop_at_first;
};

static int collect_key(void *arg, const char *rel, int64_t size)
{
    struct key_list *k = arg;
    if (k->match) {
        const char *name = rel + strlen(k->dir), *slash = strchr(name, '/');
        if (slash && k->one_level_below && !strchr(slash + 1, '/'))
            name = slash + 1;
        else if (slash)
            return 0;
        if (!k->match(name))
            return 0;
    }
    if (k->n == k->cap) {
        int cap = k->cap ? k->cap * 2 : 64;
        char **r = realloc(k->rel, (size_t)cap * sizeof *r);
        int64_t *s = r ? realloc(k->size, (size_t)cap * sizeof *s) : NULL;
        if (r)
            k->rel = r;
        if (!s) {
            k->oom = true;
            return 1;
        }
        k->size = s;
        k->cap = cap;
    }
    if (!(k->rel[k->n] = strdup(rel))) {
        k->oom = true;
        return 1;
    }
    k->size[k->n++] = size;
    return k->stop_at_first;
}

static void free_keys(struct key_list *k)
{
    for (int i = 0; i < k->n; i++)
        free(k->rel[i]);
    free(k->rel);
    free(k->size);
}

static int list_folder(struct lt_place *p, const char *rel_dir, struct key_list *k, struct lt_error *err)
{
    char dir[4200];
    snprintf(dir, sizeof dir, "%s%s", rel_dir, rel_dir[0] ? "/" : "");
    k->dir = dir;
    int rc = p->ops->list(p->store, dir, collect_key, k, err);
    k->dir = NULL;
    if (!rc && k->oom)
        rc = lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    return rc;
}

/* The files of local folder dir whose names match: removed, the folder fsynced when sync. */
static int remove_local_matching(const char *dir, int (*match)(const char *name), bool sync, struct lt_error *err)
{
    DIR *d = opendir(dir);
    int rc = LT_OK;
    if (!d)
        return errno == ENOENT ? LT_OK : lt_fail_errno(err, errno, "cannot list %s", dir);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!match(e->d_name))
            continue;
        char path[4500];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (unlink(path) != 0 && errno != ENOENT) {
            rc = lt_fail_errno(err, errno, "cannot remove %s", path);
            break;
        }
    }
    closedir(d);
    if (!rc && sync)
        rc = lt_fsync_dir(dir, err);
    return rc;
}

static int remove_objects_matching(struct lt_place *p, const char *rel_dir, int (*match)(const char *name),
                                   bool one_level_below, struct lt_error *err)
{
    struct key_list k = {.match = match, .one_level_below = one_level_below};
    int rc = list_folder(p, rel_dir, &k, err);
    for (int i = 0; !rc && i < k.n; i++)
        rc = p->ops->remove(p->store, k.rel[i], err);
    free_keys(&k);
    return rc;
}

int lt_place_remove_matching(struct lt_place *p, const char *rel_dir, int (*match)(const char *name), bool sync,
                             bool objects_too, struct lt_error *err)
{
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/%s", p->root, rel_dir);
    int rc = remove_local_matching(dir, match, sync, err);
    if (rc || !p->ops || !objects_too)
        return rc;
    return remove_objects_matching(p, rel_dir, match, false, err);
}

int lt_place_remove_matching_below(struct lt_place *p, const char *rel_dir, int (*match)(const char *name),
                                   struct lt_error *err)
{
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/%s", p->root, rel_dir);
    int rc = remove_local_matching(dir, match, true, err);
    DIR *d = rc ? NULL : opendir(dir);
    struct dirent *e;
    while (d && !rc && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char sub[4500];
        struct stat sb;
        snprintf(sub, sizeof sub, "%s/%s", dir, e->d_name);
        if (lstat(sub, &sb) == 0 && S_ISDIR(sb.st_mode))
            rc = remove_local_matching(sub, match, true, err);
    }
    if (d)
        closedir(d);
    if (rc || !p->ops)
        return rc;
    return remove_objects_matching(p, rel_dir, match, true, err);
}

static bool local_holds_files(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return false;
    bool found = false;
    struct dirent *e;
    while (!found && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char p[4600];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat sb;
        if (lstat(p, &sb) != 0)
            continue;
        found = S_ISDIR(sb.st_mode) ? local_holds_files(p) : true;
    }
    closedir(d);
    return found;
}

int lt_place_holds_files(struct lt_place *p, const char *rel_dir, bool *holds, struct lt_error *err)
{
    if (!p->ops) {
        char dir[4600];
        snprintf(dir, sizeof dir, "%s/%s", p->root, rel_dir);
        *holds = local_holds_files(dir);
        return LT_OK;
    }
    struct key_list k = {.stop_at_first = true};
    int rc = list_folder(p, rel_dir, &k, err);
    *holds = k.n > 0;
    free_keys(&k);
    return rc;
}

int lt_place_move_tree(struct lt_place *p, const char *rel_dir, const char *to_rel_dir, struct lt_error *err)
{
    if (!p->ops) {
        char from[4600], to[4700], parent[4700];
        snprintf(from, sizeof from, "%s/%s", p->root, rel_dir);
        struct stat sb;
        if (stat(from, &sb) != 0)
            return LT_OK;
        snprintf(to, sizeof to, "%s/%s", p->root, to_rel_dir);
        snprintf(parent, sizeof parent, "%s", to);
        char *slash = strrchr(parent, '/');
        *slash = '\0';
        if (lt_mkdir_p(parent, err))
            return LT_ERR_RUNTIME;
        if (rename(from, to) != 0)
            return lt_fail_errno(err, errno, "cannot move %s aside to %s", from, to);
        lt_log_info("moved %s aside to %s", from, to);
        return lt_fsync_dir(parent, err);
    }
    /* a store has no rename: every object is copied, then (all copies made) the originals go */
    struct key_list k = {0};
    int rc = list_folder(p, rel_dir, &k, err);
    size_t n = strlen(rel_dir);
    for (int i = 0; !rc && i < k.n; i++) {
        char to[4600];
        snprintf(to, sizeof to, "%s%s", to_rel_dir, k.rel[i] + n);
        rc = p->ops->copy(p->store, k.rel[i], to, k.size[i], err);
    }
    for (int i = 0; !rc && i < k.n; i++)
        rc = p->ops->remove(p->store, k.rel[i], err);
    if (!rc && k.n) {
        char from[1200], to[1200];
        lt_place_uri(p, rel_dir, from, sizeof from);
        lt_place_uri(p, to_rel_dir, to, sizeof to);
        lt_log_info("moved %s aside to %s (%d objects)", from, to, k.n);
    }
    free_keys(&k);
    return rc;
}

int lt_place_remove_tree(struct lt_place *p, const char *rel_dir, const char *first_name, struct lt_error *err)
{
    if (!p->ops) {
        char dir[4600];
        snprintf(dir, sizeof dir, "%s/%s", p->root, rel_dir);
        if (remove_local_tree(dir, false) != 0)
            return lt_fail_errno(err, errno, "cannot remove %s", dir);
        return LT_OK;
    }
    struct key_list k = {0};
    int rc = list_folder(p, rel_dir, &k, err);
    char first[4300] = "";
    if (first_name)
        snprintf(first, sizeof first, "%s/%s", rel_dir, first_name);
    for (int i = 0; !rc && first[0] && i < k.n; i++)
        if (!strcmp(k.rel[i], first))
            rc = p->ops->remove(p->store, first, err);
    for (int i = 0; !rc && i < k.n; i++)
        if (!first[0] || strcmp(k.rel[i], first) != 0)
            rc = p->ops->remove(p->store, k.rel[i], err);
    free_keys(&k);
    return rc;
}
