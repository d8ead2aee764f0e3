/* MySQL/MariaDB positions and checkpoints as text (see mysql_position.h): pure functions, unit-tested without a
 * server. */
#include "sources/mysql/mysql_position.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/digits.h"

/* ---- positions ---- */

bool lt_my_file_index_parse(const char *file, uint32_t *index)
{
    const char *dot = file ? strrchr(file, '.') : NULL;
    if (!dot)
        return false;
    uint64_t v = 0;
    int n = 0;
    for (const char *p = dot + 1; *p; p++, n++) {
        if (*p < '0' || *p > '9' || n == 10)
            return false;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (n == 0 || v > UINT32_MAX)
        return false;
    *index = (uint32_t)v;
    return true;
}

uint32_t lt_my_file_index(const char *file)
{
    uint32_t index;
    return lt_my_file_index_parse(file, &index) ? index : 0;
}

void lt_my_format_pos(uint32_t file_index, uint64_t event_pos, uint32_t row, char out[LT_POS_MAX + 1])
{
    /* %010u:%012llu:%010u, once per row: without printf (event positions stay below 10^12) */
    lt_dec_fixed(file_index, 10, out);
    out[10] = ':';
    lt_dec_fixed(event_pos, 12, out + 11);
    out[23] = ':';
    lt_dec_fixed(row, 10, out + 24);
    out[34] = '\0';
}

/* Reads exactly `digits` decimal digits at p. */
static bool fixed_digits(const char *p, int digits, uint64_t *out)
{
    uint64_t v = 0;
    for (int i = 0; i < digits; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(p[i] - '0');
    }
    *out = v;
    return true;
}

bool lt_my_parse_pos(const char *text, uint32_t *file_index, uint64_t *event_pos, uint32_t *row)
{
    uint64_t f, e, r;
    if (!text || strlen(text) != MY_POS_LEN || text[10] != ':' || text[23] != ':' || !fixed_digits(text, 10, &f) ||
        !fixed_digits(text + 11, 12, &e) || !fixed_digits(text + 24, 10, &r) || f > UINT32_MAX || r > UINT32_MAX)
        return false;
    *file_index = (uint32_t)f;
    *event_pos = e;
    *row = (uint32_t)r;
    return true;
}

/* ---- checkpoints ---- */

void lt_my_format_checkpoint(const char *file, uint64_t pos, const char *gtid, char out[LT_CHECKPOINT_MAX])
{
    if (gtid && gtid[0])
        snprintf(out, LT_CHECKPOINT_MAX, "%s:%" PRIu64 "@%s", file, pos, gtid);
    else
        snprintf(out, LT_CHECKPOINT_MAX, "%s:%" PRIu64, file, pos);
}

bool lt_my_parse_checkpoint(const char *cp, char file[MY_FILE_MAX], uint64_t *pos, char *gtid)
{
    if (!cp)
        return false;
    size_t len = strlen(cp);
    const char *at = strrchr(cp, '@');
    const char *g = "";
    size_t glen = 0;
    /* a suffix that is not a GTID position belongs to the file name */
    if (at && lt_my_gtid_valid(at + 1, strlen(at + 1))) {
        g = at + 1;
        glen = strlen(g);
        len = (size_t)(at - cp);
        if (glen >= MY_GTID_MAX)
            return false;
    }
    const char *colon = NULL;
    for (size_t i = 0; i < len; i++)
        if (cp[i] == ':')
            colon = cp + i;
    if (!colon || colon == cp || (size_t)(colon - cp) >= MY_FILE_MAX || colon + 1 == cp + len)
        return false;
    char digits[24];
    size_t nd = (size_t)(cp + len - colon - 1);
    if (nd >= sizeof digits || colon[1] == '-' || colon[1] == '+' || colon[1] == ' ')
        return false;
    memcpy(digits, colon + 1, nd);
    digits[nd] = '\0';
    char *end;
    errno = 0;
    unsigned long long v = strtoull(digits, &end, 10);
    if (*end || errno)
        return false;
    memcpy(file, cp, (size_t)(colon - cp));
    file[colon - cp] = '\0';
    *pos = v;
    if (gtid) {
        memcpy(gtid, g, glen);
        gtid[glen] = '\0';
    }
    return true;
}

/* ---- GTID positions (MariaDB) ---- */

/* Reads a decimal number of at most max from text[*i..n). */
static bool gtid_number(const char *text, size_t n, size_t *i, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    size_t start = *i;
    while (*i < n && text[*i] >= '0' && text[*i] <= '9') {
        unsigned d = (unsigned)(text[*i] - '0');
        if (v > (max - d) / 10)
            return false;
        v = v * 10 + d;
        (*i)++;
    }
    *out = v;
    return *i > start && *i - start <= 20;
}

struct gtid_entry {
    uint32_t domain, server;
    uint64_t seq;
};

/* Parses up to cap entries; false on bad syntax, a repeated domain, or more than cap entries. */
static bool gtid_parse(const char *text, size_t n, struct gtid_entry *e, size_t cap, size_t *count)
{
    *count = 0;
    size_t i = 0;
    while (i < n) {
        uint64_t d, sv, q;
        if (*count == cap || !gtid_number(text, n, &i, UINT32_MAX, &d) || i >= n || text[i++] != '-' ||
            !gtid_number(text, n, &i, UINT32_MAX, &sv) || i >= n || text[i++] != '-' ||
            !gtid_number(text, n, &i, UINT64_MAX, &q))
            return false;
        for (size_t k = 0; k < *count; k++)
            if (e[k].domain == d)
                return false;
        e[(*count)++] = (struct gtid_entry){(uint32_t)d, (uint32_t)sv, q};
        if (i < n && (text[i++] != ',' || i == n))
            return false;
    }
    return true;
}

#define GTID_ENTRIES_MAX (MY_GTID_MAX / 6)

bool lt_my_gtid_valid(const char *text, size_t n)
{
    struct gtid_entry e[GTID_ENTRIES_MAX];
    size_t count;
    return n < MY_GTID_MAX && gtid_parse(text, n, e, GTID_ENTRIES_MAX, &count);
}

bool lt_my_gtid_set(char gtid[MY_GTID_MAX], uint32_t domain, uint32_t server, uint64_t seq)
{
    struct gtid_entry e[GTID_ENTRIES_MAX + 1];
    size_t count;
    if (!gtid_parse(gtid, strlen(gtid), e, GTID_ENTRIES_MAX, &count))
        return false;
    for (size_t i = 1; i < count; i++) /* sorted by domain (a server's list may not be) */
        for (size_t j = i; j > 0 && e[j - 1].domain > e[j].domain; j--) {
            struct gtid_entry t = e[j];
            e[j] = e[j - 1];
            e[j - 1] = t;
        }
    size_t k = 0;
    while (k < count && e[k].domain < domain)
        k++;
    if (k == count || e[k].domain != domain) {
        memmove(e + k + 1, e + k, (count - k) * sizeof *e);
        count++;
    }
    e[k] = (struct gtid_entry){domain, server, seq};
    char out[MY_GTID_MAX];
    size_t len = 0;
    for (size_t i = 0; i < count; i++) {
        int w = snprintf(out + len, sizeof out - len, "%s%" PRIu32 "-%" PRIu32 "-%" PRIu64, i ? "," : "", e[i].domain,
                         e[i].server, e[i].seq);
        if (w < 0 || (size_t)w >= sizeof out - len)
            return false;
        len += (size_t)w;
    }
    memcpy(gtid, out, len + 1);
    return true;
}


/* ---- binlog distance ---- */

int lt_my_binlog_distance(const struct lt_my_binlog_file *files, size_t n, const char *from_file, uint64_t from_pos,
                          const char *to_file, uint64_t to_pos, int64_t *bytes)
{
    if (strcmp(from_file, to_file) == 0) {
        *bytes = to_pos > from_pos ? (int64_t)(to_pos - from_pos) : 0;
        return LT_OK;
    }
    size_t i = 0;
    while (i < n && strcmp(files[i].name, from_file) != 0)
        i++;
    if (i == n)
        return LT_ERR_RUNTIME; /* purged, or from another server */
    uint64_t sum = files[i].size > from_pos ? files[i].size - from_pos : 0;
    for (i++; i < n && strcmp(files[i].name, to_file) != 0; i++)
        sum += files[i].size;
    if (i == n)
        return LT_ERR_RUNTIME; /* `to` is not after `from` */
    *bytes = (int64_t)(sum + to_pos);
    return LT_OK;
}


/* ---- the source's position operations ---- */

#define MY_CHECKPOINT_FORM "file:position like mysql-bin.000003:1234 (a MariaDB GTID position may follow: @0-1-42)"
#define MY_POS_FORM "a _logtap_pos value like 0000000003:000000001234:0000000001"

/* Parses a user's checkpoint strictly: a numbered binlog file and a position a _logtap_pos holds. */
static int checkpoint_strict(const char *text, char file[MY_FILE_MAX], uint32_t *index, uint64_t *pos,
                             char gtid[MY_GTID_MAX], struct lt_error *err)
{
    if (!text || !text[0])
        return lt_fail(err, LT_ERR_CONFIG, "an empty position: give %s", MY_CHECKPOINT_FORM);
    if (!lt_my_parse_checkpoint(text, file, pos, gtid))
        return lt_fail(err, LT_ERR_CONFIG, "\"%s\" is not a MySQL/MariaDB binlog position: give %s, as `logtap "
                       "status` prints it", text, MY_CHECKPOINT_FORM);
    if (!lt_my_file_index_parse(file, index))
        return lt_fail(err, LT_ERR_CONFIG, "\"%s\": \"%s\" is not a binlog file name (a name, a dot and its number "
                       "up to 4294967295, like mysql-bin.000003)", text, file);
    if (*pos > MY_EVENT_POS_MAX)
        return lt_fail(err, LT_ERR_CONFIG, "\"%s\": position %" PRIu64 " is out of range (at most %llu)", text, *pos,
                       MY_EVENT_POS_MAX);
    return LT_OK;
}

int lt_my_checkpoint_check(const char *text, char out[LT_CHECKPOINT_MAX], struct lt_error *err)
{
    char file[MY_FILE_MAX], gtid[MY_GTID_MAX];
    uint32_t index;
    uint64_t pos;
    int rc = checkpoint_strict(text, file, &index, &pos, gtid, err);
    if (!rc && out)
        lt_my_format_checkpoint(file, pos, gtid, out);
    return rc;
}

int lt_my_checkpoint_compare(const char *a, const char *b, int *cmp, struct lt_error *err)
{
    char fa[MY_FILE_MAX], fb[MY_FILE_MAX], gtid[MY_GTID_MAX];
    uint32_t ia = 0, ib = 0;
    uint64_t pa = 0, pb = 0;
    int rc;
    if ((rc = checkpoint_strict(a, fa, &ia, &pa, gtid, err)) || (rc = checkpoint_strict(b, fb, &ib, &pb, gtid, err)))
        return rc;
    *cmp = ia != ib ? (ia < ib ? -1 : 1) : pa != pb ? (pa < pb ? -1 : 1) : 0;
    return LT_OK;
}

int lt_my_position_bound(const char *text, char pos[LT_POS_MAX + 1], struct lt_error *err)
{
    uint32_t index, row;
    uint64_t p;
    if (lt_my_parse_pos(text, &index, &p, &row)) {
        lt_my_format_pos(index, p, row, pos);
        return LT_OK;
    }
    char file[MY_FILE_MAX], gtid[MY_GTID_MAX];
    if (!text || !lt_my_parse_checkpoint(text, file, &p, gtid))
        return lt_fail(err, LT_ERR_CONFIG, "\"%s\" is not a MySQL/MariaDB position: give %s, as `logtap status` "
                       "prints it, or %s", text ? text : "", MY_CHECKPOINT_FORM, MY_POS_FORM);
    int rc = checkpoint_strict(text, file, &index, &p, gtid, err);
    if (rc)
        return rc;
    /* the transactions that ended at or before p: their rows are at events before p; a snapshot taken at p: row 0 */
    lt_my_format_pos(index, p, 0, pos);
    return LT_OK;
}

int lt_my_position_checkpoint(const char *pos, const char *reference, char out[LT_CHECKPOINT_MAX],
                              struct lt_error *err)
{
    uint32_t index, row, ref_index;
    uint64_t p;
    if (!lt_my_parse_pos(pos, &index, &p, &row))
        return lt_fail(err, LT_ERR_CONFIG, "\"%s\" is not a MySQL/MariaDB _logtap_pos (%s)", pos ? pos : "",
                       MY_POS_FORM);
    char file[MY_FILE_MAX], gtid[MY_GTID_MAX];
    uint64_t ref_pos;
    if (!reference || !lt_my_parse_checkpoint(reference, file, &ref_pos, gtid) ||
        !lt_my_file_index_parse(file, &ref_index))
        return lt_fail(err, LT_ERR_RUNTIME, "no binlog file name to name file number %" PRIu32 " after (the task has "
                       "no checkpoint)", index);
    const char *dot = strrchr(file, '.');
    int width = (int)strlen(dot + 1);
    char name[MY_FILE_MAX + 16];
    int n = snprintf(name, sizeof name, "%.*s%0*" PRIu32, (int)(dot + 1 - file), file, width, index);
    if (n < 0 || (size_t)n >= MY_FILE_MAX)
        return lt_fail(err, LT_ERR_RUNTIME, "binlog file name too long");
    /* a change of the event at p belongs to a transaction that ends after p: p + 1 is the first point including it */
    uint64_t at = row == 0 ? p : p + 1;
    if (at > MY_EVENT_POS_MAX)
        return lt_fail(err, LT_ERR_RUNTIME, "\"%s\": no checkpoint holds a position after %" PRIu64, pos, p);
    lt_my_format_checkpoint(name, at, NULL, out);
    return LT_OK;
}
