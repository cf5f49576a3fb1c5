/* test_eval.c: the corpus evaluation (core/eval.h).
 *
 * A tiny corpus is written to a temporary directory. Its labels are derived
 * from what the extractor yields for the articles, so that "perfect" holds
 * whatever the extractor's current tuning; then single labels are spoiled
 * and the exact effect on the figures is checked. The shipped corpus is only
 * checked to run completely, with every figure a ratio. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <dirent.h>
#include <jansson.h>

#include "eval.h"
#include "input.h"
#include "pipeline.h"
#include "testutil.h"
#include "util.h"

static const char *catalog_dir(void)
{
    const char *d = getenv("DEALSTREAM_CATALOG_DIR");
    return d ? d : DS_DATA_DIR "/catalog";
}

static const char *corpus_dir(void)
{
    static char buf[1024];
    const char *d = getenv("DS_TEST_DATA");
    snprintf(buf, sizeof buf, "%s/corpus", d ? d : DS_SOURCE_DIR "/tests");
    return buf;
}

/* ---- the temporary corpus ---------------------------------------------- */

#define NART 3
static const char *const art_names[NART] = {"001-k2-test", "002-k9-test", "003-weather-test"};
static const char *const art_texts[NART] = {
    "date 2022-08-27\n"
    "Poland orders 180 K2 tanks\n"
    "\n"
    "Poland signed an executive contract with Hyundai Rotem on Friday for 180 K2 tanks worth $3.37 billion, "
    "the defence ministry said.\n",
    "date 2023-03-10\n"
    "Estonia buys K9 howitzers\n"
    "\n"
    "Estonia signed a contract with Hanwha Aerospace on Friday for 12 K9 self-propelled howitzers worth "
    "$100 million, the defence ministry in Tallinn said.\n",
    "date 2023-05-05\n"
    "Mild weather in Warsaw\n"
    "\n"
    "The weather in Warsaw was mild on Friday and the city's parks were full of people.\n",
};

static char g_dir[256];
static json_t *g_labels[NART];   /* labels as derived from the extraction */
static int g_primary[NART];      /* primary mentions per article */

static void path_of(char *out, size_t cap, int i, const char *ext)
{
    snprintf(out, cap, "%s/%s.%s", g_dir, art_names[i], ext);
}

static void write_label(int i, json_t *label)
{
    char p[512];
    path_of(p, sizeof p, i, "json");
    assert_int_equal(json_dump_file(label, p, JSON_INDENT(2) | JSON_PRESERVE_ORDER), 0);
}

static json_t *label_mention(const ds_mention *m, int art, int k)
{
    char ref[64], date[16];
    snprintf(ref, sizeof ref, "T-%s-%d-%d", m->family[0] ? m->family : "X", art, k);
    json_t *o = json_object();
    json_object_set_new(o, "role", json_string(m->role == DS_ROLE_PRIMARY ? "primary" : "context"));
    json_object_set_new(o, "ref", json_string(ref));
    json_object_set_new(o, "buyer", json_string(m->buyer));
    json_object_set_new(o, "seller", json_string(m->seller));
    json_object_set_new(o, "system", m->family[0] ? json_string(m->family) : json_null());
    json_object_set_new(o, "quantity", m->quantity >= 0 ? json_integer(m->quantity) : json_null());
    int v = m->value.set;
    json_object_set_new(o, "value_amount", v ? json_real((double)m->value.amount / 100.0) : json_null());
    json_object_set_new(o, "value_currency", v ? json_string(m->value.currency) : json_null());
    json_object_set_new(o, "value_usd",
                        v && m->value.usd >= 0 ? json_real((double)m->value.usd / 100.0) : json_null());
    json_object_set_new(o, "value_combined", v ? json_boolean(m->value.combined) : json_null());
    json_object_set_new(o, "stage", json_string(ds_stage_names[m->stage]));
    json_object_set_new(o, "status", json_string(ds_status_names[m->status]));
    if (m->signing_date != DS_NO_DATE) {
        ds_format_date(m->signing_date, date);
        json_object_set_new(o, "signing_date", json_string(date));
    } else if (m->signing_year) {
        snprintf(date, sizeof date, "%04d", m->signing_year);
        json_object_set_new(o, "signing_date", json_string(date));
    } else {
        json_object_set_new(o, "signing_date", json_null());
    }
    json_object_set_new(o, "batch", m->batch > 0 ? json_integer(m->batch) : json_null());
    return o;
}

typedef struct derive_ctx {
    ds_pipeline *pl;
    int art;
    json_t *label;
} derive_ctx;

static int derive(void *opaque, json_t *rec, const char *where)
{
    (void)where;
    derive_ctx *x = opaque;
    const ds_mention *ms;
    ds_fail fail;
    ds_input in = {DS_INPUT_ARTICLE, "", -1, -1, NULL, 0};
    int n = ds_pipeline_mentions_json(x->pl, DS_INPUT_ARTICLE, rec, &in, &ms, &fail);
    assert_true(n >= 0);
    json_t *deals = json_array(), *mentions = json_array();
    for (int k = 0; k < n; k++) {
        json_t *o = label_mention(&ms[k], x->art, k);
        if (ms[k].role == DS_ROLE_PRIMARY) {
            json_array_append(deals, json_object_get(o, "ref"));
            g_primary[x->art]++;
        }
        json_array_append_new(mentions, o);
    }
    x->label = json_pack("{s:s,s:s,s:o,s:o}", "outlet", "Test Wire", "style", "wire", "deals", deals, "mentions",
                         mentions);
    return 0;
}

static int corpus_setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof g_dir, "%s/ds-eval-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(g_dir))
        return -1;
    ds_pipeline pl;
    char err[512];
    if (ds_pipeline_init(&pl, catalog_dir(), err, sizeof err)) {
        fprintf(stderr, "pipeline: %s\n", err);
        return -1;
    }
    for (int i = 0; i < NART; i++) {
        char p[512];
        path_of(p, sizeof p, i, "txt");
        FILE *f = fopen(p, "w");
        if (!f)
            return -1;
        fputs(art_texts[i], f);
        fclose(f);
        derive_ctx x = {&pl, i, NULL};
        size_t nbad = 0;
        if (ds_input_read(p, "text", 1, derive, &x, NULL, &nbad, err, sizeof err) || !x.label)
            return -1;
        g_labels[i] = x.label;
        write_label(i, x.label);
    }
    ds_pipeline_fini(&pl);
    return 0;
}

static int corpus_teardown(void **state)
{
    (void)state;
    for (int i = 0; i < NART; i++) {
        char p[512];
        path_of(p, sizeof p, i, "txt");
        unlink(p);
        path_of(p, sizeof p, i, "json");
        unlink(p);
        json_decref(g_labels[i]);
    }
    rmdir(g_dir);
    return 0;
}

static void restore_labels(void)
{
    for (int i = 0; i < NART; i++)
        write_label(i, g_labels[i]);
}

static void assert_ratio(double v)
{
    assert_true(v >= 0.0 && v <= 1.0);
}

static void assert_all_ratios(const ds_eval_result *r)
{
    const ds_eval_prf *prf[] = {&r->primary, &r->context, &r->overall};
    for (size_t i = 0; i < 3; i++) {
        assert_ratio(prf[i]->p);
        assert_ratio(prf[i]->r);
        assert_ratio(prf[i]->f1);
        assert_true(prf[i]->tp <= prf[i]->gold && prf[i]->tp <= prf[i]->pred);
    }
    for (int f = 0; f < DS_EF__COUNT; f++) {
        assert_ratio(r->fields[f].acc);
        assert_true(r->fields[f].correct <= r->fields[f].total);
        assert_true(r->fields[f].total <= r->primary_pairs);
    }
    double more[] = {r->deal_p, r->deal_r, r->deal_f1, r->b3_p, r->b3_r, r->b3_f1, r->link_p, r->link_r, r->link_f1};
    for (size_t i = 0; i < sizeof more / sizeof more[0]; i++)
        assert_ratio(more[i]);
    assert_true(r->pred_deals_matched <= r->pred_deals);
    assert_true(r->gold_deals_found <= r->gold_deals);
    assert_true(r->links_correct <= r->links_checked && r->links_checked <= r->pred_links);
    assert_true(r->gold_links_found <= r->gold_links);
}

/* ---- tests -------------------------------------------------------------------- */

/* Labels equal to the extraction: every figure is 1. */
static void test_perfect(void **state)
{
    (void)state;
    restore_labels();
    /* The two deal articles are plain enough for any tuning of the extractor. */
    assert_int_equal(g_primary[0], 1);
    assert_int_equal(g_primary[1], 1);
    ds_eval_result r;
    assert_int_equal(ds_eval_run(g_dir, catalog_dir(), &r, NULL), 0);
    assert_int_equal(r.articles, 3);
    assert_int_equal(r.errors, 0);
    assert_int_equal(r.negatives, 1);
    assert_int_equal(r.negatives_clean, 1);
    assert_int_equal(r.primary.gold, 2);
    assert_int_equal(r.primary.pred, 2);
    assert_int_equal(r.primary.tp, 2);
    assert_true(r.primary.p == 1.0 && r.primary.r == 1.0 && r.primary.f1 == 1.0);
    assert_int_equal(r.context.tp, r.context.gold);
    assert_int_equal(r.context.tp, r.context.pred);
    assert_true(r.overall.p == 1.0 && r.overall.r == 1.0);
    assert_int_equal(r.primary_pairs, 2);
    assert_int_equal(r.near_pairs, 0);
    for (int f = 0; f < DS_EF__COUNT; f++) {
        assert_int_equal(r.fields[f].correct, r.fields[f].total);
        assert_true(r.fields[f].acc == 1.0);
    }
    assert_int_equal(r.fields[DS_EF_QUANTITY].total, 2);
    assert_int_equal(r.miss_lines, 0);
    /* One deal per article, each matching its ref. */
    assert_int_equal(r.gold_deals, 2);
    assert_int_equal(r.gold_deals_found, 2);
    assert_int_equal(r.pred_deals, 2);
    assert_int_equal(r.pred_deals_matched, 2);
    assert_true(r.deal_p == 1.0 && r.deal_r == 1.0);
    assert_int_equal(r.b3_items, 2);
    assert_true(r.b3_p == 1.0 && r.b3_r == 1.0 && r.b3_f1 == 1.0);
    assert_int_equal(r.gold_links, 0); /* invented refs have no reference row */
    assert_all_ratios(&r);
}

/* A wrong quantity in one label: quantity accuracy drops by one pair out of
 * two; nothing else changes. */
static void test_wrong_quantity(void **state)
{
    (void)state;
    restore_labels();
    json_t *l = json_deep_copy(g_labels[0]);
    json_t *m = json_array_get(json_object_get(l, "mentions"), 0);
    json_t *q = json_object_get(m, "quantity");
    json_object_set_new(m, "quantity", json_integer(json_is_integer(q) ? json_integer_value(q) + 1 : 999));
    write_label(0, l);
    json_decref(l);
    ds_eval_result r;
    char *buf = NULL;
    size_t len = 0;
    FILE *rep = open_memstream(&buf, &len);
    assert_non_null(rep);
    assert_int_equal(ds_eval_run(g_dir, catalog_dir(), &r, rep), 0);
    fclose(rep);
    assert_int_equal(r.fields[DS_EF_QUANTITY].total, 2);
    assert_int_equal(r.fields[DS_EF_QUANTITY].correct, 1);
    assert_true(r.fields[DS_EF_QUANTITY].acc == 0.5);
    for (int f = 0; f < DS_EF__COUNT; f++)
        if (f != DS_EF_QUANTITY)
            assert_true(r.fields[f].acc == 1.0);
    assert_true(r.primary.p == 1.0 && r.primary.r == 1.0);
    assert_int_equal(r.miss_lines, 1);
    assert_non_null(strstr(buf, "001-k2-test primary T-K2-0-0 K2: quantity expected"));
    assert_non_null(strstr(buf, "primary  gold    2  pred    2  tp    2"));
    free(buf);
}

/* A labelled mention the extractor does not see: primary recall 2/3, one
 * more gold deal that no predicted deal matches. */
static void test_missing_mention(void **state)
{
    (void)state;
    restore_labels();
    json_t *l = json_deep_copy(g_labels[1]);
    json_t *extra = json_deep_copy(json_array_get(json_object_get(l, "mentions"), 0));
    json_object_set_new(extra, "ref", json_string("T-EXTRA"));
    json_object_set_new(extra, "buyer", json_string("FIN"));
    json_array_append_new(json_object_get(l, "mentions"), extra);
    write_label(1, l);
    json_decref(l);
    ds_eval_result r;
    assert_int_equal(ds_eval_run(g_dir, catalog_dir(), &r, NULL), 0);
    assert_int_equal(r.primary.gold, 3);
    assert_int_equal(r.primary.tp, 2);
    assert_true(r.primary.p == 1.0);
    assert_true(r.primary.r > 0.666 && r.primary.r < 0.667);
    assert_int_equal(r.primary_pairs, 2); /* FIN<-KOR K9: two keys agree, but its twin took the prediction */
    assert_int_equal(r.gold_deals, 3);
    assert_int_equal(r.gold_deals_found, 2);
    assert_true(r.deal_p == 1.0);
    assert_int_equal(r.b3_items, 3);
    assert_true(r.b3_p == 1.0 && r.b3_r == 1.0); /* the unmatched item is a singleton on both sides */
    assert_all_ratios(&r);
}

/* A spurious prediction: a negative's label claims nothing, the article now
 * labelled as negative has a deal. */
static void test_spurious_mention(void **state)
{
    (void)state;
    restore_labels();
    json_t *l = json_pack("{s:s,s:s,s:[],s:[]}", "outlet", "Test Wire", "style", "wire", "deals", "mentions");
    write_label(0, l);
    json_decref(l);
    ds_eval_result r;
    assert_int_equal(ds_eval_run(g_dir, catalog_dir(), &r, NULL), 0);
    assert_int_equal(r.negatives, 2);
    assert_int_equal(r.negatives_clean, 1);
    assert_int_equal(r.primary.gold, 1);
    assert_int_equal(r.primary.pred, 2);
    assert_int_equal(r.primary.tp, 1);
    assert_true(r.primary.p == 0.5 && r.primary.r == 1.0);
    assert_int_equal(r.pred_deals, 2);
    assert_int_equal(r.pred_deals_matched, 1);
    assert_true(r.deal_p == 0.5 && r.deal_r == 1.0);
}

/* A missing label is an error; the other articles are still scored. */
static void test_missing_label(void **state)
{
    (void)state;
    restore_labels();
    char p[512];
    path_of(p, sizeof p, 2, "json");
    assert_int_equal(unlink(p), 0);
    ds_eval_result r;
    char *buf = NULL;
    size_t len = 0;
    FILE *rep = open_memstream(&buf, &len);
    assert_int_equal(ds_eval_run(g_dir, catalog_dir(), &r, rep), -1);
    fclose(rep);
    assert_int_equal(r.errors, 1);
    assert_int_equal(r.articles, 2);
    assert_int_equal(r.primary.tp, 2);
    assert_non_null(strstr(buf, "missing label"));
    free(buf);
    restore_labels();
}

static void test_usage_and_json(void **state)
{
    (void)state;
    restore_labels();
    ds_config cfg;
    memset(&cfg, 0, sizeof cfg);
    char a0[] = "x", a1[] = "y";
    char *args[] = {a0, a1};
    cfg.args = args;
    cfg.nargs = 2;
    assert_int_equal(ds_eval_main(&cfg, NULL, NULL), 2);

    ds_eval_result r;
    assert_int_equal(ds_eval_run(g_dir, catalog_dir(), &r, NULL), 0);
    char p[512];
    snprintf(p, sizeof p, "%s/summary.json", g_dir);
    assert_int_equal(ds_eval_write_json(&r, g_dir, p), 0);
    json_error_t je;
    json_t *j = json_load_file(p, 0, &je);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "articles")), 3);
    json_t *prim = json_object_get(json_object_get(j, "extraction"), "primary");
    assert_true(json_real_value(json_object_get(prim, "precision")) == 1.0);
    json_t *deals = json_object_get(json_object_get(j, "resolution"), "deals");
    assert_int_equal(json_integer_value(json_object_get(deals, "gold")), 2);
    json_decref(j);
    unlink(p);

    /* An unreadable corpus directory is an error. */
    snprintf(p, sizeof p, "%s/no-such-dir", g_dir);
    assert_int_equal(ds_eval_run(p, catalog_dir(), &r, NULL), -1);
    assert_int_equal(r.errors, 1);
}

/* Systems are compared by designation: a label may write the family as an
 * alias of the catalog ("Black Panther" is K2's), with other case and
 * punctuation, or with a variant written out ("K9 THUNDER" for K9); a
 * different designation is a different system. The new stage and status
 * names parse. */
static void test_system_designations(void **state)
{
    (void)state;
    const char *same[] = {"Black Panther", "k-2", "K2", NULL};
    for (int i = 0; same[i]; i++) {
        restore_labels();
        json_t *l = json_deep_copy(g_labels[0]);
        json_t *m0 = json_array_get(json_object_get(l, "mentions"), 0);
        json_object_set_new(m0, "system", json_string(same[i]));
        write_label(0, l);
        json_decref(l);
        ds_eval_result r;
        assert_int_equal(ds_eval_run(g_dir, catalog_dir(), &r, NULL), 0);
        if (r.primary.tp != 2)
            fail_msg("label system '%s' did not match K2", same[i]);
        assert_int_equal(r.fields[DS_EF_SYSTEM].correct, r.fields[DS_EF_SYSTEM].total);
    }
    restore_labels();
    json_t *l = json_deep_copy(g_labels[1]);
    json_t *m0 = json_array_get(json_object_get(l, "mentions"), 0);
    json_object_set_new(m0, "system", json_string("K9 THUNDER"));
    json_object_set_new(m0, "stage", json_string("amendment"));
    json_object_set_new(m0, "status", json_string("approved"));
    write_label(1, l);
    json_decref(l);
    ds_eval_result r;
    assert_int_equal(ds_eval_run(g_dir, catalog_dir(), &r, NULL), 0);
    assert_int_equal(r.primary.tp, 2);
    assert_int_equal(r.fields[DS_EF_STAGE].correct, 1);
    assert_int_equal(r.fields[DS_EF_STATUS].correct, 1);
    l = json_deep_copy(g_labels[1]);
    m0 = json_array_get(json_object_get(l, "mentions"), 0);
    json_object_set_new(m0, "system", json_string("K2"));
    write_label(1, l);
    json_decref(l);
    assert_int_equal(ds_eval_run(g_dir, catalog_dir(), &r, NULL), 0);
    assert_int_equal(r.primary.tp, 1);
    restore_labels();
}

/* The shipped corpus: it runs through, every figure is a ratio. No accuracy
 * target is asserted (the extractor is still being tuned). */
static void test_shipped_corpus(void **state)
{
    (void)state;
    ds_eval_result r;
    FILE *devnull = fopen("/dev/null", "w");
    assert_int_equal(ds_eval_run(corpus_dir(), catalog_dir(), &r, devnull), 0);
    fclose(devnull);
    assert_int_equal(r.articles, 72);
    assert_int_equal(r.errors, 0);
    assert_int_equal(r.negatives, 14);
    assert_true(r.primary.gold > 0 && r.context.gold > 0);
    assert_int_equal(r.overall.gold, r.primary.gold + r.context.gold);
    assert_int_equal(r.overall.pred, r.primary.pred + r.context.pred);
    assert_true(r.gold_deals > 0 && r.b3_items >= r.gold_deals);
    assert_true(r.gold_links > 0);
    assert_all_ratios(&r);
}

/* ---- incremental resolution over the corpora ---------------------------- */

/* Appends the mentions of every article (NNN-*.txt) of dir. */
static void corpus_mentions(tu_mentions *l, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return; /* a corpus not shipped in this tree */
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 8 || e->d_name[3] != '-' || strcmp(e->d_name + len - 4, ".txt") != 0)
            continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        tu_article_mentions(l, path);
    }
    closedir(d);
}

/* The mentions of the labelled corpus and of the blind dev split, in 20
 * random orders, through a resolver that indexes every block (threshold 1)
 * and one that recomputes every block whole: add after add they publish
 * the same records (ids, revisions, content hashes, retirements), and end
 * with the same deals. (readdir order is the first order: any will do.) */
static void test_incremental_corpus(void **state)
{
    (void)state;
    char err[256], dir[1024];
    ds_pipeline pl;
    assert_int_equal(ds_pipeline_init(&pl, catalog_dir(), err, sizeof err), 0);
    tu_mentions l = {&pl, NULL, 0, 0};
    corpus_mentions(&l, corpus_dir());
    const char *t = getenv("DS_TEST_DATA");
    snprintf(dir, sizeof dir, "%s/blind/dev", t ? t : DS_SOURCE_DIR "/tests");
    corpus_mentions(&l, dir);
    assert_true(l.n > 100);
    size_t fast = 0;
    uint64_t rng = 12345;
    for (int order = 0; order < 20; order++) {
        for (size_t i = l.n - 1; order > 0 && i > 0; i--) {
            rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
            size_t j = (size_t)((rng >> 33) % (i + 1));
            ds_mention tmp = l.m[i];
            l.m[i] = l.m[j];
            l.m[j] = tmp;
        }
        ds_resolver *inc = ds_resolver_new(pl.cat), *whole = ds_resolver_new(pl.cat);
        assert_non_null(inc);
        assert_non_null(whole);
        ds_resolver_set_incremental(inc, 1);
        ds_resolver_set_incremental(whole, 0);
        for (size_t i = 0; i < l.n; i++) {
            ds_changes a, b;
            int ra = ds_resolver_add(inc, &l.m[i], &a), rb = ds_resolver_add(whole, &l.m[i], &b);
            assert_int_equal(ra, rb);
            if (a.n != b.n)
                fail_msg("order %d add %zu (%s): %zu changes incrementally, %zu whole", order, i,
                         l.m[i].mention_id, a.n, b.n);
            for (size_t k = 0; k < a.n; k++)
                if (strcmp(a.items[k]->deal_id, b.items[k]->deal_id) != 0 ||
                    a.items[k]->revision != b.items[k]->revision ||
                    a.items[k]->content_hash != b.items[k]->content_hash ||
                    strcmp(a.items[k]->retired_into, b.items[k]->retired_into) != 0)
                    fail_msg("order %d add %zu (%s): change %zu differs (%s vs %s)", order, i, l.m[i].mention_id, k,
                             a.items[k]->deal_id, b.items[k]->deal_id);
        }
        const ds_canon **da, **db;
        size_t na = ds_resolver_deals(inc, &da);
        assert_int_equal(na, ds_resolver_deals(whole, &db));
        for (size_t k = 0; k < na; k++) {
            assert_string_equal(da[k]->deal_id, db[k]->deal_id);
            assert_int_equal(da[k]->content_hash, db[k]->content_hash);
        }
        fast += ds_resolver_incremental_adds(inc);
        ds_resolver_destroy(inc);
        ds_resolver_destroy(whole);
    }
    printf("corpus: %zu mentions, %zu of %zu adds incremental over 20 orders\n", l.n, fast, 20 * l.n);
    assert_true(fast > 0);
    free(l.m);
    ds_pipeline_fini(&pl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_perfect),         cmocka_unit_test(test_wrong_quantity),
        cmocka_unit_test(test_missing_mention), cmocka_unit_test(test_spurious_mention),
        cmocka_unit_test(test_missing_label),   cmocka_unit_test(test_usage_and_json),
        cmocka_unit_test(test_system_designations), cmocka_unit_test(test_shipped_corpus),
        cmocka_unit_test(test_incremental_corpus),
    };
    return cmocka_run_group_tests(tests, corpus_setup, corpus_teardown);
}
