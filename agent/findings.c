/* The list of pre-flight findings (see findings.h). */
#include "agent/findings.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void lt_findings_add(struct lt_findings *f, enum lt_severity severity, const char *object, const char *fix,
                     const char *problem_fmt, ...)
{
    if (f->n == f->cap) {
        int cap = f->cap ? f->cap * 2 : 16;
        struct lt_finding *items = realloc(f->items, (size_t)cap * sizeof *items);
        if (!items) {
            f->out_of_memory = true;
            return;
        }
        f->items = items;
        f->cap = cap;
    }
    va_list ap;
    va_start(ap, problem_fmt);
    char *problem = NULL;
    int len = vasprintf(&problem, problem_fmt, ap);
    va_end(ap);
    struct lt_finding *x = &f->items[f->n];
    x->severity = severity;
    x->object = strdup(object ? object : "");
    x->fix = fix ? strdup(fix) : NULL;
    x->problem = len >= 0 ? problem : NULL;
    if (!x->object || !x->problem || (fix && !x->fix)) {
        free(x->object);
        free(x->fix);
        free(x->problem);
        f->out_of_memory = true;
        return;
    }
    f->n++;
}

int lt_findings_count(const struct lt_findings *f, enum lt_severity severity)
{
    int n = 0;
    for (int i = 0; i < f->n; i++)
        n += f->items[i].severity == severity;
    return n;
}

bool lt_findings_have_errors(const struct lt_findings *f)
{
    return f->out_of_memory || lt_findings_count(f, LT_SEV_ERROR) > 0;
}

void lt_findings_free(struct lt_findings *f)
{
    for (int i = 0; i < f->n; i++) {
        free(f->items[i].object);
        free(f->items[i].problem);
        free(f->items[i].fix);
    }
    free(f->items);
    memset(f, 0, sizeof *f);
}

const char *lt_severity_name(enum lt_severity severity)
{
    switch (severity) {
    case LT_SEV_ERROR: return "error";
    case LT_SEV_WARNING: return "warning";
    case LT_SEV_INFO: return "info";
    }
    return "?";
}
