/* replay: the range it plans, what it writes, idempotence against the live
 * output, resuming through a group, poison inputs. On the embedded broker;
 * timestamp ranges need a real cluster (DEALSTREAM_TEST_BROKERS) and say
 * "skipped" without one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <librdkafka/rdkafka.h>

#include "broker.h"
#include "config.h"
#include "replay.h"
#include "testutil.h"
#include "util.h"

#define NSEEDS_MAX 64

typedef struct fixture {
    ds_broker *broker;
    const char *bs;
    int produced; /* articles */
} fixture;

/* Articles: the seeds and the project's samples. */
static int produce_articles(const char *bs)
{
    int ns, nm;
    char **seeds = tu_glob(tu_seeds_dir(), "*.txt", &ns);
    char samples_dir[1024];
    snprintf(samples_dir, sizeof samples_dir, "%s/../samples", tu_test_dir());
    char **samples = tu_glob(samples_dir, "*.txt", &nm);
    char *args[NSEEDS_MAX + 1] = {0};
    int n = 0;
    for (int i = 0; i < ns && n < NSEEDS_MAX; i++)
        args[n++] = seeds[i];
    for (int i = 0; i < nm && n < NSEEDS_MAX; i++)
        args[n++] = samples[i];
    assert_true(n > 0);
    assert_int_equal(tu_produce(bs, args), 0);
    tu_glob_free(seeds);
    tu_glob_free(samples);
    return n;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    char err[256];
    f->broker = ds_broker_new(1, 4, ds_broker_default_topics("dealstream"), err, sizeof err);
    if (!f->broker)
        fprintf(stderr, "broker: %s\n", err);
    assert_non_null(f->broker);
    f->bs = ds_broker_bootstraps(f->broker);
    f->produced = produce_articles(f->bs);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    ds_broker_destroy(f->broker);
    free(f);
    return 0;
}

static int argc_of(char **argv)
{
    int n = 0;
    while (argv[n])
        n++;
    return n;
}

/* Runs replay with these options; its summary (stdout) goes to *text when
 * text is not NULL. */
static int replay(const char *bs, ds_replay_stats *st, char **text, ...)
{
    char *argv[64] = {"replay", "-b", (char *)bs, "--catalog", (char *)tu_catalog_dir(), "--log-level", "warn"};
    int n = 7;
    va_list ap;
    va_start(ap, text);
    for (char *a; (a = va_arg(ap, char *)) != NULL && n < 63;)
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    ds_config cfg;
    char err[512];
    if (ds_config_parse(&cfg, DS_CMD_REPLAY, argc_of(argv), argv, err, sizeof err)) {
        fprintf(stderr, "options: %s\n", err);
        ds_config_free(&cfg);
        return 2;
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    assert_non_null(out);
    ds_replay_stats s;
    memset(&s, 0, sizeof s);
    int rc = ds_replay(&cfg, &s, out);
    fclose(out);
    ds_config_free(&cfg);
    if (st)
        *st = s;
    if (text)
        *text = buf;
    else
        free(buf);
    return rc;
}

static ds_replay_plan plan_of(const char *bs, int *rc, char *err, size_t errlen, ...)
{
    char *argv[64] = {"replay", "-b", (char *)bs, "--log-level", "warn"};
    int n = 5;
    va_list ap;
    va_start(ap, errlen);
    for (char *a; (a = va_arg(ap, char *)) != NULL && n < 63;)
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    ds_config cfg;
    assert_int_equal(ds_config_parse(&cfg, DS_CMD_REPLAY, argc_of(argv), argv, err, errlen), 0);
    ds_replay_plan plan;
    *rc = ds_replay_plan_make(&cfg, &plan, err, errlen);
    ds_config_free(&cfg);
    return plan;
}

static const ds_replay_range *range(const ds_replay_plan *p, const char *topic, int32_t partition)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->r[i].partition == partition && strcmp(p->r[i].topic, topic) == 0)
            return &p->r[i];
    fail_msg("no range for %s [%d]", topic, (int)partition);
    return NULL;
}

static void test_durations(void **state)
{
    (void)state;
    int64_t ms;
    assert_int_equal(ds_parse_duration("90s", &ms), 0);
    assert_int_equal(ms, 90000);
    assert_int_equal(ds_parse_duration("30m", &ms), 0);
    assert_int_equal(ms, 1800000);
    assert_int_equal(ds_parse_duration("6h", &ms), 0);
    assert_int_equal(ms, 21600000);
    assert_int_equal(ds_parse_duration("2d", &ms), 0);
    assert_int_equal(ms, 172800000);
    assert_int_equal(ds_parse_duration("1w", &ms), 0);
    assert_int_equal(ms, 604800000);
    assert_int_equal(ds_parse_duration("6", &ms), -1);
    assert_int_equal(ds_parse_duration("h", &ms), -1);
    assert_int_equal(ds_parse_duration("-1h", &ms), -1);
    assert_int_equal(ds_parse_duration("6hours", &ms), -1);
    assert_int_equal(ds_parse_duration("99999999999999999w", &ms), -1);
}

/* The range per partition for each form of --from and --to, and the
 * refusal of bad ones. */
static void test_plan(void **state)
{
    fixture *f = *state;
    char err[512];
    int rc;
    ds_replay_plan p = plan_of(f->bs, &rc, err, sizeof err, NULL);
    assert_int_equal(rc, 0);
    assert_int_equal(p.n, 8); /* articles and deals, 4 partitions each */
    int64_t total = 0, hi[4];
    for (int32_t q = 0; q < 4; q++) {
        const ds_replay_range *r = range(&p, "articles", q);
        assert_int_equal(r->log_start, 0);
        assert_int_equal(r->start, 0);
        assert_int_equal(r->end, r->log_end);
        assert_int_equal(range(&p, "deals", q)->end, 0);
        hi[q] = r->log_end;
        total += r->log_end;
    }
    assert_int_equal(total, f->produced);
    ds_replay_plan_free(&p);

    /* one offset for every partition, clamped to each log */
    p = plan_of(f->bs, &rc, err, sizeof err, "--topic", "articles", "--from", "1", "--to", "2", NULL);
    assert_int_equal(rc, 0);
    assert_int_equal(p.n, 4);
    for (int32_t q = 0; q < 4; q++) {
        const ds_replay_range *r = range(&p, "articles", q);
        assert_int_equal(r->start, hi[q] < 1 ? hi[q] : 1);
        assert_int_equal(r->end, hi[q] < 2 ? r->start > hi[q] ? r->start : hi[q] : 2);
        assert_true(r->selected);
    }
    ds_replay_plan_free(&p);

    /* per partition: only the named ones are replayed */
    p = plan_of(f->bs, &rc, err, sizeof err, "--topic", "articles", "--from", "0=1,articles:2=0", "--to", "2=1",
                NULL);
    assert_int_equal(rc, 0);
    assert_true(range(&p, "articles", 0)->selected);
    assert_int_equal(range(&p, "articles", 0)->start, hi[0] < 1 ? hi[0] : 1);
    assert_int_equal(range(&p, "articles", 0)->end, hi[0] > 1 ? hi[0] : range(&p, "articles", 0)->start);
    assert_false(range(&p, "articles", 1)->selected);
    assert_int_equal(range(&p, "articles", 1)->end - range(&p, "articles", 1)->start, 0);
    assert_int_equal(range(&p, "articles", 2)->start, 0);
    assert_int_equal(range(&p, "articles", 2)->end, hi[2] < 1 ? hi[2] : 1);
    assert_false(range(&p, "articles", 3)->selected);
    ds_replay_plan_free(&p);

    /* an end before the start is an empty range, not an error */
    p = plan_of(f->bs, &rc, err, sizeof err, "--topic", "articles", "--from", "2", "--to", "1", NULL);
    assert_int_equal(rc, 0);
    for (int32_t q = 0; q < 4; q++)
        assert_int_equal(range(&p, "articles", q)->end, range(&p, "articles", q)->start);
    ds_replay_plan_free(&p);

    /* refusals, each naming what was wrong */
    static const struct {
        const char *opt, *val, *msg;
    } bad[] = {
        {"--from", "yesterday", "--from: 'yesterday' is not earliest, committed, an offset"},
        {"--to", "earliest", "--to: 'earliest' is not latest, an offset"},
        {"--from", "0=x", "--from: '0=x' is not [TOPIC:]PARTITION=OFFSET"},
        {"--from", "=3", "--from: '=3' is not [TOPIC:]PARTITION=OFFSET"},
        {"--to", ":1=3", "--to: ':1=3' is not [TOPIC:]PARTITION=OFFSET"},
        {"--from", "committed", "--from committed needs --group"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        p = plan_of(f->bs, &rc, err, sizeof err, (char *)bad[i].opt, (char *)bad[i].val, NULL);
        if (!strstr(err, bad[i].msg))
            fprintf(stderr, "%s %s: got '%s'\n", bad[i].opt, bad[i].val, err);
        assert_int_equal(rc, DS_REPLAY_EUSAGE);
        assert_non_null(strstr(err, bad[i].msg));
        assert_int_equal(p.n, 0);
    }
    p = plan_of(f->bs, &rc, err, sizeof err, "--topic", "no-such-topic", NULL);
    assert_int_equal(rc, 1);
    assert_string_equal(err, "topic no-such-topic does not exist");
}

/* --dry-run prints the plan and touches nothing. */
static void test_dry_run(void **state)
{
    fixture *f = *state;
    char *text = NULL;
    ds_replay_stats st;
    assert_int_equal(replay(f->bs, &st, &text, "--dry-run", "--topic", "articles", "--output-topic", "dry.out", NULL),
                     0);
    assert_int_equal(st.consumed, 0);
    assert_non_null(strstr(text, "TOPIC"));
    assert_non_null(strstr(text, "OFFSETS"));
    char want[128];
    snprintf(want, sizeof want, "total: %d offset(s) in ", f->produced);
    assert_non_null(strstr(text, want));
    assert_non_null(strstr(text, "output: dry.out (dry run: nothing read or written)"));
    /* one row per partition, in order */
    const char *at = text;
    for (int q = 0; q < 4; q++) {
        char row[64];
        snprintf(row, sizeof row, "\narticles %9d ", q);
        const char *hit = strstr(at, row);
        assert_non_null(hit);
        at = hit + 1;
    }
    free(text);
    /* nothing was written: the output topic has no record */
    assert_int_equal(tu_count_records(f->bs, "dry.out"), 0);

    /* the processor's own group is refused: replay would move its offsets */
    char err[512] = "";
    int rc;
    ds_replay_plan p = plan_of(f->bs, &rc, err, sizeof err, "--group", "dealstream", "--from", "committed", NULL);
    assert_int_equal(rc, DS_REPLAY_EUSAGE);
    assert_non_null(strstr(err, "--group dealstream is the processor's own group (app id dealstream)"));
    assert_int_equal(p.n, 0);
    p = plan_of(f->bs, &rc, err, sizeof err, "--app-id", "other", "--group", "other", NULL);
    assert_int_equal(rc, DS_REPLAY_EUSAGE);
    assert_non_null(strstr(err, "without --group it uses other-replay"));
    /* another group is fine */
    p = plan_of(f->bs, &rc, err, sizeof err, "--group", "dealstream-backfill", NULL);
    assert_int_equal(rc, 0);
    assert_true(p.n > 0);
    ds_replay_plan_free(&p);
}

/* The deals of blocks that hold no report (the reference table's rows
 * alone). */
static size_t unreported_blocks_deals(json_t *deals)
{
    size_t n = 0;
    const char *k, *k2;
    json_t *d, *e;
    json_object_foreach(deals, k, d)
    {
        const char *block = json_string_value(json_object_get(d, "block_key"));
        int reported = 0;
        json_object_foreach(deals, k2, e) if (strcmp(json_string_value(json_object_get(e, "block_key")), block) == 0)
        {
            reported |= tu_reported(e);
        }
        n += !reported;
    }
    return n;
}

/* Replaying everything from empty state reproduces what the processor
 * wrote; replaying into the live output from the processor's state writes
 * nothing; a group's replay commits its progress and resumes from it. */
static void test_replay_reproduces_and_is_idempotent(void **state)
{
    fixture *f = *state;
    ds_run_stats rs;
    assert_int_equal(tu_run(f->bs, &rs, NULL), 0);
    assert_int_equal(rs.consumed, (uint64_t)f->produced);
    assert_true(rs.produced > 0);
    size_t live_n = tu_count_records(f->bs, "deals.canonical");
    assert_int_equal(live_n, rs.produced);
    json_t *live = tu_comparable_deals(f->bs, "deals.canonical");

    ds_replay_stats st;
    char *text = NULL;
    assert_int_equal(replay(f->bs, &st, &text, "--fresh-state", "--output-topic", "replayed", NULL), 0);
    assert_int_equal(st.consumed, (uint64_t)f->produced);
    assert_int_equal(st.total, (uint64_t)f->produced);
    assert_int_equal(st.mentions, rs.mentions);
    /* how many intermediate revisions are written depends on the order the
     * mentions meet (a child before its parent is written twice); the final
     * records do not, and are compared below */
    assert_true(st.produced >= json_object_size(live));
    assert_int_equal(st.dead_letters, 0);
    char want[256];
    snprintf(want, sizeof want, "replayed %d record(s) of %d offset(s) in ", f->produced, f->produced);
    assert_non_null(strstr(text, want));
    free(text);
    json_t *again = tu_comparable_deals(f->bs, "replayed");
    if (!json_equal(live, again)) {
        char *a = json_dumps(live, JSON_SORT_KEYS), *b = json_dumps(again, JSON_SORT_KEYS);
        fprintf(stderr, "live:     %s\nreplayed: %s\n", a, b);
        free(a);
        free(b);
    }
    assert_true(json_equal(live, again));
    assert_true(json_object_size(live) > 1);
    json_decref(again);

    /* into the live output, from the processor's state: no new revision;
     * only the deals of reference rows whose blocks no report reached (no
     * changelog record holds them) are written again, as they were */
    size_t quiet = unreported_blocks_deals(live);
    assert_int_equal(replay(f->bs, &st, NULL, NULL), 0);
    assert_int_equal(st.consumed, (uint64_t)f->produced);
    assert_true(st.restored_blocks > 0);
    assert_true(st.produced <= quiet);
    assert_int_equal(tu_count_records(f->bs, "deals.canonical"), live_n + st.produced);
    json_t *after = tu_comparable_deals(f->bs, "deals.canonical");
    assert_true(json_equal(live, after));
    json_decref(after);

    /* with a group: the first offset of every partition, then the rest from
     * the committed offsets */
    ds_replay_stats a, b;
    assert_int_equal(replay(f->bs, &a, NULL, "--group", "backfill", "--topic", "articles", "--to", "1", NULL), 0);
    assert_int_equal(replay(f->bs, &b, NULL, "--group", "backfill", "--topic", "articles", "--from", "committed",
                            NULL),
                     0);
    assert_true(a.consumed > 0 && b.consumed > 0);
    assert_int_equal(a.consumed + b.consumed, (uint64_t)f->produced);
    assert_true(a.produced <= quiet && b.produced <= quiet); /* the rows' deals, as above */
    after = tu_comparable_deals(f->bs, "deals.canonical");
    assert_true(json_equal(live, after));
    json_decref(after);
    /* the group's offsets are at the ends: nothing is left */
    char err[512];
    int rc;
    ds_replay_plan p = plan_of(f->bs, &rc, err, sizeof err, "--group", "backfill", "--topic", "articles", "--from",
                               "committed", NULL);
    assert_int_equal(rc, 0);
    for (size_t i = 0; i < p.n; i++)
        assert_int_equal(p.r[i].start, p.r[i].log_end);
    ds_replay_plan_free(&p);
    json_decref(live);
}

/* A poison record in the range is dead-lettered with its place, and the
 * rest of the range is still processed. */
static void test_poison(void **state)
{
    fixture *f = *state;
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    assert_int_equal(rd_kafka_conf_set(conf, "bootstrap.servers", f->bs, err, sizeof err), RD_KAFKA_CONF_OK);
    rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    assert_non_null(p);
    static const char junk[] = "\xc3\x01not an article";
    assert_int_equal(rd_kafka_producev(p, RD_KAFKA_V_TOPIC("articles"), RD_KAFKA_V_PARTITION(1),
                                       RD_KAFKA_V_VALUE((void *)junk, sizeof junk - 1), RD_KAFKA_V_END),
                     0);
    assert_int_equal(rd_kafka_flush(p, 10000), 0);
    rd_kafka_destroy(p);

    ds_replay_stats st;
    assert_int_equal(replay(f->bs, &st, NULL, "--fresh-state", "--output-topic", "poisoned", NULL), 0);
    assert_int_equal(st.consumed, (uint64_t)f->produced + 1);
    assert_int_equal(st.dead_letters, 1);
    assert_true(st.produced > 0);
    json_t *dlq = tu_read_topic(f->bs, "articles.dlq");
    assert_true(json_array_size(dlq) >= 1);
    json_t *last = json_array_get(dlq, json_array_size(dlq) - 1);
    char *s = json_dumps(last, 0);
    assert_non_null(strstr(s, "__connect.errors.partition"));
    assert_non_null(strstr(s, "\"decode\""));
    free(s);
    json_decref(dlq);
}

/* Timestamp ranges: the embedded broker cannot look offsets up by time,
 * which replay reports as such; a real cluster gets the range checked. */
static void test_time_range(void **state)
{
    fixture *f = *state;
    char err[512] = "";
    int rc;
    ds_replay_plan p = plan_of(f->bs, &rc, err, sizeof err, "--from", "6h", NULL);
    if (rc == 0) {
        /* a broker that answers: every article is younger than 6 hours */
        for (size_t i = 0; i < p.n; i++)
            assert_int_equal(p.r[i].start, p.r[i].log_start);
        ds_replay_plan_free(&p);
    } else {
        assert_int_equal(rc, 1);
        assert_non_null(strstr(err, "--from: the broker "));
        assert_non_null(strstr(err, "by timestamp"));
        printf("the embedded broker cannot look offsets up by time: %s\n", err);
    }

    const char *real = getenv("DEALSTREAM_TEST_BROKERS");
    if (!real || !*real) {
        printf("skipped: timestamp ranges on a real cluster; set DEALSTREAM_TEST_BROKERS\n");
        return;
    }
    /* three records one second apart on a fresh topic */
    char topic[128];
    snprintf(topic, sizeof topic, "replay-time-%ld-%d", (long)time(NULL), (int)getpid());
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    assert_int_equal(rd_kafka_conf_set(conf, "bootstrap.servers", real, err, sizeof err), RD_KAFKA_CONF_OK);
    rd_kafka_t *pr = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    assert_non_null(pr);
    int64_t t0 = (int64_t)time(NULL) * 1000 - 60000;
    for (int i = 0; i < 3; i++)
        assert_int_equal(rd_kafka_producev(pr, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0),
                                           RD_KAFKA_V_TIMESTAMP(t0 + i * 1000), RD_KAFKA_V_VALUE("x", 1),
                                           RD_KAFKA_V_END),
                         0);
    assert_int_equal(rd_kafka_flush(pr, 30000), 0);
    rd_kafka_destroy(pr);
    char from[64], to[64];
    time_t s1 = (time_t)((t0 + 1000) / 1000), s2 = (time_t)((t0 + 2000) / 1000);
    strftime(from, sizeof from, "%Y-%m-%dT%H:%M:%SZ", gmtime(&s1));
    strftime(to, sizeof to, "%Y-%m-%dT%H:%M:%SZ", gmtime(&s2));
    p = plan_of(real, &rc, err, sizeof err, "--topic", topic, "--from", from, "--to", to, NULL);
    assert_int_equal(rc, 0);
    assert_int_equal(range(&p, topic, 0)->start, 1);
    assert_int_equal(range(&p, topic, 0)->end, 2);
    ds_replay_plan_free(&p);
}

/* ---- the end under read_committed, on a real cluster ---------------------- */

/* Writes one input record to topic's partition 0 through rk (in rk's
 * transaction, if one is open) and waits for it to be delivered. It is not
 * an ArticleEvent, so replay dead-letters it: what counts here is whether
 * it is read. */
static void write_input(rd_kafka_t *rk, const char *topic)
{
    assert_int_equal(rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0),
                                       RD_KAFKA_V_VALUE("not an article", 14), RD_KAFKA_V_END),
                     0);
    assert_int_equal(rd_kafka_flush(rk, 30000), 0);
}

/* A replay of topic from offset `from` to latest, started while tp's
 * transaction is open below the end: it must say it waits (`waiting`) and
 * not exit; once the transaction is committed (or aborted) it must exit 0
 * with the summary `want`. */
static void replay_across_open_transaction(const char *brokers, const char *topic, const char *app, const char *from,
                                           rd_kafka_t *tp, int commit, const char *want, const char *waiting)
{
    char *extra[] = {"--from", (char *)from, NULL};
    tu_replay_across_open_transaction(brokers, app, topic, extra, tp, commit, waiting, want);
}

/* replay --to latest under read_committed (its default) on a real cluster:
 * the end is the high watermark when replay starts, and a transaction open
 * below it (as every commit is until the broker has written its markers)
 * is waited for, with a line saying so; its records are replayed if it
 * committed, none if it aborted. A transaction that outlasts
 * --transaction-wait fails the replay, naming the partition and offsets. */
static void test_real_waits_for_transaction(void **state)
{
    (void)state;
    const char *real = tu_real_brokers("a transaction left open (the embedded broker writes no markers)");
    char topic[64], app[64], txid[80], waiting[256];
    snprintf(topic, sizeof topic, "replay-txn-%d", (int)getpid());
    snprintf(app, sizeof app, "rtx%d", (int)getpid());
    snprintf(txid, sizeof txid, "%s-producer", topic);
    tu_create_topic(real, topic, 1, NULL);
    rd_kafka_t *plain = tu_kafka_client(RD_KAFKA_PRODUCER, real, NULL, NULL, NULL);
    write_input(plain, topic); /* offset 0 */
    rd_kafka_destroy(plain);
    rd_kafka_t *tp = tu_transactional_producer(real, txid);
    /* committed: an article at offset 1, its marker at 2 */
    assert_null(rd_kafka_begin_transaction(tp));
    write_input(tp, topic);
    snprintf(waiting, sizeof waiting, "%s [0]: waiting at offset 1 (the last stable offset) for the transaction open "
             "below the end of the range, 2, to end", topic);
    replay_across_open_transaction(real, topic, app, "earliest", tp, 1, "replayed 2 record(s) of 2 offset(s)",
                                   waiting);
    /* aborted: an article at offset 3, the abort marker at 4 */
    assert_null(rd_kafka_begin_transaction(tp));
    write_input(tp, topic);
    snprintf(waiting, sizeof waiting, "%s [0]: waiting at offset 3 (the last stable offset) for the transaction open "
             "below the end of the range, 4, to end", topic);
    replay_across_open_transaction(real, topic, app, "3", tp, 0, "replayed 0 record(s) of 1 offset(s)", waiting);
    /* left open past --transaction-wait: exit 1, what was waited for named */
    assert_null(rd_kafka_begin_transaction(tp));
    write_input(tp, topic); /* offset 5 */
    char out[] = "/tmp/ds-test-replay-out-XXXXXX", err[] = "/tmp/ds-test-replay-err-XXXXXX", otopic[160];
    close(mkstemp(out));
    close(mkstemp(err));
    snprintf(otopic, sizeof otopic, "%s-out", topic);
    char *argv[] = {"replay", "-b", (char *)real, "--catalog", (char *)tu_catalog_dir(), "--app-id", app, "--topic",
                    topic, "--from", "5", "--fresh-state", "--output-topic", otopic, "--transaction-wait", "1",
                    "--progress", "0", NULL};
    pid_t pid = tu_spawn(argv, out, err);
    int status = 0;
    assert_int_equal(tu_exited_or_said(pid, err, NULL, &status), 1);
    size_t len;
    char *o = ds_read_file(out, &len), *es = ds_read_file(err, &len);
    char want[256];
    snprintf(want, sizeof want, "%s [0]: a transaction open below the end of the range, 6, did not end within 1 s "
             "(--transaction-wait): offsets 5..5 are not replayed", topic);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 1 || !strstr(es, want) ||
        !strstr(o, "replayed 0 record(s) of 1 offset(s)"))
        fail_msg("replay: status %d, want exit 1 and \"%s\": stdout\n%sstderr\n%s", status, want, o ? o : "",
                 es ? es : "");
    free(o);
    free(es);
    unlink(out);
    unlink(err);
    assert_null(rd_kafka_abort_transaction(tp, 30000));
    rd_kafka_destroy(tp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_durations),
        cmocka_unit_test_setup_teardown(test_plan, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dry_run, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replay_reproduces_and_is_idempotent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_poison, setup, teardown),
        cmocka_unit_test_setup_teardown(test_time_range, setup, teardown),
        cmocka_unit_test(test_real_waits_for_transaction),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
