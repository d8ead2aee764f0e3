/* The progress renderer thread (see progress.h). */
#include "agent/progress.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/log.h"

struct lt_progress {
    struct lt_progress_table *tables;
    int n;
    bool tty;
    int interval_s;
    int64_t started_us;
    int drawn_lines;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stop;
};

int64_t lt_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

bool lt_progress_use_tty(void)
{
    return isatty(STDERR_FILENO) && lt_log_get_format() == LT_LOG_TEXT && lt_log_enabled(LT_LOG_INFO);
}

static void format_count(int64_t n, char *out, size_t len)
{
    char digits[32];
    snprintf(digits, sizeof digits, "%lld", (long long)n);
    size_t d = strlen(digits), j = 0;
    for (size_t i = 0; i < d && j + 2 < len; i++) {
        if (i && (d - i) % 3 == 0)
            out[j++] = ',';
        out[j++] = digits[i];
    }
    out[j] = '\0';
}

static void format_eta(double seconds, char *out, size_t len)
{
    if (seconds < 0 || seconds > 99 * 3600) {
        snprintf(out, len, "--:--");
        return;
    }
    int s = (int)(seconds + 0.5);
    snprintf(out, len, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
}

/* One table's line: name, rows done / estimate, rate, ETA. */
static void describe(const struct lt_progress_table *t, int64_t now, char *out, size_t len)
{
    int64_t rows = atomic_load(&t->rows);
    int64_t start = atomic_load(&t->started_us);
    double secs = (now - start) / 1e6;
    double rate = secs > 0.2 ? rows / secs : 0;
    char done[32], est[32], eta[32];
    format_count(rows, done, sizeof done);
    if (t->estimated_rows > 0) {
        format_count(t->estimated_rows, est, sizeof est);
        double left = rate > 0 ? (t->estimated_rows - rows) / rate : -1;
        if (rows >= t->estimated_rows)
            left = 0;
        format_eta(left, eta, sizeof eta);
        snprintf(out, len, "%-40s %14s / ~%-14s %10.0f rows/s  ETA %s", t->name, done, est, rate, eta);
    } else {
        snprintf(out, len, "%-40s %14s rows %10.0f rows/s", t->name, done, rate);
    }
}

static void render_tty(struct lt_progress *p)
{
    int64_t now = lt_now_us();
    char line[1024];
    int done = 0, failed = 0;
    int64_t total = 0;
    if (p->drawn_lines)
        fprintf(stderr, "\033[%dA", p->drawn_lines);
    int lines = 0;
    for (int i = 0; i < p->n; i++) {
        struct lt_progress_table *t = &p->tables[i];
        int st = atomic_load(&t->state);
        total += atomic_load(&t->rows);
        if (st == LT_PROGRESS_DONE)
            done++;
        if (st == LT_PROGRESS_FAILED)
            failed++;
        if (st != LT_PROGRESS_RUNNING)
            continue;
        describe(t, now, line, sizeof line);
        fprintf(stderr, "\033[K  %s\n", line);
        lines++;
    }
    char tot[32];
    format_count(total, tot, sizeof tot);
    double secs = (now - p->started_us) / 1e6;
    fprintf(stderr, "\033[Kfull load: %d/%d tables done%s%s, %s rows, %.0f rows/s\n\033[J", done, p->n,
            failed ? ", failed: " : "", failed ? "some" : "", tot, secs > 0 ? total / secs : 0.0);
    lines++;
    p->drawn_lines = lines;
    fflush(stderr);
}

static void render_log(struct lt_progress *p)
{
    int64_t now = lt_now_us();
    char line[1024];
    for (int i = 0; i < p->n; i++) {
        struct lt_progress_table *t = &p->tables[i];
        if (atomic_load(&t->state) != LT_PROGRESS_RUNNING)
            continue;
        describe(t, now, line, sizeof line);
        lt_log_info("progress %s", line);
    }
}

static void *render_loop(void *arg)
{
    struct lt_progress *p = arg;
    pthread_mutex_lock(&p->lock);
    while (!p->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        if (p->tty) {
            ts.tv_nsec += 500000000;
            if (ts.tv_nsec >= 1000000000) {
                ts.tv_nsec -= 1000000000;
                ts.tv_sec++;
            }
        } else {
            ts.tv_sec += p->interval_s;
        }
        pthread_cond_timedwait(&p->cond, &p->lock, &ts);
        if (p->stop)
            break;
        if (p->tty)
            render_tty(p);
        else
            render_log(p);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

struct lt_progress *lt_progress_start(struct lt_progress_table *tables, int n, bool tty, int interval_s)
{
    struct lt_progress *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->tables = tables;
    p->n = n;
    p->tty = tty;
    p->interval_s = interval_s > 0 ? interval_s : 10;
    p->started_us = lt_now_us();
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->cond, NULL);
    if (pthread_create(&p->thread, NULL, render_loop, p) != 0) {
        free(p);
        return NULL;
    }
    return p;
}

void lt_progress_stop(struct lt_progress *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->stop = true;
    pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->lock);
    pthread_join(p->thread, NULL);
    if (p->tty)
        render_tty(p);
    pthread_cond_destroy(&p->cond);
    pthread_mutex_destroy(&p->lock);
    free(p);
}
