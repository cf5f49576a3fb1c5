/* Extraction: the seed articles field by field, and each reading rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "article.h"
#include "catalog.h"
#include "extract.h"
#include "testutil.h"
#include "util.h"

static ds_catalog *cat;
static ds_extractor *ex;

static int setup(void **state)
{
    (void)state;
    char err[512];
    cat = ds_catalog_load(tu_catalog_dir(), err, sizeof err);
    if (!cat)
        fprintf(stderr, "%s\n", err);
    assert_non_null(cat);
    ex = ds_extractor_new(cat);
    assert_non_null(ex);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ds_extractor_destroy(ex);
    ds_catalog_destroy(cat);
    return 0;
}

/* Extracts text dated date ("YYYY-MM-DD" or NULL). */
static int run(const char *text, const char *date, const ds_mention **out)
{
    ds_article a = {"t", NULL, NULL, text, strlen(text), DS_NO_TIME};
    int32_t d;
    if (date) {
        assert_int_equal(ds_parse_date(date, strlen(date), &d), 0);
        a.published = (int64_t)d * 86400000;
    }
    char err[256];
    int n = ds_extract(ex, &a, out, err, sizeof err);
    assert_true(n >= 0);
    return n;
}

static const ds_mention *only_primary(const ds_mention *ms, int n)
{
    const ds_mention *p = NULL;
    int np = 0;
    for (int i = 0; i < n; i++)
        if (ms[i].role == DS_ROLE_PRIMARY) {
            p = &ms[i];
            np++;
        }
    assert_int_equal(np, 1);
    return p;
}

static const ds_mention *find(const ds_mention *ms, int n, ds_role role, const char *family)
{
    for (int i = 0; i < n; i++)
        if (ms[i].role == role && strcmp(ms[i].family, family) == 0)
            return &ms[i];
    fail_msg("no %s mention of %s", role == DS_ROLE_PRIMARY ? "primary" : "context", family);
    return NULL;
}

static int32_t day(const char *s)
{
    int32_t d;
    assert_int_equal(ds_parse_date(s, strlen(s), &d), 0);
    return d;
}

static int load_seed(const char *prefix, char **text, ds_article *a)
{
    int n;
    char pat[64];
    snprintf(pat, sizeof pat, "%s*.txt", prefix);
    char **paths = tu_glob(tu_seeds_dir(), pat, &n);
    if (n != 1) {
        tu_glob_free(paths);
        return -1;
    }
    size_t len;
    *text = tu_slurp(paths[0], &len);
    ds_text_article ta;
    char err[128];
    assert_int_equal(ds_article_parse_text(*text, len, &ta, err, sizeof err), 0);
    static char id[64];
    ds_article_id_from_path(paths[0], id, sizeof id);
    *a = (ds_article){id, NULL, NULL, ta.body, ta.body_len, ta.published};
    tu_glob_free(paths);
    return 0;
}

#define SEED_OR_SKIP(prefix, text, a)                                                   \
    do {                                                                                \
        if (load_seed(prefix, &(text), &(a))) {                                         \
            printf("skipped: seed %s not found in %s\n", prefix, tu_seeds_dir());      \
            skip();                                                                     \
        }                                                                               \
    } while (0)

/* Seed 000: the planned signing of the follow-up K2 contract. */
static void test_seed_planned(void **state)
{
    (void)state;
    char *text;
    ds_article a;
    SEED_OR_SKIP("000_", text, a);
    const ds_mention *ms;
    char err[128];
    int n = ds_extract(ex, &a, &ms, err, sizeof err);
    assert_int_equal(n, 4); /* the deal, and the 2022 K2, K9 and FA-50 deals it recalls */
    const ds_mention *p = only_primary(ms, n);
    assert_string_equal(p->buyer, "POL");
    assert_string_equal(p->seller, "KOR");
    assert_string_equal(p->family, "K2");
    assert_string_equal(p->block_key, "POL|KOR|K2");
    assert_int_equal(p->stage, DS_STAGE_EXECUTIVE);
    assert_int_equal(p->status, DS_STATUS_PLANNED);
    assert_int_equal(p->signing_date, DS_NO_DATE);
    assert_int_equal(p->announce_date, day("2025-07-30"));
    assert_true(p->value.set);
    assert_int_equal(p->value.amount, 650000000000LL);
    assert_string_equal(p->value.currency, "USD");
    assert_int_equal(p->value.usd, 650000000000LL);
    assert_false(p->value.combined);
    assert_int_equal(p->quantity, -1);
    assert_int_equal(p->nsuppliers, 1);
    assert_string_equal(p->suppliers[0].company, "HYUNDAI_ROTEM");
    assert_int_equal(p->suppliers[0].role, DS_SUP_PRIME);
    assert_string_equal(p->place, "");
    const char *recalled[] = {"K2", "K9", "FA-50"};
    for (int i = 0; i < 3; i++) {
        const ds_mention *c = find(ms, n, DS_ROLE_CONTEXT, recalled[i]);
        assert_int_equal(c->signing_year, 2022);
        assert_string_equal(c->buyer, "POL");
        assert_false(c->value.set); /* the $6.5B belongs to the new deal */
    }
    free(text);
}

/* Seed 001: the signing of the second batch, and the first batch it follows. */
static void test_seed_signed(void **state)
{
    (void)state;
    char *text;
    ds_article a;
    SEED_OR_SKIP("001_", text, a);
    const ds_mention *ms;
    char err[128];
    int n = ds_extract(ex, &a, &ms, err, sizeof err);
    assert_int_equal(n, 2);
    const ds_mention *p = only_primary(ms, n);
    assert_string_equal(p->buyer, "POL");
    assert_string_equal(p->seller, "KOR");
    assert_string_equal(p->system, "K2");
    assert_int_equal(p->stage, DS_STAGE_EXECUTIVE);
    assert_int_equal(p->status, DS_STATUS_SIGNED);
    assert_int_equal(p->batch, 2);
    assert_int_equal(p->signing_date, day("2025-08-01")); /* "on Friday", article of Saturday 2025-08-02 */
    assert_string_equal(p->place, "Gliwice");
    assert_int_equal(p->quantity, 180);
    assert_int_equal(p->nvariants, 2);
    assert_string_equal(p->variants[0].system, "K2");
    assert_int_equal(p->variants[0].quantity, 116);
    assert_string_equal(p->variants[1].system, "K2PL");
    assert_int_equal(p->variants[1].quantity, 64);
    assert_int_equal(p->nextras, 1);
    assert_string_equal(p->extras[0].what, "support vehicles");
    assert_int_equal(p->extras[0].quantity, 81);
    assert_int_equal(p->value.usd, 650000000000LL);
    assert_int_equal(p->nsuppliers, 2);
    assert_string_equal(p->suppliers[0].company, "HYUNDAI_ROTEM");
    assert_int_equal(p->suppliers[0].role, DS_SUP_PRIME);
    assert_string_equal(p->suppliers[1].company, "PGZ");
    assert_int_equal(p->suppliers[1].role, DS_SUP_LOCAL_PRODUCER);
    assert_int_equal(p->nrels, 1);
    assert_int_equal(p->rels[0].relation, DS_REL_NEXT_BATCH);
    assert_int_equal(p->rels[0].year, 2022);
    assert_int_equal(p->rels[0].quantity, 180);
    assert_int_equal(p->rels[0].batch, 1);
    const ds_mention *c = find(ms, n, DS_ROLE_CONTEXT, "K2");
    assert_int_equal(c->signing_year, 2022);
    assert_int_equal(c->quantity, 180);
    assert_int_equal(c->batch, 1);
    assert_false(c->value.set);
    /* evidence: the value comes from the first sentence, which names it */
    int found = 0;
    for (int i = 0; i < p->nevidence; i++)
        if (strcmp(p->evidence[i].field, "value") == 0) {
            found = 1;
            assert_int_equal(p->evidence[i].start, 0);
            assert_non_null(memmem(a.body + p->evidence[i].start, (size_t)(p->evidence[i].end - p->evidence[i].start),
                                   "$6.5 billion", 12));
        }
    assert_true(found);
    free(text);
}

/* Seed 002: the missile co-production agreement, undated. */
static void test_seed_coproduction(void **state)
{
    (void)state;
    char *text;
    ds_article a;
    SEED_OR_SKIP("002_", text, a);
    assert_int_equal(a.published, DS_NO_TIME);
    const ds_mention *ms;
    char err[128];
    int n = ds_extract(ex, &a, &ms, err, sizeof err);
    assert_int_equal(n, 1);
    const ds_mention *p = only_primary(ms, n);
    assert_string_equal(p->buyer, "POL");
    assert_string_equal(p->seller, "KOR");
    assert_string_equal(p->family, "missile");
    assert_int_equal(p->stage, DS_STAGE_JOINT_VENTURE);
    assert_int_equal(p->status, DS_STATUS_SIGNED);
    assert_int_equal(p->value.usd, 380000000000LL);
    assert_int_equal(p->quantity, -1);
    free(text);
}

static void test_money_forms(void **state)
{
    (void)state;
    struct { const char *text; int64_t amount; const char *cur; } cases[] = {
        {"Poland signed a contract for 180 K2 tanks worth US$6.5 billion on Friday.", 650000000000LL, "USD"},
        {"Poland signed a $6.5bn contract for 180 K2 tanks on Friday.", 650000000000LL, "USD"},
        {"Poland signed a contract for 180 K2 tanks worth 6.5 billion dollars on Friday.", 650000000000LL, "USD"},
        {"Poland signed a contract for 180 K2 tanks worth 25 billion zlotys on Friday.", 2500000000000LL, "PLN"},
        {"Poland signed a contract for 180 K2 tanks worth KRW 8.98 trillion on Friday.", 898000000000000LL, "KRW"},
        {"Poland signed a contract for 218 K239 launchers worth 5.04 trillion won on Friday.", 504000000000000LL, "KRW"},
        {"Australia signed a A$1 billion contract for 30 AS9 howitzers on Friday.", 100000000000LL, "AUD"},
        {"Poland signed a contract for 180 K2 tanks worth PLN\xc2\xa0" "25\xc2\xa0" "billion on Friday.", 2500000000000LL, "PLN"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const ds_mention *ms;
        int n = run(cases[i].text, "2025-08-02", &ms);
        const ds_mention *p = only_primary(ms, n);
        if (!p->value.set || p->value.amount != cases[i].amount)
            fprintf(stderr, "case %zu: %s -> %lld %s\n", i, cases[i].text, (long long)p->value.amount, p->value.currency);
        assert_true(p->value.set);
        assert_int_equal(p->value.amount, cases[i].amount);
        assert_string_equal(p->value.currency, cases[i].cur);
        assert_true(p->value.usd > 0); /* converted with the catalog's rates */
        assert_int_equal(p->signing_date, day("2025-08-01"));
    }
}

static void test_numbers_in_words(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Malaysia signed a contract for eighteen FA-50 light combat aircraft on Monday.", "2023-02-24", &ms);
    const ds_mention *p = only_primary(ms, n);
    assert_string_equal(p->buyer, "MYS");
    assert_int_equal(p->quantity, 18);
    assert_int_equal(p->signing_date, day("2023-02-20"));
    n = run("The Philippines signed for a dozen FA-50PH aircraft on Tuesday.", "2014-03-28", &ms);
    p = only_primary(ms, n);
    assert_int_equal(p->quantity, 12);
    assert_string_equal(p->system, "FA-50PH");
}

static void test_no_deal(void **state)
{
    (void)state;
    const char *negatives[] = {
        "South Korea's arms exports hit a record $17 billion in 2022, with $12.4 billion from Poland alone.",
        "Poland and South Korea discussed possible cooperation on submarines, officials said.",
        "The K2 is the most advanced tank in the region, analysts say.",
    };
    for (size_t i = 0; i < sizeof negatives / sizeof negatives[0]; i++) {
        const ds_mention *ms;
        int n = run(negatives[i], "2023-03-01", &ms);
        for (int k = 0; k < n; k++)
            assert_int_not_equal(ms[k].role, DS_ROLE_PRIMARY);
    }
}

static void test_homar_a_is_not_homar_k(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Poland signed a contract on Tuesday for 486 Homar-A launchers based on HIMARS.", "2023-09-20", &ms);
    const ds_mention *p = only_primary(ms, n);
    assert_string_equal(p->family, "HIMARS");
    assert_string_equal(p->seller, "USA");
    n = run("Poland signed a contract on Tuesday for 72 Homar-K launchers.", "2024-04-26", &ms);
    p = only_primary(ms, n);
    assert_string_equal(p->family, "K239");
    assert_string_equal(p->seller, "KOR");
}

/* "signed ... in October" in a February article recalls an earlier deal;
 * "in January" then is this one; a future "will sign in October" is not a
 * recalled deal. */
static void test_month_without_year(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("The State Department approved 486 HIMARS launchers for Poland on Wednesday. Poland signed a "
                "framework agreement for 288 K239 launchers in October.",
                "2023-02-09", &ms);
    int k239 = 0;
    for (int i = 0; i < n; i++)
        if (strcmp(ms[i].family, "K239") == 0) {
            k239++;
            assert_int_equal(ms[i].role, DS_ROLE_CONTEXT);
            assert_int_equal(ms[i].signing_year, 2022);
        }
    assert_int_equal(k239, 1);
    n = run("Poland signed a framework agreement for 288 K239 launchers in January.", "2023-02-09", &ms);
    assert_int_equal(only_primary(ms, n)->stage, DS_STAGE_FRAMEWORK);
    n = run("Poland will sign a framework agreement for 288 K239 launchers in October.", "2023-02-09", &ms);
    for (int i = 0; i < n; i++)
        assert_int_not_equal(ms[i].role, DS_ROLE_CONTEXT);
}

/* "The Aug. 1 deal is the second executive contract": the date naming the
 * deal dates its signing; a future one does not. */
static void test_date_naming_the_deal(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Poland has ordered another 180 K2 tanks from Hyundai Rotem. The Aug. 1 deal is the second "
                "executive contract under the framework.",
                "2025-08-05", &ms);
    const ds_mention *p = only_primary(ms, n);
    char ymd[16];
    assert_int_not_equal(p->signing_date, DS_NO_DATE);
    ds_format_date(p->signing_date, ymd);
    assert_string_equal(ymd, "2025-08-01");
    n = run("Poland will order another 180 K2 tanks from Hyundai Rotem. The Aug. 20 deal is to be the second "
            "executive contract under the framework.",
            "2025-08-05", &ms);
    for (int i = 0; i < n; i++)
        if (ms[i].role == DS_ROLE_PRIMARY) {
            assert_true(ms[i].signing_date == DS_NO_DATE);
        }
}

/* One contract for two systems; its sum, in a sentence naming neither, is
 * theirs together. Executive contracts still to come under a framework
 * reported signed do not make it an executive contract. */
static void test_joint_sum_and_future_executives(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Norway signed a contract with Hanwha Aerospace on Monday for 24 K9 howitzers and 6 K10 "
                "resupply vehicles. The contract is worth about $700 million.",
                "2024-03-05", &ms);
    int seen = 0;
    for (int i = 0; i < n; i++) {
        if (ms[i].role != DS_ROLE_PRIMARY)
            continue;
        assert_true(strcmp(ms[i].family, "K9") == 0 || strcmp(ms[i].family, "K10") == 0);
        assert_true(ms[i].value.set);
        assert_int_equal(ms[i].value.usd, (int64_t)700000000 * 100);
        assert_true(ms[i].value.combined);
        seen++;
    }
    assert_int_equal(seen, 2);

    n = run("Poland signed a framework agreement with Hanwha Defense on Wednesday for 288 K239 launchers. "
            "Executive contracts, the first of which may be signed before the end of the year, will specify "
            "prices.",
            "2022-10-20", &ms);
    const ds_mention *p = only_primary(ms, n);
    assert_int_equal(p->stage, DS_STAGE_FRAMEWORK);
    assert_int_equal(p->quantity, 288);
    assert_int_equal(p->batch, 0);
}

/* The day of a signing in the framework clause that follows it. */
static void test_day_after_framework_clause(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Armament Agency signs PLN 6.4bn contract for 72 K239 launchers\n\nThe Armament Agency signed "
                "the second executive contract under the Homar-K framework agreement in Warsaw on Monday, "
                "ordering 72 K239 launchers worth PLN 6.4 billion.",
                "2024-04-26", &ms);
    const ds_mention *p = only_primary(ms, n);
    char ymd[16];
    assert_int_not_equal(p->signing_date, DS_NO_DATE);
    ds_format_date(p->signing_date, ymd);
    assert_string_equal(ymd, "2024-04-22");
}

/* "under a framework agreement" both cuts the clause and names the stage
 * of the earlier deal it recalls. */
static void test_framework_in_clause_word(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Poland signed a contract on Friday for 180 K2 tanks under a framework agreement for up to "
                "1,000 tanks.",
                "2022-08-27", &ms);
    assert_int_equal(only_primary(ms, n)->quantity, 180);
    const ds_mention *c = find(ms, n, DS_ROLE_CONTEXT, "K2");
    assert_int_equal(c->stage, DS_STAGE_FRAMEWORK);
    assert_int_equal(c->quantity, 1000);
}

/* "negotiated since last year" says how long talks ran; the clause is this
 * deal's, not an earlier one. */
static void test_since_last_year(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("The next K2 contract will be signed on Friday in Gliwice. The agreement, negotiated with "
                "Hyundai Rotem since last year, is to cover 180 tanks for Poland.",
                "2025-07-31", &ms);
    const ds_mention *p = only_primary(ms, n);
    assert_int_equal(p->quantity, 180);
    for (int i = 0; i < n; i++)
        assert_int_not_equal(ms[i].role, DS_ROLE_CONTEXT);
}

/* "rockets for the Homar-K launchers": a system of another kind named after
 * "for the" describes the thing bought, it is not bought itself. */
static void test_system_describing_system(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Hanwha Aerospace and WB Group signed an agreement in Poland on Tuesday establishing a joint "
                "venture to make CGR-080 guided rockets for the Homar-K launchers.",
                "2025-09-02", &ms);
    assert_string_equal(only_primary(ms, n)->family, "CGR-080");
}

/* A framework named only as the news's parent ("under the 2022
 * framework") is a relation of the primary, not a mention; one recalled
 * with its month or count is a mention. */
static void test_bare_framework(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Poland signed a second executive contract for 152 K9 howitzers on Friday, under the 2022 "
                "framework.",
                "2023-12-02", &ms);
    const ds_mention *p = only_primary(ms, n);
    for (int i = 0; i < n; i++)
        assert_int_not_equal(ms[i].role, DS_ROLE_CONTEXT);
    int rel = 0;
    for (int r = 0; r < p->nrels; r++)
        if (p->rels[r].relation == DS_REL_EXECUTES_FRAMEWORK) {
            assert_int_equal(p->rels[r].year, 2022);
            rel++;
        }
    assert_int_equal(rel, 1);
    n = run("Poland signed a second executive contract for 152 K9 howitzers on Friday, under the framework "
            "signed in July 2022 for 672 howitzers.",
            "2023-12-02", &ms);
    assert_int_equal(find(ms, n, DS_ROLE_CONTEXT, "K9")->stage, DS_STAGE_FRAMEWORK);
}

/* A sum with earlier orders folded in is a running total, not an earlier
 * deal. */
static void test_running_total(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Hanwha Aerospace signed a contract on Monday for 10,000 CGR-080 rockets for Poland. Together "
                "with earlier K239 orders, Poland has now committed more than 12 trillion won.",
                "2025-12-30", &ms);
    assert_string_equal(only_primary(ms, n)->family, "CGR-080");
    for (int i = 0; i < n; i++)
        assert_int_not_equal(ms[i].role, DS_ROLE_CONTEXT);
}

/* "after parliament approved the purchase last month": "the purchase" is
 * the deal being reported, not an earlier one. */
static void test_the_purchase_is_the_news(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Norway will sign a contract with Hanwha Aerospace on Thursday for 24 K9 howitzers, after "
                "parliament approved the purchase last month.",
                "2024-07-08", &ms);
    assert_int_equal(only_primary(ms, n)->status, DS_STATUS_PLANNED);
    for (int i = 0; i < n; i++)
        assert_int_not_equal(ms[i].role, DS_ROLE_CONTEXT);
}

/* Delivery news of one batch recalling another numbered batch: that one is
 * an earlier (or later) contract, not the delivered one, and the delivered
 * batch does not follow a later one. */
static void test_delivery_recalls_other_batch(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("The final 26 K2 tanks of the first batch were handed over to Poland this week, Hyundai Rotem "
                "said on Thursday. Production of the 180 tanks in the second batch, ordered in August, starts "
                "next year.",
                "2025-11-20", &ms);
    const ds_mention *p = only_primary(ms, n);
    assert_int_equal(p->stage, DS_STAGE_DELIVERY);
    assert_int_equal(p->batch, 1);
    assert_int_equal(p->nrels, 0);
    const ds_mention *c = find(ms, n, DS_ROLE_CONTEXT, "K2");
    assert_int_equal(c->batch, 2);
    assert_int_equal(c->quantity, 180);
    /* the delivered batch itself recalled: no second deal */
    n = run("The final 26 K2 tanks of the first batch were handed over to Poland this week, Hyundai Rotem "
            "said on Thursday. The 180 tanks of the first batch were ordered in 2022.",
            "2025-11-20", &ms);
    for (int i = 0; i < n; i++)
        assert_int_not_equal(ms[i].role, DS_ROLE_CONTEXT);
}

/* A recall naming two buyers whose new orders are separate deals cannot be
 * given to either; one buyer's own recall still can. */
static void test_recall_of_several_buyers(void **state)
{
    (void)state;
    const ds_mention *ms;
    const char *text = "Estonia and Finland, which jointly bought K9 howitzers from South Korea in 2017, have both "
                       "ordered more. Estonia signed a contract on Monday for six more K9 howitzers. Finland "
                       "signed a contract on Tuesday for ten additional K9 howitzers.";
    int n = run(text, "2022-10-05", &ms);
    int np = 0;
    for (int i = 0; i < n; i++) {
        assert_int_not_equal(ms[i].role, DS_ROLE_CONTEXT);
        np += ms[i].role == DS_ROLE_PRIMARY;
    }
    assert_int_equal(np, 2);
    n = run("Finland, which bought K9 howitzers from South Korea in 2017, has ordered more. Estonia signed a "
            "contract on Monday for six more K9 howitzers. Finland signed a contract on Tuesday for ten "
            "additional K9 howitzers.",
            "2022-10-05", &ms);
    assert_string_equal(find(ms, n, DS_ROLE_CONTEXT, "K9")->buyer, "FIN");
}

/* A recall clause naming the first executive contract and, after ", and",
 * the framework above it recalls two earlier deals; "in August last year"
 * dates the first. */
static void test_coordinated_recall(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Poland signed a second executive contract for 152 K9 howitzers on Friday. The deal follows the "
                "first executive contract for 212 K9s signed in August last year, and brings the total ordered "
                "to 364 out of the 672 set out in the framework agreement.",
                "2023-12-02", &ms);
    assert_int_equal(only_primary(ms, n)->batch, 2);
    int exec = 0, fw = 0;
    for (int i = 0; i < n; i++) {
        if (ms[i].role != DS_ROLE_CONTEXT)
            continue;
        assert_string_equal(ms[i].family, "K9");
        if (ms[i].stage == DS_STAGE_EXECUTIVE) {
            assert_int_equal(ms[i].quantity, 212);
            assert_int_equal(ms[i].batch, 1);
            assert_int_equal(ms[i].signing_year, 2022);
            exec++;
        } else {
            assert_int_equal(ms[i].stage, DS_STAGE_FRAMEWORK);
            fw++;
        }
    }
    assert_int_equal(exec, 1);
    assert_int_equal(fw, 1);
}

/* "..., which also saw the signing of the first K2 tank contract": an
 * aside naming another system reports a side event; one that counts what
 * the contract buys is still the news. */
static void test_aside_side_event(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Poland signed a contract on Friday for 212 K9 howitzers worth $2.4 billion. The minister spoke "
                "at the ceremony in Morag, which also saw the signing of the first K2 tank contract.",
                "2022-08-26", &ms);
    assert_string_equal(only_primary(ms, n)->family, "K9");
    const ds_mention *c = find(ms, n, DS_ROLE_CONTEXT, "K2");
    assert_int_equal(c->stage, DS_STAGE_EXECUTIVE);
    assert_int_equal(c->batch, 1);
    n = run("Norway signed a contract on Monday for 24 K9 howitzers, which also covers 6 K10 resupply vehicles.",
            "2024-03-05", &ms);
    assert_int_equal(find(ms, n, DS_ROLE_PRIMARY, "K10")->quantity, 6);
}

/* A context mention cites the sentence that recalls the earlier deal. */
static void test_context_evidence(void **state)
{
    (void)state;
    const ds_mention *ms;
    const char *text = "Poland signed a contract for 152 K9 howitzers on Friday. It follows the first executive "
                       "contract for 212 K9 howitzers, signed in 2022.";
    int n = run(text, "2023-12-02", &ms);
    const ds_mention *c = find(ms, n, DS_ROLE_CONTEXT, "K9");
    int seen = 0;
    for (int i = 0; i < c->nevidence; i++)
        if (strcmp(c->evidence[i].field, "stage") == 0) {
            assert_int_equal(c->evidence[i].start, (int32_t)(strstr(text, "It follows") - text));
            assert_int_equal(c->evidence[i].end, (int32_t)strlen(text));
            seen++;
        }
    assert_int_equal(seen, 1);
}

/* "The contracts are the first executive agreements", naming no system,
 * numbers every deal of the article. */
static void test_plural_first_numbers_all(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Poland signed contracts on Friday for 180 K2 tanks and 212 K9 howitzers worth $5.8 billion. The "
                "contracts are the first executive agreements with South Korea.",
                "2022-08-27", &ms);
    assert_int_equal(find(ms, n, DS_ROLE_PRIMARY, "K2")->batch, 1);
    assert_int_equal(find(ms, n, DS_ROLE_PRIMARY, "K9")->batch, 1);
}

/* "The first two executive contracts, signed in 2022 and 2024, covered 218
 * and 72 launchers respectively": two earlier contracts, each with its count,
 * year and batch, of the system the framework names. */
static void test_respectively_lists_deals(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Poland orders 10,000 CGR-080 rockets\n\nPoland signed a third executive contract under the "
                "Homar-K framework agreement on Monday, ordering 10,000 CGR-080 rockets. The first two "
                "executive contracts, signed in 2022 and 2024, covered 218 and 72 launchers respectively.",
                "2025-12-30", &ms);
    assert_string_equal(only_primary(ms, n)->family, "CGR-080");
    int seen = 0;
    for (int i = 0; i < n; i++) {
        if (ms[i].role != DS_ROLE_CONTEXT || strcmp(ms[i].family, "K239") != 0)
            continue;
        assert_int_equal(ms[i].stage, DS_STAGE_EXECUTIVE);
        assert_int_equal(ms[i].quantity, seen == 0 ? 218 : 72);
        assert_int_equal(ms[i].signing_year, seen == 0 ? 2022 : 2024);
        assert_int_equal(ms[i].batch, seen + 1);
        seen++;
    }
    assert_int_equal(seen, 2);
}

/* Collects the context mentions of family fam in ms[0, n): their counts and
 * years in order into qty[] and year[] (room for max); returns how many. */
static int contexts_of(const ds_mention *ms, int n, const char *fam, int64_t *qty, int *year, int max)
{
    int seen = 0;
    for (int i = 0; i < n && seen < max; i++) {
        if (ms[i].role != DS_ROLE_CONTEXT || strcmp(ms[i].family, fam) != 0)
            continue;
        assert_int_equal(ms[i].stage, DS_STAGE_EXECUTIVE);
        qty[seen] = ms[i].quantity;
        year[seen++] = ms[i].signing_year;
    }
    return seen;
}

/* A recall that gives each earlier order its own count and then its own
 * year ("24 howitzers in 2018 and 18 more, with spares, in 2021") lists two
 * contracts, each with its count and year, without "respectively"; a count
 * list with only one year is not such a list. */
static void test_paired_counts_and_years_list_deals(void **state)
{
    (void)state;
    const ds_mention *ms;
    int64_t qty[4];
    int year[4];
    int n = run("Estonia signs for 12 more K9 howitzers\n\nEstonia signed a contract on Monday for 12 more K9 "
                "howitzers. The deal comes after orders for 24 howitzers (about $50 million) in 2018 and 6 "
                "howitzers (with spare parts) in 2022.",
                "2023-10-03", &ms);
    assert_int_equal(only_primary(ms, n)->quantity, 12);
    assert_int_equal(contexts_of(ms, n, "K9", qty, year, 4), 2);
    assert_int_equal(qty[0], 24);
    assert_int_equal(year[0], 2018);
    assert_int_equal(qty[1], 6);
    assert_int_equal(year[1], 2022);
    /* one year for two counts: one recall, not two */
    n = run("Estonia signs for 12 more K9 howitzers\n\nEstonia signed a contract on Monday for 12 more K9 "
            "howitzers. The deal comes after orders for 24 howitzers and 6 howitzers in 2022.",
            "2023-10-03", &ms);
    assert_true(contexts_of(ms, n, "K9", qty, year, 4) <= 1);
}

/* "three earlier contracts, from 2015, 2019 and 2021, covered 8, 6 and 4
 * helicopters": as many contracts said as counts and years listed pair them
 * in order, as "respectively" would. */
static void test_stated_contract_count_pairs_lists(void **state)
{
    (void)state;
    const ds_mention *ms;
    int64_t qty[4];
    int year[4];
    int n = run("Poland orders 96 AH-64E Apache helicopters\n\nPoland signed a contract on Tuesday for 96 AH-64E "
                "Apache helicopters. Two earlier contracts, from 2019 and 2021, covered 8 and 4 helicopters.",
                "2024-08-14", &ms);
    assert_int_equal(only_primary(ms, n)->quantity, 96);
    assert_int_equal(contexts_of(ms, n, "AH-64", qty, year, 4), 2);
    assert_int_equal(qty[0], 8);
    assert_int_equal(year[0], 2019);
    assert_int_equal(qty[1], 4);
    assert_int_equal(year[1], 2021);
}

/* A recall that coordinates a framework signing with the executive
 * contracts that followed ("framework agreements in March for A and B, and
 * executive contracts for 40 tanks and 24 howitzers followed in June")
 * recalls the executive contracts with their own counts, not the
 * frameworks with the executive counts. */
static void test_framework_then_executive_recalls_both(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Poland orders 96 AH-64E Apache helicopters\n\nPoland signed a contract on Tuesday for 96 AH-64E "
                "Apache helicopters. Poland signed framework agreements in March 2022 for K2 tanks and K9 "
                "howitzers, and executive contracts for 40 tanks and 24 howitzers followed in June.",
                "2024-08-14", &ms);
    assert_int_equal(only_primary(ms, n)->quantity, 96);
    int k2_exec = 0, k9_exec = 0;
    for (int i = 0; i < n; i++) {
        if (ms[i].role != DS_ROLE_CONTEXT)
            continue;
        if (ms[i].stage == DS_STAGE_FRAMEWORK)
            assert_true(ms[i].quantity != 40 && ms[i].quantity != 24); /* not the executive counts */
        if (ms[i].stage == DS_STAGE_EXECUTIVE && strcmp(ms[i].family, "K2") == 0 && ms[i].quantity == 40)
            k2_exec++;
        if (ms[i].stage == DS_STAGE_EXECUTIVE && strcmp(ms[i].family, "K9") == 0 && ms[i].quantity == 24)
            k9_exec++;
    }
    assert_int_equal(k2_exec, 1);
    assert_int_equal(k9_exec, 1);
}

/* "has bought ... in recent years, including X and Y": a span of past years
 * makes the purchases it names recalls of earlier deals, not the news. */
static void test_recent_years_recall(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Greece orders 18 Rafale jets\n\nGreece signed a contract on Monday for 18 Rafale fighters. Athens "
                "has bought American and German arms in recent years, including F-16 fighters and Leopard 2 "
                "tanks.",
                "2021-01-26", &ms);
    assert_string_equal(only_primary(ms, n)->family, "RAFALE");
    int recalls = 0;
    for (int i = 0; i < n; i++) {
        if (ms[i].role != DS_ROLE_CONTEXT)
            continue;
        assert_string_equal(ms[i].buyer, "GRC");
        recalls += strcmp(ms[i].family, "F-16") == 0 ? 1 : strcmp(ms[i].family, "LEOPARD2") == 0 ? 2 : 100;
    }
    assert_int_equal(recalls, 3); /* the F-16 and the Leopard 2, nothing else */
}

/* "concluded" signs when its object is a contract, not when it is the talks
 * before one: "concluded final negotiations on a contract ... expected to be
 * signed" is planned, and no signing date is read from the article's day. */
static void test_concluded_talks_are_not_a_signing(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Hyundai Rotem and Poland's defence ministry have concluded final negotiations on a second "
                "executive contract for 180 K2 tanks, DAPA said on Tuesday. The contract is expected to be signed "
                "in Warsaw next week.",
                "2025-07-29", &ms);
    const ds_mention *m = only_primary(ms, n);
    assert_string_equal(m->family, "K2");
    assert_int_equal(m->status, DS_STATUS_PLANNED);
    assert_int_equal(m->signing_date, DS_NO_DATE);
    n = run("Hyundai Rotem and Poland's defence ministry concluded a second executive contract for 180 K2 tanks "
            "on Tuesday.",
            "2025-07-29", &ms);
    m = only_primary(ms, n);
    assert_int_equal(m->status, DS_STATUS_SIGNED);
    assert_int_equal(m->signing_date, day("2025-07-29"));
}

/* A signed export contract whose guns will partly be built in the buyer's
 * country under a technology transfer is a purchase, not a joint venture;
 * a lead that reports the joint venture itself still is one. */
static void test_local_production_of_a_purchase(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Hanwha Defense has signed a contract worth more than 2 trillion won to export K9 self-propelled "
                "howitzers to Egypt. The contract covers a version which will be partly produced in Egypt under "
                "a technology transfer arrangement.",
                "2022-02-02", &ms);
    const ds_mention *m = only_primary(ms, n);
    assert_string_equal(m->family, "K9");
    assert_int_equal(m->stage, DS_STAGE_EXECUTIVE);
    assert_int_equal(m->status, DS_STATUS_SIGNED);
    n = run("Hanwha Defense and Egypt signed a joint venture agreement on Tuesday to co-produce K9 "
            "self-propelled howitzers in Egypt.",
            "2022-02-02", &ms);
    assert_int_equal(only_primary(ms, n)->stage, DS_STAGE_JOINT_VENTURE);
}

/* "The government said on Thursday it would acquire 129 Redbacks" dates a
 * selection, made known that day; the same words do not date a signing. */
static void test_said_it_would_dates_a_selection(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Australia has selected Hanwha's AS21 Redback as its infantry fighting vehicle. The government said "
                "on Thursday it would acquire 129 Redbacks.",
                "2023-07-28", &ms);
    const ds_mention *m = only_primary(ms, n);
    assert_string_equal(m->family, "AS21");
    assert_int_equal(m->stage, DS_STAGE_SELECTION);
    assert_int_equal(m->signing_date, day("2023-07-27"));
    n = run("Poland has signed a contract for 180 K2 tanks. The ministry said on Monday it would acquire more "
            "K2 tanks.",
            "2025-08-06", &ms);
    m = only_primary(ms, n);
    assert_int_equal(m->status, DS_STATUS_SIGNED);
    assert_int_equal(m->signing_date, DS_NO_DATE);
}

/* The only primary mention of text published on pub has stage, status and
 * signing day (each unchecked when -1, -1 or ANY_DAY); returns it. */
#define ANY_DAY INT32_MIN
static const ds_mention *expect_primary(const char *text, const char *pub, int stage, int status, int32_t signing)
{
    const ds_mention *ms;
    int n = run(text, pub, &ms);
    const ds_mention *p = only_primary(ms, n);
    if (stage >= 0)
        assert_int_equal(p->stage, stage);
    if (status >= 0)
        assert_int_equal(p->status, status);
    if (signing != ANY_DAY)
        assert_int_equal(p->signing_date, signing);
    return p;
}

/* An approval the article recalls ("the government cleared the purchase in
 * March") does not undo a signing it dates in a clause of its own; an
 * approval alone stays an approval. */
static void test_recalled_approval_keeps_signing(void **state)
{
    (void)state;
    expect_primary("Lithuania's big helicopter buy\n\nLithuania signed a contract on Monday for 12 AH-64E Apache "
                   "helicopters worth $2 billion. Washington cleared the sale in March with a ceiling of $2.5 billion.",
                   "2025-06-03", DS_STAGE_EXECUTIVE, DS_STATUS_SIGNED, day("2025-06-02"));
    expect_primary("Washington cleared the sale of 12 AH-64E Apache helicopters to Lithuania on Monday with a "
                   "ceiling of $2.5 billion.",
                   "2025-06-03", DS_STAGE_APPROVAL, DS_STATUS_APPROVED, ANY_DAY);
}

/* A release's present-tense announcement ("is pleased to announce that it
 * has signed") dates the signing to its own day; without the announcement
 * a bare "has signed" gives no day. */
static void test_release_announcement_dates(void **state)
{
    (void)state;
    const ds_mention *p = expect_primary("Hanwha Aerospace is pleased to announce that it has signed a contract with "
                                         "Estonia for 12 K9 howitzers.",
                                         "2025-06-03", -1, DS_STATUS_SIGNED, day("2025-06-03"));
    assert_string_equal(p->buyer, "EST");
    expect_primary("Hanwha Aerospace has signed a contract with Estonia for 12 K9 howitzers.", "2025-06-03", -1, -1,
                   DS_NO_DATE);
}

/* A state buying from its own industry: the seller's country is the buyer
 * when one of its own authorities or forces is named and no other country
 * is a party; a ministry's name that many countries' ministries share
 * ("Ministry of Defence") names no country by itself. */
static void test_domestic_buyer(void **state)
{
    (void)state;
    const ds_mention *p = expect_primary("The Ministry of Defence signed a contract with Bharat Electronics Limited "
                                         "on Monday for 24 Vajrakosh radars for the Indian Army.",
                                         "2025-06-03", -1, DS_STATUS_SIGNED, day("2025-06-02"));
    assert_string_equal(p->family, "VAJRAKOSH");
    assert_string_equal(p->buyer, "IND");
    assert_string_equal(p->seller, "IND");
    assert_int_equal(p->quantity, 24);
    /* a shared ministry name beside a foreign seller leaves the named buyer */
    p = expect_primary("Estonia's Ministry of Defence signed a contract on Monday with Hanwha Aerospace for 12 K9 "
                       "howitzers.",
                       "2025-06-03", -1, -1, ANY_DAY);
    assert_string_equal(p->buyer, "EST");
    assert_string_equal(p->seller, "KOR");
    /* a company's own country named alone, with no authority of it, buys nothing */
    const ds_mention *ms;
    int n = run("Hanwha Aerospace of South Korea signed a contract on Monday for 12 K9 howitzers.", "2025-06-03", &ms);
    for (int k = 0; k < n; k++)
        if (ms[k].role == DS_ROLE_PRIMARY)
            assert_string_not_equal(ms[k].buyer, "KOR");
}

/* A system the catalog lacks (the names here are invented, so that a
 * growing catalog never learns them) is read from its shape: a designation before
 * a head noun (words of kind between them), normalised as labels write
 * families (upper case, no "-class", no name after the model number), with
 * its own family and the head noun's category, marked out of catalog;
 * later bare mentions are the same system, and a catalog system named in
 * passing elsewhere is not borrowed. */
static void test_open_world_systems(void **state)
{
    (void)state;
    struct { const char *text; const char *sys; const char *cat; int64_t qty; } cases[] = {
        {"Chile signed a contract for 48 Velebit howitzers on Monday.", "VELEBIT", "howitzer", 48},
        {"Estonia signed a contract on Monday to buy six Sky Lantern air-defence systems.", "SKY LANTERN", "air_defence", 6},
        {"Denmark has ordered 19 MERA A-250 frigates, officials said on Monday.", "MERA A-250", "ship", 19},
        {"Taiwan signed a contract for 4 Kestrel 700 drones on Monday.", "KESTREL 700", "uav", 4},
        {"Norway signed for 54 Leopard 3 tanks on Monday.", "LEOPARD 3", "tank", 54},
        {"Chile signed a contract for nine KC-2 Millennium military transport aircraft on Monday.", "KC-2",
         "aircraft", 9},
        {"Finland signed a contract on Monday for two Goliath's Stone air defence systems.", "GOLIATH'S STONE",
         "air_defence", 2},
        {"Peru ordered 12 Arequipa-class frigates on Monday.", "AREQUIPA", "ship", 12},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const ds_mention *ms;
        int n = run(cases[i].text, "2025-06-03", &ms);
        const ds_mention *p = only_primary(ms, n);
        if (strcmp(p->system, cases[i].sys) != 0)
            fprintf(stderr, "case %zu: %s -> system '%s'\n", i, cases[i].text, p->system);
        assert_string_equal(p->system, cases[i].sys);
        assert_string_equal(p->family, cases[i].sys);
        assert_string_equal(p->category, cases[i].cat);
        assert_int_equal(p->out_of_catalog, 1);
        assert_int_equal(p->quantity, cases[i].qty);
        assert_int_equal(p->signing_date, day("2025-06-02"));
    }
    /* catalog systems are flagged as such */
    const ds_mention *ms;
    int n = run("Poland signed a contract for 180 K2 tanks on Monday.", "2025-06-03", &ms);
    const ds_mention *p = only_primary(ms, n);
    assert_string_equal(p->category, "tank");
    assert_int_equal(p->out_of_catalog, 0);
    /* the unknown howitzer is not the K9 recalled in passing; its bare
     * name later in the article is the same system */
    n = run("Romania signed a contract on Monday for 54 Dravica howitzers worth $1.2 billion. "
            "The army already operates K9 howitzers bought in 2021. "
            "The first Dravica guns will arrive in 2027.",
            "2025-06-03", &ms);
    p = only_primary(ms, n);
    assert_string_equal(p->family, "DRAVICA");
    assert_string_equal(p->buyer, "ROU");
    assert_int_equal(p->quantity, 54);
    assert_int_equal(p->value.amount, 120000000000LL);
    /* title-case headlines name no system by their capitals alone */
    n = run("Poland Buys More Tanks From Abroad", "2025-06-03", &ms);
    for (int k = 0; k < n; k++)
        assert_int_not_equal(ms[k].role, DS_ROLE_PRIMARY);
    /* parts of one package listed beside a system are not deals */
    n = run("The United States approved the possible sale of 96 AH-64E Apache helicopters to Poland, along with "
            "engines, Hellfire and Spike missiles, on Monday.",
            "2025-06-03", &ms);
    p = only_primary(ms, n);
    assert_string_equal(p->family, "AH-64");
}

/* A denial signs nothing; a running total ("so far") is no delivery; an
 * approval notice is status approved with its ceiling; the items listed
 * after the main system of one notice are parts of it. */
static void test_denials_totals_approvals(void **state)
{
    (void)state;
    const ds_mention *ms;
    const char *negatives[] = {
        "Hanwha on Monday denied reports that it had signed a contract to sell K9 howitzers to Vietnam.",
        "Peru has received more than 40 K2 tanks so far, the army said on Monday.",
    };
    for (size_t i = 0; i < sizeof negatives / sizeof negatives[0]; i++) {
        int n = run(negatives[i], "2025-06-03", &ms);
        for (int k = 0; k < n; k++)
            assert_int_not_equal(ms[k].role, DS_ROLE_PRIMARY);
    }
    int n = run("The State Department approved a possible sale to Norway of 24 AH-64E Apache helicopters for an "
                "estimated $3 billion on Monday. Norway requested 24 AH-64E Apache helicopters; 300 Hellfire missiles; "
                "twelve Longbow radars and 60 T700 engines.",
                "2025-06-03", &ms);
    const ds_mention *p = only_primary(ms, n);
    assert_string_equal(p->family, "AH-64");
    assert_int_equal(p->stage, DS_STAGE_APPROVAL);
    assert_int_equal(p->status, DS_STATUS_APPROVED);
    assert_int_equal(p->value.amount, 300000000000LL);
    assert_int_equal(p->signing_date, day("2025-06-02"));
    /* a catalog missile bought with its launchers is part of their contract */
    n = run("Poland signed a contract on Monday for 72 K239 launchers and 40 CTM-290 missiles worth $1.6 billion.",
            "2025-06-03", &ms);
    p = only_primary(ms, n);
    assert_string_equal(p->family, "K239");
    assert_int_equal(p->quantity, 72);
}

/* Sums as reporting writes them the world over: Indian scales, decimal
 * commas, words, crowns, pesos, reais, lira, yen, won, zloty and their
 * signs; converted at the rate of the deal's year. */
static void test_money_world(void **state)
{
    (void)state;
    struct { const char *text; int64_t amount; const char *cur; } cases[] = {
        {"India signed a contract for 100 K9 howitzers worth Rs 7,629 crore on Monday.", 7629000000000LL, "INR"},
        {"India signed a contract for 100 K9 howitzers worth \xe2\x82\xb9" "500 crore on Monday.", 500000000000LL, "INR"},
        {"India signed a contract for 97 K9 howitzers worth 1 lakh crore rupees on Monday.", 100000000000000LL, "INR"},
        {"Estonia signed a contract for 12 K9 howitzers worth EUR 1,1 billion on Monday.", 110000000000LL, "EUR"},
        {"Poland signed a contract for 180 K2 tanks worth nearly half a billion dollars on Monday.", 50000000000LL, "USD"},
        {"Sweden signed a contract for 48 K9 howitzers worth 4.2 billion kronor on Monday.", 420000000000LL, "SEK"},
        {"Norway signed a contract for 24 K9 howitzers worth 2 billion Norwegian crowns on Monday.", 200000000000LL, "NOK"},
        {"Brazil signed a contract for 36 K9 howitzers worth 5 billion reais on Monday.", 500000000000LL, "BRL"},
        {"Turkey signed a contract for 20 K9 howitzers worth 9 billion lira on Monday.", 900000000000LL, "TRY"},
        {"Japan signed a contract for 12 K9 howitzers worth 60 billion yen on Monday.", 6000000000000LL, "JPY"},
        {"Colombia signed a contract for 12 K9 howitzers worth 900 billion Colombian pesos on Monday.", 90000000000000LL, "COP"},
        {"Poland signed a contract for 180 K2 tanks worth 2,35 mld zl on Monday.", 235000000000LL, "PLN"},
        {"Qatar signed a contract for 12 K9 howitzers worth 1.5 billion pounds sterling on Monday.", 150000000000LL, "GBP"},
        {"Oman signed a contract for 24 K9 howitzers worth 800 million sterling on Monday.", 80000000000LL, "GBP"},
        {"Azerbaijan signed a contract for 18 K9 howitzers worth 1,2 milyar sterlin on Monday.", 120000000000LL, "GBP"},
        {"Malaysia signed a contract for 12 K9 howitzers worth 1,5 miliar dolar AS on Monday.", 150000000000LL, "USD"},
        {"Indonesia signed a contract for 18 K9 howitzers worth 9 triliun rupiah on Monday.", 900000000000000LL, "IDR"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const ds_mention *ms;
        int n = run(cases[i].text, "2025-06-03", &ms);
        const ds_mention *p = only_primary(ms, n);
        if (!p->value.set || p->value.amount != cases[i].amount || strcmp(p->value.currency, cases[i].cur) != 0)
            fprintf(stderr, "case %zu: %s -> %lld %s\n", i, cases[i].text, (long long)p->value.amount,
                    p->value.currency);
        assert_true(p->value.set);
        assert_int_equal(p->value.amount, cases[i].amount);
        assert_string_equal(p->value.currency, cases[i].cur);
        assert_true(p->value.usd > 0);
    }
    /* the rate of the signing year, not today's: 10 billion kronor in 2020 and in 2024 */
    const ds_mention *ms;
    int n = run("Sweden signed a contract on 2 March 2020 for 48 K9 howitzers worth 10 billion kronor.", "2020-03-03", &ms);
    int64_t usd2020 = only_primary(ms, n)->value.usd;
    n = run("Sweden signed a contract on 4 March 2024 for 48 K9 howitzers worth 10 billion kronor.", "2024-03-05", &ms);
    int64_t usd2024 = only_primary(ms, n)->value.usd;
    assert_int_equal(usd2020, llround(10e9 / ds_catalog_rate(cat, "SEK", 2020) * 100));
    assert_int_equal(usd2024, llround(10e9 / ds_catalog_rate(cat, "SEK", 2024) * 100));
    assert_true(usd2020 != usd2024);
}

/* The stages of DOMAIN.md beyond contracts: a memorandum, an amendment of
 * an existing contract, a cancellation (status cancelled); a shortlist is
 * no deal; a system an article names in passing beside a counted, priced
 * deal is no deal of its own. */
static void test_stages_and_background(void **state)
{
    (void)state;
    struct { const char *text; ds_stage stage; ds_status status; } cases[] = {
        {"Vietnam signed a memorandum of understanding with KAI on Monday on 12 FA-50 aircraft.",
         DS_STAGE_MEMORANDUM, DS_STATUS_SIGNED},
        {"Poland's Armament Agency awarded Hanwha a $120 million contract modification on Monday for 18 more K9 "
         "howitzers.",
         DS_STAGE_AMENDMENT, DS_STATUS_SIGNED},
        {"Peru cancelled its contract for 24 K9 howitzers worth $600 million on Monday.", DS_STAGE_CANCELLATION,
         DS_STATUS_CANCELLED},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const ds_mention *ms;
        int n = run(cases[i].text, "2025-06-03", &ms);
        const ds_mention *p = only_primary(ms, n);
        if (p->stage != cases[i].stage)
            fprintf(stderr, "case %zu: %s -> stage %s\n", i, cases[i].text, ds_stage_names[p->stage]);
        assert_int_equal(p->stage, cases[i].stage);
        assert_int_equal(p->status, cases[i].status);
    }
    const ds_mention *ms;
    int n = run("Denmark shortlisted the K9 and the Archer for its new howitzer on Monday.", "2025-06-03", &ms);
    for (int k = 0; k < n; k++)
        assert_int_not_equal(ms[k].role, DS_ROLE_PRIMARY);
    /* an article about something else that names deals with no count, sum or date */
    n = run("The KF-21 flew for the first time on Monday. Poland, which signed for K2 tanks and K9 howitzers, is "
            "watching the programme.",
            "2025-06-03", &ms);
    for (int k = 0; k < n; k++)
        assert_int_not_equal(ms[k].role, DS_ROLE_PRIMARY);
    n = run("Egypt, whose air force flies the F-16, signed a contract on Monday for 100 K9 howitzers worth "
            "$1.7 billion.",
            "2025-06-03", &ms);
    const ds_mention *p = only_primary(ms, n);
    assert_string_equal(p->family, "K9");
    assert_int_equal(p->quantity, 100);
}

/* Clause structure: two deals in one sentence joined by "while", each with
 * its own sum; a framework list without a price; an option of an earlier
 * contract exercised ("12 more") is news though it names that contract's
 * year; talks concluded with a signing expected are a planned deal. */
static void test_clause_structure(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Hyundai Rotem will deliver 180 K2 tanks to Poland in a contract worth $3.37 billion, while Hanwha "
                "will supply 212 K9 howitzers for $2.4 billion, the ministry said on Monday.",
                "2025-06-03", &ms);
    const ds_mention *k2 = find(ms, n, DS_ROLE_PRIMARY, "K2"), *k9 = find(ms, n, DS_ROLE_PRIMARY, "K9");
    assert_int_equal(k2->quantity, 180);
    assert_int_equal(k2->value.amount, 337000000000LL);
    assert_int_equal(k9->quantity, 212);
    assert_int_equal(k9->value.amount, 240000000000LL);
    assert_int_equal(k9->value.combined, 0);

    /* two deals of one family in one sentence, each clause with its buyer and sum */
    n = run("Latvia signed on Wednesday for additional K9 howitzers worth EUR 210 million, while Peru placed an order "
            "on Thursday for 24 K9 howitzers worth EUR 120 million, Hanwha said.",
            "2025-06-06", &ms);
    int nk9 = 0;
    for (int k = 0; k < n; k++) {
        if (ms[k].role != DS_ROLE_PRIMARY)
            continue;
        nk9++;
        if (strcmp(ms[k].buyer, "LVA") == 0) {
            assert_int_equal(ms[k].value.amount, 21000000000LL);
            assert_int_equal(ms[k].signing_date, day("2025-06-04"));
        } else {
            assert_string_equal(ms[k].buyer, "PER");
            assert_int_equal(ms[k].value.amount, 12000000000LL);
            assert_int_equal(ms[k].quantity, 24);
        }
    }
    assert_int_equal(nk9, 2);

    n = run("Poland's Armament Agency approved framework agreements on Monday under which it plans to acquire "
            "1,000 K2 tanks, 672 K9 howitzers and 48 FA-50 jets.",
            "2025-06-03", &ms);
    assert_int_equal(find(ms, n, DS_ROLE_PRIMARY, "K2")->quantity, 1000);
    assert_int_equal(find(ms, n, DS_ROLE_PRIMARY, "K9")->stage, DS_STAGE_FRAMEWORK);
    assert_int_equal(find(ms, n, DS_ROLE_PRIMARY, "FA-50")->quantity, 48);

    n = run("Estonia exercised the option in its 2023 contract on Monday, ordering 12 more K9 howitzers.", "2025-06-03",
            &ms);
    const ds_mention *p = only_primary(ms, n);
    assert_int_equal(p->stage, DS_STAGE_OPTION);
    assert_int_equal(p->quantity, 12);
    n = run("Norway on Monday ordered 18 additional K9 howitzers, expanding the order it placed in 2017.", "2025-06-03",
            &ms);
    p = only_primary(ms, n);
    assert_int_equal(p->quantity, 18);
    assert_int_equal(p->rels[0].relation, DS_REL_NEXT_BATCH);

    n = run("Talks on the purchase of 96 K9 howitzers have concluded and the contract is expected to be signed later "
            "this month, Vietnam's ministry said on Monday.",
            "2025-06-03", &ms);
    p = only_primary(ms, n);
    assert_int_equal(p->status, DS_STATUS_PLANNED);
    assert_string_equal(p->buyer, "VNM");
}

/* A variant written glued to its family's name is that family; a
 * superlative "to date" leaves a signing a signing; the day of a signing
 * may sit in a later clause of its sentence. */
static void test_variants_superlatives_days(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Egypt signed a contract with Hanwha on Tuesday for 200 K9A1XYZ self-propelled howitzers worth about "
                "$1.7 billion, its largest export deal to date.",
                "2022-02-01", &ms);
    const ds_mention *p = only_primary(ms, n);
    assert_string_equal(p->family, "K9");
    assert_int_equal(p->out_of_catalog, 0);
    assert_int_equal(p->signing_date, day("2022-02-01"));
    assert_int_equal(p->value.amount, 170000000000LL);
    n = run("Poland's Armament Agency signed a third executive contract under the Homar-K programme on Monday, "
            "ordering 72 K239 launchers worth about 14 billion zlotys.",
            "2025-12-30", &ms);
    p = only_primary(ms, n);
    assert_int_equal(p->signing_date, day("2025-12-29"));
}

/* Translated press: signing verbs and sums in the source language, native
 * country names, and an authority naming its state as the buyer. */
static void test_translated_press(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Umowa podpisana. On Tuesday Polska put its signature under the agreement for 250 M1A2 Abrams tanks; "
                "the value is 4,75 mld dolarow.",
                "2022-04-06", &ms);
    const ds_mention *p = only_primary(ms, n);
    assert_string_equal(p->buyer, "POL");
    assert_int_equal(p->quantity, 250);
    assert_int_equal(p->value.amount, 475000000000LL);
    assert_string_equal(p->value.currency, "USD");
    n = run("The Federal Office for Bundeswehr Equipment signed a contract on Monday for 35 F-35A aircraft worth "
            "8,3 bilhao de euros.",
            "2025-06-03", &ms);
    p = only_primary(ms, n);
    assert_string_equal(p->buyer, "DEU");
    assert_string_equal(p->seller, "USA");
    assert_int_equal(p->value.amount, 830000000000LL);
    assert_string_equal(p->value.currency, "EUR");
    n = run("Umowa wykonawcza na K2 zostanie podpisana w piatek: Poland will buy 180 K2 tanks.", "2025-07-31", &ms);
    p = only_primary(ms, n);
    assert_int_equal(p->status, DS_STATUS_PLANNED);
}

/* A headline's count and sum stand until the body states its own (an
 * interview's headline rounds); a calibre or a range counts nothing. */
static void test_headline_and_measures(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Chile to get 50 K9 howitzers in $1bn deal\n\nChile signed a contract on Monday for 48 K9 howitzers "
                "worth $950 million, along with 155 mm shells, the defence minister said in an interview.",
                "2025-06-03", &ms);
    const ds_mention *p = only_primary(ms, n);
    assert_int_equal(p->quantity, 48);
    assert_int_equal(p->value.amount, 95000000000LL);
    assert_int_equal(p->nextras, 0);
    n = run("Chile to get 50 K9 howitzers in $1bn deal\n\nChile signed the contract on Monday, the minister said.",
            "2025-06-03", &ms);
    p = only_primary(ms, n);
    assert_int_equal(p->quantity, 50);
    assert_int_equal(p->value.amount, 100000000000LL);
}

/* A lead that selects is a selection though the article expects or
 * recalls a signing; a government that clears a purchase approves it. */
static void test_selection_and_clearance(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Chile has selected the K9 as its next howitzer, the government said on Thursday. A contract for "
                "60 guns is expected to be signed next year.",
                "2025-06-06", &ms);
    const ds_mention *p = only_primary(ms, n);
    assert_int_equal(p->stage, DS_STAGE_SELECTION);
    assert_int_equal(p->status, DS_STATUS_PLANNED);
    n = run("Chile's cabinet on Wednesday cleared the purchase of 60 K9 howitzers worth $900 million.", "2025-06-06",
            &ms);
    p = only_primary(ms, n);
    assert_int_equal(p->stage, DS_STAGE_APPROVAL);
    assert_int_equal(p->status, DS_STATUS_APPROVED);
    assert_int_equal(p->signing_date, day("2025-06-04"));
}

/* Tables and fact boxes: each labelled row of a box speaks of the box's
 * deal; a system followed by "fleet" is what the buyer already flies; a
 * headline naming only the programme of the body's purchase is no deal. */
static void test_factbox_fleet_programme(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Fact file: Chile's new fighters\n\nChile signed the contract for its new jets on Monday, closing "
                "years of debate over how to replace its ageing F-5 fleet.\n\n- Buyer: Chile\n- System: Gripen E\n"
                "- Quantity: 14 aircraft\n- Value: about $1.2 billion\n- Signed: 3 March 2025, Santiago\n",
                "2025-03-05", &ms);
    const ds_mention *p = only_primary(ms, n);
    assert_string_equal(p->family, "GRIPEN");
    assert_string_equal(p->buyer, "CHL");
    assert_int_equal(p->quantity, 14);
    assert_int_equal(p->value.amount, 120000000000LL);
    n = run("Denmark signed a contract on Monday for 24 F-35 fighters, which will succeed its F-16 fleet.", "2025-03-05",
            &ms);
    p = only_primary(ms, n);
    assert_string_equal(p->family, "F-35");
    assert_int_equal(p->quantity, 24);
    n = run("Rocket maker lands its fourth Chunmoo contract\n\nWARSAW - Poland's Armament Agency signed a contract on "
            "Tuesday with Hanwha Aerospace for 5,000 CGR-080 guided rockets for the Chunmoo launchers. The order is "
            "worth $2 billion.",
            "2026-02-11", &ms);
    p = only_primary(ms, n);
    assert_string_equal(p->family, "CGR-080");
    assert_int_equal(p->quantity, 5000);
    assert_int_equal(p->value.amount, 200000000000LL);
}

/* A clause about another buyer's purchase names that buyer, and a sum the
 * lead deal's own clause gives is not that purchase's sum. */
static void test_other_buyers_purchase(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Nexter wins $500 million CAESAR order from Norway\n\nNexter signed a contract with the Norwegian defence "
                "ministry on Monday for the supply of CAESAR howitzers. The agreement was valued at about $500 million. "
                "Across the region, Finland has ordered Korean K9 howitzers and Estonia is buying US HIMARS.",
                "2025-04-08", &ms);
    const ds_mention *p = only_primary(ms, n);
    assert_string_equal(p->family, "CAESAR");
    assert_string_equal(p->buyer, "NOR");
    assert_int_equal(p->value.amount, 50000000000LL);
}

/* A relative clause in the perfect recalls what a buyer has bought; a
 * clause naming no system prices the deal named just before it, and a
 * venture's sum is what its partners invest. */
static void test_relative_recall_and_venture_sum(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Hanwha wins rocket order\n\nHanwha signed a contract with the Polish Armament Agency on Monday for "
                "500 CGR-080 rockets. The rocket is fired by the K239 launcher, which Poland has ordered in two "
                "executive contracts covering 290 launchers.",
                "2026-01-20", &ms);
    const ds_mention *p = only_primary(ms, n);
    assert_string_equal(p->family, "CGR-080");
    assert_int_equal(p->quantity, 500);
    assert_int_equal(find(ms, n, DS_ROLE_CONTEXT, "K239")->quantity, 290);
    n = run("Rheinmetall and Hungarian partner set up Lynx venture\n\nBUDAPEST - Rheinmetall and Hungary's defence "
            "ministry signed an agreement on Monday to form a joint venture that will build Lynx infantry fighting "
            "vehicles in Hungary. The partners will invest about 150 million euros in a new plant near Zalaegerszeg, "
            "with the first vehicles due in 2028.",
            "2025-06-10", &ms);
    p = only_primary(ms, n);
    assert_string_equal(p->family, "LYNX");
    assert_int_equal(p->stage, DS_STAGE_JOINT_VENTURE);
    assert_true(p->value.set);
    assert_string_equal(p->value.currency, "EUR");
    assert_int_equal(p->value.amount, 15000000000LL);
}

/* "while A and B have ordered X" with no count, sum or date recalls other
 * buyers' purchases: a shortlist article reports no deal. */
static void test_other_buyers_have_ordered(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Portugal narrows field for new air defence\n\nLISBON - Portugal has shortlisted three air defence systems "
                "for its planned purchase, the ministry said on Tuesday. Spain flies Patriot, while Slovenia and Latvia "
                "have ordered IRIS-T SLM.",
                "2025-05-14", &ms);
    for (int i = 0; i < n; i++)
        assert_int_not_equal(ms[i].role, DS_ROLE_PRIMARY);
    const ds_mention *c = find(ms, n, DS_ROLE_CONTEXT, "IRIS-T_SLM");
    assert_int_equal(c->quantity, -1);
}

/* "after the X's purchase of Y": a deal named as a noun after "after"
 * recalls it, with its sum; the news is the deal the sentence signs. */
static void test_after_a_purchase_recalls(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Hanwha signed a contract with Vietnam's defence ministry on Monday for 20 K9 howitzers worth "
                "$250 million. It is the second Korean export of the year, after Saudi Arabia's purchase of the "
                "Cheongung II air defence system for $3.2 billion in January.",
                "2026-02-10", &ms);
    const ds_mention *p = only_primary(ms, n);
    assert_string_equal(p->family, "K9");
    assert_int_equal(p->value.amount, 25000000000LL);
}

/* "on the 1st": a day of the publication month (or of the month before,
 * when that day is still to come); "said on the 30th" dates the saying. */
static void test_day_of_month(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("DAPA announced that Hanwha signed the contract with Vietnam in Hanoi on the 2nd for 20 K9 howitzers, "
                "worth about 300 billion won.",
                "2026-03-04", &ms);
    const ds_mention *p = only_primary(ms, n);
    assert_int_equal(p->signing_date, day("2026-03-02"));
    assert_int_equal(p->batch, 0);
    n = run("Hanwha said on the 28th that it had signed a contract with Vietnam on Friday for 20 K9 howitzers.",
            "2026-03-02", &ms);
    p = only_primary(ms, n);
    assert_int_equal(p->signing_date, day("2026-02-27"));
}

/* A lead that denies a signing makes the signing the article then reports
 * a denied claim. */
static void test_denied_lead(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Saab denies Gripen sale to Peru\n\nSTOCKHOLM - Saab on Monday denied reports that it had signed a "
                "contract to sell Gripen fighters to Peru. A Lima newspaper had reported that Peru agreed to buy 24 "
                "Gripens and signed a contract last week.",
                "2025-09-09", &ms);
    for (int i = 0; i < n; i++)
        assert_int_not_equal(ms[i].role, DS_ROLE_PRIMARY);
}

/* Bombs listed after the aircraft of one notice are part of its deal. */
static void test_stores_of_a_platform(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("The State Department approved a possible sale to Greece of F-35 aircraft for an estimated cost of "
                "$8.6 billion. Greece has requested to buy forty (40) F-35A aircraft; two hundred (200) GBU-39 Small "
                "Diameter Bombs; and related support.",
                "2025-01-10", &ms);
    const ds_mention *p = only_primary(ms, n);
    assert_string_equal(p->family, "F-35");
    assert_int_equal(p->quantity, 40);
}

/* A past decade before the signing verb recalls; one after it may date a
 * relative clause only. */
static void test_past_decade(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Peru signed a contract on Monday for 12 Gripen fighters worth $1.5 billion. In the 2010s Lima "
                "signed for 8 Su-35 fighters from Russia, a deal that later collapsed.",
                "2025-09-09", &ms);
    const ds_mention *p = only_primary(ms, n);
    assert_string_equal(p->family, "GRIPEN");
    n = run("Peru signed a contract on Monday for 12 Gripen fighters, which will replace the Mirage 2000 jets Peru "
            "bought in the 1980s.",
            "2025-09-09", &ms);
    p = only_primary(ms, n);
    assert_string_equal(p->family, "GRIPEN");
    assert_int_equal(p->quantity, 12);
}

/* A seller that "receives an order" has won a contract; nothing is
 * delivered. */
static void test_receives_an_order(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Kongsberg receives order for NASAMS from Lithuania\n\nKongsberg said on Tuesday that Lithuania has "
                "placed an order for NASAMS air defence systems.",
                "2025-03-11", &ms);
    const ds_mention *p = only_primary(ms, n);
    assert_string_equal(p->family, "NASAMS");
    assert_int_equal(p->status, DS_STATUS_SIGNED);
    assert_int_not_equal(p->stage, DS_STAGE_DELIVERY);
}

/* A lead reporting a delivery "under a 2022 contract" is news, the year
 * naming the contract; "P6.8 billion" is pesos; "ex-Danish F-16s" are sold
 * by Denmark, and the sum the next sentence gives is theirs. */
static void test_delivery_under_contract_resale(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Manila activates first SPYDER battery\n\nMANILA - The Philippine Air Force has activated its first "
                "SPYDER air defence battery, delivered under a 2022 contract with Rafael worth about P6.8 billion, "
                "officials said on Tuesday.",
                "2024-05-15", &ms);
    const ds_mention *p = only_primary(ms, n);
    assert_string_equal(p->family, "SPYDER");
    assert_int_equal(p->stage, DS_STAGE_DELIVERY);
    assert_string_equal(p->value.currency, "PHP");
    assert_int_equal(p->value.amount, 680000000000LL);
    n = run("Peru gets used fighters\n\nOn Monday Peru signed for 12 ex-Danish F-16s at a ceremony in Aalborg. The "
            "minister put the value at about $200 million.",
            "2025-03-04", &ms);
    p = only_primary(ms, n);
    assert_string_equal(p->seller, "DNK");
    assert_int_equal(p->quantity, 12);
    assert_int_equal(p->value.amount, 20000000000LL);
}

/* The aircraft "carrying" a system to its buyer is the carrier, not what
 * is delivered. */
static void test_carrier_is_not_cargo(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Air defence arrives in Belgrade\n\nBELGRADE - Four Y-20 transport aircraft landed in Belgrade on Sunday "
                "carrying HQ-22 air-defence systems bought by Serbia under a 2021 contract, officials said on Monday.",
                "2023-05-08", &ms);
    const ds_mention *p = only_primary(ms, n);
    assert_string_equal(p->family, "HQ-22");
    assert_int_equal(p->stage, DS_STAGE_DELIVERY);
    assert_int_not_equal(p->quantity, 4);
}

/* A US award list: a modification "to a previously awarded contract" is
 * news, the Foreign Military Sales country is its buyer, and the day the
 * list is headed with dates it. */
static void test_award_list_modification(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Contracts for March 3, 2025 - Army\n\nLockheed Martin Corp., Grand Prairie, Texas, was awarded a "
                "$120,000,000 modification to a previously awarded contract for HIMARS launcher production. Fiscal 2025 "
                "Foreign Military Sales (Estonia) funds in the amount of $120,000,000 were obligated at the time of the "
                "award.",
                "2025-03-04", &ms);
    const ds_mention *p = only_primary(ms, n);
    assert_string_equal(p->family, "HIMARS");
    assert_string_equal(p->buyer, "EST");
    assert_int_equal(p->stage, DS_STAGE_AMENDMENT);
    assert_int_equal(p->value.amount, 12000000000LL);
    assert_int_equal(p->signing_date, day("2025-03-03"));
}

/* Polish weekdays ("w piątek") date a signing as English ones do. */
static void test_polish_weekday(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Agencja Uzbrojenia podpisała w piątek umowę z Hanwha na 48 armatohaubic K9.", "2025-05-05", &ms);
    const ds_mention *p = only_primary(ms, n);
    assert_string_equal(p->family, "K9");
    assert_int_equal(p->signing_date, day("2025-05-02"));
}

/* A second purchase the text does not date was signed with the first one
 * of the same buyer. */
static void test_second_purchase_shares_day(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Qatar signed a contract on Tuesday for 24 Rafale fighters worth 6 billion euros. Qatar also ordered 16 "
                "NH90 helicopters from Airbus, officials said.",
                "2025-06-12", &ms);
    assert_int_equal(find(ms, n, DS_ROLE_PRIMARY, "RAFALE")->signing_date, day("2025-06-10"));
    const ds_mention *h = find(ms, n, DS_ROLE_PRIMARY, "NH90");
    assert_int_equal(h->quantity, 16);
    assert_int_equal(h->signing_date, day("2025-06-10"));
}

/* Two buyers' orders in one sentence each keep their own day. */
static void test_second_deal_of_sentence_keeps_its_day(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Diehl said Latvia signed on Monday for 6 IRIS-T SLM fire units worth 600 million euros, while Estonia "
                "placed an order on Wednesday for 4 IRIS-T SLM fire units worth 400 million euros.",
                "2025-02-07", &ms);
    int seen = 0;
    for (int i = 0; i < n; i++) {
        if (ms[i].role != DS_ROLE_PRIMARY)
            continue;
        if (strcmp(ms[i].buyer, "LVA") == 0) {
            assert_int_equal(ms[i].signing_date, day("2025-02-03"));
            seen |= 1;
        } else if (strcmp(ms[i].buyer, "EST") == 0) {
            assert_int_equal(ms[i].signing_date, day("2025-02-05"));
            seen |= 2;
        }
    }
    assert_int_equal(seen, 3);
}

/* "plans to buy", with nothing signed: an intent, planned; a month named
 * after the publication month, two or more months back, is last year's. */
static void test_plans_to_buy_is_intent(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Oman to buy 8 Chinese J-10 fighters\n\nMUSCAT - Oman plans to buy 8 J-10 fighters from China, with an "
                "option for 4 more, the defence ministry said on Monday.",
                "2025-10-14", &ms);
    const ds_mention *p = only_primary(ms, n);
    assert_string_equal(p->family, "J-10");
    assert_int_equal(p->stage, DS_STAGE_INTENT);
    assert_int_equal(p->status, DS_STATUS_PLANNED);
    /* "in December", in February: the year before, a recall */
    n = run("Oman signed a contract on Monday for 8 J-10 fighters worth $1 billion. Oman signed in December for 20 "
            "K9 howitzers from Korea.",
            "2026-02-10", &ms);
    p = only_primary(ms, n);
    assert_string_equal(p->family, "J-10");
    assert_int_equal(find(ms, n, DS_ROLE_CONTEXT, "K9")->quantity, 20);
}

/* A tranche that enters into force is signed; a delivery still "expected
 * to arrive" delivers nothing; a first aircraft handed over under a dated
 * contract is one, of that contract's year. */
static void test_tranche_future_delivery_first_one(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Egypt's third tranche of Rafale fighters has entered into force, Dassault confirmed on Monday, after "
                "Cairo paid the down payment for 12 more aircraft. The first of them are expected to arrive in 2027.",
                "2025-06-11", &ms);
    const ds_mention *p = only_primary(ms, n);
    assert_string_equal(p->family, "RAFALE");
    assert_int_equal(p->status, DS_STATUS_SIGNED);
    assert_int_not_equal(p->stage, DS_STAGE_DELIVERY);
    assert_int_equal(p->signing_date, day("2025-06-09"));
    n = run("First Czech F-35 rolled out\n\nFORT WORTH - Lockheed Martin on Tuesday presented the first F-35A built for "
            "the Czech Republic at a handover ceremony, marking the first delivery under the 24-aircraft contract Prague "
            "signed in September 2024.",
            "2027-05-12", &ms);
    p = only_primary(ms, n);
    assert_string_equal(p->buyer, "CZE");
    assert_int_equal(p->stage, DS_STAGE_DELIVERY);
    assert_int_equal(p->quantity, 1);
    assert_int_equal(p->signing_year, 2024);
}

/* A markdown table of contracts: one recalled deal per row, its columns
 * read as the header names them. */
static void test_table_rows(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Nordic howitzer orders at a glance\n\nThe table lists the orders signed so far.\n\n"
                "| Buyer | Quantity | Value | Signed |\n|---|---|---|---|\n"
                "| Norway | 24 K9 | NOK 2 billion | 20 Dec 2017 |\n"
                "| Finland | 48 K9 | EUR 150 million | 3 Mar 2017 |\n",
                "2025-02-01", &ms);
    int rows = 0;
    for (int i = 0; i < n; i++) {
        assert_int_equal(ms[i].role, DS_ROLE_CONTEXT);
        assert_string_equal(ms[i].family, "K9");
        if (strcmp(ms[i].buyer, "NOR") == 0) {
            assert_int_equal(ms[i].quantity, 24);
            assert_string_equal(ms[i].value.currency, "NOK");
            assert_int_equal(ms[i].signing_date, day("2017-12-20"));
            rows |= 1;
        } else if (strcmp(ms[i].buyer, "FIN") == 0) {
            assert_int_equal(ms[i].quantity, 48);
            assert_int_equal(ms[i].value.amount, 15000000000LL);
            rows |= 2;
        }
    }
    assert_int_equal(n, 2);
    assert_int_equal(rows, 3);
}

/* A recall whose signing verb has another country as subject is that
 * country's deal, not the news's buyer's. */
static void test_recall_names_its_buyer(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Vietnam signed a contract with Hanwha on Monday for 20 K9 howitzers worth $300 million. Neighbouring "
                "Thailand, a long-standing customer, has ordered 40 K9s in two contracts since 2021.",
                "2026-03-10", &ms);
    assert_string_equal(only_primary(ms, n)->buyer, "VNM");
    const ds_mention *c = find(ms, n, DS_ROLE_CONTEXT, "K9");
    assert_string_equal(c->buyer, "THA");
}

/* A deal no clause of which names its buyer takes the headline's. */
static void test_headline_names_the_buyer(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Umowa podpisana. Polska armia kupi 96 śmigłowców\n\nThe contract for American helicopters has been "
                "signed. On Monday the minister put his signature under the agreement for 96 AH-64E Apache "
                "helicopters.",
                "2025-08-14", &ms);
    const ds_mention *p = only_primary(ms, n);
    assert_string_equal(p->family, "AH-64");
    assert_string_equal(p->buyer, "POL");
    assert_int_equal(p->quantity, 96);
}

/* "amounts to" prices a deal; a fund it is paid from does not. */
static void test_amounts_to_and_funds(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Italy signed the letter of offer and acceptance on Wednesday for 25 F-35A fighters. The project "
                "amounts to around 7 billion euros. The contract is financed from a defence fund of 50 billion euros.",
                "2025-04-10", &ms);
    const ds_mention *p = only_primary(ms, n);
    assert_string_equal(p->value.currency, "EUR");
    assert_int_equal(p->value.amount, 700000000000LL);
}

/* "two fighter deals" counts deals, not fighters. */
static void test_count_of_deals(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Two fighter deals signed in Lima\n\nPeru signed a contract on Monday for Gripen E fighters worth "
                "$2 billion, the ministry said.",
                "2025-05-09", &ms);
    const ds_mention *p = only_primary(ms, n);
    assert_string_equal(p->family, "GRIPEN");
    assert_int_equal(p->quantity, -1);
}

/* An award list: a modification that exercises an option is the option,
 * priced by the award sentence before the one naming the aircraft. */
static void test_modification_exercising_an_option(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Contracts for March 4, 2025 - Navy\n\nThe Boeing Co., Seattle, Washington, is awarded a $350,000,000 "
                "modification to a previously awarded contract. This modification exercises an option for the production "
                "of two P-8A Poseidon aircraft for the Government of Norway.\n\nRaytheon Co., Tucson, Arizona, is "
                "awarded a $40,000,000 modification to a previously awarded contract for engineering support of the "
                "Standard Missile program.",
                "2025-03-05", &ms);
    const ds_mention *p = find(ms, n, DS_ROLE_PRIMARY, "P-8");
    assert_string_equal(p->buyer, "NOR");
    assert_int_equal(p->stage, DS_STAGE_OPTION);
    assert_int_equal(p->quantity, 2);
    assert_int_equal(p->value.amount, 35000000000LL);
}

/* One contract for two buyers with each one's count is a deal per buyer,
 * the sum combined. */
static void test_shares_of_a_joint_contract(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Embraer signed on Monday a joint contract with Sweden and the Czech Republic for seven C-390 transport "
                "aircraft, four for the Swedish air force and three for the Czech, worth about 800 million euros.",
                "2025-06-17", &ms);
    int seen = 0;
    for (int i = 0; i < n; i++) {
        if (ms[i].role != DS_ROLE_PRIMARY)
            continue;
        assert_true(ms[i].value.combined);
        if (strcmp(ms[i].buyer, "SWE") == 0 && ms[i].quantity == 4)
            seen |= 1;
        if (strcmp(ms[i].buyer, "CZE") == 0 && ms[i].quantity == 3)
            seen |= 2;
    }
    assert_int_equal(seen, 3);
}

/* An interview's "Q:" and "A:" turns are not the rows of a fact box. */
static void test_interview_turns_are_no_box(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Q&A: the transport market\n\nQ: Why does Sweden retire its 40 C-130 aircraft?\nA: Age.\nQ: And the "
                "new jets?\nA: Sweden and we have signed the contract for the first aircraft this week.\n",
                "2025-03-06", &ms);
    for (int i = 0; i < n; i++)
        assert_string_not_equal(ms[i].family, "C-130");
}

/* An ordinal before "order" numbers the batch ("the fourth Latvian K9
 * order"); an order with no ordinal numbers none. */
static void test_ordinal_order_numbers_batch(void **state)
{
    (void)state;
    const ds_mention *p = expect_primary("Latvia's armament office signed a contract for 6 more K9 howitzers from "
                                         "Hanwha Aerospace on Tuesday, the fourth Latvian K9 order.",
                                         "2026-04-09", DS_STAGE_EXECUTIVE, DS_STATUS_SIGNED, day("2026-04-07"));
    assert_int_equal(p->batch, 4);
    assert_int_equal(p->quantity, 6);
    p = expect_primary("Latvia signed the 2nd executive contract for 6 K9 howitzers on Tuesday.", "2026-04-09",
                       DS_STAGE_EXECUTIVE, DS_STATUS_SIGNED, day("2026-04-07"));
    assert_int_equal(p->batch, 2);
    assert_int_equal(p->quantity, 6);
    p = expect_primary("Latvia signed an order for 6 K9 howitzers from Hanwha Aerospace on Tuesday.", "2026-04-09",
                       DS_STAGE_EXECUTIVE, DS_STATUS_SIGNED, day("2026-04-07"));
    assert_int_equal(p->batch, 0);
}

/* A sum a clause gives for this system together with items of another
 * kind yields to a sum a later clause gives for the system alone. */
static void test_own_sum_corrects_shared_sum(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Peru signs for Rafale\n\nPeru agreed to buy 24 Rafale jets and 6 transport helicopters from France "
                "on Monday in contracts worth EUR 9 billion. Dassault Aviation will supply the 24 Rafale jets under a "
                "contract worth EUR 8 billion, with deliveries from 2029.",
                "2026-05-06", &ms);
    const ds_mention *p = find(ms, n, DS_ROLE_PRIMARY, "RAFALE");
    assert_true(p->value.set);
    assert_string_equal(p->value.currency, "EUR");
    assert_true(p->value.amount == 800000000000LL);
    assert_int_equal(p->quantity, 24);
    /* with no sum of its own the shared one stands */
    n = run("Peru agreed to buy 24 Rafale jets and 6 transport helicopters from France on Monday in contracts worth "
            "EUR 9 billion.",
            "2026-05-06", &ms);
    p = find(ms, n, DS_ROLE_PRIMARY, "RAFALE");
    assert_true(p->value.amount == 900000000000LL);
}

/* The day of the report ("announced on the 6th that it has concluded")
 * dates the signing when nothing else does; a deal clause's own day
 * ("agreed on Friday to buy") dates a signing the article reports. */
static void test_report_and_deal_clause_days(void **state)
{
    (void)state;
    expect_primary("LIG Nex1 announced on the 3rd that it has concluded a contract with Iraq to supply 8 KM-SAM "
                   "missile systems, worth about 3 trillion won.",
                   "2026-03-05", DS_STAGE_EXECUTIVE, DS_STATUS_SIGNED, day("2026-03-03"));
    expect_primary("Oman agreed on Thursday to buy 12 Rafale fighter jets from France for EUR 3 billion. The contract was "
                   "signed in Muscat.",
                   "2026-03-07", DS_STAGE_EXECUTIVE, DS_STATUS_SIGNED, day("2026-03-05"));
    /* a deal clause's day alone, with no signing reported, dates nothing */
    expect_primary("Oman agreed on Thursday to buy 12 Rafale fighter jets from France for EUR 3 billion.", "2026-03-07",
                   -1, -1, DS_NO_DATE);
}

/* A fact-box row naming one system prices it; "put its signature on"
 * signs. */
static void test_factbox_row_prices_its_system(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Austria signs for F-35 and Patriot\n\nVienna has signed the contracts for new fighter jets and an "
                "air-defence system. The defence ministry put its signature on the two agreements on Tuesday, for a "
                "combined total of about EUR 9 billion.\n\nKey facts:\n- Fighters: 30 Lockheed Martin F-35A, EUR 6.5 "
                "billion, including training\n- Air defence: four Raytheon Patriot fire units, about EUR 2.4 billion\n",
                "2026-10-08", &ms);
    const ds_mention *f = find(ms, n, DS_ROLE_PRIMARY, "F-35");
    const ds_mention *p = find(ms, n, DS_ROLE_PRIMARY, "PATRIOT");
    assert_true(f->value.set && p->value.set);
    assert_true(f->value.amount == 650000000000LL);
    assert_true(p->value.amount == 240000000000LL);
    assert_string_equal(p->value.currency, "EUR");
    assert_int_equal(f->quantity, 30);
    assert_int_equal(f->signing_date, day("2026-10-06"));
    assert_int_equal(p->signing_date, day("2026-10-06"));
}

/* Spanish sums: "billones" is 10^12, a dot before three digits and a
 * Spanish scale groups thousands, and bare "pesos" are the peso of the
 * article's country; "el martes" is a weekday. */
static void test_spanish_sums_and_pesos(void **state)
{
    (void)state;
    const ds_mention *p = expect_primary("M\xc3\xa9xico firm\xc3\xb3 el martes con Airbus la compra de 12 "
                                         "helic\xc3\xb3pteros H225M por 9.500 millones de pesos.",
                                         "2026-02-12", -1, DS_STATUS_SIGNED, day("2026-02-10"));
    assert_string_equal(p->value.currency, "MXN");
    assert_true(p->value.amount == 950000000000LL);
    p = expect_primary("Chile firm\xc3\xb3 con Saab la compra de 12 Gripen por 1,2 billones de pesos.", "2026-02-12",
                       -1, DS_STATUS_SIGNED, ANY_DAY);
    assert_string_equal(p->value.currency, "CLP");
    assert_true(p->value.amount == 120000000000000LL);
    /* an English decimal point stays one */
    p = expect_primary("Chile signed for 12 Gripen fighters worth $3.135 billion.", "2026-02-12", -1, DS_STATUS_SIGNED,
                       ANY_DAY);
    assert_true(p->value.amount == 313500000000LL);
}

/* An ISO code after the scale ("3,2 mld USD") and "milliard" make sums; a
 * sum naming the act the lead reports ("the exercise of the option,
 * worth ...") is that deal's, and one over several deals ("in all, the
 * contracts ... were worth") prices none of them alone. */
static void test_postfix_codes_and_act_sums(void **state)
{
    (void)state;
    const ds_mention *p = expect_primary("Romania signed a contract for 18 F-35A fighters on Monday. The value of the "
                                         "agreement is 3,2 mld USD, that is about 14,7 mld lei.",
                                         "2026-01-14", -1, DS_STATUS_SIGNED, day("2026-01-12"));
    assert_string_equal(p->value.currency, "USD");
    assert_true(p->value.amount == 320000000000LL);
    const ds_mention *ms;
    int n = run("Greece exercises Rafale option\n\nGreece on Monday exercised the option for six more Rafale fighters "
                "held in its 2021 contract with Dassault Aviation, the ministry announced.\n\nThe exercise of the "
                "option, worth around EUR 1,4 milliard, had been expected. Greece also signed a letter of intent for "
                "the purchase of 300 VBCI infantry fighting vehicles from Nexter. In all, the contracts and agreements "
                "of the visit were presented as worth about EUR 9 milliards.",
                "2026-01-14", &ms);
    p = find(ms, n, DS_ROLE_PRIMARY, "RAFALE");
    assert_string_equal(p->value.currency, "EUR");
    assert_true(p->value.amount == 140000000000LL);
    p = find(ms, n, DS_ROLE_PRIMARY, "VBCI");
    assert_false(p->value.set);
}

/* "six anti-submarine frigates": a unit word after a hyphen qualifies the
 * head noun, which the count counts. */
static void test_hyphenated_unit_qualifies(void **state)
{
    (void)state;
    const ds_mention *p = expect_primary("Denmark has signed a contract for six anti-submarine frigates with BAE Systems, "
                                         "choosing the Type 26 design.",
                                         "2026-06-02", -1, DS_STATUS_SIGNED, ANY_DAY);
    assert_string_equal(p->family, "TYPE_26");
    assert_int_equal(p->quantity, 6);
}

/* Ordinals ("the 31st country") and counts of states, army units or time
 * ("nine nations that fly the CV90", "two squadrons", "five years") count
 * no item; "1.000 rockets" is a thousand. */
static void test_counts_of_no_item(void **state)
{
    (void)state;
    const ds_mention *p = expect_primary("Baykar has signed a $200 million contract with Chad for Bayraktar TB2 drones. "
                                         "Chad becomes the 31st country to choose the Bayraktar TB2.",
                                         "2026-02-03", -1, DS_STATUS_SIGNED, ANY_DAY);
    assert_int_equal(p->quantity, -1);
    p = expect_primary("Chile signed a contract on Monday for two squadrons of FA-50 jets.", "2026-02-03", -1,
                       DS_STATUS_SIGNED, ANY_DAY);
    assert_int_equal(p->quantity, -1);
    p = expect_primary("Chile signed a contract on Monday for 1.000 CGR-080 rockets.", "2026-02-03", -1, DS_STATUS_SIGNED,
                       ANY_DAY);
    assert_int_equal(p->quantity, 1000);
    p = expect_primary("BAE Systems has signed a contract with Croatia for 40 CV90 infantry fighting vehicles. \"Croatia "
                       "joins nine nations that use the CV90,\" the company said, over the next five years.",
                       "2026-02-03", -1, DS_STATUS_SIGNED, ANY_DAY);
    assert_int_equal(p->quantity, 40);
}

/* "The company said on Tuesday the contract was valued at ... and would be
 * performed over four years": the day of the report dates a signing
 * nothing else dates. */
static void test_report_day_of_value_clause(void **state)
{
    (void)state;
    expect_primary("Elbit Systems has signed a contract with Romania for the supply of PULS rocket launchers. The "
                   "company said on Tuesday the contract was valued at about $400 million and would be performed over "
                   "four years.",
                   "2026-06-04", DS_STAGE_EXECUTIVE, DS_STATUS_SIGNED, day("2026-06-02"));
}

/* "an initial period of sustainment" recalls no earlier deal: the sum of
 * its clause prices the news; "the initial contract" still recalls. */
static void test_initial_of_no_deal(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Hanwha signs for Norway\n\nHanwha Aerospace has signed a contract with Norway for 24 K9 howitzers. "
                "The contract, worth approximately NOK 6 billion, includes spares and an initial period of "
                "sustainment.",
                "2026-03-03", &ms);
    const ds_mention *p = only_primary(ms, n);
    assert_true(p->value.set);
    assert_string_equal(p->value.currency, "NOK");
    assert_true(p->value.amount == 600000000000LL);
    n = run("Hanwha Aerospace has signed a contract with Norway for 4 more K9 howitzers. The initial contract, worth "
            "NOK 2 billion, was signed in 2017.",
            "2026-03-03", &ms);
    p = only_primary(ms, n);
    assert_false(p->value.set);
}

/* Variants a sentence gives each its own count and sum are two contracts
 * ("12 K9A1 for $400 million, while 24 K9PL ... under a $900 million
 * contract"); variants of one sum stay one deal with variants. */
static void test_priced_variants_split(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Hanwha Aerospace signed two executive contracts with Poland on Monday for 36 K9 howitzers, worth $1.3 "
                "billion in total. Hanwha will deliver 12 K9A1 howitzers next year in a deal worth $400 million, while "
                "24 K9PL howitzers will be supplied from 2028 under a $900 million contract.",
                "2026-09-09", &ms);
    int np = 0;
    int64_t got = 0;
    for (int i = 0; i < n; i++) {
        if (ms[i].role != DS_ROLE_PRIMARY)
            continue;
        np++;
        assert_string_equal(ms[i].family, "K9");
        assert_int_equal(ms[i].signing_date, day("2026-09-07"));
        assert_int_equal(ms[i].nvariants, 0);
        if (strcmp(ms[i].system, "K9A1") == 0) {
            assert_int_equal(ms[i].quantity, 12);
            assert_true(ms[i].value.amount == 40000000000LL);
            got |= 1;
        } else {
            assert_string_equal(ms[i].system, "K9PL");
            assert_int_equal(ms[i].quantity, 24);
            assert_true(ms[i].value.amount == 90000000000LL);
            got |= 2;
        }
    }
    assert_int_equal(np, 2);
    assert_int_equal(got, 3);
    n = run("Hanwha Aerospace signed an executive contract with Poland on Monday for 12 K9A1 and 24 K9PL howitzers, "
            "worth $1.3 billion.",
            "2026-09-09", &ms);
    const ds_mention *p = only_primary(ms, n);
    assert_int_equal(p->quantity, 36);
    assert_int_equal(p->nvariants, 2);
    assert_true(p->value.amount == 130000000000LL);
}

/* A signing reported as news with no date is of the article's year; a
 * delivery is not dated so. */
static void test_undated_signing_takes_article_year(void **state)
{
    (void)state;
    const ds_mention *p = expect_primary("Hungary's defence ministry placed an order for two C-390 transport aircraft "
                                         "worth roughly HUF 80 billion, with deliveries from 2028.",
                                         "2026-11-20", -1, DS_STATUS_SIGNED, DS_NO_DATE);
    assert_int_equal(p->signing_year, 2026);
    p = expect_primary("The first two C-390 transport aircraft were delivered to Hungary, the ministry said.", "2026-11-20",
                       DS_STAGE_DELIVERY, DS_STATUS_DELIVERED, DS_NO_DATE);
    assert_int_equal(p->signing_year, 0);
}

/* "The first batch of Akash missile systems was handed over": a delivered
 * batch of items numbers a shipment, not the contract; "the 40 tanks in
 * the second batch" numbers the contract. */
static void test_delivered_batch_of_items(void **state)
{
    (void)state;
    const ds_mention *p = expect_primary("India handed over the first batch of BrahMos missile systems to Vietnam on "
                                         "Monday, under the contract signed in 2024.",
                                         "2026-04-08", DS_STAGE_DELIVERY, DS_STATUS_DELIVERED, ANY_DAY);
    assert_int_equal(p->batch, 0);
    p = expect_primary("Hyundai Rotem delivered the last K2 tanks of the 40 tanks in the second batch to Peru on Monday.",
                       "2026-04-08", DS_STAGE_DELIVERY, DS_STATUS_DELIVERED, ANY_DAY);
    assert_int_equal(p->batch, 2);
}

/* Sums: an abbreviated scale keeps its dot ("2,4 Mrd. Euro"), and a range
 * takes the scale of its high end at its low end ("$1.1-1.4 billion",
 * "1.1 to 1.4 billion euros"). */
static void test_abbreviated_scale_and_ranges(void **state)
{
    (void)state;
    static const struct { const char *text; int64_t cents; const char *cur; } cases[] = {
        {"Lithuania signed a contract on Monday for 44 Leopard 2A8 tanks worth 2,4 Mrd. Euro, the ministry said.",
         240000000000LL, "EUR"},
        {"Lithuania signed a contract on Monday for 44 Leopard 2A8 tanks worth $1.1-1.4 billion.", 110000000000LL, "USD"},
        {"Lithuania signed a contract on Monday for 44 Leopard 2A8 tanks worth 1.1 to 1.4 billion euros.",
         110000000000LL, "EUR"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const ds_mention *p = expect_primary(cases[i].text, "2026-05-14", -1, DS_STATUS_SIGNED, day("2026-05-11"));
        assert_true(p->value.set);
        assert_true(p->value.amount == cases[i].cents);
        assert_string_equal(p->value.currency, cases[i].cur);
        assert_int_equal(p->quantity, 44);
    }
}

/* Dates in figures ("4.05.2026", "2026-05-04") date a signing; a planned
 * signing named by its period ("later this month", "next month" in
 * December) has that period's year. */
static void test_numeric_dates_and_planned_periods(void **state)
{
    (void)state;
    expect_primary("Lithuania signed a contract on 4.05.2026 for 44 Leopard 2A8 tanks.", "2026-05-14", -1,
                   DS_STATUS_SIGNED, day("2026-05-04"));
    expect_primary("Lithuania signed a contract on 2026-05-04 for 44 Leopard 2A8 tanks.", "2026-05-14", -1,
                   DS_STATUS_SIGNED, day("2026-05-04"));
    const ds_mention *p = expect_primary("Lithuania will sign a contract for 44 Leopard 2A8 tanks later this month, the "
                                         "ministry said.",
                                         "2026-05-14", -1, DS_STATUS_PLANNED, DS_NO_DATE);
    assert_int_equal(p->signing_year, 2026);
    p = expect_primary("Lithuania expects to sign a contract for 44 Leopard 2A8 tanks next month.", "2026-12-14", -1,
                       DS_STATUS_PLANNED, DS_NO_DATE);
    assert_int_equal(p->signing_year, 2027);
    p = expect_primary("Lithuania will buy 44 Leopard 2A8 tanks worth EUR 1 billion, the ministry said; the contract "
                       "will be signed next week.",
                       "2026-05-14", -1, DS_STATUS_PLANNED, DS_NO_DATE);
    assert_int_equal(p->signing_year, 2026);
}

/* Hundreds in words ("three hundred million dollars", "two hundred and
 * fifty"), and "twenty-four million" as a sum. */
static void test_hundreds_in_words(void **state)
{
    (void)state;
    const ds_mention *p = expect_primary("Peru signed a contract on Monday for 12 K9 howitzers worth around three hundred "
                                         "million dollars.",
                                         "2026-05-14", -1, DS_STATUS_SIGNED, ANY_DAY);
    assert_true(p->value.amount == 30000000000LL);
    p = expect_primary("Peru signed a contract on Monday for 12 K9 howitzers worth twenty-four million dollars.",
                       "2026-05-14", -1, DS_STATUS_SIGNED, ANY_DAY);
    assert_true(p->value.amount == 2400000000LL);
    p = expect_primary("Peru signed a contract on Monday for two hundred and fifty K9 howitzers.", "2026-05-14", -1,
                       DS_STATUS_SIGNED, ANY_DAY);
    assert_int_equal(p->quantity, 250);
}

/* Sums a clause gives each family ("... worth $400 million and 6 K10
 * worth $100 million", "respectively") are each its own, not combined;
 * "a follow-on contract" follows an earlier batch. */
static void test_own_sums_and_follow_on(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Peru signed contracts on Monday for 18 K9 howitzers and 30 Redback infantry fighting vehicles, worth "
                "$400 million and $2 billion respectively.",
                "2026-05-14", &ms);
    const ds_mention *k9 = find(ms, n, DS_ROLE_PRIMARY, "K9");
    const ds_mention *rb = find(ms, n, DS_ROLE_PRIMARY, "AS21");
    assert_true(k9->value.amount == 40000000000LL && !k9->value.combined);
    assert_true(rb->value.amount == 200000000000LL && !rb->value.combined);
    /* a total after the sums of each ("$2.4 billion in total") leaves them each its own */
    n = run("Peru signed contracts on Monday for 18 K9 howitzers worth $400 million and 30 Redback infantry fighting "
            "vehicles worth $2 billion, $2.4 billion in total.",
            "2026-05-14", &ms);
    k9 = find(ms, n, DS_ROLE_PRIMARY, "K9");
    rb = find(ms, n, DS_ROLE_PRIMARY, "AS21");
    assert_true(k9->value.amount == 40000000000LL && !k9->value.combined);
    assert_true(rb->value.amount == 200000000000LL && !rb->value.combined);
    /* one sum for both is combined */
    n = run("Peru signed contracts on Monday for 18 K9 howitzers and 30 Redback infantry fighting vehicles, worth a "
            "combined $2.4 billion.",
            "2026-05-14", &ms);
    k9 = find(ms, n, DS_ROLE_PRIMARY, "K9");
    assert_true(k9->value.amount == 240000000000LL && k9->value.combined);
    const ds_mention *p = expect_primary("Peru signed a follow-on contract on Monday for 18 K9 howitzers worth $300 "
                                         "million.",
                                         "2026-05-14", -1, DS_STATUS_SIGNED, ANY_DAY);
    int next = 0;
    for (int r = 0; r < p->nrels; r++)
        next |= p->rels[r].relation == DS_REL_NEXT_BATCH;
    assert_true(next);
}

/* "The value of the contract was not announced; sources speak of $9
 * billion": a definite deal noun speaks of the deal named before it, in
 * an earlier paragraph too, not of a system named after it. */
static void test_definite_deal_refers_back(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Egypt signs for KAAN\n\nThe contract for the sale of 40 KAAN aircraft to Egypt was signed on "
                "Wednesday in Cairo.\n\nThe minister said deliveries would take ten years. The value of the contract "
                "was not announced; sector sources speak of a figure exceeding 9 billion dollars. The ANKA part was "
                "turned into a contract with joint production at the time.",
                "2026-06-12", &ms);
    const ds_mention *p = find(ms, n, DS_ROLE_PRIMARY, "KAAN");
    assert_true(p->value.set);
    assert_true(p->value.amount == 900000000000LL);
    for (int i = 0; i < n; i++)
        if (ms[i].role == DS_ROLE_PRIMARY && strcmp(ms[i].family, "ANKA") == 0)
            assert_false(ms[i].value.set);
}

/* "Industry sources say Iraq will receive 8 batteries": a deal no clause
 * counts takes the count its buyer will receive of its kind. */
static void test_buyer_will_receive_count(void **state)
{
    (void)state;
    const ds_mention *p = expect_primary("LIG Nex1 has signed a contract worth about $2.8 billion with Iraq to supply "
                                         "the KM-SAM air-defence system. According to industry sources, Iraq will "
                                         "receive 8 batteries.",
                                         "2026-06-12", -1, DS_STATUS_SIGNED, ANY_DAY);
    assert_int_equal(p->quantity, 8);
    p = expect_primary("LIG Nex1 has signed a contract worth about $2.8 billion with Iraq to supply the KM-SAM "
                       "air-defence system. According to industry sources, Jordan will receive 8 batteries.",
                       "2026-06-12", -1, DS_STATUS_SIGNED, ANY_DAY);
    assert_int_equal(p->quantity, -1);
}

/* "The ministry did not disclose the number of tanks, but sources put it
 * at 140": the count a sentence puts on the number of units of the deal's
 * kind. */
static void test_number_put_at(void **state)
{
    (void)state;
    const ds_mention *p = expect_primary("Hyundai Rotem signed a contract worth $3 billion on Monday to export K2 tanks to "
                                         "Peru. The ministry did not disclose the number of tanks, but industry sources "
                                         "put it at 140.",
                                         "2026-06-12", -1, DS_STATUS_SIGNED, day("2026-06-08"));
    assert_int_equal(p->quantity, 140);
    p = expect_primary("Hyundai Rotem signed a contract worth $3 billion on Monday to export K2 tanks to Peru. The ministry "
                       "did not disclose the number of howitzers, but industry sources put it at 140.",
                       "2026-06-12", -1, DS_STATUS_SIGNED, day("2026-06-08"));
    assert_int_equal(p->quantity, -1);
}

/* A cancellation is dated by the contract it ends ("the helicopters were
 * ordered in 2008"). */
static void test_cancellation_dated_by_its_contract(void **state)
{
    (void)state;
    const ds_mention *p = expect_primary("Sweden cancelled its contract for 18 NH90 helicopters on Friday, after years of "
                                         "delays. The helicopters were ordered in 2008.",
                                         "2026-06-12", DS_STAGE_CANCELLATION, DS_STATUS_CANCELLED, DS_NO_DATE);
    assert_int_equal(p->signing_year, 2008);
}

/* A delivery takes the value of the contract it is made under when a
 * recall names that contract's year and sum ("The 2021 contract was
 * valued at $3.1 billion"). */
static void test_delivery_takes_its_contract_value(void **state)
{
    (void)state;
    const ds_mention *p = expect_primary("First Finnish F-35 handed over in Texas\n\nLockheed Martin presented the "
                                         "first F-35A built for Finland on Wednesday, "
                                         "marking the first delivery under the 64-aircraft contract Helsinki signed in "
                                         "2021. The 2021 contract was valued at $9.4 billion.",
                                         "2026-06-12", DS_STAGE_DELIVERY, DS_STATUS_DELIVERED, DS_NO_DATE);
    assert_int_equal(p->signing_year, 2021);
    assert_true(p->value.set);
    assert_true(p->value.amount == 940000000000LL);
}

/* "The contract covers 8 launchers": in an article of several deals, a
 * deal clause naming no system counts the deal named just before it. */
static void test_shared_clause_counts_named_deal(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Elbit Systems has signed a contract with Denmark for the supply of PULS rocket launchers, worth $150 "
                "million. The contract covers 8 launchers, together with rockets and training.\n\nDenmark also "
                "signed a contract for 4 Patriot fire units worth $1 billion on Friday.",
                "2026-06-12", &ms);
    const ds_mention *p = find(ms, n, DS_ROLE_PRIMARY, "PULS");
    assert_int_equal(p->quantity, 8);
    const ds_mention *q = find(ms, n, DS_ROLE_PRIMARY, "PATRIOT");
    assert_int_equal(q->quantity, 4);
    /* a count before the deal its paragraph names next is not that deal's */
    n = run("Embraer's European orders\n\nThe Netherlands and Austria signed their purchase contracts in a joint "
            "ceremony on Tuesday, with the Dutch ordering five aircraft and the Austrians four. Separately, the Czech "
            "Republic's defence ministry placed an order for two C-390s worth roughly CZK 7 billion.",
            "2026-06-12", &ms);
    for (int i = 0; i < n; i++)
        if (ms[i].role == DS_ROLE_PRIMARY && strcmp(ms[i].buyer, "CZE") == 0)
            assert_int_equal(ms[i].quantity, 2);
}

/* Money forms: codes glued to the figure ("CHF6bn", "RM4.08 billion"),
 * dollars named by their prefix ("AU$", "C$", "NT$"), the peso sign,
 * "U.S. dollars" and "Rs." inside a sentence, Polish "miliarda", and a
 * shared currency word taken as the one of the article's state ("53
 * billion crowns" in a Czech article). */
static void test_glued_and_shared_currencies(void **state)
{
    (void)state;
    static const struct { const char *text; int64_t cents; const char *cur; } cases[] = {
        {"Austria signed a contract worth CHF6bn on Monday for 36 F-35A jets.", 600000000000LL, "CHF"},
        {"Malaysia signed a contract worth RM4.08 billion on Monday for 18 FA-50 jets.", 408000000000LL, "MYR"},
        {"Australia signed a contract worth AU$1 billion on Monday for 30 K9 howitzers.", 100000000000LL, "AUD"},
        {"Canada signed a contract worth C$19 billion on Monday for 88 F-35 jets.", 1900000000000LL, "CAD"},
        {"Taiwan signed a contract worth NT$10 billion on Monday for 12 HIMARS launchers.", 1000000000000LL, "TWD"},
        {"The Philippines signed a contract worth \xe2\x82\xb1" "28 billion on Monday for 12 FA-50 jets.",
         2800000000000LL, "PHP"},
        {"Poland signed a contract worth 6.5 billion U.S. dollars on Monday for 180 K2 tanks.", 650000000000LL, "USD"},
        {"India signed a contract worth Rs. 63,000 cr on Monday for 26 Rafale jets.", 63000000000000LL, "INR"},
        {"Poland signed a contract worth 1,2 miliarda z\xc5\x82otych on Monday for 48 K9 howitzers.", 120000000000LL,
         "PLN"},
        {"The Czech Republic signed a contract worth 53 billion crowns on Monday for 246 CV90 vehicles.",
         5300000000000LL, "CZK"},
        {"Denmark signed a contract worth 5 billion kroner on Monday for 40 CV90 vehicles.", 500000000000LL, "DKK"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const ds_mention *p = expect_primary(cases[i].text, "2026-03-12", -1, DS_STATUS_SIGNED, day("2026-03-09"));
        assert_true(p->value.set);
        assert_true(p->value.amount == cases[i].cents);
        assert_string_equal(p->value.currency, cases[i].cur);
    }
    /* "10 KM-SAM batteries" counts batteries, not kilometres */
    const ds_mention *p = expect_primary("Iraq signed a contract on Monday for 10 KM-SAM batteries.", "2026-03-12", -1,
                                         DS_STATUS_SIGNED, day("2026-03-09"));
    assert_int_equal(p->quantity, 10);
}

/* "A first tranche of six jets takes effect" in a contract for 42: a part
 * of the contract, no batch of a programme; "the first batch of 24" a
 * contract is for numbers it. */
static void test_tranche_part_of_contract(void **state)
{
    (void)state;
    const ds_mention *p = expect_primary("Egypt signed a contract on Monday for 42 Rafale jets. A first tranche of six "
                                         "jets takes effect immediately, with the remaining 36 to follow.",
                                         "2026-03-12", -1, DS_STATUS_SIGNED, day("2026-03-09"));
    assert_int_equal(p->quantity, 42);
    assert_int_equal(p->batch, 0);
    p = expect_primary("Egypt signed a contract on Monday for the first batch of 24 K9 howitzers.", "2026-03-12", -1,
                       DS_STATUS_SIGNED, day("2026-03-09"));
    assert_int_equal(p->quantity, 24);
    assert_int_equal(p->batch, 1);
}

/* "The first 10 of 54 K9 howitzers ordered by Romania were delivered":
 * the delivery counts the 10. */
static void test_delivery_counts_its_part(void **state)
{
    (void)state;
    const ds_mention *p = expect_primary("The first 10 of 54 K9 howitzers ordered by Romania were delivered on Monday.",
                                         "2026-03-12", DS_STAGE_DELIVERY, DS_STATUS_DELIVERED, ANY_DAY);
    assert_int_equal(p->quantity, 10);
}

/* A headline's count stands against a body count that reports no deal
 * ("six Apaches have been leased"), and yields to one that adds to an
 * order ("12 more aircraft"). */
static void test_headline_count_against_body(void **state)
{
    (void)state;
    const ds_mention *p = expect_primary("Qatar clinches deal for 24 Apache helicopters\n\nQatar signed a contract worth $4 "
                                         "billion on Tuesday for Boeing AH-64E Apache Guardian helicopters. Six US Army "
                                         "Apaches have been leased to Qatar as an interim measure.",
                                         "2026-03-12", -1, DS_STATUS_SIGNED, day("2026-03-10"));
    assert_int_equal(p->quantity, 24);
    p = expect_primary("Egypt activates second Rafale tranche of 20 jets\n\nEgypt's second tranche of Rafale fighters has "
                       "entered into force, Dassault Aviation confirmed on Monday, after Cairo paid the down payment for "
                       "18 more aircraft. With the second, 24 of the 40 jets are now firmly on order.",
                       "2026-03-12", -1, -1, ANY_DAY);
    assert_int_equal(p->quantity, 18);
}

/* Day forms: "on Tuesday, March 3" is the 3rd, "on 10th March" a date,
 * "earlier today" the article's day. */
static void test_day_forms(void **state)
{
    (void)state;
    expect_primary("Peru signed a contract on Tuesday, March 3, for 24 K9 howitzers.", "2026-03-12", -1,
                   DS_STATUS_SIGNED, day("2026-03-03"));
    expect_primary("Peru signed a contract on 10th March for 24 K9 howitzers.", "2026-03-12", -1, DS_STATUS_SIGNED,
                   day("2026-03-10"));
    expect_primary("Peru signed a contract earlier today for 24 K9 howitzers.", "2026-03-12", -1, DS_STATUS_SIGNED,
                   day("2026-03-12"));
}

/* A joint venture enables contracts and is no batch of one, even when the
 * article numbers the contract planned under it ("a third executive
 * contract"). */
static void test_venture_has_no_batch(void **state)
{
    (void)state;
    const ds_mention *p = expect_primary("Hanwha Aerospace and WB Group signed an agreement on Tuesday on a joint venture "
                                         "to produce CGR-080 rockets in Poland. The Armament Agency expects a third "
                                         "executive contract, this time for rockets.",
                                         "2026-03-12", DS_STAGE_JOINT_VENTURE, DS_STATUS_SIGNED, ANY_DAY);
    assert_int_equal(p->batch, 0);
    /* what the partners invest, in a paragraph of its own, is the venture's value */
    const ds_mention *ms;
    int n = run("Hanwha Aerospace and WB Group signed an agreement on Tuesday to set up a joint venture to produce "
                "CGR-080 guided rockets in Poland.\n\nHanwha will hold 51 percent of the venture. The partners plan to "
                "invest more than 1 billion zlotys in a production plant. The CGR-080 is fired by the K239 launcher.\n\n"
                "Separately, Poland signed a contract on Monday for 12 K9 howitzers worth $400 million.",
                "2026-03-12", &ms);
    p = find(ms, n, DS_ROLE_PRIMARY, "CGR-080");
    assert_int_equal(p->stage, DS_STAGE_JOINT_VENTURE);
    assert_true(p->value.set);
    assert_string_equal(p->value.currency, "PLN");
    assert_true(p->value.amount == 100000000000LL);
}

/* "an order for Rafale fighters, thirty-six of them": the count after the
 * items it counts. */
static void test_count_of_them(void **state)
{
    (void)state;
    const ds_mention *p = expect_primary("Greece formalised an order for Rafale fighters on Monday, thirty-six of them, "
                                         "worth EUR 7 billion.",
                                         "2026-03-12", -1, DS_STATUS_SIGNED, ANY_DAY);
    assert_int_equal(p->quantity, 36);
}

/* "The order is the first phase of a planned acquisition": a phase
 * numbers the batch; an approval ("the second phase of the programme"
 * cleared by Washington) sets a ceiling and numbers none. */
static void test_phase_numbers_batch(void **state)
{
    (void)state;
    const ds_mention *p = expect_primary("Saab has signed a contract with Peru for four Gripen E fighters, worth SEK 5 "
                                         "billion. The order is the first phase of a planned acquisition of twelve "
                                         "Gripen in total.",
                                         "2026-03-12", DS_STAGE_EXECUTIVE, DS_STATUS_SIGNED, ANY_DAY);
    assert_int_equal(p->batch, 1);
    /* a phase of a programme, and a figure naming a unit, number no batch */
    p = expect_primary("Peru signed a contract on Monday for four Gripen E fighters, the first phase of the air force's "
                       "modernisation programme.",
                       "2026-03-12", DS_STAGE_EXECUTIVE, DS_STATUS_SIGNED, ANY_DAY);
    assert_int_equal(p->batch, 0);
    p = expect_primary("At the 1st Air Wing in Lima, the minister signed a contract on Monday for four Gripen E fighters.",
                       "2026-03-12", DS_STAGE_EXECUTIVE, DS_STATUS_SIGNED, ANY_DAY);
    assert_int_equal(p->batch, 0);
    p = expect_primary("The State Department approved a possible sale to Romania of 12 Patriot launchers for the "
                       "second phase of its air-defence programme, for an estimated $4 billion.",
                       "2026-03-12", DS_STAGE_APPROVAL, DS_STATUS_APPROVED, ANY_DAY);
    assert_int_equal(p->batch, 0);
}

/* "The signing with Hanwha is scheduled for Friday": a planned signing's
 * day; a delivery "scheduled for 2027" leaves a signed contract signed. */
static void test_signing_scheduled_for(void **state)
{
    (void)state;
    expect_primary("Peru's contract for 24 K9 howitzers has not yet been signed. The signing with Hanwha is scheduled "
                   "for Friday.",
                   "2026-03-12", -1, DS_STATUS_PLANNED, day("2026-03-13"));
    expect_primary("Peru signed a contract on Monday for 24 K9 howitzers. The first delivery is scheduled for 2027.",
                   "2026-03-12", DS_STAGE_EXECUTIVE, DS_STATUS_SIGNED, day("2026-03-09"));
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    const char body[] = "Poland signed \xff a contract.";
    ds_article a = {"bad", NULL, NULL, body, sizeof body - 1, DS_NO_TIME};
    const ds_mention *ms;
    char err[256];
    assert_int_equal(ds_extract(ex, &a, &ms, err, sizeof err), -1);
    assert_non_null(strstr(err, "invalid UTF-8 at byte 14"));
    assert_non_null(strstr(err, "bad"));
}

static void test_simhash_near_duplicates(void **state)
{
    (void)state;
    /* a syndicated copy: another headline and a tag line around the same text */
    size_t len;
    char *orig = tu_slurp(DS_SOURCE_DIR "/samples/02-k2-second-batch-signed.txt", &len);
    char *copy = malloc(len + 200);
    int n = snprintf(copy, len + 200, "Seoul lands record tank order\n\n%s\n(Distributed by a partner agency.)", orig);
    char *f1 = malloc(len + 1), *f2 = malloc((size_t)n + 1);
    long l1 = ds_fold(orig, len, f1, len + 1, NULL, NULL), l2 = ds_fold(copy, (size_t)n, f2, (size_t)n + 1, NULL, NULL);
    assert_true(l1 > 0 && l2 > 0);
    uint64_t ha = ds_simhash(f1, (size_t)l1), hb = ds_simhash(f2, (size_t)l2);
    assert_true(__builtin_popcountll(ha ^ hb) <= 12);
    /* a different article about the same deal is not a copy */
    size_t len3;
    char *other = tu_slurp(DS_SOURCE_DIR "/samples/04-k2-polish-side.txt", &len3);
    char *f3 = malloc(len3 + 1);
    long l3 = ds_fold(other, len3, f3, len3 + 1, NULL, NULL);
    assert_true(__builtin_popcountll(ha ^ ds_simhash(f3, (size_t)l3)) > 20);
    free(orig);
    free(copy);
    free(other);
    free(f1);
    free(f2);
    free(f3);
}

/* Inputs the fuzzer found: each must extract without undefined behaviour
 * (the suite also runs under UBSan) and yield only plausible numbers. */
static void test_fuzz_regressions(void **state)
{
    (void)state;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/data/fuzz-regressions", tu_test_dir());
    int n;
    char **paths = tu_glob(dir, "extract-*.txt", &n);
    assert_true(n >= 2);
    for (int i = 0; i < n; i++) {
        size_t len;
        char *text = tu_slurp(paths[i], &len);
        ds_article a = {"fuzz", NULL, NULL, text, len, DS_NO_TIME};
        const ds_mention *ms;
        char err[256];
        int k = ds_extract(ex, &a, &ms, err, sizeof err);
        assert_true(k >= -1);
        for (int j = 0; j < k; j++) {
            assert_true(ms[j].quantity < 1000000000000000LL);
            for (int v = 0; v < ms[j].nvariants; v++)
                assert_true(ms[j].variants[v].quantity < 1000000000000000LL);
        }
        free(text);
    }
    tu_glob_free(paths);
}

/* "while a separate contract was signed with the maker for support": a
 * second contract of the same family, with no count of its own and the
 * sum the two share; an offset agreement buys nothing. */
static void test_separate_contract_is_a_deal(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Norway on Monday signed a government-to-government contract with the United States for six P-8A "
                "aircraft, while a separate contract was signed with Boeing for training and spare parts. Both "
                "contracts together are worth $1.2 billion.",
                "2025-03-11", &ms);
    int counted = 0, bare = 0;
    for (int i = 0; i < n; i++) {
        if (ms[i].role != DS_ROLE_PRIMARY)
            continue;
        assert_string_equal(ms[i].family, "P-8");
        assert_string_equal(ms[i].buyer, "NOR");
        assert_int_equal(ms[i].status, DS_STATUS_SIGNED);
        assert_true(ms[i].value.combined);
        counted += ms[i].quantity == 6;
        bare += ms[i].quantity < 0;
    }
    assert_int_equal(counted, 1);
    assert_int_equal(bare, 1);
    n = run("Norway on Monday signed a contract with the United States for six P-8A aircraft worth $1.2 billion. A "
            "separate offset agreement was signed with Norwegian industry.",
            "2025-03-11", &ms);
    assert_int_equal(only_primary(ms, n)->quantity, 6);
}

/* A ceiling that "included" missiles approves the platform, not the
 * missiles; "last June" is a month gone by, so its approval is a recall. */
static void test_stores_of_a_ceiling_and_last_month(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Denmark on Tuesday signed a contract with the United States for 16 more F-35A fighters worth $2.5 "
                "billion. Washington approved the possible sale in March at up to $3 billion, a ceiling that included "
                "AIM-9X missiles.",
                "2025-11-18", &ms);
    const ds_mention *p = only_primary(ms, n);
    assert_string_equal(p->family, "F-35");
    assert_int_equal(find(ms, n, DS_ROLE_CONTEXT, "F-35")->stage, DS_STAGE_APPROVAL);
    for (int i = 0; i < n; i++)
        assert_string_not_equal(ms[i].family, "AIM-9X");
    n = run("Romania on Monday signed a contract for 54 K9 howitzers worth $1 billion. The State Department approved "
            "the possible sale of 18 AIM-120 missiles to Romania last June.",
            "2025-02-11", &ms);
    assert_string_equal(only_primary(ms, n)->family, "K9");
}

/* "involves Foreign Military Sales to A, B and C": one deal per state the
 * contract buys for, the sum combined; an earlier award's buyer in another
 * paragraph is not theirs. */
static void test_sales_to_listed_states(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Contracts for June 3, 2025\n\nLockheed Martin Corp., Grand Prairie, Texas, has been awarded a "
                "$210,000,000 contract for 12 HIMARS launchers for the government of Estonia. This contract involves "
                "Foreign Military Sales to Estonia.\n\nRaytheon Co., Tucson, Arizona, has been awarded a $75,000,000 "
                "modification to a previously awarded contract for AIM-120 production. This modification involves "
                "Foreign Military Sales to Norway, Denmark and the Netherlands.",
                "2025-06-04", &ms);
    int seen = 0, amraam = 0;
    for (int i = 0; i < n; i++) {
        if (ms[i].role != DS_ROLE_PRIMARY)
            continue;
        if (strcmp(ms[i].family, "HIMARS") == 0) {
            assert_string_equal(ms[i].buyer, "EST");
            continue;
        }
        assert_string_equal(ms[i].family, "AIM-120");
        assert_true(ms[i].value.combined);
        amraam++;
        seen |= strcmp(ms[i].buyer, "NOR") == 0 ? 1 : strcmp(ms[i].buyer, "DNK") == 0 ? 2 : strcmp(ms[i].buyer, "NLD") == 0 ? 4 : 8;
    }
    assert_int_equal(amraam, 3);
    assert_int_equal(seen, 7);
}

/* Delivery news of one ship ("the third of the frigates") counts one, and
 * the recall of the contract delivered ("ordered by Chile in 2019") dates
 * it; a plan in the pluperfect is no deal. */
static void test_delivery_of_one_dates_its_contract(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Third Type 26 frigate handed over to Norway\n\nThe third of the Type 26 frigates built for the "
                "Royal Norwegian Navy was handed over on Thursday in Glasgow.\n\nThe ship is one of five ordered by "
                "Norway in 2025 under a contract with BAE Systems. Norway had planned to buy 40 F-16 fighters as "
                "well.",
                "2028-05-13", &ms);
    const ds_mention *p = only_primary(ms, n);
    assert_string_equal(p->family, "TYPE_26");
    assert_int_equal(p->stage, DS_STAGE_DELIVERY);
    assert_int_equal(p->quantity, 1);
    assert_int_equal(p->signing_year, 2025);
    n = run("The second tranche of K9 howitzers, worth $150 million, arrived in Estonia on Monday.", "2025-03-11", &ms);
    p = only_primary(ms, n);
    assert_int_equal(p->stage, DS_STAGE_DELIVERY);
    assert_int_equal(p->quantity, -1);
}

/* A system named after a rivalry word competes with the deal's; nobody
 * buys it. */
static void test_rivals_are_no_deal(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Iraq signed a contract on Monday for Cheongung II air-defence batteries worth $2.8 billion.\n\nTaken "
                "together, the contracts come to $9 billion, which puts the Korean system in direct competition with "
                "NASAMS and IRIS-T SLM.",
                "2025-09-16", &ms);
    assert_string_equal(only_primary(ms, n)->buyer, "IRQ");
    for (int i = 0; i < n; i++) {
        assert_string_not_equal(ms[i].family, "NASAMS");
        assert_string_not_equal(ms[i].family, "IRIS-T_SLM");
    }
}

/* A clause that signs in a month long gone, then plans another deal ("and
 * is due to conclude ..."), recalls both: neither is the news. */
static void test_month_signing_before_plan_recalls(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Greece on Tuesday exercised an option for six more Rafale fighters worth EUR 1 billion.\n\nAthens "
                "signed with Washington in March for 20 F-35A fighters, and is due to conclude with Rome for two FREMM "
                "frigates, for which a letter of intent was signed in August.",
                "2025-12-09", &ms);
    assert_string_equal(only_primary(ms, n)->family, "RAFALE");
}

/* "Chile, which bought eight F-16 from the US, ...": the relative clause
 * recalls what that state bought; the main clause after it stays news. */
static void test_relative_purchase_recalls(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Peru is weighing its options for new fighters. Chile, which bought 10 F-16 fighters from the "
                "Netherlands, took years to bring them into service.",
                "2025-05-20", &ms);
    for (int i = 0; i < n; i++)
        assert_int_not_equal(ms[i].role, DS_ROLE_PRIMARY);
    assert_string_equal(find(ms, n, DS_ROLE_CONTEXT, "F-16")->buyer, "CHL");
    n = run("Egypt, which bought 24 Rafale fighters in 2015, on Monday signed a contract for 100 K9 howitzers worth "
            "$1.7 billion.",
            "2025-05-20", &ms);
    const ds_mention *p = only_primary(ms, n);
    assert_string_equal(p->family, "K9");
    assert_int_equal(p->quantity, 100);
}

/* The authority that approves a sale abroad is the exporter's: the buyer
 * is the state the sale goes to; a state's own approval of its purchase
 * keeps it the buyer. */
static void test_export_approval_names_the_seller(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("WASHINGTON - The State Department has approved a possible Foreign Military Sale to the Government of "
                "Hungary of NASAMS air defence systems for an estimated cost of $1 billion.",
                "2025-04-02", &ms);
    const ds_mention *p = only_primary(ms, n);
    assert_string_equal(p->buyer, "HUN");
    assert_string_equal(p->seller, "USA");
    assert_int_equal(p->status, DS_STATUS_APPROVED);
    n = run("NEW DELHI - The Cabinet Committee on Security on Wednesday cleared the deal for 26 Rafale fighters from "
            "France, worth around Rs 60,000 crore.",
            "2025-04-02", &ms);
    p = only_primary(ms, n);
    assert_string_equal(p->buyer, "IND");
    assert_string_equal(p->seller, "FRA");
    /* the package the buyer asked for is the approved sale's, not a sale of its own */
    n = run("WASHINGTON - The State Department has approved a possible Foreign Military Sale to the Government of "
            "Hungary of NASAMS air defence systems for an estimated cost of $1 billion.\n\nThe Government of Hungary "
            "has requested to buy three Sentinel radars and 60 AIM-120 missiles.",
            "2025-04-02", &ms);
    assert_string_equal(only_primary(ms, n)->family, "NASAMS");
}

/* A count by category alone ("brings Japan's total to six aircraft") is of
 * the system its paragraph named last; a clause like "under the NATO pact"
 * sets the scene and makes no deal of the systems of its sentence. */
static void test_count_of_paragraph_and_setting_clause(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Contracts\n\nThe Boeing Co. has been awarded a $300,000,000 modification. This modification "
                "exercises an option for three P-8A aircraft for the government of Norway.\n\nThe Boeing Co. has been "
                "awarded a $200,000,000 modification for two KC-46A tanker aircraft for the government of Japan. This "
                "modification exercises an option and brings Japan's total to six aircraft.",
                "2023-12-01", &ms);
    int p8 = 0;
    for (int i = 0; i < n; i++)
        if (ms[i].role == DS_ROLE_PRIMARY && strcmp(ms[i].family, "P-8") == 0) {
            assert_string_equal(ms[i].buyer, "NOR");
            p8++;
        }
    assert_int_equal(p8, 1);
    n = run("Norway has selected the Type 26 design for five new frigates, the defence minister said on Tuesday. "
            "Norway is also building four Type 212CD submarines with Germany, and is buying F-35 fighters from the "
            "United States under the NATO pact.",
            "2025-09-02", &ms);
    assert_string_equal(only_primary(ms, n)->family, "TYPE_26");
}

/* "with initial spares and training" scopes the contract; only an initial
 * deal or order is an earlier one. */
static void test_initial_spares_are_news(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Sikorsky was awarded a $900,000,000 contract for 24 UH-60M Black Hawk helicopters with initial spares "
                "and training for the Royal Thai Army.",
                "2025-02-04", &ms);
    const ds_mention *p = only_primary(ms, n);
    assert_string_equal(p->family, "UH-60");
    assert_int_equal(p->quantity, 24);
    n = run("Thailand on Monday ordered 12 more UH-60M helicopters. The initial order for 12 UH-60M was placed in 2019.",
            "2025-02-04", &ms);
    assert_int_equal(find(ms, n, DS_ROLE_CONTEXT, "UH-60")->signing_year, 2019);
}

/* "The two contracts follow the framework signed in July": the framework
 * is recalled; a catalog alias written as a description after another
 * system ("the 'gap filler' version") names no system of its own; each
 * variant of a sentence's "..., while ..." with its own sum is a deal. */
static void test_variants_each_priced_and_descriptions(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("KAI signed executive contracts with Malaysia on Monday for 30 FA-50 aircraft worth $2 billion in "
                "total.\n\nUnder the contracts, KAI will deliver 10 FA-50GF aircraft, the \"gap filler\" version, in "
                "a deal worth $600 million, while 20 FA-50PL jets will be supplied under a $1.4 billion contract. "
                "The two contracts follow the framework agreement signed in Kuala Lumpur in March.",
                "2025-06-10", &ms);
    int gf = 0, pl = 0;
    for (int i = 0; i < n; i++) {
        if (ms[i].role != DS_ROLE_PRIMARY)
            continue;
        assert_string_equal(ms[i].family, "FA-50");
        assert_int_equal(ms[i].stage, DS_STAGE_EXECUTIVE);
        gf += ms[i].quantity == 10 && ms[i].value.amount == 60000000000LL;
        pl += ms[i].quantity == 20 && ms[i].value.amount == 140000000000LL;
    }
    assert_int_equal(gf, 1);
    assert_int_equal(pl, 1);
    assert_int_equal(find(ms, n, DS_ROLE_CONTEXT, "FA-50")->stage, DS_STAGE_FRAMEWORK);
}

/* A deal clause naming no system ("signed the letter of offer and
 * acceptance") speaks of the deal its paragraph named last, even in an
 * article that reports another deal too. */
static void test_unnamed_clause_of_paragraph_deal(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Romania signs for 32 F-35 fighters\n\nThirty-two F-35A fighters will join the Romanian air force. The "
                "defence minister on Friday signed the letter of offer and acceptance with the US government, worth "
                "$6.5 billion.\n\nThe ministry also ordered 12 UH-60M helicopters for $1 billion on Friday.",
                "2025-11-15", &ms);
    assert_int_equal(find(ms, n, DS_ROLE_PRIMARY, "F-35")->stage, DS_STAGE_LOA);
    assert_int_equal(find(ms, n, DS_ROLE_PRIMARY, "UH-60")->stage, DS_STAGE_EXECUTIVE);
}

/* A contract "with options for" more is a contract; a modification a later
 * sentence says "exercises an option" is the option. */
static void test_options_held_and_exercised(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Lockheed Martin has been awarded a $2,000,000,000 contract for 20 F-16 Block 70 aircraft for the "
                "government of Bulgaria, with options for 12 additional aircraft.",
                "2025-03-04", &ms);
    assert_int_equal(only_primary(ms, n)->stage, DS_STAGE_EXECUTIVE);
    n = run("Boeing has been awarded a $150,000,000 modification to a previously awarded contract for two KC-46A "
            "tanker aircraft for the government of Japan. This modification exercises an option and brings Japan's "
            "total to six aircraft.",
            "2025-03-04", &ms);
    assert_int_equal(only_primary(ms, n)->stage, DS_STAGE_OPTION);
}

/* Signing a letter of intent states an intent; it buys nothing yet. */
static void test_letter_of_intent_is_intent(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Morocco on Monday signed a letter of intent for the purchase of 200 VBCI infantry fighting vehicles from "
                "France.",
                "2025-10-14", &ms);
    const ds_mention *p = only_primary(ms, n);
    assert_int_equal(p->stage, DS_STAGE_INTENT);
    assert_int_equal(p->status, DS_STATUS_PLANNED);
    n = run("Morocco on Monday signed a contract for the purchase of 200 VBCI infantry fighting vehicles from France.",
            "2025-10-14", &ms);
    assert_int_equal(only_primary(ms, n)->status, DS_STATUS_SIGNED);
}

/* India's Acceptance of Necessity approves a purchase; nothing is signed. */
static void test_acceptance_of_necessity_approves(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("The Defence Acquisition Council on Tuesday accorded Acceptance of Necessity for the procurement of 31 "
                "MQ-9B drones from the United States.",
                "2025-02-05", &ms);
    const ds_mention *p = only_primary(ms, n);
    assert_int_equal(p->stage, DS_STAGE_APPROVAL);
    assert_int_equal(p->status, DS_STATUS_APPROVED);
    assert_int_equal(p->signing_date, day("2025-02-04"));
}

/* The fleet a purchase replaces and a delivery still awaited ("until the
 * new boats arrive") are no deals. */
static void test_replaced_fleet_and_awaited_delivery(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Italy will buy two more Type 212CD submarines from TKMS, the procurement office said on Monday.\n\nThe "
                "first Italian boat is now due in 2031, and the Italian boats will replace the four Sauro-class "
                "submarines delivered in the late 1980s, and the six Ula-class submarines delivered in the 1990s.",
                "2025-03-11", &ms);
    const ds_mention *p = only_primary(ms, n);
    assert_string_equal(p->family, "TYPE_212");
    assert_int_equal(p->stage, DS_STAGE_EXECUTIVE);
    n = run("Italy will buy two more Type 212CD submarines from TKMS, the procurement office said on Monday.\n\nThe "
            "navy's six Ula-class boats will be kept in service until the new submarines arrive.",
            "2025-03-11", &ms);
    p = only_primary(ms, n);
    assert_int_equal(p->stage, DS_STAGE_EXECUTIVE);
    assert_int_equal(p->status, DS_STATUS_SIGNED);
}

/* "agreed in March to buy 12 ANKA drones" signs (months ago: a recall);
 * "agreed to hold talks" does not. */
static void test_agreed_to_buy_signs(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Malaysia is expected to sign for 24 Hurjet jets next week, officials said. Kuala Lumpur agreed in March "
                "to buy 12 ANKA drones from Turkish Aerospace.",
                "2025-11-03", &ms);
    assert_string_equal(only_primary(ms, n)->family, "HURJET");
    const ds_mention *c = find(ms, n, DS_ROLE_CONTEXT, "ANKA");
    assert_int_equal(c->status, DS_STATUS_SIGNED);
    assert_int_equal(c->quantity, 12);
    n = run("Malaysia and Turkey agreed on Monday to hold talks on 12 ANKA drones.", "2025-11-03", &ms);
    for (int i = 0; i < n; i++)
        assert_int_not_equal(ms[i].status, DS_STATUS_SIGNED);
}

/* "Before this, the maker's largest deals concerned ...": what came before
 * the news is a recall. */
static void test_before_this_recalls(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("The contract for the sale of 40 KAAN aircraft to Egypt was signed on Wednesday in Cairo.\n\nBefore "
                "this, Turkish Aerospace's largest export deals concerned the Hurjet trainer, for which Spain signed in "
                "2025, and ANKA drones sold to Tunisia.",
                "2025-06-11", &ms);
    const ds_mention *p = only_primary(ms, n);
    assert_string_equal(p->family, "KAAN");
    assert_string_equal(find(ms, n, DS_ROLE_CONTEXT, "HURJET")->buyer, "ESP");
}

/* Each buyer's share named after it ("the Dutch ordering four and the
 * Austrians three") makes one deal per buyer; a count after "for" is the
 * whole order's. */
static void test_shares_after_each_buyer(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Embraer signed a joint contract on Monday with the Netherlands and Austria for seven C-390 aircraft, "
                "with the Dutch ordering four and the Austrians three.",
                "2025-06-11", &ms);
    int seen = 0;
    for (int i = 0; i < n; i++) {
        if (ms[i].role != DS_ROLE_PRIMARY)
            continue;
        seen |= strcmp(ms[i].buyer, "NLD") == 0 && ms[i].quantity == 4 ? 1 : 0;
        seen |= strcmp(ms[i].buyer, "AUT") == 0 && ms[i].quantity == 3 ? 2 : 0;
    }
    assert_int_equal(seen, 3);
}

/* A purchase contract signed with a co-production contract beside it is a
 * purchase (its stage is not the venture's) and a venture of its own. */
static void test_purchase_and_venture_contracts(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Baykar and Qatar's defence ministry signed two agreements in Doha on Monday: a purchase contract for "
                "the Bayraktar TB3 drone, and a co-production contract under which parts of the aircraft will be made "
                "in Qatar.",
                "2025-04-08", &ms);
    int buy = 0, venture = 0;
    for (int i = 0; i < n; i++) {
        if (ms[i].role != DS_ROLE_PRIMARY)
            continue;
        assert_string_equal(ms[i].buyer, "QAT");
        buy += ms[i].stage == DS_STAGE_EXECUTIVE;
        venture += ms[i].stage == DS_STAGE_JOINT_VENTURE;
    }
    assert_int_equal(buy, 1);
    assert_int_equal(venture, 1);
}

/* "The deal ... is expected to be signed soon" after a sentence naming a
 * system reports that system's deal (planned: the signing named before it
 * is another deal's); missiles a price "includes" are the platform's. */
static void test_definite_deal_sentence_and_included_stores(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Greece on Monday signed the contract for 20 Rafale fighters at a cost of EUR 3 billion. Sources said "
                "the price includes the aircraft, Meteor and Exocet weapon packages and training.\n\nThe other French "
                "proposal, for two more FREMM frigates, is still under negotiation. The deal, estimated at EUR 1.5 "
                "billion, is expected to be signed soon.",
                "2025-04-29", &ms);
    assert_int_equal(find(ms, n, DS_ROLE_PRIMARY, "RAFALE")->status, DS_STATUS_SIGNED);
    assert_int_equal(find(ms, n, DS_ROLE_PRIMARY, "FREMM")->status, DS_STATUS_PLANNED);
    for (int i = 0; i < n; i++) {
        assert_string_not_equal(ms[i].family, "METEOR");
        assert_string_not_equal(ms[i].family, "EXOCET");
    }
}

/* "Germany will buy four more Type 212CD": the lead's buyer is the
 * seller's own state, though the article names a partner; a seller
 * signing an export stays the seller. */
static void test_lead_names_a_domestic_buyer(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Germany will buy two more Type 212CD submarines from TKMS, taking the joint German-Norwegian "
                "programme to twelve boats.\n\nThat parent contract covered four boats for the Royal Norwegian Navy.",
                "2025-03-11", &ms);
    const ds_mention *p = find(ms, n, DS_ROLE_PRIMARY, "TYPE_212");
    assert_string_equal(p->buyer, "DEU");
    assert_string_equal(p->seller, "DEU");
    n = run("South Korea signed a contract on Monday to sell 18 K9 howitzers to Norway for $300 million.", "2025-03-11",
            &ms);
    assert_string_equal(only_primary(ms, n)->buyer, "NOR");
}

/* "Reports say Chile will buy 60 K2 tanks ... There is no contract": a
 * family no clause signs is only talked of when the article says no
 * contract exists; one a clause signs stays news. */
static void test_no_contract_leaves_talk(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Q: Reports say Chile will buy up to 60 K2 tanks for $1 billion. Is a deal close?\n\nA: There is no "
                "contract and no agreed number yet.",
                "2025-05-20", &ms);
    for (int i = 0; i < n; i++)
        assert_int_not_equal(ms[i].role, DS_ROLE_PRIMARY);
    n = run("Chile signed a contract on Monday for 60 K2 tanks worth $1 billion. There is no contract yet for the "
            "support vehicles.",
            "2025-05-20", &ms);
    assert_string_equal(only_primary(ms, n)->family, "K2");
}

/* A deal the body mentions without a day, which a table of earlier deals
 * lists for the same buyer, is that recalled deal, not news. */
static void test_tabled_deal_is_a_recall(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Chile on Wednesday signed a contract for two Type 26 frigates worth GBP 1 billion.\n\nRecent frigate "
                "contracts:\n\n| Buyer | System | Ships | Signed |\n|---|---|---|---|\n| Chile | Type 26 | 2 | 2025 |\n"
                "| Peru | FREMM | 2 | 2021 |\n\nPeru's pattern is instructive: Lima took two FREMM in a EUR 1 billion "
                "deal.",
                "2025-05-22", &ms);
    const ds_mention *p = only_primary(ms, n);
    assert_string_equal(p->family, "TYPE_26");
    assert_string_equal(p->buyer, "CHL");
    assert_string_equal(find(ms, n, DS_ROLE_CONTEXT, "FREMM")->buyer, "PER");
}

/* "inducted its first batch ... into the air force" is a delivery; one
 * "in December", months before the article, is a recall. */
static void test_induction_and_old_delivery(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Egypt formally inducted its first batch of KAAN fighters into the air force on Friday, at a ceremony at "
                "Cairo West. It ordered 40 of them in 2025 under a contract with Turkish Aerospace.\n\nIndia received the last of its 36 Rafale jets from "
                "France in December.",
                "2029-06-02", &ms);
    const ds_mention *p = only_primary(ms, n);
    assert_string_equal(p->family, "KAAN");
    assert_int_equal(p->stage, DS_STAGE_DELIVERY);
    assert_int_equal(p->status, DS_STATUS_DELIVERED);
}

/* A recall that counts by kind only ("the 36 jets ordered in 2016") is of
 * the news's own family, not of every family of that kind the article
 * names; a deal dated by its year before talk of another is recalled. */
static void test_recall_by_kind_is_the_news_family(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("India on Monday signed a contract for 26 Rafale M fighters worth EUR 7 billion. The navy's MiG-29K "
                "and the F/A-18 it tested in 2022 stay in the news too.\n\nThe air force received the 36 jets "
                "ordered in 2016 from France by 2022.",
                "2025-04-29", &ms);
    for (int i = 0; i < n; i++) {
        assert_string_not_equal(ms[i].family, "FA-18");
        assert_string_not_equal(ms[i].family, "MIG-29");
    }
    assert_int_equal(find(ms, n, DS_ROLE_CONTEXT, "RAFALE")->quantity, 36);
    n = run("Romania on Monday signed a contract for 54 K9 howitzers worth $1 billion. Romania already operates a "
            "HIMARS battalion from a 2018 purchase and is negotiating a larger buy.",
            "2025-04-29", &ms);
    assert_int_equal(find(ms, n, DS_ROLE_CONTEXT, "HIMARS")->signing_year, 2018);
}

/* The systems a buyer chose one "over" are rivals passed over. */
static void test_chosen_over_rivals(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Peru on Monday signed a contract for 24 Gripen fighters worth $3 billion.\n\nThe government had chosen "
                "the Swedish jet in March over the F-16 and the Rafale.",
                "2025-11-04", &ms);
    assert_string_equal(only_primary(ms, n)->family, "GRIPEN");
    for (int i = 0; i < n; i++) {
        assert_string_not_equal(ms[i].family, "F-16");
        assert_string_not_equal(ms[i].family, "RAFALE");
    }
}

/* "Qatar has been a demanding customer. It acquired ...": a recall whose
 * subject is a pronoun is of the state the sentence before opens with. */
static void test_pronoun_subject_of_recall(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Baykar signed a contract with Oman on Monday for six TB3 drones worth $400 million.\n\nQatar has been a "
                "demanding customer for drone makers. It bought Wing Loong drones from China in 2019.",
                "2025-11-04", &ms);
    assert_string_equal(find(ms, n, DS_ROLE_CONTEXT, "WING_LOONG")->buyer, "QAT");
}

/* "It has not yet been signed" leaves the deal planned, whatever word of
 * the article reads as a signing ("the largest deal Korea has concluded"). */
static void test_not_yet_signed_is_planned(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("The minister left for Bucharest on Thursday for the signing of the K9 howitzer contract, the largest "
                "export deal the company has ever concluded.\n\nOfficials put the deal's value at $1 billion. It has "
                "not yet been signed.",
                "2025-07-31", &ms);
    assert_int_equal(only_primary(ms, n)->status, DS_STATUS_PLANNED);
}

/* An offset framework beside a purchase is industrial compensation; the
 * purchase stays a contract. */
static void test_offset_framework_is_no_stage(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Saab has signed a contract with Hungary for four Gripen fighters worth SEK 3 billion. Saab and Hungary "
                "have also agreed on an offset framework covering cooperation with Hungarian industry.",
                "2025-08-26", &ms);
    assert_int_equal(only_primary(ms, n)->stage, DS_STAGE_EXECUTIVE);
}

/* The aircraft a delivery arrives aboard carries it; "options including"
 * are choices a buyer weighs, not a contract's option. */
static void test_carrier_aboard_and_options_weighed(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("The first batch of BrahMos missile systems for Vietnam arrived in Hanoi on Friday aboard Indian Air "
                "Force C-17 transport aircraft, under a 2024 contract worth $700 million.",
                "2025-12-06", &ms);
    assert_string_equal(only_primary(ms, n)->family, "BRAHMOS");
    n = run("Denmark on Monday signed a contract for eight PULS rocket launchers worth DKK 1.7 billion. The purchase is "
            "separate from its air defence programme, for which it is still evaluating options including NASAMS.",
            "2025-12-09", &ms);
    assert_int_equal(only_primary(ms, n)->stage, DS_STAGE_EXECUTIVE);
}

/* A lead that lists one deal by its head noun ("and 10 transport
 * helicopters") beside another system names the buyer of both; a later
 * "while" clause naming the helicopter's system and a place of a visit
 * does not make the visited state its buyer. */
static void test_buyer_of_item_listed_by_kind(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Brazil orders Gripen jets and helicopters\n\n"
                "Brazil agreed on Monday to buy 20 Gripen fighters and 10 transport helicopters from European "
                "makers in contracts worth about 5 billion euros.\n\n"
                "Saab will build the 20 Gripen E jets under a contract worth 4 billion euros, while Airbus "
                "Helicopters will supply 10 H225M helicopters for about one billion euros. The contracts were "
                "signed during a visit that also takes the delegation to Chile and Peru.",
                "2025-03-04", &ms);
    const ds_mention *h = find(ms, n, DS_ROLE_PRIMARY, "H225M");
    assert_non_null(h);
    assert_string_equal(h->buyer, "BRA");
    assert_string_equal(h->seller, "FRA");
    assert_int_equal(h->quantity, 10);
    const ds_mention *g = find(ms, n, DS_ROLE_PRIMARY, "GRIPEN");
    assert_non_null(g);
    assert_string_equal(g->buyer, "BRA");
}

/* "engines to power the X": the counted engines are the item, the aircraft
 * they power is no purchase; an engine's designation with a maker's code
 * after a hyphen ("T700-XY-401") names family T700; a company that signs
 * "with" another company buys, the other supplies. */
static void test_engines_for_a_platform(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Tata signs deal for 40 Kestrel engines to power Dhruv helicopters\n\n"
                "Mumbai: Tata Advanced Systems on Monday signed a contract with UK-based Rolls-Royce for the supply "
                "of 40 T700-RR-401 engines, in an order worth about $200 million.",
                "2025-06-03", &ms);
    const ds_mention *e = only_primary(ms, n);
    assert_non_null(e);
    assert_string_equal(e->family, "T700");
    assert_string_equal(e->buyer, "IND");
    assert_string_equal(e->seller, "GBR");
    assert_int_equal(e->quantity, 40); /* and only_primary: the Dhruv is no deal */
}

/* "A and B ordered N and M X respectively, at $P and $Q": coordinated
 * states, counts and sums pair in order, one deal per state with its own
 * count and sum (not a combined one); currencies may lead each sum. */
static void test_respectively_pairs_buyers_counts_and_sums(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Baltic launcher orders\n\n"
                "Estonia and Lithuania ordered four and ten HIMARS launchers respectively, at $180 million and "
                "$450 million, the Pentagon said on Monday.",
                "2025-02-05", &ms);
    int seen = 0;
    for (int i = 0; i < n; i++) {
        if (ms[i].role != DS_ROLE_PRIMARY)
            continue;
        seen++;
        assert_string_equal(ms[i].family, "HIMARS");
        assert_false(ms[i].value.combined);
        if (strcmp(ms[i].buyer, "EST") == 0) {
            assert_int_equal(ms[i].quantity, 4);
            assert_int_equal(ms[i].value.amount, 18000000000LL);
        } else {
            assert_string_equal(ms[i].buyer, "LTU");
            assert_int_equal(ms[i].quantity, 10);
            assert_int_equal(ms[i].value.amount, 45000000000LL);
        }
    }
    assert_int_equal(seen, 2);
    n = run("Two CAESAR orders\n\n"
            "Belgium and Croatia signed for 12 and six CAESAR howitzers respectively, worth EUR 62 million and "
            "EUR 30 million, on Tuesday.",
            "2025-02-05", &ms);
    assert_int_equal(n >= 2, 1);
    for (int i = 0; i < n; i++)
        if (ms[i].role == DS_ROLE_PRIMARY && strcmp(ms[i].buyer, "HRV") == 0) {
            assert_int_equal(ms[i].quantity, 6);
            assert_int_equal(ms[i].value.amount, 3000000000LL);
            assert_string_equal(ms[i].value.currency, "EUR");
            seen = -1;
        }
    assert_int_equal(seen, -1);
}

/* A state buying from its own industry: the state that is the subject of
 * the trigger ("Norway has exercised ... with Kongsberg"), or, naming no
 * state at all, its ministry or forces ("The Defence Ministry on Monday
 * signed a contract with Bharat Dynamics"), is the buyer. */
static void test_domestic_buyer_by_subject(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Option taken up\n\n"
                "Finland has exercised the option in its 2023 contract with Patria for 40 more AMV XP vehicles, "
                "worth EUR 120 million, the ministry said on Tuesday.",
                "2025-09-10", &ms);
    const ds_mention *m = only_primary(ms, n);
    assert_string_equal(m->buyer, "FIN");
    assert_string_equal(m->seller, "FIN");
    assert_int_equal(m->quantity, 40);
    n = run("Missile contract\n\n"
            "The Defence Ministry on Monday signed a contract with Bharat Dynamics for 120 Astra missiles worth "
            "Rs 2,970 crore.",
            "2025-09-09", &ms);
    m = only_primary(ms, n);
    assert_string_equal(m->buyer, "IND");
    assert_string_equal(m->seller, "IND");
    assert_int_equal(m->value.amount, 2970000000000LL);
}

/* Framework agreements listing systems outside the catalog, each counted
 * and each of its own kind, are one deal per system, without a price;
 * one contract for a vehicle "along with" its missiles stays one deal. */
static void test_framework_list_of_open_systems(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Cabinet clears army frameworks\n\n"
                "Portugal's cabinet on Thursday approved framework agreements under which the army plans to "
                "acquire 150 Tigris vehicles, 36 Valkar howitzers and 10 AW149 helicopters.",
                "2025-10-10", &ms);
    int np = 0;
    for (int i = 0; i < n; i++) {
        if (ms[i].role != DS_ROLE_PRIMARY)
            continue;
        np++;
        assert_int_equal(ms[i].stage, DS_STAGE_FRAMEWORK);
        assert_string_equal(ms[i].buyer, "PRT");
        assert_false(ms[i].value.set);
    }
    assert_int_equal(np, 3);
    assert_int_equal(find(ms, n, DS_ROLE_PRIMARY, "VALKAR")->quantity, 36);
    assert_int_equal(find(ms, n, DS_ROLE_PRIMARY, "TIGRIS")->quantity, 150);
    n = run("Launcher deal\n\n"
            "Chile signed a contract on Monday for 16 Zorba launchers, along with Kestrel missiles, worth "
            "$300 million.",
            "2025-10-07", &ms);
    assert_string_equal(only_primary(ms, n)->family, "ZORBA");
}

/* A government's approval of its own purchase is an approval, never a
 * signing; "after parliament approved the purchase" in the sentence of a
 * planned signing is a step of that deal, not a second one. */
static void test_own_approval_is_no_signing(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Council clears jets\n\n"
                "Portugal's defence council on Tuesday approved the purchase of 14 Gripen E fighters from Sweden.",
                "2025-11-05", &ms);
    const ds_mention *m = only_primary(ms, n);
    assert_int_equal(m->stage, DS_STAGE_APPROVAL);
    assert_int_equal(m->status, DS_STATUS_APPROVED);
    assert_string_equal(m->buyer, "PRT");
    n = run("Signing next week\n\n"
            "Croatia's defence ministry said it will sign a contract with Nexter next Tuesday for 18 CAESAR "
            "howitzers, after parliament approved the purchase last month.",
            "2025-11-05", &ms);
    for (int i = 0; i < n; i++)
        assert_int_not_equal(ms[i].stage, DS_STAGE_APPROVAL);
    assert_int_equal(only_primary(ms, n)->status, DS_STATUS_PLANNED);
}

/* A one-line brief in headline tense ("Peru buys ...") is a deal; a past
 * participle after a head noun ("jets purchased from France") describes a
 * fleet the buyer operates, and with an agent ("bought by Serbia") it
 * still names a purchase. */
static void test_brief_verbs_and_participles(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Peru buys 12 F-16 jets from the US for $600m.", "2025-03-03", &ms);
    const ds_mention *m = only_primary(ms, n);
    assert_string_equal(m->buyer, "PER");
    assert_int_equal(m->quantity, 12);
    assert_int_equal(m->value.amount, 60000000000LL);
    n = run("Jakarta orders KAAN\n\n"
            "Indonesia signed a contract on Monday for 48 KAAN fighters from Turkey. Indonesia, which also "
            "operates Rafale aircraft purchased from France, becomes the first export customer.",
            "2025-06-12", &ms);
    assert_string_equal(only_primary(ms, n)->family, "KAAN");
    for (int i = 0; i < n; i++)
        assert_string_not_equal(ms[i].family, "RAFALE");
}

/* "from" after a system names its seller when a state buys as the
 * subject ("Egypt signed ... for 2 FREMM frigates from Italy"), and the
 * state an order comes from is its buyer ("receives order for X from
 * Slovenia"); ", and separately ordered" opens a second predicate whose
 * deal does not take the first one's sum. */
static void test_from_seller_and_second_predicate(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Cairo signs for jets and frigates\n\n"
                "Egypt signed contracts on Sunday for 24 Rafale jets from France worth EUR 3.2 billion and for "
                "two FREMM frigates from Italy worth EUR 1.1 billion.",
                "2025-05-05", &ms);
    assert_string_equal(find(ms, n, DS_ROLE_PRIMARY, "FREMM")->seller, "ITA");
    assert_string_equal(find(ms, n, DS_ROLE_PRIMARY, "RAFALE")->seller, "FRA");
    n = run("Diehl Defence receives order for IRIS-T SLM from Slovenia\n\n"
            "Diehl Defence said on Monday that Slovenia has signed a contract for the IRIS-T SLM air-defence "
            "system.",
            "2025-05-05", &ms);
    const ds_mention *m = only_primary(ms, n);
    assert_string_equal(m->buyer, "SVN");
    assert_string_equal(m->seller, "DEU");
    n = run("Buenos Aires orders jets and vehicles\n\n"
            "Argentina signed on Monday for 24 F-16 jets from Denmark, worth 300 million dollars, and "
            "separately ordered six Stryker vehicles from the United States.",
            "2025-05-06", &ms);
    const ds_mention *f16 = find(ms, n, DS_ROLE_PRIMARY, "F-16");
    assert_string_equal(f16->seller, "DNK");
    assert_int_equal(f16->value.amount, 30000000000LL);
    assert_false(f16->value.combined);
    const ds_mention *st = find(ms, n, DS_ROLE_PRIMARY, "STRYKER");
    assert_int_equal(st->quantity, 6);
    assert_false(st->value.set);
}

/* A signing sentence naming no system, then a sentence of counted systems
 * with no deal word ("They cover ..."): the second lists the first's
 * deals, one framework per system with the first's date and parties. */
static void test_items_in_the_sentence_after_the_trigger(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Frameworks signed\n\n"
                "Romania's defence ministry on Tuesday signed two framework agreements with Korean makers. They "
                "cover 300 K2 tanks and 100 K9 howitzers, the ministry said.",
                "2025-04-03", &ms);
    const ds_mention *k2 = find(ms, n, DS_ROLE_PRIMARY, "K2"), *k9 = find(ms, n, DS_ROLE_PRIMARY, "K9");
    assert_int_equal(k2->quantity, 300);
    assert_int_equal(k9->quantity, 100);
    assert_int_equal(k2->stage, DS_STAGE_FRAMEWORK);
    assert_int_equal(k9->stage, DS_STAGE_FRAMEWORK);
    assert_string_equal(k2->buyer, "ROU");
    assert_int_equal(k9->signing_date, day("2025-04-01"));
}

/* A table whose every row is dated in the article's year alone lists the
 * year's contracts as news, one primary per row with its own count (not a
 * count of another kind in the same cell), signed or "(expected)"
 * planned; a table over several years stays a table of recalls. */
static void test_table_of_the_year(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Orders of the year\n\n"
                "The table lists contracts signed this year.\n\n"
                "| Buyer | System | Quantity | Value | Signed |\n"
                "|---|---|---|---|---|\n"
                "| Spain | CAESAR howitzers, 12 support vehicles | 36 | EUR 400 million | 4 March |\n"
                "| Greece | Rafale jets | 6 | EUR 1 billion | June |\n"
                "| Estonia | K9 howitzers | 12 | EUR 50 million | 30 December (expected) |\n",
                "2025-12-15", &ms);
    int np = 0;
    for (int i = 0; i < n; i++)
        np += ms[i].role == DS_ROLE_PRIMARY;
    assert_int_equal(np, 3);
    const ds_mention *c = find(ms, n, DS_ROLE_PRIMARY, "CAESAR");
    assert_int_equal(c->quantity, 36);
    assert_string_equal(c->buyer, "ESP");
    assert_int_equal(c->status, DS_STATUS_SIGNED);
    assert_int_equal(find(ms, n, DS_ROLE_PRIMARY, "RAFALE")->signing_year, 2025);
    assert_int_equal(find(ms, n, DS_ROLE_PRIMARY, "K9")->status, DS_STATUS_PLANNED);
    n = run("Orders so far\n\n"
            "The table lists the contracts so far.\n\n"
            "| Buyer | System | Quantity | Signed |\n"
            "|---|---|---|---|\n"
            "| Spain | CAESAR howitzers | 36 | March 2023 |\n"
            "| Greece | Rafale jets | 6 | 4 June 2025 |\n",
            "2025-12-15", &ms);
    for (int i = 0; i < n; i++)
        assert_int_equal(ms[i].role, DS_ROLE_CONTEXT);
    assert_int_equal(n, 2);
}

/* "A will supply X for $P, while B will deliver Y for $Q": the "while"
 * clause is a parallel deal with its own sum, not the lead's combined
 * one; "the March frameworks cover up to N" recalls the framework, whose
 * ceiling is not the executive contract's count. */
static void test_parallel_while_deal_and_framework_ceiling(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Romania signs first Korean contracts\n\n"
                "Romania on Friday signed the first executive contracts under its March framework agreements "
                "with South Korea, ordering 90 K2 tanks and 60 K9 howitzers in deals worth a combined "
                "$4 billion.\n\n"
                "Hyundai Rotem will supply the 90 K2 tanks in a contract worth $2.5 billion, while Hanwha "
                "Aerospace will deliver the 60 K9 guns for $1.5 billion, the ministry said.\n\n"
                "The March frameworks cover up to 400 K2 tanks and 200 K9 howitzers in total.",
                "2025-06-07", &ms);
    const ds_mention *k9 = find(ms, n, DS_ROLE_PRIMARY, "K9"), *k2 = find(ms, n, DS_ROLE_PRIMARY, "K2");
    assert_int_equal(k9->value.amount, 150000000000LL);
    assert_false(k9->value.combined);
    assert_int_equal(k9->quantity, 60);
    assert_int_equal(k2->quantity, 90);
    assert_int_equal(k2->value.amount, 250000000000LL);
}

/* "Chile has ordered 30 X in two contracts, for 18 and 12": a perfect-tense
 * total spread over stated contracts recalls earlier deals; the news of
 * the article is its own signing. "has signed the first two executive
 * contracts" is news. */
static void test_perfect_total_over_contracts_is_a_recall(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Chile orders rockets\n\n"
                "Chile's army on Monday signed a contract worth $400 million for 2,000 CGR-080 guided rockets.\n\n"
                "Chile has ordered 30 Chunmoo launchers in two contracts, for 18 and 12 vehicles.",
                "2025-04-09", &ms);
    assert_string_equal(only_primary(ms, n)->family, "CGR-080");
    n = run("Two contracts signed\n\n"
            "Peru's defence ministry has signed the first two executive contracts with Korean industry, "
            "committing $1 billion to 50 K2 tanks and $500 million to 30 K9 howitzers.",
            "2025-04-09", &ms);
    assert_int_equal(find(ms, n, DS_ROLE_PRIMARY, "K2")->quantity, 50);
    assert_int_equal(find(ms, n, DS_ROLE_PRIMARY, "K9")->quantity, 30);
}

/* "cumulative orders ... exceed KRW 12 trillion" is a total of a maker's
 * orders, no deal of its own. */
static void test_cumulative_orders_are_no_deal(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Rocket contract signed\n\n"
                "Hanwha Aerospace said on Monday that it had signed a contract worth KRW 2 trillion with Norway "
                "to supply CGR-080 guided missiles for its launchers.\n\n"
                "With this deal, Hanwha Aerospace's cumulative orders from Norway for the Chunmoo exceed KRW 5 "
                "trillion.",
                "2025-09-09", &ms);
    assert_string_equal(only_primary(ms, n)->family, "CGR-080");
}

/* Another buyer's count in a sentence with no deal word ("Meanwhile,
 * Hanwha is also delivering 54 K9 guns to Romania") is background: it
 * splits no second deal off the article's news. */
static void test_other_buyers_count_without_trigger_is_no_deal(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Second K9 contract\n\n"
                "Hanwha Aerospace said on Monday it had signed the second executive contract with Finland for 40 "
                "K9 howitzers worth $500 million.\n\n"
                "Meanwhile, Hanwha is also delivering 30 K9 guns to Estonia.",
                "2025-03-11", &ms);
    const ds_mention *m = only_primary(ms, n);
    assert_string_equal(m->buyer, "FIN");
    assert_int_equal(m->quantity, 40);
}

/* "No contracts have been signed yet" negates the signing it states: a
 * fact box of planned purchases under it, with talks under way, holds no
 * deal. */
static void test_no_contracts_signed_is_no_signing(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("What Warsaw's fund buys\n\n"
                "Poland's parliament on Friday approved the change creating a PLN 50 billion special fund for the "
                "armed forces. No contracts have been signed under it yet; the planning lists include the "
                "following.\n\n"
                "At a glance:\n"
                "- Fund: PLN 50 billion, spread over several years\n"
                "- Combat aircraft: about 32 F-35A jets to replace part of the MiG-29 fleet (talks with "
                "Washington under way)\n"
                "- Helicopters: around 20 helicopters, type not chosen\n",
                "2025-06-07", &ms);
    for (int i = 0; i < n; i++)
        assert_int_not_equal(ms[i].role, DS_ROLE_PRIMARY);
}

/* After a framework reported as news, "officials expect a first executive
 * contract, for about 40 launchers, to be concluded within weeks" is a
 * planned deal of its own: executive, planned, batch 1, its own count. */
static void test_planned_first_executive_after_framework(void **state)
{
    (void)state;
    const ds_mention *ms;
    int n = run("Framework for launchers\n\n"
                "Romania's defence minister on Wednesday signed a framework agreement with Hanwha Aerospace for "
                "120 K239 Chunmoo rocket launchers. Officials expect a first executive contract, for about 40 "
                "launchers, to be concluded within weeks.",
                "2025-05-08", &ms);
    int fw = 0, ex1 = 0;
    for (int i = 0; i < n; i++) {
        if (ms[i].role != DS_ROLE_PRIMARY)
            continue;
        if (ms[i].stage == DS_STAGE_FRAMEWORK) {
            fw++;
            assert_int_equal(ms[i].quantity, 120);
            assert_int_equal(ms[i].status, DS_STATUS_SIGNED);
        } else {
            ex1++;
            assert_int_equal(ms[i].stage, DS_STAGE_EXECUTIVE);
            assert_int_equal(ms[i].status, DS_STATUS_PLANNED);
            assert_int_equal(ms[i].quantity, 40);
            assert_int_equal(ms[i].batch, 1);
            assert_string_equal(ms[i].buyer, "ROU");
        }
    }
    assert_int_equal(fw, 1);
    assert_int_equal(ex1, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_planned),      cmocka_unit_test(test_seed_signed),
        cmocka_unit_test(test_seed_coproduction), cmocka_unit_test(test_money_forms),
        cmocka_unit_test(test_numbers_in_words),  cmocka_unit_test(test_no_deal),
        cmocka_unit_test(test_homar_a_is_not_homar_k),
        cmocka_unit_test(test_month_without_year),
        cmocka_unit_test(test_date_naming_the_deal),
        cmocka_unit_test(test_joint_sum_and_future_executives),
        cmocka_unit_test(test_day_after_framework_clause),
        cmocka_unit_test(test_framework_in_clause_word),
        cmocka_unit_test(test_since_last_year),
        cmocka_unit_test(test_system_describing_system),
        cmocka_unit_test(test_bare_framework), cmocka_unit_test(test_running_total),
        cmocka_unit_test(test_the_purchase_is_the_news),
        cmocka_unit_test(test_delivery_recalls_other_batch),
        cmocka_unit_test(test_recall_of_several_buyers),
        cmocka_unit_test(test_coordinated_recall),
        cmocka_unit_test(test_aside_side_event),
        cmocka_unit_test(test_context_evidence),
        cmocka_unit_test(test_plural_first_numbers_all),
        cmocka_unit_test(test_respectively_lists_deals),
        cmocka_unit_test(test_paired_counts_and_years_list_deals),
        cmocka_unit_test(test_stated_contract_count_pairs_lists),
        cmocka_unit_test(test_framework_then_executive_recalls_both),
        cmocka_unit_test(test_recent_years_recall),
        cmocka_unit_test(test_concluded_talks_are_not_a_signing),
        cmocka_unit_test(test_local_production_of_a_purchase),
        cmocka_unit_test(test_said_it_would_dates_a_selection),
        cmocka_unit_test(test_open_world_systems),
        cmocka_unit_test(test_domestic_buyer),
        cmocka_unit_test(test_release_announcement_dates),
        cmocka_unit_test(test_recalled_approval_keeps_signing),
        cmocka_unit_test(test_denials_totals_approvals),
        cmocka_unit_test(test_money_world),
        cmocka_unit_test(test_stages_and_background),
        cmocka_unit_test(test_clause_structure),
        cmocka_unit_test(test_variants_superlatives_days),
        cmocka_unit_test(test_translated_press),
        cmocka_unit_test(test_headline_and_measures),
        cmocka_unit_test(test_selection_and_clearance),
        cmocka_unit_test(test_factbox_fleet_programme),
        cmocka_unit_test(test_other_buyers_purchase),
        cmocka_unit_test(test_relative_recall_and_venture_sum),
        cmocka_unit_test(test_other_buyers_have_ordered),
        cmocka_unit_test(test_after_a_purchase_recalls),
        cmocka_unit_test(test_day_of_month),
        cmocka_unit_test(test_denied_lead),
        cmocka_unit_test(test_stores_of_a_platform),
        cmocka_unit_test(test_past_decade),
        cmocka_unit_test(test_receives_an_order),
        cmocka_unit_test(test_delivery_under_contract_resale),
        cmocka_unit_test(test_carrier_is_not_cargo),
        cmocka_unit_test(test_award_list_modification),
        cmocka_unit_test(test_polish_weekday),
        cmocka_unit_test(test_second_purchase_shares_day),
        cmocka_unit_test(test_second_deal_of_sentence_keeps_its_day),
        cmocka_unit_test(test_plans_to_buy_is_intent),
        cmocka_unit_test(test_tranche_future_delivery_first_one),
        cmocka_unit_test(test_table_rows),
        cmocka_unit_test(test_recall_names_its_buyer),
        cmocka_unit_test(test_headline_names_the_buyer),
        cmocka_unit_test(test_amounts_to_and_funds),
        cmocka_unit_test(test_count_of_deals),
        cmocka_unit_test(test_modification_exercising_an_option),
        cmocka_unit_test(test_shares_of_a_joint_contract),
        cmocka_unit_test(test_interview_turns_are_no_box),
        cmocka_unit_test(test_ordinal_order_numbers_batch),
        cmocka_unit_test(test_own_sum_corrects_shared_sum),
        cmocka_unit_test(test_report_and_deal_clause_days),
        cmocka_unit_test(test_factbox_row_prices_its_system),
        cmocka_unit_test(test_spanish_sums_and_pesos),
        cmocka_unit_test(test_postfix_codes_and_act_sums),
        cmocka_unit_test(test_hyphenated_unit_qualifies),
        cmocka_unit_test(test_counts_of_no_item),
        cmocka_unit_test(test_report_day_of_value_clause),
        cmocka_unit_test(test_initial_of_no_deal),
        cmocka_unit_test(test_priced_variants_split),
        cmocka_unit_test(test_undated_signing_takes_article_year),
        cmocka_unit_test(test_delivered_batch_of_items),
        cmocka_unit_test(test_abbreviated_scale_and_ranges),
        cmocka_unit_test(test_numeric_dates_and_planned_periods),
        cmocka_unit_test(test_hundreds_in_words),
        cmocka_unit_test(test_own_sums_and_follow_on),
        cmocka_unit_test(test_definite_deal_refers_back),
        cmocka_unit_test(test_buyer_will_receive_count),
        cmocka_unit_test(test_number_put_at),
        cmocka_unit_test(test_cancellation_dated_by_its_contract),
        cmocka_unit_test(test_delivery_takes_its_contract_value),
        cmocka_unit_test(test_shared_clause_counts_named_deal),
        cmocka_unit_test(test_glued_and_shared_currencies),
        cmocka_unit_test(test_tranche_part_of_contract),
        cmocka_unit_test(test_delivery_counts_its_part),
        cmocka_unit_test(test_headline_count_against_body),
        cmocka_unit_test(test_day_forms),
        cmocka_unit_test(test_venture_has_no_batch),
        cmocka_unit_test(test_count_of_them),
        cmocka_unit_test(test_phase_numbers_batch),
        cmocka_unit_test(test_signing_scheduled_for),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_simhash_near_duplicates), cmocka_unit_test(test_fuzz_regressions),
        cmocka_unit_test(test_separate_contract_is_a_deal),
        cmocka_unit_test(test_stores_of_a_ceiling_and_last_month),
        cmocka_unit_test(test_sales_to_listed_states),
        cmocka_unit_test(test_delivery_of_one_dates_its_contract),
        cmocka_unit_test(test_rivals_are_no_deal),
        cmocka_unit_test(test_month_signing_before_plan_recalls),
        cmocka_unit_test(test_relative_purchase_recalls),
        cmocka_unit_test(test_export_approval_names_the_seller),
        cmocka_unit_test(test_count_of_paragraph_and_setting_clause),
        cmocka_unit_test(test_initial_spares_are_news),
        cmocka_unit_test(test_variants_each_priced_and_descriptions),
        cmocka_unit_test(test_unnamed_clause_of_paragraph_deal),
        cmocka_unit_test(test_options_held_and_exercised),
        cmocka_unit_test(test_letter_of_intent_is_intent),
        cmocka_unit_test(test_acceptance_of_necessity_approves),
        cmocka_unit_test(test_replaced_fleet_and_awaited_delivery),
        cmocka_unit_test(test_agreed_to_buy_signs),
        cmocka_unit_test(test_before_this_recalls),
        cmocka_unit_test(test_shares_after_each_buyer),
        cmocka_unit_test(test_purchase_and_venture_contracts),
        cmocka_unit_test(test_definite_deal_sentence_and_included_stores),
        cmocka_unit_test(test_lead_names_a_domestic_buyer),
        cmocka_unit_test(test_no_contract_leaves_talk),
        cmocka_unit_test(test_tabled_deal_is_a_recall),
        cmocka_unit_test(test_induction_and_old_delivery),
        cmocka_unit_test(test_recall_by_kind_is_the_news_family),
        cmocka_unit_test(test_chosen_over_rivals),
        cmocka_unit_test(test_pronoun_subject_of_recall),
        cmocka_unit_test(test_not_yet_signed_is_planned),
        cmocka_unit_test(test_offset_framework_is_no_stage),
        cmocka_unit_test(test_carrier_aboard_and_options_weighed),
        cmocka_unit_test(test_buyer_of_item_listed_by_kind),
        cmocka_unit_test(test_engines_for_a_platform),
        cmocka_unit_test(test_respectively_pairs_buyers_counts_and_sums),
        cmocka_unit_test(test_domestic_buyer_by_subject),
        cmocka_unit_test(test_framework_list_of_open_systems),
        cmocka_unit_test(test_own_approval_is_no_signing),
        cmocka_unit_test(test_brief_verbs_and_participles),
        cmocka_unit_test(test_from_seller_and_second_predicate),
        cmocka_unit_test(test_items_in_the_sentence_after_the_trigger),
        cmocka_unit_test(test_table_of_the_year),
        cmocka_unit_test(test_parallel_while_deal_and_framework_ceiling),
        cmocka_unit_test(test_perfect_total_over_contracts_is_a_recall),
        cmocka_unit_test(test_cumulative_orders_are_no_deal),
        cmocka_unit_test(test_other_buyers_count_without_trigger_is_no_deal),
        cmocka_unit_test(test_no_contracts_signed_is_no_signing),
        cmocka_unit_test(test_planned_first_executive_after_framework),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
