/* The table merge (see merge_engine.h).
 *
 * In memory: a hash table from key to the key's latest state (a packed row, or "deleted"; for tables without a
 * key, a count per whole row), built from the changes in position order; then the base is streamed once: a base
 * row whose key has no state is written as is, a deleted one is skipped, a changed one is written with its
 * unchanged columns filled from the base row; finally the states not met in the base (new keys) are written.
 *
 * Spilling: when the table passes the budget while changes are read, its states so far are written, as
 * equivalent changes, into P partition files by key hash, followed by the remaining changes and then the base
 * rows; each partition is then merged in memory like a small table. The spill format per row:
 *   u8 kind (0 change, 1 base) | u8 op | u8 pos length | pos | u16 ncols | ncols x (u8 state | u32 length | bytes)
 *
 * Key changes whose new row lacks unchanged columns (D old key, I new key): the old row's values are taken at the
 * D; when they are only in the base, the new row waits ("deferred") until the base has been read. */
#include "agent/merge_engine.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STATE_CROSSREF 3       /* value state: an unchanged column to take from another key's old row */
#define ENTRY_EMPTY 0
#define ENTRY_ROW 1
#define ENTRY_DELETED 2

struct entry {
    uint64_t hash;
    uint64_t key_off;
    uint64_t row_off;          /* packed row in the arena, or UINT64_MAX */
    uint32_t key_len;
    int32_t count;             /* tables without a key: net inserts of this row */
    uint8_t state;
    uint8_t emitted;
};

/* A key change waiting for the old row's values. */
struct needed {
    char *old_key;
    uint32_t old_key_len;
    char d_pos[LT_POS_MAX + 1];
    bool from_base;            /* the old row was not among the changes: take it from the base */
    char *captured;            /* packed row of the old row, once known */
};

struct merge {
    const struct lt_merge_input *in;
    lt_merge_emit_fn emit;
    void *emit_ctx;
    struct lt_merge_stats *stats;
    bool keyed;
    int ncols;
    /* hash table + arena */
    struct entry *table;
    uint64_t cap, used;
    char *arena;
    uint64_t arena_len, arena_cap;
    bool base_dropped;
    int next_truncate;
    /* key change bookkeeping */
    struct needed *needed;
    int nneeded, needed_cap;
    char prev_op;
    char prev_pos[LT_POS_MAX + 1];
    uint64_t prev_row_off;     /* the row the previous D removed (UINT64_MAX when none) */
    const char *prev_key;
    uint32_t prev_key_len;
    char *prev_key_buf;
    uint32_t prev_key_cap;
    /* scratch */
    char *keybuf;
    size_t keybuf_cap;
    struct lt_value *vals;
    FILE *deferred;
    int64_t ndeferred;
};

static uint64_t hash_bytes(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
    return h ^ (h >> 29);
}

static uint64_t memory_used(const struct merge *m)
{
    return m->arena_cap + m->cap * sizeof(struct entry) + (uint64_t)m->nneeded * 128;
}

static int arena_reserve(struct merge *m, uint64_t n, struct lt_error *err)
{
    if (m->arena_len + n <= m->arena_cap)
        return LT_OK;
    uint64_t cap = m->arena_cap ? m->arena_cap : 1 << 20;
    while (cap < m->arena_len + n)
        cap *= 2;
    char *p = realloc(m->arena, cap);
    if (!p)
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory (merge arena of %llu bytes)", (unsigned long long)cap);
    m->arena = p;
    m->arena_cap = cap;
    return LT_OK;
}

/* Encodes a row's key (key columns, or all columns without a key) into m->keybuf. */
static int encode_key(struct merge *m, const struct lt_value *vals, size_t *len, struct lt_error *err)
{
    size_t n = 0;
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1 && n > m->keybuf_cap) {
            char *p = realloc(m->keybuf, n * 2);
            if (!p)
                return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
            m->keybuf = p;
            m->keybuf_cap = n * 2;
        }
        size_t off = 0;
        for (int i = 0; i < m->ncols; i++) {
            if (m->keyed && !m->in->schema->cols[i].is_key)
                continue;
            uint32_t l = vals[i].state == LT_VALUE_PRESENT ? vals[i].len : 0;
            if (pass == 1) {
                m->keybuf[off] = (char)vals[i].state;
                memcpy(m->keybuf + off + 1, &l, 4);
                if (l)
                    memcpy(m->keybuf + off + 5, vals[i].data, l);
            }
            off += 5 + l;
        }
        n = off;
    }
    *len = n;
    return LT_OK;
}

/* Packs a row (its position and values) into the arena; returns its offset. */
static int pack_row(struct merge *m, const char *pos, const struct lt_value *vals, uint64_t *off,
                    struct lt_error *err)
{
    uint64_t n = 4 + 1 + strlen(pos) + 2;
    for (int i = 0; i < m->ncols; i++)
        n += 5 + (vals[i].state == LT_VALUE_PRESENT || vals[i].state == STATE_CROSSREF ? vals[i].len : 0);
    /* values may point into the arena itself (earlier states): rebase them if it moves */
    uintptr_t old_base = (uintptr_t)m->arena, old_end = old_base + m->arena_len;
    if (arena_reserve(m, n, err))
        return LT_ERR_RUNTIME;
    uintptr_t new_base = (uintptr_t)m->arena;
    char *p = m->arena + m->arena_len;
    uint32_t total = (uint32_t)n;
    memcpy(p, &total, 4);
    p += 4;
    *p++ = (char)strlen(pos);
    memcpy(p, pos, strlen(pos));
    p += strlen(pos);
    uint16_t nc = (uint16_t)m->ncols;
    memcpy(p, &nc, 2);
    p += 2;
    for (int i = 0; i < m->ncols; i++) {
        uint32_t l = vals[i].state == LT_VALUE_PRESENT || vals[i].state == STATE_CROSSREF ? vals[i].len : 0;
        *p++ = (char)vals[i].state;
        memcpy(p, &l, 4);
        p += 4;
        if (l) {
            uintptr_t src = (uintptr_t)vals[i].data;
            if (old_base != new_base && src >= old_base && src < old_end)
                src = src - old_base + new_base;
            memcpy(p, (const char *)src, l);
        }
        p += l;
    }
    *off = m->arena_len;
    m->arena_len += n;
    return LT_OK;
}

/* Unpacks a packed row into values pointing into it; fills pos when not NULL. */
static void unpack_row(const char *p, char *pos, struct lt_value *vals, int ncols)
{
    p += 4;
    int pl = (unsigned char)*p++;
    if (pos) {
        memcpy(pos, p, (size_t)pl);
        pos[pl] = '\0';
    }
    p += pl + 2;
    for (int i = 0; i < ncols; i++) {
        uint32_t l;
        vals[i].state = (uint8_t)*p++;
        memcpy(&l, p, 4);
        p += 4;
        vals[i].data = p;
        vals[i].len = l;
        p += l;
    }
}

static int grow_table(struct merge *m, struct lt_error *err)
{
    uint64_t cap = m->cap ? m->cap * 2 : 1024;
    struct entry *t = calloc(cap, sizeof *t);
    if (!t)
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory (merge table)");
    for (uint64_t i = 0; i < m->cap; i++) {
        struct entry *e = &m->table[i];
        if (e->state == ENTRY_EMPTY)
            continue;
        uint64_t j = e->hash & (cap - 1);
        while (t[j].state != ENTRY_EMPTY)
            j = (j + 1) & (cap - 1);
        t[j] = *e;
    }
    free(m->table);
    m->table = t;
    m->cap = cap;
    return LT_OK;
}

/* Finds the entry of a key, creating an empty-state one (state ROW with no row) when create is set. */
static struct entry *lookup(struct merge *m, const char *key, size_t len, bool create, struct lt_error *err)
{
    if (create && (m->used + 1) * 4 > m->cap * 3 && grow_table(m, err))
        return NULL;
    if (!m->cap)
        return NULL;
    uint64_t h = hash_bytes(key, len);
    uint64_t j = h & (m->cap - 1);
    while (m->table[j].state != ENTRY_EMPTY) {
        struct entry *e = &m->table[j];
        if (e->hash == h && e->key_len == len && memcmp(m->arena + e->key_off, key, len) == 0)
            return e;
        j = (j + 1) & (m->cap - 1);
    }
    if (!create)
        return NULL;
    if (arena_reserve(m, len, err))
        return NULL;
    memcpy(m->arena + m->arena_len, key, len);
    struct entry *e = &m->table[j];
    *e = (struct entry){.hash = h, .key_off = m->arena_len, .key_len = (uint32_t)len, .row_off = UINT64_MAX,
                        .state = ENTRY_DELETED};
    m->arena_len += len;
    m->used++;
    return e;
}

static void clear_states(struct merge *m)
{
    /* give the memory back: the budget counts capacity, and the next partition may be small */
    free(m->table);
    m->table = NULL;
    m->cap = 0;
    m->used = 0;
    free(m->arena);
    m->arena = NULL;
    m->arena_cap = 0;
    m->arena_len = 0;
    m->prev_row_off = UINT64_MAX;
    m->prev_op = 0;
}

/* Same transaction, next sequence: positions share everything up to the last ':' and differ by one there. */
static bool follows_directly(const char *prev, const char *pos)
{
    const char *a = strrchr(prev, ':'), *b = strrchr(pos, ':');
    if (!a || !b || a - prev != b - pos || memcmp(prev, pos, (size_t)(a - prev)) != 0)
        return false;
    return strtoull(a + 1, NULL, 10) + 1 == strtoull(b + 1, NULL, 10);
}

static int apply_truncates_before(struct merge *m, const char *pos)
{
    int applied = 0;
    while (m->next_truncate < m->in->ntruncates &&
           (!pos || strcmp(m->in->truncates[m->next_truncate], pos) < 0)) {
        m->next_truncate++;
        applied++;
    }
    if (applied) {
        clear_states(m);
        m->base_dropped = true;
    }
    return applied;
}

static int add_needed(struct merge *m, const char *old_key, uint32_t len, const char *d_pos, int *index,
                      struct lt_error *err)
{
    if (m->nneeded == m->needed_cap) {
        int cap = m->needed_cap ? m->needed_cap * 2 : 16;
        struct needed *n = realloc(m->needed, (size_t)cap * sizeof *n);
        if (!n)
            return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
        m->needed = n;
        m->needed_cap = cap;
    }
    struct needed *n = &m->needed[m->nneeded];
    memset(n, 0, sizeof *n);
    n->old_key = malloc(len ? len : 1);
    if (!n->old_key)
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    memcpy(n->old_key, old_key, len);
    n->old_key_len = len;
    snprintf(n->d_pos, sizeof n->d_pos, "%s", d_pos);
    n->from_base = true;
    *index = m->nneeded++;
    return LT_OK;
}

/* Applies one change (keyed tables). */
static int apply_keyed(struct merge *m, const struct lt_row *row, struct lt_error *err)
{
    char ib[sizeof(int)];
    size_t klen;
    if (encode_key(m, row->vals, &klen, err))
        return LT_ERR_RUNTIME;
    struct entry *e = lookup(m, m->keybuf, klen, true, err);
    if (!e)
        return LT_ERR_RUNTIME;
    struct lt_value *v = m->vals;
    memcpy(v, row->vals, (size_t)m->ncols * sizeof *v);
    char op = row->op;
    if (op == 'D') {
        /* remember the removed row for a key change that may follow */
        m->prev_row_off = e->state == ENTRY_ROW ? e->row_off : UINT64_MAX;
        if (klen > m->prev_key_cap) {
            char *p = realloc(m->prev_key_buf, klen * 2);
            if (!p)
                return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
            m->prev_key_buf = p;
            m->prev_key_cap = (uint32_t)klen * 2;
        }
        memcpy(m->prev_key_buf, m->keybuf, klen);
        m->prev_key_len = (uint32_t)klen;
        /* a D row may carry the whole old row (full row images): keep it too */
        bool full = true;
        for (int i = 0; i < m->ncols; i++)
            full &= v[i].state != LT_VALUE_UNCHANGED;
        if (full && pack_row(m, row->pos, v, &m->prev_row_off, err))
            return LT_ERR_RUNTIME;
        /* a pending key change may need this row */
        for (int i = 0; i < m->nneeded; i++) {
            struct needed *n = &m->needed[i];
            if (!n->captured && n->from_base && strcmp(n->d_pos, row->pos) == 0 && e->state == ENTRY_ROW) {
                /* keep a copy: the arena may be cleared by a truncate */
                const char *p = m->arena + e->row_off;
                uint32_t total;
                memcpy(&total, p, 4);
                if (!(n->captured = malloc(total)))
                    return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
                memcpy(n->captured, p, total);
                n->from_base = false;
            }
        }
        e->state = ENTRY_DELETED;
        e->row_off = UINT64_MAX;
        e->emitted = 0;
        m->prev_op = 'D';
        snprintf(m->prev_pos, sizeof m->prev_pos, "%s", row->pos);
        return LT_OK;
    }
    bool unresolved = false;
    for (int i = 0; i < m->ncols; i++)
        unresolved |= v[i].state == LT_VALUE_UNCHANGED;
    if (unresolved && op == 'I' && m->prev_op == 'D' && follows_directly(m->prev_pos, row->pos)) {
        /* a key change: unchanged columns come from the old row */
        struct lt_value old[m->ncols > 0 ? m->ncols : 1];
        if (m->prev_row_off != UINT64_MAX) {
            unpack_row(m->arena + m->prev_row_off, NULL, old, m->ncols);
            for (int i = 0; i < m->ncols; i++)
                if (v[i].state == LT_VALUE_UNCHANGED && old[i].state != LT_VALUE_UNCHANGED)
                    v[i] = old[i];
        }
        bool still = false;
        for (int i = 0; i < m->ncols; i++)
            still |= v[i].state == LT_VALUE_UNCHANGED;
        if (still) {
            int idx = 0;
            if (add_needed(m, m->prev_key_buf, m->prev_key_len, m->prev_pos, &idx, err))
                return LT_ERR_RUNTIME;
            memcpy(ib, &idx, sizeof idx);
            for (int i = 0; i < m->ncols; i++)
                if (v[i].state == LT_VALUE_UNCHANGED) {
                    v[i].state = STATE_CROSSREF;
                    v[i].data = ib;
                    v[i].len = sizeof idx;
                }
            /* the entry pointer may move when the table grows: look it up again */
            e = lookup(m, m->keybuf, klen, true, err);
            if (!e)
                return LT_ERR_RUNTIME;
        }
    } else if (unresolved && e->state == ENTRY_ROW) {
        struct lt_value prev[m->ncols > 0 ? m->ncols : 1];
        unpack_row(m->arena + e->row_off, NULL, prev, m->ncols);
        for (int i = 0; i < m->ncols; i++)
            if (v[i].state == LT_VALUE_UNCHANGED)
                v[i] = prev[i];
    }
    uint64_t off;
    uint64_t key_off = e->key_off;
    (void)key_off;
    if (pack_row(m, row->pos, v, &off, err))
        return LT_ERR_RUNTIME;
    e = lookup(m, m->keybuf, klen, false, err); /* the arena may have moved; entries did not */
    e->state = ENTRY_ROW;
    e->row_off = off;
    e->emitted = 0;
    m->prev_op = op;
    snprintf(m->prev_pos, sizeof m->prev_pos, "%s", row->pos);
    return LT_OK;
}

/* Applies one change (tables without a key: counts of whole rows). */
static int apply_multiset(struct merge *m, const struct lt_row *row, struct lt_error *err)
{
    struct lt_value *v = m->vals;
    memcpy(v, row->vals, (size_t)m->ncols * sizeof *v);
    if (row->op == 'I' && m->prev_op == 'D' && follows_directly(m->prev_pos, row->pos) &&
        m->prev_row_off != UINT64_MAX) {
        struct lt_value old[m->ncols > 0 ? m->ncols : 1];
        unpack_row(m->arena + m->prev_row_off, NULL, old, m->ncols);
        for (int i = 0; i < m->ncols; i++)
            if (v[i].state == LT_VALUE_UNCHANGED)
                v[i] = old[i];
    }
    for (int i = 0; i < m->ncols; i++)
        if (v[i].state == LT_VALUE_UNCHANGED) {
            v[i].state = LT_VALUE_NULL;
            m->stats->unresolved++;
        }
    size_t klen;
    if (encode_key(m, v, &klen, err))
        return LT_ERR_RUNTIME;
    struct entry *e = lookup(m, m->keybuf, klen, true, err);
    if (!e)
        return LT_ERR_RUNTIME;
    e->state = ENTRY_ROW;
    if (row->op == 'D') {
        e->count--;
        m->prev_row_off = e->key_off;
    } else {
        e->count++;
        if (e->row_off == UINT64_MAX) {
            uint64_t off;
            if (pack_row(m, row->pos, v, &off, err))
                return LT_ERR_RUNTIME;
            e = lookup(m, m->keybuf, klen, false, err);
            e->row_off = off;
        }
    }
    if (row->op == 'D') {
        /* keep the deleted row for an I that follows (its unchanged columns) */
        uint64_t off;
        if (pack_row(m, row->pos, v, &off, err))
            return LT_ERR_RUNTIME;
        m->prev_row_off = off;
    }
    m->prev_op = row->op;
    snprintf(m->prev_pos, sizeof m->prev_pos, "%s", row->pos);
    return LT_OK;
}

static int apply_change(struct merge *m, const struct lt_row *row, struct lt_error *err)
{
    if (row->op != 'I' && row->op != 'U' && row->op != 'D')
        return lt_fail(err, LT_ERR_RUNTIME, "merge: unknown Op \"%c\" at %s", row->op, row->pos);
    apply_truncates_before(m, row->pos);
    m->stats->changes++;
    return m->keyed ? apply_keyed(m, row, err) : apply_multiset(m, row, err);
}

/* --- spill files --- */

static int write_spill_row(FILE *f, int kind, const struct lt_row *row, int ncols, struct lt_error *err)
{
    unsigned char hdr[3] = {(unsigned char)kind, (unsigned char)row->op, (unsigned char)strlen(row->pos)};
    uint16_t nc = (uint16_t)ncols;
    if (fwrite(hdr, 1, 3, f) != 3 || fwrite(row->pos, 1, hdr[2], f) != hdr[2] || fwrite(&nc, 2, 1, f) != 1)
        goto fail;
    for (int i = 0; i < ncols; i++) {
        const struct lt_value *v = &row->vals[i];
        uint32_t l = v->state == LT_VALUE_PRESENT || v->state == STATE_CROSSREF ? v->len : 0;
        unsigned char st = v->state;
        if (fwrite(&st, 1, 1, f) != 1 || fwrite(&l, 4, 1, f) != 1 || (l && fwrite(v->data, 1, l, f) != l))
            goto fail;
    }
    return LT_OK;
fail:
    return lt_fail(err, LT_ERR_RUNTIME, "merge: writing a spill file: %s", strerror(errno));
}

struct spill_reader {
    FILE *f;
    char *buf;
    size_t cap;
    struct lt_value *vals;
    int ncols;
};

/* Reads the next spill row; returns 1, 0 at end, -1 on error. */
static int read_spill_row(struct spill_reader *r, int *kind, struct lt_row *row, struct lt_error *err)
{
    unsigned char hdr[3];
    size_t got = fread(hdr, 1, 3, r->f);
    if (got == 0)
        return 0;
    uint16_t nc;
    if (got != 3 || fread(row->pos, 1, hdr[2], r->f) != hdr[2] || fread(&nc, 2, 1, r->f) != 1 || nc != r->ncols)
        return lt_fail(err, LT_ERR_RUNTIME, "merge: a spill file is damaged"), -1;
    row->pos[hdr[2]] = '\0';
    *kind = hdr[0];
    row->op = (char)hdr[1];
    size_t used = 0;
    /* first pass: read values into buf, remembering offsets in len fields */
    for (int i = 0; i < nc; i++) {
        unsigned char st;
        uint32_t l;
        if (fread(&st, 1, 1, r->f) != 1 || fread(&l, 4, 1, r->f) != 1)
            return lt_fail(err, LT_ERR_RUNTIME, "merge: a spill file is damaged"), -1;
        if (used + l > r->cap) {
            size_t cap = (used + l) * 2 + 1024;
            char *p = realloc(r->buf, cap);
            if (!p)
                return lt_fail(err, LT_ERR_RUNTIME, "out of memory"), -1;
            r->buf = p;
            r->cap = cap;
        }
        if (l && fread(r->buf + used, 1, l, r->f) != l)
            return lt_fail(err, LT_ERR_RUNTIME, "merge: a spill file is damaged"), -1;
        r->vals[i].state = st;
        r->vals[i].len = l;
        r->vals[i].data = (const char *)(uintptr_t)used;
        used += l;
    }
    for (int i = 0; i < nc; i++)
        r->vals[i].data = r->buf + (uintptr_t)r->vals[i].data;
    row->nvals = nc;
    row->vals = r->vals;
    return 1;
}

/* --- output --- */

static int emit_row(struct merge *m, const char *pos, const struct lt_value *vals, struct lt_error *err)
{
    struct lt_row out = {.op = 'I', .nvals = m->ncols, .vals = vals};
    snprintf(out.pos, sizeof out.pos, "%s", pos);
    m->stats->rows_out++;
    return m->emit(m->emit_ctx, &out, err);
}

/* Emits a packed state row; defers it when a column waits for another key's old row. */
static int emit_state(struct merge *m, const struct entry *e, const struct lt_value *base, struct lt_error *err)
{
    struct lt_value v[m->ncols > 0 ? m->ncols : 1];
    char pos[LT_POS_MAX + 1];
    unpack_row(m->arena + e->row_off, pos, v, m->ncols);
    bool crossref = false;
    for (int i = 0; i < m->ncols; i++) {
        if (v[i].state == LT_VALUE_UNCHANGED) {
            if (base && !m->base_dropped) {
                v[i] = base[i];
            } else {
                v[i].state = LT_VALUE_NULL;
                m->stats->unresolved++;
            }
        }
        crossref |= v[i].state == STATE_CROSSREF;
    }
    if (crossref) {
        struct lt_row r = {.op = 'I', .nvals = m->ncols, .vals = v};
        snprintf(r.pos, sizeof r.pos, "%s", pos);
        m->ndeferred++;
        return write_spill_row(m->deferred, 0, &r, m->ncols, err);
    }
    return emit_row(m, pos, v, err);
}

/* Streams base rows against the states; then writes the states not met. */
static int finish_partition(struct merge *m, int (*next_base)(void *, struct lt_row *, struct lt_error *),
                            void *base_ctx, struct lt_error *err)
{
    apply_truncates_before(m, NULL);
    struct lt_row b;
    int got;
    while ((got = next_base(base_ctx, &b, err)) == 1) {
        m->stats->base_rows++;
        size_t klen;
        if (encode_key(m, b.vals, &klen, err))
            return LT_ERR_RUNTIME;
        for (int i = 0; m->keyed && i < m->nneeded; i++) {
            struct needed *n = &m->needed[i];
            if (n->from_base && !n->captured && n->old_key_len == klen && memcmp(n->old_key, m->keybuf, klen) == 0) {
                uint64_t off;
                uint64_t before = m->arena_len;
                if (pack_row(m, b.pos, b.vals, &off, err))
                    return LT_ERR_RUNTIME;
                uint32_t total;
                memcpy(&total, m->arena + off, 4);
                if (!(n->captured = malloc(total)))
                    return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
                memcpy(n->captured, m->arena + off, total);
                m->arena_len = before;
            }
        }
        if (m->base_dropped)
            continue;
        struct entry *e = lookup(m, m->keybuf, klen, false, err);
        if (!m->keyed) {
            if (e && e->count < 0) {
                e->count++;
                continue;
            }
            if (emit_row(m, b.pos, b.vals, err))
                return LT_ERR_RUNTIME;
            continue;
        }
        if (!e) {
            if (emit_row(m, b.pos, b.vals, err))
                return LT_ERR_RUNTIME;
        } else if (e->state == ENTRY_ROW && !e->emitted) {
            if (emit_state(m, e, b.vals, err))
                return LT_ERR_RUNTIME;
            e->emitted = 1;
        }
    }
    if (got < 0)
        return LT_ERR_RUNTIME;
    for (uint64_t i = 0; i < m->cap; i++) {
        struct entry *e = &m->table[i];
        if (e->state != ENTRY_ROW || e->emitted)
            continue;
        if (!m->keyed) {
            struct lt_value v[m->ncols > 0 ? m->ncols : 1];
            char pos[LT_POS_MAX + 1];
            unpack_row(m->arena + e->row_off, pos, v, m->ncols);
            for (int32_t c = 0; c < e->count; c++)
                if (emit_row(m, pos, v, err))
                    return LT_ERR_RUNTIME;
            continue;
        }
        if (emit_state(m, e, NULL, err))
            return LT_ERR_RUNTIME;
    }
    return LT_OK;
}

/* Resolves deferred rows (key changes whose old values were in the base) and writes them. */
static int emit_deferred(struct merge *m, struct lt_error *err)
{
    if (!m->ndeferred)
        return LT_OK;
    if (fflush(m->deferred) != 0 || fseek(m->deferred, 0, SEEK_SET) != 0)
        return lt_fail(err, LT_ERR_RUNTIME, "merge: rereading deferred rows: %s", strerror(errno));
    struct spill_reader r = {.f = m->deferred, .ncols = m->ncols, .vals = calloc((size_t)m->ncols + 1, sizeof(struct lt_value))};
    if (!r.vals)
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    struct lt_row row;
    int kind, got, rc = LT_OK;
    while ((got = read_spill_row(&r, &kind, &row, err)) == 1) {
        struct lt_value old[m->ncols > 0 ? m->ncols : 1];
        for (int i = 0; i < m->ncols; i++) {
            if (r.vals[i].state != STATE_CROSSREF)
                continue;
            int idx;
            memcpy(&idx, r.vals[i].data, sizeof idx);
            const struct needed *n = idx >= 0 && idx < m->nneeded ? &m->needed[idx] : NULL;
            if (n && n->captured) {
                unpack_row(n->captured, NULL, old, m->ncols);
                r.vals[i] = old[i].state == LT_VALUE_UNCHANGED ? (struct lt_value){.state = LT_VALUE_NULL} : old[i];
            } else {
                r.vals[i] = (struct lt_value){.state = LT_VALUE_NULL};
                m->stats->unresolved++;
            }
        }
        if ((rc = emit_row(m, row.pos, r.vals, err)))
            break;
    }
    if (got < 0)
        rc = LT_ERR_RUNTIME;
    free(r.vals);
    free(r.buf);
    return rc;
}

/* --- driving --- */

struct stream_base {
    const struct lt_row_stream *s;
};

static int next_from_stream(void *ctx, struct lt_row *row, struct lt_error *err)
{
    const struct lt_row_stream *s = ctx;
    return s->next(s->ctx, row, err);
}

struct partition_base {
    struct spill_reader *r;
};

static int next_base_from_spill(void *ctx, struct lt_row *row, struct lt_error *err)
{
    struct spill_reader *r = ctx;
    int kind;
    int got = read_spill_row(r, &kind, row, err);
    if (got == 1 && kind != 1)
        return lt_fail(err, LT_ERR_RUNTIME, "merge: a change after the base in a spill file"), -1;
    return got;
}

static FILE *open_spill(const char *dir, const char *what, int i, struct lt_error *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/.merge-%s-%d-XXXXXX", dir, what, i);
    int fd = mkstemp(path);
    if (fd < 0) {
        lt_fail(err, LT_ERR_RUNTIME, "merge: cannot create a spill file in %s: %s", dir, strerror(errno));
        return NULL;
    }
    unlink(path); /* anonymous: gone when closed, even after a crash */
    FILE *f = fdopen(fd, "w+b");
    if (!f) {
        close(fd);
        lt_fail(err, LT_ERR_RUNTIME, "merge: %s", strerror(errno));
        return NULL;
    }
    setvbuf(f, NULL, _IOFBF, 64 * 1024);
    return f;
}

/* Writes the current states as equivalent changes into the partition files. */
static int spill_states(struct merge *m, FILE **parts, int p, struct lt_error *err)
{
    for (uint64_t i = 0; i < m->cap; i++) {
        const struct entry *e = &m->table[i];
        if (e->state == ENTRY_EMPTY)
            continue;
        FILE *f = parts[e->hash % (uint64_t)p];
        struct lt_value v[m->ncols > 0 ? m->ncols : 1];
        struct lt_row row = {.nvals = m->ncols, .vals = v};
        if (!m->keyed) {
            unpack_row(m->arena + e->row_off, row.pos, v, m->ncols);
            row.op = e->count < 0 ? 'D' : 'I';
            for (int32_t c = 0; c < (e->count < 0 ? -e->count : e->count); c++)
                if (write_spill_row(f, 0, &row, m->ncols, err))
                    return LT_ERR_RUNTIME;
            continue;
        }
        if (e->state == ENTRY_DELETED) {
            /* a D needs the key columns: decode them from the key */
            const char *k = m->arena + e->key_off;
            for (int c = 0; c < m->ncols; c++) {
                if (!m->in->schema->cols[c].is_key) {
                    v[c] = (struct lt_value){.state = LT_VALUE_UNCHANGED};
                    continue;
                }
                uint32_t l;
                v[c].state = (uint8_t)k[0];
                memcpy(&l, k + 1, 4);
                v[c].data = k + 5;
                v[c].len = l;
                k += 5 + l;
            }
            snprintf(row.pos, sizeof row.pos, "%s", m->prev_pos);
            row.op = 'D';
        } else {
            unpack_row(m->arena + e->row_off, row.pos, v, m->ncols);
            bool unresolved = false;
            for (int c = 0; c < m->ncols; c++)
                unresolved |= v[c].state == LT_VALUE_UNCHANGED;
            row.op = unresolved ? 'U' : 'I';
        }
        if (write_spill_row(f, 0, &row, m->ncols, err))
            return LT_ERR_RUNTIME;
    }
    return LT_OK;
}

/* The partition of a row's key at a split depth (each depth mixes the hash differently). */
static int partition_of_depth(struct merge *m, const struct lt_row *row, int p, int depth, int *out,
                              struct lt_error *err)
{
    size_t klen;
    if (encode_key(m, row->vals, &klen, err))
        return LT_ERR_RUNTIME;
    uint64_t h = hash_bytes(m->keybuf, klen);
    if (depth) {
        h ^= (uint64_t)depth * 0x9E3779B97F4A7C15ULL;
        h *= 0xBF58476D1CE4E5B9ULL;
        h ^= h >> 31;
    }
    *out = (int)(h % (uint64_t)p);
    return LT_OK;
}

static int partition_of(struct merge *m, const struct lt_row *row, int p, int *out, struct lt_error *err)
{
    return partition_of_depth(m, row, p, 0, out, err);
}

#define SPLIT_FANOUT 8
#define SPLIT_MAX_DEPTH 6

/* Merges one spill file (its changes, then its base rows) in memory; when its changes do not fit, splits it
 * into SPLIT_FANOUT smaller files by another hash of the key and merges those (grace hash recursion). */
static int merge_spill_file(struct merge *m, FILE *f, int depth, struct lt_error *err)
{
    clear_states(m);
    m->base_dropped = false;
    m->next_truncate = 0;
    if (fflush(f) != 0 || fseek(f, 0, SEEK_SET) != 0)
        return lt_fail(err, LT_ERR_RUNTIME, "merge: rereading a partition: %s", strerror(errno));
    struct spill_reader r = {.f = f, .ncols = m->ncols, .vals = calloc((size_t)m->ncols + 1, sizeof(struct lt_value))};
    if (!r.vals)
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    struct lt_row row;
    int kind = 0, got, rc = LT_OK;
    long base_start = 0;
    bool split = false;
    for (;;) {
        base_start = ftell(f);
        got = read_spill_row(&r, &kind, &row, err);
        if (got != 1 || kind == 1)
            break;
        if (depth < SPLIT_MAX_DEPTH && memory_used(m) > m->in->memory_limit) {
            split = true;
            break;
        }
        if ((rc = apply_change(m, &row, err)))
            break;
    }
    if (!rc && got < 0)
        rc = LT_ERR_RUNTIME;
    if (!rc && split) {
        clear_states(m);
        m->stats->partitions += SPLIT_FANOUT - 1;
        FILE *sub[SPLIT_FANOUT] = {0};
        for (int i = 0; i < SPLIT_FANOUT && !rc; i++)
            if (!(sub[i] = open_spill(m->in->spill_dir, "split", i, err)))
                rc = LT_ERR_RUNTIME;
        if (!rc && fseek(f, 0, SEEK_SET) != 0)
            rc = lt_fail(err, LT_ERR_RUNTIME, "merge: %s", strerror(errno));
        int part;
        while (!rc && (got = read_spill_row(&r, &kind, &row, err)) == 1)
            if (!(rc = partition_of_depth(m, &row, SPLIT_FANOUT, depth + 1, &part, err)))
                rc = write_spill_row(sub[part], kind, &row, m->ncols, err);
        if (!rc && got < 0)
            rc = LT_ERR_RUNTIME;
        for (int i = 0; i < SPLIT_FANOUT && !rc; i++)
            rc = merge_spill_file(m, sub[i], depth + 1, err);
        for (int i = 0; i < SPLIT_FANOUT; i++)
            if (sub[i])
                fclose(sub[i]);
    } else if (!rc) {
        if (got == 1 && fseek(f, base_start, SEEK_SET) != 0)
            rc = lt_fail(err, LT_ERR_RUNTIME, "merge: %s", strerror(errno));
        if (!rc && got == 0) /* no base rows in this partition */
            fseek(f, 0, SEEK_END);
        if (!rc)
            rc = finish_partition(m, next_base_from_spill, &r, err);
    }
    free(r.vals);
    free(r.buf);
    return rc;
}

static int merge_partitioned(struct merge *m, const struct lt_row *pending, struct lt_error *err)
{
    /* the rest of the changes is unknown: start wide; a partition that still does not fit is split again */
    uint64_t est = memory_used(m) * 2;
    int p = (int)(est / (m->in->memory_limit / 2 + 1)) + 2;
    if (p < 16)
        p = 16;
    if (p > 256)
        p = 256;
    m->stats->partitions = p;
    FILE **parts = calloc((size_t)p, sizeof *parts);
    if (!parts)
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    int rc = LT_OK;
    for (int i = 0; i < p && !rc; i++)
        if (!(parts[i] = open_spill(m->in->spill_dir, "part", i, err)))
            rc = LT_ERR_RUNTIME;
    /* the states so far, then the change that did not fit, the remaining changes, then the base */
    if (!rc)
        rc = spill_states(m, parts, p, err);
    int part;
    if (!rc && pending && !(rc = partition_of(m, pending, p, &part, err)))
        rc = write_spill_row(parts[part], 0, pending, m->ncols, err);
    struct lt_row row;
    int got = 1;
    /* A key change (D then I) may fall in two partitions: resolve the I's unchanged columns here, from the D's
     * values or, failing those, from the old row wherever it is (a "needed" entry, resolved at the end). */
    struct lt_value *dvals = calloc((size_t)m->ncols + 1, sizeof *dvals);
    char *dbuf = NULL;
    size_t dcap = 0;
    char dpos[LT_POS_MAX + 1] = "";
    bool have_d = false;
    char (*ib)[sizeof(int)] = calloc((size_t)m->ncols + 1, sizeof *ib);
    if ((!dvals || !ib) && !rc)
        rc = lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    while (!rc && (got = m->in->changes.next(m->in->changes.ctx, &row, err)) == 1) {
        m->stats->changes++;
        if (row.op == 'I' && have_d && follows_directly(dpos, row.pos)) {
            memcpy(m->vals, row.vals, (size_t)m->ncols * sizeof *m->vals);
            int idx = -1;
            for (int c = 0; c < m->ncols && !rc; c++) {
                if (m->vals[c].state != LT_VALUE_UNCHANGED)
                    continue;
                if (dvals[c].state != LT_VALUE_UNCHANGED) {
                    m->vals[c] = dvals[c];
                    continue;
                }
                if (idx < 0) {
                    size_t klen;
                    if ((rc = encode_key(m, dvals, &klen, err)) ||
                        (rc = add_needed(m, m->keybuf, (uint32_t)klen, dpos, &idx, err)))
                        break;
                }
                memcpy(ib[c], &idx, sizeof idx);
                m->vals[c] = (struct lt_value){.data = ib[c], .len = sizeof idx, .state = STATE_CROSSREF};
            }
            row.vals = m->vals;
        }
        have_d = row.op == 'D';
        if (have_d) {
            size_t need = 0;
            for (int c = 0; c < m->ncols; c++)
                need += row.vals[c].state == LT_VALUE_PRESENT ? row.vals[c].len : 0;
            if (need > dcap) {
                char *nb = realloc(dbuf, need * 2);
                if (!nb) {
                    rc = lt_fail(err, LT_ERR_RUNTIME, "out of memory");
                    break;
                }
                dbuf = nb;
                dcap = need * 2;
            }
            size_t off = 0;
            for (int c = 0; c < m->ncols; c++) {
                dvals[c] = row.vals[c];
                if (row.vals[c].state == LT_VALUE_PRESENT && row.vals[c].len) {
                    memcpy(dbuf + off, row.vals[c].data, row.vals[c].len);
                    dvals[c].data = dbuf + off;
                    off += row.vals[c].len;
                }
            }
            snprintf(dpos, sizeof dpos, "%s", row.pos);
        }
        if (!rc && !(rc = partition_of(m, &row, p, &part, err)))
            rc = write_spill_row(parts[part], 0, &row, m->ncols, err);
    }
    free(dvals);
    free(dbuf);
    free(ib);
    if (!rc && got < 0)
        rc = LT_ERR_RUNTIME;
    while (!rc && (got = m->in->base.next(m->in->base.ctx, &row, err)) == 1) {
        if (!(rc = partition_of(m, &row, p, &part, err)))
            rc = write_spill_row(parts[part], 1, &row, m->ncols, err);
    }
    if (!rc && got < 0)
        rc = LT_ERR_RUNTIME;
    int64_t changes_before = m->stats->changes;
    /* merge each partition in memory (splitting further where one does not fit) */
    for (int i = 0; i < p && !rc; i++)
        rc = merge_spill_file(m, parts[i], 0, err);
    m->stats->changes = changes_before;
    for (int i = 0; i < p; i++)
        if (parts[i])
            fclose(parts[i]);
    free(parts);
    return rc;
}

int lt_merge_table(const struct lt_merge_input *in, lt_merge_emit_fn emit, void *ctx, struct lt_merge_stats *stats,
                   struct lt_error *err)
{
    struct merge m;
    memset(&m, 0, sizeof m);
    memset(stats, 0, sizeof *stats);
    m.in = in;
    m.emit = emit;
    m.emit_ctx = ctx;
    m.stats = stats;
    m.ncols = in->schema->ncols;
    m.prev_row_off = UINT64_MAX;
    for (int i = 0; i < m.ncols; i++)
        m.keyed |= in->schema->cols[i].is_key;
    stats->partitions = 1;
    m.vals = calloc((size_t)m.ncols + 1, sizeof *m.vals);
    int rc = m.vals ? LT_OK : lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    if (!rc && !(m.deferred = open_spill(in->spill_dir, "deferred", 0, err)))
        rc = LT_ERR_RUNTIME;
    struct lt_row row;
    int got = 0;
    bool spilled = false;
    while (!rc && (got = in->changes.next(in->changes.ctx, &row, err)) == 1) {
        if (memory_used(&m) > in->memory_limit) {
            rc = merge_partitioned(&m, &row, err);
            spilled = true;
            break;
        }
        rc = apply_change(&m, &row, err);
    }
    if (!rc && got < 0)
        rc = LT_ERR_RUNTIME;
    if (!rc && !spilled)
        rc = finish_partition(&m, next_from_stream, (void *)&in->base, err);
    if (!rc)
        rc = emit_deferred(&m, err);
    for (int i = 0; i < m.nneeded; i++) {
        free(m.needed[i].old_key);
        free(m.needed[i].captured);
    }
    free(m.needed);
    free(m.table);
    free(m.arena);
    free(m.keybuf);
    free(m.vals);
    free(m.prev_key_buf);
    if (m.deferred)
        fclose(m.deferred);
    return rc;
}
