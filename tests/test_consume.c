/* consume as kcat: offset forms (beginning, end, stored, N, -N, s@, e@), -p,
 * -c, -e counted per partition, -q, -J, -f with kcat's tokens, -K and -D,
 * tombstones as null, and -G reading committed offsets without moving them
 * unless --commit. Through the binary, against the embedded broker; on a
 * real cluster (DEALSTREAM_TEST_BROKERS; "skipped" without one), -e with a
 * transaction open below the high watermark. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include "broker.h"
#include "testutil.h"
#include "util.h"

#define TOPIC "kc"
#define T0 1700000000000LL /* the first message's timestamp; the n-th is T0 + n s */

static ds_broker *broker;
static const char *bs;

static rd_kafka_t *client(rd_kafka_type_t type, const char *group)
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

/* kc [0]: offsets 0..3, keys k0..k3, values v0..v3, at T0 + 0..3 s; the
 * last has a header h=1. kc [1]: offsets 0..1, keys k4 (value v4) and k5
 * (a tombstone), at T0 + 4 and 5 s. kc [2]: empty. */
static void fill(void)
{
    rd_kafka_t *rk = client(RD_KAFKA_PRODUCER, NULL);
    for (int i = 0; i < 6; i++) {
        char key[8], val[8];
        snprintf(key, sizeof key, "k%d", i);
        snprintf(val, sizeof val, "v%d", i);
        void *v = i == 5 ? NULL : val;
        rd_kafka_headers_t *h = rd_kafka_headers_new(1);
        if (i == 3)
            rd_kafka_header_add(h, "h", 1, "1", 1);
        assert_int_equal(rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(TOPIC), RD_KAFKA_V_PARTITION(i < 4 ? 0 : 1),
                                           RD_KAFKA_V_KEY(key, strlen(key)),
                                           RD_KAFKA_V_VALUE(v, v ? strlen(val) : 0),
                                           RD_KAFKA_V_TIMESTAMP(T0 + 1000LL * i), RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                           RD_KAFKA_V_END),
                         0);
    }
    assert_int_equal(rd_kafka_flush(rk, 10000), 0);
    rd_kafka_destroy(rk);
}

/* `dealstream consume -b BS ARGS`; stdout in *out, stderr in *errout
 * when not NULL (else discarded). */
static int consume(const char *args, char **out, char **errout)
{
    char errpath[] = "/tmp/ds-test-consume-XXXXXX";
    int fd = mkstemp(errpath);
    assert_true(fd >= 0);
    close(fd);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "\"$DS_BIN\" consume -b %s %s 2>%s", bs, args, errpath);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t len;
    *out = ds_read_stream(p, &len);
    int st = pclose(p);
    if (errout)
        *errout = ds_read_file(errpath, &len);
    unlink(errpath);
    assert_true(WIFEXITED(st));
    return WEXITSTATUS(st);
}

static int cmp_line(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The lines of text sorted, as one string (malloc'd): partitions are read
 * side by side, so only the order within one partition is given, and the
 * lines printed here start with partition and offset. */
static char *sorted_lines(const char *text)
{
    char *copy = strdup(text), *save = NULL, *lines[256];
    size_t n = 0, len = 0;
    for (char *l = strtok_r(copy, "\n", &save); l && n < 256; l = strtok_r(NULL, "\n", &save))
        lines[n++] = l;
    qsort(lines, n, sizeof *lines, cmp_line);
    char *out = calloc(strlen(text) + 2, 1);
    for (size_t i = 0; i < n; i++)
        len += (size_t)sprintf(out + len, "%s\n", lines[i]);
    free(copy);
    return out;
}

/* Runs consume and compares its whole stdout, line order aside. */
static void expect(const char *args, const char *want)
{
    char *out;
    int rc = consume(args, &out, NULL);
    char *got = sorted_lines(out), *exp = sorted_lines(want);
    int same = strcmp(got, exp) == 0;
    free(got);
    free(exp);
    if (rc != 0 || !same) {
        fprintf(stderr, "consume %s: exit %d\n--- got:\n%s--- want:\n%s", args, rc, out, want);
        free(out);
        fail();
    }
    free(out);
}

#define FMT " -q -f '%p:%o:%k=%s\\n' "

static void test_offset_forms(void **state)
{
    (void)state;
    expect("-t " TOPIC " -e" FMT "-p 0", "0:0:k0=v0\n0:1:k1=v1\n0:2:k2=v2\n0:3:k3=v3\n");
    expect("-t " TOPIC " -e" FMT "-p 0 -o beginning", "0:0:k0=v0\n0:1:k1=v1\n0:2:k2=v2\n0:3:k3=v3\n");
    expect("-t " TOPIC " -e" FMT "-p 0 -o 2", "0:2:k2=v2\n0:3:k3=v3\n");
    expect("-t " TOPIC " -e" FMT "-p 0 -o -1", "0:3:k3=v3\n");
    expect("-t " TOPIC " -e" FMT "-p 0,1 -o -1", "0:3:k3=v3\n1:1:k5=null\n");
    expect("-t " TOPIC " -e" FMT "-o end", "");
    /* s@: the first message at or after the time, on every partition (the
     * embedded broker cannot look it up: read from the start, skipped) */
    expect("-t " TOPIC " -e" FMT "-p 0 -o s@1700000002000", "0:2:k2=v2\n0:3:k3=v3\n");
    expect("-t " TOPIC " -e" FMT "-p 0 -o s@1700000001500", "0:2:k2=v2\n0:3:k3=v3\n");
    /* e@: stops each partition before its first message at or after the
     * time; with e@ on every partition no -e is needed to exit */
    expect("-t " TOPIC FMT "-p 0 -o e@1700000002000", "0:0:k0=v0\n0:1:k1=v1\n");
    expect("-t " TOPIC FMT "-p 0 -o s@1700000001000 -o e@1700000003000", "0:1:k1=v1\n0:2:k2=v2\n");
    /* -c: the first N */
    expect("-t " TOPIC " -e" FMT "-p 0 -c 2", "0:0:k0=v0\n0:1:k1=v1\n");
}

/* -e counts partitions (an empty one too) and says where each ended. */
static void test_exit_per_partition(void **state)
{
    (void)state;
    char *out, *err;
    assert_int_equal(consume("-t " TOPIC " -e -f '%p:%o\\n'", &out, &err), 0);
    int n = 0;
    for (const char *s = out; *s; s++)
        n += *s == '\n';
    assert_int_equal(n, 6);
    assert_non_null(strstr(out, "0:3\n"));
    assert_non_null(strstr(out, "1:1\n"));
    assert_non_null(strstr(err, "% Reached end of topic kc [0] at offset 4\n"));
    assert_non_null(strstr(err, "% Reached end of topic kc [1] at offset 2\n"));
    assert_non_null(strstr(err, "% Reached end of topic kc [2] at offset 0\n"));
    free(out);
    free(err);
    /* -q: nothing on stderr */
    assert_int_equal(consume("-t " TOPIC " -e -q -p 2", &out, &err), 0);
    assert_string_equal(out, "");
    assert_string_equal(err, "");
    free(out);
    free(err);
}

/* kcat's tokens, escapes, -K and -D; a value that is not one of our
 * records prints as its bytes, a tombstone as null. */
static void test_format_tokens(void **state)
{
    (void)state;
    expect("-t " TOPIC " -e -q -p 0 -o 3 -f '%t|%p|%o|%k|%K|%s|%S|%T|%h|%c|%%\\t\\x41\\66\\n'",
           "kc|0|3|k3|2|v3|2|1700000003000|h=1|-|%\tAB\n");
    expect("-t " TOPIC " -e -q -p 1 -f '%k %S %s\\n'", "k4 2 v4\nk5 -1 null\n");
    /* the default: JSON lines (a non-Avro value as an envelope), a tombstone null */
    char *out;
    assert_int_equal(consume("-t " TOPIC " -e -q -p 1 -K ': ' -D '\\n--\\n'", &out, NULL), 0);
    const char *tomb = strstr(out, "k5: null\n--\n");
    assert_non_null(tomb);
    assert_int_equal(strncmp(out, "k4: {\"topic\":\"kc\",\"partition\":1,\"offset\":0,\"key\":\"k4\"", 53), 0);
    assert_non_null(strstr(out, "\"error\":\"not a dealstream Avro record\"}\n--\n"));
    free(out);
}

/* -J: kcat's envelope, the decoded record as payload. */
static void test_envelope(void **state)
{
    (void)state;
    char *args[] = {"-t", "kc-articles", DS_SOURCE_DIR "/samples/01-k2-signing-planned.txt", NULL};
    assert_int_equal(tu_produce(bs, args), 0);
    char *out;
    assert_int_equal(consume("-t kc-articles -e -q -J -c 1", &out, NULL), 0);
    json_error_t je;
    json_t *o = json_loads(out, JSON_DISABLE_EOF_CHECK, &je);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "topic")), "kc-articles");
    assert_true(json_is_integer(json_object_get(o, "partition")));
    assert_int_equal(json_integer_value(json_object_get(o, "offset")), 0);
    assert_string_equal(json_string_value(json_object_get(o, "tstype")), "create");
    assert_true(json_integer_value(json_object_get(o, "ts")) > T0);
    assert_int_equal(json_integer_value(json_object_get(o, "broker")), 1);
    json_t *payload = json_object_get(o, "payload");
    assert_true(json_is_object(payload));
    assert_string_equal(json_string_value(json_object_get(o, "key")),
                        json_string_value(json_object_get(payload, "article_id")));
    assert_null(json_object_get(o, "payload_error"));
    json_decref(o);
    free(out);
    /* %c names the record type */
    expect("-t kc-articles -e -q -c 1 -f '%c\\n'", "ArticleEvent\n");

    /* headers as kcat's name, value array; a tombstone's payload null; a
     * value that does not decode keeps its bytes with payload_error */
    assert_int_equal(consume("-t " TOPIC " -e -q -J -p 0 -o 3", &out, NULL), 0);
    o = json_loads(out, JSON_DISABLE_EOF_CHECK, &je);
    assert_non_null(o);
    json_t *h = json_object_get(o, "headers");
    assert_int_equal(json_array_size(h), 2);
    assert_string_equal(json_string_value(json_array_get(h, 0)), "h");
    assert_string_equal(json_string_value(json_array_get(h, 1)), "1");
    assert_string_equal(json_string_value(json_object_get(o, "payload")), "v3");
    assert_string_equal(json_string_value(json_object_get(o, "payload_error")), "not a dealstream Avro record");
    assert_int_equal(json_integer_value(json_object_get(o, "ts")), T0 + 3000);
    json_decref(o);
    free(out);
    assert_int_equal(consume("-t " TOPIC " -e -q -J -p 1 -o 1", &out, NULL), 0);
    o = json_loads(out, JSON_DISABLE_EOF_CHECK, &je);
    assert_non_null(o);
    assert_true(json_is_null(json_object_get(o, "payload")));
    assert_null(json_object_get(o, "payload_error"));
    assert_string_equal(json_string_value(json_object_get(o, "key")), "k5");
    json_decref(o);
    free(out);
}

/* The group's committed offset of kc [partition], -1 when none. */
static int64_t committed(const char *group, int32_t partition)
{
    rd_kafka_t *rk = client(RD_KAFKA_CONSUMER, group);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, TOPIC, partition);
    assert_int_equal(rd_kafka_committed(rk, l, 10000), 0);
    int64_t off = l->elems[0].offset;
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_destroy(rk);
    return off >= 0 ? off : -1;
}

/* -G: starts at the committed offsets (stored is the default), exits with
 * -e, and commits nothing unless --commit. */
static void test_group_offsets(void **state)
{
    (void)state;
    rd_kafka_t *rk = client(RD_KAFKA_CONSUMER, "kc-g");
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(2);
    rd_kafka_topic_partition_list_add(l, TOPIC, 0)->offset = 2;
    rd_kafka_topic_partition_list_add(l, TOPIC, 1)->offset = 1;
    assert_int_equal(rd_kafka_commit(rk, l, 0), 0);
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_destroy(rk);

    expect("-t " TOPIC " -G kc-g -e" FMT, "0:2:k2=v2\n0:3:k3=v3\n1:1:k5=null\n");
    expect("-t " TOPIC " -G kc-g -o stored -e" FMT "-p 0", "0:2:k2=v2\n0:3:k3=v3\n");
    assert_int_equal(committed("kc-g", 0), 2); /* a peek moves nothing */
    assert_int_equal(committed("kc-g", 1), 1);
    /* another start with -G: the group's offsets are not read */
    expect("-t " TOPIC " -G kc-g -o -1 -e" FMT "-p 0", "0:3:k3=v3\n");
    /* --commit: the position reached */
    expect("-t " TOPIC " -G kc-g -e --commit" FMT "-p 0 -c 1", "0:2:k2=v2\n");
    assert_int_equal(committed("kc-g", 0), 3);
    assert_int_equal(committed("kc-g", 1), 1);
    expect("-t " TOPIC " -G kc-g -e --commit" FMT, "0:3:k3=v3\n1:1:k5=null\n");
    assert_int_equal(committed("kc-g", 0), 4);
    assert_int_equal(committed("kc-g", 1), 2);
    expect("-t " TOPIC " -G kc-g -e" FMT, "");
    /* a group without offsets starts at the beginning */
    expect("-t " TOPIC " -G kc-none -e" FMT "-p 0 -c 1", "0:0:k0=v0\n");
}

/* Runtime errors: exit 1 with the topic and partition named. */
static void test_errors(void **state)
{
    (void)state;
    char *out, *err;
    assert_int_equal(consume("-t " TOPIC " -p 7 -e", &out, &err), 1);
    assert_string_equal(err, "dealstream consume: topic kc has no partition '7' (it has 3)\n");
    free(out);
    free(err);
}

/* ---- -e on a real cluster --------------------------------------------------- */

/* One read of topic with -e while tp's transaction, holding the record
 * after the last committed one, is open: consume must report the wait and
 * not exit before the transaction ends; then commit (or abort) it and
 * check what was printed (want) and that the end was reached past it. */
static void read_across_open_transaction(const char *brokers, const char *topic, rd_kafka_t *tp, int commit,
                                         const char *want, const char *waiting, const char *reached)
{
    char *argv[] = {"consume", "-b", (char *)brokers, "-t", (char *)topic, "-e", "-f", "%o:%s\n", NULL};
    int status = 0;
    char *o, *e;
    tu_across_open_transaction(argv, tp, commit, waiting, &status, &o, &e);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_string_equal(o, want);
    if (!strstr(e, reached))
        fail_msg("stderr lacks \"%s\":\n%s", reached, e);
    free(o);
    free(e);
}

/* -e under read_committed (consume's default) on a real cluster: a
 * transaction open on the partition holds the last stable offset below the
 * high watermark, as every commit does until the broker has written its
 * markers (a reader started right after a processor's last commit once
 * missed that commit's records and saw deals at their previous revision).
 * consume waits for the transaction to end, then prints its records if it
 * committed, nothing of it if it aborted, and exits at the end past it. */
static void test_real_exit_waits_for_transaction(void **state)
{
    (void)state;
    const char *real = tu_real_brokers("a transaction left open (the embedded broker writes no markers)");
    char topic[64], txid[80];
    snprintf(topic, sizeof topic, "kc-txn-%d", (int)getpid());
    snprintf(txid, sizeof txid, "%s-producer", topic);
    tu_create_topic(real, topic, 1, NULL);
    rd_kafka_t *plain = tu_kafka_client(RD_KAFKA_PRODUCER, real, NULL, NULL, NULL);
    assert_int_equal(rd_kafka_producev(plain, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0),
                                       RD_KAFKA_V_VALUE("a", 1), RD_KAFKA_V_END),
                     0);
    assert_int_equal(rd_kafka_flush(plain, 30000), 0);
    rd_kafka_destroy(plain);
    rd_kafka_t *tp = tu_transactional_producer(real, txid);
    /* committed: "b" at offset 1, its marker at 2 */
    assert_null(rd_kafka_begin_transaction(tp));
    assert_int_equal(rd_kafka_producev(tp, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0),
                                       RD_KAFKA_V_VALUE("b", 1), RD_KAFKA_V_END),
                     0);
    assert_int_equal(rd_kafka_flush(tp, 30000), 0);
    char waiting[160], reached[160];
    snprintf(waiting, sizeof waiting, "%% Waiting at offset 1 of topic %s [0] for the transaction open below the "
             "high watermark 2 to end", topic);
    snprintf(reached, sizeof reached, "%% Reached end of topic %s [0] at offset 3", topic);
    read_across_open_transaction(real, topic, tp, 1, "0:a\n1:b\n", waiting, reached);
    /* aborted: "c" at offset 3, the abort marker at 4 */
    assert_null(rd_kafka_begin_transaction(tp));
    assert_int_equal(rd_kafka_producev(tp, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0),
                                       RD_KAFKA_V_VALUE("c", 1), RD_KAFKA_V_END),
                     0);
    assert_int_equal(rd_kafka_flush(tp, 30000), 0);
    snprintf(waiting, sizeof waiting, "%% Waiting at offset 3 of topic %s [0] for the transaction open below the "
             "high watermark 4 to end", topic);
    snprintf(reached, sizeof reached, "%% Reached end of topic %s [0] at offset 5", topic);
    read_across_open_transaction(real, topic, tp, 0, "0:a\n1:b\n", waiting, reached);
    rd_kafka_destroy(tp);
}

static int setup(void **state)
{
    (void)state;
    char e[256];
    const char *topics[] = {TOPIC, "kc-articles", NULL};
    broker = ds_broker_new(1, 3, topics, e, sizeof e);
    if (!broker)
        return -1;
    bs = ds_broker_bootstraps(broker);
    fill();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ds_broker_destroy(broker);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offset_forms), cmocka_unit_test(test_exit_per_partition),
        cmocka_unit_test(test_format_tokens), cmocka_unit_test(test_envelope),
        cmocka_unit_test(test_group_offsets), cmocka_unit_test(test_errors),
        cmocka_unit_test(test_real_exit_waits_for_transaction),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
