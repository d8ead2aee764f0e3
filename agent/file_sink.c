/* Durable, rolling files for one table (see file_sink.h). */
#include "agent/file_sink.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/log.h"

struct lt_file_sink {
    struct lt_sink_options opt;
    char dir[4096];
    char tmp_path[4096];
    char final_name[256];     /* relative to dir; may hold subfolders (date partitions) */
    char file_dir[4400];      /* the folder the file lives in */
    int fd;
    struct lt_out out;           /* the writer's bytes: into fd, checksummed, and to the upload */
    struct lt_place_upload *up;  /* an object store's upload of the file, streamed while it is written */
    struct lt_target_writer *writer;
    uint32_t next_load_number;
    int64_t rows;
    char first_pos[LT_POS_MAX + 1];
    char last_pos[LT_POS_MAX + 1];
    int64_t first_ts_us, last_ts_us;
};

int lt_mkdir_p(const char *path, struct lt_error *err)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return lt_fail(err, LT_ERR_RUNTIME, "path too long: %s", path);
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(buf, 0755) != 0 && errno != EEXIST)
                return lt_fail_errno(err, errno, "cannot create directory %s",  buf);
            *p = c;
            if (!c)
                break;
        }
    }
    return LT_OK;
}

int lt_fsync_dir(const char *dir, struct lt_error *err)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return lt_fail_errno(err, errno, "cannot open directory %s",  dir);
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    if (rc != 0)
        return lt_fail_errno(err, e, "cannot fsync directory %s",  dir);
    return LT_OK;
}

int lt_sink_open(struct lt_file_sink **out, const struct lt_sink_options *opt, struct lt_error *err)
{
    struct lt_file_sink *s = calloc(1, sizeof *s);
    if (!s)
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    s->opt = *opt;
    s->fd = -1;
    s->next_load_number = 1;
    snprintf(s->dir, sizeof s->dir, "%s/%s", opt->root, opt->table_dir);
    *out = s;
    return LT_OK;
}

static struct lt_place *remote_place(const struct lt_file_sink *s)
{
    return s->opt.place && lt_place_remote(s->opt.place) ? s->opt.place : NULL;
}

static int tap_upload(void *ctx, const void *data, size_t len, struct lt_error *err)
{
    return lt_place_upload_append(ctx, data, len, err);
}

static int open_file(struct lt_file_sink *s, const char *final_name, struct lt_error *err)
{
    snprintf(s->final_name, sizeof s->final_name, "%s", final_name);
    const char *slash = strrchr(final_name, '/');
    const char *base = slash ? slash + 1 : final_name;
    if (slash)
        snprintf(s->file_dir, sizeof s->file_dir, "%s/%.*s", s->dir, (int)(slash - final_name), final_name);
    else
        snprintf(s->file_dir, sizeof s->file_dir, "%s", s->dir);
    if (lt_mkdir_p(s->file_dir, err))
        return LT_ERR_RUNTIME;
    snprintf(s->tmp_path, sizeof s->tmp_path, "%s/.%s.tmp", s->file_dir, base);
    /* read and write: an upload reads its parts back (from the page cache) while the file grows */
    s->fd = open(s->tmp_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (s->fd < 0)
        return lt_fail_errno(err, errno, "cannot create %s",  s->tmp_path);
    lt_out_init(&s->out, s->fd);
    struct lt_place *place = remote_place(s);
    if (place) {
        char rel[4200];
        snprintf(rel, sizeof rel, "%s/%s", s->opt.table_dir, s->final_name);
        if (lt_place_upload_open(place, rel, s->fd, &s->up, err))
            goto fail;
        s->out.tap = tap_upload;
        s->out.tap_ctx = s->up;
    }
    if (s->opt.target->open(&s->writer, &s->out, s->opt.cfg, &s->opt.layout, err))
        goto fail;
    s->rows = 0;
    s->first_pos[0] = s->last_pos[0] = '\0';
    return LT_OK;
fail:
    lt_place_upload_abort(s->up);
    s->up = NULL;
    close(s->fd);
    unlink(s->tmp_path);
    s->fd = -1;
    return err->code ? err->code : LT_ERR_RUNTIME;
}

/* An object store's file: the upload completes (the object is visible, whole), and the spool copy goes at once
 * (nothing reads it again: a crash before the manifest holds the file writes it again from the source). */
static int finish_upload(struct lt_file_sink *s, const char *rel, struct lt_error *err)
{
    struct lt_place_upload *up = s->up;
    s->up = NULL;
    int64_t peak = 0;
    int rc = lt_place_upload_finish(up, &peak, err);
    close(s->fd);
    s->fd = -1;
    unlink(s->tmp_path);
    if (!rc)
        lt_log_debug("%s: uploaded, %llu bytes streamed while written; the spool held at most %lld bytes of it", rel,
                     (unsigned long long)s->out.bytes, (long long)peak);
    return rc ? (err->code ? err->code : LT_ERR_RUNTIME) : LT_OK;
}

int lt_sink_close_file(struct lt_file_sink *s, struct lt_error *err)
{
    if (s->fd < 0)
        return LT_OK;
    struct lt_target_writer *w = s->writer;
    s->writer = NULL;
    if (s->opt.target->finish(w, err))
        goto fail;
    uint32_t crc = s->out.crc32; /* taken as the bytes went out: what the reader will be checked against */
    char rel[4200];
    snprintf(rel, sizeof rel, "%s/%s", s->opt.table_dir, s->final_name);
    if (s->up) {
        if (finish_upload(s, rel, err))
            return err->code ? err->code : LT_ERR_RUNTIME; /* not in the store, not reported: nothing holds it */
        struct lt_sink_file_info info = {
            .relpath = rel, .rows = s->rows, .bytes = (int64_t)s->out.bytes,
            .first_pos = s->first_pos, .last_pos = s->last_pos,
            .first_ts_us = s->first_ts_us, .last_ts_us = s->last_ts_us, .crc32 = crc,
        };
        return s->opt.on_file ? s->opt.on_file(s->opt.ctx, &info, err) : LT_OK;
    }
    if (fsync(s->fd) != 0) {
        lt_fail_errno(err, errno, "cannot fsync %s",  s->tmp_path);
        goto fail;
    }
    struct stat sb;
    if (fstat(s->fd, &sb) != 0) {
        lt_fail_errno(err, errno, "cannot stat %s",  s->tmp_path);
        goto fail;
    }
    if (close(s->fd) != 0) {
        s->fd = -1;
        lt_fail_errno(err, errno, "cannot close %s",  s->tmp_path);
        goto fail;
    }
    s->fd = -1;
    char final_path[4200];
    snprintf(final_path, sizeof final_path, "%s/%s", s->dir, s->final_name);
    if (rename(s->tmp_path, final_path) != 0) {
        lt_fail_errno(err, errno, "cannot rename %s to %s",  s->tmp_path, final_path);
        goto fail;
    }
    if (lt_fsync_dir(s->file_dir, err))
        return LT_ERR_RUNTIME;
    struct lt_sink_file_info info = {
        .relpath = rel, .rows = s->rows, .bytes = (int64_t)sb.st_size,
        .first_pos = s->first_pos, .last_pos = s->last_pos,
        .first_ts_us = s->first_ts_us, .last_ts_us = s->last_ts_us, .crc32 = crc,
    };
    return s->opt.on_file ? s->opt.on_file(s->opt.ctx, &info, err) : LT_OK;
fail:
    lt_place_upload_abort(s->up);
    s->up = NULL;
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    unlink(s->tmp_path);
    return LT_ERR_RUNTIME;
}

int lt_sink_begin_file(struct lt_file_sink *s, const char *name, struct lt_error *err)
{
    if (s->fd >= 0)
        return lt_fail(err, LT_ERR_RUNTIME, "a file is already open in %s", s->dir);
    return open_file(s, name, err);
}

int lt_sink_write_row(struct lt_file_sink *s, const struct lt_row *row, struct lt_error *err)
{
    if (s->fd < 0)
        return lt_fail(err, LT_ERR_RUNTIME, "no file is open in %s", s->dir);
    if (s->opt.target->write_row(s->writer, row, err))
        return LT_ERR_RUNTIME;
    if (s->rows++ == 0) {
        memcpy(s->first_pos, row->pos, sizeof s->first_pos);
        s->first_ts_us = row->commit_ts_us;
    }
    memcpy(s->last_pos, row->pos, sizeof s->last_pos);
    s->last_ts_us = row->commit_ts_us;
    return LT_OK;
}

bool lt_sink_is_open(const struct lt_file_sink *s)
{
    return s->fd >= 0;
}

uint64_t lt_sink_size(const struct lt_file_sink *s)
{
    return s->writer ? s->opt.target->size(s->writer) : 0;
}

int lt_sink_write_load_row(struct lt_file_sink *s, const struct lt_row *row, struct lt_error *err)
{
    if (s->fd < 0) {
        char name[64];
        uint32_t number = s->opt.load_number ? atomic_fetch_add(s->opt.load_number, 1) : s->next_load_number++;
        snprintf(name, sizeof name, "%sLOAD%08X.%s", s->opt.load_prefix ? s->opt.load_prefix : "", number,
                 s->opt.target->extension);
        if (open_file(s, name, err))
            return LT_ERR_RUNTIME;
    }
    if (lt_sink_write_row(s, row, err))
        return LT_ERR_RUNTIME;
    if (s->opt.max_bytes && s->opt.target->size(s->writer) >= s->opt.max_bytes)
        return lt_sink_close_file(s, err);
    return LT_OK;
}

void lt_sink_abort(struct lt_file_sink *s)
{
    if (s->writer) {
        s->opt.target->discard(s->writer);
        s->writer = NULL;
    }
    lt_place_upload_abort(s->up); /* no object, no unfinished upload */
    s->up = NULL;
    if (s->fd >= 0) {
        close(s->fd);
        unlink(s->tmp_path);
        s->fd = -1;
    }
}

void lt_sink_free(struct lt_file_sink *s)
{
    if (!s)
        return;
    lt_sink_abort(s);
    free(s);
}

/* name without a "SEGMENT<n>_" prefix (DMS's segments of a parallel load). */
static const char *segment_stripped(const char *name)
{
    if (strncmp(name, "SEGMENT", 7) != 0)
        return name;
    const char *p = name + 7;
    while (*p >= '0' && *p <= '9')
        p++;
    return p > name + 7 && *p == '_' ? p + 1 : name;
}

/* A temp file of a LOAD file: ".LOAD...tmp" or ".SEGMENT<n>_LOAD...tmp". */
static bool is_load_temp(const char *name)
{
    size_t n = strlen(name);
    return name[0] == '.' && n > 4 && strcmp(name + n - 4, ".tmp") == 0 &&
           strncmp(segment_stripped(name + 1), "LOAD", 4) == 0;
}

/* A temp file of a CDC file (not of a LOAD file: a table joining a running task is loaded while its CDC files
 * are written beside). */
static int is_cdc_temp_file(const char *name)
{
    size_t n = strlen(name);
    return name[0] == '.' && n > 5 && strcmp(name + n - 4, ".tmp") == 0 && !is_load_temp(name);
}

int lt_sink_remove_cdc_temp_files(struct lt_place *place, const char *table_dir, struct lt_error *err)
{
    return lt_place_remove_matching(place, table_dir, is_cdc_temp_file, false, false, err);
}

static int is_load_or_temp_file(const char *full)
{
    const char *name = segment_stripped(full);
    if (strncmp(name, "LOAD", 4) == 0 && strlen(name) > 12) {
        for (int i = 4; i < 12; i++)
            if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'A' && name[i] <= 'F')))
                return 0;
        return name[12] == '.';
    }
    return is_load_temp(full);
}

int lt_sink_remove_load_files(struct lt_place *place, const char *table_dir, struct lt_error *err)
{
    /* and in its sub-folders: segments and partitions of a parallel load (date partitions of CDC files hold no
     * LOAD file) */
    return lt_place_remove_matching_below(place, table_dir, is_load_or_temp_file, err);
}
