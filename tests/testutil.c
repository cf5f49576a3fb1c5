#include "testutil.h"

#include <glob.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <librdkafka/rdkafka.h>

#include "buf.h"
#include "catalog.h"
#include "codec.h"
#include "commands.h"
#include "config.h"
#include "consume.h"
#include "demo.h"
#include "input.h"
#include "util.h"

const char *tu_test_dir(void)
{
    const char *d = getenv("DS_TEST_DATA");
    return d ? d : DS_SOURCE_DIR "/tests";
}

const char *tu_seeds_dir(void)
{
    const char *d = getenv("DS_SEEDS_DIR");
    return d ? d : DS_SOURCE_DIR "/../shared/seeds";
}

const char *tu_catalog_dir(void)
{
    const char *d = getenv("DEALSTREAM_CATALOG_DIR");
    return d ? d : DS_DATA_DIR "/catalog";
}

static int argc_of(char **argv)
{
    int n = 0;
    while (argv[n])
        n++;
    return n;
}

int tu_cmd(unsigned cmd_bit, int (*fn)(void *cfg), char **argv)
{
    ds_config cfg;
    char err[512];
    if (ds_config_parse(&cfg, cmd_bit, argc_of(argv), argv, err, sizeof err)) {
        fprintf(stderr, "options: %s\n", err);
        ds_config_free(&cfg);
        return 2;
    }
    int rc = fn(&cfg);
    ds_config_free(&cfg);
    return rc;
}

static char **concat(const char *const *head, char **extra)
{
    int nh = 0, ne = extra ? argc_of(extra) : 0;
    while (head[nh])
        nh++;
    char **v = calloc((size_t)(nh + ne + 1), sizeof *v);
    for (int i = 0; i < nh; i++)
        v[i] = (char *)head[i];
    for (int i = 0; i < ne; i++)
        v[nh + i] = extra[i];
    return v;
}

static int produce_fn(void *cfg) { return ds_cmd_produce(cfg); }

int tu_produce(const char *brokers, char **extra_args)
{
    const char *head[] = {"produce", "-b", brokers, "--log-level", "warn", NULL};
    char **argv = concat(head, extra_args);
    int rc = tu_cmd(DS_CMD_PRODUCE, produce_fn, argv);
    free(argv);
    return rc;
}

static ds_run_stats *run_stats;
static int run_fn(void *cfg) { return ds_run(cfg, run_stats); }

ds_broker *tu_start_broker_topics(int partitions, const char *const *topics)
{
    char err[256];
    ds_broker *b = ds_broker_new(1, partitions, topics, err, sizeof err);
    if (!b)
        fprintf(stderr, "broker: %s\n", err);
    assert_non_null(b);
    return b;
}

ds_broker *tu_start_broker(int partitions)
{
    return tu_start_broker_topics(partitions, ds_broker_default_topics("dealstream"));
}

int tu_run(const char *brokers, ds_run_stats *st, char **extra_args)
{
    /* The embedded broker (librdkafka 2.0.2's mock cluster) lets a new member
     * wait out the session timeout of one that left, so keep it short. */
    const char *head[] = {"run", "-b", brokers, "-e", "--catalog", tu_catalog_dir(), "--log-level", "warn",
                          "--commit-interval-ms", "50", "-X", "session.timeout.ms=6000",
                          "-X", "heartbeat.interval.ms=500", NULL};
    char **argv = concat(head, extra_args);
    run_stats = st;
    int rc = tu_cmd(DS_CMD_RUN, run_fn, argv);
    run_stats = NULL;
    free(argv);
    return rc;
}

static int collect(void *opaque, json_t *rec, const rd_kafka_message_t *rkm)
{
    (void)rkm;
    json_array_append(opaque, rec);
    return 0;
}

json_t *tu_read_topic(const char *brokers, const char *topic)
{
    ds_config cfg;
    char err[512];
    char *argv[] = {"consume", "-b", (char *)brokers, "-t", (char *)topic, "-e", "-q", NULL};
    assert_int_equal(ds_config_parse(&cfg, DS_CMD_CONSUME, 7, argv, err, sizeof err), 0);
    json_t *arr = json_array();
    int rc = ds_consume(&cfg, collect, arr, err, sizeof err);
    ds_config_free(&cfg);
    if (rc)
        fprintf(stderr, "reading %s: %s\n", topic, err);
    assert_int_equal(rc, 0);
    return arr;
}

/* Whether the cluster's metadata, as a client that starts now reads it
 * (every topic), shows topic with nparts partitions, each with a leader. */
static int topic_led(rd_kafka_t *rk, const char *topic, int nparts)
{
    const struct rd_kafka_metadata *md = NULL;
    if (rd_kafka_metadata(rk, 1, NULL, &md, 5000))
        return 0;
    int led = 0;
    for (int i = 0; i < md->topic_cnt; i++) {
        const struct rd_kafka_metadata_topic *t = &md->topics[i];
        if (strcmp(t->topic, topic) != 0 || t->err || t->partition_cnt != nparts)
            continue;
        led = 1;
        for (int p = 0; p < t->partition_cnt; p++)
            led &= t->partitions[p].err == 0 && t->partitions[p].leader >= 0;
    }
    rd_kafka_metadata_destroy(md);
    return led;
}

/* Waits until topic_led, for 30 s at most: a broker answers CreateTopics
 * once the controller has the topic, and its own metadata may show it a
 * moment later (a processor started meanwhile once refused to start: "input
 * topic ... not found"). Fails the test after that. */
static void wait_topic_led(rd_kafka_t *rk, const char *topic, int nparts)
{
    for (int64_t end = ds_mono_ms() + 30000; !topic_led(rk, topic, nparts);) {
        if (ds_mono_ms() >= end)
            fail_msg("topic %s: no leader for its %d partition(s) in the metadata 30 s after its creation", topic,
                     nparts);
        struct timespec ts = {0, 20 * 1000000L}; /* polling the metadata, bounded by the deadline */
        nanosleep(&ts, NULL);
    }
}

void tu_create_topic(const char *brokers, const char *topic, int nparts, const char *const *configs)
{
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    assert_int_equal(rd_kafka_conf_set(conf, "bootstrap.servers", brokers, err, sizeof err), RD_KAFKA_CONF_OK);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    assert_non_null(rk);
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, nparts, 1, err, sizeof err);
    assert_non_null(nt);
    for (int i = 0; configs && configs[i]; i += 2)
        assert_int_equal(rd_kafka_NewTopic_set_config(nt, configs[i], configs[i + 1]), 0);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 30000);
    assert_non_null(ev);
    size_t cnt = 0;
    const rd_kafka_topic_result_t **trs =
        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &cnt);
    assert_int_equal(rd_kafka_event_error(ev), 0);
    assert_int_equal(cnt, 1);
    if (rd_kafka_topic_result_error(trs[0]))
        fprintf(stderr, "creating %s: %s\n", topic, rd_kafka_topic_result_error_string(trs[0]));
    assert_int_equal(rd_kafka_topic_result_error(trs[0]), 0);
    rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    rd_kafka_NewTopic_destroy(nt);
    wait_topic_led(rk, topic, nparts);
    rd_kafka_destroy(rk);
}

size_t tu_count_records(const char *brokers, const char *topic)
{
    json_t *recs = tu_read_topic(brokers, topic);
    size_t n = json_array_size(recs);
    json_decref(recs);
    return n;
}

char *tu_slurp(const char *path, size_t *len)
{
    char *s = ds_read_file(path, len);
    if (!s)
        fprintf(stderr, "cannot read %s\n", path);
    assert_non_null(s);
    return s;
}

char **tu_glob(const char *dir, const char *pattern, int *n)
{
    char pat[1024];
    snprintf(pat, sizeof pat, "%s/%s", dir, pattern);
    glob_t g;
    *n = 0;
    if (glob(pat, 0, NULL, &g) != 0)
        return calloc(1, sizeof(char *));
    char **v = calloc(g.gl_pathc + 1, sizeof *v);
    for (size_t i = 0; i < g.gl_pathc; i++)
        v[i] = strdup(g.gl_pathv[i]);
    *n = (int)g.gl_pathc;
    globfree(&g);
    return v;
}

void tu_glob_free(char **paths)
{
    for (int i = 0; paths && paths[i]; i++)
        free(paths[i]);
    free(paths);
}

/* The live canonical deals without what legitimately depends on history
 * (revision, updated), keyed by deal id. Syndicated copies stay: a copy
 * that changes a deal's sources list is published (resolve.h), so the last
 * record lists every copy in any order of arrival. */
json_t *tu_comparable_deals(const char *bs, const char *topic)
{
    char err[256];
    json_t *deals = ds_demo_canonical(bs, topic, err, sizeof err);
    if (!deals)
        fprintf(stderr, "canonical: %s\n", err);
    assert_non_null(deals);
    return tu_comparable(deals);
}

json_t *tu_comparable(json_t *deals)
{
    const char *id;
    json_t *d;
    json_object_foreach(deals, id, d) {
        json_object_del(d, "revision");
        json_object_del(d, "updated");
    }
    return deals;
}

/* One field's values under "what: deal id, field differs". */
static void print_field_diff(const char *what, const char *id, const char *field, json_t *w, json_t *g)
{
    char *a = w ? json_dumps(w, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
    char *b = g ? json_dumps(g, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
    fprintf(stderr, "%s: deal %s, %s differs\n  want %s\n  got  %s\n", what, id, field, a ? a : "(none)",
            b ? b : "(none)");
    free(a);
    free(b);
}

void tu_print_deal_diff(const char *what, const char *id, json_t *want, json_t *got)
{
    if (!got) {
        fprintf(stderr, "%s: deal %s missing\n", what, id);
        return;
    }
    const char *field;
    json_t *v;
    json_object_foreach(want, field, v) {
        if (!json_equal(v, json_object_get(got, field)))
            print_field_diff(what, id, field, v, json_object_get(got, field));
    }
    json_object_foreach(got, field, v) {
        if (!json_object_get(want, field))
            print_field_diff(what, id, field, NULL, v);
    }
}

int tu_deal_diffs(const char *what, json_t *want, json_t *got, int show)
{
    int bad = 0;
    const char *id;
    json_t *d;
    json_object_foreach(want, id, d) {
        json_t *g = json_object_get(got, id);
        if ((!g || !json_equal(d, g)) && bad++ < show)
            tu_print_deal_diff(what, id, d, g);
    }
    json_object_foreach(got, id, d) {
        if (!json_object_get(want, id) && bad++ < show)
            fprintf(stderr, "%s: unexpected deal %s (%s %s)\n", what, id,
                    json_string_value(json_object_get(d, "block_key")),
                    json_string_value(json_object_get(d, "stage")));
    }
    return bad;
}

/* ds_record_fn of tu_article_mentions: appends the record's mentions. */
static int keep_mentions(void *opaque, json_t *rec, const char *where)
{
    tu_mentions *out = opaque;
    const ds_mention *ms;
    ds_fail fail;
    ds_input in = {DS_INPUT_ARTICLE, "", -1, -1, NULL, 0};
    int n = ds_pipeline_mentions_json(out->pl, DS_INPUT_ARTICLE, rec, &in, &ms, &fail);
    if (n < 0)
        fail_msg("%s: %s", where, fail.msg);
    for (int i = 0; i < n; i++) {
        assert_int_equal(ds_reserve(&out->m, &out->cap, out->n + 1, sizeof *out->m, 64), 0);
        out->m[out->n++] = ms[i];
    }
    return 0;
}

void tu_article_mentions(tu_mentions *out, const char *path)
{
    char err[256];
    size_t nbad = 0;
    if (ds_input_read(path, "text", 1, keep_mentions, out, NULL, &nbad, err, sizeof err) != 0)
        fail_msg("%s: %s", path, err);
    assert_int_equal(nbad, 0);
}

rd_kafka_t *tu_kafka_client(rd_kafka_type_t type, const char *bs, const char *group, const char *key,
                            const char *value)
{
    char e[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    assert_int_equal(rd_kafka_conf_set(conf, "bootstrap.servers", bs, e, sizeof e), RD_KAFKA_CONF_OK);
    rd_kafka_conf_set(conf, "log_level", "3", e, sizeof e);
    if (group) {
        rd_kafka_conf_set(conf, "group.id", group, e, sizeof e);
        rd_kafka_conf_set(conf, "enable.auto.commit", "false", e, sizeof e);
    }
    if (key && value)
        rd_kafka_conf_set(conf, key, value, e, sizeof e);
    rd_kafka_t *rk = rd_kafka_new(type, conf, e, sizeof e);
    if (!rk)
        fprintf(stderr, "client: %s\n", e);
    assert_non_null(rk);
    return rk;
}

int tu_reported(json_t *deal)
{
    json_t *src;
    size_t k;
    json_array_foreach(json_object_get(deal, "sources"), k, src)
    {
        const char *kind = json_string_value(json_object_get(src, "kind"));
        if (!kind || strcmp(kind, "reference") != 0)
            return 1;
    }
    return 0;
}

size_t tu_reported_deals(json_t *deals)
{
    size_t n = 0;
    const char *key;
    json_t *d;
    json_object_foreach(deals, key, d) n += (size_t)tu_reported(d);
    return n;
}

size_t tu_reference_rows(void)
{
    char err[512];
    ds_catalog *cat = ds_catalog_load(getenv("DEALSTREAM_CATALOG_DIR"), err, sizeof err);
    if (!cat)
        fprintf(stderr, "catalog: %s\n", err);
    assert_non_null(cat);
    size_t n = cat->nrefs;
    ds_catalog_destroy(cat);
    return n;
}

int tu_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    close(fd);
    return ntohs(sa.sin_port);
}

static size_t http_discard(char *p, size_t size, size_t n, void *opaque)
{
    (void)p;
    (void)opaque;
    return size * n;
}

static size_t http_keep(char *p, size_t size, size_t n, void *opaque)
{
    ds_buf_append(opaque, p, size * n);
    return size * n;
}

long tu_http_get(int port, const char *path, ds_buf *body, int64_t *took_ms)
{
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    CURL *c = curl_easy_init();
    assert_non_null(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, body ? http_keep : http_discard);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    int64_t t0 = ds_mono_ms();
    long status = 0;
    curl_off_t sent = 0, first = 0;
    if (curl_easy_perform(c) == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(c, CURLINFO_PRETRANSFER_TIME_T, &sent);
        curl_easy_getinfo(c, CURLINFO_STARTTRANSFER_TIME_T, &first);
    }
    /* the server's part: from the request sent to its answer's first byte.
     * The connect before it is the kernel's (a listening socket completes
     * it whatever its process does) and the client's own scheduling: up to
     * 57 ms of it on a loaded machine */
    *took_ms = status ? (int64_t)(first - sent) / 1000 : ds_mono_ms() - t0;
    curl_easy_cleanup(c);
    return status;
}

uint64_t tu_schema_fingerprint(const char *json)
{
    ds_buf pcf;
    char err[128];
    ds_buf_init(&pcf);
    if (ds_schema_pcf(json, &pcf, err, sizeof err))
        fail_msg("schema: %s", err);
    uint64_t fp = ds_crc64_avro(pcf.data, pcf.len);
    ds_buf_free(&pcf);
    return fp;
}

pid_t tu_spawn(char *const *argv, const char *out, const char *err)
{
    const char *bin = getenv("DS_BIN");
    assert_non_null(bin);
    char *args[64] = {"dealstream"};
    int n = 1;
    for (; argv[n - 1] && n < 63; n++)
        args[n] = argv[n - 1];
    args[n] = NULL;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600), e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
            _exit(127);
        execv(bin, args);
        _exit(127);
    }
    return pid;
}

int tu_exited_or_said(pid_t pid, const char *path, const char *text, int *status)
{
    int64_t end = ds_mono_ms() + 30000;
    while (ds_mono_ms() < end) {
        if (waitpid(pid, status, WNOHANG) == pid)
            return 1;
        size_t len;
        char *got = text ? ds_read_file(path, &len) : NULL;
        int said = got && strstr(got, text) != NULL;
        free(got);
        if (said)
            return 0;
        struct timespec ts = {0, 20 * 1000000L}; /* polling the child's output, bounded by the deadline */
        nanosleep(&ts, NULL);
    }
    fail_msg("the child neither exited nor printed \"%s\" within 30 s", text ? text : "");
    return -1;
}

void tu_across_open_transaction(char *const *argv, rd_kafka_t *tp, int commit, const char *waiting, int *status,
                                char **out, char **err)
{
    char opath[] = "/tmp/ds-test-out-XXXXXX", epath[] = "/tmp/ds-test-err-XXXXXX";
    close(mkstemp(opath));
    close(mkstemp(epath));
    pid_t pid = tu_spawn(argv, opath, epath);
    size_t len;
    if (tu_exited_or_said(pid, epath, waiting, status)) {
        char *o = ds_read_file(opath, &len), *e = ds_read_file(epath, &len);
        /* it took the last stable offset for the end, with a transaction still to come */
        fail_msg("dealstream %s exited (status %d) while a transaction was open, without \"%s\": stdout\n%sstderr\n%s",
                 argv[0], *status, waiting, o ? o : "", e ? e : "");
    }
    rd_kafka_error_t *error = commit ? rd_kafka_commit_transaction(tp, 30000) : rd_kafka_abort_transaction(tp, 30000);
    assert_null(error);
    assert_int_equal(tu_exited_or_said(pid, epath, NULL, status), 1);
    *out = ds_read_file(opath, &len);
    *err = ds_read_file(epath, &len);
    assert_non_null(*out);
    assert_non_null(*err);
    unlink(opath);
    unlink(epath);
}

void tu_replay_across_open_transaction(const char *brokers, const char *app, const char *topic, char *const *extra,
                                       rd_kafka_t *tp, int commit, const char *waiting, const char *want)
{
    char otopic[300];
    snprintf(otopic, sizeof otopic, "%s-out", topic);
    char *argv[64] = {"replay", "-b", (char *)brokers, "--catalog", (char *)tu_catalog_dir(), "--app-id",
                      (char *)app, "--topic", (char *)topic, "--fresh-state", "--output-topic", otopic,
                      "--progress", "0"};
    int n = 14;
    for (int i = 0; extra[i] && n < 63; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    int status = 0;
    char *o, *e;
    tu_across_open_transaction(argv, tp, commit, waiting, &status, &o, &e);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || (!strstr(o, want) && !strstr(e, want)))
        fail_msg("replay: status %d, no \"%s\": stdout\n%sstderr\n%s", status, want, o, e);
    free(o);
    free(e);
}

const char *tu_real_brokers(const char *what)
{
    const char *real = getenv("DEALSTREAM_TEST_BROKERS");
    if (!real || !*real) {
        printf("skipped: %s on a real cluster; set DEALSTREAM_TEST_BROKERS\n", what);
        skip();
    }
    return real;
}

rd_kafka_t *tu_transactional_producer(const char *bs, const char *txid)
{
    rd_kafka_t *tp = tu_kafka_client(RD_KAFKA_PRODUCER, bs, NULL, "transactional.id", txid);
    assert_null(rd_kafka_init_transactions(tp, 30000));
    return tp;
}
