/* test_resolve.c: resolution rules (core/resolve.h), one test per rule.
 * Mentions are built by hand; the reference table comes from data/catalog. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "catalog.h"
#include "codec.h"
#include "mention.h"
#include "resolve.h"
#include "util.h"

#define BN(x) ((int64_t)((x) * 1e9 * 100 + 0.5)) /* billions to cents */

static ds_catalog *g_cat;

static const char *catalog_dir(void)
{
    const char *d = getenv("DEALSTREAM_CATALOG_DIR");
#ifdef DS_DATA_DIR
    if (!d)
        d = DS_DATA_DIR "/catalog";
#endif
    return d ? d : "data/catalog";
}

static int group_setup(void **state)
{
    (void)state;
    char err[256];
    g_cat = ds_catalog_load(catalog_dir(), err, sizeof err);
    if (!g_cat)
        fprintf(stderr, "catalog: %s\n", err);
    return g_cat ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    ds_catalog_destroy(g_cat);
    return 0;
}

static int32_t day(const char *ymd)
{
    int32_t d = 0;
    assert_int_equal(ds_parse_date(ymd, strlen(ymd), &d), 0);
    return d;
}

/* ---- mention builders ---------------------------------------------------- */

/* A primary signed executive-contract mention of family fam, published pub. */
static ds_mention mk(const char *mid, const char *src, const char *pub, const char *fam)
{
    ds_mention m;
    ds_mention_init(&m);
    ds_strlcpy(m.mention_id, mid, sizeof m.mention_id);
    ds_strlcpy(m.src.id, src, sizeof m.src.id);
    ds_strlcpy(m.src.outlet, "Wire", sizeof m.src.outlet);
    m.src.published = (int64_t)day(pub) * 86400000LL + 9 * 3600000LL;
    m.src.text_hash = ds_hash64(src, strlen(src), 7); /* unrelated texts: ~32 bits apart */
    ds_strlcpy(m.src.topic, "articles", sizeof m.src.topic);
    strcpy(m.buyer, "POL");
    strcpy(m.seller, "KOR");
    ds_strlcpy(m.family, fam, sizeof m.family);
    ds_strlcpy(m.system, fam, sizeof m.system);
    ds_mention_block_key(&m);
    m.stage = DS_STAGE_EXECUTIVE;
    m.status = DS_STATUS_SIGNED;
    ds_mention_evidence(&m, "system", 10, 12);
    return m;
}

/* As mk, for Romania as the buyer. */
static ds_mention mk_ro(const char *mid, const char *src, const char *pub, const char *fam)
{
    ds_mention m = mk(mid, src, pub, fam);
    strcpy(m.buyer, "ROU");
    ds_mention_block_key(&m);
    return m;
}

static void usd(ds_mention *m, int64_t cents)
{
    m->value.set = 1;
    m->value.amount = cents;
    strcpy(m->value.currency, "USD");
    m->value.usd = cents;
}

static void supplier(ds_mention *m, const char *company, ds_supplier_role role)
{
    ds_strlcpy(m->suppliers[m->nsuppliers].company, company, sizeof m->suppliers[0].company);
    m->suppliers[m->nsuppliers++].role = role;
}

static void variant(ds_mention *m, const char *sys, int64_t q)
{
    ds_strlcpy(m->variants[m->nvariants].system, sys, sizeof m->variants[0].system);
    m->variants[m->nvariants++].quantity = q;
}

/* K2 second executive contract, reported as planned on 2025-07-30. */
static ds_mention k2_planned(void)
{
    ds_mention m = mk("m-k2e2-planned", "a-k2e2-planned", "2025-07-30", "K2");
    m.status = DS_STATUS_PLANNED;
    m.batch = 2;
    usd(&m, BN(6.5));
    supplier(&m, "HYUNDAI_ROTEM", DS_SUP_PRIME);
    ds_mention_evidence(&m, "value", 40, 52);
    return m;
}

/* ... and as signed on 2025-08-01 in Gliwice. */
static ds_mention k2_signed(void)
{
    ds_mention m = mk("m-k2e2-signed", "a-k2e2-signed", "2025-08-02", "K2");
    m.signing_date = day("2025-08-01");
    m.quantity = 180;
    variant(&m, "K2GF", 116);
    variant(&m, "K2PL", 64);
    ds_strlcpy(m.extras[0].what, "support vehicles", sizeof m.extras[0].what);
    m.extras[0].quantity = 81;
    m.nextras = 1;
    usd(&m, BN(6.5));
    strcpy(m.place, "Gliwice");
    supplier(&m, "HYUNDAI_ROTEM", DS_SUP_PRIME);
    supplier(&m, "BUMAR_LABEDY", DS_SUP_LOCAL_PRODUCER);
    ds_mention_evidence(&m, "value", 100, 120);
    ds_mention_evidence(&m, "place", 130, 137);
    return m;
}

/* The Polish side: PLN 25bn, $6.7B. */
static ds_mention k2_polish(void)
{
    ds_mention m = mk("m-k2e2-polish", "a-k2e2-polish", "2025-08-01", "K2");
    m.signing_date = day("2025-08-01");
    m.quantity = 180;
    m.value.set = 1;
    m.value.amount = BN(25);
    strcpy(m.value.currency, "PLN");
    m.value.usd = BN(6.7);
    strcpy(m.place, "Gliwice");
    return m;
}

/* A syndicated copy of the signing report, two hours later. */
static ds_mention k2_copy(void)
{
    ds_mention m = k2_signed();
    strcpy(m.mention_id, "m-copy");
    strcpy(m.src.id, "a-copy");
    m.src.published += 7200000LL;
    m.src.text_hash ^= 0x3ULL;
    return m;
}

/* The first executive contract, 2022-08-26. */
static ds_mention k2_first(void)
{
    ds_mention m = mk("m-k2e1", "a-k2e1", "2022-08-27", "K2");
    m.signing_date = day("2022-08-26");
    m.quantity = 180;
    strcpy(m.system, "K2GF");
    variant(&m, "K2GF", 180);
    usd(&m, BN(3.37));
    m.batch = 1;
    strcpy(m.place, "Morag");
    return m;
}

/* The third Homar-K executive contract: CGR-080 rockets, 2025-12-29. */
static ds_mention cgr_third(void)
{
    ds_mention m = mk("m-cgr-e3", "a-cgr-e3", "2025-12-30", "CGR-080");
    m.signing_date = day("2025-12-29");
    m.quantity = 10000;
    m.batch = 3;
    return m;
}

/* ---- helpers --------------------------------------------------------- */

static ds_resolver *new_resolver(const ds_catalog *cat)
{
    ds_resolver *rs = ds_resolver_new(cat);
    assert_non_null(rs);
    return rs;
}

/* A resolver whose reference rows are deals (ds_resolver_set_references);
 * *nrows (may be NULL) gets the number of deals seeding published. */
static ds_resolver *new_ref_resolver(size_t *nrows)
{
    ds_resolver *rs = new_resolver(g_cat);
    ds_resolver_set_references(rs, NULL, NULL);
    ds_changes ch;
    assert_int_equal(ds_resolver_seed_references(rs, &ch), 0);
    if (nrows)
        *nrows = ch.n;
    return rs;
}

static size_t add(ds_resolver *rs, ds_mention m, ds_changes *ch)
{
    ds_changes local;
    if (!ch)
        ch = &local;
    assert_int_equal(ds_resolver_add(rs, &m, ch), 0);
    return ch->n;
}

static const ds_canon *only_deal(ds_resolver *rs)
{
    const ds_canon **d;
    assert_int_equal(ds_resolver_deals(rs, &d), 1);
    return d[0];
}

/* The live deal one of whose sources is src. */
static const ds_canon *deal_with_source(ds_resolver *rs, const char *src)
{
    const ds_canon **d;
    size_t n = ds_resolver_deals(rs, &d);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d[i]->nsources; j++)
            if (strcmp(d[i]->sources[j].id, src) == 0)
                return d[i];
    fail_msg("no deal has source %s", src);
    return NULL;
}

static const ds_canon_link *find_link(const ds_canon *c, ds_relation rel)
{
    for (size_t i = 0; i < c->nlinks; i++)
        if (c->links[i].relation == rel)
            return &c->links[i];
    return NULL;
}

static const ds_canon *in_changes(const ds_changes *ch, const char *deal_id)
{
    for (size_t i = 0; i < ch->n; i++)
        if (strcmp(ch->items[i]->deal_id, deal_id) == 0)
            return ch->items[i];
    return NULL;
}

/* ---- tests ------------------------------------------------------------ */

/* Planned then signed: one deal, status signed, two sources, id kept. */
static void test_planned_then_signed(void **state)
{
    (void)state;
    ds_resolver *rs = new_resolver(NULL);
    ds_changes ch;
    assert_int_equal(add(rs, k2_planned(), &ch), 1);
    char id[17];
    memcpy(id, ch.items[0]->deal_id, sizeof id);
    assert_int_equal(ch.items[0]->revision, 1);
    assert_int_equal(ch.items[0]->status, DS_STATUS_PLANNED);

    assert_int_equal(add(rs, k2_signed(), &ch), 1);
    const ds_canon *c = only_deal(rs);
    assert_ptr_equal(ch.items[0], c);
    assert_string_equal(c->deal_id, id); /* anchored at the earliest report */
    assert_int_equal(c->revision, 2);
    assert_int_equal(c->status, DS_STATUS_SIGNED);
    assert_int_equal(c->stage, DS_STAGE_EXECUTIVE);
    assert_int_equal(c->nsources, 2);
    assert_string_equal(c->sources[0].id, "a-k2e2-planned");
    assert_int_equal(c->sources[0].status, DS_STATUS_PLANNED);
    assert_string_equal(c->sources[1].id, "a-k2e2-signed");
    assert_int_equal(c->signing_date, day("2025-08-01"));
    assert_int_equal(c->batch, 2);
    assert_int_equal(c->quantity, 180);
    assert_string_equal(c->place, "Gliwice");
    assert_int_equal(c->nvariants, 2);
    assert_string_equal(c->variants[0].name, "K2GF");
    assert_int_equal(c->variants[0].quantity, 116);
    assert_int_equal(c->nextras, 1);
    assert_int_equal(c->extras[0].quantity, 81);
    assert_int_equal(c->nsuppliers, 2);
    assert_string_equal(c->suppliers[0].company, "HYUNDAI_ROTEM");
    assert_string_equal(c->suppliers[1].company, "BUMAR_LABEDY");
    assert_int_equal(c->suppliers[1].role, DS_SUP_LOCAL_PRODUCER);
    /* evidence from both mentions, each naming its source */
    assert_int_equal(c->nevidence, 5);
    assert_string_equal(c->evidence[0].source, "a-k2e2-planned");
    /* updated: the newest source */
    assert_int_equal(c->updated, (int64_t)day("2025-08-02") * 86400000LL + 9 * 3600000LL);
    ds_resolver_destroy(rs);
}

/* A second value within 10% is the same deal: two claims, majority chosen. */
static void test_value_claims(void **state)
{
    (void)state;
    ds_resolver *rs = new_resolver(NULL);
    add(rs, k2_planned(), NULL);
    add(rs, k2_signed(), NULL);
    add(rs, k2_polish(), NULL);
    const ds_canon *c = only_deal(rs);
    assert_int_equal(c->nsources, 3);
    assert_int_equal(c->nclaims, 2);
    assert_int_equal(c->claims[0].value.usd, BN(6.5));
    assert_int_equal(c->claims[0].nsources, 2);
    assert_string_equal(c->claims[0].sources[0], "a-k2e2-planned");
    assert_string_equal(c->claims[0].sources[1], "a-k2e2-signed");
    assert_int_equal(c->claims[1].value.usd, BN(6.7));
    assert_string_equal(c->claims[1].value.currency, "PLN");
    assert_int_equal(c->claims[1].nsources, 1);
    assert_int_equal(c->value.usd, BN(6.5));
    assert_string_equal(c->value_basis, "2 of 3 sources");
    ds_resolver_destroy(rs);
}

/* One source each: a tie, broken by signed reports, then the earliest. */
static void test_value_tie(void **state)
{
    (void)state;
    ds_resolver *rs = new_resolver(NULL);
    add(rs, k2_signed(), NULL);
    add(rs, k2_polish(), NULL);
    const ds_canon *c = only_deal(rs);
    assert_int_equal(c->nclaims, 2);
    /* both signed; the Polish report (2025-08-01) is earlier than 2025-08-02 */
    assert_int_equal(c->value.usd, BN(6.7));
    assert_string_equal(c->value_basis, "tie: 1 of 2 sources, earliest report");
    ds_resolver_destroy(rs);

    rs = new_resolver(NULL);
    add(rs, k2_planned(), NULL);
    ds_mention p = k2_polish();
    p.src.published = (int64_t)day("2025-08-05") * 86400000LL;
    add(rs, p, NULL);
    c = only_deal(rs);
    assert_int_equal(c->value.usd, BN(6.7)); /* the signed report beats the planned one */
    assert_string_equal(c->value_basis, "tie: 1 of 2 sources, more signed reports");
    ds_resolver_destroy(rs);
}

/* Different batches, years apart: never one deal; batch 2 links next_batch
 * to batch 1 via state, in both arrival orders. */
static void check_batches(ds_resolver *rs)
{
    const ds_canon **d;
    assert_int_equal(ds_resolver_deals(rs, &d), 2);
    const ds_canon *e1 = deal_with_source(rs, "a-k2e1");
    const ds_canon *e2 = deal_with_source(rs, "a-k2e2-signed");
    assert_string_not_equal(e1->deal_id, e2->deal_id);
    assert_string_equal(e1->system, "K2GF");
    assert_int_equal(e1->nlinks, 0);
    const ds_canon_link *l = find_link(e2, DS_REL_NEXT_BATCH);
    assert_non_null(l);
    assert_string_equal(l->target, e1->deal_id);
    assert_int_equal(l->via, DS_VIA_STATE);
}

static void test_next_batch_parent_first(void **state)
{
    (void)state;
    ds_resolver *rs = new_resolver(NULL);
    ds_changes ch;
    add(rs, k2_first(), NULL);
    add(rs, k2_planned(), NULL);
    assert_int_equal(add(rs, k2_signed(), &ch), 1);
    check_batches(rs);
    ds_resolver_destroy(rs);
}

static void test_next_batch_child_first(void **state)
{
    (void)state;
    ds_resolver *rs = new_resolver(NULL);
    ds_changes ch;
    add(rs, k2_planned(), NULL);
    add(rs, k2_signed(), NULL);
    const ds_canon *e2 = only_deal(rs);
    assert_null(find_link(e2, DS_REL_NEXT_BATCH));
    char e2id[17];
    memcpy(e2id, e2->deal_id, sizeof e2id);
    int64_t rev = e2->revision;

    /* the parent arrives: both the parent and the re-linked child are published */
    assert_int_equal(add(rs, k2_first(), &ch), 2);
    const ds_canon *child = in_changes(&ch, e2id);
    assert_non_null(child);
    assert_int_equal(child->revision, rev + 1);
    check_batches(rs);
    ds_resolver_destroy(rs);
}

/* Two contracts signed the same day for two versions (FA-50GF, FA-50PL) are
 * parallel parts of one order: the "second contract" is not the next batch
 * of the first, neither through state nor through the reference table; one
 * signed a year later is. */
static void test_same_day_contracts_are_not_batches(void **state)
{
    (void)state;
    for (int later = 0; later < 2; later++) {
        ds_resolver *rs = new_resolver(g_cat);
        ds_mention gf = mk("m-fa50-gf", "a-fa50", "2022-09-17", "FA-50");
        strcpy(gf.system, "FA-50GF");
        gf.quantity = 12;
        gf.batch = 1;
        gf.signing_date = day("2022-09-16");
        usd(&gf, BN(0.705));
        ds_mention pl = mk("m-fa50-pl", "a-fa50", "2022-09-17", "FA-50");
        strcpy(pl.system, "FA-50PL");
        pl.quantity = 36;
        pl.batch = 2;
        pl.signing_date = day(later ? "2023-09-16" : "2022-09-16");
        usd(&pl, BN(2.3));
        pl.rels[pl.nrels++] = (ds_relhint){.relation = DS_REL_NEXT_BATCH, .quantity = -1, .batch = 1};
        add(rs, gf, NULL);
        add(rs, pl, NULL);
        const ds_canon **d;
        assert_int_equal(ds_resolver_deals(rs, &d), 2);
        const ds_canon *second = d[0]->quantity == 36 ? d[0] : d[1];
        const ds_canon *first = d[0]->quantity == 36 ? d[1] : d[0];
        const ds_canon_link *l = find_link(second, DS_REL_NEXT_BATCH);
        if (later) {
            assert_non_null(l);
            assert_string_equal(l->target, first->deal_id);
        } else {
            assert_null(l);
        }
        ds_resolver_destroy(rs);
    }
}

/* A context mention recalling "the 2022 first batch of 180 K2" names
 * PL-K2-E1 through the reference table; once that deal is in state the
 * link points at it. */
static void test_context_reference(void **state)
{
    (void)state;
    ds_resolver *rs = new_resolver(g_cat);
    add(rs, k2_planned(), NULL);
    add(rs, k2_signed(), NULL);
    ds_mention ctx = mk("m-k2e2-signed-ctx", "a-k2e2-signed", "2025-08-02", "K2");
    ctx.role = DS_ROLE_CONTEXT;
    ctx.signing_year = 2022;
    ctx.quantity = 180;
    ctx.batch = 1;
    ds_changes ch;
    /* the recalled contract is neither a deal nor (rows not materialised)
     * a row's deal: no link to nothing */
    assert_int_equal(add(rs, ctx, &ch), 0);
    const ds_canon *e2 = only_deal(rs); /* a context mention makes no deal */
    assert_string_equal(e2->ref, "PL-K2-E2");
    assert_int_equal(e2->nlinks, 0);

    /* the parent arrives: the child is re-linked, with a new revision */
    int64_t rev = e2->revision;
    char id[17];
    memcpy(id, e2->deal_id, sizeof id);
    assert_int_equal(add(rs, k2_first(), &ch), 2);
    const ds_canon *e1 = deal_with_source(rs, "a-k2e1");
    assert_string_equal(e1->ref, "PL-K2-E1");
    e2 = in_changes(&ch, id);
    assert_non_null(e2);
    assert_int_equal(e2->revision, rev + 1);
    const ds_canon_link *l = find_link(e2, DS_REL_NEXT_BATCH);
    assert_non_null(l);
    assert_string_equal(l->target, e1->deal_id);
    assert_string_equal(l->target_ref, "PL-K2-E1");
    assert_int_equal(l->via, DS_VIA_STATE);
    assert_string_equal(l->basis, "batch 2 follows batch 1, signed 2022-08-26");
    ds_resolver_destroy(rs);

    /* with the rows as deals, the context mention's contract is the row's */
    rs = new_ref_resolver(NULL);
    add(rs, k2_signed(), NULL);
    add(rs, ctx, NULL);
    e2 = deal_with_source(rs, "a-k2e2-signed");
    assert_ptr_equal(e2, deal_with_source(rs, "PL-K2-E2"));
    e1 = deal_with_source(rs, "PL-K2-E1");
    l = find_link(e2, DS_REL_NEXT_BATCH);
    assert_non_null(l);
    assert_string_equal(l->target, e1->deal_id);
    l = find_link(e2, DS_REL_EXECUTES_FRAMEWORK);
    assert_non_null(l);
    assert_string_equal(l->target, deal_with_source(rs, "PL-K2-FW")->deal_id);
    assert_string_equal(l->target_ref, "PL-K2-FW");
    ds_resolver_destroy(rs);
}

/* Redelivery: no change. Syndication: a duplicate source entry, published
 * with the next revision because it changes the sources list. */
static void test_duplicates(void **state)
{
    (void)state;
    ds_resolver *rs = new_resolver(NULL);
    ds_changes ch;
    add(rs, k2_planned(), NULL);
    add(rs, k2_signed(), NULL);
    const ds_canon *c = only_deal(rs);
    int64_t rev = c->revision;
    uint64_t hash = c->content_hash;

    assert_int_equal(add(rs, k2_signed(), &ch), 0); /* same mention_id */

    ds_mention copy = k2_signed();
    strcpy(copy.mention_id, "m-k2e2-copy");
    strcpy(copy.src.id, "a-k2e2-copy");
    strcpy(copy.src.outlet, "Daily Reprint");
    copy.src.published += 3600000LL;
    copy.src.text_hash ^= 0x8000000000000001ULL; /* 2 bits */
    ds_mention_evidence(&copy, "headline", 0, 30);
    /* the copy changes the sources list: published once, with the next revision */
    assert_int_equal(add(rs, copy, &ch), 1);
    assert_int_equal(ch.items[0]->revision, rev + 1);
    assert_int_equal(ch.items[0]->nsources, 3);
    assert_int_equal(add(rs, copy, &ch), 0); /* a redelivery of the copy: nothing */
    c = only_deal(rs);
    assert_int_equal(c->revision, rev + 1);
    assert_true(c->content_hash != hash);
    assert_int_equal(c->nsources, 3);
    const ds_canon_source *dup = NULL;
    for (size_t i = 0; i < c->nsources; i++)
        if (strcmp(c->sources[i].id, "a-k2e2-copy") == 0)
            dup = &c->sources[i];
    assert_non_null(dup);
    assert_non_null(dup->duplicate_of);
    assert_string_equal(dup->duplicate_of, "a-k2e2-signed");
    /* not corroboration */
    assert_string_equal(c->value_basis, "2 of 2 sources");
    assert_int_equal(c->claims[0].nsources, 2);

    /* a text differing in 20 bits is a different text: a real source */
    ds_mention other = copy;
    strcpy(other.mention_id, "m-k2e2-other");
    strcpy(other.src.id, "a-k2e2-other");
    other.src.text_hash = k2_signed().src.text_hash ^ 0xfffffULL;
    assert_int_equal(add(rs, other, &ch), 1);
    assert_int_equal(ch.items[0]->revision, rev + 2);
    assert_string_equal(ch.items[0]->value_basis, "3 of 3 sources");
    ds_resolver_destroy(rs);
}

/* Delivery news: never a deal of its own, attaches when its deal exists. */
static void test_delivery(void **state)
{
    (void)state;
    ds_resolver *rs = new_resolver(NULL);
    ds_changes ch;
    ds_mention d = mk("m-k2-delivery", "a-k2-delivery", "2022-12-06", "K2");
    d.stage = DS_STAGE_DELIVERY;
    d.status = DS_STATUS_DELIVERED;
    d.quantity = 10;
    d.delivery_years[0] = 2022;
    d.ndelivery_years = 1;
    assert_int_equal(add(rs, d, &ch), 0);
    const ds_canon **all;
    assert_int_equal(ds_resolver_deals(rs, &all), 0);

    assert_int_equal(add(rs, k2_first(), &ch), 1);
    const ds_canon *c = only_deal(rs);
    assert_int_equal(c->status, DS_STATUS_DELIVERED);
    assert_int_equal(c->nsources, 2);
    assert_int_equal(c->ndelivery_years, 1);
    assert_int_equal(c->delivery_years[0], 2022);
    assert_int_equal(c->quantity, 180); /* the delivered 10 is not the contract's quantity */

    /* a later contract: the delivery stays with the one signed before it */
    add(rs, k2_signed(), NULL);
    assert_int_equal(deal_with_source(rs, "a-k2-delivery")->deal_id[0] != 0, 1);
    assert_ptr_equal(deal_with_source(rs, "a-k2-delivery"), deal_with_source(rs, "a-k2e1"));
    ds_resolver_destroy(rs);
}

/* Statuses rank planned < approved < signed < delivered: an approval of a
 * signed contract's deal leaves it signed, and a delivery outranks both, in
 * the record and for a source that reported two of them. */
static void test_status_rank(void **state)
{
    (void)state;
    ds_resolver *rs = new_resolver(NULL);
    ds_changes ch;
    ds_mention ap = k2_polish(); /* the same contract, reported as approved by the government */
    ap.status = DS_STATUS_APPROVED;
    add(rs, k2_signed(), NULL);
    add(rs, ap, &ch);
    const ds_canon *c = only_deal(rs);
    assert_int_equal(c->status, DS_STATUS_SIGNED);
    assert_int_equal(c->nsources, 2);
    assert_string_equal(c->sources[0].id, "a-k2e2-polish");
    assert_int_equal(c->sources[0].status, DS_STATUS_APPROVED);
    assert_int_equal(c->sources[1].status, DS_STATUS_SIGNED);
    ds_resolver_destroy(rs);

    rs = new_resolver(NULL);
    ds_mention d = mk("m-k2-delivery", "a-k2-delivery", "2022-12-06", "K2");
    d.stage = DS_STAGE_DELIVERY;
    d.status = DS_STATUS_DELIVERED;
    d.quantity = 10;
    add(rs, d, NULL);
    add(rs, k2_first(), NULL);
    ds_mention later = k2_first(); /* the same source, again, as an approval */
    ds_strlcpy(later.mention_id, "m-k2e1-approved", sizeof later.mention_id);
    later.status = DS_STATUS_APPROVED;
    add(rs, later, NULL);
    c = only_deal(rs);
    assert_int_equal(c->status, DS_STATUS_DELIVERED);
    for (size_t i = 0; i < c->nsources; i++)
        if (strcmp(c->sources[i].id, "a-k2e1") == 0)
            assert_int_equal(c->sources[i].status, DS_STATUS_SIGNED);
    ds_resolver_destroy(rs);
}

/* Framework and executive never merge; the executive executes the framework. */
static void test_framework_separate(void **state)
{
    (void)state;
    ds_resolver *rs = new_resolver(NULL);
    ds_mention fw = mk("m-k2-fw", "a-k2-fw", "2022-07-28", "K2");
    fw.stage = DS_STAGE_FRAMEWORK;
    fw.signing_date = day("2022-07-27");
    fw.quantity = 1000;
    ds_mention fw2 = mk("m-k2-fw2", "a-k2-fw2", "2022-07-29", "K2");
    fw2.stage = DS_STAGE_FRAMEWORK;
    fw2.signing_date = day("2022-07-27");
    fw2.quantity = 980; /* as also reported */
    add(rs, fw, NULL);
    add(rs, fw2, NULL);
    add(rs, k2_first(), NULL);
    const ds_canon **d;
    assert_int_equal(ds_resolver_deals(rs, &d), 2);
    const ds_canon *f = deal_with_source(rs, "a-k2-fw");
    assert_ptr_equal(f, deal_with_source(rs, "a-k2-fw2"));
    assert_int_equal(f->stage, DS_STAGE_FRAMEWORK);
    assert_int_equal(f->quantity, 1000); /* 1 vs 1, both signed: the earliest report */
    const ds_canon *e1 = deal_with_source(rs, "a-k2e1");
    const ds_canon_link *l = find_link(e1, DS_REL_EXECUTES_FRAMEWORK);
    assert_non_null(l);
    assert_string_equal(l->target, f->deal_id);
    ds_resolver_destroy(rs);
}

/* Signing windows: a report without a signing date is about a signing in
 * the 45 days before it; a planned signing is within 30 days of its report;
 * a mention without any time fits where it fits uniquely and bridges
 * nothing. */
static void test_time_windows(void **state)
{
    (void)state;
    ds_resolver *rs = new_resolver(NULL);
    add(rs, k2_first(), NULL);
    add(rs, k2_signed(), NULL);
    ds_mention w = mk("m-k2-undated", "a-k2-undated", "2025-08-03", "K2");
    w.quantity = 180; /* fits both contracts but for the time */
    add(rs, w, NULL);
    const ds_canon **d;
    assert_int_equal(ds_resolver_deals(rs, &d), 2);
    assert_ptr_equal(deal_with_source(rs, "a-k2-undated"), deal_with_source(rs, "a-k2e2-signed"));

    ds_mention early = mk("m-k2-early", "a-k2-early", "2022-06-01", "K2");
    early.status = DS_STATUS_PLANNED; /* 86 days before the first contract */
    usd(&early, BN(9));
    add(rs, early, NULL);
    assert_int_equal(ds_resolver_deals(rs, &d), 3);
    ds_mention near = mk("m-k2-near", "a-k2-near", "2022-08-10", "K2");
    near.status = DS_STATUS_PLANNED;
    add(rs, near, NULL);
    assert_int_equal(ds_resolver_deals(rs, &d), 3);
    assert_ptr_equal(deal_with_source(rs, "a-k2-near"), deal_with_source(rs, "a-k2e1"));

    ds_mention timeless = mk("m-k2-timeless", "a-k2-timeless", "2025-01-01", "K2");
    timeless.src.published = DS_NO_TIME;
    timeless.quantity = 180; /* fits E1 and E2: ambiguous, a deal of its own */
    add(rs, timeless, NULL);
    assert_int_equal(ds_resolver_deals(rs, &d), 4);
    assert_int_equal(deal_with_source(rs, "a-k2-timeless")->nsources, 1);
    ds_mention timeless2 = timeless;
    strcpy(timeless2.mention_id, "m-k2-timeless2");
    strcpy(timeless2.src.id, "a-k2-timeless2");
    timeless2.src.text_hash = 42;
    timeless2.batch = 1;
    usd(&timeless2, BN(3.4)); /* within 10% of the first contract only */
    add(rs, timeless2, NULL);
    assert_int_equal(ds_resolver_deals(rs, &d), 4);
    assert_ptr_equal(deal_with_source(rs, "a-k2-timeless2"), deal_with_source(rs, "a-k2e1"));
    ds_resolver_destroy(rs);
}

/* A bridging mention merges two deals: the younger id is retired into the
 * survivor. */
static void test_merge_retires_id(void **state)
{
    (void)state;
    ds_resolver *rs = new_resolver(NULL);
    ds_changes ch;
    ds_mention a = mk("m-k9-a", "a-k9-a", "2025-03-02", "K9");
    a.signing_date = day("2025-03-01");
    ds_mention b = mk("m-k9-b", "a-k9-b", "2025-05-01", "K9");
    b.signing_date = day("2025-04-30"); /* 60 days later: not the same deal */
    ds_mention c = mk("m-k9-c", "a-k9-c", "2025-04-01", "K9");
    c.signing_date = day("2025-03-31"); /* within 45 days of both */
    add(rs, a, &ch);
    char ida[17], idb[17];
    memcpy(ida, ch.items[0]->deal_id, sizeof ida);
    add(rs, b, &ch);
    memcpy(idb, ch.items[0]->deal_id, sizeof idb);
    const ds_canon **d;
    assert_int_equal(ds_resolver_deals(rs, &d), 2);

    assert_int_equal(add(rs, c, &ch), 2);
    const ds_canon *surv = in_changes(&ch, ida);
    const ds_canon *ret = in_changes(&ch, idb);
    assert_non_null(surv);
    assert_non_null(ret);
    assert_int_equal(surv->nsources, 3);
    assert_string_equal(ret->retired_into, ida);
    assert_int_equal(ret->revision, 2);
    assert_int_equal(ret->nsources, 0);
    assert_string_equal(ret->block_key, "POL|KOR|K9");
    assert_int_equal(ds_resolver_deals(rs, &d), 1);
    assert_string_equal(d[0]->deal_id, ida);
    ds_resolver_destroy(rs);
}

/* A child that arrives before its parent in another block is re-linked and
 * re-published when the parent arrives (CGR-080 rockets: the JV, and the
 * Homar-K framework in block POL|KOR|K239). */
static void test_cross_block_links(void **state)
{
    (void)state;
    ds_resolver *rs = new_resolver(g_cat);
    ds_changes ch;
    ds_mention e3 = cgr_third();
    add(rs, e3, &ch);
    const ds_canon *c = only_deal(rs);
    char id[17];
    memcpy(id, c->deal_id, sizeof id);
    assert_string_equal(c->ref, "PL-K239-E3");
    assert_int_equal(c->nlinks, 0); /* its parents are no deals yet */
    assert_int_equal(c->revision, 1);

    /* the framework, in another block */
    ds_mention fw = mk("m-k239-fw", "a-k239-fw", "2022-10-20", "K239");
    fw.stage = DS_STAGE_FRAMEWORK;
    fw.signing_date = day("2022-10-19");
    fw.quantity = 288;
    assert_int_equal(add(rs, fw, &ch), 2);
    const ds_canon *fwd = deal_with_source(rs, "a-k239-fw");
    assert_string_equal(fwd->ref, "PL-K239-FW");
    c = in_changes(&ch, id);
    assert_non_null(c);
    assert_int_equal(c->revision, 2);
    const ds_canon_link *l = find_link(c, DS_REL_EXECUTES_FRAMEWORK);
    assert_non_null(l);
    assert_string_equal(l->target, fwd->deal_id);
    assert_string_equal(l->target_ref, "PL-K239-FW");
    assert_int_equal(l->via, DS_VIA_REFERENCE);
    assert_string_equal(l->basis, "reference row PL-K239-E3 names PL-K239-FW as parent");

    /* the joint venture */
    ds_mention jv = mk("m-cgr-jv", "a-cgr-jv", "2025-09-03", "CGR-080");
    jv.stage = DS_STAGE_JOINT_VENTURE;
    jv.signing_date = day("2025-09-02");
    assert_int_equal(add(rs, jv, &ch), 2);
    const ds_canon *jvd = deal_with_source(rs, "a-cgr-jv");
    assert_string_equal(jvd->ref, "PL-CGR-JV");
    c = in_changes(&ch, id);
    assert_non_null(c);
    assert_int_equal(c->revision, 3);
    l = find_link(c, DS_REL_ENABLED_BY_JV);
    assert_non_null(l);
    assert_string_equal(l->target, jvd->deal_id);
    assert_int_equal(l->via, DS_VIA_REFERENCE);
    ds_resolver_destroy(rs);
}

/* Links never cross buyers: a Romanian K9 contract whose report names the
 * Polish K9 framework (PL-K9-FW) as its framework gets no link to it; the
 * same hint on a Polish contract does. */
static void test_links_stay_with_buyer(void **state)
{
    (void)state;
    ds_resolver *rs = new_ref_resolver(NULL);
    ds_mention ro = mk_ro("m-ro-k9", "a-ro-k9", "2024-06-02", "K9");
    ro.signing_date = day("2024-06-01");
    ro.rels[0] = (ds_relhint){DS_REL_EXECUTES_FRAMEWORK, "PL-K9-FW", 0, -1, 0};
    ro.nrels = 1;
    add(rs, ro, NULL);
    const ds_canon *c = deal_with_source(rs, "a-ro-k9");
    assert_string_equal(c->buyer, "ROU");
    assert_int_equal(c->nlinks, 0);
    ds_resolver_destroy(rs);

    rs = new_ref_resolver(NULL);
    ds_mention pl = ro;
    strcpy(pl.buyer, "POL");
    ds_mention_block_key(&pl);
    add(rs, pl, NULL);
    c = deal_with_source(rs, "a-ro-k9");
    const ds_canon_link *l = find_link(c, DS_REL_EXECUTES_FRAMEWORK);
    assert_non_null(l);
    assert_string_equal(l->target_ref, "PL-K9-FW");
    assert_string_equal(l->target, deal_with_source(rs, "PL-K9-FW")->deal_id);
    ds_resolver_destroy(rs);
}

/* A deal event sent again with the same source id: a later `reported`
 * replaces the version held (new value and quantity, one source), an equal
 * or earlier one is a redelivery and publishes nothing; the outcome is the
 * same in either arrival order of the versions. */
static ds_mention deal_event(const char *reported, int64_t qty, double bn)
{
    ds_mention m = mk("m-ev-7", "ev-7", reported, "K9");
    m.src.kind = DS_SRC_DEAL_EVENT;
    m.src.text_hash = 0;
    m.signing_date = day("2025-03-01");
    m.quantity = qty;
    usd(&m, BN(bn));
    return m;
}

static void test_source_versions(void **state)
{
    (void)state;
    ds_resolver *rs = new_resolver(NULL);
    ds_changes ch;
    assert_int_equal(add(rs, deal_event("2025-03-02", 96, 2.6), &ch), 1);
    assert_int_equal(ch.items[0]->revision, 1);
    assert_int_equal(add(rs, deal_event("2025-03-02", 96, 2.6), &ch), 0); /* redelivery */
    assert_int_equal(add(rs, deal_event("2025-03-02", 72, 2.0), &ch), 0); /* same reported */
    assert_int_equal(add(rs, deal_event("2025-03-05", 72, 2.0), &ch), 1); /* a correction */
    assert_int_equal(ch.items[0]->revision, 2);
    const ds_canon *c = only_deal(rs);
    assert_int_equal(c->quantity, 72);
    assert_int_equal(c->value.usd, BN(2.0));
    assert_int_equal(c->nsources, 1);
    assert_int_equal(c->nclaims, 1);
    assert_int_equal(c->sources[0].published, (int64_t)day("2025-03-05") * 86400000LL + 9 * 3600000LL);
    assert_int_equal(ds_resolver_mentions(rs), 1);
    assert_int_equal(add(rs, deal_event("2025-03-04", 96, 2.6), &ch), 0); /* an older version */
    assert_int_equal(only_deal(rs)->quantity, 72);
    char first[17];
    strcpy(first, only_deal(rs)->deal_id);
    ds_resolver_destroy(rs);

    rs = new_resolver(NULL); /* the correction first */
    assert_int_equal(add(rs, deal_event("2025-03-05", 72, 2.0), &ch), 1);
    assert_int_equal(add(rs, deal_event("2025-03-02", 96, 2.6), &ch), 0);
    c = only_deal(rs);
    assert_string_equal(c->deal_id, first);
    assert_int_equal(c->quantity, 72);
    assert_int_equal(c->revision, 1);
    ds_resolver_destroy(rs);
}

/* The cap of mentions per block: a new mention of a full block is refused
 * (-3), nothing stored or published; other blocks, redeliveries and later
 * versions of held deal events still go through. */
static void test_block_cap(void **state)
{
    (void)state;
    ds_resolver *rs = new_resolver(NULL);
    ds_resolver_set_max_mentions_per_block(rs, 2);
    ds_changes ch;
    ds_mention a = deal_event("2025-03-02", 96, 2.6);
    assert_int_equal(ds_resolver_add(rs, &a, &ch), 0);
    assert_int_equal(add(rs, k2_first(), &ch), 1); /* another block */
    ds_mention b = mk("m-k9-b", "a-k9-b", "2025-05-01", "K9");
    b.signing_date = day("2025-04-30");
    assert_int_equal(ds_resolver_add(rs, &b, &ch), 0);
    ds_mention c = mk("m-k9-c", "a-k9-c", "2025-08-01", "K9");
    assert_int_equal(ds_resolver_add(rs, &c, &ch), -3);
    assert_int_equal(ch.n, 0);
    assert_int_equal(ds_resolver_mentions(rs), 3);
    assert_int_equal(ds_resolver_add(rs, &b, &ch), 0); /* a redelivery */
    assert_int_equal(ch.n, 0);
    ds_mention a2 = deal_event("2025-03-05", 72, 2.0); /* a later version */
    assert_int_equal(ds_resolver_add(rs, &a2, &ch), 0);
    assert_int_equal(ch.n, 1);
    assert_int_equal(ch.items[0]->quantity, 72);
    assert_int_equal(ds_resolver_mentions(rs), 3);
    ds_resolver_destroy(rs);
}

/* Reports of one deal in USD, EUR and INR: converted at the signing year's
 * rate (2023, not the year of the later report), within 10% they are claims
 * of one deal; a EUR figure 20% lower is another deal. */
static ds_mention priced(const char *mid, const char *pub, const char *cur, double bn)
{
    ds_mention m = mk(mid, mid, pub, "KF21");
    m.signing_date = day("2023-06-01");
    m.value.set = 1;
    m.value.amount = BN(bn);
    strcpy(m.value.currency, cur);
    m.value.usd = strcmp(cur, "USD") == 0 ? BN(bn) : -1;
    return m;
}

static void test_currencies(void **state)
{
    (void)state;
    ds_resolver *rs = new_resolver(g_cat);
    add(rs, priced("a-usd", "2023-06-02", "USD", 3.0), NULL);
    add(rs, priced("a-eur", "2025-02-10", "EUR", 2.9), NULL);   /* 2.9 / 0.925 = $3.14B */
    add(rs, priced("a-inr", "2023-06-03", "INR", 240.0), NULL); /* 240 / 82.6 = $2.91B */
    const ds_canon *c = only_deal(rs);
    assert_int_equal(c->nsources, 3);
    size_t cur[3] = {0, 0, 0};
    for (size_t i = 0; i < c->nclaims; i++) {
        assert_true(c->claims[i].value.usd > BN(2.8) && c->claims[i].value.usd < BN(3.2));
        cur[0] += strcmp(c->claims[i].value.currency, "USD") == 0;
        cur[1] += strcmp(c->claims[i].value.currency, "EUR") == 0;
        cur[2] += strcmp(c->claims[i].value.currency, "INR") == 0;
        if (strcmp(c->claims[i].value.currency, "EUR") == 0)
            assert_int_equal(c->claims[i].value.usd, (int64_t)((double)BN(2.9) / 0.925 + 0.5));
    }
    assert_int_equal(cur[0] + cur[1] + cur[2], c->nclaims);
    assert_int_equal(cur[0] * cur[1] * cur[2], 1); /* each currency its own claim */
    add(rs, priced("a-eur-low", "2023-06-05", "EUR", 2.3), NULL); /* $2.49B: 17% below */
    const ds_canon **d;
    assert_int_equal(ds_resolver_deals(rs, &d), 2);
    ds_resolver_destroy(rs);
}

/* Order-insensitivity: the same mentions in 20 orders give the same deals,
 * and what was published (last record per id) is that content, copies
 * listed, retired ids ending in the same deals. */
static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

static char *snapshot(ds_resolver *rs, ds_codec *codec)
{
    const ds_canon **d;
    size_t n = ds_resolver_deals(rs, &d);
    ds_buf out;
    ds_buf_init(&out);
    for (size_t i = 0; i < n; i++) {
        avro_value_t val;
        assert_int_equal(ds_codec_value_new(codec, DS_SCHEMA_CANONICAL, &val), 0);
        ds_canon c = *d[i];
        c.revision = 0;
        assert_int_equal(ds_canon_to_avro(&c, &val), 0);
        json_t *j = ds_codec_to_json(codec, DS_SCHEMA_CANONICAL, &val);
        assert_non_null(j);
        char *s = json_dumps(j, JSON_COMPACT);
        assert_non_null(s);
        assert_int_equal(ds_buf_append_str(&out, s), 0);
        assert_int_equal(ds_buf_putc(&out, '\n'), 0);
        free(s);
        json_decref(j);
        avro_value_decref(&val);
    }
    ds_buf_cstr(&out);
    return out.data;
}

/* A record as JSON, revision left out (the one field history decides). */
static char *canon_json(ds_codec *codec, const ds_canon *rec)
{
    avro_value_t val;
    assert_int_equal(ds_codec_value_new(codec, DS_SCHEMA_CANONICAL, &val), 0);
    ds_canon c = *rec;
    c.revision = 0;
    assert_int_equal(ds_canon_to_avro(&c, &val), 0);
    json_t *j = ds_codec_to_json(codec, DS_SCHEMA_CANONICAL, &val);
    assert_non_null(j);
    char *s = json_dumps(j, JSON_COMPACT);
    assert_non_null(s);
    json_decref(j);
    avro_value_decref(&val);
    return s;
}

/* The last published record of every id, as a compacted topic keeps it. */
typedef struct {
    char id[17], into[17];
    char *json;
    int64_t revision;
} pubrec;

typedef struct {
    pubrec r[64];
    size_t n;
} pubset;

static void publish(pubset *p, ds_codec *codec, const ds_changes *ch)
{
    for (size_t i = 0; i < ch->n; i++) {
        const ds_canon *c = ch->items[i];
        size_t k = 0;
        while (k < p->n && strcmp(p->r[k].id, c->deal_id) != 0)
            k++;
        if (k == p->n) {
            assert_true(p->n < 64);
            p->n++;
            p->r[k] = (pubrec){{0}, {0}, NULL, 0};
            strcpy(p->r[k].id, c->deal_id);
        } else {
            assert_true(c->revision > p->r[k].revision); /* revisions only grow */
            free(p->r[k].json);
        }
        p->r[k].json = canon_json(codec, c);
        p->r[k].revision = c->revision;
        strcpy(p->r[k].into, c->retired_into);
    }
}

static const pubrec *pub_find(const pubset *p, const char *id)
{
    for (size_t k = 0; k < p->n; k++)
        if (strcmp(p->r[k].id, id) == 0)
            return &p->r[k];
    return NULL;
}

/* The live id a published id ends in, following retired_into. */
static const char *pub_end(const pubset *p, const char *id)
{
    for (int hops = 0; hops < 32; hops++) {
        const pubrec *r = pub_find(p, id);
        assert_non_null(r);
        if (!r->into[0])
            return r->id;
        id = r->into;
    }
    fail_msg("retired_into loops from %s", id);
    return NULL;
}

/* What a consumer of the topic holds equals the resolver's deals: every live
 * deal's last published record is its current content, every other id
 * published is retired into a chain that ends in a live deal, and an id
 * retired in an earlier order (ends) ends in the same deal. */
static void check_published(ds_resolver *rs, ds_codec *codec, const pubset *p, pubset *ends, uint64_t seed)
{
    const ds_canon **d;
    size_t n = ds_resolver_deals(rs, &d);
    for (size_t i = 0; i < n; i++) {
        const pubrec *r = pub_find(p, d[i]->deal_id);
        assert_non_null(r);
        char *now = canon_json(codec, d[i]);
        if (strcmp(now, r->json) != 0)
            fail_msg("seed %llu: deal %s published as\n%s\nbut is\n%s", (unsigned long long)seed, r->id, r->json, now);
        free(now);
    }
    size_t retired = 0;
    for (size_t k = 0; k < p->n; k++) {
        if (!p->r[k].into[0])
            continue;
        retired++;
        const char *end = pub_end(p, p->r[k].id);
        int live = 0;
        for (size_t i = 0; i < n; i++)
            live |= strcmp(d[i]->deal_id, end) == 0;
        assert_true(live);
        const pubrec *e = pub_find(ends, p->r[k].id);
        if (e)
            assert_string_equal(e->into, end);
        else {
            assert_true(ends->n < 64);
            pubrec *nr = &ends->r[ends->n++];
            *nr = (pubrec){{0}, {0}, NULL, 0};
            strcpy(nr->id, p->r[k].id);
            strcpy(nr->into, end);
        }
    }
    assert_int_equal(n + retired, p->n);
}

/* order[0..n) = a permutation of 0..n-1 drawn from *s. */
static void shuffle(size_t *order, size_t n, uint64_t *s)
{
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = (size_t)(lcg(s) % (i + 1));
        size_t t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
}

/* Keeps the first order's snapshot in *first (owned) and fails when a later
 * one (snap, freed) differs from it. */
static void same_as_first(char **first, char *snap, uint64_t seed)
{
    if (!*first) {
        *first = snap;
        return;
    }
    if (strcmp(*first, snap) != 0)
        fail_msg("seed %llu differs:\n%s\nvs\n%s", (unsigned long long)seed, *first, snap);
    free(snap);
}

/* Adds ms[0..n) (n <= 24) in 20 random orders, each mention twice (a
 * redelivery publishes nothing); with rows, the reference rows are seeded
 * at a random point of each order. Then check(rs), and: what a consumer of
 * the topic holds equals the deals, and every order ends with the same
 * records. */
static void orders_agree(const ds_mention *ms, size_t n, int rows, void (*check)(ds_resolver *rs))
{
    char err[256];
    ds_codec *codec = ds_codec_new(err, sizeof err);
    assert_non_null(codec);
    char *first = NULL;
    pubset ends = {.n = 0};
    for (uint64_t seed = 1; seed <= 20; seed++) {
        size_t order[24];
        uint64_t s = seed;
        shuffle(order, n, &s);
        size_t seed_at = rows ? (size_t)(lcg(&s) % (n + 1)) : n + 1;
        ds_resolver *rs = new_resolver(g_cat);
        if (rows)
            ds_resolver_set_references(rs, NULL, NULL);
        pubset pub = {.n = 0};
        ds_changes ch;
        for (size_t i = 0; i <= n; i++) {
            if (i == seed_at) {
                assert_int_equal(ds_resolver_seed_references(rs, &ch), 0);
                publish(&pub, codec, &ch);
            }
            if (i == n)
                break;
            add(rs, ms[order[i]], &ch);
            publish(&pub, codec, &ch);
            add(rs, ms[order[i]], &ch);
            assert_int_equal(ch.n, 0);
        }
        check(rs);
        check_published(rs, codec, &pub, &ends, seed);
        for (size_t k = 0; k < pub.n; k++)
            free(pub.r[k].json);
        same_as_first(&first, snapshot(rs, codec), seed);
        ds_resolver_destroy(rs);
    }
    free(first);
    ds_codec_destroy(codec);
}

/* The four deals of test_order_insensitive, three copies among them. */
static void check_k2_copies(ds_resolver *rs)
{
    const ds_canon **d;
    assert_int_equal(ds_resolver_deals(rs, &d), 4); /* K2 FW, E1, E2; K9 */
    size_t copies = 0;
    for (size_t i = 0; i < 4; i++)
        for (size_t j = 0; j < d[i]->nsources; j++)
            if (d[i]->sources[j].duplicate_of)
                copies++;
    assert_int_equal(copies, 3); /* m-copy, m-exact, m-first-copy */
}

static void test_order_insensitive(void **state)
{
    (void)state;
    ds_mention ms[16];
    size_t n = 0;
    ms[n++] = k2_planned();
    ms[n++] = k2_signed();
    ms[n++] = k2_polish();
    ms[n++] = k2_first();
    ms[n++] = k2_copy();
    ms[n] = mk("m-ctx", "a-k2e2-signed", "2025-08-02", "K2");
    ms[n].role = DS_ROLE_CONTEXT;
    ms[n].signing_year = 2022;
    ms[n].quantity = 180;
    ms[n].batch = 1;
    n++;
    ms[n] = mk("m-del", "a-del", "2022-12-06", "K2");
    ms[n].stage = DS_STAGE_DELIVERY;
    ms[n].status = DS_STATUS_DELIVERED;
    n++;
    ms[n] = mk("m-fw", "a-fw", "2022-07-28", "K2");
    ms[n].stage = DS_STAGE_FRAMEWORK;
    ms[n].signing_date = day("2022-07-27");
    n++;
    ms[n] = mk("m-k9-a", "a-k9-a", "2025-03-02", "K9");
    ms[n].signing_date = day("2025-03-01");
    n++;
    ms[n] = mk("m-k9-b", "a-k9-b", "2025-05-01", "K9");
    ms[n].signing_date = day("2025-04-30");
    n++;
    ms[n] = mk("m-k9-c", "a-k9-c", "2025-04-01", "K9");
    ms[n].signing_date = day("2025-03-31");
    n++;
    ms[n] = mk("m-k9-weak", "a-k9-weak", "2025-04-01", "K9"); /* no time at all */
    ms[n].src.published = DS_NO_TIME;
    n++;
    ms[n] = k2_signed(); /* an exact copy, published last */
    strcpy(ms[n].mention_id, "m-exact");
    strcpy(ms[n].src.id, "a-exact");
    ms[n].src.published += 30 * 86400000LL;
    n++;
    ms[n] = k2_first(); /* a syndicated copy of the 2022 report */
    strcpy(ms[n].mention_id, "m-first-copy");
    strcpy(ms[n].src.id, "a-first-copy");
    ms[n].src.published += 86400000LL;
    ms[n].src.text_hash ^= 0x100ULL;
    n++;

    orders_agree(ms, n, 0, check_k2_copies);
}

/* Every link of every deal names a live deal of rs. */
static void assert_links_resolve(ds_resolver *rs)
{
    const ds_canon **d;
    size_t n = ds_resolver_deals(rs, &d);
    for (size_t i = 0; i < n; i++)
        for (size_t l = 0; l < d[i]->nlinks; l++) {
            int found = 0;
            for (size_t j = 0; j < n && !found; j++)
                found = strcmp(d[j]->deal_id, d[i]->links[l].target) == 0;
            if (!found)
                fail_msg("deal %s: %s link to %s, no such deal", d[i]->deal_id,
                         ds_relation_names[d[i]->links[l].relation], d[i]->links[l].target);
            assert_true(d[i]->links[l].basis[0] != '\0');
        }
}

/* Reference rows are canonical deals of source kind reference: one per row,
 * each linked to the deals of its row's parents (also across blocks); a
 * report of the 2022 K2 contract merges into its row's deal, whose id stays;
 * the 2025 report links to that deal; the rows stay out of the changelog
 * record and come back on restore, publishing nothing. */
static void test_reference_deals(void **state)
{
    (void)state;
    size_t nrows = 0;
    ds_resolver *rs = new_ref_resolver(&nrows);
    assert_int_equal(nrows, g_cat->nrefs);
    const ds_canon **d;
    assert_int_equal(ds_resolver_deals(rs, &d), g_cat->nrefs);
    assert_links_resolve(rs);
    const ds_canon *e1 = deal_with_source(rs, "PL-K2-E1");
    char e1id[17];
    memcpy(e1id, e1->deal_id, sizeof e1id);
    assert_string_equal(e1->ref, "PL-K2-E1");
    assert_int_equal(e1->nsources, 1);
    assert_int_equal(e1->sources[0].kind, DS_SRC_REFERENCE);
    assert_int_equal(e1->quantity, 180);
    assert_int_equal(e1->batch, 1);
    assert_int_equal(e1->value.usd, BN(3.37));
    assert_int_equal(e1->signing_date, day("2022-08-26"));
    assert_string_equal(e1->system, "K2GF");
    assert_int_equal(e1->revision, 1);
    const ds_canon_link *l = find_link(e1, DS_REL_EXECUTES_FRAMEWORK);
    assert_non_null(l);
    assert_string_equal(l->target, deal_with_source(rs, "PL-K2-FW")->deal_id);
    const ds_canon *e3 = deal_with_source(rs, "PL-K239-E3"); /* CGR-080: parents in two blocks */
    l = find_link(e3, DS_REL_EXECUTES_FRAMEWORK);
    assert_non_null(l);
    assert_string_equal(l->target, deal_with_source(rs, "PL-K239-FW")->deal_id);
    assert_int_equal(l->via, DS_VIA_REFERENCE);
    l = find_link(e3, DS_REL_ENABLED_BY_JV);
    assert_non_null(l);
    assert_string_equal(l->target, deal_with_source(rs, "PL-CGR-JV")->deal_id);

    /* seeding again adds nothing */
    ds_changes ch;
    assert_int_equal(ds_resolver_seed_references(rs, &ch), 0);
    assert_int_equal(ch.n, 0);

    /* a report of the 2022 batch joins the row's deal */
    assert_int_equal(add(rs, k2_first(), &ch), 1);
    assert_string_equal(ch.items[0]->deal_id, e1id);
    assert_int_equal(ch.items[0]->revision, 2);
    assert_int_equal(ch.items[0]->nsources, 2);
    assert_int_equal(ds_resolver_deals(rs, &d), g_cat->nrefs);
    /* the 2025 contract links to that record */
    add(rs, k2_signed(), NULL);
    const ds_canon *e2 = deal_with_source(rs, "a-k2e2-signed");
    assert_ptr_equal(e2, deal_with_source(rs, "PL-K2-E2"));
    l = find_link(e2, DS_REL_NEXT_BATCH);
    assert_non_null(l);
    assert_string_equal(l->target, e1id);
    assert_string_equal(l->target_ref, "PL-K2-E1");
    assert_links_resolve(rs);

    /* the changelog record holds the reports, not the rows */
    const ds_mention *const *ms;
    const ds_deal_rev *revs;
    size_t nms, nrevs;
    assert_int_equal(ds_resolver_block_state(rs, "POL|KOR|K2", &ms, &nms, &revs, &nrevs), 0);
    assert_int_equal(nms, 2);
    for (size_t i = 0; i < nms; i++)
        assert_int_not_equal(ms[i]->src.kind, DS_SRC_REFERENCE);
    ds_mention flat[2] = {*ms[0], *ms[1]};
    ds_deal_rev rv[8];
    assert_true(nrevs <= 8);
    memcpy(rv, revs, nrevs * sizeof *rv);
    ds_resolver *back = new_resolver(g_cat);
    ds_resolver_set_references(back, NULL, NULL);
    assert_int_equal(ds_resolver_restore(back, "POL|KOR|K2", flat, nms, rv, nrevs), 0);
    assert_int_equal(ds_resolver_restore_finish(back, &ch), 0);
    for (size_t i = 0; i < ch.n; i++) /* only the other blocks' rows, never seen by this resolver */
        assert_string_not_equal(ch.items[i]->block_key, "POL|KOR|K2");
    assert_string_equal(deal_with_source(back, "a-k2e1")->deal_id, e1id);
    assert_int_equal(deal_with_source(back, "a-k2e1")->revision, 2);
    ds_resolver_destroy(back);
    ds_resolver_destroy(rs);
}

/* An owner filter materialises only its blocks' rows; a link to another
 * block's row then names that row's deal id, which its owner publishes. */
static int owns_k2(const char *block_key, void *arg)
{
    (void)arg;
    return strcmp(block_key, "POL|KOR|K2") == 0;
}

static void test_reference_owner(void **state)
{
    (void)state;
    ds_resolver *all = new_ref_resolver(NULL);
    ds_resolver *rs = new_resolver(g_cat);
    ds_resolver_set_cross_block(rs, 0);
    ds_resolver_set_references(rs, owns_k2, NULL);
    ds_changes ch;
    assert_int_equal(ds_resolver_seed_references(rs, &ch), 0);
    assert_int_equal(ch.n, 3); /* PL-K2-FW, -E1, -E2 */
    ds_mention e3 = cgr_third();
    add(rs, e3, NULL);
    const ds_canon *c = deal_with_source(rs, "a-cgr-e3");
    const ds_canon_link *l = find_link(c, DS_REL_EXECUTES_FRAMEWORK);
    assert_non_null(l);
    assert_string_equal(l->target, deal_with_source(all, "PL-K239-FW")->deal_id);
    ds_resolver_destroy(rs);
    ds_resolver_destroy(all);
}

/* A deal event whose parent_ref names no reference row links to nothing:
 * alone it has no link; with a framework in its block, the hint's relation
 * finds that deal. */
static void test_parent_ref_unknown(void **state)
{
    (void)state;
    ds_resolver *rs = new_ref_resolver(NULL);
    ds_mention e = mk_ro("m-ro-e", "ev-ro-e", "2024-06-02", "K9");
    e.src.kind = DS_SRC_DEAL_EVENT;
    e.signing_date = day("2024-06-01");
    e.rels[0] = (ds_relhint){DS_REL_EXECUTES_FRAMEWORK, "RO-K9-NOPE", 0, -1, 0};
    e.nrels = 1;
    add(rs, e, NULL);
    assert_int_equal(deal_with_source(rs, "ev-ro-e")->nlinks, 0);
    ds_mention fw = mk_ro("m-ro-fw", "a-ro-fw", "2024-01-11", "K9");
    fw.stage = DS_STAGE_FRAMEWORK;
    fw.signing_date = day("2024-01-10");
    add(rs, fw, NULL);
    const ds_canon *c = deal_with_source(rs, "ev-ro-e");
    assert_int_equal(c->nlinks, 1);
    assert_string_equal(c->links[0].target, deal_with_source(rs, "a-ro-fw")->deal_id);
    assert_string_equal(c->links[0].target_ref, "");
    assert_links_resolve(rs);
    ds_resolver_destroy(rs);
}

/* A relation phrase links only where the stage can have it and the parent
 * is signed no later: a joint venture is no next batch of anything, and a
 * contract is not the next batch of one signed after it. */
static void test_hint_fits_stage(void **state)
{
    (void)state;
    ds_resolver *rs = new_ref_resolver(NULL);
    ds_mention jv = mk("m-jv", "a-jv", "2025-09-03", "CGR-080");
    jv.stage = DS_STAGE_JOINT_VENTURE;
    jv.signing_date = day("2025-09-02");
    jv.rels[0] = (ds_relhint){DS_REL_NEXT_BATCH, "PL-K239-E3", 0, -1, 0};
    jv.nrels = 1;
    add(rs, jv, NULL);
    assert_null(find_link(deal_with_source(rs, "a-jv"), DS_REL_NEXT_BATCH));
    ds_mention e = mk("m-e", "a-e", "2024-05-02", "K2");
    e.signing_date = day("2024-05-01");
    e.batch = 3;
    e.rels[0] = (ds_relhint){DS_REL_NEXT_BATCH, "PL-K2-E2", 0, -1, 0}; /* signed 2025-08-01 */
    e.nrels = 1;
    add(rs, e, NULL);
    assert_null(find_link(deal_with_source(rs, "a-e"), DS_REL_NEXT_BATCH));
    ds_resolver_destroy(rs);
}

/* A Romanian K9 chain with no reference rows: a framework, batch 1 and 2,
 * an option, a delivery of batch 1, an amendment of batch 2, a
 * cancellation of the option and a delivery of 50 units of a batch 3 not
 * yet reported. */
static size_t ro_chain(ds_mention *ms)
{
    size_t n = 0;
    ms[n] = mk("r-fw", "ro-fw", "2023-03-02", "K9");
    ms[n].stage = DS_STAGE_FRAMEWORK;
    ms[n].signing_date = day("2023-03-01");
    ms[n].quantity = 100;
    n++;
    ms[n] = mk("r-e1", "ro-e1", "2023-09-02", "K9");
    ms[n].signing_date = day("2023-09-01");
    ms[n].batch = 1;
    ms[n].quantity = 20;
    usd(&ms[n], BN(1.0));
    n++;
    ms[n] = mk("r-e2", "ro-e2", "2024-09-02", "K9");
    ms[n].signing_date = day("2024-09-01");
    ms[n].batch = 2;
    ms[n].quantity = 30;
    usd(&ms[n], BN(1.2));
    n++;
    ms[n] = mk("r-opt", "ro-opt", "2025-02-02", "K9");
    ms[n].stage = DS_STAGE_OPTION;
    ms[n].signing_date = day("2025-02-01");
    ms[n].quantity = 10;
    n++;
    ms[n] = mk("r-del", "ro-del", "2024-03-01", "K9");
    ms[n].stage = DS_STAGE_DELIVERY;
    ms[n].status = DS_STATUS_DELIVERED;
    ms[n].batch = 1;
    ms[n].quantity = 8;
    n++;
    ms[n] = mk("r-amd", "ro-amd", "2025-01-10", "K9");
    ms[n].stage = DS_STAGE_AMENDMENT;
    ms[n].batch = 2;
    usd(&ms[n], BN(1.5));
    n++;
    ms[n] = mk("r-cxl", "ro-cxl", "2025-06-01", "K9");
    ms[n].stage = DS_STAGE_CANCELLATION;
    ms[n].status = DS_STATUS_CANCELLED;
    ms[n].quantity = 10;
    n++;
    ms[n] = mk("r-del3", "ro-del3", "2025-07-01", "K9");
    ms[n].stage = DS_STAGE_DELIVERY;
    ms[n].status = DS_STATUS_DELIVERED;
    ms[n].batch = 3;
    ms[n].quantity = 50; /* more than any contract holds */
    n++;
    for (size_t i = 0; i < n; i++) {
        strcpy(ms[i].buyer, "ROU");
        ds_mention_block_key(&ms[i]);
    }
    return n;
}

/* What ro_chain resolves to, whatever the order. */
static void check_ro_chain(ds_resolver *rs)
{
    const ds_canon *fw = deal_with_source(rs, "ro-fw"), *e1 = deal_with_source(rs, "ro-e1");
    const ds_canon *e2 = deal_with_source(rs, "ro-e2"), *opt = deal_with_source(rs, "ro-opt");
    const ds_canon_link *l = find_link(e1, DS_REL_EXECUTES_FRAMEWORK);
    assert_non_null(l);
    assert_string_equal(l->target, fw->deal_id);
    assert_int_equal(l->via, DS_VIA_STATE);
    l = find_link(e2, DS_REL_NEXT_BATCH);
    assert_non_null(l);
    assert_string_equal(l->target, e1->deal_id);
    assert_string_equal(l->basis, "batch 2 follows batch 1, signed 2023-09-01");
    l = find_link(opt, DS_REL_OPTION_EXERCISE);
    assert_non_null(l);
    assert_string_equal(l->target, e2->deal_id); /* the contract in force when it was exercised */
    /* updates: no deals of their own */
    assert_ptr_equal(deal_with_source(rs, "ro-del"), e1);
    assert_int_equal(e1->status, DS_STATUS_DELIVERED);
    assert_int_equal(e1->delivered, 8);
    assert_int_equal(e1->quantity, 20);
    assert_ptr_equal(deal_with_source(rs, "ro-amd"), e2);
    assert_int_equal(e2->value.usd, BN(1.5));
    assert_string_equal(e2->value_basis, "amended by source ro-amd");
    assert_int_equal(e2->status, DS_STATUS_SIGNED);
    assert_ptr_equal(deal_with_source(rs, "ro-cxl"), opt);
    assert_int_equal(opt->status, DS_STATUS_CANCELLED);
    /* the delivery of batch 3 waits for its contract, invisible */
    const ds_canon **d;
    size_t n = ds_resolver_deals(rs, &d);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d[i]->nsources; j++)
            assert_string_not_equal(d[i]->sources[j].id, "ro-del3");
    assert_links_resolve(rs);
}

/* In-stream parents and updates, parents first; then the children first:
 * each is re-linked with a new revision when its parent arrives, and a
 * pending update is taken when its deal arrives. */
static void test_in_stream_parents(void **state)
{
    (void)state;
    ds_mention ms[16];
    size_t n = ro_chain(ms);
    ds_resolver *rs = new_resolver(g_cat);
    for (size_t i = 0; i < n; i++)
        add(rs, ms[i], NULL);
    assert_int_equal(ds_resolver_deal_count(rs), 4);
    check_ro_chain(rs);
    ds_resolver_destroy(rs);

    rs = new_resolver(g_cat);
    ds_changes ch;
    add(rs, ms[3], NULL); /* the option, alone: no link */
    assert_int_equal(only_deal(rs)->nlinks, 0);
    char opt[17];
    memcpy(opt, only_deal(rs)->deal_id, sizeof opt);
    add(rs, ms[2], &ch); /* batch 2: the option is re-linked */
    assert_int_equal(ch.n, 2);
    assert_int_equal(in_changes(&ch, opt)->revision, 2);
    assert_non_null(find_link(in_changes(&ch, opt), DS_REL_OPTION_EXERCISE));
    add(rs, ms[5], &ch); /* the amendment of batch 2 */
    assert_int_equal(ch.n, 1);
    assert_int_equal(ch.items[0]->value.usd, BN(1.5));
    assert_int_equal(ds_resolver_deal_count(rs), 2);
    add(rs, ms[4], &ch); /* the delivery of batch 1, before its contract: pending */
    assert_int_equal(ch.n, 0);
    add(rs, ms[1], &ch); /* batch 1: batch 2 re-linked, the delivery taken */
    assert_int_equal(ch.n, 2);
    for (size_t i = 0; i < n; i++)
        add(rs, ms[i], NULL);
    check_ro_chain(rs);
    ds_resolver_destroy(rs);
}

/* What test_order_insensitive_links ends with. */
static void check_links_final(ds_resolver *rs)
{
    assert_int_equal(ds_resolver_deal_count(rs), g_cat->nrefs + 4);
    check_ro_chain(rs);
    const ds_canon *e1 = deal_with_source(rs, "PL-K2-E1");
    assert_ptr_equal(deal_with_source(rs, "a-k2e1"), e1);
    assert_ptr_equal(deal_with_source(rs, "a-k2-del"), e1);
    assert_int_equal(e1->delivered, 10);
    assert_string_equal(find_link(deal_with_source(rs, "a-k2e2-signed"), DS_REL_NEXT_BATCH)->target, e1->deal_id);
}

/* The reference rows, the Romanian chain, K2 reports and copies, in 20
 * orders, with the rows seeded at a different point of each: the same
 * final records (re-links, updates and the rows' deals included), and what
 * a consumer of the topic holds equals them. */
static void test_order_insensitive_links(void **state)
{
    (void)state;
    ds_mention ms[24];
    size_t n = ro_chain(ms);
    ms[n++] = k2_first();
    ms[n++] = k2_signed();
    ms[n++] = k2_polish();
    ms[n++] = k2_copy();
    ms[n] = mk("m-k2-del", "a-k2-del", "2022-12-06", "K2"); /* the first K2 arrive */
    ms[n].stage = DS_STAGE_DELIVERY;
    ms[n].status = DS_STATUS_DELIVERED;
    ms[n].quantity = 10;
    n++;
    orders_agree(ms, n, 1, check_links_final);
}

/* A contract of buyer NOR from SWE of family fam, batch n, signed on. */
static ds_mention cv90(const char *mid, const char *fam, int n, const char *on)
{
    ds_mention m = mk(mid, mid, on, fam);
    strcpy(m.seller, "SWE");
    strcpy(m.buyer, "NOR");
    m.signing_date = day(on);
    m.src.published += 86400000LL;
    m.batch = n;
    ds_mention_block_key(&m);
    return m;
}

/* The mentions of test_variant_blocks: batch 2 of CV90MKIV, batch 1 and
 * the framework of CV90 (blocks of families differing only by variant),
 * batch 2 of AB10 beside batch 1 of AB1 (another number, not a variant),
 * and Denmark's batch 1 of CV90 (another buyer). */
static size_t variant_mentions(ds_mention *ms)
{
    size_t n = 0;
    ms[n++] = cv90("v-mk4-b2", "CV90MKIV", 2, "2024-06-01");
    ms[n++] = cv90("v-cv90-b1", "CV90", 1, "2019-01-10");
    ms[n] = cv90("v-cv90-fw", "CV90", 0, "2018-05-02");
    ms[n++].stage = DS_STAGE_FRAMEWORK;
    ms[n++] = cv90("v-ab1-b1", "AB1", 1, "2019-01-10");
    ms[n++] = cv90("v-ab10-b2", "AB10", 2, "2024-06-01");
    ms[n] = cv90("v-dk-b1", "CV90MKIV", 1, "2020-03-03");
    strcpy(ms[n].buyer, "DNK");
    ds_mention_block_key(&ms[n]);
    n++;
    return n;
}

/* What variant_mentions resolve to. */
static void check_variants(ds_resolver *rs)
{
    const ds_canon *c = deal_with_source(rs, "v-mk4-b2");
    const ds_canon_link *l = find_link(c, DS_REL_NEXT_BATCH);
    assert_non_null(l);
    assert_string_equal(l->target, deal_with_source(rs, "v-cv90-b1")->deal_id);
    assert_int_equal(l->via, DS_VIA_STATE);
    assert_string_equal(l->basis, "batch 2 follows batch 1 of variant family CV90, signed 2019-01-10");
    l = find_link(c, DS_REL_EXECUTES_FRAMEWORK);
    assert_non_null(l);
    assert_string_equal(l->target, deal_with_source(rs, "v-cv90-fw")->deal_id);
    assert_int_equal(deal_with_source(rs, "v-ab10-b2")->nlinks, 0);
    assert_int_equal(deal_with_source(rs, "v-dk-b1")->nlinks, 0);
    assert_links_resolve(rs);
}

/* Parents across blocks whose families differ only by variant: linked
 * when the parent comes first and, re-linked with the next revision, when
 * it comes later (its block not yet existing); never to another number
 * (AB1, AB10) or another buyer; the same in 20 orders. */
static void test_variant_blocks(void **state)
{
    (void)state;
    ds_mention ms[8];
    size_t n = variant_mentions(ms);
    ds_resolver *rs = new_resolver(g_cat);
    ds_changes ch;
    add(rs, ms[0], &ch);
    const ds_canon *c = only_deal(rs);
    assert_int_equal(c->nlinks, 0);
    char id[17];
    memcpy(id, c->deal_id, sizeof id);
    assert_int_equal(add(rs, ms[1], &ch), 2); /* the batch before, in a block created now */
    c = in_changes(&ch, id);
    assert_non_null(c);
    assert_int_equal(c->revision, 2);
    assert_non_null(find_link(c, DS_REL_NEXT_BATCH));
    for (size_t i = 2; i < n; i++)
        add(rs, ms[i], NULL);
    check_variants(rs);
    ds_resolver_destroy(rs);

    /* the catalog's variant as a family: K9A1 deals read K9's */
    rs = new_resolver(g_cat);
    ds_mention fw = mk_ro("k-fw", "k-fw", "2023-01-02", "K9");
    fw.stage = DS_STAGE_FRAMEWORK;
    fw.signing_date = day("2023-01-01");
    ds_mention e = mk_ro("k-e", "k-e", "2023-06-02", "K9A1");
    e.signing_date = day("2023-06-01");
    add(rs, e, NULL);
    add(rs, fw, NULL);
    const ds_canon_link *l = find_link(deal_with_source(rs, "k-e"), DS_REL_EXECUTES_FRAMEWORK);
    assert_non_null(l);
    assert_string_equal(l->target, deal_with_source(rs, "k-fw")->deal_id);
    ds_resolver_destroy(rs);

    orders_agree(ms, n, 0, check_variants);
}

/* Incremental adds: a resolver that indexes every block (threshold 1) and
 * recomputes only what an add can change publishes, add after add, exactly
 * what one recomputing every block whole publishes (ids, revisions, content
 * hashes, retirements), over random streams of contracts of numbered
 * batches, copies published before and after their originals, context
 * mentions recalling the batch before, intents and frameworks, and (with
 * `global`) weak and delivery mentions, which take the whole-block path. */
static ds_mention random_mention(uint64_t *rng, int i, int global, int refs, int64_t *pubs)
{
    int deal = (int)(lcg(rng) % 40), what = (int)(lcg(rng) % 100);
    char mid[17], src[32];
    snprintf(mid, sizeof mid, "m%05d", i);
    snprintf(src, sizeof src, "s%05d", i);
    /* refs: the families and years of the reference table's Polish rows */
    const char *fam = refs ? (deal % 3 ? "K2" : "K9") : (deal % 3 ? "KX1" : "KX2");
    ds_mention m = mk(mid, src, "2000-01-01", fam);
    int32_t signed_on = day(refs ? "2022-01-01" : "2000-01-01") + deal * 50;
    m.signing_date = signed_on + (int32_t)(lcg(rng) % 4);
    m.src.published = ((int64_t)signed_on + 2 + (int64_t)(lcg(rng) % 20)) * 86400000LL;
    m.batch = deal / 3 + 1;
    m.quantity = lcg(rng) % 4 ? 100 + deal % 5 : -1;
    if (refs && (deal == 4 || deal == 5)) { /* around PL-K2-E1 (2022-08-26, batch 1, 180) */
        m.batch = 1;
        m.quantity = lcg(rng) % 2 ? 180 : -1;
    }
    if (lcg(rng) % 3)
        usd(&m, BN(1.0 + deal % 9));
    m.src.text_hash = (lcg(rng) << 33) ^ lcg(rng) ^ ((uint64_t)lcg(rng) << 17);
    if (lcg(rng) % 100 < 15) { /* a copy of an earlier article, published before or after it */
        int of = (int)(lcg(rng) % (uint64_t)(i < 10 ? i + 1 : 10)); /* one text, many copies */
        char osrc[32];
        snprintf(osrc, sizeof osrc, "s%05d", of);
        m.src.text_hash = ds_hash64(osrc, strlen(osrc), 99) ^ (1ULL << (lcg(rng) % 64));
        if (lcg(rng) % 2 && pubs[of] != DS_NO_TIME) /* near the original's time, before or after it */
            m.src.published = pubs[of] + (int64_t)(lcg(rng) % 5) * 86400000LL - 2 * 86400000LL;
    } else {
        m.src.text_hash = ds_hash64(src, strlen(src), 99);
    }
    if (what >= 12 && what < 24) { /* context of another article: the batch before */
        m.role = DS_ROLE_CONTEXT;
        snprintf(m.src.id, sizeof m.src.id, "s%05d", (int)(lcg(rng) % (uint64_t)(i + 1)));
        m.batch = m.batch > 1 ? m.batch - 1 : 0;
        m.signing_date = DS_NO_DATE;
        m.signing_year = lcg(rng) % 2 ? 0 : (refs ? 2022 : 2000) + deal * 50 / 365;
        m.value.set = 0;
    } else if (what < 28) {
        m.stage = DS_STAGE_INTENT;
    } else if (what < 31) {
        m.stage = DS_STAGE_FRAMEWORK;
        m.batch = 0;
    } else if (what < 36) { /* a year or a planned window instead of a date */
        m.signing_year = (refs ? 2022 : 2000) + deal * 50 / 365;
        m.signing_date = DS_NO_DATE;
        if (what < 33) {
            m.signing_year = 0;
            m.status = DS_STATUS_PLANNED;
        }
    } else if (global && what < 38) {
        m.signing_date = DS_NO_DATE;
        m.src.published = DS_NO_TIME;
    } else if (global && what < 40) {
        m.stage = DS_STAGE_DELIVERY;
        m.status = DS_STATUS_DELIVERED;
    }
    pubs[i] = m.src.published;
    return m;
}

static void same_changes(const ds_changes *a, const ds_changes *b, uint64_t seed, int i)
{
    if (a->n != b->n)
        fail_msg("seed %llu add %d: %zu changes incrementally, %zu whole", (unsigned long long)seed, i, a->n, b->n);
    for (size_t k = 0; k < a->n; k++) {
        const ds_canon *x = a->items[k], *y = b->items[k];
        if (strcmp(x->deal_id, y->deal_id) != 0 || x->revision != y->revision || x->content_hash != y->content_hash ||
            strcmp(x->retired_into, y->retired_into) != 0)
            fail_msg("seed %llu add %d change %zu: %s rev %lld into '%s' vs %s rev %lld into '%s'%s",
                     (unsigned long long)seed, i, k, x->deal_id, (long long)x->revision, x->retired_into, y->deal_id,
                     (long long)y->revision, y->retired_into, x->content_hash != y->content_hash ? " (content)" : "");
    }
}

static void incremental_equals_whole(int global, int64_t retention_days, int refs)
{
    size_t withref = 0;
    for (uint64_t seed = 1; seed <= 20; seed++) {
        uint64_t rng = seed * 7919;
        ds_resolver *inc = new_resolver(refs ? g_cat : NULL), *whole = new_resolver(refs ? g_cat : NULL);
        ds_resolver_set_incremental(inc, 1);
        ds_resolver_set_incremental(whole, 0);
        ds_resolver_set_retention(inc, retention_days);
        ds_resolver_set_retention(whole, retention_days);
        if (refs == 2) { /* the rows as deals, seeded first */
            ds_changes a, b;
            ds_resolver_set_references(inc, NULL, NULL);
            ds_resolver_set_references(whole, NULL, NULL);
            assert_int_equal(ds_resolver_seed_references(inc, &a), 0);
            assert_int_equal(ds_resolver_seed_references(whole, &b), 0);
            same_changes(&a, &b, seed, -1);
        }
        int64_t pubs[400];
        for (int i = 0; i < 400; i++) {
            ds_mention m = random_mention(&rng, i, global, refs, pubs);
            ds_changes a, b;
            assert_int_equal(ds_resolver_add(inc, &m, &a), 0);
            assert_int_equal(ds_resolver_add(whole, &m, &b), 0);
            same_changes(&a, &b, seed, i);
            assert_int_equal(ds_resolver_deal_count(inc), ds_resolver_deal_count(whole));
        }
        size_t fast = ds_resolver_incremental_adds(inc);
        if (seed == 1)
            printf("global %d, retention %lld d, refs %d: %zu of 400 adds incremental\n", global,
                   (long long)retention_days, refs, fast);
        assert_int_equal(ds_resolver_incremental_adds(whole), 0);
        if (!global)
            assert_true(fast > (refs ? 100u : 200u)); /* the rest: framework changes, deals with a row */
        const ds_canon **da, **db;
        size_t na = ds_resolver_deals(inc, &da);
        assert_int_equal(na, ds_resolver_deals(whole, &db));
        assert_true(na > 10);
        size_t ndup = 0, nsrc = 0;
        for (size_t k = 0; k < na; k++) {
            for (size_t j = 0; j < da[k]->nsources; j++)
                ndup += da[k]->sources[j].duplicate_of != NULL;
            nsrc += da[k]->nsources;
        }
        if (ndup < (retention_days ? 5u : 10u) || nsrc <= 200) /* copies and sources enough to matter */
            fail_msg("seed %llu: %zu copies, %zu sources", (unsigned long long)seed, ndup, nsrc);
        for (size_t k = 0; k < na; k++) {
            assert_string_equal(da[k]->deal_id, db[k]->deal_id);
            assert_int_equal(da[k]->content_hash, db[k]->content_hash);
            withref += da[k]->ref[0] != 0;
        }
        ds_resolver_destroy(inc);
        ds_resolver_destroy(whole);
    }
    if (refs)
        assert_true(withref > 20); /* deals that match a row, over the 20 streams */
}

static void test_incremental(void **state)
{
    (void)state;
    incremental_equals_whole(0, 0, 0);
    incremental_equals_whole(1, 0, 0);
    incremental_equals_whole(0, 30, 0); /* copies only within 30 days: bands drop the old */
    incremental_equals_whole(0, 5, 0);
    incremental_equals_whole(0, 30, 1); /* blocks with reference rows */
    incremental_equals_whole(0, 30, 2); /* ... materialised as deals */
    incremental_equals_whole(1, 0, 2);
}

/* The Avro record carries every field; a retired record is empty. */
static void test_to_avro(void **state)
{
    (void)state;
    char err[256];
    ds_codec *codec = ds_codec_new(err, sizeof err);
    assert_non_null(codec);
    ds_resolver *rs = new_ref_resolver(NULL);
    add(rs, k2_planned(), NULL);
    add(rs, k2_signed(), NULL);
    add(rs, k2_polish(), NULL);
    const ds_canon *c = deal_with_source(rs, "PL-K2-E2"); /* the row's deal, which the reports joined */
    avro_value_t val;
    assert_int_equal(ds_codec_value_new(codec, DS_SCHEMA_CANONICAL, &val), 0);
    assert_int_equal(ds_canon_to_avro(c, &val), 0);
    json_t *j = ds_codec_to_json(codec, DS_SCHEMA_CANONICAL, &val);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "deal_id")), c->deal_id);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "signed");
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "value"), "usd")), "6500000000.00");
    assert_string_equal(json_string_value(json_object_get(j, "value_basis")), "3 of 4 sources");
    assert_int_equal(json_array_size(json_object_get(j, "value_claims")), 2);
    json_t *srcs = json_object_get(j, "sources");
    assert_int_equal(json_array_size(srcs), 4);
    size_t nref = 0;
    for (size_t i = 0; i < json_array_size(srcs); i++)
        nref += strcmp(json_string_value(json_object_get(json_array_get(srcs, i), "kind")), "reference") == 0;
    assert_int_equal(nref, 1);
    assert_string_equal(json_string_value(json_object_get(j, "signing_date")), "2025-08-01");
    json_t *links = json_object_get(j, "links");
    assert_int_equal(json_array_size(links), 2); /* the framework and the batch before, both rows' deals */
    json_t *l0 = json_array_get(links, 0);
    assert_string_equal(json_string_value(json_object_get(l0, "relation")), "executes_framework");
    assert_string_equal(json_string_value(json_object_get(l0, "target")), deal_with_source(rs, "PL-K2-FW")->deal_id);
    assert_string_equal(json_string_value(json_object_get(l0, "via")), "state");
    assert_non_null(json_string_value(json_object_get(l0, "basis")));
    assert_true(json_is_null(json_object_get(j, "delivered")));
    /* round trip through the wire form */
    ds_buf wire;
    ds_buf_init(&wire);
    assert_int_equal(ds_codec_encode(codec, DS_SCHEMA_CANONICAL, &val, DS_FRAME_SINGLE_OBJECT, &wire), 0);
    avro_value_t back;
    assert_int_equal(ds_codec_value_new(codec, DS_SCHEMA_CANONICAL, &back), 0);
    assert_int_equal(ds_codec_decode(codec, DS_SCHEMA_CANONICAL, wire.data, wire.len, &back, err, sizeof err), 0);
    assert_true(avro_value_equal(&val, &back));
    ds_buf_free(&wire);
    avro_value_decref(&back);
    json_decref(j);
    avro_value_decref(&val);
    ds_resolver_destroy(rs);
    ds_codec_destroy(codec);
}

/* A resolver restored from the changelog state of another publishes nothing
 * and continues the same revisions; a changed content hash (an upgrade) is
 * republished with the next revision. */
static ds_resolver *restore_copy(ds_resolver *src, const char *const *keys, size_t nkeys, const char *tamper)
{
    ds_resolver *dst = new_resolver(g_cat);
    for (size_t k = nkeys; k-- > 0;) { /* parents after children */
        const ds_mention *const *ms;
        const ds_deal_rev *revs;
        size_t nms, nrevs;
        assert_int_equal(ds_resolver_block_state(src, keys[k], &ms, &nms, &revs, &nrevs), 0);
        ds_mention *flat = calloc(nms + 1, sizeof *flat);
        ds_deal_rev *rv = calloc(nrevs + 1, sizeof *rv);
        assert_non_null(flat);
        assert_non_null(rv);
        for (size_t i = 0; i < nms; i++)
            flat[i] = *ms[i];
        memcpy(rv, revs, nrevs * sizeof *rv);
        for (size_t i = 0; tamper && i < nrevs; i++)
            if (strcmp(rv[i].deal_id, tamper) == 0)
                rv[i].content_hash ^= 1;
        assert_int_equal(ds_resolver_restore(dst, keys[k], flat, nms, rv, nrevs), 0);
        free(flat);
        free(rv);
    }
    return dst;
}

static void test_restore(void **state)
{
    (void)state;
    static const char *const keys[] = {"POL|KOR|CGR-080", "POL|KOR|K2", "POL|KOR|K239", "POL|KOR|K9"};
    ds_resolver *rs = new_resolver(g_cat);
    ds_changes ch;
    add(rs, k2_planned(), NULL);
    add(rs, k2_signed(), NULL);
    add(rs, k2_first(), NULL);
    ds_mention a = mk("m-k9-a", "a-k9-a", "2025-03-02", "K9");
    a.signing_date = day("2025-03-01");
    strcpy(a.category, "howitzer"); /* carried through the state, as read */
    a.out_of_catalog = 1;
    ds_mention b = mk("m-k9-b", "a-k9-b", "2025-05-01", "K9");
    b.signing_date = day("2025-04-30");
    ds_mention c = mk("m-k9-c", "a-k9-c", "2025-04-01", "K9");
    c.signing_date = day("2025-03-31");
    add(rs, a, NULL);
    add(rs, b, NULL);
    add(rs, c, NULL); /* retires b's id */
    ds_mention e3 = cgr_third();
    add(rs, e3, NULL);
    ds_mention fw = mk("m-k239-fw", "a-k239-fw", "2022-10-20", "K239");
    fw.stage = DS_STAGE_FRAMEWORK;
    fw.signing_date = day("2022-10-19");
    add(rs, fw, NULL);

    ds_resolver *cp = restore_copy(rs, keys, 4, NULL);
    assert_int_equal(ds_resolver_restore_finish(cp, &ch), 0);
    assert_int_equal(ch.n, 0);
    const ds_mention *const *ms;
    const ds_deal_rev *revs;
    size_t nms, nrevs, found = 0;
    assert_int_equal(ds_resolver_block_state(cp, "POL|KOR|K9", &ms, &nms, &revs, &nrevs), 0);
    for (size_t i = 0; i < nms; i++) {
        int is_a = strcmp(ms[i]->mention_id, "m-k9-a") == 0;
        found += is_a;
        assert_string_equal(ms[i]->category, is_a ? "howitzer" : "");
        assert_int_equal(ms[i]->out_of_catalog, is_a);
    }
    assert_int_equal(nms, 3);
    assert_int_equal(found, 1);
    assert_int_equal(ds_resolver_mentions(cp), ds_resolver_mentions(rs));
    const ds_canon **d1, **d2;
    size_t n1 = ds_resolver_deals(rs, &d1);
    assert_int_equal(n1, 5);
    assert_int_equal(ds_resolver_deals(cp, &d2), n1);
    for (size_t i = 0; i < n1; i++) {
        assert_string_equal(d1[i]->deal_id, d2[i]->deal_id);
        assert_int_equal(d1[i]->revision, d2[i]->revision);
        assert_int_equal(d1[i]->content_hash, d2[i]->content_hash);
    }
    /* both continue alike */
    ds_mention pl = k2_polish();
    ds_changes ch2;
    assert_int_equal(add(rs, pl, &ch), 1);
    int64_t rev = ch.items[0]->revision;
    assert_int_equal(add(cp, pl, &ch2), 1);
    assert_int_equal(ch2.items[0]->revision, rev);
    ds_resolver_destroy(cp);

    /* an upgrade changed one deal's content */
    const ds_canon *e1 = deal_with_source(rs, "a-k2e1");
    char id[17];
    memcpy(id, e1->deal_id, sizeof id);
    rev = e1->revision;
    cp = restore_copy(rs, keys, 4, id);
    assert_int_equal(ds_resolver_restore_finish(cp, &ch), 0);
    assert_int_equal(ch.n, 1);
    assert_string_equal(ch.items[0]->deal_id, id);
    assert_int_equal(ch.items[0]->revision, rev + 1);
    ds_resolver_destroy(cp);
    ds_resolver_destroy(rs);
}

static int year_of_day(int32_t d)
{
    int y, mo, dd;
    ds_civil_from_days(d, &y, &mo, &dd);
    return y;
}

/* What a follow-on stream holds besides contracts, frameworks, joint
 * ventures and context mentions. */
enum { FO_OPTIONS = 1, FO_HINTS = 2 };

/* Mention i of a block of contracts in batches (each reported by 4
 * articles, published in any order, so that a later report that was
 * published earlier retires the id the first gave), frameworks, joint
 * ventures and the context mentions of their reports recalling the batch
 * before, a framework or a joint venture. With FO_OPTIONS, options of the
 * contracts; with FO_HINTS, some reports also state their relation (rules
 * that read every deal of the block). */
static ds_mention follow_on_mention(uint64_t *rng, int i, int flags)
{
    int deal = i / 4, k = i % 4, kind = deal % 10; /* 0..6 contracts, 7 option, 8 framework, 9 joint venture */
    char mid[17], src[32];
    snprintf(mid, sizeof mid, "f%05d", i);
    /* a context mention is the second of the first report of the contract 3 deals before */
    snprintf(src, sizeof src, "fs%05d", k == 3 && kind == 9 ? (deal - 3) * 4 : i);
    ds_mention m = mk(mid, src, "2000-01-01", "KX1");
    int32_t on = day("2000-01-01") + deal * 40;
    m.signing_date = on + (int32_t)(lcg(rng) % 3);
    m.src.published = ((int64_t)on + 1 + (int64_t)(lcg(rng) % 30)) * 86400000LL; /* an earlier report may come later */
    m.batch = deal / 10 * 7 + kind + 1;
    m.quantity = lcg(rng) % 3 ? 100 + deal % 7 : -1;
    if (lcg(rng) % 2)
        usd(&m, BN(1.0 + deal % 5));
    if (kind == 7 && (flags & FO_OPTIONS)) { /* an option of the contract before it */
        m.stage = DS_STAGE_OPTION;
        m.batch = 0;
    } else if (kind == 8) {
        m.stage = DS_STAGE_FRAMEWORK;
        m.batch = 0;
    } else if (kind == 9 && k < 3) {
        m.stage = DS_STAGE_JOINT_VENTURE;
        m.batch = 0;
    }
    if (kind == 9 && k == 3) { /* recalls the batch before, the framework or the joint venture */
        static const ds_stage recalls[3] = {DS_STAGE_EXECUTIVE, DS_STAGE_FRAMEWORK, DS_STAGE_JOINT_VENTURE};
        m.role = DS_ROLE_CONTEXT;
        m.stage = recalls[lcg(rng) % 3];
        m.batch = m.stage == DS_STAGE_EXECUTIVE ? deal / 10 * 7 + 6 : 0;
        m.signing_date = DS_NO_DATE;
        m.signing_year = year_of_day(m.stage == DS_STAGE_EXECUTIVE ? on - 160 : m.stage == DS_STAGE_FRAMEWORK ? on - 40 : on);
        m.value.set = 0;
        m.quantity = -1;
    }
    if ((flags & FO_HINTS) && kind < 7 && k == 1 && m.batch > 1) {
        m.rels[0].relation = DS_REL_NEXT_BATCH;
        m.rels[0].ref[0] = 0;
        m.rels[0].batch = m.batch - 1;
        m.rels[0].year = 0;
        m.rels[0].quantity = -1;
        m.nrels = 1;
    }
    return m;
}

/* Restores a fresh resolver from every changelog chunk of block key of src,
 * as run does after reading the changelog topic. */
static ds_resolver *restore_from_chunks(ds_resolver *src, const char *key, int64_t retention)
{
    ds_resolver *dst = new_resolver(NULL);
    ds_resolver_set_retention(dst, retention);
    ds_resolver_set_cross_block(dst, 0);
    const ds_state_chunk *cs;
    size_t ncs;
    assert_int_equal(ds_resolver_chunks_dirty(src, key, &cs, &ncs), 0);
    ds_state_chunk *all = calloc(ncs + 1, sizeof *all);
    assert_non_null(all);
    memcpy(all, cs, ncs * sizeof *cs);
    assert_true(ncs > 3); /* the block spans several records */
    for (size_t c = 0; c < ncs; c++) {
        if (all[c].gone)
            continue;
        const ds_mention *const *ms;
        const ds_deal_rev *revs;
        size_t nms, nrevs;
        assert_int_equal(ds_resolver_chunk_state(src, key, all[c].chunk, &ms, &nms, &revs, &nrevs), 0);
        ds_mention *flat = calloc(nms + 1, sizeof *flat);
        ds_deal_rev *rv = calloc(nrevs + 1, sizeof *rv);
        assert_non_null(flat);
        assert_non_null(rv);
        for (size_t i = 0; i < nms; i++)
            flat[i] = *ms[i];
        memcpy(rv, revs, nrevs * sizeof *rv);
        assert_int_equal(ds_resolver_restore_chunk(dst, key, all[c].chunk, flat, nms, rv, nrevs), 0);
        free(flat);
        free(rv);
    }
    free(all);
    ds_changes ch;
    assert_int_equal(ds_resolver_restore_finish(dst, &ch), 0);
    assert_int_equal(ch.n, 0); /* a restore republishes nothing */
    return dst;
}

/* Counts of what the deals of a stream hold, so that the test fails when
 * the stream stops exercising a rule. */
typedef struct follow_counts {
    size_t next_batch, option, framework, context, retired;
} follow_counts;

static void same_deals(ds_resolver *a, ds_resolver *b, uint64_t seed, const char *what, follow_counts *fc)
{
    const ds_canon **da, **db;
    size_t na = ds_resolver_deals(a, &da);
    if (na != ds_resolver_deals(b, &db))
        fail_msg("seed %llu: %zu deals, %zu %s", (unsigned long long)seed, na, ds_resolver_deal_count(b), what);
    for (size_t k = 0; k < na; k++) {
        if (strcmp(da[k]->deal_id, db[k]->deal_id) != 0 || da[k]->revision != db[k]->revision ||
            da[k]->content_hash != db[k]->content_hash || da[k]->nlinks != db[k]->nlinks)
            fail_msg("seed %llu deal %zu: %s rev %lld vs %s rev %lld %s", (unsigned long long)seed, k,
                     da[k]->deal_id, (long long)da[k]->revision, db[k]->deal_id, (long long)db[k]->revision, what);
        for (size_t l = 0; fc && l < da[k]->nlinks; l++) {
            const ds_canon_link *ln = &da[k]->links[l];
            assert_string_equal(ln->target, db[k]->links[l].target);
            fc->next_batch += ln->relation == DS_REL_NEXT_BATCH;
            fc->option += ln->relation == DS_REL_OPTION_EXERCISE;
            fc->framework += ln->relation == DS_REL_EXECUTES_FRAMEWORK;
            fc->context += ln->via == DS_VIA_CONTEXT;
        }
    }
}

/* One block whose mentions all form one deal (one buyer, seller, system,
 * stage and signing month, as years of reports of one contract are), in
 * 10 random orders: quantities 48 and 50 are two deals until a report
 * without a quantity (compatible with both) joins them, so clusters merge
 * and ids retire as the block grows; 10% of the articles are syndicated
 * copies. Incremental adds (whose scoped recompute takes the strong
 * clusters from the index) equal whole recomputes at every add (changes,
 * revisions, content) and at the end: one deal holding every source. */
static void test_one_cluster_incremental(void **state)
{
    (void)state;
    enum { N = 300 };
    size_t retired = 0;
    for (uint64_t seed = 1; seed <= 10; seed++) {
        uint64_t rng = seed * 31337;
        ds_resolver *inc = new_resolver(NULL), *whole = new_resolver(NULL);
        ds_resolver_set_incremental(inc, 1);
        ds_resolver_set_incremental(whole, 0);
        ds_resolver_set_retention(inc, 30);
        ds_resolver_set_retention(whole, 30);
        int32_t base = day("2024-07-01");
        size_t copies = 0;
        for (int i = 0; i < N; i++) {
            char mid[17], src[32];
            snprintf(mid, sizeof mid, "c%05d", i);
            snprintf(src, sizeof src, "a%05d", i);
            ds_mention m = mk(mid, src, "2024-07-01", "KX1");
            m.signing_date = base + (int32_t)(lcg(&rng) % 30);
            m.src.published = ((int64_t)m.signing_date + 1 + (int64_t)(lcg(&rng) % 10)) * 86400000LL;
            uint64_t q = lcg(&rng) % 3;
            m.quantity = q == 0 ? 48 : q == 1 ? 50 : -1;
            if (i > 0 && lcg(&rng) % 10 == 0) { /* a copy of an earlier article, 2 bits away */
                char osrc[32];
                snprintf(osrc, sizeof osrc, "a%05d", (int)(lcg(&rng) % (uint64_t)i));
                m.src.text_hash = ds_hash64(osrc, strlen(osrc), 7) ^ 0x11ULL;
                copies++;
            }
            ds_changes a, b;
            assert_int_equal(ds_resolver_add(inc, &m, &a), 0);
            assert_int_equal(ds_resolver_add(whole, &m, &b), 0);
            same_changes(&a, &b, seed, i);
            for (size_t k = 0; k < a.n; k++)
                retired += a.items[k]->retired_into[0] != 0;
            assert_int_equal(ds_resolver_deal_count(inc), ds_resolver_deal_count(whole));
        }
        if (ds_resolver_incremental_adds(inc) < N / 2)
            fail_msg("seed %llu: %zu of %d adds incremental", (unsigned long long)seed,
                     ds_resolver_incremental_adds(inc), N);
        assert_true(copies > 10);
        same_deals(inc, whole, seed, "whole", NULL);
        const ds_canon **da;
        assert_int_equal(ds_resolver_deals(inc, &da), 1);
        size_t ndup = 0;
        for (size_t j = 0; j < da[0]->nsources; j++)
            ndup += da[0]->sources[j].duplicate_of != NULL;
        assert_int_equal(da[0]->nsources, N);
        assert_true(ndup > 0); /* the copies are among the sources */
        ds_resolver_destroy(inc);
        ds_resolver_destroy(whole);
    }
    assert_true(retired > 0); /* the 48 and 50 deals met in some order */
}

/* Puts ms[0..n) in a random order. */
static void shuffle_mentions(ds_mention *ms, int n, uint64_t *rng)
{
    for (int i = n - 1; i > 0; i--) {
        int j = (int)(lcg(rng) % (uint64_t)(i + 1));
        ds_mention t = ms[i];
        ms[i] = ms[j];
        ms[j] = t;
    }
}

/* Adds ms[0..n) to inc and to whole, comparing their changes after each
 * add; counts the retired records published into *retired (may be NULL). */
static void add_compared(ds_resolver *inc, ds_resolver *whole, const ds_mention *ms, int n, uint64_t seed,
                         size_t *retired)
{
    for (int i = 0; i < n; i++) {
        ds_changes a, b;
        assert_int_equal(ds_resolver_add(inc, &ms[i], &a), 0);
        assert_int_equal(ds_resolver_add(whole, &ms[i], &b), 0);
        same_changes(&a, &b, seed, i);
        for (size_t k = 0; retired && k < a.n; k++)
            *retired += a.items[k]->retired_into[0] != 0;
    }
}

/* Mention i of a block that is mostly one deal (KX1 signed on one day):
 * most reports repeat the facts voted, others leave them unknown, name a
 * new supplier or a known one in another role, another figure, place or
 * quantity, a second mention of an earlier article, a copy of one, an LOA
 * stage, delivery years, evidence, an announcement date (with weak, one
 * in 25 a report with no time at all); so that adds extend the deal's
 * kept record and, between them, rebuild it. */
static ds_mention extend_mention(uint64_t *rng, int i, int32_t signed_on, int weak)
{
    char mid[17], src[32];
    snprintf(mid, sizeof mid, "x%05d", i);
    int again = i > 10 && lcg(rng) % 20 == 0; /* a second mention of an earlier article */
    int from = again ? (int)(lcg(rng) % (uint64_t)i) : i;
    snprintf(src, sizeof src, "s%05d", from);
    ds_mention m = mk(mid, src, "2024-07-01", "KX1");
    m.src.published = ((int64_t)signed_on + 1 + from / 20) * 86400000LL + (int64_t)from * 60000LL;
    m.signing_date = signed_on;
    m.quantity = lcg(rng) % 4 == 0 ? -1 : 48;
    uint64_t r = lcg(rng) % 100;
    if (r < 3)
        m.quantity = 50; /* a second deal, until an unknown quantity joins them */
    else if (r < 6)
        m.signing_date = DS_NO_DATE, m.signing_year = 2024;
    else if (r < 9)
        m.stage = DS_STAGE_LOA;
    else if (r < 12)
        m.status = DS_STATUS_DELIVERED;
    else if (r < 14)
        ds_strlcpy(m.system, "", sizeof m.system);
    r = lcg(rng) % 100;
    if (r < 60)
        usd(&m, 337000000000LL);
    else if (r < 63)
        usd(&m, 200000000000LL);
    else if (r < 66) {
        usd(&m, 337000000000LL);
        ds_strlcpy(m.value.covers, "with support", sizeof m.value.covers);
    }
    r = lcg(rng) % 100;
    supplier(&m, "Hyundai Rotem", DS_SUP_PRIME);
    if (r < 10)
        supplier(&m, "Bumar", r < 8 ? DS_SUP_LOCAL_PRODUCER : DS_SUP_PRIME);
    else if (r < 13) {
        char co[40];
        snprintf(co, sizeof co, "Co%03d", (int)(lcg(rng) % 50));
        supplier(&m, co, DS_SUP_LOCAL_PRODUCER);
    }
    r = lcg(rng) % 100;
    if (r < 8)
        ds_strlcpy(m.place, r < 6 ? "Gliwice" : "Warsaw", sizeof m.place);
    else if (r < 12)
        variant(&m, "KX1PL", r < 11 ? 12 : 14);
    else if (r < 16)
        m.announce_date = signed_on - (int32_t)(lcg(rng) % 5);
    else if (r < 22) {
        m.delivery_years[m.ndelivery_years++] = 2025 + (int)(lcg(rng) % 3);
        ds_mention_evidence(&m, "delivery", 40 + (int32_t)(r % 3), 50);
    }
    if (!again && i > 0 && lcg(rng) % 10 == 0) { /* a copy of an earlier article, 2 bits away */
        char osrc[32];
        snprintf(osrc, sizeof osrc, "s%05d", (int)(lcg(rng) % (uint64_t)i));
        m.src.text_hash = ds_hash64(osrc, strlen(osrc), 7) ^ 0x11ULL;
    }
    if (weak && !again && lcg(rng) % 25 == 0) { /* weak: joins the one deal it fits */
        m.signing_date = DS_NO_DATE;
        m.signing_year = 0;
        m.src.published = DS_NO_TIME;
        m.status = DS_STATUS_SIGNED;
    }
    return m;
}

/* Adds that extend a big deal's kept record (ds_resolver_extended_adds)
 * publish what a rebuild of the whole block from every mention does: the
 * same mentions, in publication order and in 6 random orders, through an
 * incremental resolver and one that recomputes every add whole, compared
 * after each add (changes, revisions, content hashes) and at the end
 * (deals, links), and the final deals equal across the orders; with weak
 * mentions in the block too (its other adds recompute it whole). */
static void extend_equals_rebuild(int weak)
{
    enum { N = 600 };
    int32_t signed_on = day("2024-06-20");
    ds_mention *ms = calloc(N, sizeof *ms);
    assert_non_null(ms);
    uint64_t rng = 424242;
    for (int i = 0; i < N; i++)
        ms[i] = extend_mention(&rng, i, signed_on, weak);
    uint64_t final_hash = 0;
    size_t extended = 0, nsrc = 0;
    for (uint64_t seed = 0; seed <= 6; seed++) {
        if (seed > 0) /* seed 0: publication order */
            shuffle_mentions(ms, N, &rng);
        ds_resolver *inc = new_resolver(NULL), *whole = new_resolver(NULL);
        ds_resolver_set_incremental(whole, 0);
        ds_resolver_set_retention(inc, 30);
        ds_resolver_set_retention(whole, 30);
        add_compared(inc, whole, ms, N, seed, NULL);
        same_deals(inc, whole, seed, "whole", NULL);
        const ds_canon **da;
        size_t nd = ds_resolver_deals(inc, &da);
        uint64_t h = nd;
        for (size_t k = 0; k < nd; k++) {
            h = ds_hash64(&da[k]->content_hash, sizeof da[k]->content_hash, h);
            if (da[k]->nsources > nsrc)
                nsrc = da[k]->nsources;
        }
        if (seed == 0)
            final_hash = h;
        else if (h != final_hash)
            fail_msg("order %llu: final deals differ from publication order's", (unsigned long long)seed);
        size_t ext = ds_resolver_extended_adds(inc);
        printf("weak %d, order %llu: %zu deals, %zu of %d adds incremental, %zu extended\n", weak,
               (unsigned long long)seed, nd, ds_resolver_incremental_adds(inc), N, ext);
        if (seed == 0 && ext < N / 3)
            fail_msg("publication order: %zu of %d adds extended a kept record", ext, N);
        extended += ext;
        ds_resolver_destroy(inc);
        ds_resolver_destroy(whole);
    }
    assert_true(extended > N); /* random orders extend too */
    assert_true(nsrc > N / 2); /* one deal holds most sources */
    free(ms);
}

static void test_extend_equals_rebuild(void **state)
{
    (void)state;
    extend_equals_rebuild(0);
    extend_equals_rebuild(1);
}

/* The same block through incremental adds, whole recomputes and a restore
 * from the changelog of the first: equal changes at every add, equal deals
 * (ids, revisions, content, links) at the end, and nothing republished by
 * the restore, for 6 orders of the stream. */
static void restored_equals_incremental(int flags)
{
    enum { N = 480 };
    follow_counts fc = {0};
    for (uint64_t seed = 1; seed <= 6; seed++) {
        uint64_t rng = seed * 104729;
        ds_mention *ms = calloc(N, sizeof *ms);
        assert_non_null(ms);
        for (int i = 0; i < N; i++)
            ms[i] = follow_on_mention(&rng, i, flags);
        shuffle_mentions(ms, N, &rng); /* any order */
        ds_resolver *inc = new_resolver(NULL), *whole = new_resolver(NULL);
        ds_resolver_set_incremental(inc, 1);
        ds_resolver_set_incremental(whole, 0);
        ds_resolver_set_chunk_bytes(inc, 4096);
        ds_resolver_set_retention(inc, 30);
        ds_resolver_set_retention(whole, 30);
        add_compared(inc, whole, ms, N, seed, &fc.retired);
        if (!flags && ds_resolver_incremental_adds(inc) < N / 2) /* options and hints read every deal */
            fail_msg("seed %llu: %zu of %d adds incremental", (unsigned long long)seed,
                     ds_resolver_incremental_adds(inc), N);
        same_deals(inc, whole, seed, "whole", &fc);
        ds_resolver *back = restore_from_chunks(inc, ms[0].block_key, 30);
        same_deals(inc, back, seed, "restored", NULL);
        /* and both go on alike */
        ds_mention more = follow_on_mention(&rng, N, flags);
        ds_changes a, b;
        assert_int_equal(ds_resolver_add(inc, &more, &a), 0);
        assert_int_equal(ds_resolver_add(back, &more, &b), 0);
        same_changes(&a, &b, seed, N);
        ds_resolver_destroy(back);
        ds_resolver_destroy(inc);
        ds_resolver_destroy(whole);
        free(ms);
    }
    printf("follow-ons %d: %zu next batch, %zu option, %zu framework, %zu via context links; %zu retired\n", flags,
           fc.next_batch, fc.option, fc.framework, fc.context, fc.retired);
    if (!fc.next_batch || !fc.option != !(flags & FO_OPTIONS) || !fc.framework || !fc.context || !fc.retired)
        fail_msg("links: %zu next batch, %zu option, %zu framework, %zu via context; %zu retired", fc.next_batch,
                 fc.option, fc.framework, fc.context, fc.retired);
}

static void test_restore_follow_ons(void **state)
{
    (void)state;
    restored_equals_incremental(0);
    restored_equals_incremental(FO_OPTIONS);
    restored_equals_incremental(FO_OPTIONS | FO_HINTS);
}

/* Retention: a copy published within it is a duplicate; one published after
 * the source's fingerprint expired is a new source; the seen-article table
 * drops what is older than the newest event time minus the retention. */
static void dedup_retention(int64_t days)
{
    ds_resolver *rs = new_resolver(NULL);
    ds_resolver_set_retention(rs, days);
    ds_changes ch;
    ds_mention orig = mk("m-orig", "a-orig", "2025-03-01", "K9");
    orig.signing_date = day("2025-02-27");
    assert_int_equal(add(rs, orig, &ch), 1);
    assert_int_equal(ds_resolver_fingerprints(rs), 1);

    ds_mention copy = orig; /* a day later, 2 bits apart */
    strcpy(copy.mention_id, "m-copy1");
    strcpy(copy.src.id, "a-copy1");
    copy.src.published += 86400000LL;
    copy.src.text_hash ^= 0x3ULL;
    assert_int_equal(add(rs, copy, &ch), 1); /* listed: a new revision */
    const ds_canon *c = deal_with_source(rs, "a-copy1");
    assert_int_equal(c->nsources, 2);
    assert_non_null(c->sources[1].duplicate_of);
    assert_string_equal(c->sources[1].duplicate_of, "a-orig");
    int64_t rev = c->revision;
    assert_int_equal(ds_resolver_fingerprints(rs), 2);

    /* the clock moves on by two months (another block) */
    assert_int_equal(add(rs, mk("m-later", "a-later", "2025-05-01", "K239"), &ch), 1);
    assert_int_equal(ds_resolver_fingerprints(rs), days ? 1 : 3);

    copy = orig; /* 62 days after the source, 2 bits apart */
    strcpy(copy.mention_id, "m-copy2");
    strcpy(copy.src.id, "a-copy2");
    copy.src.published += 62 * 86400000LL;
    copy.src.text_hash ^= 0x5ULL;
    assert_int_equal(add(rs, copy, &ch), 1); /* a new source or a listed copy */
    c = deal_with_source(rs, "a-copy2");
    assert_int_equal(c->nsources, 3);
    assert_string_equal(c->sources[2].id, "a-copy2");
    if (days) {
        assert_null(c->sources[2].duplicate_of); /* a new source: it corroborates */
        assert_int_equal(c->revision, rev + 1);
    } else {
        assert_string_equal(c->sources[2].duplicate_of, "a-orig");
        assert_int_equal(c->revision, rev + 1);
    }
    assert_int_equal(ds_resolver_fingerprints(rs), days ? 2 : 4);
    ds_resolver_destroy(rs);
}

/* A cancel function that counts its calls and asks to stop at call stop_at
 * (0: never). */
typedef struct cancel_count {
    int calls, stop_at;
} cancel_count;

static int count_cancel(void *opaque)
{
    cancel_count *cc = opaque;
    cc->calls++;
    return cc->stop_at && cc->calls >= cc->stop_at;
}

/* One block of mentions that form one deal, added whole (inc_min 0:
 * incremental adds off) or through its index (inc_min 1), with a cancel
 * function that never asks: every add calls it at its start, and between
 * the steps of its recompute unless it extended the deal's record in
 * place, and the deals equal those of a resolver without one. Then one
 * asks, for whole adds at the third step of the next add, through the
 * index at its start: that add stops there, at once (no call after the
 * one that asked) and returns DS_RESOLVE_CANCELLED, as does every add
 * after it without asking again; the resolver is then destroyed (the
 * sanitizer build checks what it frees). */
static void cancel_block(size_t inc_min)
{
    enum { N = 60 };
    ds_resolver *rs = new_resolver(NULL), *plain = new_resolver(NULL);
    ds_resolver_set_incremental(rs, inc_min);
    ds_resolver_set_incremental(plain, inc_min);
    cancel_count cc = {0, 0};
    ds_resolver_set_cancel(rs, count_cancel, &cc);
    int32_t base = day("2024-07-01");
    ds_mention ms[N + 2];
    for (int i = 0; i < N + 2; i++) {
        char mid[17], src[32];
        snprintf(mid, sizeof mid, "x%05d", i);
        snprintf(src, sizeof src, "b%05d", i);
        ms[i] = mk(mid, src, "2024-07-01", "KX1");
        ms[i].signing_date = base + i % 20;
        ms[i].src.published = ((int64_t)base + 21 + i % 5) * 86400000LL;
        ms[i].quantity = 48;
    }
    size_t recomputed = 0;
    for (int i = 0; i < N; i++) {
        int before = cc.calls;
        size_t ext = ds_resolver_extended_adds(rs);
        ds_changes a, b;
        assert_int_equal(ds_resolver_add(rs, &ms[i], &a), 0);
        assert_int_equal(ds_resolver_add(plain, &ms[i], &b), 0);
        assert_true(cc.calls - before >= 1);
        if (ds_resolver_extended_adds(rs) == ext) {
            assert_true(cc.calls - before >= 3); /* and between the steps of its recompute */
            recomputed++;
        }
        same_changes(&a, &b, inc_min, i);
    }
    assert_true(recomputed >= (inc_min ? 1 : N));
    same_deals(rs, plain, inc_min, "without a cancel function", NULL);
    const ds_canon **d;
    assert_int_equal(ds_resolver_deals(rs, &d), 1);
    assert_int_equal(d[0]->nsources, N);
    cc.stop_at = cc.calls + (inc_min ? 1 : 3);
    ds_changes ch;
    assert_int_equal(ds_resolver_add(rs, &ms[N], &ch), DS_RESOLVE_CANCELLED);
    assert_int_equal(cc.calls, cc.stop_at);
    assert_int_equal(ds_resolver_add(rs, &ms[N + 1], &ch), DS_RESOLVE_CANCELLED);
    assert_int_equal(ch.n, 0);
    assert_int_equal(cc.calls, cc.stop_at); /* not asked again: cancelled for good */
    ds_resolver_destroy(rs);
    ds_resolver_destroy(plain);
}

static void test_cancel(void **state)
{
    (void)state;
    cancel_block(0); /* whole recomputes */
    cancel_block(1); /* through the block's index */
}

static void test_dedup_retention(void **state)
{
    (void)state;
    dedup_retention(30);
    dedup_retention(0); /* forever */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_planned_then_signed),
        cmocka_unit_test(test_value_claims),
        cmocka_unit_test(test_value_tie),
        cmocka_unit_test(test_next_batch_parent_first),
        cmocka_unit_test(test_next_batch_child_first),
        cmocka_unit_test(test_same_day_contracts_are_not_batches),
        cmocka_unit_test(test_context_reference),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_delivery),
        cmocka_unit_test(test_status_rank),
        cmocka_unit_test(test_framework_separate),
        cmocka_unit_test(test_time_windows),
        cmocka_unit_test(test_merge_retires_id),
        cmocka_unit_test(test_cross_block_links),
        cmocka_unit_test(test_order_insensitive),
        cmocka_unit_test(test_reference_deals),
        cmocka_unit_test(test_reference_owner),
        cmocka_unit_test(test_parent_ref_unknown),
        cmocka_unit_test(test_hint_fits_stage),
        cmocka_unit_test(test_in_stream_parents),
        cmocka_unit_test(test_order_insensitive_links),
        cmocka_unit_test(test_variant_blocks),
        cmocka_unit_test(test_source_versions),
        cmocka_unit_test(test_currencies),
        cmocka_unit_test(test_links_stay_with_buyer),
        cmocka_unit_test(test_block_cap),
        cmocka_unit_test(test_incremental),
        cmocka_unit_test(test_one_cluster_incremental),
        cmocka_unit_test(test_extend_equals_rebuild),
        cmocka_unit_test(test_to_avro),
        cmocka_unit_test(test_restore),
        cmocka_unit_test(test_restore_follow_ons),
        cmocka_unit_test(test_dedup_retention),
        cmocka_unit_test(test_cancel),
    };
    if (getenv("DS_TEST_FILTER")) /* e.g. DS_TEST_FILTER=test_cancel to run one case */
        cmocka_set_test_filter(getenv("DS_TEST_FILTER"));
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
