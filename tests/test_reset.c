/* offsets reset as kafka-consumer-groups --reset-offsets: a scope is
 * required (--topic, --all-topics or --from-file), --to-current,
 * --by-duration, --export CSV read back by --from-file, and the refusal of
 * a broker that counts members. On the embedded broker, and for the
 * timestamp look-ups on a real cluster (DEALSTREAM_TEST_BROKERS). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <librdkafka/rdkafka.h>

#include "broker.h"
#include "config.h"
#include "offsets.h"
#include "testutil.h"
#include "util.h"

#define HOUR_MS 3600000LL

static rd_kafka_t *client(rd_kafka_type_t type, const char *bs, const char *group)
{
    char e[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    assert_int_equal(rd_kafka_conf_set(conf, "bootstrap.servers", bs, e, sizeof e), RD_KAFKA_CONF_OK);
    rd_kafka_conf_set(conf, "log_level", "3", e, sizeof e);
    if (group) {
        rd_kafka_conf_set(conf, "group.id", group, e, sizeof e);
        rd_kafka_conf_set(conf, "enable.auto.commit", "false", e, sizeof e);
    }
    rd_kafka_t *rk = rd_kafka_new(type, conf, e, sizeof e);
    assert_non_null(rk);
    return rk;
}

static void produce_at(const char *bs, const char *topic, int32_t partition, int n, int64_t ts)
{
    rd_kafka_t *rk = client(RD_KAFKA_PRODUCER, bs, NULL);
    for (int i = 0; i < n; i++)
        assert_int_equal(rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                                           RD_KAFKA_V_VALUE("x", 1), RD_KAFKA_V_TIMESTAMP(ts), RD_KAFKA_V_END),
                         0);
    assert_int_equal(rd_kafka_flush(rk, 10000), 0);
    rd_kafka_destroy(rk);
}

static void commit(const char *bs, const char *group, const char *topic, int32_t partition, int64_t offset)
{
    rd_kafka_t *rk = client(RD_KAFKA_CONSUMER, bs, group);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, partition)->offset = offset;
    assert_int_equal(rd_kafka_commit(rk, l, 0), 0);
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_destroy(rk);
}

static int64_t committed(const char *bs, const char *group, const char *topic, int32_t partition)
{
    rd_kafka_t *rk = client(RD_KAFKA_CONSUMER, bs, group);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, partition);
    assert_int_equal(rd_kafka_committed(rk, l, 10000), 0);
    int64_t off = l->elems[0].offset;
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_destroy(rk);
    return off >= 0 ? off : -1;
}

/* `dealstream ARGS` with stdout in *out and stderr appended after it. */
static int run_bin(const char *args, char **out)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "\"$DS_BIN\" %s --log-level warn 2>&1", args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t len;
    *out = ds_read_stream(p, &len);
    int st = pclose(p);
    assert_true(WIFEXITED(st));
    return WEXITSTATUS(st);
}

/* The embedded broker's topic of these tests, 3 partitions. */
static const char *const RT[] = {"rt", NULL};

/* rt [0]: 10 messages, committed 4; rt [1]: 5, committed 5; rt [2]: 3, none. */
static void setup_group(const char *bs, const char *group)
{
    int64_t now = ds_now_ms();
    produce_at(bs, "rt", 0, 10, now - HOUR_MS);
    produce_at(bs, "rt", 1, 5, now - HOUR_MS);
    produce_at(bs, "rt", 2, 3, now - 2 * HOUR_MS);
    commit(bs, group, "rt", 0, 4);
    commit(bs, group, "rt", 1, 5);
}

static void test_parse_duration(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int64_t ms;
    } ok[] = {{"PT30M", 1800000},   {"P1DT2H", 93600000}, {"PT0.5S", 500}, {"P2D", 172800000},
              {"PT1H30M", 5400000}, {"90s", 90000},       {"1w", 604800000}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        int64_t ms = -1;
        assert_int_equal(ds_offsets_parse_duration(ok[i].s, &ms), 0);
        assert_int_equal(ms, ok[i].ms);
    }
    static const char *bad[] = {"P", "PT", "P1H", "PT1D", "PTM", "30", "soon", "P-1D"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t ms;
        if (ds_offsets_parse_duration(bad[i], &ms) == 0)
            fail_msg("'%s' parsed as %lld ms", bad[i], (long long)ms);
    }
}

/* The library: a scope is required; --to-current keeps the committed
 * offset and takes the log end where there is none. */
static void test_scope_and_current(void **state)
{
    (void)state;
    ds_broker *b = tu_start_broker_topics(3, RT);
    const char *bs = ds_broker_bootstraps(b);
    setup_group(bs, "g-cur");
    ds_config cfg;
    char err[1024];
    char *argv[] = {"offsets", "-b", (char *)bs, "--log-level", "warn", NULL};
    assert_int_equal(ds_config_parse(&cfg, DS_CMD_OFFSETS, 5, argv, err, sizeof err), 0);
    ds_reset_plan plan;
    ds_reset_spec spec = {.to = DS_RESET_EARLIEST, .timeout_ms = 3000};
    assert_int_equal(ds_offsets_reset(&cfg, "g-cur", &spec, &plan, err, sizeof err), -1);
    assert_string_equal(err, "no scope: give --topic T[:P,...], --all-topics or --from-file FILE");
    ds_reset_plan_free(&plan);
    /* --all-topics needs a broker that lists a group's offsets */
    spec.all_topics = 1;
    assert_int_equal(ds_offsets_reset(&cfg, "g-cur", &spec, &plan, err, sizeof err), -1);
    assert_non_null(strstr(err, "the embedded broker cannot"));
    ds_reset_plan_free(&plan);

    spec = (ds_reset_spec){.to = DS_RESET_CURRENT, .topic = "rt", .timeout_ms = 3000};
    assert_int_equal(ds_offsets_reset(&cfg, "g-cur", &spec, &plan, err, sizeof err), 0);
    assert_int_equal(plan.n, 3);
    assert_int_equal(plan.rows[0].target, 4);
    assert_int_equal(plan.rows[1].target, 5);
    assert_int_equal(plan.rows[2].target, 3); /* no commit: the log end */
    ds_reset_plan_free(&plan);

    /* DS_RESET_FILE: the rows are the scope, targets clamped to the log */
    ds_reset_row rows[] = {{.topic = "rt", .partition = 2, .target = 1}, {.topic = "rt", .partition = 0, .target = 99}};
    spec = (ds_reset_spec){.to = DS_RESET_FILE, .rows = rows, .nrows = 2, .timeout_ms = 3000};
    assert_int_equal(ds_offsets_reset(&cfg, "g-cur", &spec, &plan, err, sizeof err), 0);
    assert_int_equal(plan.n, 2);
    assert_int_equal(plan.rows[0].partition, 0);
    assert_int_equal(plan.rows[0].target, 10);
    assert_int_equal(plan.rows[1].partition, 2);
    assert_int_equal(plan.rows[1].target, 1);
    ds_reset_plan_free(&plan);
    ds_config_free(&cfg);
    ds_broker_destroy(b);
}

static char tmpdir[] = "/tmp/ds-test-reset-XXXXXX";

static const char *write_file(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

/* --export prints the CSV that --from-file reads back. */
static void test_export_and_from_file(void **state)
{
    (void)state;
    ds_broker *b = tu_start_broker_topics(3, RT);
    const char *bs = ds_broker_bootstraps(b);
    setup_group(bs, "g-csv");
    char args[1024], *out;
    snprintf(args, sizeof args, "offsets reset -b %s --group g-csv --topic rt --to-current --export --dry-run", bs);
    assert_int_equal(run_bin(args, &out), 0);
    assert_string_equal(out, "rt,0,4\nrt,1,5\nrt,2,3\n");
    free(out);
    snprintf(args, sizeof args, "offsets reset -b %s --group g-csv --topic rt:0,2 --shift-by 2 --export --dry-run",
             bs);
    assert_int_equal(run_bin(args, &out), 1); /* rt [2] has no commit to shift */
    assert_non_null(strstr(out, "cannot shift rt [2]: group g-csv has no committed offset there"));
    free(out);

    /* a backup edited and restored: partitions of the file only, clamped */
    char path[600];
    snprintf(path, sizeof path, "%s", write_file("g.csv", "# a backup\nrt,0,2\n\nother-group,rt,1,0\ng-csv,rt,2,7\n"));
    snprintf(args, sizeof args, "offsets reset -b %s --group g-csv --from-file %s --execute --force", bs, path);
    assert_int_equal(run_bin(args, &out), 0);
    assert_non_null(strstr(out, "committed the new offsets of group g-csv"));
    free(out);
    assert_int_equal(committed(bs, "g-csv", "rt", 0), 2);
    assert_int_equal(committed(bs, "g-csv", "rt", 1), 5); /* another group's row */
    assert_int_equal(committed(bs, "g-csv", "rt", 2), 3); /* 7 clamped to the log end */

    /* a file's errors name file and line, and are usage errors */
    snprintf(path, sizeof path, "%s", write_file("bad.csv", "rt,0,2\nrt,zero,1\n"));
    snprintf(args, sizeof args, "offsets reset -b %s --group g-csv --from-file %s --dry-run", bs, path);
    assert_int_equal(run_bin(args, &out), 2);
    char want[1024];
    snprintf(want, sizeof want, "%s:2: expected topic,partition,offset", path);
    assert_non_null(strstr(out, want));
    free(out);
    snprintf(args, sizeof args, "offsets reset -b %s --group g-csv --from-file %s --topic rt --dry-run", bs, path);
    assert_int_equal(run_bin(args, &out), 2);
    assert_non_null(strstr(out, "--from-file names its partitions"));
    free(out);
    /* a partition the topic does not have */
    snprintf(path, sizeof path, "%s", write_file("nine.csv", "rt,9,0\n"));
    snprintf(args, sizeof args, "offsets reset -b %s --group g-csv --from-file %s --dry-run", bs, path);
    assert_int_equal(run_bin(args, &out), 1);
    assert_non_null(strstr(out, "topic rt has no partition '9' (it has 3)"));
    free(out);
    ds_broker_destroy(b);
}

/* --by-duration looks offsets up by time: the embedded broker cannot, and
 * says so, changing nothing. */
static void test_by_duration_embedded(void **state)
{
    (void)state;
    ds_broker *b = tu_start_broker_topics(3, RT);
    const char *bs = ds_broker_bootstraps(b);
    setup_group(bs, "g-dur");
    char args[1024], *out;
    snprintf(args, sizeof args, "offsets reset -b %s --group g-dur --topic rt --by-duration PT90M --execute --force",
             bs);
    assert_int_equal(run_bin(args, &out), 1);
    assert_non_null(strstr(out, "does not look up offsets by timestamp"));
    assert_non_null(strstr(out, "nothing was changed"));
    free(out);
    assert_int_equal(committed(bs, "g-dur", "rt", 0), 4);
    ds_broker_destroy(b);
}

/* A group that has had a member: the embedded broker refuses commits from
 * outside it for good, and the message says so instead of claiming live
 * members. */
static void test_refused_after_members(void **state)
{
    (void)state;
    ds_broker *b = tu_start_broker_topics(3, RT);
    const char *bs = ds_broker_bootstraps(b);
    setup_group(bs, "g-joined");
    rd_kafka_t *rk = client(RD_KAFKA_CONSUMER, bs, "g-joined");
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(sub, "rt", RD_KAFKA_PARTITION_UA);
    assert_int_equal(rd_kafka_subscribe(rk, sub), 0);
    rd_kafka_topic_partition_list_destroy(sub);
    rd_kafka_topic_partition_list_t *as = NULL;
    for (int64_t deadline = ds_mono_ms() + 30000; ds_mono_ms() < deadline;) {
        rd_kafka_message_t *rkm = rd_kafka_consumer_poll(rk, 100);
        if (rkm)
            rd_kafka_message_destroy(rkm);
        if (rd_kafka_assignment(rk, &as) == 0 && as->cnt > 0)
            break;
        rd_kafka_topic_partition_list_destroy(as);
        as = NULL;
    }
    assert_non_null(as); /* joined and assigned */
    rd_kafka_topic_partition_list_destroy(as);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);

    char args[1024], *out;
    snprintf(args, sizeof args, "offsets reset -b %s --group g-joined --topic rt --to-earliest --execute --force", bs);
    assert_int_equal(run_bin(args, &out), 1);
    assert_non_null(strstr(out, "Unknown member"));
    assert_non_null(strstr(out, "it is the embedded broker, which refuses them for good once the group has had a member"));
    assert_non_null(strstr(out, "nothing was changed"));
    free(out);
    assert_int_equal(committed(bs, "g-joined", "rt", 0), 4);
    ds_broker_destroy(b);
}

/* On a real cluster: --by-duration as kafka-consumer-groups resolves it, and
 * --all-topics over what the group has committed. */
static void test_real_cluster(void **state)
{
    (void)state;
    const char *bs = getenv("DEALSTREAM_TEST_BROKERS");
    if (!bs || !*bs) {
        printf("skipped: --by-duration and --all-topics on a real cluster; set DEALSTREAM_TEST_BROKERS\n");
        skip();
    }
    char topic[64], group[64], args[1024], *out;
    snprintf(topic, sizeof topic, "dealstream-reset-%d", (int)getpid());
    snprintf(group, sizeof group, "dealstream-reset-g-%d", (int)getpid());
    int64_t now = ds_now_ms();
    produce_at(bs, topic, 0, 5, now - 2 * HOUR_MS);
    produce_at(bs, topic, 0, 5, now - HOUR_MS / 2);
    commit(bs, group, topic, 0, 10);
    snprintf(args, sizeof args, "offsets reset -b %s --group %s --all-topics --by-duration PT1H --export --execute",
             bs, group);
    assert_int_equal(run_bin(args, &out), 0);
    char want[256];
    snprintf(want, sizeof want, "%s,0,5\n", topic);
    assert_string_equal(out, want);
    free(out);
    assert_int_equal(committed(bs, group, topic, 0), 5);
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_duration),        cmocka_unit_test(test_scope_and_current),
        cmocka_unit_test(test_export_and_from_file),  cmocka_unit_test(test_by_duration_embedded),
        cmocka_unit_test(test_refused_after_members), cmocka_unit_test(test_real_cluster),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
