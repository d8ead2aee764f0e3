/* `logtap check` and the runners' pre-flight (see check.h). The source plug-in finds the problems; this file runs
 * it for the right scope and prints what it found. */
#include "agent/check.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/findings.h"
#include "agent/log.h"
#include "agent/place.h"

struct lt_check_scope lt_check_scope_of(const struct lt_task_config *cfg)
{
    return (struct lt_check_scope){.full_load = cfg->migration_type != LT_MIGRATE_CDC,
                                   .cdc = cfg->migration_type != LT_MIGRATE_FULL_LOAD};
}

static int run_source_check(const struct lt_task_config *cfg, struct lt_check_scope scope, struct lt_findings *out,
                            struct lt_error *err)
{
    const struct logtap_source_ops *ops = lt_source_for(&cfg->source);
    if (!ops)
        return lt_fail(err, LT_ERR_CONFIG, "source engine \"%s\" is not supported by this build", cfg->source.engine);
    if (!ops->check)
        return lt_fail(err, LT_ERR_CONFIG, "source engine \"%s\" has no pre-flight check in this build",
                       cfg->source.engine);
    return ops->check(cfg, scope, out, err);
}

/* `check` only (the runners check their store when they start, before the source): an object-store target or merge
 * path that does not answer is an error, one that does is an info saying how it is reached. */
static void check_stores(const struct lt_task_config *cfg, struct lt_findings *f)
{
    const char *paths[2] = {cfg->target.path, cfg->merge.path};
    const char *fields[2] = {"target.path", "merge.path"};
    for (int i = 0; i < 2; i++) {
        if (!lt_path_is_uri(paths[i]) || (i == 1 && !strncmp(paths[1], paths[0], strlen(paths[0]))))
            continue; /* a merge path below the target's was checked with it */
        char how[2000], object[1100];
        struct lt_error err = {0};
        snprintf(object, sizeof object, "%s %s", fields[i], paths[i]);
        if (lt_place_check_store(paths[i], &cfg->target, how, sizeof how, &err))
            lt_findings_add(f, LT_SEV_ERROR, object,
                            "check the credentials (AWS_ACCESS_KEY_ID / AWS_PROFILE / the instance role), the bucket, "
                            "its region (AWS_REGION) and the endpoint (endpoint_url, AWS_ENDPOINT_URL_S3)",
                            "the object store does not answer as it must: %s", err.msg);
        else
            lt_findings_add(f, LT_SEV_INFO, object, NULL, "reachable: %s", how);
    }
}

static const char *plural(int n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

static void print_text(const struct lt_task_config *cfg, const struct lt_findings *f)
{
    printf("check of task %s (%s, %s)\n", cfg->task, cfg->source.engine, lt_migration_type_name(cfg->migration_type));
    static const enum lt_severity order[] = {LT_SEV_ERROR, LT_SEV_WARNING, LT_SEV_INFO};
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < f->n; i++) {
            const struct lt_finding *x = &f->items[i];
            if (x->severity != order[k])
                continue;
            printf("%-8s %s: %s\n", lt_severity_name(x->severity), x->object, x->problem);
            if (x->fix)
                printf("%-8s fix: %s\n", "", x->fix);
        }
    if (f->out_of_memory)
        printf("%-8s out of memory: some findings were lost\n", "error");
    int errors = lt_findings_count(f, LT_SEV_ERROR), warnings = lt_findings_count(f, LT_SEV_WARNING);
    if (lt_findings_have_errors(f))
        printf("%d %s, %d %s: the task cannot run as configured\n", errors, plural(errors, "error", "errors"),
               warnings, plural(warnings, "warning", "warnings"));
    else if (warnings)
        printf("%d %s, no errors: the task can run\n", warnings, plural(warnings, "warning", "warnings"));
    else
        printf("no problems found: the task can run\n");
}

static int print_json(const struct lt_task_config *cfg, const struct lt_findings *f)
{
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return LT_ERR_RUNTIME;
    cJSON_AddStringToObject(root, "task", cfg->task);
    cJSON_AddStringToObject(root, "engine", cfg->source.engine);
    cJSON_AddStringToObject(root, "migration_type", lt_migration_type_name(cfg->migration_type));
    cJSON_AddBoolToObject(root, "ok", !lt_findings_have_errors(f));
    cJSON_AddNumberToObject(root, "errors", lt_findings_count(f, LT_SEV_ERROR) + (f->out_of_memory ? 1 : 0));
    cJSON_AddNumberToObject(root, "warnings", lt_findings_count(f, LT_SEV_WARNING));
    cJSON *list = cJSON_AddArrayToObject(root, "findings");
    for (int i = 0; list && i < f->n; i++) {
        const struct lt_finding *x = &f->items[i];
        cJSON *o = cJSON_CreateObject();
        if (!o)
            break;
        cJSON_AddStringToObject(o, "severity", lt_severity_name(x->severity));
        cJSON_AddStringToObject(o, "object", x->object);
        cJSON_AddStringToObject(o, "problem", x->problem);
        if (x->fix)
            cJSON_AddStringToObject(o, "fix", x->fix);
        cJSON_AddItemToArray(list, o);
    }
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!text)
        return LT_ERR_RUNTIME;
    printf("%s\n", text);
    free(text);
    return LT_OK;
}

int lt_run_check(const struct lt_task_config *cfg, bool json, struct lt_error *err)
{
    struct lt_findings f = {0};
    int rc = run_source_check(cfg, lt_check_scope_of(cfg), &f, err);
    if (rc) {
        lt_findings_free(&f);
        return rc;
    }
    check_stores(cfg, &f);
    if (json)
        rc = print_json(cfg, &f);
    else
        print_text(cfg, &f);
    if (rc)
        rc = lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    else if (lt_findings_have_errors(&f))
        rc = LT_ERR_CONFIG;
    lt_findings_free(&f);
    return rc;
}

int lt_preflight(const struct lt_task_config *cfg, struct lt_check_scope scope, struct lt_error *err)
{
    struct lt_findings f = {0};
    int rc = run_source_check(cfg, scope, &f, err);
    if (rc) {
        lt_findings_free(&f);
        return rc;
    }
    for (int i = 0; i < f.n; i++) {
        const struct lt_finding *x = &f.items[i];
        const char *sep = x->fix ? " (fix: " : "", *end = x->fix ? ")" : "";
        switch (x->severity) {
        case LT_SEV_ERROR:
            lt_log_error("check: %s: %s%s%s%s", x->object, x->problem, sep, x->fix ? x->fix : "", end);
            break;
        case LT_SEV_WARNING:
            lt_log_warn("check: %s: %s%s%s%s", x->object, x->problem, sep, x->fix ? x->fix : "", end);
            break;
        case LT_SEV_INFO:
            lt_log_info("check: %s: %s", x->object, x->problem);
            break;
        }
    }
    if (lt_findings_have_errors(&f)) {
        int errors = lt_findings_count(&f, LT_SEV_ERROR);
        rc = lt_fail(err, LT_ERR_CONFIG,
                     "the pre-flight check found %d %s%s (above): the task did not start and nothing was created or "
                     "changed on the source; fix %s and run `logtap check` to confirm",
                     errors, plural(errors, "problem", "problems"), f.out_of_memory ? " (and ran out of memory)" : "",
                     plural(errors, "it", "them"));
    }
    lt_findings_free(&f);
    return rc;
}
