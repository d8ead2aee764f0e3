/* What a pre-flight check found: a list of findings, each with a severity (error: the task cannot run as
 * configured; warning: it runs, but something is left out or may go wrong; info: what will happen), the object it
 * is about, the problem, and the fix. Source plug-ins fill the list (their `check` op); the agent prints it. */
#ifndef LOGTAP_FINDINGS_H
#define LOGTAP_FINDINGS_H

#include <stdbool.h>

enum lt_severity { LT_SEV_ERROR, LT_SEV_WARNING, LT_SEV_INFO };

struct lt_finding {
    enum lt_severity severity;
    char *object;   /* what it is about: "public.orders", "wal_level", "role app", "source.server_id" */
    char *problem;  /* what is wrong, or (info) what will happen */
    char *fix;      /* how to fix it; NULL when there is nothing to do */
};

struct lt_findings {
    int n, cap;
    struct lt_finding *items;
    bool out_of_memory;  /* a finding could not be stored (the list then counts as having an error) */
};

/* Adds a finding; fix may be NULL. The problem is a printf format. */
void lt_findings_add(struct lt_findings *f, enum lt_severity severity, const char *object, const char *fix,
                     const char *problem_fmt, ...) __attribute__((format(printf, 5, 6)));
int lt_findings_count(const struct lt_findings *f, enum lt_severity severity);
/* True when the task cannot run: an error, or a finding lost for want of memory. */
bool lt_findings_have_errors(const struct lt_findings *f);
void lt_findings_free(struct lt_findings *f);

const char *lt_severity_name(enum lt_severity severity);

#endif
