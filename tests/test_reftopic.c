/* The reference table from a compacted topic: published with
 * `produce --type reference`, read at start by run and replay, latest record
 * per ref, tombstones, rows that do not parse named by partition and offset. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <librdkafka/rdkafka.h>

#include "broker.h"
#include "catalog.h"
#include "config.h"
#include "demo.h"
#include "reftopic.h"
#include "testutil.h"

static ds_broker *g_broker;
static const char *g_bs;

static int setup(void **state)
{
    (void)state;
    char err[256];
    g_broker = ds_broker_new(1, 4, ds_broker_default_topics("dealstream"), err, sizeof err);
    if (!g_broker) {
        fprintf(stderr, "broker: %s\n", err);
        return -1;
    }
    g_bs = ds_broker_bootstraps(g_broker);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ds_broker_destroy(g_broker);
    return 0;
}

static char *reference_file(void)
{
    static char path[1024];
    snprintf(path, sizeof path, "%s/reference.tsv", tu_catalog_dir());
    return path;
}

static int publish_table(const char *topic, const char *file)
{
    char *args[] = {"--type", "reference", "-t", (char *)topic, "--catalog", (char *)tu_catalog_dir(), (char *)file,
                    NULL};
    return tu_produce(g_bs, args);
}

static void delivered(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    *(int32_t *)opaque = m->err ? -1 : m->partition;
}

/* One record, to partition (RD_KAFKA_PARTITION_UA: by key, as produce
 * does) with timestamp ts (0: now). Returns the partition it landed in. */
static int32_t send_ref_at(const char *topic, int32_t partition, int64_t ts, const char *key, const char *value)
{
    char err[256];
    int32_t landed = -1;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    assert_int_equal(rd_kafka_conf_set(conf, "bootstrap.servers", g_bs, err, sizeof err), RD_KAFKA_CONF_OK);
    rd_kafka_conf_set_dr_msg_cb(conf, delivered);
    rd_kafka_conf_set_opaque(conf, &landed);
    rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    assert_non_null(p);
    assert_int_equal(rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                                       RD_KAFKA_V_KEY(key, strlen(key)),
                                       RD_KAFKA_V_VALUE((void *)value, value ? strlen(value) : 0),
                                       RD_KAFKA_V_TIMESTAMP(ts), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                       RD_KAFKA_V_END),
                     0);
    assert_int_equal(rd_kafka_flush(p, 10000), 0);
    rd_kafka_destroy(p);
    assert_true(landed >= 0);
    return landed;
}

static int32_t send_ref(const char *topic, const char *key, const char *value)
{
    return send_ref_at(topic, RD_KAFKA_PARTITION_UA, 0, key, value);
}

static ds_catalog *load(const char *topic, char *err, size_t errlen)
{
    char *argv[] = {"run", "-b", (char *)g_bs, "--catalog", (char *)tu_catalog_dir(), "--reference-topic",
                    (char *)topic, NULL};
    ds_config cfg;
    assert_int_equal(ds_config_parse(&cfg, DS_CMD_RUN, 7, argv, err, errlen), 0);
    ds_catalog *cat = ds_reftopic_catalog(&cfg, 30000, err, errlen);
    ds_config_free(&cfg);
    return cat;
}

/* The published table reads back as the file; later records replace a row,
 * tombstones remove it. */
static void test_round_trip_override_tombstone(void **state)
{
    (void)state;
    char err[1024];
    assert_int_equal(publish_table("refs", reference_file()), 0);
    ds_catalog *file = ds_catalog_load(tu_catalog_dir(), err, sizeof err);
    assert_non_null(file);
    ds_catalog *cat = load("refs", err, sizeof err);
    if (!cat)
        fprintf(stderr, "load: %s\n", err);
    assert_non_null(cat);
    assert_int_equal(cat->nrefs, file->nrefs);
    assert_true(cat->nrefs >= 14);
    for (size_t i = 0; i < file->nrefs; i++) {
        const ds_refdeal *a = &file->refs[i], *b = ds_catalog_ref(cat, a->ref);
        assert_non_null(b);
        assert_int_equal(b->signed_date, a->signed_date);
        assert_int_equal(b->quantity, a->quantity);
        assert_int_equal(b->batch, a->batch);
        assert_int_equal(b->nparents, a->nparents);
        assert_string_equal(b->stage, a->stage);
    }
    ds_catalog_destroy(cat);

    /* a newer row for PL-K9-FW (the "648" figure), and PL-K239-E3 removed */
    const ds_refdeal *k9 = ds_catalog_ref(file, "PL-K9-FW");
    assert_non_null(k9);
    assert_int_equal(k9->quantity, 672);
    send_ref("refs", "PL-K9-FW",
         "PL-K9-FW\t2022-07-27\t-\tPOL\tKOR\tHANWHA_DEFENSE\tK9\tK9A1|K9PL\t648\t-\t-\t-\tframework\t-\t-");
    send_ref("refs", "PL-K239-E3", NULL);
    cat = load("refs", err, sizeof err);
    assert_non_null(cat);
    assert_int_equal(cat->nrefs, file->nrefs - 1);
    assert_null(ds_catalog_ref(cat, "PL-K239-E3"));
    assert_int_equal(ds_catalog_ref(cat, "PL-K9-FW")->quantity, 648);
    ds_catalog_destroy(cat);
    ds_catalog_destroy(file);
}

/* A key in several partitions (written with another partitioner) has no
 * offset order between them: the record with the newest timestamp wins,
 * whichever partition it is in and in whatever order they are read. */
static void test_key_in_two_partitions(void **state)
{
    (void)state;
    char err[1024];
    const char *row = "PL-K9-FW\t2022-07-27\t-\tPOL\tKOR\tHANWHA_DEFENSE\tK9\tK9A1|K9PL\t%d\t-\t-\t-\tframework\t-\t-";
    char v[256];
    const int np = 4;
    assert_int_equal(ds_broker_topic(g_broker, "refs-split", np), 0);
    assert_int_equal(publish_table("refs-split", reference_file()), 0);
    ds_catalog *cat = load("refs-split", err, sizeof err);
    assert_non_null(cat);
    assert_int_equal(ds_catalog_ref(cat, "PL-K9-FW")->quantity, 672);
    ds_catalog_destroy(cat);
    snprintf(v, sizeof v, row, 660);
    int32_t home = send_ref("refs-split", "PL-K9-FW", v);
    int64_t now = (int64_t)time(NULL) * 1000;

    /* an older record elsewhere does not replace the newer one at home */
    snprintf(v, sizeof v, row, 600);
    assert_int_equal(send_ref_at("refs-split", (home + 1) % np, now - 3600 * 1000, "PL-K9-FW", v), (home + 1) % np);
    cat = load("refs-split", err, sizeof err);
    assert_non_null(cat);
    assert_int_equal(ds_catalog_ref(cat, "PL-K9-FW")->quantity, 660);
    ds_catalog_destroy(cat);

    /* a newer one does, also from a partition before home */
    snprintf(v, sizeof v, row, 700);
    assert_int_equal(send_ref_at("refs-split", (home + np - 1) % np, now + 3600 * 1000, "PL-K9-FW", v),
                     (home + np - 1) % np);
    cat = load("refs-split", err, sizeof err);
    assert_non_null(cat);
    assert_int_equal(ds_catalog_ref(cat, "PL-K9-FW")->quantity, 700);
    ds_catalog_destroy(cat);
}

/* Rows that do not parse, keys that do not match, a missing topic: each a
 * clear error naming where. */
static void test_bad_rows(void **state)
{
    (void)state;
    char err[1024];
    assert_int_equal(publish_table("refs-bad", reference_file()), 0);
    int32_t part = send_ref("refs-bad", "PL-XX-E1",
                            "PL-XX-E1\t2022-13-45\t-\tPOL\tKOR\t-\tK2\t-\t-\t-\t-\t-\texecutive\t1\t-");
    assert_null(load("refs-bad", err, sizeof err));
    char where[64];
    snprintf(where, sizeof where, "reference topic refs-bad [%d] offset ", (int)part);
    assert_non_null(strstr(err, where));
    assert_non_null(strstr(err, "(key PL-XX-E1): bad date '2022-13-45'"));

    send_ref("refs-bad", "PL-XX-E1", "PL-YY-E1\t2022-10-01\t-\tPOL\tKOR\t-\tK2\t-\t-\t-\t-\t-\texecutive\t1\t-");
    assert_null(load("refs-bad", err, sizeof err));
    assert_non_null(strstr(err, "(key PL-XX-E1): the row's ref column does not match the key"));

    /* removing a parent that others name */
    send_ref("refs-bad", "PL-XX-E1", NULL);
    send_ref("refs-bad", "PL-K2-FW", NULL);
    assert_null(load("refs-bad", err, sizeof err));
    assert_non_null(strstr(err, "unknown parent ref 'PL-K2-FW'"));
    assert_non_null(strstr(err, "reference topic refs-bad ["));
    assert_non_null(strstr(err, "(key PL-K2-E"));

    assert_null(load("no-such-refs", err, sizeof err));
    assert_string_equal(err, "reference topic no-such-refs: does not exist");
    /* an empty one is refused too: linking would silently lose its table */
    char ebs[256];
    assert_int_equal(ds_broker_topic(g_broker, "refs-empty", 1), 0);
    assert_null(load("refs-empty", ebs, sizeof ebs));
    assert_non_null(strstr(ebs, "reference topic refs-empty holds no row (0 record(s) read, 0 tombstone(s))"));

    /* produce refuses a file whose header is not reference.tsv's */
    char path[] = "/tmp/ds-refs-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("# comment\nref\tsigned\n", f);
    fclose(f);
    assert_int_equal(publish_table("refs-bad2", path), 1);
    remove(path);
}

/* run reads the table from the topic: the second K2 executive contract
 * links to the first through it. */
static void test_run_with_reference_topic(void **state)
{
    (void)state;
    assert_int_equal(publish_table("refs-run", reference_file()), 0);
    int n;
    char **seeds = tu_glob(tu_seeds_dir(), "*.txt", &n);
    assert_true(n > 0);
    assert_int_equal(tu_produce(g_bs, seeds), 0);
    tu_glob_free(seeds);
    char *args[] = {"--reference-topic", "refs-run", NULL};
    ds_run_stats st;
    assert_int_equal(tu_run(g_bs, &st, args), 0);
    assert_true(st.produced > 0);
    char err[256];
    json_t *deals = ds_demo_canonical(g_bs, "deals.canonical", err, sizeof err);
    assert_non_null(deals);
    int linked = 0;
    const char *k;
    json_t *d;
    json_object_foreach(deals, k, d) {
        size_t i;
        json_t *l;
        json_array_foreach(json_object_get(d, "links"), i, l)
            if (strcmp(json_string_value(json_object_get(l, "relation")), "next_batch") == 0 &&
                strcmp(json_string_value(json_object_get(l, "target_ref")), "PL-K2-E1") == 0)
                linked++;
    }
    assert_int_equal(linked, 1);
    json_decref(deals);

    /* a reference topic that does not exist stops run at start */
    char *missing[] = {"--reference-topic", "no-such-refs", NULL};
    assert_int_equal(tu_run(g_bs, &st, missing), 1);
}

/* One reference row for key through the transactional producer tp, in its
 * open transaction (value NULL: a tombstone), delivered. */
static void send_ref_in(rd_kafka_t *tp, const char *topic, const char *key, const char *value)
{
    assert_int_equal(rd_kafka_producev(tp, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0),
                                       RD_KAFKA_V_KEY(key, strlen(key)),
                                       RD_KAFKA_V_VALUE((void *)value, value ? strlen(value) : 0),
                                       RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
                     0);
    assert_int_equal(rd_kafka_flush(tp, 30000), 0);
}

/* Loads the table of reference topic refs (replay reads it at start; its
 * input, an empty topic, gives it nothing else to do) while tp's
 * transaction is open: the load must wait for the transaction, then
 * report `rows` rows. */
static void load_across_open_transaction(const char *brokers, const char *refs, rd_kafka_t *tp, int commit,
                                         size_t rows)
{
    char input[160], app[64], waiting[256], want[256];
    snprintf(input, sizeof input, "%s-input", refs);
    snprintf(app, sizeof app, "rfx%d", (int)getpid());
    snprintf(waiting, sizeof waiting, "reference topic %s [0]: waiting at offset ", refs);
    snprintf(want, sizeof want, "reference table: %zu row(s) from topic %s", rows, refs);
    char *extra[] = {"--reference-topic", (char *)refs, NULL};
    tu_replay_across_open_transaction(brokers, app, input, extra, tp, commit, waiting, want);
}

/* The table on a real cluster, under read_committed: a transaction open on
 * the topic (as every commit is until the broker has written its markers)
 * holds the last stable offset below the high watermark; the table is
 * loaded once it ends, with the row it added if it committed, and without
 * the tombstone it wrote if it aborted. */
static void test_real_waits_for_transaction(void **state)
{
    (void)state;
    const char *real = tu_real_brokers("a transaction left open (the embedded broker writes no markers)");
    char refs[64], input[96], txid[96], e[512];
    snprintf(refs, sizeof refs, "refs-txn-%d", (int)getpid());
    snprintf(input, sizeof input, "%s-input", refs);
    snprintf(txid, sizeof txid, "%s-producer", refs);
    tu_create_topic(real, refs, 1, NULL);
    tu_create_topic(real, input, 1, NULL);
    char *args[] = {"--type", "reference", "-t", refs, "--catalog", (char *)tu_catalog_dir(), reference_file(), NULL};
    assert_int_equal(tu_produce(real, args), 0);
    ds_catalog *file = ds_catalog_load(tu_catalog_dir(), e, sizeof e);
    assert_non_null(file);
    size_t rows = file->nrefs;
    ds_catalog_destroy(file);
    rd_kafka_t *tp = tu_transactional_producer(real, txid);
    /* committed: a new row */
    assert_null(rd_kafka_begin_transaction(tp));
    send_ref_in(tp, refs, "PL-K9-TX",
                "PL-K9-TX\t2022-07-27\t-\tPOL\tKOR\tHANWHA_DEFENSE\tK9\tK9A1|K9PL\t48\t-\t-\t-\tframework\t-\t-");
    load_across_open_transaction(real, refs, tp, 1, rows + 1);
    /* aborted: its tombstone of that row */
    assert_null(rd_kafka_begin_transaction(tp));
    send_ref_in(tp, refs, "PL-K9-TX", NULL);
    load_across_open_transaction(real, refs, tp, 0, rows + 1);
    rd_kafka_destroy(tp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_override_tombstone),
        cmocka_unit_test(test_key_in_two_partitions),
        cmocka_unit_test(test_bad_rows),
        cmocka_unit_test(test_run_with_reference_topic),
        cmocka_unit_test(test_real_waits_for_transaction),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
