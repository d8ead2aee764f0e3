/* A file's columns as JSON (round trip), and the names logtap adds to files that a table's own column must not
 * have. */
#include <stdlib.h>
#include <string.h>

#include "agent/schema_json.h"
#include "unit.h"

static struct lt_table_schema *table_with(const char *const *names, int n)
{
    struct lt_table_schema *t = lt_schema_new("public", "orders", n);
    for (int i = 0; i < n; i++)
        lt_schema_set_column(t, i, names[i], LT_TYPE_TEXT, 0, 0, i == 0, true, "text");
    return t;
}

static void test_round_trip(void)
{
    const char *names[] = {"id", "a,b", "quote\"d"};
    struct lt_table_schema *t = table_with(names, 3);
    struct lt_file_columns extra = {.op = true, .ts_column = "commit_ts", .unchanged = true};
    char *json = lt_schema_to_json(t, &extra);
    struct lt_table_schema *back = NULL;
    struct lt_file_columns extra2;
    struct lt_error err = {0};
    CHECK_INT(lt_schema_from_json(json, &back, &extra2, &err), LT_OK);
    if (CHECK(back != NULL)) {
        CHECK_INT(back->ncols, 3);
        CHECK_STR(back->cols[1].name, "a,b");
        CHECK_STR(back->cols[2].name, "quote\"d");
        CHECK(back->cols[0].is_key);
        CHECK(extra2.op && extra2.unchanged);
        CHECK_STR(extra2.ts_column, "commit_ts");
        lt_file_columns_free(&extra2);
    }
    lt_schema_free(back);
    lt_schema_free(t);
    free(json);
}

/* Which changes a CDC file holds (CdcInsertsOnly, CdcInsertsAndUpdates): recorded only when some are left out
 * (the JSON of every other file stays as it was), read back as the same static strings. */
static void test_cdc_ops(void)
{
    const char *names[] = {"id"};
    struct lt_table_schema *t = table_with(names, 1);
    struct lt_error err = {0};
    CHECK(lt_cdc_ops_letters(LT_CDC_ALL) == NULL);
    CHECK_STR(lt_cdc_ops_letters(LT_CDC_INSERTS_ONLY), "I");
    CHECK_STR(lt_cdc_ops_letters(LT_CDC_INSERTS_AND_UPDATES), "IU");
    const char *cases[] = {NULL, "I", "IU"};
    for (int i = 0; i < 3; i++) {
        struct lt_file_columns extra = {.op = i != 1, .unchanged = true, .cdc_ops = cases[i]};
        char *json = lt_schema_to_json(t, &extra);
        CHECK((strstr(json, "cdc_ops") != NULL) == (cases[i] != NULL));
        struct lt_table_schema *back = NULL;
        struct lt_file_columns extra2;
        CHECK_INT(lt_schema_from_json(json, &back, &extra2, &err), LT_OK);
        if (cases[i])
            CHECK_STR(extra2.cdc_ops, cases[i]);
        else
            CHECK(extra2.cdc_ops == NULL);
        CHECK_INT(extra2.op, i != 1);
        lt_file_columns_free(&extra2);
        lt_schema_free(back);
        free(json);
    }
    struct lt_table_schema *back = NULL;
    struct lt_file_columns extra3;
    CHECK_INT(lt_schema_from_json("{\"schema\":\"s\",\"table\":\"t\",\"columns\":[],\"cdc_ops\":\"D\"}", &back,
                                  &extra3, &err), LT_OK);
    CHECK_STR(extra3.cdc_ops, "?");
    lt_file_columns_free(&extra3);
    lt_schema_free(back);
    lt_schema_free(t);
}

static void test_added_names_clash(void)
{
    struct lt_file_columns extra = {.op = true, .ts_column = "commit_ts", .unchanged = true};
    struct lt_error err = {0};
    char warning[256];
    const char *const clash[] = {"Op", "commit_ts", "_logtap_pos", "_logtap_unchanged"};
    for (int i = 0; i < 4; i++) {
        const char *names[] = {"id", clash[i]};
        struct lt_table_schema *t = table_with(names, 2);
        CHECK_INT(lt_file_columns_check(t, &extra, warning, &err), LT_ERR_CONFIG);
        CHECK(strstr(err.msg, clash[i]) != NULL && strstr(err.msg, "public.orders") != NULL);
        lt_schema_free(t);
    }
    /* without an Op column in the file, "Op" is free; a case-only difference is a warning, not an error */
    struct lt_file_columns load = {.op = false, .ts_column = NULL, .unchanged = false};
    const char *names[] = {"Op", "OP_code", "op"};
    struct lt_table_schema *t = table_with(names, 3);
    CHECK_INT(lt_file_columns_check(t, &load, warning, &err), LT_OK);
    CHECK_STR(warning, "");
    const char *names2[] = {"id", "op"};
    struct lt_table_schema *t2 = table_with(names2, 2);
    CHECK_INT(lt_file_columns_check(t2, &extra, warning, &err), LT_OK);
    CHECK(strstr(warning, "differ only in case") != NULL);
    CHECK_INT(lt_file_columns_check(t2, &extra, NULL, &err), LT_OK);
    lt_schema_free(t);
    lt_schema_free(t2);
}

int main(void)
{
    RUN(test_round_trip);
    RUN(test_cdc_ops);
    RUN(test_added_names_clash);
    return unit_report();
}
