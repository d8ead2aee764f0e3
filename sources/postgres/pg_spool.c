/* The spool of streamed transactions (see pg_spool.h). */
#include "sources/postgres/pg_spool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SPOOL_BUF (64 * 1024)

/* Where a subtransaction's changes start in its transaction's file. */
struct subxact {
    uint32_t xid;
    uint64_t offset;
};

struct spooled {
    struct spooled *next;
    uint32_t xid;
    int fd;
    uint64_t size;            /* bytes on file, buffered ones included */
    char *buf;                /* write buffer */
    size_t used;
    struct subxact *subs;
    int nsubs, subs_cap;
};

struct lt_pg_spool {
    char *dir;
    struct spooled *txns;
    struct spooled *replay;   /* the transaction being read back */
    uint64_t replay_off;
    uint8_t *rbuf;            /* read window over the file being read back */
    size_t rbuf_cap;
    uint64_t win_off;         /* the file offset of rbuf[0] */
    size_t win_len;
};

int lt_pg_spool_open(struct lt_pg_spool **out, const char *dir, struct lt_error *err)
{
    struct lt_pg_spool *sp = calloc(1, sizeof *sp);
    if (!sp || !(sp->dir = strdup(dir))) {
        free(sp);
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    }
    *out = sp;
    return LT_OK;
}

static void drop(struct lt_pg_spool *sp, struct spooled *t)
{
    for (struct spooled **p = &sp->txns; *p; p = &(*p)->next)
        if (*p == t) {
            *p = t->next;
            break;
        }
    if (sp->replay == t)
        sp->replay = NULL;
    if (t->fd >= 0)
        close(t->fd);
    free(t->buf);
    free(t->subs);
    free(t);
}

void lt_pg_spool_close(struct lt_pg_spool *sp)
{
    if (!sp)
        return;
    while (sp->txns)
        drop(sp, sp->txns);
    free(sp->rbuf);
    free(sp->dir);
    free(sp);
}

static struct spooled *find(struct lt_pg_spool *sp, uint32_t xid)
{
    for (struct spooled *t = sp->txns; t; t = t->next)
        if (t->xid == xid)
            return t;
    return NULL;
}

/* An unlinked file in the spool's folder: gone with the process, whatever the way it ends. */
static int temp_file(const char *dir, struct lt_error *err)
{
    int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0)
        return fd;
    char path[4200];
    snprintf(path, sizeof path, "%s/.logtap-stream-XXXXXX", dir);
    fd = mkstemp(path);
    if (fd < 0)
        return lt_fail_errno(err, errno, "cannot create a spool file in %s", dir), -1;
    unlink(path);
    return fd;
}

static int write_all(int fd, const char *p, size_t n, struct lt_error *err)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return lt_fail_errno(err, errno, "writing a spool file");
        p += w;
        n -= (size_t)w;
    }
    return LT_OK;
}

static int flush(struct spooled *t, struct lt_error *err)
{
    if (t->used && write_all(t->fd, t->buf, t->used, err))
        return LT_ERR_RUNTIME;
    t->used = 0;
    return LT_OK;
}

int lt_pg_spool_append(struct lt_pg_spool *sp, uint32_t xid, uint32_t subxid, const uint8_t *msg, size_t len,
                       struct lt_error *err)
{
    if (len > UINT32_MAX)
        return lt_fail(err, LT_ERR_RUNTIME, "a streamed message of %zu bytes", len);
    struct spooled *t = find(sp, xid);
    if (!t) {
        if (!(t = calloc(1, sizeof *t)) || !(t->buf = malloc(SPOOL_BUF))) {
            free(t);
            return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
        }
        t->xid = xid;
        if ((t->fd = temp_file(sp->dir, err)) < 0) {
            free(t->buf);
            free(t);
            return LT_ERR_RUNTIME;
        }
        t->next = sp->txns;
        sp->txns = t;
    }
    if (subxid != xid && (t->nsubs == 0 || t->subs[t->nsubs - 1].xid != subxid)) {
        bool seen = false;
        for (int i = 0; i < t->nsubs && !seen; i++)
            seen = t->subs[i].xid == subxid;
        if (!seen) { /* the subtransaction's first change */
            if (t->nsubs == t->subs_cap) {
                int cap = t->subs_cap ? t->subs_cap * 2 : 8;
                struct subxact *s = realloc(t->subs, (size_t)cap * sizeof *s);
                if (!s)
                    return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
                t->subs = s;
                t->subs_cap = cap;
            }
            t->subs[t->nsubs++] = (struct subxact){.xid = subxid, .offset = t->size};
        }
    }
    uint8_t head[8];
    for (int i = 0; i < 4; i++) {
        head[i] = (uint8_t)(len >> (8 * i));
        head[4 + i] = (uint8_t)(subxid >> (8 * i));
    }
    if (t->used + sizeof head + len > SPOOL_BUF && flush(t, err))
        return LT_ERR_RUNTIME;
    if (sizeof head + len > SPOOL_BUF) { /* a big message goes straight to the file */
        if (write_all(t->fd, (const char *)head, sizeof head, err) || write_all(t->fd, (const char *)msg, len, err))
            return LT_ERR_RUNTIME;
    } else {
        memcpy(t->buf + t->used, head, sizeof head);
        memcpy(t->buf + t->used + sizeof head, msg, len);
        t->used += sizeof head + len;
    }
    t->size += sizeof head + len;
    return LT_OK;
}

int lt_pg_spool_abort(struct lt_pg_spool *sp, uint32_t xid, uint32_t subxid, struct lt_error *err)
{
    struct spooled *t = find(sp, xid);
    if (!t)
        return LT_OK; /* nothing of it was streamed with changes for us */
    if (subxid == xid) {
        drop(sp, t);
        return LT_OK;
    }
    int k = -1;
    for (int i = 0; i < t->nsubs && k < 0; i++)
        if (t->subs[i].xid == subxid)
            k = i;
    if (k < 0)
        return LT_OK; /* the subtransaction had no change spooled */
    if (flush(t, err))
        return LT_ERR_RUNTIME;
    uint64_t at = t->subs[k].offset;
    if (ftruncate(t->fd, (off_t)at) != 0 || lseek(t->fd, (off_t)at, SEEK_SET) < 0)
        return lt_fail_errno(err, errno, "truncating a spool file");
    t->size = at;
    t->nsubs = k; /* the subtransactions after it are nested in it, or later: gone too */
    return LT_OK;
}

int lt_pg_spool_replay_begin(struct lt_pg_spool *sp, uint32_t xid, struct lt_error *err)
{
    sp->replay = find(sp, xid);
    sp->replay_off = 0;
    sp->win_off = sp->win_len = 0;
    if (sp->replay && flush(sp->replay, err))
        return LT_ERR_RUNTIME;
    return LT_OK;
}

#define REPLAY_WINDOW (1024 * 1024)

/* Makes bytes [off, off + n) of the file readable at sp->rbuf + (off - sp->win_off), reading a window of at least
 * REPLAY_WINDOW bytes from off when they are not there yet. */
static int window(struct lt_pg_spool *sp, struct spooled *t, uint64_t off, size_t n, struct lt_error *err)
{
    if (off >= sp->win_off && off + n <= sp->win_off + sp->win_len)
        return LT_OK;
    size_t want = n > REPLAY_WINDOW ? n : REPLAY_WINDOW;
    if (off + want > t->size)
        want = (size_t)(t->size - off);
    if (want < n)
        return lt_fail(err, LT_ERR_RUNTIME, "a spool record runs past its file's end");
    if (want > sp->rbuf_cap) {
        uint8_t *b = realloc(sp->rbuf, want);
        if (!b)
            return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
        sp->rbuf = b;
        sp->rbuf_cap = want;
    }
    size_t got = 0;
    while (got < want) {
        ssize_t r = pread(t->fd, sp->rbuf + got, want - got, (off_t)(off + got));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return r < 0 ? lt_fail_errno(err, errno, "reading a spool file")
                         : lt_fail(err, LT_ERR_RUNTIME, "a spool file ended early");
        got += (size_t)r;
    }
    sp->win_off = off;
    sp->win_len = want;
    return LT_OK;
}

int lt_pg_spool_replay_next(struct lt_pg_spool *sp, const uint8_t **msg, size_t *len, struct lt_error *err)
{
    struct spooled *t = sp->replay;
    if (!t || sp->replay_off >= t->size) {
        if (t)
            drop(sp, t);
        sp->replay = NULL;
        return 0;
    }
    if (window(sp, t, sp->replay_off, 8, err))
        return -1;
    const uint8_t *head = sp->rbuf + (sp->replay_off - sp->win_off);
    size_t n = (size_t)head[0] | (size_t)head[1] << 8 | (size_t)head[2] << 16 | (size_t)head[3] << 24;
    if (window(sp, t, sp->replay_off + 8, n, err))
        return -1;
    *msg = sp->rbuf + (sp->replay_off + 8 - sp->win_off);
    *len = n;
    sp->replay_off += 8 + n;
    return 1;
}

int lt_pg_spool_count(const struct lt_pg_spool *sp)
{
    int n = 0;
    for (const struct spooled *t = sp->txns; t; t = t->next)
        n++;
    return n;
}

uint64_t lt_pg_spool_bytes(const struct lt_pg_spool *sp)
{
    uint64_t b = 0;
    for (const struct spooled *t = sp->txns; t; t = t->next)
        b += t->size;
    return b;
}
