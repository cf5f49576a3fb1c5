/* mention_bin.c: a DealMention's Avro binary body written from and read into
 * a ds_mention directly, without avro-c's generic values.
 *
 * The generic path (ds_mention_to_avro, then ds_codec_encode) looks every
 * field up by name and allocates per value; on the processor's hot path (a
 * mention written to <app>-mentions, read back, and written again inside the
 * block's changelog record) that was a quarter of the loop thread's time.
 * The bytes are the same as the generic path's (tests/test_mention_bin.c
 * compares them for every mention of the corpus), so readers of the topics
 * see no difference. */
#include "mention_bin.h"

#include <stdio.h>
#include <string.h>

#include "codec_internal.h"

/* ---- writing ---------------------------------------------------------- */

typedef struct {
    unsigned char *p, *end;
} wr;

static void put_long(wr *w, int64_t v) { w->p = ds_avro_varint(w->p, v); }

static void put_bytes(wr *w, const void *s, size_t n)
{
    put_long(w, (int64_t)n);
    memcpy(w->p, s, n);
    w->p += n;
}

static void put_str(wr *w, const char *s, size_t cap) { put_bytes(w, s, strnlen(s, cap - 1)); }

#define PUT_STR(w, field) put_str(w, field, sizeof(field))

/* ["null", "string"]: null for "" (as ds_avro_set_opt_string) */
#define PUT_OPT_STR(w, field)                                                                       \
    do {                                                                                            \
        if ((field)[0]) {                                                                           \
            put_long(w, 1);                                                                         \
            PUT_STR(w, field);                                                                      \
        } else {                                                                                    \
            put_long(w, 0);                                                                         \
        }                                                                                           \
    } while (0)

static void put_opt_long(wr *w, int64_t v, int present)
{
    put_long(w, present ? 1 : 0);
    if (present)
        put_long(w, v);
}

/* The minimal big-endian two's complement of v, as ds_decimal_set. */
static void put_decimal(wr *w, int64_t v)
{
    unsigned char b[8];
    uint64_t u = (uint64_t)v;
    for (int i = 7; i >= 0; i--, u >>= 8)
        b[i] = (unsigned char)(u & 0xff);
    size_t skip = 0;
    while (8 - skip > 1 && ((b[skip] == 0x00 && !(b[skip + 1] & 0x80)) || (b[skip] == 0xff && (b[skip + 1] & 0x80))))
        skip++;
    put_bytes(w, b + skip, 8 - skip);
}

/* An array of n items as avro-c writes it: one block of n, then the end. */
static void put_count(wr *w, int n)
{
    if (n > 0)
        put_long(w, n);
}

/* Every field of the Value record, at most this many bytes: two decimals of
 * 9, a currency and covers at their capacity with their lengths, branches. */
#define VALUE_MAX (2 * 9 + sizeof(((ds_value *)0)->currency) + sizeof(((ds_value *)0)->covers) + 32)

static void put_value_record(wr *x, const ds_value *v)
{
    put_decimal(x, v->amount);
    PUT_STR(x, v->currency);
    put_long(x, v->usd >= 0 ? 1 : 0);
    if (v->usd >= 0)
        put_decimal(x, v->usd);
    PUT_OPT_STR(x, v->covers);
    *x->p++ = v->combined ? 1 : 0;
}

static int clamp(int n, int max) { return n < 0 ? 0 : n > max ? max : n; }

/* The largest body m can have: every string at its capacity, every varint
 * at 10 bytes. ds_mention is about 2 KB; a body is at most about that. */
#define BODY_MAX (sizeof(ds_mention) + 2048)

/* The source record: kind, id, outlet, published, topic, partition,
 * offset and text hash. */
static void write_source(wr *x, const ds_mention *m)
{
    put_long(x, m->src.kind);
    PUT_STR(x, m->src.id);
    PUT_OPT_STR(x, m->src.outlet);
    put_opt_long(x, m->src.published, m->src.published != DS_NO_TIME);
    PUT_STR(x, m->src.topic);
    put_long(x, m->src.partition);
    put_long(x, m->src.offset);
    put_long(x, (int64_t)m->src.text_hash);
}

/* What was bought from whom: parties, suppliers, system, quantities,
 * variants, extras and value; each list as one block and its end. */
static void write_what(wr *x, const ds_mention *m)
{
    PUT_OPT_STR(x, m->buyer);
    PUT_OPT_STR(x, m->seller);
    int n = clamp(m->nsuppliers, DS_MAX_SUPPLIERS);
    put_count(x, n);
    for (int i = 0; i < n; i++) {
        PUT_STR(x, m->suppliers[i].company);
        put_long(x, m->suppliers[i].role);
    }
    put_long(x, 0);
    PUT_OPT_STR(x, m->system);
    PUT_OPT_STR(x, m->family);
    put_opt_long(x, m->quantity, m->quantity >= 0);
    n = clamp(m->nvariants, DS_MAX_VARIANTS);
    put_count(x, n);
    for (int i = 0; i < n; i++) {
        PUT_STR(x, m->variants[i].system);
        put_long(x, m->variants[i].quantity);
    }
    put_long(x, 0);
    n = clamp(m->nextras, DS_MAX_EXTRAS);
    put_count(x, n);
    for (int i = 0; i < n; i++) {
        PUT_STR(x, m->extras[i].what);
        put_long(x, m->extras[i].quantity);
    }
    put_long(x, 0);
    put_long(x, m->value.set ? 1 : 0);
    if (m->value.set)
        put_value_record(x, &m->value);
}

/* Where the deal stands and when: stage, status, batch, dates, delivery
 * years and place. */
static void write_when(wr *x, const ds_mention *m)
{
    put_long(x, m->stage);
    put_long(x, m->status);
    put_opt_long(x, m->batch, m->batch > 0);
    put_opt_long(x, m->signing_date, m->signing_date != DS_NO_DATE);
    put_opt_long(x, m->signing_year, m->signing_year > 0);
    put_opt_long(x, m->announce_date, m->announce_date != DS_NO_DATE);
    int n = clamp(m->ndelivery_years, DS_MAX_DELIVERY_YEARS);
    put_count(x, n);
    for (int i = 0; i < n; i++)
        put_long(x, m->delivery_years[i]);
    put_long(x, 0);
    PUT_OPT_STR(x, m->place);
}

/* The relation hints and the evidence spans, each as one block and its end. */
static void write_relations_evidence(wr *x, const ds_mention *m)
{
    int n = clamp(m->nrels, DS_MAX_RELS);
    put_count(x, n);
    for (int i = 0; i < n; i++) {
        const ds_relhint *h = &m->rels[i];
        put_long(x, h->relation);
        PUT_OPT_STR(x, h->ref);
        put_opt_long(x, h->year, h->year > 0);
        put_opt_long(x, h->quantity, h->quantity >= 0);
        put_opt_long(x, h->batch, h->batch > 0);
    }
    put_long(x, 0);
    n = clamp(m->nevidence, DS_MAX_EVIDENCE);
    put_count(x, n);
    for (int i = 0; i < n; i++) {
        PUT_STR(x, m->evidence[i].field);
        put_long(x, m->evidence[i].start);
        put_long(x, m->evidence[i].end);
    }
    put_long(x, 0);
}

int ds_mention_write(const ds_mention *m, ds_buf *out)
{
    if (ds_buf_reserve(out, BODY_MAX))
        return -1;
    wr w = {(unsigned char *)out->data + out->len, (unsigned char *)out->data + out->len + BODY_MAX};
    wr *x = &w;
    PUT_STR(x, m->mention_id);
    PUT_STR(x, m->block_key);
    put_long(x, m->role);
    write_source(x, m);
    write_what(x, m);
    write_when(x, m);
    write_relations_evidence(x, m);
    PUT_OPT_STR(x, m->category);
    *x->p++ = m->out_of_catalog ? 1 : 0;
    out->len = (size_t)((char *)w.p - out->data);
    out->data[out->len] = '\0';
    return 0;
}

/* Room for n more bytes and the NUL: the common case without a call. */
static int room(ds_buf *out, size_t n) { return out->cap - out->len > n ? 0 : ds_buf_reserve(out, n); }

/* Ends a write that stopped at p. */
static int put_end(ds_buf *out, unsigned char *p)
{
    out->len = (size_t)((char *)p - out->data);
    out->data[out->len] = '\0';
    return 0;
}

int ds_avro_put_long(ds_buf *out, int64_t v)
{
    if (room(out, 10))
        return -1;
    return put_end(out, ds_avro_varint((unsigned char *)out->data + out->len, v));
}

/* The string s of n bytes, after the union branch when branch >= 0. */
static int put_branch_string(ds_buf *out, int branch, const char *s, size_t n)
{
    if (room(out, n + 20))
        return -1;
    unsigned char *p = (unsigned char *)out->data + out->len;
    if (branch >= 0)
        *p++ = (unsigned char)(2 * branch); /* zigzag of 0 or 1 */
    p = ds_avro_varint(p, (int64_t)n);
    memcpy(p, s, n);
    return put_end(out, p + n);
}

int ds_avro_put_string(ds_buf *out, const char *s) { return put_branch_string(out, -1, s, strlen(s)); }

int ds_avro_put_opt_string(ds_buf *out, const char *s)
{
    if (!s || !s[0])
        return ds_avro_put_long(out, 0);
    return put_branch_string(out, 1, s, strlen(s));
}

int ds_avro_put_opt_long(ds_buf *out, int64_t v, int present)
{
    if (room(out, 20))
        return -1;
    unsigned char *p = (unsigned char *)out->data + out->len;
    *p++ = present ? 2 : 0; /* the branch: zigzag 1 or 0 */
    return put_end(out, present ? ds_avro_varint(p, v) : p);
}

int ds_avro_put_value_record(ds_buf *out, const ds_value *v)
{
    if (room(out, VALUE_MAX))
        return -1;
    wr w = {(unsigned char *)out->data + out->len, NULL};
    put_value_record(&w, v);
    return put_end(out, w.p);
}

/* ---- reading ---------------------------------------------------------- */

typedef ds_avro_cursor rd;

/* Records the first field that failed; returns 0 for the callers' values. */
static int fail_at(rd *r, const char *field)
{
    if (!r->failed)
        r->failed = field;
    return 0;
}

static int64_t get_long(rd *r, const char *field)
{
    uint64_t u = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (r->p >= r->end)
            return fail_at(r, field);
        unsigned char c = *r->p++;
        if (shift == 63 && (c & 0x7e))
            return fail_at(r, field); /* more than 64 bits */
        u |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80))
            return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
    }
    return fail_at(r, field);
}

static int32_t get_int(rd *r, const char *field)
{
    int64_t v = get_long(r, field);
    if (v < INT32_MIN || v > INT32_MAX)
        return fail_at(r, field);
    return (int32_t)v;
}

static int get_enum(rd *r, const char *field, int nsymbols)
{
    int64_t v = get_long(r, field);
    if (v < 0 || v >= nsymbols)
        return fail_at(r, field);
    return (int)v;
}

/* A ["null", X] union's branch: 0 or 1. */
static int get_branch(rd *r, const char *field) { return get_enum(r, field, 2); }

/* ds__utf8_valid, with the ASCII bytes most strings consist of checked
 * here first. */
static int text_valid(const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n && (unsigned char)(p[i] - 1) < 0x7f) /* 0x01 .. 0x7f */
        i++;
    return i == n || ds__utf8_valid((const char *)p + i, n - i);
}

static void get_str(rd *r, const char *field, char *dst, size_t cap)
{
    dst[0] = '\0';
    int64_t n = get_long(r, field);
    if (r->failed)
        return;
    if (n < 0 || (uint64_t)n >= cap || (uint64_t)n > (uint64_t)(r->end - r->p) ||
        !text_valid(r->p, (size_t)n)) {
        fail_at(r, field);
        return;
    }
    memcpy(dst, r->p, (size_t)n);
    dst[n] = '\0';
    r->p += n;
}

#define GET_STR(r, name, field) get_str(r, name, field, sizeof(field))

static void get_opt_str(rd *r, const char *field, char *dst, size_t cap)
{
    dst[0] = '\0';
    if (get_branch(r, field))
        get_str(r, field, dst, cap);
}

#define GET_OPT_STR(r, name, field) get_opt_str(r, name, field, sizeof(field))

static int64_t get_opt_long(rd *r, const char *field, int64_t absent)
{
    return get_branch(r, field) ? get_long(r, field) : absent;
}

static int32_t get_opt_int(rd *r, const char *field, int32_t absent)
{
    return get_branch(r, field) ? get_int(r, field) : absent;
}

static int64_t get_decimal(rd *r, const char *field)
{
    int64_t n = get_long(r, field);
    if (r->failed)
        return 0;
    if (n < 1 || n > 8 || n > r->end - r->p)
        return fail_at(r, field);
    uint64_t v = (r->p[0] & 0x80) ? UINT64_MAX : 0;
    for (int64_t i = 0; i < n; i++)
        v = (v << 8) | r->p[i];
    r->p += n;
    return (int64_t)v;
}

/* The item count of an array's next block (0 at its end). A negative count
 * is followed by the block's size in bytes, which must match its items (as
 * the generic decoder's validation checks). */
static int64_t get_block(rd *r, const char *field)
{
    if (r->block_end && r->p != r->block_end)
        return fail_at(r, field);
    r->block_end = NULL;
    int64_t n = get_long(r, field);
    if (n < 0) {
        if (n == INT64_MIN)
            return fail_at(r, field);
        n = -n;
        int64_t size = get_long(r, field);
        if (r->failed || size < 0 || size > r->end - r->p)
            return fail_at(r, field);
        r->block_end = r->p + size;
    }
    /* every item takes at least one byte */
    if (r->failed || n > r->end - r->p)
        return fail_at(r, field);
    return n;
}

/* The source record: kind, id, outlet, published, topic, partition,
 * offset and text hash. */
static void read_source(rd *r, ds_mention *m)
{
    m->src.kind = (ds_source_kind)get_enum(r, "source.kind", 2);
    GET_STR(r, "source.id", m->src.id);
    GET_OPT_STR(r, "source.outlet", m->src.outlet);
    m->src.published = get_opt_long(r, "source.published", DS_NO_TIME);
    GET_STR(r, "source.topic", m->src.topic);
    m->src.partition = get_int(r, "source.partition");
    m->src.offset = get_long(r, "source.offset");
    m->src.text_hash = (uint64_t)get_long(r, "source.text_hash");
}

/* The value record, when its union branch is set. */
static void read_value(rd *r, ds_value *v)
{
    if (!get_branch(r, "value"))
        return;
    v->set = 1;
    v->amount = get_decimal(r, "value.amount");
    GET_STR(r, "value.currency", v->currency);
    v->usd = get_branch(r, "value.usd") ? get_decimal(r, "value.usd") : -1;
    GET_OPT_STR(r, "value.covers", v->covers);
    if (r->p >= r->end || *r->p > 1)
        fail_at(r, "value.combined");
    else
        v->combined = *r->p++;
}

/* What was bought from whom: parties, suppliers, system, quantities,
 * variants, extras and value. Items beyond a list's capacity are read into
 * a scratch entry and dropped. */
static void read_what(rd *r, ds_mention *m)
{
    int64_t n;
    ds_mention spare;
    GET_OPT_STR(r, "buyer", m->buyer);
    GET_OPT_STR(r, "seller", m->seller);
    while (!r->failed && (n = get_block(r, "suppliers")) > 0)
        for (int64_t i = 0; i < n && !r->failed; i++) {
            ds_mention *t = m->nsuppliers < DS_MAX_SUPPLIERS ? m : &spare;
            int k = t == m ? m->nsuppliers++ : 0;
            GET_STR(r, "suppliers.company", t->suppliers[k].company);
            t->suppliers[k].role = (ds_supplier_role)get_enum(r, "suppliers.role", 3);
        }
    GET_OPT_STR(r, "system", m->system);
    GET_OPT_STR(r, "family", m->family);
    m->quantity = get_opt_long(r, "quantity", -1);
    while (!r->failed && (n = get_block(r, "variants")) > 0)
        for (int64_t i = 0; i < n && !r->failed; i++) {
            ds_mention *t = m->nvariants < DS_MAX_VARIANTS ? m : &spare;
            int k = t == m ? m->nvariants++ : 0;
            GET_STR(r, "variants.system", t->variants[k].system);
            t->variants[k].quantity = get_long(r, "variants.quantity");
        }
    while (!r->failed && (n = get_block(r, "extras")) > 0)
        for (int64_t i = 0; i < n && !r->failed; i++) {
            ds_mention *t = m->nextras < DS_MAX_EXTRAS ? m : &spare;
            int k = t == m ? m->nextras++ : 0;
            GET_STR(r, "extras.what", t->extras[k].what);
            t->extras[k].quantity = get_long(r, "extras.quantity");
        }
    read_value(r, &m->value);
}

/* Where the deal stands and when: stage, status, batch, dates, delivery
 * years (beyond capacity dropped) and place. */
static void read_when(rd *r, ds_mention *m)
{
    int64_t n;
    m->stage = (ds_stage)get_enum(r, "stage", DS_STAGE__COUNT);
    m->status = (ds_status)get_enum(r, "status", DS_STATUS__COUNT);
    m->batch = get_opt_int(r, "batch", 0);
    m->signing_date = get_opt_int(r, "signing_date", DS_NO_DATE);
    m->signing_year = get_opt_int(r, "signing_year", 0);
    m->announce_date = get_opt_int(r, "announce_date", DS_NO_DATE);
    while (!r->failed && (n = get_block(r, "delivery_years")) > 0)
        for (int64_t i = 0; i < n && !r->failed; i++) {
            int32_t y = get_int(r, "delivery_years");
            if (m->ndelivery_years < DS_MAX_DELIVERY_YEARS)
                m->delivery_years[m->ndelivery_years++] = y;
        }
    GET_OPT_STR(r, "place", m->place);
}

/* The relation hints and the evidence spans; items beyond capacity are
 * read into a scratch entry and dropped. */
static void read_relations_evidence(rd *r, ds_mention *m)
{
    int64_t n;
    ds_relhint spare_rel;
    ds_evidence spare_ev;
    while (!r->failed && (n = get_block(r, "relations")) > 0)
        for (int64_t i = 0; i < n && !r->failed; i++) {
            ds_relhint *h = m->nrels < DS_MAX_RELS ? &m->rels[m->nrels++] : &spare_rel;
            h->relation = (ds_relation)get_enum(r, "relations.relation", DS_REL__COUNT);
            GET_OPT_STR(r, "relations.ref", h->ref);
            h->year = get_opt_int(r, "relations.year", 0);
            h->quantity = get_opt_long(r, "relations.quantity", -1);
            h->batch = get_opt_int(r, "relations.batch", 0);
        }
    while (!r->failed && (n = get_block(r, "evidence")) > 0)
        for (int64_t i = 0; i < n && !r->failed; i++) {
            ds_evidence *e = m->nevidence < DS_MAX_EVIDENCE ? &m->evidence[m->nevidence++] : &spare_ev;
            GET_STR(r, "evidence.field", e->field);
            e->start = get_int(r, "evidence.start");
            e->end = get_int(r, "evidence.end");
        }
}

void ds_mention_read_at(ds_avro_cursor *r, ds_mention *m)
{
    ds_mention_init(m);
    GET_STR(r, "mention_id", m->mention_id);
    GET_STR(r, "block_key", m->block_key);
    m->role = (ds_role)get_enum(r, "role", 2);
    read_source(r, m);
    read_what(r, m);
    read_when(r, m);
    read_relations_evidence(r, m);
    GET_OPT_STR(r, "category", m->category);
    if (r->p >= r->end || *r->p > 1)
        fail_at(r, "out_of_catalog");
    else
        m->out_of_catalog = *r->p++;
}

int ds_avro_cursor_error(const ds_avro_cursor *r, const char *record, const void *data, char *err, size_t errlen)
{
    if (!r->failed)
        return 0;
    if (errlen)
        snprintf(err, errlen, "%s.%s: cannot be read at byte %td of %td", record, r->failed,
                 r->p - (const unsigned char *)data, r->end - (const unsigned char *)data);
    return -1;
}

int ds_mention_read(const void *data, size_t len, ds_mention *m, char *err, size_t errlen)
{
    rd rr = {data, (const unsigned char *)data + len, NULL, NULL};
    rd *r = &rr;
    ds_mention_read_at(r, m);
    if (!r->failed && r->p != r->end)
        fail_at(r, "(end)");
    return ds_avro_cursor_error(r, "DealMention", data, err, errlen);
}

int64_t ds_avro_get_long(ds_avro_cursor *r, const char *field) { return get_long(r, field); }
void ds_avro_get_string(ds_avro_cursor *r, const char *field, char *dst, size_t cap) { get_str(r, field, dst, cap); }
int64_t ds_avro_get_block(ds_avro_cursor *r, const char *field) { return get_block(r, field); }
int32_t ds_avro_get_int(ds_avro_cursor *r, const char *field) { return get_int(r, field); }
int ds_avro_get_enum(ds_avro_cursor *r, const char *field, int nsymbols) { return get_enum(r, field, nsymbols); }
int64_t ds_avro_get_decimal(ds_avro_cursor *r, const char *field) { return get_decimal(r, field); }
