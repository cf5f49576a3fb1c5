/* resolve.c: dedup, merge and link of deal mentions (see resolve.h for the
 * rules). An add recomputes the block of the mention from its set of
 * mentions, in mention_id order, or (a big block, "incremental adds") the
 * part of it the mention can change, with the same result; nothing depends
 * on arrival order except revision numbers. */
#include "resolve.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "codec.h"
#include "mention_bin.h"
#include "util.h"

const char *const ds_via_names[DS_VIA__COUNT] = {"state", "context", "reference"};

#define DAY_MS 86400000LL
#define EXACT_DAYS 45      /* two known signing dates of one deal */
#define PLANNED_DAYS 30    /* a planned signing happens within this after the report */
#define REPORT_LAG_DAYS 45 /* a signing is reported within this after it happened */
/* see ds_simhash: copies differ in ~5 bits, unrelated texts in ~32 */
#define HAMMING_DUP 12

/* Stage classes: mentions of different classes are never one deal. */
enum { CLS_NONE, CLS_PRE, CLS_FRAMEWORK, CLS_CONTRACT, CLS_OPTION, CLS_JV };

/* What a stored mention is for, recomputed on every pass. */
/* K_UPDATE: a delivery, cancellation or amendment of a deal (see "Updates") */
enum { K_IGNORE, K_CONTEXT, K_UPDATE, K_STRONG, K_WEAK };

typedef struct rev {
    char id[17];
    char anchor[17]; /* mention_id whose cluster holds this id's deal */
    int retired;
    int unknown; /* restored from the changelog: retired or not is unknown */
    int hint;    /* restored: whether the record said it was retired (1, 0), -1 it did not say */
    int64_t revision;
    uint64_t hash;
    uint32_t chunk; /* changelog chunk holding it, 0: none yet (see "changelog state") */
    int64_t wrev;   /* revision and hash as that chunk was last written */
    uint64_t whash;
} rev;

/* One part of a block's changelog (key block_key#id): its items' estimated
 * encoded size, and whether it changed since it was last written. */
typedef struct chunk {
    uint32_t id;
    uint32_t items;
    size_t bytes;
    int dirty;
    int exp; /* holds expirable intents only (see expirable()) */
} chunk;

/* A live deal that matches a reference row: what other blocks' links read. */
typedef struct refdeal {
    char id[17];
    char ref[24];
} refdeal;

/* A live deal as the blocks of variant families read it (link_variants). */
typedef struct sibdeal {
    char id[17];
    int cls, batch;
    int32_t date;
} sibdeal;

typedef struct inc inc; /* a big block's index (see "incremental adds") */

typedef struct block {
    char key[64];
    unsigned char **ms; /* packed mentions (see pack_mention), sorted by mention_id */
    size_t nms, capms;
    refdeal *refd; /* live deals with a reference row, sorted by deal_id */
    size_t nrefd;
    sibdeal *sib;  /* every live deal, sorted by deal_id, for variant families' blocks */
    size_t nsib;
    int sib_read;  /* a block of a variant family reads sib: keep it whole */
    size_t nrefms; /* of its mentions, the reference rows' (not state: see insert_refs) */
    int wants_variant; /* a deal of ours looks for a parent in a variant family's block */
    size_t ndeals; /* live deals */
    ds_canon **deals; /* their records, sorted by deal_id, or NULL (see cache_keep) */
    int cached;       /* listed in rs->cachedb */
    rev *revs; /* sorted by id */
    size_t nrevs, caprevs;
    struct block **deps; /* blocks whose links read our deals */
    size_t ndeps, capdeps;
    uint64_t refsig;
    int restored; /* awaiting ds_resolver_restore_finish */
    inc *ic;      /* NULL until the block holds rs->inc_min mentions */
    uint32_t *mch; /* changelog chunk of each mention, parallel to ms */
    size_t capmch;
    chunk *ch; /* its changelog chunks, sorted by id; the last is the open one */
    size_t nch, capch;
    int legacy;      /* restored from a whole-block record (chunk 0) not yet replaced */
    int64_t newest;  /* newest publication time of its mentions, INT64_MIN none */
    int64_t exp_min; /* oldest publication of an expirable intent held, INT64_MAX none */
    size_t exp_new;  /* expirable intents stored since the last sweep */
} block;

struct ds_resolver {
    const ds_catalog *cat;
    ds_cancel_fn cancel;  /* asked between the steps of a recompute, or NULL */
    void *cancel_opaque;
    int cancelled;        /* an add was cancelled: only destroy may follow */
    block **tab; /* open addressing, linear probing */
    size_t tabcap, nblocks;
    size_t nmentions;
    ds_canon **out; /* changes of the current add */
    size_t nout, capout;
    ds_canon **retired; /* retired records of the current add (owned) */
    size_t nretired, capretired;
    ds_canon **kept; /* published records of the current add (owned) */
    size_t nkept, capkept;
    const ds_canon **all; /* ds_resolver_deals scratch */
    block **cachedb;      /* blocks whose deals are cached */
    size_t ncachedb, capcachedb;
    ds_deal_rev *revout;  /* ds_resolver_block_state scratch, kept between calls */
    ds_mention *msout;
    const ds_mention **msptr;
    size_t mscap, revcap;
    int cross_block;      /* links may name deals of other blocks */
    ds_buf pack;          /* pack_mention scratch */
    /* seen-article fingerprints (see fp_*) */
    struct fpent *fp;
    size_t fpcap, nfp;
    int64_t retention;    /* minutes, 0 = keep forever */
    int64_t newest;       /* newest event time seen, minutes; INT64_MIN none */
    int64_t swept;        /* newest at the last sweep */
    size_t packed;        /* bytes of packed mentions held */
    size_t inc_min;       /* blocks this big are indexed (0: never) */
    size_t inc_adds;      /* adds done through an index */
    size_t ext_adds;      /* of those, adds that extended a kept record (inc_extend) */
    size_t max_per_block; /* a block's cap of mentions, 0 none */
    size_t chunk_bytes;   /* target size of a changelog chunk */
    size_t expired;       /* mentions expired (see "Expiry") */
    struct ibase **deadb; /* kept records dropped during this add (see ibase_drop) */
    size_t ndeadb, capdeadb;
    ds_state_chunk *dch;  /* ds_resolver_chunks_dirty scratch */
    size_t capdch;
    size_t nrefms;        /* reference rows' mentions held, among nmentions */
    /* reference rows materialised as deals (ds_resolver_set_references) */
    int refs_on;
    int (*ref_owns)(const char *block_key, void *arg); /* NULL: every row */
    void *ref_arg;
};

/* recompute() flags */
#define RC_CASCADE 1 /* recompute the blocks that read ours when our refs change */
#define RC_QUIET 2   /* install deals only: no revisions, no output */
#define RC_VIEW 4    /* change nothing: append the deals to rs->all */

/* Per-mention facts of one recompute. */
typedef struct minfo {
    const ds_mention *m;
    const char *id;      /* its mention_id */
    int kind, cls;
    int batch, combined; /* of the mention, for compatible() */
    int64_t qty;
    int has_t, exact;
    int32_t lo, hi;     /* signing window in days when has_t */
    int64_t usd;        /* value in USD cents, -1 unknown */
    int64_t pub;        /* published, INT64_MAX when unknown (sorts last) */
    const char *dup_of; /* source id this mention's source repeats, or NULL */
    int cluster;        /* index into the cluster table, -1 none */
    int src_no;         /* equal for equal source ids within one recompute */
    int isref;          /* a reference row's mention (source kind reference) */
    int attached;       /* an update attached to a deal of the block (attach_updates), or left
                         * pending by infer_orphans */
} minfo;

typedef struct cluster {
    int *mem; /* member indexes into minfo (ascending) */
    size_t nmem;
    int *del; /* attached delivery mentions */
    size_t ndel, capdel;
    int anchor;
    char id[17];
    /* summary, used to attach deliveries */
    int cls, anysigned, batch, year;
    int32_t date;
    int64_t qty;
    ds_canon *c;
    int kept;     /* c now belongs to the block's cache */
    int inferred; /* a deal known only by its updates (see infer_orphans) */
} cluster;

/* Context of one block recompute. */
typedef struct rctx {
    ds_resolver *rs;
    block *b;
    minfo *mi;
    size_t n;
    cluster *cl;
    size_t ncl;
    struct lidx *ix; /* what the links look up (see lidx_build), set by build_deals */
} rctx;

/* ---- small helpers ---------------------------------------------------- */

static int32_t day_of(int64_t ms)
{
    int64_t d = ms >= 0 ? ms / DAY_MS : -((-ms + DAY_MS - 1) / DAY_MS);
    return (int32_t)d;
}

static int year_of(int32_t days)
{
    int y, mo, d;
    ds_civil_from_days(days, &y, &mo, &d);
    return y;
}

static int stage_class(ds_stage s)
{
    switch (s) {
    case DS_STAGE_SELECTION:
    case DS_STAGE_APPROVAL: return CLS_PRE;
    case DS_STAGE_FRAMEWORK: return CLS_FRAMEWORK;
    case DS_STAGE_LOA:
    case DS_STAGE_EXECUTIVE: return CLS_CONTRACT;
    case DS_STAGE_OPTION: return CLS_OPTION;
    case DS_STAGE_JOINT_VENTURE: return CLS_JV;
    default: return CLS_NONE;
    }
}

static int ref_class(const char *stage)
{
    if (!stage)
        return CLS_NONE;
    if (strcmp(stage, "framework") == 0)
        return CLS_FRAMEWORK;
    if (strcmp(stage, "executive") == 0)
        return CLS_CONTRACT;
    if (strcmp(stage, "option") == 0)
        return CLS_OPTION;
    if (strcmp(stage, "joint_venture") == 0)
        return CLS_JV;
    return CLS_NONE;
}

static int64_t iabs64(int64_t v) { return v < 0 ? -v : v; }

/* |a - b| <= frac * max(a, b), for non-negative a and b. */
static int within(int64_t a, int64_t b, double frac)
{
    int64_t mx = a > b ? a : b;
    return (double)iabs64(a - b) <= frac * (double)mx;
}

/* Rank of status s, least advanced first: planned < approved < signed <
 * delivered, and cancelled above all (a cancellation ends the deal). */
static int status_rank(ds_status s)
{
    static const int rank[DS_STATUS__COUNT] = {[DS_STATUS_PLANNED] = 0, [DS_STATUS_APPROVED] = 1,
                                               [DS_STATUS_SIGNED] = 2, [DS_STATUS_DELIVERED] = 3,
                                               [DS_STATUS_CANCELLED] = 4};
    return (unsigned)s < DS_STATUS__COUNT ? rank[s] : 0;
}

static int mention_year(const ds_mention *m)
{
    if (m->signing_date != DS_NO_DATE)
        return year_of(m->signing_date);
    if (m->signing_year > 0)
        return m->signing_year;
    if (m->src.published != DS_NO_TIME)
        return year_of(day_of(m->src.published));
    return 0;
}

/* The value in USD cents: as reported, or converted at the year's rate. */
static int64_t value_usd(const ds_catalog *cat, const ds_value *v, int year)
{
    if (!v->set)
        return -1;
    if (v->usd >= 0)
        return v->usd;
    if (strcmp(v->currency, "USD") == 0)
        return v->amount;
    double rate = ds_catalog_rate(cat, v->currency, year);
    if (rate <= 0)
        return -1;
    return (int64_t)llround((double)v->amount / rate);
}

/* Fills the signing window of a mention (see resolve.h). */
static void mention_window(minfo *x)
{
    const ds_mention *m = x->m;
    x->has_t = 1;
    x->exact = 0;
    if (m->signing_date != DS_NO_DATE) {
        x->lo = x->hi = m->signing_date;
        x->exact = 1;
    } else if (m->signing_year > 0) {
        x->lo = ds_days_from_civil(m->signing_year, 1, 1);
        x->hi = ds_days_from_civil(m->signing_year, 12, 31);
    } else if (m->status == DS_STATUS_PLANNED &&
               (m->announce_date != DS_NO_DATE || m->src.published != DS_NO_TIME)) {
        x->lo = m->announce_date != DS_NO_DATE ? m->announce_date : day_of(m->src.published);
        x->hi = x->lo + PLANNED_DAYS;
    } else if (m->src.published != DS_NO_TIME) {
        x->hi = day_of(m->src.published);
        x->lo = x->hi - REPORT_LAG_DAYS;
    } else {
        x->has_t = 0;
    }
}

static int time_compatible(const minfo *a, const minfo *b)
{
    if (!a->has_t || !b->has_t)
        return 1;
    if (a->exact && b->exact)
        return iabs64((int64_t)a->lo - b->lo) <= EXACT_DAYS;
    return a->lo <= b->hi && b->lo <= a->hi;
}

/* Pairwise compatibility of two deal-forming mentions of one block. */
static int compatible(const minfo *a, const minfo *b)
{
    if (a->cls != b->cls || (a->isref && b->isref)) /* two rows are two deals */
        return 0;
    if (a->batch > 0 && b->batch > 0 && a->batch != b->batch)
        return 0;
    if (a->qty >= 0 && b->qty >= 0 && a->qty != b->qty && !(a->cls == CLS_FRAMEWORK && within(a->qty, b->qty, 0.05)))
        return 0;
    if (a->usd >= 0 && b->usd >= 0 && !a->combined && !b->combined && !within(a->usd, b->usd, 0.10))
        return 0;
    return time_compatible(a, b);
}

/* A branch-free bit count: the syndicated-copy test runs it for every pair
 * of a block's mentions, where a loop over set bits took half the
 * resolver's time. Not __builtin_popcountll: without -mpopcnt (Debian's
 * baseline) that is a call into libgcc's table-driven __popcountdi2, 15% of
 * the CPU on articles. */
static int popcount64(uint64_t v)
{
    v = v - ((v >> 1) & 0x5555555555555555ULL);
    v = (v & 0x3333333333333333ULL) + ((v >> 2) & 0x3333333333333333ULL);
    v = (v + (v >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
    return (int)((v * 0x0101010101010101ULL) >> 56);
}

/* Source order: published (unknown last), then source id. */
static int src_cmp(const minfo *a, const minfo *b)
{
    if (a->pub != b->pub)
        return a->pub < b->pub ? -1 : 1;
    return strcmp(a->m->src.id, b->m->src.id);
}

/* ---- packed mentions -------------------------------------------------- */

/* A stored mention is a variable-length byte record: mention_id as a
 * NUL-terminated string first (so the record compares with strcmp), then
 * every field of ds_mention except block_key (the block's own key) in a fixed
 * order: integers as (zigzag) LEB128 varints, text_hash as 8 raw bytes,
 * strings as a varint length and their bytes, arrays as a count and only
 * their used entries. unpack_mention(pack_mention(m)) == m for every field the
 * resolver and the changelog read. */

static int put_uv(ds_buf *b, uint64_t v)
{
    unsigned char t[10];
    size_t n = 0;
    while (v >= 0x80) {
        t[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    t[n++] = (unsigned char)v;
    return ds_buf_append(b, t, n);
}

static int put_sv(ds_buf *b, int64_t v) { return put_uv(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63)); }

static int put_str(ds_buf *b, const char *s, size_t cap)
{
    size_t n = strnlen(s, cap - 1);
    return put_uv(b, n) | ds_buf_append(b, s, n);
}

#define PUT_STR(b, field) put_str(b, field, sizeof(field))

static uint64_t get_uv(const unsigned char **p)
{
    uint64_t v = 0;
    int shift = 0;
    while (**p & 0x80) {
        v |= (uint64_t)(**p & 0x7f) << shift;
        shift += 7;
        (*p)++;
    }
    v |= (uint64_t)**p << shift;
    (*p)++;
    return v;
}

static int64_t get_sv(const unsigned char **p)
{
    uint64_t u = get_uv(p);
    return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

static void get_str(const unsigned char **p, char *dst, size_t cap)
{
    size_t n = (size_t)get_uv(p);
    memcpy(dst, *p, n < cap ? n : cap - 1);
    dst[n < cap ? n : cap - 1] = '\0';
    *p += n;
}

#define GET_STR(p, field) get_str(p, field, sizeof(field))

static int clamp_count(int n, int max) { return n < 0 ? 0 : n > max ? max : n; }

/* Packs m into a new malloc'd record, or NULL when out of memory. */
static unsigned char *pack_mention(ds_buf *b, const ds_mention *m)
{
    int e = 0;
    ds_buf_reset(b);
    size_t idlen = strnlen(m->mention_id, sizeof m->mention_id - 1);
    e |= ds_buf_append(b, m->mention_id, idlen);
    e |= ds_buf_putc(b, '\0');
    e |= put_sv(b, m->role);
    e |= put_sv(b, m->src.kind);
    e |= PUT_STR(b, m->src.id);
    e |= PUT_STR(b, m->src.outlet);
    e |= put_sv(b, m->src.published);
    e |= PUT_STR(b, m->src.topic);
    e |= put_sv(b, m->src.partition);
    e |= put_sv(b, m->src.offset);
    e |= ds_buf_append(b, &m->src.text_hash, sizeof m->src.text_hash);
    e |= PUT_STR(b, m->buyer);
    e |= PUT_STR(b, m->seller);
    int n = clamp_count(m->nsuppliers, DS_MAX_SUPPLIERS);
    e |= put_uv(b, (uint64_t)n);
    for (int i = 0; i < n; i++) {
        e |= PUT_STR(b, m->suppliers[i].company);
        e |= put_sv(b, m->suppliers[i].role);
    }
    e |= PUT_STR(b, m->system);
    e |= PUT_STR(b, m->family);
    e |= PUT_STR(b, m->category);
    e |= put_sv(b, m->out_of_catalog);
    e |= put_sv(b, m->quantity);
    n = clamp_count(m->nvariants, DS_MAX_VARIANTS);
    e |= put_uv(b, (uint64_t)n);
    for (int i = 0; i < n; i++) {
        e |= PUT_STR(b, m->variants[i].system);
        e |= put_sv(b, m->variants[i].quantity);
    }
    n = clamp_count(m->nextras, DS_MAX_EXTRAS);
    e |= put_uv(b, (uint64_t)n);
    for (int i = 0; i < n; i++) {
        e |= PUT_STR(b, m->extras[i].what);
        e |= put_sv(b, m->extras[i].quantity);
    }
    e |= put_sv(b, m->value.set);
    e |= put_sv(b, m->value.amount);
    e |= PUT_STR(b, m->value.currency);
    e |= put_sv(b, m->value.usd);
    e |= PUT_STR(b, m->value.covers);
    e |= put_sv(b, m->value.combined);
    e |= put_sv(b, m->stage);
    e |= put_sv(b, m->status);
    e |= put_sv(b, m->batch);
    e |= put_sv(b, m->signing_date);
    e |= put_sv(b, m->signing_year);
    e |= put_sv(b, m->announce_date);
    n = clamp_count(m->ndelivery_years, DS_MAX_DELIVERY_YEARS);
    e |= put_uv(b, (uint64_t)n);
    for (int i = 0; i < n; i++)
        e |= put_sv(b, m->delivery_years[i]);
    e |= PUT_STR(b, m->place);
    n = clamp_count(m->nrels, DS_MAX_RELS);
    e |= put_uv(b, (uint64_t)n);
    for (int i = 0; i < n; i++) {
        const ds_relhint *h = &m->rels[i];
        e |= put_sv(b, h->relation);
        e |= PUT_STR(b, h->ref);
        e |= put_sv(b, h->year);
        e |= put_sv(b, h->quantity);
        e |= put_sv(b, h->batch);
    }
    n = clamp_count(m->nevidence, DS_MAX_EVIDENCE);
    e |= put_uv(b, (uint64_t)n);
    for (int i = 0; i < n; i++) {
        e |= PUT_STR(b, m->evidence[i].field);
        e |= put_sv(b, m->evidence[i].start);
        e |= put_sv(b, m->evidence[i].end);
    }
    if (e)
        return NULL;
    unsigned char *p = malloc(b->len);
    if (p)
        memcpy(p, b->data, b->len);
    return p;
}

/* Fills m from a record of pack_mention; block_key is the block's. Returns
 * the end of the record. */
static const unsigned char *unpack_mention(const unsigned char *p, const char *block_key, ds_mention *m)
{
    ds_mention_init(m);
    ds_strlcpy(m->mention_id, (const char *)p, sizeof m->mention_id);
    p += strlen((const char *)p) + 1;
    ds_strlcpy(m->block_key, block_key, sizeof m->block_key);
    m->role = (ds_role)get_sv(&p);
    m->src.kind = (ds_source_kind)get_sv(&p);
    GET_STR(&p, m->src.id);
    GET_STR(&p, m->src.outlet);
    m->src.published = get_sv(&p);
    GET_STR(&p, m->src.topic);
    m->src.partition = (int32_t)get_sv(&p);
    m->src.offset = get_sv(&p);
    memcpy(&m->src.text_hash, p, sizeof m->src.text_hash);
    p += sizeof m->src.text_hash;
    GET_STR(&p, m->buyer);
    GET_STR(&p, m->seller);
    m->nsuppliers = (int)get_uv(&p);
    for (int i = 0; i < m->nsuppliers; i++) {
        GET_STR(&p, m->suppliers[i].company);
        m->suppliers[i].role = (ds_supplier_role)get_sv(&p);
    }
    GET_STR(&p, m->system);
    GET_STR(&p, m->family);
    GET_STR(&p, m->category);
    m->out_of_catalog = (int)get_sv(&p);
    m->quantity = get_sv(&p);
    m->nvariants = (int)get_uv(&p);
    for (int i = 0; i < m->nvariants; i++) {
        GET_STR(&p, m->variants[i].system);
        m->variants[i].quantity = get_sv(&p);
    }
    m->nextras = (int)get_uv(&p);
    for (int i = 0; i < m->nextras; i++) {
        GET_STR(&p, m->extras[i].what);
        m->extras[i].quantity = get_sv(&p);
    }
    m->value.set = (int)get_sv(&p);
    m->value.amount = get_sv(&p);
    GET_STR(&p, m->value.currency);
    m->value.usd = get_sv(&p);
    GET_STR(&p, m->value.covers);
    m->value.combined = (int)get_sv(&p);
    m->stage = (ds_stage)get_sv(&p);
    m->status = (ds_status)get_sv(&p);
    m->batch = (int)get_sv(&p);
    m->signing_date = (int32_t)get_sv(&p);
    m->signing_year = (int)get_sv(&p);
    m->announce_date = (int32_t)get_sv(&p);
    m->ndelivery_years = (int)get_uv(&p);
    for (int i = 0; i < m->ndelivery_years; i++)
        m->delivery_years[i] = (int)get_sv(&p);
    GET_STR(&p, m->place);
    m->nrels = (int)get_uv(&p);
    for (int i = 0; i < m->nrels; i++) {
        ds_relhint *h = &m->rels[i];
        h->relation = (ds_relation)get_sv(&p);
        GET_STR(&p, h->ref);
        h->year = (int)get_sv(&p);
        h->quantity = get_sv(&p);
        h->batch = (int)get_sv(&p);
    }
    m->nevidence = (int)get_uv(&p);
    for (int i = 0; i < m->nevidence; i++) {
        GET_STR(&p, m->evidence[i].field);
        m->evidence[i].start = (int32_t)get_sv(&p);
        m->evidence[i].end = (int32_t)get_sv(&p);
    }
    return p;
}

static size_t packed_len(const unsigned char *p)
{
    ds_mention m;
    return (size_t)(unpack_mention(p, "", &m) - p);
}

/* ---- seen-article fingerprints ---------------------------------------- */

/* One source's text fingerprint: open addressing with linear probing keyed by
 * (text hash, source id hash); text == 0 marks an empty slot (0 is the
 * "unknown" fingerprint and never stored). 16 bytes. */
typedef struct fpent {
    uint64_t text;
    uint32_t src;    /* low half of the source id's hash */
    int32_t minute;  /* event time (published), minutes since the epoch */
} fpent;

#define MINUTE_MS 60000LL

/* Floor of ms / MINUTE_MS, for any ms (no negation: -INT64_MIN overflows). */
static int64_t minute_of(int64_t ms)
{
    int64_t q = ms / MINUTE_MS;
    return ms % MINUTE_MS < 0 ? q - 1 : q;
}

static size_t fp_slot(const ds_resolver *rs, uint64_t text, uint32_t src)
{
    uint64_t h = (text ^ ((uint64_t)src * 0x9e3779b97f4a7c15ULL)) * 0xff51afd7ed558ccdULL;
    return (size_t)(h >> 17) & (rs->fpcap - 1);
}

/* Removes slot i, shifting the rest of its probe run back (no tombstones). */
static void fp_delete(ds_resolver *rs, size_t i)
{
    size_t mask = rs->fpcap - 1, j = i;
    rs->fp[i].text = 0;
    rs->nfp--;
    for (;;) {
        j = (j + 1) & mask;
        if (!rs->fp[j].text)
            return;
        size_t home = fp_slot(rs, rs->fp[j].text, rs->fp[j].src);
        /* move j back to i unless its home lies cyclically in (i, j] */
        if ((i <= j) ? (i < home && home <= j) : (i < home || home <= j))
            continue;
        rs->fp[i] = rs->fp[j];
        rs->fp[j].text = 0;
        i = j;
    }
}

/* Drops the fingerprints older than newest - retention. */
static void fp_sweep(ds_resolver *rs)
{
    rs->swept = rs->newest;
    if (!rs->retention || !rs->nfp || rs->newest == INT64_MIN)
        return;
    int64_t cutoff = rs->newest - rs->retention;
    size_t mask = rs->fpcap - 1, start = 0;
    while (rs->fp[start].text) /* begin after an empty slot: no run wraps past it */
        start++;
    for (size_t k = 1; k <= rs->fpcap; k++) {
        size_t i = (start + k) & mask;
        while (rs->fp[i].text && rs->fp[i].minute < cutoff)
            fp_delete(rs, i); /* refills i from later in its run */
    }
}

static int fp_grow(ds_resolver *rs)
{
    size_t cap = rs->fpcap ? rs->fpcap * 2 : 1024;
    fpent *old = rs->fp;
    size_t oldcap = rs->fpcap;
    fpent *fp = calloc(cap, sizeof *fp);
    if (!fp)
        return -1;
    rs->fp = fp;
    rs->fpcap = cap;
    for (size_t j = 0; j < oldcap; j++) {
        if (!old[j].text)
            continue;
        size_t i = fp_slot(rs, old[j].text, old[j].src);
        while (fp[i].text)
            i = (i + 1) & (cap - 1);
        fp[i] = old[j];
    }
    free(old);
    return 0;
}

/* Records the fingerprint of m's source and advances the clock; sweeps
 * expired entries when the clock moved on by an eighth of the retention (at
 * least a day) or before the table would grow. Returns 0 or -1 when out of
 * memory (the fingerprint is then not recorded). */
static int fp_note(ds_resolver *rs, const char *src_id, uint64_t text, int64_t published)
{
    if (published != DS_NO_TIME) {
        int64_t t = minute_of(published);
        if (t > rs->newest)
            rs->newest = t;
    }
    int64_t step = rs->retention / 8 > 1440 ? rs->retention / 8 : 1440;
    if (rs->retention && rs->newest != INT64_MIN && (rs->swept == INT64_MIN || rs->newest - rs->swept >= step))
        fp_sweep(rs);
    if (!text)
        return 0;
    int64_t t = published != DS_NO_TIME ? minute_of(published) : rs->newest;
    if (t == INT64_MIN)
        t = 0;
    if (rs->retention && rs->newest != INT64_MIN && t < rs->newest - rs->retention)
        return 0; /* already past retention (no newest time yet: nothing is) */
    if (t > INT32_MAX)
        t = INT32_MAX;
    if (t < INT32_MIN)
        t = INT32_MIN;
    uint32_t src = (uint32_t)ds_hash64(src_id, strlen(src_id), 0x5bd1e995);
    if ((rs->nfp + 1) * 4 > rs->fpcap * 3) {
        fp_sweep(rs);
        if ((rs->nfp + 1) * 4 > rs->fpcap * 3 && fp_grow(rs) != 0)
            return -1;
    }
    size_t i = fp_slot(rs, text, src);
    while (rs->fp[i].text) {
        if (rs->fp[i].text == text && rs->fp[i].src == src) {
            if (t > rs->fp[i].minute)
                rs->fp[i].minute = (int32_t)t;
            return 0;
        }
        i = (i + 1) & (rs->fpcap - 1);
    }
    rs->fp[i].text = text;
    rs->fp[i].src = src;
    rs->fp[i].minute = (int32_t)t;
    rs->nfp++;
    return 0;
}

/* ---- blocks ----------------------------------------------------------- */

static uint64_t key_hash(const char *key) { return ds_hash64(key, strlen(key), 0x9e3779b97f4a7c15ULL); }

static block *block_find(ds_resolver *rs, const char *key)
{
    if (!rs->tabcap)
        return NULL;
    size_t i = key_hash(key) & (rs->tabcap - 1);
    while (rs->tab[i]) {
        if (strcmp(rs->tab[i]->key, key) == 0)
            return rs->tab[i];
        i = (i + 1) & (rs->tabcap - 1);
    }
    return NULL;
}

static int tab_grow(ds_resolver *rs)
{
    size_t cap = rs->tabcap ? rs->tabcap * 2 : 64;
    block **tab = calloc(cap, sizeof *tab);
    if (!tab)
        return -1;
    for (size_t j = 0; j < rs->tabcap; j++) {
        block *b = rs->tab[j];
        if (!b)
            continue;
        size_t i = key_hash(b->key) & (cap - 1);
        while (tab[i])
            i = (i + 1) & (cap - 1);
        tab[i] = b;
    }
    free(rs->tab);
    rs->tab = tab;
    rs->tabcap = cap;
    return 0;
}

static int add_dep(block *parent, block *child);
static int variant_blocks(const ds_catalog *cat, const char *key1, const char *key2);

static block *block_get(ds_resolver *rs, const char *key)
{
    block *b = block_find(rs, key);
    if (b)
        return b;
    if ((rs->nblocks + 1) * 4 > rs->tabcap * 3 && tab_grow(rs) != 0)
        return NULL;
    b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    ds_strlcpy(b->key, key, sizeof b->key);
    b->newest = INT64_MIN;
    b->exp_min = INT64_MAX;
    size_t i = key_hash(key) & (rs->tabcap - 1);
    while (rs->tab[i])
        i = (i + 1) & (rs->tabcap - 1);
    rs->tab[i] = b;
    rs->nblocks++;
    /* blocks whose deals look for a parent in a variant family read ours */
    for (size_t t = 0; rs->cross_block && t < rs->tabcap; t++) {
        block *o = rs->tab[t];
        if (o && o != b && o->wants_variant && variant_blocks(rs->cat, o->key, b->key)) {
            if (add_dep(b, o) != 0)
                return NULL;
            b->sib_read = 1;
        }
    }
    return b;
}

static void canon_free(ds_canon *c)
{
    if (!c)
        return;
    free(c->suppliers);
    free(c->variants);
    free(c->extras);
    for (size_t i = 0; i < c->nclaims; i++)
        free(c->claims[i].sources);
    free(c->claims);
    free(c->delivery_years);
    free(c->sources);
    free(c->links);
    free(c->evidence);
    free(c->strings);
    free(c);
}

static void inc_free(inc *ic);
static void ibase_drop_all(inc *ic);
struct rctx;
static int ibase_keep_all(const struct rctx *x, inc *ic);
static int inc_note_refs(block *b, const struct rctx *x);

static void block_free(block *b)
{
    inc_free(b->ic);
    for (size_t i = 0; i < b->nms; i++)
        free(b->ms[i]);
    free(b->ms);
    free(b->refd);
    free(b->sib);
    for (size_t i = 0; b->deals && i < b->ndeals; i++)
        canon_free(b->deals[i]);
    free(b->deals);
    free(b->revs);
    free(b->deps);
    free(b->mch);
    free(b->ch);
    free(b);
}

static int add_dep(block *parent, block *child)
{
    if (parent == child)
        return 0;
    for (size_t i = 0; i < parent->ndeps; i++)
        if (parent->deps[i] == child)
            return 0;
    if (ds_reserve(&parent->deps, &parent->capdeps, parent->ndeps + 1, sizeof *parent->deps, 4))
        return -1;
    parent->deps[parent->ndeps++] = child;
    return 0;
}

/* Index of the rev entry of id, or where it would go (*found = 0). */
static size_t rev_find(const block *b, const char *id, int *found)
{
    size_t lo = 0, hi = b->nrevs;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(b->revs[mid].id, id);
        if (c == 0) {
            *found = 1;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = 0;
    return lo;
}

static rev *rev_insert(block *b, size_t at, const char *id)
{
    if (ds_reserve(&b->revs, &b->caprevs, b->nrevs + 1, sizeof *b->revs, 4))
        return NULL;
    memmove(&b->revs[at + 1], &b->revs[at], (b->nrevs - at) * sizeof *b->revs);
    b->nrevs++;
    rev *r = &b->revs[at];
    memset(r, 0, sizeof *r);
    ds_strlcpy(r->id, id, sizeof r->id);
    return r;
}

/* ---- union-find ------------------------------------------------------- */

static int uf_find(int *p, int i)
{
    while (p[i] != i) {
        p[i] = p[p[i]];
        i = p[i];
    }
    return i;
}

static void uf_union(int *p, int a, int b)
{
    a = uf_find(p, a);
    b = uf_find(p, b);
    if (a == b)
        return;
    /* the smaller index becomes the root: roots do not depend on the order of unions */
    if (a < b)
        p[b] = a;
    else
        p[a] = b;
}

/* ---- votes ------------------------------------------------------------ */

typedef struct vitem {
    int64_t v;
    const char *s; /* string key, or NULL for a numeric vote */
    const minfo *x;
} vitem;

static int vkey_cmp(const vitem *a, const vitem *b)
{
    if (a->s || b->s)
        return strcmp(a->s ? a->s : "", b->s ? b->s : "");
    return a->v < b->v ? -1 : a->v > b->v;
}

static int vitem_cmp(const void *pa, const void *pb)
{
    const vitem *a = pa, *b = pb;
    int c = vkey_cmp(a, b);
    return c ? c : strcmp(a->x->m->mention_id, b->x->m->mention_id);
}

/* Sorts items and returns the index of the first item of the winning group:
 * most items, then most signed reports, then earliest report, then the
 * smallest key. -1 when n == 0. */
static long vote(vitem *it, size_t n)
{
    if (n == 0)
        return -1;
    qsort(it, n, sizeof *it, vitem_cmp);
    long best = -1;
    size_t bcnt = 0, bsig = 0;
    int64_t bpub = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i, cnt = 0, sig = 0;
        int64_t pub = INT64_MAX;
        while (j < n && vkey_cmp(&it[i], &it[j]) == 0) {
            cnt++;
            sig += status_rank(it[j].x->m->status) >= status_rank(DS_STATUS_SIGNED);
            if (it[j].x->pub < pub)
                pub = it[j].x->pub;
            j++;
        }
        if (best < 0 || cnt > bcnt || (cnt == bcnt && (sig > bsig || (sig == bsig && pub < bpub)))) {
            best = (long)i;
            bcnt = cnt;
            bsig = sig;
            bpub = pub;
        }
        i = j;
    }
    return best;
}

/* Voters of a cluster: its non-duplicate members, or all when every member is
 * a duplicate. */
static size_t voters(const rctx *x, const cluster *k, const minfo **out)
{
    size_t n = 0;
    for (size_t i = 0; i < k->nmem; i++)
        if (!x->mi[k->mem[i]].dup_of)
            out[n++] = &x->mi[k->mem[i]];
    if (n == 0)
        for (size_t i = 0; i < k->nmem; i++)
            out[n++] = &x->mi[k->mem[i]];
    return n;
}

/* ---- systems ---------------------------------------------------------- */

/* 1 when a is a strict ancestor of b (K2 of K2GF). Without the catalog's
 * hierarchy the family root is the ancestor of every other name. */
static int is_ancestor(const ds_catalog *cat, const char *family, const char *a, const char *b)
{
    if (strcmp(a, b) == 0)
        return 0;
    const ds_system *s = ds_catalog_system(cat, b);
    if (s) {
        for (int guard = 0; s && s->variant_of && guard < 16; guard++) {
            if (strcmp(s->variant_of, a) == 0)
                return 1;
            s = ds_catalog_system(cat, s->variant_of);
        }
        return 0;
    }
    return strcmp(a, family) == 0;
}

/* ---- merge ------------------------------------------------------------ */

static int str_ptr_cmp(const void *pa, const void *pb)
{
    return strcmp(*(const char *const *)pa, *(const char *const *)pb);
}

typedef struct citem {
    const minfo *x;
    int64_t usd;
} citem;

static int citem_cmp(const void *pa, const void *pb)
{
    const citem *a = pa, *b = pb;
    const ds_value *va = &a->x->m->value, *vb = &b->x->m->value;
    if (va->combined != vb->combined)
        return va->combined - vb->combined;
    if ((a->usd < 0) != (b->usd < 0))
        return a->usd < 0 ? 1 : -1;
    if (a->usd != b->usd)
        return a->usd < b->usd ? -1 : 1;
    int c = strcmp(va->currency, vb->currency);
    if (c)
        return c;
    if (va->amount != vb->amount)
        return va->amount < vb->amount ? -1 : 1;
    return strcmp(a->x->m->mention_id, b->x->m->mention_id);
}

typedef struct claimstat {
    size_t first, n;  /* range in the sorted citems */
    size_t nsrc, nsig;
    int64_t pub;
    int combined;
    int64_t usd;
} claimstat;

/* Groups the sorted value items it[0..n) into claims: runs of one kind
 * (combined or not) whose USD values (or, without USD, amounts of one
 * currency) are within 1% of the run's first. Returns the number of claims
 * written to cs. */
static size_t group_claims(const citem *it, size_t n, claimstat *cs)
{
    size_t ncl = 0;
    for (size_t i = 0; i < n;) {
        const ds_value *v0 = &it[i].x->m->value;
        size_t j = i + 1;
        while (j < n) {
            const ds_value *vj = &it[j].x->m->value;
            if (vj->combined != v0->combined)
                break;
            if (it[i].usd >= 0 && it[j].usd >= 0) {
                if (!within(it[i].usd, it[j].usd, 0.01))
                    break;
            } else if (it[i].usd < 0 && it[j].usd < 0) {
                if (strcmp(v0->currency, vj->currency) != 0 || !within(v0->amount, vj->amount, 0.01))
                    break;
            } else {
                break;
            }
            j++;
        }
        cs[ncl].first = i;
        cs[ncl].n = j - i;
        cs[ncl].combined = v0->combined;
        ncl++;
        i = j;
    }
    return ncl;
}

/* Fills claim cl from its items: its distinct sources (sorted), its value
 * (that of a report before a reference row's, then of a signed report,
 * then the earliest, then the smallest id;
 * USD derived from the rates when missing) and the statistics in st.
 * Returns 0 or -1. */
static int fill_claim(const ds_catalog *cat, const citem *it, claimstat *st, ds_canon_claim *cl)
{
    cl->sources = malloc(st->n * sizeof *cl->sources);
    if (!cl->sources)
        return -1;
    size_t rep = st->first;
    st->nsig = 0;
    st->pub = INT64_MAX;
    for (size_t i = st->first; i < st->first + st->n; i++) {
        const minfo *y = it[i].x, *r = it[rep].x;
        cl->sources[i - st->first] = y->m->src.id;
        int ys = status_rank(y->m->status) >= status_rank(DS_STATUS_SIGNED),
            rsg = status_rank(r->m->status) >= status_rank(DS_STATUS_SIGNED);
        if (y->isref != r->isref ? r->isref : ys > rsg || (ys == rsg && src_cmp(y, r) < 0))
            rep = i; /* a report's figure before the reference table's */
        if (y->pub < st->pub)
            st->pub = y->pub;
    }
    qsort(cl->sources, st->n, sizeof *cl->sources, str_ptr_cmp);
    size_t u = 0;
    for (size_t i = 0; i < st->n; i++)
        if (u == 0 || strcmp(cl->sources[u - 1], cl->sources[i]) != 0)
            cl->sources[u++] = cl->sources[i];
    cl->nsources = st->nsrc = u;
    /* signed sources, counted once per source */
    for (size_t i = 0; i < u; i++)
        for (size_t j = st->first; j < st->first + st->n; j++)
            if (status_rank(it[j].x->m->status) >= status_rank(DS_STATUS_SIGNED) && strcmp(it[j].x->m->src.id, cl->sources[i]) == 0) {
                st->nsig++;
                break;
            }
    cl->value = it[rep].x->m->value;
    if (cl->value.usd < 0)
        cl->value.usd = value_usd(cat, &cl->value, mention_year(it[rep].x->m));
    st->usd = cl->value.usd;
    cl->nsig = st->nsig;
    cl->pub = st->pub;
    return 0;
}

/* A value basis being written: text truncated to cap - 1 bytes, always
 * NUL-terminated. */
typedef struct basis {
    char *out;
    size_t cap, len;
} basis;

/* Appends s, as much of it as fits. */
static void basis_str(basis *b, const char *s)
{
    while (*s && b->len + 1 < b->cap)
        b->out[b->len++] = *s++;
    b->out[b->len] = '\0';
}

/* Appends n in decimal, as much of it as fits. */
static void basis_count(basis *b, size_t n)
{
    char d[24];
    size_t i = sizeof d - 1;
    d[i] = '\0';
    do
        d[--i] = (char)('0' + n % 10);
    while ((n /= 10) && i > 0);
    basis_str(b, d + i);
}

/* Sets the deal's value to the winning claim (among non-combined claims
 * when there are any): most sources, then most signed sources, then the
 * earliest report, then the smallest value; and its basis, naming the
 * deepest tie-break the winner needed. */
static void choose_claim(const claimstat *cs, size_t ncl, ds_canon *c)
{
    int want_combined = 1;
    for (size_t k = 0; k < ncl; k++)
        if (!cs[k].combined)
            want_combined = 0;
    long best = -1;
    int why = 0; /* 0 unique count, 1 signed, 2 earliest, 3 smallest */
    for (size_t k = 0; k < ncl; k++) {
        if (cs[k].combined != want_combined)
            continue;
        if (best < 0) {
            best = (long)k;
            continue;
        }
        const claimstat *a = &cs[k], *b = &cs[best];
        int better;
        if (a->nsrc != b->nsrc)
            better = a->nsrc > b->nsrc;
        else if (a->nsig != b->nsig)
            better = a->nsig > b->nsig;
        else
            better = a->pub < b->pub; /* else keep b: claims are sorted by value, b is smaller */
        if (better)
            best = (long)k;
    }
    /* The reason is the deepest tie-break the winner needed against the claims
     * with as many sources. */
    size_t total = 0;
    for (size_t k = 0; k < ncl; k++)
        if (cs[k].combined == want_combined)
            total += cs[k].nsrc;
    for (size_t k = 0; k < ncl; k++) {
        if ((long)k == best || cs[k].combined != want_combined || cs[k].nsrc != cs[best].nsrc)
            continue;
        int r = cs[k].nsig != cs[best].nsig ? 1 : cs[k].pub != cs[best].pub ? 2 : 3;
        if (r > why)
            why = r;
    }
    c->value = c->claims[best].value;
    static const char *const reasons[] = {"", ", more signed reports", ", earliest report", ", smallest value"};
    /* "[combined figure: ][tie: ]N of M source[s][, reason]", written by
     * hand: snprintf cost 2,000 instructions per deal */
    basis b = {c->value_basis, sizeof c->value_basis, 0};
    basis_str(&b, want_combined ? "combined figure: " : "");
    basis_str(&b, why ? "tie: " : "");
    basis_count(&b, cs[best].nsrc);
    basis_str(&b, " of ");
    basis_count(&b, total);
    basis_str(&b, total == 1 ? " source" : " sources");
    basis_str(&b, reasons[why]);
}

/* Value claims of the voters, the chosen value and its basis. Returns 0 or
 * -1 when out of memory. */
static int merge_values(const rctx *x, const minfo **vs, size_t nv, ds_canon *c)
{
    citem *it = malloc((nv ? nv : 1) * sizeof *it);
    claimstat *cs = malloc((nv ? nv : 1) * sizeof *cs);
    int rc = -1;
    if (!it || !cs)
        goto out;
    size_t n = 0;
    for (size_t i = 0; i < nv; i++)
        if (vs[i]->m->value.set) {
            it[n].x = vs[i];
            it[n].usd = vs[i]->usd;
            n++;
        }
    rc = 0;
    if (n == 0)
        goto out;
    qsort(it, n, sizeof *it, citem_cmp);
    size_t ncl = group_claims(it, n, cs);
    rc = -1;
    c->claims = calloc(ncl, sizeof *c->claims);
    if (!c->claims)
        goto out;
    c->nclaims = ncl;
    for (size_t k = 0; k < ncl; k++)
        if (fill_claim(x->rs->cat, it, &cs[k], &c->claims[k]))
            goto out;
    choose_claim(cs, ncl, c);
    rc = 0;
out:
    free(it);
    free(cs);
    return rc;
}

typedef struct sitem {
    const minfo *x;
} sitem;

static int sitem_cmp(const void *pa, const void *pb)
{
    const minfo *a = ((const sitem *)pa)->x, *b = ((const sitem *)pb)->x;
    int c = src_cmp(a, b);
    return c ? c : strcmp(a->m->mention_id, b->m->mention_id);
}

static int evidence_cmp(const void *pa, const void *pb)
{
    const ds_canon_evidence *a = pa, *b = pb;
    int c = strcmp(a->source, b->source);
    if (c)
        return c;
    if ((c = strcmp(a->field, b->field)))
        return c;
    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    return a->end < b->end ? -1 : a->end > b->end;
}

static int int_cmp(const void *pa, const void *pb)
{
    int a = *(const int *)pa, b = *(const int *)pb;
    return a < b ? -1 : a > b;
}

static int supplier_cmp(const void *pa, const void *pb)
{
    const ds_canon_supplier *a = pa, *b = pb;
    if (a->role != b->role)
        return a->role < b->role ? -1 : 1;
    return strcmp(a->company, b->company);
}

/* Union of named quantities (variants or extras): one entry per name, its
 * quantity voted. names/qtys are read from the voters through get(). */
typedef struct nq {
    const char *name;
    int64_t qty;
    const minfo *x;
} nq;

static int nq_cmp(const void *pa, const void *pb)
{
    const nq *a = pa, *b = pb;
    int c = strcmp(a->name, b->name);
    return c ? c : strcmp(a->x->m->mention_id, b->x->m->mention_id);
}

static int merge_named(nq *all, size_t n, ds_canon_item **out, size_t *nout)
{
    *out = NULL;
    *nout = 0;
    if (n == 0)
        return 0;
    qsort(all, n, sizeof *all, nq_cmp);
    ds_canon_item *items = malloc(n * sizeof *items);
    vitem *vi = malloc(n * sizeof *vi);
    if (!items || !vi) {
        free(items);
        free(vi);
        return -1;
    }
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i, nv = 0;
        while (j < n && strcmp(all[j].name, all[i].name) == 0) {
            vi[nv].v = all[j].qty;
            vi[nv].s = NULL;
            vi[nv].x = all[j].x;
            nv++;
            j++;
        }
        long w = vote(vi, nv);
        items[k].name = all[i].name;
        items[k].quantity = vi[w].v;
        k++;
        i = j;
    }
    free(vi);
    *out = items;
    *nout = k;
    return 0;
}

/* Sets the record's id, block, parties and every optional field to unknown. */
static void merge_header(const rctx *x, const cluster *k, ds_canon *c)
{
    const ds_mention *am = x->mi[k->anchor].m;
    memcpy(c->deal_id, k->id, sizeof c->deal_id);
    ds_strlcpy(c->block_key, x->b->key, sizeof c->block_key);
    ds_strlcpy(c->buyer, am->buyer, sizeof c->buyer);
    ds_strlcpy(c->seller, am->seller, sizeof c->seller);
    ds_strlcpy(c->family, am->family, sizeof c->family);
    c->quantity = -1;
    c->signing_date = DS_NO_DATE;
    c->announce_date = DS_NO_DATE;
    c->value.usd = -1;
    c->place = "";
    c->delivered = -1;
}

/* Stage (the most advanced of the class: executive over loa), status (the
 * most advanced of the voters; delivered with a delivery attached), and the
 * voted batch, signing date or year and quantity of the summary. */
static void merge_timeline(const rctx *x, const cluster *k, const minfo **vs, size_t nv, ds_canon *c)
{
    c->stage = x->mi[k->anchor].m->stage;
    c->status = DS_STATUS_PLANNED;
    for (size_t i = 0; i < k->nmem; i++) {
        const ds_mention *m = x->mi[k->mem[i]].m;
        if (m->stage > c->stage)
            c->stage = m->stage;
    }
    for (size_t i = 0; i < nv; i++)
        if (status_rank(vs[i]->m->status) > status_rank(c->status))
            c->status = vs[i]->m->status;
    for (size_t i = 0; i < k->ndel; i++) { /* updates: delivered, then cancelled above all */
        const minfo *u = &x->mi[k->del[i]];
        ds_status st = u->m->stage == DS_STAGE_DELIVERY       ? DS_STATUS_DELIVERED
                       : u->m->stage == DS_STAGE_CANCELLATION ? DS_STATUS_CANCELLED
                                                               : c->status;
        if (!u->dup_of && status_rank(st) > status_rank(c->status))
            c->status = st;
    }
    c->batch = k->batch;
    c->signing_date = k->date;
    c->signing_year = k->date == DS_NO_DATE ? k->year : 0;
    c->quantity = k->qty;
}

/* Suppliers: the union by company, each with its most reported role, sorted
 * by role then company. vi has room for every voter's suppliers. Returns 0
 * or -1. */
static int merge_suppliers(const minfo **vs, size_t nv, vitem *vi, ds_canon *c)
{
    size_t n = 0;
    for (size_t i = 0; i < nv; i++)
        for (int j = 0; j < vs[i]->m->nsuppliers; j++) {
            vi[n].s = vs[i]->m->suppliers[j].company;
            vi[n].v = vs[i]->m->suppliers[j].role;
            vi[n].x = vs[i];
            n++;
        }
    if (!n)
        return 0;
    qsort(vi, n, sizeof *vi, vitem_cmp);
    c->suppliers = malloc(n * sizeof *c->suppliers);
    if (!c->suppliers)
        return -1;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        int cnt[3] = {0, 0, 0};
        while (j < n && strcmp(vi[j].s, vi[i].s) == 0) {
            if (vi[j].v >= 0 && vi[j].v < 3)
                cnt[vi[j].v]++;
            j++;
        }
        int role = 0;
        for (int r = 1; r < 3; r++)
            if (cnt[r] > cnt[role])
                role = r;
        c->suppliers[c->nsuppliers].company = vi[i].s;
        c->suppliers[c->nsuppliers].role = (ds_supplier_role)role;
        c->nsuppliers++;
        i = j;
    }
    qsort(c->suppliers, c->nsuppliers, sizeof *c->suppliers, supplier_cmp);
    return 0;
}

/* System: the most specific name when the voters' names form one line of
 * descent, else the family. */
static void merge_system(const ds_catalog *cat, const minfo **vs, size_t nv, ds_canon *c)
{
    const char *best = NULL;
    int conflict = 0;
    for (size_t i = 0; i < nv; i++) {
        const char *s = vs[i]->m->system;
        if (!s[0])
            continue;
        if (!best || is_ancestor(cat, c->family, best, s))
            best = s;
        else if (strcmp(best, s) != 0 && !is_ancestor(cat, c->family, s, best))
            conflict = 1;
    }
    if (best)
        ds_strlcpy(c->system, conflict ? c->family : best, sizeof c->system);
}

/* Variants and extras: unions with voted quantities; a variant that is an
 * ancestor of another listed variant is dropped. nqs has room for every
 * voter's variants and extras. Returns 0 or -1. */
static int merge_items(const ds_catalog *cat, const minfo **vs, size_t nv, nq *nqs, ds_canon *c)
{
    size_t n = 0;
    for (size_t i = 0; i < nv; i++)
        for (int j = 0; j < vs[i]->m->nvariants; j++) {
            nqs[n].name = vs[i]->m->variants[j].system;
            nqs[n].qty = vs[i]->m->variants[j].quantity;
            nqs[n].x = vs[i];
            n++;
        }
    if (merge_named(nqs, n, &c->variants, &c->nvariants) != 0)
        return -1;
    size_t u = 0;
    for (size_t i = 0; i < c->nvariants; i++) {
        int drop = 0;
        for (size_t j = 0; j < c->nvariants && !drop; j++)
            drop = is_ancestor(cat, c->family, c->variants[i].name, c->variants[j].name);
        if (!drop)
            c->variants[u++] = c->variants[i];
    }
    c->nvariants = u;
    n = 0;
    for (size_t i = 0; i < nv; i++)
        for (int j = 0; j < vs[i]->m->nextras; j++) {
            nqs[n].name = vs[i]->m->extras[j].what;
            nqs[n].qty = vs[i]->m->extras[j].quantity;
            nqs[n].x = vs[i];
            n++;
        }
    return merge_named(nqs, n, &c->extras, &c->nextras);
}

/* Place (voted) and announcement date (the earliest). */
static void merge_place(const minfo **vs, size_t nv, vitem *vi, ds_canon *c)
{
    size_t n = 0;
    for (size_t i = 0; i < nv; i++)
        if (vs[i]->m->place[0]) {
            vi[n].s = vs[i]->m->place;
            vi[n].v = 0;
            vi[n].x = vs[i];
            n++;
        }
    long w = vote(vi, n);
    if (w >= 0)
        c->place = vi[w].s;
    for (size_t i = 0; i < nv; i++) {
        int32_t a = vs[i]->m->announce_date;
        if (a != DS_NO_DATE && (c->announce_date == DS_NO_DATE || a < c->announce_date))
            c->announce_date = a;
    }
}

/* Sources: members and deliveries sorted into si (source order), one entry
 * per source id with its most advanced status; updated is the newest
 * non-duplicate publication. Returns the number of items in si, or -1. */
static long merge_sources(const rctx *x, const cluster *k, sitem *si, ds_canon *c)
{
    size_t n = 0;
    for (size_t i = 0; i < k->nmem; i++)
        si[n++].x = &x->mi[k->mem[i]];
    for (size_t i = 0; i < k->ndel; i++)
        si[n++].x = &x->mi[k->del[i]];
    qsort(si, n, sizeof *si, sitem_cmp);
    c->sources = malloc((n ? n : 1) * sizeof *c->sources);
    if (!c->sources)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const ds_mention *m = si[i].x->m;
        if (!si[i].x->dup_of && m->src.published != DS_NO_TIME && m->src.published > c->updated)
            c->updated = m->src.published;
        ds_canon_source *s = c->nsources ? &c->sources[c->nsources - 1] : NULL;
        if (s && strcmp(s->id, m->src.id) == 0) {
            if (status_rank(m->status) > status_rank(s->status))
                s->status = m->status;
            continue;
        }
        s = &c->sources[c->nsources++];
        s->id = m->src.id;
        s->kind = m->src.kind;
        s->outlet = m->src.outlet;
        s->published = m->src.published;
        s->status = m->status;
        s->duplicate_of = si[i].x->dup_of;
    }
    return (long)n;
}

/* Evidence of every item of si, sorted and without repeats. Returns 0 or -1. */
static int merge_evidence(const sitem *si, size_t n, ds_canon *c)
{
    size_t nev = 0;
    for (size_t i = 0; i < n; i++)
        nev += (size_t)si[i].x->m->nevidence;
    if (!nev)
        return 0;
    c->evidence = malloc(nev * sizeof *c->evidence);
    if (!c->evidence)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const ds_mention *m = si[i].x->m;
        for (int j = 0; j < m->nevidence; j++) {
            ds_canon_evidence *e = &c->evidence[c->nevidence++];
            e->field = m->evidence[j].field;
            e->source = m->src.id;
            e->start = m->evidence[j].start;
            e->end = m->evidence[j].end;
        }
    }
    qsort(c->evidence, c->nevidence, sizeof *c->evidence, evidence_cmp);
    size_t u = 0;
    for (size_t i = 0; i < c->nevidence; i++)
        if (u == 0 || evidence_cmp(&c->evidence[u - 1], &c->evidence[i]) != 0)
            c->evidence[u++] = c->evidence[i];
    c->nevidence = u;
    return 0;
}

/* Delivery years of the non-duplicate items of si, sorted and distinct.
 * Returns 0 or -1. */
static int merge_delivery_years(const sitem *si, size_t n, ds_canon *c)
{
    size_t ndy = 0;
    for (size_t i = 0; i < n; i++)
        ndy += (size_t)si[i].x->m->ndelivery_years;
    if (!ndy)
        return 0;
    c->delivery_years = malloc(ndy * sizeof *c->delivery_years);
    if (!c->delivery_years)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const ds_mention *m = si[i].x->m;
        if (si[i].x->dup_of)
            continue;
        for (int j = 0; j < m->ndelivery_years; j++)
            c->delivery_years[c->ndelivery_years++] = m->delivery_years[j];
    }
    qsort(c->delivery_years, c->ndelivery_years, sizeof *c->delivery_years, int_cmp);
    size_t u = 0;
    for (size_t i = 0; i < c->ndelivery_years; i++)
        if (u == 0 || c->delivery_years[u - 1] != c->delivery_years[i])
            c->delivery_years[u++] = c->delivery_years[i];
    c->ndelivery_years = u;
    return 0;
}

/* What the updates attached to k change (see "Updates"): delivered, the
 * largest count of a delivery report; the value of the latest amendment
 * stating one (then the smaller mention_id), with its source as basis. */
static void merge_updates(const rctx *x, const cluster *k, ds_canon *c)
{
    const minfo *am = NULL;
    for (size_t i = 0; i < k->ndel; i++) {
        const minfo *u = &x->mi[k->del[i]];
        const ds_mention *m = u->m;
        if (u->dup_of)
            continue;
        if (m->stage == DS_STAGE_DELIVERY && m->quantity > c->delivered)
            c->delivered = m->quantity;
        if (m->stage == DS_STAGE_AMENDMENT && m->value.set && !m->value.combined &&
            (!am || u->pub > am->pub || (u->pub == am->pub && strcmp(u->id, am->id) < 0)))
            am = u;
    }
    if (!am)
        return;
    c->value = am->m->value;
    c->value.usd = am->usd;
    snprintf(c->value_basis, sizeof c->value_basis, "amended by source %.40s", am->m->src.id);
}

/* What an inferred deal (see infer_orphans) says of itself: a contract
 * (executive stage), signed, and an evidence entry "inferred_from_update"
 * naming the update it was first seen through (its stage's span there).
 * Returns 0 or -1. */
static int merge_inferred(const rctx *x, const cluster *k, ds_canon *c)
{
    const ds_mention *am = x->mi[k->anchor].m;
    c->stage = DS_STAGE_EXECUTIVE;
    if (status_rank(c->status) < status_rank(DS_STATUS_SIGNED))
        c->status = DS_STATUS_SIGNED;
    ds_canon_evidence *ev = realloc(c->evidence, (c->nevidence + 1) * sizeof *ev);
    if (!ev)
        return -1;
    c->evidence = ev;
    ds_canon_evidence *e = &ev[c->nevidence++];
    e->field = "inferred_from_update";
    e->source = am->src.id;
    e->start = e->end = 0;
    for (int j = 0; j < am->nevidence; j++)
        if (strcmp(am->evidence[j].field, "stage") == 0) {
            e->start = am->evidence[j].start;
            e->end = am->evidence[j].end;
        }
    qsort(c->evidence, c->nevidence, sizeof *c->evidence, evidence_cmp);
    return 0;
}

/* Builds the canonical record of cluster k into k->c (links, ref and hash
 * come later): header, timeline, suppliers, system, items, values, place,
 * sources, evidence, delivery years. Returns 0, or -1 when out of memory
 * (k->c, if set, is freed by the caller). */
static int merge_cluster(rctx *x, cluster *k)
{
    const ds_catalog *cat = x->rs->cat;
    int rc = -1;
    ds_canon *c = calloc(1, sizeof *c);
    const minfo **vs = malloc(k->nmem * sizeof *vs);
    vitem *vi = malloc((k->nmem * (DS_MAX_SUPPLIERS + DS_MAX_VARIANTS + DS_MAX_EXTRAS) + 1) * sizeof *vi);
    nq *nqs = malloc((k->nmem * (DS_MAX_VARIANTS + DS_MAX_EXTRAS) + 1) * sizeof *nqs);
    sitem *si = malloc((k->nmem + k->ndel) * sizeof *si);
    if (!c)
        goto out;
    k->c = c; /* freed by the caller on error */
    if (!vs || !vi || !nqs || !si)
        goto out;
    size_t nv = voters(x, k, vs);
    merge_header(x, k, c);
    merge_timeline(x, k, vs, nv, c);
    if (merge_suppliers(vs, nv, vi, c))
        goto out;
    merge_system(cat, vs, nv, c);
    if (merge_items(cat, vs, nv, nqs, c) || merge_values(x, vs, nv, c))
        goto out;
    merge_place(vs, nv, vi, c);
    merge_updates(x, k, c);
    long n = merge_sources(x, k, si, c);
    if (n < 0 || merge_evidence(si, (size_t)n, c) || merge_delivery_years(si, (size_t)n, c) ||
        (k->inferred && merge_inferred(x, k, c)))
        goto out;
    rc = 0;
out:
    free(vs);
    free(vi);
    free(nqs);
    free(si);
    return rc;
}

/* Batch, signing date/year, quantity and signed-ness of a cluster (needed to
 * attach deliveries before the full merge). */
static int summarize(rctx *x, cluster *k)
{
    const minfo **vs = malloc(k->nmem * sizeof *vs);
    vitem *vi = malloc(k->nmem * sizeof *vi);
    if (!vs || !vi) {
        free(vs);
        free(vi);
        return -1;
    }
    size_t nv = voters(x, k, vs), n;
    long w;
    k->cls = x->mi[k->anchor].cls;
    k->anysigned = 0;
    for (size_t i = 0; i < nv; i++)
        if (status_rank(vs[i]->m->status) >= status_rank(DS_STATUS_SIGNED))
            k->anysigned = 1;
#define VOTE_INT(field, known, dst, none)                                                                    \
    do {                                                                                                     \
        n = 0;                                                                                               \
        for (size_t i = 0; i < nv; i++)                                                                      \
            if (known) {                                                                                     \
                vi[n].v = vs[i]->m->field;                                                                   \
                vi[n].s = NULL;                                                                              \
                vi[n].x = vs[i];                                                                             \
                n++;                                                                                         \
            }                                                                                                \
        w = vote(vi, n);                                                                                     \
        dst = w >= 0 ? vi[w].v : (none);                                                                     \
    } while (0)
    VOTE_INT(batch, vs[i]->m->batch > 0, k->batch, 0);
    VOTE_INT(signing_date, vs[i]->m->signing_date != DS_NO_DATE, k->date, DS_NO_DATE);
    VOTE_INT(signing_year, vs[i]->m->signing_year > 0, k->year, 0);
    /* a delivery's count is what it delivered, not the contract's */
    VOTE_INT(quantity, vs[i]->m->quantity >= 0 && vs[i]->m->stage != DS_STAGE_DELIVERY, k->qty, -1);
#undef VOTE_INT
    if (k->date != DS_NO_DATE)
        k->year = year_of(k->date);
    free(vs);
    free(vi);
    return 0;
}

/* Whether an update names the deal of k by a fact of its own: the
 * contract's signing date or year, its batch or its quantity. */
static int update_names(const ds_mention *m, const cluster *k)
{
    int y = m->signing_date != DS_NO_DATE ? year_of(m->signing_date) : m->signing_year;
    return (m->signing_date != DS_NO_DATE && k->date != DS_NO_DATE) || (y > 0 && k->year > 0) ||
           (m->batch > 0 && k->batch > 0) || (m->quantity >= 0 && m->quantity == k->qty);
}

/* Whether update mention d can be an update of the deal of k: a delivery
 * of a signed contract or option (no more units than it holds), a
 * cancellation of any contract, option, framework or joint venture, an
 * amendment of a signed one; the batch and the contract's date or year
 * agreeing, and the deal signed no later than the report. A cancellation
 * or an amendment must also name the deal (update_names): a contract
 * modification that states none is not taken for a change of whatever
 * contract the block holds. */
static int update_fits(const minfo *d, const cluster *k)
{
    const ds_mention *m = d->m;
    if (m->stage != DS_STAGE_DELIVERY && !update_names(m, k))
        return 0;
    int contract = k->cls == CLS_CONTRACT || k->cls == CLS_OPTION;
    if (m->stage == DS_STAGE_DELIVERY && (!contract || !k->anysigned))
        return 0;
    if (m->stage == DS_STAGE_CANCELLATION && !contract && k->cls != CLS_FRAMEWORK && k->cls != CLS_JV)
        return 0;
    if (m->stage == DS_STAGE_AMENDMENT && ((!contract && k->cls != CLS_FRAMEWORK) || !k->anysigned))
        return 0;
    if (m->batch > 0 && k->batch > 0 && m->batch != k->batch)
        return 0;
    if (m->stage == DS_STAGE_DELIVERY && m->quantity >= 0 && k->qty >= 0 && m->quantity > k->qty)
        return 0;
    if (m->signing_date != DS_NO_DATE && k->date != DS_NO_DATE &&
        iabs64((int64_t)m->signing_date - k->date) > EXACT_DAYS)
        return 0;
    int y = m->signing_date != DS_NO_DATE ? year_of(m->signing_date) : m->signing_year;
    if (y > 0 && k->year > 0 && y != k->year)
        return 0;
    if (k->date != DS_NO_DATE && m->src.published != DS_NO_TIME && k->date > day_of(m->src.published))
        return 0;
    return 1;
}

/* Whether k is a better deal than best for update d: a delivery goes to
 * the contract signed earliest, a cancellation or an amendment to the one
 * signed latest (the one in force); then the smaller id. */
static int update_prefers(const minfo *d, const cluster *k, const cluster *best)
{
    if (!best)
        return 1;
    if (k->date != best->date) {
        if (k->date == DS_NO_DATE || best->date == DS_NO_DATE)
            return best->date == DS_NO_DATE;
        return d->m->stage == DS_STAGE_DELIVERY ? k->date < best->date : k->date > best->date;
    }
    return strcmp(k->id, best->id) < 0;
}

/* ---- reference table -------------------------------------------------- */

typedef struct facts {
    int cls, batch, year;
    int32_t date;
    int64_t qty;
} facts;

/* Score of ref row r for facts f of block (buyer, seller, family): -1 when it
 * contradicts them, else the number of agreeing facts (a date counts 2). */
static int ref_score(const ds_refdeal *r, const char *buyer, const char *seller, const char *family, const facts *f)
{
    if (strcmp(r->buyer, buyer) != 0 || strcmp(r->seller, seller) != 0 || strcmp(r->family, family) != 0)
        return -1;
    if (ref_class(r->stage) != f->cls)
        return -1;
    int score = 0;
    if (f->date != DS_NO_DATE && r->signed_date >= 0) {
        if (iabs64((int64_t)f->date - r->signed_date) > EXACT_DAYS)
            return -1;
        score += 2;
    } else if (f->year > 0 && r->signed_date >= 0) {
        if (year_of(r->signed_date) != f->year)
            return -1;
        score++;
    }
    if (f->batch > 0 && r->batch > 0) {
        if (f->batch != r->batch)
            return -1;
        score++;
    }
    if (f->qty >= 0 && r->quantity >= 0) {
        if (f->qty != r->quantity && !(f->cls == CLS_FRAMEWORK && within(f->qty, r->quantity, 0.05)))
            return -1;
        score++;
    }
    return score;
}

/* The one reference row that best matches f, or NULL (none, or a tie). */
static const ds_refdeal *ref_match(const ds_catalog *cat, const char *buyer, const char *seller,
                                   const char *family, const facts *f)
{
    if (!cat || !buyer[0] || !seller[0] || !family[0])
        return NULL;
    const ds_refdeal *best = NULL;
    int bs = 0, tie = 0;
    for (size_t i = 0; i < cat->nrefs; i++) {
        int s = ref_score(&cat->refs[i], buyer, seller, family, f);
        if (s <= 0)
            continue;
        if (s > bs) {
            best = &cat->refs[i];
            bs = s;
            tie = 0;
        } else if (s == bs) {
            tie = 1;
        }
    }
    return tie ? NULL : best;
}

static facts canon_facts(const ds_canon *c)
{
    facts f = {stage_class(c->stage), c->batch, c->signing_year, c->signing_date, c->quantity};
    if (c->signing_date != DS_NO_DATE)
        f.year = year_of(c->signing_date);
    return f;
}

static facts mention_facts(const minfo *x)
{
    const ds_mention *m = x->m;
    facts f = {x->cls, m->batch, m->signing_year, m->signing_date, m->quantity};
    if (m->signing_date != DS_NO_DATE)
        f.year = year_of(m->signing_date);
    return f;
}

/* ---- reference rows as deals ------------------------------------------ */

/* The mention_id of reference row ref: hex(xxh64("reference" NUL ref)). */
static void ref_mention_id(const char *ref, char id[17])
{
    char buf[64];
    size_t rl = strlen(ref);
    if (rl > sizeof buf - 11)
        rl = sizeof buf - 11;
    memcpy(buf, "reference", 10);
    memcpy(buf + 10, ref, rl);
    ds_hex64(ds_hash64(buf, 10 + rl, 0), id);
}

/* The block key of row r (buyer|seller|family). */
static void ref_block_key(const ds_refdeal *r, char key[64])
{
    snprintf(key, 64, "%s|%s|%s", r->buyer, r->seller, r->family);
}

/* The deal_id of the canonical deal of row r: its mention is always the
 * anchor of its cluster (see anchor_before), so the id is known before the
 * deal is built, and stays the same whatever reports join it. */
static void ref_deal_id(const ds_refdeal *r, char id[17])
{
    char key[64], mid[17], buf[96];
    ref_block_key(r, key);
    ref_mention_id(r->ref, mid);
    size_t kl = strlen(key);
    memcpy(buf, key, kl + 1);
    memcpy(buf + kl + 1, mid, 16);
    ds_hex64(ds_hash64(buf, kl + 1 + 16, 0), id);
}

static ds_stage ref_stage(const char *stage)
{
    for (int i = 0; i < DS_STAGE__COUNT; i++)
        if (stage && strcmp(stage, ds_stage_names[i]) == 0)
            return (ds_stage)i;
    return DS_STAGE_EXECUTIVE;
}

/* Suppliers of row r: the first is the prime, the others produce locally;
 * a joint venture's partners are its joint_venture suppliers. */
static void ref_suppliers(const ds_refdeal *r, ds_mention *m)
{
    const char *p = r->supplier ? r->supplier : "";
    while (*p && m->nsuppliers < DS_MAX_SUPPLIERS) {
        size_t l = strcspn(p, "|");
        if (l > 0 && l < sizeof m->suppliers[0].company) {
            memcpy(m->suppliers[m->nsuppliers].company, p, l);
            m->suppliers[m->nsuppliers].company[l] = '\0';
            m->suppliers[m->nsuppliers].role = m->stage == DS_STAGE_JOINT_VENTURE ? DS_SUP_JOINT_VENTURE
                                               : m->nsuppliers == 0          ? DS_SUP_PRIME
                                                                             : DS_SUP_LOCAL_PRODUCER;
            m->nsuppliers++;
        }
        p += l;
        if (*p == '|')
            p++;
    }
}

/* The system of row r: its one variant, else its family. */
static void ref_system(const ds_refdeal *r, ds_mention *m)
{
    const char *v = r->variants;
    if (v && !strchr(v, '|') && strlen(v) < sizeof m->system)
        ds_strlcpy(m->system, v, sizeof m->system);
    else
        ds_strlcpy(m->system, r->family, sizeof m->system);
}

/* The mention of reference row r: a primary mention of source kind
 * reference whose source id is the ref, published on its signing day, with
 * the row's parties, system, quantity, value, stage, batch, date and place. */
static void ref_mention(const ds_refdeal *r, ds_mention *m)
{
    ds_mention_init(m);
    ref_mention_id(r->ref, m->mention_id);
    m->role = DS_ROLE_PRIMARY;
    m->src.kind = DS_SRC_REFERENCE;
    ds_strlcpy(m->src.id, r->ref, sizeof m->src.id);
    m->src.published = r->signed_date >= 0 ? (int64_t)r->signed_date * DAY_MS : DS_NO_TIME;
    ds_strlcpy(m->buyer, r->buyer, sizeof m->buyer);
    ds_strlcpy(m->seller, r->seller, sizeof m->seller);
    ds_strlcpy(m->family, r->family, sizeof m->family);
    m->stage = ref_stage(r->stage);
    m->status = DS_STATUS_SIGNED;
    ref_suppliers(r, m);
    ref_system(r, m);
    m->quantity = r->quantity >= 0 ? r->quantity : -1;
    if (r->value_amount >= 0 && r->value_currency[0]) {
        m->value.set = 1;
        m->value.amount = (int64_t)llround(r->value_amount * 100.0);
        ds_strlcpy(m->value.currency, r->value_currency, sizeof m->value.currency);
        m->value.usd = r->value_usd >= 0 ? (int64_t)llround(r->value_usd * 100.0) : -1;
    }
    m->batch = r->batch > 0 ? r->batch : 0;
    m->signing_date = r->signed_date >= 0 ? r->signed_date : DS_NO_DATE;
    if (r->place)
        ds_strlcpy(m->place, r->place, sizeof m->place);
    ds_mention_block_key(m); /* no relation hints: the row's parents link through its deal's ref */
}

/* Whether row r's deal is this resolver's to publish. */
static int ref_owned(const ds_resolver *rs, const ds_refdeal *r)
{
    if (!rs->refs_on)
        return 0;
    if (!rs->ref_owns)
        return 1;
    char key[64];
    ref_block_key(r, key);
    return rs->ref_owns(key, rs->ref_arg) != 0;
}

/* ---- links ------------------------------------------------------------ */

#define BASIS_LEN 160 /* sizeof ds_canon_link.basis */

typedef struct lcand {
    ds_relation rel;
    char target[24];
    char tref[24];
    ds_link_via via;
    int32_t gap;             /* days between parent and child signing, INT32_MAX unknown */
    char basis[BASIS_LEN];    /* the evidence */
} lcand;

#define MAX_LCAND 48

typedef struct lset {
    lcand c[MAX_LCAND];
    size_t n;
} lset;

/* "2022-08-26", or "date unknown". */
static void fmt_day(int32_t days, char out[16])
{
    if (days == DS_NO_DATE || days < 0) {
        snprintf(out, 16, "date unknown");
        return;
    }
    int y, mo, d;
    ds_civil_from_days(days, &y, &mo, &d);
    snprintf(out, 16, "%04d-%02d-%02d", y % 10000, mo % 100, d % 100);
}

/* Days from a parent signed on p to a child signed on c, INT32_MAX unknown. */
static int32_t day_gap(int32_t p, int32_t c)
{
    if (p == DS_NO_DATE || c == DS_NO_DATE || p < 0)
        return INT32_MAX;
    return c >= p ? c - p : p - c;
}

static void lset_add(lset *ls, ds_relation rel, const char *target, const char *tref, ds_link_via via, int32_t gap,
                     const char *why)
{
    if (ls->n == MAX_LCAND || !target || !target[0])
        return;
    lcand *l = &ls->c[ls->n++];
    l->rel = rel;
    ds_strlcpy(l->target, target, sizeof l->target);
    ds_strlcpy(l->tref, tref ? tref : "", sizeof l->tref);
    l->via = via;
    l->gap = gap;
    ds_strlcpy(l->basis, why ? why : "", sizeof l->basis);
}

/* ---- link look-ups ----------------------------------------------------- */

/* What the links of a recompute look up, indexed once per recompute so that
 * a deal's candidates are found from its class, batch, time, sources and
 * reference row instead of from every deal and mention of the block. Each
 * look-up returns the same candidates as a scan of the whole block, in the
 * same (index) order wherever order can matter (the first of equal
 * candidates, MAX_LCAND), so the records do not change. */
typedef struct lkey {
    int64_t a, b; /* sort key */
    int i;        /* cluster or mention index: the last key */
} lkey;

typedef struct lref {
    const char *ref;
    int i;
} lref;

typedef struct lidx {
    lkey *cb;  /* clusters by (stage class, batch, index) */
    lkey *cc;  /* clusters by (stage class, 0, index) */
    size_t ncl;
    lref *cr;  /* clusters with a reference row, by (ref, index) */
    size_t ncr;
    lkey *mt;  /* cluster members by (2 * class + has_t, window start, index) */
    lkey *mb;  /* cluster members by (class, batch, index) */
    size_t nmem;
    int *ctx_at; /* context mentions of source s: ctx[ctx_at[s] .. ctx_at[s + 1]) */
    int *ctx;    /* ascending within a source */
    int nsrc;
} lidx;

typedef struct lrange {
    const lkey *v;
    size_t lo, hi;
} lrange;

static int lkey_cmp(const void *pa, const void *pb)
{
    const lkey *a = pa, *b = pb;
    if (a->a != b->a)
        return a->a < b->a ? -1 : 1;
    if (a->b != b->b)
        return a->b < b->b ? -1 : 1;
    return a->i < b->i ? -1 : a->i > b->i;
}

static int lref_cmp(const void *pa, const void *pb)
{
    const lref *a = pa, *b = pb;
    int c = strcmp(a->ref, b->ref);
    return c ? c : a->i < b->i ? -1 : a->i > b->i;
}

/* The first entry of v[0..n) with key (a, b) or more. */
static size_t lkey_lb(const lkey *v, size_t n, int64_t a, int64_t b)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid].a < a || (v[mid].a == a && v[mid].b < b))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The entries of v[0..n) with key a and b in [blo, bhi). */
static lrange lkey_range(const lkey *v, size_t n, int64_t a, int64_t blo, int64_t bhi)
{
    lrange r = {v, lkey_lb(v, n, a, blo), 0};
    r.hi = blo < bhi ? lkey_lb(v, n, a, bhi) : r.lo;
    if (r.hi < r.lo)
        r.hi = r.lo;
    return r;
}

static void lidx_free(lidx *ix)
{
    if (!ix)
        return;
    free(ix->cb);
    free(ix->cc);
    free(ix->cr);
    free(ix->mt);
    free(ix->mb);
    free(ix->ctx_at);
    free(ix->ctx);
    free(ix);
}

/* Indexes the clusters of x (sorted by id, records merged, refs set). */
static int lidx_clusters(const rctx *x, lidx *ix)
{
    size_t n = x->ncl;
    ix->cb = malloc((n ? n : 1) * sizeof *ix->cb);
    ix->cc = malloc((n ? n : 1) * sizeof *ix->cc);
    ix->cr = malloc((n ? n : 1) * sizeof *ix->cr);
    if (!ix->cb || !ix->cc || !ix->cr)
        return -1;
    for (size_t c = 0; c < n; c++) {
        const ds_canon *o = x->cl[c].c;
        int cls = stage_class(o->stage);
        ix->cb[c] = (lkey){cls, o->batch, (int)c};
        ix->cc[c] = (lkey){cls, 0, (int)c};
        if (o->ref[0])
            ix->cr[ix->ncr++] = (lref){o->ref, (int)c};
    }
    ix->ncl = n;
    qsort(ix->cb, n, sizeof *ix->cb, lkey_cmp);
    qsort(ix->cc, n, sizeof *ix->cc, lkey_cmp);
    qsort(ix->cr, ix->ncr, sizeof *ix->cr, lref_cmp);
    return 0;
}

/* Indexes the cluster members of x by class and time, and by class and
 * batch; points every member's minfo at its cluster in x->cl. */
static int lidx_members(rctx *x, lidx *ix)
{
    size_t n = 0;
    for (size_t c = 0; c < x->ncl; c++)
        n += x->cl[c].nmem;
    ix->mt = malloc((n ? n : 1) * sizeof *ix->mt);
    ix->mb = malloc((n ? n : 1) * sizeof *ix->mb);
    if (!ix->mt || !ix->mb)
        return -1;
    for (size_t c = 0; c < x->ncl; c++) {
        for (size_t j = 0; j < x->cl[c].ndel; j++) /* an update's deal (an inferred one's anchor) */
            x->mi[x->cl[c].del[j]].cluster = (int)c;
        for (size_t j = 0; j < x->cl[c].nmem; j++) {
            minfo *y = &x->mi[x->cl[c].mem[j]];
            y->cluster = (int)c; /* the clusters were sorted by id since numbered */
            if (y->kind == K_UPDATE)
                continue; /* an inferred deal's update: no signing of its own to link by */
            ix->mt[ix->nmem] = (lkey){2 * y->cls + (y->has_t != 0), y->has_t ? y->lo : 0, x->cl[c].mem[j]};
            ix->mb[ix->nmem++] = (lkey){y->cls, y->batch > 0 ? y->batch : 0, x->cl[c].mem[j]};
        }
    }
    qsort(ix->mt, ix->nmem, sizeof *ix->mt, lkey_cmp);
    qsort(ix->mb, ix->nmem, sizeof *ix->mb, lkey_cmp);
    return 0;
}

/* Groups the context mentions of x by source number, ascending. */
static int lidx_contexts(const rctx *x, lidx *ix)
{
    int nsrc = 0;
    for (size_t i = 0; i < x->n; i++)
        if (x->mi[i].src_no + 1 > nsrc)
            nsrc = x->mi[i].src_no + 1;
    ix->nsrc = nsrc;
    ix->ctx_at = calloc((size_t)nsrc + 1, sizeof *ix->ctx_at);
    ix->ctx = malloc((x->n ? x->n : 1) * sizeof *ix->ctx);
    if (!ix->ctx_at || !ix->ctx)
        return -1;
    for (size_t i = 0; i < x->n; i++)
        if (x->mi[i].kind == K_CONTEXT)
            ix->ctx_at[x->mi[i].src_no + 1]++;
    for (int s = 0; s < nsrc; s++)
        ix->ctx_at[s + 1] += ix->ctx_at[s];
    int *fill = malloc(((size_t)nsrc + 1) * sizeof *fill);
    if (!fill)
        return -1;
    memcpy(fill, ix->ctx_at, ((size_t)nsrc + 1) * sizeof *fill);
    for (size_t i = 0; i < x->n; i++)
        if (x->mi[i].kind == K_CONTEXT)
            ix->ctx[fill[x->mi[i].src_no]++] = (int)i;
    free(fill);
    return 0;
}

/* Builds x->ix from x's clusters (sorted by id, refs set) and mentions.
 * Returns 0 or -1 when out of memory. */
static int lidx_build(rctx *x)
{
    lidx *ix = calloc(1, sizeof *ix);
    if (!ix)
        return -1;
    x->ix = ix;
    return lidx_clusters(x, ix) || lidx_members(x, ix) || lidx_contexts(x, ix) ? -1 : 0;
}

/* The clusters of class cls, ascending. */
static lrange lix_class(const lidx *ix, int cls) { return lkey_range(ix->cc, ix->ncl, cls, 0, 1); }

/* The clusters of class cls and batch b (b > 0), ascending. */
static lrange lix_batch(const lidx *ix, int cls, int b) { return lkey_range(ix->cb, ix->ncl, cls, b, (int64_t)b + 1); }

/* The clusters of class cls of no known batch, ascending. */
static lrange lix_nobatch(const lidx *ix, int cls) { return lkey_range(ix->cb, ix->ncl, cls, INT64_MIN, 1); }

/* The cluster with deal id `id`, or -1 (x->cl is sorted by id). */
static int lix_deal(const rctx *x, const char *id)
{
    size_t lo = 0, hi = x->ncl;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(x->cl[mid].id, id);
        if (c == 0)
            return (int)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

/* The first cluster (in index order, other than self) whose record has
 * reference row ref, or NULL. */
static const cluster *lix_ref(const rctx *x, const char *ref, const cluster *self)
{
    const lidx *ix = x->ix;
    size_t lo = 0, hi = ix->ncr;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(ix->cr[mid].ref, ref) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < ix->ncr && strcmp(ix->cr[lo].ref, ref) == 0; lo++)
        if (&x->cl[ix->cr[lo].i] != self)
            return &x->cl[ix->cr[lo].i];
    return NULL;
}

/* The mention with mention_id id, or -1 (x->mi is in mention_id order). */
static int lix_mention(const rctx *x, const char *id)
{
    size_t lo = 0, hi = x->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(x->mi[mid].m->mention_id, id);
        if (c == 0)
            return (int)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

/* Up to 3 ranges of cluster members that can be compatible with context
 * mention z (the same class; a window near z's; the same or no batch).
 * Returns the number of ranges. */
static int lix_members_for(const lidx *ix, const minfo *z, lrange r[3])
{
    int n = 0;
    if (z->has_t) {
        /* no time: compatible in time with any; else a window starting at
         * most a year (and EXACT_DAYS) before z's and no later than its end */
        r[n++] = lkey_range(ix->mt, ix->nmem, 2 * z->cls, INT64_MIN, INT64_MAX);
        r[n++] = lkey_range(ix->mt, ix->nmem, 2 * z->cls + 1, (int64_t)z->lo - 366 - EXACT_DAYS,
                            (int64_t)z->hi + EXACT_DAYS + 1);
    } else if (z->batch > 0) {
        r[n++] = lkey_range(ix->mb, ix->nmem, z->cls, z->batch, (int64_t)z->batch + 1);
        r[n++] = lkey_range(ix->mb, ix->nmem, z->cls, INT64_MIN, 1);
    } else {
        r[n++] = lkey_range(ix->mb, ix->nmem, z->cls, INT64_MIN, INT64_MAX);
    }
    return n;
}

/* The next index of two ascending ranges, merged, or -1 when both are done. */
static int lrange_next(lrange *a, lrange *b)
{
    int ia = a->lo < a->hi ? a->v[a->lo].i : -1, ib = b->lo < b->hi ? b->v[b->lo].i : -1;
    if (ia < 0 && ib < 0)
        return -1;
    if (ib < 0 || (ia >= 0 && ia < ib)) {
        a->lo++;
        return ia;
    }
    b->lo++;
    return ib;
}

/* Sets out to the deal that stands for reference row r: the row's own deal
 * (this block's, or with the rows materialised its known id), else the live
 * deal matching the row in its block (which then reports its changes to
 * us). Returns 1, 0 when there is none (then no link), -1 when out of memory. */
static int deal_for_ref(rctx *x, const ds_refdeal *r, char out[17])
{
    char rid[17], key[64];
    ref_deal_id(r, rid);
    ref_block_key(r, key);
    const char *best = NULL;
    if (strcmp(key, x->b->key) == 0) {
        int own = lix_deal(x, rid);
        const cluster *k = own >= 0 ? &x->cl[own] : lix_ref(x, r->ref, NULL); /* the first has the smallest id */
        if (k)
            best = k->c->deal_id;
    } else if (x->rs->cross_block) {
        block *pb = block_get(x->rs, key);
        if (!pb || add_dep(pb, x->b) != 0)
            return -1;
        for (size_t i = 0; i < pb->nrefd; i++) { /* sorted by id: the first is the smallest */
            if (strcmp(pb->refd[i].id, rid) == 0) {
                best = pb->refd[i].id;
                break;
            }
            if (!best && strcmp(pb->refd[i].ref, r->ref) == 0)
                best = pb->refd[i].id;
        }
    }
    if (!best && x->rs->refs_on)
        best = rid; /* published by whoever holds the row's block */
    if (!best)
        return 0;
    ds_strlcpy(out, best, 17);
    return 1;
}

/* Adds a link to the deal of reference row ref, found as `via` says; none
 * when the table has no such row or it is another buyer's. */
static void link_ref(rctx *x, lset *ls, ds_relation rel, const char *ref, ds_link_via via, const ds_canon *self,
                     const char *why, int *err)
{
    const ds_refdeal *row = ds_catalog_ref(x->rs->cat, ref);
    if (!row || strcmp(row->buyer, self->buyer) != 0)
        return; /* no row: no link to nothing; links never cross buyers */
    if (row->signed_date >= 0 && self->signing_date != DS_NO_DATE && row->signed_date > self->signing_date)
        return; /* a parent is signed no later than its child */
    char t[17];
    int f = deal_for_ref(x, row, t);
    if (f < 0)
        *err = 1;
    else if (f > 0 && strcmp(t, self->deal_id) != 0)
        lset_add(ls, rel, t, ref, via, day_gap(row->signed_date, self->signing_date), why);
}

static int parent_class(ds_relation rel)
{
    switch (rel) {
    case DS_REL_EXECUTES_FRAMEWORK: return CLS_FRAMEWORK;
    case DS_REL_ENABLED_BY_JV: return CLS_JV;
    default: return CLS_CONTRACT;
    }
}

/* Score of facts f against a relation hint: -1 on contradiction. */
static int hint_score(const ds_relhint *h, const facts *f, int want_batch)
{
    int s = 0;
    if (h->year > 0 && f->year > 0) {
        if (h->year != f->year)
            return -1;
        s++;
    }
    if (h->quantity >= 0 && f->qty >= 0) {
        if (h->quantity != f->qty)
            return -1;
        s++;
    }
    int b = h->batch > 0 ? h->batch : want_batch;
    if (b > 0 && f->batch > 0) {
        if (b != f->batch)
            return -1;
        s++;
    }
    return s;
}

/* The live deal of this block (other than self) that context mention ctx
 * recalls: the deal of its reference row, else the one deal one of whose
 * members is compatible with it. */
static const ds_canon *deal_for_context(rctx *x, const minfo *ctx, const char *ref, const cluster *self)
{
    const cluster *found = ref ? lix_ref(x, ref, self) : NULL;
    if (found)
        return found->c;
    lrange r[3];
    int nr = lix_members_for(x->ix, ctx, r);
    for (int q = 0; q < nr; q++)
        for (size_t e = r[q].lo; e < r[q].hi; e++) {
            const minfo *y = &x->mi[r[q].v[e].i];
            const cluster *k = &x->cl[y->cluster];
            if (k == self || k == found || !compatible(ctx, y))
                continue;
            if (found)
                return NULL; /* ambiguous */
            found = k;
        }
    return found ? found->c : NULL;
}

/* A link to the deal context mention ctx recalls: a live deal of the block,
 * else the deal of the reference row it fits; none while neither exists
 * (the parent's arrival recomputes the block and links it then). */
static void link_context(rctx *x, lset *ls, ds_relation rel, const minfo *ctx, const cluster *self, int *err)
{
    const ds_canon *c = self->c;
    facts f = mention_facts(ctx);
    const ds_refdeal *r = ref_match(x->rs->cat, c->buyer, c->seller, c->family, &f);
    const char *ref = r ? r->ref : NULL;
    const ds_canon *t = deal_for_context(x, ctx, ref, self);
    char why[BASIS_LEN];
    snprintf(why, sizeof why, "recalled by source %.64s", ctx->m->src.id);
    if (t)
        lset_add(ls, rel, t->deal_id, ref ? ref : t->ref, DS_VIA_CONTEXT, day_gap(t->signing_date, c->signing_date),
                 why);
    else if (r)
        link_ref(x, ls, rel, r->ref, DS_VIA_CONTEXT, c, why, err);
}

/* Best candidate first: by how it was found (state, context, reference),
 * then the parent closest in time, then the smallest target. */
static int lcand_better(const lcand *a, const lcand *b)
{
    if (a->via != b->via)
        return a->via < b->via;
    if (a->gap != b->gap)
        return a->gap < b->gap;
    int c = strcmp(a->target, b->target);
    if (c)
        return c < 0;
    return a->tref[0] && !b->tref[0];
}

/* Whether a contract signed on `parent` cannot be the batch before one
 * signed on `child`: a next batch is signed later, and contracts signed the
 * same day are parallel parts of one order (the FA-50GF and FA-50PL
 * contracts), not one batch after another. Unknown dates do not exclude. */
static int not_after(int32_t parent, int32_t child)
{
    return parent != DS_NO_DATE && parent >= 0 && child != DS_NO_DATE && parent >= child;
}

/* Whether a parent signed on p is signed after a child signed on c. */
static int signed_after(int32_t p, int32_t c) { return p != DS_NO_DATE && c != DS_NO_DATE && p > c; }

/* The ordinal link candidate other deal o gives deal c of class cls (see
 * ordinal_links), if any. */
static void ordinal_candidate(const ds_canon *c, int cls, const ds_canon *o, lset *ls)
{
    int ocls = stage_class(o->stage);
    int32_t gap = day_gap(o->signing_date, c->signing_date);
    char day[16], why[BASIS_LEN];
    if (cls == CLS_CONTRACT && ocls == CLS_CONTRACT && c->batch > 1 && o->batch == c->batch - 1 &&
        !not_after(o->signing_date, c->signing_date)) {
        fmt_day(o->signing_date, day);
        snprintf(why, sizeof why, "batch %d follows batch %d, signed %s", c->batch, o->batch, day);
        lset_add(ls, DS_REL_NEXT_BATCH, o->deal_id, o->ref, DS_VIA_STATE, gap, why);
    }
    if ((cls == CLS_CONTRACT || cls == CLS_OPTION) && ocls == CLS_FRAMEWORK &&
        !signed_after(o->signing_date, c->signing_date)) {
        fmt_day(o->signing_date, day);
        snprintf(why, sizeof why, "%s under the framework of the same parties and family, signed %s",
                 cls == CLS_OPTION ? "option" : "contract", day);
        lset_add(ls, DS_REL_EXECUTES_FRAMEWORK, o->deal_id, o->ref, DS_VIA_STATE, gap, why);
    }
    if (cls == CLS_OPTION && ocls == CLS_CONTRACT && !not_after(o->signing_date, c->signing_date) &&
        o->signing_date != DS_NO_DATE) {
        fmt_day(o->signing_date, day);
        snprintf(why, sizeof why, "option of the contract of the same parties and family signed %s", day);
        lset_add(ls, DS_REL_OPTION_EXERCISE, o->deal_id, o->ref, DS_VIA_STATE, gap, why);
    }
}

/* Ordinal links within the block: batch N > 1 is the next batch of batch
 * N-1 signed before it; a contract or option executes a framework signed
 * no later; an option is exercised under a contract signed before it. The
 * deals that can be one of those (the contracts of batch N-1, the
 * frameworks, for an option the contracts) are read in index order, as a
 * scan of every deal would meet them, until ls is full. */
static void ordinal_links(const rctx *x, const ds_canon *c, lset *ls)
{
    int cls = stage_class(c->stage);
    lrange a = {NULL, 0, 0}, b = {NULL, 0, 0};
    if (cls == CLS_CONTRACT && c->batch > 1)
        a = lix_batch(x->ix, CLS_CONTRACT, c->batch - 1);
    if (cls == CLS_OPTION)
        a = lix_class(x->ix, CLS_CONTRACT);
    if (cls == CLS_CONTRACT || cls == CLS_OPTION)
        b = lix_class(x->ix, CLS_FRAMEWORK);
    for (int i; ls->n < MAX_LCAND && (i = lrange_next(&a, &b)) >= 0;)
        if (x->cl[i].c != c)
            ordinal_candidate(c, cls, x->cl[i].c, ls);
}

/* Scores deal o for hint h of deal c (see hint_deal) into the best so far. */
static void hint_try(const ds_canon *c, const ds_relhint *h, int want_batch, const ds_canon *o, const ds_canon **best,
                     int *bs, int *tie)
{
    if (o == c || signed_after(o->signing_date, c->signing_date))
        return;
    if (h->relation == DS_REL_NEXT_BATCH && not_after(o->signing_date, c->signing_date))
        return;
    facts of = canon_facts(o);
    int s = hint_score(h, &of, want_batch);
    if (s < 0)
        return;
    if (s > *bs) {
        *best = o;
        *bs = s;
        *tie = 0;
    } else if (s == *bs) {
        *tie = 1;
    }
}

/* The one deal of the block (other than c, signed no later) of the parent
 * class of hint h that agrees best with it, or NULL (none, or a tie): read
 * from the deals of that class (and batch, when the hint has one), since
 * no other can agree; the outcome does not depend on their order. */
static const ds_canon *hint_deal(const rctx *x, const ds_canon *c, const ds_relhint *h, int want_batch)
{
    int cls[2] = {parent_class(h->relation), CLS_OPTION}, b = h->batch > 0 ? h->batch : want_batch;
    const ds_canon *best = NULL;
    int bs = -1, tie = 0;
    for (int q = 0; q < (h->relation == DS_REL_OPTION_EXERCISE ? 2 : 1); q++) {
        lrange r[2] = {b > 0 ? lix_batch(x->ix, cls[q], b) : lix_class(x->ix, cls[q]),
                       b > 0 ? lix_nobatch(x->ix, cls[q]) : (lrange){NULL, 0, 0}};
        for (int k = 0; k < 2; k++)
            for (size_t e = r[k].lo; e < r[k].hi; e++)
                hint_try(c, h, want_batch, x->cl[r[k].v[e].i].c, &best, &bs, &tie);
    }
    return tie ? NULL : best;
}

/* A context mention of member y's source, of the parent class of h and
 * agreeing with it (the first in index order), or NULL. */
static const minfo *hint_context(const rctx *x, const minfo *y, const ds_relhint *h, int want_batch)
{
    int pcls = parent_class(h->relation);
    const lidx *ix = x->ix;
    for (int e = ix->ctx_at[y->src_no]; e < ix->ctx_at[y->src_no + 1]; e++) {
        const minfo *z = &x->mi[ix->ctx[e]];
        if (z->cls != pcls)
            continue;
        facts zf = mention_facts(z);
        if (hint_score(h, &zf, want_batch) >= 0)
            return z;
    }
    return NULL;
}

/* The link of relation hint h of member y: the reference row it names (a
 * ref the table lacks names nothing: the other rules apply); else the deal
 * of the block it fits; else a context mention of the same source; else the
 * reference row it fits. */
static void link_hint(rctx *x, cluster *k, const minfo *y, const ds_relhint *h, lset *ls, int *err)
{
    const ds_canon *c = k->c;
    const char *src = y->m->src.id;
    char why[BASIS_LEN];
    int want_batch = h->relation == DS_REL_NEXT_BATCH && c->batch > 1 ? c->batch - 1 : 0;
    int cls = stage_class(c->stage);
    if (h->relation == DS_REL_ENABLED_BY_JV ? cls == CLS_JV || cls == CLS_FRAMEWORK
                                            : cls != CLS_CONTRACT && cls != CLS_OPTION)
        return; /* a relation this stage cannot have: only contracts follow batches, frameworks, options */
    if (h->ref[0] && ds_catalog_ref(x->rs->cat, h->ref)) {
        snprintf(why, sizeof why, "%s %.64s %s", y->m->src.kind == DS_SRC_REFERENCE ? "reference row" : "source",
                 src, y->m->src.kind == DS_SRC_REFERENCE ? "names it as parent" : "names it as parent_ref");
        link_ref(x, ls, h->relation, h->ref, DS_VIA_REFERENCE, c, why, err);
        return;
    }
    const ds_canon *best = hint_deal(x, c, h, want_batch);
    if (best) {
        snprintf(why, sizeof why, "relation stated by source %.64s", src);
        lset_add(ls, h->relation, best->deal_id, best->ref, DS_VIA_STATE, day_gap(best->signing_date, c->signing_date),
                 why);
        return;
    }
    const minfo *ctx = hint_context(x, y, h, want_batch);
    if (ctx) {
        link_context(x, ls, h->relation, ctx, k, err);
        return;
    }
    facts hf = {parent_class(h->relation), h->batch > 0 ? h->batch : want_batch, h->year, DS_NO_DATE, h->quantity};
    const ds_refdeal *r = ref_match(x->rs->cat, c->buyer, c->seller, c->family, &hf);
    if (r && h->relation == DS_REL_NEXT_BATCH && not_after(r->signed_date, c->signing_date))
        r = NULL;
    if (r && strcmp(r->ref, c->ref) != 0) {
        snprintf(why, sizeof why, "relation stated by source %.64s; reference row %.23s fits it", src, r->ref);
        link_ref(x, ls, h->relation, r->ref, DS_VIA_REFERENCE, c, why, err);
    }
}

/* Links from the relation hints of the deal's non-duplicate members. */
static void link_hints(rctx *x, cluster *k, lset *ls, int *err)
{
    for (size_t mi = 0; mi < k->nmem; mi++) {
        const minfo *y = &x->mi[k->mem[mi]];
        if (y->dup_of)
            continue;
        for (int hi = 0; hi < y->m->nrels; hi++) {
            const ds_relhint *h = &y->m->rels[hi];
            if ((int)h->relation < 0 || (int)h->relation >= DS_REL__COUNT)
                continue;
            link_hint(x, k, y, h, ls, err);
        }
    }
}

/* The context mentions that share a source with a member of k, ascending
 * and distinct, into a new array (caller frees). Returns it, or NULL when
 * out of memory. */
static int *recalled_by(const rctx *x, const cluster *k, size_t *n)
{
    const lidx *ix = x->ix;
    int *src = malloc((k->nmem ? k->nmem : 1) * sizeof *src);
    if (!src)
        return NULL;
    size_t ns = 0, nz = 0;
    for (size_t i = 0; i < k->nmem; i++)
        src[ns++] = x->mi[k->mem[i]].src_no;
    qsort(src, ns, sizeof *src, int_cmp);
    for (size_t i = 0; i < ns; i++)
        if (i == 0 || src[i] != src[i - 1])
            nz += (size_t)(ix->ctx_at[src[i] + 1] - ix->ctx_at[src[i]]);
    int *z = malloc((nz ? nz : 1) * sizeof *z);
    if (!z) {
        free(src);
        return NULL;
    }
    nz = 0;
    for (size_t i = 0; i < ns; i++)
        for (int e = ix->ctx_at[src[i]]; (i == 0 || src[i] != src[i - 1]) && e < ix->ctx_at[src[i] + 1]; e++)
            z[nz++] = ix->ctx[e];
    free(src);
    qsort(z, nz, sizeof *z, int_cmp); /* the sources' lists are disjoint */
    *n = nz;
    return z;
}

/* Links from the context mentions the deal's sources recall: a framework
 * (executes_framework), the batch before (next_batch), a joint venture
 * (enabled_by_jv). */
static void link_recalled(rctx *x, cluster *k, lset *ls, int *err)
{
    const ds_canon *c = k->c;
    int cls = stage_class(c->stage);
    size_t nz = 0;
    int *zs = recalled_by(x, k, &nz);
    if (!zs) {
        *err = 1;
        return;
    }
    for (size_t i = 0; i < nz; i++) {
        const minfo *z = &x->mi[zs[i]];
        const ds_mention *m = z->m;
        if (z->cls == CLS_FRAMEWORK && (cls == CLS_CONTRACT || cls == CLS_OPTION))
            link_context(x, ls, DS_REL_EXECUTES_FRAMEWORK, z, k, err);
        else if (z->cls == CLS_CONTRACT && cls == CLS_CONTRACT && m->batch > 0 && c->batch > 0 &&
                 m->batch == c->batch - 1)
            link_context(x, ls, DS_REL_NEXT_BATCH, z, k, err);
        else if (z->cls == CLS_JV && cls != CLS_JV && cls != CLS_FRAMEWORK)
            link_context(x, ls, DS_REL_ENABLED_BY_JV, z, k, err);
    }
    free(zs);
}

/* Links to the parents of the deal's own reference row. */
static void link_ref_parents(rctx *x, const ds_canon *c, lset *ls, int *err)
{
    const ds_refdeal *own = c->ref[0] ? ds_catalog_ref(x->rs->cat, c->ref) : NULL;
    char why[BASIS_LEN];
    for (int i = 0; own && i < own->nparents; i++) {
        int rel = -1;
        for (int j = 0; j < DS_REL__COUNT; j++)
            if (strcmp(own->parents[i].relation, ds_relation_names[j]) == 0)
                rel = j;
        snprintf(why, sizeof why, "reference row %.23s names %.23s as parent", own->ref, own->parents[i].ref);
        if (rel >= 0)
            link_ref(x, ls, (ds_relation)rel, own->parents[i].ref, DS_VIA_REFERENCE, c, why, err);
    }
}

/* Whether families a and b differ only by variant: one is a catalog
 * variant's id and the other its family, or (designations read from the
 * text) one extends the other by a variant suffix ("K9" and "K9A1",
 * "IRIS-T" and "IRIS-T_SLM"; never "K9" and "K90": a digit after a digit
 * is another number). */
static int families_related(const ds_catalog *cat, const char *a, const char *b)
{
    if (strcmp(a, b) == 0)
        return 0;
    const ds_system *sa = cat ? ds_catalog_system(cat, a) : NULL, *sb = cat ? ds_catalog_system(cat, b) : NULL;
    if ((sa && sa->family && strcmp(sa->family, b) == 0) || (sb && sb->family && strcmp(sb->family, a) == 0))
        return 1;
    size_t la = strlen(a), lb = strlen(b);
    const char *lo = la < lb ? a : b, *hi = la < lb ? b : a;
    size_t n = la < lb ? la : lb;
    if (n < 2 || strncmp(lo, hi, n) != 0)
        return 0;
    unsigned char last = (unsigned char)lo[n - 1], next = (unsigned char)hi[n];
    return !((last >= '0' && last <= '9') && (next >= '0' && next <= '9'));
}

/* Whether blocks key1 and key2 have the same buyer and seller and families
 * that differ only by variant. */
static int variant_blocks(const ds_catalog *cat, const char *key1, const char *key2)
{
    const char *f1 = strrchr(key1, '|'), *f2 = strrchr(key2, '|');
    if (!f1 || !f2 || f1 - key1 != f2 - key2 || strncmp(key1, key2, (size_t)(f1 - key1)) != 0)
        return 0;
    return families_related(cat, f1 + 1, f2 + 1);
}

/* Parents in the blocks of variant families (same buyer and seller), for
 * the relations the block gave no candidate: the batch before, the
 * framework, the contract of an option, by the rules of ordinal_links.
 * Registers our block as a reader of theirs, so that a parent that comes
 * later re-links us (see block_get for blocks that do not exist yet). */
static void link_variants(rctx *x, const ds_canon *c, lset *ls, int *err)
{
    int cls = stage_class(c->stage), need[DS_REL__COUNT] = {0};
    need[DS_REL_NEXT_BATCH] = cls == CLS_CONTRACT && c->batch > 1;
    need[DS_REL_EXECUTES_FRAMEWORK] = cls == CLS_CONTRACT || cls == CLS_OPTION;
    need[DS_REL_OPTION_EXERCISE] = cls == CLS_OPTION;
    for (size_t i = 0; i < ls->n; i++)
        need[ls->c[i].rel] = 0;
    if (!x->rs->cross_block || !(need[DS_REL_NEXT_BATCH] || need[DS_REL_EXECUTES_FRAMEWORK] || need[DS_REL_OPTION_EXERCISE]))
        return;
    x->b->wants_variant = 1;
    char day[16], why[BASIS_LEN];
    for (size_t t = 0; t < x->rs->tabcap; t++) {
        block *pb = x->rs->tab[t];
        if (!pb || pb == x->b || !variant_blocks(x->rs->cat, pb->key, x->b->key))
            continue;
        if (add_dep(pb, x->b) != 0) {
            *err = 1;
            return;
        }
        pb->sib_read = 1;
        const char *fam = strrchr(pb->key, '|') + 1;
        for (size_t i = 0; i < pb->nsib; i++) {
            const sibdeal *o = &pb->sib[i];
            int32_t gap = day_gap(o->date, c->signing_date);
            fmt_day(o->date, day);
            int rel = -1;
            if (need[DS_REL_NEXT_BATCH] && o->cls == CLS_CONTRACT && o->batch == c->batch - 1 &&
                !not_after(o->date, c->signing_date)) {
                rel = DS_REL_NEXT_BATCH;
                snprintf(why, sizeof why, "batch %d follows batch %d of variant family %.23s, signed %s", c->batch,
                         o->batch, fam, day);
            } else if (need[DS_REL_EXECUTES_FRAMEWORK] && o->cls == CLS_FRAMEWORK && !signed_after(o->date, c->signing_date)) {
                rel = DS_REL_EXECUTES_FRAMEWORK;
                snprintf(why, sizeof why, "under the framework of variant family %.23s, signed %s", fam, day);
            } else if (need[DS_REL_OPTION_EXERCISE] && o->cls == CLS_CONTRACT && o->date != DS_NO_DATE &&
                       !not_after(o->date, c->signing_date)) {
                rel = DS_REL_OPTION_EXERCISE;
                snprintf(why, sizeof why, "option of the contract of variant family %.23s signed %s", fam, day);
            }
            if (rel >= 0)
                lset_add(ls, (ds_relation)rel, o->id, "", DS_VIA_STATE, gap, why);
        }
    }
}

/* Sets c's links to the best candidate of ls per relation (relation order),
 * each with a ref known by any candidate for the same target. Returns 0 or -1. */
static int pick_links(const lset *ls, ds_canon *c)
{
    const lcand *pick[DS_REL__COUNT] = {NULL};
    for (size_t i = 0; i < ls->n; i++) {
        const lcand *l = &ls->c[i];
        if (!pick[l->rel] || lcand_better(l, pick[l->rel]))
            pick[l->rel] = l;
    }
    size_t nl = 0;
    for (int r = 0; r < DS_REL__COUNT; r++)
        nl += pick[r] != NULL;
    if (!nl)
        return 0;
    c->links = calloc(nl, sizeof *c->links);
    if (!c->links)
        return -1;
    for (int r = 0; r < DS_REL__COUNT; r++) {
        const lcand *l = pick[r];
        if (!l)
            continue;
        ds_canon_link *o = &c->links[c->nlinks++];
        o->relation = l->rel;
        memcpy(o->target, l->target, sizeof o->target);
        memcpy(o->target_ref, l->tref, sizeof o->target_ref);
        o->via = l->via;
        memcpy(o->basis, l->basis, sizeof o->basis);
        /* another candidate for the same target may know the ref */
        for (size_t i = 0; i < ls->n && !o->target_ref[0]; i++)
            if (ls->c[i].rel == l->rel && strcmp(ls->c[i].target, l->target) == 0 && ls->c[i].tref[0])
                memcpy(o->target_ref, ls->c[i].tref, sizeof o->target_ref);
    }
    return 0;
}

/* The links of cluster k's record: candidates from ordinals, relation
 * hints, recalled context mentions, the reference row's parents and
 * (what is still missing) the blocks of variant families, then the best
 * per relation. Returns 0 or -1 when out of memory. */
static int compute_links(rctx *x, cluster *k)
{
    lset ls;
    ls.n = 0;
    int err = 0;
    ordinal_links(x, k->c, &ls);
    link_hints(x, k, &ls, &err);
    link_recalled(x, k, &ls, &err);
    link_ref_parents(x, k->c, &ls, &err);
    link_variants(x, k->c, &ls, &err);
    if (err)
        return -1;
    return pick_links(&ls, k->c);
}

/* ---- content hash ----------------------------------------------------- */

static void h_bytes(ds_buf *b, const void *p, size_t n, int *err)
{
    if (ds_buf_append(b, p, n) != 0)
        *err = 1;
}
static void h_str(ds_buf *b, const char *s, int *err) { h_bytes(b, s ? s : "", strlen(s ? s : "") + 1, err); }
static void h_i64(ds_buf *b, int64_t v, int *err) { h_bytes(b, &v, sizeof v, err); }
static void h_value(ds_buf *b, const ds_value *v, int *err)
{
    h_i64(b, v->set, err);
    if (!v->set)
        return;
    h_i64(b, v->amount, err);
    h_str(b, v->currency, err);
    h_i64(b, v->usd, err);
    h_str(b, v->covers, err);
    h_i64(b, v->combined, err);
}

/* Hashes of the entries of the long lists of a record (its sources, its
 * evidence, a claim's sources): each list enters the record's hash as its
 * count and the sum of its entries' hashes, so that an entry inserted or
 * changed updates it without reading the others (see inc_extend). A list
 * is sorted, a function of its set of entries, so its sum is too. */
static uint64_t src_entry_hash(const ds_canon_source *s)
{
    char buf[2 * DS_ID_MAX + 96];
    size_t n = 0;
    const char *strs[3] = {s->duplicate_of ? s->duplicate_of : "", s->id, s->outlet ? s->outlet : ""};
    for (int i = 0; i < 3; i++) {
        size_t l = strlen(strs[i]);
        size_t room = sizeof buf - n - 3 * sizeof(int64_t) - (size_t)(3 - i);
        if (l > room)
            l = room;
        memcpy(buf + n, strs[i], l);
        n += l;
        buf[n++] = '\0';
    }
    int64_t v[3] = {s->kind, s->published, s->status};
    memcpy(buf + n, v, sizeof v);
    return ds_hash64(buf, n + sizeof v, 0x5851f42d4c957f2dULL);
}

static uint64_t ev_entry_hash(const ds_canon_evidence *e)
{
    char buf[DS_ID_MAX + 48];
    size_t fl = strnlen(e->field, 31), sl = strnlen(e->source, DS_ID_MAX);
    memcpy(buf, e->field, fl);
    buf[fl] = '\0';
    memcpy(buf + fl + 1, e->source, sl);
    buf[fl + 1 + sl] = '\0';
    int32_t v[2] = {e->start, e->end};
    memcpy(buf + fl + sl + 2, v, sizeof v);
    return ds_hash64(buf, fl + sl + 2 + sizeof v, 0x14057b7ef767814fULL);
}

static uint64_t str_entry_hash(const char *s) { return ds_hash64(s, strlen(s), 0x2545f4914f6cdd1dULL); }

/* Sets the sums of c's long lists from their entries. */
static void canon_sums(ds_canon *c)
{
    c->hsources = c->hevidence = 0;
    for (size_t i = 0; i < c->nsources; i++)
        c->hsources += src_entry_hash(&c->sources[i]);
    for (size_t i = 0; i < c->nevidence; i++)
        c->hevidence += ev_entry_hash(&c->evidence[i]);
    for (size_t i = 0; i < c->nclaims; i++) {
        c->claims[i].hsources = 0;
        for (size_t j = 0; j < c->claims[i].nsources; j++)
            c->claims[i].hsources += str_entry_hash(c->claims[i].sources[j]);
    }
}

/* Hash of everything published except revision and updated, the long
 * lists by their sums (canon_sums): copies listed among the sources
 * (duplicate_of) and their evidence included, so that a copy reaches a
 * published record. */
static int canon_hash_sums(const ds_canon *c, ds_buf *b, uint64_t *out)
{
    int err = 0;
    ds_buf_reset(b);
    h_str(b, c->deal_id, &err);
    h_str(b, c->retired_into, &err);
    h_str(b, c->block_key, &err);
    h_str(b, c->buyer, &err);
    h_str(b, c->seller, &err);
    h_i64(b, (int64_t)c->nsuppliers, &err);
    for (size_t i = 0; i < c->nsuppliers; i++) {
        h_str(b, c->suppliers[i].company, &err);
        h_i64(b, c->suppliers[i].role, &err);
    }
    h_str(b, c->system, &err);
    h_str(b, c->family, &err);
    h_i64(b, c->quantity, &err);
    for (int pass = 0; pass < 2; pass++) {
        const ds_canon_item *it = pass ? c->extras : c->variants;
        size_t n = pass ? c->nextras : c->nvariants;
        h_i64(b, (int64_t)n, &err);
        for (size_t i = 0; i < n; i++) {
            h_str(b, it[i].name, &err);
            h_i64(b, it[i].quantity, &err);
        }
    }
    h_value(b, &c->value, &err);
    h_str(b, c->value_basis, &err);
    h_i64(b, (int64_t)c->nclaims, &err);
    for (size_t i = 0; i < c->nclaims; i++) {
        h_value(b, &c->claims[i].value, &err);
        h_i64(b, (int64_t)c->claims[i].nsources, &err);
        h_i64(b, (int64_t)c->claims[i].hsources, &err);
    }
    h_i64(b, c->stage, &err);
    h_i64(b, c->status, &err);
    h_i64(b, c->batch, &err);
    h_i64(b, c->signing_date, &err);
    h_i64(b, c->signing_year, &err);
    h_i64(b, c->announce_date, &err);
    h_i64(b, (int64_t)c->ndelivery_years, &err);
    for (size_t i = 0; i < c->ndelivery_years; i++)
        h_i64(b, c->delivery_years[i], &err);
    h_str(b, c->place, &err);
    h_i64(b, (int64_t)c->nsources, &err); /* a copy's duplicate_of changes the sum: it is content */
    h_i64(b, (int64_t)c->hsources, &err);
    h_i64(b, -1, &err);
    for (size_t i = 0; i < c->nlinks; i++) {
        const ds_canon_link *l = &c->links[i];
        h_i64(b, l->relation, &err);
        h_str(b, l->target, &err);
        h_str(b, l->target_ref, &err);
        h_i64(b, l->via, &err);
        h_str(b, l->basis, &err);
    }
    h_i64(b, -1, &err);
    h_i64(b, (int64_t)c->nevidence, &err);
    h_i64(b, (int64_t)c->hevidence, &err);
    if (c->delivered > 0) /* absent from a retired record: its hash stays what it was */
        h_i64(b, c->delivered, &err);
    if (err)
        return -1;
    *out = ds_hash64(b->data, b->len, 0);
    return 0;
}

/* canon_hash_sums after setting the sums from c's lists. */
static int canon_hash(ds_canon *c, ds_buf *b, uint64_t *out)
{
    canon_sums(c);
    return canon_hash_sums(c, b, out);
}

/* ---- recompute -------------------------------------------------------- */

/* Appends c to a growable array of records. Returns 0, or -1 (array unaltered). */
static int ptr_push(ds_canon ***arr, size_t *n, size_t *cap, ds_canon *c)
{
    if (ds_reserve(arr, cap, *n + 1, sizeof **arr, 16))
        return -1;
    (*arr)[(*n)++] = c;
    return 0;
}

static int out_push(ds_resolver *rs, ds_canon *c) { return ptr_push(&rs->out, &rs->nout, &rs->capout, c); }

static int retired_push(ds_resolver *rs, ds_canon *c)
{
    return ptr_push(&rs->retired, &rs->nretired, &rs->capretired, c);
}

static int cluster_id_cmp(const void *pa, const void *pb)
{
    return strcmp(((const cluster *)pa)->id, ((const cluster *)pb)->id);
}

static int canon_ptr_cmp(const void *pa, const void *pb)
{
    const ds_canon *a = *(const ds_canon *const *)pa, *b = *(const ds_canon *const *)pb;
    int c = strcmp(a->block_key, b->block_key);
    return c ? c : strcmp(a->deal_id, b->deal_id);
}

/* Anchor order: a reference row first (its deal's id is then known from the
 * row alone), then time-bearing, then earliest published, then mention_id. */
static int anchor_before(const minfo *a, const minfo *b)
{
    if (a->isref != b->isref)
        return a->isref;
    if (a->has_t != b->has_t)
        return a->has_t;
    if (a->pub != b->pub)
        return a->pub < b->pub;
    return strcmp(a->m->mention_id, b->m->mention_id) < 0;
}

static uint64_t block_refsig(const block *b)
{
    uint64_t h = 0x243f6a8885a308d3ULL;
    for (size_t i = 0; i < b->nrefd; i++) {
        const refdeal *d = &b->refd[i];
        h = ds_hash64(d->ref, strlen(d->ref), h);
        h = ds_hash64(d->id, strlen(d->id), h);
    }
    for (size_t i = 0; i < b->nsib; i++)
        h = ds_hash64(&b->sib[i], sizeof b->sib[i], h);
    return h;
}

/* Visits every string c points at: adds up their sizes, and when p is not
 * NULL also copies each to p and points c at the copy. Returns the size. */
static size_t canon_strings(ds_canon *c, char *p)
{
    size_t n = 0;
#define VISIT(s)                                 \
    do {                                         \
        if (s) {                                 \
            size_t l_ = strlen(s) + 1;           \
            if (p) {                             \
                memcpy(p + n, s, l_);            \
                (s) = p + n;                     \
            }                                    \
            n += l_;                             \
        }                                        \
    } while (0)
    VISIT(c->place);
    for (size_t i = 0; i < c->nsuppliers; i++)
        VISIT(c->suppliers[i].company);
    for (size_t i = 0; i < c->nvariants; i++)
        VISIT(c->variants[i].name);
    for (size_t i = 0; i < c->nextras; i++)
        VISIT(c->extras[i].name);
    for (size_t i = 0; i < c->nclaims; i++)
        for (size_t j = 0; j < c->claims[i].nsources; j++)
            VISIT(c->claims[i].sources[j]);
    for (size_t i = 0; i < c->nsources; i++) {
        VISIT(c->sources[i].id);
        VISIT(c->sources[i].outlet);
        VISIT(c->sources[i].duplicate_of);
    }
    for (size_t i = 0; i < c->nevidence; i++) {
        VISIT(c->evidence[i].field);
        VISIT(c->evidence[i].source);
    }
#undef VISIT
    return n;
}

/* Copies every string c points at into one allocation it owns, so that it
 * outlives the unpacked mentions it was merged from. Returns 0 or -1. */
static int canon_own(ds_canon *c)
{
    char *p = malloc(canon_strings(c, NULL) + 1);
    if (!p)
        return -1;
    canon_strings(c, p); /* copy before freeing: c may point into its old strings */
    free(c->strings);
    c->strings = p;
    return 0;
}


/* Records of live deals are kept only from one add to the next (they are
 * what the add published, and ds_resolver_deals hands them out): between
 * adds a block holds its mentions, revisions and refd, nothing else.
 * cache_release moves a block's records to rs->kept (an earlier pass of this
 * add may have published them); cache_keep caches the records of a
 * recompute; cache_drop frees every cache. */
static void cache_release(ds_resolver *rs, block *b)
{
    for (size_t i = 0; b->deals && i < b->ndeals; i++)
        if (ptr_push(&rs->kept, &rs->nkept, &rs->capkept, b->deals[i]) != 0)
            canon_free(b->deals[i]);
    free(b->deals);
    b->deals = NULL;
}

static int cache_keep(ds_resolver *rs, block *b, rctx *x)
{
    ds_canon **deals = malloc((x->ncl ? x->ncl : 1) * sizeof *deals);
    if (!deals)
        return -1;
    for (size_t c = 0; c < x->ncl; c++)
        if (canon_own(x->cl[c].c) != 0)
            goto err;
    if (!b->cached) {
        if (ds_reserve(&rs->cachedb, &rs->capcachedb, rs->ncachedb + 1, sizeof *rs->cachedb, 16))
            goto err;
        rs->cachedb[rs->ncachedb++] = b;
        b->cached = 1;
    }
    for (size_t c = 0; c < x->ncl; c++) {
        deals[c] = x->cl[c].c;
        x->cl[c].kept = 1;
    }
    b->deals = deals;
    b->ndeals = x->ncl;
    return 0;
err:
    free(deals);
    return -1;
}

/* A copy of n elements of size sz (never NULL on success, even empty), or
 * NULL when out of memory. */
static void *arr_copy(const void *p, size_t n, size_t sz)
{
    void *q = malloc((n ? n : 1) * sz);
    if (q && n)
        memcpy(q, p, n * sz);
    return q;
}

/* A copy of record o with arrays of its own; its strings still point where
 * o's do (canon_own makes them its own). Returns it, or NULL when out of
 * memory. */
static ds_canon *canon_clone(const ds_canon *o)
{
    ds_canon *n = malloc(sizeof *n);
    if (!n)
        return NULL;
    *n = *o;
    n->strings = NULL;
    n->suppliers = arr_copy(o->suppliers, o->nsuppliers, sizeof *o->suppliers);
    n->variants = arr_copy(o->variants, o->nvariants, sizeof *o->variants);
    n->extras = arr_copy(o->extras, o->nextras, sizeof *o->extras);
    n->delivery_years = arr_copy(o->delivery_years, o->ndelivery_years, sizeof *o->delivery_years);
    n->sources = arr_copy(o->sources, o->nsources, sizeof *o->sources);
    n->links = arr_copy(o->links, o->nlinks, sizeof *o->links);
    n->evidence = arr_copy(o->evidence, o->nevidence, sizeof *o->evidence);
    n->nclaims = 0;
    n->claims = o->nclaims ? calloc(o->nclaims, sizeof *n->claims) : NULL;
    int bad = !n->suppliers || !n->variants || !n->extras || !n->delivery_years || !n->sources || !n->links ||
              !n->evidence || (o->nclaims && !n->claims);
    for (size_t i = 0; !bad && i < o->nclaims; i++, n->nclaims++) {
        n->claims[i] = o->claims[i];
        n->claims[i].sources = arr_copy(o->claims[i].sources, o->claims[i].nsources, sizeof(char *));
        bad = !n->claims[i].sources;
    }
    if (bad) {
        canon_free(n);
        return NULL;
    }
    return n;
}

static void cache_drop(ds_resolver *rs)
{
    for (size_t i = 0; i < rs->ncachedb; i++) {
        block *b = rs->cachedb[i];
        for (size_t j = 0; b->deals && j < b->ndeals; j++)
            canon_free(b->deals[j]);
        free(b->deals);
        b->deals = NULL;
        b->cached = 0;
    }
    rs->ncachedb = 0;
}

/* A retired record for rev r, retired into surv (may be NULL). */
static ds_canon *retired_record(ds_resolver *rs, const block *b, const rev *r, const ds_canon *surv, ds_buf *hb)
{
    ds_canon *t = calloc(1, sizeof *t);
    if (!t || retired_push(rs, t) != 0) {
        free(t);
        return NULL;
    }
    memcpy(t->deal_id, r->id, sizeof t->deal_id);
    ds_strlcpy(t->block_key, b->key, sizeof t->block_key);
    if (surv) {
        memcpy(t->retired_into, surv->deal_id, sizeof t->retired_into);
        t->updated = surv->updated;
    }
    t->quantity = -1;
    t->signing_date = t->announce_date = DS_NO_DATE;
    t->value.usd = -1;
    t->place = "";
    if (canon_hash(t, hb, &t->content_hash) != 0)
        return NULL;
    return t;
}

static int minfo_src_cmp(const void *pa, const void *pb)
{
    return strcmp((*(const minfo *const *)pa)->m->src.id, (*(const minfo *const *)pb)->m->src.id);
}

/* Numbers the mentions' sources (equal ids, equal numbers), so that the
 * pairwise tests compare integers instead of ids. Returns 0 or -1. */
static int number_sources(minfo *mi, size_t n)
{
    minfo **ord = malloc((n ? n : 1) * sizeof *ord);
    if (!ord)
        return -1;
    for (size_t i = 0; i < n; i++)
        ord[i] = &mi[i];
    qsort(ord, n, sizeof *ord, minfo_src_cmp);
    int no = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && strcmp(ord[i]->m->src.id, ord[i - 1]->m->src.id) != 0)
            no++;
        ord[i]->src_no = no;
    }
    free(ord);
    return 0;
}

/* Unpacks the block's mentions into ms and fills their per-mention facts:
 * kind, stage class, signing window, USD value, publication time; every
 * mention starts as its own union-find root in par. */
/* Fills the per-mention facts y of mention m (which y points at): kind,
 * stage class, signing window, USD value, publication time. */
static void fill_minfo(const ds_resolver *rs, minfo *y, const ds_mention *m)
{
    y->m = m;
    y->id = m->mention_id;
    y->dup_of = NULL;
    y->cluster = -1;
    y->cls = stage_class(m->stage);
    y->batch = m->batch;
    y->qty = m->quantity;
    y->combined = m->value.combined;
    y->pub = m->src.published == DS_NO_TIME ? INT64_MAX : m->src.published;
    y->usd = m->value.combined ? -1 : value_usd(rs->cat, &m->value, mention_year(m));
    y->isref = m->src.kind == DS_SRC_REFERENCE;
    mention_window(y);
    if (m->role == DS_ROLE_CONTEXT)
        y->kind = K_CONTEXT;
    else if (m->stage == DS_STAGE_DELIVERY || m->stage == DS_STAGE_CANCELLATION || m->stage == DS_STAGE_AMENDMENT)
        y->kind = K_UPDATE;
    else if (m->stage == DS_STAGE_INTENT || y->cls == CLS_NONE)
        y->kind = K_IGNORE;
    else
        y->kind = y->has_t ? K_STRONG : K_WEAK;
    if (y->kind == K_CONTEXT) /* a context mention has no publication window of its own */
        y->has_t = m->signing_date != DS_NO_DATE || m->signing_year > 0;
}

/* Unpacks the block's mentions into ms and fills their per-mention facts;
 * every mention starts as its own union-find root in par. */
static void read_mentions(rctx *x, ds_mention *ms, int *par)
{
    for (size_t i = 0; i < x->n; i++) {
        unpack_mention(x->b->ms[i], x->b->key, &ms[i]);
        fill_minfo(x->rs, &x->mi[i], &ms[i]);
        par[i] = (int)i;
    }
}

typedef struct hitem {
    uint64_t hash;
    int64_t pub;
    int src_no;
    minfo *y;
} hitem;

static int hitem_cmp(const void *pa, const void *pb)
{
    const hitem *a = pa, *b = pb;
    int c = src_cmp(a->y, b->y);
    return c ? c : a->y < b->y ? -1 : a->y > b->y;
}

/* Text fingerprints by band: see "incremental adds" (bands). */
#define NBANDS 5

static unsigned band_of(uint64_t t, int j) { return (unsigned)(t >> (13 * j)) & (j < 4 ? 0x1fffu : 0xfffu); }

/* The fingerprints of a recompute's sorted mentions by band value: bucket
 * (j, v) lists, ascending, the positions whose band j is v. Built only once
 * some mention has more earlier candidates than COPY_SCAN. */
#define COPY_SCAN 256

typedef struct cbands {
    int **e;          /* NBANDS * 8192 buckets */
    uint32_t *n, *cap;
    size_t filled;    /* positions put in so far */
} cbands;

static void cbands_free(cbands *cb)
{
    for (size_t k = 0; cb->e && k < (size_t)NBANDS * 8192; k++)
        free(cb->e[k]);
    free(cb->e);
    free(cb->n);
    free(cb->cap);
}

/* Puts positions filled .. upto-1 of h in the bands. Returns 0 or -1. */
static int cbands_fill(cbands *cb, const hitem *h, size_t upto)
{
    if (!cb->e) {
        cb->e = calloc((size_t)NBANDS * 8192, sizeof *cb->e);
        cb->n = calloc((size_t)NBANDS * 8192, sizeof *cb->n);
        cb->cap = calloc((size_t)NBANDS * 8192, sizeof *cb->cap);
        if (!cb->e || !cb->n || !cb->cap)
            return -1;
    }
    for (; cb->filled < upto; cb->filled++)
        for (int j = 0; j < NBANDS; j++) {
            size_t k = (size_t)j * 8192 + band_of(h[cb->filled].hash, j);
            if (cb->n[k] == cb->cap[k]) {
                uint32_t nc = cb->cap[k] ? cb->cap[k] * 2 : 4;
                int *ne = realloc(cb->e[k], nc * sizeof *ne);
                if (!ne)
                    return -1;
                cb->e[k] = ne;
                cb->cap[k] = nc;
            }
            cb->e[k][cb->n[k]++] = (int)cb->filled;
        }
    return 0;
}

/* Whether h[j] can be the source h[i] repeats (see mark_copies). */
static int copy_of(const hitem *h, size_t j, size_t i)
{
    return popcount64(h[j].hash ^ h[i].hash) <= HAMMING_DUP && h[j].src_no != h[i].src_no && src_cmp(h[j].y, h[i].y) < 0;
}

/* The first position j in [lo, i) that h[i] repeats, or -1, found in the
 * bands: a fingerprint within HAMMING_DUP (12) bits of another differs in
 * at most 2 bits of one of its 5 bands, so the buckets within 2 bits of
 * each band of h[i] hold every candidate. */
static long copy_in_bands(const cbands *cb, const hitem *h, size_t lo, size_t i)
{
    long best = -1;
    for (int j = 0; j < NBANDS; j++) {
        int bits = j < 4 ? 13 : 12;
        unsigned v = band_of(h[i].hash, j);
        for (int a = -1; a < bits; a++)
            for (int b = a; b < bits; b++) {
                if (a < 0 && b >= 0)
                    break; /* a < 0: the value itself, once */
                unsigned w = v ^ (a >= 0 ? 1u << a : 0) ^ (b > a ? 1u << b : 0);
                size_t k = (size_t)j * 8192 + w;
                const int *e = cb->e[k];
                uint32_t n = cb->n[k], l = 0, r = n;
                while (l < r) { /* first entry >= lo */
                    uint32_t mid = l + (r - l) / 2;
                    if ((size_t)e[mid] < lo)
                        l = mid + 1;
                    else
                        r = mid;
                }
                for (; l < n && (best < 0 || e[l] < best) && (size_t)e[l] < i; l++)
                    if (copy_of(h, (size_t)e[l], i)) {
                        best = e[l];
                        break;
                    }
            }
    }
    return best;
}

/* Sets dup_of of every mention whose source repeats an earlier source of the
 * block: the earliest one within HAMMING_DUP bits, published within the
 * retention before it. The fingerprinted mentions are sorted in source
 * order into a compact array, so that the first match met is the earliest
 * and the scan for it reads 24 bytes a candidate; a mention with more than
 * COPY_SCAN earlier candidates (no retention, or a dense one) looks its
 * candidates up in the bands instead, with the same outcome. Returns 0 or -1. */
static int mark_copies(rctx *x)
{
    const ds_resolver *rs = x->rs;
    size_t n = 0;
    cbands cb = {0};
    hitem *h = malloc((x->n ? x->n : 1) * sizeof *h);
    if (!h)
        return -1;
    for (size_t i = 0; i < x->n; i++)
        if (x->mi[i].m->src.text_hash)
            h[n++] = (hitem){x->mi[i].m->src.text_hash, x->mi[i].pub, x->mi[i].src_no, &x->mi[i]};
    qsort(h, n, sizeof *h, hitem_cmp);
    size_t from = 0; /* first candidate within the retention of h[i] */
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        minfo *y = h[i].y;
        while (rs->retention && y->pub != INT64_MAX && from < i && y->pub - h[from].pub > rs->retention * MINUTE_MS)
            from++; /* published after its fingerprint expired: a new source */
        size_t lo = y->pub != INT64_MAX ? from : 0;
        long found = -1;
        if (i - lo > COPY_SCAN) {
            if (cbands_fill(&cb, h, i) != 0)
                rc = -1;
            else
                found = copy_in_bands(&cb, h, lo, i);
        } else {
            for (size_t j = lo; j < i && found < 0; j++)
                if (copy_of(h, j, i))
                    found = (long)j;
        }
        if (found >= 0)
            y->dup_of = h[found].y->m->src.id;
    }
    cbands_free(&cb);
    free(h);
    return rc;
}

/* What compatible() reads of a and b, compared after class and window
 * start; 0 when equal. */
static int strong_facts_cmp(const minfo *a, const minfo *b)
{
    int64_t va[7] = {a->hi, a->batch, a->qty, a->usd, a->combined, a->exact, a->isref};
    int64_t vb[7] = {b->hi, b->batch, b->qty, b->usd, b->combined, b->exact, b->isref};
    for (int i = 0; i < 7; i++)
        if (va[i] != vb[i])
            return va[i] < vb[i] ? -1 : 1;
    return 0;
}

static int strong_cmp(const void *pa, const void *pb)
{
    const minfo *a = *(const minfo *const *)pa, *b = *(const minfo *const *)pb;
    if (a->cls != b->cls)
        return a->cls < b->cls ? -1 : 1;
    if (a->lo != b->lo)
        return a->lo < b->lo ? -1 : 1;
    int c = strong_facts_cmp(a, b);
    if (c)
        return c;
    return a < b ? -1 : a > b;
}

/* Unites every pair of compatible time-bearing (strong) mentions. Mentions
 * of the same facts (strong_facts_cmp), reference rows apart, are
 * compatible with each other and with the same others: each run of them is
 * united and stands as its first
 * in what follows (a deal of many like reports is then one mention of the
 * sweep, not n^2 / 2 compares). Sorted by class and window start, a
 * mention need only be compared with those that start within its window's
 * end + EXACT_DAYS: no other can meet it in time. The union-find root of a
 * component is its smallest index whatever the order of unions. Returns 0
 * or -1 when out of memory. */
static int cluster_strong(rctx *x, int *par)
{
    size_t n = 0;
    minfo **st = malloc((x->n ? x->n : 1) * sizeof *st);
    if (!st)
        return -1;
    for (size_t i = 0; i < x->n; i++)
        if (x->mi[i].kind == K_STRONG)
            st[n++] = &x->mi[i];
    qsort(st, n, sizeof *st, strong_cmp);
    size_t u = 0;
    for (size_t i = 0; i < n; i++) {
        if (u > 0 && !st[i]->isref && st[u - 1]->cls == st[i]->cls && st[u - 1]->lo == st[i]->lo &&
            strong_facts_cmp(st[u - 1], st[i]) == 0) { /* two rows are two deals */
            uf_union(par, (int)(st[u - 1] - x->mi), (int)(st[i] - x->mi));
            continue;
        }
        st[u++] = st[i];
    }
    for (size_t i = 0; i < u; i++)
        for (size_t j = i + 1; j < u && st[j]->cls == st[i]->cls && st[j]->lo <= st[i]->hi + EXACT_DAYS; j++)
            if (compatible(st[i], st[j]))
                uf_union(par, (int)(st[i] - x->mi), (int)(st[j] - x->mi));
    free(st);
    return 0;
}

/* The strong clusters of a recompute as weak mentions look them up: each
 * root's members, the roots by class and by the one known batch of their
 * members (0 none, -1 several). */
typedef struct wroots {
    int *at;   /* members of the k-th root of keys: mem[at[k] .. at[k + 1]) */
    int *mem;
    lkey *keys; /* (class, batch, root), sorted */
    size_t n;
} wroots;

static void wroots_free(wroots *w)
{
    free(w->at);
    free(w->mem);
    free(w->keys);
}

/* Builds w from the strong clusters of par. Returns 0 or -1. */
static int wroots_build(const rctx *x, int *par, wroots *w)
{
    int *slot = malloc((x->n ? x->n : 1) * sizeof *slot);
    w->keys = malloc((x->n ? x->n : 1) * sizeof *w->keys);
    w->mem = malloc((x->n ? x->n : 1) * sizeof *w->mem);
    w->at = calloc(x->n + 1, sizeof *w->at);
    if (!slot || !w->keys || !w->mem || !w->at) {
        free(slot);
        return -1;
    }
    w->n = 0;
    for (size_t i = 0; i < x->n; i++) /* roots: the smallest index of their cluster */
        if (x->mi[i].kind == K_STRONG && uf_find(par, (int)i) == (int)i) {
            slot[i] = (int)w->n;
            w->keys[w->n++] = (lkey){x->mi[i].cls, 0, (int)i};
        }
    for (size_t i = 0; i < x->n; i++)
        if (x->mi[i].kind == K_STRONG) {
            lkey *k = &w->keys[slot[uf_find(par, (int)i)]];
            int b = x->mi[i].batch;
            k->b = b <= 0 || k->b == b ? k->b : k->b == 0 ? b : -1;
        }
    qsort(w->keys, w->n, sizeof *w->keys, lkey_cmp);
    for (size_t k = 0; k < w->n; k++)
        slot[w->keys[k].i] = (int)k;
    for (size_t i = 0; i < x->n; i++)
        if (x->mi[i].kind == K_STRONG)
            w->at[slot[uf_find(par, (int)i)] + 1]++;
    for (size_t k = 0; k < w->n; k++)
        w->at[k + 1] += w->at[k];
    int *fill = malloc((w->n + 1) * sizeof *fill);
    if (!fill) {
        free(slot);
        return -1;
    }
    memcpy(fill, w->at, (w->n + 1) * sizeof *fill);
    for (size_t i = 0; i < x->n; i++)
        if (x->mi[i].kind == K_STRONG)
            w->mem[fill[slot[uf_find(par, (int)i)]]++] = (int)i;
    free(fill);
    free(slot);
    return 0;
}

/* The strong cluster (its root) that weak mention i fits entirely, or -1
 * when none or several do: looked for among the clusters of its class
 * whose members' batch can be its own (no other can fit). */
static int weak_fit(const rctx *x, const wroots *w, size_t i)
{
    const minfo *y = &x->mi[i];
    lrange r[2] = {{w->keys, 0, 0}, {w->keys, 0, 0}};
    if (y->batch > 0) {
        r[0] = lkey_range(w->keys, w->n, y->cls, 0, 1);
        r[1] = lkey_range(w->keys, w->n, y->cls, y->batch, (int64_t)y->batch + 1);
    } else {
        r[0] = lkey_range(w->keys, w->n, y->cls, INT64_MIN, INT64_MAX);
    }
    int root = -1;
    for (int q = 0; q < 2; q++)
        for (size_t k = r[q].lo; k < r[q].hi; k++) {
            int fits = 1;
            for (int e = w->at[k]; e < w->at[k + 1] && fits; e++)
                fits = compatible(y, &x->mi[w->mem[e]]);
            if (!fits)
                continue;
            if (root >= 0)
                return -1; /* ambiguous */
            root = r[q].v[k].i;
        }
    return root;
}

/* Joins each weak mention to the one strong cluster it fits entirely
 * (decided against the strong clusters only, so the result does not depend
 * on the weak ones' order), then unites the leftover weak mentions that are
 * compatible. Returns 0 or -1 when out of memory. */
static int cluster_weak(rctx *x, int *par)
{
    size_t n = x->n, nweak = 0;
    for (size_t i = 0; i < n; i++)
        nweak += x->mi[i].kind == K_WEAK;
    if (!nweak)
        return 0;
    wroots w = {0};
    int *join = malloc((n ? n : 1) * sizeof *join);
    if (!join || wroots_build(x, par, &w) != 0) {
        free(join);
        wroots_free(&w);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        join[i] = x->mi[i].kind == K_WEAK ? weak_fit(x, &w, i) : -1;
    wroots_free(&w);
    for (size_t i = 0; i < n; i++)
        if (join[i] >= 0)
            uf_union(par, (int)i, join[i]);
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; x->mi[i].kind == K_WEAK && join[i] < 0 && j < n; j++)
            if (x->mi[j].kind == K_WEAK && join[j] < 0 && compatible(&x->mi[i], &x->mi[j]))
                uf_union(par, (int)i, (int)j);
    free(join);
    return 0;
}

/* Writes to id the deal id of a cluster of block key anchored by mention
 * aid: hex(xxh64(key NUL aid)) (hb scratch). Returns 0 or -1. */
static int anchored_id(const char *key, const char *aid, ds_buf *hb, char id[17])
{
    ds_buf_reset(hb);
    if (ds_buf_append(hb, key, strlen(key) + 1) != 0 || ds_buf_append(hb, aid, strlen(aid)) != 0)
        return -1;
    ds_hex64(ds_hash64(hb->data, hb->len, 0), id);
    return 0;
}

/* Numbers the union-find roots of deal-forming mentions as clusters, in
 * order of their first member, and counts members and picks each cluster's
 * anchor. Returns 0 or -1 when out of memory. */
static int number_clusters(rctx *x, int *par)
{
    int *rootcl = malloc((x->n ? x->n : 1) * sizeof *rootcl);
    if (!rootcl)
        return -1;
    for (size_t i = 0; i < x->n; i++)
        rootcl[i] = -1;
    for (size_t i = 0; i < x->n; i++) {
        minfo *y = &x->mi[i];
        if (y->kind != K_STRONG && y->kind != K_WEAK)
            continue;
        int r = uf_find(par, (int)i);
        if (rootcl[r] < 0) {
            rootcl[r] = (int)x->ncl;
            x->cl[x->ncl].anchor = (int)i;
            x->ncl++;
        }
        cluster *k = &x->cl[rootcl[r]];
        y->cluster = rootcl[r];
        k->nmem++;
        if (anchor_before(y, &x->mi[k->anchor]))
            k->anchor = (int)i;
    }
    free(rootcl);
    return 0;
}

/* Sets k's deal id (from the block key and its anchor's mention_id) and
 * its summary. Returns 0 or -1. */
static int name_cluster(rctx *x, cluster *k, ds_buf *hb)
{
    if (anchored_id(x->b->key, x->mi[k->anchor].m->mention_id, hb, k->id) != 0)
        return -1;
    return summarize(x, k);
}

/* Fills every cluster's member list (ascending), its deal id (from the
 * block key and the anchor's mention_id) and its summary. Returns 0 or -1. */
static int fill_clusters(rctx *x, ds_buf *hb)
{
    for (size_t c = 0; c < x->ncl; c++) {
        x->cl[c].mem = malloc(x->cl[c].nmem * sizeof *x->cl[c].mem);
        if (!x->cl[c].mem)
            return -1;
        x->cl[c].nmem = 0;
    }
    for (size_t i = 0; i < x->n; i++)
        if (x->mi[i].cluster >= 0) {
            cluster *k = &x->cl[x->mi[i].cluster];
            k->mem[k->nmem++] = (int)i;
        }
    for (size_t c = 0; c < x->ncl; c++)
        if (name_cluster(x, &x->cl[c], hb) != 0)
            return -1;
    return 0;
}

/* The deal update mention d fits that update_prefers most (see
 * attach_updates), looked for among the deals of the classes an update can
 * change whose batch can be d's (ks: the clusters by class and summary
 * batch); the outcome does not depend on their order. */
static cluster *update_target(rctx *x, const lkey *ks, const minfo *d)
{
    static const int classes[] = {CLS_CONTRACT, CLS_OPTION, CLS_FRAMEWORK, CLS_JV};
    int b = d->m->batch;
    cluster *best = NULL;
    for (size_t q = 0; q < sizeof classes / sizeof *classes; q++) {
        lrange r[2] = {b > 0 ? lkey_range(ks, x->ncl, classes[q], b, (int64_t)b + 1)
                             : lkey_range(ks, x->ncl, classes[q], INT64_MIN, INT64_MAX),
                       b > 0 ? lkey_range(ks, x->ncl, classes[q], INT64_MIN, 1) : (lrange){ks, 0, 0}};
        for (int h = 0; h < 2; h++)
            for (size_t e = r[h].lo; e < r[h].hi; e++) {
                cluster *k = &x->cl[ks[e].i];
                if (update_fits(d, k) && update_prefers(d, k, best))
                    best = k;
            }
    }
    return best;
}

/* Attaches every update mention to the deal it fits (update_prefers
 * choosing among several); one that fits none is left for infer_orphans.
 * Returns 0 or -1 when out of memory. */
static int attach_updates(rctx *x)
{
    size_t nupd = 0;
    for (size_t i = 0; i < x->n; i++)
        nupd += x->mi[i].kind == K_UPDATE;
    if (!nupd || !x->ncl)
        return 0;
    lkey *ks = malloc(x->ncl * sizeof *ks);
    if (!ks)
        return -1;
    for (size_t c = 0; c < x->ncl; c++)
        ks[c] = (lkey){x->cl[c].cls, x->cl[c].batch > 0 ? x->cl[c].batch : 0, (int)c};
    qsort(ks, x->ncl, sizeof *ks, lkey_cmp);
    int rc = 0;
    for (size_t i = 0; i < x->n && rc == 0; i++) {
        if (x->mi[i].kind != K_UPDATE)
            continue;
        cluster *best = update_target(x, ks, &x->mi[i]);
        if (!best)
            continue; /* pending until its deal exists */
        if (ds_reserve(&best->del, &best->capdel, best->ndel + 1, sizeof *best->del, 2))
            rc = -1;
        else {
            best->del[best->ndel++] = (int)i;
            x->mi[i].attached = 1;
        }
    }
    free(ks);
    return rc;
}

/* ---- deals known by their updates ------------------------------------ */

/* The contract year update m names (its signing date's, else its signing
 * year), 0 when none. */
static int update_year(const ds_mention *m)
{
    return m->signing_date != DS_NO_DATE ? year_of(m->signing_date) : m->signing_year;
}

/* Whether updates a and b can report one deal not seen otherwise: batches,
 * contract years and (of a cancellation or an amendment, which state the
 * contract's) quantities equal or one unknown, two signing dates within
 * EXACT_DAYS. */
static int orphans_agree(const minfo *a, const minfo *b)
{
    const ds_mention *p = a->m, *q = b->m;
    int ya = update_year(p), yb = update_year(q);
    if (a->batch > 0 && b->batch > 0 && a->batch != b->batch)
        return 0;
    if (ya > 0 && yb > 0 && ya != yb)
        return 0;
    if (p->signing_date != DS_NO_DATE && q->signing_date != DS_NO_DATE &&
        iabs64((int64_t)p->signing_date - q->signing_date) > EXACT_DAYS)
        return 0;
    return p->stage == DS_STAGE_DELIVERY || q->stage == DS_STAGE_DELIVERY || p->quantity < 0 || q->quantity < 0 ||
           p->quantity == q->quantity;
}

/* Whether mention i is an update attached to no deal. */
static int is_orphan(const rctx *x, size_t i)
{
    return x->mi[i].kind == K_UPDATE && !x->mi[i].attached;
}

/* Groups the orphan updates in par (union-find, fresh for them): those
 * naming a contract year with every other that agrees; one naming none
 * joins the one group of year-naming updates all of which it agrees
 * with, else the other such updates it agrees with. The groups depend on
 * the set only (roots are the smallest index). */
static void group_orphans(const rctx *x, int *par)
{
    size_t n = x->n;
    for (size_t i = 0; i < n; i++)
        par[i] = (int)i;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; is_orphan(x, i) && update_year(x->mi[i].m) > 0 && j < n; j++)
            if (is_orphan(x, j) && update_year(x->mi[j].m) > 0 && orphans_agree(&x->mi[i], &x->mi[j]))
                uf_union(par, (int)i, (int)j);
    int *join = malloc((n ? n : 1) * sizeof *join); /* the group a yearless update joins, -1 none */
    for (size_t i = 0; join && i < n; i++) {
        join[i] = -1;
        if (!is_orphan(x, i) || update_year(x->mi[i].m) > 0)
            continue;
        int one = -1, many = 0;
        for (size_t j = 0; j < n && !many; j++) {
            if (!is_orphan(x, j) || update_year(x->mi[j].m) == 0 || uf_find(par, (int)j) != (int)j)
                continue;
            int all = 1;
            for (size_t e = j; e < n && all; e++)
                if (is_orphan(x, e) && update_year(x->mi[e].m) > 0 && uf_find(par, (int)e) == (int)j)
                    all = orphans_agree(&x->mi[i], &x->mi[e]);
            if (all && one >= 0)
                many = 1;
            else if (all)
                one = (int)j;
        }
        join[i] = many ? -1 : one;
    }
    for (size_t i = 0; join && i < n; i++)
        if (join[i] >= 0)
            uf_union(par, (int)i, join[i]);
    for (size_t i = 0; join && i < n; i++)
        for (size_t j = i + 1; is_orphan(x, i) && update_year(x->mi[i].m) == 0 && join[i] < 0 && j < n; j++)
            if (is_orphan(x, j) && update_year(x->mi[j].m) == 0 && join[j] < 0 &&
                orphans_agree(&x->mi[i], &x->mi[j]))
                uf_union(par, (int)i, (int)j);
    free(join); /* out of memory: every update names its own deal, still a function of the set */
}

/* Makes the deal of the orphan updates of root r in par a new cluster of
 * x: the updates are its members (its buyer, seller, system, contract
 * year, value) and its updates (status, delivered, amended value); a
 * contract (see merge_inferred). Returns 0 or -1. */
static int infer_one(rctx *x, const int *par, int r, ds_buf *hb)
{
    cluster *k = &x->cl[x->ncl];
    memset(k, 0, sizeof *k);
    size_t m = 0;
    for (size_t i = (size_t)r; i < x->n; i++)
        m += is_orphan(x, i) && par[i] == r;
    k->mem = malloc(m * sizeof *k->mem);
    k->del = malloc(m * sizeof *k->del);
    x->ncl++; /* freed with the others from now on */
    if (!k->mem || !k->del)
        return -1;
    k->anchor = r;
    for (size_t i = (size_t)r; i < x->n; i++)
        if (is_orphan(x, i) && par[i] == r) {
            k->mem[k->nmem++] = k->del[k->ndel++] = (int)i;
            if (anchor_before(&x->mi[i], &x->mi[k->anchor]))
                k->anchor = (int)i;
        }
    k->capdel = m;
    k->inferred = 1;
    if (name_cluster(x, k, hb) != 0)
        return -1;
    k->cls = CLS_CONTRACT;
    k->anysigned = 1;
    return 0;
}

/* Publishes what the updates that fit no deal imply: each group of them
 * (group_orphans) is the deal they update, first seen through them, until
 * a report of the deal itself arrives (then attach_updates takes them and
 * the inferred id is retired into it). A cancellation or an amendment
 * that names no contract (no date, year, batch or quantity) implies none
 * and stays pending, invisible: it may be of any contract of the block.
 * Returns 0 or -1. */
static int infer_orphans(rctx *x, int *par, ds_buf *hb)
{
    size_t n = 0;
    for (size_t i = 0; i < x->n; i++) {
        const ds_mention *m = x->mi[i].m;
        if (is_orphan(x, i) && m->stage != DS_STAGE_DELIVERY && !update_year(m) && m->batch <= 0 &&
            m->quantity < 0)
            x->mi[i].attached = 1; /* pending */
        n += is_orphan(x, i);
    }
    if (!n)
        return 0;
    group_orphans(x, par);
    for (size_t i = 0; i < x->n; i++)
        if (is_orphan(x, i))
            par[i] = uf_find(par, (int)i);
    for (size_t i = 0; i < x->n; i++)
        if (is_orphan(x, i) && par[i] == (int)i && infer_one(x, par, (int)i, hb) != 0)
            return -1;
    return 0;
}

/* Merges every cluster into its record, sorts the clusters by deal id, then
 * sets every record's reference row (which the links of every deal read),
 * indexes what the links look up (x->ix), and sets every record's links and
 * content hash. Returns 0 or -1. */
static int build_deals(rctx *x, ds_buf *hb)
{
    for (size_t c = 0; c < x->ncl; c++)
        if (merge_cluster(x, &x->cl[c]) != 0)
            return -1;
    qsort(x->cl, x->ncl, sizeof *x->cl, cluster_id_cmp);
    for (size_t c = 0; c < x->ncl; c++) {
        ds_canon *cn = x->cl[c].c;
        const minfo *a = &x->mi[x->cl[c].anchor];
        facts f = canon_facts(cn);
        const ds_refdeal *r = a->isref ? ds_catalog_ref(x->rs->cat, a->m->src.id)
                                       : ref_match(x->rs->cat, cn->buyer, cn->seller, cn->family, &f);
        if (r)
            ds_strlcpy(cn->ref, r->ref, sizeof cn->ref);
    }
    if (lidx_build(x) != 0)
        return -1;
    for (size_t c = 0; c < x->ncl; c++)
        if (compute_links(x, &x->cl[c]) != 0 || canon_hash(x->cl[c].c, hb, &x->cl[c].c->content_hash) != 0)
            return -1;
    return 0;
}

/* Gives every record the revision last published for its id, changing
 * nothing (a view or a quiet pass). */
static void read_revisions(rctx *x)
{
    for (size_t c = 0; c < x->ncl; c++) {
        ds_canon *cn = x->cl[c].c;
        int found;
        size_t at = rev_find(x->b, cn->deal_id, &found);
        cn->revision = found ? x->b->revs[at].revision : 0;
    }
}

/* Records the anchor of deal cn of block b and publishes it (revision + 1)
 * when its content hash changed, or it is new or was retired. Returns 0 or
 * -1. */
static int assign_rec(ds_resolver *rs, block *b, ds_canon *cn, const char *anchor)
{
    int found;
    size_t at = rev_find(b, cn->deal_id, &found);
    rev *r = found ? &b->revs[at] : rev_insert(b, at, cn->deal_id);
    if (!r)
        return -1;
    ds_strlcpy(r->anchor, anchor, sizeof r->anchor);
    r->unknown = 0;
    if (!found || r->retired || r->hash != cn->content_hash) {
        r->revision++;
        r->hash = cn->content_hash;
        r->retired = 0;
        if (out_push(rs, cn) != 0)
            return -1;
    }
    cn->revision = r->revision;
    return 0;
}

/* assign_rec for the deal of cluster k, anchored by its anchor. */
static int assign_one(rctx *x, cluster *k)
{
    return assign_rec(x->rs, x->b, k->c, x->mi[k->anchor].m->mention_id);
}

/* assign_one for every live deal of the recompute. Returns 0 or -1. */
static int assign_revisions(rctx *x)
{
    for (size_t c = 0; c < x->ncl; c++)
        if (assign_one(x, &x->cl[c]) != 0)
            return -1;
    return 0;
}

/* The live deal holding mention_id anchor, or NULL (x a whole recompute:
 * its mentions in mention_id order, its clusters indexed by build_deals). */
static const ds_canon *survivor_of(const rctx *x, const char *anchor)
{
    int i = lix_mention(x, anchor);
    return i >= 0 && x->mi[i].cluster >= 0 ? x->cl[x->mi[i].cluster].c : NULL;
}

/* Whether restored rev r was already published as retired: the changelog
 * keeps no retired_into, but the retired record it published hashes to r->hash
 * for exactly one survivor (or none). Returns 1, 0, or -1 when out of memory. */
static int retired_before(rctx *x, const rev *r, ds_buf *hb)
{
    for (size_t c = 0; c <= x->ncl; c++) {
        const ds_canon *cand = c < x->ncl ? x->cl[c].c : NULL;
        ds_canon *t = retired_record(x->rs, x->b, r, cand, hb);
        if (!t)
            return -1;
        if (t->content_hash == r->hash)
            return 1;
    }
    return 0;
}

/* Publishes retired rev r of a deal inferred from an update again when
 * the update now belongs to another deal than the one r was retired into
 * (a delivery goes to the earliest contract that fits: one reported
 * later takes it), so that the id ends in the deal holding its update
 * whatever the order. Returns 0 or -1 when out of memory. */
static int repoint_retired(rctx *x, rev *r, ds_buf *hb)
{
    int i = r->unknown || !r->anchor[0] ? -1 : lix_mention(x, r->anchor);
    if (i < 0 || x->mi[i].kind != K_UPDATE || lix_deal(x, r->id) >= 0)
        return 0;
    const ds_canon *surv = survivor_of(x, r->anchor);
    if (!surv)
        return 0;
    ds_canon *t = retired_record(x->rs, x->b, r, surv, hb);
    if (!t)
        return -1;
    if (t->content_hash == r->hash)
        return 0;
    if (out_push(x->rs, t) != 0)
        return -1;
    r->revision++;
    r->hash = t->content_hash;
    t->revision = r->revision;
    return 0;
}

/* Publishes a retired record, pointing to the deal that now holds its
 * anchor, for every id published before that is no longer live (again
 * when repoint_retired says so). Returns 0 or -1 when out of memory. */
static int retire_vanished(rctx *x, ds_buf *hb)
{
    block *b = x->b;
    for (size_t i = 0; i < b->nrevs; i++) {
        rev *r = &b->revs[i];
        if (r->retired) {
            if (repoint_retired(x, r, hb) != 0)
                return -1;
            continue;
        }
        if (lix_deal(x, r->id) >= 0)
            continue; /* live */
        const ds_canon *surv = survivor_of(x, r->anchor);
        if (r->unknown) {
            int known = r->hint >= 0 ? r->hint : retired_before(x, r, hb);
            if (known < 0)
                return -1;
            r->unknown = 0;
            if (known) {
                r->retired = 1;
                continue;
            }
        }
        /* No survivor: the deal's mentions are not in the block, which happens only
         * after a restore that skipped changelog records past the committed offset.
         * Those mentions will be consumed again and bring the deal back as it was;
         * an empty record now would outrank it (a higher revision) on the
         * compacted topic. Keep the revision and publish nothing. */
        if (!surv)
            continue;
        ds_canon *t = retired_record(x->rs, b, r, surv, hb);
        if (!t || out_push(x->rs, t) != 0)
            return -1;
        r->retired = 1;
        r->revision++;
        r->hash = t->content_hash;
        t->revision = r->revision;
    }
    return 0;
}

/* Replaces what other blocks read of ours, the (deal id, ref) pairs of the
 * live deals with a reference row, and the live deal count. Returns 0 or -1
 * (the block is then unaltered). */
static int update_refd(rctx *x)
{
    block *b = x->b;
    refdeal *refd = NULL;
    size_t nrefd = 0;
    for (size_t c = 0; c < x->ncl; c++)
        nrefd += x->cl[c].c->ref[0] != 0;
    if (nrefd) {
        refd = malloc(nrefd * sizeof *refd);
        if (!refd)
            return -1;
        nrefd = 0;
        for (size_t c = 0; c < x->ncl; c++) /* sorted by id */
            if (x->cl[c].c->ref[0]) {
                memcpy(refd[nrefd].id, x->cl[c].c->deal_id, sizeof refd[nrefd].id);
                memcpy(refd[nrefd].ref, x->cl[c].c->ref, sizeof refd[nrefd].ref);
                nrefd++;
            }
    }
    sibdeal *sib = x->ncl ? calloc(x->ncl, sizeof *sib) : NULL;
    if (x->ncl && !sib) {
        free(refd);
        return -1;
    }
    for (size_t c = 0; c < x->ncl; c++) { /* sorted by id */
        const ds_canon *cn = x->cl[c].c;
        memcpy(sib[c].id, cn->deal_id, sizeof sib[c].id);
        sib[c].cls = stage_class(cn->stage);
        sib[c].batch = cn->batch;
        sib[c].date = cn->signing_date;
    }
    free(b->refd);
    b->refd = refd;
    b->nrefd = nrefd;
    free(b->sib);
    b->sib = sib;
    b->nsib = x->ncl;
    b->ndeals = x->ncl;
    return 0;
}

/* Whether the add under way must stop (ds_resolver_set_cancel): a step of
 * a recompute that returns it fails as if out of memory, through the same
 * cleanup. */
static int cancel_asked(ds_resolver *rs)
{
    if (!rs->cancelled && rs->cancel && rs->cancel(rs->cancel_opaque))
        rs->cancelled = 1;
    return rs->cancelled;
}

/* Frees what a recompute built, except the records cached in the block. */
static void rctx_free(rctx *x)
{
    if (x->cl)
        for (size_t c = 0; c < x->ncl; c++) {
            free(x->cl[c].mem);
            free(x->cl[c].del);
            if (!x->cl[c].kept)
                canon_free(x->cl[c].c);
        }
    free(x->cl);
    free(x->mi);
    lidx_free(x->ix);
}

/* Recomputes block b from its set of mentions: reads them, marks copies,
 * clusters them, builds the deals, then (unless RC_QUIET or RC_VIEW)
 * numbers revisions, retires vanished ids and, with RC_CASCADE, recomputes
 * the blocks whose links read ours when our (ref, deal id) pairs changed.
 * Returns 0 or -1 when out of memory. */
static int recompute(ds_resolver *rs, block *b, int flags)
{
    size_t n = b->nms;
    int rc = -1;
    rctx x = {rs, b, NULL, n, NULL, 0};
    ds_buf hb;
    ds_buf_init(&hb);
    if (b->ic && !(flags & RC_VIEW))
        ibase_drop_all(b->ic);
    ds_mention *ms = malloc((n ? n : 1) * sizeof *ms); /* the block's mentions, unpacked */
    int *par = malloc((n ? n : 1) * sizeof *par);
    x.mi = calloc(n ? n : 1, sizeof *x.mi);
    x.cl = calloc(n ? n : 1, sizeof *x.cl);
    if (!ms || !x.mi || !par || !x.cl)
        goto out;
    if (cancel_asked(rs))
        goto out;
    read_mentions(&x, ms, par);
    if (number_sources(x.mi, n))
        goto out;
    if (mark_copies(&x) || cancel_asked(rs) || cluster_strong(&x, par) || cancel_asked(rs) ||
        cluster_weak(&x, par) || cancel_asked(rs) || number_clusters(&x, par) || fill_clusters(&x, &hb) ||
        cancel_asked(rs) || attach_updates(&x) || infer_orphans(&x, par, &hb) || cancel_asked(rs) ||
        build_deals(&x, &hb) || cancel_asked(rs))
        goto out;
    if (flags & (RC_QUIET | RC_VIEW))
        read_revisions(&x);
    else if (assign_revisions(&x) || retire_vanished(&x, &hb))
        goto out;
    if (b->ic && !(flags & RC_VIEW) && (inc_note_refs(b, &x) != 0 || ibase_keep_all(&x, b->ic) != 0)) {
        inc_free(b->ic); /* rebuilt when next needed */
        b->ic = NULL;
    }
    cache_release(rs, b);
    if (!(flags & RC_QUIET) && cache_keep(rs, b, &x) != 0)
        goto out;
    if (flags & RC_VIEW) {
        rc = 0;
        goto out;
    }
    if (update_refd(&x))
        goto out;
    rc = 0;
    uint64_t sig = block_refsig(b);
    if (sig != b->refsig) {
        b->refsig = sig;
        for (size_t i = 0; (flags & RC_CASCADE) && !(flags & RC_QUIET) && i < b->ndeps && rc == 0; i++)
            rc = recompute(rs, b->deps[i], 0);
    }
out:
    rctx_free(&x);
    free(ms);
    free(par);
    ds_buf_free(&hb);
    return rc;
}

/* ---- incremental adds ------------------------------------------------- */

/* A block of at least rs->inc_min mentions keeps an index of them (inc), so
 * that an add finds by look-ups what it can change, and recomputes only
 * those deals with the deals and context mentions their records read. The
 * index holds what does not depend on the records: every mention's facts,
 * the source it repeats (dup) and its cluster (union-find over strong
 * mentions, member rings). Look-up lists, keyed in one hash table:
 * bands     text fingerprints by band (see NBANDS), in buckets of their own;
 * L_TIME    strong mentions by class and 32-day bucket of window start;
 * L_SRC     every mention by source id;
 * L_CTX, L_CTXALL  context mentions by class and batch, and by class;
 * L_SB, L_SBALL    strong mentions by class and batch, and by class;
 * L_FW      strong framework mentions;
 * L_PK      every mention by its packed record's address;
 * L_SIG     the strong mentions of L_TIME by what compatible() reads: a
 *           strong mention whose cluster already holds one of L_TIME with
 *           its facts is left out of L_TIME (what is compatible with it is
 *           compatible with that one, which unites with the same cluster),
 *           so that a deal of many like reports is one entry there;
 * L_WEAK    weak mentions by class.
 * Deals that match a reference row are read by the links of others through
 * their row (resolve.h, "Links"): a scoped recompute reads them all (refa,
 * refreshed by every whole recompute), and one that would change such a
 * deal, or give a deal a row, is dropped for a whole recompute.
 * An add whose block holds weak, delivery or hint-bearing mentions, or that
 * changes a framework deal, an option, a contract of a block with options
 * or a deal with a reference row, recomputes the whole block instead (those
 * rules read every deal of the block). */

enum { L_TIME, L_SRC, L_CTX, L_CTXALL, L_SB, L_SBALL, L_FW, L_PK, L_SIG, L_WEAK, L__N };
enum { MK_DIRTY, MK_SUB, MK_DUPC, MK_CTX, MK__N }; /* marks, and the scratch list of each */

typedef struct imen {
    const unsigned char *pk; /* the packed record (owned by the block's ms) */
    char *src;               /* source id (owned) */
    uint64_t text;
    minfo f;                 /* f.m, f.id unset: compatible() reads neither */
    int dup;                 /* the mention whose source this one repeats, -1 */
    int par;                 /* union-find parent (strong mentions) */
    int ring;                /* next member of its cluster, circular */
    int anchor;              /* at a root: its cluster's anchor (see anchor_before) */
    struct ibase *base;      /* at a root: its deal's record kept between adds, or NULL */
    int next[L__N];          /* next mention of each look-up list, -1 */
    unsigned mark[MK__N];    /* == inc.gen: in that set during this add */
} imen;

/* Fingerprints are found by band: 5 bands of 13, 13, 13, 13 and 12 bits; a
 * fingerprint within HAMMING_DUP (12) bits of another differs in at most 2
 * bits in one of them, so probing every value within 2 bits of each band
 * (447 buckets) finds every copy candidate. A bucket holds its entries
 * contiguously, fingerprint included, so that a probe reads one line. */
#define BAND_BUCKETS 8192 /* per band at most; fewer (from 64) while the block is small */

typedef struct bentry {
    uint64_t text;
    int32_t seq;
    int32_t minute; /* published, minutes since the epoch; INT32_MAX unknown */
} bentry;

typedef struct ibucket {
    bentry *e;
    uint32_t n, cap;
} ibucket;


typedef struct islot {
    uint64_t key; /* 0: empty */
    int head;
} islot;

/* The record of a big deal as last published, kept at its cluster's root
 * so that an add that only extends it updates it (see inc_extend) instead
 * of rebuilding it from every member. */
typedef struct ibase {
    ds_canon *c;   /* owned, updated in place; its capacities below */
    size_t nmem;   /* its members */
    size_t nondup; /* of those, the ones that are no copy (voters when > 0) */
    size_t capsup, capsrc, capev, capdy, *capcl;
    char **strs;   /* strings of the entries added since it was built (owned) */
    size_t nstrs, capstrs;
    int *wfit;     /* the weak mentions compatible with all its strong members, ascending */
    size_t nwfit;
} ibase;

/* Deals of at least this many members keep their record between adds. */
#define IBASE_MIN 32

struct inc {
    ds_resolver *rs; /* whose rs->kept takes the records of dropped bases */
    imen *men;
    size_t n, cap;
    islot *tab;
    size_t tabcap, ntab;
    ibucket *band;  /* NBANDS * nb buckets, bucket = band value mod nb (NULL until a fingerprint) */
    uint32_t nb;    /* buckets per band: a power of 2, doubled up to BAND_BUCKETS as the block grows */
    size_t nbanded; /* fingerprints put in the bands */
    int64_t newest; /* newest publication time of the block, INT64_MIN none */
    size_t nglobal; /* weak, delivery and hint-bearing mentions */
    size_t nweak;   /* of those, weak mentions without hints */
    size_t noption; /* strong option mentions */
    int *refa;      /* anchors of the live deals that match a reference row */
    size_t nrefa, caprefa;
    unsigned gen;
    char (*old)[17]; /* ids of the deals the new mention joined (scratch) */
    size_t nold, capold;
    int *list[MK__N]; /* scratch of one add: dirty roots, subset roots, mentions
                       * whose source changed, subset context mentions */
    size_t nlist[MK__N], caplist[MK__N];
};

/* Frees a kept record and what it holds. */
static void ibase_free(ibase *bs)
{
    if (!bs)
        return;
    canon_free(bs->c);
    for (size_t i = 0; i < bs->nstrs; i++)
        free(bs->strs[i]);
    free(bs->strs);
    free(bs->capcl);
    free(bs->wfit);
    free(bs);
}

/* Drops the record kept at root r, if any. The record may be among the
 * current add's changes: it is freed with them, at the next add
 * (rs->deadb, see clear_scratch). */
static void ibase_drop(inc *ic, int r)
{
    ibase *bs = ic->men[r].base;
    if (!bs)
        return;
    ds_resolver *rs = ic->rs;
    if (ds_reserve(&rs->deadb, &rs->capdeadb, rs->ndeadb + 1, sizeof *rs->deadb, 4) == 0)
        rs->deadb[rs->ndeadb++] = bs;
    else
        ibase_free(bs);
    ic->men[r].base = NULL;
}

/* Drops every kept record: a whole recompute may have changed any deal. */
static void ibase_drop_all(inc *ic)
{
    for (size_t i = 0; i < ic->n; i++)
        ibase_drop(ic, (int)i);
}

static void inc_free(inc *ic)
{
    if (!ic)
        return;
    for (size_t i = 0; i < ic->n; i++) {
        ibase_drop(ic, (int)i);
        free(ic->men[i].src);
    }
    free(ic->men);
    free(ic->tab);
    free(ic->old);
    free(ic->refa);
    for (size_t i = 0; ic->band && i < (size_t)NBANDS * ic->nb; i++)
        free(ic->band[i].e);
    free(ic->band);
    for (int l = 0; l < MK__N; l++)
        free(ic->list[l]);
    free(ic);
}

static uint64_t ikey(int list, uint64_t v) { return ((uint64_t)(list + 1) << 56) ^ (v & 0x00ffffffffffffffULL); }

static size_t islot_of(const inc *ic, uint64_t key)
{
    size_t h = (size_t)ds_hash64(&key, sizeof key, 11) & (ic->tabcap - 1);
    while (ic->tab[h].key && ic->tab[h].key != key)
        h = (h + 1) & (ic->tabcap - 1);
    return h;
}

static int ihead(const inc *ic, uint64_t key)
{
    if (!ic->tabcap)
        return -1;
    size_t h = islot_of(ic, key);
    return ic->tab[h].key ? ic->tab[h].head : -1;
}

static int itab_grow(inc *ic)
{
    size_t ncap = ic->tabcap ? ic->tabcap * 2 : 1024;
    islot *old = ic->tab;
    size_t ocap = ic->tabcap;
    ic->tab = calloc(ncap, sizeof *ic->tab);
    if (!ic->tab) {
        ic->tab = old;
        return -1;
    }
    ic->tabcap = ncap;
    for (size_t i = 0; i < ocap; i++)
        if (old[i].key)
            ic->tab[islot_of(ic, old[i].key)] = old[i];
    free(old);
    return 0;
}

/* Puts mention s at the head of list `list` under key. Returns 0 or -1. */
static int ipush(inc *ic, int list, uint64_t v, int s)
{
    if ((ic->ntab + 1) * 2 > ic->tabcap && itab_grow(ic) != 0)
        return -1;
    uint64_t key = ikey(list, v);
    size_t h = islot_of(ic, key);
    if (!ic->tab[h].key) {
        ic->tab[h].key = key;
        ic->tab[h].head = -1;
        ic->ntab++;
    }
    ic->men[s].next[list] = ic->tab[h].head;
    ic->tab[h].head = s;
    return 0;
}

static int ifind(inc *ic, int s)
{
    int r = s;
    while (ic->men[r].par != r)
        r = ic->men[r].par;
    while (ic->men[s].par != r) {
        int n = ic->men[s].par;
        ic->men[s].par = r;
        s = n;
    }
    return r;
}

static uint64_t src_key(const char *src) { return ds_hash64(src, strlen(src), 5); }

/* Source order of mentions a and b of different sources (see src_cmp). */
static int ibefore(const inc *ic, int a, int b)
{
    const imen *x = &ic->men[a], *y = &ic->men[b];
    if (x->f.pub != y->f.pub)
        return x->f.pub < y->f.pub;
    return strcmp(x->src, y->src) < 0;
}

/* Whether the source of t is still within the retention of y's. */
static int iretained(const ds_resolver *rs, const inc *ic, int t, int y)
{
    int64_t yp = ic->men[y].f.pub;
    return !rs->retention || yp == INT64_MAX || yp - ic->men[t].f.pub <= rs->retention * MINUTE_MS;
}

/* Adds mention r to scratch list mk unless it is there. Returns 0 or -1. */
static int imark(inc *ic, int mk, int r)
{
    if (ic->men[r].mark[mk] == ic->gen)
        return 0;
    ic->men[r].mark[mk] = ic->gen;
    if (ds_reserve(&ic->list[mk], &ic->caplist[mk], ic->nlist[mk] + 1, sizeof *ic->list[mk], 16))
        return -1;
    ic->list[mk][ic->nlist[mk]++] = r;
    return 0;
}

/* Settles the copy relation between new mention s and held mention c (see
 * mark_copies): s repeats c, or c now repeats s. A held strong or weak
 * mention whose source changed is noted (MK_DUPC): its deal changes.
 * Returns 0 or -1. */
static int icopy(const ds_resolver *rs, inc *ic, int s, int c, int track)
{
    imen *y = &ic->men[s], *o = &ic->men[c];
    if (popcount64(y->text ^ o->text) > HAMMING_DUP || strcmp(y->src, o->src) == 0)
        return 0;
    if (ibefore(ic, c, s)) {
        if (iretained(rs, ic, c, s) && (y->dup < 0 || ibefore(ic, c, y->dup)))
            y->dup = c;
    } else if (iretained(rs, ic, s, c) && (o->dup < 0 || ibefore(ic, s, o->dup))) {
        o->dup = s;
        if (track && (o->f.kind == K_STRONG || o->f.kind == K_WEAK)) /* weak: see iext_alone */
            return imark(ic, MK_DUPC, c);
    }
    return 0;
}

static int uint_cmp(const void *pa, const void *pb)
{
    unsigned a = *(const unsigned *)pa, b = *(const unsigned *)pb;
    return a < b ? -1 : a > b;
}

static int32_t bminute(int64_t pub) { return pub == INT64_MAX ? INT32_MAX : (int32_t)(pub / MINUTE_MS); }

/* Whether new mention s must look for its copies among all the block's
 * mentions: with a retention, the bands drop what is published more than
 * twice the retention before the newest mention, which only a mention
 * published more than one retention before it (or at an unknown time) can
 * still need. */
static int ilate(const ds_resolver *rs, const inc *ic, int s)
{
    int64_t p = ic->men[s].f.pub;
    return rs->retention && (p == INT64_MAX || (ic->newest != INT64_MIN && p < ic->newest - rs->retention * MINUTE_MS));
}

/* Probes the bands of s's fingerprint within 2 bits (with a retention,
 * dropping the entries no add can need any more), or for a late mention
 * (ilate) compares it with every mention. Returns 0 or -1. */
static int icopies(const ds_resolver *rs, inc *ic, int s, int track)
{
    uint64_t t = ic->men[s].text;
    if (ilate(rs, ic, s)) {
        for (size_t o = 0; o < ic->n; o++)
            if ((int)o != s && ic->men[o].text && icopy(rs, ic, s, (int)o, track) != 0)
                return -1;
        return 0;
    }
    int64_t newest = ic->men[s].f.pub != INT64_MAX && ic->men[s].f.pub > ic->newest ? ic->men[s].f.pub : ic->newest;
    int32_t cutoff = rs->retention && newest != INT64_MIN ? bminute(newest - 2 * rs->retention * MINUTE_MS) : INT32_MIN;
    for (int j = 0; j < NBANDS && ic->band; j++) {
        int bits = j < 4 ? 13 : 12;
        unsigned masks[92], v = band_of(t, j);
        size_t nm = 0;
        masks[nm++] = 0;
        for (int x = 0; x < bits; x++) {
            masks[nm++] = 1u << x;
            for (int y = x + 1; y < bits; y++)
                masks[nm++] = 1u << x | 1u << y;
        }
        for (size_t k = 0; k < nm; k++) /* the buckets, each once: masks alias while nb is small */
            masks[k] = (v ^ masks[k]) & (ic->nb - 1);
        int alias = ic->nb < (1u << bits);
        if (alias)
            qsort(masks, nm, sizeof *masks, uint_cmp);
        for (size_t k = 0; k < nm; k++) {
            if (alias && k > 0 && masks[k] == masks[k - 1])
                continue;
            ibucket *bk = &ic->band[(size_t)j * ic->nb + masks[k]];
            for (uint32_t i = 0; i < bk->n; i++) {
                if (bk->e[i].minute < cutoff) { /* expired: order within a bucket does not matter */
                    bk->e[i--] = bk->e[--bk->n];
                    continue;
                }
                if (bk->e[i].seq != s && popcount64(t ^ bk->e[i].text) <= HAMMING_DUP &&
                    icopy(rs, ic, s, bk->e[i].seq, track) != 0)
                    return -1;
            }
        }
    }
    return 0;
}

/* Appends entry e to the bucket of band j in bands of nb buckets. Returns
 * 0 or -1. */
static int ibucket_put(ibucket *band, uint32_t nb, int j, bentry e)
{
    ibucket *bk = &band[(size_t)j * nb + (band_of(e.text, j) & (nb - 1))];
    if (bk->n == bk->cap) {
        uint32_t ncap = bk->cap ? bk->cap * 2 : 4;
        bentry *ne = realloc(bk->e, ncap * sizeof *ne);
        if (!ne)
            return -1;
        bk->e = ne;
        bk->cap = ncap;
    }
    bk->e[bk->n++] = e;
    return 0;
}

/* Redistributes the bands over nb buckets each. Returns 0 or -1 (the bands
 * unaltered). */
static int ibands_resize(inc *ic, uint32_t nb)
{
    ibucket *nbk = calloc((size_t)NBANDS * nb, sizeof *nbk);
    if (!nbk)
        return -1;
    for (int j = 0; j < NBANDS; j++)
        for (uint32_t b = 0; ic->band && b < ic->nb; b++) {
            const ibucket *bk = &ic->band[(size_t)j * ic->nb + b];
            for (uint32_t i = 0; i < bk->n; i++)
                if (ibucket_put(nbk, nb, j, bk->e[i]) != 0) {
                    for (size_t k = 0; k < (size_t)NBANDS * nb; k++)
                        free(nbk[k].e);
                    free(nbk);
                    return -1;
                }
        }
    for (size_t i = 0; ic->band && i < (size_t)NBANDS * ic->nb; i++)
        free(ic->band[i].e);
    free(ic->band);
    ic->band = nbk;
    ic->nb = nb;
    return 0;
}

/* Puts mention s with a fingerprint in its bucket of every band, growing
 * the buckets with the block (about 2 entries a bucket). Returns 0 or -1. */
static int iband_push(inc *ic, int s)
{
    if (!ic->band && ibands_resize(ic, 64) != 0)
        return -1;
    if (ic->nbanded >= 2 * (size_t)ic->nb && ic->nb < BAND_BUCKETS && ibands_resize(ic, ic->nb * 2) != 0)
        return -1;
    for (int j = 0; j < NBANDS; j++)
        if (ibucket_put(ic->band, ic->nb, j, (bentry){ic->men[s].text, s, bminute(ic->men[s].f.pub)}) != 0)
            return -1;
    ic->nbanded++;
    return 0;
}

/* Whether mention a anchors a deal before mention b (anchor_before). */
static int ianchor_before(const inc *ic, int a, int b)
{
    const imen *x = &ic->men[a], *y = &ic->men[b];
    return x->f.isref != y->f.isref ? x->f.isref
           : x->f.has_t != y->f.has_t ? x->f.has_t
           : x->f.pub != y->f.pub   ? x->f.pub < y->f.pub
                                    : strcmp((const char *)x->pk, (const char *)y->pk) < 0;
}

/* The deal id of the cluster of root r: from its anchor (see anchor_before). */
static void iroot_id(const block *b, const inc *ic, int r, char id[17])
{
    int a = ic->men[r].anchor;
    char buf[96];
    size_t kl = strlen(b->key), al = strlen((const char *)ic->men[a].pk);
    memcpy(buf, b->key, kl + 1);
    memcpy(buf + kl + 1, ic->men[a].pk, al);
    ds_hex64(ds_hash64(buf, kl + 1 + al, 0), id);
}

/* The index of the mention stored as pk, or -1. */
static int iseq_of(const inc *ic, const unsigned char *pk)
{
    for (int o = ihead(ic, ikey(L_PK, (uint64_t)(uintptr_t)pk)); o >= 0; o = ic->men[o].next[L_PK])
        if (ic->men[o].pk == pk)
            return o;
    return -1;
}

/* Notes the anchors of the deals of whole recompute x that match a
 * reference row. Returns 0 or -1 (the index is then dropped). */
static int inc_note_refs(block *b, const rctx *x)
{
    inc *ic = b->ic;
    ic->nrefa = 0;
    for (size_t c = 0; c < x->ncl; c++) {
        if (!x->cl[c].c->ref[0])
            continue;
        int s = iseq_of(ic, b->ms[x->cl[c].anchor]);
        if (s < 0 || ds_reserve(&ic->refa, &ic->caprefa, ic->nrefa + 1, sizeof *ic->refa, 4))
            return -1;
        ic->refa[ic->nrefa++] = s;
    }
    return 0;
}

/* Unites new strong mention s with every compatible strong mention, noting
 * in ic->old the ids of the clusters it joins. Returns 0 or -1. */
static int iunite(const block *b, inc *ic, int s)
{
    imen *y = &ic->men[s];
    ic->nold = 0;
    int32_t from = (y->f.lo - 366 - EXACT_DAYS) >> 5, to = (y->f.hi + EXACT_DAYS) >> 5;
    for (int32_t k = from; k <= to; k++)
        for (int o = ihead(ic, ikey(L_TIME, (uint64_t)y->f.cls << 32 | (uint32_t)k)); o >= 0; o = ic->men[o].next[L_TIME]) {
            if (!compatible(&ic->men[o].f, &y->f))
                continue;
            int r = ifind(ic, o), rs_ = ifind(ic, s);
            if (r == rs_)
                continue;
            if (ds_reserve(&ic->old, &ic->capold, ic->nold + 1, sizeof *ic->old, 4))
                return -1;
            iroot_id(b, ic, r, ic->old[ic->nold++]);
            int lo = r < rs_ ? r : rs_, hi = r < rs_ ? rs_ : r;
            if (ic->nold > 1) /* two deals merge: rebuilt, not extended */
                ibase_drop(ic, lo);
            ibase_drop(ic, hi);
            if (ianchor_before(ic, ic->men[hi].anchor, ic->men[lo].anchor))
                ic->men[lo].anchor = ic->men[hi].anchor;
            ic->men[hi].par = lo;
            int t = ic->men[lo].ring; /* splice the rings */
            ic->men[lo].ring = ic->men[hi].ring;
            ic->men[hi].ring = t;
        }
    return 0;
}

/* The facts of strong mention f that compatible() reads, hashed. */
static uint64_t isig(const minfo *f)
{
    int64_t v[10] = {f->cls, f->isref, f->batch, f->qty, f->usd, f->combined, f->has_t, f->exact, f->lo, f->hi};
    return ds_hash64(v, sizeof v, 17);
}

/* Whether strong mention s (united with its cluster) has the facts of a
 * mention of L_TIME in its cluster, which stands for it there (L_SIG). */
static int itime_redundant(inc *ic, int s, uint64_t sig)
{
    const minfo *a = &ic->men[s].f;
    int r = ifind(ic, s);
    for (int o = ihead(ic, ikey(L_SIG, sig)); o >= 0; o = ic->men[o].next[L_SIG]) {
        const minfo *b = &ic->men[o].f;
        if (a->cls == b->cls && a->isref == b->isref && a->batch == b->batch && a->qty == b->qty &&
            a->usd == b->usd && a->combined == b->combined && a->has_t == b->has_t && a->exact == b->exact &&
            a->lo == b->lo && a->hi == b->hi && ifind(ic, o) == r)
            return 1;
    }
    return 0;
}

/* Indexes mention m (packed as pk) as the next one of the block: its facts,
 * copies, cluster and look-up lists; with track, notes what it changes.
 * Returns its index, or -1 when out of memory (the index is then unusable). */
static int inc_insert(ds_resolver *rs, block *b, inc *ic, const ds_mention *m, const unsigned char *pk, int track)
{
    if (ds_reserve(&ic->men, &ic->cap, ic->n + 1, sizeof *ic->men, 64))
        return -1;
    int s = (int)ic->n;
    imen *y = &ic->men[s];
    memset(y, 0, sizeof *y);
    fill_minfo(rs, &y->f, m);
    y->f.m = NULL;
    y->f.id = NULL;
    y->pk = pk;
    y->text = m->src.text_hash;
    y->dup = -1;
    y->par = y->ring = y->anchor = s;
    for (int l = 0; l < L__N; l++)
        y->next[l] = -1;
    if (!(y->src = strdup(m->src.id)))
        return -1;
    ic->n++;
    if (y->f.kind == K_WEAK || y->f.kind == K_UPDATE || m->nrels > 0)
        ic->nglobal++;
    ic->nweak += y->f.kind == K_WEAK && m->nrels == 0;
    ic->noption += y->f.kind == K_STRONG && y->f.cls == CLS_OPTION;
    int cls = y->f.cls, e = 0;
    ic->nold = 0;
    if (y->text && icopies(rs, ic, s, track) != 0)
        return -1;
    if (y->f.pub != INT64_MAX && y->f.pub > ic->newest)
        ic->newest = y->f.pub;
    if (y->f.kind == K_STRONG && iunite(b, ic, s) != 0)
        return -1;
    y = &ic->men[s];
    if (y->text)
        e |= iband_push(ic, s);
    e |= ipush(ic, L_SRC, src_key(y->src), s);
    e |= ipush(ic, L_PK, (uint64_t)(uintptr_t)pk, s);
    if (y->f.kind == K_WEAK)
        e |= ipush(ic, L_WEAK, (uint64_t)cls, s);
    if (y->f.kind == K_CONTEXT) {
        e |= ipush(ic, L_CTX, (uint64_t)cls << 32 | (uint32_t)y->f.batch, s);
        e |= ipush(ic, L_CTXALL, (uint64_t)cls, s);
    }
    if (y->f.kind == K_STRONG && !itime_redundant(ic, s, isig(&y->f))) {
        e |= ipush(ic, L_TIME, (uint64_t)cls << 32 | (uint32_t)(y->f.lo >> 5), s);
        e |= ipush(ic, L_SIG, isig(&y->f), s);
    }
    if (y->f.kind == K_STRONG) {
        e |= ipush(ic, L_SB, (uint64_t)cls << 32 | (uint32_t)y->f.batch, s);
        e |= ipush(ic, L_SBALL, (uint64_t)cls, s);
        if (cls == CLS_FRAMEWORK)
            e |= ipush(ic, L_FW, 0, s);
    }
    return e ? -1 : s;
}

/* Builds the index of block b from its mentions. Returns it, or NULL when
 * out of memory. */
typedef struct pkpub {
    const unsigned char *pk;
    int64_t pub;
} pkpub;

static int pkpub_cmp(const void *pa, const void *pb)
{
    const pkpub *a = pa, *b = pb;
    if (a->pub != b->pub)
        return a->pub < b->pub ? -1 : 1;
    return strcmp((const char *)a->pk, (const char *)b->pk);
}

static inc *inc_build(ds_resolver *rs, block *b)
{
    pkpub *ord = NULL;
    inc *ic = calloc(1, sizeof *ic);
    ds_mention *m = malloc(sizeof *m);
    if (!ic || !m)
        goto err;
    ic->rs = rs;
    ic->newest = INT64_MIN;
    /* in publication order, so that only mentions of unknown time are late */
    if (!(ord = malloc((b->nms ? b->nms : 1) * sizeof *ord)))
        goto err;
    for (size_t i = 0; i < b->nms; i++) {
        unpack_mention(b->ms[i], b->key, m);
        ord[i] = (pkpub){b->ms[i], m->src.published == DS_NO_TIME ? INT64_MAX : m->src.published};
    }
    qsort(ord, b->nms, sizeof *ord, pkpub_cmp);
    for (size_t i = 0; i < b->nms; i++) {
        unpack_mention(ord[i].pk, b->key, m);
        if (inc_insert(rs, b, ic, m, ord[i].pk, 0) < 0)
            goto err;
    }
    free(ord);
    free(m);
    return ic;
err:
    free(ord);
    free(m);
    inc_free(ic);
    return NULL;
}

static uint64_t icb(int cls, int batch) { return (uint64_t)cls << 32 | (uint32_t)(batch > 0 ? batch : 0); }

/* Marks (list mk) the clusters of the strong mentions of `list` under v,
 * those compatible with z when z is not NULL. Returns 0 or -1. */
static int iroots(inc *ic, int list, uint64_t v, int mk, const minfo *z)
{
    for (int o = ihead(ic, ikey(list, v)); o >= 0; o = ic->men[o].next[list])
        if ((!z || compatible(z, &ic->men[o].f)) && imark(ic, mk, ifind(ic, o)) != 0)
            return -1;
    return 0;
}

/* Marks (mk) the deals some member of which is compatible with context z. */
static int ictx_deals(inc *ic, const minfo *z, int mk)
{
    if (z->batch > 0)
        return iroots(ic, L_SB, icb(z->cls, z->batch), mk, z) || iroots(ic, L_SB, icb(z->cls, 0), mk, z) ? -1 : 0;
    return iroots(ic, L_SBALL, (uint64_t)z->cls, mk, z);
}

/* Marks the deals with a member of y's source (list mk, when >= 0) and the
 * context mentions of that source (MK_CTX, when ctx). Returns 0 or -1. */
static int isource(inc *ic, int y, int mk, int ctx)
{
    const char *src = ic->men[y].src;
    for (int o = ihead(ic, ikey(L_SRC, src_key(src))); o >= 0; o = ic->men[o].next[L_SRC]) {
        const imen *z = &ic->men[o];
        if (strcmp(z->src, src) != 0)
            continue;
        if (mk >= 0 && z->f.kind == K_STRONG && imark(ic, mk, ifind(ic, o)) != 0)
            return -1;
        if (ctx && z->f.kind == K_CONTEXT && imark(ic, MK_CTX, o) != 0)
            return -1;
    }
    return 0;
}

/* Marks (MK_DIRTY) the deals whose links read deal X: the next batch of a
 * contract, the deals recalled by a context mention that one of X's
 * members could be. Returns 0, 1 when X is a framework (every contract
 * reads it: the whole block is recomputed) or a contract of a block with
 * options (every option reads every contract), or -1. */
static int ireaders(inc *ic, int x)
{
    int cls = ic->men[x].f.cls;
    if (cls == CLS_FRAMEWORK || (cls == CLS_CONTRACT && ic->noption))
        return 1;
    int s = x;
    do {
        const minfo *y = &ic->men[s].f;
        if (cls == CLS_CONTRACT && y->batch > 0 && iroots(ic, L_SB, icb(CLS_CONTRACT, y->batch + 1), MK_DIRTY, NULL))
            return -1;
        int list = y->batch > 0 ? L_CTX : L_CTXALL;
        for (int pass = 0; pass < (y->batch > 0 ? 2 : 1); pass++) {
            uint64_t v = list == L_CTX ? icb(cls, pass ? 0 : y->batch) : (uint64_t)cls;
            for (int z = ihead(ic, ikey(list, v)); z >= 0; z = ic->men[z].next[list])
                if (compatible(&ic->men[z].f, y) && isource(ic, z, MK_DIRTY, 0) != 0)
                    return -1;
        }
        s = ic->men[s].ring;
    } while (s != x);
    return 0;
}

/* Marks (MK_SUB) deal x and what its record reads: the contracts of the
 * batch before, the frameworks, the context mentions of its sources
 * (MK_CTX) and the deals those could recall. Returns 0, 1 when x is an
 * option (it reads every contract of the block, in the order of the whole
 * block's deals: the whole block is recomputed), or -1. */
static int ineeds(inc *ic, int x)
{
    int cls = ic->men[x].f.cls, s = x;
    if (cls == CLS_OPTION)
        return 1;
    if (imark(ic, MK_SUB, x) != 0)
        return -1;
    do {
        const minfo *y = &ic->men[s].f;
        if (cls == CLS_CONTRACT && y->batch > 1 && iroots(ic, L_SB, icb(CLS_CONTRACT, y->batch - 1), MK_SUB, NULL))
            return -1;
        if (isource(ic, s, -1, 1) != 0)
            return -1;
        s = ic->men[s].ring;
    } while (s != x);
    if ((cls == CLS_CONTRACT || cls == CLS_OPTION) && iroots(ic, L_FW, 0, MK_SUB, NULL) != 0)
        return -1;
    return 0;
}

/* After inc_insert of s: marks the deals whose records can change
 * (MK_DIRTY) and what they read (MK_SUB, MK_CTX). Returns 0, 1 when the
 * whole block must be recomputed, or -1. */
static int inc_scope(inc *ic, int s)
{
    const imen *y = &ic->men[s];
    if (y->f.kind == K_STRONG && imark(ic, MK_DIRTY, ifind(ic, s)) != 0)
        return -1;
    for (size_t i = 0; i < ic->nlist[MK_DUPC]; i++)
        if (imark(ic, MK_DIRTY, ifind(ic, ic->list[MK_DUPC][i])) != 0)
            return -1;
    size_t content = ic->nlist[MK_DIRTY];
    if (y->f.kind == K_CONTEXT && isource(ic, s, MK_DIRTY, 0) != 0)
        return -1;
    for (size_t i = 0; i < content; i++) {
        int r = ireaders(ic, ic->list[MK_DIRTY][i]);
        if (r)
            return r;
    }
    for (size_t i = 0; i < ic->nlist[MK_DIRTY]; i++) {
        int r = ineeds(ic, ic->list[MK_DIRTY][i]);
        if (r)
            return r;
    }
    for (size_t i = 0; i < ic->nlist[MK_CTX]; i++)
        if (ictx_deals(ic, &ic->men[ic->list[MK_CTX][i]].f, MK_SUB) != 0)
            return -1;
    for (size_t i = 0; i < ic->nrefa; i++) {
        int r = ifind(ic, ic->refa[i]);
        if (ic->men[r].mark[MK_DIRTY] == ic->gen)
            return 1; /* a deal with a reference row changes */
        if (imark(ic, MK_SUB, r) != 0)
            return -1;
    }
    return 0;
}

typedef struct isub {
    const unsigned char *pk;
    int seq;
} isub;

static int isub_cmp(const void *pa, const void *pb)
{
    return strcmp((const char *)((const isub *)pa)->pk, (const char *)((const isub *)pb)->pk);
}

/* The mentions a scoped recompute reads, in mention_id order (as the
 * block's): the members of the MK_SUB deals and the MK_CTX context
 * mentions. Sets *n; returns the array (caller frees) or NULL. */
static isub *inc_members(inc *ic, size_t *n)
{
    size_t cnt = ic->nlist[MK_CTX];
    for (size_t i = 0; i < ic->nlist[MK_SUB]; i++) {
        int r = ic->list[MK_SUB][i], s = r;
        do {
            cnt++;
            s = ic->men[s].ring;
        } while (s != r);
    }
    isub *v = malloc((cnt ? cnt : 1) * sizeof *v);
    if (!v)
        return NULL;
    *n = 0;
    for (size_t i = 0; i < ic->nlist[MK_SUB]; i++) {
        int r = ic->list[MK_SUB][i], s = r;
        do {
            v[(*n)++] = (isub){ic->men[s].pk, s};
            s = ic->men[s].ring;
        } while (s != r);
    }
    for (size_t i = 0; i < ic->nlist[MK_CTX]; i++)
        v[(*n)++] = (isub){ic->men[ic->list[MK_CTX][i]].pk, ic->list[MK_CTX][i]};
    qsort(v, *n, sizeof *v, isub_cmp);
    return v;
}

/* Publishes the ids the new mention's cluster absorbed as retired into
 * surv. Returns 0 or -1. */
static int inc_retire(rctx *x, const inc *ic, const ds_canon *surv, ds_buf *hb)
{
    for (size_t i = 0; i < ic->nold; i++) {
        if (surv && strcmp(ic->old[i], surv->deal_id) == 0)
            continue;
        int found;
        size_t at = rev_find(x->b, ic->old[i], &found);
        if (!found || x->b->revs[at].retired)
            continue;
        rev *r = &x->b->revs[at];
        ds_canon *t = retired_record(x->rs, x->b, r, surv, hb);
        if (!t || out_push(x->rs, t) != 0)
            return -1;
        r->retired = 1;
        r->revision++;
        r->hash = t->content_hash;
        t->revision = r->revision;
    }
    return 0;
}

typedef struct iroot_at {
    int root; /* the index's union-find root */
    int i;    /* the position in the scoped mentions */
} iroot_at;

static int iroot_at_cmp(const void *pa, const void *pb)
{
    const iroot_at *a = pa, *b = pb;
    if (a->root != b->root)
        return a->root < b->root ? -1 : 1;
    return a->i < b->i ? -1 : a->i > b->i;
}

/* The strong clusters of scoped mentions v[0..n) (x->mi filled), taken from
 * the index: the scope holds whole clusters, and no compatible pair spans
 * two, so the index's clusters are those cluster_strong would find, root
 * (the smallest position of each) included, without comparing every pair
 * of a cluster's members (all pairs of a cluster of n: n^2 / 2 compares
 * on every add). Returns 0 or -1 when out of memory. */
static int inc_cluster_strong(const rctx *x, inc *ic, const isub *v, int *par)
{
    iroot_at *t = malloc((x->n ? x->n : 1) * sizeof *t);
    if (!t)
        return -1;
    size_t k = 0;
    for (size_t i = 0; i < x->n; i++)
        if (x->mi[i].kind == K_STRONG)
            t[k++] = (iroot_at){ifind(ic, v[i].seq), (int)i};
    qsort(t, k, sizeof *t, iroot_at_cmp);
    int first = -1;
    for (size_t j = 0; j < k; j++) {
        if (j == 0 || t[j].root != t[j - 1].root)
            first = t[j].i;
        par[t[j].i] = first;
    }
    free(t);
    return 0;
}

/* The weak mentions of the block compatible with every strong member of k
 * (those weak_fit can join to it), into bs->wfit. Returns 0 or -1. */
static int ibase_weak_fits(const rctx *x, inc *ic, const cluster *k, ibase *bs)
{
    size_t cap = 0;
    int cls = x->mi[k->anchor].cls;
    for (int w = ihead(ic, ikey(L_WEAK, (uint64_t)cls)); w >= 0; w = ic->men[w].next[L_WEAK]) {
        int fits = 1;
        for (size_t i = 0; i < k->nmem && fits; i++)
            fits = x->mi[k->mem[i]].kind != K_STRONG || compatible(&ic->men[w].f, &x->mi[k->mem[i]]);
        if (!fits)
            continue;
        if (ds_reserve(&bs->wfit, &cap, bs->nwfit + 1, sizeof *bs->wfit, 4))
            return -1;
        bs->wfit[bs->nwfit++] = w;
    }
    if (bs->nwfit > 1)
        qsort(bs->wfit, bs->nwfit, sizeof *bs->wfit, int_cmp);
    return 0;
}

/* Keeps a copy of the record of k (cluster of root r, a deal of scoped
 * recompute x) at r when the deal is big (IBASE_MIN), for inc_extend.
 * Returns 0 or -1. */
static int ibase_keep(const rctx *x, inc *ic, int r, const cluster *k)
{
    ibase_drop(ic, r);
    if (k->nmem < IBASE_MIN)
        return 0;
    ibase *bs = calloc(1, sizeof *bs);
    ds_canon *c = bs ? canon_clone(k->c) : NULL;
    if (!c || canon_own(c) != 0) {
        canon_free(c);
        free(bs);
        return -1;
    }
    bs->c = c;
    if (c->nclaims && !(bs->capcl = malloc(c->nclaims * sizeof *bs->capcl))) {
        ibase_free(bs);
        return -1;
    }
    for (size_t i = 0; i < c->nclaims; i++)
        bs->capcl[i] = c->claims[i].nsources;
    bs->capsup = c->nsuppliers;
    bs->capsrc = c->nsources;
    bs->capev = c->nevidence;
    bs->capdy = c->ndelivery_years;
    bs->nmem = k->nmem;
    for (size_t i = 0; i < k->nmem; i++)
        bs->nondup += !x->mi[k->mem[i]].dup_of;
    ic->men[r].base = bs;
    return ibase_weak_fits(x, ic, k, bs);
}

/* ibase_keep for every big deal of whole recompute x (index ic), so that
 * the next add can extend it. Returns 0 or -1. */
static int ibase_keep_all(const rctx *x, inc *ic)
{
    for (size_t c = 0; c < x->ncl; c++) {
        const cluster *k = &x->cl[c];
        if (k->nmem < IBASE_MIN)
            continue;
        size_t i = 0;
        while (i < k->nmem && x->mi[k->mem[i]].kind != K_STRONG)
            i++;
        int s = i < k->nmem ? iseq_of(ic, x->b->ms[k->mem[i]]) : -1;
        if (s >= 0 && ibase_keep(x, ic, ifind(ic, s), k) != 0)
            return -1;
    }
    return 0;
}

/* Recomputes the scoped mentions v[0..n) as a block of their own (their
 * copies and strong clusters as the index knows them), then publishes the dirty deals whose
 * content changed and retires the ids new mention s absorbed. Returns 0,
 * 1 (nothing published) when a dirty deal matches a reference row, or -1. */
static int inc_recompute(ds_resolver *rs, block *b, inc *ic, const isub *v, size_t n, int s)
{
    int rc = -1;
    rctx x = {rs, b, NULL, n, NULL, 0};
    ds_buf hb;
    ds_buf_init(&hb);
    ds_mention *ms = malloc((n ? n : 1) * sizeof *ms);
    int *par = malloc((n ? n : 1) * sizeof *par);
    x.mi = calloc(n ? n : 1, sizeof *x.mi);
    x.cl = calloc(n ? n : 1, sizeof *x.cl);
    if (!ms || !x.mi || !par || !x.cl)
        goto out;
    for (size_t i = 0; i < n; i++) {
        unpack_mention(v[i].pk, b->key, &ms[i]);
        fill_minfo(rs, &x.mi[i], &ms[i]);
        int d = ic->men[v[i].seq].dup;
        x.mi[i].dup_of = d >= 0 ? ic->men[d].src : NULL;
        par[i] = (int)i;
    }
    if (cancel_asked(rs) || number_sources(x.mi, n) || inc_cluster_strong(&x, ic, v, par) || cancel_asked(rs) ||
        cluster_weak(&x, par) || cancel_asked(rs) || number_clusters(&x, par) || fill_clusters(&x, &hb) ||
        cancel_asked(rs) || attach_updates(&x) || infer_orphans(&x, par, &hb) || cancel_asked(rs) ||
        build_deals(&x, &hb) || cancel_asked(rs))
        goto out;
    for (size_t c = 0; c < x.ncl; c++)
        if (ic->men[ifind(ic, v[x.cl[c].anchor].seq)].mark[MK_DIRTY] == ic->gen && x.cl[c].c->ref[0]) {
            rc = 1; /* a deal now matches a reference row: recompute the block whole */
            goto out;
        }
    const ds_canon *surv = NULL;
    int sroot = ic->men[s].f.kind == K_STRONG ? ifind(ic, s) : -1;
    for (size_t c = 0; c < x.ncl; c++) {
        cluster *k = &x.cl[c];
        int r = ifind(ic, v[k->anchor].seq);
        if (ic->men[r].mark[MK_DIRTY] != ic->gen)
            continue;
        if (assign_one(&x, k) != 0 || canon_own(k->c) != 0 || ptr_push(&rs->kept, &rs->nkept, &rs->capkept, k->c) != 0)
            goto out;
        k->kept = 1;
        if (ibase_keep(&x, ic, r, k) != 0)
            goto out;
        if (r == sroot)
            surv = k->c;
    }
    if (inc_retire(&x, ic, surv, &hb) != 0)
        goto out;
    if (sroot >= 0)
        b->ndeals = b->ndeals + 1 - ic->nold;
    rc = 0;
out:
    rctx_free(&x);
    free(ms);
    free(par);
    ds_buf_free(&hb);
    return rc;
}

/* ---- extending a big deal's record ------------------------------------ */

/* Whether new strong mention s only extends the deal of root r: it joined
 * that deal and no other, changed no held mention's copy relation, does
 * not become the anchor (the id stays), no context mention links through
 * it (none of its source, none compatible with it: see ireaders), every
 * weak mention that fits the deal is compatible with it (so each fits the
 * deals it fitted: weak_fit), and the deal matches no reference row. */
static int iext_alone(inc *ic, int s, int r)
{
    const imen *y = &ic->men[s];
    if (ic->nold != 1 || ic->nlist[MK_DUPC] || ic->men[r].anchor == s)
        return 0;
    for (size_t i = 0; i < ic->nrefa; i++)
        if (ifind(ic, ic->refa[i]) == r)
            return 0;
    for (int o = ihead(ic, ikey(L_SRC, src_key(y->src))); o >= 0; o = ic->men[o].next[L_SRC])
        if (ic->men[o].f.kind == K_CONTEXT && strcmp(ic->men[o].src, y->src) == 0)
            return 0;
    int list = y->f.batch > 0 ? L_CTX : L_CTXALL;
    for (int pass = 0; pass < (y->f.batch > 0 ? 2 : 1); pass++) {
        uint64_t v = list == L_CTX ? icb(y->f.cls, pass ? 0 : y->f.batch) : (uint64_t)y->f.cls;
        for (int z = ihead(ic, ikey(list, v)); z >= 0; z = ic->men[z].next[list])
            if (compatible(&ic->men[z].f, &y->f))
                return 0;
    }
    /* a weak mention fits a deal when compatible with all its strong
     * members: one that fits it and is not compatible with s would leave
     * it; one that does not fit it cannot come to */
    const ibase *bs = ic->men[r].base;
    for (int w = ihead(ic, ikey(L_WEAK, (uint64_t)y->f.cls)); w >= 0; w = ic->men[w].next[L_WEAK])
        if (!compatible(&ic->men[w].f, &y->f) && bs->nwfit && bsearch(&w, bs->wfit, bs->nwfit, sizeof w, int_cmp))
            return 0;
    return 1;
}

/* What an add that extends a kept record changes in it, found before
 * anything changes (iext_plan_*), then done (iext_apply). */
typedef struct iplan {
    const char *dup;  /* the source m's repeats, or NULL */
    int voter;        /* m votes (see voters()) */
    int claim;        /* the claim m's value joins, -1 none */
    int claim_new;    /* m's source is new to it, at claim_at */
    size_t claim_at;
    int src_new;      /* a new source entry at src_at, else src_at's status raised */
    size_t src_at;
    int nsup;         /* suppliers of m new to the deal */
} iplan;

/* Whether the named quantities of a voter (variants or extras) are each
 * listed in items with the quantity voted. */
static int iext_named(const ds_canon_item *items, size_t n, const char *name, int64_t qty)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(items[i].name, name) == 0)
            return items[i].quantity == qty;
    return 0;
}

/* Where company name stands in c's suppliers, or -1. */
static long iext_supplier(const ds_canon *c, const char *company)
{
    for (size_t i = 0; i < c->nsuppliers; i++)
        if (strcmp(c->suppliers[i].company, company) == 0)
            return (long)i;
    return -1;
}

/* Whether voter m's suppliers keep the roles voted: a company listed with
 * the role m gives it (one more vote for the winner), or new to the deal
 * (named once by m). Counts the new ones in p->nsup. */
static int iext_plan_suppliers(const ds_mention *m, const ds_canon *c, iplan *p)
{
    for (int j = 0; j < m->nsuppliers; j++) {
        long i = iext_supplier(c, m->suppliers[j].company);
        if (i >= 0 && c->suppliers[i].role != m->suppliers[j].role)
            return 0;
        for (int k = 0; i < 0 && k < j; k++)
            if (strcmp(m->suppliers[k].company, m->suppliers[j].company) == 0)
                return 0;
        p->nsup += i < 0;
    }
    return 1;
}

/* Whether value v (USD usd, as its minfo has it) sorts with the value of
 * claim cl's report (citem_cmp's key) and, filled in as fill_claim would,
 * is that value: it then joins that claim, and whichever of the two
 * represents it the claim's value is the same. */
static int iext_same_value(const ds_catalog *cat, const ds_mention *m, int64_t usd, const ds_canon_claim *cl)
{
    const ds_value *v = &m->value, *cv = &cl->value;
    int64_t filled = v->usd >= 0 ? v->usd : value_usd(cat, v, mention_year(m));
    return v->combined == cv->combined && (v->combined ? -1 : usd) == (cv->combined ? -1 : cv->usd) &&
           filled == cv->usd && v->amount == cv->amount && strcmp(v->currency, cv->currency) == 0 &&
           strcmp(v->covers, cv->covers) == 0;
}

/* Where id stands in sorted strings v[0..n) (or would). */
static size_t str_lower(const char *const *v, size_t n, const char *id)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strcmp(v[mid], id) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The claim voter m's value joins (iext_same_value), if it states one.
 * Returns 1, or 0 when m states a figure no claim holds, or is a signed
 * report of a source the claim lists (whether that source was signed is
 * not kept). */
static int iext_plan_claim(const ds_catalog *cat, const ds_mention *m, int64_t usd, const ds_canon *c, iplan *p)
{
    p->claim = -1;
    if (!m->value.set)
        return 1;
    size_t k = 0;
    while (k < c->nclaims && !iext_same_value(cat, m, usd, &c->claims[k]))
        k++;
    if (k == c->nclaims || c->nclaims > 64)
        return 0;
    const ds_canon_claim *cl = &c->claims[k];
    p->claim = (int)k;
    p->claim_at = str_lower(cl->sources, cl->nsources, m->src.id);
    p->claim_new = p->claim_at == cl->nsources || strcmp(cl->sources[p->claim_at], m->src.id) != 0;
    return p->claim_new || status_rank(m->status) < status_rank(DS_STATUS_SIGNED);
}

/* Whether voter m leaves every vote of record c as it is: each fact it
 * states is the one voted (one more vote for the winning group keeps it
 * winning), its suppliers and value fit (see above). */
static int iext_plan_vote(const ds_catalog *cat, const ds_mention *m, int64_t usd, const ds_canon *c, iplan *p)
{
    if ((m->batch > 0 && m->batch != c->batch) ||
        (m->signing_date != DS_NO_DATE && m->signing_date != c->signing_date) ||
        (c->signing_date == DS_NO_DATE && m->signing_year > 0 && m->signing_year != c->signing_year) ||
        (m->quantity >= 0 && m->quantity != c->quantity) || (m->system[0] && strcmp(m->system, c->system) != 0) ||
        (m->place[0] && strcmp(m->place, c->place) != 0))
        return 0;
    for (int j = 0; j < m->nvariants; j++)
        if (!iext_named(c->variants, c->nvariants, m->variants[j].system, m->variants[j].quantity))
            return 0;
    for (int j = 0; j < m->nextras; j++)
        if (!iext_named(c->extras, c->nextras, m->extras[j].what, m->extras[j].quantity))
            return 0;
    return iext_plan_suppliers(m, c, p) && iext_plan_claim(cat, m, usd, c, p);
}

/* Order of source entry e against a source published pub (INT64_MAX
 * unknown) with id id (see src_cmp). */
static int isrc_entry_cmp(int64_t pub, const char *id, const ds_canon_source *e)
{
    int64_t ep = e->published == DS_NO_TIME ? INT64_MAX : e->published;
    if (pub != ep)
        return pub < ep ? -1 : 1;
    return strcmp(id, e->id);
}

/* Where member m goes in c's sources (merge_sources): a new entry in
 * source order, or its source's entry. Returns 1, or 0 when m's stage is
 * ahead of the deal's (links read it), or the entry would not be m's own
 * or its source's as listed. */
static int iext_plan_member(const ds_mention *m, const ds_canon *c, iplan *p)
{
    if (m->stage > c->stage)
        return 0;
    int64_t pub = m->src.published == DS_NO_TIME ? INT64_MAX : m->src.published;
    size_t lo = 0, hi = c->nsources;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (isrc_entry_cmp(pub, m->src.id, &c->sources[mid]) > 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    const ds_canon_source *e = lo < c->nsources ? &c->sources[lo] : NULL;
    p->src_at = lo;
    p->src_new = !e || isrc_entry_cmp(pub, m->src.id, e) != 0;
    if (!p->src_new)
        return e->kind == m->src.kind && strcmp(e->outlet, m->src.outlet) == 0 &&
               strcmp(e->duplicate_of ? e->duplicate_of : "", p->dup ? p->dup : "") == 0;
    /* one id at two times: merge_sources would join the runs */
    return !(e && strcmp(e->id, m->src.id) == 0) && !(lo > 0 && strcmp(c->sources[lo - 1].id, m->src.id) == 0);
}

/* Room in bs for what plan p adds (arrays and strings), so that only the
 * copies of strings can fail after it. Returns 0 or -1 (nothing changed). */
static int iext_room(ibase *bs, const ds_mention *m, const iplan *p)
{
    ds_canon *c = bs->c;
    size_t nstr = 3 + (size_t)p->nsup + (size_t)m->nevidence;
    if (ds_reserve(&c->sources, &bs->capsrc, c->nsources + 1, sizeof *c->sources, 16) ||
        ds_reserve(&c->evidence, &bs->capev, c->nevidence + (size_t)m->nevidence, sizeof *c->evidence, 16) ||
        ds_reserve(&c->delivery_years, &bs->capdy, c->ndelivery_years + (size_t)m->ndelivery_years,
                   sizeof *c->delivery_years, 4) ||
        ds_reserve(&c->suppliers, &bs->capsup, c->nsuppliers + (size_t)p->nsup, sizeof *c->suppliers, 4) ||
        ds_reserve(&bs->strs, &bs->capstrs, bs->nstrs + nstr, sizeof *bs->strs, 16))
        return -1;
    if (p->claim >= 0) {
        ds_canon_claim *cl = &c->claims[p->claim];
        return ds_reserve(&cl->sources, &bs->capcl[p->claim], cl->nsources + 1, sizeof *cl->sources, 16);
    }
    return 0;
}

/* A copy of s owned by bs (room made by iext_room), or NULL. */
static const char *iext_str(ibase *bs, const char *s)
{
    char *d = strdup(s);
    if (d)
        bs->strs[bs->nstrs++] = d;
    return d;
}

/* Inserts v at position at of array a of n elements of size sz (room made). */
static void arr_insert(void *a, size_t n, size_t at, const void *v, size_t sz)
{
    char *p = a;
    memmove(p + (at + 1) * sz, p + at * sz, (n - at) * sz);
    memcpy(p + at * sz, v, sz);
}

/* Member m's source (id, its copy of the source's id) in c as plan p
 * says, the sum of the entries' hashes kept. Returns 0 or -1. */
static int iext_apply_source(ibase *bs, const ds_mention *m, const char *id, const iplan *p)
{
    ds_canon *c = bs->c;
    if (!p->src_new) {
        ds_canon_source *e = &c->sources[p->src_at];
        c->hsources -= src_entry_hash(e);
        if (status_rank(m->status) > status_rank(e->status))
            e->status = m->status;
        c->hsources += src_entry_hash(e);
        return 0;
    }
    ds_canon_source e = {id, m->src.kind, iext_str(bs, m->src.outlet), m->src.published, m->status,
                         p->dup ? iext_str(bs, p->dup) : NULL};
    if (!e.outlet || (p->dup && !e.duplicate_of))
        return -1;
    arr_insert(c->sources, c->nsources++, p->src_at, &e, sizeof e);
    c->hsources += src_entry_hash(&e);
    return 0;
}

/* Member m's evidence and, no copy, delivery years in c. Returns 0 or -1. */
static int iext_apply_lists(ibase *bs, const ds_mention *m, const char *id, const iplan *p)
{
    ds_canon *c = bs->c;
    for (int j = 0; j < m->nevidence; j++) {
        ds_canon_evidence e = {m->evidence[j].field, id, m->evidence[j].start, m->evidence[j].end};
        size_t lo = 0, hi = c->nevidence;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (evidence_cmp(&c->evidence[mid], &e) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < c->nevidence && evidence_cmp(&c->evidence[lo], &e) == 0)
            continue;
        if (!(e.field = iext_str(bs, e.field)))
            return -1;
        arr_insert(c->evidence, c->nevidence++, lo, &e, sizeof e);
        c->hevidence += ev_entry_hash(&e);
    }
    for (int j = 0; !p->dup && j < m->ndelivery_years; j++) {
        int y = m->delivery_years[j];
        size_t at = 0;
        while (at < c->ndelivery_years && c->delivery_years[at] < y)
            at++;
        if (at == c->ndelivery_years || c->delivery_years[at] != y)
            arr_insert(c->delivery_years, c->ndelivery_years++, at, &y, sizeof y);
    }
    if (!p->dup && m->src.published != DS_NO_TIME && m->src.published > c->updated)
        c->updated = m->src.published;
    return 0;
}

/* Voter m's effects on c: status, announcement date, new suppliers in
 * (role, company) order, its source in its claim, the value chosen again
 * (choose_claim). Returns 0 or -1. */
static int iext_apply_vote(ibase *bs, const ds_mention *m, const char *id, int64_t pub, const iplan *p)
{
    ds_canon *c = bs->c;
    if (status_rank(m->status) > status_rank(c->status))
        c->status = m->status;
    if (m->announce_date != DS_NO_DATE && (c->announce_date == DS_NO_DATE || m->announce_date < c->announce_date))
        c->announce_date = m->announce_date;
    for (int j = 0; j < m->nsuppliers; j++) {
        if (iext_supplier(c, m->suppliers[j].company) >= 0)
            continue;
        ds_canon_supplier e = {iext_str(bs, m->suppliers[j].company), m->suppliers[j].role};
        if (!e.company)
            return -1;
        size_t at = 0;
        while (at < c->nsuppliers && supplier_cmp(&c->suppliers[at], &e) < 0)
            at++;
        arr_insert(c->suppliers, c->nsuppliers++, at, &e, sizeof e);
    }
    if (p->claim < 0)
        return 0;
    ds_canon_claim *cl = &c->claims[p->claim];
    if (p->claim_new) {
        arr_insert(cl->sources, cl->nsources++, p->claim_at, &id, sizeof id);
        cl->hsources += str_entry_hash(id);
        cl->nsig += status_rank(m->status) >= status_rank(DS_STATUS_SIGNED);
    }
    if (pub < cl->pub)
        cl->pub = pub;
    claimstat cs[64];
    for (size_t j = 0; j < c->nclaims; j++)
        cs[j] = (claimstat){0, 1, c->claims[j].nsources, c->claims[j].nsig, c->claims[j].pub,
                            c->claims[j].value.combined, c->claims[j].value.usd};
    choose_claim(cs, c->nclaims, c);
    return 0;
}

/* Does plan p of member m (published pub) in the record kept in bs, then
 * rehashes it. Returns 0, or -1 when out of memory (the record is then
 * half done: the caller drops it). */
static int iext_apply(ds_resolver *rs, ibase *bs, const ds_mention *m, int64_t pub, const iplan *p)
{
    const char *id = NULL;
    if (iext_room(bs, m, p) != 0)
        return -1;
    if (p->src_new || p->claim_new || m->nevidence)
        id = iext_str(bs, m->src.id);
    else
        id = m->src.id; /* not stored */
    if (!id || iext_apply_source(bs, m, id, p) != 0 || iext_apply_lists(bs, m, id, p) != 0 ||
        (p->voter && iext_apply_vote(bs, m, id, pub, p) != 0))
        return -1;
    bs->nmem++;
    bs->nondup += !p->dup;
    return canon_hash_sums(bs->c, &rs->pack, &bs->c->content_hash);
}

/* The add of new strong mention s through the record kept at its deal's
 * root, when s only extends that deal (iext_alone) and states no fact that
 * could change a vote or a link: the record gets s's source, evidence,
 * delivery years, status, new suppliers and claim source in place, as the
 * rebuild of the deal from every member would give them, without reading
 * the other members, and is published when its content changed. Returns
 * 0 when done, 1 when the add must take the scoped recompute, -1 when out
 * of memory. */
static int inc_extend(ds_resolver *rs, block *b, inc *ic, int s)
{
    const imen *y = &ic->men[s];
    if (y->f.kind != K_STRONG)
        return 1;
    int r = ifind(ic, s);
    ibase *bs = ic->men[r].base;
    iplan p = {y->dup >= 0 ? ic->men[y->dup].src : NULL, 0, -1, 0, 0, 0, 0, 0};
    if (!bs || (!p.dup && !bs->nondup) || !iext_alone(ic, s, r))
        return 1; /* no record, or its voters become the non-copies */
    p.voter = !p.dup || !bs->nondup;
    ds_mention *m = malloc(sizeof *m);
    if (!m)
        return -1;
    unpack_mention(y->pk, b->key, m);
    int rc = 1;
    if ((!p.voter || iext_plan_vote(rs->cat, m, y->f.usd, bs->c, &p)) && iext_plan_member(m, bs->c, &p)) {
        rc = iext_apply(rs, bs, m, y->f.pub, &p) == 0 &&
                     assign_rec(rs, b, bs->c, (const char *)ic->men[ic->men[r].anchor].pk) == 0
                 ? 0
                 : -1;
        if (rc < 0)
            ibase_drop(ic, r);
    }
    free(m);
    return rc;
}

/* The add of mention m (stored as pk, the last in b) through b's index,
 * which it builds once the block is big enough. Returns 0 when done, 1
 * when the caller must recompute the block, or -1 when out of memory. */
static int inc_add(ds_resolver *rs, block *b, const ds_mention *m, const unsigned char *pk)
{
    if (!b->ic) {
        if (!rs->inc_min || b->nms < rs->inc_min)
            return 1;
        b->ic = inc_build(rs, b); /* m included */
        return b->ic ? 1 : -1;
    }
    inc *ic = b->ic;
    ic->gen++;
    for (int l = 0; l < MK__N; l++)
        ic->nlist[l] = 0;
    int s = inc_insert(rs, b, ic, m, pk, 1);
    if (s < 0)
        goto lost;
    if (b->sib_read || ic->nglobal > ic->nweak)
        return 1; /* rules that read every deal, or blocks of variant families that do */
    cache_release(rs, b);
    int r = inc_extend(rs, b, ic, s);
    if (r <= 0) {
        rs->inc_adds += r == 0;
        rs->ext_adds += r == 0;
        return r;
    }
    if (ic->nglobal)
        return 1; /* a weak mention joins the one deal it fits: that reads every deal */
    r = inc_scope(ic, s);
    if (r)
        return r < 0 ? -1 : 1;
    size_t n = 0;
    isub *v = inc_members(ic, &n);
    if (!v)
        return -1;
    r = inc_recompute(rs, b, ic, v, n, s);
    free(v);
    rs->inc_adds += r == 0;
    return r;
lost: /* the index is half-updated: drop it, the next big add rebuilds it */
    inc_free(ic);
    b->ic = NULL;
    return -1;
}

/* ---- public ----------------------------------------------------------- */

ds_resolver *ds_resolver_new(const ds_catalog *cat)
{
    ds_resolver *rs = calloc(1, sizeof *rs);
    if (!rs)
        return NULL;
    rs->cat = cat;
    rs->cross_block = 1;
    rs->inc_min = DS_RESOLVER_INC_MIN;
    rs->chunk_bytes = DS_RESOLVER_CHUNK_BYTES;
    ds_buf_init(&rs->pack);
    rs->newest = rs->swept = INT64_MIN;
    return rs;
}

static void clear_scratch(ds_resolver *rs)
{
    for (size_t i = 0; i < rs->nretired; i++)
        canon_free(rs->retired[i]);
    rs->nretired = 0;
    for (size_t i = 0; i < rs->nkept; i++)
        canon_free(rs->kept[i]);
    rs->nkept = 0;
    for (size_t i = 0; i < rs->ndeadb; i++)
        ibase_free(rs->deadb[i]);
    rs->ndeadb = 0;
    rs->nout = 0;
}


static void clear_block_state(ds_resolver *rs)
{
    free(rs->msout);
    free(rs->msptr);
    free(rs->revout);
    rs->msout = NULL;
    rs->msptr = NULL;
    rs->revout = NULL;
    rs->mscap = rs->revcap = 0;
}

/* Grows the block-state scratch to hold nms mentions and nrevs revisions:
 * it is reused, since every changelog record of a batch asks for it. */
static int block_state_room(ds_resolver *rs, size_t nms, size_t nrevs)
{
    if (nms > rs->mscap) {
        size_t cap = nms < 8 ? 8 : nms + nms / 2;
        ds_mention *m = realloc(rs->msout, cap * sizeof *m);
        if (m)
            rs->msout = m;
        const ds_mention **p = m ? realloc(rs->msptr, cap * sizeof *p) : NULL;
        if (!m || !p)
            return -1;
        rs->msptr = p;
        rs->mscap = cap;
    }
    if (nrevs > rs->revcap) {
        size_t cap = nrevs < 8 ? 8 : nrevs + nrevs / 2;
        ds_deal_rev *r = realloc(rs->revout, cap * sizeof *r);
        if (!r)
            return -1;
        rs->revout = r;
        rs->revcap = cap;
    }
    return 0;
}

void ds_resolver_destroy(ds_resolver *rs)
{
    if (!rs)
        return;
    clear_scratch(rs);
    for (size_t i = 0; i < rs->tabcap; i++)
        if (rs->tab[i])
            block_free(rs->tab[i]);
    clear_scratch(rs); /* the kept records of the indexes just freed */
    free(rs->tab);
    free(rs->out);
    free(rs->retired);
    free(rs->kept);
    free(rs->deadb);
    free(rs->cachedb);
    free(rs->all);
    clear_block_state(rs);
    free(rs->dch);
    ds_buf_free(&rs->pack);
    free(rs->fp);
    free(rs);
}

/* Whether m is a later version of the held mention p with its id: a deal
 * event (whose mention_id names its source) reported later than the version
 * held. Anything else with a known id is a redelivery. */
static int newer_version(const unsigned char *p, const char *block_key, const ds_mention *m)
{
    if (m->src.kind != DS_SRC_DEAL_EVENT || m->src.published == DS_NO_TIME)
        return 0;
    ds_mention old;
    unpack_mention(p, block_key, &old);
    return old.src.kind == DS_SRC_DEAL_EVENT && (old.src.published == DS_NO_TIME || m->src.published > old.src.published);
}

/* ---- changelog chunks and expiry -------------------------------------- */

/* Estimated encoded size of a mention in a changelog record: its packed
 * form plus the block key the record repeats and Avro's union branches and
 * array ends (an upper bound: test_restore checks it). */
#define ITEM_OVERHEAD 40
/* ... and of one revision entry (deal id, revision, hash). */
#define REV_BYTES 48

static size_t item_bytes(const block *b, const unsigned char *p) { return packed_len(p) + strlen(b->key) + ITEM_OVERHEAD; }

/* The chunk of b with that id, or NULL. */
static chunk *chunk_find(block *b, uint32_t id)
{
    size_t lo = 0, hi = b->nch;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (b->ch[mid].id == id)
            return &b->ch[mid];
        if (b->ch[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* Puts an item of `bytes` in b's open chunk of its kind (expirable intents
 * apart, so that their chunks empty and are deleted as they expire instead
 * of rewriting the chunks of lasting items), or in a new one (the next id)
 * when it would outgrow rs->chunk_bytes. Returns the chunk's id, or 0 when
 * out of memory. */
static uint32_t chunk_place(const ds_resolver *rs, block *b, size_t bytes, int exp)
{
    chunk *open = NULL;
    for (size_t i = b->nch; i-- > 0 && !open;)
        if (b->ch[i].exp == exp)
            open = &b->ch[i];
    if (!open || (open->items && open->bytes + bytes > rs->chunk_bytes)) {
        uint32_t id = b->nch ? b->ch[b->nch - 1].id + 1 : 1;
        if (ds_reserve(&b->ch, &b->capch, b->nch + 1, sizeof *b->ch, 4))
            return 0;
        open = &b->ch[b->nch++];
        *open = (chunk){id, 0, 0, 0, exp};
    }
    open->items++;
    open->bytes += bytes;
    open->dirty = 1;
    return open->id;
}

/* Takes an item of `bytes` out of chunk id of b (none for id 0). */
static void chunk_take(block *b, uint32_t id, size_t bytes)
{
    chunk *c = id ? chunk_find(b, id) : NULL;
    if (!c)
        return;
    c->items -= c->items > 0;
    c->bytes -= bytes < c->bytes ? bytes : c->bytes;
    c->dirty = 1;
}

/* Whether m can expire: an intent (never part of a deal) of a deal event
 * (no text fingerprint, so no copy can point at it) with a publication
 * time. It changes nothing but the answer to its own redelivery. */
static int expirable(const ds_mention *m)
{
    return m->role == DS_ROLE_PRIMARY && m->stage == DS_STAGE_INTENT && m->src.text_hash == 0 &&
           m->src.published != DS_NO_TIME;
}

/* Notes m's publication time in b's newest and oldest-expirable times. */
static void note_times(block *b, const ds_mention *m)
{
    if (m->src.published == DS_NO_TIME)
        return;
    if (m->src.published > b->newest)
        b->newest = m->src.published;
    if (expirable(m) && m->src.published < b->exp_min)
        b->exp_min = m->src.published;
    b->exp_new += expirable(m);
}

static inc *inc_build(ds_resolver *rs, block *b);
static int iseq_of(const inc *ic, const unsigned char *pk);

/* Rebuilds b's index after mentions left it (the deals are unchanged),
 * keeping its anchors of deals that match a reference row (pks: their
 * packed records, read before). On failure the index is dropped: the next
 * add recomputes the block whole and rebuilds it. */
static void inc_rebuild(ds_resolver *rs, block *b, const unsigned char **pks, size_t npks)
{
    inc *old = b->ic, *ic = inc_build(rs, b);
    b->ic = NULL;
    inc_free(old);
    if (ic && npks && ds_reserve(&ic->refa, &ic->caprefa, npks, sizeof *ic->refa, 4) == 0) {
        for (size_t i = 0; i < npks; i++) {
            int s = iseq_of(ic, pks[i]);
            if (s >= 0)
                ic->refa[ic->nrefa++] = s;
        }
    } else if (ic && npks) {
        inc_free(ic);
        ic = NULL;
    }
    b->ic = ic;
}

/* Drops from b the expirable intents published more than the retention
 * before b's newest mention. Swept once the oldest is a quarter retention
 * past that horizon and at least max(64, 1/16 of the block) such intents
 * came since the last sweep, so that the sweep (a scan of the block and a
 * rebuild of its index) costs a bounded amount per intent stored. The
 * deals do not change. */
static void expire_intents(ds_resolver *rs, block *b)
{
    if (!rs->retention || b->exp_min == INT64_MAX || b->newest == INT64_MIN)
        return;
    int64_t r = rs->retention * MINUTE_MS, horizon = b->newest - r;
    if (b->exp_min >= horizon - r / 4 || b->exp_new < 64 || b->exp_new < b->nms / 16)
        return;
    const unsigned char **pks = NULL;
    size_t npks = 0;
    if (b->ic && b->ic->nrefa && (pks = malloc(b->ic->nrefa * sizeof *pks)) != NULL)
        for (size_t i = 0; i < b->ic->nrefa; i++)
            pks[npks++] = b->ic->men[b->ic->refa[i]].pk;
    int lost = b->ic && b->ic->nrefa && !pks; /* then rebuilt by the next add's whole recompute */
    size_t u = 0, gone = 0;
    int64_t lo = INT64_MAX;
    ds_mention m;
    for (size_t i = 0; i < b->nms; i++) {
        unpack_mention(b->ms[i], b->key, &m);
        int exp = expirable(&m);
        if (exp && m.src.published < horizon) {
            chunk_take(b, b->mch[i], item_bytes(b, b->ms[i]));
            rs->packed -= packed_len(b->ms[i]);
            free(b->ms[i]);
            gone++;
            continue;
        }
        if (exp && m.src.published < lo)
            lo = m.src.published;
        b->ms[u] = b->ms[i];
        b->mch[u++] = b->mch[i];
    }
    b->nms = u;
    b->exp_min = lo;
    b->exp_new = 0;
    rs->nmentions -= gone;
    rs->expired += gone;
    if (gone && lost) {
        inc_free(b->ic);
        b->ic = NULL;
    } else if (gone && b->ic) { /* the index points at the records freed */
        inc_rebuild(rs, b, pks, npks);
    }
    free(pks);
}

/* Stores m in b at index at: inserted there, or (replace) in place of the
 * version held, in the block's open changelog chunk (a reference row's in
 * none). Returns 0 or -1 when out of memory (b unaltered). */
static int store_mention(ds_resolver *rs, block *b, size_t at, int replace, const ds_mention *m)
{
    if (!replace && (ds_reserve(&b->ms, &b->capms, b->nms + 1, sizeof *b->ms, 4) ||
                     ds_reserve(&b->mch, &b->capmch, b->nms + 1, sizeof *b->mch, 4)))
        return -1;
    unsigned char *copy = pack_mention(&rs->pack, m);
    /* a reference row's mention is the catalog's: in no changelog chunk
     * (chunk 0) and not on the block's clock */
    int isref = m->src.kind == DS_SRC_REFERENCE;
    uint32_t c = 0;
    if (!copy || fp_note(rs, m->src.id, m->src.text_hash, m->src.published) != 0 ||
        (!isref && !(c = chunk_place(rs, b, item_bytes(b, copy), expirable(m))))) {
        free(copy);
        return -1;
    }
    rs->packed += packed_len(copy);
    if (!isref)
        note_times(b, m);
    if (replace) {
        chunk_take(b, b->mch[at], item_bytes(b, b->ms[at]));
        rs->packed -= packed_len(b->ms[at]);
        free(b->ms[at]);
        b->ms[at] = copy;
        b->mch[at] = c;
        return 0;
    }
    memmove(&b->ms[at + 1], &b->ms[at], (b->nms - at) * sizeof *b->ms);
    memmove(&b->mch[at + 1], &b->mch[at], (b->nms - at) * sizeof *b->mch);
    b->ms[at] = copy;
    b->mch[at] = c;
    b->nms++;
    rs->nmentions++;
    return 0;
}

/* Whether b holds a mention with id mention_id; *at is its index, or where
 * it would go. */
static int find_mention(const block *b, const char *mention_id, size_t *at)
{
    size_t lo = 0, hi = b->nms;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp((const char *)b->ms[mid], mention_id);
        if (c == 0) {
            *at = mid;
            return 1;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *at = lo;
    return 0;
}

int ds_resolver_add(ds_resolver *rs, const ds_mention *m, ds_changes *changes)
{
    changes->items = NULL;
    changes->n = 0;
    clear_scratch(rs);
    cache_drop(rs);
    if (cancel_asked(rs))
        return DS_RESOLVE_CANCELLED;
    if (!m->mention_id[0] || !m->block_key[0])
        return -2;
    if (m->src.kind == DS_SRC_REFERENCE)
        return -2; /* the catalog's rows are materialised by the resolver itself */
    block *b = block_get(rs, m->block_key);
    if (!b)
        return -1;
    size_t lo;
    int held = find_mention(b, m->mention_id, &lo);
    if (held && !newer_version(b->ms[lo], b->key, m))
        return 0; /* already seen: a redelivery changes nothing */
    if (!held && rs->max_per_block && b->nms - b->nrefms >= rs->max_per_block)
        return -3; /* the block is full: nothing stored */
    if (store_mention(rs, b, lo, held, m) != 0)
        return -1;
    int r = 1;
    if (held) { /* a version replaced: the index is rebuilt when next needed */
        inc_free(b->ic);
        b->ic = NULL;
    } else {
        r = inc_add(rs, b, m, b->ms[lo]);
    }
    if (r < 0 || (r > 0 && recompute(rs, b, RC_CASCADE) != 0))
        return rs->cancelled ? DS_RESOLVE_CANCELLED : -1;
    expire_intents(rs, b);
    if (rs->nout > 1)
        qsort(rs->out, rs->nout, sizeof *rs->out, canon_ptr_cmp);
    changes->items = rs->out;
    changes->n = rs->nout;
    return 0;
}

static int canon_id_cmp(const void *pa, const void *pb)
{
    const ds_canon *a = *(const ds_canon *const *)pa, *b = *(const ds_canon *const *)pb;
    return strcmp(a->deal_id, b->deal_id);
}

size_t ds_resolver_deals(ds_resolver *rs, const ds_canon ***out)
{
    *out = NULL;
    free(rs->all);
    rs->all = NULL;
    /* Blocks not recomputed since the last add have no records: recompute
     * them (their deals depend on their mentions and on other blocks' refd,
     * so they equal what was last published). Collect the blocks first:
     * links may create blocks. */
    size_t nb = 0, n = 0;
    for (size_t i = 0; i < rs->tabcap; i++)
        nb += rs->tab[i] && rs->tab[i]->ndeals && !rs->tab[i]->restored;
    if (!nb)
        return 0;
    block **bs = malloc(nb * sizeof *bs);
    if (!bs)
        return 0;
    nb = 0;
    for (size_t i = 0; i < rs->tabcap; i++)
        if (rs->tab[i] && rs->tab[i]->ndeals && !rs->tab[i]->restored)
            bs[nb++] = rs->tab[i];
    int rc = 0;
    for (size_t i = 0; i < nb && rc == 0; i++) {
        if (!bs[i]->deals)
            rc = recompute(rs, bs[i], RC_VIEW);
        n += bs[i]->ndeals;
    }
    if (rc == 0 && n)
        rs->all = malloc(n * sizeof *rs->all);
    if (rs->all) {
        n = 0;
        for (size_t i = 0; i < nb; i++)
            for (size_t j = 0; j < bs[i]->ndeals; j++)
                rs->all[n++] = bs[i]->deals[j];
        qsort(rs->all, n, sizeof *rs->all, canon_id_cmp);
    }
    free(bs);
    if (!rs->all)
        return 0;
    *out = rs->all;
    return n;
}

size_t ds_resolver_deal_count(const ds_resolver *rs)
{
    size_t n = 0;
    for (size_t i = 0; i < rs->tabcap; i++)
        if (rs->tab[i] && !rs->tab[i]->restored)
            n += rs->tab[i]->ndeals;
    return n;
}

size_t ds_resolver_mentions(const ds_resolver *rs) { return rs->nmentions - rs->nrefms; }

size_t ds_resolver_blocks(const ds_resolver *rs) { return rs->nblocks; }

/* Drops every block's index (what it knows of copies depends on settings). */
static void drop_indexes(ds_resolver *rs)
{
    for (size_t i = 0; i < rs->tabcap; i++)
        if (rs->tab[i]) {
            inc_free(rs->tab[i]->ic);
            rs->tab[i]->ic = NULL;
        }
}

size_t ds_resolver_incremental_adds(const ds_resolver *rs) { return rs->inc_adds; }

size_t ds_resolver_extended_adds(const ds_resolver *rs) { return rs->ext_adds; }

void ds_resolver_set_cancel(ds_resolver *rs, ds_cancel_fn fn, void *opaque)
{
    rs->cancel = fn;
    rs->cancel_opaque = opaque;
}

void ds_resolver_set_max_mentions_per_block(ds_resolver *rs, size_t max) { rs->max_per_block = max; }

void ds_resolver_set_incremental(ds_resolver *rs, size_t min_mentions)
{
    rs->inc_min = min_mentions;
    drop_indexes(rs);
}

void ds_resolver_set_retention(ds_resolver *rs, int64_t days)
{
    drop_indexes(rs);
    rs->retention = days > 0 ? days * 1440 : 0;
    fp_sweep(rs);
}

size_t ds_resolver_fingerprints(const ds_resolver *rs) { return rs->nfp; }

int ds_resolver_note_article(ds_resolver *rs, const char *source_id, uint64_t text_hash, int64_t published)
{
    return fp_note(rs, source_id, text_hash, published);
}

size_t ds_resolver_packed_bytes(const ds_resolver *rs) { return rs->packed; }

/* ---- Avro ------------------------------------------------------------- */

#define TRY(x)              \
    do {                    \
        if ((x) != 0)       \
            return -1;      \
    } while (0)



static int set_long(avro_value_t *rec, const char *field, int64_t v)
{
    avro_value_t f;
    TRY(ds_avro_field(rec, field, &f));
    return avro_value_set_long(&f, v);
}

static int set_int(avro_value_t *rec, const char *field, int32_t v)
{
    avro_value_t f;
    TRY(ds_avro_field(rec, field, &f));
    return avro_value_set_int(&f, v);
}

/* A plain (non-union) Value record. */

/* Array blocks as avro-c writes them: the count of a non-empty array, its
 * items, then 0. */
#define PUT_COUNT(out, n) ((n) ? ds_avro_put_long(out, (int64_t)(n)) : 0)

/* Writes suppliers, system, family, quantity, variants and extras. Returns
 * 0 or nonzero when out of memory. */
static int write_parties_items(const ds_canon *c, ds_buf *out)
{
    int e = PUT_COUNT(out, c->nsuppliers);
    for (size_t i = 0; i < c->nsuppliers; i++) {
        e |= ds_avro_put_string(out, c->suppliers[i].company);
        e |= ds_avro_put_long(out, c->suppliers[i].role);
    }
    e |= ds_avro_put_long(out, 0);
    e |= ds_avro_put_opt_string(out, c->system);
    e |= ds_avro_put_opt_string(out, c->family);
    e |= ds_avro_put_opt_long(out, c->quantity, c->quantity >= 0);
    const ds_canon_item *items[2] = {c->variants, c->extras};
    size_t nitems[2] = {c->nvariants, c->nextras};
    for (int k = 0; k < 2; k++) {
        e |= PUT_COUNT(out, nitems[k]);
        for (size_t i = 0; i < nitems[k]; i++) {
            e |= ds_avro_put_string(out, items[k][i].name);
            e |= ds_avro_put_long(out, items[k][i].quantity);
        }
        e |= ds_avro_put_long(out, 0);
    }
    return e;
}

/* Writes value, value_basis and value_claims. Returns 0 or nonzero. */
static int write_values(const ds_canon *c, ds_buf *out)
{
    int e = ds_avro_put_long(out, c->value.set ? 1 : 0);
    if (c->value.set)
        e |= ds_avro_put_value_record(out, &c->value);
    e |= ds_avro_put_opt_string(out, c->value_basis);
    e |= PUT_COUNT(out, c->nclaims);
    for (size_t i = 0; i < c->nclaims; i++) {
        e |= ds_avro_put_value_record(out, &c->claims[i].value);
        e |= PUT_COUNT(out, c->claims[i].nsources);
        for (size_t j = 0; j < c->claims[i].nsources; j++)
            e |= ds_avro_put_string(out, c->claims[i].sources[j]);
        e |= ds_avro_put_long(out, 0);
    }
    return e | ds_avro_put_long(out, 0);
}

/* Writes sources, links and evidence. Returns 0 or nonzero. */
static int write_sources_links(const ds_canon *c, ds_buf *out)
{
    int e = PUT_COUNT(out, c->nsources);
    for (size_t i = 0; i < c->nsources; i++) {
        const ds_canon_source *src = &c->sources[i];
        e |= ds_avro_put_string(out, src->id);
        e |= ds_avro_put_long(out, src->kind);
        e |= ds_avro_put_opt_string(out, src->outlet);
        e |= ds_avro_put_opt_long(out, src->published, src->published != DS_NO_TIME);
        e |= ds_avro_put_long(out, src->status);
        e |= ds_avro_put_opt_string(out, src->duplicate_of);
    }
    e |= ds_avro_put_long(out, 0);
    e |= PUT_COUNT(out, c->nlinks);
    for (size_t i = 0; i < c->nlinks; i++) {
        const ds_canon_link *l = &c->links[i];
        e |= ds_avro_put_long(out, l->relation);
        e |= ds_avro_put_string(out, l->target);
        e |= ds_avro_put_opt_string(out, l->target_ref);
        e |= ds_avro_put_long(out, l->via);
        e |= ds_avro_put_opt_string(out, l->basis);
    }
    e |= ds_avro_put_long(out, 0);
    e |= PUT_COUNT(out, c->nevidence);
    for (size_t i = 0; i < c->nevidence; i++) {
        const ds_canon_evidence *ev = &c->evidence[i];
        e |= ds_avro_put_string(out, ev->field);
        e |= ds_avro_put_string(out, ev->source);
        e |= ds_avro_put_long(out, ev->start);
        e |= ds_avro_put_long(out, ev->end);
    }
    return e | ds_avro_put_long(out, 0);
}

int ds_canon_write(const ds_canon *c, ds_buf *out)
{
    size_t len = out->len;
    int e = ds_avro_put_string(out, c->deal_id);
    e |= ds_avro_put_long(out, c->revision);
    e |= ds_avro_put_opt_string(out, c->retired_into);
    e |= ds_avro_put_string(out, c->block_key);
    e |= ds_avro_put_opt_string(out, c->buyer);
    e |= ds_avro_put_opt_string(out, c->seller);
    e |= write_parties_items(c, out);
    e |= write_values(c, out);
    e |= ds_avro_put_long(out, c->stage);
    e |= ds_avro_put_long(out, c->status);
    e |= ds_avro_put_opt_long(out, c->batch, c->batch > 0);
    e |= ds_avro_put_opt_long(out, c->signing_date, c->signing_date != DS_NO_DATE);
    e |= ds_avro_put_opt_long(out, c->signing_year, c->signing_year > 0);
    e |= ds_avro_put_opt_long(out, c->announce_date, c->announce_date != DS_NO_DATE);
    e |= PUT_COUNT(out, c->ndelivery_years);
    for (size_t i = 0; i < c->ndelivery_years; i++)
        e |= ds_avro_put_long(out, c->delivery_years[i]);
    e |= ds_avro_put_long(out, 0);
    e |= ds_avro_put_opt_string(out, c->place);
    e |= write_sources_links(c, out);
    e |= ds_avro_put_long(out, c->updated);
    e |= ds_avro_put_opt_long(out, c->delivered, c->delivered > 0);
    size_t nsrc = c->sources_total ? c->sources_total : c->nsources;
    size_t nev = c->evidence_total ? c->evidence_total : c->nevidence;
    unsigned char truncated = nsrc > c->nsources || nev > c->nevidence;
    e |= ds_avro_put_long(out, (int64_t)nsrc);
    e |= ds_avro_put_long(out, (int64_t)nev);
    e |= ds_buf_append(out, &truncated, 1);
    if (e) {
        out->len = len;
        return -1;
    }
    return 0;
}

/* Whether id is among the n sorted ids. */
static int is_listed(const char *const *ids, size_t n, const char *id)
{
    return bsearch(&id, ids, n, sizeof *ids, str_ptr_cmp) != NULL;
}

/* Fills v's evidence and claims (arrays ev, cl and cs, sized for all of
 * c's) with those of the n sorted listed ids. */
static void cap_evidence_claims(const ds_canon *c, const char *const *ids, size_t n, ds_canon *v,
                                ds_canon_evidence *ev, ds_canon_claim *cl, const char **cs)
{
    v->evidence = ev;
    v->nevidence = 0;
    for (size_t i = 0; i < c->nevidence; i++)
        if (is_listed(ids, n, c->evidence[i].source))
            ev[v->nevidence++] = c->evidence[i];
    v->claims = cl;
    v->nclaims = 0;
    for (size_t i = 0; i < c->nclaims; i++) {
        ds_canon_claim k = c->claims[i];
        k.sources = cs;
        k.nsources = 0;
        for (size_t j = 0; j < c->claims[i].nsources; j++)
            if (is_listed(ids, n, c->claims[i].sources[j]))
                cs[k.nsources++] = c->claims[i].sources[j];
        if (k.nsources) {
            cl[v->nclaims++] = k;
            cs += k.nsources;
        }
    }
}

int ds_canon_write_capped(const ds_canon *c, size_t max_sources, ds_buf *out)
{
    if (c->nsources <= max_sources)
        return ds_canon_write(c, out);
    size_t ncs = 0;
    for (size_t i = 0; i < c->nclaims; i++)
        ncs += c->claims[i].nsources;
    const char **ids = malloc((max_sources ? max_sources : 1) * sizeof *ids);
    ds_canon_evidence *ev = malloc((c->nevidence ? c->nevidence : 1) * sizeof *ev);
    ds_canon_claim *cl = malloc((c->nclaims ? c->nclaims : 1) * sizeof *cl);
    const char **cs = malloc((ncs ? ncs : 1) * sizeof *cs);
    int rc = -1;
    if (!ids || !ev || !cl || !cs)
        goto err;
    for (size_t i = 0; i < max_sources; i++)
        ids[i] = c->sources[i].id;
    qsort(ids, max_sources, sizeof *ids, str_ptr_cmp);
    ds_canon v = *c;
    v.nsources = max_sources;
    v.sources_total = c->nsources;
    v.evidence_total = c->nevidence;
    cap_evidence_claims(c, ids, max_sources, &v, ev, cl, cs);
    rc = ds_canon_write(&v, out) ? -1 : 1;
err:
    free(ids);
    free(ev);
    free(cl);
    free(cs);
    return rc;
}

int ds_canon_to_avro(const ds_canon *c, avro_value_t *val)
{
    avro_value_t item, f;
    TRY(ds_avro_set_string(val, "deal_id", c->deal_id));
    TRY(set_long(val, "revision", c->revision));
    TRY(ds_avro_set_opt_string(val, "retired_into", c->retired_into));
    TRY(ds_avro_set_string(val, "block_key", c->block_key));
    TRY(ds_avro_set_opt_string(val, "buyer", c->buyer));
    TRY(ds_avro_set_opt_string(val, "seller", c->seller));
    TRY(ds_avro_clear_array(val, "suppliers"));
    for (size_t i = 0; i < c->nsuppliers; i++) {
        TRY(ds_avro_append(val, "suppliers", &item));
        TRY(ds_avro_set_string(&item, "company", c->suppliers[i].company));
        TRY(ds_avro_set_enum(&item, "role", c->suppliers[i].role));
    }
    TRY(ds_avro_set_opt_string(val, "system", c->system));
    TRY(ds_avro_set_opt_string(val, "family", c->family));
    TRY(ds_avro_set_opt_long(val, "quantity", c->quantity, c->quantity >= 0));
    TRY(ds_avro_clear_array(val, "variants"));
    for (size_t i = 0; i < c->nvariants; i++) {
        TRY(ds_avro_append(val, "variants", &item));
        TRY(ds_avro_set_string(&item, "system", c->variants[i].name));
        TRY(set_long(&item, "quantity", c->variants[i].quantity));
    }
    TRY(ds_avro_clear_array(val, "extras"));
    for (size_t i = 0; i < c->nextras; i++) {
        TRY(ds_avro_append(val, "extras", &item));
        TRY(ds_avro_set_string(&item, "what", c->extras[i].name));
        TRY(set_long(&item, "quantity", c->extras[i].quantity));
    }
    TRY(ds_avro_set_value(val, "value", &c->value));
    TRY(ds_avro_set_opt_string(val, "value_basis", c->value_basis));
    TRY(ds_avro_clear_array(val, "value_claims"));
    for (size_t i = 0; i < c->nclaims; i++) {
        TRY(ds_avro_append(val, "value_claims", &item));
        TRY(ds_avro_field(&item, "value", &f));
        TRY(ds_avro_set_value_record(&f, &c->claims[i].value));
        TRY(ds_avro_clear_array(&item, "sources"));
        for (size_t j = 0; j < c->claims[i].nsources; j++) {
            avro_value_t s;
            TRY(ds_avro_append(&item, "sources", &s));
            TRY(avro_value_set_string(&s, c->claims[i].sources[j]));
        }
    }
    TRY(ds_avro_set_timeline(val, c->stage, c->status, c->batch, c->signing_date, c->signing_year, c->announce_date,
                             c->delivery_years, c->ndelivery_years, c->place));
    TRY(ds_avro_clear_array(val, "sources"));
    for (size_t i = 0; i < c->nsources; i++) {
        const ds_canon_source *s = &c->sources[i];
        TRY(ds_avro_append(val, "sources", &item));
        TRY(ds_avro_set_string(&item, "id", s->id));
        TRY(ds_avro_set_enum(&item, "kind", s->kind));
        TRY(ds_avro_set_opt_string(&item, "outlet", s->outlet));
        TRY(ds_avro_set_opt_long(&item, "published", s->published, s->published != DS_NO_TIME));
        TRY(ds_avro_set_enum(&item, "status", s->status));
        TRY(ds_avro_set_opt_string(&item, "duplicate_of", s->duplicate_of));
    }
    TRY(ds_avro_clear_array(val, "links"));
    for (size_t i = 0; i < c->nlinks; i++) {
        const ds_canon_link *l = &c->links[i];
        TRY(ds_avro_append(val, "links", &item));
        TRY(ds_avro_set_enum(&item, "relation", l->relation));
        TRY(ds_avro_set_string(&item, "target", l->target));
        TRY(ds_avro_set_opt_string(&item, "target_ref", l->target_ref));
        TRY(ds_avro_set_enum(&item, "via", l->via));
        TRY(ds_avro_set_opt_string(&item, "basis", l->basis));
    }
    TRY(ds_avro_clear_array(val, "evidence"));
    for (size_t i = 0; i < c->nevidence; i++) {
        const ds_canon_evidence *e = &c->evidence[i];
        TRY(ds_avro_append(val, "evidence", &item));
        TRY(ds_avro_set_string(&item, "field", e->field));
        TRY(ds_avro_set_string(&item, "source", e->source));
        TRY(set_int(&item, "start", e->start));
        TRY(set_int(&item, "end", e->end));
    }
    TRY(set_long(val, "updated", c->updated));
    TRY(ds_avro_set_opt_long(val, "delivered", c->delivered, c->delivered > 0));
    size_t nsrc = c->sources_total ? c->sources_total : c->nsources;
    size_t nev = c->evidence_total ? c->evidence_total : c->nevidence;
    TRY(set_long(val, "sources_total", (int64_t)nsrc));
    TRY(set_long(val, "evidence_total", (int64_t)nev));
    TRY(ds_avro_field(val, "truncated", &f));
    return avro_value_set_boolean(&f, nsrc > c->nsources || nev > c->nevidence);
}

/* ---- changelog state -------------------------------------------------- */

void ds_resolver_set_cross_block(ds_resolver *rs, int enable) { rs->cross_block = enable != 0; }

int ds_resolver_block_state(ds_resolver *rs, const char *block_key, const ds_mention *const **ms, size_t *nms,
                            const ds_deal_rev **revs, size_t *nrevs)
{
    block *b = block_find(rs, block_key);
    *ms = NULL;
    *revs = NULL;
    *nms = *nrevs = 0;
    if (!b)
        return -1;
    if (block_state_room(rs, b->nms, b->nrevs))
        return -2;
    size_t n = 0;
    for (size_t i = 0; i < b->nms; i++) {
        unpack_mention(b->ms[i], b->key, &rs->msout[n]);
        if (rs->msout[n].src.kind == DS_SRC_REFERENCE)
            continue; /* the catalog's, rebuilt from it: never in the changelog */
        rs->msptr[n] = &rs->msout[n];
        n++;
    }
    if (b->nrevs) {
        for (size_t i = 0; i < b->nrevs; i++) {
            memcpy(rs->revout[i].deal_id, b->revs[i].id, sizeof rs->revout[i].deal_id);
            rs->revout[i].revision = b->revs[i].revision;
            rs->revout[i].content_hash = b->revs[i].hash;
            rs->revout[i].retired = b->revs[i].unknown ? b->revs[i].hint : b->revs[i].retired;
        }
    }
    *ms = rs->msptr;
    *nms = n;
    *revs = rs->revout;
    *nrevs = b->nrevs;
    return 0;
}

void ds_resolver_set_chunk_bytes(ds_resolver *rs, size_t bytes) { rs->chunk_bytes = bytes ? bytes : DS_RESOLVER_CHUNK_BYTES; }

size_t ds_resolver_expired(const ds_resolver *rs) { return rs->expired; }

/* Gives every revision of b without a chunk one, and marks the chunks of
 * revisions changed since written. Returns 0 or -1. */
static int mark_revisions(ds_resolver *rs, block *b)
{
    for (size_t i = 0; i < b->nrevs; i++) {
        rev *r = &b->revs[i];
        if (!r->chunk) {
            if (!(r->chunk = chunk_place(rs, b, REV_BYTES, 0)))
                return -1;
        } else if (r->revision != r->wrev || r->hash != r->whash) {
            chunk *c = chunk_find(b, r->chunk);
            if (c)
                c->dirty = 1;
        }
    }
    return 0;
}

int ds_resolver_chunks_dirty(ds_resolver *rs, const char *block_key, const ds_state_chunk **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    block *b = block_find(rs, block_key);
    if (!b)
        return -1;
    if (mark_revisions(rs, b) || ds_reserve(&rs->dch, &rs->capdch, b->nch + 2, sizeof *rs->dch, 8))
        return -2;
    size_t k = 0;
    for (size_t i = b->nch; i-- > 0;) /* newest first: a moved item is written before it leaves */
        if (b->ch[i].dirty && b->ch[i].items)
            rs->dch[k++] = (ds_state_chunk){b->ch[i].id, 0};
    for (size_t i = b->nch; i-- > 0;)
        if (b->ch[i].dirty && !b->ch[i].items)
            rs->dch[k++] = (ds_state_chunk){b->ch[i].id, 1};
    if (b->legacy)
        rs->dch[k++] = (ds_state_chunk){0, 1};
    *out = rs->dch;
    *n = k;
    return 0;
}

int ds_resolver_chunk_state(ds_resolver *rs, const char *block_key, uint32_t chunk_id, const ds_mention *const **ms,
                            size_t *nms, const ds_deal_rev **revs, size_t *nrevs)
{
    block *b = block_find(rs, block_key);
    *ms = NULL;
    *revs = NULL;
    *nms = *nrevs = 0;
    chunk *c = b ? chunk_find(b, chunk_id) : NULL;
    if (!c)
        return -1;
    if (block_state_room(rs, c->items, c->items))
        return -2;
    size_t k = 0, r = 0;
    for (size_t i = 0; i < b->nms && k < c->items; i++)
        if (b->mch[i] == chunk_id) {
            unpack_mention(b->ms[i], b->key, &rs->msout[k]);
            rs->msptr[k] = &rs->msout[k];
            k++;
        }
    for (size_t i = 0; i < b->nrevs && k + r < c->items; i++)
        if (b->revs[i].chunk == chunk_id) {
            ds_deal_rev *d = &rs->revout[r++];
            memcpy(d->deal_id, b->revs[i].id, sizeof d->deal_id);
            d->revision = b->revs[i].revision;
            d->content_hash = b->revs[i].hash;
            d->retired = b->revs[i].unknown ? b->revs[i].hint : b->revs[i].retired;
        }
    *ms = rs->msptr;
    *nms = k;
    *revs = rs->revout;
    *nrevs = r;
    return 0;
}

void ds_resolver_chunks_written(ds_resolver *rs, const char *block_key)
{
    (void)rs;
    block *b = block_find(rs, block_key);
    if (!b)
        return;
    size_t u = 0;
    for (size_t i = 0; i < b->nch; i++) {
        b->ch[i].dirty = 0;
        if (b->ch[i].items)
            b->ch[u++] = b->ch[i];
    }
    b->nch = u;
    for (size_t i = 0; i < b->nrevs; i++) {
        b->revs[i].wrev = b->revs[i].revision;
        b->revs[i].whash = b->revs[i].hash;
    }
    b->legacy = 0;
}

/* Forgets everything b holds (mentions, revisions, chunks, deals). */
static void block_clear(ds_resolver *rs, block *b)
{
    cache_release(rs, b);
    inc_free(b->ic);
    b->ic = NULL;
    free(b->refd);
    b->refd = NULL;
    b->nrefd = 0;
    free(b->sib);
    b->sib = NULL;
    b->nsib = 0;
    b->ndeals = 0;
    for (size_t i = 0; i < b->nms; i++) {
        rs->packed -= packed_len(b->ms[i]);
        free(b->ms[i]);
    }
    rs->nmentions -= b->nms;
    rs->nrefms -= b->nrefms; /* the changelog holds none: insert_refs puts them back */
    b->nrefms = 0;
    b->nms = 0;
    b->nrevs = 0;
    b->nch = 0;
    b->legacy = 0;
    b->newest = INT64_MIN;
    b->exp_min = INT64_MAX;
    b->exp_new = 0;
}

int ds_resolver_restore_chunk(ds_resolver *rs, const char *block_key, uint32_t chunk_id, const ds_mention *ms,
                              size_t nms, const ds_deal_rev *revs, size_t nrevs)
{
    if (!block_key[0])
        return -2;
    for (size_t i = 0; i < nms; i++)
        if (!ms[i].mention_id[0] || strcmp(ms[i].block_key, block_key) != 0)
            return -2;
    block *b = block_get(rs, block_key);
    if (!b)
        return -1;
    if (!b->restored)
        block_clear(rs, b);
    b->restored = 1;
    if (ds_reserve(&b->ms, &b->capms, b->nms + nms, sizeof *b->ms, 4) ||
        ds_reserve(&b->mch, &b->capmch, b->nms + nms, sizeof *b->mch, 4) ||
        ds_reserve(&b->revs, &b->caprevs, b->nrevs + nrevs, sizeof *b->revs, 4))
        return -1;
    for (size_t i = 0; i < nms; i++) {
        unsigned char *p = pack_mention(&rs->pack, &ms[i]);
        if (!p)
            return -1;
        (void)fp_note(rs, ms[i].src.id, ms[i].src.text_hash, ms[i].src.published); /* best effort: a fingerprint only counts for the clock and the table */
        rs->packed += packed_len(p);
        rs->nmentions++;
        b->ms[b->nms] = p;
        b->mch[b->nms++] = chunk_id;
    }
    for (size_t i = 0; i < nrevs; i++) {
        rev *r = &b->revs[b->nrevs++];
        memset(r, 0, sizeof *r);
        ds_strlcpy(r->id, revs[i].deal_id, sizeof r->id);
        r->revision = r->wrev = revs[i].revision;
        r->hash = r->whash = revs[i].content_hash;
        /* a record that says whether the id is retired spares the restore
         * trying every deal of the block as its survivor (retire_vanished) */
        r->unknown = 1;
        r->hint = revs[i].retired < 0 ? -1 : revs[i].retired > 0;
        r->chunk = chunk_id;
    }
    b->legacy |= chunk_id == 0 && (nms || nrevs);
    return 0;
}

int ds_resolver_restore(ds_resolver *rs, const char *block_key, const ds_mention *ms, size_t nms,
                        const ds_deal_rev *revs, size_t nrevs)
{
    block *b = block_find(rs, block_key);
    if (b && b->restored) {
        block_clear(rs, b);
        b->restored = 0;
    }
    return ds_resolver_restore_chunk(rs, block_key, 0, ms, nms, revs, nrevs);
}

typedef struct pkch {
    unsigned char *p;
    uint32_t chunk;
} pkch;

static int pkch_cmp(const void *pa, const void *pb)
{
    const pkch *a = pa, *b = pb;
    int c = strcmp((const char *)a->p, (const char *)b->p);
    return c ? c : a->chunk < b->chunk ? -1 : a->chunk > b->chunk;
}

/* The entry of chunk id in b's table, added (zero items) when missing, kept
 * sorted; marked dirty when `dirty`. Returns it, or NULL when out of memory. */
static chunk *chunk_note(block *b, uint32_t id, int dirty)
{
    chunk *c = chunk_find(b, id);
    if (c) {
        c->dirty |= dirty;
        return c;
    }
    if (ds_reserve(&b->ch, &b->capch, b->nch + 1, sizeof *b->ch, 4))
        return NULL;
    size_t at = 0;
    while (at < b->nch && b->ch[at].id < id)
        at++;
    memmove(&b->ch[at + 1], &b->ch[at], (b->nch - at) * sizeof *b->ch);
    b->nch++;
    b->ch[at] = (chunk){id, 0, 0, dirty, 1};
    return &b->ch[at];
}

/* Sorts the mentions a restore appended to b by mention_id and keeps one of
 * each (the later version of a deal event, else the one of the higher
 * chunk: the later placement). A chunk that lost a copy is marked to be
 * rewritten. Returns 0 or -1. */
static int settle_mentions(ds_resolver *rs, block *b)
{
    pkch *v = malloc((b->nms ? b->nms : 1) * sizeof *v);
    if (!v)
        return -1;
    for (size_t i = 0; i < b->nms; i++)
        v[i] = (pkch){b->ms[i], b->mch[i]};
    qsort(v, b->nms, sizeof *v, pkch_cmp);
    size_t u = 0;
    ds_mention m;
    for (size_t i = 0; i < b->nms; i++) {
        if (u && strcmp((const char *)v[u - 1].p, (const char *)v[i].p) == 0) {
            unpack_mention(v[u - 1].p, b->key, &m);
            /* v[i] has the higher chunk: it wins unless the held one is a later version */
            int keep_old = newer_version(v[i].p, b->key, &m);
            pkch lose = keep_old ? v[i] : v[u - 1];
            if (!keep_old)
                v[u - 1] = v[i];
            if (lose.chunk && !chunk_note(b, lose.chunk, 1)) {
                free(v);
                return -1;
            }
            rs->packed -= packed_len(lose.p);
            rs->nmentions--;
            free(lose.p);
            continue;
        }
        v[u++] = v[i];
    }
    b->nms = u;
    for (size_t i = 0; i < u; i++) {
        b->ms[i] = v[i].p;
        b->mch[i] = v[i].chunk;
    }
    free(v);
    return 0;
}

static int rev_cmp(const void *pa, const void *pb)
{
    const rev *a = pa, *b = pb;
    int c = strcmp(a->id, b->id);
    if (c)
        return c;
    return a->revision != b->revision ? (a->revision < b->revision ? -1 : 1) : (a->chunk < b->chunk ? -1 : a->chunk > b->chunk);
}

/* Sorts the revisions a restore appended by deal id and keeps the latest of
 * each (highest revision). Returns 0 or -1. */
static int settle_revisions(block *b)
{
    if (b->nrevs > 1) /* a block without revisions has no array */
        qsort(b->revs, b->nrevs, sizeof *b->revs, rev_cmp);
    size_t u = 0;
    for (size_t i = 0; i < b->nrevs; i++) {
        if (u && strcmp(b->revs[u - 1].id, b->revs[i].id) == 0) {
            if (b->revs[u - 1].chunk && !chunk_note(b, b->revs[u - 1].chunk, 1))
                return -1;
            b->revs[u - 1] = b->revs[i];
            continue;
        }
        b->revs[u++] = b->revs[i];
    }
    b->nrevs = u;
    return 0;
}

/* Rebuilds b's chunk table from the chunks of its restored items; the
 * items of a whole-block record (chunk 0) are placed in chunks anew, so
 * that its next write replaces that record. Also sets the times expiry
 * reads. Returns 0 or -1. */
static int settle_chunks(ds_resolver *rs, block *b)
{
    ds_mention m;
    for (size_t i = 0; i < b->nch; i++)
        b->ch[i].items = 0, b->ch[i].bytes = 0, b->ch[i].exp = 1;
    for (size_t i = 0; i < b->nms; i++) {
        unpack_mention(b->ms[i], b->key, &m);
        if (m.src.kind != DS_SRC_REFERENCE)
            note_times(b, &m);
        chunk *c = b->mch[i] ? chunk_note(b, b->mch[i], 0) : NULL;
        if (b->mch[i] && !c)
            return -1;
        if (c) {
            c->items++;
            c->bytes += item_bytes(b, b->ms[i]);
            c->exp &= expirable(&m);
        }
    }
    for (size_t i = 0; i < b->nrevs; i++) {
        chunk *c = b->revs[i].chunk ? chunk_note(b, b->revs[i].chunk, 0) : NULL;
        if (b->revs[i].chunk && !c)
            return -1;
        if (c) {
            c->items++;
            c->bytes += REV_BYTES;
            c->exp = 0;
        }
    }
    for (size_t i = 0; i < b->nms; i++) {
        if (b->mch[i])
            continue;
        unpack_mention(b->ms[i], b->key, &m);
        if (m.src.kind == DS_SRC_REFERENCE)
            continue; /* the catalog's: in no chunk */
        if (!(b->mch[i] = chunk_place(rs, b, item_bytes(b, b->ms[i]), expirable(&m))))
            return -1;
    }
    return 0;
}

/* Gives every restored rev of b whose id a mention of b anchors (the
 * changelog keeps ids, not anchors; an id is a function of its anchor, see
 * anchored_id) that anchor, so that repoint_retired follows a retired id's
 * update after a restore as before it. Returns 0 or -1 when out of memory. */
static int settle_anchors(block *b)
{
    if (!b->nrevs)
        return 0;
    ds_buf hb;
    ds_buf_init(&hb);
    int rc = 0;
    for (size_t i = 0; i < b->nms && rc == 0; i++) {
        const char *mid = (const char *)b->ms[i]; /* a packed mention starts with its mention_id */
        char id[17];
        int found;
        rc = anchored_id(b->key, mid, &hb, id);
        size_t at = rc == 0 ? rev_find(b, id, &found) : 0;
        if (rc == 0 && found && !b->revs[at].anchor[0])
            ds_strlcpy(b->revs[at].anchor, mid, sizeof b->revs[at].anchor);
    }
    ds_buf_free(&hb);
    return rc;
}

/* Turns what ds_resolver_restore_chunk appended to b into its state. */
static int settle_restored(ds_resolver *rs, block *b)
{
    /* restored chunks start clean: only what settling changes is rewritten */
    if (settle_mentions(rs, b) || settle_revisions(b) || settle_anchors(b) || settle_chunks(rs, b))
        return -1;
    return 0;
}

/* Puts the mention of every reference row this resolver owns into its
 * block, unless held (restored blocks lose them: the changelog has none),
 * and marks the blocks it changed as restored, for restore_finish to
 * compute and publish. Returns 0 or -1 when out of memory. */
static int insert_refs(ds_resolver *rs)
{
    for (size_t i = 0; rs->cat && i < rs->cat->nrefs; i++) {
        const ds_refdeal *r = &rs->cat->refs[i];
        if (!ref_owned(rs, r) || !r->buyer[0] || !r->seller[0] || !r->family[0])
            continue;
        ds_mention m;
        ref_mention(r, &m);
        block *b = block_get(rs, m.block_key);
        if (!b)
            return -1;
        size_t at;
        if (find_mention(b, m.mention_id, &at))
            continue;
        if (store_mention(rs, b, at, 0, &m) != 0)
            return -1;
        b->nrefms++;
        rs->nrefms++;
        cache_release(rs, b);
        inc_free(b->ic); /* rebuilt when next needed */
        b->ic = NULL;
        b->restored = 1;
    }
    return 0;
}

void ds_resolver_set_references(ds_resolver *rs, int (*owns)(const char *block_key, void *arg), void *arg)
{
    rs->refs_on = 1;
    rs->ref_owns = owns;
    rs->ref_arg = arg;
}

int ds_resolver_seed_references(ds_resolver *rs, ds_changes *changes)
{
    cache_drop(rs);
    return ds_resolver_restore_finish(rs, changes);
}

static int block_key_cmp(const void *pa, const void *pb)
{
    return strcmp((*(block *const *)pa)->key, (*(block *const *)pb)->key);
}

int ds_resolver_restore_finish(ds_resolver *rs, ds_changes *changes)
{
    changes->items = NULL;
    changes->n = 0;
    clear_scratch(rs);
    /* the changelog's blocks settled (sorted) first, then the reference
     * rows put into them and into the blocks no record named */
    for (size_t i = 0; i < rs->tabcap; i++)
        if (rs->tab[i] && rs->tab[i]->restored && settle_restored(rs, rs->tab[i]) != 0)
            return -1;
    if (insert_refs(rs) != 0)
        return -1;
    size_t n = 0;
    for (size_t i = 0; i < rs->tabcap; i++)
        n += rs->tab[i] && rs->tab[i]->restored;
    if (!n)
        return 0;
    block **bs = malloc(n * sizeof *bs);
    if (!bs)
        return -1;
    n = 0;
    for (size_t i = 0; i < rs->tabcap; i++)
        if (rs->tab[i] && rs->tab[i]->restored)
            bs[n++] = rs->tab[i];
    qsort(bs, n, sizeof *bs, block_key_cmp);
    int rc = 0;
    /* first every restored block's deals, then the revisions, so that links
     * across blocks are final before anything is compared or published
     * (without cross-block links a block's deals read no other block: one
     * pass) */
    for (size_t i = 0; i < n && rc == 0 && rs->cross_block; i++)
        rc = recompute(rs, bs[i], RC_QUIET);
    for (size_t i = 0; i < n && rc == 0; i++) {
        bs[i]->restored = 0;
        rc = recompute(rs, bs[i], RC_CASCADE);
    }
    free(bs);
    if (rc != 0)
        return -1;
    if (rs->nout > 1)
        qsort(rs->out, rs->nout, sizeof *rs->out, canon_ptr_cmp);
    changes->items = rs->out;
    changes->n = rs->nout;
    return 0;
}
