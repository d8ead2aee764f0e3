/* Every AWS DMS S3 endpoint setting (the S3Settings API) and what logtap does with it: implemented with DMS's
 * meaning, implemented for some values and refused for the others, refused, or (settings about S3 itself only)
 * accepted and ignored. The config parser refuses and ignores from this table, and the README's "Coming from DMS"
 * table is checked against it by a unit test, so the two cannot drift. */
#ifndef LOGTAP_DMS_SETTINGS_H
#define LOGTAP_DMS_SETTINGS_H

enum lt_dms_status {
    LT_DMS_IMPLEMENTED, /* "implemented" */
    LT_DMS_PARTIAL,     /* "partly": some values implemented, the others refused (exit 2) */
    LT_DMS_REFUSED,     /* "refused": any value exits 2 naming the setting */
    LT_DMS_S3_ONLY,     /* "ignored (S3 only)": about the S3 bucket itself, accepted and ignored */
};

struct lt_dms_setting {
    const char *name;           /* DMS's spelling (matched case-insensitively) */
    enum lt_dms_status status;
    const char *sample;         /* a value the parser accepts, as JSON text (NULL for refused settings); it may go
                                 * on with the other settings it needs: "true, \"CdcPath\": \"txn\"" */
    const char *refused_sample; /* a value the parser refuses, as JSON text (NULL for S3-only settings) */
    const char *why;            /* refused: why (the config error says it) */
};

/* The table, ending with a {NULL} entry. */
extern const struct lt_dms_setting lt_dms_settings[];

/* The entry of a setting name (case-insensitive), or NULL. */
const struct lt_dms_setting *lt_dms_setting_find(const char *name);

/* The README's word for a status: "implemented", "partly", "refused", "ignored (S3 only)". */
const char *lt_dms_status_name(enum lt_dms_status s);

#endif
