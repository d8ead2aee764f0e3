/* The task's publications, kept equal to the tables its rules select (PostgreSQL). Invariant 0: logtap never makes
 * the application's writes fail, and PostgreSQL refuses UPDATE and DELETE on a table that a publication publishing
 * them lists when the table has neither a primary key nor a replica identity. So:
 *   - <publication>          lists the selected tables that have a key or a replica identity (every leaf
 *                            partition of a partitioned table must have one: UPDATEs hit the leaves), and publishes
 *                            everything;
 *   - <publication>_inserts  exists only with source.tables_without_key = "inserts-only" and lists the other
 *                            selected tables, publishing INSERT and TRUNCATE only;
 *   - with "refuse" (the default), such a table stops the task before anything is changed, naming the fix.
 * Unlogged and temporary tables have no WAL to decode and are never listed. Both publish through the partition
 * root. The stream reads both (lt_pg_publication_names). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/table_mapping.h"
#include "sources/postgres/pg_internal.h"

/* Every logged table and partitioned root outside the system schemas, whether the rules select it, whether it
 * (every leaf) has a usable replica identity, and whether each of the task's publications lists it. */
static const char candidates_sql[] =
    "WITH rel AS ("
    "  SELECT c.oid, n.nspname, c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    "  WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relpersistence = 'p'"
    "    AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
    "    AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'),"
    " leaf AS ("
    "  SELECT r.oid AS root, r.oid AS relid FROM rel r WHERE r.relkind = 'r'"
    "  UNION ALL SELECT r.oid, t.relid FROM rel r, pg_partition_tree(r.oid) t WHERE r.relkind = 'p' AND t.isleaf)"
    " SELECT r.oid, r.nspname, r.relname,"
    "  NOT EXISTS (SELECT 1 FROM leaf l JOIN pg_class m ON m.oid = l.relid WHERE l.root = r.oid AND NOT ("
    "    m.relreplident = 'f'"
    "    OR (m.relreplident = 'd' AND EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = m.oid AND i.indisprimary))"
    "    OR (m.relreplident = 'i' AND EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = m.oid AND i.indisreplident)))),"
    "  EXISTS (SELECT 1 FROM pg_publication_rel pr JOIN pg_publication p ON p.oid = pr.prpubid"
    "          WHERE pr.prrelid = r.oid AND p.pubname = $1),"
    "  EXISTS (SELECT 1 FROM pg_publication_rel pr JOIN pg_publication p ON p.oid = pr.prpubid"
    "          WHERE pr.prrelid = r.oid AND p.pubname = $2)"
    " FROM rel r ORDER BY 2, 3";

/* Tables a publication lists (for removing those the task no longer selects). */
static const char listed_sql[] =
    "SELECT n.nspname, c.relname FROM pg_publication_rel pr JOIN pg_publication p ON p.oid = pr.prpubid"
    " JOIN pg_class c ON c.oid = pr.prrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE p.pubname = $1"
    " ORDER BY 1, 2";

/* A growing, comma-separated list of quoted schema.table names. */
struct name_list {
    char *text;
    size_t len, cap;
    int n;
};

static int name_list_add(struct name_list *l, PGconn *c, const char *schema, const char *table)
{
    char *qs = PQescapeIdentifier(c, schema, strlen(schema)), *qt = PQescapeIdentifier(c, table, strlen(table));
    int rc = -1;
    if (qs && qt) {
        size_t need = l->len + strlen(qs) + strlen(qt) + 4;
        if (need > l->cap) {
            size_t cap = need * 2 > 256 ? need * 2 : 256;
            char *t = realloc(l->text, cap);
            if (t) {
                l->text = t;
                l->cap = cap;
            }
        }
        if (need <= l->cap) {
            l->len += (size_t)sprintf(l->text + l->len, "%s%s.%s", l->n ? ", " : "", qs, qt);
            l->n++;
            rc = 0;
        }
    }
    PQfreemem(qs);
    PQfreemem(qt);
    return rc;
}

static void name_list_free(struct name_list *l)
{
    free(l->text);
    memset(l, 0, sizeof *l);
}

void lt_pg_inserts_publication(const struct lt_source *s, char out[128])
{
    snprintf(out, 128, "%s_inserts", s->cfg->source.publication);
}

static int publication_exists(struct lt_source *s, const char *name, bool *exists, bool *all_tables,
                              struct lt_error *err)
{
    const char *params[1] = {name};
    PGresult *r = lt_pg_query(s->main, "SELECT puballtables FROM pg_publication WHERE pubname = $1", 1, params, err);
    if (!r)
        return LT_ERR_RUNTIME;
    *exists = PQntuples(r) > 0;
    *all_tables = *exists && PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    return LT_OK;
}

/* Runs "<verb> PUBLICATION <name> <what> <list> [WITH (...)]". */
static int publication_statement(struct lt_source *s, const char *verb, const char *name, const char *what,
                                 const struct name_list *list, const char *with, struct lt_error *err)
{
    char *qpub = PQescapeIdentifier(s->main, name, strlen(name));
    if (!qpub)
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    size_t n = strlen(qpub) + (list->text ? list->len : 0) + 256;
    char *sql = malloc(n);
    if (!sql) {
        PQfreemem(qpub);
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    }
    snprintf(sql, n, "%s PUBLICATION %s%s%s%s%s", verb, qpub, list->n ? " " : "", list->n ? what : "",
             list->n ? list->text : "", with ? with : "");
    int rc = lt_pg_exec(s->main, sql, err);
    free(sql);
    PQfreemem(qpub);
    return rc ? lt_error_prefix(err, "%s publication %s: ", verb, name) : LT_OK;
}

/* Whether the publication `inserts` (or else the main one) should list schema.table: the candidate row for it
 * in cand (the rows of candidates_sql), selected, with (main) or without (inserts) a replica identity. */
static bool wanted_in(const struct lt_source *s, PGresult *cand, bool inserts, const char *schema, const char *table)
{
    for (int i = 0; i < PQntuples(cand); i++) {
        if (strcmp(PQgetvalue(cand, i, 1), schema) != 0 || strcmp(PQgetvalue(cand, i, 2), table) != 0)
            continue;
        if (!lt_rules_select(s->cfg->rules, s->cfg->nrules, schema, table))
            return false;
        bool identity = PQgetvalue(cand, i, 3)[0] == 't';
        return inserts ? !identity && s->cfg->source.tables_without_key == LT_NOKEY_INSERTS_ONLY : identity;
    }
    return false; /* not a logged table or partitioned root any more */
}

/* Removes from a publication the tables it should not list (no longer selected, or in the other publication). */
static int drop_unwanted(struct lt_source *s, const char *pub, bool inserts, PGresult *cand, struct lt_error *err)
{
    const char *params[1] = {pub};
    PGresult *r = lt_pg_query(s->main, listed_sql, 1, params, err);
    if (!r)
        return lt_error_prefix(err, "reading publication %s: ", pub);
    struct name_list drop = {0};
    int rc = LT_OK;
    for (int i = 0; !rc && i < PQntuples(r); i++)
        if (!wanted_in(s, cand, inserts, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1)) &&
            name_list_add(&drop, s->main, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1)))
            rc = lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    PQclear(r);
    if (!rc && drop.n)
        rc = publication_statement(s, "ALTER", pub, "DROP TABLE ", &drop, NULL, err);
    name_list_free(&drop);
    return rc;
}

int lt_pg_publication_sync(struct lt_source *s, bool remove_others, lt_pg_table_added_fn on_added, void *ctx,
                           struct lt_error *err)
{
    const char *pub = s->cfg->source.publication;
    char ins[128];
    lt_pg_inserts_publication(s, ins);
    const char *params[2] = {pub, ins};
    PGresult *r = lt_pg_query(s->main, candidates_sql, 2, params, err);
    if (!r)
        return lt_error_prefix(err, "listing tables for the publication: ");
    bool inserts_only = s->cfg->source.tables_without_key == LT_NOKEY_INSERTS_ONLY;
    /* what each publication should list, what is missing from it, and the tables refused */
    struct name_list want_main = {0}, want_ins = {0}, add_main = {0}, add_ins = {0}, refused = {0};
    int rc = LT_OK, nselected = 0;
    for (int i = 0; !rc && i < PQntuples(r); i++) {
        const char *schema = PQgetvalue(r, i, 1), *table = PQgetvalue(r, i, 2);
        if (!lt_rules_select(s->cfg->rules, s->cfg->nrules, schema, table))
            continue;
        nselected++;
        bool identity = PQgetvalue(r, i, 3)[0] == 't';
        bool in_main = PQgetvalue(r, i, 4)[0] == 't', in_ins = PQgetvalue(r, i, 5)[0] == 't';
        int bad = 0;
        if (identity) {
            bad |= name_list_add(&want_main, s->main, schema, table);
            if (!in_main) {
                bad |= name_list_add(&add_main, s->main, schema, table);
                if (on_added)
                    on_added(ctx, schema, table);
            }
        } else if (inserts_only) {
            bad |= name_list_add(&want_ins, s->main, schema, table);
            if (!in_ins) {
                bad |= name_list_add(&add_ins, s->main, schema, table);
                if (on_added)
                    on_added(ctx, schema, table);
            }
        } else {
            bad |= name_list_add(&refused, s->main, schema, table);
        }
        if (bad)
            rc = lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    }
    if (!rc && refused.n)
        rc = lt_fail(err, LT_ERR_CONFIG,
                     "%d selected table%s %s neither a primary key nor a replica identity: %s. Publishing %s would "
                     "make the application's UPDATE and DELETE on %s fail. Fix: ALTER TABLE ... REPLICA IDENTITY "
                     "FULL (or add a primary key), exclude %s in table_mappings, or set source.tables_without_key "
                     "to \"inserts-only\" to capture only their INSERTs",
                     refused.n, refused.n > 1 ? "s" : "", refused.n > 1 ? "have" : "has", refused.text,
                     refused.n > 1 ? "them" : "it", refused.n > 1 ? "them" : "it", refused.n > 1 ? "them" : "it");
    if (!rc && nselected == 0 && remove_others)
        rc = lt_fail(err, LT_ERR_CONFIG, "no table matches the selection rules of table_mappings");
    bool main_exists = false, main_all = false, ins_exists = false, ins_all = false;
    if (!rc && !(rc = publication_exists(s, pub, &main_exists, &main_all, err)))
        rc = publication_exists(s, ins, &ins_exists, &ins_all, err);
    if (!rc && (main_all || ins_all))
        rc = lt_fail(err, LT_ERR_CONFIG,
                     "publication %s is FOR ALL TABLES: logtap keeps its own publication listing the selected tables "
                     "(and never one that publishes UPDATEs of tables without a key); choose another "
                     "source.publication",
                     main_all ? pub : ins);
    bool in_tx = false;
    if (!rc)
        in_tx = (rc = lt_pg_exec(s->main, "BEGIN", err)) == LT_OK;
    const char *with_main = " WITH (publish_via_partition_root = true)";
    const char *with_ins = " WITH (publish = 'insert, truncate', publish_via_partition_root = true)";
    if (!rc && !main_exists)
        rc = publication_statement(s, "CREATE", pub, "FOR TABLE ", &want_main, with_main, err);
    else if (!rc && add_main.n)
        rc = publication_statement(s, "ALTER", pub, "ADD TABLE ", &add_main, NULL, err);
    if (!rc && !ins_exists && want_ins.n)
        rc = publication_statement(s, "CREATE", ins, "FOR TABLE ", &want_ins, with_ins, err);
    else if (!rc && ins_exists && add_ins.n)
        rc = publication_statement(s, "ALTER", ins, "ADD TABLE ", &add_ins, NULL, err);
    if (!rc && remove_others && main_exists)
        rc = drop_unwanted(s, pub, false, r, err);
    if (!rc && remove_others && ins_exists)
        rc = drop_unwanted(s, ins, true, r, err);
    PQclear(r);
    if (in_tx && !rc)
        rc = lt_pg_exec(s->main, "COMMIT", err);
    else if (in_tx)
        lt_pg_exec(s->main, "ROLLBACK", NULL);
    name_list_free(&want_main);
    name_list_free(&want_ins);
    name_list_free(&add_main);
    name_list_free(&add_ins);
    name_list_free(&refused);
    return rc;
}

int lt_pg_publication_names(struct lt_source *s, char *out, size_t n, struct lt_error *err)
{
    char ins[128];
    lt_pg_inserts_publication(s, ins);
    bool exists, all;
    if (publication_exists(s, ins, &exists, &all, err))
        return LT_ERR_RUNTIME;
    /* publication names are identifiers: double any double quote inside the quoted name */
    size_t len = 0;
    const char *names[2] = {s->cfg->source.publication, exists ? ins : NULL};
    for (int i = 0; i < 2 && names[i]; i++) {
        if (len + 4 >= n)
            return lt_fail(err, LT_ERR_RUNTIME, "publication names too long");
        len += (size_t)snprintf(out + len, n - len, "%s\"", i ? "," : "");
        for (const char *p = names[i]; *p && len + 4 < n; p++) {
            if (*p == '"')
                out[len++] = '"';
            out[len++] = *p;
        }
        out[len++] = '"';
        out[len] = '\0';
    }
    return LT_OK;
}
