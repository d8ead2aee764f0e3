/* One runner per task: `replicate`, `full-load` and `reload` hold an exclusive lock on a file beside the task's
 * state store (`<state>.lock`, flock, so it is released when the process ends, even by kill -9). The file holds
 * the holder's PID and command, so a second runner can say who has it. */
#ifndef LOGTAP_TASK_LOCK_H
#define LOGTAP_TASK_LOCK_H

#include <stdbool.h>

#include "agent/config.h"
#include "agent/error.h"

struct lt_task_lock;

/* Takes the task's lock for `command`, or fails at once (LT_ERR_RUNTIME) naming the PID and command holding it. */
int lt_task_lock_acquire(const struct lt_task_config *cfg, const char *command, struct lt_task_lock **out,
                         struct lt_error *err);
void lt_task_lock_release(struct lt_task_lock *lock);

/* Whether a runner holds the task's lock now; fills holder ("pid 123 (replicate)") when it does. */
bool lt_task_lock_held(const struct lt_task_config *cfg, char *holder, size_t n);

#endif
