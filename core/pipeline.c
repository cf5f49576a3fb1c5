/* pipeline.c: decode, validate, extract or normalise, resolve, encode: the
 * Kafka-free steps every command shares (see pipeline.h). May call common/,
 * schemas/, core/. */
#include "pipeline.h"

#include <stdio.h>
#include <string.h>

#include "mention_bin.h"
#include "util.h"


static void fail_set(ds_fail *fail, const char *stage, const char *cls, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#include <stdarg.h>
static void fail_set(ds_fail *fail, const char *stage, const char *cls, const char *fmt, ...)
{
    fail->stage = stage;
    fail->cls = cls;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(fail->msg, sizeof fail->msg, fmt, ap);
    va_end(ap);
    /* a message cut by its buffer still ends on a whole character (it goes out as a DLQ header) */
    fail->msg[ds_utf8_prefix(fail->msg, strlen(fail->msg), sizeof fail->msg - 1)] = '\0';
}

int ds_pipeline_init(ds_pipeline *pl, const char *catalog_dir, char *err, size_t errlen)
{
    ds_catalog *cat = ds_catalog_load(catalog_dir, err, errlen);
    if (!cat) {
        memset(pl, 0, sizeof *pl);
        return -1;
    }
    return ds_pipeline_init_catalog(pl, cat, err, errlen);
}

int ds_pipeline_init_catalog(ds_pipeline *pl, ds_catalog *cat, char *err, size_t errlen)
{
    memset(pl, 0, sizeof *pl);
    pl->max_body = DS_PIPELINE_MAX_BODY;
    pl->canon_max_sources = DS_CANON_MAX_SOURCES;
    pl->cat = cat;
    pl->codec = ds_codec_new(err, errlen);
    if (!pl->codec)
        goto err;
    pl->ex = ds_extractor_new(pl->cat);
    pl->rs = ds_resolver_new(pl->cat);
    if (!pl->ex || !pl->rs) {
        snprintf(err, errlen, "out of memory");
        goto err;
    }
    pl->deal_direct = ds_deal_event_schema_ok(ds_codec_schema(pl->codec, DS_SCHEMA_DEAL_EVENT));
    if (ds_codec_value_new(pl->codec, DS_SCHEMA_ARTICLE, &pl->article) ||
        ds_codec_value_new(pl->codec, DS_SCHEMA_DEAL_EVENT, &pl->deal) ||
        ds_codec_value_new(pl->codec, DS_SCHEMA_MENTION, &pl->mention)) {
        snprintf(err, errlen, "out of memory");
        goto err;
    }
    return 0;
err:
    ds_pipeline_fini(pl);
    return -1;
}

void ds_pipeline_fini(ds_pipeline *pl)
{
    if (pl->article.self)
        avro_value_decref(&pl->article);
    if (pl->deal.self)
        avro_value_decref(&pl->deal);
    if (pl->mention.self)
        avro_value_decref(&pl->mention);
    ds_buf_free(&pl->canon_buf);
    ds_resolver_destroy(pl->rs);
    ds_extractor_destroy(pl->ex);
    ds_codec_destroy(pl->codec);
    ds_catalog_destroy(pl->cat);
    memset(pl, 0, sizeof *pl);
}

static int decode_mention(ds_pipeline *pl, const void *data, size_t len, ds_mention *m, ds_fail *fail);

/* The failure of a time outside years 1 .. 9999. */
static void time_fail(ds_fail *fail, const char *what, const char *id, const char *field, int64_t v)
{
    fail_set(fail, "validate", "time-out-of-range", "%s %s: %s %lld is outside the years 1 .. 9999", what, id,
             field, (long long)v);
}

int ds_pipeline_extract(ds_pipeline *pl, const ds_article *a, const ds_mention **out, ds_fail *fail)
{
    char err[256];
    if (a->len > pl->max_body) {
        fail_set(fail, "validate", "body-too-big", "article %s: body of %zu bytes exceeds --max-body-bytes=%zu",
                 a->id, a->len, pl->max_body);
        return -1;
    }
    int n = ds_extract(pl->ex, a, out, err, sizeof err);
    if (n == -1) {
        fail_set(fail, "extract", "bad-utf8", "%s", err);
        return -1;
    }
    if (n < 0) {
        fail_set(fail, "extract", "out-of-memory", "article %s: out of memory", a->id);
        return -1;
    }
    return n;
}

static int article_mentions(ds_pipeline *pl, const ds_input *in, const ds_mention **out, ds_fail *fail)
{
    size_t idlen = 0, bodylen = 0;
    ds_article a = {0};
    a.id = ds_avro_field_string(&pl->article, "article_id", &idlen);
    a.body = ds_avro_field_string(&pl->article, "body", &bodylen);
    a.outlet = ds_avro_field_string(&pl->article, "outlet", NULL);
    a.title = ds_avro_field_string(&pl->article, "title", NULL);
    a.len = bodylen;
    if (!a.id || idlen == 0) {
        fail_set(fail, "validate", "missing-field", "article_id is empty");
        return -1;
    }
    if (idlen >= DS_ID_MAX) {
        fail_set(fail, "validate", "id-too-long", "article_id of %zu bytes is longer than %d (starts '%.40s')",
                 idlen, DS_ID_MAX - 1, a.id);
        return -1;
    }
    if (!a.body || bodylen == 0) {
        fail_set(fail, "validate", "missing-field", "article %s: empty body", a.id);
        return -1;
    }
    int64_t pub;
    a.published = ds_avro_field_long(&pl->article, "published", &pub) ? DS_NO_TIME : pub;
    if (a.published != DS_NO_TIME && !ds_ms_valid(a.published)) {
        time_fail(fail, "article", a.id, "published", a.published);
        return -1;
    }
    int n = ds_pipeline_extract(pl, &a, out, fail);
    if (n < 0)
        return -1;
    for (int i = 0; i < n; i++) {
        ds_mention *m = (ds_mention *)&(*out)[i];
        ds_strlcpy(m->src.topic, in->topic ? in->topic : "", sizeof m->src.topic);
        m->src.partition = in->partition;
        m->src.offset = in->offset;
    }
    return n;
}

/* Looks up a catalog entity by any of its names. */
static const ds_alias *find_alias(const ds_catalog *cat, const char *text, ds_ent_kind kind)
{
    char folded[128];
    size_t len = strlen(text);
    if (len >= sizeof folded)
        return NULL;
    long n = ds_fold(text, len, folded, sizeof folded, NULL, NULL);
    if (n <= 0)
        return NULL;
    const ds_alias *first;
    size_t cnt = ds_catalog_aliases(cat, folded, (size_t)n, &first);
    for (size_t i = 0; i < cnt; i++)
        if (first[i].kind == kind)
            return &first[i];
    return NULL;
}

/* Whether cur is a currency of the catalog: three uppercase letters with an
 * exchange rate (so "usd", "XYZ" and "XAU" are not). */
static int known_currency(ds_pipeline *pl, const char *cur)
{
    if (!cur || strlen(cur) != 3)
        return 0;
    for (int i = 0; i < 3; i++)
        if (cur[i] < 'A' || cur[i] > 'Z')
            return 0;
    /* the rates never change under a pipeline: the last currency found
     * needs no second search (a look-up with year 0 misses the hash) */
    if (memcmp(cur, pl->rate_currency, 4) == 0)
        return 1;
    if (ds_catalog_rate(pl->cat, cur, 0) <= 0)
        return 0;
    memcpy(pl->rate_currency, cur, 4);
    return 1;
}

/* Reads a DealEvent's optional value into m->value: a non-negative amount
 * in a currency of the catalog. Returns 0, or -1 with fail set. */
static int normalize_value(ds_pipeline *pl, const ds_deal_event *e, const char *id, ds_mention *m, ds_fail *fail)
{
    if (!e->has_value)
        return 0;
    const char *cur = e->currency;
    if (!e->amount_ok || !cur) {
        fail_set(fail, "normalize", "bad-value", "deal %s: value needs an amount and an ISO 4217 currency", id);
        return -1;
    }
    m->value.amount = e->amount;
    if (!known_currency(pl, cur)) {
        fail_set(fail, "normalize", "unknown-currency",
                 "deal %s: currency '%.16s' is not an uppercase ISO 4217 code with a rate in the catalog", id, cur);
        return -1;
    }
    if (m->value.amount < 0) {
        fail_set(fail, "normalize", "negative-amount", "deal %s: value amount is negative", id);
        return -1;
    }
    m->value.set = 1;
    ds_strlcpy(m->value.currency, cur, sizeof m->value.currency);
    return 0;
}

/* Normalisation of a deal event, step 1: its source (id, outlet, reported
 * time, topic position) into m->src. Returns 0, or -1 with fail set (an
 * empty or too long id, a reported time outside years 1..9999); *reported
 * is DS_NO_TIME when the event has none. */
static int normalize_source(const ds_deal_event *e, const ds_input *in, ds_mention *m, int64_t *reported,
                            ds_fail *fail)
{
    size_t idlen = e->source_id_len;
    const char *id = e->source_id;
    if (!id || idlen == 0) {
        fail_set(fail, "validate", "missing-field", "source_id is empty");
        return -1;
    }
    if (idlen >= DS_ID_MAX) {
        fail_set(fail, "validate", "id-too-long", "source_id of %zu bytes is longer than %d (starts '%.40s')",
                 idlen, DS_ID_MAX - 1, id);
        return -1;
    }
    m->src.kind = DS_SRC_DEAL_EVENT;
    ds_strlcpy(m->src.id, id, sizeof m->src.id);
    ds_strlcpy(m->src.outlet, e->source ? e->source : "", sizeof m->src.outlet);
    *reported = e->reported;
    if (*reported != DS_NO_TIME && !ds_ms_valid(*reported)) {
        time_fail(fail, "deal", id, "reported", *reported);
        return -1;
    }
    m->src.published = *reported;
    ds_strlcpy(m->src.topic, in && in->topic ? in->topic : "", sizeof m->src.topic);
    m->src.partition = in ? in->partition : -1;
    m->src.offset = in ? in->offset : -1;
    return 0;
}

/* Step 2: buyer, system (by id or alias), seller (the system's origin when
 * absent) and supplier, checked against the catalog. Returns 0, or -1 with
 * fail set (an unknown country or system). */
static int normalize_parties(const ds_catalog *cat, const ds_deal_event *e, const char *id, ds_mention *m,
                             ds_fail *fail)
{
    const char *buyer = e->buyer;
    if (!buyer || !ds_catalog_country(cat, buyer)) {
        fail_set(fail, "normalize", "unknown-country", "deal %s: buyer '%s' is not an ISO 3166 alpha-3 code of the catalog",
                 id, buyer ? buyer : "");
        return -1;
    }
    ds_strlcpy(m->buyer, buyer, sizeof m->buyer);
    const char *system = e->system;
    const ds_system *sys = system ? ds_catalog_system(cat, system) : NULL;
    if (!sys && system) {
        const ds_alias *al = find_alias(cat, system, DS_ENT_SYSTEM);
        if (al)
            sys = &cat->systems[al->index];
    }
    if (!sys) {
        fail_set(fail, "normalize", "unknown-system", "deal %s: system '%s' is not in the catalog", id,
                 system ? system : "");
        return -1;
    }
    ds_strlcpy(m->system, sys->id, sizeof m->system);
    ds_strlcpy(m->family, sys->family, sizeof m->family);
    const char *seller = e->seller;
    if (seller && !ds_catalog_country(cat, seller)) {
        fail_set(fail, "normalize", "unknown-country", "deal %s: seller '%s' is not in the catalog", id, seller);
        return -1;
    }
    ds_strlcpy(m->seller, seller ? seller : sys->origin, sizeof m->seller);
    const char *supplier = e->supplier;
    if (supplier) {
        const ds_company *co = ds_catalog_company(cat, supplier);
        if (!co) {
            const ds_alias *al = find_alias(cat, supplier, DS_ENT_COMPANY);
            co = al ? &cat->companies[al->index] : NULL;
        }
        if (co) {
            ds_strlcpy(m->suppliers[0].company, co->id, sizeof m->suppliers[0].company);
            m->suppliers[0].role = strcmp(co->country, m->buyer) == 0 ? DS_SUP_LOCAL_PRODUCER : DS_SUP_PRIME;
            m->nsuppliers = 1;
        }
    }
    return 0;
}

/* Step 3: quantity, value, stage, status, signing date, place and batch.
 * Returns 0, or -1 with fail set (a count that is not positive, a bad
 * value, a date outside years 1..9999). */
static int normalize_terms(ds_pipeline *pl, const ds_deal_event *e, const char *id, int64_t reported,
                           ds_mention *m, ds_fail *fail)
{
    int64_t v = e->quantity;
    if (e->has_quantity) {
        if (v <= 0) {
            fail_set(fail, "normalize", "bad-quantity", "deal %s: quantity %lld is not a positive count", id,
                     (long long)v);
            return -1;
        }
        m->quantity = v;
    }
    if (normalize_value(pl, e, id, m, fail))
        return -1;
    if (e->stage >= 0)
        m->stage = (ds_stage)e->stage;
    if (e->status >= 0)
        m->status = (ds_status)e->status;
    if (e->has_signing_date) {
        v = e->signing_date;
        if (!ds_days_valid(v)) {
            time_fail(fail, "deal", id, "signing_date", v);
            return -1;
        }
        int y, mo, d;
        m->signing_date = (int32_t)v;
        ds_civil_from_days(m->signing_date, &y, &mo, &d);
        m->signing_year = y;
    }
    if (reported != DS_NO_TIME)
        m->announce_date = (int32_t)(reported / 86400000);
    if (e->place)
        ds_strlcpy(m->place, e->place, sizeof m->place);
    if (e->has_batch && e->batch > 0 && e->batch < 100)
        m->batch = (int)e->batch;
    return 0;
}

/* Step 4: a parent_ref becomes a relation hint, its relation read from the
 * reference row's stage (or the event's, for an option). */
static void normalize_parent(const ds_catalog *cat, const ds_deal_event *e, ds_mention *m)
{
    const char *parent = e->parent_ref;
    if (parent && parent[0]) {
        const ds_refdeal *ref = ds_catalog_ref(cat, parent);
        ds_relhint *h = &m->rels[m->nrels++];
        h->relation = ref && ref->stage && strcmp(ref->stage, "framework") == 0 ? DS_REL_EXECUTES_FRAMEWORK
                      : ref && ref->stage && strcmp(ref->stage, "joint_venture") == 0 ? DS_REL_ENABLED_BY_JV
                      : m->stage == DS_STAGE_OPTION ? DS_REL_OPTION_EXERCISE : DS_REL_NEXT_BATCH;
        ds_strlcpy(h->ref, parent, sizeof h->ref);
        h->quantity = -1;
    }
}

/* Step 5: the value in USD at the rate of the signing year (else of the
 * year reported); -1 when the catalog has no rate. */
static void value_in_usd(const ds_catalog *cat, int64_t reported, ds_mention *m)
{
    if (m->value.set) {
        if (strcmp(m->value.currency, "USD") == 0) {
            m->value.usd = m->value.amount;
        } else {
            int year = m->signing_year;
            if (!year && reported != DS_NO_TIME) {
                int mo, d;
                ds_civil_from_days((int32_t)(reported / 86400000), &year, &mo, &d);
            }
            double rate = ds_catalog_rate(cat, m->value.currency, year);
            m->value.usd = rate > 0 ? (int64_t)((double)m->value.amount / rate + 0.5) : -1;
        }
    }
}

/* A deal event as a mention: source, parties, terms, parent, value in USD,
 * then its block key and id. Returns 0, or -1 with fail set. */
static int normalize_event(ds_pipeline *pl, const ds_deal_event *e, const ds_input *in, ds_mention *m, ds_fail *fail)
{
    const ds_catalog *cat = pl->cat;
    int64_t reported;
    ds_mention_init(m);
    if (normalize_source(e, in, m, &reported, fail))
        return -1;
    const char *id = m->src.id;
    if (normalize_parties(cat, e, id, m, fail) || normalize_terms(pl, e, id, reported, m, fail))
        return -1;
    normalize_parent(cat, e, m);
    value_in_usd(cat, reported, m);
    ds_mention_block_key(m);
    char idbuf[sizeof "deal|" + DS_ID_MAX];
    size_t idlen = strnlen(m->src.id, DS_ID_MAX - 1);
    memcpy(idbuf, "deal|", 5);
    memcpy(idbuf + 5, m->src.id, idlen); /* "deal|<id>" without snprintf's 650 instructions */
    ds_hex64(ds_hash64(idbuf, 5 + idlen, 0), m->mention_id);
    return 0;
}

int ds_pipeline_normalize(ds_pipeline *pl, avro_value_t *deal, const ds_input *in, ds_mention *m, ds_fail *fail)
{
    ds_deal_event_from_avro(deal, &pl->event);
    return normalize_event(pl, &pl->event, in, m, fail);
}

/* Reads a deal event of this version's schema (single-object, or Confluent
 * under the id the codec has for it) directly into e. Returns 0, or -1 for
 * bytes that are anything else, or that the direct reader refuses: the
 * generic decoder then resolves the one and classifies the error of the
 * other. */
static int deal_direct(ds_pipeline *pl, const void *data, size_t len, ds_deal_event *e)
{
    const unsigned char *b = data;
    unsigned char hdr[DS_FRAME_HEADER_MAX];
    size_t hlen;
    if (!pl->deal_direct || len == 0 || len > ds_codec_max_message(pl->codec) ||
        ds_codec_frame_header(pl->codec, DS_SCHEMA_DEAL_EVENT, b[0] == 0 ? DS_FRAME_CONFLUENT : DS_FRAME_SINGLE_OBJECT,
                              hdr, &hlen) ||
        len < hlen || memcmp(b, hdr, hlen) != 0)
        return -1;
    return ds_deal_event_read(b + hlen, len - hlen, e, NULL, 0);
}

int ds_pipeline_mentions(ds_pipeline *pl, const ds_input *in, const ds_mention **out, ds_fail *fail)
{
    char err[512];
    if (in->kind == DS_INPUT_DEAL && deal_direct(pl, in->data, in->len, &pl->event) == 0) {
        if (normalize_event(pl, &pl->event, in, &pl->norm, fail))
            return -1;
        *out = &pl->norm;
        return 1;
    }
    avro_value_t *val = in->kind == DS_INPUT_ARTICLE ? &pl->article : &pl->deal;
    ds_schema_id sid = in->kind == DS_INPUT_ARTICLE ? DS_SCHEMA_ARTICLE : DS_SCHEMA_DEAL_EVENT;
    int rc = ds_codec_decode(pl->codec, sid, in->data, in->len, val, err, sizeof err);
    if (rc) {
        fail_set(fail, "decode", ds_codec_strerror(rc), "%s", err);
        return -1;
    }
    if (in->kind == DS_INPUT_ARTICLE)
        return article_mentions(pl, in, out, fail);
    if (ds_pipeline_normalize(pl, val, in, &pl->norm, fail))
        return -1;
    *out = &pl->norm;
    return 1;
}

int ds_pipeline_encode_mention(ds_pipeline *pl, const ds_mention *m, ds_buf *out)
{
    unsigned char hdr[DS_FRAME_HEADER_MAX];
    size_t hlen, len = out->len;
    if (ds_codec_frame_header(pl->codec, DS_SCHEMA_MENTION, DS_FRAME_SINGLE_OBJECT, hdr, &hlen) ||
        ds_buf_append(out, hdr, hlen) || ds_mention_write(m, out)) {
        out->len = len;
        return -1;
    }
    return 0;
}

/* Whether a decoded mention's times lie in years 1 .. 9999 (the resolver
 * computes with them). Returns 0, or -1 with fail set. */
static int mention_times_valid(const ds_mention *m, ds_fail *fail)
{
    if (m->src.published != DS_NO_TIME && !ds_ms_valid(m->src.published)) {
        time_fail(fail, "mention", m->mention_id, "source.published", m->src.published);
        return -1;
    }
    if (m->signing_date != DS_NO_DATE && !ds_days_valid(m->signing_date)) {
        time_fail(fail, "mention", m->mention_id, "signing_date", m->signing_date);
        return -1;
    }
    if (m->announce_date != DS_NO_DATE && !ds_days_valid(m->announce_date)) {
        time_fail(fail, "mention", m->mention_id, "announce_date", m->announce_date);
        return -1;
    }
    if (m->signing_year != 0 && (m->signing_year < 1 || m->signing_year > 9999)) {
        time_fail(fail, "mention", m->mention_id, "signing_year", m->signing_year);
        return -1;
    }
    return 0;
}

int ds_pipeline_decode_mention(ds_pipeline *pl, const void *data, size_t len, ds_mention *m, ds_fail *fail)
{
    if (decode_mention(pl, data, len, m, fail))
        return -1;
    return mention_times_valid(m, fail);
}

/* ds_pipeline_decode_mention without the range checks. */
static int decode_mention(ds_pipeline *pl, const void *data, size_t len, ds_mention *m, ds_fail *fail)
{
    unsigned char hdr[DS_FRAME_HEADER_MAX];
    size_t hlen;
    /* this version's schema: read directly */
    if (ds_codec_frame_header(pl->codec, DS_SCHEMA_MENTION, DS_FRAME_SINGLE_OBJECT, hdr, &hlen) == 0 && len >= hlen &&
        memcmp(data, hdr, hlen) == 0 && ds_mention_read((const char *)data + hlen, len - hlen, m, NULL, 0) == 0)
        return 0;
    /* another writer schema, or bytes the direct reader refuses: the generic
     * decoder resolves the one and words the error of the other */
    int rc = ds_codec_decode(pl->codec, DS_SCHEMA_MENTION, data, len, &pl->mention, fail->msg, sizeof fail->msg);
    if (rc) {
        fail->stage = "decode";
        fail->cls = ds_codec_strerror(rc);
        return -1;
    }
    if (ds_mention_from_avro(&pl->mention, m, fail->msg, sizeof fail->msg)) {
        fail->stage = "validate";
        fail->cls = "invalid-mention";
        return -1;
    }
    return 0;
}

int ds_pipeline_resolve(ds_pipeline *pl, const ds_mention *m, ds_emit_fn emit, void *opaque, ds_fail *fail)
{
    return ds_pipeline_resolve_in(pl, pl->rs, m, emit, opaque, fail);
}

int ds_pipeline_resolve_in(ds_pipeline *pl, ds_resolver *rs, const ds_mention *m, ds_emit_fn emit, void *opaque,
                           ds_fail *fail)
{
    ds_changes ch = {0};
    int rc = ds_resolver_add(rs, m, &ch);
    if (rc == -2) {
        fail_set(fail, "resolve", "invalid-mention", "mention %s of %s: empty id or block key", m->mention_id,
                 m->src.id);
        return -1;
    }
    if (rc == -3) {
        fail_set(fail, "resolve", "block-full",
                 "mention %s of %s: block %s already holds the most mentions a block may "
                 "(--state-max-mentions-per-block)",
                 m->mention_id, m->src.id, m->block_key);
        return -1;
    }
    if (rc == DS_RESOLVE_CANCELLED) {
        fail_set(fail, "resolve", "cancelled", "resolving mention %s: cancelled (the resolver is discarded)",
                 m->mention_id);
        return -1;
    }
    if (rc < 0) {
        fail_set(fail, "resolve", "out-of-memory", "resolving mention %s: out of memory", m->mention_id);
        return -1;
    }
    return ds_pipeline_emit_changes(pl, &ch, emit, opaque, fail);
}

/* Encodes c after the frame header hdr into pl->canon_buf within pl's
 * bounds: its sources capped at canon_max_sources, the cap halved while
 * key and value exceed canon_max_bytes (so that a record lists the cap, or
 * half of it, or a quarter ..., or all sources when fewer). Returns 0, 1 (capped: noted in
 * pl), -1 (out of memory) or -2 (too big without any source). */
static int encode_bounded(ds_pipeline *pl, const ds_canon *c, const unsigned char *hdr, size_t hlen)
{
    ds_buf *out = &pl->canon_buf;
    size_t cap = pl->canon_max_sources ? pl->canon_max_sources : c->nsources;
    size_t fixed = hlen + strlen(c->deal_id);
    for (;;) {
        ds_buf_reset(out);
        int rc = ds_buf_append(out, hdr, hlen) ? -1 : ds_canon_write_capped(c, cap, out);
        if (rc < 0)
            return -1;
        if (!pl->canon_max_bytes || out->len - hlen + fixed <= pl->canon_max_bytes) {
            if (rc == 1) {
                pl->canon_truncated++;
                snprintf(pl->canon_trunc_note, sizeof pl->canon_trunc_note,
                         "deal %s: %zu sources, the earliest %zu listed (%zu bytes)", c->deal_id, c->nsources, cap,
                         out->len);
            }
            return rc;
        }
        if (cap == 0)
            return -2;
        cap /= 2;
    }
}

int ds_pipeline_emit_changes(ds_pipeline *pl, const ds_changes *changes, ds_emit_fn emit, void *opaque,
                             ds_fail *fail)
{
    const ds_changes ch = *changes;
    ds_buf *out = &pl->canon_buf;
    unsigned char hdr[DS_FRAME_HEADER_MAX];
    size_t hlen = 0;
    int no_header = ds_codec_frame_header(pl->codec, DS_SCHEMA_CANONICAL, pl->canon_framing, hdr, &hlen);
    for (size_t i = 0; i < ch.n; i++) {
        int rc = no_header ? -1 : encode_bounded(pl, ch.items[i], hdr, hlen);
        if (rc == -2) {
            fail_set(fail, "encode", "record-too-big",
                     "deal %s: its record exceeds %zu bytes even without sources", ch.items[i]->deal_id,
                     pl->canon_max_bytes);
            return -1;
        }
        if (rc < 0) {
            fail_set(fail, "encode", "encode-failed",
                     "deal %s: cannot be encoded (out of memory, or no registry id for the canonical schema)",
                     ch.items[i]->deal_id);
            return -1;
        }
        if (emit(opaque, ch.items[i]->deal_id, out->data, out->len)) {
            fail_set(fail, "produce", "produce-failed", "deal %s: could not be queued", ch.items[i]->deal_id);
            return -1;
        }
    }
    return (int)ch.n;
}

int ds_pipeline_mentions_json(ds_pipeline *pl, ds_input_kind kind, json_t *rec, const ds_input *in,
                              const ds_mention **out, ds_fail *fail)
{
    char err[512];
    avro_value_t *val = kind == DS_INPUT_ARTICLE ? &pl->article : &pl->deal;
    ds_schema_id sid = kind == DS_INPUT_ARTICLE ? DS_SCHEMA_ARTICLE : DS_SCHEMA_DEAL_EVENT;
    int rc = ds_codec_from_json(pl->codec, sid, rec, val, err, sizeof err);
    if (rc) {
        fail_set(fail, "decode", ds_codec_strerror(rc), "%s", err);
        return -1;
    }
    if (kind == DS_INPUT_ARTICLE)
        return article_mentions(pl, in, out, fail);
    if (ds_pipeline_normalize(pl, val, in, &pl->norm, fail))
        return -1;
    *out = &pl->norm;
    return 1;
}
