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
#include "agent/merge_spill.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SPILL_BUFFER (64 * 1024) /* the write buffer of one spill file */
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
    uint8_t row_from_d;        /* tables without a key: row_off holds a deleted row, not an inserted one */
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
    struct lt_spill_codec wcodec;  /* encodes rows written to spill files */
};

static uint64_t hash_bytes(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
    return h ^ (h >> 29);
}

/* Mixes a key hash for one use: the table takes the low bits of the plain hash, partitions (each split depth its
 * own) and the Bloom filter take bits of differently mixed hashes, so a partition's keys still spread over its table. */
static uint64_t mix_hash(uint64_t h, uint64_t salt)
{
    h ^= salt * 0x9E3779B97F4A7C15ULL;
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDULL;
    h ^= h >> 33;
    h *= 0xC4CEB9FE1A85EC53ULL;
    h ^= h >> 33;
    return h;
}

static int partition_of_hash(uint64_t h, int p, int depth)
{
    return (int)(mix_hash(h, (uint64_t)depth + 1) % (uint64_t)p);
}

/* --- the Bloom filter over the change keys: a base row whose key is not in it goes straight to the output --- */

struct bloom {
    uint64_t *bits;
    uint64_t mask;             /* number of bits - 1 (a power of two) */
};

static int bloom_init(struct bloom *b, uint64_t bytes, struct lt_error *err)
{
    uint64_t n = 1 << 16;
    while (n * 2 <= bytes)
        n *= 2;
    if (!(b->bits = calloc(n / 8, 8)))
        return lt_fail(err, LT_ERR_RUNTIME, "out of memory (a merge filter of %llu bytes)", (unsigned long long)n);
    b->mask = n * 8 - 1;
    return LT_OK;
}

#define BLOOM_PROBES 3

static void bloom_add(struct bloom *b, uint64_t h)
{
    uint64_t g = mix_hash(h, 0xB100B), step = (g >> 32) | 1;
    for (int i = 0; i < BLOOM_PROBES; i++, g += step)
        b->bits[(g & b->mask) >> 6] |= 1ULL << (g & 63);
}

static bool bloom_may_have(const struct bloom *b, uint64_t h)
{
    uint64_t g = mix_hash(h, 0xB100B), step = (g >> 32) | 1;
    for (int i = 0; i < BLOOM_PROBES; i++, g += step)
        if (!(b->bits[(g & b->mask) >> 6] & (1ULL << (g & 63))))
            return false;
    return true;
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
/* The values of a key made by encode_key, into the key columns of vals; the other columns become unchanged. */
static void unpack_key(const struct merge *m, const char *k, struct lt_value *vals)
{
    for (int c = 0; c < m->ncols; c++) {
        vals[c] = (struct lt_value){.state = LT_VALUE_UNCHANGED};
        if (!m->in->schema->cols[c].is_key)
            continue;
        uint32_t l;
        vals[c].state = (uint8_t)k[0];
        memcpy(&l, k + 1, 4);
        vals[c].data = k + 5;
        vals[c].len = l;
        k += 5 + l;
    }
}

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
                /* columns the changes left unchanged still come from the base row (when one is met) */
                struct lt_value cv[m->ncols > 0 ? m->ncols : 1];
                unpack_row(n->captured, NULL, cv, m->ncols);
                n->from_base = false;
                for (int c = 0; c < m->ncols; c++)
                    n->from_base |= cv[c].state == LT_VALUE_UNCHANGED;
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
    e->count += row->op == 'D' ? -1 : 1;
    /* the row as first inserted; a D's row only until an I comes (a spill writes the row of a negative count) */
    if (e->row_off == UINT64_MAX || (row->op == 'I' && e->row_from_d)) {
        uint64_t off;
        if (pack_row(m, row->pos, v, &off, err))
            return LT_ERR_RUNTIME;
        e = lookup(m, m->keybuf, klen, false, err);
        e->row_off = off;
        e->row_from_d = row->op == 'D';
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

static int write_spill_row(struct merge *m, FILE *f, int kind, const struct lt_row *row, struct lt_error *err)
{
    return lt_spill_write(&m->wcodec, f, kind, row, err);
}

struct spill_reader {
    FILE *f;
    struct lt_spill_codec c;
};

static int open_reader(struct spill_reader *r, FILE *f, int ncols, struct lt_error *err)
{
    r->f = f;
    return lt_spill_codec_init(&r->c, ncols, err);
}

/* Reads the next spill row; returns 1, 0 at end, -1 on error. */
static int read_spill_row(struct spill_reader *r, int *kind, struct lt_row *row, struct lt_error *err)
{
    return lt_spill_read(&r->c, r->f, kind, row, err);
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
        return write_spill_row(m, m->deferred, 0, &r, err);
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
            if (n->from_base && n->old_key_len == klen && memcmp(n->old_key, m->keybuf, klen) == 0) {
                /* the old row: the base row, or the row the changes left, its unchanged columns from the base */
                struct lt_value cv[m->ncols > 0 ? m->ncols : 1];
                char cpos[LT_POS_MAX + 1];
                snprintf(cpos, sizeof cpos, "%s", b.pos);
                memcpy(cv, b.vals, (size_t)m->ncols * sizeof *cv);
                if (n->captured) {
                    unpack_row(n->captured, cpos, cv, m->ncols);
                    for (int c = 0; c < m->ncols && !m->base_dropped; c++)
                        if (cv[c].state == LT_VALUE_UNCHANGED)
                            cv[c] = b.vals[c];
                }
                uint64_t off;
                uint64_t before = m->arena_len;
                if (pack_row(m, cpos, cv, &off, err))
                    return LT_ERR_RUNTIME;
                uint32_t total;
                memcpy(&total, m->arena + off, 4);
                char *copy = malloc(total);
                if (!copy)
                    return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
                memcpy(copy, m->arena + off, total);
                free(n->captured);
                n->captured = copy;
                n->from_base = false;
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
    struct spill_reader r;
    if (open_reader(&r, m->deferred, m->ncols, err))
        return LT_ERR_RUNTIME;
    struct lt_row row;
    int kind, got, rc = LT_OK;
    while ((got = read_spill_row(&r, &kind, &row, err)) == 1) {
        struct lt_value old[m->ncols > 0 ? m->ncols : 1];
        for (int i = 0; i < m->ncols; i++) {
            if (r.c.vals[i].state != STATE_CROSSREF)
                continue;
            /* a chain of key changes: the old row may itself wait for an older one */
            struct lt_value v = r.c.vals[i];
            for (int hops = 0; v.state == STATE_CROSSREF && hops <= m->nneeded; hops++) {
                int idx;
                memcpy(&idx, v.data, sizeof idx);
                const struct needed *n = idx >= 0 && idx < m->nneeded ? &m->needed[idx] : NULL;
                if (!n || !n->captured) {
                    v.state = LT_VALUE_UNCHANGED;
                    break;
                }
                unpack_row(n->captured, NULL, old, m->ncols);
                v = old[i];
            }
            if (v.state == LT_VALUE_UNCHANGED || v.state == STATE_CROSSREF) {
                v = (struct lt_value){.state = LT_VALUE_NULL};
                m->stats->unresolved++;
            }
            r.c.vals[i] = v;
        }
        if ((rc = emit_row(m, row.pos, r.c.vals, err)))
            break;
    }
    if (got < 0)
        rc = LT_ERR_RUNTIME;
    lt_spill_codec_free(&r.c);
    return rc;
}

/* --- driving --- */

/* The largest row the budget allows: while it is merged a row is held by the reader, the table, a spill record and
 * the writer, so it may take a quarter of the budget at most. A bigger row fails the merge, naming its size, rather
 * than exceeding the budget unseen. */
static uint64_t max_row_bytes(const struct merge *m)
{
    return m->in->memory_limit / 4;
}

/* The next row of an input stream, refused when it is bigger than the budget allows. */
static int next_input(struct merge *m, const struct lt_row_stream *s, struct lt_row *row, struct lt_error *err)
{
    int got = s->next(s->ctx, row, err);
    if (got != 1)
        return got;
    uint64_t bytes = 0;
    for (int i = 0; i < m->ncols; i++)
        bytes += row->vals[i].state == LT_VALUE_PRESENT ? row->vals[i].len : 0;
    if (bytes > max_row_bytes(m)) {
        lt_fail(err, LT_ERR_RUNTIME,
                "a row of %llu bytes (at %s) is bigger than the merge's memory budget allows (%llu bytes, a quarter "
                "of three quarters of merge.memory_limit_mb): raise merge.memory_limit_mb to at least %llu",
                (unsigned long long)bytes, row->pos, (unsigned long long)max_row_bytes(m),
                (unsigned long long)((bytes * 16 / 3 + (1 << 20) - 1) >> 20));
        return -1;
    }
    return 1;
}

static int next_base_input(void *ctx, struct lt_row *row, struct lt_error *err)
{
    struct merge *m = ctx;
    return next_input(m, &m->in->base, row, err);
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
    setvbuf(f, NULL, _IOFBF, SPILL_BUFFER);
    return f;
}

/* Writes the current states as equivalent changes into the partition files. */
static int spill_states(struct merge *m, FILE **parts, int p, struct bloom *bloom, struct lt_error *err)
{
    for (uint64_t i = 0; i < m->cap; i++) {
        const struct entry *e = &m->table[i];
        if (e->state == ENTRY_EMPTY)
            continue;
        FILE *f = parts[partition_of_hash(e->hash, p, 0)];
        bloom_add(bloom, e->hash);
        struct lt_value v[m->ncols > 0 ? m->ncols : 1];
        struct lt_row row = {.nvals = m->ncols, .vals = v};
        if (!m->keyed) {
            unpack_row(m->arena + e->row_off, row.pos, v, m->ncols);
            row.op = e->count < 0 ? 'D' : 'I';
            for (int32_t c = 0; c < (e->count < 0 ? -e->count : e->count); c++)
                if (write_spill_row(m, f, 0, &row, err))
                    return LT_ERR_RUNTIME;
            continue;
        }
        if (e->state == ENTRY_DELETED) {
            /* a D needs the key columns: decode them from the key */
            unpack_key(m, m->arena + e->key_off, v);
            snprintf(row.pos, sizeof row.pos, "%s", m->prev_pos);
            row.op = 'D';
        } else {
            unpack_row(m->arena + e->row_off, row.pos, v, m->ncols);
            bool unresolved = false;
            for (int c = 0; c < m->ncols; c++)
                unresolved |= v[c].state == LT_VALUE_UNCHANGED;
            row.op = unresolved ? 'U' : 'I';
        }
        if (write_spill_row(m, f, 0, &row, err))
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
    *out = partition_of_hash(h, p, depth);
    return LT_OK;
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
    struct spill_reader r;
    if (open_reader(&r, f, m->ncols, err))
        return LT_ERR_RUNTIME;
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
                rc = write_spill_row(m, sub[part], kind, &row, err);
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
    lt_spill_codec_free(&r.c);
    return rc;
}

/* The memory the changes would take in the table, estimated from the manifest's counts (0 when unknown). */
static uint64_t expected_memory(const struct merge *m)
{
    const struct lt_merge_input *in = m->in;
    if (!in->changes_bytes && !in->changes_rows)
        return 0;
    /* per row: its entry (at 3/4 load), the packed header, value lengths and the key copy; the text as is */
    uint64_t per_row = sizeof(struct entry) * 4 / 3 + 8 + LT_POS_MAX / 2 + 10 * (uint64_t)m->ncols;
    return in->changes_bytes + in->changes_rows * per_row;
}

/* How many partitions the changes need so that each fits half the budget (the arena may double). */
static int partition_count(const struct merge *m)
{
    uint64_t half = m->in->memory_limit / 2 + 1;
    uint64_t est = expected_memory(m);
    uint64_t seen = memory_used(m) * 2; /* without counts: what has been read so far, twice */
    int p = (int)((est > seen ? est : seen) / half) + 2;
    /* every partition file has a write buffer: keep them within an eighth of the budget */
    int most = (int)(m->in->memory_limit / 8 / SPILL_BUFFER);
    if (most > 1024)
        most = 1024;
    if (p > most)
        p = most;
    return p < 2 ? 2 : p;
}

/* Routing the changes into partitions. A key change (D then I) may fall in two partitions: the I's unchanged
 * columns are resolved here, from the D's values or, failing those, from the old row wherever it is (a "needed"
 * entry, resolved at the end). */
struct router {
    FILE **parts;
    int p;
    struct bloom bloom;
    struct lt_value *dvals;    /* the last D's values, when the last change was a D */
    char *dbuf;
    size_t dcap;
    char dpos[LT_POS_MAX + 1];
    bool have_d;
    char (*ib)[sizeof(int)];
};

/* Remembers a D's values (copied) for the I of a key change that may follow. */
static int remember_d(struct merge *m, struct router *r, const char *pos, const struct lt_value *vals,
                      struct lt_error *err)
{
    size_t need = 0;
    for (int c = 0; c < m->ncols; c++)
        need += vals[c].state == LT_VALUE_PRESENT ? vals[c].len : 0;
    if (need > r->dcap) {
        char *nb = realloc(r->dbuf, need + need / 2 + 64);
        if (!nb)
            return lt_fail(err, LT_ERR_RUNTIME, "out of memory");
        r->dbuf = nb;
        r->dcap = need + need / 2 + 64;
    }
    size_t off = 0;
    for (int c = 0; c < m->ncols; c++) {
        r->dvals[c] = vals[c];
        if (vals[c].state == LT_VALUE_PRESENT && vals[c].len) {
            memcpy(r->dbuf + off, vals[c].data, vals[c].len);
            r->dvals[c].data = r->dbuf + off;
            off += vals[c].len;
        }
    }
    snprintf(r->dpos, sizeof r->dpos, "%s", pos);
    r->have_d = true;
    return LT_OK;
}

/* When the table spills right after a D, the I that may follow needs the D's old row: take it from the table
 * (the removed row), else from the key alone (the old row is then looked for in the base). */
static int remember_last_d(struct merge *m, struct router *r, struct lt_error *err)
{
    if (m->prev_op != 'D' || (!m->keyed && m->prev_row_off == UINT64_MAX))
        return LT_OK;
    struct lt_value *v = m->vals;
    if (m->prev_row_off != UINT64_MAX) {
        unpack_row(m->arena + m->prev_row_off, NULL, v, m->ncols);
    } else {
        unpack_key(m, m->prev_key_buf, v);
    }
    return remember_d(m, r, m->prev_pos, v, err);
}

static int route_change(struct merge *m, struct router *r, struct lt_row *row, struct lt_error *err)
{
    int rc = LT_OK;
    m->stats->changes++;
    if (row->op == 'I' && r->have_d && follows_directly(r->dpos, row->pos)) {
        memcpy(m->vals, row->vals, (size_t)m->ncols * sizeof *m->vals);
        int idx = -1;
        for (int c = 0; c < m->ncols; c++) {
            if (m->vals[c].state != LT_VALUE_UNCHANGED)
                continue;
            if (r->dvals[c].state != LT_VALUE_UNCHANGED) {
                m->vals[c] = r->dvals[c];
                continue;
            }
            if (!m->keyed)
                continue; /* a row without a key: the merge writes what is still unknown as NULL */
            if (idx < 0) {
                size_t klen;
                if ((rc = encode_key(m, r->dvals, &klen, err)) ||
                    (rc = add_needed(m, m->keybuf, (uint32_t)klen, r->dpos, &idx, err)))
                    return rc;
            }
            memcpy(r->ib[c], &idx, sizeof idx);
            m->vals[c] = (struct lt_value){.data = r->ib[c], .len = sizeof idx, .state = STATE_CROSSREF};
        }
        row->vals = m->vals;
    }
    r->have_d = false;
    if (row->op == 'D' && (rc = remember_d(m, r, row->pos, row->vals, err)))
        return rc;
    size_t klen;
    if (encode_key(m, row->vals, &klen, err))
        return LT_ERR_RUNTIME;
    uint64_t h = hash_bytes(m->keybuf, klen);
    bloom_add(&r->bloom, h);
    return write_spill_row(m, r->parts[partition_of_hash(h, r->p, 0)], 0, row, err);
}

/* Merges past the budget: the changes (the table's states so far, the change that did not fit, the rest) go to
 * partition files by key hash, one level sized from the input; the base is read once, a row whose key no change
 * touched (the Bloom filter says so) written at once, the others into their partition; then each partition is
 * merged in memory (split again only when the estimate was wrong). */
static int merge_partitioned(struct merge *m, struct lt_row *pending, struct lt_error *err)
{
    int p = partition_count(m);
    m->stats->partitions = p;
    struct router r = {.p = p};
    int rc = LT_OK;
    uint64_t bloom_bytes = m->in->memory_limit / 8;
    if (!(r.parts = calloc((size_t)p, sizeof *r.parts)) || !(r.dvals = calloc((size_t)m->ncols + 1, sizeof *r.dvals)) ||
        !(r.ib = calloc((size_t)m->ncols + 1, sizeof *r.ib)))
        rc = lt_fail(err, LT_ERR_RUNTIME, "out of memory");
    if (!rc)
        rc = bloom_init(&r.bloom, bloom_bytes < (256u << 20) ? bloom_bytes : (256u << 20), err);
    for (int i = 0; i < p && !rc; i++)
        if (!(r.parts[i] = open_spill(m->in->spill_dir, "part", i, err)))
            rc = LT_ERR_RUNTIME;
    /* the states so far, then the change that did not fit, the remaining changes */
    if (!rc)
        rc = spill_states(m, r.parts, p, &r.bloom, err);
    if (!rc)
        rc = remember_last_d(m, &r, err);
    clear_states(m); /* the table's memory is the budget: give it back before the base is read */
    if (!rc && pending)
        rc = route_change(m, &r, pending, err);
    struct lt_row row;
    int got = 0;
    while (!rc && (got = next_input(m, &m->in->changes, &row, err)) == 1)
        rc = route_change(m, &r, &row, err);
    if (!rc && got < 0)
        rc = LT_ERR_RUNTIME;
    /* the base, once: a TRUNCATE among the changes empties it (but an old row of a key change is taken from it) */
    bool dropped = m->in->ntruncates > 0;
    while (!rc && (got = next_input(m, &m->in->base, &row, err)) == 1) {
        size_t klen;
        if ((rc = encode_key(m, row.vals, &klen, err)))
            break;
        uint64_t h = hash_bytes(m->keybuf, klen);
        if (bloom_may_have(&r.bloom, h)) {
            rc = write_spill_row(m, r.parts[partition_of_hash(h, p, 0)], 1, &row, err);
        } else if (!dropped) {
            m->stats->base_rows++;
            rc = emit_row(m, row.pos, row.vals, err);
        }
    }
    if (!rc && got < 0)
        rc = LT_ERR_RUNTIME;
    free(r.bloom.bits);
    free(r.dvals);
    free(r.dbuf);
    int64_t changes_before = m->stats->changes;
    /* merge each partition in memory (splitting further where one does not fit) */
    for (int i = 0; i < p && !rc; i++)
        rc = merge_spill_file(m, r.parts[i], 0, err);
    m->stats->changes = changes_before;
    for (int i = 0; i < p; i++)
        if (r.parts && r.parts[i])
            fclose(r.parts[i]);
    free(r.parts);
    free(r.ib);
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
    if (!rc)
        rc = lt_spill_codec_init(&m.wcodec, m.ncols, err);
    if (!rc && !(m.deferred = open_spill(in->spill_dir, "deferred", 0, err)))
        rc = LT_ERR_RUNTIME;
    struct lt_row row;
    int got = 0;
    bool spilled = false;
    if (!rc && expected_memory(&m) > in->memory_limit) {
        /* the manifest says the changes will not fit: partition from the first one */
        rc = merge_partitioned(&m, NULL, err);
        spilled = true;
    }
    while (!rc && !spilled && (got = next_input(&m, &in->changes, &row, err)) == 1) {
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
        rc = finish_partition(&m, next_base_input, &m, err);
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
    lt_spill_codec_free(&m.wcodec);
    if (m.deferred)
        fclose(m.deferred);
    return rc;
}
