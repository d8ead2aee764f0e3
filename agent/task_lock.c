/* The per-task runner lock (see task_lock.h). */
#include "agent/task_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "agent/file_sink.h"

struct lt_task_lock {
    int fd;
};

static void lock_path(const struct lt_task_config *cfg, char *out, size_t n)
{
    snprintf(out, n, "%s.lock", cfg->state_path);
}

/* The holder's description as written in the lock file ("pid 123 (replicate)"), or "another process". */
static void read_holder(int fd, char *out, size_t n)
{
    char buf[128];
    ssize_t got = pread(fd, buf, sizeof buf - 1, 0);
    int pid = 0;
    char what[64] = "";
    if (got > 0) {
        buf[got] = '\0';
        if (sscanf(buf, "%d %63s", &pid, what) < 1)
            pid = 0;
    }
    if (pid > 0)
        snprintf(out, n, "pid %d (%s)", pid, what[0] ? what : "logtap");
    else
        snprintf(out, n, "another process");
}

static int open_lock_file(const struct lt_task_config *cfg, char *path, size_t n, struct lt_error *err)
{
    lock_path(cfg, path, n);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        if (lt_mkdir_p(dir, err))
            return -1;
    }
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        lt_fail(err, LT_ERR_RUNTIME, "cannot open the task's lock file %s: %s", path, strerror(errno));
    return fd;
}

int lt_task_lock_acquire(const struct lt_task_config *cfg, const char *command, struct lt_task_lock **out,
                         struct lt_error *err)
{
    *out = NULL;
    char path[4200];
    int fd = open_lock_file(cfg, path, sizeof path, err);
    if (fd < 0)
        return LT_ERR_RUNTIME;
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        char holder[128];
        read_holder(fd, holder, sizeof holder);
        close(fd);
        if (e == EWOULDBLOCK)
            return lt_fail(err, LT_ERR_RUNTIME,
                           "task \"%s\" is already being run by %s: one runner per task (lock %s)", cfg->task,
                           holder, path);
        return lt_fail(err, LT_ERR_RUNTIME, "cannot lock %s: %s", path, strerror(e));
    }
    char line[128];
    int len = snprintf(line, sizeof line, "%d %s\n", (int)getpid(), command);
    if (ftruncate(fd, 0) != 0 || pwrite(fd, line, (size_t)len, 0) != len) {
        int e = errno;
        close(fd);
        return lt_fail(err, LT_ERR_RUNTIME, "cannot write the task's lock file %s: %s", path, strerror(e));
    }
    struct lt_task_lock *l = malloc(sizeof *l);
    if (!l) {
        close(fd);
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    }
    l->fd = fd;
    *out = l;
    return LT_OK;
}

void lt_task_lock_release(struct lt_task_lock *lock)
{
    if (!lock)
        return;
    close(lock->fd); /* releases the flock; the file stays (removing it would race a new runner) */
    free(lock);
}

bool lt_task_lock_held(const struct lt_task_config *cfg, char *holder, size_t n)
{
    char path[4200];
    lock_path(cfg, path, sizeof path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    bool held = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    if (held)
        read_holder(fd, holder, n);
    close(fd);
    return held;
}
