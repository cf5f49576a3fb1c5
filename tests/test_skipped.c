/* Records lost to retention before `run` read them: the group's committed
 * offset on deals [0] is 0 while the embedded broker (which keeps about
 * 5 MB a partition) has already dropped the head of the log. The consumer's
 * automatic offset reset jumps to the log start; `run` must say so at error
 * level (topic, partition, wanted and got offsets, records skipped), count
 * it in dealstream_offset_resets_total and dealstream_records_skipped_total,
 * and exit with 3. Once with -e (finishing normally), once stopped by
 * SIGTERM with /metrics read while it runs. And `replay --from` an offset
 * retention deleted: named, and exit 3; `consume -o` one: named. On Apache
 * Kafka (DEALSTREAM_TEST_BROKERS), DeleteRecords moves the log start under
 * `consume` and `run -e`. Through the binary. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <inttypes.h>
#include <librdkafka/rdkafka.h>

#include "broker.h"
#include "buf.h"
#include "kafka.h"
#include "testutil.h"
#include "util.h"

#define BIG_BYTES (100 * 1024)
#define BIG_RECORDS 64 /* 6.4 MB: more than the embedded broker keeps */
#define DEADLINE_MS 60000

/* Runs the shell command cmd (its stderr into stdout), with its output in
 * *out (owned by the caller). Returns its exit code. */
static int shell(const char *cmd, char **out)
{
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t len;
    *out = ds_read_stream(p, &len);
    int st = pclose(p);
    assert_non_null(*out);
    assert_true(WIFEXITED(st));
    return WEXITSTATUS(st);
}

/* Fails the test unless out holds the line (or part of one) want. */
static void assert_has(const char *out, const char *want)
{
    if (!strstr(out, want))
        fail_msg("no line \"%s\" in:\n%s", want, out);
}

/* n records of len bytes each to topic [partition], flushed. */
static void produce(const char *bs, const char *topic, int32_t partition, int n, size_t len)
{
    rd_kafka_t *rk = tu_kafka_client(RD_KAFKA_PRODUCER, bs, NULL, NULL, NULL);
    char *v = malloc(len);
    assert_non_null(v);
    memset(v, 'x', len);
    for (int i = 0; i < n; i++)
        assert_int_equal(rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                                           RD_KAFKA_V_VALUE(v, len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                           RD_KAFKA_V_END),
                         0);
    assert_int_equal(rd_kafka_flush(rk, 30000), 0);
    free(v);
    rd_kafka_destroy(rk);
}

/* Commits offset 0 of deals [0] for group "dealstream", then pushes the
 * head of the partition out of the broker. Returns the log start offset. */
static int64_t lose_head(const char *bs)
{
    produce(bs, "deals", 0, 10, 16);
    rd_kafka_t *rk = tu_kafka_client(RD_KAFKA_CONSUMER, bs, "dealstream", NULL, NULL);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, "deals", 0)->offset = 0;
    assert_int_equal(rd_kafka_commit(rk, l, 0), 0);
    rd_kafka_topic_partition_list_destroy(l);
    produce(bs, "deals", 0, BIG_RECORDS, BIG_BYTES);
    int64_t lo = -1, hi = -1;
    assert_int_equal(rd_kafka_query_watermark_offsets(rk, "deals", 0, &lo, &hi, 10000), 0);
    rd_kafka_destroy(rk);
    assert_int_equal(hi, 10 + BIG_RECORDS);
    assert_true(lo >= 10); /* the ten committed-over records are gone */
    assert_true(lo < hi);
    return lo;
}

/* The error line and the closing line a run that skipped lo records logs. */
static void assert_logged(const char *log, int64_t lo)
{
    char want[256];
    snprintf(want, sizeof want,
             "error run: deals [0]: offset reset: wanted offset 0, got %" PRId64 " (log start %" PRId64 "): %" PRId64
             " record(s) skipped, deleted by retention before they were read",
             lo, lo, lo);
    assert_has(log, want);
    snprintf(want, sizeof want, "error run: %" PRId64 " input record(s) skipped in 1 offset reset(s)", lo);
    assert_has(log, want);
}

/* On an embedded broker whose deals [0] lost its head (lose_head, the log
 * start in *lo), runs `"$DS_BIN" args -b <broker> 2>&1`, with --catalog
 * <the tests' catalog> when catalog is set; fails the test, showing the
 * output, unless it exits with want. Returns the output (the caller frees
 * it). */
static char *on_lost_head(const char *args, int catalog, int want, int64_t *lo)
{
    ds_broker *b = tu_start_broker(2);
    const char *bs = ds_broker_bootstraps(b);
    *lo = lose_head(bs);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "\"$DS_BIN\" %s -b %s%s%s 2>&1", args, bs, catalog ? " --catalog " : "",
             catalog ? tu_catalog_dir() : "");
    char *out;
    int rc = shell(cmd, &out);
    if (rc != want)
        fail_msg("%s exited with %d, not %d:\n%s", args, rc, want, out);
    ds_broker_destroy(b);
    return out;
}

/* run -e: finishes (every partition at its end), and exits with 3. */
static void test_exit_at_end(void **state)
{
    (void)state;
    int64_t lo;
    char *out = on_lost_head("run -e --log-level warn --commit-interval-ms 50 "
                             "-X session.timeout.ms=6000 -X heartbeat.interval.ms=500",
                             1, 3, &lo);
    assert_logged(out, lo);
    free(out);
}

/* The value of the series `name` in the Prometheus text, or -1. */
static double series_value(const char *text, const char *name)
{
    const char *s = text;
    size_t n = strlen(name);
    while ((s = strstr(s, name))) {
        if ((s == text || s[-1] == '\n') && s[n] == ' ')
            return strtod(s + n + 1, NULL);
        s += n;
    }
    return -1;
}

/* run without -e: /metrics counts the reset while it runs; SIGTERM then
 * ends it with 3. */
static void test_metrics_and_sigterm(void **state)
{
    (void)state;
    ds_broker *b = tu_start_broker(2);
    const char *bs = ds_broker_bootstraps(b);
    int64_t lo = lose_head(bs);
    int port = tu_free_port();
    char logpath[] = "/tmp/ds-skipped-XXXXXX";
    int fd = mkstemp(logpath);
    assert_true(fd >= 0);
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "exec \"$DS_BIN\" run -b %s --catalog %s --log-level warn --commit-interval-ms 50 "
             "--http-listen 127.0.0.1:%d -X session.timeout.ms=6000 -X heartbeat.interval.ms=500",
             bs, tu_catalog_dir(), port);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fd, 2);
        dup2(fd, 1);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    close(fd);
    double resets = -1, skipped = -1;
    int64_t deadline = ds_mono_ms() + DEADLINE_MS;
    while (skipped < (double)lo && ds_mono_ms() < deadline) {
        ds_buf body;
        int64_t took;
        ds_buf_init(&body);
        if (tu_http_get(port, "/metrics", &body, &took) == 200 && body.data) {
            resets = series_value(body.data, "dealstream_offset_resets_total{topic=\"deals\"}");
            skipped = series_value(body.data, "dealstream_records_skipped_total{topic=\"deals\"}");
        }
        ds_buf_free(&body);
        if (skipped < (double)lo)
            usleep(20000); /* poll, bounded by the deadline */
    }
    kill(pid, SIGTERM);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    size_t len;
    char *log = tu_slurp(logpath, &len);
    unlink(logpath);
    assert_non_null(log);
    if (skipped != (double)lo || resets != 1)
        fail_msg("/metrics: resets %g, skipped %g (want 1, %" PRId64 "); log:\n%s", resets, skipped, lo, log);
    assert_true(WIFEXITED(st));
    if (WEXITSTATUS(st) != 3)
        fail_msg("run exited with %d after SIGTERM, not 3:\n%s", WEXITSTATUS(st), log);
    assert_logged(log, lo);
    free(log);
    ds_broker_destroy(b);
}

/* replay --from 0 over a partition whose head is gone: says which offsets
 * are not replayed, replays the rest, and exits with 3. */
static void test_replay_from_lost_offset(void **state)
{
    (void)state;
    int64_t lo;
    char *out = on_lost_head("replay --log-level warn --from 0 --to latest", 1, 3, &lo);
    char want[256];
    snprintf(want, sizeof want,
             "error replay: deals [0]: offsets 0..%" PRId64 " asked for are gone (log start %" PRId64 "): %" PRId64
             " record(s) deleted by retention are not replayed",
             lo - 1, lo, lo);
    assert_has(out, want);
    snprintf(want, sizeof want, "replayed %" PRId64 " record(s) of %" PRId64 " offset(s)", 10 + BIG_RECORDS - lo,
             10 + BIG_RECORDS - lo);
    assert_has(out, want);
    snprintf(want, sizeof want, "error replay: %" PRId64 " offset(s) of the range skipped", lo);
    assert_has(out, want);
    free(out);
}

/* consume -o 0 over the same partition: the jump is named at error level. */
static void test_consume_from_lost_offset(void **state)
{
    (void)state;
    int64_t lo;
    char *out = on_lost_head("consume -t deals -p 0 -o 0 -c 1 -q -f '%o\\n'", 0, 0, &lo);
    char want[256];
    snprintf(want, sizeof want,
             "error consume: deals [0]: offset reset: wanted offset 0, got %" PRId64 " (log start %" PRId64
             "): %" PRId64 " record(s) skipped, deleted by retention before they were read",
             lo, lo, lo);
    assert_has(out, want);
    snprintf(want, sizeof want, "%" PRId64 "\n", lo); /* the record read: the first left */
    assert_non_null(strstr(out, want));
    free(out);
}

/* Deletes the records of topic [0] before offset `before` (DeleteRecords,
 * which the embedded broker does not answer). */
static void delete_records(const char *bs, const char *topic, int64_t before)
{
    rd_kafka_t *rk = tu_kafka_client(RD_KAFKA_PRODUCER, bs, NULL, NULL, NULL);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, 0)->offset = before;
    rd_kafka_DeleteRecords_t *del = rd_kafka_DeleteRecords_new(l);
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_DeleteRecords(rk, &del, 1, NULL, q);
    rd_kafka_DeleteRecords_destroy(del);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 30000);
    assert_non_null(ev);
    assert_int_equal(rd_kafka_event_error(ev), 0);
    const rd_kafka_topic_partition_list_t *res =
        rd_kafka_DeleteRecords_result_offsets(rd_kafka_event_DeleteRecords_result(ev));
    assert_int_equal(res->cnt, 1);
    assert_int_equal(res->elems[0].err, 0);
    assert_int_equal(res->elems[0].offset, before); /* the new log start */
    rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    rd_kafka_destroy(rk);
}

/* On Apache Kafka: records deleted (DeleteRecords) under `consume -o 0`:
 * the broker's "Offset out of range" and the reset to the log start are
 * named with the offsets. */
static void test_real_consume_after_delete_records(void **state)
{
    (void)state;
    const char *bs = tu_real_brokers("records deleted");
    char topic[64], cmd[1024], *out;
    snprintf(topic, sizeof topic, "dealstream-skipped-%d", (int)getpid());
    produce(bs, topic, 0, 10, 16);
    delete_records(bs, topic, 6);
    snprintf(cmd, sizeof cmd, "\"$DS_BIN\" consume -b %s -t %s -p 0 -o 0 -c 1 -q -f '%%o\\n' 2>&1", bs, topic);
    int rc = shell(cmd, &out);
    if (rc != 0)
        fail_msg("consume exited with %d:\n%s", rc, out);
    char want[256];
    snprintf(want, sizeof want,
             "error consume: %s [0]: offset reset: wanted offset 0, got 6 (log start 6): 6 record(s) skipped", topic);
    assert_has(out, want);
    free(out);
}

/* On Apache Kafka: `run -e` for a group committed at 0 on <app>-deals [0]
 * whose first six records were deleted (DeleteRecords) names the jump
 * and exits with 3. */
static void test_real_run_after_delete_records(void **state)
{
    (void)state;
    const char *bs = tu_real_brokers("run over deleted records");
    char app[64], deals[96], articles[96], cmd[2048], *out;
    snprintf(app, sizeof app, "skipped-%d", (int)getpid());
    snprintf(deals, sizeof deals, "%s-deals", app);
    snprintf(articles, sizeof articles, "%s-articles", app);
    tu_create_topic(bs, deals, 1, NULL);
    tu_create_topic(bs, articles, 1, NULL);
    produce(bs, deals, 0, 10, 16);
    rd_kafka_t *rk = tu_kafka_client(RD_KAFKA_CONSUMER, bs, app, NULL, NULL);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, deals, 0)->offset = 0;
    assert_int_equal(rd_kafka_commit(rk, l, 0), 0);
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_destroy(rk);
    delete_records(bs, deals, 6);
    snprintf(cmd, sizeof cmd,
             "\"$DS_BIN\" run -b %s -e --catalog %s --log-level warn --commit-interval-ms 50 --app-id %s "
             "--articles-topic %s --deals-topic %s --canonical-topic %s-canonical "
             "-X session.timeout.ms=6000 -X heartbeat.interval.ms=500 2>&1",
             bs, tu_catalog_dir(), app, articles, deals, app);
    int rc = shell(cmd, &out);
    if (rc != 3)
        fail_msg("run -e exited with %d, not 3:\n%s", rc, out);
    char want[256];
    snprintf(want, sizeof want,
             "error run: %s [0]: offset reset: wanted offset 0, got 6 (log start 6): 6 record(s) skipped", deals);
    assert_has(out, want);
    assert_has(out, "error run: 6 input record(s) skipped in 1 offset reset(s)");
    free(out);
}

/* The arithmetic: only offsets below the log start are lost. */
static void test_offsets_lost(void **state)
{
    (void)state;
    assert_int_equal(ds_kafka_offsets_lost(0, 40, 40), 40);
    assert_int_equal(ds_kafka_offsets_lost(5, 40, 30), 25);  /* [30, 40): markers or aborted */
    assert_int_equal(ds_kafka_offsets_lost(5, 40, 90), 35);  /* retention went on since */
    assert_int_equal(ds_kafka_offsets_lost(5, 40, 5), 0);    /* a gap above the log start */
    assert_int_equal(ds_kafka_offsets_lost(5, 5, 90), 0);    /* no gap */
    assert_int_equal(ds_kafka_offsets_lost(40, 5, 90), 0);   /* a rewind */
    assert_int_equal(ds_kafka_offsets_lost(-1001, 40, 40), 0); /* nothing expected yet */
    assert_int_equal(ds_kafka_offsets_lost(5, 40, -1), 0);   /* log start unknown */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offsets_lost),
        cmocka_unit_test(test_exit_at_end),
        cmocka_unit_test(test_metrics_and_sigterm),
        cmocka_unit_test(test_replay_from_lost_offset),
        cmocka_unit_test(test_consume_from_lost_offset),
        cmocka_unit_test(test_real_consume_after_delete_records),
        cmocka_unit_test(test_real_run_after_delete_records),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
