/* Full-load progress: per table rows done of the estimated total, rows/s and ETA, redrawn in place on a terminal,
 * or as plain log lines every few seconds otherwise. Workers only bump atomic counters; one thread renders. */
#ifndef LOGTAP_PROGRESS_H
#define LOGTAP_PROGRESS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

enum lt_progress_state { LT_PROGRESS_WAITING, LT_PROGRESS_RUNNING, LT_PROGRESS_DONE, LT_PROGRESS_FAILED };

struct lt_progress_table {
    char name[520];             /* schema.table */
    const char *schema, *table; /* the same, apart (owned by the caller; NULL when not set) */
    int64_t estimated_rows;     /* -1 when unknown */
    _Atomic int64_t rows;
    _Atomic int state;          /* enum lt_progress_state */
    _Atomic int64_t started_us;
    _Atomic int64_t finished_us;
};

struct lt_progress;

/* Starts rendering (tty: in place on stderr; otherwise log lines every interval_s seconds). */
struct lt_progress *lt_progress_start(struct lt_progress_table *tables, int n, bool tty, int interval_s);
/* Stops the renderer and prints a final line. */
void lt_progress_stop(struct lt_progress *p);

int64_t lt_now_us(void);

/* Whether progress is drawn in place on stderr: a terminal, text log lines, info lines shown; otherwise it goes
 * out as log lines. */
bool lt_progress_use_tty(void);

#endif
