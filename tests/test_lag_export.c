/* lag's member columns (CONSUMER-ID, HOST, CLIENT-ID, as
 * kafka-consumer-groups --describe shows them) and its Prometheus output,
 * once (--prometheus) and served (--listen), for one group or every group.
 * The embedded broker cannot describe or list groups: members and every
 * group are checked on a real cluster (DEALSTREAM_TEST_BROKERS). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include "broker.h"
#include "testutil.h"
#include "util.h"

#define HOUR_MS 3600000LL

static rd_kafka_t *client(rd_kafka_type_t type, const char *bs, const char *group, const char *client_id)
{
    return tu_kafka_client(type, bs, group, "client.id", client_id);
}

/* topic [0]: 10 messages an hour old, committed 4 (lag 6); [1]: 5, committed
 * 5 (lag 0). */
static void setup_group(const char *bs, const char *topic, const char *group)
{
    rd_kafka_t *rk = client(RD_KAFKA_PRODUCER, bs, NULL, NULL);
    for (int p = 0; p < 2; p++)
        for (int i = 0; i < (p ? 5 : 10); i++)
            assert_int_equal(rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(p),
                                               RD_KAFKA_V_VALUE("x", 1), RD_KAFKA_V_TIMESTAMP(ds_now_ms() - HOUR_MS),
                                               RD_KAFKA_V_END),
                             0);
    assert_int_equal(rd_kafka_flush(rk, 10000), 0);
    rd_kafka_destroy(rk);
    rk = client(RD_KAFKA_CONSUMER, bs, group, NULL);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(2);
    rd_kafka_topic_partition_list_add(l, topic, 0)->offset = 4;
    rd_kafka_topic_partition_list_add(l, topic, 1)->offset = 5;
    assert_int_equal(rd_kafka_commit(rk, l, 0), 0);
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_destroy(rk);
}

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

static void test_members_columns_embedded(void **state)
{
    (void)state;
    char err[256];
    const char *topics[] = {"le", NULL};
    ds_broker *b = ds_broker_new(1, 2, topics, err, sizeof err);
    assert_non_null(b);
    const char *bs = ds_broker_bootstraps(b);
    setup_group(bs, "le", "g-le");
    char args[512], *out;
    snprintf(args, sizeof args, "lag -b %s --group g-le --topic le", bs);
    assert_int_equal(run_bin(args, &out), 0);
    assert_non_null(strstr(out, " STATUS  CONSUMER-ID HOST CLIENT-ID\n"));
    assert_non_null(strstr(out, " OK      - - -\n")); /* the embedded broker cannot describe groups */
    free(out);
    snprintf(args, sizeof args, "lag -b %s --group g-le --topic le --json", bs);
    assert_int_equal(run_bin(args, &out), 0);
    json_error_t je;
    json_t *o = json_loads(out, JSON_DISABLE_EOF_CHECK, &je);
    assert_non_null(o);
    json_t *p0 = json_array_get(json_object_get(json_array_get(json_object_get(o, "topics"), 0), "partitions"), 0);
    assert_true(json_is_null(json_object_get(p0, "consumer_id")));
    assert_true(json_is_null(json_object_get(p0, "client_id")));
    assert_true(json_is_false(json_object_get(p0, "markers")));
    json_decref(o);
    free(out);

    /* one scrape, in the text format */
    snprintf(args, sizeof args, "lag -b %s --group g-le --topic le --prometheus", bs);
    assert_int_equal(run_bin(args, &out), 0);
    static const char *const want[] = {
        "# TYPE dealstream_lag_offsets gauge\n",
        "\ndealstream_lag_offsets{group=\"g-le\",topic=\"le\",partition=\"0\",consumer_id=\"\",member_host=\"\","
        "client_id=\"\"} 6\n",
        "\ndealstream_lag_offsets{group=\"g-le\",topic=\"le\",partition=\"1\",consumer_id=\"\",member_host=\"\","
        "client_id=\"\"} 0\n",
        "\ndealstream_lag_committed_offset{group=\"g-le\",topic=\"le\",partition=\"0\"} 4\n",
        "\ndealstream_lag_log_end_offset{group=\"g-le\",topic=\"le\",partition=\"0\"} 10\n",
        "\ndealstream_lag_partition_status{group=\"g-le\",topic=\"le\",partition=\"0\",status=\"OK\"} 1\n",
        "\ndealstream_lag_partition_status{group=\"g-le\",topic=\"le\",partition=\"0\",status=\"STALL\"} 0\n",
        "\ndealstream_lag_group_offsets{group=\"g-le\"} 6\n",
        "\ndealstream_lag_group_status{group=\"g-le\",status=\"OK\"} 1\n",
        "\ndealstream_lag_group_status{group=\"g-le\",status=\"ERR\"} 0\n",
        "\ndealstream_lag_up 1\n",
        "\ndealstream_lag_groups 1\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(out, want[i]))
            fail_msg("no %s in:\n%s", want[i], out);
    /* about an hour old: the time lag in seconds */
    const char *sec = strstr(out, "\ndealstream_lag_seconds{group=\"g-le\",topic=\"le\",partition=\"0\"} ");
    assert_non_null(sec);
    double s = atof(strchr(sec, '}') + 2);
    assert_true(s > 3590 && s < 3700);
    free(out);

    /* a group that cannot be observed says why */
    snprintf(args, sizeof args, "lag -b %s --group g-le --prometheus", bs);
    assert_int_equal(run_bin(args, &out), 1);
    assert_non_null(strstr(out, "dealstream lag: group g-le: the broker listed no committed offsets for group g-le"));
    assert_non_null(strstr(out, "give --topic T"));
    free(out);

    /* every group: the embedded broker cannot list them */
    snprintf(args, sizeof args, "lag -b %s --prometheus", bs);
    assert_int_equal(run_bin(args, &out), 1);
    assert_non_null(strstr(out, "dealstream lag: listing the groups: "));
    free(out);
    ds_broker_destroy(b);
}

static size_t on_body(char *p, size_t size, size_t n, void *opaque)
{
    json_t *s = opaque; /* a JSON string as a growable buffer */
    size_t len = json_string_length(s);
    char *joined = malloc(len + size * n + 1);
    memcpy(joined, json_string_value(s), len);
    memcpy(joined + len, p, size * n);
    json_string_setn_nocheck(s, joined, len + size * n);
    free(joined);
    return size * n;
}

/* GET url; returns the status, the body in *body (malloc'd). */
static long http_get(const char *url, char **body)
{
    CURL *c = curl_easy_init();
    json_t *buf = json_string("");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, buf);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    *body = strdup(json_string_value(buf));
    json_decref(buf);
    return status;
}

/* --listen: /metrics serves the scrapes until SIGTERM, which exits 0. */
static void test_listen(void **state)
{
    (void)state;
    char err[256];
    const char *topics[] = {"ll", NULL};
    ds_broker *b = ds_broker_new(1, 2, topics, err, sizeof err);
    assert_non_null(b);
    const char *bs = ds_broker_bootstraps(b);
    setup_group(bs, "ll", "g-ll");
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], 2);
        close(fds[0]);
        execl(getenv("DS_BIN"), "dealstream", "lag", "-b", bs, "--group", "g-ll", "--topic", "ll", "--listen",
              "127.0.0.1:0", "--watch", "1", (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    FILE *log = fdopen(fds[0], "r");
    char line[1024], url[256] = "";
    while (!url[0] && fgets(line, sizeof line, log)) {
        const char *at = strstr(line, "serving http://");
        if (at)
            sscanf(at + 8, "%200s", url);
    }
    assert_true(url[0]);
    char *body;
    assert_int_equal(http_get(url, &body), 200);
    assert_non_null(strstr(body, "\ndealstream_lag_group_offsets{group=\"g-ll\"} 6\n"));
    assert_non_null(strstr(body, "\ndealstream_lag_up 1\n"));
    free(body);
    char other[300];
    snprintf(other, sizeof other, "%.*s/nothing", (int)(strlen(url) - strlen("/metrics")), url);
    assert_int_equal(http_get(other, &body), 404);
    free(body);
    kill(pid, SIGTERM);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    fclose(log);
    ds_broker_destroy(b);
}

/* A member that polls until told to stop. */
typedef struct member {
    rd_kafka_t *rk;
    volatile int stop;
    volatile int assigned;
} member;

static void *member_main(void *arg)
{
    member *m = arg;
    while (!m->stop) {
        rd_kafka_message_t *rkm = rd_kafka_consumer_poll(m->rk, 100);
        if (rkm)
            rd_kafka_message_destroy(rkm);
        rd_kafka_topic_partition_list_t *as = NULL;
        if (rd_kafka_assignment(m->rk, &as) == 0) {
            if (as->cnt > 0)
                m->assigned = 1;
            rd_kafka_topic_partition_list_destroy(as);
        }
    }
    return NULL;
}

/* On a real cluster: the member that owns each partition, with its client
 * id and host, in the table, the JSON and the text format; and every group
 * without --group. */
static void test_members_real(void **state)
{
    (void)state;
    const char *bs = getenv("DEALSTREAM_TEST_BROKERS");
    if (!bs || !*bs) {
        printf("skipped: group members and every group need a real cluster; set DEALSTREAM_TEST_BROKERS\n");
        skip();
    }
    char topic[64], group[64], cid[64], args[1024], *out, want[512];
    snprintf(topic, sizeof topic, "dealstream-lagx-%d", (int)getpid());
    snprintf(group, sizeof group, "dealstream-lagx-g-%d", (int)getpid());
    snprintf(cid, sizeof cid, "lagx-client-%d", (int)getpid());
    rd_kafka_t *admin = client(RD_KAFKA_PRODUCER, bs, NULL, NULL);
    char e[256];
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, 2, 1, e, sizeof e);
    rd_kafka_queue_t *q = rd_kafka_queue_new(admin);
    rd_kafka_CreateTopics(admin, &nt, 1, NULL, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 30000);
    assert_non_null(ev);
    rd_kafka_event_destroy(ev);
    rd_kafka_NewTopic_destroy(nt);
    rd_kafka_queue_destroy(q);
    rd_kafka_destroy(admin);
    setup_group(bs, topic, group);

    member m = {.rk = client(RD_KAFKA_CONSUMER, bs, group, cid)};
    rd_kafka_poll_set_consumer(m.rk);
    rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(sub, topic, RD_KAFKA_PARTITION_UA);
    assert_int_equal(rd_kafka_subscribe(m.rk, sub), 0);
    rd_kafka_topic_partition_list_destroy(sub);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, member_main, &m), 0);
    for (int64_t deadline = ds_mono_ms() + 60000; !m.assigned && ds_mono_ms() < deadline;) {
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL); /* the member's thread reports its assignment */
    }
    assert_true(m.assigned);

    snprintf(args, sizeof args, "lag -b %s --group %s --topic %s", bs, group, topic);
    run_bin(args, &out);
    snprintf(want, sizeof want, " %s\n", cid);
    assert_non_null(strstr(out, want)); /* CLIENT-ID closes each partition's row */
    assert_non_null(strstr(out, "/127.0.0.1 "));
    free(out);
    snprintf(args, sizeof args, "lag -b %s --prometheus", bs);
    assert_int_equal(run_bin(args, &out), 0);
    snprintf(want, sizeof want, "dealstream_lag_offsets{group=\"%s\",topic=\"%s\",partition=\"0\",consumer_id=\"%s-",
             group, topic, cid);
    if (!strstr(out, want))
        fail_msg("no %s in:\n%s", want, out);
    snprintf(want, sizeof want, "\",member_host=\"/127.0.0.1\",client_id=\"%s\"} ", cid);
    assert_non_null(strstr(out, want));
    free(out);
    m.stop = 1;
    pthread_join(th, NULL);
    rd_kafka_consumer_close(m.rk);
    rd_kafka_destroy(m.rk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_members_columns_embedded),
        cmocka_unit_test(test_listen),
        cmocka_unit_test(test_members_real),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
