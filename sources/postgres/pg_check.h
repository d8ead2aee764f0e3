/* The PostgreSQL pre-flight check, split in two: what the catalog says (two queries, in pg_check.c) and what that
 * means for the task (lt_pg_check_evaluate, a pure function of those facts, so every finding can be unit-tested,
 * even the ones a test server cannot show, such as wal_level = replica). Private to sources/postgres/. */
#ifndef LOGTAP_PG_CHECK_H
#define LOGTAP_PG_CHECK_H

#include <stdbool.h>

#include "agent/config.h"
#include "agent/findings.h"
#include "agent/source.h"

/* The server, the user, the publications and the slot. Names ending in _q are quoted as SQL identifiers. */
struct pg_check_settings {
    const char *wal_level;
    bool superuser, replication;  /* the user's attributes */
    bool can_create;              /* CREATE on the database (needed to create a publication) */
    const char *user_q;
    const char *database, *database_q;
    const char *pub_kind;         /* source.publication: NULL when it does not exist, else "all" (FOR ALL TABLES) or "tables" */
    const char *ins_pub_kind;     /* the same for <publication>_inserts */
    const char *slot_type;        /* source.slot: NULL when it does not exist, else "logical" or "physical" */
    const char *slot_plugin, *slot_database;
    int slot_active_pid;          /* 0 when nobody streams from it */
    int max_slots, used_slots;
    int max_senders, used_senders;
};

/* One relation of the database (tables, partitioned tables, partitions, views, materialized views, foreign
 * tables), whatever the selection rules say: the evaluation matches them. */
struct pg_check_relation {
    const char *schema, *name, *qname; /* qname: schema.table quoted for SQL */
    char relkind;                 /* r, p, v, m, f */
    char persistence;             /* p (permanent), u (unlogged) */
    bool is_partition;
    bool has_identity;            /* r: a replica identity UPDATE/DELETE can be published with (a primary key
                                   * under DEFAULT, the index of USING INDEX, or FULL) */
    const char *leaves_without_identity; /* p: its leaf partitions without one (quoted, comma-separated), "" if none */
    bool owned;                   /* the user is (a member of) the owner */
    const char *owner_q;
    bool schema_usage, can_select;
    const char *root_schema, *root_name, *root_q; /* partitions: the partitioned table at the top; else NULL */
    bool in_pub, in_ins_pub;      /* already in source.publication / <publication>_inserts */
    const char *unsent_columns;   /* r, p: when it (or one of its partitions) is not REPLICA IDENTITY FULL, its
                                   * columns an UPDATE may leave out when their TOASTed value did not change (quoted,
                                   * comma-separated); "" or NULL otherwise */
};

void lt_pg_check_evaluate(const struct lt_task_config *cfg, struct lt_check_scope scope,
                          const struct pg_check_settings *s, const struct pg_check_relation *rels, int n,
                          struct lt_findings *out);

#endif
