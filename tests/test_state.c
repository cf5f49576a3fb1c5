/* Partitioned state on the embedded broker: a restart restores from the
 * changelog, two instances split the work, and the arrival order does not
 * matter. Every case compares its canonical deals with one uninterrupted
 * single-instance run over the whole labelled corpus. */
#include <inttypes.h>
#include <pthread.h>
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
#include "config.h"
#include "demo.h"
#include "log.h"
#include "run.h"
#include "testutil.h"
#include "util.h"

#define APP "dealstream"

typedef struct fixture {
    char **files; /* the corpus articles, sorted by name */
    int nfiles;
    json_t *reference; /* live deals of the uninterrupted run, comparable form */
    size_t ref_deals;
} fixture;

/* Produces files[from, to) in the given order (step 1 or -1). */
static void produce_range(const char *bs, char **files, int from, int to, int reverse)
{
    int n = to - from;
    char **argv = calloc((size_t)n + 1, sizeof *argv);
    for (int i = 0; i < n; i++)
        argv[i] = files[reverse ? to - 1 - i : from + i];
    assert_int_equal(tu_produce(bs, argv), 0);
    free(argv);
}

/* The live canonical deals without what legitimately depends on history
 * (testutil.h). */
static json_t *canonical(const char *bs)
{
    return tu_comparable_deals(bs, "deals.canonical");
}

/* Asserts got equals want deal by deal, naming the first differences. */
static void assert_same_deals(json_t *want, json_t *got, const char *what)
{
    assert_int_equal(tu_deal_diffs(what, want, got, 10), 0);
    assert_int_equal(json_object_size(got), json_object_size(want));
}

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/corpus", tu_test_dir());
    fx->files = tu_glob(dir, "*.txt", &fx->nfiles);
    if (fx->nfiles < 40) {
        fprintf(stderr, "corpus: %d articles in %s\n", fx->nfiles, dir);
        return -1;
    }
    /* the reference: one processor, every article, nothing interrupted */
    ds_broker *b = tu_start_broker(4);
    const char *bs = ds_broker_bootstraps(b);
    produce_range(bs, fx->files, 0, fx->nfiles, 0);
    ds_run_stats st;
    /* one changelog record per block and batch: at most one per mention */
    if (tu_run(bs, &st, NULL) != 0 || st.consumed != (uint64_t)fx->nfiles || st.resolved != st.mentions ||
        st.state_records == 0 || st.state_records > st.resolved) {
        fprintf(stderr, "reference run: consumed %llu, mentions %llu, resolved %llu, state records %llu\n",
                (unsigned long long)st.consumed, (unsigned long long)st.mentions,
                (unsigned long long)st.resolved, (unsigned long long)st.state_records);
        ds_broker_destroy(b);
        return -1;
    }
    fx->reference = canonical(bs);
    fx->ref_deals = json_object_size(fx->reference);
    ds_broker_destroy(b);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    if (!fx)
        return 0;
    json_decref(fx->reference);
    tu_glob_free(fx->files);
    free(fx);
    return 0;
}

/* The reference itself is not trivial: the corpus makes many deals. */
static void test_reference(void **state)
{
    fixture *fx = *state;
    printf("reference: %zu live deals from %d articles\n", fx->ref_deals, fx->nfiles);
    assert_true(fx->ref_deals >= 30);
}

/* Stop after half the corpus, start a new processor with the same app id:
 * it restores its state from <app>-state and ends where the uninterrupted
 * run ended. */
static void test_restart_restores_state(void **state)
{
    fixture *fx = *state;
    int half = fx->nfiles / 2;
    ds_broker *b = tu_start_broker(4);
    const char *bs = ds_broker_bootstraps(b);
    produce_range(bs, fx->files, 0, half, 0);
    ds_run_stats st1, st2;
    /* the embedded broker does not store offsets sent in a transaction, so
     * "only new inputs" is observable with committed offsets alone */
    char *alo[] = {"--guarantee", "at-least-once", NULL};
    assert_int_equal(tu_run(bs, &st1, alo), 0);
    assert_int_equal(st1.consumed, half);
    assert_int_equal(st1.restored_blocks, 0);
    assert_true(st1.state_records > 0);
    assert_int_equal(st1.resolved, st1.mentions);

    produce_range(bs, fx->files, half, fx->nfiles, 0);
    assert_int_equal(tu_run(bs, &st2, alo), 0);
    /* only the new articles were processed, on top of restored state */
    assert_int_equal(st2.consumed, fx->nfiles - half);
    assert_int_equal(st2.resolved, st2.mentions);
    assert_true(st2.restored_blocks > 0);
    assert_true(st2.restored_records >= st2.restored_blocks);
    printf("restart: %llu blocks restored from %llu changelog records in %llu ms\n",
           (unsigned long long)st2.restored_blocks, (unsigned long long)st2.restored_records,
           (unsigned long long)st2.restore_ms);

    json_t *got = canonical(bs);
    assert_same_deals(fx->reference, got, "restart");
    json_decref(got);
    ds_broker_destroy(b);
}

typedef struct instance {
    const char *bs;
    ds_run_stats st;
    int rc;
} instance;

static void *run_instance(void *arg)
{
    instance *in = arg;
    char *argv[] = {"run", "-b", (char *)in->bs, "-e", "--app-id", APP, "--catalog", (char *)tu_catalog_dir(),
                    "--log-level", "warn", "--commit-interval-ms", "50", "-X", "session.timeout.ms=6000",
                    /* each member learns that the other resolved its mentions from the group's committed
                     * offsets, which the embedded broker does not store for transactions */
                    "--guarantee", "at-least-once",
                    "-X", "heartbeat.interval.ms=500", NULL};
    ds_config cfg;
    char err[512];
    int argc = (int)(sizeof argv / sizeof argv[0]) - 1;
    if (ds_config_parse(&cfg, DS_CMD_RUN, argc, argv, err, sizeof err)) {
        fprintf(stderr, "options: %s\n", err);
        in->rc = 2;
    } else {
        in->rc = ds_run(&cfg, &in->st);
    }
    ds_config_free(&cfg);
    return NULL;
}

/* Two processors in one group share the corpus; together they make the same
 * deals as one, and nothing is lost when the first one leaves. */
static void test_two_instances(void **state)
{
    fixture *fx = *state;
    ds_broker *b = tu_start_broker(4);
    const char *bs = ds_broker_bootstraps(b);
    produce_range(bs, fx->files, 0, fx->nfiles, 0);
    instance in[2] = {{bs}, {bs}};
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&th[i], NULL, run_instance, &in[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(in[0].rc, 0);
    assert_int_equal(in[1].rc, 0);
    printf("two instances: consumed %llu + %llu, resolved %llu + %llu\n", (unsigned long long)in[0].st.consumed,
           (unsigned long long)in[1].st.consumed, (unsigned long long)in[0].st.resolved,
           (unsigned long long)in[1].st.resolved);
    /* every article consumed and every mention resolved, at least once:
     * when the second member joins after the first generation formed (the
     * embedded broker waits 3 s for first members; a loaded machine can miss
     * that), the rebalance refuses commits and the new owner reads the
     * uncommitted records again, as at-least-once allows. The deals must be
     * the same either way. */
    uint64_t consumed = in[0].st.consumed + in[1].st.consumed;
    uint64_t resolved = in[0].st.resolved + in[1].st.resolved, mentions = in[0].st.mentions + in[1].st.mentions;
    if (consumed > (uint64_t)fx->nfiles || resolved > mentions)
        printf("two instances: redelivered after a rebalance: %llu article(s), %llu resolution(s) beyond one each\n",
               (unsigned long long)(consumed - (uint64_t)fx->nfiles),
               (unsigned long long)(resolved > mentions ? resolved - mentions : 0));
    assert_true(consumed >= (uint64_t)fx->nfiles);
    assert_true(resolved >= mentions);
    assert_true(mentions > 0);
    json_t *got = canonical(bs);
    assert_same_deals(fx->reference, got, "two instances");
    json_decref(got);
    ds_broker_destroy(b);
}

/* The corpus produced in reverse order yields the same deals. */
static void test_reverse_order(void **state)
{
    fixture *fx = *state;
    ds_broker *b = tu_start_broker(4);
    const char *bs = ds_broker_bootstraps(b);
    produce_range(bs, fx->files, 0, fx->nfiles, 1);
    ds_run_stats st;
    assert_int_equal(tu_run(bs, &st, NULL), 0);
    assert_int_equal(st.consumed, fx->nfiles);
    json_t *got = canonical(bs);
    assert_same_deals(fx->reference, got, "reverse order");
    json_decref(got);
    ds_broker_destroy(b);
}

/* One block of 600 deal events (EST|KOR|K9, contracts 60 days apart) with
 * a producer limit of 64 KB, which the block's changelog record of 600
 * mentions (about 160 bytes each: 96 KB) would exceed: with --state-max-mentions-per-block
 * 200 the run goes on to the end, the 400 mentions over the cap are
 * dead-lettered and counted, and the 200 held make 200 deals. */
static void test_block_cap_keeps_running(void **state)
{
    (void)state;
    char path[] = "/tmp/dealstream-cap-XXXXXX.jsonl";
    int fd = mkstemps(path, 6);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    for (int i = 0; i < 600; i++) {
        int32_t d = ds_days_from_civil(2000, 1, 1) + i * 60;
        int y, mo, dd;
        ds_civil_from_days(d, &y, &mo, &dd);
        fprintf(f,
                "{\"source_id\":\"feed-est-k9-%03d\",\"source\":\"procurement-feed\","
                "\"reported\":\"%04d-%02d-%02dT09:00:00.000Z\",\"buyer\":\"EST\",\"seller\":\"KOR\","
                "\"supplier\":\"Hanwha Aerospace\",\"system\":\"K9\",\"quantity\":%d,"
                "\"value\":{\"amount\":\"%d00000000.00\",\"currency\":\"USD\"},\"stage\":\"executive\","
                "\"status\":\"signed\",\"signing_date\":\"%04d-%02d-%02d\",\"batch\":%d}\n",
                i, y, mo, dd, 10 + i % 7, 1 + i % 9, y, mo, dd, i + 1);
    }
    fclose(f);
    ds_broker *b = tu_start_broker(4);
    const char *bs = ds_broker_bootstraps(b);
    char *pargs[] = {"--type", "deal", path, NULL};
    assert_int_equal(tu_produce(bs, pargs), 0);
    ds_run_stats st;
    char *args[] = {"--state-max-mentions-per-block", "200", "-X", "message.max.bytes=65536", NULL};
    assert_int_equal(tu_run(bs, &st, args), 0);
    assert_int_equal(st.consumed, 600);
    assert_int_equal(st.resolved, 600);
    assert_int_equal(st.capped, 400);
    assert_int_equal(st.dead_letters, 400);
    assert_true(st.state_records > 0);
    json_t *deals = canonical(bs);
    assert_int_equal(tu_reported_deals(deals), 200); /* besides the reference table's rows */
    json_decref(deals);
    json_t *dlq = tu_read_topic(bs, APP "-mentions.dlq");
    assert_int_equal(json_array_size(dlq), 400);
    json_decref(dlq);
    ds_broker_destroy(b);
    unlink(path);
}

/* Deal events [from, to) of one block (NOR|KOR|K9) into a new JSONL file
 * (path filled in): every fifth an intent (intents expire after the
 * 30-day retention), the others reports of contracts, four each (on four
 * days from the signing), contract j of batch j + 1 signed 30 days after
 * the one before. Returns the number of contracts begun in [from, to). */
static int big_block_file(char *path, int from, int to)
{
    strcpy(path, "/tmp/dealstream-big-XXXXXX.jsonl");
    int fd = mkstemps(path, 6);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    int contracts = 0;
    for (int i = from; i < to; i++) {
        int intent = i % 5 == 4, r = i - i / 5, deal = r / 4;
        int32_t signing = ds_days_from_civil(2000, 1, 1) + deal * 30;
        int y, mo, d, sy, smo, sd;
        ds_civil_from_days(signing + r % 4, &y, &mo, &d);
        ds_civil_from_days(signing, &sy, &smo, &sd);
        contracts += !intent && r % 4 == 0;
        fprintf(f,
                "{\"source_id\":\"feed-nor-k9-%06d\",\"source\":\"procurement-feed\","
                "\"reported\":\"%04d-%02d-%02dT09:00:00.000Z\",\"buyer\":\"NOR\",\"seller\":\"KOR\","
                "\"supplier\":\"Hanwha Aerospace\",\"system\":\"K9\",\"quantity\":%d,\"stage\":\"%s\","
                "\"status\":\"%s\"",
                i, y, mo, d, 10 + deal % 7, intent ? "intent" : "executive", intent ? "planned" : "signed");
        if (!intent)
            fprintf(f, ",\"signing_date\":\"%04d-%02d-%02d\",\"batch\":%d", sy, smo, sd, deal + 1);
        fputs("}\n", f);
    }
    fclose(f);
    return contracts;
}

/* The topics of a big-block run: the defaults (app NULL), or app's own. */
typedef struct big_topics {
    const char *app;
    char deals[128], articles[128], canonical[128];
} big_topics;

static big_topics big_topics_of(const char *app)
{
    big_topics t = {app, "deals", "articles", "deals.canonical"};
    if (app) {
        snprintf(t.deals, sizeof t.deals, "%s-deals", app);
        snprintf(t.articles, sizeof t.articles, "%s-articles", app);
        snprintf(t.canonical, sizeof t.canonical, "%s-canonical", app);
    }
    return t;
}

/* Produces events [from, to) of the big block and runs the processor over
 * them (and `extra` events produced before) under a 64 KiB producer limit,
 * at-least-once (the embedded broker stores no offsets sent in a
 * transaction); returns its stats. */
static ds_run_stats big_block_round(const char *bs, const big_topics *t, int from, int to, int extra, int *contracts)
{
    char path[64];
    *contracts += big_block_file(path, from, to);
    char *pargs[] = {"--type", "deal", "-t", (char *)t->deals, path, NULL};
    assert_int_equal(tu_produce(bs, pargs), 0);
    unlink(path);
    ds_run_stats st;
    /* batches of a second: the embedded broker keeps about 5 MB a partition,
     * and each batch rewrites the block's open chunk */
    char *args[] = {"--guarantee", "at-least-once", "--commit-interval-ms", "1000", "-X", "message.max.bytes=65536",
                    "--deals-topic", (char *)t->deals, "--articles-topic", (char *)t->articles,
                    "--canonical-topic", (char *)t->canonical, t->app ? "--app-id" : NULL, (char *)t->app, NULL};
    assert_int_equal(tu_run(bs, &st, args), 0);
    assert_int_equal(st.consumed, (uint64_t)(to - from + extra));
    assert_int_equal(st.resolved, (uint64_t)(to - from + extra));
    assert_int_equal(st.dead_letters, 0);
    assert_int_equal(st.capped, 0);
    assert_int_equal(st.delivery_failures, 0);
    return st;
}

/* The big block in rounds of `round` events up to n, then a restart given
 * 2,000 events already seen and one new contract: asserts what the test
 * descriptions below say. */
static void big_block_check(const char *bs, const big_topics *t, int n, int round)
{
    int contracts = 0;
    ds_run_stats st;
    for (int from = 0; from < n; from += round) {
        st = big_block_round(bs, t, from, from + round < n ? from + round : n, 0, &contracts);
        assert_true(st.state_records > 10);
        assert_true(from == 0 || st.restored_blocks >= 1);
        printf("big block, events %d..%d: %" PRIu64 " state records, %" PRIu64 " restored in %" PRIu64
               " ms, %" PRIu64 " intents expired\n",
               from, from + round, st.state_records, st.restored_records, st.restore_ms, st.expired);
        assert_true(st.expired > (uint64_t)round / 20);
    }
    json_t *before = tu_comparable_deals(bs, t->canonical);
    assert_int_equal(tu_reported_deals(before), (size_t)contracts);
    assert_int_equal(json_object_size(before), (size_t)contracts + tu_reference_rows()); /* and the rows' deals */
    /* already seen, and one new contract */
    int seen = 0;
    char path[64];
    big_block_file(path, 0, 2000);
    char *pargs[] = {"--type", "deal", "-t", (char *)t->deals, path, NULL};
    assert_int_equal(tu_produce(bs, pargs), 0);
    unlink(path);
    st = big_block_round(bs, t, n, n + 1, 2000, &seen);
    printf("big block, restart: %" PRIu64 " records restored in %" PRIu64 " ms\n", st.restored_records, st.restore_ms);
    assert_true(st.restored_blocks >= 1);
    assert_true(st.restored_records > 10);
    assert_int_equal(st.produced, 1); /* the new deal; nothing seen is republished */
    json_t *after = tu_comparable_deals(bs, t->canonical);
    assert_int_equal(seen, 1);
    assert_int_equal(tu_reported_deals(after), (size_t)contracts + 1);
    assert_int_equal(json_object_size(after), (size_t)contracts + 1 + tu_reference_rows());
    const char *id;
    json_t *d;
    int changed = 0;
    json_object_foreach(before, id, d) {
        json_t *g = json_object_get(after, id);
        assert_non_null(g);
        changed += !json_equal(d, g);
    }
    assert_int_equal(changed, 0);
    json_decref(before);
    json_decref(after);
}

/* One block of BIG_BLOCK deal events (4,000 contracts reported 4 times
 * each, 4,000 intents) under a 64 KiB producer limit, with no cap: as one
 * record the block's state would be about 1.6 MB. In two runs of half each
 * (at-least-once: the embedded broker stores no offsets sent in a
 * transaction; the second run restores the first's state) nothing is
 * refused or dead-lettered, every contract is one deal and the expired
 * intents left the state; a third run, restored again, given 2,000 events
 * already seen and one new contract, publishes only the new deal and leaves
 * every other as it was.
 * The embedded broker keeps about 5 MB a partition and never compacts, so
 * the block is sized to fit it; README has a run of 100,000 on a real
 * broker. */
#define BIG_BLOCK 20000
static void test_big_block_keeps_running(void **state)
{
    (void)state;
    ds_broker *b = tu_start_broker(4);
    big_topics t = big_topics_of(NULL);
    big_block_check(ds_broker_bootstraps(b), &t, BIG_BLOCK, BIG_BLOCK / 2);
    ds_broker_destroy(b);
}

/* The same on a real broker (DEALSTREAM_TEST_BROKERS), which keeps the
 * whole log: one block of 100,000 deal events in one run (20,000 contracts
 * reported 4 times each, 20,000 intents), then the restart. */
static void test_real_big_block(void **state)
{
    (void)state;
    const char *bs = getenv("DEALSTREAM_TEST_BROKERS");
    if (!bs || !bs[0]) {
        printf("skipped: DEALSTREAM_TEST_BROKERS is not set; a block of 100,000 needs a broker that keeps more "
               "than 5 MB a partition\n");
        skip();
    }
    char app[64];
    snprintf(app, sizeof app, "bigblock-%d", (int)getpid());
    big_topics t = big_topics_of(app);
    tu_create_topic(bs, t.deals, 4, NULL);
    tu_create_topic(bs, t.articles, 4, NULL);
    int n = getenv("DS_BIG_BLOCK") ? atoi(getenv("DS_BIG_BLOCK")) : 100000;
    big_block_check(bs, &t, n, n);
}

int main(void)
{
    ds_log_setup("warn", "text");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference),
        cmocka_unit_test(test_restart_restores_state),
        cmocka_unit_test(test_two_instances),
        cmocka_unit_test(test_reverse_order),
        cmocka_unit_test(test_block_cap_keeps_running),
        cmocka_unit_test(test_big_block_keeps_running),
        cmocka_unit_test(test_real_big_block),
    };
    if (getenv("DS_TEST_FILTER")) /* e.g. DS_TEST_FILTER=test_real_big_block to run one case */
        cmocka_set_test_filter(getenv("DS_TEST_FILTER"));
    if (getenv("DS_TEST_SKIP"))
        cmocka_set_skip_filter(getenv("DS_TEST_SKIP"));
    return cmocka_run_group_tests(tests, setup, teardown);
}
