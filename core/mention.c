/* mention.c: DealMention as a C struct and as an Avro value (see mention.h).
 * No Kafka; may call common/ and schemas/. */
#include "mention.h"

#include <stdio.h>
#include <string.h>

#include "codec.h"
#include "util.h"

const char *const ds_stage_names[DS_STAGE__COUNT] = {
    "intent", "selection", "approval", "framework", "loa", "executive", "option", "joint_venture", "delivery",
    "memorandum", "amendment", "cancellation"};
const char *const ds_status_names[DS_STATUS__COUNT] = {"planned", "signed", "delivered", "approved", "cancelled"};
const char *const ds_relation_names[DS_REL__COUNT] = {"executes_framework", "next_batch", "option_exercise",
                                                      "enabled_by_jv"};
const char *const ds_supplier_role_names[3] = {"prime", "local_producer", "joint_venture"};

void ds_mention_init(ds_mention *m)
{
    memset(m, 0, sizeof *m);
    m->src.published = DS_NO_TIME;
    m->quantity = -1;
    m->value.usd = -1;
    m->signing_date = DS_NO_DATE;
    m->announce_date = DS_NO_DATE;
    m->stage = DS_STAGE_EXECUTIVE;
    m->status = DS_STATUS_SIGNED;
}

void ds_mention_evidence(ds_mention *m, const char *field, int32_t start, int32_t end)
{
    for (int i = 0; i < m->nevidence; i++)
        if (strcmp(m->evidence[i].field, field) == 0) {
            m->evidence[i].start = start;
            m->evidence[i].end = end;
            return;
        }
    if (m->nevidence == DS_MAX_EVIDENCE)
        return;
    ds_evidence *e = &m->evidence[m->nevidence++];
    ds_strlcpy(e->field, field, sizeof e->field);
    e->start = start;
    e->end = end;
}

void ds_mention_block_key(ds_mention *m)
{
    /* "buyer|seller|family", cut as snprintf would cut it; by hand, since
     * snprintf cost 1,100 instructions per mention */
    const char *part[3] = {m->buyer[0] ? m->buyer : "?", m->seller[0] ? m->seller : "?",
                           m->family[0] ? m->family : "?"};
    size_t n = 0, cap = sizeof m->block_key;
    for (int i = 0; i < 3; i++) {
        if (i && n + 1 < cap)
            m->block_key[n++] = '|';
        for (const char *c = part[i]; *c && n + 1 < cap; c++)
            m->block_key[n++] = *c;
    }
    m->block_key[n] = '\0';
}

/* ---- field look-up ---------------------------------------------------- */

/* avro_value_get_by_name() hashes the name and compares strings on every
 * call; the hot paths look the same fields of the same schemas up millions
 * of times. A small direct-mapped cache per thread, keyed by the record
 * schema and the name's address (the callers pass string literals), keeps
 * the index; a hit is confirmed by the field's name, so a stale entry (a
 * schema freed and another allocated at its address) only costs a miss. */
#define FIELD_CACHE 512

typedef struct {
    avro_schema_t schema;
    const char *name;
    size_t index;
} field_slot;

static _Thread_local field_slot field_cache[FIELD_CACHE];

int ds_avro_field(avro_value_t *rec, const char *name, avro_value_t *out)
{
    avro_schema_t s = avro_value_get_schema(rec);
    uintptr_t h = ((uintptr_t)s >> 4) * 31u + ((uintptr_t)name >> 1);
    field_slot *e = &field_cache[(h ^ (h >> 9)) & (FIELD_CACHE - 1)];
    if (e->schema == s && e->name == name) {
        const char *fname = avro_schema_record_field_name(s, (int)e->index);
        if (fname && strcmp(fname, name) == 0)
            return avro_value_get_by_index(rec, e->index, out, NULL);
    }
    size_t index;
    int rc = avro_value_get_by_name(rec, name, out, &index);
    if (rc == 0 && avro_typeof(s) == AVRO_RECORD) {
        e->schema = s;
        e->name = name;
        e->index = index;
    }
    return rc;
}

const char *ds_avro_field_string(avro_value_t *rec, const char *name, size_t *len)
{
    avro_value_t f, b;
    const char *s = NULL;
    size_t sz = 0;
    if (ds_avro_field(rec, name, &f))
        return NULL;
    if (avro_value_get_type(&f) == AVRO_UNION) {
        int disc;
        if (avro_value_get_discriminant(&f, &disc) || disc == 0 || avro_value_get_current_branch(&f, &b))
            return NULL;
        f = b;
    }
    if (avro_value_get_string(&f, &s, &sz))
        return NULL;
    if (len)
        *len = sz ? sz - 1 : 0;
    return s;
}

int ds_avro_field_long(avro_value_t *rec, const char *name, int64_t *v)
{
    avro_value_t f, b;
    if (ds_avro_field(rec, name, &f))
        return -1;
    if (avro_value_get_type(&f) == AVRO_UNION) {
        int disc;
        if (avro_value_get_discriminant(&f, &disc) || disc == 0 || avro_value_get_current_branch(&f, &b))
            return -1;
        f = b;
    }
    if (avro_value_get_type(&f) == AVRO_INT32) {
        int32_t i;
        if (avro_value_get_int(&f, &i))
            return -1;
        *v = i;
        return 0;
    }
    return avro_value_get_long(&f, v) ? -1 : 0;
}

/* ---- writing ---------------------------------------------------------- */

#define TRY(x) do { if ((x) != 0) return -1; } while (0)

int ds_avro_set_string(avro_value_t *rec, const char *field, const char *s)
{
    avro_value_t f;
    TRY(ds_avro_field(rec, field, &f));
    return avro_value_set_string(&f, s);
}

/* Selects branch 0 (null) or 1 of a ["null", X] union field. */
static int set_branch(avro_value_t *rec, const char *field, int present, avro_value_t *branch)
{
    avro_value_t f;
    TRY(ds_avro_field(rec, field, &f));
    TRY(avro_value_set_branch(&f, present ? 1 : 0, branch));
    if (!present)
        return avro_value_set_null(branch);
    return 0;
}

int ds_avro_set_opt_string(avro_value_t *rec, const char *field, const char *s)
{
    avro_value_t b;
    int present = s && s[0];
    TRY(set_branch(rec, field, present, &b));
    return present ? avro_value_set_string(&b, s) : 0;
}

int ds_avro_set_opt_long(avro_value_t *rec, const char *field, int64_t v, int present)
{
    avro_value_t b;
    TRY(set_branch(rec, field, present, &b));
    return present ? avro_value_set_long(&b, v) : 0;
}

int ds_avro_set_opt_int(avro_value_t *rec, const char *field, int32_t v, int present)
{
    avro_value_t b;
    TRY(set_branch(rec, field, present, &b));
    return present ? avro_value_set_int(&b, v) : 0;
}

int ds_avro_set_enum(avro_value_t *rec, const char *field, int v)
{
    avro_value_t f;
    TRY(ds_avro_field(rec, field, &f));
    return avro_value_set_enum(&f, v);
}

int ds_avro_set_value_record(avro_value_t *rec, const ds_value *v)
{
    avro_value_t f, u;
    TRY(ds_avro_field(rec, "amount", &f));
    TRY(ds_decimal_set(&f, v->amount));
    TRY(ds_avro_set_string(rec, "currency", v->currency));
    TRY(set_branch(rec, "usd", v->usd >= 0, &u));
    if (v->usd >= 0)
        TRY(ds_decimal_set(&u, v->usd));
    TRY(ds_avro_set_opt_string(rec, "covers", v->covers));
    TRY(ds_avro_field(rec, "combined", &f));
    return avro_value_set_boolean(&f, v->combined);
}

int ds_avro_set_value(avro_value_t *rec, const char *field, const ds_value *v)
{
    avro_value_t b;
    TRY(set_branch(rec, field, v->set, &b));
    return v->set ? ds_avro_set_value_record(&b, v) : 0;
}

int ds_avro_append(avro_value_t *rec, const char *field, avro_value_t *item)
{
    avro_value_t arr;
    TRY(ds_avro_field(rec, field, &arr));
    return avro_value_append(&arr, item, NULL);
}

int ds_avro_clear_array(avro_value_t *rec, const char *field)
{
    avro_value_t arr;
    TRY(ds_avro_field(rec, field, &arr));
    return avro_value_reset(&arr);
}

int ds_avro_set_timeline(avro_value_t *val, ds_stage stage, ds_status status, int batch, int32_t signing_date,
                         int signing_year, int32_t announce_date, const int *delivery_years, size_t ndelivery,
                         const char *place)
{
    avro_value_t item;
    TRY(ds_avro_set_enum(val, "stage", stage));
    TRY(ds_avro_set_enum(val, "status", status));
    TRY(ds_avro_set_opt_int(val, "batch", batch, batch > 0));
    TRY(ds_avro_set_opt_int(val, "signing_date", signing_date, signing_date != DS_NO_DATE));
    TRY(ds_avro_set_opt_int(val, "signing_year", signing_year, signing_year > 0));
    TRY(ds_avro_set_opt_int(val, "announce_date", announce_date, announce_date != DS_NO_DATE));
    TRY(ds_avro_clear_array(val, "delivery_years"));
    for (size_t i = 0; i < ndelivery; i++) {
        TRY(ds_avro_append(val, "delivery_years", &item));
        TRY(avro_value_set_int(&item, delivery_years[i]));
    }
    return ds_avro_set_opt_string(val, "place", place);
}

int ds_mention_to_avro(const ds_mention *m, avro_value_t *val)
{
    avro_value_t src, item, f;
    TRY(ds_avro_set_string(val, "mention_id", m->mention_id));
    TRY(ds_avro_set_string(val, "block_key", m->block_key));
    TRY(ds_avro_set_enum(val, "role", m->role));
    TRY(ds_avro_field(val, "source", &src));
    TRY(ds_avro_set_enum(&src, "kind", m->src.kind));
    TRY(ds_avro_set_string(&src, "id", m->src.id));
    TRY(ds_avro_set_opt_string(&src, "outlet", m->src.outlet));
    TRY(ds_avro_set_opt_long(&src, "published", m->src.published, m->src.published != DS_NO_TIME));
    TRY(ds_avro_set_string(&src, "topic", m->src.topic));
    TRY(ds_avro_field(&src, "partition", &f));
    TRY(avro_value_set_int(&f, m->src.partition));
    TRY(ds_avro_field(&src, "offset", &f));
    TRY(avro_value_set_long(&f, m->src.offset));
    TRY(ds_avro_field(&src, "text_hash", &f));
    TRY(avro_value_set_long(&f, (int64_t)m->src.text_hash));

    TRY(ds_avro_set_opt_string(val, "buyer", m->buyer));
    TRY(ds_avro_set_opt_string(val, "seller", m->seller));
    TRY(ds_avro_clear_array(val, "suppliers"));
    for (int i = 0; i < m->nsuppliers; i++) {
        TRY(ds_avro_append(val, "suppliers", &item));
        TRY(ds_avro_set_string(&item, "company", m->suppliers[i].company));
        TRY(ds_avro_set_enum(&item, "role", m->suppliers[i].role));
    }
    TRY(ds_avro_set_opt_string(val, "system", m->system));
    TRY(ds_avro_set_opt_string(val, "family", m->family));
    TRY(ds_avro_set_opt_long(val, "quantity", m->quantity, m->quantity >= 0));
    TRY(ds_avro_clear_array(val, "variants"));
    for (int i = 0; i < m->nvariants; i++) {
        TRY(ds_avro_append(val, "variants", &item));
        TRY(ds_avro_set_string(&item, "system", m->variants[i].system));
        TRY(ds_avro_field(&item, "quantity", &f));
        TRY(avro_value_set_long(&f, m->variants[i].quantity));
    }
    TRY(ds_avro_clear_array(val, "extras"));
    for (int i = 0; i < m->nextras; i++) {
        TRY(ds_avro_append(val, "extras", &item));
        TRY(ds_avro_set_string(&item, "what", m->extras[i].what));
        TRY(ds_avro_field(&item, "quantity", &f));
        TRY(avro_value_set_long(&f, m->extras[i].quantity));
    }
    TRY(ds_avro_set_value(val, "value", &m->value));
    TRY(ds_avro_set_timeline(val, m->stage, m->status, m->batch, m->signing_date, m->signing_year, m->announce_date,
                             m->delivery_years, (size_t)m->ndelivery_years, m->place));
    TRY(ds_avro_clear_array(val, "relations"));
    for (int i = 0; i < m->nrels; i++) {
        const ds_relhint *r = &m->rels[i];
        TRY(ds_avro_append(val, "relations", &item));
        TRY(ds_avro_set_enum(&item, "relation", r->relation));
        TRY(ds_avro_set_opt_string(&item, "ref", r->ref));
        TRY(ds_avro_set_opt_int(&item, "year", r->year, r->year > 0));
        TRY(ds_avro_set_opt_long(&item, "quantity", r->quantity, r->quantity >= 0));
        TRY(ds_avro_set_opt_int(&item, "batch", r->batch, r->batch > 0));
    }
    TRY(ds_avro_clear_array(val, "evidence"));
    for (int i = 0; i < m->nevidence; i++) {
        TRY(ds_avro_append(val, "evidence", &item));
        TRY(ds_avro_set_string(&item, "field", m->evidence[i].field));
        TRY(ds_avro_field(&item, "start", &f));
        TRY(avro_value_set_int(&f, m->evidence[i].start));
        TRY(ds_avro_field(&item, "end", &f));
        TRY(avro_value_set_int(&f, m->evidence[i].end));
    }
    TRY(ds_avro_set_opt_string(val, "category", m->category));
    TRY(ds_avro_field(val, "out_of_catalog", &f));
    TRY(avro_value_set_boolean(&f, m->out_of_catalog));
    return 0;
}

/* ---- reading ---------------------------------------------------------- */

typedef struct rd {
    char *err;
    size_t errlen;
    int failed;
} rd;

static void rd_fail(rd *r, const char *what, const char *field)
{
    if (!r->failed)
        snprintf(r->err, r->errlen, "DealMention.%s: %s", field, what);
    r->failed = 1;
}

static void get_str(rd *r, avro_value_t *rec, const char *field, char *out, size_t cap)
{
    avro_value_t f, b;
    const char *s = NULL;
    size_t sz = 0;
    out[0] = '\0';
    if (ds_avro_field(rec, field, &f)) {
        rd_fail(r, "missing", field);
        return;
    }
    if (avro_value_get_type(&f) == AVRO_UNION) {
        int disc;
        if (avro_value_get_discriminant(&f, &disc) || avro_value_get_current_branch(&f, &b))
            return rd_fail(r, "bad union", field);
        if (disc == 0)
            return;
        f = b;
    }
    if (avro_value_get_string(&f, &s, &sz))
        return rd_fail(r, "not a string", field);
    if (ds_strlcpy(out, s, cap))
        rd_fail(r, "too long", field);
}

/* Reads an optional (["null", X]) or plain numeric field; *present is 0 for null. */
static int64_t get_num(rd *r, avro_value_t *rec, const char *field, int *present)
{
    avro_value_t f, b;
    *present = 0;
    if (ds_avro_field(rec, field, &f)) {
        rd_fail(r, "missing", field);
        return 0;
    }
    if (avro_value_get_type(&f) == AVRO_UNION) {
        int disc;
        if (avro_value_get_discriminant(&f, &disc) || avro_value_get_current_branch(&f, &b)) {
            rd_fail(r, "bad union", field);
            return 0;
        }
        if (disc == 0)
            return 0;
        f = b;
    }
    *present = 1;
    switch (avro_value_get_type(&f)) {
    case AVRO_INT32: { int32_t v = 0; avro_value_get_int(&f, &v); return v; }
    case AVRO_INT64: { int64_t v = 0; avro_value_get_long(&f, &v); return v; }
    case AVRO_ENUM: { int v = 0; avro_value_get_enum(&f, &v); return v; }
    case AVRO_BOOLEAN: { int v = 0; avro_value_get_boolean(&f, &v); return v; }
    default: rd_fail(r, "not a number", field); return 0;
    }
}

static size_t get_array(rd *r, avro_value_t *rec, const char *field, avro_value_t *arr)
{
    size_t n = 0;
    if (ds_avro_field(rec, field, arr) || avro_value_get_size(arr, &n)) {
        rd_fail(r, "missing", field);
        return 0;
    }
    return n;
}

static void get_value(rd *r, avro_value_t *rec, const char *field, ds_value *v)
{
    avro_value_t f, b, x;
    memset(v, 0, sizeof *v);
    v->usd = -1;
    int disc;
    if (ds_avro_field(rec, field, &f) || avro_value_get_discriminant(&f, &disc) ||
        avro_value_get_current_branch(&f, &b))
        return rd_fail(r, "missing", field);
    if (disc == 0)
        return;
    v->set = 1;
    if (ds_avro_field(&b, "amount", &x) || ds_decimal_get(&x, &v->amount))
        return rd_fail(r, "bad amount", field);
    get_str(r, &b, "currency", v->currency, sizeof v->currency);
    if (ds_avro_field(&b, "usd", &x) || avro_value_get_discriminant(&x, &disc))
        return rd_fail(r, "bad usd", field);
    if (disc == 1) {
        avro_value_t u;
        if (avro_value_get_current_branch(&x, &u) || ds_decimal_get(&u, &v->usd))
            return rd_fail(r, "bad usd", field);
    }
    get_str(r, &b, "covers", v->covers, sizeof v->covers);
    int p;
    v->combined = (int)get_num(r, &b, "combined", &p);
}

/* The source record of a mention into m->src. */
static void read_source(rd *r, avro_value_t *src, ds_mention *m)
{
    int p;
    m->src.kind = (ds_source_kind)get_num(r, src, "kind", &p);
    get_str(r, src, "id", m->src.id, sizeof m->src.id);
    get_str(r, src, "outlet", m->src.outlet, sizeof m->src.outlet);
    int64_t pub = get_num(r, src, "published", &p);
    m->src.published = p ? pub : DS_NO_TIME;
    get_str(r, src, "topic", m->src.topic, sizeof m->src.topic);
    m->src.partition = (int32_t)get_num(r, src, "partition", &p);
    m->src.offset = get_num(r, src, "offset", &p);
    m->src.text_hash = (uint64_t)get_num(r, src, "text_hash", &p);
}

/* What was bought from whom: parties, suppliers, system, quantities,
 * variants, extras and value, each list cut at its DS_MAX_*. */
static void read_what(rd *r, avro_value_t *val, ds_mention *m)
{
    avro_value_t arr, item;
    int p;
    get_str(r, val, "buyer", m->buyer, sizeof m->buyer);
    get_str(r, val, "seller", m->seller, sizeof m->seller);
    size_t n = get_array(r, val, "suppliers", &arr);
    for (size_t i = 0; i < n && m->nsuppliers < DS_MAX_SUPPLIERS; i++) {
        avro_value_get_by_index(&arr, i, &item, NULL);
        get_str(r, &item, "company", m->suppliers[m->nsuppliers].company, sizeof m->suppliers[0].company);
        m->suppliers[m->nsuppliers++].role = (ds_supplier_role)get_num(r, &item, "role", &p);
    }
    get_str(r, val, "system", m->system, sizeof m->system);
    get_str(r, val, "family", m->family, sizeof m->family);
    int64_t q = get_num(r, val, "quantity", &p);
    m->quantity = p ? q : -1;
    n = get_array(r, val, "variants", &arr);
    for (size_t i = 0; i < n && m->nvariants < DS_MAX_VARIANTS; i++) {
        avro_value_get_by_index(&arr, i, &item, NULL);
        get_str(r, &item, "system", m->variants[m->nvariants].system, sizeof m->variants[0].system);
        m->variants[m->nvariants++].quantity = get_num(r, &item, "quantity", &p);
    }
    n = get_array(r, val, "extras", &arr);
    for (size_t i = 0; i < n && m->nextras < DS_MAX_EXTRAS; i++) {
        avro_value_get_by_index(&arr, i, &item, NULL);
        get_str(r, &item, "what", m->extras[m->nextras].what, sizeof m->extras[0].what);
        m->extras[m->nextras++].quantity = get_num(r, &item, "quantity", &p);
    }
    get_value(r, val, "value", &m->value);
}

/* Where the deal stands and when: stage, status, batch, dates, delivery
 * years and place. */
static void read_when(rd *r, avro_value_t *val, ds_mention *m)
{
    avro_value_t arr, item;
    int p;
    m->stage = (ds_stage)get_num(r, val, "stage", &p);
    m->status = (ds_status)get_num(r, val, "status", &p);
    m->batch = (int)get_num(r, val, "batch", &p);
    int64_t d = get_num(r, val, "signing_date", &p);
    m->signing_date = p ? (int32_t)d : DS_NO_DATE;
    m->signing_year = (int)get_num(r, val, "signing_year", &p);
    d = get_num(r, val, "announce_date", &p);
    m->announce_date = p ? (int32_t)d : DS_NO_DATE;
    size_t n = get_array(r, val, "delivery_years", &arr);
    for (size_t i = 0; i < n && m->ndelivery_years < DS_MAX_DELIVERY_YEARS; i++) {
        int32_t y = 0;
        avro_value_get_by_index(&arr, i, &item, NULL);
        avro_value_get_int(&item, &y);
        m->delivery_years[m->ndelivery_years++] = y;
    }
    get_str(r, val, "place", m->place, sizeof m->place);
}

/* The relation hints and the evidence spans, each cut at its DS_MAX_*. */
static void read_relations_evidence(rd *r, avro_value_t *val, ds_mention *m)
{
    avro_value_t arr, item;
    int p;
    size_t n = get_array(r, val, "relations", &arr);
    for (size_t i = 0; i < n && m->nrels < DS_MAX_RELS; i++) {
        ds_relhint *h = &m->rels[m->nrels++];
        avro_value_get_by_index(&arr, i, &item, NULL);
        h->relation = (ds_relation)get_num(r, &item, "relation", &p);
        get_str(r, &item, "ref", h->ref, sizeof h->ref);
        h->year = (int)get_num(r, &item, "year", &p);
        int64_t q = get_num(r, &item, "quantity", &p);
        h->quantity = p ? q : -1;
        h->batch = (int)get_num(r, &item, "batch", &p);
    }
    n = get_array(r, val, "evidence", &arr);
    for (size_t i = 0; i < n && m->nevidence < DS_MAX_EVIDENCE; i++) {
        ds_evidence *e = &m->evidence[m->nevidence++];
        avro_value_get_by_index(&arr, i, &item, NULL);
        get_str(r, &item, "field", e->field, sizeof e->field);
        e->start = (int32_t)get_num(r, &item, "start", &p);
        e->end = (int32_t)get_num(r, &item, "end", &p);
    }
}

int ds_mention_from_avro(avro_value_t *val, ds_mention *m, char *err, size_t errlen)
{
    rd r = {err, errlen, 0};
    avro_value_t src;
    int p;
    ds_mention_init(m);
    get_str(&r, val, "mention_id", m->mention_id, sizeof m->mention_id);
    get_str(&r, val, "block_key", m->block_key, sizeof m->block_key);
    m->role = (ds_role)get_num(&r, val, "role", &p);
    if (ds_avro_field(val, "source", &src)) {
        rd_fail(&r, "missing", "source");
        return -1;
    }
    read_source(&r, &src, m);
    read_what(&r, val, m);
    read_when(&r, val, m);
    read_relations_evidence(&r, val, m);
    get_str(&r, val, "category", m->category, sizeof m->category);
    m->out_of_catalog = (int)get_num(&r, val, "out_of_catalog", &p);
    if (m->stage >= DS_STAGE__COUNT || m->status >= DS_STATUS__COUNT)
        rd_fail(&r, "out of range", "stage");
    return r.failed ? -1 : 0;
}
