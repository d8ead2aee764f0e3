/* libFuzzer target for MySQL/MariaDB binlog events (sources/mysql/binlog_event.h, binlog_rows.h, binlog_types.h):
 * headers and bodies of every event type, FORMAT_DESCRIPTION (which picks the MySQL or MariaDB flavour and the
 * checksum), TABLE_MAP with its column metadata and optional metadata, rows events v1/v2 with their row images
 * decoded to canonical text, MariaDB's compressed QUERY and rows events, MySQL's TRANSACTION_PAYLOAD (its inner
 * events decoded the same way).
 * Input: one byte of options, then the events:
 *   bit 0     verify CRC32s (else they are stripped unchecked, so mutated events reach the body decoders)
 *   bit 1     replication-stream mode: events back to back, no file magic (else a binlog file: FE 'bin' first)
 *   bits 2-3  before the first FORMAT_DESCRIPTION: 0/3 guess the checksum, 1 none, 2 CRC32
 *   bits 4-7  what "information_schema" adds to table maps that lack optional metadata (0 nothing; else a per-column
 *             mix of signedness, charsets - latin1, binary, utf8mb4, unknown - and ENUM/SET labels, as the MySQL
 *             source does for servers without binlog_row_metadata=FULL)
 * Each event is parsed from an exact-size heap copy, so ASan sees a read past it; the rows of a rows event are
 * decoded with the latest TABLE_MAP of its table id, as the change stream does.
 * Asserts: no read outside an event, clean errors on bad input; the header fields are the header's bytes; every
 * pointer the parser returns lies inside the event (or the inflate buffer); a decoded TABLE_MAP matches the event
 * it came from; the rows decode to one value per column, and every value's text is canonical text of the column's
 * canonical type: the Parquet writer's parser (parquet_values.h) accepts it, and JSON is one JSON value. A file
 * read with lt_binlog_file_next gives the same events. Build like fuzz_parquet_reader.c. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sources/mysql/binlog_event.h"
#include "sources/mysql/binlog_rows.h"
#include "sources/mysql/binlog_types.h"
#include "targets/parquet/parquet_values.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_MAPS 8
#define MAX_ROWS 4096
#define SCRATCH_LIMIT (16u << 20) /* the decoders' buffers: far above what a fuzz input can honestly need */

struct ctx {
    struct lt_binlog_reader rd;
    unsigned fill;                        /* options bits 4-7 */
    struct lt_binlog_table_map maps[MAX_MAPS];
    int nmaps, next_slot;
    struct lt_my_scratch inflate;     /* MariaDB compressed events */
    struct lt_my_scratch payload;     /* TRANSACTION_PAYLOAD */
    struct lt_my_scratch rows;        /* row values */
    struct lt_value *before, *after;
    uint32_t vals_cap;
    struct byte_buffer pq_scratch;
};

/* ENUM/SET labels "information_schema" gives: 70 of them, so both SET paths (< 64 and >= 64 labels) are reached. */
static const char *labels[70];
static uint16_t label_lens[70];
static char label_text[70][8];

static void in_range(const void *base, size_t n, const void *p, size_t len, const char *what)
{
    const uint8_t *b = base, *q = p;
    if (len == 0)
        return;
    if (!q || q < b || q > b + n || len > (size_t)(b + n - q)) {
        fprintf(stderr, "%s (%zu bytes) points outside its event or buffer\n", what, len);
        abort();
    }
}

/* What the MySQL source copies from information_schema into a table map without optional metadata. */
static void caller_fill(struct lt_binlog_table_map *tm, unsigned fill)
{
    if (!fill)
        return;
    static const uint16_t charsets[5] = {0, 8, 63, 45, 1024 + 8};
    static const uint32_t nlabels[4] = {0, 3, 64, 70};
    for (uint32_t i = 0; i < tm->ncols; i++) {
        struct lt_binlog_column *c = &tm->cols[i];
        uint32_t h = (fill * 2654435761u) ^ (i * 40503u);
        h ^= h >> 13;
        if (!tm->has_signedness)
            c->is_unsigned = h & 1;
        if (!tm->has_charsets && lt_mysql_type_is_character(c->type))
            c->charset = charsets[(h >> 1) % 5];
        if (!tm->has_enum_set_labels && (c->type == LT_MYSQL_TYPE_ENUM || c->type == LT_MYSQL_TYPE_SET)) {
            c->nlabels = nlabels[(h >> 4) & 3];
            c->labels = c->nlabels ? labels : NULL;
            c->label_lens = c->nlabels ? label_lens : NULL;
        }
    }
}

static struct lt_binlog_table_map *find_map(struct ctx *x, uint64_t table_id)
{
    for (int i = 0; i < x->nmaps; i++)
        if (x->maps[i].table_id == table_id)
            return &x->maps[i];
    return NULL;
}

static void check_table_map(struct ctx *x, const struct lt_binlog_event *ev)
{
    struct lt_binlog_table_map tm = {0};
    struct lt_error err = {0};
    if (lt_binlog_table_map_decode(ev, &tm, &err) != LT_OK) {
        if (!err.msg[0] || tm.cols || tm.arena_)
            abort(); /* a failure leaves the map empty */
        return;
    }
    if (!lt_binlog_table_map_matches(&tm, ev) || tm.table_id != ev->u.table_map.table_id || !tm.db || !tm.table ||
        tm.ncols == 0 || !tm.cols) {
        fprintf(stderr, "decoded TABLE_MAP does not match its event\n");
        abort();
    }
    caller_fill(&tm, x->fill);
    for (uint32_t i = 0; i < tm.ncols; i++) {
        char type[64];
        int precision, scale;
        lt_binlog_column_source_type(&tm.cols[i], type, sizeof type);
        lt_binlog_column_canonical_type(&tm.cols[i], &precision, &scale);
        if (strlen(type) >= sizeof type || !lt_mysql_type_name(tm.cols[i].type))
            abort();
    }
    struct lt_table_schema *schema = lt_binlog_table_map_schema(&tm);
    if (schema && schema->ncols != (int)tm.ncols)
        abort();
    lt_schema_free(schema);
    /* keep it, replacing the map of the same table id (as a new TABLE_MAP does) or the oldest */
    struct lt_binlog_table_map *slot = find_map(x, tm.table_id);
    if (!slot) {
        if (x->nmaps < MAX_MAPS) {
            slot = &x->maps[x->nmaps++];
        } else {
            slot = &x->maps[x->next_slot];
            x->next_slot = (x->next_slot + 1) % MAX_MAPS;
        }
    }
    lt_binlog_table_map_free(slot);
    *slot = tm;
}

/* A value's text must be what the Parquet writer accepts for the column's canonical type. */
static void check_value(struct ctx *x, const struct lt_binlog_column *col, const struct lt_value *v)
{
    if (v->state == LT_VALUE_NULL || v->state == LT_VALUE_UNCHANGED) {
        if (v->data)
            abort();
        return;
    }
    if (v->state != LT_VALUE_PRESENT || !v->data)
        abort();
    in_range(x->rows.data, x->rows.len, v->data, v->len, "value text");
    int precision, scale;
    enum lt_type type = lt_binlog_column_canonical_type(col, &precision, &scale);
    struct pq_column_type t;
    struct pq_parsed parsed;
    pq_type_for_column(type, precision, scale, false, &t);
    x->pq_scratch.len = 0;
    if (pq_parse_value(&t, v->data, v->len, &parsed, &x->pq_scratch) != 0) {
        fprintf(stderr, "%s column (canonical %s(%d,%d)): value \"%.*s\" is not canonical text of its type\n",
                lt_mysql_type_name(col->type), lt_type_name(type), precision, scale, (int)(v->len > 200 ? 200 : v->len),
                v->data);
        abort();
    }
    if (type == LT_TYPE_JSON) {
        char *text = malloc((size_t)v->len + 1);
        if (!text)
            return;
        memcpy(text, v->data, v->len);
        text[v->len] = '\0';
        cJSON *j = cJSON_ParseWithOpts(text, NULL, 1);
        if (!j || strlen(text) != v->len) {
            fprintf(stderr, "JSON column value is not one JSON value: %.*s\n", (int)(v->len > 200 ? 200 : v->len),
                    text);
            abort();
        }
        cJSON_Delete(j);
        free(text);
    }
}

static void check_rows(struct ctx *x, struct lt_binlog_event *ev)
{
    struct lt_binlog_table_map *tm = find_map(x, ev->u.rows.table_id);
    if (!tm)
        return; /* the change stream refuses it: nothing to decode */
    struct lt_error err = {0};
    if (lt_binlog_event_decompress(ev, &x->inflate, &err) != LT_OK)
        return;
    if (ev->u.rows.compressed)
        abort();
    if (tm->ncols > x->vals_cap) {
        free(x->before);
        free(x->after);
        x->before = malloc(tm->ncols * sizeof *x->before);
        x->after = malloc(tm->ncols * sizeof *x->after);
        x->vals_cap = x->before && x->after ? tm->ncols : 0;
        if (!x->vals_cap)
            return;
    }
    struct lt_binlog_row_cursor c;
    if (lt_binlog_rows_begin(&c, &ev->u.rows, tm, &err) != LT_OK)
        return;
    char op = ev->u.rows.op;
    for (int r = 0; r < MAX_ROWS; r++) {
        bool done = false;
        size_t at = c.pos;
        for (uint32_t i = 0; i < tm->ncols; i++)
            x->before[i].state = x->after[i].state = 0xee;
        if (lt_binlog_rows_next(&c, &x->rows, x->before, x->after, &done, &err) != LT_OK) {
            if (!err.msg[0])
                abort();
            return;
        }
        if (done)
            return;
        if (c.pos <= at || c.pos > ev->u.rows.rows_len) {
            fprintf(stderr, "row %d of a rows event took %lld bytes: the next call would decode it again\n", r + 1,
                    (long long)c.pos - (long long)at);
            abort();
        }
        for (uint32_t i = 0; i < tm->ncols; i++) {
            if (op != 'I')
                check_value(x, &tm->cols[i], &x->before[i]);
            if (op != 'D')
                check_value(x, &tm->cols[i], &x->after[i]);
        }
    }
}

static void handle_event(struct ctx *x, struct lt_binlog_event *ev, const uint8_t *p, size_t n, bool in_payload);

static void check_payload(struct ctx *x, const struct lt_binlog_event *ev)
{
    struct lt_error err = {0};
    if (lt_binlog_payload_inflate(ev, &x->payload, &err) != LT_OK)
        return;
    size_t pos = 0;
    for (int k = 0; k < 100000; k++) {
        struct lt_binlog_event inner;
        bool done = false;
        size_t at = pos;
        if (lt_binlog_payload_next(&x->rd, ev, &x->payload, &pos, &inner, &done, &err) != LT_OK || done)
            return;
        if (pos <= at || pos > x->payload.len)
            abort();
        handle_event(x, &inner, (const uint8_t *)x->payload.data + at, pos - at, true);
    }
}

static void handle_event(struct ctx *x, struct lt_binlog_event *ev, const uint8_t *p, size_t n, bool in_payload)
{
    /* the header is the header's bytes; the body lies inside the event */
    if (ev->data != p || ev->h.event_size != n || ev->h.type != p[4] || ev->h.timestamp != lt_le32(p) ||
        ev->h.server_id != lt_le32(p + 5) || ev->h.log_pos != lt_le32(p + 13) || ev->h.flags != lt_le16(p + 17) ||
        ev->body != p + LT_BINLOG_HEADER_LEN) {
        fprintf(stderr, "event header fields differ from its bytes\n");
        abort();
    }
    in_range(p, n, ev->body, ev->body_len + (ev->has_checksum ? LT_BINLOG_CHECKSUM_LEN : 0), "body and checksum");
    const char *name = lt_binlog_event_type_name(ev->h.type);
    if (!name)
        abort();
    uint8_t t = ev->h.type;
    if (lt_binlog_event_is_rows(t)) {
        const struct lt_binlog_rows_event *r = &ev->u.rows;
        size_t bm = (r->ncols + 7) / 8;
        in_range(p, n, r->present, bm, "present bitmap");
        if (r->op == 'U')
            in_range(p, n, r->present_after, bm, "after-image bitmap");
        in_range(p, n, r->extra, r->extra_len, "extra data");
        in_range(p, n, r->rows, r->rows_len, "row images");
        check_rows(x, ev);
        return;
    }
    struct lt_error err = {0};
    switch (t) {
    case LT_BINLOG_ROTATE_EVENT:
        in_range(p, n, ev->u.rotate.name, ev->u.rotate.name_len, "rotate name");
        break;
    case LT_BINLOG_QUERY_EVENT:
    case LT_BINLOG_MARIADB_QUERY_COMPRESSED_EVENT:
        in_range(p, n, ev->u.query.db, ev->u.query.db_len, "query database");
        in_range(p, n, ev->u.query.sql, ev->u.query.sql_len, "query text");
        if (lt_binlog_event_decompress(ev, &x->inflate, &err) == LT_OK) {
            if (ev->u.query.compressed)
                abort();
            if (t == LT_BINLOG_MARIADB_QUERY_COMPRESSED_EVENT)
                in_range(x->inflate.data, x->inflate.len, ev->u.query.sql, ev->u.query.sql_len, "inflated query");
        }
        break;
    case LT_BINLOG_TABLE_MAP_EVENT:
        check_table_map(x, ev);
        break;
    case LT_BINLOG_MARIADB_GTID_LIST_EVENT:
        in_range(p, n, ev->u.gtid_list.entries, (size_t)ev->u.gtid_list.count * 16, "GTID list");
        for (uint32_t i = 0; i < ev->u.gtid_list.count; i++) {
            uint32_t dom, srv;
            uint64_t seq;
            lt_binlog_gtid_list_entry(ev, i, &dom, &srv, &seq);
        }
        break;
    case LT_BINLOG_MARIADB_ANNOTATE_ROWS_EVENT:
    case LT_BINLOG_ROWS_QUERY_EVENT:
        in_range(p, n, ev->u.annotate.sql, ev->u.annotate.sql_len, "annotation");
        break;
    case LT_BINLOG_MARIADB_BINLOG_CHECKPOINT_EVENT:
    case LT_BINLOG_HEARTBEAT_EVENT:
        in_range(p, n, ev->u.checkpoint.name, ev->u.checkpoint.name_len, "checkpoint name");
        break;
    case LT_BINLOG_TRANSACTION_PAYLOAD_EVENT:
        in_range(p, n, ev->u.payload.data, ev->u.payload.len, "payload");
        if (in_payload)
            abort(); /* the decoder refuses a payload nested in a payload */
        check_payload(x, ev);
        break;
    default:
        break;
    }
}

static int parse_one(struct ctx *x, const uint8_t *p, size_t left, uint64_t offset, size_t *size)
{
    /* an exact-size copy of the event (or of what is left, when its size runs past the data) */
    size_t n = left;
    if (left >= LT_BINLOG_HEADER_LEN && lt_le32(p + 9) < left)
        n = lt_le32(p + 9);
    uint8_t *copy = malloc(n ? n : 1);
    if (!copy)
        return -1;
    if (n)
        memcpy(copy, p, n);
    struct lt_binlog_event ev;
    struct lt_error err = {0};
    int rc = lt_binlog_parse_event(&x->rd, copy, n, offset, &ev, &err);
    if (rc == LT_OK) {
        *size = ev.h.event_size;
        handle_event(x, &ev, copy, n, false);
    } else if (!err.msg[0]) {
        abort();
    }
    free(copy);
    return rc;
}

static void init_reader(struct lt_binlog_reader *rd, uint8_t opts)
{
    lt_binlog_reader_init(rd);
    rd->skip_checksum_verify = !(opts & 1);
    int before = (opts >> 2) & 3;
    rd->checksum_before_fde = before == 1 ? 0 : before == 2 ? 1 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!labels[0]) {
        for (int i = 0; i < 70; i++) {
            snprintf(label_text[i], sizeof label_text[i], "l%d", i);
            labels[i] = label_text[i];
            label_lens[i] = (uint16_t)strlen(label_text[i]);
        }
    }
    if (size < 1)
        return 0;
    uint8_t opts = data[0];
    data++;
    size--;
    static struct ctx x;
    memset(&x, 0, sizeof x);
    init_reader(&x.rd, opts);
    x.fill = opts >> 4;
    x.inflate.limit = x.payload.limit = x.rows.limit = SCRATCH_LIMIT;
    bool stream = opts & 2;
    size_t pos = 0;
    struct lt_error err = {0};
    if (!stream) {
        if (lt_binlog_check_magic(data, size, &err) != LT_OK)
            goto out;
        pos = LT_BINLOG_MAGIC_LEN;
    }
    size_t nevents = 0;
    uint8_t types[4096];
    while (pos < size && nevents < sizeof types) {
        size_t ev_size = 0;
        if (parse_one(&x, data + pos, size - pos, pos, &ev_size) != LT_OK)
            break;
        if (ev_size < LT_BINLOG_HEADER_LEN || ev_size > size - pos)
            abort();
        types[nevents++] = data[pos + 4];
        pos += ev_size;
    }
    if (!stream) {
        /* the file iterator walks the same events (on a copy of the whole file) */
        uint8_t *file = malloc(size);
        if (file) {
            memcpy(file, data, size);
            struct lt_binlog_reader rd;
            init_reader(&rd, opts);
            size_t fpos = 0, k = 0;
            for (; k < nevents; k++) {
                struct lt_binlog_event ev;
                bool done = false;
                if (lt_binlog_file_next(&rd, file, size, &fpos, &ev, &done, &err) != LT_OK || done ||
                    ev.h.type != types[k]) {
                    fprintf(stderr, "lt_binlog_file_next differs at event %zu\n", k);
                    abort();
                }
            }
            free(file);
        }
    }
out:
    for (int i = 0; i < x.nmaps; i++)
        lt_binlog_table_map_free(&x.maps[i]);
    lt_my_scratch_free(&x.inflate);
    lt_my_scratch_free(&x.payload);
    lt_my_scratch_free(&x.rows);
    bb_free(&x.pq_scratch);
    free(x.before);
    free(x.after);
    return 0;
}
