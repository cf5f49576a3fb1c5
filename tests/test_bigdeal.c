/* A deal reported very many times on the embedded broker, under a small
 * producer limit (message.max.bytes=65536): its canonical record stays
 * within the limit (the sources list capped, the earliest by publication
 * then id, with sources_total and truncated saying so), `run` keeps going
 * and the record is the same whatever the arrival order. */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "broker.h"
#include "run.h"
#include "testutil.h"
#include "util.h"

#define NSOURCES 1200 /* about 100 KB of record uncapped: over the 64 KiB limit */

/* NSOURCES deal events of one contract (EST|KOR|K9, signed 2020-03-02),
 * each with a source id of its own, reported on day i % 40 after the
 * signing; written in the given order (reverse 0 or 1) to a new JSONL file
 * (path filled in). */
static void big_deal_file(char *path, int reverse)
{
    strcpy(path, "/tmp/dealstream-bigdeal-XXXXXX.jsonl");
    int fd = mkstemps(path, 6);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    for (int k = 0; k < NSOURCES; k++) {
        int i = reverse ? NSOURCES - 1 - k : k;
        int y, mo, d;
        ds_civil_from_days(ds_days_from_civil(2020, 3, 2) + i % 40, &y, &mo, &d);
        fprintf(f,
                "{\"source_id\":\"feed-est-k9-copy-%05d\",\"source\":\"procurement-feed\","
                "\"reported\":\"%04d-%02d-%02dT09:00:00.000Z\",\"buyer\":\"EST\",\"seller\":\"KOR\","
                "\"supplier\":\"Hanwha Aerospace\",\"system\":\"K9\",\"quantity\":12,"
                "\"value\":{\"amount\":\"46000000.00\",\"currency\":\"USD\"},\"stage\":\"executive\","
                "\"status\":\"signed\",\"signing_date\":\"2020-03-02\",\"batch\":1}\n",
                i, y, mo, d);
    }
    fclose(f);
}

/* Runs the processor over the big deal (in the given order) with extra
 * options; returns the stats and sets *deal to the deal's last record
 * (comparable form, owned by *deals). */
static ds_run_stats big_deal_run(int reverse, char **opts, json_t **deals, json_t **deal)
{
    ds_broker *b = tu_start_broker(4);
    const char *bs = ds_broker_bootstraps(b);
    char path[64];
    big_deal_file(path, reverse);
    char *pargs[] = {"--type", "deal", path, NULL};
    assert_int_equal(tu_produce(bs, pargs), 0);
    unlink(path);
    char *args[16] = {"-X", "message.max.bytes=65536"};
    int n = 2;
    for (int i = 0; opts && opts[i]; i++)
        args[n++] = opts[i];
    args[n] = NULL;
    ds_run_stats st;
    assert_int_equal(tu_run(bs, &st, args), 0);
    assert_int_equal(st.consumed, NSOURCES);
    assert_int_equal(st.resolved, NSOURCES);
    assert_int_equal(st.dead_letters, 0);
    assert_int_equal(st.delivery_failures, 0);
    assert_int_equal(st.aborts, 0);
    *deals = tu_comparable_deals(bs, "deals.canonical");
    ds_broker_destroy(b);
    *deal = NULL;
    const char *id;
    json_t *d;
    json_object_foreach(*deals, id, d) {
        if (tu_reported(d)) {
            assert_null(*deal); /* one deal of every report */
            *deal = d;
        }
    }
    assert_non_null(*deal);
    return st;
}

/* Asserts that deal lists exactly the first `listed` sources in source
 * order (day i % 40, then id), of NSOURCES, marked truncated, with only
 * listed sources in its evidence and value claims. */
static void assert_capped(json_t *deal, size_t listed)
{
    json_t *src = json_object_get(deal, "sources");
    assert_int_equal(json_array_size(src), listed);
    assert_int_equal(json_integer_value(json_object_get(deal, "sources_total")), NSOURCES);
    assert_true(json_is_true(json_object_get(deal, "truncated")));
    /* source order: the NSOURCES / 40 sources of day 0 (ids i = 40 k), then day 1 ... */
    for (size_t j = 0; j < listed; j++) {
        size_t per_day = NSOURCES / 40, day = j / per_day, k = j % per_day;
        char want[64];
        snprintf(want, sizeof want, "feed-est-k9-copy-%05zu", day + 40 * k);
        assert_string_equal(json_string_value(json_object_get(json_array_get(src, j), "id")), want);
    }
    json_t *ids = json_object();
    size_t k;
    json_t *s;
    json_array_foreach(src, k, s) json_object_set_new(ids, json_string_value(json_object_get(s, "id")), json_true());
    json_t *ev;
    json_array_foreach(json_object_get(deal, "evidence"), k, ev)
        assert_non_null(json_object_get(ids, json_string_value(json_object_get(ev, "source"))));
    assert_true(json_integer_value(json_object_get(deal, "evidence_total")) >=
                (json_int_t)json_array_size(json_object_get(deal, "evidence")));
    json_t *claim;
    json_array_foreach(json_object_get(deal, "value_claims"), k, claim) {
        size_t i;
        json_t *cs;
        assert_true(json_array_size(json_object_get(claim, "sources")) > 0);
        json_array_foreach(json_object_get(claim, "sources"), i, cs)
            assert_non_null(json_object_get(ids, json_string_value(cs)));
    }
    json_decref(ids);
}

/* With --canonical-max-sources 200, the record lists the earliest 200 of
 * 1,200 sources, says 1,200 in all, and the run neither stops nor aborts. */
static void test_cap_lists_earliest(void **state)
{
    (void)state;
    char *opts[] = {"--canonical-max-sources", "200", NULL};
    json_t *deals, *deal;
    ds_run_stats st = big_deal_run(0, opts, &deals, &deal);
    assert_capped(deal, 200);
    printf("cap 200: %" PRIu64 " records truncated of %" PRIu64 " delivered\n", st.truncated, st.produced);
    json_decref(deals);
}

/* With the default cap (1,000), the record would still exceed the 64 KiB
 * producer limit: the cap is halved until it fits (500), at-least-once and
 * exactly-once alike. */
static void test_byte_limit_halves_cap(void **state)
{
    (void)state;
    json_t *deals, *deal;
    big_deal_run(0, NULL, &deals, &deal);
    assert_capped(deal, 500);
    json_decref(deals);
    char *opts[] = {"--guarantee", "at-least-once", NULL};
    big_deal_run(0, opts, &deals, &deal);
    assert_capped(deal, 500);
    json_decref(deals);
}

/* The same inputs in reverse order give the same record. */
static void test_order_insensitive(void **state)
{
    (void)state;
    char *opts[] = {"--canonical-max-sources", "300", NULL};
    json_t *fwd, *rev, *dfwd, *drev;
    big_deal_run(0, opts, &fwd, &dfwd);
    big_deal_run(1, opts, &rev, &drev);
    assert_capped(dfwd, 300);
    assert_capped(drev, 300);
    /* the deals of the reports only: the embedded broker keeps about 5 MiB
     * of each partition's log and deletes the oldest records past it, so a
     * canonical partition that takes many of the big deal's revisions (some
     * 20 KB each) loses the reference rows published before them, and which
     * partitions do depends on the order */
    json_t *maps[2] = {fwd, rev};
    for (int m = 0; m < 2; m++) {
        const char *id;
        json_t *d, *tmp;
        json_object_foreach_safe(maps[m], tmp, id, d) if (!tu_reported(d)) json_object_del(maps[m], id);
    }
    assert_int_equal(tu_deal_diffs("reverse order", fwd, rev, 5), 0);
    json_decref(fwd);
    json_decref(rev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cap_lists_earliest),
        cmocka_unit_test(test_byte_limit_halves_cap),
        cmocka_unit_test(test_order_insensitive),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
