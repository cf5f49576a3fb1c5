/* Consumer lag and offsets reset: the status rules as a pure function, and
 * the figures on the embedded broker against a group whose committed offsets
 * the test sets. Timestamp look-ups and transaction markers need a real
 * cluster (DEALSTREAM_TEST_BROKERS); those tests say "skipped" without one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include "broker.h"
#include "config.h"
#include "lag.h"
#include "log.h"
#include "offsets.h"
#include "run.h"
#include "testutil.h"
#include "util.h"

#define HOUR_MS 3600000LL

/* ---- helpers ---------------------------------------------------------------- */

static ds_config *cfg_for(const char *bs)
{
    static ds_config cfg;
    char err[256];
    char *argv[] = {"lag", "-b", (char *)bs, "--log-level", "warn", NULL};
    ds_config_free(&cfg);
    assert_int_equal(ds_config_parse(&cfg, DS_CMD_LAG, 5, argv, err, sizeof err), 0);
    return &cfg;
}

static rd_kafka_t *client(rd_kafka_type_t type, const char *bs, const char *group, const char *txid)
{
    return tu_kafka_client(type, bs, group, "transactional.id", txid);
}

/* Produces n messages to topic [partition], all with timestamp ts. */
static void produce_at(const char *bs, const char *topic, int32_t partition, int n, int64_t ts)
{
    rd_kafka_t *rk = client(RD_KAFKA_PRODUCER, bs, NULL, NULL);
    for (int i = 0; i < n; i++)
        assert_int_equal(rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                                           RD_KAFKA_V_VALUE("x", 1), RD_KAFKA_V_TIMESTAMP(ts), RD_KAFKA_V_END),
                         0);
    assert_int_equal(rd_kafka_flush(rk, 10000), 0);
    rd_kafka_destroy(rk);
}

/* Commits offsets for group as a consumer of it that never subscribes. */
static void commit(const char *bs, const char *group, const char *topic, const int32_t *parts,
                   const int64_t *offsets, int n)
{
    rd_kafka_t *rk = client(RD_KAFKA_CONSUMER, bs, group, NULL);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(n);
    for (int i = 0; i < n; i++)
        rd_kafka_topic_partition_list_add(l, topic, parts[i])->offset = offsets[i];
    assert_int_equal(rd_kafka_commit(rk, l, 0), 0);
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_destroy(rk);
}

/* The group's committed offset of topic [partition], from a fresh handle;
 * -1 when none. */
static int64_t committed(const char *bs, const char *group, const char *topic, int32_t partition)
{
    rd_kafka_t *rk = client(RD_KAFKA_CONSUMER, bs, group, NULL);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, partition);
    assert_int_equal(rd_kafka_committed(rk, l, 10000), 0);
    int64_t off = l->elems[0].offset;
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_destroy(rk);
    return off >= 0 ? off : -1;
}

static const ds_lag_part *part_of(const ds_lag *lag, const char *topic, int32_t partition)
{
    size_t n;
    const ds_lag_part *p = ds_lag_parts(lag, &n);
    for (size_t i = 0; i < n; i++)
        if (p[i].partition == partition && strcmp(p[i].topic, topic) == 0)
            return &p[i];
    fail_msg("no partition %s [%d]", topic, (int)partition);
    return NULL;
}

/* Runs the dealstream binary with args, returns its exit code and its
 * stdout in *out (malloc'd). */
static int run_bin(const char *args, char **out)
{
    const char *bin = getenv("DS_BIN");
    assert_non_null(bin);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s %s", bin, args);
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    size_t len;
    *out = ds_read_stream(f, &len);
    int st = pclose(f);
    assert_true(WIFEXITED(st));
    return WEXITSTATUS(st);
}

/* ---- status rules (pure) ------------------------------------------------------ */

/* Feeds (committed, lag) pairs, one observation a second, and returns the
 * status after the last. */
static ds_lag_status feed(int window, const int64_t (*seq)[2], int n)
{
    ds_lag_track t;
    ds_lag_track_init(&t, window);
    for (int i = 0; i < n; i++)
        ds_lag_track_add(&t, (ds_lag_obs){.ts_ms = 1000000 + 1000LL * i, .committed = seq[i][0], .lag = seq[i][1]});
    return ds_lag_track_status(&t);
}

static void test_status_rules(void **state)
{
    (void)state;
    /* one observation: always OK, even lagging */
    const int64_t one[][2] = {{5, 100}};
    assert_int_equal(feed(5, one, 1), DS_LAG_OK);
    /* consuming and keeping up */
    const int64_t ok[][2] = {{10, 5}, {20, 3}, {30, 4}, {40, 0}, {50, 2}};
    assert_int_equal(feed(5, ok, 5), DS_LAG_OK);
    /* WARN: lag grows at every step while commits advance */
    const int64_t warn[][2] = {{10, 5}, {20, 6}, {30, 8}, {40, 9}, {50, 12}};
    assert_int_equal(feed(5, warn, 5), DS_LAG_WARN);
    /* ... but not before the window is full, nor with one flat step */
    assert_int_equal(feed(5, warn, 4), DS_LAG_OK);
    const int64_t flat[][2] = {{10, 5}, {20, 6}, {30, 6}, {40, 9}, {50, 12}};
    assert_int_equal(feed(5, flat, 5), DS_LAG_OK);
    /* STALL: the committed offset stays put across the whole window, lag > 0 */
    const int64_t stall[][2] = {{7, 3}, {7, 3}, {7, 4}, {7, 4}, {7, 9}};
    assert_int_equal(feed(5, stall, 5), DS_LAG_STALL);
    /* unchanged but caught up is OK (an idle topic) */
    const int64_t idle[][2] = {{7, 0}, {7, 0}, {7, 0}, {7, 0}, {7, 0}};
    assert_int_equal(feed(5, idle, 5), DS_LAG_OK);
    /* one observation without lag in the window: not a stall */
    const int64_t caught[][2] = {{7, 0}, {7, 2}, {7, 3}, {7, 3}, {7, 3}};
    assert_int_equal(feed(5, caught, 5), DS_LAG_OK);
    /* STOP: unchanged for longer than the window spans (since before it) */
    const int64_t stop[][2] = {{7, 3}, {7, 3}, {7, 3}, {7, 3}, {7, 3}, {7, 3}};
    assert_int_equal(feed(5, stop, 6), DS_LAG_STOP);
    /* the same history, but the offset moved just before the window: STALL */
    const int64_t moved[][2] = {{6, 4}, {7, 3}, {7, 3}, {7, 3}, {7, 3}, {7, 3}};
    assert_int_equal(feed(5, moved, 6), DS_LAG_STALL);
    /* STOP needs lag in the last observation */
    const int64_t done[][2] = {{7, 3}, {7, 3}, {7, 3}, {7, 3}, {7, 3}, {7, 0}};
    assert_int_equal(feed(5, done, 6), DS_LAG_OK);
    /* no commit at all, data waiting: a stall of the "none" offset */
    const int64_t none[][2] = {{-1, 3}, {-1, 3}, {-1, 3}};
    assert_int_equal(feed(3, none, 3), DS_LAG_STALL);
    /* REWIND: any backwards step in the window, even before it is full */
    const int64_t rewind[][2] = {{50, 1}, {20, 31}};
    assert_int_equal(feed(5, rewind, 2), DS_LAG_REWIND);
    /* ... and it wins over the other rules */
    const int64_t rw_stall[][2] = {{7, 3}, {7, 3}, {5, 5}, {5, 5}, {5, 5}, {5, 5}};
    assert_int_equal(feed(5, rw_stall, 6), DS_LAG_REWIND);
    /* ... until the backwards step leaves the window */
    assert_int_equal(feed(3, rw_stall, 6), DS_LAG_STOP);
    /* the first commit (none -> offset) is not a rewind */
    const int64_t first[][2] = {{-1, 3}, {2, 1}};
    assert_int_equal(feed(5, first, 2), DS_LAG_OK);

    /* group: ERR over WARN over OK */
    ds_lag_status st[] = {DS_LAG_OK, DS_LAG_WARN, DS_LAG_OK};
    assert_int_equal(ds_lag_combine(st, 3), DS_LAG_WARN);
    assert_int_equal(ds_lag_combine(st, 1), DS_LAG_OK);
    for (ds_lag_status bad = DS_LAG_STALL; bad <= DS_LAG_REWIND; bad++) {
        st[2] = bad;
        assert_int_equal(ds_lag_combine(st, 3), DS_LAG_ERR);
    }
    assert_int_equal(ds_lag_exit_code(DS_LAG_OK), 0);
    assert_int_equal(ds_lag_exit_code(DS_LAG_WARN), 3);
    assert_int_equal(ds_lag_exit_code(DS_LAG_ERR), 4);
}

/* ---- lag on the embedded broker ---------------------------------------------- */

/* The embedded broker's topic of these tests, 3 partitions. */
static const char *const LAGGED[] = {"lagged", NULL};

/* lagged [0]: 10 messages an hour old, committed 4 -> lag 6;
 * lagged [1]: 5 messages, committed 5 -> caught up;
 * lagged [2]: 3 messages two hours old, no commit -> lag 3. */
static void setup_lagged(const char *bs, const char *group, int64_t now)
{
    produce_at(bs, "lagged", 0, 10, now - HOUR_MS);
    produce_at(bs, "lagged", 1, 5, now - HOUR_MS);
    produce_at(bs, "lagged", 2, 3, now - 2 * HOUR_MS);
    const int32_t parts[] = {0, 1};
    const int64_t offs[] = {4, 5};
    commit(bs, group, "lagged", parts, offs, 2);
}

static void assert_near(int64_t got, int64_t want, int64_t tol)
{
    if (got < want - tol || got > want + tol)
        fail_msg("%lld is not within %lld of %lld", (long long)got, (long long)tol, (long long)want);
}

static void test_lag_figures(void **state)
{
    (void)state;
    ds_broker *b = tu_start_broker_topics(3, LAGGED);
    const char *bs = ds_broker_bootstraps(b);
    int64_t now = ds_now_ms();
    setup_lagged(bs, "g-figures", now);

    char err[512] = "";
    ds_lag *lag = ds_lag_new(cfg_for(bs), "g-figures", "lagged", 5, err, sizeof err);
    if (!lag)
        fprintf(stderr, "%s\n", err);
    assert_non_null(lag);
    assert_int_equal(ds_lag_observe(lag, err, sizeof err), 0);
    size_t n;
    ds_lag_parts(lag, &n);
    assert_int_equal(n, 3);

    const ds_lag_part *p0 = part_of(lag, "lagged", 0);
    assert_int_equal(p0->committed, 4);
    assert_int_equal(p0->log_start, 0);
    assert_int_equal(p0->log_end, 10);
    assert_int_equal(p0->lag, 6);
    /* measured: the message at offset 4 was stamped an hour ago */
    assert_near(p0->time_lag_ms, ds_now_ms() - (now - HOUR_MS), 5000);
    const ds_lag_part *p1 = part_of(lag, "lagged", 1);
    assert_int_equal(p1->committed, 5);
    assert_int_equal(p1->log_end, 5);
    assert_int_equal(p1->lag, 0);
    assert_int_equal(p1->time_lag_ms, 0);
    const ds_lag_part *p2 = part_of(lag, "lagged", 2);
    assert_int_equal(p2->committed, DS_LAG_NONE);
    assert_int_equal(p2->lag, 3);
    assert_near(p2->time_lag_ms, ds_now_ms() - (now - 2 * HOUR_MS), 5000);
    assert_int_equal(ds_lag_group_status(lag), DS_LAG_OK);

    /* JSON: totals per topic and group, null for the missing commit */
    json_t *o = ds_lag_json(lag);
    assert_string_equal(json_string_value(json_object_get(o, "group")), "g-figures");
    assert_string_equal(json_string_value(json_object_get(o, "status")), "OK");
    assert_int_equal(json_integer_value(json_object_get(o, "lag")), 9);
    assert_near(json_integer_value(json_object_get(o, "time_lag_ms")), 2 * HOUR_MS, 5000);
    assert_int_equal(json_integer_value(json_object_get(o, "window")), 5);
    assert_int_equal(json_integer_value(json_object_get(o, "observations")), 1);
    assert_non_null(json_object_get(o, "time"));
    json_t *topics = json_object_get(o, "topics");
    assert_int_equal(json_array_size(topics), 1);
    json_t *t = json_array_get(topics, 0);
    assert_string_equal(json_string_value(json_object_get(t, "topic")), "lagged");
    assert_int_equal(json_integer_value(json_object_get(t, "lag")), 9);
    json_t *parts = json_object_get(t, "partitions");
    assert_int_equal(json_array_size(parts), 3);
    json_t *j2 = json_array_get(parts, 2);
    assert_int_equal(json_integer_value(json_object_get(j2, "partition")), 2);
    assert_true(json_is_null(json_object_get(j2, "committed")));
    assert_int_equal(json_integer_value(json_object_get(j2, "log_end")), 3);
    json_t *j0 = json_array_get(parts, 0);
    assert_int_equal(json_integer_value(json_object_get(j0, "committed")), 4);
    assert_int_equal(json_integer_value(json_object_get(j0, "log_start")), 0);
    assert_int_equal(json_integer_value(json_object_get(j0, "lag")), 6);
    assert_string_equal(json_string_value(json_object_get(j0, "status")), "OK");
    json_decref(o);
    ds_lag_destroy(lag);

    /* without --topic: the embedded broker cannot list a group's offsets */
    lag = ds_lag_new(cfg_for(bs), "g-figures", NULL, 5, err, sizeof err);
    assert_null(lag);
    assert_non_null(strstr(err, "give --topic"));
    ds_broker_destroy(b);
}

static void test_lag_command(void **state)
{
    (void)state;
    ds_broker *b = tu_start_broker_topics(3, LAGGED);
    const char *bs = ds_broker_bootstraps(b);
    setup_lagged(bs, "g-cmd", ds_now_ms());
    char args[512], *out;

    /* --json: one object per evaluation, parseable; one evaluation: OK */
    snprintf(args, sizeof args, "lag -b %s --group g-cmd --topic lagged --json --log-level warn", bs);
    assert_int_equal(run_bin(args, &out), 0);
    json_error_t je;
    json_t *o = json_loads(out, JSON_DISABLE_EOF_CHECK, &je);
    assert_non_null(o);
    assert_int_equal(json_integer_value(json_object_get(o, "lag")), 9);
    json_decref(o);
    free(out);

    /* nobody consumes: over a window of 3 evaluations partition 0 stalls
     * (its commit never moves, lag 6) and the group is ERR, exit 4 */
    snprintf(args, sizeof args,
             "lag -b %s --group g-cmd --topic lagged --json --watch 1 --count 3 --window 3 --log-level warn", bs);
    assert_int_equal(run_bin(args, &out), DS_LAG_EXIT_ERR);
    int lines = 0;
    const char *last = out;
    for (const char *s = out; *s; s++)
        if (*s == '\n' && s[1]) {
            lines++;
            last = s + 1;
        }
    assert_int_equal(lines + 1, 3);
    o = json_loads(last, JSON_DISABLE_EOF_CHECK, &je);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "status")), "ERR");
    json_t *parts = json_object_get(json_array_get(json_object_get(o, "topics"), 0), "partitions");
    assert_string_equal(json_string_value(json_object_get(json_array_get(parts, 0), "status")), "STALL");
    assert_string_equal(json_string_value(json_object_get(json_array_get(parts, 1), "status")), "OK");
    assert_string_equal(json_string_value(json_object_get(json_array_get(parts, 2), "status")), "STALL");
    json_decref(o);
    free(out);

    /* the table */
    snprintf(args, sizeof args, "lag -b %s --group g-cmd --topic lagged --log-level warn", bs);
    assert_int_equal(run_bin(args, &out), 0);
    assert_non_null(strstr(out, "TIME-LAG"));
    assert_non_null(strstr(out, "(group)"));
    free(out);

    /* usage errors */
    snprintf(args, sizeof args, "lag -b %s --topic lagged 2>/dev/null", bs);
    assert_int_equal(run_bin(args, &out), 2);
    free(out);
    ds_broker_destroy(b);
}

/* The library keeps the window across observations: a commit that goes
 * backwards is a REWIND at once. */
static void test_lag_rewind_observed(void **state)
{
    (void)state;
    ds_broker *b = tu_start_broker_topics(3, LAGGED);
    const char *bs = ds_broker_bootstraps(b);
    setup_lagged(bs, "g-rewind", ds_now_ms());
    char err[512];
    ds_lag *lag = ds_lag_new(cfg_for(bs), "g-rewind", "lagged", 5, err, sizeof err);
    assert_non_null(lag);
    assert_int_equal(ds_lag_observe(lag, err, sizeof err), 0);
    const int32_t p0[] = {0};
    const int64_t back[] = {2};
    commit(bs, "g-rewind", "lagged", p0, back, 1);
    assert_int_equal(ds_lag_observe(lag, err, sizeof err), 0);
    assert_int_equal(part_of(lag, "lagged", 0)->committed, 2);
    assert_int_equal(part_of(lag, "lagged", 0)->lag, 8);
    assert_int_equal(part_of(lag, "lagged", 0)->status, DS_LAG_REWIND);
    assert_int_equal(ds_lag_group_status(lag), DS_LAG_ERR);
    ds_lag_destroy(lag);
    ds_broker_destroy(b);
}

/* On a caught-up transactional topic the log end counts the commit marker;
 * the lag must still be 0. The embedded broker writes no markers. */
static void test_lag_transaction_markers(void **state)
{
    (void)state;
    const char *bs = getenv("DEALSTREAM_TEST_BROKERS");
    if (!bs || !*bs) {
        printf("skipped: transaction markers need a real cluster (the embedded broker writes none); "
               "set DEALSTREAM_TEST_BROKERS\n");
        skip();
    }
    char topic[64], group[64], txid[64];
    snprintf(topic, sizeof topic, "dealstream-lag-tx-%d", (int)getpid());
    snprintf(group, sizeof group, "dealstream-lag-tx-g-%d", (int)getpid());
    snprintf(txid, sizeof txid, "dealstream-lag-tx-%d", (int)getpid());
    rd_kafka_t *rk = client(RD_KAFKA_PRODUCER, bs, NULL, txid);
    assert_null(rd_kafka_init_transactions(rk, 30000));
    assert_null(rd_kafka_begin_transaction(rk));
    for (int i = 0; i < 5; i++)
        assert_int_equal(rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0),
                                           RD_KAFKA_V_VALUE("x", 1), RD_KAFKA_V_END),
                         0);
    assert_null(rd_kafka_commit_transaction(rk, 30000));
    rd_kafka_destroy(rk);
    /* a consumer that read all five commits 5; the marker sits at offset 5 */
    const int32_t parts[] = {0};
    const int64_t offs[] = {5};
    commit(bs, group, topic, parts, offs, 1);
    char err[512];
    ds_lag *lag = ds_lag_new(cfg_for(bs), group, topic, 5, err, sizeof err);
    if (!lag)
        fprintf(stderr, "%s\n", err);
    assert_non_null(lag);
    assert_int_equal(ds_lag_observe(lag, err, sizeof err), 0);
    const ds_lag_part *p = part_of(lag, topic, 0);
    assert_int_equal(p->committed, 5);
    assert_int_equal(p->log_end, 6); /* five records and the commit marker */
    assert_int_equal(p->lag, 0);
    assert_int_equal(p->time_lag_ms, 0);
    ds_lag_destroy(lag);
}

/* Topic partition 0 as test_lag_open_transaction wants it: offsets 0-4
 * committed (marker at 5) and read by group (committed 6), then offsets
 * 6-9, an hour old, and offset 8 for group, in a transaction left open.
 * Returns its producer. */
static rd_kafka_t *open_transaction_after(const char *bs, const char *topic, const char *group, const char *txa,
                                          const char *txb)
{
    /* offsets 0-4 committed (marker at 5), read by the group: committed 6 */
    rd_kafka_t *a = client(RD_KAFKA_PRODUCER, bs, NULL, txa);
    assert_null(rd_kafka_init_transactions(a, 30000));
    assert_null(rd_kafka_begin_transaction(a));
    for (int i = 0; i < 5; i++)
        assert_int_equal(rd_kafka_producev(a, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0),
                                           RD_KAFKA_V_VALUE("x", 1), RD_KAFKA_V_END),
                         0);
    assert_null(rd_kafka_commit_transaction(a, 30000));
    rd_kafka_destroy(a);
    const int32_t parts[] = {0};
    const int64_t offs[] = {6};
    commit(bs, group, topic, parts, offs, 1);
    /* then a transaction stays open: offsets 6-9, an hour old, and offsets
     * for the group */
    rd_kafka_t *b = client(RD_KAFKA_PRODUCER, bs, NULL, txb);
    assert_null(rd_kafka_init_transactions(b, 30000));
    assert_null(rd_kafka_begin_transaction(b));
    int64_t old = ds_now_ms() - HOUR_MS;
    for (int i = 0; i < 4; i++)
        assert_int_equal(rd_kafka_producev(b, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0),
                                           RD_KAFKA_V_VALUE("y", 1), RD_KAFKA_V_TIMESTAMP(old), RD_KAFKA_V_END),
                         0);
    assert_int_equal(rd_kafka_flush(b, 30000), 0);
    rd_kafka_topic_partition_list_t *pend = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(pend, topic, 0)->offset = 8;
    rd_kafka_consumer_group_metadata_t *md = rd_kafka_consumer_group_metadata_new(group);
    assert_null(rd_kafka_send_offsets_to_transaction(b, pend, md, 30000));
    rd_kafka_consumer_group_metadata_destroy(md);
    rd_kafka_topic_partition_list_destroy(pend);
    return b;
}

/* A group whose consumer waits behind a transaction left open, and whose
 * next offsets sit in that transaction: lag answers (the group handle does
 * not ask for stable offsets, which would wait for the transaction to end,
 * 60 s here), LOG-END is the high watermark with the last stable offset
 * beside it, and the consumer's lag is shown, not taken for markers. The
 * reset's --to-latest picks the high watermark, as kafka-consumer-groups
 * does. */
static void test_lag_open_transaction(void **state)
{
    (void)state;
    const char *bs = getenv("DEALSTREAM_TEST_BROKERS");
    if (!bs || !*bs) {
        printf("skipped: open transactions need a real cluster (the embedded broker stores no transactional "
               "offsets); set DEALSTREAM_TEST_BROKERS\n");
        skip();
    }
    char topic[64], group[64], txa[64], txb[64];
    snprintf(topic, sizeof topic, "dealstream-lag-open-%d", (int)getpid());
    snprintf(group, sizeof group, "dealstream-lag-open-g-%d", (int)getpid());
    snprintf(txa, sizeof txa, "dealstream-lag-open-a-%d", (int)getpid());
    snprintf(txb, sizeof txb, "dealstream-lag-open-b-%d", (int)getpid());
    rd_kafka_t *b = open_transaction_after(bs, topic, group, txa, txb);
    const int32_t parts[] = {0};
    char err[512];
    int64_t t0 = ds_mono_ms();
    ds_lag *lag = ds_lag_new(cfg_for(bs), group, topic, 5, err, sizeof err);
    assert_non_null(lag);
    int rc = ds_lag_observe(lag, err, sizeof err);
    if (rc)
        fprintf(stderr, "lag: %s\n", err);
    assert_int_equal(rc, 0);
    printf("lag observed in %lld ms with the transaction open\n", (long long)(ds_mono_ms() - t0));
    const ds_lag_part *p = part_of(lag, topic, 0);
    assert_int_equal(p->committed, 6);
    assert_int_equal(p->log_end, 10);
    assert_int_equal(p->last_stable, 6);
    assert_int_equal(p->lag, 4);
    assert_false(p->markers);
    /* the oldest unconsumed message is the open transaction's first */
    assert_true(p->time_lag_ms >= HOUR_MS - 60000);
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    ds_lag_print(lag, out);
    fclose(out);
    assert_non_null(strstr(buf, "LAST-STABLE"));
    assert_non_null(strstr(buf, " 4+ "));
    assert_non_null(strstr(buf, "+ held back by an open transaction"));
    free(buf);
    json_t *j = ds_lag_json(lag);
    json_t *jp = json_array_get(json_object_get(json_array_get(json_object_get(j, "topics"), 0), "partitions"), 0);
    assert_int_equal(json_integer_value(json_object_get(jp, "log_end")), 10);
    assert_int_equal(json_integer_value(json_object_get(jp, "last_stable")), 6);
    json_decref(j);
    ds_lag_destroy(lag);

    /* --to-latest: the high watermark; the dry run answers too */
    ds_reset_spec spec = {.to = DS_RESET_LATEST, .topic = topic, .timeout_ms = 5000};
    ds_reset_plan plan;
    rc = ds_offsets_reset(cfg_for(bs), group, &spec, &plan, err, sizeof err);
    if (rc)
        fprintf(stderr, "reset: %s\n", err);
    assert_int_equal(rc, 0);
    assert_int_equal(plan.n, 1);
    assert_int_equal(plan.rows[0].current, 6);
    assert_int_equal(plan.rows[0].target, 10);
    assert_int_equal(plan.rows[0].log_end, 10);
    assert_int_equal(plan.members, 0);
    ds_reset_plan_free(&plan);

    /* once the transaction ends, a consumer that read to the end is caught up */
    assert_null(rd_kafka_abort_transaction(b, 30000));
    rd_kafka_destroy(b);
    const int64_t end[] = {11}; /* past the abort marker at 10 */
    commit(bs, group, topic, parts, end, 1);
    lag = ds_lag_new(cfg_for(bs), group, topic, 5, err, sizeof err);
    assert_non_null(lag);
    assert_int_equal(ds_lag_observe(lag, err, sizeof err), 0);
    p = part_of(lag, topic, 0);
    assert_int_equal(p->log_end, 11);
    assert_int_equal(p->last_stable, 11);
    assert_int_equal(p->lag, 0);
    ds_lag_destroy(lag);
}

/* ---- offsets reset ----------------------------------------------------------- */

static int reset(const char *bs, const char *group, ds_reset_to to, int64_t value, const char *topic,
                 int execute, int force, ds_reset_plan *plan, char *err, size_t errlen)
{
    ds_reset_spec spec = {.to = to, .value = value, .topic = topic, .execute = execute, .force = force,
                          .timeout_ms = 3000};
    return ds_offsets_reset(cfg_for(bs), group, &spec, plan, err, errlen);
}

static void test_offsets_reset(void **state)
{
    (void)state;
    ds_broker *b = tu_start_broker_topics(3, LAGGED);
    const char *bs = ds_broker_bootstraps(b);
    setup_lagged(bs, "g-reset", ds_now_ms());
    char err[512] = "";
    ds_reset_plan plan;

    /* dry run: the plan, nothing committed */
    assert_int_equal(reset(bs, "g-reset", DS_RESET_EARLIEST, 0, "lagged", 0, 0, &plan, err, sizeof err), 0);
    assert_int_equal(plan.n, 3);
    assert_int_equal(plan.rows[0].current, 4);
    assert_int_equal(plan.rows[0].target, 0);
    assert_int_equal(plan.rows[1].current, 5);
    assert_int_equal(plan.rows[1].target, 0);
    assert_int_equal(plan.rows[2].current, -1);
    assert_int_equal(plan.rows[2].target, 0);
    assert_int_equal(plan.rows[0].log_end, 10);
    assert_int_equal(plan.members, -1); /* the embedded broker cannot describe groups */
    assert_false(plan.executed);
    ds_reset_plan_free(&plan);
    assert_int_equal(committed(bs, "g-reset", "lagged", 0), 4);
    assert_int_equal(committed(bs, "g-reset", "lagged", 1), 5);

    /* execute without --force: membership unknown, refused, nothing changed */
    assert_int_equal(reset(bs, "g-reset", DS_RESET_EARLIEST, 0, "lagged", 1, 0, &plan, err, sizeof err),
                     DS_OFFSETS_EUNCHECKED);
    assert_non_null(strstr(err, "--force"));
    assert_false(plan.executed);
    ds_reset_plan_free(&plan);
    assert_int_equal(committed(bs, "g-reset", "lagged", 0), 4);

    /* --to-offset, on the partitions named, clamped to the log */
    assert_int_equal(reset(bs, "g-reset", DS_RESET_OFFSET, 7, "lagged:0,1", 1, 1, &plan, err, sizeof err), 0);
    assert_int_equal(plan.n, 2);
    assert_true(plan.executed);
    assert_int_equal(plan.rows[0].target, 7);
    assert_int_equal(plan.rows[1].target, 5); /* partition 1 ends at 5 */
    ds_reset_plan_free(&plan);
    assert_int_equal(committed(bs, "g-reset", "lagged", 0), 7);
    assert_int_equal(committed(bs, "g-reset", "lagged", 1), 5);
    assert_int_equal(committed(bs, "g-reset", "lagged", 2), -1);

    /* --shift-by back, clamped at the log start */
    assert_int_equal(reset(bs, "g-reset", DS_RESET_SHIFT, -3, "lagged:0,1", 1, 1, &plan, err, sizeof err), 0);
    ds_reset_plan_free(&plan);
    assert_int_equal(committed(bs, "g-reset", "lagged", 0), 4);
    assert_int_equal(committed(bs, "g-reset", "lagged", 1), 2);
    assert_int_equal(reset(bs, "g-reset", DS_RESET_SHIFT, -100, "lagged:1", 1, 1, &plan, err, sizeof err), 0);
    ds_reset_plan_free(&plan);
    assert_int_equal(committed(bs, "g-reset", "lagged", 1), 0);
    /* ... and refused where the group has no offset to shift */
    assert_int_equal(reset(bs, "g-reset", DS_RESET_SHIFT, 1, "lagged", 1, 1, &plan, err, sizeof err), -1);
    assert_non_null(strstr(err, "no committed offset"));
    ds_reset_plan_free(&plan);

    /* --to-latest and --to-earliest on the whole topic */
    assert_int_equal(reset(bs, "g-reset", DS_RESET_LATEST, 0, "lagged", 1, 1, &plan, err, sizeof err), 0);
    ds_reset_plan_free(&plan);
    assert_int_equal(committed(bs, "g-reset", "lagged", 0), 10);
    assert_int_equal(committed(bs, "g-reset", "lagged", 1), 5);
    assert_int_equal(committed(bs, "g-reset", "lagged", 2), 3);
    assert_int_equal(reset(bs, "g-reset", DS_RESET_EARLIEST, 0, "lagged", 1, 1, &plan, err, sizeof err), 0);
    ds_reset_plan_free(&plan);
    for (int p = 0; p < 3; p++)
        assert_int_equal(committed(bs, "g-reset", "lagged", p), 0);

    /* a partition that does not exist */
    assert_int_equal(reset(bs, "g-reset", DS_RESET_EARLIEST, 0, "lagged:9", 0, 0, &plan, err, sizeof err), -1);
    assert_non_null(strstr(err, "no partition"));
    ds_reset_plan_free(&plan);
    ds_broker_destroy(b);
}

static void test_offsets_command(void **state)
{
    (void)state;
    ds_broker *b = tu_start_broker_topics(3, LAGGED);
    const char *bs = ds_broker_bootstraps(b);
    setup_lagged(bs, "g-ocmd", ds_now_ms());
    char args[512], *out;
    snprintf(args, sizeof args, "offsets reset -b %s --group g-ocmd --topic lagged:0 --to-offset 2 --dry-run "
             "--log-level warn", bs);
    assert_int_equal(run_bin(args, &out), 0);
    assert_non_null(strstr(out, "CURRENT"));
    assert_non_null(strstr(out, "dry run"));
    free(out);
    assert_int_equal(committed(bs, "g-ocmd", "lagged", 0), 4);
    snprintf(args, sizeof args, "offsets reset -b %s --group g-ocmd --topic lagged:0 --to-offset 2 --execute "
             "--log-level warn 2>/dev/null", bs);
    assert_int_equal(run_bin(args, &out), 1); /* membership unknown: needs --force */
    free(out);
    assert_int_equal(committed(bs, "g-ocmd", "lagged", 0), 4);
    snprintf(args, sizeof args, "offsets reset -b %s --group g-ocmd --topic lagged:0 --shift-by -2 --execute "
             "--force --log-level warn", bs);
    assert_int_equal(run_bin(args, &out), 0);
    free(out);
    assert_int_equal(committed(bs, "g-ocmd", "lagged", 0), 2);
    /* usage: two modes, or neither --dry-run nor --execute */
    snprintf(args, sizeof args, "offsets reset -b %s --group g-ocmd --to-earliest --to-latest --dry-run 2>/dev/null",
             bs);
    assert_int_equal(run_bin(args, &out), 2);
    free(out);
    snprintf(args, sizeof args, "offsets reset -b %s --group g-ocmd --to-earliest 2>/dev/null", bs);
    assert_int_equal(run_bin(args, &out), 2);
    free(out);
    ds_broker_destroy(b);
}

static void test_parse_datetime(void **state)
{
    (void)state;
    int64_t ms;
    assert_int_equal(ds_parse_datetime("2025-08-01T12:30:00", &ms), 0);
    assert_int_equal(ms, 1754051400000LL);
    assert_int_equal(ds_parse_datetime("2025-08-01T12:30:00.250Z", &ms), 0);
    assert_int_equal(ms, 1754051400250LL);
    assert_int_equal(ds_parse_datetime("2025-08-01T14:30:00+02:00", &ms), 0);
    assert_int_equal(ms, 1754051400000LL);
    assert_int_equal(ds_parse_datetime("2025-08-01 12:30:00.5", &ms), 0);
    assert_int_equal(ms, 1754051400500LL);
    assert_int_equal(ds_parse_datetime("2025-08-01", &ms), -1);
    assert_int_equal(ds_parse_datetime("2025-02-30T00:00:00", &ms), -1);
    assert_int_equal(ds_parse_datetime("2025-08-01T24:00:00", &ms), -1);
    assert_int_equal(ds_parse_datetime("2025-08-01T12:30:00junk", &ms), -1);
}

/* --to-datetime: the embedded broker has no ListOffsets by timestamp, and the
 * command must say so instead of resetting to -1. */
static void test_offsets_datetime(void **state)
{
    (void)state;
    const char *real = getenv("DEALSTREAM_TEST_BROKERS");
    ds_broker *b = NULL;
    char topic[64] = "lagged", group[64];
    snprintf(group, sizeof group, "dealstream-reset-dt-%d", (int)getpid());
    const char *bs;
    if (real && *real) {
        bs = real;
        snprintf(topic, sizeof topic, "dealstream-reset-dt-%d", (int)getpid());
    } else {
        b = tu_start_broker_topics(3, LAGGED);
        bs = ds_broker_bootstraps(b);
    }
    /* partition 0: offsets 0-3 stamped T-2h, 4-7 stamped T-1h */
    int64_t t0 = ds_now_ms();
    produce_at(bs, topic, 0, 4, t0 - 2 * HOUR_MS);
    produce_at(bs, topic, 0, 4, t0 - HOUR_MS);
    const int32_t parts[] = {0};
    const int64_t offs[] = {8};
    commit(bs, group, topic, parts, offs, 1);
    char spec_topic[80], err[1024] = "";
    snprintf(spec_topic, sizeof spec_topic, "%s:0", topic);
    ds_reset_plan plan;
    int rc = reset(bs, group, DS_RESET_DATETIME, t0 - 90 * 60000LL, spec_topic, 1, 1, &plan, err, sizeof err);
    if (!real || !*real) {
        assert_int_equal(rc, DS_OFFSETS_ETIME);
        assert_non_null(strstr(err, "by timestamp"));
        assert_false(plan.executed);
        ds_reset_plan_free(&plan);
        assert_int_equal(committed(bs, group, topic, 0), 8);
        ds_broker_destroy(b);
        printf("skipped: the embedded broker cannot look up offsets by timestamp (the refusal was checked); "
               "set DEALSTREAM_TEST_BROKERS for the reset itself\n");
        skip();
    }
    if (rc)
        fprintf(stderr, "%s\n", err);
    assert_int_equal(rc, 0);
    assert_true(plan.executed);
    ds_reset_plan_free(&plan);
    assert_int_equal(committed(bs, group, topic, 0), 4);
    /* after the last message: the end */
    rc = reset(bs, group, DS_RESET_DATETIME, t0, spec_topic, 1, 1, &plan, err, sizeof err);
    assert_int_equal(rc, 0);
    ds_reset_plan_free(&plan);
    assert_int_equal(committed(bs, group, topic, 0), 8);
}

/* The Java member while it runs: a failed assertion leaves the test
 * before its kill, so the process's exit stops it. */
static pid_t kip848_pid;

static void stop_kip848_member(void)
{
    if (kip848_pid > 0)
        kill(kip848_pid, SIGKILL);
}

/* A member of the consumer protocol (KIP-848): a Java console consumer
 * with group.protocol=consumer, from the broker's jars (DS_KAFKA_LIBS).
 * Returns its pid. */
static pid_t start_kip848_member(const char *bs, const char *libs, const char *topic, const char *group)
{
    char cp[1024];
    snprintf(cp, sizeof cp, "%s/*", libs);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        execlp("java", "java", "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", cp,
               "org.apache.kafka.tools.consumer.ConsoleConsumer", "--bootstrap-server", bs, "--topic", topic,
               "--group", group, "--consumer-property", "group.protocol=consumer", (char *)NULL);
        _exit(127);
    }
    kip848_pid = pid;
    atexit(stop_kip848_member);
    return pid;
}

/* The dry run's count of members, once it is `want` or 90 s have passed.
 * A dry run that fails while the member's JVM joins or leaves (a look-up
 * timing out on the loaded broker) is tried again; one still failing at the
 * deadline fails the test with its message. */
static int members_once(const char *bs, const char *group, const char *topic, int want, ds_reset_plan *plan)
{
    char err[512];
    ds_reset_spec spec = {.to = DS_RESET_LATEST, .topic = topic, .timeout_ms = 5000};
    int64_t deadline = ds_mono_ms() + 90000;
    for (;;) {
        int rc = ds_offsets_reset(cfg_for(bs), group, &spec, plan, err, sizeof err);
        if (rc != 0) {
            fprintf(stderr, "offsets reset dry run: %s\n", err);
            assert_true(ds_mono_ms() <= deadline);
        } else {
            if (plan->members == want || ds_mono_ms() > deadline)
                return plan->members;
        }
        ds_reset_plan_free(plan);
        struct timespec ts = {0, 200 * 1000000L};
        nanosleep(&ts, NULL); /* poll interval: the member's JVM starts or leaves */
    }
}

/* DescribeGroups calls a group of the consumer protocol Dead with no
 * members; the dry run must still report its members as blocking, and an
 * execute must refuse. Once the member leaves, nothing blocks. */
static void test_offsets_kip848_member(void **state)
{
    (void)state;
    const char *bs = getenv("DEALSTREAM_TEST_BROKERS"), *libs = getenv("DS_KAFKA_LIBS");
    if (!bs || !*bs || !libs || !*libs) {
        printf("skipped: a member of the consumer protocol needs a real cluster and its Java client; set "
               "DEALSTREAM_TEST_BROKERS and DS_KAFKA_LIBS\n");
        skip();
    }
    char topic[64], group[64];
    snprintf(topic, sizeof topic, "dealstream-kip848-%d", (int)getpid());
    snprintf(group, sizeof group, "dealstream-kip848-g-%d", (int)getpid());
    produce_at(bs, topic, 0, 3, ds_now_ms());
    pid_t pid = start_kip848_member(bs, libs, topic, group);
    ds_reset_plan plan;
    assert_int_equal(members_once(bs, group, topic, DS_RESET_MEMBERS_UNCOUNTED, &plan), DS_RESET_MEMBERS_UNCOUNTED);
    assert_non_null(strstr(plan.members_why, "consumer protocol (KIP-848)"));
    ds_reset_plan_free(&plan);
    char args[512], *out;
    snprintf(args, sizeof args, "offsets reset -b %s --group %s --topic %s --to-earliest --dry-run --log-level warn",
             bs, group, topic);
    assert_int_equal(run_bin(args, &out), 0);
    assert_non_null(strstr(out, "KIP-848"));
    assert_non_null(strstr(out, "so --execute would refuse"));
    free(out);
    char err[1024];
    ds_reset_spec spec = {.to = DS_RESET_EARLIEST, .topic = topic, .execute = 1, .force = 1, .timeout_ms = 5000};
    assert_int_equal(ds_offsets_reset(cfg_for(bs), group, &spec, &plan, err, sizeof err), DS_OFFSETS_EACTIVE);
    assert_non_null(strstr(err, "KIP-848"));
    assert_non_null(strstr(err, "nothing was changed"));
    assert_false(plan.executed);
    ds_reset_plan_free(&plan);
    /* the member leaves: nothing blocks */
    assert_int_equal(kill(pid, SIGTERM), 0);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    kip848_pid = 0;
    assert_int_equal(members_once(bs, group, topic, 0, &plan), 0);
    ds_reset_plan_free(&plan);
}

/* ---- refusal while the group has members ------------------------------------ */

typedef struct live_run {
    ds_config cfg;
    int port;
    int rc;
    ds_run_stats st;
} live_run;

static void on_listening(void *opaque, const char *address, int port)
{
    (void)address;
    ((live_run *)opaque)->port = port;
}

static void *live_run_main(void *arg)
{
    live_run *lr = arg;
    ds_run_hooks hooks = {.http_listening = on_listening, .opaque = lr};
    lr->rc = ds_run_with(&lr->cfg, &lr->st, &hooks);
    return NULL;
}

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return size * n;
}

static long http_status(int port, const char *path)
{
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 2000L);
    long code = 0;
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(c);
    return code;
}

/* A processor holds the group: the embedded broker cannot describe groups,
 * so even --execute --force gets as far as committing, and the broker's
 * refusal of a commit from outside the live generation is reported as
 * active members, with nothing changed. */
static void test_offsets_refused_with_members(void **state)
{
    (void)state;
    char err[1024];
    ds_broker *b = tu_start_broker(2);
    const char *bs = ds_broker_bootstraps(b);
    live_run lr = {0};
    char *argv[] = {"run", "-b", (char *)bs, "--catalog", (char *)tu_catalog_dir(), "--log-level", "warn",
                    "--http-listen", "127.0.0.1:0", "-X", "session.timeout.ms=6000", "-X",
                    "heartbeat.interval.ms=500", NULL};
    assert_int_equal(ds_config_parse(&lr.cfg, DS_CMD_RUN, 13, argv, err, sizeof err), 0);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, live_run_main, &lr), 0);
    /* ready: a member of the group with its partitions assigned */
    int64_t deadline = ds_mono_ms() + 60000;
    while (ds_mono_ms() < deadline && !(__atomic_load_n(&lr.port, __ATOMIC_ACQUIRE) > 0 &&
                                        http_status(lr.port, "/readyz") == 200)) {
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL); /* poll interval of the readiness check */
    }
    assert_true(lr.port > 0);
    assert_int_equal(http_status(lr.port, "/readyz"), 200);

    ds_reset_plan plan;
    int rc = reset(bs, "dealstream", DS_RESET_EARLIEST, 0, "articles", 1, 1, &plan, err, sizeof err);
    if (rc != DS_OFFSETS_EACTIVE)
        fprintf(stderr, "reset: %d %s\n", rc, err);
    assert_int_equal(rc, DS_OFFSETS_EACTIVE);
    assert_non_null(strstr(err, "the broker refuses commits from outside group dealstream: either it counts members"));
    assert_non_null(strstr(err, "nothing was changed"));
    assert_int_equal(plan.executed, 0);
    ds_reset_plan_free(&plan);

    kill(getpid(), SIGTERM); /* the run's ordered shutdown */
    pthread_join(th, NULL);
    assert_int_equal(lr.rc, 0);
    ds_config_free(&lr.cfg);

    /* The embedded broker keeps refusing commits from outside the group once
     * it has had members, so the reset going through after the members
     * leave is checked on a real cluster only (test_offsets_reset covers a
     * group that never had members). */
    ds_broker_destroy(b);
}

int main(void)
{
    ds_log_setup("warn", "text");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_rules),
        cmocka_unit_test(test_parse_datetime),
        cmocka_unit_test(test_lag_figures),
        cmocka_unit_test(test_lag_command),
        cmocka_unit_test(test_lag_rewind_observed),
        cmocka_unit_test(test_lag_transaction_markers),
        cmocka_unit_test(test_lag_open_transaction),
        cmocka_unit_test(test_offsets_reset),
        cmocka_unit_test(test_offsets_command),
        cmocka_unit_test(test_offsets_datetime),
        cmocka_unit_test(test_offsets_refused_with_members),
        cmocka_unit_test(test_offsets_kip848_member),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
