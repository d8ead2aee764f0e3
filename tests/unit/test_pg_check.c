/* Unit tests of the PostgreSQL pre-flight check's evaluation (sources/postgres/pg_check.h): from catalog facts to
 * findings, including what a test server cannot show (wal_level = replica, a slot of another plugin, no free
 * slot), and of libpq error texts kept on one line with their DETAIL and HINT (pg_internal.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/config.h"
#include "sources/postgres/pg_check.h"
#include "sources/postgres/pg_internal.h"
#include "tests/unit/unit.h"

static struct lt_task_config cfg;

static void load_config(const char *mtype, const char *extra_source, const char *rules)
{
    char json[4096];
    snprintf(json, sizeof json,
             "{\"task\": \"shop\", \"migration_type\": \"%s\", \"source\": {\"engine\": \"postgres\", \"conninfo\": "
             "\"dbname=shop\"%s}, \"target\": {\"path\": \"/lake\"}, \"table_mappings\": {\"rules\": [%s]}}",
             mtype, extra_source, rules);
    struct lt_error err = {0};
    lt_config_free(&cfg);
    if (lt_config_parse(json, strlen(json), "/", &cfg, &err) != LT_OK)
        fprintf(stderr, "config: %s\n", err.msg);
}

#define RULE(schema, table)                                                                                         \
    "{\"rule-type\": \"selection\", \"rule-id\": \"1\", \"rule-name\": \"1\", \"object-locator\": {\"schema-name\": \"" \
    schema "\", \"table-name\": \"" table "\"}, \"rule-action\": \"include\"}"
/* a second rule: rule-ids are unique */
#define RULE2(schema, table)                                                                                        \
    "{\"rule-type\": \"selection\", \"rule-id\": \"2\", \"rule-name\": \"2\", \"object-locator\": {\"schema-name\": \"" \
    schema "\", \"table-name\": \"" table "\"}, \"rule-action\": \"include\"}"

/* A server where everything is fine: logical WAL, a superuser, no slot yet, room for one. */
static struct pg_check_settings good_settings(void)
{
    return (struct pg_check_settings){
        .wal_level = "logical", .superuser = true, .replication = true, .can_create = true, .user_q = "logtap",
        .database = "shop", .database_q = "shop", .max_slots = 10, .used_slots = 2, .max_senders = 10,
        .used_senders = 1,
    };
}

static struct pg_check_relation table(const char *name, const char *qname)
{
    return (struct pg_check_relation){.schema = "public", .name = name, .qname = qname, .relkind = 'r',
                                      .persistence = 'p', .has_identity = true, .owned = true, .owner_q = "logtap",
                                      .schema_usage = true, .can_select = true};
}

/* The finding about object, or NULL. */
static const struct lt_finding *about(const struct lt_findings *f, const char *object)
{
    for (int i = 0; i < f->n; i++)
        if (strcmp(f->items[i].object, object) == 0)
            return &f->items[i];
    return NULL;
}

static bool has_text(const struct lt_finding *x, const char *text)
{
    return x && ((x->problem && strstr(x->problem, text)) || (x->fix && strstr(x->fix, text)));
}

static const struct lt_check_scope both = {.full_load = true, .cdc = true};
static const struct lt_check_scope load_only = {.full_load = true, .cdc = false};

static void test_clean(void)
{
    load_config("full-load-and-cdc", "", RULE("public", "%"));
    struct pg_check_settings s = good_settings();
    struct pg_check_relation rels[] = {table("orders", "public.orders"), table("items", "public.items")};
    struct lt_findings f = {0};
    lt_pg_check_evaluate(&cfg, both, &s, rels, 2, &f);
    CHECK_INT(f.n, 0);
    CHECK(!lt_findings_have_errors(&f));
    lt_findings_free(&f);
}

static void test_server_settings(void)
{
    load_config("cdc", ", \"slot\": \"s1\"", RULE("public", "%"));
    struct pg_check_settings s = good_settings();
    s.wal_level = "replica";
    s.superuser = false;
    s.replication = false;
    s.user_q = "\"App\"";
    struct pg_check_relation rels[] = {table("orders", "public.orders")};
    struct lt_findings f = {0};
    lt_pg_check_evaluate(&cfg, both, &s, rels, 1, &f);
    const struct lt_finding *w = about(&f, "wal_level");
    CHECK(w && w->severity == LT_SEV_ERROR);
    CHECK(has_text(w, "is replica; change data capture needs wal_level = logical"));
    CHECK(has_text(w, "ALTER SYSTEM SET wal_level = logical"));
    const struct lt_finding *r = about(&f, "role \"App\"");
    CHECK(r && r->severity == LT_SEV_ERROR);
    CHECK(has_text(r, "ALTER ROLE \"App\" REPLICATION"));
    lt_findings_free(&f);

    /* a full load alone needs neither */
    lt_pg_check_evaluate(&cfg, load_only, &s, rels, 1, &f);
    CHECK(!about(&f, "wal_level"));
    CHECK(!about(&f, "role \"App\""));
    lt_findings_free(&f);

    /* the REPLICATION attribute alone is enough */
    s.wal_level = "logical";
    s.replication = true;
    lt_pg_check_evaluate(&cfg, both, &s, rels, 1, &f);
    CHECK_INT(lt_findings_count(&f, LT_SEV_ERROR), 0);
    lt_findings_free(&f);
}

static void test_slot(void)
{
    load_config("cdc", ", \"slot\": \"s1\"", RULE("public", "%"));
    struct pg_check_relation rels[] = {table("orders", "public.orders")};
    struct lt_findings f = {0};
    struct pg_check_settings s = good_settings();
    s.slot_type = "logical";
    s.slot_plugin = "test_decoding";
    s.slot_database = "shop";
    lt_pg_check_evaluate(&cfg, both, &s, rels, 1, &f);
    const struct lt_finding *x = about(&f, "replication slot s1");
    CHECK(x && x->severity == LT_SEV_ERROR && has_text(x, "plugin test_decoding"));
    CHECK(has_text(x, "pg_drop_replication_slot('s1')"));
    lt_findings_free(&f);

    s.slot_type = "physical";
    s.slot_plugin = NULL;
    s.slot_database = NULL;
    lt_pg_check_evaluate(&cfg, both, &s, rels, 1, &f);
    x = about(&f, "replication slot s1");
    CHECK(x && x->severity == LT_SEV_ERROR && has_text(x, "physical"));
    lt_findings_free(&f);

    s.slot_type = "logical";
    s.slot_plugin = "pgoutput";
    s.slot_database = "other";
    lt_pg_check_evaluate(&cfg, both, &s, rels, 1, &f);
    x = about(&f, "replication slot s1");
    CHECK(x && x->severity == LT_SEV_ERROR && has_text(x, "database other"));
    lt_findings_free(&f);

    /* ours, in use: a warning (the task may be running) */
    s.slot_database = "shop";
    s.slot_active_pid = 4242;
    lt_pg_check_evaluate(&cfg, both, &s, rels, 1, &f);
    x = about(&f, "replication slot s1");
    CHECK(x && x->severity == LT_SEV_WARNING && has_text(x, "PID 4242"));
    lt_findings_free(&f);

    /* no slot and none free; no wal sender free */
    s = good_settings();
    s.used_slots = 10;
    s.used_senders = 10;
    lt_pg_check_evaluate(&cfg, both, &s, rels, 1, &f);
    x = about(&f, "replication slot s1");
    CHECK(x && x->severity == LT_SEV_ERROR && has_text(x, "all 10 replication slots"));
    x = about(&f, "max_wal_senders");
    CHECK(x && x->severity == LT_SEV_ERROR && has_text(x, "all 10 wal senders"));
    lt_findings_free(&f);
    /* the slot exists: no new one is needed */
    s.used_senders = 1;
    s.slot_type = "logical";
    s.slot_plugin = "pgoutput";
    s.slot_database = "shop";
    lt_pg_check_evaluate(&cfg, both, &s, rels, 1, &f);
    CHECK_INT(f.n, 0);
    lt_findings_free(&f);
}

static void test_tables_without_key(void)
{
    load_config("full-load-and-cdc", "", RULE("public", "%"));
    struct pg_check_settings s = good_settings();
    struct pg_check_relation rels[] = {table("logs", "public.logs"), table("orders", "public.orders"),
                                       table("events", "public.events")};
    rels[0].has_identity = false;
    rels[2].relkind = 'p';
    rels[2].leaves_without_identity = "public.events_2024, public.\"Events_2025\"";
    struct lt_findings f = {0};
    lt_pg_check_evaluate(&cfg, both, &s, rels, 3, &f);
    const struct lt_finding *x = about(&f, "public.logs");
    CHECK(x && x->severity == LT_SEV_ERROR);
    CHECK(has_text(x, "no primary key and no replica identity"));
    CHECK(has_text(x, "ALTER TABLE public.logs REPLICA IDENTITY FULL"));
    CHECK(has_text(x, "exclude the table in table_mappings"));
    x = about(&f, "public.events");
    CHECK(x && x->severity == LT_SEV_ERROR);
    CHECK(has_text(x, "its partitions public.events_2024, public.\"Events_2025\" have"));
    CHECK(!about(&f, "public.orders"));
    CHECK_INT(lt_findings_count(&f, LT_SEV_ERROR), 2);
    lt_findings_free(&f);

    /* a full load alone publishes nothing: no finding */
    lt_pg_check_evaluate(&cfg, load_only, &s, rels, 3, &f);
    CHECK_INT(f.n, 0);
    lt_findings_free(&f);

    /* inserts-only: information about what is captured; the table goes to <publication>_inserts */
    load_config("full-load-and-cdc", ", \"tables_without_key\": \"inserts-only\"", RULE("public", "%"));
    lt_pg_check_evaluate(&cfg, both, &s, rels, 3, &f);
    x = about(&f, "public.logs");
    CHECK(x && x->severity == LT_SEV_INFO);
    CHECK(has_text(x, "captured for INSERT and TRUNCATE only; UPDATE and DELETE will not be in the files"));
    CHECK(has_text(x, "logtap_shop_inserts"));
    CHECK(!lt_findings_have_errors(&f));
    lt_findings_free(&f);
}

static void test_unlogged_views_partitions(void)
{
    load_config("full-load-and-cdc", "", RULE("public", "%") "," RULE2("public", "sessions2"));
    struct pg_check_settings s = good_settings();
    struct pg_check_relation rels[] = {table("sessions", "public.sessions"), table("sessions2", "public.sessions2"),
                                       table("v", "public.v"), table("mv", "public.mv"),
                                       table("orders_2024", "public.orders_2024"), table("orders", "public.orders")};
    rels[0].persistence = 'u';
    rels[1].persistence = 'u';
    rels[2].relkind = 'v';
    rels[3].relkind = 'm';
    rels[4].is_partition = true;
    rels[4].root_schema = "public";
    rels[4].root_name = "orders";
    rels[5].relkind = 'p';
    rels[5].leaves_without_identity = "";
    struct lt_findings f = {0};
    lt_pg_check_evaluate(&cfg, both, &s, rels, 6, &f);
    const struct lt_finding *x = about(&f, "public.sessions");
    CHECK(x && x->severity == LT_SEV_WARNING && has_text(x, "unlogged") && has_text(x, "skipped"));
    x = about(&f, "public.sessions2"); /* named without a wildcard */
    CHECK(x && x->severity == LT_SEV_ERROR && has_text(x, "ALTER TABLE public.sessions2 SET LOGGED"));
    x = about(&f, "public.v");
    CHECK(x && x->severity == LT_SEV_WARNING && has_text(x, "is a view, not a table: it is not loaded"));
    x = about(&f, "public.mv");
    CHECK(x && x->severity == LT_SEV_WARNING && has_text(x, "materialized view"));
    CHECK(!about(&f, "public.orders_2024")); /* read through its root, which % selects */
    CHECK(!about(&f, "public.orders"));
    lt_findings_free(&f);

    /* a full load alone reads unlogged tables like any other */
    lt_pg_check_evaluate(&cfg, load_only, &s, rels, 6, &f);
    CHECK(!about(&f, "public.sessions"));
    CHECK(!about(&f, "public.sessions2"));
    lt_findings_free(&f);

    /* a partition named directly: an error naming the root */
    load_config("full-load", "", RULE("public", "orders[_]2024"));
    lt_pg_check_evaluate(&cfg, load_only, &s, rels, 6, &f);
    x = about(&f, "public.orders_2024");
    CHECK(x && x->severity == LT_SEV_ERROR && has_text(x, "partition of public.orders"));
    CHECK(has_text(x, "name public.orders in table_mappings"));
    /* and nothing else is selected */
    x = about(&f, "table_mappings");
    CHECK(x && has_text(x, "no table matches"));
    lt_findings_free(&f);

    /* a partition a wildcard matches while its root is not selected: a warning */
    load_config("full-load", "", RULE("public", "orders_%") "," RULE2("public", "sessions"));
    lt_pg_check_evaluate(&cfg, load_only, &s, rels, 6, &f);
    x = about(&f, "public.orders_2024");
    CHECK(x && x->severity == LT_SEV_WARNING && has_text(x, "include public.orders"));
    CHECK(!lt_findings_have_errors(&f));
    lt_findings_free(&f);
}

static void test_privileges_and_ownership(void)
{
    load_config("full-load-and-cdc", "", RULE("public", "%"));
    struct pg_check_settings s = good_settings();
    s.superuser = false;
    s.user_q = "app";
    struct pg_check_relation rels[] = {table("mine", "public.mine"), table("theirs", "public.theirs"),
                                       table("secret", "public.secret")};
    rels[1].owned = false;
    rels[1].owner_q = "dba";
    rels[2].can_select = false;
    rels[2].owner_q = "dba";
    rels[2].owned = false;
    struct lt_findings f = {0};
    lt_pg_check_evaluate(&cfg, both, &s, rels, 3, &f);
    const struct lt_finding *x = about(&f, "public.theirs");
    CHECK(x && x->severity == LT_SEV_ERROR && has_text(x, "belongs to dba, not to app"));
    CHECK(has_text(x, "must be owner of table"));
    x = about(&f, "public.secret");
    CHECK(x && x->severity == LT_SEV_ERROR && has_text(x, "no SELECT privilege"));
    CHECK(has_text(x, "GRANT SELECT ON public.secret TO app"));
    x = about(&f, "publication logtap_shop");
    CHECK(x && x->severity == LT_SEV_ERROR && has_text(x, "2 of its tables belong to other roles"));
    CHECK(has_text(x, "CREATE PUBLICATION logtap_shop FOR TABLE public.mine, public.theirs, public.secret WITH "
                      "(publish_via_partition_root = true)"));
    lt_findings_free(&f);

    /* the publication exists with those tables: ownership no longer matters; FOR ALL TABLES neither */
    s.pub_kind = "tables";
    rels[1].in_pub = rels[2].in_pub = true;
    lt_pg_check_evaluate(&cfg, both, &s, rels, 3, &f);
    CHECK(!about(&f, "public.theirs"));
    CHECK(!about(&f, "publication logtap_shop"));
    CHECK(about(&f, "public.secret")); /* still unreadable */
    lt_findings_free(&f);
    rels[1].in_pub = false;
    lt_pg_check_evaluate(&cfg, both, &s, rels, 3, &f);
    x = about(&f, "public.theirs"); /* logtap would have to add it */
    CHECK(x && has_text(x, "ALTER PUBLICATION logtap_shop ADD TABLE public.theirs"));
    lt_findings_free(&f);
    s.pub_kind = "all";
    lt_pg_check_evaluate(&cfg, both, &s, rels, 3, &f);
    CHECK(!about(&f, "public.theirs"));
    lt_findings_free(&f);

    /* no CREATE on the database */
    s.pub_kind = NULL;
    s.can_create = false;
    rels[1].owned = rels[2].owned = true;
    lt_pg_check_evaluate(&cfg, both, &s, rels, 3, &f);
    x = about(&f, "publication logtap_shop");
    CHECK(x && has_text(x, "CREATE privilege on database shop") && has_text(x, "GRANT CREATE ON DATABASE shop TO app"));
    lt_findings_free(&f);

    /* a schema without USAGE: one finding for the schema */
    s.can_create = true;
    rels[0].schema_usage = rels[1].schema_usage = false;
    lt_pg_check_evaluate(&cfg, load_only, &s, rels, 3, &f);
    x = about(&f, "schema public");
    CHECK(x && has_text(x, "GRANT USAGE ON SCHEMA public TO app"));
    int n = 0;
    for (int i = 0; i < f.n; i++)
        n += strcmp(f.items[i].object, "schema public") == 0;
    CHECK_INT(n, 1);
    lt_findings_free(&f);
}

static void test_error_text_on_one_line(void)
{
    char buf[512];
    CHECK_STR(lt_pg_first_line("ERROR:  cannot update table \"t\" because it does not have a replica identity and "
                               "publishes updates\nHINT:  To enable updating the table, set REPLICA IDENTITY using "
                               "ALTER TABLE.\n", buf, sizeof buf),
              "ERROR:  cannot update table \"t\" because it does not have a replica identity and publishes updates; "
              "HINT: To enable updating the table, set REPLICA IDENTITY using ALTER TABLE.");
    CHECK_STR(lt_pg_first_line("ERROR:  cannot add relation \"u\" to publication\nDETAIL:  This operation is not "
                               "supported for unlogged tables.\n", buf, sizeof buf),
              "ERROR:  cannot add relation \"u\" to publication; DETAIL: This operation is not supported for "
              "unlogged tables.");
    /* QUERY, CONTEXT and the caret of LINE n are left out; a detail of several lines is joined */
    CHECK_STR(lt_pg_first_line("ERROR:  deadlock detected\nDETAIL:  Process 1 waits for ShareLock.\nProcess 2 waits "
                               "too.\nHINT:  See server log.\nCONTEXT:  while updating tuple (0,1)\n", buf, sizeof buf),
              "ERROR:  deadlock detected; DETAIL: Process 1 waits for ShareLock. Process 2 waits too.; HINT: See "
              "server log.");
    CHECK_STR(lt_pg_first_line("ERROR:  syntax error at or near \"x\"\nLINE 1: x\n        ^\n", buf, sizeof buf),
              "ERROR:  syntax error at or near \"x\"");
    /* libpq's connection errors: every line, joined */
    CHECK_STR(lt_pg_first_line("connection to server on socket \"/tmp/.s.PGSQL.1\" failed: No such file or directory\n"
                               "\tIs the server running locally and accepting connections on that socket?\n", buf,
                               sizeof buf),
              "connection to server on socket \"/tmp/.s.PGSQL.1\" failed: No such file or directory Is the server "
              "running locally and accepting connections on that socket?");
    CHECK_STR(lt_pg_first_line("", buf, sizeof buf), "");
    CHECK_STR(lt_pg_first_line(NULL, buf, sizeof buf), "");
    char tiny[8];
    CHECK_STR(lt_pg_first_line("ERROR:  long\nDETAIL:  x\n", tiny, sizeof tiny), "ERROR:");
}

int main(void)
{
    RUN(test_clean);
    RUN(test_server_settings);
    RUN(test_slot);
    RUN(test_tables_without_key);
    RUN(test_unlogged_views_partitions);
    RUN(test_privileges_and_ownership);
    RUN(test_error_text_on_one_line);
    lt_config_free(&cfg);
    return unit_report();
}
