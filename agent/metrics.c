/* Prometheus text exposition format and its atomic file (see metrics.h). */
#include "agent/metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/utf8.h"

struct lt_metrics {
    char *buf;
    size_t len, cap;
    bool oom;
};

struct lt_metrics *lt_metrics_new(void)
{
    return calloc(1, sizeof(struct lt_metrics));
}

void lt_metrics_free(struct lt_metrics *m)
{
    if (!m)
        return;
    free(m->buf);
    free(m);
}

void lt_metrics_reset(struct lt_metrics *m)
{
    m->len = 0;
    m->oom = false;
    if (m->buf)
        m->buf[0] = '\0';
}

static bool reserve(struct lt_metrics *m, size_t more)
{
    if (m->oom)
        return false;
    if (m->len + more + 1 <= m->cap)
        return true;
    size_t cap = m->cap ? m->cap : 4096;
    while (cap < m->len + more + 1)
        cap *= 2;
    char *p = realloc(m->buf, cap);
    if (!p) {
        m->oom = true;
        return false;
    }
    m->buf = p;
    m->cap = cap;
    return true;
}

static void put(struct lt_metrics *m, const char *s, size_t n)
{
    if (!reserve(m, n))
        return;
    memcpy(m->buf + m->len, s, n);
    m->len += n;
    m->buf[m->len] = '\0';
}

static void puts_(struct lt_metrics *m, const char *s)
{
    put(m, s, strlen(s));
}

size_t lt_metrics_escape(const char *in, bool help, char *out, size_t n)
{
    size_t o = 0;
#define EMIT(str, k)                                                                                                \
    do {                                                                                                            \
        if (o + (k) < n)                                                                                            \
            memcpy(out + o, (str), (k));                                                                            \
        o += (k);                                                                                                   \
    } while (0)
    const unsigned char *p = (const unsigned char *)in;
    while (*p) {
        if (*p == '\\') {
            EMIT("\\\\", 2);
            p++;
        } else if (*p == '\n') {
            EMIT("\\n", 2);
            p++;
        } else if (*p == '"' && !help) {
            EMIT("\\\"", 2);
            p++;
        } else {
            int seq = lt_utf8_sequence(p);
            if (seq == 0) {
                EMIT("\xef\xbf\xbd", 3); /* U+FFFD: the format is UTF-8 */
                p++;
            } else {
                EMIT((const char *)p, (size_t)seq);
                p += seq;
            }
        }
    }
#undef EMIT
    if (n)
        out[o < n ? o : n - 1] = '\0';
    return o;
}

static void put_escaped(struct lt_metrics *m, const char *s, bool help)
{
    size_t need = lt_metrics_escape(s, help, NULL, 0);
    if (!reserve(m, need))
        return;
    lt_metrics_escape(s, help, m->buf + m->len, need + 1);
    m->len += need;
}

void lt_metrics_family(struct lt_metrics *m, const char *name, const char *type, const char *help)
{
    puts_(m, "# HELP ");
    puts_(m, name);
    puts_(m, " ");
    put_escaped(m, help, true);
    puts_(m, "\n# TYPE ");
    puts_(m, name);
    puts_(m, " ");
    puts_(m, type);
    puts_(m, "\n");
}

void lt_metrics_sample(struct lt_metrics *m, const char *name, const char *const *labels, double value)
{
    puts_(m, name);
    bool any = false;
    for (int i = 0; labels && labels[i]; i += 2) {
        if (!labels[i + 1])
            continue;
        puts_(m, any ? "," : "{");
        any = true;
        puts_(m, labels[i]);
        puts_(m, "=\"");
        put_escaped(m, labels[i + 1], false);
        puts_(m, "\"");
    }
    if (any)
        puts_(m, "}");
    char num[64];
    if (isnan(value))
        snprintf(num, sizeof num, " NaN\n");
    else if (isinf(value))
        snprintf(num, sizeof num, " %cInf\n", value > 0 ? '+' : '-');
    else if (value == (double)(long long)value && fabs(value) < 9007199254740992.0)
        snprintf(num, sizeof num, " %lld\n", (long long)value);
    else
        for (int digits = 15; digits <= 17; digits++) { /* the shortest text that reads back to the same value */
            snprintf(num, sizeof num, " %.*g\n", digits, value);
            if (strtod(num, NULL) == value)
                break;
        }
    puts_(m, num);
}

const char *lt_metrics_text(const struct lt_metrics *m, size_t *len)
{
    if (len)
        *len = m->oom ? 0 : m->len;
    return m->oom ? NULL : m->buf ? m->buf : "";
}

int lt_metrics_write_file(const struct lt_metrics *m, const char *path, struct lt_error *err)
{
    size_t len;
    const char *text = lt_metrics_text(m, &len);
    if (!text)
        return lt_fail(err, LT_ERR_RUNTIME, "metrics file %s: out of memory", path);
    /* the temp file beside it: a rename within one filesystem is atomic; ".<name>.tmp" is not a *.prom file */
    char tmp[4200];
    const char *slash = strrchr(path, '/');
    size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
    if (snprintf(tmp, sizeof tmp, "%.*s.%s.tmp", (int)dirlen, path, path + dirlen) >= (int)sizeof tmp)
        return lt_fail(err, LT_ERR_CONFIG, "metrics file %s: the path is too long", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return lt_fail_errno(err, errno, "metrics file: cannot create %s", tmp);
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(fd, text + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = w < 0 ? errno : ENOSPC;
            close(fd);
            unlink(tmp);
            return lt_fail_errno(err, e, "metrics file: writing %s", tmp);
        }
        done += (size_t)w;
    }
    /* 0644 whatever the umask: node_exporter usually runs as another user */
    int e = fchmod(fd, 0644) != 0 ? errno : 0;
    if (close(fd) != 0 && !e)
        e = errno;
    if (e) {
        unlink(tmp);
        return lt_fail_errno(err, e, "metrics file: closing %s", tmp);
    }
    if (rename(tmp, path) != 0) {
        e = errno;
        unlink(tmp);
        return lt_fail_errno(err, e, "metrics file: renaming %s to %s", tmp, path);
    }
    return LT_OK;
}
