/* End to end on the embedded broker: produce, run, read deals.canonical. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <librdkafka/rdkafka.h>

#include "broker.h"
#include "codec.h"
#include "demo.h"
#include "log.h"
#include "publish.h"
#include "testutil.h"

static json_t *live_deals(const char *bs)
{
    char err[256];
    json_t *deals = ds_demo_canonical(bs, "deals.canonical", err, sizeof err);
    assert_non_null(deals);
    return deals;
}

/* The one deal a report made (not the reference table alone) whose field
 * is value. */
static json_t *deal_where(json_t *deals, const char *field, const char *value)
{
    const char *k;
    json_t *d, *found = NULL;
    int n = 0;
    json_object_foreach(deals, k, d) {
        const char *s = json_string_value(json_object_get(d, field));
        int reported = tu_reported(d);
        if (reported && s && strcmp(s, value) == 0) {
            found = d;
            n++;
        }
    }
    assert_int_equal(n, 1);
    return found;
}

static void assert_str(json_t *o, const char *field, const char *want)
{
    const char *got = json_string_value(json_object_get(o, field));
    if (!got || strcmp(got, want) != 0)
        fprintf(stderr, "field %s: want %s, got %s\n", field, want, got ? got : "(null)");
    assert_non_null(got);
    assert_string_equal(got, want);
}

static int has_source(json_t *deal, const char *id)
{
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(deal, "sources"), i, s)
        if (strcmp(json_string_value(json_object_get(s, "id")), id) == 0)
            return 1;
    return 0;
}

/* The one deal one of whose sources is id. */
static json_t *deal_with_source(json_t *deals, const char *id)
{
    const char *k;
    json_t *d, *found = NULL;
    int n = 0;
    json_object_foreach(deals, k, d) if (has_source(d, id))
    {
        found = d;
        n++;
    }
    assert_int_equal(n, 1);
    return found;
}

/* Every link of every deal names a deal on the topic. */
static void assert_links_resolve(json_t *deals)
{
    const char *k;
    json_t *d, *l;
    size_t i;
    json_object_foreach(deals, k, d) json_array_foreach(json_object_get(d, "links"), i, l)
    {
        const char *t = json_string_value(json_object_get(l, "target"));
        if (!json_object_get(deals, t))
            fail_msg("deal %s links to %s, which is not on the topic", k, t);
        assert_true(json_is_string(json_object_get(l, "basis")));
    }
}

/* A row's deal no report changed was published once: by the one mentions
 * partition whose resolver holds the row's block, not by every partition. */
static void assert_rows_published_once(const char *bs, json_t *deals)
{
    json_t *all = tu_read_topic(bs, "deals.canonical");
    const char *k;
    json_t *d, *rec;
    size_t rows = 0, i;
    json_object_foreach(deals, k, d)
    {
        int reported = tu_reported(d);
        if (reported)
            continue;
        rows++;
        size_t n = 0;
        json_array_foreach(all, i, rec) n += strcmp(json_string_value(json_object_get(rec, "deal_id")), k) == 0;
        assert_int_equal(n, 1);
    }
    assert_true(rows >= 10);
    json_decref(all);
}

static void test_seeds_end_to_end(void **state)
{
    (void)state;
    int n;
    char **seeds = tu_glob(tu_seeds_dir(), "*.txt", &n);
    if (n == 0) {
        printf("skipped: no seed articles in %s\n", tu_seeds_dir());
        tu_glob_free(seeds);
        skip();
    }
    assert_int_equal(n, 3);
    ds_broker *b = tu_start_broker(4);
    const char *bs = ds_broker_bootstraps(b);
    assert_int_equal(tu_produce(bs, seeds), 0);
    ds_run_stats st;
    /* at-least-once: the second run below relies on stored offsets, which
     * the embedded broker does not keep for transactions */
    char *alo[] = {"--guarantee", "at-least-once", NULL};
    assert_int_equal(tu_run(bs, &st, alo), 0);
    assert_int_equal(st.consumed, 3);
    assert_int_equal(st.dead_letters, 0);

    json_t *deals = live_deals(bs);
    assert_int_equal(tu_reported_deals(deals), 2); /* and the reference table's rows */
    assert_links_resolve(deals);
    assert_rows_published_once(bs, deals);

    /* the second K2 executive contract, reported by both K2 articles, is
     * the reference row's deal */
    json_t *k2 = deal_with_source(deals, "000_56ff18c7e239ab4d");
    assert_str(k2, "buyer", "POL");
    assert_str(k2, "seller", "KOR");
    assert_str(k2, "stage", "executive");
    assert_str(k2, "status", "signed");
    assert_str(k2, "signing_date", "2025-08-01");
    assert_str(k2, "place", "Gliwice");
    assert_int_equal(json_integer_value(json_object_get(k2, "quantity")), 180);
    assert_int_equal(json_integer_value(json_object_get(k2, "batch")), 2);
    json_t *extra = json_array_get(json_object_get(k2, "extras"), 0);
    assert_non_null(extra);
    assert_str(extra, "what", "support vehicles");
    assert_int_equal(json_integer_value(json_object_get(extra, "quantity")), 81);
    json_t *value = json_object_get(k2, "value");
    assert_str(value, "usd", "6500000000.00");
    assert_str(value, "currency", "USD");
    json_t *sup = json_array_get(json_object_get(k2, "suppliers"), 0);
    assert_str(sup, "company", "HYUNDAI_ROTEM");
    assert_str(sup, "role", "prime");
    assert_int_equal(json_array_size(json_object_get(k2, "sources")), 3);
    assert_true(has_source(k2, "000_56ff18c7e239ab4d"));
    assert_true(has_source(k2, "001_d966ee4a641f070a"));
    assert_true(has_source(k2, "PL-K2-E2"));
    /* linked to the 2022 first batch of 180 K2, a record on the topic */
    int next_batch = 0;
    size_t i;
    json_t *l;
    json_t *e1 = deal_with_source(deals, "PL-K2-E1");
    json_array_foreach(json_object_get(k2, "links"), i, l) {
        const char *rel = json_string_value(json_object_get(l, "relation"));
        const char *ref = json_string_value(json_object_get(l, "target_ref"));
        const char *target = json_string_value(json_object_get(l, "target"));
        if (strcmp(rel, "next_batch") == 0 && ref && strcmp(ref, "PL-K2-E1") == 0 &&
            strcmp(target, json_string_value(json_object_get(e1, "deal_id"))) == 0)
            next_batch++;
    }
    assert_int_equal(next_batch, 1);
    assert_int_equal(json_integer_value(json_object_get(e1, "quantity")), 180);
    /* evidence points into the articles */
    assert_true(json_array_size(json_object_get(k2, "evidence")) >= 5);

    /* the $3.8B missile co-production agreement, on its own */
    json_t *jv = deal_where(deals, "stage", "joint_venture");
    assert_str(json_object_get(jv, "value"), "usd", "3800000000.00");
    assert_str(jv, "buyer", "POL");
    assert_str(jv, "seller", "KOR");
    assert_int_equal(json_array_size(json_object_get(jv, "sources")), 1);
    assert_true(has_source(jv, "002_aa650fcbb45bb5ca"));

    /* offsets were committed: a second run has nothing to do */
    ds_run_stats st2;
    assert_int_equal(tu_run(bs, &st2, alo), 0);
    assert_int_equal(st2.consumed, 0);

    json_decref(deals);
    tu_glob_free(seeds);
    ds_broker_destroy(b);
}

/* Raw bytes straight onto a topic. */
static void put_raw(const char *bs, const char *topic, const char *key, const void *val, size_t len)
{
    char err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bs, err, sizeof err);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    assert_non_null(rk);
    assert_int_equal(ds_publish(rk, topic, key, strlen(key), val, len, NULL, NULL), 0);
    assert_int_equal(rd_kafka_flush(rk, 10000), 0);
    rd_kafka_destroy(rk);
}

static json_t *header(json_t *env, const char *name)
{
    return json_object_get(json_object_get(env, "headers"), name);
}

static void test_poison_to_dlq(void **state)
{
    (void)state;
    ds_broker *b = tu_start_broker(4);
    const char *bs = ds_broker_bootstraps(b);
    /* single partition so the order is known */
    assert_int_equal(ds_broker_topic(b, "articles1", 1), 0);
    int n;
    char **samples = tu_glob(DS_SOURCE_DIR "/samples", "02-*.txt", &n);
    assert_int_equal(n, 1);
    put_raw(bs, "articles1", "junk-1", "\x01\x02not avro", 10);
    char *prod[] = {"-t", "articles1", samples[0], NULL};
    assert_int_equal(tu_produce(bs, prod), 0);
    /* a single-object header with a fingerprint nobody knows */
    put_raw(bs, "articles1", "junk-2", "\xC3\x01\x11\x22\x33\x44\x55\x66\x77\x88\x02", 11);
    ds_run_stats st;
    char *args[] = {"--articles-topic", "articles1", NULL};
    assert_int_equal(tu_run(bs, &st, args), 0);
    assert_int_equal(st.consumed, 3);
    assert_int_equal(st.dead_letters, 2);

    json_t *dlq = tu_read_topic(bs, "articles1.dlq");
    assert_int_equal(json_array_size(dlq), 2);
    /* the DLQ topic has several partitions: find each record by its key */
    json_t *first = json_array_get(dlq, 0), *second = json_array_get(dlq, 1);
    if (strcmp(json_string_value(json_object_get(first, "key")), "junk-1") != 0) {
        json_t *t = first;
        first = second;
        second = t;
    }
    assert_str(first, "key", "junk-1");
    assert_str(second, "key", "junk-2");
    assert_string_equal(json_string_value(header(first, "__connect.errors.topic")), "articles1");
    assert_string_equal(json_string_value(header(first, "__connect.errors.partition")), "0");
    assert_string_equal(json_string_value(header(first, "__connect.errors.offset")), "0");
    assert_string_equal(json_string_value(header(first, "__connect.errors.stage")), "decode");
    assert_string_equal(json_string_value(header(first, "__connect.errors.class.name")), "bad-magic");
    assert_string_equal(json_string_value(header(second, "__connect.errors.offset")), "2");
    assert_string_equal(json_string_value(header(second, "__connect.errors.class.name")), "unknown-fingerprint");
    assert_non_null(strstr(json_string_value(header(second, "__connect.errors.exception.message")), "fingerprint"));
    /* the original bytes are kept */
    assert_string_equal(json_string_value(json_object_get(first, "value_base64")), "AQJub3QgYXZybw==");

    /* the good article between them was processed */
    json_t *deals = live_deals(bs);
    assert_int_equal(tu_reported_deals(deals), 1);
    json_t *k2 = deal_with_source(deals, "PL-K2-E2");
    assert_str(k2, "signing_date", "2025-08-01");
    json_decref(deals);
    json_decref(dlq);
    tu_glob_free(samples);
    ds_broker_destroy(b);
}

static void test_deal_events(void **state)
{
    (void)state;
    ds_broker *b = tu_start_broker(4);
    const char *bs = ds_broker_bootstraps(b);
    char path[1024];
    snprintf(path, sizeof path, "%s/data/deals.jsonl", tu_test_dir());
    char *prod[] = {"--type", "deal", path, NULL};
    /* one line names an unknown country: produce still publishes it (it is
     * valid Avro); the processor dead-letters it at normalisation */
    assert_int_equal(tu_produce(bs, prod), 0);
    ds_run_stats st;
    assert_int_equal(tu_run(bs, &st, NULL), 0);
    assert_int_equal(st.consumed, 3);
    assert_int_equal(st.dead_letters, 1);
    json_t *deals = live_deals(bs);
    assert_int_equal(tu_reported_deals(deals), 2);
    json_t *ro = deal_where(deals, "buyer", "ROU");
    assert_str(ro, "family", "K9");
    assert_str(ro, "system", "K9A1");
    assert_str(ro, "place", "Bucharest");
    assert_str(json_array_get(json_object_get(ro, "suppliers"), 0), "company", "HANWHA_AEROSPACE");
    /* the 2022 K2 contract merges into its reference row's deal */
    json_t *pl = deal_with_source(deals, "feed-pl-k2-e1");
    assert_true(has_source(pl, "PL-K2-E1"));
    assert_int_equal(json_array_size(json_object_get(pl, "sources")), 2);
    assert_str(json_object_get(pl, "value"), "usd", "3370000000.00");
    assert_links_resolve(deals);
    json_t *dlq = tu_read_topic(bs, "deals.dlq");
    assert_int_equal(json_array_size(dlq), 1);
    assert_string_equal(json_string_value(header(json_array_get(dlq, 0), "__connect.errors.class.name")),
                        "unknown-country");
    assert_string_equal(json_string_value(header(json_array_get(dlq, 0), "__connect.errors.stage")), "normalize");
    json_decref(dlq);
    json_decref(deals);
    ds_broker_destroy(b);
}

int main(void)
{
    ds_log_setup("warn", "text");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seeds_end_to_end),
        cmocka_unit_test(test_poison_to_dlq),
        cmocka_unit_test(test_deal_events),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
