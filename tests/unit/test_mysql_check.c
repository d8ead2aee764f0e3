/* Unit tests of the MySQL/MariaDB pre-flight check (sources/mysql/mysql_check.h): SHOW GRANTS lines as MariaDB and
 * MySQL print them (global, database patterns, tables, roles, renamed privileges), and the findings made from the
 * server's facts, including settings a test server does not have (STATEMENT binlog, MINIMAL row images). */
#include <stdio.h>
#include <string.h>

#include "agent/config.h"
#include "sources/mysql/mysql_check.h"
#include "tests/unit/unit.h"

static struct lt_task_config cfg;

static void load_config(const char *mtype, const char *databases, unsigned server_id)
{
    char json[2048];
    snprintf(json, sizeof json,
             "{\"task\": \"shop\", \"migration_type\": \"%s\", \"source\": {\"engine\": \"mysql\", \"host\": \"db\", "
             "\"user\": \"rep\", \"databases\": [%s], \"server_id\": %u}, \"target\": {\"path\": \"/lake\"}, "
             "\"table_mappings\": {\"rules\": [{\"rule-type\": \"selection\", \"rule-id\": \"1\", \"rule-name\": "
             "\"1\", \"object-locator\": {\"schema-name\": \"%%\", \"table-name\": \"%%\"}, \"rule-action\": "
             "\"include\"}]}}",
             mtype, databases, server_id);
    struct lt_error err = {0};
    lt_config_free(&cfg);
    if (lt_config_parse(json, strlen(json), "/", &cfg, &err) != LT_OK)
        fprintf(stderr, "config: %s\n", err.msg);
}

static void grants_of(struct my_grants *g, const char *const *lines)
{
    memset(g, 0, sizeof *g);
    for (int i = 0; lines[i]; i++)
        CHECK(lt_my_grants_add_line(g, lines[i]));
}

static void test_grants(void)
{
    struct my_grants g;
    static const char *const mariadb[] = {
        "GRANT `r1` TO `gt`@`localhost`",
        "GRANT SELECT, RELOAD, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO `gt`@`localhost`",
        "GRANT SELECT ON `a``b`.* TO `gt`@`localhost`",
        "GRANT SELECT ON `mysql`.`user` TO `gt`@`localhost`",
        "GRANT USAGE ON *.* TO `r1`",
        "SET DEFAULT ROLE `r1` FOR `gt`@`localhost`",
        "GRANT PROXY ON ''@'%' TO 'root'@'localhost' WITH GRANT OPTION",
        NULL,
    };
    grants_of(&g, mariadb);
    CHECK(g.select && g.reload && g.replication_slave && g.replication_client && !g.all);
    CHECK(g.roles);
    CHECK_INT(g.ndb, 1);
    if (g.ndb == 1)
        CHECK_STR(g.db_patterns[0], "a`b");
    CHECK_INT(g.ntables, 1);
    lt_my_grants_free(&g);

    static const char *const mysql8[] = {
        "GRANT RELOAD, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO `rep`@`%`",
        "GRANT BACKUP_ADMIN,REPLICATION_SLAVE_ADMIN ON *.* TO `rep`@`%`",
        "GRANT SELECT, INSERT ON `shop\\_%`.* TO `rep`@`%`",
        "GRANT SELECT (`id`, `name`) ON `hr`.`people` TO `rep`@`%`",
        "GRANT SELECT ON TABLE `hr`.`depts` TO `rep`@`%`",
        "GRANT EXECUTE ON PROCEDURE `hr`.`p` TO `rep`@`%`",
        NULL,
    };
    grants_of(&g, mysql8);
    CHECK(!g.select && g.reload && g.replication_slave && g.replication_client && !g.roles);
    CHECK(lt_my_grants_select_db(&g, "shop_eu"));
    CHECK(!lt_my_grants_select_db(&g, "shopXeu")); /* \_ is a literal underscore */
    CHECK(!lt_my_grants_select_db(&g, "hr"));
    CHECK(lt_my_grants_select_table(&g, "hr", "depts"));
    CHECK(!lt_my_grants_select_table(&g, "hr", "people")); /* column privileges do not cover SELECT * */
    lt_my_grants_free(&g);

    static const char *const all[] = {"GRANT ALL PRIVILEGES ON *.* TO `logtap`@`localhost` WITH GRANT OPTION", NULL};
    grants_of(&g, all);
    CHECK(g.all && lt_my_grants_select_db(&g, "anything"));
    lt_my_grants_free(&g);

    static const char *const dball[] = {"GRANT USAGE ON *.* TO `u`@`%`", "GRANT ALL ON shop.* TO `u`@`%`", NULL};
    grants_of(&g, dball);
    CHECK(!g.all && lt_my_grants_select_db(&g, "shop") && !lt_my_grants_select_db(&g, "shop2"));
    lt_my_grants_free(&g);
}

static const struct lt_finding *about(const struct lt_findings *f, const char *object, const char *text)
{
    for (int i = 0; i < f->n; i++)
        if (strcmp(f->items[i].object, object) == 0 &&
            (!text || strstr(f->items[i].problem, text) || (f->items[i].fix && strstr(f->items[i].fix, text))))
            return &f->items[i];
    return NULL;
}

static const struct lt_check_scope both = {.full_load = true, .cdc = true};
static const struct lt_check_scope load_only = {.full_load = true, .cdc = false};
static const struct lt_check_scope cdc_only = {.full_load = false, .cdc = true};

static void test_evaluate(void)
{
    load_config("full-load-and-cdc", "\"shop\", \"gone\"", 42);
    static const char *const lines[] = {"GRANT SELECT, RELOAD, REPLICATION CLIENT ON *.* TO `rep`@`%`", NULL};
    struct my_grants g;
    grants_of(&g, lines);
    bool visible[] = {true, false};
    struct my_check_table tables[] = {{"shop", "orders", "BASE TABLE"}, {"shop", "totals", "VIEW"}};
    struct my_check_replica replicas[] = {{7, "10.0.0.7", 3306}};
    struct my_check_facts f = {
        .log_bin = "1", .binlog_format = "STATEMENT", .binlog_row_image = "MINIMAL", .server_id = 1,
        .user_q = "'rep'@'%'", .grants = &g, .db_visible = visible, .tables = tables, .ntables = 2,
        .replicas_listed = true, .replicas = replicas, .nreplicas = 1,
    };
    struct lt_findings out = {0};
    lt_my_check_evaluate(&cfg, both, &f, &out);
    CHECK(about(&out, "binlog_format", "is STATEMENT; change data capture needs ROW"));
    CHECK(about(&out, "binlog_row_image", "binlog_row_image = 'FULL'"));
    CHECK(!about(&out, "log_bin", NULL));
    const struct lt_finding *x = about(&out, "user 'rep'@'%'", "REPLICATION SLAVE");
    CHECK(x && x->severity == LT_SEV_ERROR && x->fix && strstr(x->fix, "GRANT REPLICATION SLAVE ON *.* TO 'rep'@'%'"));
    CHECK(!about(&out, "user 'rep'@'%'", "RELOAD"));
    x = about(&out, "database gone", NULL);
    CHECK(x && x->severity == LT_SEV_ERROR && strstr(x->problem, "does not exist") &&
          !strstr(x->problem, "no privilege")); /* global SELECT: every database is visible */
    x = about(&out, "shop.totals", NULL);
    CHECK(x && x->severity == LT_SEV_WARNING && strstr(x->problem, "is a view"));
    CHECK(!about(&out, "source.server_id", NULL));
    CHECK(!about(&out, "table_mappings", NULL));
    lt_findings_free(&out);

    /* server_id: the server's own is an error; a connected replica's a warning */
    load_config("cdc", "\"shop\"", 1);
    f.binlog_format = "ROW";
    f.binlog_row_image = "FULL";
    lt_my_check_evaluate(&cfg, cdc_only, &f, &out);
    x = about(&out, "source.server_id", "the server's own server_id");
    CHECK(x && x->severity == LT_SEV_ERROR);
    lt_findings_free(&out);
    load_config("cdc", "\"shop\"", 7);
    lt_my_check_evaluate(&cfg, cdc_only, &f, &out);
    x = about(&out, "source.server_id", "10.0.0.7");
    CHECK(x && x->severity == LT_SEV_WARNING);
    lt_findings_free(&out);
    f.replicas_listed = false;
    lt_my_check_evaluate(&cfg, cdc_only, &f, &out);
    x = about(&out, "source.server_id", "not checked");
    CHECK(x && x->severity == LT_SEV_INFO);
    lt_findings_free(&out);

    /* log_bin OFF; a full load alone needs no binlog and no replication privileges */
    f.log_bin = "0";
    lt_my_check_evaluate(&cfg, cdc_only, &f, &out);
    CHECK(about(&out, "log_bin", "is OFF"));
    lt_findings_free(&out);
    load_config("full-load", "\"shop\"", 7);
    lt_my_check_evaluate(&cfg, load_only, &f, &out);
    CHECK(!about(&out, "log_bin", NULL));
    CHECK(!about(&out, "user 'rep'@'%'", NULL));
    CHECK(!lt_findings_have_errors(&out));
    lt_findings_free(&out);
    lt_my_grants_free(&g);

    /* no global privileges: SELECT per database, RELOAD for the snapshot, invisible databases */
    static const char *const narrow[] = {"GRANT USAGE ON *.* TO `app`@`%`", "GRANT SELECT ON `hr`.`depts` TO `app`@`%`",
                                         NULL};
    grants_of(&g, narrow);
    load_config("full-load", "\"shop\", \"hr\", \"secret\"", 7);
    bool visible3[] = {true, true, false};
    struct my_check_table tables3[] = {{"shop", "orders", "BASE TABLE"}, {"hr", "depts", "BASE TABLE"},
                                       {"hr", "people", "BASE TABLE"}};
    f.db_visible = visible3;
    f.tables = tables3;
    f.ntables = 3;
    f.user_q = "'app'@'%'";
    lt_my_check_evaluate(&cfg, load_only, &f, &out);
    CHECK(about(&out, "user 'app'@'%'", "GRANT RELOAD ON *.* TO 'app'@'%'"));
    CHECK(about(&out, "database shop", "GRANT SELECT ON `shop`.* TO 'app'@'%'"));
    CHECK(about(&out, "hr.people", "GRANT SELECT ON `hr`.`people`"));
    CHECK(!about(&out, "hr.depts", NULL));
    CHECK(!about(&out, "database hr", NULL));
    CHECK(about(&out, "database secret", "or 'app'@'%' has no privilege on it"));
    lt_findings_free(&out);

    /* no table selected */
    load_config("full-load", "\"shop\"", 7);
    f.ntables = 0;
    lt_my_check_evaluate(&cfg, load_only, &f, &out);
    CHECK(about(&out, "table_mappings", "no table matches"));
    lt_findings_free(&out);

    /* with roles (MySQL does not list their privileges), a missing privilege is a warning */
    CHECK(lt_my_grants_add_line(&g, "GRANT `reader`@`%` TO `app`@`%`"));
    f.ntables = 3;
    lt_my_check_evaluate(&cfg, load_only, &f, &out);
    x = about(&out, "user 'app'@'%'", "RELOAD");
    CHECK(x && x->severity == LT_SEV_WARNING && strstr(x->problem, "unless one of its roles grants it"));
    lt_findings_free(&out);
    lt_my_grants_free(&g);
}

int main(void)
{
    RUN(test_grants);
    RUN(test_evaluate);
    lt_config_free(&cfg);
    return unit_report();
}
