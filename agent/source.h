/* The source plug-in interface: a table of function pointers per database engine (PostgreSQL, MySQL/MariaDB).
 * The agent drives a full load through it: take one consistent snapshot, list the selected tables inside it,
 * then copy tables in parallel, each worker on its own connection inside the same snapshot. */
#ifndef LOGTAP_SOURCE_H
#define LOGTAP_SOURCE_H

#include <stdint.h>

#include "agent/config.h"
#include "agent/error.h"
#include "agent/record.h"

struct lt_source; /* opaque, owned by the plug-in */

struct lt_source_table {
    struct lt_table_schema *schema;
    int64_t estimated_rows;  /* -1 when unknown */
    char *copy_sql;          /* the statement a worker runs to read the table (source-specific) */
};

struct lt_table_list {
    int n;
    struct lt_source_table *tables;
};

void lt_table_list_free(struct lt_table_list *list);

/* Called for every row a worker reads; a non-zero return stops the copy with that error. */
typedef int (*lt_row_fn)(void *ctx, const struct lt_row *row, struct lt_error *err);

struct lt_snapshot_info {
    char pos[LT_POS_MAX + 1];    /* position of the snapshot: full-load rows carry it */
    int64_t time_us;             /* the source's clock when the snapshot was taken */
};

struct logtap_source_ops {
    const char *name;
    /* Connects and checks the source; does not start a snapshot. */
    int (*open)(struct lt_source **out, const struct lt_task_config *cfg, struct lt_error *err);
    /* Takes the consistent snapshot every load worker will share. */
    int (*snapshot_begin)(struct lt_source *src, struct lt_snapshot_info *info, struct lt_error *err);
    /* Lists the tables the selection rules select, as they are in the snapshot. */
    int (*list_tables)(struct lt_source *src, struct lt_table_list *out, struct lt_error *err);
    /* Streams one table's rows (op 'I', position = snapshot position) on worker connection `worker`
     * (0 <= worker < workers given to snapshot_begin's config). Thread-safe across distinct workers. */
    int (*load_table)(struct lt_source *src, int worker, const struct lt_source_table *t,
                      const struct lt_snapshot_info *snap, lt_row_fn fn, void *ctx, struct lt_error *err);
    /* Ends the snapshot and closes the worker connections. */
    void (*snapshot_end)(struct lt_source *src);
    void (*close)(struct lt_source *src);
};

extern const struct logtap_source_ops lt_postgres_source;

/* The source for a config's engine, or NULL. */
const struct logtap_source_ops *lt_source_for(const struct lt_source_config *cfg);

#endif
