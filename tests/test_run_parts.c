/* The partition index of `run` (consumer/run_parts.c): every look-up
 * through it finds what librdkafka's linear search of the list finds, after
 * any sequence of adds and deletes, for the three topics the run reads and
 * for a topic of another name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "run_internal.h"

#define NPARTS 40

static const char *topics[] = {"in.articles", "in.deals", "app-mentions", "elsewhere"};

/* A runner that knows only its three topics' names. */
static runner *runner_of(ds_config *cfg)
{
    cfg->articles_topic = "in.articles";
    cfg->deals_topic = "in.deals";
    runner *r = calloc(1, sizeof *r);
    assert_non_null(r);
    r->cfg = cfg;
    snprintf(r->mtopic, sizeof r->mtopic, "app-mentions");
    return r;
}

/* Every (topic, partition) of the domain is found through ix exactly where
 * the linear search finds it. Returns how many are in l. */
static int assert_index_agrees(runner *r, part_index *ix, rd_kafka_topic_partition_list_t *l)
{
    int present = 0;
    for (size_t t = 0; t < sizeof topics / sizeof *topics; t++)
        for (int32_t p = 0; p < NPARTS; p++) {
            rd_kafka_topic_partition_t *want = rd_kafka_topic_partition_list_find(l, topics[t], p);
            rd_kafka_topic_partition_t *got = run_part_find(ix, l, run_topic_kind(r, topics[t]), topics[t], p);
            assert_ptr_equal(got, want);
            present += want != NULL;
        }
    return present;
}

static void test_kinds(void **state)
{
    (void)state;
    ds_config cfg = {0};
    runner *r = runner_of(&cfg);
    assert_int_equal(run_topic_kind(r, "in.articles"), RUN_T_ARTICLES);
    assert_int_equal(run_topic_kind(r, "in.deals"), RUN_T_DEALS);
    assert_int_equal(run_topic_kind(r, "app-mentions"), RUN_T_MENTIONS);
    assert_int_equal(run_topic_kind(r, "elsewhere"), -1);
    assert_int_equal(run_topic_kind(r, "in.deal"), -1);
    free(r);
}

/* An add of a partition already there returns its element; a new one
 * starts at RD_KAFKA_OFFSET_INVALID. */
static void test_add_finds_first(void **state)
{
    (void)state;
    ds_config cfg = {0};
    runner *r = runner_of(&cfg);
    part_index ix;
    run_part_index_init(&ix);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(2);
    rd_kafka_topic_partition_t *e = run_part_add(&ix, l, RUN_T_DEALS, "in.deals", 3);
    assert_int_equal(e->offset, RD_KAFKA_OFFSET_INVALID);
    e->offset = 41;
    for (int32_t p = 0; p < 30; p++) /* grows the list's array and the index */
        run_part_add(&ix, l, RUN_T_MENTIONS, "app-mentions", p);
    e = run_part_add(&ix, l, RUN_T_DEALS, "in.deals", 3);
    assert_int_equal(e->offset, 41);
    assert_int_equal(l->cnt, 31);
    assert_null(run_part_find(&ix, l, RUN_T_DEALS, "in.deals", 4));
    assert_null(run_part_find(&ix, l, RUN_T_ARTICLES, "in.articles", 3));
    assert_int_equal(assert_index_agrees(r, &ix, l), 31);
    rd_kafka_topic_partition_list_destroy(l);
    run_part_index_free(&ix);
    free(r);
}

/* Random adds and deletes, the index checked against the list after each. */
static void test_random_adds_and_deletes(void **state)
{
    (void)state;
    ds_config cfg = {0};
    runner *r = runner_of(&cfg);
    part_index ix;
    run_part_index_init(&ix);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(4);
    srand(17);
    int adds = 0, dels = 0;
    for (int step = 0; step < 3000; step++) {
        const char *t = topics[rand() % 4];
        int32_t p = rand() % NPARTS;
        if (rand() % 3) {
            int before = l->cnt;
            rd_kafka_topic_partition_t *e = run_part_add(&ix, l, run_topic_kind(r, t), t, p);
            assert_string_equal(e->topic, t);
            assert_int_equal(e->partition, p);
            adds += l->cnt > before;
        } else {
            int before = l->cnt;
            run_part_del(r, &ix, l, t, p);
            dels += l->cnt < before;
        }
        assert_int_equal(assert_index_agrees(r, &ix, l), l->cnt);
    }
    assert_int_equal(l->cnt, adds - dels);
    assert_true(dels > 100); /* the deletes did move elements */
    rd_kafka_topic_partition_list_destroy(l);
    run_part_index_free(&ix);
    free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kinds),
        cmocka_unit_test(test_add_finds_first),
        cmocka_unit_test(test_random_adds_and_deletes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
