/* Faults on the embedded broker: request errors, a broker down and back up,
 * the processor killed with SIGKILL and restarted, stopped with SIGTERM, and
 * a producer queue too small for the work (backpressure). After each, the
 * canonical output holds every deal of one uninterrupted run with its final
 * content, each deal's last record carries its highest revision, and no
 * (deal id, revision) pair was published with two different contents.
 *
 * What the embedded broker cannot show (DESIGN.md): transactions are
 * protocol-only, so aborted records stay visible and offsets sent in a
 * transaction are not stored; a restarted exactly-once processor re-reads
 * its inputs. The no-duplicates check for a read_committed consumer needs a
 * real cluster (DEALSTREAM_TEST_BROKERS). */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <librdkafka/rdkafka.h>

#include "broker.h"
#include "demo.h"
#include "kafka.h"
#include "log.h"
#include "testutil.h"
#include "util.h"

#define APP "dealstream"
#define NFILES 24          /* corpus articles used: enough deals, short runs */
#define DEADLINE_MS 60000  /* any wait for observable progress */

/* Kafka API keys (not in librdkafka's public headers). */
enum { API_PRODUCE = 0, API_OFFSET_COMMIT = 8, API_ADD_PARTITIONS_TO_TXN = 24, API_END_TXN = 26,
       API_TXN_OFFSET_COMMIT = 28 };

typedef struct fixture {
    char **files;
    int nfiles;
    json_t *reference; /* live deals of an uninterrupted run, keyed by id, without revision/updated */
} fixture;

static fixture *fx_global;

static ds_broker *start_broker(void)
{
    char err[256];
    ds_broker *b = ds_broker_new(1, 4, ds_broker_default_topics(APP), err, sizeof err);
    assert_non_null(b);
    return b;
}

static void produce_inputs(const char *bs, fixture *fx)
{
    char **argv = calloc((size_t)fx->nfiles + 1, sizeof *argv);
    for (int i = 0; i < fx->nfiles; i++)
        argv[i] = fx->files[i];
    assert_int_equal(tu_produce(bs, argv), 0);
    free(argv);
}

static json_t *live(const char *bs)
{
    char err[256];
    json_t *deals = ds_demo_canonical(bs, "deals.canonical", err, sizeof err);
    if (!deals)
        fprintf(stderr, "canonical: %s\n", err);
    assert_non_null(deals);
    return deals;
}

/* The invariants after a fault (see the top of the file). extra_ok: live
 * deals beyond the reference are reported, not failed. That is for a
 * process killed on the embedded broker: the records of its open
 * transaction stay visible there (no abort markers), and a deal id they
 * created that the restarted run never creates again stays live. On a real
 * cluster a read_committed consumer never sees them. */
static void assert_output_ex(const char *bs, fixture *fx, const char *what, int extra_ok)
{
    /* 1. every record of the topic: one content per (deal id, revision), and
     *    a deal's last record has its highest revision */
    json_t *all = tu_read_topic(bs, "deals.canonical");
    json_t *seen = json_object(), *maxrev = json_object(), *last = json_object();
    int bad = 0;
    size_t i;
    json_t *rec;
    json_array_foreach(all, i, rec) {
        const char *id = json_string_value(json_object_get(rec, "deal_id"));
        json_int_t rev = json_integer_value(json_object_get(rec, "revision"));
        assert_non_null(id);
        char key[256];
        snprintf(key, sizeof key, "%s#%lld", id, (long long)rev);
        json_t *c = json_deep_copy(rec);
        json_object_del(c, "updated"); /* copies stay: a revision's copies are part of its content */
        json_t *prev = json_object_get(seen, key);
        if (prev && !json_equal(prev, c)) {
            if (bad++ < 5) {
                fprintf(stderr, "%s: deal %s revision %lld published with two contents\n", what, id, (long long)rev);
                const char *f;
                json_t *fv;
                json_object_foreach(c, f, fv) {
                    if (json_equal(fv, json_object_get(prev, f)))
                        continue;
                    char *a = json_dumps(json_object_get(prev, f), JSON_COMPACT | JSON_ENCODE_ANY);
                    char *z = json_dumps(fv, JSON_COMPACT | JSON_ENCODE_ANY);
                    fprintf(stderr, "  %s: %.300s\n  then %.300s\n", f, a ? a : "(none)", z ? z : "(none)");
                    free(a);
                    free(z);
                }
            }
            json_decref(c);
        } else if (!prev) {
            json_object_set_new(seen, key, c);
        } else {
            json_decref(c);
        }
        if (rev > json_integer_value(json_object_get(maxrev, id)))
            json_object_set_new(maxrev, id, json_integer(rev));
        json_object_set_new(last, id, json_integer(rev));
    }
    const char *id;
    json_t *v;
    json_object_foreach(last, id, v) {
        if (json_integer_value(v) != json_integer_value(json_object_get(maxrev, id)) && bad++ < 10)
            fprintf(stderr, "%s: deal %s ends at revision %lld below its highest %lld\n", what, id,
                    (long long)json_integer_value(v), (long long)json_integer_value(json_object_get(maxrev, id)));
    }
    assert_int_equal(bad, 0);
    json_decref(all);
    json_decref(seen);
    json_decref(maxrev);
    json_decref(last);

    /* 2. the live deals are those of the uninterrupted run */
    json_t *got = tu_comparable(live(bs));
    json_t *d;
    json_object_foreach(fx->reference, id, d) {
        json_t *g = json_object_get(got, id);
        if (!g || !json_equal(d, g)) {
            if (bad++ < 5)
                fprintf(stderr, "%s: deal %s %s\n", what, id, g ? "differs" : "missing");
        }
    }
    int extra = 0;
    json_object_foreach(got, id, d) {
        if (json_object_get(fx->reference, id))
            continue;
        extra++;
        if (!extra_ok && bad++ < 10)
            fprintf(stderr, "%s: unexpected deal %s\n", what, id);
    }
    if (extra_ok && extra)
        printf("%s: %d live deal(s) beyond the reference, from the killed process's uncommitted transaction "
               "(visible on the embedded broker only)\n", what, extra);
    assert_int_equal(bad, 0);
    json_decref(got);
}

static void assert_output(const char *bs, fixture *fx, const char *what)
{
    assert_output_ex(bs, fx, what, 0);
}

/* Records on a topic, by the watermarks of its partitions. */
static int64_t topic_count(rd_kafka_t *rk, const char *topic)
{
    char err[256];
    int32_t *parts = NULL;
    int n = ds_kafka_partitions(rk, topic, 5000, &parts, err, sizeof err);
    int64_t total = 0;
    for (int i = 0; i < n; i++) {
        int64_t lo, hi;
        if (rd_kafka_query_watermark_offsets(rk, topic, parts[i], &lo, &hi, 5000) == 0)
            total += hi - lo;
    }
    free(parts);
    return total;
}

static rd_kafka_t *watcher(const char *bs)
{
    char err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bs, err, sizeof err);
    rd_kafka_conf_set(conf, "log_level", "2", err, sizeof err);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    assert_non_null(rk);
    return rk;
}

/* Waits until topic holds at least n records; polls the watermarks every
 * 20 ms. Returns 0, or -1 at the deadline. */
static int wait_records(rd_kafka_t *rk, const char *topic, int64_t n, int deadline_ms)
{
    int64_t end = ds_mono_ms() + deadline_ms;
    while (ds_mono_ms() < end) {
        if (topic_count(rk, topic) >= n)
            return 0;
        rd_kafka_poll(rk, 20);
    }
    return -1;
}

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/corpus", tu_test_dir());
    char **files = tu_glob(dir, "*.txt", &fx->nfiles);
    if (fx->nfiles < NFILES)
        return -1;
    for (int i = NFILES; i < fx->nfiles; i++)
        free(files[i]);
    files[NFILES] = NULL;
    fx->files = files;
    fx->nfiles = NFILES;
    ds_broker *b = start_broker();
    const char *bs = ds_broker_bootstraps(b);
    produce_inputs(bs, fx);
    ds_run_stats st;
    if (tu_run(bs, &st, NULL) != 0 || st.consumed != NFILES)
        return -1;
    fx->reference = tu_comparable(live(bs));
    ds_broker_destroy(b);
    if (json_object_size(fx->reference) < 5)
        return -1;
    fx_global = fx;
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    tu_glob_free(fx->files);
    json_decref(fx->reference);
    free(fx);
    return 0;
}

/* ---- request errors ------------------------------------------------------ */

typedef struct inject {
    int16_t api;
    rd_kafka_resp_err_t err;
    int count;
} inject;

/* One run with every error of cases pushed onto the cluster at once (each
 * is answered to the first requests of its kind, whichever client sends
 * them: the inputs are produced before). */
static void run_with_errors(fixture *fx, const char *name, const char *guarantee, const inject *cases, size_t n,
                            int abortable)
{
    ds_broker *b = start_broker();
    const char *bs = ds_broker_bootstraps(b);
    produce_inputs(bs, fx);
    rd_kafka_mock_cluster_t *mc = ds_broker_cluster(b);
    for (size_t i = 0; i < n; i++) {
        rd_kafka_resp_err_t errs[8];
        for (int k = 0; k < cases[i].count && k < 8; k++)
            errs[k] = cases[i].err;
        rd_kafka_mock_push_request_errors_array(mc, cases[i].api, (size_t)cases[i].count, errs);
    }
    ds_run_stats st;
    char *args[] = {"--guarantee", (char *)guarantee, NULL};
    assert_int_equal(tu_run(bs, &st, args), 0);
    printf("%s: consumed %llu, transactions %llu, aborts %llu, retried calls %llu, commits %llu\n", name,
           (unsigned long long)st.consumed, (unsigned long long)st.transactions, (unsigned long long)st.aborts,
           (unsigned long long)st.txn_retries, (unsigned long long)st.commits);
    assert_true(st.consumed >= NFILES);
    if (abortable)
        assert_true(st.aborts > 0); /* and the batch was redone: the output below is complete */
    else if (strcmp(guarantee, "exactly-once") == 0)
        assert_true(st.txn_retries > 0);
    assert_output(bs, fx, name);
    ds_broker_destroy(b);
}

static void test_request_errors(void **state)
{
    fixture *fx = *state;
    static const inject retriable[] = {
        {API_PRODUCE, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, 3},
        {API_ADD_PARTITIONS_TO_TXN, RD_KAFKA_RESP_ERR_CONCURRENT_TRANSACTIONS, 3},
        {API_END_TXN, RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE, 3},
        {API_TXN_OFFSET_COMMIT, RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS, 3},
    };
    static const inject abort_produce[] = {
        {API_PRODUCE, RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, 1},
        {API_ADD_PARTITIONS_TO_TXN, RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, 1},
    };
    static const inject abort_offsets[] = {
        {API_TXN_OFFSET_COMMIT, RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED, 1},
    };
    static const inject offset_commit[] = {
        {API_OFFSET_COMMIT, RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS, 2},
        {API_PRODUCE, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, 2},
    };
    run_with_errors(fx, "retriable errors on Produce, AddPartitionsToTxn, EndTxn and TxnOffsetCommit",
                    "exactly-once", retriable, 4, 0);
    run_with_errors(fx, "abortable errors on Produce and AddPartitionsToTxn", "exactly-once", abort_produce, 2, 1);
    run_with_errors(fx, "abortable error on TxnOffsetCommit", "exactly-once", abort_offsets, 1, 1);
    run_with_errors(fx, "at-least-once: retriable errors on OffsetCommit and Produce", "at-least-once",
                    offset_commit, 2, 0);
}

/* ---- broker down and back up --------------------------------------------- */

typedef struct outage {
    ds_broker *b;
    int64_t after;   /* canonical records before the outage */
    int down_ms;     /* length of the outage: the fault itself, not a wait */
    int done, rc;
} outage;

static void *outage_thread(void *arg)
{
    outage *o = arg;
    rd_kafka_t *rk = watcher(ds_broker_bootstraps(o->b));
    o->rc = wait_records(rk, "deals.canonical", o->after, DEADLINE_MS);
    rd_kafka_destroy(rk);
    if (o->rc == 0) {
        rd_kafka_mock_broker_set_down(ds_broker_cluster(o->b), 1);
        struct timespec ts = {o->down_ms / 1000, (long)(o->down_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        rd_kafka_mock_broker_set_up(ds_broker_cluster(o->b), 1);
        o->done = 1;
    }
    return NULL;
}

static void test_broker_down_and_up(void **state)
{
    fixture *fx = *state;
    ds_broker *b = start_broker();
    const char *bs = ds_broker_bootstraps(b);
    produce_inputs(bs, fx);
    outage o = {b, 3, 1500, 0, 0};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, outage_thread, &o), 0);
    ds_run_stats st;
    assert_int_equal(tu_run(bs, &st, NULL), 0);
    pthread_join(th, NULL);
    assert_int_equal(o.rc, 0);
    assert_int_equal(o.done, 1);
    printf("broker down for %d ms after %lld canonical records: transactions %llu, aborts %llu, retries %llu\n",
           o.down_ms, (long long)o.after, (unsigned long long)st.transactions, (unsigned long long)st.aborts,
           (unsigned long long)st.txn_retries);
    assert_output(bs, fx, "broker down and up");
    ds_broker_destroy(b);
}

/* ---- the dealstream binary as a child process ---------------------------- */

static pid_t spawn(const char *bs, int exit_at_end, const char *guarantee)
{
    const char *bin = getenv("DS_BIN");
    assert_non_null(bin);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        const char *argv[] = {"dealstream", "run", "-b", bs, "--catalog", tu_catalog_dir(), "--log-level", "error",
                              "--commit-interval-ms", "50", "--guarantee", guarantee, "-X", "session.timeout.ms=6000",
                              "-X", "heartbeat.interval.ms=500", exit_at_end ? "-e" : NULL, NULL};
        execv(bin, (char **)argv);
        _exit(127);
    }
    return pid;
}

/* Waits for pid at most deadline_ms; returns its wait status, or -1. */
static int wait_child(pid_t pid, int deadline_ms)
{
    int64_t end = ds_mono_ms() + deadline_ms;
    int status;
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid)
            return status;
        if (ds_mono_ms() >= end)
            return -1;
        struct timespec ts = {0, 10 * 1000000L}; /* polling a child's exit, bounded by the deadline */
        nanosleep(&ts, NULL);
    }
}

static void test_sigkill_and_restart(void **state)
{
    fixture *fx = *state;
    static const struct {
        int64_t after;
        const char *guarantee;
    } points[] = {{1, "exactly-once"}, {8, "exactly-once"}};
    for (size_t i = 0; i < sizeof points / sizeof points[0]; i++) {
        ds_broker *b = start_broker();
        const char *bs = ds_broker_bootstraps(b);
        produce_inputs(bs, fx);
        rd_kafka_t *rk = watcher(bs);
        pid_t pid = spawn(bs, 0, points[i].guarantee);
        assert_int_equal(wait_records(rk, "deals.canonical", points[i].after, DEADLINE_MS), 0);
        kill(pid, SIGKILL);
        int status = wait_child(pid, 10000);
        assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        int64_t at_kill = topic_count(rk, "deals.canonical");
        /* restart and run to the end */
        pid = spawn(bs, 1, points[i].guarantee);
        status = wait_child(pid, 120000);
        assert_true(status != -1);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
        printf("SIGKILL after %lld canonical records (%s): %lld on the topic at the kill, %lld after the restart\n",
               (long long)points[i].after, points[i].guarantee, (long long)at_kill,
               (long long)topic_count(rk, "deals.canonical"));
        rd_kafka_destroy(rk);
        char what[64];
        snprintf(what, sizeof what, "SIGKILL after %lld", (long long)points[i].after);
        assert_output_ex(bs, fx, what, 1);
        ds_broker_destroy(b);
    }
}

/* The group's committed offsets on the articles topic, per partition
 * (0 when none); returns their sum. */
static int64_t committed_articles(const char *bs, int64_t committed[4])
{
    char err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bs, err, sizeof err);
    rd_kafka_conf_set(conf, "group.id", APP, err, sizeof err);
    rd_kafka_conf_set(conf, "log_level", "2", err, sizeof err);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    assert_non_null(rk);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(4);
    for (int p = 0; p < 4; p++)
        rd_kafka_topic_partition_list_add(l, "articles", p);
    assert_int_equal(rd_kafka_committed(rk, l, 10000), 0);
    int64_t sum = 0;
    for (int i = 0; i < l->cnt; i++) {
        int32_t p = l->elems[i].partition;
        assert_true(p >= 0 && p < 4);
        committed[p] = l->elems[i].offset > 0 ? l->elems[i].offset : 0;
        sum += committed[p];
    }
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_destroy(rk);
    return sum;
}

/* SIGTERM, once the first canonical record is out: the processor exits 0
 * within a bounded time. At-least-once, where the group's offsets are
 * readable on the embedded broker: every article that has a mention on
 * <app>-mentions (finished work) is below the committed offset of its
 * partition, and a second run consumes exactly the articles not committed.
 * Exactly-once: the same exit, and the output complete after a restart. */
static void sigterm_case(fixture *fx, const char *guarantee)
{
    ds_broker *b = start_broker();
    const char *bs = ds_broker_bootstraps(b);
    produce_inputs(bs, fx);
    rd_kafka_t *rk = watcher(bs);
    pid_t pid = spawn(bs, 0, guarantee);
    assert_int_equal(wait_records(rk, "deals.canonical", 1, DEADLINE_MS), 0);
    int64_t t0 = ds_mono_ms();
    kill(pid, SIGTERM);
    int status = wait_child(pid, 25000); /* commit bound 10 s, abort bound 20 s (README) */
    int64_t took = ds_mono_ms() - t0;
    assert_true(status != -1);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    rd_kafka_destroy(rk);
    char *args[] = {"--guarantee", (char *)guarantee, NULL};
    ds_run_stats st;
    if (strcmp(guarantee, "at-least-once") == 0) {
        int64_t committed[4] = {0};
        int64_t sum = committed_articles(bs, committed);
        json_t *mentions = tu_read_topic(bs, APP "-mentions");
        size_t i, uncovered = 0;
        json_t *m;
        json_array_foreach(mentions, i, m) {
            json_t *src = json_object_get(m, "source");
            int64_t p = json_integer_value(json_object_get(src, "partition"));
            int64_t off = json_integer_value(json_object_get(src, "offset"));
            assert_true(p >= 0 && p < 4);
            if (off >= committed[p]) {
                if (uncovered++ < 5)
                    fprintf(stderr, "SIGTERM: mention of articles [%lld] offset %lld is out, but the committed "
                            "offset is %lld\n", (long long)p, (long long)off, (long long)committed[p]);
            }
        }
        printf("SIGTERM (%s): exited 0 after %lld ms; %lld of %d articles committed, %zu mention(s) out, "
               "all of committed inputs\n", guarantee, (long long)took, (long long)sum, NFILES,
               json_array_size(mentions));
        assert_int_equal(uncovered, 0);
        assert_true(sum > 0);
        json_decref(mentions);
        assert_int_equal(tu_run(bs, &st, args), 0);
        assert_int_equal(st.consumed, (uint64_t)(NFILES - sum));
    } else {
        printf("SIGTERM (%s): exited 0 after %lld ms\n", guarantee, (long long)took);
        assert_int_equal(tu_run(bs, &st, args), 0);
    }
    assert_output(bs, fx, "SIGTERM and restart");
    ds_broker_destroy(b);
}

static void test_sigterm_graceful(void **state)
{
    fixture *fx = *state;
    sigterm_case(fx, "at-least-once");
    sigterm_case(fx, "exactly-once");
}

/* ---- backpressure ---------------------------------------------------------- */

static void test_backpressure(void **state)
{
    fixture *fx = *state;
    ds_broker *b = start_broker();
    const char *bs = ds_broker_bootstraps(b);
    produce_inputs(bs, fx);
    ds_run_stats st;
    char *args[] = {"-X", "queue.buffering.max.messages=6", NULL};
    assert_int_equal(tu_run(bs, &st, args), 0);
    printf("backpressure: %llu pause(s), %llu for a full producer queue; %llu mentions, %llu canonical records\n",
           (unsigned long long)st.pauses, (unsigned long long)st.backpressure_pauses,
           (unsigned long long)st.mentions_produced, (unsigned long long)st.produced);
    assert_int_equal(st.consumed, NFILES);
    assert_int_equal(st.mentions_produced, st.mentions);
    assert_int_equal(st.resolved, st.mentions);
    assert_true(st.backpressure_pauses > 0);
    assert_output(bs, fx, "backpressure");
    ds_broker_destroy(b);
}

/* ---- a real cluster ------------------------------------------------------- */

static void test_real_cluster(void **state)
{
    (void)state;
    const char *bs = getenv("DEALSTREAM_TEST_BROKERS");
    if (!bs || !bs[0]) {
        printf("skipped: DEALSTREAM_TEST_BROKERS is not set; the no-duplicates check for a read_committed "
               "consumer needs a real cluster (the embedded broker writes no transaction markers)\n");
        skip();
    }
    /* not yet: the same cases against a real cluster */
    printf("skipped: the fault cases do not run against %s yet\n", bs);
    skip();
}

int main(void)
{
    ds_log_setup("error", "text");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backpressure),
        cmocka_unit_test(test_request_errors),
        cmocka_unit_test(test_broker_down_and_up),
        cmocka_unit_test(test_sigkill_and_restart),
        cmocka_unit_test(test_sigterm_graceful),
        cmocka_unit_test(test_real_cluster),
    };
    if (getenv("DS_TEST_FILTER")) /* e.g. DS_TEST_FILTER=test_sigkill* to repeat one case */
        cmocka_set_test_filter(getenv("DS_TEST_FILTER"));
    return cmocka_run_group_tests(tests, setup, teardown);
}
