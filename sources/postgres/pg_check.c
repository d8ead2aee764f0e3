/* The PostgreSQL pre-flight check (the `check` source op): wal_level, the user's REPLICATION attribute, the
 * replication slot, free slots and wal senders, CREATE on the database, and for every selected relation what would
 * stop or harm the task: no SELECT privilege, not owned when logtap must put it in a publication, no primary key or
 * replica identity (published for UPDATE/DELETE, such a table makes the application's UPDATE and DELETE fail),
 * unlogged (nothing in the WAL), a view, a partition named instead of its root. Two catalog queries on one short
 * connection; nothing is created or changed. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/table_mapping.h"
#include "sources/postgres/pg_check.h"
#include "sources/postgres/pg_internal.h"

/* The publication of the tables captured for inserts only (as pg_publication.c names it). */
static void inserts_publication(const struct lt_task_config *cfg, char *out, size_t n)
{
    snprintf(out, n, "%s_inserts", cfg->source.publication);
}

/* A growing string; out of memory makes it NULL-valued and keeps it so. */
struct sbuf {
    char *p;
    size_t len, cap;
    bool oom;
};

static void sb_add(struct sbuf *b, const char *s)
{
    size_t n = strlen(s);
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n + 1);
    b->len += n;
}

static const char *sb_str(const struct sbuf *b)
{
    return b->oom ? "(out of memory)" : b->p ? b->p : "";
}

/* A name quoted for SQL when it needs to be (the publication name comes from the config, not the server). */
static void quote_name(const char *name, char *out, size_t n)
{
    bool plain = (name[0] >= 'a' && name[0] <= 'z') || name[0] == '_';
    for (const char *p = name; *p && plain; p++)
        plain = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_';
    if (plain) {
        snprintf(out, n, "%s", name);
        return;
    }
    size_t k = 0;
    if (n < 3)
        return;
    out[k++] = '"';
    for (const char *p = name; *p && k + 3 < n; p++) {
        if (*p == '"')
            out[k++] = '"';
        out[k++] = *p;
    }
    out[k++] = '"';
    out[k] = '\0';
}

static const char *relkind_name(char relkind)
{
    switch (relkind) {
    case 'v': return "a view";
    case 'm': return "a materialized view";
    case 'f': return "a foreign table";
    default: return "not a table";
    }
}

static void check_server(const struct lt_task_config *cfg, const struct pg_check_settings *s, struct lt_findings *out)
{
    char fix[1024];
    if (strcmp(s->wal_level, "logical") != 0)
        lt_findings_add(out, LT_SEV_ERROR, "wal_level",
                        "ALTER SYSTEM SET wal_level = logical; then restart PostgreSQL (on Amazon RDS/Aurora: "
                        "rds.logical_replication = 1 in the parameter group; on Cloud SQL: cloudsql.logical_decoding = on)",
                        "is %s; change data capture needs wal_level = logical", s->wal_level);
    if (!s->superuser && !s->replication) {
        char object[300];
        snprintf(object, sizeof object, "role %s", s->user_q);
        snprintf(fix, sizeof fix, "as a superuser: ALTER ROLE %s REPLICATION (on Amazon RDS: GRANT rds_replication TO %s)",
                 s->user_q, s->user_q);
        lt_findings_add(out, LT_SEV_ERROR, object, fix,
                        "has neither the REPLICATION attribute nor superuser: PostgreSQL refuses its replication "
                        "connection, so no slot can be created or read");
    }
    char object[300];
    snprintf(object, sizeof object, "replication slot %s", cfg->source.slot);
    if (s->slot_type) {
        bool logical = strcmp(s->slot_type, "logical") == 0;
        if (!logical || !s->slot_plugin || strcmp(s->slot_plugin, "pgoutput") != 0) {
            snprintf(fix, sizeof fix,
                     "choose another source.slot, or drop that slot if nothing uses it: "
                     "SELECT pg_drop_replication_slot('%s')", cfg->source.slot);
            if (logical)
                lt_findings_add(out, LT_SEV_ERROR, object, fix,
                                "exists with plugin %s; logtap needs a logical slot with pgoutput",
                                s->slot_plugin ? s->slot_plugin : "(none)");
            else
                lt_findings_add(out, LT_SEV_ERROR, object, fix,
                                "exists as a physical slot; logtap needs a logical slot with pgoutput");
        } else if (s->slot_database && strcmp(s->slot_database, s->database) != 0) {
            snprintf(fix, sizeof fix, "choose another source.slot (a logical slot decodes one database)");
            lt_findings_add(out, LT_SEV_ERROR, object, fix, "exists for database %s, not %s", s->slot_database,
                            s->database);
        } else if (s->slot_active_pid > 0) {
            snprintf(fix, sizeof fix,
                     "stop the other reader (SELECT pg_terminate_backend(%d) if it is a stale connection)",
                     s->slot_active_pid);
            lt_findings_add(out, LT_SEV_WARNING, object, fix,
                            "is in use by PID %d (another logtap of this task?): replicate cannot stream from it "
                            "until that connection ends", s->slot_active_pid);
        }
    } else if (s->max_slots >= 0 && s->used_slots >= s->max_slots) {
        lt_findings_add(out, LT_SEV_ERROR, object,
                        "drop a slot nothing uses (SELECT slot_name, active FROM pg_replication_slots; "
                        "SELECT pg_drop_replication_slot('name')), or raise max_replication_slots and restart",
                        "does not exist and cannot be created: all %d replication slots (max_replication_slots) "
                        "are in use", s->max_slots);
    }
    if (s->max_senders >= 0 && s->used_senders >= s->max_senders)
        lt_findings_add(out, LT_SEV_ERROR, "max_wal_senders",
                        "raise max_wal_senders and restart, or end a replication connection nothing needs "
                        "(SELECT pid, application_name FROM pg_stat_replication)",
                        "all %d wal senders are in use: the replication connection will be refused", s->max_senders);
}

/* A publication logtap would have to create: who may create it, and the statement that would. */
static void check_new_publication(const struct pg_check_settings *s, const char *pub, bool inserts_only,
                                  const struct sbuf *tables, int not_owned, struct lt_findings *out)
{
    if (s->superuser || (s->can_create && not_owned == 0))
        return;
    char qpub[300];
    quote_name(pub, qpub, sizeof qpub);
    struct sbuf fix = {0};
    char object[300];
    snprintf(object, sizeof object, "publication %s", pub);
    if (!s->can_create) {
        char grant[600];
        snprintf(grant, sizeof grant, "GRANT CREATE ON DATABASE %s TO %s; or have ", s->database_q, s->user_q);
        sb_add(&fix, grant);
    } else {
        sb_add(&fix, "have ");
    }
    sb_add(&fix, "a superuser (or the owner of the tables) create it, logtap then uses it as it is: CREATE "
                 "PUBLICATION ");
    sb_add(&fix, qpub);
    sb_add(&fix, " FOR TABLE ");
    sb_add(&fix, sb_str(tables));
    sb_add(&fix, inserts_only ? " WITH (publish = 'insert, truncate', publish_via_partition_root = true)"
                              : " WITH (publish_via_partition_root = true)");
    if (!s->can_create)
        lt_findings_add(out, LT_SEV_ERROR, object, sb_str(&fix),
                        "does not exist, and %s cannot create it: creating a publication needs the CREATE privilege "
                        "on database %s", s->user_q, s->database);
    else
        lt_findings_add(out, LT_SEV_ERROR, object, sb_str(&fix),
                        "does not exist, and %s cannot create it: %d of its tables belong to other roles (CREATE "
                        "PUBLICATION ... FOR TABLE needs the owner of each table)", s->user_q, not_owned);
    free(fix.p);
}

void lt_pg_check_evaluate(const struct lt_task_config *cfg, struct lt_check_scope scope,
                          const struct pg_check_settings *s, const struct pg_check_relation *rels, int n,
                          struct lt_findings *out)
{
    const struct lt_selection_rule *rules = cfg->rules;
    int nrules = cfg->nrules;
    bool inserts_only = cfg->source.tables_without_key == LT_NOKEY_INSERTS_ONLY;
    const char *pub = cfg->source.publication;
    char ins_pub[300];
    inserts_publication(cfg, ins_pub, sizeof ins_pub);
    if (scope.cdc)
        check_server(cfg, s, out);

    struct sbuf pub_tables = {0}, ins_tables = {0};
    int captured = 0, pub_not_owned = 0, ins_not_owned = 0;
    const char *schema_reported = NULL;
    char fix[2048];
    for (int i = 0; i < n; i++) {
        const struct pg_check_relation *r = &rels[i];
        bool as_view = (r->relkind == 'v' || r->relkind == 'm') && lt_rules_select_kind(rules, nrules, r->schema, r->name, true);
        if (!as_view && !lt_rules_select(rules, nrules, r->schema, r->name))
            continue;
        bool named = lt_rules_name_explicitly(rules, nrules, r->schema, r->name);
        char object[600];
        snprintf(object, sizeof object, "%s.%s", r->schema, r->name);
        if (r->is_partition) {
            const char *root_schema = r->root_schema ? r->root_schema : "?", *root_name = r->root_name ? r->root_name : "?";
            if (named) {
                snprintf(fix, sizeof fix, "name %s.%s in table_mappings instead of its partition %s", root_schema,
                         root_name, object);
                lt_findings_add(out, LT_SEV_ERROR, object, fix,
                                "is a partition of %s.%s; logtap reads a partitioned table once, through its root, "
                                "and never a partition by itself", root_schema, root_name);
            } else if (!lt_rules_select(rules, nrules, root_schema, root_name)) {
                snprintf(fix, sizeof fix, "include %s.%s in table_mappings to capture it with all its partitions",
                         root_schema, root_name);
                lt_findings_add(out, LT_SEV_WARNING, object, fix,
                                "is a partition of %s.%s, which the rules do not select: partitions are read "
                                "through their root only, so it is not captured", root_schema, root_name);
            }
            continue;
        }
        if (r->relkind != 'r' && r->relkind != 'p') {
            /* a view a table-type view (or all) rule selects is loaded (full-load tasks only) */
            bool view = r->relkind == 'v' || r->relkind == 'm';
            if (!(view && lt_rules_select_kind(rules, nrules, r->schema, r->name, true)))
                lt_findings_add(out, LT_SEV_WARNING, object, "exclude it in table_mappings to silence this warning",
                                "is %s, not a table: it is not loaded", relkind_name(r->relkind));
            continue;
        }
        if (scope.cdc && r->persistence == 'u') {
            if (named) {
                snprintf(fix, sizeof fix, "ALTER TABLE %s SET LOGGED; or remove it from table_mappings", r->qname);
                lt_findings_add(out, LT_SEV_ERROR, object, fix,
                                "is unlogged: its changes are not written to the WAL, so they cannot be captured "
                                "(nor can it be published)");
            } else {
                snprintf(fix, sizeof fix, "ALTER TABLE %s SET LOGGED to capture it; or exclude it in table_mappings",
                         r->qname);
                lt_findings_add(out, LT_SEV_WARNING, object, fix,
                                "is unlogged (its changes are not in the WAL): skipped, neither loaded nor published");
            }
            continue;
        }
        if (scope.full_load && !r->schema_usage && (!schema_reported || strcmp(schema_reported, r->schema) != 0)) {
            char schema_object[300];
            snprintf(schema_object, sizeof schema_object, "schema %s", r->schema);
            char qschema[300];
            quote_name(r->schema, qschema, sizeof qschema);
            snprintf(fix, sizeof fix, "GRANT USAGE ON SCHEMA %s TO %s", qschema, s->user_q);
            lt_findings_add(out, LT_SEV_ERROR, schema_object, fix,
                            "%s has no USAGE privilege on the schema: its tables cannot be read", s->user_q);
            schema_reported = r->schema;
        }
        if (scope.full_load && !r->can_select) {
            snprintf(fix, sizeof fix, "GRANT SELECT ON %s TO %s; or exclude the table in table_mappings", r->qname,
                     s->user_q);
            lt_findings_add(out, LT_SEV_ERROR, object, fix, "%s has no SELECT privilege on it: its load would fail",
                            s->user_q);
        }
        captured++;
        if (!scope.cdc)
            continue;
        bool no_identity = r->relkind == 'p' ? (r->leaves_without_identity && r->leaves_without_identity[0])
                                             : !r->has_identity;
        bool to_ins = false;
        if (no_identity) {
            bool partitioned = r->relkind == 'p';
            char which[600];
            if (partitioned)
                snprintf(which, sizeof which, "its partitions %s have", r->leaves_without_identity);
            else
                snprintf(which, sizeof which, "has");
            if (inserts_only) {
                to_ins = true;
                snprintf(fix, sizeof fix, "for every change: ALTER TABLE %s REPLICA IDENTITY FULL, or add a primary key",
                         partitioned ? r->leaves_without_identity : r->qname);
                lt_findings_add(out, LT_SEV_INFO, object, fix,
                                "%s no primary key and no replica identity: captured for INSERT and TRUNCATE only; "
                                "UPDATE and DELETE will not be in the files (source.tables_without_key = inserts-only: "
                                "published in %s)", which, ins_pub);
            } else {
                snprintf(fix, sizeof fix,
                         "ALTER TABLE %s REPLICA IDENTITY FULL%s; or add a primary key; or exclude the table in "
                         "table_mappings; or set source.tables_without_key to \"inserts-only\" to capture only its "
                         "inserts", partitioned ? r->leaves_without_identity : r->qname,
                         partitioned ? " (each of them)" : "");
                lt_findings_add(out, LT_SEV_ERROR, object, fix,
                                "%s no primary key and no replica identity: published for UPDATE and DELETE, the "
                                "application's UPDATE and DELETE on it would fail (\"cannot update table ... because "
                                "it does not have a replica identity and publishes updates\")", which);
            }
        }
        /* target.LogtapColumns false: no _logtap_unchanged column to say which values an UPDATE did not send */
        if (!to_ins && !cfg->target.logtap_columns && !cfg->target.csv_nosup_value && r->unsent_columns &&
            r->unsent_columns[0]) {
            snprintf(fix, sizeof fix,
                     "ALTER TABLE %s REPLICA IDENTITY FULL%s (its old row then gives those values); or, with CSV "
                     "files, set UseCsvNoSupValue and CsvNoSupValue (the value marks them); or set LogtapColumns true; "
                     "or exclude the table in table_mappings",
                     r->qname, r->relkind == 'p' ? " (and on each of its partitions)" : "");
            lt_findings_add(out, LT_SEV_ERROR, object, fix,
                            "its columns %s may be left out of an UPDATE when their TOASTed value did not change, "
                            "and with target.LogtapColumns false the files have no _logtap_unchanged column to say "
                            "so: such a value would read back as NULL",
                            r->unsent_columns);
        }
        const char *kind = to_ins ? s->ins_pub_kind : s->pub_kind;
        bool in = to_ins ? r->in_ins_pub : r->in_pub;
        const char *target = to_ins ? ins_pub : pub;
        struct sbuf *list = to_ins ? &ins_tables : &pub_tables;
        if (list->len)
            sb_add(list, ", ");
        sb_add(list, r->qname);
        bool must_add = !kind || (strcmp(kind, "all") != 0 && !in);
        if (must_add && !r->owned) {
            char qpub[300];
            quote_name(target, qpub, sizeof qpub);
            if (kind)
                snprintf(fix, sizeof fix,
                         "have its owner or a superuser run ALTER PUBLICATION %s ADD TABLE %s; or ALTER TABLE %s OWNER "
                         "TO %s; or exclude it in table_mappings", qpub, r->qname, r->qname, s->user_q);
            else
                snprintf(fix, sizeof fix,
                         "have a superuser create publication %s first (see below); or ALTER TABLE %s OWNER TO %s; or "
                         "exclude it in table_mappings", target, r->qname, s->user_q);
            lt_findings_add(out, LT_SEV_ERROR, object, fix,
                            "belongs to %s, not to %s: putting it in publication %s needs its owner (\"must be owner "
                            "of table\")", r->owner_q, s->user_q, target);
            *(to_ins ? &ins_not_owned : &pub_not_owned) += 1;
        }
    }
    if (captured == 0 && (scope.full_load || !s->pub_kind))
        lt_findings_add(out, LT_SEV_ERROR, "table_mappings",
                        "check the schema-name and table-name patterns (names are case-sensitive)",
                        "no table matches the selection rules of table_mappings");
    if (scope.cdc && !s->pub_kind && pub_tables.len)
        check_new_publication(s, pub, false, &pub_tables, pub_not_owned, out);
    if (scope.cdc && !s->ins_pub_kind && ins_tables.len)
        check_new_publication(s, ins_pub, true, &ins_tables, ins_not_owned, out);
    if (pub_tables.oom || ins_tables.oom)
        out->out_of_memory = true;
    free(pub_tables.p);
    free(ins_tables.p);
}

/* ---- what the catalog says ---- */

static const char settings_sql[] =
    "SELECT current_setting('wal_level'), r.rolsuper, r.rolreplication, quote_ident(current_user),"
    "  current_database(), quote_ident(current_database()), has_database_privilege(current_database(), 'CREATE'),"
    "  (SELECT CASE WHEN p.puballtables THEN 'all' ELSE 'tables' END FROM pg_publication p WHERE p.pubname = $1),"
    "  (SELECT CASE WHEN p.puballtables THEN 'all' ELSE 'tables' END FROM pg_publication p WHERE p.pubname = $2),"
    "  s.slot_type, s.plugin, s.database, COALESCE(s.active_pid, 0),"
    "  current_setting('max_replication_slots')::int, (SELECT count(*) FROM pg_replication_slots),"
    "  current_setting('max_wal_senders')::int,"
    "  (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'walsender')"
    " FROM pg_roles r LEFT JOIN pg_replication_slots s ON s.slot_name = $3"
    " WHERE r.rolname = current_user";

/* Whether UPDATE and DELETE of relation X can be published: FULL, the primary key under DEFAULT, or the index of
 * USING INDEX (when that index is dropped, PostgreSQL behaves as NOTHING). */
#define PG_HAS_IDENTITY(x)                                                                                        \
    "(" x ".relreplident = 'f'"                                                                                   \
    " OR (" x ".relreplident = 'd' AND EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = " x ".oid AND i.indisprimary))" \
    " OR (" x ".relreplident = 'i' AND EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = " x ".oid AND i.indisreplident)))"

static const char relations_sql[] =
    "WITH pub AS MATERIALIZED ("
    "  SELECT schemaname, tablename, bool_or(pubname = $1) AS in_pub, bool_or(pubname = $2) AS in_ins"
    "  FROM pg_publication_tables WHERE pubname IN ($1, $2) GROUP BY 1, 2)"
    " SELECT n.nspname, c.relname, quote_ident(n.nspname) || '.' || quote_ident(c.relname), c.relkind,"
    "  c.relpersistence, c.relispartition, c.relkind = 'r' AND " PG_HAS_IDENTITY("c") ","
    "  CASE WHEN c.relkind = 'p' THEN COALESCE((SELECT string_agg(quote_ident(ln.nspname) || '.' ||"
    "      quote_ident(lc.relname), ', ' ORDER BY ln.nspname, lc.relname)"
    "    FROM pg_partition_tree(c.oid) pt JOIN pg_class lc ON lc.oid = pt.relid"
    "    JOIN pg_namespace ln ON ln.oid = lc.relnamespace"
    "    WHERE pt.isleaf AND lc.relkind = 'r' AND NOT " PG_HAS_IDENTITY("lc") "), '') END,"
    "  pg_has_role(c.relowner, 'USAGE'), quote_ident(pg_get_userbyid(c.relowner)),"
    "  has_schema_privilege(n.oid, 'USAGE'), has_table_privilege(c.oid, 'SELECT'),"
    "  root.nspname, root.relname, root.qname, COALESCE(pub.in_pub, false), COALESCE(pub.in_ins, false),"
    "  CASE WHEN c.relkind IN ('r', 'p') AND (c.relreplident <> 'f' OR (c.relkind = 'p' AND EXISTS (SELECT 1"
    "      FROM pg_partition_tree(c.oid) pt JOIN pg_class lc ON lc.oid = pt.relid"
    "      WHERE pt.isleaf AND lc.relreplident <> 'f')))"
    "    THEN COALESCE((SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) FROM pg_attribute a"
    "      WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attlen = -1"
    "        AND a.attstorage <> 'p' AND a.attgenerated = ''), '') ELSE '' END"
    " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " LEFT JOIN LATERAL (SELECT rn.nspname, rc.relname, quote_ident(rn.nspname) || '.' || quote_ident(rc.relname)"
    "     AS qname FROM pg_class rc JOIN pg_namespace rn ON rn.oid = rc.relnamespace"
    "     WHERE c.relispartition AND rc.oid = pg_partition_root(c.oid)) root ON true"
    " LEFT JOIN pub ON pub.schemaname = n.nspname AND pub.tablename = c.relname"
    " WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')"
    "   AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
    "   AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'"
    " ORDER BY n.nspname, c.relname";

static const char *nullable(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

static bool is_true(const PGresult *r, int row, int col)
{
    return PQgetvalue(r, row, col)[0] == 't';
}

int lt_pg_check(const struct lt_task_config *cfg, struct lt_check_scope scope, struct lt_findings *out,
                struct lt_error *err)
{
    PGconn *c;
    int crc = lt_pg_connect(cfg, false, &c, err);
    if (crc)
        return crc == LT_ERR_CONFIG ? LT_ERR_CONFIG : LT_ERR_RUNTIME;
    /* the relations query's cost estimate (a subquery per partitioned table) crosses jit_above_cost, and compiling
     * it takes far longer than running it (measured: 200 ms of JIT for 20 ms of work) */
    if (lt_pg_exec(c, "SET jit = off", err)) {
        PQfinish(c);
        return lt_error_prefix(err, "check: ");
    }
    char ins_pub[300];
    inserts_publication(cfg, ins_pub, sizeof ins_pub);
    const char *params[3] = {cfg->source.publication, ins_pub, cfg->source.slot};
    PGresult *sr = lt_pg_query(c, settings_sql, 3, params, err);
    if (!sr) {
        PQfinish(c);
        return lt_error_prefix(err, "check: reading the server's settings: ");
    }
    if (PQntuples(sr) != 1) {
        PQclear(sr);
        PQfinish(c);
        return lt_fail(err, LT_ERR_RUNTIME, "postgres: check: the current user is not in pg_roles");
    }
    struct pg_check_settings s = {
        .wal_level = PQgetvalue(sr, 0, 0), .superuser = is_true(sr, 0, 1), .replication = is_true(sr, 0, 2),
        .user_q = PQgetvalue(sr, 0, 3), .database = PQgetvalue(sr, 0, 4), .database_q = PQgetvalue(sr, 0, 5),
        .can_create = is_true(sr, 0, 6), .pub_kind = nullable(sr, 0, 7), .ins_pub_kind = nullable(sr, 0, 8),
        .slot_type = nullable(sr, 0, 9), .slot_plugin = nullable(sr, 0, 10), .slot_database = nullable(sr, 0, 11),
        .slot_active_pid = atoi(PQgetvalue(sr, 0, 12)), .max_slots = atoi(PQgetvalue(sr, 0, 13)),
        .used_slots = atoi(PQgetvalue(sr, 0, 14)), .max_senders = atoi(PQgetvalue(sr, 0, 15)),
        .used_senders = atoi(PQgetvalue(sr, 0, 16)),
    };
    PGresult *rr = lt_pg_query(c, relations_sql, 2, params, err);
    if (!rr) {
        PQclear(sr);
        PQfinish(c);
        return lt_error_prefix(err, "check: listing relations: ");
    }
    int n = PQntuples(rr);
    struct pg_check_relation *rels = calloc(n > 0 ? (size_t)n : 1, sizeof *rels);
    if (!rels) {
        PQclear(rr);
        PQclear(sr);
        PQfinish(c);
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    }
    for (int i = 0; i < n; i++)
        rels[i] = (struct pg_check_relation){
            .schema = PQgetvalue(rr, i, 0), .name = PQgetvalue(rr, i, 1), .qname = PQgetvalue(rr, i, 2),
            .relkind = PQgetvalue(rr, i, 3)[0], .persistence = PQgetvalue(rr, i, 4)[0],
            .is_partition = is_true(rr, i, 5), .has_identity = is_true(rr, i, 6),
            .leaves_without_identity = nullable(rr, i, 7), .owned = is_true(rr, i, 8), .owner_q = PQgetvalue(rr, i, 9),
            .schema_usage = is_true(rr, i, 10), .can_select = is_true(rr, i, 11), .root_schema = nullable(rr, i, 12),
            .root_name = nullable(rr, i, 13), .root_q = nullable(rr, i, 14), .in_pub = is_true(rr, i, 15),
            .in_ins_pub = is_true(rr, i, 16), .unsent_columns = nullable(rr, i, 17),
        };
    lt_pg_check_evaluate(cfg, scope, &s, rels, n, out);
    free(rels);
    PQclear(rr);
    PQclear(sr);
    PQfinish(c);
    return LT_OK;
}
